#pragma once
// The one idempotency path of every POST that creates something (DESIGN 5.2). With an
// Idempotency-Key: the key's claim, the creation and its answer are stored in one transaction, and a
// repeat of the request gets the first answer (status and body; Location rebuilt from the body)
// marked Idempotent-Replayed; a repeat while the first runs gets 409, the key with another body 422.
// Without a key, `create` runs in a transaction of its own. An answer that is itself a replay (the
// same paymentKey posted again finds its payment) is not stored: the next repeat looks again.
#include <functional>
#include <optional>
#include <string>

#include "api/http_support.hpp"
#include "domain/idempotency.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// The Location of the resource a stored body describes; empty when there is none.
using LocationOf = std::string (*)(const std::string& body);

// The Idempotency-Key of a request that moves money; throws kIdempotencyKeyRequired without one.
IdempotencyKey RequiredIdempotencyKey(const Pistache::Rest::Request& req, const std::string& canonical_body);

Reply IdempotentPost(PgConnection& conn, long long user_id, const std::optional<IdempotencyKey>& key,
                     const std::function<Reply(PgTransaction&)>& create, LocationOf location_of = nullptr);

}  // namespace checkout::api

#pragma once
// The Idempotency-Key records (DESIGN 5.2): the first answer to a POST is stored with its effect, in
// the same transaction, and replayed for a repeat of the same request. The one path that uses them is
// api/idempotent_post; this is their store.
#include <optional>
#include <string>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

struct IdempotencyKey {
    std::string key;
    std::string request_hash;  // Fingerprint of the canonical request body
};

struct StoredReply {
    int status = 0;
    std::string body;
};

// Inside the caller's transaction: takes a transaction-scoped lock on (user, key), so a second
// request with the key while the first runs gets kIdempotencyInFlight (409) at once, and returns the
// stored first answer if there is one. Throws kIdempotencyKeyReused (422) if that answer was for a
// different body.
std::optional<StoredReply> ClaimIdempotencyKey(PgTransaction& tx, long long user_id,
                                               const IdempotencyKey& key);
void StoreIdempotentReply(PgTransaction& tx, long long user_id, const IdempotencyKey& key,
                          const StoredReply& reply);

// 64-bit FNV-1a in hex: a stable fingerprint of a request body for Idempotency-Key matching.
std::string Fingerprint(const std::string& text);

}  // namespace checkout

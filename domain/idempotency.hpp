#pragma once
// Idempotency-Key on POSTs that create something (DESIGN 5.2): the first answer is stored with the
// effect, in the same transaction, and replayed for a repeat of the same request.
#include <functional>
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

struct IdempotentResult {
    StoredReply reply;
    bool replayed = false;  // the stored answer of an earlier request with the key
};
// Runs `create` in one transaction with the key's claim and its stored answer: a repeat of the
// request gets the first answer and `create` does not run again. Without a key, `create` just runs.
IdempotentResult RunIdempotent(PgConnection& conn, long long user_id,
                               const std::optional<IdempotencyKey>& key,
                               const std::function<StoredReply(PgTransaction&)>& create);

// 64-bit FNV-1a in hex: a stable fingerprint of a request body for Idempotency-Key matching.
std::string Fingerprint(const std::string& text);

}  // namespace checkout

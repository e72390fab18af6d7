#include "domain/idempotency.hpp"

#include <cstdio>

#include "infra/core/error.hpp"

namespace checkout {

std::string Fingerprint(const std::string& text) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char ch : text) {
        h ^= ch;
        h *= 1099511628211ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::optional<StoredReply> ClaimIdempotencyKey(PgTransaction& tx, long long user_id,
                                               const IdempotencyKey& key) {
    auto lock = tx.exec("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))",
                        {std::to_string(user_id) + ":" + key.key});
    if (!lock.boolean(0, 0))
        throw AppError(ErrorCode::kIdempotencyInFlight,
                       "A request with this Idempotency-Key is still in progress.");
    auto prior = tx.exec(
        "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE user_id = $1 AND key = "
        "$2",
        {user_id, key.key});
    if (prior.rows() == 0) return std::nullopt;
    if (prior.get(0, 0) != key.request_hash)
        throw AppError(ErrorCode::kIdempotencyKeyReused,
                       "This Idempotency-Key was already used with a different request body.");
    return StoredReply{static_cast<int>(prior.integer(0, 1)), prior.str(0, 2)};
}

void StoreIdempotentReply(PgTransaction& tx, long long user_id, const IdempotencyKey& key,
                          const StoredReply& reply) {
    tx.exec(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response_body) VALUES ($1, "
        "$2, $3, $4, $5)",
        {user_id, key.key, key.request_hash, reply.status, reply.body});
}

}  // namespace checkout

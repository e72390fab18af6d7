#include "api/idempotent_post.hpp"

#include <algorithm>

namespace checkout::api {

IdempotencyKey RequiredIdempotencyKey(const Pistache::Rest::Request& req, const std::string& canonical_body) {
    auto key = IdempotencyKeyHeader(req, canonical_body);
    if (!key)
        throw AppError(ErrorCode::kIdempotencyKeyRequired,
                       "This request moves money: send an Idempotency-Key header.",
                       std::vector<FieldError>{{"Idempotency-Key", "is required"}});
    return *key;
}

namespace {

bool IsReplay(const Reply& r) {
    return std::any_of(r.headers.begin(), r.headers.end(),
                       [](const auto& h) { return h.first == "Idempotent-Replayed"; });
}

}  // namespace

Reply IdempotentPost(PgConnection& conn, long long user_id, const std::optional<IdempotencyKey>& key,
                     const std::function<Reply(PgTransaction&)>& create, LocationOf location_of) {
    PgTransaction tx(conn);
    if (key)
        if (auto prior = ClaimIdempotencyKey(tx, user_id, *key)) {
            Reply replay{prior->status, prior->body, {}};
            if (location_of)
                if (auto location = location_of(prior->body); !location.empty())
                    replay.headers.emplace_back("Location", location);
            replay.headers.emplace_back("Idempotent-Replayed", "true");
            return replay;
        }
    Reply reply = create(tx);
    if (key && !IsReplay(reply)) StoreIdempotentReply(tx, user_id, *key, {reply.status, reply.body});
    tx.commit();
    return reply;
}

}  // namespace checkout::api

#include "api/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace checkout::api {

std::optional<int> RateLimiter::Take(long long user_id, Clock::time_point now) {
    if (rate_ <= 0) return std::nullopt;
    auto& shard = shards_[static_cast<std::size_t>(user_id) % shards_.size()];
    std::lock_guard lock(shard.mu);
    auto tokens_now = [&](const Bucket& b) {
        const double seconds = std::chrono::duration<double>(now - b.at).count();
        return std::min<double>(burst_, b.tokens + std::max(0.0, seconds) * rate_);
    };
    auto refill = [&](Bucket& b) {
        b.tokens = tokens_now(b);
        b.at = now;
    };
    if (shard.buckets.size() > kPruneAbove)
        std::erase_if(shard.buckets, [&](const auto& entry) { return tokens_now(entry.second) >= burst_; });
    auto [it, fresh] = shard.buckets.try_emplace(user_id, Bucket{static_cast<double>(burst_), now});
    Bucket& b = it->second;
    if (!fresh) refill(b);
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return std::nullopt;
    }
    return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rate_)));
}

}  // namespace checkout::api

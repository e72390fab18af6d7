#pragma once
// Each buyer's request rate (RATE_LIMIT_PER_USER per second, RATE_LIMIT_BURST above it), per API
// process: a token bucket per user, in memory. One buyer's crowd of requests is answered 429 with
// Retry-After before it reaches PostgreSQL; other buyers are not slowed by it.
#include <array>
#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace checkout::api {

class RateLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    // rate 0: every request is allowed.
    RateLimiter(int per_second, int burst) : rate_(per_second), burst_(burst) {}
    // nullopt when `user_id` may make a request at `now` (and it is counted); otherwise the whole
    // seconds until it may (at least 1).
    std::optional<int> Take(long long user_id, Clock::time_point now = Clock::now());
    bool enabled() const { return rate_ > 0; }

  private:
    struct Bucket {
        double tokens = 0;
        Clock::time_point at;
    };
    struct Shard {
        std::mutex mu;
        std::unordered_map<long long, Bucket> buckets;
    };
    // Buckets full again are dropped once a shard holds this many, so memory stays bounded by the
    // buyers active in the last burst/rate seconds.
    static constexpr std::size_t kPruneAbove = 4096;
    const int rate_;
    const int burst_;
    std::array<Shard, 16> shards_;
};

}  // namespace checkout::api

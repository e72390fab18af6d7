#pragma once
// One route's requests over the last 5 minutes, for GET /ops/kpis: counts in 10-second slots of
// log-spaced latency buckets (common/ops/log_buckets.hpp), so recording is one short lock and reading
// p50/p95/p99 over 1 or 5 minutes adds up at most 31 slots.
#include <array>
#include <chrono>
#include <mutex>
#include <optional>

#include "jobs/store/log_buckets.hpp"

namespace checkout::api {

class RouteWindow {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr int kSlotSeconds = 10;
    static constexpr int kSlots = 31;  // 5 minutes and the slot being filled

    void Record(double seconds, bool server_error, Clock::time_point now = Clock::now());

    struct Figures {
        long long requests = 0;
        long long server_errors = 0;  // 5xx
        std::optional<double> p50_ms, p95_ms, p99_ms;
    };
    // The last `window` (rounded up to whole slots), up to 5 minutes.
    Figures Over(std::chrono::seconds window, Clock::time_point now = Clock::now()) const;

  private:
    struct Slot {
        long long epoch = -1;  // which 10 s this slot holds
        long long errors = 0;
        LogBucketCounts buckets{};
    };
    mutable std::mutex mu_;
    std::array<Slot, kSlots> slots_{};
};

}  // namespace checkout::api

#include "api/route_window.hpp"

namespace checkout::api {

namespace {

long long EpochOf(RouteWindow::Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count() /
           RouteWindow::kSlotSeconds;
}

}  // namespace

void RouteWindow::Record(double seconds, bool server_error, Clock::time_point now) {
    const long long epoch = EpochOf(now);
    std::lock_guard lock(mu_);
    Slot& s = slots_[static_cast<std::size_t>(epoch % kSlots)];
    if (s.epoch != epoch) s = Slot{epoch, 0, {}};
    ++s.buckets[static_cast<std::size_t>(LogBucketOf(seconds * 1000))];
    if (server_error) ++s.errors;
}

RouteWindow::Figures RouteWindow::Over(std::chrono::seconds window, Clock::time_point now) const {
    const long long last = EpochOf(now);
    long long slots = (window.count() + kSlotSeconds - 1) / kSlotSeconds;
    if (slots >= kSlots) slots = kSlots - 1;
    LogBucketCounts sum{};
    Figures f;
    {
        std::lock_guard lock(mu_);
        for (const auto& s : slots_) {
            // The slot being filled and the `slots` before it.
            if (s.epoch < last - slots || s.epoch > last) continue;
            for (std::size_t b = 0; b < sum.size(); ++b) sum[b] += s.buckets[b];
            f.server_errors += s.errors;
        }
    }
    for (long long n : sum) f.requests += n;
    f.p50_ms = LogBucketQuantile(sum, 0.50);
    f.p95_ms = LogBucketQuantile(sum, 0.95);
    f.p99_ms = LogBucketQuantile(sum, 0.99);
    return f;
}

}  // namespace checkout::api

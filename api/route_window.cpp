#include "api/route_window.hpp"

#include <cmath>

namespace checkout::api {

namespace {

constexpr double kFirstBoundMs = 0.1;
constexpr double kGrowth = 1.25;

int BucketOf(double ms) {
    if (ms <= kFirstBoundMs) return 0;
    const int b = static_cast<int>(std::ceil(std::log(ms / kFirstBoundMs) / std::log(kGrowth)));
    return b < RouteWindow::kBuckets ? b : RouteWindow::kBuckets - 1;
}

// The geometric middle of bucket b, whose upper bound is 0.1 ms x 1.25^b.
double MiddleMs(int b) {
    const double upper = kFirstBoundMs * std::pow(kGrowth, b);
    return b == 0 ? upper : upper / std::sqrt(kGrowth);
}

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
    ++s.buckets[static_cast<std::size_t>(BucketOf(seconds * 1000))];
    if (server_error) ++s.errors;
}

RouteWindow::Figures RouteWindow::Over(std::chrono::seconds window, Clock::time_point now) const {
    const long long last = EpochOf(now);
    long long slots = (window.count() + kSlotSeconds - 1) / kSlotSeconds;
    if (slots >= kSlots) slots = kSlots - 1;
    std::array<long long, kBuckets> sum{};
    Figures f;
    {
        std::lock_guard lock(mu_);
        for (const auto& s : slots_) {
            // The slot being filled and the `slots` before it.
            if (s.epoch < last - slots || s.epoch > last) continue;
            for (int b = 0; b < kBuckets; ++b)
                sum[static_cast<std::size_t>(b)] += s.buckets[static_cast<std::size_t>(b)];
            f.server_errors += s.errors;
        }
    }
    for (long long n : sum) f.requests += n;
    if (f.requests == 0) return f;
    auto percentile = [&](double q) {
        const double rank = q * static_cast<double>(f.requests);
        long long seen = 0;
        for (int b = 0; b < kBuckets; ++b) {
            seen += sum[static_cast<std::size_t>(b)];
            if (static_cast<double>(seen) >= rank) return MiddleMs(b);
        }
        return MiddleMs(kBuckets - 1);
    };
    f.p50_ms = percentile(0.50);
    f.p95_ms = percentile(0.95);
    f.p99_ms = percentile(0.99);
    return f;
}

}  // namespace checkout::api

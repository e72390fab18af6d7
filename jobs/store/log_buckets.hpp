#pragma once
// Durations counted in log-spaced buckets (0.1 ms to about 10 minutes, each 10% wider than the
// last), so that counts from many processes and many intervals add up, and p50/p95/p99 of the sum are
// read off them: the geometric middle of the bucket holding the rank, within about 5% of the truth.
// Used by the API's per-route windows and the workers' job figures (job_stats.hpp).
#include <array>
#include <cmath>
#include <optional>

namespace checkout {

constexpr int kLogBuckets = 170;
using LogBucketCounts = std::array<long long, kLogBuckets>;

inline int LogBucketOf(double ms) {
    constexpr double kFirstBoundMs = 0.1;
    if (!(ms > kFirstBoundMs)) return 0;
    const int b = static_cast<int>(std::ceil(std::log(ms / kFirstBoundMs) / std::log(1.1)));
    return b < kLogBuckets ? b : kLogBuckets - 1;
}

// The q-quantile (0 < q <= 1) in milliseconds; nullopt when nothing was counted.
inline std::optional<double> LogBucketQuantile(const LogBucketCounts& counts, double q) {
    long long total = 0;
    for (long long n : counts) total += n;
    if (total == 0) return std::nullopt;
    const double rank = q * static_cast<double>(total);
    long long seen = 0;
    for (int b = 0; b < kLogBuckets; ++b) {
        seen += counts[static_cast<std::size_t>(b)];
        if (static_cast<double>(seen) >= rank) {
            const double upper = 0.1 * std::pow(1.1, b);
            return b == 0 ? upper : upper / std::sqrt(1.1);
        }
    }
    return 0.1 * std::pow(1.1, kLogBuckets - 1);
}

}  // namespace checkout

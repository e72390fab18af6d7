#pragma once
// The API's own request figures, recorded by the route wrapper and shown by GET /metrics.
#include <array>
#include <atomic>

#include "common/metrics.hpp"

namespace checkout::api {

struct HttpMetrics {
    HttpMetrics() : latency({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}) {
        for (auto& c : by_class) c = 0;
    }
    void Record(int status, double seconds) {
        const int cls = status / 100;
        if (cls >= 1 && cls <= 5) by_class[cls].fetch_add(1, std::memory_order_relaxed);
        latency.Observe(seconds);
    }
    std::array<std::atomic<long long>, 6> by_class;  // index = status / 100
    Histogram latency;
};

HttpMetrics& GlobalHttpMetrics();

}  // namespace checkout::api

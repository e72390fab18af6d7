#pragma once
// The API's own request figures, per route ("POST /api/v1/orders", the route as registered, so that
// ids in paths do not make new series), recorded by the route wrapper and shown by GET /metrics.
// They are this process's only: with several API processes, Prometheus scrapes each.
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/ops/kpis.hpp"
#include "api/route_window.hpp"
#include "infra/core/metrics.hpp"

namespace checkout::api {

struct RouteMetrics {
    RouteMetrics() : latency({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}) {
        for (auto& c : by_class) c = 0;
    }
    void Record(int status, double seconds) {
        const int cls = status / 100;
        if (cls >= 1 && cls <= 5) by_class[cls].fetch_add(1, std::memory_order_relaxed);
        latency.Observe(seconds);
        window.Record(seconds, cls == 5);
    }
    std::array<std::atomic<long long>, 6> by_class;  // index = status / 100
    Histogram latency;
    RouteWindow window;  // the last 5 minutes, for GET /ops/kpis
};

class HttpMetrics {
  public:
    // The figures of one route, made once when the route is registered; handlers keep the pointer.
    std::shared_ptr<RouteMetrics> Route(const std::string& name);
    // checkout_http_responses_total{route, class} and checkout_http_request_duration_seconds{route}.
    void Write(std::string& out) const;
    // {"1m": {route: {requests, per_second, server_errors, error_ratio, p50_ms, p95_ms, p99_ms}}, "5m": ...}
    // for the routes that answered in the window.
    std::string WindowsJson() const;
    // For route gates (common/ops/kpis.hpp): whether a route is registered, and its figures.
    bool Has(const std::string& route) const;
    RouteGateFigures GateFigures(const std::string& route, int window_s) const;

  private:
    mutable std::mutex mu_;
    std::map<std::string, std::shared_ptr<RouteMetrics>> routes_;
};

HttpMetrics& GlobalHttpMetrics();
// Route gates answered from this process's figures.
RouteFiguresLookup ThisProcessRoutes();

}  // namespace checkout::api

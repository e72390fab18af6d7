#include "api/http_metrics.hpp"

#include "infra/core/json.hpp"

namespace checkout::api {

HttpMetrics& GlobalHttpMetrics() {
    static HttpMetrics metrics;
    return metrics;
}

std::shared_ptr<RouteMetrics> HttpMetrics::Route(const std::string& name) {
    std::lock_guard lock(mu_);
    auto& r = routes_[name];
    if (!r) r = std::make_shared<RouteMetrics>();
    return r;
}

void HttpMetrics::Write(std::string& out) const {
    std::lock_guard lock(mu_);
    MetricHeader(out, "checkout_http_responses_total", "counter", "API responses by route and status class.");
    for (const auto& [name, r] : routes_)
        for (int c = 1; c <= 5; ++c)
            if (const auto n = r->by_class[c].load())
                MetricLine(out, "checkout_http_responses_total",
                           Label("route", name) + "," + Label("class", std::to_string(c) + "xx"),
                           static_cast<double>(n));
    MetricHeader(out, "checkout_http_request_duration_seconds", "histogram", "API request latency by route.");
    for (const auto& [name, r] : routes_)
        r->latency.Write(out, "checkout_http_request_duration_seconds", Label("route", name));
}

bool HttpMetrics::Has(const std::string& route) const {
    std::lock_guard lock(mu_);
    return routes_.count(route) > 0;
}

RouteGateFigures HttpMetrics::GateFigures(const std::string& route, int window_s) const {
    std::shared_ptr<RouteMetrics> r;
    {
        std::lock_guard lock(mu_);
        const auto it = routes_.find(route);
        if (it == routes_.end()) return {};
        r = it->second;
    }
    const auto f = r->window.Over(std::chrono::seconds(window_s));
    return {f.requests, f.server_errors, f.p99_ms};
}

RouteFiguresLookup ThisProcessRoutes() {
    return [](const std::string& route, int window_s) {
        return GlobalHttpMetrics().GateFigures(route, window_s);
    };
}

std::string HttpMetrics::WindowsJson() const {
    std::lock_guard lock(mu_);
    JsonWriter w;
    w.StartObject();
    for (const auto& [label, seconds] : {std::pair<const char*, int>{"1m", 60}, {"5m", 300}}) {
        w.Key(label).StartObject();
        for (const auto& [name, r] : routes_) {
            const auto f = r->window.Over(std::chrono::seconds(seconds));
            if (f.requests == 0) continue;
            w.Key(name).StartObject();
            w.Key("requests")
                .Int(f.requests)
                .Key("per_second")
                .w()
                .Double(static_cast<double>(f.requests) / seconds);
            w.Key("server_errors").Int(f.server_errors);
            w.Key("error_ratio")
                .w()
                .Double(static_cast<double>(f.server_errors) / static_cast<double>(f.requests));
            w.Key("p50_ms").w().Double(*f.p50_ms);
            w.Key("p95_ms").w().Double(*f.p95_ms);
            w.Key("p99_ms").w().Double(*f.p99_ms);
            w.EndObject();
        }
        w.EndObject();
    }
    w.EndObject();
    return w.str();
}

}  // namespace checkout::api

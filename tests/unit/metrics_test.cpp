// The figures operators read: per-route sliding windows (GET /ops/kpis) and the Prometheus
// exposition a process's /metrics writes.
#include "infra/core/metrics.hpp"

#include <catch2/catch.hpp>

#include "api/route_window.hpp"

using checkout::api::RouteWindow;

TEST_CASE("a route window's percentiles are within a bucket of the truth, and old slots leave it") {
    RouteWindow w;
    const auto t0 = RouteWindow::Clock::now();
    // 100 requests: 1 ms .. 100 ms.
    for (int i = 1; i <= 100; ++i) w.Record(i / 1000.0, i == 100, t0);
    auto f = w.Over(std::chrono::seconds(60), t0);
    REQUIRE(f.requests == 100);
    REQUIRE(f.server_errors == 1);
    CHECK(*f.p50_ms == Approx(50).epsilon(0.13));
    CHECK(*f.p95_ms == Approx(95).epsilon(0.13));
    CHECK(*f.p99_ms == Approx(99).epsilon(0.13));
    // Two minutes later they are out of the 1-minute window and still in the 5-minute one.
    const auto later = t0 + std::chrono::seconds(120);
    w.Record(0.5, false, later);
    auto minute = w.Over(std::chrono::seconds(60), later);
    CHECK(minute.requests == 1);
    CHECK(*minute.p99_ms == Approx(500).epsilon(0.13));
    CHECK(w.Over(std::chrono::seconds(300), later).requests == 101);
    // Six minutes on, nothing of the first burst is left (the slots went round), the later one is.
    const auto much_later = t0 + std::chrono::seconds(360);
    w.Record(0.002, false, much_later);
    CHECK(w.Over(std::chrono::seconds(300), much_later).requests == 2);
    CHECK_FALSE(w.Over(std::chrono::seconds(60), much_later + std::chrono::seconds(120)).p50_ms);
}

TEST_CASE("a registry writes each family once with its series, and label values are escaped") {
    checkout::MetricsRegistry m;
    m.Counter("jobs_total", "Jobs.", checkout::Label("type", "a\"b\\c")) += 2;
    m.Counter("jobs_total", "Jobs.", checkout::Label("type", "plain")) += 1;
    m.Gauge("in_flight", "Held.", "") = 7;
    m.Histo("wait_seconds", "Wait.", "").Observe(0.003);
    const auto text = m.Render();
    CHECK(text.find("# TYPE jobs_total counter\n") != std::string::npos);
    CHECK(text.find("jobs_total{type=\"a\\\"b\\\\c\"} 2\n") != std::string::npos);
    CHECK(text.find("jobs_total{type=\"plain\"} 1\n") != std::string::npos);
    CHECK(text.find("# TYPE in_flight gauge\nin_flight 7\n") != std::string::npos);
    CHECK(text.find("wait_seconds_bucket{le=\"0.0025\"} 0\n") != std::string::npos);
    CHECK(text.find("wait_seconds_bucket{le=\"0.005\"} 1\n") != std::string::npos);
    CHECK(text.find("wait_seconds_count 1\n") != std::string::npos);
}

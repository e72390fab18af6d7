// The release gates file (GATES_FILE): what a gate may name, and the error that stops the API at start
// when it names something wrong.
#include <catch2/catch.hpp>

#include "api/ops/kpis.hpp"
#include "infra/core/error.hpp"

using checkout::ConfigError;
using checkout::ParseGatesYaml;

namespace {
std::string ErrorOf(const std::string& yaml) {
    try {
        ParseGatesYaml(yaml, "gates.yaml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("the shipped kinds of gates parse: a queue's jobs, an API route, the outbox") {
    const auto gates = ParseGatesYaml(R"(
gates:
  settle: {queue: order_heavy, metric: latency_p99_ms, window: 1m, max: 2000}
  accept: {route: POST /api/v1/orders, metric: route_p99_ms, max: 250}
  errors: {route: POST /api/v1/orders, metric: route_error_ratio, window: 30s, max: 0.01}
  outbox: {metric: outbox_age_s, max: 30}
  renewals: {metric: renewal_failure_ratio, window: 60m, max: 0.2}
)");
    REQUIRE(gates.size() == 5);
    CHECK(gates.at("renewals").window_s == 3600);
    CHECK(gates.at("renewals").queue.empty());
    CHECK(ErrorOf("gates: {r: {metric: renewal_failure_ratio, queue: external_api, max: 1}}")
              .find("gates.r.queue") != std::string::npos);
    CHECK(gates.at("settle").queue == "order_heavy");
    CHECK(gates.at("settle").window_s == 60);
    CHECK(gates.at("accept").route == "POST /api/v1/orders");
    CHECK(gates.at("accept").queue.empty());
    CHECK(gates.at("accept").window_s == 300);
    CHECK(gates.at("errors").window_s == 30);
    CHECK(gates.at("outbox").max == 30);
    CHECK(gates.at("outbox").queue.empty());
    CHECK(gates.at("outbox").route.empty());
}

TEST_CASE("a gate that names the wrong thing is a configuration error naming the setting") {
    CHECK_THAT(ErrorOf("gates:\n  a: {metric: route_p99_ms, max: 1}\n"),
               Catch::Contains("gates.a.route") && Catch::Contains("required"));
    CHECK_THAT(ErrorOf("gates:\n  a: {metric: dead, max: 0}\n"), Catch::Contains("gates.a.queue"));
    CHECK_THAT(ErrorOf("gates:\n  a: {queue: q, route: GET /health, metric: dead, max: 0}\n"),
               Catch::Contains("gates.a.route") && Catch::Contains("does not go with dead"));
    CHECK_THAT(ErrorOf("gates:\n  a: {queue: q, metric: outbox_age_s, max: 1}\n"),
               Catch::Contains("gates.a.queue") && Catch::Contains("does not go with outbox_age_s"));
    CHECK_THAT(ErrorOf("gates:\n  a: {route: GET /health, metric: route_p99_ms, window: 10m, max: 1}\n"),
               Catch::Contains("gates.a.window") && Catch::Contains("5m"));
    CHECK_THAT(ErrorOf("gates:\n  a: {queue: q, metric: p42, max: 1}\n"),
               Catch::Contains("gates.a.metric") && Catch::Contains("outbox_age_s"));
    CHECK_THAT(ErrorOf("gates:\n  a: {queue: q, metric: dead, max: many}\n"), Catch::Contains("gates.a.max"));
    CHECK_THAT(ErrorOf("gates:\n  a: {queue: q, metric: dead, max: 0, colour: red}\n"),
               Catch::Contains("gates.a.colour"));
    CHECK_THAT(ErrorOf("gates: [1, 2]\n"), Catch::Contains("must be a map"));
}

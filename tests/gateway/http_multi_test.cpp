// Many gateway calls in flight on one thread (HttpMulti), bounded, against the sandbox.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <future>
#include <mutex>
#include <vector>

#include "infra/core/uuid.hpp"
#include "infra/http_client/curl_multi.hpp"
#include "workers/gateway/toss_client.hpp"

using namespace checkout;
using namespace std::chrono_literals;

namespace {

std::string Base() {
    const char* v = std::getenv("TOSS_API_BASE");
    if (!v) FAIL("TOSS_API_BASE is not set: run through scripts/test.sh");
    return v;
}

void Knobs(const std::string& json) {
    CurlEasy c;
    REQUIRE(
        c.Request({"POST", Base() + "/sandbox/config", {{"Content-Type", "application/json"}}, json, 2s, 5s})
            .status == 200);
}

int SandboxPeak() {
    CurlEasy c;
    auto r = c.Request({"GET", Base() + "/sandbox/stats", {}, "", 2s, 5s});
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    return d["max_in_flight"].GetInt();
}

// Confirms `n` payments through one HttpMulti; returns the HTTP statuses.
std::vector<long> ConfirmMany(int n, int max_in_flight) {
    TossClient client({Base(), std::getenv("TOSS_SECRET_KEY"), 2s, 10s}, nullptr);
    HttpMulti multi(max_in_flight);
    std::mutex mu;
    std::vector<long> statuses;
    std::promise<void> all_done;
    for (int i = 0; i < n; ++i) {
        const auto key = "pk_" + NewUuid();
        multi.Submit(client.ConfirmCall(key, "ORD-" + NewUuid(), 1000, "multi-" + key), [&](HttpResponse r) {
            std::lock_guard lock(mu);
            statuses.push_back(r.status);
            if (static_cast<int>(statuses.size()) == n) all_done.set_value();
        });
    }
    REQUIRE(all_done.get_future().wait_for(30s) == std::future_status::ready);
    CHECK(multi.peak_in_flight() <= max_in_flight);
    return statuses;
}

}  // namespace

TEST_CASE("one HttpMulti keeps many calls in flight at once, and never more than its bound") {
    CurlEasy c;
    c.Request({"POST", Base() + "/sandbox/reset", {}, "", 2s, 5s});
    Knobs(R"({"latency_ms": 400})");
    auto statuses = ConfirmMany(60, 100);
    CHECK(statuses == std::vector<long>(60, 200));
    CHECK(SandboxPeak() >= 50);  // all of them were at the gateway together, from one thread

    c.Request({"POST", Base() + "/sandbox/reset", {}, "", 2s, 5s});
    Knobs(R"({"latency_ms": 100})");
    statuses = ConfirmMany(30, 5);
    CHECK(statuses == std::vector<long>(30, 200));
    CHECK(SandboxPeak() <= 5);
    Knobs(R"({"latency_ms": 0})");
}

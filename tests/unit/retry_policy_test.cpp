#include "infra/core/retry_policy.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>
#include <thread>

#include "infra/core/reconnect_backoff.hpp"

using namespace checkout;

TEST_CASE("backoff grows geometrically up to the cap") {
    BackoffPolicy p{Millis(500), 2.0, Millis(4000), 0.0};
    CHECK(BaseDelay(p, 1) == Millis(500));
    CHECK(BaseDelay(p, 2) == Millis(1000));
    CHECK(BaseDelay(p, 3) == Millis(2000));
    CHECK(BaseDelay(p, 4) == Millis(4000));
    CHECK(BaseDelay(p, 5) == Millis(4000));
    CHECK(BaseDelay(p, 60) == Millis(4000));  // no overflow far past the cap
}

TEST_CASE("jitter stays within its bounds and spreads delays") {
    BackoffPolicy p{Millis(1000), 2.0, Millis(60000), 0.2};
    CHECK(JitteredDelay(p, 1, 0.0) == Millis(800));
    CHECK(JitteredDelay(p, 1, 1.0) == Millis(1200));
    CHECK(JitteredDelay(p, 1, 0.5) == Millis(1000));
    std::set<long long> seen;
    for (int i = 0; i < 1000; ++i) {
        auto d = NextDelay(p, 3).count();
        REQUIRE(d >= 3200);
        REQUIRE(d <= 4800);
        seen.insert(d);
    }
    CHECK(seen.size() > 100);
}

TEST_CASE("a reconnect wait ends as soon as the process is asked to stop") {
    ReconnectBackoff backoff({Millis(5000), 2.0, Millis(5000), 0.0});  // every wait 5 s
    std::atomic<bool> stop{false};
    const std::runtime_error down("connection refused");
    const auto started = std::chrono::steady_clock::now();
    std::thread signal([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        stop = true;  // what SIGTERM does
    });
    const bool go_on = backoff.WaitAfter("RabbitMQ", down, stop);
    signal.join();
    const auto waited = std::chrono::steady_clock::now() - started;
    CHECK_FALSE(go_on);
    CHECK(waited >= std::chrono::milliseconds(100));
    CHECK(waited < std::chrono::milliseconds(1000));  // not the 5 s backoff
    CHECK(backoff.failures() == 1);
    // Not stopping: the whole wait, then go on.
    std::atomic<bool> running{false};
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(SleepUnlessStopped(Millis(60), running));
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(60));
}

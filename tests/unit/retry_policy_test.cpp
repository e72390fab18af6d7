#include "infra/core/retry_policy.hpp"

#include <catch2/catch.hpp>
#include <set>

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

// One buyer's request rate (RATE_LIMIT_PER_USER / RATE_LIMIT_BURST), with a clock the test moves.
#include "api/rate_limiter.hpp"

#include <catch2/catch.hpp>

#include "domain/orders/stock_rules.hpp"

using checkout::api::RateLimiter;
using namespace std::chrono_literals;

TEST_CASE("a buyer gets the burst at once, then the rate; others are not slowed") {
    RateLimiter limiter(5, 10);
    const auto t0 = RateLimiter::Clock::time_point{} + 1h;
    for (int i = 0; i < 10; ++i) CHECK_FALSE(limiter.Take(1, t0).has_value());
    const auto wait = limiter.Take(1, t0);
    REQUIRE(wait.has_value());
    CHECK(*wait == 1);
    CHECK_FALSE(limiter.Take(2, t0).has_value());  // another buyer
    // 5 per second come back: after 1 s, 5 more, then refused again.
    for (int i = 0; i < 5; ++i) CHECK_FALSE(limiter.Take(1, t0 + 1s).has_value());
    CHECK(limiter.Take(1, t0 + 1s).has_value());
    // Never more than the burst, however long the buyer was away.
    int allowed = 0;
    while (!limiter.Take(1, t0 + 1h)) ++allowed;
    CHECK(allowed == 10);
}

TEST_CASE("a rate of 0 turns the limit off") {
    RateLimiter off(0, 1);
    for (int i = 0; i < 10000; ++i) REQUIRE_FALSE(off.Take(7).has_value());
    CHECK_FALSE(off.enabled());
}

TEST_CASE("a hundred thousand buyers each keep their own bucket") {
    RateLimiter limiter(1, 2);
    const auto t0 = RateLimiter::Clock::time_point{} + 1h;
    for (long long u = 0; u < 100000; ++u) limiter.Take(u, t0);
    // Buyer 16 spent one token at t0; still limited at once after spending its second.
    CHECK_FALSE(limiter.Take(16, t0).has_value());
    CHECK(limiter.Take(16, t0).has_value());
}

TEST_CASE("a per-buyer limit counts what the buyer holds already") {
    using checkout::FirstOverLimit;
    using checkout::OrderLine;
    const std::vector<OrderLine> order{{1, 1}, {2, 3}};
    CHECK_FALSE(FirstOverLimit(order, {}, {}).has_value());
    CHECK_FALSE(FirstOverLimit(order, {{1, 2}}, {{1, 1}}).has_value());
    CHECK(FirstOverLimit(order, {{1, 2}}, {{1, 2}}) == 1);
    CHECK(FirstOverLimit(order, {{2, 2}}, {}) == 2);
    CHECK_FALSE(FirstOverLimit(order, {{2, 3}}, {{1, 50}}).has_value());
}

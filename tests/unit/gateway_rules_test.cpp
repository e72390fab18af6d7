#include <catch2/catch.hpp>

#include "workers/gateway/circuit_breaker.hpp"
#include "workers/gateway/toss_client.hpp"

using namespace checkout;
using namespace std::chrono_literals;

TEST_CASE("gateway errors are retried by code, not by HTTP status") {
    CHECK(RetryableGatewayError(400, "PROVIDER_ERROR"));  // a retryable 400
    CHECK(RetryableGatewayError(500, "FAILED_INTERNAL_SYSTEM_PROCESSING"));
    CHECK(RetryableGatewayError(409, "IDEMPOTENT_REQUEST_PROCESSING"));
    CHECK(RetryableGatewayError(403, "FORBIDDEN_CONSECUTIVE_REQUEST"));  // a retryable 403
    CHECK(RetryableGatewayError(429, ""));
    CHECK(RetryableGatewayError(502, ""));  // an unlisted 5xx is the gateway's failure
    CHECK_FALSE(RetryableGatewayError(403, "REJECT_CARD_COMPANY"));
    CHECK_FALSE(RetryableGatewayError(400, "INVALID_REQUEST"));
    CHECK_FALSE(RetryableGatewayError(400, "ALREADY_PROCESSED_PAYMENT"));  // look up, do not retry
    CHECK_FALSE(RetryableGatewayError(400, "REFUND_REJECTED"));
    CHECK_FALSE(RetryableGatewayError(404, "NOT_FOUND_PAYMENT"));
    CHECK_FALSE(RetryableGatewayError(401, "UNAUTHORIZED_KEY"));
}

TEST_CASE("the idempotency key is stable per payment and operation") {
    CHECK(GatewayIdempotencyKey("p-1", "confirm") == GatewayIdempotencyKey("p-1", "confirm"));
    CHECK(GatewayIdempotencyKey("p-1", "confirm") != GatewayIdempotencyKey("p-1", "cancel"));
    CHECK(GatewayIdempotencyKey("p-1", "confirm") != GatewayIdempotencyKey("p-2", "confirm"));
    CHECK(GatewayIdempotencyKey(std::string(36, 'x'), "confirm").size() <= 300);
}

TEST_CASE("the circuit breaker opens after consecutive failures, then lets one probe through") {
    CircuitBreaker b(3, 1000ms);
    const auto t0 = CircuitBreaker::Clock::time_point{} + 1h;
    b.RecordFailure(t0);
    b.RecordFailure(t0);
    b.RecordSuccess();  // a success resets the count
    b.RecordFailure(t0);
    b.RecordFailure(t0);
    CHECK(b.Allow(t0));
    b.RecordFailure(t0);  // third in a row
    CHECK(b.state(t0) == CircuitBreaker::State::kOpen);
    CHECK_FALSE(b.Allow(t0 + 999ms));
    CHECK(b.Allow(t0 + 1000ms));        // half-open: one probe
    CHECK_FALSE(b.Allow(t0 + 1001ms));  // and only one
    b.RecordFailure(t0 + 1100ms);       // the probe failed: open again
    CHECK_FALSE(b.Allow(t0 + 1500ms));
    CHECK(b.Allow(t0 + 2100ms));
    b.RecordSuccess();  // the probe succeeded: closed
    CHECK(b.state(t0 + 2100ms) == CircuitBreaker::State::kClosed);
    CHECK(b.Allow(t0 + 2100ms));
}

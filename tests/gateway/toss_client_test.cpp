// The real gateway client against the sandbox (tests/sandbox/toss_sandbox.py) that scripts/test.sh
// starts: TOSS_API_BASE, TOSS_SECRET_KEY.
#include "workers/gateway/toss_client.hpp"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "infra/core/uuid.hpp"

using namespace checkout;
using namespace std::chrono_literals;

namespace {

std::string Env(const char* name) {
    const char* v = std::getenv(name);
    if (!v) FAIL(std::string(name) + " is not set: run through scripts/test.sh");
    return v;
}

// The sandbox's own knobs and read-outs (not part of the Toss API).
std::string Sandbox(const std::string& method, const std::string& path, const std::string& body = "") {
    CurlEasy c;
    auto r = c.Request(
        {method, Env("TOSS_API_BASE") + path, {{"Content-Type", "application/json"}}, body, 2s, 5s});
    REQUIRE(r.status == 200);
    return r.body;
}

int Approvals(const std::string& payment_key) {
    rapidjson::Document d;
    d.Parse(Sandbox("GET", "/sandbox/stats").c_str());
    auto& a = d["approvals"];
    return a.HasMember(payment_key.c_str()) ? a[payment_key.c_str()].GetInt() : 0;
}

TossClient Client(std::chrono::milliseconds timeout = 5s, std::shared_ptr<CircuitBreaker> breaker = nullptr) {
    return TossClient({Env("TOSS_API_BASE"), Env("TOSS_SECRET_KEY"), 2s, timeout}, std::move(breaker));
}

std::string Field(const std::string& json, const char* name) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    return d.IsObject() && d.HasMember(name) && d[name].IsString() ? d[name].GetString() : "";
}

}  // namespace

TEST_CASE("confirm approves once, and a retry with the same Idempotency-Key replays it") {
    Sandbox("POST", "/sandbox/reset");
    auto client = Client();
    const auto key = "pk_" + NewUuid(), order = "ORD-" + NewUuid();
    auto first = client.Confirm(key, order, 15000, GatewayIdempotencyKey(order, "confirm"));
    REQUIRE(first.kind == GatewayResult::Kind::kOk);
    CHECK(Field(first.body, "status") == "DONE");
    auto again = client.Confirm(key, order, 15000, GatewayIdempotencyKey(order, "confirm"));
    CHECK(again.kind == GatewayResult::Kind::kOk);
    CHECK(again.body == first.body);
    CHECK(Approvals(key) == 1);
    // Another key for the same payment is refused as already processed (final, not retried).
    auto other = client.Confirm(key, order, 15000, "another-key");
    CHECK(other.kind == GatewayResult::Kind::kRejected);
    CHECK(other.code == "ALREADY_PROCESSED_PAYMENT");
    CHECK(Approvals(key) == 1);
    auto found = client.PaymentByOrderId(order);
    CHECK(found.kind == GatewayResult::Kind::kOk);
    CHECK(Field(found.body, "paymentKey") == key);
}

TEST_CASE("errors are classified by code: rejected card final, provider error retryable, bad key rejected") {
    Sandbox("POST", "/sandbox/reset");
    auto client = Client();
    auto missing = client.PaymentByKey("pk_does_not_exist");
    CHECK(missing.kind == GatewayResult::Kind::kRejected);
    CHECK(missing.code == "NOT_FOUND_PAYMENT");
    auto wrong_key = TossClient({Env("TOSS_API_BASE"), "test_sk_wrong", 2s, 5s}, nullptr)
                         .Confirm("pk_" + NewUuid(), "ORD-" + NewUuid(), 100, "k");
    CHECK(wrong_key.kind == GatewayResult::Kind::kRejected);
    CHECK(wrong_key.status == 401);
    CHECK(wrong_key.code == "UNAUTHORIZED_KEY");
    Sandbox("POST", "/sandbox/config", R"({"fail_next": 1})");
    auto failed = client.Confirm("pk_" + NewUuid(), "ORD-" + NewUuid(), 100, "");
    CHECK(failed.kind == GatewayResult::Kind::kRetryable);
    CHECK(failed.code == "FAILED_INTERNAL_SYSTEM_PROCESSING");
}

TEST_CASE("a timeout is in doubt, and the lookup by orderId finds the approval it hid") {
    Sandbox("POST", "/sandbox/reset");
    Sandbox("POST", "/sandbox/config", R"({"hang_ms": 1500})");
    auto client = Client(300ms);
    const auto key = "pk_" + NewUuid(), order = "ORD-" + NewUuid();
    auto r = client.Confirm(key, order, 5000, GatewayIdempotencyKey(order, "confirm"));
    CHECK(r.kind == GatewayResult::Kind::kInDoubt);
    CHECK(r.code == "TIMEOUT");
    Sandbox("POST", "/sandbox/config", R"({"hang_ms": 0})");
    auto found = Client().PaymentByOrderId(order);
    REQUIRE(found.kind == GatewayResult::Kind::kOk);
    CHECK(Field(found.body, "status") == "DONE");
    CHECK(Approvals(key) == 1);
}

TEST_CASE("the circuit breaker stops calls after consecutive gateway failures") {
    Sandbox("POST", "/sandbox/reset");
    Sandbox("POST", "/sandbox/config", R"({"fail_next": 10})");
    auto breaker = std::make_shared<CircuitBreaker>(3, 60s);
    auto client = Client(5s, breaker);
    for (int i = 0; i < 3; ++i)
        CHECK(client.Confirm("pk_" + NewUuid(), "ORD-" + NewUuid(), 100, "").kind ==
              GatewayResult::Kind::kRetryable);
    auto blocked = client.Confirm("pk_" + NewUuid(), "ORD-" + NewUuid(), 100, "");
    CHECK(blocked.kind == GatewayResult::Kind::kCircuitOpen);
    rapidjson::Document d;
    d.Parse(Sandbox("POST", "/sandbox/config", "{}").c_str());
    CHECK(d["fail_next"].GetInt() == 7);  // the fourth call never reached the gateway
}

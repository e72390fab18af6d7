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

namespace {

// A billing key for `customer_key`, issued by the sandbox from a fresh authKey.
std::string IssueBillingKey(TossClient& client, const std::string& customer_key) {
    auto issued = client.Perform(client.IssueBillingKeyCall("auth_" + NewUuid(), customer_key, ""));
    REQUIRE(issued.kind == GatewayResult::Kind::kOk);
    const auto key = Field(issued.body, "billingKey");
    REQUIRE(!key.empty());
    return key;
}

int BillingApprovals(const char* by, const std::string& id) {
    rapidjson::Document d;
    d.Parse(Sandbox("GET", "/sandbox/stats").c_str());
    auto& a = d[by];
    return a.HasMember(id.c_str()) ? a[id.c_str()].GetInt() : 0;
}

}  // namespace

TEST_CASE("a billing charge approves once per orderId: a replay under its key, a second try refused") {
    Sandbox("POST", "/sandbox/reset");
    auto client = Client();
    const auto customer = "ck_" + NewUuid(), order = "SUB-" + NewUuid() + "-0-P";
    const auto key = IssueBillingKey(client, customer);
    auto charge = [&](const std::string& idem, const std::string& who = "") {
        return client.Perform(client.BillingChargeCall(key, who.empty() ? customer : who, 9900, order,
                                                       "Basic plan", idem, 60s));
    };
    auto first = charge(GatewayIdempotencyKey(order, "charge"));
    REQUIRE(first.kind == GatewayResult::Kind::kOk);
    CHECK(Field(first.body, "status") == "DONE");
    CHECK(Field(first.body, "type") == "BILLING");
    CHECK(charge(GatewayIdempotencyKey(order, "charge")).body == first.body);  // replayed, not charged again
    auto second = charge("another-key");
    CHECK(second.kind == GatewayResult::Kind::kRejected);
    CHECK(second.code == "DUPLICATED_ORDER_ID");
    CHECK(BillingApprovals("billing_by_order", order) == 1);
    CHECK(BillingApprovals("billing_by_customer", customer) == 1);
    // The key belongs to its customerKey only.
    auto stranger = client.Perform(client.BillingChargeCall(
        key, "ck_someone_else", 9900, "SUB-" + NewUuid() + "-0-P", "Basic plan", "", 60s));
    CHECK(stranger.kind == GatewayResult::Kind::kRejected);
    CHECK(stranger.code == "NOT_MATCHES_CUSTOMER_KEY");
}

TEST_CASE("a declined billing charge names its code; a deleted key charges nothing") {
    Sandbox("POST", "/sandbox/reset");
    auto client = Client();
    const auto customer = "ck_" + NewUuid();
    const auto key = IssueBillingKey(client, customer);
    Sandbox("POST", "/sandbox/config",
            R"({"billing_declines": {")" + customer + R"(": "REJECT_CARD_PAYMENT"}})");
    auto declined = client.Perform(
        client.BillingChargeCall(key, customer, 9900, "SUB-" + NewUuid() + "-0-P", "Basic plan", "", 60s));
    CHECK(declined.kind == GatewayResult::Kind::kRejected);
    CHECK(declined.status == 403);
    CHECK(declined.code == "REJECT_CARD_PAYMENT");
    Sandbox("POST", "/sandbox/config", R"({"billing_declines": {}})");
    auto deleted = client.Perform(client.DeleteBillingKeyCall(key));
    CHECK(deleted.status == 200);
    auto after = client.Perform(
        client.BillingChargeCall(key, customer, 9900, "SUB-" + NewUuid() + "-0-P", "Basic plan", "", 60s));
    CHECK(after.kind == GatewayResult::Kind::kRejected);
    CHECK(after.code == "NOT_FOUND_BILLING");
    CHECK(client.Perform(client.DeleteBillingKeyCall(key)).code == "ALREADY_REMOVED_BILLING_KEY");
    CHECK(BillingApprovals("billing_by_customer", customer) == 0);
}

TEST_CASE("a billing charge that times out is in doubt, and the lookup by orderId finds its approval") {
    Sandbox("POST", "/sandbox/reset");
    auto client = Client();
    const auto customer = "ck_" + NewUuid(), order = "SUB-" + NewUuid() + "-3-P";
    const auto key = IssueBillingKey(client, customer);
    Sandbox("POST", "/sandbox/config", R"({"billing_hang_ms": 1500})");
    auto r = client.Perform(client.BillingChargeCall(key, customer, 9900, order, "Basic plan",
                                                     GatewayIdempotencyKey(order, "charge"), 300ms));
    CHECK(r.kind == GatewayResult::Kind::kInDoubt);
    Sandbox("POST", "/sandbox/config", R"({"billing_hang_ms": 0})");
    auto found = client.PaymentByOrderId(order);
    REQUIRE(found.kind == GatewayResult::Kind::kOk);
    CHECK(Field(found.body, "status") == "DONE");
    CHECK(BillingApprovals("billing_by_order", order) == 1);
}

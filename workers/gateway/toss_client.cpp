#include "workers/gateway/toss_client.hpp"

#include <rapidjson/document.h>

#include <cctype>
#include <cstdio>

#include "infra/core/base64.hpp"
#include "infra/core/json.hpp"

namespace checkout {

namespace {

std::string UrlPathSegment(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            out.push_back(static_cast<char>(c));
        else {
            char buf[4];
            std::snprintf(buf, sizeof(buf), "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

}  // namespace

TossClient::TossClient(TossClientOptions options, std::shared_ptr<CircuitBreaker> breaker)
    : options_(std::move(options)),
      authorization_("Basic " + Base64Encode(options_.secret_key + ":")),
      breaker_(std::move(breaker)) {}

HttpCall TossClient::Build(const std::string& method, const std::string& path, const std::string& body,
                           const std::string& idempotency_key) const {
    HttpCall call{method, options_.base_url + path, {{"Authorization", authorization_}},
                  body,   options_.connect_timeout, options_.timeout};
    if (method == "POST") call.headers.emplace_back("Content-Type", "application/json");
    if (!idempotency_key.empty()) call.headers.emplace_back("Idempotency-Key", idempotency_key);
    return call;
}

bool TossClient::Allow() { return !breaker_ || breaker_->Allow(CircuitBreaker::Clock::now()); }

GatewayResult TossClient::Perform(const HttpCall& call) {
    if (!Allow()) {
        GatewayResult out;
        out.kind = GatewayResult::Kind::kCircuitOpen;
        out.code = "CIRCUIT_OPEN";
        return out;
    }
    return Classify(curl_.Request(call));
}

GatewayResult TossClient::Classify(const HttpResponse& r) {
    GatewayResult out;
    out.status = r.status;
    out.body = r.body;
    if (r.status == 0) {
        // No answer. A timeout after the request was sent may hide an approval: in doubt, never
        // simply retried by the caller without first looking the payment up.
        out.kind = GatewayResult::Kind::kInDoubt;
        out.code = r.timed_out ? "TIMEOUT" : "NETWORK_ERROR";
        out.message = r.transport_error;
        if (breaker_) breaker_->RecordFailure(CircuitBreaker::Clock::now());
        return out;
    }
    if (r.status >= 200 && r.status < 300) {
        out.kind = GatewayResult::Kind::kOk;
        if (breaker_) breaker_->RecordSuccess();
        return out;
    }
    rapidjson::Document d;
    ParseBoundedJson(d, out.body);
    if (d.IsObject() && d.HasMember("code") && d["code"].IsString()) out.code = d["code"].GetString();
    if (d.IsObject() && d.HasMember("message") && d["message"].IsString())
        out.message = d["message"].GetString();
    out.kind = RetryableGatewayError(r.status, out.code) ? GatewayResult::Kind::kRetryable
                                                         : GatewayResult::Kind::kRejected;
    // Only the gateway's own failures count against it; a rejected card is the gateway working.
    if (breaker_) {
        if (out.kind == GatewayResult::Kind::kRetryable)
            breaker_->RecordFailure(CircuitBreaker::Clock::now());
        else
            breaker_->RecordSuccess();
    }
    return out;
}

HttpCall TossClient::IssueBillingKeyCall(const std::string& auth_key, const std::string& customer_key,
                                         const std::string& idempotency_key) const {
    JsonWriter w;
    w.StartObject().Key("authKey").String(auth_key).Key("customerKey").String(customer_key).EndObject();
    return Build("POST", "/v1/billing/authorizations/issue", w.str(), idempotency_key);
}

HttpCall TossClient::BillingChargeCall(const std::string& billing_key, const std::string& customer_key,
                                       long long amount, const std::string& order_id,
                                       const std::string& order_name, const std::string& idempotency_key,
                                       std::chrono::milliseconds timeout) const {
    JsonWriter w;
    w.StartObject().Key("customerKey").String(customer_key).Key("amount").Int(amount);
    w.Key("orderId").String(order_id).Key("orderName").String(order_name).EndObject();
    auto call = Build("POST", "/v1/billing/" + UrlPathSegment(billing_key), w.str(), idempotency_key);
    call.timeout = timeout;
    return call;
}

HttpCall TossClient::DeleteBillingKeyCall(const std::string& billing_key) const {
    return Build("DELETE", "/v1/billing/" + UrlPathSegment(billing_key), "", "");
}

HttpCall TossClient::ConfirmCall(const std::string& payment_key, const std::string& order_id,
                                 long long amount, const std::string& idempotency_key) const {
    JsonWriter w;
    w.StartObject()
        .Key("paymentKey")
        .String(payment_key)
        .Key("orderId")
        .String(order_id)
        .Key("amount")
        .Int(amount)
        .EndObject();
    return Build("POST", "/v1/payments/confirm", w.str(), idempotency_key);
}

HttpCall TossClient::PaymentByOrderIdCall(const std::string& order_id) const {
    return Build("GET", "/v1/payments/orders/" + UrlPathSegment(order_id), "", "");
}

HttpCall TossClient::PaymentByKeyCall(const std::string& payment_key) const {
    return Build("GET", "/v1/payments/" + UrlPathSegment(payment_key), "", "");
}

HttpCall TossClient::CancelCall(const std::string& payment_key, const std::string& reason,
                                const std::string& idempotency_key, long long cancel_amount) const {
    JsonWriter w;
    w.StartObject().Key("cancelReason").String(reason);
    if (cancel_amount > 0) w.Key("cancelAmount").Int(cancel_amount);
    w.EndObject();
    return Build("POST", "/v1/payments/" + UrlPathSegment(payment_key) + "/cancel", w.str(), idempotency_key);
}

}  // namespace checkout

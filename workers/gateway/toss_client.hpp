#pragma once
// The Toss Payments v1 client (../shared/reference/TOSS_API.md) on libcurl. Every call is classified
// once, by the error `code` rather than the HTTP status (PROVIDER_ERROR is a retryable 400;
// REJECT_CARD_COMPANY is a final 403), into the outcomes a job handler acts on.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "domain/payments/gateway_answer.hpp"
#include "infra/http_client/curl_easy.hpp"
#include "workers/gateway/circuit_breaker.hpp"

namespace checkout {

struct TossClientOptions {
    std::string base_url;    // TOSS_API_BASE, e.g. https://api.tosspayments.com
    std::string secret_key;  // TOSS_SECRET_KEY
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds timeout{10000};
};

// Builds the gateway's requests and classifies its answers; the transport is the caller's choice:
// Perform (blocking, on this client's own connection) or HttpMulti (many calls on one thread).
// Building and classifying are thread-safe; Perform is not (one client per thread).
class TossClient {
  public:
    TossClient(TossClientOptions options, std::shared_ptr<CircuitBreaker> breaker);

    HttpCall ConfirmCall(const std::string& payment_key, const std::string& order_id, long long amount,
                         const std::string& idempotency_key) const;
    HttpCall PaymentByOrderIdCall(const std::string& order_id) const;
    HttpCall PaymentByKeyCall(const std::string& payment_key) const;
    // A full cancel, or with `cancel_amount` > 0 a partial one (TOSS_API.md 4: cancelAmount).
    HttpCall CancelCall(const std::string& payment_key, const std::string& reason,
                        const std::string& idempotency_key, long long cancel_amount = 0) const;
    // POST /v1/billing/authorizations/issue: the widget's authKey for a billing key (TOSS_API.md 5.1).
    HttpCall IssueBillingKeyCall(const std::string& auth_key, const std::string& customer_key,
                                 const std::string& idempotency_key) const;
    // POST /v1/billing/{billingKey} (TOSS_API.md 5.2): a charge "can take up to 60 s", so it waits
    // `timeout` (at least that) rather than the client's usual one.
    HttpCall BillingChargeCall(const std::string& billing_key, const std::string& customer_key,
                               long long amount, const std::string& order_id, const std::string& order_name,
                               const std::string& idempotency_key, std::chrono::milliseconds timeout) const;
    // DELETE /v1/billing/{billingKey} (TOSS_API.md 5.3).
    HttpCall DeleteBillingKeyCall(const std::string& billing_key) const;

    // False while the breaker is open: do not send (the call counts as kCircuitOpen).
    bool Allow();
    // Classifies an answer (or its absence) and feeds the breaker.
    GatewayResult Classify(const HttpResponse& r);
    // Allow, send, Classify.
    GatewayResult Perform(const HttpCall& call);

    GatewayResult Confirm(const std::string& payment_key, const std::string& order_id, long long amount,
                          const std::string& idempotency_key) {
        return Perform(ConfirmCall(payment_key, order_id, amount, idempotency_key));
    }
    GatewayResult PaymentByOrderId(const std::string& order_id) {
        return Perform(PaymentByOrderIdCall(order_id));
    }
    GatewayResult PaymentByKey(const std::string& payment_key) {
        return Perform(PaymentByKeyCall(payment_key));
    }
    GatewayResult Cancel(const std::string& payment_key, const std::string& reason,
                         const std::string& idempotency_key) {
        return Perform(CancelCall(payment_key, reason, idempotency_key));
    }

    CircuitBreaker* breaker() const { return breaker_.get(); }

  private:
    HttpCall Build(const std::string& method, const std::string& path, const std::string& body,
                   const std::string& idempotency_key) const;

    TossClientOptions options_;
    std::string authorization_;
    std::shared_ptr<CircuitBreaker> breaker_;
    CurlEasy curl_;
};

}  // namespace checkout

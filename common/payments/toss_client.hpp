#pragma once
// The Toss Payments v1 client (../shared/reference/TOSS_API.md) on libcurl. Every call is classified
// once, by the error `code` rather than the HTTP status (PROVIDER_ERROR is a retryable 400;
// REJECT_CARD_COMPANY is a final 403), into the outcomes a job handler acts on.
#include <chrono>
#include <memory>
#include <string>

#include "common/curl_easy.hpp"
#include "common/payments/circuit_breaker.hpp"

namespace checkout {

struct GatewayResult {
    enum class Kind {
        kOk,           // 2xx: `body` is the Payment object
        kRejected,     // a final answer (card rejected, bad request, not found, ...): do not retry
        kRetryable,    // the gateway says try again (5xx, 429, PROVIDER_ERROR, IDEMPOTENT_REQUEST_PROCESSING, ...)
        kInDoubt,      // no answer (timeout, connection lost after sending): look the payment up before anything else
        kCircuitOpen,  // not sent: the gateway failed too often just now
    };
    Kind kind = Kind::kInDoubt;
    long status = 0;
    std::string code;     // the gateway's error code, or a transport description
    std::string message;  // the gateway's message
    std::string body;
};

std::string_view KindName(GatewayResult::Kind k);

// Whether an error answer may be retried, by code (then by status for codes not listed).
bool RetryableGatewayError(long status, const std::string& code);

// Idempotency-Key for one operation on one payment: the same key on every retry of that operation,
// so the gateway replays instead of charging twice (<= 300 characters).
std::string GatewayIdempotencyKey(const std::string& payment_id, const std::string& operation);

struct TossClientOptions {
    std::string base_url;    // TOSS_API_BASE, e.g. https://api.tosspayments.com
    std::string secret_key;  // TOSS_SECRET_KEY
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds timeout{10000};
};

class TossClient {
public:
    TossClient(TossClientOptions options, std::shared_ptr<CircuitBreaker> breaker);

    GatewayResult Confirm(const std::string& payment_key, const std::string& order_id, long long amount,
                          const std::string& idempotency_key);
    GatewayResult PaymentByOrderId(const std::string& order_id);
    GatewayResult PaymentByKey(const std::string& payment_key);
    GatewayResult Cancel(const std::string& payment_key, const std::string& reason, const std::string& idempotency_key);

private:
    GatewayResult Call(const std::string& method, const std::string& path, const std::string& body,
                       const std::string& idempotency_key);

    TossClientOptions options_;
    std::string authorization_;
    std::shared_ptr<CircuitBreaker> breaker_;
    CurlEasy curl_;
};

}  // namespace checkout

#pragma once
// The payment gateway's answers as the shop's rules read them (../shared/reference/TOSS_API.md), with
// no transport: the Payment object, how an error answer is classified, and the Idempotency-Key of an
// operation. The client that sends the calls is workers/gateway/toss_client.
#include <optional>
#include <string>
#include <string_view>

namespace checkout {

struct GatewayResult {
    enum class Kind {
        kOk,         // 2xx: `body` is the Payment object
        kRejected,   // a final answer (card rejected, bad request, not found, ...): do not retry
        kRetryable,  // the gateway says try again (5xx, 429, PROVIDER_ERROR, IDEMPOTENT_REQUEST_PROCESSING,
                     // ...)
        kInDoubt,  // no answer (timeout, connection lost after sending): look the payment up before anything
                   // else
        kCircuitOpen,  // not sent: the gateway failed too often just now
    };
    Kind kind = Kind::kInDoubt;
    long status = 0;
    std::string code;     // the gateway's error code, or a transport description
    std::string message;  // the gateway's message
    std::string body;
};

std::string_view KindName(GatewayResult::Kind k);

// The fields of the gateway's Payment object that we act on (unknown fields are ignored).
struct TossPayment {
    std::string payment_key, order_id, status, method, approved_at, secret;
    long long total_amount = 0;
    std::string failure_code, failure_message;  // `failure`, set on ABORTED/EXPIRED payments
};
// nullopt when `json` is not a Payment object.
std::optional<TossPayment> ParseTossPayment(const std::string& json);

// Whether an error answer may be retried, by code (then by status for codes not listed).
bool RetryableGatewayError(long status, const std::string& code);

// The one mapping of a gateway answer that leaves the operation undecided to the job's next attempt:
// no answer (in doubt) throws kGatewayTimeout, so that the next attempt looks the payment up before
// sending anything again; the gateway's "try again" (5xx, 429, PROVIDER_ERROR, ...) and an open
// circuit throw kGatewayRetryable. The job runtime retries both with the queue's backoff.
[[noreturn]] void RetryLater(const GatewayResult& r);
// Not sent: the circuit breaker is open (the gateway failed too often just now).
[[noreturn]] void RetryLaterCircuitOpen();

// Idempotency-Key for one operation on one payment: the same key on every retry of that operation,
// so the gateway replays instead of charging twice (<= 300 characters).
std::string GatewayIdempotencyKey(const std::string& payment_id, const std::string& operation);

}  // namespace checkout

#pragma once
// One error type for the whole product. Its code is stable (clients and operators match on it);
// it is mapped once to an HTTP status (HttpStatus) and once to a job disposition (JobDisposition).
// The public message goes to clients; the internal detail only to the logs.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace checkout {

enum class ErrorCode {
    // Client mistakes: never retried, never 5xx.
    kInvalidJson,
    kValidationFailed,
    kUnauthorized,
    kForbidden,
    kNotFound,
    kRouteNotFound,
    kMethodNotAllowed,
    kPayloadTooLarge,
    kUnsupportedMediaType,  // a body that is not sent as application/json
    kUnknownProduct,
    kIdempotencyKeyReused,
    kIdempotencyInFlight,
    kConflict,
    kAmountMismatch,   // the amount posted to confirm differs from the order's
    kOrderNotPayable,  // the order is not `confirmed` (pending, failed, paid, expired, canceled)
    kPaymentConflict,  // another payment of the order is in progress or done; or a cancel of a payment not
                       // done
    kWebhookRejected,  // a webhook whose secret does not match the payment's
    kIdempotencyKeyRequired,  // a POST that moves money without an Idempotency-Key
    kCouponSoldOut,           // every unit of the coupon is issued
    kCouponAlreadyIssued,     // the caller holds this coupon already
    kCouponNotActive,         // before valid_from or after valid_until
    kCouponUnavailable,       // an order names a coupon the caller does not hold unused, or one not valid now
    kCartEmpty,               // an order without items, from an empty cart
    kInsufficientPoints,      // use_points above the caller's balance
    kInsufficientBalance,     // a stored-balance payment above the balance
    kTopUpSpent,              // a top-up's refund while the balance no longer holds its credit
    kSubscriptionExists,      // a second live subscription for one buyer
    kBillingCardRequired,     // subscribing (or charging) without a card registered for billing
    kSubscriptionNotLive,     // a change to a subscription that has ended (or never started)
    kChargeInFlight,          // a change while the subscription's charge is at the gateway: try again soon
    // Business outcomes of jobs.
    kInsufficientStock,
    kGatewayRejected,   // the gateway gave a final answer (card rejected, ...): never retried
    kGatewayRetryable,  // the gateway said try again (5xx, PROVIDER_ERROR, 409 in flight, breaker open)
    kGatewayTimeout,    // no answer: retried, and the retry first looks the payment up
    // Infrastructure.
    kUnavailable,            // a dependency is down or saturated: retry later
    kTransient,              // a job-level temporary failure: retry with backoff
    kInDoubt,                // we cannot know whether an effect happened: never blindly retried
    kTimeLimit,              // handler ran past its queue's time limit: retryable
    kRateLimited,            // one buyer's requests above RATE_LIMIT_PER_USER
    kPurchaseLimitExceeded,  // an order above a product's limit_per_user (an order's failure reason)
    kInternal,
};

enum class JobDisposition { kRetry, kFinal, kInDoubt };

std::string_view CodeName(ErrorCode code);
int HttpStatus(ErrorCode code);
JobDisposition Disposition(ErrorCode code);

struct FieldError {
    std::string field;
    std::string problem;
};

class AppError : public std::runtime_error {
  public:
    // `public_message` is shown to clients; `internal_detail` is only logged.
    AppError(ErrorCode code, std::string public_message, std::string internal_detail = {});
    AppError(ErrorCode code, std::string public_message, std::vector<FieldError> fields);

    ErrorCode code() const { return code_; }
    const std::string& public_message() const { return public_message_; }
    const std::string& internal_detail() const { return internal_detail_; }
    const std::vector<FieldError>& fields() const { return fields_; }
    // Response headers that go with the problem (e.g. Retry-After of a 429).
    const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
    AppError&& WithHeader(std::string name, std::string value) && {
        headers_.emplace_back(std::move(name), std::move(value));
        return std::move(*this);
    }

  private:
    ErrorCode code_;
    std::string public_message_;
    std::string internal_detail_;
    std::vector<FieldError> fields_;
    std::vector<std::pair<std::string, std::string>> headers_;
};

// Configuration errors stop the program at start; `setting` names the offending key or variable.
class ConfigError : public std::runtime_error {
  public:
    ConfigError(std::string setting, const std::string& problem)
        : std::runtime_error(setting + ": " + problem), setting_(std::move(setting)) {}
    const std::string& setting() const { return setting_; }

  private:
    std::string setting_;
};

}  // namespace checkout

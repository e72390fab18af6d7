#include "infra/core/error.hpp"

namespace checkout {

namespace {
struct Row {
    std::string_view name;
    int status;
    JobDisposition disposition;
};

Row Describe(ErrorCode code) {
    using D = JobDisposition;
    // One row per code: its name, its HTTP status, and whether a job that throws it is tried again.
    // clang-format off
    switch (code) {
        case ErrorCode::kInvalidJson:            return {"INVALID_JSON", 400, D::kFinal};
        case ErrorCode::kValidationFailed:       return {"VALIDATION_FAILED", 422, D::kFinal};
        case ErrorCode::kUnauthorized:           return {"UNAUTHORIZED", 401, D::kFinal};
        case ErrorCode::kForbidden:              return {"FORBIDDEN", 403, D::kFinal};
        case ErrorCode::kNotFound:               return {"NOT_FOUND", 404, D::kFinal};
        case ErrorCode::kRouteNotFound:          return {"ROUTE_NOT_FOUND", 404, D::kFinal};
        case ErrorCode::kMethodNotAllowed:       return {"METHOD_NOT_ALLOWED", 405, D::kFinal};
        case ErrorCode::kPayloadTooLarge:        return {"PAYLOAD_TOO_LARGE", 413, D::kFinal};
        case ErrorCode::kUnsupportedMediaType:   return {"UNSUPPORTED_MEDIA_TYPE", 415, D::kFinal};
        case ErrorCode::kUnknownProduct:         return {"UNKNOWN_PRODUCT", 422, D::kFinal};
        case ErrorCode::kIdempotencyKeyReused:   return {"IDEMPOTENCY_KEY_REUSED", 422, D::kFinal};
        case ErrorCode::kIdempotencyInFlight:    return {"IDEMPOTENCY_IN_FLIGHT", 409, D::kRetry};
        case ErrorCode::kConflict:               return {"CONFLICT", 409, D::kFinal};
        case ErrorCode::kAmountMismatch:         return {"AMOUNT_MISMATCH", 422, D::kFinal};
        case ErrorCode::kOrderNotPayable:        return {"ORDER_NOT_PAYABLE", 409, D::kFinal};
        case ErrorCode::kPaymentConflict:        return {"PAYMENT_CONFLICT", 409, D::kFinal};
        case ErrorCode::kWebhookRejected:        return {"WEBHOOK_REJECTED", 401, D::kFinal};
        case ErrorCode::kIdempotencyKeyRequired: return {"IDEMPOTENCY_KEY_REQUIRED", 422, D::kFinal};
        case ErrorCode::kCouponSoldOut:          return {"COUPON_SOLD_OUT", 409, D::kFinal};
        case ErrorCode::kCouponAlreadyIssued:    return {"COUPON_ALREADY_ISSUED", 409, D::kFinal};
        case ErrorCode::kCouponNotActive:        return {"COUPON_NOT_ACTIVE", 409, D::kFinal};
        case ErrorCode::kCouponUnavailable:      return {"COUPON_UNAVAILABLE", 422, D::kFinal};
        case ErrorCode::kCartEmpty:              return {"CART_EMPTY", 422, D::kFinal};
        case ErrorCode::kInsufficientPoints:     return {"INSUFFICIENT_POINTS", 422, D::kFinal};
        case ErrorCode::kTopUpSpent:             return {"TOPUP_SPENT", 409, D::kFinal};
        case ErrorCode::kSubscriptionExists:     return {"SUBSCRIPTION_EXISTS", 409, D::kFinal};
        case ErrorCode::kBillingCardRequired:    return {"BILLING_CARD_REQUIRED", 409, D::kFinal};
        case ErrorCode::kSubscriptionNotLive:    return {"SUBSCRIPTION_NOT_LIVE", 409, D::kFinal};
        case ErrorCode::kChargeInFlight:         return {"CHARGE_IN_FLIGHT", 409, D::kRetry};
        case ErrorCode::kInsufficientBalance:    return {"INSUFFICIENT_BALANCE", 409, D::kFinal};
        case ErrorCode::kInsufficientStock:      return {"INSUFFICIENT_STOCK", 409, D::kFinal};
        case ErrorCode::kGatewayRejected:        return {"GATEWAY_REJECTED", 502, D::kFinal};
        case ErrorCode::kGatewayRetryable:       return {"GATEWAY_UNAVAILABLE", 503, D::kRetry};
        case ErrorCode::kGatewayTimeout:         return {"GATEWAY_TIMEOUT", 504, D::kRetry};
        case ErrorCode::kUnavailable:            return {"SERVICE_UNAVAILABLE", 503, D::kRetry};
        case ErrorCode::kTransient:              return {"TRANSIENT", 503, D::kRetry};
        case ErrorCode::kInDoubt:                return {"IN_DOUBT", 503, D::kInDoubt};
        case ErrorCode::kTimeLimit:              return {"TIME_LIMIT_EXCEEDED", 503, D::kRetry};
        case ErrorCode::kRateLimited:            return {"RATE_LIMITED", 429, D::kRetry};
        case ErrorCode::kPurchaseLimitExceeded:  return {"PURCHASE_LIMIT_EXCEEDED", 409, D::kFinal};
        case ErrorCode::kInternal:               return {"INTERNAL", 500, D::kRetry};
    }
    // clang-format on
    return {"INTERNAL", 500, D::kRetry};
}
}  // namespace

std::string_view CodeName(ErrorCode code) { return Describe(code).name; }
int HttpStatus(ErrorCode code) { return Describe(code).status; }
JobDisposition Disposition(ErrorCode code) { return Describe(code).disposition; }

AppError::AppError(ErrorCode code, std::string public_message, std::string internal_detail)
    : std::runtime_error(std::string(CodeName(code)) + ": " +
                         (internal_detail.empty() ? public_message : internal_detail)),
      code_(code),
      public_message_(std::move(public_message)),
      internal_detail_(std::move(internal_detail)) {}

AppError::AppError(ErrorCode code, std::string public_message, std::vector<FieldError> fields)
    : std::runtime_error(std::string(CodeName(code)) + ": " + public_message),
      code_(code),
      public_message_(std::move(public_message)),
      fields_(std::move(fields)) {}

}  // namespace checkout

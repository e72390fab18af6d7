#include "domain/payments/gateway_answer.hpp"

#include <rapidjson/document.h>

#include <set>

#include "infra/core/error.hpp"
#include "infra/core/json.hpp"

namespace checkout {

std::string_view KindName(GatewayResult::Kind k) {
    switch (k) {
        case GatewayResult::Kind::kOk:
            return "ok";
        case GatewayResult::Kind::kRejected:
            return "rejected";
        case GatewayResult::Kind::kRetryable:
            return "retryable";
        case GatewayResult::Kind::kInDoubt:
            return "in_doubt";
        case GatewayResult::Kind::kCircuitOpen:
            return "circuit_open";
    }
    return "in_doubt";
}

std::optional<TossPayment> ParseTossPayment(const std::string& json) {
    rapidjson::Document d;
    if (!ParseBoundedJson(d, json) || !d.IsObject()) return std::nullopt;
    auto str = [&](const rapidjson::Value& obj, const char* key) -> std::string {
        auto it = obj.FindMember(key);
        return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
    };
    TossPayment p;
    p.payment_key = str(d, "paymentKey");
    p.order_id = str(d, "orderId");
    p.status = str(d, "status");
    if (p.payment_key.empty() || p.status.empty()) return std::nullopt;
    p.method = str(d, "method");
    p.approved_at = str(d, "approvedAt");
    p.secret = str(d, "secret");
    if (auto it = d.FindMember("totalAmount"); it != d.MemberEnd() && it->value.IsInt64())
        p.total_amount = it->value.GetInt64();
    if (auto it = d.FindMember("failure"); it != d.MemberEnd() && it->value.IsObject()) {
        p.failure_code = str(it->value, "code");
        p.failure_message = str(it->value, "message");
    }
    return p;
}

bool RetryableGatewayError(long status, const std::string& code) {
    // From the documented wording ("잠시 후 다시 시도해주세요" / "try again"), TOSS_API.md 6.4.
    static const std::set<std::string> kRetryable = {"PROVIDER_ERROR",
                                                     "FAILED_INTERNAL_SYSTEM_PROCESSING",
                                                     "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING",
                                                     "COMMON_ERROR",
                                                     "UNKNOWN_ERROR",
                                                     "FAILED_BILL_KEY_AUTH_CREATION",
                                                     "FAILED_CARD_COMPANY_RESPONSE",
                                                     "FAILED_DB_PROCESSING",
                                                     "UNKNOWN_PAYMENT_ERROR",
                                                     "FORBIDDEN_CONSECUTIVE_REQUEST",
                                                     "IDEMPOTENT_REQUEST_PROCESSING",
                                                     "FAILED_REFUND_PROCESS",
                                                     "FAILED_METHOD_HANDLING_CANCEL"};
    if (kRetryable.count(code)) return true;
    if (status == 429) return true;
    // An unlisted code on a 5xx is still the gateway's own failure; an unlisted 4xx is the request's.
    return status >= 500;
}

void RetryLater(const GatewayResult& r) {
    if (r.kind == GatewayResult::Kind::kInDoubt)
        throw AppError(ErrorCode::kGatewayTimeout, "The gateway did not answer.", r.code + ": " + r.message);
    if (r.kind == GatewayResult::Kind::kCircuitOpen) RetryLaterCircuitOpen();
    throw AppError(ErrorCode::kGatewayRetryable, "The gateway asked us to try again.",
                   r.code + " (HTTP " + std::to_string(r.status) + "): " + r.message);
}

void RetryLaterCircuitOpen() {
    throw AppError(ErrorCode::kGatewayRetryable, "The gateway is failing; calls are paused.", "circuit open");
}

std::string GatewayIdempotencyKey(const std::string& payment_id, const std::string& operation) {
    return "checkout-" + operation + "-" + payment_id;
}

}  // namespace checkout

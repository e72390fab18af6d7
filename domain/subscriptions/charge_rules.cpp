#include "domain/subscriptions/charge_rules.hpp"

#include <algorithm>
#include <array>

namespace checkout {

ChargeDecline ClassifyChargeDecline(std::string_view code) {
    // TOSS_API.md 6: the billing charge's own codes that no retry with the same card can change.
    // BILLING_CARD_REQUIRED is ours: the buyer has no card for billing (none, or its key was deleted).
    static constexpr std::array<std::string_view, 9> kHard = {
        "INVALID_CARD_EXPIRATION",  "INVALID_STOPPED_CARD",     "INVALID_CARD_LOST_OR_STOLEN",
        "NOT_MATCHES_CUSTOMER_KEY", "INVALID_BILL_KEY_REQUEST", "NOT_FOUND_BILLING",
        "BILLING_KEY_NOT_FOUND",    "INVALID_CARD_NUMBER",      "BILLING_CARD_REQUIRED"};
    if (code == "DUPLICATED_ORDER_ID") return ChargeDecline::kLookItUp;
    if (std::find(kHard.begin(), kHard.end(), code) != kHard.end()) return ChargeDecline::kHard;
    return ChargeDecline::kSoft;
}

std::string ChargeOrderId(const std::string& subscription_id, long long period, std::string_view kind) {
    std::string hex;
    for (const char c : subscription_id)
        if (c != '-') hex += c;
    return "SUB-" + hex + "-" + std::to_string(period) + "-" + std::string(kind);
}

}  // namespace checkout

#pragma once
// Every job the shop enqueues: its type name and its payload, declared together. The code that
// enqueues a job writes the payload with ToJson; the handler that runs it reads it with Parse, which
// throws AppError(kValidationFailed) for a payload without its fields: a final failure, since no
// retry can fix it.
#include <string>

namespace checkout {

// order.process (order_heavy queue): decide a pending order: stock, coupon, points, limits.
struct ProcessOrderPayload {
    static constexpr const char* kType = "order.process";
    std::string order_id;
    std::string ToJson() const;
    static ProcessOrderPayload Parse(const std::string& json);
};

// The payment jobs, one payment each: payment.call_gateway (confirm at the gateway),
// payment.finalize (paid, or compensated), payment.cancel (refund), payment.balance (pay from the
// stored balance).
struct PaymentPayload {
    std::string payment_id;
    std::string ToJson() const;
    static PaymentPayload Parse(const std::string& json);
};

// points.earn (points queue): a paid order earns points at its buyer's grade rate.
struct EarnPointsPayload {
    static constexpr const char* kType = "points.earn";
    std::string order_id;
    long long user_id = 0;
    long long amount = 0;  // what the buyer paid
    std::string ToJson() const;
    static EarnPointsPayload Parse(const std::string& json);
};

// analytics.send (external_api queue): a payment done, for the data platform, sent as it is.
struct PaymentDoneEvent {
    static constexpr const char* kType = "analytics.send";
    std::string payment_id, order_id, order_number;
    long long amount = 0;
    std::string ToJson() const;
};

inline constexpr const char* kProcessOrderJob = ProcessOrderPayload::kType;
// billing.issue_key (external_api queue): exchange a card registration's authKey for a billing key.
struct BillingCardPayload {
    static constexpr const char* kType = "billing.issue_key";
    std::string card_id;
    std::string ToJson() const;
    static BillingCardPayload Parse(const std::string& json);
};

// subscription.charge (external_api queue): make one subscription charge at the gateway.
struct SubscriptionChargePayload {
    static constexpr const char* kType = "subscription.charge";
    std::string charge_id;
    std::string ToJson() const;
    static SubscriptionChargePayload Parse(const std::string& json);
};

// subscription.refund: the unused days of a subscription canceled at once, paid back at the gateway.
struct SubscriptionRefundPayload {
    static constexpr const char* kType = "subscription.refund";
    std::string refund_id;
    std::string ToJson() const;
    static SubscriptionRefundPayload Parse(const std::string& json);
};

inline constexpr const char* kCallGatewayJob = "payment.call_gateway";
inline constexpr const char* kFinalizePaymentJob = "payment.finalize";
inline constexpr const char* kCancelPaymentJob = "payment.cancel";
inline constexpr const char* kBalancePaymentJob = "payment.balance";
inline constexpr const char* kEarnPointsJob = EarnPointsPayload::kType;
inline constexpr const char* kAnalyticsJob = PaymentDoneEvent::kType;
inline constexpr const char* kIssueBillingKeyJob = BillingCardPayload::kType;
inline constexpr const char* kSubscriptionChargeJob = SubscriptionChargePayload::kType;
inline constexpr const char* kSubscriptionRefundJob = SubscriptionRefundPayload::kType;

}  // namespace checkout

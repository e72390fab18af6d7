#pragma once
// Payments as the buyer sees them (DESIGN 3.2 step 1, 6): confirming one (the amount checked
// against the order, the payment row and its gateway job written in one commit), reading its
// status, and canceling (refunding) it. Knows nothing of HTTP.
#include <optional>
#include <string>
#include <string_view>

#include "domain/idempotency.hpp"
#include "domain/status_snapshot.hpp"
#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// The body the Toss widget's success redirect hands the shop: {paymentKey, orderId, amount}.
struct ConfirmRequest {
    std::string payment_key;
    std::string order_number;  // the gateway's orderId is our order number
    long long amount = 0;
};
// Throws AppError (kInvalidJson, kValidationFailed) naming each bad field.
ConfirmRequest ParseConfirmRequest(std::string_view body);
std::string CanonicalJson(const ConfirmRequest& req);

// The 202 body of a payment started: {payment_id, status, status_url, job_id}.
std::string PaymentAcceptedJson(const std::string& payment_id, const std::string& status,
                                const std::string& job_id);

struct PaymentReply {
    int status = 202;
    std::string body;
    std::string payment_id;
    bool replayed = false;
};

// Accepts a confirm for the caller's `confirmed` order whose amount matches; 202 with the status URL.
// The same paymentKey posted again answers the same payment (one payment, one gateway approval).
// Throws AppError: kNotFound (no such order, or someone else's), kAmountMismatch, kOrderNotPayable,
// kPaymentConflict (another payment of the order is live, or the paymentKey was used), and the
// Idempotency-Key errors.
PaymentReply ConfirmPayment(PgConnection& conn, const QueuesConfig& cfg, long long user_id,
                            const ConfirmRequest& req, const std::optional<IdempotencyKey>& idem);

// Cancels a `done` payment: the order becomes `canceled`, its stock returns at once, and the refund
// at the gateway runs as a job. Repeating it answers the same 202. Throws kNotFound, kPaymentConflict.
PaymentReply CancelPayment(PgConnection& conn, const QueuesConfig& cfg, long long user_id,
                           const std::string& payment_id, const std::string& reason);

std::string PaymentStatusUrl(const std::string& payment_id);

// The payment methods the shop offers through the gateway's widget.
std::string PaymentMethodsJson();

}  // namespace checkout

#pragma once
// Payments as the buyer sees them (DESIGN 3.2 step 1, 6): confirming one (the amount checked
// against the order, the payment row and its gateway job written in one commit), reading its
// status, and canceling (refunding) it. Knows nothing of HTTP.
#include <optional>
#include <string>
#include <string_view>

#include "domain/idempotency.hpp"
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

// A payment (or its refund) started, its job queued; or, `existing`, the one that already was.
// (The API answers 202 with these.)
struct StartedPayment {
    std::string payment_id;
    std::string status;  // as the buyer sees it: processing, done, refunding, canceled
    std::string job_id;
    bool existing = false;
};

// Accepts a confirm for the caller's `confirmed` order whose amount matches, in the caller's
// transaction. The same paymentKey posted again answers the same payment (one payment, one gateway
// approval). Throws AppError: kNotFound (no such order, or someone else's), kAmountMismatch,
// kOrderNotPayable, kPaymentConflict (another payment of the order is live, or the paymentKey was
// used).
StartedPayment ConfirmPayment(PgTransaction& tx, const QueuesConfig& cfg, long long user_id,
                              const ConfirmRequest& req);

// Cancels a `done` payment: the order becomes `canceled`, its stock returns at once, and the refund
// at the gateway runs as a job. Repeating it answers the same refund. Throws kNotFound,
// kPaymentConflict.
StartedPayment CancelPayment(PgConnection& conn, const QueuesConfig& cfg, long long user_id,
                             const std::string& payment_id, const std::string& reason);

}  // namespace checkout

#pragma once
// How a payment's state changes once the gateway has answered (DESIGN 3.2), shared by the
// external-api worker, the finalize worker, the reconciler and the webhook. Every function runs in
// the caller's transaction, locks the payment row, and is a no-op when the change already happened:
// redeliveries, retries, the reconciler and webhooks may all report the same answer.
#include <string>

#include "domain/job_payloads.hpp"
#include "domain/payments/gateway_answer.hpp"
#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// The failure code of a payment the reconciler gave up on: the gateway had no record of its confirm.
inline constexpr const char* kNotConfirmedCode = "NOT_CONFIRMED";

// What the gateway says about one of our payments (its Payment object, from a confirm's answer, a
// lookup or a verified webhook), applied to that payment: the one function the external-api worker,
// the reconciler and the webhook all use. An answer about another paymentKey (another attempt at the
// same order) is refused, never applied to this payment.
enum class GatewayVerdict {
    kApproved,      // DONE: recorded (finalize enqueued, or a refund if we had given up on it)
    kRejected,      // ABORTED / EXPIRED: the payment failed
    kCanceled,      // CANCELED at the gateway: recorded, the order released if it was paid
    kNotFinal,      // READY, IN_PROGRESS, WAITING_FOR_DEPOSIT: ask again later; PARTIAL_CANCELED:
                    // logged for an operator, the sale stands
    kOtherPayment,  // the answer is about another paymentKey, or the payment is unknown: nothing changed
};
GatewayVerdict ApplyGatewayPayment(PgTransaction& tx, const QueuesConfig& cfg, const std::string& payment_id,
                                   const TossPayment& gateway);

// The gateway canceled the payment (a refund we asked for, or one made outside the shop, e.g. its
// dashboard). `done`: the sale is undone (order canceled, stock and points back); `refunding`: our
// refund finished; `in_progress` (approved, not yet finalized, or never approved): the payment ends
// canceled and finalize, finding it so, does nothing, so the order stays unpaid.
void RecordCancel(PgTransaction& tx, const std::string& payment_id);

// The gateway approved `gateway` (status DONE). First report: the approval is recorded (secret,
// method) and payment.finalize enqueued. If the payment had meanwhile been given up (failed by the
// reconciler), the money must go back: a refund is requested instead.
void RecordApproval(PgTransaction& tx, const QueuesConfig& cfg, const std::string& payment_id,
                    const TossPayment& gateway);

// A final refusal: the payment ends `failed` with the gateway's code; the order stays `confirmed`,
// so the buyer can pay again with a new paymentKey. No-op unless the payment is in progress and
// not approved.
void RecordRejection(PgTransaction& tx, const std::string& payment_id, const std::string& code,
                     const std::string& message);

// The sale is done (DESIGN 3.2 step 3-4): the payment `done`, the order `paid`, sold_count up, and
// points.earn and analytics.send enqueued. The caller holds the payment's and the order's row locks
// and has checked the payment is in progress and the order confirmed.
void CompleteSale(PgTransaction& tx, const QueuesConfig& cfg, const std::string& payment_id,
                  const std::string& order_id, const std::string& order_number, long long user_id,
                  long long amount);

// A top-up's payment is done (payment.finalize): the payment `done`, the top-up (an order of kind
// 'topup') `paid`, the balance credited once. No points, no sold count. Same locks as CompleteSale.
void CompleteTopUp(PgTransaction& tx, const std::string& payment_id, const std::string& order_id,
                   long long user_id, long long amount);

// Starts a refund at the gateway: the payment becomes `refunding` and payment.cancel is enqueued.
// No-op if a refund was already requested or done.
void RequestRefund(PgTransaction& tx, const QueuesConfig& cfg, const std::string& payment_id,
                   const std::string& reason);

// The gateway confirmed the refund: `refunding` -> `canceled`.
void RecordRefund(PgTransaction& tx, const std::string& payment_id);

void LogPayment(PgTransaction& tx, const std::string& payment_id, const std::string& event,
                const std::string& detail_json = "null");

}  // namespace checkout

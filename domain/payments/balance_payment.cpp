#include "domain/payments/balance_payment.hpp"

#include "domain/payments/payment_transitions.hpp"
#include "infra/core/error.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

StartedPayment StartBalancePayment(PgTransaction& tx, const QueuesConfig& cfg, long long user_id,
                                   const std::string& order_id) {
    if (!IsUuid(order_id)) throw AppError(ErrorCode::kNotFound, "No such order.");
    // The order row lock serializes this with confirms and other balance payments of the order.
    auto o = tx.exec(
        "SELECT o.status, o.final_amount, EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id "
        "AND p.status IN ('in_progress', 'done')) FROM orders o WHERE o.id = $1 AND o.user_id = $2 AND "
        "o.kind = 'goods' "
        "FOR UPDATE",
        {order_id, user_id});
    if (o.rows() == 0) throw AppError(ErrorCode::kNotFound, "No such order.");
    if (o.boolean(0, 2))
        throw AppError(ErrorCode::kPaymentConflict, "This order already has a payment in progress or done.");
    if (o.get(0, 0) != "confirmed")
        throw AppError(ErrorCode::kOrderNotPayable, "The order cannot be paid: it is " + o.str(0, 0) + ".");
    const std::string payment_id = NewUuid();
    const Job job = NewJob(cfg, NewUuid(), kBalancePaymentJob, PaymentPayload{payment_id}.ToJson());
    auto params = JobInsertParams(job);
    for (PgParam p : {PgParam(payment_id), PgParam(order_id), PgParam(user_id),
                      PgParam("balance-" + payment_id), PgParam(o.integer(0, 1))})
        params.push_back(std::move(p));
    tx.exec(std::string("WITH ") + kInsertJobCtes +
                ", p AS (INSERT INTO payments (id, order_id, user_id, payment_key, amount, status, "
                "job_id, method) "
                "VALUES ($5, $6, $7, $8, $9, 'in_progress', $1, 'balance')), "
                "l AS (INSERT INTO payment_log (payment_id, event) VALUES ($5, 'balance_requested')) "
                "SELECT pg_notify('outbox', '')",
            params);
    return {payment_id, "processing", job.id, false};
}

}  // namespace checkout

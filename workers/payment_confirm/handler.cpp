#include "workers/payment_confirm/handler.hpp"

#include "domain/balance/balance_store.hpp"
#include "domain/payments/payment_transitions.hpp"

namespace checkout {

JobHandler FinalizePayment(const QueuesConfig& cfg) {
    return [&cfg](PgTransaction& tx, const Job& job) -> Outcome {
        const std::string payment_id = PaymentPayload::Parse(job.payload_json).payment_id;
        // Payment first, then its order: the same order as every other path that takes both.
        auto p = tx.exec("SELECT status, order_id, user_id, amount FROM payments WHERE id = $1 FOR UPDATE",
                         {payment_id});
        if (p.rows() == 0) return Outcome::Failed("NOT_FOUND", "no such payment");
        if (p.get(0, 0) != "in_progress") return Outcome::Succeeded();  // finalized (or refunded) already
        const std::string order_id = p.str(0, 1);
        auto o =
            tx.exec("SELECT status, order_number, kind FROM orders WHERE id = $1 FOR UPDATE", {order_id});
        const std::string order_status = o.str(0, 0);
        if (order_status != "confirmed") {
            RequestRefund(tx, cfg, payment_id, "order " + order_status + " before the payment completed");
            return Outcome::Succeeded();
        }
        if (o.get(0, 2) == "topup") {
            CompleteTopUp(tx, payment_id, order_id, p.integer(0, 2), p.integer(0, 3));
            return Outcome::Succeeded();
        }
        CompleteSale(tx, cfg, payment_id, order_id, o.str(0, 1), p.integer(0, 2), p.integer(0, 3));
        return Outcome::Succeeded();
    };
}

JobHandler SettleBalancePayment(const QueuesConfig& cfg) {
    return [&cfg](PgTransaction& tx, const Job& job) -> Outcome {
        const std::string payment_id = PaymentPayload::Parse(job.payload_json).payment_id;
        auto p = tx.exec("SELECT status, order_id, user_id, amount FROM payments WHERE id = $1 FOR UPDATE",
                         {payment_id});
        if (p.rows() == 0) return Outcome::Failed("NOT_FOUND", "no such payment");
        if (p.get(0, 0) != "in_progress") return Outcome::Succeeded();  // settled already
        const std::string order_id = p.str(0, 1);
        const long long user_id = p.integer(0, 2), amount = p.integer(0, 3);
        auto o = tx.exec("SELECT status, order_number FROM orders WHERE id = $1 FOR UPDATE", {order_id});
        if (o.rows() == 0) return Outcome::Failed("NOT_FOUND", "no such order");
        auto refuse = [&](const std::string& code, const std::string& message) {
            RecordRejection(tx, payment_id, code, message);
            return Outcome::Failed(code, message);
        };
        // Nothing was taken yet: an order no longer payable, or a balance too low, fails the payment
        // and leaves the order as it is (the buyer may pay another way).
        if (o.str(0, 0) != "confirmed") return refuse("ORDER_NOT_PAYABLE", "the order is " + o.str(0, 0));
        if (!DebitBalance(tx, user_id, payment_id, amount))
            return refuse("INSUFFICIENT_BALANCE", "the balance does not cover " + std::to_string(amount));
        CompleteSale(tx, cfg, payment_id, order_id, o.str(0, 1), user_id, amount);
        return Outcome::Succeeded();
    };
}

}  // namespace checkout

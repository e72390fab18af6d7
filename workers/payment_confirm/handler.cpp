#include "workers/payment_confirm/handler.hpp"

#include "common/job_store.hpp"
#include "common/json.hpp"
#include "common/payments/payment_transitions.hpp"
#include "common/uuid.hpp"

namespace checkout {


JobHandler FinalizePayment(const QueuesConfig& cfg) {
    return [&cfg](PgTransaction& tx, const Job& job) -> Outcome {
        const std::string payment_id = PaymentIdFromPayload(job.payload_json);
        // Payment first, then its order: the same order as every other path that takes both.
        auto p = tx.exec("SELECT status, order_id, user_id, amount FROM payments WHERE id = $1 FOR UPDATE", {payment_id});
        if (p.rows() == 0) return Outcome::Failed("NOT_FOUND", "no such payment");
        if (p.get(0, 0) != "in_progress") return Outcome::Succeeded();  // finalized (or refunded) already
        const std::string order_id = p.str(0, 1);
        const long long user_id = p.integer(0, 2), amount = p.integer(0, 3);
        auto o = tx.exec("SELECT status, order_number FROM orders WHERE id = $1 FOR UPDATE", {order_id});
        const std::string order_status = o.str(0, 0);
        if (order_status != "confirmed") {
            RequestRefund(tx, cfg, payment_id, "order " + order_status + " before the payment completed");
            return Outcome::Succeeded();
        }
        JsonWriter points;
        points.StartObject().Key("order_id").String(order_id).Key("user_id").Int(user_id).Key("amount").Int(amount).EndObject();
        InsertJob(tx, cfg, NewUuid(), kEarnPointsJob, points.str());
        JsonWriter event;
        event.StartObject().Key("type").String("payment.done").Key("payment_id").String(payment_id);
        event.Key("order_id").String(order_id).Key("order_number").String(o.get(0, 1)).Key("amount").Int(amount).EndObject();
        InsertJob(tx, cfg, NewUuid(), kAnalyticsJob, event.str());
        // Last, because it locks the product row, which every payment of that product needs: the
        // lock is then held only until the commit that follows at once.
        tx.exec(
            "WITH p AS (UPDATE payments SET status = 'done', updated_at = now() WHERE id = $1), "
            "o AS (UPDATE orders SET status = 'paid' WHERE id = $2), "
            "s AS (UPDATE products pr SET sold_count = pr.sold_count + i.quantity FROM order_items i "
            "      WHERE i.order_id = $2 AND pr.id = i.product_id) "
            "INSERT INTO payment_log (payment_id, event) VALUES ($1, 'paid')",
            {payment_id, order_id});
        return Outcome::Succeeded();
    };
}

}  // namespace checkout

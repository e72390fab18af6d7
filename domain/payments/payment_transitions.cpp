#include "domain/payments/payment_transitions.hpp"

#include "domain/balance/balance_store.hpp"
#include "domain/orders/order_release.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "infra/core/log.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

void LogPayment(PgTransaction& tx, const std::string& payment_id, const std::string& event,
                const std::string& detail_json) {
    tx.exec("INSERT INTO payment_log (payment_id, event, detail) VALUES ($1, $2, $3::jsonb)",
            {payment_id, event, detail_json});
}

void RecordApproval(PgTransaction& tx, const QueuesConfig& cfg, const std::string& payment_id,
                    const TossPayment& gateway) {
    JsonWriter detail;
    detail.StartObject()
        .Key("gateway_status")
        .String(gateway.status)
        .Key("total_amount")
        .Int(gateway.total_amount)
        .EndObject();
    // Lock, record and log in one round trip; no row when it was recorded before.
    auto p = tx.exec(
        "WITH p AS (SELECT id, status, amount FROM payments WHERE id = $1 AND NOT approved FOR UPDATE), "
        "u AS (UPDATE payments SET approved = true, method = $2, approved_at = $3, gateway_secret = $4, "
        "updated_at = now() "
        "      FROM p WHERE payments.id = p.id), "
        "l AS (INSERT INTO payment_log (payment_id, event, detail) SELECT id, 'approved', $5::jsonb FROM p) "
        "SELECT status, amount FROM p",
        {payment_id, gateway.method, gateway.approved_at,
         // No secret means no webhook of this payment can be verified; '' would match a forged empty one.
         gateway.secret.empty() ? PgParam(std::nullopt) : PgParam(gateway.secret), detail.str()});
    if (p.rows() == 0) return;
    const std::string status = p.str(0, 0);
    if (status == "in_progress" && gateway.total_amount == p.integer(0, 1)) {
        InsertJob(tx, cfg, NewUuid(), kFinalizePaymentJob, PaymentPayload{payment_id}.ToJson());
        return;
    }
    // Money was taken for a payment we can no longer honour (given up, or an amount we never
    // asked for): give it back rather than keep it without an order.
    spdlog::warn("payment={} approved while {} (amount {} vs {}): refunding", payment_id, status,
                 gateway.total_amount, p.integer(0, 1));
    RequestRefund(tx, cfg, payment_id, "approved after the payment was given up");
}

void RecordRejection(PgTransaction& tx, const std::string& payment_id, const std::string& code,
                     const std::string& message) {
    auto r = tx.exec(
        "UPDATE payments SET status = 'failed', failure_code = $2, failure_message = $3, updated_at = now() "
        "WHERE id = $1 AND status = 'in_progress' AND NOT approved",
        {payment_id, code, message});
    if (r.affected() == 0) return;
    JsonWriter detail;
    detail.StartObject().Key("code").String(code).Key("message").String(message).EndObject();
    LogPayment(tx, payment_id, "failed", detail.str());
}

void RequestRefund(PgTransaction& tx, const QueuesConfig& cfg, const std::string& payment_id,
                   const std::string& reason) {
    const std::string job_id = NewUuid();
    auto r = tx.exec(
        "UPDATE payments SET status = 'refunding', cancel_reason = $2, refund_job_id = $3, updated_at = "
        "now() "
        "WHERE id = $1 AND status NOT IN ('refunding', 'canceled')",
        {payment_id, reason, job_id});
    if (r.affected() == 0) return;
    JsonWriter detail;
    detail.StartObject().Key("reason").String(reason).EndObject();
    LogPayment(tx, payment_id, "refund_requested", detail.str());
    InsertJob(tx, cfg, job_id, kCancelPaymentJob, PaymentPayload{payment_id}.ToJson());
}

void CompleteSale(PgTransaction& tx, const QueuesConfig& cfg, const std::string& payment_id,
                  const std::string& order_id, const std::string& order_number, long long user_id,
                  long long amount) {
    InsertJob(tx, cfg, NewUuid(), kEarnPointsJob, EarnPointsPayload{order_id, user_id, amount}.ToJson());
    InsertJob(tx, cfg, NewUuid(), kAnalyticsJob,
              PaymentDoneEvent{payment_id, order_id, order_number, amount}.ToJson());
    // Last, because it locks the product row, which every payment of that product needs: the
    // lock is then held only until the commit that follows at once.
    tx.exec(
        "WITH p AS (UPDATE payments SET status = 'done', updated_at = now() WHERE id = $1), "
        "o AS (UPDATE orders SET status = 'paid' WHERE id = $2), "
        "s AS (UPDATE products pr SET sold_count = pr.sold_count + i.quantity FROM order_items i "
        "      WHERE i.order_id = $2 AND pr.id = i.product_id) "
        "INSERT INTO payment_log (payment_id, event) VALUES ($1, 'paid')",
        {payment_id, order_id});
}

void CompleteTopUp(PgTransaction& tx, const std::string& payment_id, const std::string& order_id,
                   long long user_id, long long amount) {
    tx.exec(
        "WITH p AS (UPDATE payments SET status = 'done', updated_at = now() WHERE id = $1), "
        "o AS (UPDATE orders SET status = 'paid' WHERE id = $2) "
        "INSERT INTO payment_log (payment_id, event) VALUES ($1, 'paid')",
        {payment_id, order_id});
    CreditTopUp(tx, payment_id, user_id, amount);
}

void RecordRefund(PgTransaction& tx, const std::string& payment_id) {
    auto r = tx.exec(
        "UPDATE payments SET status = 'canceled', updated_at = now() WHERE id = $1 AND status = 'refunding'",
        {payment_id});
    if (r.affected() > 0) LogPayment(tx, payment_id, "refunded");
}

void RecordCancel(PgTransaction& tx, const std::string& payment_id) {
    auto p = tx.exec("SELECT status, order_id FROM payments WHERE id = $1 FOR UPDATE", {payment_id});
    if (p.rows() == 0) return;
    const std::string status = p.str(0, 0), order_id = p.str(0, 1);
    if (status == "refunding") {
        RecordRefund(tx, payment_id);
        return;
    }
    if (status != "done" && status != "in_progress") return;  // failed or canceled: nothing is held
    tx.exec(
        "UPDATE payments SET status = 'canceled', cancel_reason = coalesce(cancel_reason, 'canceled at the "
        "gateway'), "
        "updated_at = now() WHERE id = $1",
        {payment_id});
    if (status == "done") ReleaseOrder(tx, order_id, "paid", "canceled");
    LogPayment(tx, payment_id, "canceled_at_gateway",
               status == "done" ? "{\"was\":\"done\"}" : "{\"was\":\"in_progress\"}");
}

GatewayVerdict ApplyGatewayPayment(PgTransaction& tx, const QueuesConfig& cfg, const std::string& payment_id,
                                   const TossPayment& gateway) {
    auto p = tx.exec("SELECT payment_key FROM payments WHERE id = $1 FOR UPDATE", {payment_id});
    if (p.rows() == 0) return GatewayVerdict::kOtherPayment;
    if (p.get(0, 0) != gateway.payment_key) {
        // A lookup by orderId finds the order's latest attempt, which may be another payment's.
        spdlog::warn("payment={} gateway answered about paymentKey {} instead: ignored", payment_id,
                     gateway.payment_key.substr(0, 12));
        return GatewayVerdict::kOtherPayment;
    }
    if (gateway.status == "DONE") {
        RecordApproval(tx, cfg, payment_id, gateway);
        return GatewayVerdict::kApproved;
    }
    if (gateway.status == "ABORTED" || gateway.status == "EXPIRED") {
        RecordRejection(tx, payment_id, gateway.failure_code.empty() ? gateway.status : gateway.failure_code,
                        gateway.failure_message);
        return GatewayVerdict::kRejected;
    }
    if (gateway.status == "CANCELED") {
        RecordCancel(tx, payment_id);
        return GatewayVerdict::kCanceled;
    }
    if (gateway.status == "PARTIAL_CANCELED") {
        // Part of the money went back (the gateway's dashboard): the sale stands. Releasing the whole
        // order (stock, points, coupon) for a partial refund would give back what was not refunded;
        // the shop has no partial refunds of its own, so an operator settles it from the payment log.
        JsonWriter detail;
        detail.StartObject().Key("gateway_status").String(gateway.status);
        detail.Key("total_amount").Int(gateway.total_amount).EndObject();
        LogPayment(tx, payment_id, "partially_canceled_at_gateway", detail.str());
        spdlog::warn("payment={} partially canceled at the gateway: recorded for an operator, order kept",
                     payment_id);
        return GatewayVerdict::kNotFinal;
    }
    return GatewayVerdict::kNotFinal;
}

}  // namespace checkout

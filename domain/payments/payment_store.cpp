#include "domain/payments/payment_store.hpp"

#include <regex>

#include "domain/balance/balance_store.hpp"
#include "domain/orders/order_release.hpp"
#include "domain/payments/payment_transitions.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"
#include "infra/pg/pg_array.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

ConfirmRequest ParseConfirmRequest(std::string_view body) {
    const auto d = ParseJsonObject(body, "The payment confirmation is invalid.");
    std::vector<FieldError> errors;
    ConfirmRequest req;
    auto key = d.FindMember("paymentKey");
    if (key == d.MemberEnd() || !key->value.IsString())
        errors.push_back({"paymentKey", "is required and must be a string"});
    else if (key->value.GetStringLength() < 1 || key->value.GetStringLength() > 200)
        errors.push_back({"paymentKey", "must be 1 to 200 characters"});
    else
        req.payment_key = key->value.GetString();
    static const std::regex kOrderNumber("^[A-Za-z0-9_-]{6,64}$");
    auto order = d.FindMember("orderId");
    if (order == d.MemberEnd() || !order->value.IsString())
        errors.push_back({"orderId", "is required and must be a string"});
    else if (!std::regex_match(order->value.GetString(), kOrderNumber))
        errors.push_back({"orderId", "must be 6 to 64 characters of A-Z, a-z, 0-9, - and _"});
    else
        req.order_number = order->value.GetString();
    auto amount = d.FindMember("amount");
    if (amount == d.MemberEnd() || !amount->value.IsInt64())
        errors.push_back({"amount", "is required and must be a whole number"});
    else if (amount->value.GetInt64() < 0)
        errors.push_back({"amount", "must not be negative"});
    else
        req.amount = amount->value.GetInt64();
    if (!errors.empty())
        throw AppError(ErrorCode::kValidationFailed, "The payment confirmation is invalid.", errors);
    return req;
}

std::string CanonicalJson(const ConfirmRequest& req) {
    JsonWriter w;
    w.StartObject().Key("paymentKey").String(req.payment_key).Key("orderId").String(req.order_number);
    w.Key("amount").Int(req.amount).EndObject();
    return w.str();
}

namespace {

// What the client is told a payment's state is while the gateway works on it.
std::string ClientStatus(const std::string& status) {
    return status == "in_progress" ? "processing" : status;
}

}  // namespace

StartedPayment ConfirmPayment(PgTransaction& tx, const QueuesConfig& cfg, long long user_id,
                              const ConfirmRequest& req) {
    // The order row lock serializes concurrent confirms of one order: the first creates the
    // payment, the others find it. One round trip reads the order, its live payment, and whether the
    // paymentKey was used elsewhere.
    auto o = tx.exec(
        "SELECT o.id, o.user_id, o.status, o.final_amount, l.id, l.payment_key, l.status, l.job_id, "
        "       EXISTS (SELECT 1 FROM payments WHERE payment_key = $2) "
        "FROM orders o LEFT JOIN payments l ON l.order_id = o.id AND l.status IN ('in_progress', 'done') "
        "WHERE o.order_number = $1 FOR UPDATE OF o",
        {req.order_number, req.payment_key});
    if (o.rows() == 0 || o.integer(0, 1) != user_id) throw AppError(ErrorCode::kNotFound, "No such order.");
    const std::string order_id = o.str(0, 0);
    if (req.amount != o.integer(0, 3))
        throw AppError(ErrorCode::kAmountMismatch, "The amount does not match the order's amount.",
                       "order " + req.order_number + " is " + o.str(0, 3) + ", confirm said " +
                           std::to_string(req.amount));
    if (!o.is_null(0, 4)) {
        if (o.get(0, 5) != req.payment_key)
            throw AppError(ErrorCode::kPaymentConflict,
                           "This order already has a payment in progress or done.");
        return {o.str(0, 4), ClientStatus(o.str(0, 6)), o.str(0, 7), true};
    }
    if (o.get(0, 2) != "confirmed")
        throw AppError(ErrorCode::kOrderNotPayable, "The order cannot be paid: it is " + o.str(0, 2) + ".");
    if (o.boolean(0, 8))
        throw AppError(ErrorCode::kPaymentConflict, "This paymentKey was already used; start a new payment.");

    const std::string payment_id = NewUuid();
    const Job job = NewJob(cfg, NewUuid(), kCallGatewayJob, PaymentPayload{payment_id}.ToJson());
    auto params = JobInsertParams(job);
    for (PgParam p : {PgParam(payment_id), PgParam(order_id), PgParam(user_id), PgParam(req.payment_key),
                      PgParam(req.amount)})
        params.push_back(std::move(p));
    try {
        tx.exec(
            std::string("WITH ") + kInsertJobCtes +
                ", p AS (INSERT INTO payments (id, order_id, user_id, payment_key, amount, status, job_id) "
                "VALUES ($5, $6, $7, $8, $9, 'in_progress', $1)), "
                "l AS (INSERT INTO payment_log (payment_id, event) VALUES ($5, 'confirm_requested')) "
                "SELECT pg_notify('outbox', '')",
            params);
    } catch (const PgError& e) {
        // The same paymentKey posted for another order at this very moment.
        if (e.unique_violation())
            throw AppError(ErrorCode::kPaymentConflict,
                           "This paymentKey was already used; start a new payment.");
        throw;
    }
    return {payment_id, "processing", job.id, false};
}

StartedPayment CancelPayment(PgConnection& conn, const QueuesConfig& cfg, long long user_id,
                             const std::string& payment_id, const std::string& reason) {
    if (!IsUuid(payment_id)) throw AppError(ErrorCode::kNotFound, "No such payment.");
    PgTransaction tx(conn);
    auto p = tx.exec(
        "SELECT status, order_id, refund_job_id FROM payments WHERE id = $1 AND user_id = $2 FOR UPDATE",
        {payment_id, user_id});
    if (p.rows() == 0) throw AppError(ErrorCode::kNotFound, "No such payment.");
    const std::string status = p.str(0, 0), order_id = p.str(0, 1);
    auto refund_job = [&] {
        auto j = tx.exec("SELECT refund_job_id FROM payments WHERE id = $1", {payment_id});
        return j.opt(0, 0).value_or("");
    };
    if (status == "refunding" || status == "canceled")
        return {payment_id, status, p.opt(0, 2).value_or(""), true};
    if (status != "done")
        throw AppError(ErrorCode::kPaymentConflict,
                       "Only a completed payment can be canceled; this one is " + ClientStatus(status) + ".");
    // A top-up whose credit was spent cannot be refunded (409 TOPUP_SPENT): the money is gone.
    TakeBackTopUp(tx, order_id, /*strict=*/true);
    ReleaseOrder(tx, order_id, "paid", "canceled");
    RequestRefund(tx, cfg, payment_id, reason);
    const std::string job_id = refund_job();
    tx.commit();
    return {payment_id, "refunding", job_id, false};
}

}  // namespace checkout

#include "domain/payments/webhook.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "domain/payments/gateway_answer.hpp"
#include "domain/payments/payment_transitions.hpp"
#include "domain/subscriptions/billing_webhook.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "infra/core/same_secret.hpp"

namespace checkout {

WebhookResult ApplyTossWebhook(PgConnection& conn, const QueuesConfig& cfg, const SecretBox& billing_box,
                               std::string_view body, const std::optional<std::string>& transmission_id) {
    const auto d = ParseJsonObject(body, "The webhook body is invalid.");
    auto type = d.FindMember("eventType");
    auto data = d.FindMember("data");
    const std::string_view event_type =
        type != d.MemberEnd() && type->value.IsString() ? type->value.GetString() : "";
    if (event_type == "BILLING_DELETED") {
        std::string key;
        if (data != d.MemberEnd() && data->value.IsObject())
            if (auto k = data->value.FindMember("billingKey");
                k != data->value.MemberEnd() && k->value.IsString())
                key = k->value.GetString();
        PgTransaction tx(conn);
        const auto r = ApplyBillingDeleted(tx, billing_box, key);
        tx.commit();
        return {r.outcome, ""};
    }
    // Other events (DEPOSIT_CALLBACK has no eventType; BrandPay) concern features this shop does not
    // use: acknowledged, so the gateway does not send them again for days.
    if (event_type != "PAYMENT_STATUS_CHANGED") return {"ignored", ""};
    if (data == d.MemberEnd() || !data->value.IsObject())
        throw AppError(ErrorCode::kValidationFailed, "The webhook body is invalid.",
                       std::vector<FieldError>{{"data", "must be the Payment object"}});
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
    data->value.Accept(writer);
    auto payment = ParseTossPayment(buf.GetString());
    if (!payment)
        throw AppError(ErrorCode::kValidationFailed, "The webhook body is invalid.",
                       std::vector<FieldError>{{"data", "must have paymentKey and status"}});
    std::string last_tx;
    if (auto it = data->value.FindMember("lastTransactionKey");
        it != data->value.MemberEnd() && it->value.IsString())
        last_tx = it->value.GetString();

    PgTransaction tx(conn);
    auto p = tx.exec(
        "SELECT id, status, gateway_secret, order_id, approved FROM payments WHERE payment_key = $1 FOR "
        "UPDATE",
        {payment->payment_key});
    if (p.rows() == 0)
        throw AppError(ErrorCode::kWebhookRejected, "The webhook could not be verified.",
                       "unknown paymentKey " + payment->payment_key);
    if (p.is_null(0, 2)) {
        // The secret arrives with the approval: until then the event cannot be checked, so the
        // gateway is asked to send it again. An approved payment without one can never be checked.
        if (p.boolean(0, 4))
            throw AppError(ErrorCode::kWebhookRejected, "The webhook could not be verified.",
                           "payment " + payment->payment_key + " was approved without a secret");
        throw AppError(ErrorCode::kUnavailable,
                       "The payment is not ready to be checked yet; send the event again later.");
    }
    if (payment->secret.empty() || !SameSecret(p.get(0, 2), payment->secret))
        throw AppError(ErrorCode::kWebhookRejected, "The webhook could not be verified.",
                       "secret mismatch for " + payment->payment_key);

    // The same state change of the same payment, however often and under whatever transmission id
    // it is resent, is one event.
    const std::string dedup =
        "PAYMENT_STATUS_CHANGED:" + payment->payment_key + ":" + payment->status + ":" + last_tx;
    auto fresh = tx.exec(
        "INSERT INTO webhook_events (dedup_key, event_type, payment_key) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        {dedup, "PAYMENT_STATUS_CHANGED", payment->payment_key});
    if (fresh.affected() == 0) return {"duplicate", ""};

    const std::string id = p.str(0, 0);
    JsonWriter detail;
    detail.StartObject()
        .Key("gateway_status")
        .String(payment->status)
        .Key("transmission_id")
        .OptString(transmission_id)
        .EndObject();
    LogPayment(tx, id, "webhook", detail.str());
    ApplyGatewayPayment(tx, cfg, id, *payment);
    tx.commit();
    return {"applied", id};
}

}  // namespace checkout

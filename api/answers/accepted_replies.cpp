#include "api/answers/accepted_replies.hpp"

#include <rapidjson/document.h>

#include "infra/core/json.hpp"

namespace checkout::api {

namespace {

std::string StringField(const std::string& body, const char* key) {
    rapidjson::Document d;
    d.Parse(body.c_str());
    if (!d.IsObject()) return "";
    auto it = d.FindMember(key);
    return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

}  // namespace

std::string OrderStatusUrl(const std::string& order_id) { return "/api/v1/orders/" + order_id + "/status"; }

std::string PaymentStatusUrl(const std::string& payment_id) {
    return "/api/v1/payments/" + payment_id + "/status";
}

std::string CardStatusUrl(const std::string& card_id) { return "/api/v1/billing/keys/" + card_id; }

Reply OrderAccepted(const PlacedOrder& order) {
    JsonWriter body;
    body.StartObject();
    body.Key("order_id").String(order.order_id).Key("order_number").String(order.order_number);
    body.Key("status").String("pending").Key("status_url").String(OrderStatusUrl(order.order_id));
    body.Key("job_id").String(order.job_id);
    body.EndObject();
    return Reply{202, body.str(), {{"Location", "/api/v1/orders/" + order.order_id}}};
}

Reply PaymentAccepted(const StartedPayment& payment) {
    JsonWriter body;
    body.StartObject().Key("payment_id").String(payment.payment_id).Key("status").String(payment.status);
    body.Key("status_url").String(PaymentStatusUrl(payment.payment_id));
    body.Key("job_id").String(payment.job_id).EndObject();
    Reply reply{202, body.str(), {{"Location", PaymentStatusUrl(payment.payment_id)}}};
    if (payment.existing) reply.headers.emplace_back("Idempotent-Replayed", "true");
    return reply;
}

Reply CardAccepted(const StartedCard& card) {
    JsonWriter body;
    body.StartObject().Key("card_id").String(card.card_id).Key("status").String(card.status);
    body.Key("status_url").String(CardStatusUrl(card.card_id));
    body.Key("job_id").String(card.job_id).EndObject();
    Reply reply{202, body.str(), {{"Location", CardStatusUrl(card.card_id)}}};
    if (card.existing) reply.headers.emplace_back("Idempotent-Replayed", "true");
    return reply;
}

std::string OrderLocation(const std::string& body) {
    const auto id = StringField(body, "order_id");
    return id.empty() ? "" : "/api/v1/orders/" + id;
}

std::string PaymentLocation(const std::string& body) {
    const auto id = StringField(body, "payment_id");
    return id.empty() ? "" : PaymentStatusUrl(id);
}

std::string CardLocation(const std::string& body) {
    const auto id = StringField(body, "card_id");
    return id.empty() ? "" : CardStatusUrl(id);
}

}  // namespace checkout::api

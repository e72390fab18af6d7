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

// {<id_field>: id, status, status_url, job_id}, Location the status URL; Idempotent-Replayed when the
// request found what an earlier one started.
Reply Started(const char* id_field, const std::string& id, const std::string& status,
              const std::string& status_url, const std::string& job_id, bool existing) {
    JsonWriter body;
    body.StartObject().Key(id_field).String(id).Key("status").String(status);
    body.Key("status_url").String(status_url).Key("job_id").String(job_id).EndObject();
    Reply reply{202, body.str(), {{"Location", status_url}}};
    if (existing) reply.headers.emplace_back("Idempotent-Replayed", "true");
    return reply;
}

}  // namespace

std::string OrderStatusUrl(const std::string& order_id) { return "/api/v1/orders/" + order_id + "/status"; }

std::string PaymentStatusUrl(const std::string& payment_id) {
    return "/api/v1/payments/" + payment_id + "/status";
}

std::string CardStatusUrl(const std::string& card_id) { return "/api/v1/billing/keys/" + card_id; }

std::string SubscriptionUrl(const std::string& subscription_id) {
    return "/api/v1/subscriptions/" + subscription_id;
}

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
    return Started("payment_id", payment.payment_id, payment.status, PaymentStatusUrl(payment.payment_id),
                   payment.job_id, payment.existing);
}

Reply CardAccepted(const StartedCard& card) {
    return Started("card_id", card.card_id, card.status, CardStatusUrl(card.card_id), card.job_id,
                   card.existing);
}

Reply SubscriptionAccepted(const StartedSubscription& s) {
    return Started("subscription_id", s.subscription_id, s.status, SubscriptionUrl(s.subscription_id),
                   s.job_id, false);
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

std::string SubscriptionLocation(const std::string& body) {
    const auto id = StringField(body, "subscription_id");
    return id.empty() ? "" : SubscriptionUrl(id);
}

}  // namespace checkout::api

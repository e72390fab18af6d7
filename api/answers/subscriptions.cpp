#include "api/answers/subscriptions.hpp"

#include "infra/core/json.hpp"

namespace checkout::api {

namespace {
void WriteCharge(JsonWriter& w, const ChargeView& c, bool with_owner) {
    w.StartObject()
        .Key("charge_id")
        .String(c.charge_id)
        .Key("kind")
        .String(c.kind)
        .Key("period")
        .Int(c.period);
    w.Key("amount").Int(c.amount).Key("status").String(c.status).Key("order_id").String(c.order_id);
    w.Key("approved_at").OptString(c.approved_at).Key("failure");
    if (c.failure_code)
        w.StartObject()
            .Key("code")
            .String(*c.failure_code)
            .Key("message")
            .OptString(c.failure_message)
            .EndObject();
    else
        w.Null();
    w.Key("retries").Int(c.retries).Key("retry_at").OptString(c.retry_at);
    w.Key("declined_at").OptString(c.declined_at).Key("refund");
    if (c.refund_amount)
        w.StartObject()
            .Key("amount")
            .Int(*c.refund_amount)
            .Key("status")
            .OptString(c.refund_status)
            .EndObject();
    else
        w.Null();
    w.Key("created_at").String(c.created_at);
    if (with_owner) w.Key("subscription_id").String(c.subscription_id).Key("user_id").Int(c.user_id);
    w.EndObject();
}
}  // namespace

std::string SubscriptionJson(const SubscriptionView& s) {
    JsonWriter w;
    w.StartObject().Key("subscription_id").String(s.subscription_id).Key("status").String(s.status);
    w.Key("plan").StartObject().Key("id").Int(s.plan_id).Key("name").String(s.plan_name).EndObject();
    w.Key("price").Int(s.price).Key("cycle").String(s.cycle).Key("anchor_date").String(s.anchor_date);
    w.Key("current_period").StartObject().Key("number").Int(s.period).Key("start").String(s.period_start);
    w.Key("end").String(s.period_end).EndObject();
    w.Key("cancel_at_period_end").Bool(s.cancel_at_period_end).Key("created_at").String(s.created_at);
    w.Key("needs_card").Bool(s.needs_card).Key("dunning_ends_at").OptString(s.dunning_ends_at);
    w.Key("next_plan_id");
    if (s.next_plan_id)
        w.Int(*s.next_plan_id);
    else
        w.Null();
    w.Key("charges").StartArray();
    for (const auto& c : s.charges) WriteCharge(w, c, false);
    w.EndArray().EndObject();
    return w.str();
}

std::string ChargesPageJson(const ChargesPage& p, int page, int size, bool with_owner) {
    JsonWriter w;
    w.StartObject().Key("items").StartArray();
    for (const auto& c : p.items) WriteCharge(w, c, with_owner);
    w.EndArray().Key("page").Int(page).Key("size").Int(size).Key("total").Int(p.total).EndObject();
    return w.str();
}

}  // namespace checkout::api

#include "domain/job_payloads.hpp"

#include <rapidjson/document.h>

#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"

namespace checkout {

namespace {

rapidjson::Document Object(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    return d;
}

bool HasUuid(const rapidjson::Document& d, const char* key) {
    auto it = d.FindMember(key);
    return it != d.MemberEnd() && it->value.IsString() && IsUuid(it->value.GetString());
}

bool HasString(const rapidjson::Document& d, const char* key) {
    auto it = d.FindMember(key);
    return it != d.MemberEnd() && it->value.IsString();
}

bool HasInt(const rapidjson::Document& d, const char* key) {
    auto it = d.FindMember(key);
    return it != d.MemberEnd() && it->value.IsInt64();
}

[[noreturn]] void Refuse(const char* what, const std::string& json) {
    throw AppError(ErrorCode::kValidationFailed, what, "payload: " + json);
}

}  // namespace

std::string ProcessOrderPayload::ToJson() const {
    JsonWriter w;
    w.StartObject().Key("order_id").String(order_id).EndObject();
    return w.str();
}

ProcessOrderPayload ProcessOrderPayload::Parse(const std::string& json) {
    const auto d = Object(json);
    if (!d.IsObject() || !HasString(d, "order_id")) Refuse("order.process payload has no order_id", json);
    return {d["order_id"].GetString()};
}

std::string PaymentPayload::ToJson() const {
    JsonWriter w;
    w.StartObject().Key("payment_id").String(payment_id).EndObject();
    return w.str();
}

PaymentPayload PaymentPayload::Parse(const std::string& json) {
    const auto d = Object(json);
    if (!d.IsObject() || !HasUuid(d, "payment_id")) Refuse("payload has no payment_id", json);
    return {d["payment_id"].GetString()};
}

std::string EarnPointsPayload::ToJson() const {
    JsonWriter w;
    w.StartObject().Key("order_id").String(order_id).Key("user_id").Int(user_id);
    w.Key("amount").Int(amount).EndObject();
    return w.str();
}

EarnPointsPayload EarnPointsPayload::Parse(const std::string& json) {
    const auto d = Object(json);
    if (!d.IsObject() || !HasUuid(d, "order_id") || !HasInt(d, "user_id") || !HasInt(d, "amount"))
        Refuse("payload needs order_id, user_id, amount", json);
    return {d["order_id"].GetString(), d["user_id"].GetInt64(), d["amount"].GetInt64()};
}

std::string PaymentDoneEvent::ToJson() const {
    JsonWriter w;
    w.StartObject().Key("type").String("payment.done").Key("payment_id").String(payment_id);
    w.Key("order_id").String(order_id).Key("order_number").String(order_number);
    w.Key("amount").Int(amount).EndObject();
    return w.str();
}

std::string BillingCardPayload::ToJson() const {
    JsonWriter w;
    w.StartObject().Key("card_id").String(card_id).EndObject();
    return w.str();
}

BillingCardPayload BillingCardPayload::Parse(const std::string& json) {
    const auto d = Object(json);
    if (!d.IsObject() || !HasUuid(d, "card_id")) Refuse("billing.issue_key payload has no card_id", json);
    return {d["card_id"].GetString()};
}

std::string SubscriptionChargePayload::ToJson() const {
    JsonWriter w;
    w.StartObject().Key("charge_id").String(charge_id).EndObject();
    return w.str();
}

SubscriptionChargePayload SubscriptionChargePayload::Parse(const std::string& json) {
    const auto d = Object(json);
    if (!d.IsObject() || !HasUuid(d, "charge_id"))
        Refuse("subscription.charge payload has no charge_id", json);
    return {d["charge_id"].GetString()};
}

std::string SubscriptionRefundPayload::ToJson() const {
    JsonWriter w;
    w.StartObject().Key("refund_id").String(refund_id).EndObject();
    return w.str();
}

SubscriptionRefundPayload SubscriptionRefundPayload::Parse(const std::string& json) {
    const auto d = Object(json);
    if (!d.IsObject() || !HasUuid(d, "refund_id"))
        Refuse("subscription.refund payload has no refund_id", json);
    return {d["refund_id"].GetString()};
}

}  // namespace checkout

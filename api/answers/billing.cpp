#include "api/answers/billing.hpp"

#include "infra/core/json.hpp"

namespace checkout::api {

std::string CustomerKeyJson(const std::string& customer_key) {
    JsonWriter w;
    w.StartObject().Key("customerKey").String(customer_key).EndObject();
    return w.str();
}

std::string CardJson(const CardView& card) {
    JsonWriter w;
    w.StartObject().Key("card_id").String(card.card_id).Key("status").String(card.status);
    w.Key("card_company").OptString(card.card_company).Key("card_last4").OptString(card.card_last4);
    w.Key("failure");
    if (card.failure_code)
        w.StartObject()
            .Key("code")
            .String(*card.failure_code)
            .Key("message")
            .OptString(card.failure_message)
            .EndObject();
    else
        w.Null();
    w.Key("created_at").String(card.created_at).Key("job_id").String(card.job_id).EndObject();
    return w.str();
}

}  // namespace checkout::api

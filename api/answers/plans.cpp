#include "api/answers/plans.hpp"

#include "infra/core/json.hpp"

namespace checkout::api {

namespace {
void WritePlan(JsonWriter& w, const Plan& p) {
    w.StartObject().Key("id").Int(p.id).Key("name").String(p.name).Key("price").Int(p.price);
    w.Key("cycle").String(BillingCycleName(p.cycle)).Key("features").Raw(p.features);
    w.Key("active").Bool(p.active).EndObject();
}
}  // namespace

std::string PlanJson(const Plan& p) {
    JsonWriter w;
    WritePlan(w, p);
    return w.str();
}

std::string PlansJson(const std::vector<Plan>& plans) {
    JsonWriter w;
    w.StartObject().Key("items").StartArray();
    for (const auto& p : plans) WritePlan(w, p);
    w.EndArray().EndObject();
    return w.str();
}

}  // namespace checkout::api

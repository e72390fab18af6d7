#include "domain/subscriptions/plan_store.hpp"

#include "infra/core/error.hpp"
#include "infra/core/json.hpp"

namespace checkout {

namespace {

const char* kPlanColumns = "id, name, price, cycle, features::text, active";

Plan PlanAt(const PgResult& r, int row) {
    return {r.integer(row, 0), r.str(row, 1),
            r.integer(row, 2), ParseBillingCycle(r.get(row, 3)).value_or(BillingCycle::kMonthly),
            r.str(row, 4),     r.boolean(row, 5)};
}

void CheckName(const rapidjson::Value& v, std::optional<std::string>& out, std::vector<FieldError>& errs) {
    if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > 200)
        errs.push_back({"name", "must be a string of 1 to 200 characters"});
    else
        out = v.GetString();
}

void CheckPrice(const rapidjson::Value& v, std::optional<long long>& out, std::vector<FieldError>& errs) {
    if (!v.IsInt64() || v.GetInt64() < 1 || v.GetInt64() > kMaxPlanPrice)
        errs.push_back({"price", "must be an integer from 1 to " + std::to_string(kMaxPlanPrice) + " (won)"});
    else
        out = v.GetInt64();
}

// A JSON object of at most kMaxPlanFeaturesBytes (ParseJsonObject has refused NUL characters, which
// jsonb cannot store).
void CheckFeatures(const rapidjson::Value& v, std::optional<std::string>& out,
                   std::vector<FieldError>& errs) {
    if (!v.IsObject()) {
        errs.push_back({"features", "must be a JSON object"});
        return;
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    const std::string_view text(buf.GetString(), buf.GetSize());
    if (text.size() > kMaxPlanFeaturesBytes)
        errs.push_back(
            {"features", "must be at most " + std::to_string(kMaxPlanFeaturesBytes) + " bytes of JSON"});
    else
        out = std::string(text);
}

}  // namespace

NewPlan ParseNewPlan(std::string_view body) {
    const auto d = ParseJsonObject(body, "The plan is invalid.");
    std::vector<FieldError> errs;
    std::optional<std::string> name, features = std::string("{}");
    std::optional<long long> price;
    auto field = [&](const char* key) { return d.FindMember(key); };
    if (auto it = field("name"); it != d.MemberEnd())
        CheckName(it->value, name, errs);
    else
        errs.push_back({"name", "is required"});
    if (auto it = field("price"); it != d.MemberEnd())
        CheckPrice(it->value, price, errs);
    else
        errs.push_back({"price", "is required"});
    std::optional<BillingCycle> cycle;
    if (auto it = field("cycle"); it != d.MemberEnd() && it->value.IsString())
        cycle = ParseBillingCycle(it->value.GetString());
    if (!cycle) errs.push_back({"cycle", "must be \"monthly\" or \"yearly\""});
    if (auto it = field("features"); it != d.MemberEnd()) CheckFeatures(it->value, features, errs);
    for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
        const std::string_view key(it->name.GetString(), it->name.GetStringLength());
        if (key != "name" && key != "price" && key != "cycle" && key != "features")
            errs.push_back({std::string(key), "is not a plan field (name, price, cycle, features)"});
    }
    if (!errs.empty()) throw AppError(ErrorCode::kValidationFailed, "The plan is invalid.", errs);
    return {*name, *price, *cycle, *features};
}

std::string CanonicalJson(const NewPlan& p) {
    JsonWriter w;
    w.StartObject().Key("name").String(p.name).Key("price").Int(p.price);
    w.Key("cycle").String(BillingCycleName(p.cycle)).Key("features").Raw(p.features).EndObject();
    return w.str();
}

PlanPatch ParsePlanPatch(std::string_view body) {
    const auto d = ParseJsonObject(body, "The plan change is invalid.");
    std::vector<FieldError> errs;
    PlanPatch p;
    for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
        const std::string key(it->name.GetString(), it->name.GetStringLength());
        if (key == "name")
            CheckName(it->value, p.name, errs);
        else if (key == "price")
            CheckPrice(it->value, p.price, errs);
        else if (key == "features")
            CheckFeatures(it->value, p.features, errs);
        else if (key == "active" && it->value.IsBool())
            p.active = it->value.GetBool();
        else if (key == "active")
            errs.push_back({key, "must be true or false"});
        else
            errs.push_back({key, key == "cycle" ? "cannot be changed: subscribers' periods are counted in it"
                                                : "is not a plan field that can be changed (name, price, "
                                                  "features, active)"});
    }
    if (errs.empty() && !p.name && !p.price && !p.features && !p.active)
        errs.push_back({"body", "must change at least one of name, price, features, active"});
    if (!errs.empty()) throw AppError(ErrorCode::kValidationFailed, "The plan change is invalid.", errs);
    return p;
}

Plan CreatePlan(PgTransaction& tx, const NewPlan& p) {
    return PlanAt(tx.exec(std::string("INSERT INTO plans (name, price, cycle, features) VALUES ($1, $2, $3, "
                                      "$4::jsonb) RETURNING ") +
                              kPlanColumns,
                          {p.name, p.price, std::string(BillingCycleName(p.cycle)), p.features}),
                  0);
}

std::optional<Plan> UpdatePlan(PgConnection& conn, long long id, const PlanPatch& patch) {
    auto r = conn.exec(
        std::string("UPDATE plans SET name = coalesce($2, name), price = coalesce($3, price), "
                    "features = coalesce($4::jsonb, features), active = coalesce($5::boolean, active), "
                    "updated_at = now() WHERE id = $1 RETURNING ") +
            kPlanColumns,
        {id, PgParam(patch.name), patch.price ? PgParam(*patch.price) : PgParam(std::nullopt),
         PgParam(patch.features),
         patch.active ? PgParam(*patch.active ? "true" : "false") : PgParam(std::nullopt)});
    if (r.rows() == 0) return std::nullopt;
    return PlanAt(r, 0);
}

std::vector<Plan> ListPlans(PgConnection& conn, bool all) {
    auto r = conn.exec(
        std::string("SELECT ") + kPlanColumns + " FROM plans WHERE active OR $1::boolean ORDER BY price, id",
        {PgParam(all ? "true" : "false")});
    std::vector<Plan> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(PlanAt(r, i));
    return out;
}

}  // namespace checkout

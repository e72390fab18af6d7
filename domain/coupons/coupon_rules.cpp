#include "domain/coupons/coupon_rules.hpp"

#include <algorithm>
#include <regex>

#include "infra/core/error.hpp"
#include "infra/core/json.hpp"

namespace checkout {

namespace {
bool IsTimestamp(const std::string& s) {
    // RFC 3339 with a zone, as PostgreSQL's timestamptz reads it; the database checks the values.
    static const std::regex re(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2}))");
    return std::regex_match(s, re);
}
}  // namespace

NewCoupon ParseNewCoupon(std::string_view body) {
    const auto d = ParseJsonObject(body, "The coupon is invalid.");
    std::vector<FieldError> errs;
    NewCoupon c;
    auto name = d.FindMember("name");
    if (name == d.MemberEnd() || !name->value.IsString() || name->value.GetStringLength() == 0 ||
        name->value.GetStringLength() > 200)
        errs.push_back({"name", "must be a string of 1 to 200 characters"});
    else
        c.name = name->value.GetString();
    auto kind = d.FindMember("kind");
    if (kind == d.MemberEnd() || !kind->value.IsString() ||
        (std::string_view(kind->value.GetString()) != "fixed" &&
         std::string_view(kind->value.GetString()) != "percent"))
        errs.push_back({"kind", "must be \"fixed\" or \"percent\""});
    else
        c.terms.kind = kind->value.GetString();
    auto integer = [&](const char* key, long long lo, long long hi,
                       bool required) -> std::optional<long long> {
        auto it = d.FindMember(key);
        if (it == d.MemberEnd() || it->value.IsNull()) {
            if (required) errs.push_back({key, "is required"});
            return std::nullopt;
        }
        if (!it->value.IsInt64() || it->value.GetInt64() < lo || it->value.GetInt64() > hi) {
            errs.push_back(
                {key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi)});
            return std::nullopt;
        }
        return it->value.GetInt64();
    };
    c.terms.amount = integer("amount", 1, 1'000'000'000LL, true).value_or(0);
    c.terms.max_discount = integer("max_discount", 1, 1'000'000'000LL, false);
    c.quantity = integer("quantity", 0, 10'000'000LL, true).value_or(0);
    if (c.terms.kind == "percent" && c.terms.amount > 100)
        errs.push_back({"amount", "a percent coupon takes 1 to 100"});
    if (c.terms.kind == "fixed" && c.terms.max_discount)
        errs.push_back({"max_discount", "applies to percent coupons only"});
    auto when = [&](const char* key) -> std::optional<std::string> {
        auto it = d.FindMember(key);
        if (it == d.MemberEnd() || it->value.IsNull()) return std::nullopt;
        if (!it->value.IsString() || !IsTimestamp(it->value.GetString())) {
            errs.push_back({key, "must be an RFC 3339 timestamp with a zone, e.g. 2026-12-01T00:00:00Z"});
            return std::nullopt;
        }
        return std::string(it->value.GetString());
    };
    c.valid_from = when("valid_from");
    c.valid_until = when("valid_until");
    if (!errs.empty()) throw AppError(ErrorCode::kValidationFailed, "The coupon is invalid.", errs);
    return c;
}

std::string CanonicalJson(const NewCoupon& c) {
    JsonWriter w;
    w.StartObject()
        .Key("name")
        .String(c.name)
        .Key("kind")
        .String(c.terms.kind)
        .Key("amount")
        .Int(c.terms.amount);
    w.Key("max_discount");
    if (c.terms.max_discount)
        w.Int(*c.terms.max_discount);
    else
        w.Null();
    w.Key("quantity")
        .Int(c.quantity)
        .Key("valid_from")
        .OptString(c.valid_from)
        .Key("valid_until")
        .OptString(c.valid_until);
    w.EndObject();
    return w.str();
}

long long CouponDiscount(const CouponTerms& terms, long long total) {
    long long off = terms.kind == "percent" ? total * terms.amount / 100 : terms.amount;
    if (terms.kind == "percent" && terms.max_discount) off = std::min(off, *terms.max_discount);
    return std::clamp(off, 0LL, total);
}

}  // namespace checkout

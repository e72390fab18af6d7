#include "api/answers/coupons.hpp"

#include "infra/core/json.hpp"

namespace checkout::api {

namespace {
void WriteTerms(JsonWriter& w, const Coupon& c) {
    w.Key("name").String(c.name).Key("kind").String(c.terms.kind).Key("amount").Int(c.terms.amount);
    w.Key("max_discount").OptInt(c.terms.max_discount);
}

void WriteHeld(JsonWriter& w, const HeldCoupon& h) {
    w.StartObject().Key("coupon_id").Int(h.coupon.id);
    WriteTerms(w, h.coupon);
    w.Key("valid_from").OptString(h.coupon.valid_from).Key("valid_until").OptString(h.coupon.valid_until);
    w.Key("status").String(h.status).Key("order_id").OptString(h.order_id);
    w.Key("issued_at").String(h.issued_at).Key("used_at").OptString(h.used_at);
    w.EndObject();
}
}  // namespace

std::string CouponJson(const Coupon& c) {
    JsonWriter w;
    w.StartObject().Key("id").Int(c.id);
    WriteTerms(w, c);
    w.Key("quantity").Int(c.quantity).Key("issued").Int(c.issued);
    w.Key("valid_from").OptString(c.valid_from).Key("valid_until").OptString(c.valid_until);
    w.EndObject();
    return w.str();
}

std::string HeldCouponJson(const HeldCoupon& h) {
    JsonWriter w;
    WriteHeld(w, h);
    return w.str();
}

std::string MyCouponsJson(PgConnection& conn, long long user_id) {
    JsonWriter w;
    w.StartObject().Key("items").StartArray();
    for (const auto& h : HeldCoupons(conn, user_id)) WriteHeld(w, h);
    w.EndArray().EndObject();
    return w.str();
}

}  // namespace checkout::api

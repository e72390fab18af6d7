#pragma once
// The API's answers about coupons: a created coupon, a held one, the buyer's list.
#include <string>

#include "domain/coupons/coupon_store.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// {id, name, kind, amount, max_discount, quantity, issued, valid_from, valid_until}
std::string CouponJson(const Coupon& c);
// {coupon_id, name, kind, amount, max_discount, valid_from, valid_until, status, order_id,
//  issued_at, used_at}
std::string HeldCouponJson(const HeldCoupon& h);
// The caller's coupons, newest first: {items: [held...]}.
std::string MyCouponsJson(PgConnection& conn, long long user_id);

}  // namespace checkout::api

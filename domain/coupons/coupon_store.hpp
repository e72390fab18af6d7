#pragma once
// Coupons in PostgreSQL (DESIGN 3.3): created by admins, issued first come first served, never more
// than their quantity and at most one per user, whatever the concurrency.
#include <string>

#include "domain/coupons/coupon_rules.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// In the caller's transaction; returns the coupon's JSON ({id, ..., issued: 0}).
std::string CreateCoupon(PgTransaction& tx, const NewCoupon& c);
// Issues one unit to the user; returns the held coupon's JSON. Throws AppError: kNotFound,
// kCouponAlreadyIssued, kCouponSoldOut, kCouponNotActive.
std::string IssueCoupon(PgConnection& conn, long long user_id, long long coupon_id);
// The caller's coupons, newest first: {items: [...]}.
std::string MyCouponsJson(PgConnection& conn, long long user_id);

}  // namespace checkout

#pragma once
// Coupons in PostgreSQL (DESIGN 3.3): created by admins, issued first come first served, never more
// than their quantity and at most one per user, whatever the concurrency.
#include <optional>
#include <string>
#include <vector>

#include "domain/coupons/coupon_rules.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// Times are RFC 3339 in UTC, to the millisecond.
struct Coupon {
    long long id = 0;
    std::string name;
    CouponTerms terms;
    long long quantity = 0, issued = 0;
    std::optional<std::string> valid_from, valid_until;
};

// A coupon a user holds.
struct HeldCoupon {
    Coupon coupon;
    std::string status;                   // available, used
    std::optional<std::string> order_id;  // the order that used it
    std::string issued_at;
    std::optional<std::string> used_at;
};

// In the caller's transaction.
Coupon CreateCoupon(PgTransaction& tx, const NewCoupon& c);
// Issues one unit to the user. Throws AppError: kNotFound, kCouponAlreadyIssued, kCouponSoldOut,
// kCouponNotActive.
HeldCoupon IssueCoupon(PgConnection& conn, long long user_id, long long coupon_id);
// The user's coupons, newest first.
std::vector<HeldCoupon> HeldCoupons(PgConnection& conn, long long user_id);

}  // namespace checkout

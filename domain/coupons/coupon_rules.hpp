#pragma once
// Coupon rules (DESIGN 3.3), without the database: what an admin may create, and what a coupon takes
// off an order.
#include <optional>
#include <string>
#include <string_view>

namespace checkout {

struct CouponTerms {
    std::string kind;  // "fixed" (won off) or "percent" (percent off, at most max_discount)
    long long amount = 0;
    std::optional<long long> max_discount;
};

struct NewCoupon {
    std::string name;
    CouponTerms terms;
    long long quantity = 0;
    std::optional<std::string> valid_from, valid_until;  // RFC 3339 timestamps
};

// Throws AppError(kInvalidJson / kValidationFailed with a field per problem).
NewCoupon ParseNewCoupon(std::string_view body);
std::string CanonicalJson(const NewCoupon& c);

// What the coupon takes off an order of `total`: never more than the total.
long long CouponDiscount(const CouponTerms& terms, long long total);

}  // namespace checkout

#pragma once
// What an order costs (DESIGN 3.1, 3.3), without the database: the lines at their prices, the
// coupon's discount, then the points, which may pay for what is left but no more, and no more than
// the buyer holds.
#include <optional>
#include <vector>

#include "domain/coupons/coupon_rules.hpp"

namespace checkout {

struct PricedLine {
    long long product_id = 0;
    int quantity = 0;
    long long unit_price = 0;
};

struct OrderPrice {
    long long total = 0;     // the lines at their prices
    long long discount = 0;  // the coupon's
    long long points = 0;    // points spent
    long long final = 0;     // what the buyer pays: total - discount - points
};

// Throws AppError: kInsufficientPoints when use_points exceeds `points_balance`, kValidationFailed
// when it exceeds what is left to pay after the coupon.
OrderPrice PriceOrder(const std::vector<PricedLine>& lines, const std::optional<CouponTerms>& coupon,
                      long long use_points, long long points_balance);

}  // namespace checkout

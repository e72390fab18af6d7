#pragma once
// What an order costs (DESIGN 3.1, 3.3), in two steps, each in one place: the lines at their
// products' prices (kPriceLinesSql, in the statement that inserts the order, so that an order of
// items alone is priced and placed in one round trip), then what the buyer pays of that total: the
// coupon's discount, then the points, which may pay for what is left but no more, and no more than
// the buyer holds (PriceOrder).
#include <optional>

#include "domain/coupons/coupon_rules.hpp"

namespace checkout {

// SQL CTEs over a CTE `line(n, ord, product_id, quantity)` (order n's ord-th line, from 1):
//   priced: each line with its product's price (NULL: no such product);
//   sums(n, unknown, total, items, missing): per order, the lines that name no product, the total of
//   price x quantity, the lines as stored ([{product_id, quantity, unit_price}], in order) and the
//   0-based indexes of the unknown lines.
extern const char* const kPriceLinesSql;

struct OrderPrice {
    long long total = 0;     // the lines at their prices
    long long discount = 0;  // the coupon's
    long long points = 0;    // points spent
    long long final = 0;     // what the buyer pays: total - discount - points
};

// Of `total` (the lines priced by kPriceLinesSql). Throws AppError: kInsufficientPoints when
// use_points exceeds `points_balance`, kValidationFailed when it exceeds what is left to pay after
// the coupon.
OrderPrice PriceOrder(long long total, const std::optional<CouponTerms>& coupon, long long use_points,
                      long long points_balance);

}  // namespace checkout

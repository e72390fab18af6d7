#include "domain/orders/order_pricing.hpp"

#include <string>
#include <vector>

#include "infra/core/error.hpp"

namespace checkout {

const char* const kPriceLinesSql =
    "priced AS (SELECT l.*, p.price FROM line l LEFT JOIN products p ON p.id = l.product_id), "
    "sums AS (SELECT n, count(*) FILTER (WHERE price IS NULL) AS unknown, "
    "         coalesce(sum(price * quantity), 0) AS total, "
    "         jsonb_agg(jsonb_build_object('product_id', product_id, 'quantity', quantity, 'unit_price', "
    "                   price) ORDER BY ord) AS items, "
    "         array_agg(ord - 1 ORDER BY ord) FILTER (WHERE price IS NULL) AS missing "
    "         FROM priced GROUP BY n)";

OrderPrice PriceOrder(long long total, const std::optional<CouponTerms>& coupon, long long use_points,
                      long long points_balance) {
    OrderPrice p;
    p.total = total;
    p.discount = coupon ? CouponDiscount(*coupon, p.total) : 0;
    if (use_points > points_balance)
        throw AppError(ErrorCode::kInsufficientPoints, "You do not have that many points.",
                       std::vector<FieldError>{{"use_points", "exceeds your points balance (" +
                                                                  std::to_string(points_balance) + ")"}});
    if (use_points > p.total - p.discount)
        throw AppError(
            ErrorCode::kValidationFailed, "The order is invalid.",
            std::vector<FieldError>{
                {"use_points", "exceeds the amount to pay (" + std::to_string(p.total - p.discount) + ")"}});
    p.points = use_points;
    p.final = p.total - p.discount - p.points;
    return p;
}

}  // namespace checkout

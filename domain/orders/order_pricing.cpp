#include "domain/orders/order_pricing.hpp"

#include <string>

#include "infra/core/error.hpp"

namespace checkout {

OrderPrice PriceOrder(const std::vector<PricedLine>& lines, const std::optional<CouponTerms>& coupon,
                      long long use_points, long long points_balance) {
    OrderPrice p;
    for (const auto& l : lines) p.total += l.unit_price * l.quantity;
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

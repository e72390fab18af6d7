#include "domain/orders/order_release.hpp"

#include "domain/balance/balance_store.hpp"
#include "domain/points/point_store.hpp"

namespace checkout {

bool ReleaseOrder(PgTransaction& tx, const std::string& order_id, std::string_view from,
                  std::string_view to) {
    // The order row lock taken here serializes this with points.earn (which reads the order FOR SHARE):
    // either the earn committed first and is taken back below, or it sees the order released and
    // earns nothing.
    auto o = tx.exec("UPDATE orders SET status = $3 WHERE id = $1 AND status = $2 RETURNING user_id, kind",
                     {order_id, std::string(from), std::string(to)});
    if (o.rows() == 0) return false;
    const long long user_id = o.integer(0, 0);
    if (o.get(0, 1) == "topup") {
        // No stock, coupon or points: only the credit of a paid top-up. The buyer's own cancel has
        // checked (under the balance's lock) that the balance still holds it.
        if (from == "paid") TakeBackTopUp(tx, order_id, /*strict=*/false);
        return true;
    }
    tx.exec(
        from == "paid"
            ? "UPDATE products p SET stock = p.stock + i.quantity, sold_count = p.sold_count - i.quantity "
              "FROM order_items i WHERE i.order_id = $1 AND p.id = i.product_id"
            : "UPDATE products p SET stock = p.stock + i.quantity "
              "FROM order_items i WHERE i.order_id = $1 AND p.id = i.product_id",
        {order_id});
    // The coupon it used can be used again.
    tx.exec(
        "UPDATE user_coupons SET status = 'available', order_id = NULL, used_at = NULL "
        "WHERE order_id = $1 AND status = 'used'",
        {order_id});
    RestoreSpentPoints(tx, user_id, order_id);
    RevokeEarnedPoints(tx, user_id, order_id);
    return true;
}

}  // namespace checkout

#include "common/orders/order_release.hpp"

namespace checkout {

bool ReleaseOrder(PgTransaction& tx, const std::string& order_id, std::string_view from,
                  std::string_view to) {
    // The order row lock taken here serializes this with points.earn (which reads the order FOR SHARE):
    // either the earn committed first and is taken back below, or it sees the order released and
    // earns nothing.
    auto o = tx.exec(
        "UPDATE orders SET status = $3 WHERE id = $1 AND status = $2 RETURNING user_id",
        {order_id, std::string(from), std::string(to)});
    if (o.rows() == 0) return false;
    const long long user_id = o.integer(0, 0);
    tx.exec(
        from == "paid"
            ? "UPDATE products p SET stock = p.stock + i.quantity, sold_count = p.sold_count - i.quantity "
              "FROM order_items i WHERE i.order_id = $1 AND p.id = i.product_id"
            : "UPDATE products p SET stock = p.stock + i.quantity "
              "FROM order_items i WHERE i.order_id = $1 AND p.id = i.product_id",
        {order_id});
    // Points earned: taken back, at most down to zero, and the ledger says how many were.
    tx.exec(
        "WITH u AS (SELECT up.user_id, LEAST(up.balance, e.amount) AS take FROM user_points up "
        "           JOIN point_ledger e ON e.user_id = up.user_id AND e.order_id = $1 AND e.kind = 'earn' "
        "           WHERE up.user_id = $2 FOR UPDATE OF up), "
        "r AS (INSERT INTO point_ledger (user_id, order_id, kind, amount) SELECT user_id, $1, 'revoke', "
        "-take FROM u "
        "      ON CONFLICT (order_id, kind) DO NOTHING RETURNING user_id, amount) "
        "UPDATE user_points up SET balance = up.balance + r.amount FROM r WHERE up.user_id = r.user_id",
        {order_id, user_id});
    return true;
}

}  // namespace checkout

#include "workers/scheduler/order_expiry.hpp"

namespace checkout {

long long ExpireUnpaidOrders(PgConnection& conn, Millis after) {
    long long total = 0;
    while (true) {
        // SKIP LOCKED: an order a worker or the API is busy with is left for the next run.
        auto r = conn.exec(
            "WITH exp AS ("
            "  UPDATE orders SET status = 'expired', updated_at = now() WHERE id IN ("
            "    SELECT id FROM orders WHERE status = 'confirmed' "
            "      AND created_at < now() - make_interval(secs => $1::float8 / 1000) "
            "    ORDER BY created_at LIMIT 500 FOR UPDATE SKIP LOCKED) "
            "  RETURNING id), "
            "back AS (UPDATE products p SET stock = p.stock + s.q "
            "  FROM (SELECT i.product_id, sum(i.quantity) AS q FROM order_items i JOIN exp ON exp.id = i.order_id "
            "        GROUP BY i.product_id) s WHERE p.id = s.product_id) "
            "SELECT count(*) FROM exp",
            {static_cast<long long>(after.count())});
        const long long n = r.integer(0, 0);
        total += n;
        if (n < 500) return total;
    }
}

}  // namespace checkout

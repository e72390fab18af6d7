#include "workers/scheduler/order_expiry.hpp"

#include "domain/orders/order_release.hpp"

namespace checkout {

long long ExpireUnpaidOrders(PgConnection& conn, Millis after) {
    long long total = 0;
    constexpr int kBatch = 200;
    // Only orders above the floor can be open (migration 019): the history below is never read.
    conn.exec("SELECT orders_advance_open_floor()");
    while (true) {
        PgTransaction tx(conn);
        // SKIP LOCKED: an order a worker or the API is busy with (a confirm starting) is left for the next
        // run.
        auto due = tx.exec(
            "SELECT id FROM orders WHERE status = 'confirmed' "
            "AND created_at >= (SELECT floor_at FROM orders_open_floor) AND created_at < now() - "
            "make_interval(secs => $1::float8 / 1000) "
            "AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.id AND p.status = "
            "'in_progress') "
            "ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            {static_cast<long long>(after.count()), kBatch});
        long long expired = 0;
        for (int i = 0; i < due.rows(); ++i) {
            const std::string order_id = due.str(i, 0);
            // Read after the lock, so no confirm can start meanwhile: a buyer whose payment is at the
            // gateway is not expired under it (charged, then refunded). The reconciler settles a payment
            // that stays in progress; a failed one leaves the order to expire on a later run.
            if (tx.exec("SELECT 1 FROM payments WHERE order_id = $1 AND status = 'in_progress'", {order_id})
                    .rows() > 0)
                continue;
            if (ReleaseOrder(tx, order_id, "confirmed", "expired")) ++expired;
        }
        tx.commit();
        total += expired;
        if (due.rows() < kBatch || expired == 0) return total;
    }
}

}  // namespace checkout

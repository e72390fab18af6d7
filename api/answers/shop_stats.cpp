#include "api/answers/shop_stats.hpp"

namespace checkout::api {

std::string ShopStatsJson(PgConnection& conn) {
    // Revenue is what paid orders (still paid: refunds excluded) charged, over orders placed in the window.
    return conn
        .exec(
            "WITH o AS (SELECT status, final_amount FROM orders WHERE kind = 'goods' AND created_at >= now() "
            "- interval '30 "
            "days'), "
            "s AS (SELECT status, count(*) AS n FROM o GROUP BY status) "
            "SELECT json_build_object('window_days', 30, "
            "'orders', json_build_object('total', (SELECT count(*) FROM o), "
            "   'by_status', coalesce((SELECT json_object_agg(status, n) FROM s), '{}'::json)), "
            "'revenue', (SELECT coalesce(sum(final_amount), 0) FROM o WHERE status = 'paid'), "
            "'failed_payments', (SELECT count(*) FROM payments WHERE status = 'failed' "
            "   AND created_at >= now() - interval '30 days'), "
            "'points_outstanding', (SELECT coalesce(sum(remaining), 0) FROM point_lots "
            "   WHERE remaining > 0 AND expires_at > now()), "
            "'coupons', json_build_object('created', (SELECT count(*) FROM coupons), "
            "   'issued', (SELECT coalesce(sum(issued), 0) FROM coupons), "
            "   'used', (SELECT count(*) FROM user_coupons WHERE status = 'used')))::text")
        .str(0, 0);
}

}  // namespace checkout::api

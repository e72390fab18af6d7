#include "api/answers/subscription_figures.hpp"

namespace checkout::api {

std::string SubscriptionFiguresJson(PgConnection& conn) {
    return conn
        .exec(
            "WITH s AS (SELECT status, count(*) AS n, sum(CASE cycle WHEN 'yearly' THEN price / 12 ELSE "
            "price END) "
            "           AS monthly FROM subscriptions GROUP BY status) "
            "SELECT json_build_object('window_days', 30, "
            "'active', coalesce((SELECT n FROM s WHERE status = 'active'), 0), "
            "'past_due', coalesce((SELECT n FROM s WHERE status = 'past_due'), 0), "
            "'paused', coalesce((SELECT n FROM s WHERE status = 'paused'), 0), "
            "'canceled_30d', (SELECT count(*) FROM subscriptions WHERE status = 'canceled' "
            "   AND ended_at >= now() - interval '30 days'), "
            "'mrr', coalesce((SELECT sum(monthly) FROM s WHERE status IN ('active', 'past_due')), 0), "
            "'revenue_30d', (SELECT coalesce(sum(amount), 0) FROM subscription_charges WHERE status = 'done' "
            "   AND updated_at >= now() - interval '30 days'), "
            "'refunded_30d', (SELECT coalesce(sum(amount), 0) FROM subscription_refunds WHERE status = "
            "'done' "
            "   AND updated_at >= now() - interval '30 days'), "
            "'failed_charges_30d', (SELECT count(*) FROM subscription_charge_attempts WHERE outcome = "
            "'declined' "
            "   AND created_at >= now() - interval '30 days'))::text")
        .str(0, 0);
}

}  // namespace checkout::api

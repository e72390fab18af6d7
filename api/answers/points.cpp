#include "api/answers/points.hpp"

#include "api/answers/ledger_page.hpp"

namespace checkout::api {

std::string PointSummaryJson(PgConnection& conn, long long user_id) {
    return conn
        .exec(
            "SELECT json_build_object('balance', coalesce(sum(remaining), 0) - coalesce((SELECT amount FROM "
            "point_debts WHERE user_id = $1), 0), "
            "'expiring_30d', coalesce(sum(remaining) FILTER (WHERE expires_at <= now() + interval '30 "
            "days'), 0))"
            "::text FROM point_lots WHERE user_id = $1 AND remaining > 0 AND expires_at > now()",
            {user_id})
        .str(0, 0);
}

std::string PointHistoryJson(PgConnection& conn, long long user_id, int page, int size) {
    return conn
        .exec("SELECT " + LedgerPageSql("point_ledger", "'order_id', order_id, 'lot_id', lot_id") + "::text",
              LedgerPageParams(user_id, page, size))
        .str(0, 0);
}

}  // namespace checkout::api

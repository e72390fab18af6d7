#include "api/answers/ledger_page.hpp"

namespace checkout::api {

std::string LedgerPageSql(std::string_view table, std::string_view fields) {
    const std::string t(table);
    return "json_build_object('items', coalesce((SELECT json_agg(json_build_object("
           "  'id', id, 'kind', kind, 'amount', amount, " +
           std::string(fields) +
           ", 'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) "
           "  ORDER BY id DESC) FROM (SELECT * FROM " +
           t +
           " WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3) x), '[]'::json), "
           "'page', $4::int, 'size', $2::int, 'total', (SELECT count(*) FROM " +
           t + " WHERE user_id = $1))";
}

std::vector<PgParam> LedgerPageParams(long long user_id, int page, int size) {
    return {user_id, static_cast<long long>(size), static_cast<long long>(page - 1) * size,
            static_cast<long long>(page)};
}

}  // namespace checkout::api

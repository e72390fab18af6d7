#pragma once
// One page of a user's ledger (points, stored balance), newest first, built by PostgreSQL as
// {items: [{id, kind, amount, <fields>, created_at}], page, size, total}.
#include <string>
#include <string_view>
#include <vector>

#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// A SQL expression for that object over `table` (a ledger with id, user_id, kind, amount, created_at),
// with `fields` added to each item (e.g. "'order_id', order_id"). Its parameters are LedgerPageParams.
std::string LedgerPageSql(std::string_view table, std::string_view fields);
// $1 user, $2 size, $3 offset, $4 page.
std::vector<PgParam> LedgerPageParams(long long user_id, int page, int size);

}  // namespace checkout::api

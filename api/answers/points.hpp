#pragma once
// The API's answers about the buyer's points: what they hold, and the ledger.
#include <string>

#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// GET /api/v1/points: {balance, expiring_30d}.
std::string PointSummaryJson(PgConnection& conn, long long user_id);
// GET /api/v1/points/history: the ledger, newest first, {items, page, size, total}.
std::string PointHistoryJson(PgConnection& conn, long long user_id, int page, int size);

}  // namespace checkout::api

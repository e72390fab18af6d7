#pragma once
// GET /api/v1/admin/stats: the shop's figures over the last 30 days, from the tables themselves.
#include <string>

#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// {window_days, orders: {total, by_status}, revenue, failed_payments, points_outstanding,
//  coupons: {created, issued, used}}
std::string ShopStatsJson(PgConnection& conn);

}  // namespace checkout::api

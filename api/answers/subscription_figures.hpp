#pragma once
// The admin's subscription figures (GET /api/v1/admin/subscriptions/figures).
#include <string>

#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// {window_days: 30, active, past_due, paused, canceled_30d, mrr, revenue_30d, refunded_30d,
//  failed_charges_30d}. MRR: what the active and past-due subscriptions bring in a month at their
// current period's price (a yearly one counts a twelfth, rounded down); revenue: approved charges
// in the window, refunds in the window shown apart.
std::string SubscriptionFiguresJson(PgConnection& conn);

}  // namespace checkout::api

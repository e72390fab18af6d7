#pragma once
// Renewals (DESIGN 3.3): the scheduler starts each due period's charge, exactly once. A subscription
// is due when its current period has ended on `today` (a calendar day in BILLING_TIMEZONE). Under the
// subscription's row lock (SKIP LOCKED: several scheduler copies share the work, never the same row)
// the period advances and its charge row is inserted; the charge is unique per (subscription,
// period), so a copy that got here anyway, a restart or a rerun inserts nothing. The new period is
// computed from the stored anchor and charged at the plan's price of now (a new price applies from
// each subscriber's next period).
#include <string>
#include <vector>

#include "domain/subscriptions/billing_calendar.hpp"
#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// Period `period` = [start, end) of a subscription, at `plan_id` and `price`.
struct PeriodToStart {
    std::string subscription_id;
    long long period = 0, plan_id = 0, price = 0;
    Date start, end;
};
// In the caller's transaction, with the subscriptions locked, in one statement: each period begins
// (its subscription's period advances from period - 1) and its charge and job are inserted; a period
// whose charge exists already changes nothing. Returns how many began.
long long StartPeriods(PgTransaction& tx, const QueuesConfig& cfg, const std::vector<PeriodToStart>& periods);

// Starts the charges of up to `limit` due subscriptions; returns how many it started.
long long StartDueRenewals(PgConnection& conn, const QueuesConfig& cfg, const std::string& today, int limit);

}  // namespace checkout

#pragma once
// Recurring billing on /ops (issue 20): what is due today, what is at the gateway, what was declined,
// and the renewal failure ratio a release gate reads (metric renewal_failure_ratio).
#include <string>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

// {due_today, in_flight, past_due, needs_card, renewals_1h: {attempts, declined, failure_ratio}}:
// due today in `timezone`'s calendar (active, not canceling, period ending today or before), charges
// pending at the gateway now, and the renewal attempts answered in the last hour.
std::string SubscriptionKpisJson(PgConnection& conn, const std::string& timezone);

struct RenewalFigures {
    long long attempts = 0, declined = 0;  // renewals' answered attempts (approved, declined, found)
};
// Over the last `window_s` seconds; the first charges (period 0) are not renewals.
RenewalFigures ReadRenewalFigures(PgConnection& conn, int window_s);

}  // namespace checkout

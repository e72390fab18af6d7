#pragma once
// The days a subscription is billed on (DESIGN 3.3), without the database or a clock. Dates are
// calendar days in BILLING_TIMEZONE; the scheduler turns "today" into one there (PostgreSQL knows
// the zone), so a period is due on one local date however the servers' clocks are set.
//
// A subscription keeps its anchor: the first period's start. Period n starts on the anchor's day of
// month (and its month, yearly) n cycles later, clamped to the last day of a shorter month; it is
// computed from the anchor every time, never from the period before, so a clamp does not stick:
// Jan 31 -> Feb 28 (29 in a leap year) -> Mar 31 -> Apr 30; yearly Feb 29 -> Feb 28 -> ... -> Feb 29.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace checkout {

enum class BillingCycle { kMonthly, kYearly };

// "monthly" or "yearly"; nullopt for anything else.
std::optional<BillingCycle> ParseBillingCycle(std::string_view name);
std::string_view BillingCycleName(BillingCycle cycle);

using Date = std::chrono::year_month_day;

// "YYYY-MM-DD" (a real day); nullopt otherwise.
std::optional<Date> ParseDate(std::string_view text);
std::string FormatDate(const Date& d);
// Whole days from `from` to `to` (negative when `to` is earlier).
long long DaysBetween(const Date& from, const Date& to);

// The start of period `n` (n >= 0; period 0 starts on the anchor).
Date PeriodStart(const Date& anchor, BillingCycle cycle, long long n);
// The period whose days include `day` (0 before the anchor's second period); -1 before the anchor.
long long PeriodOn(const Date& anchor, BillingCycle cycle, const Date& day);

}  // namespace checkout

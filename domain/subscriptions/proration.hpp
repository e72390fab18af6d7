#pragma once
// Prorated amounts of a subscription's period (DESIGN 3.3), in whole won. The rounding rule: every
// prorated amount is rounded down, floor(amount x days / period days), so a refund never pays back
// more than the unused days cost and a plan change never charges more than the days it covers.
//
// Days are calendar days in BILLING_TIMEZONE. The day a change is made counts as a day of what the
// buyer had that morning: an immediate cancel refunds the days after today; an upgrade takes effect
// at once and charges the difference for the days after today (today's upgrade is free).
#include "domain/subscriptions/billing_calendar.hpp"

namespace checkout {

// floor(amount x days / period_days); 0 when days <= 0, the whole amount when days >= period_days.
long long Prorate(long long amount, long long days, long long period_days);

// A period [start, end) and the day a change is made in it.
struct PeriodDay {
    Date start, end, today;
    long long days_after_today() const;
    long long length() const { return DaysBetween(start, end); }
};

// What an immediate cancel refunds of `paid` for the period.
long long CancelRefund(long long paid, const PeriodDay& p);
// What an upgrade from `old_price` to `new_price` charges for the rest of the period (0 for a
// downgrade, which waits for the next period).
long long UpgradeCharge(long long old_price, long long new_price, const PeriodDay& p);

}  // namespace checkout

#include "domain/subscriptions/proration.hpp"

namespace checkout {

long long Prorate(long long amount, long long days, long long period_days) {
    if (days <= 0 || period_days <= 0) return 0;
    if (days >= period_days) return amount;
    // amount <= 10^9 won and days < 367: the product stays far inside 64 bits.
    return amount * days / period_days;
}

long long PeriodDay::days_after_today() const {
    const long long left = DaysBetween(today, end) - 1;
    return left < 0 ? 0 : left;
}

long long CancelRefund(long long paid, const PeriodDay& p) {
    return Prorate(paid, p.days_after_today(), p.length());
}

long long UpgradeCharge(long long old_price, long long new_price, const PeriodDay& p) {
    if (new_price <= old_price) return 0;
    return Prorate(new_price - old_price, p.days_after_today(), p.length());
}

}  // namespace checkout

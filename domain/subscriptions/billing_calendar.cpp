#include "domain/subscriptions/billing_calendar.hpp"

#include <cstdio>

namespace checkout {

using namespace std::chrono;

std::optional<BillingCycle> ParseBillingCycle(std::string_view name) {
    if (name == "monthly") return BillingCycle::kMonthly;
    if (name == "yearly") return BillingCycle::kYearly;
    return std::nullopt;
}

std::string_view BillingCycleName(BillingCycle cycle) {
    return cycle == BillingCycle::kMonthly ? "monthly" : "yearly";
}

std::optional<Date> ParseDate(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    int y = 0;
    unsigned m = 0, d = 0;
    for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
    auto num = [&](std::size_t at, std::size_t len) {
        int v = 0;
        for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (text[i] - '0');
        return v;
    };
    y = num(0, 4);
    m = static_cast<unsigned>(num(5, 2));
    d = static_cast<unsigned>(num(8, 2));
    const Date date{year{y}, month{m}, day{d}};
    if (!date.ok()) return std::nullopt;
    return date;
}

std::string FormatDate(const Date& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                  static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
    return buf;
}

long long DaysBetween(const Date& from, const Date& to) { return (sys_days{to} - sys_days{from}).count(); }

Date PeriodStart(const Date& anchor, BillingCycle cycle, long long n) {
    const year_month ym = cycle == BillingCycle::kMonthly ? anchor.year() / anchor.month() + months{n}
                                                          : (anchor.year() + years{n}) / anchor.month();
    const day last = year_month_day_last{ym.year(), month_day_last{ym.month()}}.day();
    return Date{ym.year(), ym.month(), anchor.day() < last ? anchor.day() : last};
}

long long PeriodOn(const Date& anchor, BillingCycle cycle, const Date& day) {
    if (sys_days{day} < sys_days{anchor}) return -1;
    // A first guess from the months (or years) between them, then the clamp's day of difference.
    long long n = cycle == BillingCycle::kMonthly
                      ? (static_cast<int>(day.year()) - static_cast<int>(anchor.year())) * 12LL +
                            (static_cast<int>(static_cast<unsigned>(day.month())) -
                             static_cast<int>(static_cast<unsigned>(anchor.month())))
                      : static_cast<int>(day.year()) - static_cast<int>(anchor.year());
    if (n < 0) n = 0;
    while (n > 0 && sys_days{PeriodStart(anchor, cycle, n)} > sys_days{day}) --n;
    while (sys_days{PeriodStart(anchor, cycle, n + 1)} <= sys_days{day}) ++n;
    return n;
}

}  // namespace checkout

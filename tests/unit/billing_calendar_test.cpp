// The days a subscription is billed on, its prorated amounts, and what a declined charge means
// (domain/subscriptions).
#include "domain/subscriptions/billing_calendar.hpp"

#include <catch2/catch.hpp>
#include <cctype>

#include "domain/subscriptions/charge_rules.hpp"
#include "domain/subscriptions/dunning.hpp"
#include "domain/subscriptions/proration.hpp"

using namespace checkout;

namespace {

// Written out by hand, not with <chrono>, so that the test does not check the library against itself.
int DaysInMonth(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

Date D(const char* text) { return *ParseDate(text); }

}  // namespace

TEST_CASE("a monthly anchor on day 28 to 31 is billed on that day, or the month's last, for 48 months") {
    for (int anchor_month = 1; anchor_month <= 12; ++anchor_month)
        for (int anchor_day = 28; anchor_day <= 31; ++anchor_day) {
            if (anchor_day > DaysInMonth(2023, anchor_month)) continue;
            const Date anchor{std::chrono::year{2023},
                              std::chrono::month{static_cast<unsigned>(anchor_month)},
                              std::chrono::day{static_cast<unsigned>(anchor_day)}};
            for (int n = 0; n < 48; ++n) {
                const int months = anchor_month - 1 + n, y = 2023 + months / 12, m = months % 12 + 1;
                const int expected = std::min(anchor_day, DaysInMonth(y, m));
                const Date start = PeriodStart(anchor, BillingCycle::kMonthly, n);
                INFO(FormatDate(anchor) << " period " << n << ": " << FormatDate(start));
                CHECK(static_cast<int>(start.year()) == y);
                CHECK(static_cast<unsigned>(start.month()) == static_cast<unsigned>(m));
                CHECK(static_cast<int>(static_cast<unsigned>(start.day())) == expected);
                // Every day of the period belongs to it, and to no other.
                const Date next = PeriodStart(anchor, BillingCycle::kMonthly, n + 1);
                CHECK(PeriodOn(anchor, BillingCycle::kMonthly, start) == n);
                CHECK(PeriodOn(anchor, BillingCycle::kMonthly,
                               std::chrono::sys_days{next} - std::chrono::days{1}) == n);
                CHECK(DaysBetween(start, next) >= 28);
                CHECK(DaysBetween(start, next) <= 31);
            }
        }
}

TEST_CASE("the 31st comes back after a short month, and a leap day after three years") {
    const Date jan31 = D("2024-01-31");
    const char* expected[] = {"2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31",
                              "2024-06-30", "2024-07-31", "2024-08-31", "2024-09-30", "2024-10-31",
                              "2024-11-30", "2024-12-31", "2025-01-31", "2025-02-28", "2025-03-31"};
    for (int n = 0; n < 15; ++n)
        CHECK(FormatDate(PeriodStart(jan31, BillingCycle::kMonthly, n)) == expected[n]);

    const Date leap = D("2024-02-29");
    const char* yearly[] = {"2024-02-29", "2025-02-28", "2026-02-28",
                            "2027-02-28", "2028-02-29", "2029-02-28"};
    for (int n = 0; n < 6; ++n) CHECK(FormatDate(PeriodStart(leap, BillingCycle::kYearly, n)) == yearly[n]);
    CHECK(PeriodOn(leap, BillingCycle::kYearly, D("2025-02-27")) == 0);
    CHECK(PeriodOn(leap, BillingCycle::kYearly, D("2025-02-28")) == 1);
    CHECK(PeriodOn(leap, BillingCycle::kYearly, D("2028-02-28")) == 3);
    CHECK(PeriodOn(leap, BillingCycle::kYearly, D("2028-02-29")) == 4);
    CHECK(PeriodOn(jan31, BillingCycle::kMonthly, D("2024-01-30")) == -1);
}

TEST_CASE("billing dates and cycles are read strictly") {
    CHECK(ParseDate("2024-02-29"));
    CHECK(!ParseDate("2023-02-29"));
    CHECK(!ParseDate("2024-2-01"));
    CHECK(!ParseDate("2024-13-01"));
    CHECK(!ParseDate("2024-01-00"));
    CHECK(!ParseDate("2024-01-01T00:00"));
    CHECK(!ParseDate("20x4-01-01"));
    CHECK(ParseBillingCycle("monthly") == BillingCycle::kMonthly);
    CHECK(ParseBillingCycle("yearly") == BillingCycle::kYearly);
    CHECK(!ParseBillingCycle("Monthly"));
    CHECK(!ParseBillingCycle("weekly"));
    CHECK(DaysBetween(D("2024-02-01"), D("2024-03-01")) == 29);
}

TEST_CASE("prorated amounts are whole won rounded down, and never more than the amount") {
    CHECK(Prorate(10000, 1, 31) == 322);  // 322.58
    CHECK(Prorate(9900, 10, 30) == 3300);
    CHECK(Prorate(9900, 0, 30) == 0);
    CHECK(Prorate(9900, 30, 30) == 9900);
    CHECK(Prorate(9900, 45, 30) == 9900);
    CHECK(Prorate(1'000'000'000, 365, 366) == 997'267'759);
    // Split day by day, the parts never add up to more than the whole.
    for (long long amount : {1LL, 7LL, 9900LL, 10001LL, 1'000'000'000LL})
        for (long long length : {28LL, 29LL, 30LL, 31LL, 365LL, 366LL}) {
            long long sum = 0;
            for (long long d = 0; d < length; ++d) sum += Prorate(amount, 1, length);
            CHECK(sum <= amount);
            CHECK(amount - sum < length);
        }
}

TEST_CASE("an immediate cancel refunds the days after today; an upgrade charges the difference for them") {
    const PeriodDay first{D("2024-04-01"), D("2024-05-01"), D("2024-04-01")};  // 30 days, day 1
    CHECK(first.length() == 30);
    CHECK(first.days_after_today() == 29);
    CHECK(CancelRefund(9900, first) == 9570);  // 9900 x 29 / 30
    const PeriodDay last{D("2024-04-01"), D("2024-05-01"), D("2024-04-30")};
    CHECK(CancelRefund(9900, last) == 0);
    const PeriodDay mid{D("2024-02-15"), D("2024-03-15"), D("2024-02-29")};  // 29 days, 14 left
    CHECK(CancelRefund(10000, mid) == 4827);                                 // 4827.58
    CHECK(UpgradeCharge(9900, 19900, mid) == 4827);
    CHECK(UpgradeCharge(19900, 9900, mid) == 0);  // a downgrade waits for the next period
    CHECK(UpgradeCharge(9900, 9900, mid) == 0);
}

TEST_CASE("a declined charge is retried on the schedule, after a new card, or looked up; never at once") {
    for (const char* soft :
         {"REJECT_CARD_PAYMENT", "PROVIDER_ERROR", "FAILED_INTERNAL_SYSTEM_PROCESSING", "REJECT_CARD_COMPANY",
          "EXCEED_MAX_AUTH_COUNT", "FAILED_CARD_COMPANY_RESPONSE", "SOMETHING_NEW"})
        CHECK(ClassifyChargeDecline(soft) == ChargeDecline::kSoft);
    for (const char* hard : {"INVALID_CARD_EXPIRATION", "INVALID_STOPPED_CARD", "INVALID_CARD_LOST_OR_STOLEN",
                             "NOT_MATCHES_CUSTOMER_KEY", "INVALID_BILL_KEY_REQUEST", "NOT_FOUND_BILLING",
                             "BILLING_CARD_REQUIRED"})
        CHECK(ClassifyChargeDecline(hard) == ChargeDecline::kHard);
    CHECK(ClassifyChargeDecline("DUPLICATED_ORDER_ID") == ChargeDecline::kLookItUp);
}

TEST_CASE("dunning: each soft decline plans the next offset from the first decline, then ends; hard waits") {
    const Millis day(86400000);
    const DunningPolicy policy{{day, 3 * day, 5 * day, 7 * day}, "canceled"};
    using K = DunningStep::Kind;
    for (int round = 0; round < 4; ++round) {
        const auto step = NextDunningStep(ChargeDecline::kSoft, round, policy);
        CHECK(step.kind == K::kRetry);
        CHECK(step.after_first_decline == policy.schedule[static_cast<std::size_t>(round)]);
        // A hard decline at any round waits for a card until the schedule's last offset.
        const auto hard = NextDunningStep(ChargeDecline::kHard, round, policy);
        CHECK((hard.kind == K::kWaitForCard && hard.after_first_decline == 7 * day));
    }
    CHECK(NextDunningStep(ChargeDecline::kSoft, 4, policy).kind == K::kEnd);  // the last retry declined
    CHECK(NextDunningStep(ChargeDecline::kSoft, 9, policy).kind == K::kEnd);
    const DunningPolicy once{{2 * day}, "unpaid"};
    CHECK(NextDunningStep(ChargeDecline::kSoft, 0, once).after_first_decline == 2 * day);
    CHECK(NextDunningStep(ChargeDecline::kSoft, 1, once).kind == K::kEnd);
}

TEST_CASE("a charge's orderId is the same for every attempt at one period, and fits the gateway's rules") {
    const std::string sub = "01936b2e-7c1a-7d3e-9f00-123456789abc";
    const auto id = ChargeOrderId(sub, 47);
    CHECK(id == "SUB-01936b2e7c1a7d3e9f00123456789abc-47-P");
    CHECK(ChargeOrderId(sub, 47) == id);
    CHECK(ChargeOrderId(sub, 48) != id);
    CHECK(ChargeOrderId(sub, 47, "U") != id);
    CHECK(ChargeOrderId(sub, 99999).size() <= 64);
    for (const char c : ChargeOrderId(sub, 99999, "U"))
        CHECK((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'));
}

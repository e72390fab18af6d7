#include "domain/subscriptions/renewals.hpp"

#include "domain/job_payloads.hpp"
#include "domain/subscriptions/billing_calendar.hpp"
#include "domain/subscriptions/charge_rules.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

bool StartPeriod(PgTransaction& tx, const QueuesConfig& cfg, const std::string& subscription_id,
                 long long period, long long plan_id, long long price, const Date& start, const Date& end) {
    const std::string charge_id = NewUuid();
    const Job job =
        NewJob(cfg, NewUuid(), kSubscriptionChargeJob, SubscriptionChargePayload{charge_id}.ToJson());
    auto params = JobInsertParams(job);  // $1..$4
    for (PgParam p : {PgParam(subscription_id), PgParam(period), PgParam(price), PgParam(charge_id),
                      PgParam(ChargeOrderId(subscription_id, period)), PgParam(FormatDate(start)),
                      PgParam(FormatDate(end)), PgParam(plan_id)})
        params.push_back(std::move(p));  // $5..$12
    auto r = tx.exec(
        "WITH c AS (INSERT INTO subscription_charges (id, subscription_id, period, kind, order_id, amount, "
        "           status, job_id) VALUES ($8, $5, $6, 'P', $9, $7, 'pending', $1) "
        "           ON CONFLICT (subscription_id, period, kind) DO NOTHING RETURNING 1), "
        "j AS (INSERT INTO jobs (id, type, queue, state, payload) SELECT $1, $2, $3, 'queued', $4::jsonb "
        "      WHERE EXISTS (SELECT 1 FROM c)), "
        // A downgrade chosen during the period takes effect now: its plan, its price.
        "s AS (UPDATE subscriptions SET period = $6, period_start = $10::date, period_end = $11::date, "
        "      price = $7, plan_id = $12, next_plan_id = NULL, updated_at = now() "
        "      WHERE id = $5 AND period = $6 - 1) "
        "SELECT (SELECT count(*) FROM c), pg_notify('outbox', '')",
        params);
    return r.integer(0, 0) == 1;
}

long long StartDueRenewals(PgConnection& conn, const QueuesConfig& cfg, const std::string& today, int limit) {
    PgTransaction tx(conn);
    auto due = tx.exec(
        "SELECT s.id, s.anchor_date::text, s.cycle, s.period, p.price, p.id, s.anchor_period FROM "
        "subscriptions s "
        "JOIN plans p ON p.id = coalesce(s.next_plan_id, s.plan_id) "
        "WHERE s.status = 'active' AND NOT s.cancel_at_period_end "
        "AND s.period_end <= $1::date ORDER BY s.period_end, s.id LIMIT $2 FOR UPDATE OF s SKIP LOCKED",
        {today, limit});
    long long started = 0;
    for (int i = 0; i < due.rows(); ++i) {
        const Date anchor = *ParseDate(due.get(i, 1));
        const BillingCycle cycle = ParseBillingCycle(due.get(i, 2)).value_or(BillingCycle::kMonthly);
        const long long period = due.integer(i, 3) + 1;
        // Periods are counted from the anchor, which a resume after a pause may have moved.
        const long long n = period - due.integer(i, 6);
        started += StartPeriod(tx, cfg, due.str(i, 0), period, due.integer(i, 5), due.integer(i, 4),
                               PeriodStart(anchor, cycle, n), PeriodStart(anchor, cycle, n + 1));
    }
    tx.commit();
    return started;
}

}  // namespace checkout

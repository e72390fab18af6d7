#include "domain/subscriptions/renewals.hpp"

#include "domain/job_payloads.hpp"
#include "domain/subscriptions/billing_calendar.hpp"
#include "domain/subscriptions/charge_rules.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

long long StartPeriods(PgTransaction& tx, const QueuesConfig& cfg,
                       const std::vector<PeriodToStart>& periods) {
    if (periods.empty()) return 0;
    // One statement for the whole group (a JSON recordset, as orders are accepted in groups): per
    // period one parse, plan and round trip less, which is most of a renewal's cost in PostgreSQL.
    JsonWriter doc;
    doc.StartArray();
    std::string queue;
    for (const auto& p : periods) {
        const std::string charge_id = NewUuid();
        const Job job =
            NewJob(cfg, NewUuid(), kSubscriptionChargeJob, SubscriptionChargePayload{charge_id}.ToJson());
        queue = job.queue;
        doc.StartObject().Key("subscription_id").String(p.subscription_id).Key("period").Int(p.period);
        doc.Key("price").Int(p.price).Key("plan_id").Int(p.plan_id).Key("charge_id").String(charge_id);
        doc.Key("order_id").String(ChargeOrderId(p.subscription_id, p.period)).Key("job_id").String(job.id);
        doc.Key("start").String(FormatDate(p.start)).Key("end").String(FormatDate(p.end));
        doc.Key("payload").Raw(job.payload_json).EndObject();
    }
    doc.EndArray();
    auto r = tx.exec(
        "WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(subscription_id uuid, period int, "
        "           price bigint, plan_id bigint, charge_id uuid, order_id text, job_id uuid, start date, "
        "           \"end\" date, payload jsonb)), "
        "c AS (INSERT INTO subscription_charges (id, subscription_id, period, kind, order_id, amount, "
        "status, "
        "      job_id) SELECT charge_id, subscription_id, period, 'P', order_id, price, 'pending', job_id "
        "      FROM d ON CONFLICT (subscription_id, period, kind) DO NOTHING RETURNING job_id), "
        "j AS (INSERT INTO jobs (id, type, queue, state, payload) SELECT d.job_id, $2, $3, 'queued', "
        "d.payload "
        "      FROM d JOIN c USING (job_id)), "
        // A downgrade chosen during the period takes effect now: its plan, its price.
        "s AS (UPDATE subscriptions s SET period = d.period, period_start = d.start, period_end = d.\"end\", "
        "      price = d.price, plan_id = d.plan_id, next_plan_id = NULL, updated_at = now() "
        "      FROM d WHERE s.id = d.subscription_id AND s.period = d.period - 1) "
        "SELECT count(*), CASE WHEN count(*) > 0 THEN pg_notify('outbox', '') END FROM c",
        {doc.str(), std::string(kSubscriptionChargeJob), queue});
    return r.integer(0, 0);
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
    std::vector<PeriodToStart> periods;
    periods.reserve(static_cast<std::size_t>(due.rows()));
    for (int i = 0; i < due.rows(); ++i) {
        const Date anchor = *ParseDate(due.get(i, 1));
        const BillingCycle cycle = ParseBillingCycle(due.get(i, 2)).value_or(BillingCycle::kMonthly);
        const long long period = due.integer(i, 3) + 1;
        // Periods are counted from the anchor, which a resume after a pause may have moved.
        const long long n = period - due.integer(i, 6);
        periods.push_back({due.str(i, 0), period, due.integer(i, 5), due.integer(i, 4),
                           PeriodStart(anchor, cycle, n), PeriodStart(anchor, cycle, n + 1)});
    }
    const long long started = StartPeriods(tx, cfg, periods);
    tx.commit();
    return started;
}

}  // namespace checkout

#include "domain/subscriptions/subscription_store.hpp"

#include "domain/job_payloads.hpp"
#include "domain/subscriptions/billing_calendar.hpp"
#include "domain/subscriptions/charge_rules.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

namespace {

const char* kSubscriptionColumns =
    "s.id, s.status, s.cycle, s.anchor_date::text, s.period_start::text, s.period_end::text, "
    "to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), s.plan_id, s.price, "
    "s.period, "
    "p.name, s.cancel_at_period_end, s.needs_card, "
    "to_char(s.dunning_ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), s.next_plan_id";

std::optional<SubscriptionView> ViewOf(PgConnection& conn, const PgResult& r) {
    if (r.rows() == 0) return std::nullopt;
    SubscriptionView v{r.str(0, 0),
                       r.str(0, 1),
                       r.str(0, 2),
                       r.str(0, 3),
                       r.str(0, 4),
                       r.str(0, 5),
                       r.str(0, 6),
                       r.integer(0, 7),
                       r.integer(0, 8),
                       r.integer(0, 9),
                       r.str(0, 10),
                       r.boolean(0, 11),
                       r.boolean(0, 12),
                       r.opt(0, 13),
                       r.is_null(0, 14) ? std::nullopt : std::optional<long long>(r.integer(0, 14)),
                       {}};
    // In the caller's snapshot: a decline that ends the subscription never shows half-done (a CI run
    // once read the final retry's charge `failed` beside a subscription still `past_due`).
    v.charges = SubscriptionCharges(conn, v.subscription_id, 12, 0);
    return v;
}

}  // namespace

long long ParseSubscribeRequest(std::string_view body) {
    const auto d = ParseJsonObject(body, "The subscription is invalid.");
    auto it = d.FindMember("plan_id");
    if (it == d.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 1)
        throw AppError(
            ErrorCode::kValidationFailed, "The subscription is invalid.",
            std::vector<FieldError>{{"plan_id", "is required: the id of a plan GET /api/v1/plans lists"}});
    return it->value.GetInt64();
}

StartedSubscription Subscribe(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone,
                              long long user_id, long long plan_id) {
    // The plan, whether the buyer has a card and a live subscription, and today where billing counts days.
    auto r = tx.exec(
        "SELECT p.price, p.cycle, p.active, p.name, "
        "EXISTS (SELECT 1 FROM billing_cards WHERE user_id = $2 AND status = 'active'), "
        "EXISTS (SELECT 1 FROM subscriptions WHERE user_id = $2 AND status IN ('incomplete', 'active', "
        "'past_due', 'paused')), (now() AT TIME ZONE $3)::date::text FROM plans p WHERE p.id = $1",
        {plan_id, user_id, timezone});
    if (r.rows() == 0) throw AppError(ErrorCode::kNotFound, "No such plan.");
    if (!r.boolean(0, 2))
        throw AppError(ErrorCode::kValidationFailed, "The subscription is invalid.",
                       std::vector<FieldError>{{"plan_id", "is not offered any more"}});
    if (r.boolean(0, 5)) throw AppError(ErrorCode::kSubscriptionExists, "You have a subscription already.");
    if (!r.boolean(0, 4))
        throw AppError(ErrorCode::kBillingCardRequired,
                       "Register a card for billing first (POST /api/v1/billing/keys).");
    const long long price = r.integer(0, 0);
    const BillingCycle cycle = ParseBillingCycle(r.get(0, 1)).value_or(BillingCycle::kMonthly);
    const Date today = *ParseDate(r.get(0, 6));
    const std::string subscription_id = NewUuid(), charge_id = NewUuid();
    const Job job =
        NewJob(cfg, NewUuid(), kSubscriptionChargeJob, SubscriptionChargePayload{charge_id}.ToJson());
    auto params = JobInsertParams(job);  // $1..$4
    for (PgParam p : {PgParam(subscription_id), PgParam(user_id), PgParam(plan_id),
                      PgParam(std::string(BillingCycleName(cycle))), PgParam(price),
                      PgParam(FormatDate(today)), PgParam(FormatDate(PeriodStart(today, cycle, 1))),
                      PgParam(charge_id), PgParam(ChargeOrderId(subscription_id, 0))})
        params.push_back(std::move(p));  // $5..$13
    try {
        tx.exec(
            std::string("WITH ") + kInsertJobCtes +
                ", s AS (INSERT INTO subscriptions (id, user_id, plan_id, status, cycle, price, anchor_date, "
                "period_start, period_end) VALUES ($5, $6, $7, 'incomplete', $8, $9, $10::date, $10::date, "
                "$11::date) RETURNING id), "
                "c AS (INSERT INTO subscription_charges (id, subscription_id, period, kind, order_id, "
                "amount, "
                "status, job_id) SELECT $12, id, 0, 'P', $13, $9, 'pending', $1 FROM s) "
                "SELECT pg_notify('outbox', '')",
            params);
    } catch (const PgError& e) {
        // Another request of the same buyer subscribed at this very moment.
        if (e.unique_violation())
            throw AppError(ErrorCode::kSubscriptionExists, "You have a subscription already.");
        throw;
    }
    return {subscription_id, "incomplete", job.id};
}

std::optional<SubscriptionView> CurrentSubscription(PgConnection& conn, long long user_id) {
    PgTransaction snapshot(conn, kSnapshotRead);
    return ViewOf(conn,
                  conn.exec(std::string("SELECT ") + kSubscriptionColumns +
                                " FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.user_id = $1 "
                                "ORDER BY (s.status IN ('incomplete', 'active', 'past_due', 'paused')) DESC, "
                                "s.created_at DESC LIMIT 1",
                            {user_id}));
}

std::optional<SubscriptionView> FindSubscription(PgConnection& conn, long long user_id,
                                                 const std::string& subscription_id) {
    if (!IsUuid(subscription_id)) return std::nullopt;
    PgTransaction snapshot(conn, kSnapshotRead);
    return ViewOf(conn, conn.exec(std::string("SELECT ") + kSubscriptionColumns +
                                      " FROM subscriptions s JOIN plans p ON p.id = s.plan_id "
                                      "WHERE s.id = $1 AND s.user_id = $2",
                                  {subscription_id, user_id}));
}

}  // namespace checkout

#include "domain/subscriptions/subscription_changes.hpp"

#include "domain/job_payloads.hpp"
#include "domain/subscriptions/charge_rules.hpp"
#include "domain/subscriptions/proration.hpp"
#include "domain/subscriptions/renewals.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

namespace {

// The buyer's subscription, locked: {status, cancel_at_period_end}.
PgResult Locked(PgTransaction& tx, long long user_id, const std::string& subscription_id) {
    if (!IsUuid(subscription_id)) throw AppError(ErrorCode::kNotFound, "No such subscription.");
    auto s = tx.exec(
        "SELECT status, cancel_at_period_end FROM subscriptions WHERE id = $1 AND user_id = $2 FOR UPDATE",
        {subscription_id, user_id});
    if (s.rows() == 0) throw AppError(ErrorCode::kNotFound, "No such subscription.");
    return s;
}

// A change waits while a charge is at the gateway, so that it acts on what the gateway answered.
void RefuseWhileCharging(PgTransaction& tx, const std::string& subscription_id) {
    if (tx.exec("SELECT 1 FROM subscription_charges WHERE subscription_id = $1 AND status = 'pending'",
                {subscription_id})
            .rows() > 0)
        throw AppError(ErrorCode::kChargeInFlight,
                       "A charge of this subscription is at the gateway; try again in a minute.");
}

// One charge's refund and the job that pays it back; once per charge.
void StartRefund(PgTransaction& tx, const QueuesConfig& cfg, const std::string& charge_id, long long amount) {
    const std::string refund_id = NewUuid();
    const Job job =
        NewJob(cfg, NewUuid(), kSubscriptionRefundJob, SubscriptionRefundPayload{refund_id}.ToJson());
    auto params = JobInsertParams(job);  // $1..$4
    for (PgParam p : {PgParam(refund_id), PgParam(charge_id), PgParam(amount)})
        params.push_back(std::move(p));
    tx.exec(
        "WITH r AS (INSERT INTO subscription_refunds (id, charge_id, amount, status, job_id) "
        "           VALUES ($5, $6, $7, 'pending', $1) ON CONFLICT (charge_id) DO NOTHING RETURNING 1), "
        "j AS (INSERT INTO jobs (id, type, queue, state, payload) SELECT $1, $2, $3, 'queued', $4::jsonb "
        "      WHERE EXISTS (SELECT 1 FROM r)) "
        "SELECT pg_notify('outbox', '')",
        params);
}

// The unused days of the current period's done charges, each paid back by a subscription.refund job:
// the period's charge for the days after today; an upgrade's, which paid for the days after its own
// day, for the days after today of those.
void RefundUnusedDays(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone,
                      const std::string& subscription_id) {
    auto c = tx.exec(
        "SELECT c.id, c.amount, c.kind, s.period_start::text, s.period_end::text, "
        "(now() AT TIME ZONE $2)::date::text, (c.created_at AT TIME ZONE $2)::date::text "
        "FROM subscriptions s JOIN subscription_charges c "
        "ON c.subscription_id = s.id AND c.period = s.period AND c.status = 'done' WHERE s.id = $1",
        {subscription_id, timezone});
    // None: the period was never paid (past due), nothing to pay back.
    for (int i = 0; i < c.rows(); ++i) {
        const PeriodDay day{*ParseDate(c.get(i, 3)), *ParseDate(c.get(i, 4)), *ParseDate(c.get(i, 5))};
        long long amount = CancelRefund(c.integer(i, 1), day);
        if (c.get(i, 2) == "U") {
            const PeriodDay upgraded{day.start, day.end, *ParseDate(c.get(i, 6))};
            amount = Prorate(c.integer(i, 1), day.days_after_today(), upgraded.days_after_today());
        }
        if (amount > 0) StartRefund(tx, cfg, c.str(i, 0), amount);  // 0: canceled on the last day
    }
}

}  // namespace

CancelWhen ParseCancelRequest(std::string_view body) {
    const auto d = ParseJsonObject(body, "The cancel is invalid.");
    auto it = d.FindMember("when");
    const std::string_view when =
        it != d.MemberEnd() && it->value.IsString() ? std::string_view(it->value.GetString()) : "";
    if (when == "period_end") return CancelWhen::kPeriodEnd;
    if (when == "now") return CancelWhen::kNow;
    throw AppError(ErrorCode::kValidationFailed, "The cancel is invalid.",
                   std::vector<FieldError>{{"when", "must be period_end or now"}});
}

void CancelSubscription(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone,
                        long long user_id, const std::string& subscription_id, CancelWhen when) {
    const auto s = Locked(tx, user_id, subscription_id);
    const std::string status = s.str(0, 0);
    if (status == "canceled") return;
    if (when == CancelWhen::kPeriodEnd) {
        if (status != "active" && status != "paused")
            throw AppError(ErrorCode::kSubscriptionNotLive,
                           "Only an active or paused subscription can be canceled at its period's end.");
        tx.exec("UPDATE subscriptions SET cancel_at_period_end = true, updated_at = now() WHERE id = $1",
                {subscription_id});
        return;
    }
    if (status != "active" && status != "past_due" && status != "paused")
        throw AppError(ErrorCode::kSubscriptionNotLive, "The subscription has ended.");
    RefuseWhileCharging(tx, subscription_id);
    RefundUnusedDays(tx, cfg, timezone, subscription_id);
    // Dunning stops with it: no retry of a failed charge is planned any more.
    tx.exec(
        "WITH c AS (UPDATE subscription_charges SET retry_at = NULL, updated_at = now() "
        "           WHERE subscription_id = $1 AND retry_at IS NOT NULL) "
        "UPDATE subscriptions SET status = 'canceled', ended_at = now(), cancel_at_period_end = false, "
        "needs_card = false, dunning_ends_at = NULL, updated_at = now() WHERE id = $1",
        {subscription_id});
}

long long ParsePlanChangeRequest(std::string_view body) {
    const auto d = ParseJsonObject(body, "The plan change is invalid.");
    auto it = d.FindMember("plan_id");
    if (it == d.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 1)
        throw AppError(
            ErrorCode::kValidationFailed, "The plan change is invalid.",
            std::vector<FieldError>{{"plan_id", "is required: the id of a plan GET /api/v1/plans lists"}});
    return it->value.GetInt64();
}

void ChangePlan(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone, long long user_id,
                const std::string& subscription_id, long long plan_id) {
    const auto s = Locked(tx, user_id, subscription_id);
    if (s.str(0, 0) != "active")
        throw AppError(ErrorCode::kSubscriptionNotLive, "Only an active subscription can change its plan.");
    auto r = tx.exec(
        "SELECT p.price, p.active, p.cycle = s.cycle, s.price, s.plan_id = p.id, s.period, "
        "s.period_start::text, s.period_end::text, (now() AT TIME ZONE $3)::date::text, "
        "EXISTS (SELECT 1 FROM subscription_charges c WHERE c.subscription_id = s.id AND c.period = "
        "s.period "
        "        AND c.kind = 'U') "
        "FROM subscriptions s, plans p WHERE s.id = $1 AND p.id = $2",
        {subscription_id, plan_id, timezone});
    if (r.rows() == 0) throw AppError(ErrorCode::kNotFound, "No such plan.");
    const auto refuse = [](const char* why) {
        throw AppError(ErrorCode::kValidationFailed, "The plan change is invalid.",
                       std::vector<FieldError>{{"plan_id", why}});
    };
    if (!r.boolean(0, 1)) refuse("is not offered any more");
    if (!r.boolean(0, 2)) refuse("must have the subscription's cycle (another cycle is a new subscription)");
    RefuseWhileCharging(tx, subscription_id);
    const long long new_price = r.integer(0, 0), old_price = r.integer(0, 3);
    if (r.boolean(0, 4) || new_price <= old_price) {
        // The same plan again drops a pending downgrade; a downgrade waits for the next period.
        tx.exec(
            "UPDATE subscriptions SET next_plan_id = CASE WHEN plan_id = $2 THEN NULL ELSE $2 END, "
            "updated_at = now() WHERE id = $1",
            {subscription_id, plan_id});
        return;
    }
    if (r.boolean(0, 9))
        throw AppError(ErrorCode::kConflict, "The subscription was upgraded this period already.");
    const PeriodDay day{*ParseDate(r.get(0, 6)), *ParseDate(r.get(0, 7)), *ParseDate(r.get(0, 8))};
    const long long amount = UpgradeCharge(old_price, new_price, day);
    if (amount <= 0) {  // the period's last day: nothing left to charge for
        tx.exec(
            "UPDATE subscriptions SET plan_id = $2, price = $3, next_plan_id = NULL, updated_at = now() "
            "WHERE id = $1",
            {subscription_id, plan_id, new_price});
        return;
    }
    const std::string charge_id = NewUuid();
    const long long period = r.integer(0, 5);
    const Job job =
        NewJob(cfg, NewUuid(), kSubscriptionChargeJob, SubscriptionChargePayload{charge_id}.ToJson());
    auto params = JobInsertParams(job);  // $1..$4
    for (PgParam p : {PgParam(charge_id), PgParam(subscription_id), PgParam(period),
                      PgParam(ChargeOrderId(subscription_id, period, "U")), PgParam(amount), PgParam(plan_id),
                      PgParam(new_price)})
        params.push_back(std::move(p));  // $5..$11
    tx.exec(
        "WITH c AS (INSERT INTO subscription_charges (id, subscription_id, period, kind, order_id, amount, "
        "status, "
        "           job_id, upgrade_plan_id, upgrade_price) VALUES ($5, $6, $7, 'U', $8, $9, 'pending', $1, "
        "$10, $11)), "
        "j AS (INSERT INTO jobs (id, type, queue, state, payload) VALUES ($1, $2, $3, 'queued', $4::jsonb)) "
        "SELECT pg_notify('outbox', '')",
        params);
}

void PauseSubscription(PgTransaction& tx, long long user_id, const std::string& subscription_id) {
    const auto s = Locked(tx, user_id, subscription_id);
    if (s.str(0, 0) == "paused") return;
    if (s.str(0, 0) != "active")
        throw AppError(ErrorCode::kSubscriptionNotLive, "Only an active subscription can be paused.");
    RefuseWhileCharging(tx, subscription_id);
    tx.exec("UPDATE subscriptions SET status = 'paused', updated_at = now() WHERE id = $1",
            {subscription_id});
}

void ResumeSubscription(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone,
                        long long user_id, const std::string& subscription_id) {
    const auto s = Locked(tx, user_id, subscription_id);
    if (s.str(0, 0) == "active") return;
    if (s.str(0, 0) != "paused")
        throw AppError(ErrorCode::kSubscriptionNotLive, "Only a paused subscription can be resumed.");
    auto r = tx.exec(
        "SELECT s.period_end > (now() AT TIME ZONE $2)::date, (now() AT TIME ZONE $2)::date::text, s.period, "
        "s.cycle, p.id, p.price FROM subscriptions s JOIN plans p ON p.id = coalesce(s.next_plan_id, "
        "s.plan_id) "
        "WHERE s.id = $1",
        {subscription_id, timezone});
    if (r.boolean(0, 0)) {  // still in the period paid for
        tx.exec("UPDATE subscriptions SET status = 'active', updated_at = now() WHERE id = $1",
                {subscription_id});
        return;
    }
    const Date today = *ParseDate(r.get(0, 1));
    const long long period = r.integer(0, 2) + 1;
    const BillingCycle cycle = ParseBillingCycle(r.get(0, 3)).value_or(BillingCycle::kMonthly);
    tx.exec(
        "UPDATE subscriptions SET status = 'active', anchor_date = $2::date, anchor_period = $3, "
        "cancel_at_period_end = false, updated_at = now() WHERE id = $1",
        {subscription_id, FormatDate(today), period});
    StartPeriods(
        tx, cfg,
        {{subscription_id, period, r.integer(0, 4), r.integer(0, 5), today, PeriodStart(today, cycle, 1)}});
}

void UndoCancel(PgTransaction& tx, long long user_id, const std::string& subscription_id) {
    const auto s = Locked(tx, user_id, subscription_id);
    const std::string status = s.str(0, 0);
    if (status != "active" && status != "paused")
        throw AppError(ErrorCode::kSubscriptionNotLive,
                       "The subscription has ended: there is no cancel to undo.");
    tx.exec("UPDATE subscriptions SET cancel_at_period_end = false, updated_at = now() WHERE id = $1",
            {subscription_id});
}

long long EndCanceledPeriods(PgConnection& conn, const std::string& today) {
    return conn
        .exec(
            "UPDATE subscriptions SET status = 'canceled', ended_at = now(), cancel_at_period_end = false, "
            "updated_at = now() WHERE cancel_at_period_end AND status IN ('active', 'paused') "
            "AND period_end <= $1::date",
            {today})
        .affected();
}

}  // namespace checkout

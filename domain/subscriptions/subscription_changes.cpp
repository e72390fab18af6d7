#include "domain/subscriptions/subscription_changes.hpp"

#include "domain/job_payloads.hpp"
#include "domain/subscriptions/proration.hpp"
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

// The unused days of the current period's done charge, paid back by a subscription.refund job.
void RefundUnusedDays(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone,
                      const std::string& subscription_id) {
    auto c = tx.exec(
        "SELECT c.id, c.amount, s.period_start::text, s.period_end::text, "
        "(now() AT TIME ZONE $2)::date::text FROM subscriptions s JOIN subscription_charges c "
        "ON c.subscription_id = s.id AND c.period = s.period AND c.kind = 'P' AND c.status = 'done' "
        "WHERE s.id = $1",
        {subscription_id, timezone});
    if (c.rows() == 0) return;  // the period was never paid (past due): nothing to pay back
    const PeriodDay day{*ParseDate(c.get(0, 2)), *ParseDate(c.get(0, 3)), *ParseDate(c.get(0, 4))};
    const long long amount = CancelRefund(c.integer(0, 1), day);
    if (amount <= 0) return;  // canceled on the period's last day
    const std::string refund_id = NewUuid();
    const Job job =
        NewJob(cfg, NewUuid(), kSubscriptionRefundJob, SubscriptionRefundPayload{refund_id}.ToJson());
    auto params = JobInsertParams(job);  // $1..$4
    for (PgParam p : {PgParam(refund_id), PgParam(c.str(0, 0)), PgParam(amount)})
        params.push_back(std::move(p));
    tx.exec(
        "WITH r AS (INSERT INTO subscription_refunds (id, charge_id, amount, status, job_id) "
        "           VALUES ($5, $6, $7, 'pending', $1) ON CONFLICT (charge_id) DO NOTHING RETURNING 1), "
        "j AS (INSERT INTO jobs (id, type, queue, state, payload) SELECT $1, $2, $3, 'queued', $4::jsonb "
        "      WHERE EXISTS (SELECT 1 FROM r)) "
        "SELECT pg_notify('outbox', '')",
        params);
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
    if (tx.exec("SELECT 1 FROM subscription_charges WHERE subscription_id = $1 AND status = 'pending'",
                {subscription_id})
            .rows() > 0)
        throw AppError(ErrorCode::kChargeInFlight,
                       "A charge of this subscription is at the gateway; try again in a minute.");
    RefundUnusedDays(tx, cfg, timezone, subscription_id);
    // Dunning stops with it: no retry of a failed charge is planned any more.
    tx.exec(
        "WITH c AS (UPDATE subscription_charges SET retry_at = NULL, updated_at = now() "
        "           WHERE subscription_id = $1 AND retry_at IS NOT NULL) "
        "UPDATE subscriptions SET status = 'canceled', ended_at = now(), cancel_at_period_end = false, "
        "needs_card = false, dunning_ends_at = NULL, updated_at = now() WHERE id = $1",
        {subscription_id});
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

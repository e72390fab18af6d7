#include "domain/subscriptions/dunning.hpp"

#include "domain/job_payloads.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

namespace {

// The billing clock's now, moved by whole days ($1).
constexpr const char* kShiftedNow = "(now() + $1::bigint * interval '1 day')";

// A failed charge (locked by the caller) pending again, in a new round, with its job.
void RestartCharge(PgTransaction& tx, const QueuesConfig& cfg, const std::string& charge_id) {
    const Job job =
        NewJob(cfg, NewUuid(), kSubscriptionChargeJob, SubscriptionChargePayload{charge_id}.ToJson());
    auto params = JobInsertParams(job);  // $1..$4
    params.push_back(charge_id);         // $5
    tx.exec(
        "WITH c AS (UPDATE subscription_charges SET status = 'pending', round = round + 1, retry_at = NULL, "
        "           failure_code = NULL, failure_message = NULL, job_id = $1, updated_at = now() "
        "           WHERE id = $5 AND status = 'failed' RETURNING subscription_id), "
        "s AS (UPDATE subscriptions SET needs_card = false, updated_at = now() "
        "      WHERE id IN (SELECT subscription_id FROM c)), "
        "j AS (INSERT INTO jobs (id, type, queue, state, payload) SELECT $1, $2, $3, 'queued', $4::jsonb "
        "      WHERE EXISTS (SELECT 1 FROM c)) "
        "SELECT pg_notify('outbox', '')",
        params);
}

}  // namespace

DunningStep NextDunningStep(ChargeDecline decline, int round, const DunningPolicy& policy) {
    const auto tries = static_cast<int>(policy.schedule.size());
    const Millis last = policy.schedule.empty() ? Millis(0) : policy.schedule.back();
    if (decline == ChargeDecline::kHard) return {DunningStep::Kind::kWaitForCard, last};
    if (round < tries) return {DunningStep::Kind::kRetry, policy.schedule[static_cast<std::size_t>(round)]};
    return {DunningStep::Kind::kEnd, last};
}

long long StartDueRetries(PgConnection& conn, const QueuesConfig& cfg, long long shift_days, int limit) {
    PgTransaction tx(conn);
    auto due = tx.exec(std::string("SELECT c.id FROM subscription_charges c JOIN subscriptions s ON "
                                   "s.id = c.subscription_id WHERE c.retry_at <= ") +
                           kShiftedNow +
                           " AND c.status = 'failed' AND s.status = 'past_due' "
                           "ORDER BY c.retry_at, c.id LIMIT $2 FOR UPDATE OF c SKIP LOCKED",
                       {shift_days, limit});
    for (int i = 0; i < due.rows(); ++i) RestartCharge(tx, cfg, due.str(i, 0));
    tx.commit();
    return due.rows();
}

long long EndLapsedDunning(PgConnection& conn, long long shift_days, const std::string& final_status) {
    // A retry still planned or in flight decides; only a subscription with nothing left ends here.
    auto r =
        conn.exec(std::string("UPDATE subscriptions s SET status = $2, ended_at = now(), "
                              "needs_card = false, dunning_ends_at = NULL, updated_at = now() "
                              "WHERE s.status = 'past_due' AND s.dunning_ends_at <= ") +
                      kShiftedNow +
                      " AND NOT EXISTS (SELECT 1 FROM subscription_charges c WHERE c.subscription_id = s.id "
                      "AND (c.status = 'pending' OR c.retry_at IS NOT NULL))",
                  {shift_days, final_status});
    return r.affected();
}

long long RetryWithNewCard(PgTransaction& tx, const QueuesConfig& cfg, long long user_id) {
    // A subscription whose key was deleted while it was paid up needs no card any more either.
    tx.exec(
        "UPDATE subscriptions SET needs_card = false, updated_at = now() WHERE user_id = $1 AND needs_card",
        {user_id});
    auto r = tx.exec(
        "SELECT c.id FROM subscriptions s JOIN subscription_charges c ON c.subscription_id = s.id "
        "AND c.period = s.period AND c.kind = 'P' WHERE s.user_id = $1 AND s.status = 'past_due' "
        "AND c.status = 'failed' FOR UPDATE OF c",
        {user_id});
    for (int i = 0; i < r.rows(); ++i) RestartCharge(tx, cfg, r.str(i, 0));
    return r.rows();
}

}  // namespace checkout

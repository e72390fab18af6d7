#include "domain/subscriptions/charge_store.hpp"

namespace checkout {

std::optional<ChargeToMake> LoadPendingCharge(PgTransaction& tx, const SecretBox& box,
                                              const std::string& charge_id, const std::string& job_id) {
    // The buyer's active card comes in the same statement: one round trip per step of the job.
    auto r = tx.exec(
        "SELECT c.subscription_id, c.order_id, c.amount, p.name, "
        "       (SELECT coalesce(last_error, '') FROM jobs WHERE id = $2) LIKE 'GATEWAY_TIMEOUT%', c.round, "
        "       b.id, b.customer_key, b.sealed_billing_key "
        "FROM subscription_charges c JOIN subscriptions s ON s.id = c.subscription_id "
        "JOIN plans p ON p.id = s.plan_id "
        "LEFT JOIN billing_cards b ON b.user_id = s.user_id AND b.status = 'active' "
        "WHERE c.id = $1 AND c.status = 'pending'",
        {charge_id, job_id});
    if (r.rows() == 0) return std::nullopt;
    ChargeToMake c{charge_id,       r.str(0, 0),  r.str(0, 1),     r.str(0, 3),
                   r.integer(0, 2), std::nullopt, r.boolean(0, 4), r.integer(0, 5)};
    if (!r.is_null(0, 6)) c.key = OpenBillingKey(box, r.str(0, 6), r.str(0, 7), r.get(0, 8));
    return c;
}

std::optional<PendingCharge> LockPendingCharge(PgTransaction& tx, const std::string& charge_id) {
    auto r =
        tx.exec("SELECT order_id FROM subscription_charges WHERE id = $1 AND status = 'pending' FOR UPDATE",
                {charge_id});
    if (r.rows() == 0) return std::nullopt;
    return PendingCharge{charge_id, r.str(0, 0)};
}

void RecordChargeAttempt(PgTransaction& tx, const std::string& charge_id, const std::string& outcome,
                         const std::string& code, const std::string& message) {
    tx.exec(
        "INSERT INTO subscription_charge_attempts (charge_id, outcome, code, message) VALUES ($1, $2, $3, "
        "$4)",
        {charge_id, outcome, code.empty() ? PgParam(std::nullopt) : PgParam(code),
         message.empty() ? PgParam(std::nullopt) : PgParam(message)});
}

void ChargeApproved(PgTransaction& tx, const std::string& charge_id, const std::string& payment_key,
                    const std::string& approved_at, const std::string& attempt_outcome) {
    // One statement: the approval is the hot path of every renewal.
    tx.exec(
        "WITH c AS (UPDATE subscription_charges SET status = 'done', payment_key = $2, approved_at = $3, "
        "retry_at = NULL, updated_at = now() WHERE id = $1 AND status = 'pending' "
        "RETURNING subscription_id, kind, upgrade_plan_id, upgrade_price), "
        "a AS (INSERT INTO subscription_charge_attempts (charge_id, outcome) SELECT $1::uuid, $4 FROM c), "
        // A period's charge: the subscription is (again) active. An upgrade's: it moves to the new plan.
        "p AS (UPDATE subscriptions s SET status = 'active', needs_card = false, dunning_ends_at = NULL, "
        "      updated_at = now() FROM c WHERE c.kind = 'P' AND s.id = c.subscription_id "
        "      AND s.status IN ('incomplete', 'past_due')) "
        "UPDATE subscriptions s SET plan_id = c.upgrade_plan_id, price = c.upgrade_price, next_plan_id = "
        "NULL, "
        "updated_at = now() FROM c WHERE c.kind = 'U' AND s.id = c.subscription_id",
        {charge_id, payment_key, approved_at, attempt_outcome});
}

void ChargeDeclined(PgTransaction& tx, const std::string& charge_id, const std::string& code,
                    const std::string& message, const DunningPolicy& dunning) {
    auto c =
        tx.exec("SELECT period, round, kind FROM subscription_charges WHERE id = $1 AND status = 'pending'",
                {charge_id});
    if (c.rows() == 0) return;
    if (c.get(0, 2) == "U") {
        // A declined upgrade changes nothing else: the buyer keeps the plan paid for.
        tx.exec(
            "UPDATE subscription_charges SET status = 'failed', failure_code = $2, failure_message = $3, "
            "declined_at = now(), updated_at = now() WHERE id = $1",
            {charge_id, code, message});
        return;
    }
    if (c.integer(0, 0) == 0) {
        tx.exec(
            "WITH c AS (UPDATE subscription_charges SET status = 'failed', failure_code = $2, "
            "failure_message = $3, declined_at = now(), updated_at = now() WHERE id = $1 RETURNING "
            "subscription_id) "
            "UPDATE subscriptions s SET status = 'incomplete_expired', ended_at = now(), updated_at = now() "
            "FROM c WHERE s.id = c.subscription_id AND s.status = 'incomplete'",
            {charge_id, code, message});
        return;
    }
    const auto step =
        NextDunningStep(ClassifyChargeDecline(code), static_cast<int>(c.integer(0, 1)), dunning);
    const bool retry = step.kind == DunningStep::Kind::kRetry, end = step.kind == DunningStep::Kind::kEnd;
    const long long ends_after = (retry ? dunning.schedule.back() : step.after_first_decline).count();
    tx.exec(
        "WITH c AS (UPDATE subscription_charges SET status = 'failed', failure_code = $2, failure_message = "
        "$3, "
        "           declined_at = coalesce(declined_at, now()), retry_at = CASE WHEN $4 THEN "
        "           coalesce(declined_at, now()) + $5::bigint * interval '1 millisecond' END, updated_at = "
        "now() "
        "           WHERE id = $1 RETURNING subscription_id, declined_at) "
        "UPDATE subscriptions s SET status = CASE WHEN $6 THEN $7 ELSE 'past_due' END, "
        "needs_card = $8, dunning_ends_at = CASE WHEN NOT $6 THEN c.declined_at + $9::bigint * interval "
        "'1 millisecond' END, ended_at = CASE WHEN $6 THEN now() END, updated_at = now() "
        "FROM c WHERE s.id = c.subscription_id AND s.status IN ('active', 'past_due')",
        {charge_id, code, message, retry, step.after_first_decline.count(), end, dunning.final_status,
         step.kind == DunningStep::Kind::kWaitForCard, ends_after});
}

}  // namespace checkout

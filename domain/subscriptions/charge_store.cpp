#include "domain/subscriptions/charge_store.hpp"

namespace checkout {

std::optional<ChargeToMake> LoadPendingCharge(PgTransaction& tx, const SecretBox& box,
                                              const std::string& charge_id, const std::string& job_id) {
    auto r = tx.exec(
        "SELECT c.subscription_id, c.order_id, c.amount, s.user_id, p.name, "
        "       (SELECT coalesce(last_error, '') FROM jobs WHERE id = $2) LIKE 'GATEWAY_TIMEOUT%' "
        "FROM subscription_charges c JOIN subscriptions s ON s.id = c.subscription_id "
        "JOIN plans p ON p.id = s.plan_id WHERE c.id = $1 AND c.status = 'pending' FOR UPDATE OF c",
        {charge_id, job_id});
    if (r.rows() == 0) return std::nullopt;
    ChargeToMake c{charge_id,       r.str(0, 0),  r.str(0, 1),    r.str(0, 4),
                   r.integer(0, 2), std::nullopt, r.boolean(0, 5)};
    c.key = OpenActiveBillingKey(tx, box, r.integer(0, 3));
    return c;
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
                    const std::string& approved_at) {
    tx.exec(
        "WITH c AS (UPDATE subscription_charges SET status = 'done', payment_key = $2, approved_at = $3, "
        "updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING subscription_id) "
        "UPDATE subscriptions s SET status = 'active', updated_at = now() FROM c "
        "WHERE s.id = c.subscription_id AND s.status IN ('incomplete', 'past_due')",
        {charge_id, payment_key, approved_at});
}

void ChargeDeclined(PgTransaction& tx, const std::string& charge_id, const std::string& code,
                    const std::string& message) {
    tx.exec(
        "WITH c AS (UPDATE subscription_charges SET status = 'failed', failure_code = $2, failure_message = "
        "$3, "
        "updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING subscription_id, period) "
        "UPDATE subscriptions s SET status = CASE WHEN c.period = 0 THEN 'incomplete_expired' ELSE "
        "'past_due' END, "
        "ended_at = CASE WHEN c.period = 0 THEN now() END, updated_at = now() FROM c "
        "WHERE s.id = c.subscription_id AND s.status IN ('incomplete', 'active')",
        {charge_id, code, message});
}

}  // namespace checkout

#include "domain/subscriptions/refund_store.hpp"

namespace checkout {

std::optional<RefundToMake> LoadPendingRefund(PgTransaction& tx, const std::string& refund_id) {
    auto r = tx.exec(
        "SELECT r.amount, c.payment_key FROM subscription_refunds r JOIN subscription_charges c "
        "ON c.id = r.charge_id WHERE r.id = $1 AND r.status = 'pending' FOR UPDATE OF r",
        {refund_id});
    if (r.rows() == 0) return std::nullopt;
    return RefundToMake{refund_id, r.str(0, 1), r.integer(0, 0)};
}

void RefundDone(PgTransaction& tx, const std::string& refund_id) {
    tx.exec(
        "UPDATE subscription_refunds SET status = 'done', updated_at = now() WHERE id = $1 AND status = "
        "'pending'",
        {refund_id});
}

void RefundFailed(PgTransaction& tx, const std::string& refund_id, const std::string& code) {
    tx.exec(
        "UPDATE subscription_refunds SET status = 'failed', failure_code = $2, updated_at = now() "
        "WHERE id = $1 AND status = 'pending'",
        {refund_id, code});
}

}  // namespace checkout

#include "domain/subscriptions/billing_webhook.hpp"

#include "infra/core/error.hpp"

namespace checkout {

BillingDeletedResult ApplyBillingDeleted(PgTransaction& tx, const SecretBox& box,
                                         const std::string& billing_key) {
    if (billing_key.empty() || billing_key.size() > 200)
        throw AppError(ErrorCode::kValidationFailed, "The webhook body is invalid.",
                       std::vector<FieldError>{{"data.billingKey", "must be the deleted billing key"}});
    const std::string digest = box.Digest(billing_key);
    auto card = tx.exec(
        "SELECT id, user_id, status FROM billing_cards WHERE billing_key_digest = $1 FOR UPDATE", {digest});
    if (card.rows() == 0)
        throw AppError(ErrorCode::kWebhookRejected, "The webhook could not be verified.",
                       "unknown billing key");
    // However often the gateway resends it, one key is deleted once.
    auto fresh = tx.exec(
        "INSERT INTO webhook_events (dedup_key, event_type) VALUES ($1, 'BILLING_DELETED') ON CONFLICT DO "
        "NOTHING",
        {"BILLING_DELETED:" + digest});
    if (fresh.affected() == 0) return {"duplicate", ""};
    const bool was_active = card.get(0, 2) == "active";
    tx.exec("UPDATE billing_cards SET status = 'deleted', updated_at = now() WHERE id = $1",
            {card.str(0, 0)});
    if (!was_active) return {"applied", ""};  // a replaced card charged nothing any more
    auto sub = tx.exec(
        "UPDATE subscriptions SET needs_card = true, updated_at = now() WHERE user_id = $1 "
        "AND status IN ('active', 'past_due', 'paused') RETURNING id",
        {card.integer(0, 1)});
    return {"applied", sub.rows() > 0 ? sub.str(0, 0) : ""};
}

}  // namespace checkout

#pragma once
// Gateway webhooks (TOSS_API.md 8). PAYMENT_STATUS_CHANGED carries no signature: it is genuine when
// its data.secret equals the Payment.secret the gateway gave us at approval. A verified event is
// applied once (a replay finds its dedup key recorded and changes nothing); a forged one is refused.
// BILLING_DELETED is checked and applied by domain/subscriptions/billing_webhook.
#include <optional>
#include <string>
#include <string_view>

#include "infra/core/config.hpp"
#include "infra/crypto/secret_box.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// What became of an event: applied, a duplicate of one applied before, or ignored (not an event
// this shop acts on). All three are acknowledged, so that the gateway stops sending it.
struct WebhookResult {
    std::string outcome;     // "applied", "duplicate", "ignored"
    std::string applied_to;  // the payment whose state the event changed, if it did
};

// Throws AppError: kInvalidJson/kValidationFailed (malformed), kWebhookRejected (unknown payment or
// wrong secret), kUnavailable (the payment's approval is not recorded yet, so the event cannot be
// checked: the gateway sends it again later).
WebhookResult ApplyTossWebhook(PgConnection& conn, const QueuesConfig& cfg, const SecretBox& billing_box,
                               std::string_view body, const std::optional<std::string>& transmission_id);

}  // namespace checkout

#pragma once
// BILLING_DELETED (TOSS_API.md 8): the gateway deleted a billing key. The event carries no signature
// and a billing key is never shown to anyone, so the key itself is the proof: the event is genuine
// when its billingKey's digest is one of our cards' (a forged event names a key we never had and is
// refused). It is applied once: the card is `deleted`, and a live subscription that charged it needs
// a new card (its next charge is not sent; the new card's job charges it at once).
#include <string>

#include "infra/crypto/secret_box.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

struct BillingDeletedResult {
    std::string outcome;          // "applied" or "duplicate"
    std::string subscription_id;  // the subscription that now needs a card, if any
};

// In the caller's transaction. Throws AppError kValidationFailed (no billingKey), kWebhookRejected (a
// key that is not ours).
BillingDeletedResult ApplyBillingDeleted(PgTransaction& tx, const SecretBox& box,
                                         const std::string& billing_key);

}  // namespace checkout

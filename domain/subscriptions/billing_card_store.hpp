#pragma once
// Cards registered for billing (DESIGN 3.3). The buyer's widget gets a customerKey here, comes back
// with a one-time authKey, and a billing.issue_key job exchanges it at the gateway for a billing key.
// Keys are stored sealed (infra/crypto/secret_box) and never leave this file unsealed except to the
// gateway client; a card is shown by its company and last digits only. A new card replaces the old.
#include <optional>
#include <string>
#include <string_view>

#include "infra/core/config.hpp"
#include "infra/crypto/secret_box.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// The buyer's customerKey for the widget: random ("ck_" + 32 hex digits), made on the first call,
// the same ever after.
std::string CustomerKeyFor(PgConnection& conn, long long user_id);

// {authKey, customerKey}: what the widget's success redirect hands the shop. Throws AppError
// (kInvalidJson, kValidationFailed naming each field).
struct CardRegistration {
    std::string auth_key, customer_key;
};
CardRegistration ParseCardRegistration(std::string_view body);
// The canonical form for an Idempotency-Key's fingerprint: the authKey only by its digest.
std::string CanonicalJson(const CardRegistration& r, const SecretBox& box);

// A registration started, its job queued; or, `existing`, the one the same authKey started before.
struct StartedCard {
    std::string card_id, status, job_id;
    bool existing = false;
};
// In the caller's transaction. Throws kValidationFailed when the customerKey is not the buyer's,
// kConflict when the authKey was registered by someone else.
StartedCard StartCardRegistration(PgTransaction& tx, const QueuesConfig& cfg, const SecretBox& box,
                                  long long user_id, const CardRegistration& r);

// A card as its owner sees it.
struct CardView {
    std::string card_id, status, created_at, job_id;
    std::optional<std::string> card_company, card_last4, failure_code, failure_message;
};
std::optional<CardView> FindCard(PgConnection& conn, long long user_id, const std::string& card_id);
// The buyer's active card.
std::optional<CardView> ActiveCard(PgConnection& conn, long long user_id);

// For the billing.issue_key job: the registration still waiting for its billing key, authKey
// unsealed; nullopt once it is settled (or does not exist).
struct CardToIssue {
    std::string card_id, auth_key, customer_key;
};
std::optional<CardToIssue> LoadCardToIssue(PgTransaction& tx, const SecretBox& box,
                                           const std::string& card_id);
// The gateway issued `billing_key`: the card becomes the buyer's active one (the one it replaces, if
// older, becomes `replaced`; if a newer card is active already, this one is `replaced` at once).
// Returns the buyer's user id when this card became the active one.
std::optional<long long> ActivateCard(PgTransaction& tx, const SecretBox& box, const std::string& card_id,
                                      const std::string& billing_key, const std::string& card_company,
                                      const std::string& card_last4);
// The gateway refused the registration.
void FailCard(PgTransaction& tx, const std::string& card_id, const std::string& code,
              const std::string& message);

// A card with its billing key unsealed, for a charge.
struct BillingKey {
    std::string card_id, customer_key, billing_key;
};
// The key from the card's sealed_billing_key column (the caller reads the card's row with its own
// query); a key this BILLING_KEY_SECRET cannot open is an error.
BillingKey OpenBillingKey(const SecretBox& box, const std::string& card_id, const std::string& customer_key,
                          std::string_view sealed_billing_key);

// The card company's name for the gateway's issuer code (TOSS_API.md, card.issuerCode).
std::string CardCompany(std::string_view issuer_code);

}  // namespace checkout

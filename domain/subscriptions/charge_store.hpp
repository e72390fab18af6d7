#pragma once
// Subscription charges as the subscription.charge job makes them (DESIGN 3.3). Every function runs
// in the job's transaction and is safe to run again: a charge is settled once (pending -> done or
// failed), and what follows from it (the subscription's state) happens in the same statement.
#include <optional>
#include <string>

#include "domain/subscriptions/billing_card_store.hpp"
#include "domain/subscriptions/dunning.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

struct ChargeToMake {
    std::string charge_id, subscription_id, order_id, order_name;
    long long amount = 0;
    std::optional<BillingKey> key;  // the buyer's active card; none: nothing can be charged
    bool unanswered = false;        // the job's previous attempt got no answer from the gateway
    long long round = 0;            // 0: the period's first try; n: the nth dunning retry
};
// The charge while it is pending, with the buyer's card and how job `job_id`'s previous attempt
// ended; nullopt once it is settled. It takes no lock: the job's first step only reads (what makes a
// repeated call harmless is the orderId and the Idempotency-Key at the gateway, not a lock released
// before the call); whoever settles the charge locks it first (LockPendingCharge).
std::optional<ChargeToMake> LoadPendingCharge(PgTransaction& tx, const SecretBox& box,
                                              const std::string& charge_id, const std::string& job_id);

// The charge while it is pending (locked), its orderId only: what an answer from the gateway is
// checked and settled against (the card is read only if another call must be made).
struct PendingCharge {
    std::string charge_id, order_id;
};
std::optional<PendingCharge> LockPendingCharge(PgTransaction& tx, const std::string& charge_id);

// One attempt's outcome, with the gateway's code (approved, declined, unknown, found, not_found).
void RecordChargeAttempt(PgTransaction& tx, const std::string& charge_id, const std::string& outcome,
                         const std::string& code, const std::string& message);
// The gateway approved the charge: it is done; a subscription waiting for its first charge, or past
// due, is active (its dunning over); an upgrade's charge moves the subscription to the new plan.
// `attempt_outcome` (approved, or found by a lookup) is recorded as the attempt, in the same statement.
void ChargeApproved(PgTransaction& tx, const std::string& charge_id, const std::string& payment_key,
                    const std::string& approved_at, const std::string& attempt_outcome);
// The gateway refused this try: the charge failed. A subscription waiting for its first charge is
// incomplete_expired (nothing owed, nothing given); a renewal's decline follows `dunning`: past_due
// with a retry planned or waiting for a new card, or, after the last retry, the final status; a
// declined upgrade leaves the subscription on its plan.
void ChargeDeclined(PgTransaction& tx, const std::string& charge_id, const std::string& code,
                    const std::string& message, const DunningPolicy& dunning);

}  // namespace checkout

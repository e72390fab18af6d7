#pragma once
// Dunning (DESIGN 3.3): what follows a declined renewal, and its retries.
//
// A renewal is never retried at once, and access never ends at the first decline: the subscription
// is past_due and the buyer keeps the plan. A soft decline is tried again at each DUNNING_SCHEDULE
// offset, counted from the first decline (1d,3d,5d,7d: one, three, five and seven days after it); a
// hard one (the card cannot be charged again) waits for the buyer's new card, which retries at once.
// When the last retry is declined, or no card has come by the last offset, the subscription ends as
// DUNNING_FINAL (canceled or unpaid). Retries reuse the period's one charge row and orderId, so a
// period is never approved twice, and each round sends its own Idempotency-Key.
#include <string>
#include <vector>

#include "domain/subscriptions/charge_rules.hpp"
#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

struct DunningPolicy {
    std::vector<Millis> schedule;           // DUNNING_SCHEDULE, increasing, at least one
    std::string final_status = "canceled";  // DUNNING_FINAL
};

struct DunningStep {
    enum class Kind { kRetry, kWaitForCard, kEnd } kind;
    // From the first decline: kRetry, when the next try is due; kWaitForCard, when waiting ends.
    Millis after_first_decline{0};
};
// What follows when try `round` (0: the period's first) was declined as `decline`.
DunningStep NextDunningStep(ChargeDecline decline, int round, const DunningPolicy& policy);

// The scheduler's passes. `shift_days` moves the billing clock (BILLING_TODAY in tests and drills).
// Past-due charges whose retry is due go back to pending with a new round and job; returns how many.
long long StartDueRetries(PgConnection& conn, const QueuesConfig& cfg, long long shift_days, int limit);
// Past-due subscriptions with nothing left to try whose dunning has ended become `final_status`.
long long EndLapsedDunning(PgConnection& conn, long long shift_days, const std::string& final_status);

// In the transaction that made the buyer's new card active: a past-due period's charge is tried
// again at once with it, and no subscription of the buyer needs a card any more. Returns how many
// charges were restarted (0 or 1).
long long RetryWithNewCard(PgTransaction& tx, const QueuesConfig& cfg, long long user_id);

}  // namespace checkout

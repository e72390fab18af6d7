#pragma once
// A buyer's changes to a subscription (DESIGN 3.3): cancel at the period's end (and undo it), or
// cancel at once with the unused days paid back (proration.hpp's rule: the days after today, rounded
// down). Every change locks the subscription row first, so it is ordered with the scheduler's
// renewals: a cancel that wins ends the subscription before a renewal can charge it; a renewal that
// wins leaves its charge pending, and an immediate cancel waits for it (CHARGE_IN_FLIGHT) so that
// what is refunded is what the gateway approved.
#include <string>
#include <string_view>

#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

enum class CancelWhen { kPeriodEnd, kNow };

// {"when": "period_end" | "now"}. Throws AppError (kInvalidJson, kValidationFailed).
CancelWhen ParseCancelRequest(std::string_view body);

// In the caller's transaction. A subscription canceled already is left as it is (a repeated cancel
// changes nothing and refunds nothing again). Throws kNotFound, kSubscriptionNotLive (ended without
// being canceled, or not started), kChargeInFlight (now, while a charge is at the gateway).
// kPeriodEnd needs an active or paused subscription.
void CancelSubscription(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone,
                        long long user_id, const std::string& subscription_id, CancelWhen when);

// Undoes a cancel scheduled for the period's end (nothing to undo: nothing changes). Throws kNotFound,
// kSubscriptionNotLive.
void UndoCancel(PgTransaction& tx, long long user_id, const std::string& subscription_id);

// The scheduler's pass: subscriptions set to cancel at their period's end whose period has ended on
// `today` are canceled (nothing is charged for the next period). Returns how many.
long long EndCanceledPeriods(PgConnection& conn, const std::string& today);

}  // namespace checkout

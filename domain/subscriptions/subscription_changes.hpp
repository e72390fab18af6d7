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

// {plan_id}. Throws AppError (kInvalidJson, kValidationFailed).
long long ParsePlanChangeRequest(std::string_view body);

// A change of plan (of the same cycle). An upgrade (a higher price) takes effect at once: a charge of
// the price difference for the days after today (UpgradeCharge), and the subscription moves to the
// plan when that charge is done (declined: it stays); an upgrade on the period's last day costs
// nothing and applies at once. One upgrade per period. A downgrade (or the same price) applies from
// the next period, which is charged at its price; choosing the current plan again drops a pending
// downgrade. Throws kNotFound, kValidationFailed (plan not offered, another cycle),
// kSubscriptionNotLive (not active), kChargeInFlight, kConflict (upgraded already this period).
void ChangePlan(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone, long long user_id,
                const std::string& subscription_id, long long plan_id);

// Pause: an active subscription stops renewing (nothing is charged while paused); the period paid for
// stays the buyer's. Throws kNotFound, kSubscriptionNotLive (not active; paused already is no error),
// kChargeInFlight.
void PauseSubscription(PgTransaction& tx, long long user_id, const std::string& subscription_id);
// Resume: within the period paid for, the subscription is active again with its anchor kept (the
// next renewal is on its usual day). After it, a new period starts today, charged at once: the anchor
// moves to today (the paused days are neither charged nor given). Throws kNotFound,
// kSubscriptionNotLive (not paused; active already is no error).
void ResumeSubscription(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone,
                        long long user_id, const std::string& subscription_id);

// Undoes a cancel scheduled for the period's end (nothing to undo: nothing changes). Throws kNotFound,
// kSubscriptionNotLive.
void UndoCancel(PgTransaction& tx, long long user_id, const std::string& subscription_id);

// The scheduler's pass: subscriptions set to cancel at their period's end whose period has ended on
// `today` are canceled (nothing is charged for the next period). Returns how many.
long long EndCanceledPeriods(PgConnection& conn, const std::string& today);

}  // namespace checkout

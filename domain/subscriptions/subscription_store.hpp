#pragma once
// Subscriptions (DESIGN 3.3): subscribing, which charges the first period at once as a job, and the
// subscription as its owner sees it. A subscription is `incomplete` until its first charge is done,
// then `active`; a declined first charge makes it `incomplete_expired` (nothing owed, nothing given).
// One live subscription per buyer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/subscriptions/charge_history.hpp"
#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// {plan_id}. Throws AppError (kInvalidJson, kValidationFailed).
long long ParseSubscribeRequest(std::string_view body);

struct StartedSubscription {
    std::string subscription_id, status, job_id;
};
// In the caller's transaction: the subscription from today (a calendar day in `timezone`), its first
// period's charge and the job that makes it. Throws kNotFound (no such plan), kValidationFailed (the
// plan is not offered any more), kBillingCardRequired, kSubscriptionExists.
StartedSubscription Subscribe(PgTransaction& tx, const QueuesConfig& cfg, const std::string& timezone,
                              long long user_id, long long plan_id);

struct SubscriptionView {
    std::string subscription_id, status, cycle, anchor_date, period_start, period_end, created_at;
    long long plan_id = 0, price = 0, period = 0;
    std::string plan_name;
    bool cancel_at_period_end = false;
    bool needs_card = false;  // a hard decline or a deleted key: the buyer's next card is charged at once
    std::optional<std::string> dunning_ends_at;
    std::optional<long long> next_plan_id;  // a downgrade, from the next period
    std::vector<ChargeView> charges;        // the last 12, newest first (all: BuyerChargesPage)
};
// The buyer's live subscription (or, if none, the latest one).
std::optional<SubscriptionView> CurrentSubscription(PgConnection& conn, long long user_id);
std::optional<SubscriptionView> FindSubscription(PgConnection& conn, long long user_id,
                                                 const std::string& subscription_id);

}  // namespace checkout

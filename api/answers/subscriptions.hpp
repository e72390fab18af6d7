#pragma once
// The API's answers about subscriptions.
#include <string>

#include "domain/subscriptions/subscription_store.hpp"

namespace checkout::api {

// {subscription_id, status, plan: {id, name}, price, cycle, anchor_date, current_period: {number,
//  start, end}, cancel_at_period_end, created_at, charges: [{charge_id, period, amount, status,
//  order_id, approved_at, failure, retries, retry_at, declined_at, refund, created_at}], ...}
std::string SubscriptionJson(const SubscriptionView& s);
// {items: [charge, as in `charges`], page, size, total}; `with_owner` adds each charge's
// subscription_id and user_id (the admin's list).
std::string ChargesPageJson(const ChargesPage& p, int page, int size, bool with_owner);

}  // namespace checkout::api

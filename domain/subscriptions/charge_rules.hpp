#pragma once
// What a billing charge's answer means for a subscription (DESIGN 3.3), without the database.
//
// A declined renewal is never retried at once and never ends access at the first decline: a soft
// decline (the card company or the gateway said no for now) waits for the next date of
// DUNNING_SCHEDULE; a hard decline (the card cannot be charged again: expired, stopped, lost, or the
// key does not belong to the customer) waits for the buyer's new card. DUPLICATED_ORDER_ID means an
// earlier attempt under this orderId was approved: look it up, charge nothing.
#include <string>
#include <string_view>

namespace checkout {

enum class ChargeDecline {
    kSoft,      // retry on DUNNING_SCHEDULE
    kHard,      // retry once the buyer registers a new card
    kLookItUp,  // the orderId was charged already: settle from the gateway's record of it
};

// For a final error answer of POST /v1/billing/{billingKey}. Codes not listed are soft: an unknown
// refusal is retried on the schedule, which ends; it is never retried at once.
ChargeDecline ClassifyChargeDecline(std::string_view code);

// The gateway's orderId of one charge: derived from the (subscription, period) it charges, so every
// attempt, every scheduler copy and every redelivery names the same order and the gateway refuses a
// second approval (DUPLICATED_ORDER_ID). `kind` tells a period's charge from a plan change's within
// the period. Toss allows 6 to 64 characters of [A-Za-z0-9_-].
std::string ChargeOrderId(const std::string& subscription_id, long long period, std::string_view kind = "P");

}  // namespace checkout

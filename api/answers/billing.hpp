#pragma once
// The API's answers about cards registered for billing: never a key, only the card's company and
// last digits.
#include <string>

#include "domain/subscriptions/billing_card_store.hpp"

namespace checkout::api {

// {customerKey}
std::string CustomerKeyJson(const std::string& customer_key);
// {card_id, status, card_company, card_last4, failure: {code, message} | null, created_at, job_id}
std::string CardJson(const CardView& card);

}  // namespace checkout::api

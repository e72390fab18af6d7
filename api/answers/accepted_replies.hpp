#pragma once
// The 202 answers of what the workers finish (DESIGN 6): the body {…_id, status, status_url, job_id},
// the Location of the status URL's resource, and Idempotent-Replayed when the request found what an
// earlier one started. Built here only, from the domain's results.
#include <string>

#include "api/http_support.hpp"
#include "domain/orders/order_store.hpp"
#include "domain/payments/payment_store.hpp"
#include "domain/subscriptions/billing_card_store.hpp"
#include "domain/subscriptions/subscription_store.hpp"

namespace checkout::api {

// Where a client follows what a job does to an order or a payment.
std::string OrderStatusUrl(const std::string& order_id);
std::string PaymentStatusUrl(const std::string& payment_id);
std::string CardStatusUrl(const std::string& card_id);
std::string SubscriptionUrl(const std::string& subscription_id);

Reply OrderAccepted(const PlacedOrder& order);
Reply PaymentAccepted(const StartedPayment& payment);
Reply CardAccepted(const StartedCard& card);
Reply SubscriptionAccepted(const StartedSubscription& subscription);

// The Location of a stored 202 body, for a replay (api/idempotent_post).
std::string OrderLocation(const std::string& body);
std::string PaymentLocation(const std::string& body);
std::string CardLocation(const std::string& body);
std::string SubscriptionLocation(const std::string& body);

}  // namespace checkout::api

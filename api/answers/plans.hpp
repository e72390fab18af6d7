#pragma once
// The API's answers about subscription plans.
#include <string>
#include <vector>

#include "domain/subscriptions/plan_store.hpp"

namespace checkout::api {

// {id, name, price, cycle, features, active}
std::string PlanJson(const Plan& p);
// {items: [plan...]}
std::string PlansJson(const std::vector<Plan>& plans);

}  // namespace checkout::api

#pragma once
// Subscription plans (DESIGN 3.3): created, changed and deactivated by admins; the active ones are
// what a buyer can subscribe to. A subscription keeps the price of its current period, so a new
// price applies from each subscriber's next period; deactivating a plan takes no new subscribers
// and keeps the current ones.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/subscriptions/billing_calendar.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

inline constexpr long long kMaxPlanPrice = 100'000'000;  // won per period
inline constexpr std::size_t kMaxPlanFeaturesBytes = 4096;

struct NewPlan {
    std::string name;
    long long price = 0;
    BillingCycle cycle = BillingCycle::kMonthly;
    std::string features = "{}";  // a JSON object, as sent
};

// {name, price, cycle, features?}. Throws AppError (kInvalidJson, kValidationFailed naming each field).
NewPlan ParseNewPlan(std::string_view body);
std::string CanonicalJson(const NewPlan& p);

// PATCH /api/v1/admin/plans/{id}: any of name, price, features, active; at least one. The cycle is
// not changed: subscribers' periods are counted in it.
struct PlanPatch {
    std::optional<std::string> name;
    std::optional<long long> price;
    std::optional<std::string> features;
    std::optional<bool> active;
};
PlanPatch ParsePlanPatch(std::string_view body);

struct Plan {
    long long id = 0;
    std::string name;
    long long price = 0;
    BillingCycle cycle = BillingCycle::kMonthly;
    std::string features;  // a JSON object
    bool active = true;
};

Plan CreatePlan(PgTransaction& tx, const NewPlan& p);
// nullopt when there is no such plan.
std::optional<Plan> UpdatePlan(PgConnection& conn, long long id, const PlanPatch& patch);
// The active plans, cheapest first (then by id); with `all`, the inactive ones too.
std::vector<Plan> ListPlans(PgConnection& conn, bool all);

}  // namespace checkout

#pragma once
// points.earn (DESIGN 3.3): 1% of the paid amount, once per order however often it is delivered
// (the ledger's unique (order_id, kind) decides), added to the user's balance in the same statement.
#include "workers/runtime/worker_runtime.hpp"

namespace checkout {

inline constexpr long long kPointsPercent = 1;
long long PointsFor(long long paid_amount);

Outcome EarnPoints(PgTransaction& tx, const Job& job);

}  // namespace checkout

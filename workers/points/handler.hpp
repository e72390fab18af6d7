#pragma once
// points.earn (DESIGN 3.3): a paid order earns a lot of points at its buyer's grade rate
// (POINT_RATES), valid for POINTS_VALID_DAYS; once per order however often the job is delivered
// (the ledger's unique (order_id, kind) decides), and nothing for an order no longer paid.
#include "domain/points/point_settings.hpp"
#include "jobs/runtime/worker_runtime.hpp"

namespace checkout {

JobHandler EarnPointsHandler(const PointSettings& points);

}  // namespace checkout

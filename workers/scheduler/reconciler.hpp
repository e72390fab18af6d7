#pragma once
// The reconciler (DESIGN 3.2 step 5): payments `in_progress` and not approved for longer than
// `after` (their worker died, or their job ran out of retries) are looked up at the gateway, with no
// transaction open, and finished (approved -> finalize), failed (aborted, expired, or never
// confirmed), or left for the next run (still pending, or the gateway unreachable).
#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"
#include "workers/gateway/toss_client.hpp"

namespace checkout {

struct ReconcileCounts {
    int looked_up = 0, approved = 0, failed = 0, left = 0;
};

ReconcileCounts ReconcilePayments(PgConnection& conn, const QueuesConfig& cfg, TossClient& toss,
                                  Millis after);

}  // namespace checkout

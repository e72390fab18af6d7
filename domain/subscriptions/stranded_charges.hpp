#pragma once
// Charges whose job is gone (DESIGN 3.3): a subscription charge stays `pending` until its job settles
// it, and Toss sends no webhook for billing charges. A job that ran out of retries (dead) or ended
// without settling leaves the charge pending for good, which would block its subscription (no renewal,
// no cancel: CHARGE_IN_FLIGHT). The scheduler's reconciler gives such a charge a new job in the same
// round: the same orderId and Idempotency-Key, so the gateway replays an answer it gave or refuses a
// second approval (DUPLICATED_ORDER_ID, then a lookup), and nothing is charged twice.
#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// Charges pending for longer than `after` whose job is no longer queued, running or retrying get a new
// job. Returns how many.
long long RestartStrandedCharges(PgConnection& conn, const QueuesConfig& cfg, Millis after, int limit);

}  // namespace checkout

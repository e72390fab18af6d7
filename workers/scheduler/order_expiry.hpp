#pragma once
// Order expiry (DESIGN 3.1 step 3): `confirmed` orders still unpaid `after` their creation become
// `expired` and their units go back to stock, in batches. A payment approved later for such an
// order is refunded by payment.finalize.
#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// Returns how many orders expired.
long long ExpireUnpaidOrders(PgConnection& conn, Millis after);

}  // namespace checkout

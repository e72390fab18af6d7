#pragma once
// Releasing an order: the one place where an order that will not be (or is no longer) paid for gives
// back what it took (DESIGN 3.1 step 3, 3.3): its units to stock (and off sold_count if it was paid),
// the points it earned, the points it spent and its coupon. Expiry, the buyer's cancel and a refund at the
// gateway all come here.
#include <string>
#include <string_view>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

// Moves the order from `from` to `to` ("expired", "canceled") and releases it, in the caller's
// transaction. Returns false, changing nothing, when the order is not `from` (released already, or
// in another state): safe to call again on a retry or a duplicate event.
bool ReleaseOrder(PgTransaction& tx, const std::string& order_id, std::string_view from, std::string_view to);

}  // namespace checkout

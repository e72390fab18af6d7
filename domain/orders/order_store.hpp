#pragma once
// Orders in PostgreSQL: placing one (order row + job + outbox in one commit, DESIGN 3.1 step 1 and
// 5.1) and reading it back for its owner. Knows nothing of HTTP.
#include <optional>
#include <string>
#include <vector>

#include "domain/idempotency.hpp"
#include "domain/job_payloads.hpp"
#include "domain/orders/order_request.hpp"
#include "infra/core/config.hpp"
#include "infra/core/error.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// An order accepted: pending, its order.process job queued. (The API answers 202 with these.)
struct PlacedOrder {
    std::string order_id;
    std::string order_number;  // the gateway's orderId
    std::string job_id;
};

// Places an order in the caller's transaction (with an Idempotency-Key, the API's one idempotent
// path holds it). Throws AppError: kUnknownProduct, kCartEmpty, kCouponUnavailable,
// kInsufficientPoints, kValidationFailed (points).
PlacedOrder PlaceOrder(PgTransaction& tx, const QueuesConfig& cfg, long long user_id,
                       const OrderRequest& req);
// The same in a transaction of its own; an order of items alone is one autocommit statement.
PlacedOrder PlaceOrderNow(PgConnection& conn, const QueuesConfig& cfg, long long user_id,
                          const OrderRequest& req);

// Group commit (issue 18): orders of items alone without an Idempotency-Key (GroupableOrder) may be
// accepted together, by one statement and one commit. Each order naming an unknown product gets its
// own kUnknownProduct error and is left out; the others are inserted. Throws PgError when the
// statement fails as a whole (the caller then places each order on its own).
struct GroupedOrder {
    long long user_id = 0;
    const OrderRequest* request = nullptr;
};
struct GroupedResult {
    std::optional<PlacedOrder> placed;
    std::optional<AppError> error;
};
bool GroupableOrder(const OrderRequest& req, const std::optional<IdempotencyKey>& idem);
std::vector<GroupedResult> PlaceOrderGroup(PgConnection& conn, const QueuesConfig& cfg,
                                           const std::vector<GroupedOrder>& group);

}  // namespace checkout

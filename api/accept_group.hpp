#pragma once
// Group commit of plain orders (issue 18). A commit costs PostgreSQL far more than the row it
// writes, so concurrent POST /api/v1/orders requests whose orders are items alone (no Idempotency-
// Key, coupon, points or cart: GroupableOrder) are accepted together: the first to arrive leads; if
// a group is being committed at that moment it waits for that one (up to ACCEPT_GROUP_WAIT_US) while
// others join, up to ACCEPT_GROUP_MAX; then one statement and one commit accept them all
// (PlaceOrderGroup), and each caller gets its own answer after that commit. With nothing in flight
// the leader goes at once: a lone order waits for nobody. If the group's statement fails, each order
// is placed on its own, so one order cannot fail the others.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "api/pg_pool.hpp"
#include "domain/orders/order_store.hpp"
#include "infra/core/config.hpp"

namespace checkout::api {

class AcceptGroup {
  public:
    AcceptGroup(PgPool& pool, const QueuesConfig& queues, int max, std::chrono::microseconds wait);
    // Blocks until the order is committed (or refused); throws what PlaceOrder would.
    PlacedOrder Place(long long user_id, const OrderRequest& request);

  private:
    struct Waiter;
    void Commit(const std::vector<Waiter*>& group);

    PgPool& pool_;
    const QueuesConfig& queues_;
    const std::size_t max_;
    const std::chrono::microseconds wait_;
    std::mutex mu_;
    std::condition_variable joined_;  // a leader waiting for its group to fill, or the last to finish
    std::condition_variable done_;    // followers waiting for their group's commit
    std::vector<Waiter*> pending_;
    bool leading_ = false;  // a leader is gathering pending_
    int in_flight_ = 0;     // groups being committed
};

}  // namespace checkout::api

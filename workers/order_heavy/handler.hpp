#pragma once
#include "workers/runtime/worker_runtime.hpp"

namespace checkout {

// order.process (DESIGN 3.1 step 2): in the caller's transaction, take stock for every line with a
// guarded decrement (never below zero; lines of one product count together), write the order items
// and confirm the order; or, if any product is short, fail the order with INSUFFICIENT_STOCK and
// change no stock. Runs once in effect: an order that is no longer pending is left as it is.
Outcome ProcessOrder(PgTransaction& tx, const Job& job);

// Before a batch of order.process jobs (queues.yaml `batch`): locks every product the batch's pending
// orders name, in id order, in one statement. Batches then never deadlock on shared products, and a
// hot product's lock is taken once per batch and held through one commit, instead of once per order.
void LockBatchProducts(PgTransaction& tx, const std::vector<Job>& jobs);

}  // namespace checkout

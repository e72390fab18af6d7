#pragma once
#include <set>
#include <string>
#include <vector>

#include "jobs/runtime/worker_runtime.hpp"

namespace checkout {

// order.process (DESIGN 3.1 step 2): in the caller's transaction, take stock for every line with a
// guarded decrement (never below zero; lines of one product count together), write the order items
// and confirm the order; or, if any product is short, fail the order with INSUFFICIENT_STOCK and
// change no stock. Runs once in effect: an order that is no longer pending is left as it is.
Outcome ProcessOrder(PgTransaction& tx, const Job& job);

// Before a batch of order.process jobs (queues.yaml `batch`), in one statement: locks the batch's
// pending orders and every product they name, in id order, so that batches never deadlock on shared
// products and a hot product's lock is taken once per batch; and when the batch is items-only orders
// that the stock covers together (the common case), decides them all as a set. Returns the jobs it
// decided (succeeded); the others are left to ProcessOrder.
std::set<std::string> DecideOrderBatch(PgTransaction& tx, const std::vector<Job>& jobs);

}  // namespace checkout

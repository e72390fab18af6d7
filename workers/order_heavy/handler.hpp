#pragma once
#include "workers/runtime/worker_runtime.hpp"

namespace checkout {

// order.process (DESIGN 3.1 step 2): in the caller's transaction, take stock for every line with a
// guarded decrement (never below zero; lines of one product count together), write the order items
// and confirm the order; or, if any product is short, fail the order with INSUFFICIENT_STOCK and
// change no stock. Runs once in effect: an order that is no longer pending is left as it is.
Outcome ProcessOrder(PgTransaction& tx, const Job& job);

}  // namespace checkout

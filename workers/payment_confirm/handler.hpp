#pragma once
// payment.finalize (DESIGN 3.2 steps 3-4), after the gateway approved: in one short transaction the
// payment becomes `done`, the order `paid`, sold_count grows, the payment log is written and
// points.earn and analytics.send are enqueued. An order that can no longer be paid (expired,
// canceled) is compensated instead: a refund at the gateway is enqueued.
#include "infra/core/config.hpp"
#include "jobs/runtime/worker_runtime.hpp"

namespace checkout {

JobHandler FinalizePayment(const QueuesConfig& cfg);

// payment.balance (DESIGN 3.3): a payment from the stored balance, in one transaction: the balance
// debited (never below zero) with its ledger row, then the sale completed as by payment.finalize. A
// balance too low, or an order no longer payable, fails the payment and changes nothing else.
JobHandler SettleBalancePayment(const QueuesConfig& cfg);

}  // namespace checkout

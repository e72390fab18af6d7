#pragma once
// Paying an order from the stored balance (DESIGN 3.3): a payment like a gateway one (same statuses,
// same status URL, one live payment per order), settled by a payment_confirm job that debits the
// balance; refunded to the balance.
#include <optional>
#include <string>

#include "domain/payments/payment_store.hpp"
#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

inline constexpr const char* kBalanceMethod = "balance";

// The caller's `confirmed` order gets a payment in progress and its job, in the caller's
// transaction. Throws AppError: kNotFound, kOrderNotPayable, kPaymentConflict.
StartedPayment StartBalancePayment(PgTransaction& tx, const QueuesConfig& cfg, long long user_id,
                                   const std::string& order_id);

}  // namespace checkout

#pragma once
// The stored balance (DESIGN 3.3): topped up by the buyer, spent on orders, refunded to. Never
// negative (a guarded update, and a CHECK as the last line); every change has a ledger row.
#include <string>
#include <string_view>

#include "common/pg_connection.hpp"

namespace checkout {

inline constexpr long long kMaxCharge = 10'000'000;

// {amount}: 1..kMaxCharge. Throws AppError (kInvalidJson, kValidationFailed).
long long ParseChargeAmount(std::string_view body);
// In the caller's transaction: {balance, charged, ledger_id}.
std::string ChargeBalance(PgTransaction& tx, long long user_id, long long amount);
// {balance, ledger: {items, page, size, total}}, the ledger newest first.
std::string BalanceJson(PgConnection& conn, long long user_id, int page, int size);

// A balance payment's debit, in the transaction that holds the payment's row lock. False, changing
// nothing, when the balance is short.
bool DebitBalance(PgTransaction& tx, long long user_id, const std::string& payment_id, long long amount);
// A balance payment's money back to the balance, once per payment.
void RefundToBalance(PgTransaction& tx, const std::string& payment_id);

}  // namespace checkout

#pragma once
// The stored balance (DESIGN 3.3): topped up by the buyer through the gateway (a top-up is an order of
// kind 'topup', paid and refunded like any other), granted by an admin, spent on orders, refunded to.
// Money enters it only on the gateway's DONE or an admin's recorded grant. Never negative (a guarded
// update, and a CHECK as the last line); every change has a ledger row.
#include <string>
#include <string_view>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

inline constexpr long long kMaxCharge = 10'000'000;

// {amount}: 1..kMaxCharge. Throws AppError (kInvalidJson, kValidationFailed).
long long ParseChargeAmount(std::string_view body);
struct TopUp {
    std::string id;            // the top-up's order
    std::string order_number;  // the gateway's orderId
    long long amount = 0;
};
// In the caller's transaction: a top-up of `amount` waiting for its payment, i.e. an order of kind
// 'topup', already payable ('confirmed'). Nothing is credited here.
TopUp StartTopUp(PgTransaction& tx, long long user_id, long long amount);
// The gateway said DONE for a top-up's payment (payment.finalize, holding the payment's and the
// order's row locks): the balance is credited once per payment.
void CreditTopUp(PgTransaction& tx, const std::string& payment_id, long long user_id, long long amount);
// A paid top-up is being refunded: its credit leaves the balance. `strict` (the buyer's cancel):
// throws kTopUpSpent, changing nothing, when the balance no longer holds it. Not strict (the gateway
// refunded it already, e.g. from its dashboard): takes what the balance holds and logs the shortfall.
void TakeBackTopUp(PgTransaction& tx, const std::string& order_id, bool strict);

struct BalanceGrant {
    std::string user_sub;
    long long amount = 0;
    std::string reason;
};
// {user, amount, reason}: a customer-service credit. Throws AppError (kInvalidJson, kValidationFailed).
BalanceGrant ParseBalanceGrant(std::string_view body);
struct GrantedBalance {
    long long grant_id = 0;  // its ledger row
    long long balance = 0;   // the user's balance after it
};
// An admin's credit, in the ledger with the admin and the reason.
GrantedBalance GrantBalance(PgTransaction& tx, long long user_id, const BalanceGrant& grant,
                            const std::string& admin_sub);

// A balance payment's debit, in the transaction that holds the payment's row lock. False, changing
// nothing, when the balance is short.
bool DebitBalance(PgTransaction& tx, long long user_id, const std::string& payment_id, long long amount);
// A balance payment's money back to the balance, once per payment.
void RefundToBalance(PgTransaction& tx, const std::string& payment_id);

}  // namespace checkout

#pragma once
// A canceled subscription's refund as the subscription.refund job makes it: settled once (pending ->
// done or failed), safe to run again.
#include <optional>
#include <string>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

struct RefundToMake {
    std::string refund_id, payment_key;
    long long amount = 0;
};
// The refund while it is pending (locked), with the charge's paymentKey; nullopt once settled.
std::optional<RefundToMake> LoadPendingRefund(PgTransaction& tx, const std::string& refund_id);
// The gateway paid it back.
void RefundDone(PgTransaction& tx, const std::string& refund_id);
// The gateway refused it for good: left `failed` with its code, for an operator (the money is still
// with the shop).
void RefundFailed(PgTransaction& tx, const std::string& refund_id, const std::string& code);

}  // namespace checkout

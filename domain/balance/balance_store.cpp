#include "domain/balance/balance_store.hpp"

#include <algorithm>

#include "infra/core/error.hpp"
#include "infra/core/json.hpp"  // ParseJsonObject
#include "infra/core/log.hpp"
#include "infra/core/uuid.hpp"

namespace checkout {

long long ParseChargeAmount(std::string_view body) {
    const auto d = ParseJsonObject(body, "The charge is invalid.");
    auto it = d.FindMember("amount");
    if (it == d.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 1 ||
        it->value.GetInt64() > kMaxCharge)
        throw AppError(ErrorCode::kValidationFailed, "The charge is invalid.",
                       std::vector<FieldError>{
                           {"amount", "must be an integer from 1 to " + std::to_string(kMaxCharge)}});
    return it->value.GetInt64();
}

TopUp StartTopUp(PgTransaction& tx, long long user_id, long long amount) {
    const std::string id = NewUuid();
    std::string hex = id;
    std::erase(hex, '-');
    const std::string number = "TOP-" + hex;
    // No items and no job: it is payable at once, and expires unpaid like any confirmed order.
    tx.exec(
        "INSERT INTO orders (id, order_number, user_id, status, kind, requested_items, shipping, "
        "total_amount, final_amount) VALUES ($1, $2, $3, 'confirmed', 'topup', '[]', '{}', $4, $4)",
        {id, number, user_id, amount});
    return {id, number, amount};
}

void CreditTopUp(PgTransaction& tx, const std::string& payment_id, long long user_id, long long amount) {
    tx.exec(
        "WITH l AS (INSERT INTO balance_ledger (user_id, kind, amount, payment_id) "
        "           VALUES ($1, 'topup', $2, $3) ON CONFLICT (payment_id, kind) DO NOTHING RETURNING amount) "
        "INSERT INTO balances (user_id, balance) SELECT $1, amount FROM l "
        "ON CONFLICT (user_id) DO UPDATE SET balance = balances.balance + EXCLUDED.balance",
        {user_id, amount, payment_id});
}

void TakeBackTopUp(PgTransaction& tx, const std::string& order_id, bool strict) {
    // The credit of the order's paid top-up, not taken back yet; the balance row locked.
    auto c = tx.exec(
        "SELECT l.payment_id, l.amount, l.user_id, b.balance FROM balance_ledger l "
        "JOIN payments p ON p.id = l.payment_id JOIN balances b ON b.user_id = l.user_id "
        "WHERE p.order_id = $1 AND l.kind = 'topup' AND NOT EXISTS (SELECT 1 FROM balance_ledger r "
        "WHERE r.payment_id = l.payment_id AND r.kind = 'topup_refund') FOR UPDATE OF b",
        {order_id});
    if (c.rows() == 0) return;
    const long long credited = c.integer(0, 1), held = c.integer(0, 3);
    if (held < credited && strict)
        throw AppError(
            ErrorCode::kTopUpSpent,
            "This top-up has been spent: the balance no longer holds it, so it cannot be refunded.",
            "balance " + std::to_string(held) + " < top-up " + std::to_string(credited));
    const long long take = std::min(held, credited);
    if (take < credited)
        spdlog::warn("order={} top-up refunded at the gateway while the balance held {} of its {}", order_id,
                     held, credited);
    tx.exec(
        "WITH l AS (INSERT INTO balance_ledger (user_id, kind, amount, payment_id) "
        "           VALUES ($1, 'topup_refund', -$2::bigint, $3) ON CONFLICT (payment_id, kind) DO NOTHING "
        "           RETURNING 1) "
        "UPDATE balances SET balance = balance - $2 WHERE user_id = $1 AND EXISTS (SELECT 1 FROM l)",
        {c.integer(0, 2), take, c.str(0, 0)});
}

BalanceGrant ParseBalanceGrant(std::string_view body) {
    const auto d = ParseJsonObject(body, "The grant is invalid.");
    std::vector<FieldError> errors;
    BalanceGrant g;
    auto user = d.FindMember("user");
    if (user == d.MemberEnd() || !user->value.IsString() || user->value.GetStringLength() < 1 ||
        user->value.GetStringLength() > 200)
        errors.push_back({"user", "is required: the user's subject (sub), 1 to 200 characters"});
    else
        g.user_sub = user->value.GetString();
    auto amount = d.FindMember("amount");
    if (amount == d.MemberEnd() || !amount->value.IsInt64() || amount->value.GetInt64() < 1 ||
        amount->value.GetInt64() > kMaxCharge)
        errors.push_back({"amount", "must be an integer from 1 to " + std::to_string(kMaxCharge)});
    else
        g.amount = amount->value.GetInt64();
    auto reason = d.FindMember("reason");
    if (reason == d.MemberEnd() || !reason->value.IsString() || reason->value.GetStringLength() < 1 ||
        reason->value.GetStringLength() > 500)
        errors.push_back({"reason", "is required, 1 to 500 characters"});
    else
        g.reason = reason->value.GetString();
    if (!errors.empty()) throw AppError(ErrorCode::kValidationFailed, "The grant is invalid.", errors);
    return g;
}

GrantedBalance GrantBalance(PgTransaction& tx, long long user_id, const BalanceGrant& grant,
                            const std::string& admin_sub) {
    auto r = tx.exec(
        "WITH b AS (INSERT INTO balances (user_id, balance) VALUES ($1, $2) ON CONFLICT (user_id) "
        "           DO UPDATE SET balance = balances.balance + EXCLUDED.balance RETURNING balance), "
        "l AS (INSERT INTO balance_ledger (user_id, kind, amount, reason, granted_by) "
        "      VALUES ($1, 'grant', $2, $3, $4) RETURNING id) "
        "SELECT l.id, b.balance FROM b, l",
        {user_id, grant.amount, grant.reason, admin_sub});
    return {r.integer(0, 0), r.integer(0, 1)};
}

bool DebitBalance(PgTransaction& tx, long long user_id, const std::string& payment_id, long long amount) {
    // The caller holds the payment's row lock and debits only a payment still in progress; the
    // ledger's unique (payment_id, kind) backs that up.
    auto r = tx.exec(
        "WITH b AS (UPDATE balances SET balance = balance - $3 WHERE user_id = $1 AND balance >= $3 "
        "RETURNING 1), "
        "l AS (INSERT INTO balance_ledger (user_id, kind, amount, payment_id) "
        "      SELECT $1, 'pay', -$3::bigint, $2 WHERE EXISTS (SELECT 1 FROM b) OR $3 = 0 RETURNING 1) "
        "SELECT count(*) FROM l",
        {user_id, payment_id, amount});
    return r.integer(0, 0) == 1;
}

void RefundToBalance(PgTransaction& tx, const std::string& payment_id) {
    tx.exec(
        "WITH l AS (INSERT INTO balance_ledger (user_id, kind, amount, payment_id) "
        "           SELECT user_id, 'refund', amount, id FROM payments WHERE id = $1 "
        "           ON CONFLICT (payment_id, kind) DO NOTHING RETURNING user_id, amount) "
        "UPDATE balances b SET balance = b.balance + l.amount FROM l WHERE b.user_id = l.user_id",
        {payment_id});
}

}  // namespace checkout

#include "common/balance/balance_store.hpp"

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/ledger_page.hpp"

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

std::string ChargeBalance(PgTransaction& tx, long long user_id, long long amount) {
    return tx
        .exec(
            "WITH b AS (INSERT INTO balances (user_id, balance) VALUES ($1, $2) ON CONFLICT (user_id) "
            "           DO UPDATE SET balance = balances.balance + EXCLUDED.balance RETURNING balance), "
            "l AS (INSERT INTO balance_ledger (user_id, kind, amount) VALUES ($1, 'charge', $2) RETURNING "
            "id) "
            "SELECT json_build_object('balance', b.balance, 'charged', $2::bigint, 'ledger_id', l.id)::text "
            "FROM b, l",
            {user_id, amount})
        .str(0, 0);
}

std::string BalanceJson(PgConnection& conn, long long user_id, int page, int size) {
    return conn
        .exec(
            "SELECT json_build_object('balance', coalesce((SELECT balance FROM balances WHERE user_id = $1), "
            "0), "
            "'ledger', " +
                LedgerPageSql("balance_ledger", "'payment_id', payment_id") + ")::text",
            LedgerPageParams(user_id, page, size))
        .str(0, 0);
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

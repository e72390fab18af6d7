#include "domain/points/point_store.hpp"

#include "infra/pg/pg_array.hpp"

namespace checkout {

namespace {

std::vector<PointLot> Lots(const PgResult& r) {
    std::vector<PointLot> lots;
    for (int i = 0; i < r.rows(); ++i) lots.push_back({r.integer(i, 0), r.integer(i, 1)});
    return lots;
}

// `sign` -1 takes the points out of the lots, +1 puts them back.
void ApplyTakes(PgTransaction& tx, const std::vector<LotTake>& takes, int sign) {
    tx.exec(
        "UPDATE point_lots l SET remaining = l.remaining + v.delta "
        "FROM unnest($1::bigint[], $2::bigint[]) AS v(id, delta) WHERE l.id = v.id",
        {PgArrayOf(takes, [](const LotTake& t) { return t.lot_id; }),
         PgArrayOf(takes, [sign](const LotTake& t) { return sign * t.amount; })});
}

long long Sum(const std::vector<LotTake>& takes) {
    long long n = 0;
    for (const auto& t : takes) n += t.amount;
    return n;
}

}  // namespace

// What the live lots hold minus the debt (migration 012): the balance a buyer sees and spends from.
constexpr const char* kBalanceSql =
    "(SELECT coalesce(sum(remaining), 0) FROM point_lots WHERE user_id = $1 AND remaining > 0 AND expires_at "
    "> now()) - coalesce((SELECT amount FROM point_debts WHERE user_id = $1), 0)";

long long PointBalance(PgConnection& conn, long long user_id) {
    return conn.exec(std::string("SELECT ") + kBalanceSql, {user_id}).integer(0, 0);
}

namespace {
// The user's debt, its row locked for the rest of the transaction (0 when there is none).
long long LockDebt(PgTransaction& tx, long long user_id) {
    auto r = tx.exec("SELECT amount FROM point_debts WHERE user_id = $1 FOR UPDATE", {user_id});
    return r.rows() == 0 ? 0 : r.integer(0, 0);
}
void SetDebt(PgTransaction& tx, long long user_id, long long debt) {
    tx.exec(
        "INSERT INTO point_debts (user_id, amount) VALUES ($1, $2) "
        "ON CONFLICT (user_id) DO UPDATE SET amount = EXCLUDED.amount",
        {user_id, debt});
}
}  // namespace

bool SpendPoints(PgTransaction& tx, long long user_id, const std::string& order_id, long long amount) {
    if (amount <= 0) return true;
    // Locked in the order they are taken, by every path that changes them: concurrent spends of one
    // user queue here, and the second sees what the first left.
    auto r = tx.exec(
        "SELECT id, remaining FROM point_lots WHERE user_id = $1 AND remaining > 0 AND expires_at > now() "
        "ORDER BY expires_at, id FOR UPDATE",
        {user_id});
    const auto takes = TakeFirstExpiring(Lots(r), amount);
    if (!takes) return false;
    auto spent = tx.exec(
        "INSERT INTO point_ledger (user_id, order_id, kind, amount) VALUES ($1, $2, 'spend', $3) "
        "ON CONFLICT (order_id, kind) DO NOTHING",
        {user_id, order_id, -amount});
    if (spent.affected() == 0) return true;  // spent by an earlier run of this order's job
    ApplyTakes(tx, *takes, -1);
    tx.exec(
        "INSERT INTO point_spends (order_id, lot_id, amount) SELECT $1, id, a FROM unnest($2::bigint[], "
        "$3::bigint[]) AS v(id, a)",
        {order_id, PgArrayOf(*takes, [](const LotTake& t) { return t.lot_id; }),
         PgArrayOf(*takes, [](const LotTake& t) { return t.amount; })});
    return true;
}

void RestoreSpentPoints(PgTransaction& tx, long long user_id, const std::string& order_id) {
    auto r = tx.exec(
        "SELECT s.lot_id, s.amount FROM point_spends s JOIN point_lots l ON l.id = s.lot_id "
        "WHERE s.order_id = $1 ORDER BY l.expires_at, l.id FOR UPDATE OF l",
        {order_id});
    if (r.rows() == 0) return;
    std::vector<LotTake> takes;
    for (int i = 0; i < r.rows(); ++i) takes.push_back({r.integer(i, 0), r.integer(i, 1)});
    auto restored = tx.exec(
        "INSERT INTO point_ledger (user_id, order_id, kind, amount) VALUES ($1, $2, 'restore', $3) "
        "ON CONFLICT (order_id, kind) DO NOTHING",
        {user_id, order_id, Sum(takes)});
    if (restored.affected() == 0) return;
    // Points a refund could not take back (spent) are owed: what comes back pays that first.
    if (long long debt = LockDebt(tx, user_id); debt > 0) {
        takes = PayDebtFirst(takes, debt);
        SetDebt(tx, user_id, debt);
    }
    if (!takes.empty()) ApplyTakes(tx, takes, +1);
}

void EarnPoints(PgTransaction& tx, long long user_id, const std::string& order_id, long long points,
                int valid_days) {
    // A debt (points a refund could not take back) is paid off first: the new lot starts with what is
    // left. One round trip; the debt row is locked only when there is one.
    tx.exec(
        "WITH e AS (INSERT INTO point_ledger (user_id, order_id, kind, amount) VALUES ($1, $2, 'earn', $3) "
        "           ON CONFLICT (order_id, kind) DO NOTHING RETURNING amount), "
        "d AS (SELECT amount AS owed FROM point_debts WHERE user_id = $1 AND amount > 0 FOR UPDATE), "
        "pay AS (SELECT e.amount, least(e.amount, coalesce((SELECT owed FROM d), 0)) AS paid FROM e), "
        "u AS (UPDATE point_debts SET amount = point_debts.amount - pay.paid FROM pay "
        "      WHERE point_debts.user_id = $1 AND pay.paid > 0) "
        "INSERT INTO point_lots (user_id, order_id, amount, remaining, expires_at) "
        "SELECT $1, $2, amount, amount - paid, now() + make_interval(days => $4) FROM pay WHERE amount > 0",
        {user_id, order_id, points, static_cast<long long>(valid_days)});
}

void RevokeEarnedPoints(PgTransaction& tx, long long user_id, const std::string& order_id) {
    auto earned =
        tx.exec("SELECT amount FROM point_ledger WHERE order_id = $1 AND kind = 'earn'", {order_id});
    if (earned.rows() == 0 || earned.integer(0, 0) <= 0) return;
    // The order's own lot first (it may have been partly spent), then the others, first-expiring
    // first; lots that expired since are not taken from (their points are gone already).
    auto r = tx.exec(
        "SELECT id, remaining FROM point_lots WHERE user_id = $1 AND remaining > 0 AND expires_at > now() "
        "ORDER BY (order_id IS NOT DISTINCT FROM $2::uuid) DESC, expires_at, id FOR UPDATE",
        {user_id, order_id});
    const long long owed = earned.integer(0, 0);
    const auto takes = TakeFirstExpiring(Lots(r), owed, /*partial=*/true);
    // Taken back in full: the ledger says the whole amount; what the lots no longer hold (the buyer
    // spent it) becomes a debt that later points pay off (migration 012).
    auto revoked = tx.exec(
        "INSERT INTO point_ledger (user_id, order_id, kind, amount) VALUES ($1, $2, 'revoke', $3) "
        "ON CONFLICT (order_id, kind) DO NOTHING",
        {user_id, order_id, -owed});
    if (revoked.affected() == 0) return;
    if (!takes->empty()) ApplyTakes(tx, *takes, -1);
    if (const long long shortfall = owed - Sum(*takes); shortfall > 0)
        SetDebt(tx, user_id, LockDebt(tx, user_id) + shortfall);
}

long long ExpirePoints(PgConnection& conn) {
    auto r = conn.exec(
        "WITH due AS (SELECT id, user_id, remaining FROM point_lots "
        "             WHERE remaining > 0 AND expires_at <= now() ORDER BY id LIMIT 5000 FOR UPDATE SKIP "
        "LOCKED), "
        "u AS (UPDATE point_lots l SET remaining = 0 FROM due WHERE l.id = due.id), "
        "g AS (INSERT INTO point_ledger (user_id, lot_id, kind, amount) "
        "      SELECT user_id, id, 'expire', -remaining FROM due) "
        "SELECT coalesce(sum(remaining), 0), count(*) FROM due");
    return r.integer(0, 0);
}

}  // namespace checkout

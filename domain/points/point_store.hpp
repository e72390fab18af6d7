#pragma once
// Points in PostgreSQL (DESIGN 3.3): lots with an expiry, a ledger row for every change. Every
// function runs in the caller's transaction; each is safe to run again for the same order (the
// ledger's unique (order_id, kind) makes earn, spend, restore and revoke happen once per order).
#include <string>

#include "domain/points/point_rules.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// Points the user can spend now: what is left of lots not yet expired.
long long PointBalance(PgConnection& conn, long long user_id);

// Spends `amount` first-expiring first for `order_id`, locking the user's live lots. False, changing
// nothing, when the user holds fewer points now.
bool SpendPoints(PgTransaction& tx, long long user_id, const std::string& order_id, long long amount);
// Gives a released order's spent points back to the lots they came from (an expired lot's return
// expires again on the scheduler's next run, with its own ledger row).
void RestoreSpentPoints(PgTransaction& tx, long long user_id, const std::string& order_id);
// A new lot of `points` earned by a paid order, valid for `valid_days`; once per order.
void EarnPoints(PgTransaction& tx, long long user_id, const std::string& order_id, long long points,
                int valid_days);
// A refunded order's earned points are taken back: from what is left of its own lot first, then
// first-expiring first, as many as the user still holds, never below zero.
void RevokeEarnedPoints(PgTransaction& tx, long long user_id, const std::string& order_id);
// Ends every lot past its expiry: its remainder leaves the balance with an `expire` ledger row.
// Returns the points expired. Lots a spend is holding are left for the next run.
long long ExpirePoints(PgConnection& conn);

}  // namespace checkout

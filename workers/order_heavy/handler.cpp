#include "workers/order_heavy/handler.hpp"

#include <rapidjson/document.h>

#include <map>
#include <set>

#include "domain/job_payloads.hpp"
#include "domain/orders/order_release.hpp"
#include "domain/orders/stock_rules.hpp"
#include "domain/points/point_store.hpp"
#include "infra/core/error.hpp"
#include "infra/core/uuid.hpp"
#include "infra/pg/pg_array.hpp"

namespace checkout {

namespace {

std::vector<OrderLine> RequestedLines(std::string_view json) {
    rapidjson::Document d;
    d.Parse(json.data(), json.size());
    std::vector<OrderLine> lines;
    if (!d.IsArray()) throw AppError(ErrorCode::kInternal, "stored order items are not an array");
    for (const auto& v : d.GetArray())
        lines.push_back(OrderLine{v["product_id"].GetInt64(), v["quantity"].GetInt()});
    return lines;
}

std::string Join(const std::vector<OrderLine>& lines, bool ids) {
    return PgArrayOf(lines, [ids](const OrderLine& l) { return ids ? l.product_id : l.quantity; });
}

}  // namespace

namespace {

// Most orders are items alone: no coupon, no points, not from the cart, no per-buyer limit. Such an
// order is decided by this one statement: it locks the order row (a redelivery running at the same
// time waits here, then sees the order decided), takes the stock with a guarded update (never below
// zero), unless a line is already short (then nothing is taken, and a late order in a sale does not
// queue for the row locks of the products it cannot have),
// writes the items and confirms the order, the last two only if every line was taken. It always
// returns the order row, so that any other order goes on to the general path below, lock held.
constexpr const char* kItemsOnlyOrder =
    "WITH o AS (SELECT status, requested_items, failure_reason, user_id, points_used, coupon_id, from_cart "
    "           FROM orders WHERE id = $1 FOR UPDATE), "
    "lines AS (SELECT x.product_id, sum(x.quantity)::int AS q, max(x.unit_price) AS price "
    "          FROM o, jsonb_to_recordset(o.requested_items) AS x(product_id bigint, quantity int, "
    "                                                              unit_price bigint) "
    "          WHERE o.status = 'pending' AND o.coupon_id IS NULL AND o.points_used = 0 AND NOT o.from_cart "
    "          GROUP BY x.product_id), "
    "plain AS (SELECT count(*) > 0 AND count(*) FILTER (WHERE p.limit_per_user IS NOT NULL) = 0 AS ok, "
    "                 count(*) AS n, min(l.product_id) FILTER (WHERE p.stock < l.q) AS short "
    "          FROM lines l JOIN products p ON p.id = l.product_id), "
    "s AS (UPDATE products p SET stock = p.stock - l.q FROM lines l, plain "
    "      WHERE plain.ok AND plain.short IS NULL AND p.id = l.product_id AND p.stock >= l.q RETURNING "
    "p.id), "
    "n AS (SELECT count(*) AS taken FROM s), "
    "i AS (INSERT INTO order_items (order_id, product_id, quantity, unit_price) "
    "      SELECT $1, l.product_id, l.q, l.price FROM lines l, plain, n WHERE plain.ok AND n.taken = "
    "plain.n), "
    "c AS (UPDATE orders SET status = 'confirmed' FROM plain, n WHERE id = $1 AND plain.ok AND n.taken = "
    "plain.n) "
    "SELECT o.status, o.requested_items::text, o.failure_reason, o.user_id, o.points_used, o.coupon_id, "
    "       o.from_cart, plain.ok, n.taken, plain.n, plain.short "
    "FROM o, plain, n";

// Returns how many of the order's lines were taken: all of them, or none if nothing changed.
long long TakeStock(PgTransaction& tx, const std::string& order_id, const std::vector<OrderLine>& merged,
                    const std::string& ids) {
    // One statement takes the stock with a guarded update (never below zero; the update takes the row
    // locks), writes the items and confirms the order, the last two only if every line was taken. Few
    // round trips here keep a hot product's row locked briefly. Two multi-product orders may lock in
    // opposite orders; PostgreSQL then aborts one (deadlock_detected), which is retried as transient.
    return tx
        .exec(
            "WITH s AS (UPDATE products p SET stock = p.stock - v.q "
            "           FROM unnest($2::bigint[], $3::int[]) AS v(id, q) "
            "           WHERE p.id = v.id AND p.stock >= v.q RETURNING p.id), "
            "n AS (SELECT count(*) AS taken FROM s), "
            "i AS (INSERT INTO order_items (order_id, product_id, quantity, unit_price) "
            "      SELECT $1, x.product_id, sum(x.quantity), max(x.unit_price) FROM orders o, n, "
            "      jsonb_to_recordset(o.requested_items) AS x(product_id bigint, quantity int, unit_price "
            "bigint) "
            "      WHERE o.id = $1 AND n.taken = $4 GROUP BY x.product_id), "
            "c AS (UPDATE orders SET status = 'confirmed' FROM n WHERE id = $1 AND n.taken = $4) "
            "SELECT taken FROM n",
            {order_id, ids, Join(merged, false), static_cast<long long>(merged.size())})
        .integer(0, 0);
}

// After the stock is taken, under the row locks that take holds: the per-buyer limit, then the
// coupon (used once), then the points (spent). The reason the order lost one of them, if it did.
std::optional<std::string> LostClaim(PgTransaction& tx, const std::string& order_id, long long user_id,
                                     const std::vector<OrderLine>& merged, const std::string& ids,
                                     const std::map<long long, long long>& limits,
                                     const std::optional<std::string>& coupon, long long points) {
    std::optional<std::string> lost;
    // A per-buyer limit is checked now that the take above holds the limited products' row locks:
    // another order of this buyer for them is either committed (and counted here) or waits behind
    // this one, so 40 simultaneous orders for a product limited to 2 confirm at most 2.
    if (!limits.empty()) {
        auto rows = tx.exec(
            "SELECT i.product_id, sum(i.quantity) FROM orders o JOIN order_items i ON i.order_id = o.id "
            "WHERE o.user_id = $1 AND o.id <> $2 AND o.status IN ('confirmed', 'paid') "
            "AND i.product_id = ANY($3::bigint[]) GROUP BY i.product_id",
            {user_id, order_id, ids});
        std::map<long long, long long> held;
        for (int i = 0; i < rows.rows(); ++i) held[rows.integer(i, 0)] = rows.integer(i, 1);
        if (FirstOverLimit(merged, limits, held)) lost = "PURCHASE_LIMIT_EXCEEDED";
    }
    if (!lost && coupon &&
        tx.exec("UPDATE user_coupons SET status = 'used', order_id = $1, used_at = now() "
                "WHERE coupon_id = $2 AND user_id = $3 AND status = 'available'",
                {order_id, *coupon, user_id})
                .affected() == 0)
        lost = "COUPON_UNAVAILABLE";
    if (!lost && !SpendPoints(tx, user_id, order_id, points)) lost = "INSUFFICIENT_POINTS";
    return lost;
}

void TakeFromCart(PgTransaction& tx, long long user_id, const std::vector<OrderLine>& merged,
                  const std::string& ids) {
    // The cart's lines give up what the order took: a line the buyer raised after ordering keeps
    // the rest, instead of being deleted whole.
    tx.exec(
        "WITH t AS (SELECT * FROM unnest($2::bigint[], $3::int[]) AS v(product_id, q)), "
        "d AS (DELETE FROM cart_items c USING t WHERE c.user_id = $1 AND c.product_id = t.product_id "
        "      AND c.quantity <= t.q) "
        "UPDATE cart_items c SET quantity = c.quantity - t.q FROM t "
        "WHERE c.user_id = $1 AND c.product_id = t.product_id AND c.quantity > t.q",
        {user_id, ids, Join(merged, false)});
}

}  // namespace

Outcome ProcessOrder(PgTransaction& tx, const Job& job) {
    const auto order_id = ProcessOrderPayload::Parse(job.payload_json).order_id;
    auto order = tx.exec(kItemsOnlyOrder, {order_id});
    if (order.rows() == 0) throw AppError(ErrorCode::kNotFound, "order " + order_id + " does not exist");
    const auto status = order.str(0, 0);
    if (status == "failed")
        return Outcome::Failed(order.opt(0, 2).value_or("FAILED"), "order was already failed");
    if (status != "pending") return Outcome::Succeeded();  // processed before: a redelivery changes nothing

    auto fail = [&](const std::string& reason, const std::string& detail) {
        tx.exec("UPDATE orders SET status = 'failed', failure_reason = $2 WHERE id = $1", {order_id, reason});
        return Outcome::Failed(reason, detail);
    };
    auto fail_short = [&](long long product) {
        return fail("INSUFFICIENT_STOCK", "product " + std::to_string(product) + " has too little stock");
    };
    const auto merged = MergeLines(RequestedLines(order.get(0, 1)));
    if (order.boolean(0, 7)) {  // items only: decided by the statement above
        const long long taken = order.integer(0, 8), lines = order.integer(0, 9);
        if (taken == lines) return Outcome::Succeeded();
        if (taken == 0)  // sold out: nothing changed
            return fail_short(order.is_null(0, 10) ? merged.front().product_id : order.integer(0, 10));
        // Another order took one of several products in between: undo the partial take by rolling
        // back, and decide again on the next attempt.
        throw AppError(ErrorCode::kTransient, "stock of a multi-product order changed during processing");
    }

    const long long user_id = order.integer(0, 3), points = order.integer(0, 4);
    const auto coupon = order.opt(0, 5);
    const bool from_cart = order.boolean(0, 6);
    const auto ids = Join(merged, true);
    // Points spent meanwhile by another order of the same buyer: decided before any stock is taken.
    if (points > 0 && PointBalance(tx.connection(), user_id) < points)
        return fail("INSUFFICIENT_POINTS", "the buyer holds fewer points than the order uses");
    // In a sale most late orders find the stock gone: decide those without queueing for the row lock.
    // Stock only returns through expiry or cancellation, so "short now" is a correct answer.
    std::map<long long, long long> limits;  // products of the order with a per-buyer limit
    {
        auto rows =
            tx.exec("SELECT id, stock, limit_per_user FROM products WHERE id = ANY($1::bigint[])", {ids});
        std::map<long long, long long> stock;
        for (int i = 0; i < rows.rows(); ++i) {
            stock[rows.integer(i, 0)] = rows.integer(i, 1);
            if (!rows.is_null(i, 2)) limits[rows.integer(i, 0)] = rows.integer(i, 2);
        }
        if (auto short_id = FirstShortProduct(merged, stock)) return fail_short(*short_id);
    }
    const auto count = TakeStock(tx, order_id, merged, ids);
    if (count == 0)
        return fail_short(merged.front().product_id);  // sold out since the check: nothing changed
    if (count != static_cast<long long>(merged.size()))
        // Another order took one of several products in between: undo the partial take by rolling
        // back, and decide again on the next attempt.
        throw AppError(ErrorCode::kTransient, "stock of a multi-product order changed during processing");

    // The coupon is used once and the points are spent, in this transaction. If either is gone since
    // the checks above (another order of the buyer took it), the stock taken is given back and the
    // order fails, all before the commit: nobody saw the stock taken.
    const auto lost = LostClaim(tx, order_id, user_id, merged, ids, limits, coupon, points);
    if (lost) {
        // Stock and coupon go back only through the order's release (domain/orders/order_release),
        // the one place they do; the items of an order that never was are removed.
        ReleaseOrder(tx, order_id, "confirmed", "failed");
        tx.exec("DELETE FROM order_items WHERE order_id = $1", {order_id});
        return fail(*lost, *lost == "PURCHASE_LIMIT_EXCEEDED"
                               ? "the buyer already holds the product's limit"
                               : "the order's coupon or points were used by another order");
    }
    if (from_cart) TakeFromCart(tx, user_id, merged, ids);
    return Outcome::Succeeded();
}

std::set<std::string> DecideOrderBatch(PgTransaction& tx, const std::vector<Job>& jobs) {
    std::vector<std::string> orders;
    std::map<std::string, std::string> job_of;  // order id -> job id
    for (const auto& job : jobs) {
        try {
            orders.push_back(ProcessOrderPayload::Parse(job.payload_json).order_id);
            job_of[orders.back()] = job.id;
        } catch (const AppError&) {
            // Its own handler reports the bad payload.
        }
    }
    // Locks the batch's pending orders, then every product they name, each set in id order (two
    // batches that share rows wait for each other instead of deadlocking). If every one of those
    // orders is items alone and the stock covers all of them together, they are decided here, as a
    // set: the stock taken once per product, the items written, the orders confirmed. Otherwise
    // nothing changes and each order's handler decides it (a sale's last units, a coupon, a limit).
    auto r = tx.exec(
        "WITH o AS (SELECT id, requested_items, coupon_id IS NULL AND points_used = 0 AND NOT from_cart AS "
        "plain "
        "           FROM orders WHERE id = ANY($1::uuid[]) AND status = 'pending' ORDER BY id FOR UPDATE), "
        "lines AS (SELECT o.id AS order_id, x.product_id, sum(x.quantity)::int AS q, max(x.unit_price) AS "
        "price "
        "          FROM o, jsonb_to_recordset(o.requested_items) AS x(product_id bigint, quantity int, "
        "                                                              unit_price bigint) "
        "          GROUP BY 1, 2), "
        "demand AS (SELECT product_id, sum(q) AS q FROM lines GROUP BY product_id), "
        "locked AS (SELECT p.id, p.stock, p.limit_per_user FROM products p "
        "           WHERE p.id IN (SELECT product_id FROM demand) ORDER BY p.id FOR UPDATE), "
        "fits AS (SELECT count(*) > 0 AND (SELECT bool_and(plain) FROM o) "
        "                AND count(*) = (SELECT count(*) FROM demand) "
        "                AND bool_and(k.stock >= d.q AND k.limit_per_user IS NULL) AS ok "
        "         FROM demand d JOIN locked k ON k.id = d.product_id), "
        "s AS (UPDATE products p SET stock = p.stock - d.q FROM demand d, fits "
        "      WHERE fits.ok AND p.id = d.product_id), "
        "i AS (INSERT INTO order_items (order_id, product_id, quantity, unit_price) "
        "      SELECT l.order_id, l.product_id, l.q, l.price FROM lines l, fits WHERE fits.ok), "
        "c AS (UPDATE orders SET status = 'confirmed' FROM fits WHERE fits.ok AND orders.id IN (SELECT id "
        "FROM o)) "
        "SELECT o.id::text FROM o, fits WHERE fits.ok",
        {PgUuidArray(orders)});
    std::set<std::string> decided;
    for (int i = 0; i < r.rows(); ++i) decided.insert(job_of.at(r.str(i, 0)));
    return decided;
}

}  // namespace checkout

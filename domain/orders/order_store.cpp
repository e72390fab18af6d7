#include "domain/orders/order_store.hpp"

#include "domain/orders/order_pricing.hpp"
#include "domain/points/point_store.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"
#include "infra/pg/pg_array.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

namespace {

std::string IdArray(const std::vector<OrderLine>& lines) {
    return PgArrayOf(lines, [](const OrderLine& l) { return l.product_id; });
}

std::string ShippingJson(const Shipping& s) {
    JsonWriter w;
    w.StartObject();
    w.Key("name").String(s.name).Key("phone").String(s.phone).Key("postal_code").String(s.postal_code);
    w.Key("address").String(s.address).Key("address_detail").String(s.address_detail);
    w.EndObject();
    return w.str();
}

}  // namespace

namespace {

struct NewOrder {
    std::string order_id, order_number;
    Job job;
    PlacedOrder placed() const { return {order_id, order_number, job.id}; }
};

NewOrder MakeNewOrder(const QueuesConfig& cfg) {
    NewOrder n;
    n.order_id = NewUuid();
    std::string hex = n.order_id;
    std::erase(hex, '-');
    n.order_number = "ORD-" + hex;
    n.job = NewJob(cfg, NewUuid(), kProcessOrderJob, ProcessOrderPayload{n.order_id}.ToJson());
    return n;
}

std::string QuantityArray(const std::vector<OrderLine>& lines) {
    return PgArrayOf(lines, [](const OrderLine& l) { return static_cast<long long>(l.quantity); });
}

// The CTE `line` of kPriceLinesSql for one order, from the parameters $<ids> and $<quantities>.
std::string OneOrderLines(int ids, int quantities) {
    return "line AS (SELECT 0 AS n, l.* FROM unnest($" + std::to_string(ids) + "::bigint[], $" +
           std::to_string(quantities) + "::int[]) WITH ORDINALITY AS l(product_id, quantity, ord))";
}

// The lines that name no product, as PostgreSQL's array text of their indexes ({0,2}), in the
// request's `field` (items, or the cart).
AppError UnknownProducts(const std::string& list, const std::string& field = "items") {
    std::vector<FieldError> unknown;
    std::size_t i = 1;
    while (i < list.size()) {
        const std::size_t j = list.find_first_of(",}", i);
        if (j == std::string::npos || j == i) break;
        unknown.push_back({field + "[" + list.substr(i, j - i) + "].product_id", "no such product"});
        i = j + 1;
    }
    return AppError(ErrorCode::kUnknownProduct, "The order names a product that does not exist.", unknown);
}

// The order and its job in one statement, priced in that statement from the products table: one
// round trip and one commit per order. When a product is unknown, nothing is inserted and the
// statement says which lines.
PlacedOrder InsertOrder(PgConnection& conn, const QueuesConfig& cfg, long long user_id,
                        const OrderRequest& req) {
    const NewOrder n = MakeNewOrder(cfg);
    const std::string &order_id = n.order_id, &order_number = n.order_number;
    const Job& job = n.job;
    auto params = JobInsertParams(job);  // $1..$4
    for (PgParam p :
         {PgParam(order_id), PgParam(order_number), PgParam(user_id), PgParam(IdArray(req.items)),
          PgParam(ShippingJson(req.shipping)), PgParam(req.memo), PgParam(QuantityArray(req.items))})
        params.push_back(std::move(p));  // $5..$11
    std::string sql =
        "WITH " + OneOrderLines(8, 11) + ", " + kPriceLinesSql +
        ", "
        "j AS (INSERT INTO jobs (id, type, queue, state, payload) SELECT $1, $2, $3, 'queued', $4::jsonb "
        "      FROM sums WHERE unknown = 0), "
        "ord AS (INSERT INTO orders (id, order_number, user_id, status, requested_items, shipping, memo, "
        "        total_amount, final_amount, job_id) "
        "        SELECT $5, $6, $7, 'pending', items, $9::jsonb, $10, total, total, $1 FROM sums WHERE "
        "unknown = 0)";
    auto r = conn.exec(sql +
                           " SELECT unknown, coalesce(missing::text, '{}'), "
                           "CASE WHEN unknown = 0 THEN pg_notify('outbox', '') END FROM sums",
                       params);
    if (r.rows() == 0) throw AppError(ErrorCode::kInternal, "an order without lines reached the insert");
    if (r.integer(0, 0) > 0) throw UnknownProducts(r.str(0, 1));
    return n.placed();
}

}  // namespace

namespace {

// An order from the cart, or with a coupon or points: read what it needs (the cart's lines, their
// total, the coupon, the points balance), price it (PriceOrder), insert it. The coupon and the points
// are taken by the order-heavy worker, which checks again under its locks.
PlacedOrder InsertPricedOrder(PgTransaction& tx, const QueuesConfig& cfg, long long user_id,
                              const OrderRequest& req) {
    std::vector<OrderLine> lines = req.items;
    if (req.from_cart) {
        auto cart = tx.exec(
            "SELECT product_id, quantity FROM cart_items WHERE user_id = $1 ORDER BY added_at, product_id",
            {user_id});
        if (cart.rows() == 0)
            throw AppError(ErrorCode::kCartEmpty, "Your cart is empty; add items or send them.");
        for (int i = 0; i < cart.rows(); ++i)
            lines.push_back({cart.integer(i, 0), static_cast<int>(cart.integer(i, 1))});
    }
    auto sums = tx.exec("WITH " + OneOrderLines(1, 2) + ", " + kPriceLinesSql +
                            " SELECT unknown, coalesce(missing::text, '{}'), total, items::text FROM sums",
                        {IdArray(lines), QuantityArray(lines)});
    if (sums.rows() == 0) throw AppError(ErrorCode::kInternal, "an order without lines reached pricing");
    if (sums.integer(0, 0) > 0) throw UnknownProducts(sums.str(0, 1), req.from_cart ? "cart" : "items");
    std::optional<CouponTerms> coupon;
    if (req.coupon_id) {
        auto c = tx.exec(
            "SELECT c.kind, c.amount, c.max_discount, uc.status, "
            "(c.valid_from IS NULL OR c.valid_from <= now()) AND (c.valid_until IS NULL OR c.valid_until > "
            "now()) "
            "FROM user_coupons uc JOIN coupons c ON c.id = uc.coupon_id WHERE uc.coupon_id = $1 AND "
            "uc.user_id = $2",
            {*req.coupon_id, user_id});
        auto refuse = [](const std::string& why) {
            return AppError(ErrorCode::kCouponUnavailable, "The coupon cannot be used.",
                            std::vector<FieldError>{{"coupon_id", why}});
        };
        if (c.rows() == 0) throw refuse("you do not hold this coupon");
        if (c.get(0, 3) != "available") throw refuse("is used by another order");
        if (!c.boolean(0, 4)) throw refuse("is not valid now");
        coupon = CouponTerms{c.str(0, 0), c.integer(0, 1),
                             c.opt(0, 2) ? std::optional<long long>(std::stoll(*c.opt(0, 2))) : std::nullopt};
    }
    const long long balance = req.use_points > 0 ? PointBalance(tx.connection(), user_id) : 0;
    const OrderPrice price = PriceOrder(sums.integer(0, 2), coupon, req.use_points, balance);

    const NewOrder n = MakeNewOrder(cfg);
    auto params = JobInsertParams(n.job);  // $1..$4
    for (PgParam p : {PgParam(n.order_id), PgParam(n.order_number), PgParam(user_id), PgParam(sums.str(0, 3)),
                      PgParam(ShippingJson(req.shipping)), PgParam(req.memo), PgParam(price.total),
                      PgParam(price.discount), PgParam(price.points), PgParam(price.final),
                      req.coupon_id ? PgParam(*req.coupon_id) : PgParam(std::nullopt),
                      PgParam(req.from_cart ? "true" : "false")})
        params.push_back(std::move(p));  // $5..$16
    tx.exec(
        std::string("WITH ") + kInsertJobCtes +
            ", o AS (INSERT INTO orders (id, order_number, user_id, status, requested_items, shipping, memo, "
            "total_amount, discount_amount, points_used, final_amount, job_id, coupon_id, from_cart) "
            "VALUES ($5, $6, $7, 'pending', $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $1, $15, "
            "$16::boolean)) "
            "SELECT pg_notify('outbox', '')",
        params);
    return n.placed();
}

}  // namespace

PlacedOrder PlaceOrder(PgTransaction& tx, const QueuesConfig& cfg, long long user_id,
                       const OrderRequest& req) {
    if (req.from_cart || req.coupon_id || req.use_points > 0) return InsertPricedOrder(tx, cfg, user_id, req);
    return InsertOrder(tx.connection(), cfg, user_id, req);
}

PlacedOrder PlaceOrderNow(PgConnection& conn, const QueuesConfig& cfg, long long user_id,
                          const OrderRequest& req) {
    // Items alone: one autocommit statement, no explicit transaction.
    if (!req.from_cart && !req.coupon_id && req.use_points == 0) return InsertOrder(conn, cfg, user_id, req);
    PgTransaction tx(conn);
    auto placed = InsertPricedOrder(tx, cfg, user_id, req);
    tx.commit();
    return placed;
}

bool GroupableOrder(const OrderRequest& req, const std::optional<IdempotencyKey>& idem) {
    return !idem && !req.from_cart && !req.coupon_id && req.use_points == 0;
}

// The group as one JSON document, expanded by the statement: priced from the products table, the
// orders and their jobs inserted for every order whose products all exist, one row back per order.
std::vector<GroupedResult> PlaceOrderGroup(PgConnection& conn, const QueuesConfig& cfg,
                                           const std::vector<GroupedOrder>& group) {
    std::vector<NewOrder> made;
    made.reserve(group.size());
    JsonWriter doc;
    doc.StartArray();
    for (std::size_t n = 0; n < group.size(); ++n) {
        made.push_back(MakeNewOrder(cfg));
        const auto& o = made.back();
        const auto& req = *group[n].request;
        doc.StartObject();
        doc.Key("n").Int(static_cast<long long>(n)).Key("order_id").String(o.order_id);
        doc.Key("order_number").String(o.order_number).Key("user_id").Int(group[n].user_id);
        doc.Key("job_id").String(o.job.id).Key("shipping").Raw(ShippingJson(req.shipping));
        doc.Key("memo").OptString(req.memo);
        doc.Key("items").StartArray();
        for (const auto& l : req.items) doc.StartArray().Int(l.product_id).Int(l.quantity).EndArray();
        doc.EndArray().EndObject();
    }
    doc.EndArray();
    auto r = conn.exec(
        "WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(n int, order_id uuid, order_number "
        "text, "
        "           user_id bigint, job_id uuid, shipping jsonb, memo text, items jsonb)), "
        "line AS (SELECT r.n, e.ord, (e.v->>0)::bigint AS product_id, (e.v->>1)::int AS quantity "
        "         FROM r, jsonb_array_elements(r.items) WITH ORDINALITY AS e(v, ord)), " +
            std::string(kPriceLinesSql) +
            ", "
            "ok AS (SELECT r.*, s.total, s.items AS priced FROM r JOIN sums s USING (n) WHERE s.unknown = "
            "0), "
            "j AS (INSERT INTO jobs (id, type, queue, state, payload) "
            "      SELECT job_id, $2, $3, 'queued', jsonb_build_object('order_id', order_id) FROM ok), "
            "ord AS (INSERT INTO orders (id, order_number, user_id, status, requested_items, shipping, memo, "
            "        total_amount, final_amount, job_id) "
            "        SELECT order_id, order_number, user_id, 'pending', priced, shipping, memo, total, "
            "total, "
            "job_id "
            "        FROM ok) "
            "SELECT n, unknown, coalesce(missing::text, '{}'), "
            "       CASE WHEN n = 0 AND EXISTS (SELECT 1 FROM ok) THEN pg_notify('outbox', '') END "
            "FROM sums ORDER BY n",
        {doc.str(), std::string(kProcessOrderJob), made.front().job.queue});
    std::vector<GroupedResult> out(group.size());
    for (int i = 0; i < r.rows(); ++i) {
        const auto n = static_cast<std::size_t>(r.integer(i, 0));
        if (n >= out.size()) continue;
        if (r.integer(i, 1) > 0)
            out[n].error = UnknownProducts(r.str(i, 2));
        else
            out[n].placed = made[n].placed();
    }
    for (auto& o : out)  // an order without lines is refused before it gets here; never left unanswered
        if (!o.placed && !o.error) o.error = AppError(ErrorCode::kInternal, "the order was not accepted");
    return out;
}

}  // namespace checkout

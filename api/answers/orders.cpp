#include "api/answers/orders.hpp"

#include "api/answers/accepted_replies.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"

namespace checkout::api {

namespace {
const char* kOrderColumns =
    "SELECT o.id, o.order_number, o.status, o.total_amount, o.discount_amount, o.points_used, "
    "o.final_amount, "
    "to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), o.failure_reason, "
    "o.requested_items::text, o.shipping::text, o.memo, o.job_id, o.coupon_id ";

void WriteOrder(JsonWriter& w, const PgResult& r, int i) {
    w.StartObject();
    w.Key("id").String(r.get(i, 0)).Key("order_number").String(r.get(i, 1)).Key("status").String(r.get(i, 2));
    w.Key("items").Raw(r.get(i, 9));
    w.Key("total_amount").Int(r.integer(i, 3)).Key("discount_amount").Int(r.integer(i, 4));
    w.Key("points_used").Int(r.integer(i, 5)).Key("final_amount").Int(r.integer(i, 6));
    w.Key("shipping").Raw(r.get(i, 10));
    w.Key("memo").OptString(r.opt(i, 11));
    w.Key("failure_reason").OptString(r.opt(i, 8));
    w.Key("created_at").String(r.get(i, 7));
    w.Key("status_url").String(OrderStatusUrl(r.str(i, 0)));
    w.Key("job_id").String(r.get(i, 12));
    w.Key("coupon_id");
    if (r.opt(i, 13))
        w.Int(r.integer(i, 13));
    else
        w.Null();
    w.EndObject();
}
}  // namespace

std::optional<std::string> OrderJson(PgConnection& conn, long long user_id, const std::string& order_id) {
    if (!IsUuid(order_id)) return std::nullopt;
    auto r = conn.exec(
        std::string(kOrderColumns) + "FROM orders o WHERE o.id = $1 AND o.user_id = $2 AND o.kind = 'goods'",
        {order_id, user_id});
    if (r.rows() == 0) return std::nullopt;
    JsonWriter w;
    WriteOrder(w, r, 0);
    return w.str();
}

std::string OrderPageJson(PgConnection& conn, long long user_id, int page, int size) {
    // orders_by_user (user_id, created_at DESC) serves both the page and the count.
    auto r = conn.exec(std::string(kOrderColumns) +
                           ", count(*) OVER () FROM orders o WHERE o.user_id = $1 AND o.kind = 'goods' "
                           "ORDER BY o.created_at DESC, o.id DESC LIMIT $2 OFFSET $3",
                       {user_id, size, static_cast<long long>(page - 1) * size});
    const long long total =
        r.rows() > 0
            ? r.integer(0, 14)
            : conn.exec("SELECT count(*) FROM orders WHERE user_id = $1 AND kind = 'goods'", {user_id})
                  .integer(0, 0);
    JsonWriter w;
    w.StartObject();
    w.Key("items").StartArray();
    for (int i = 0; i < r.rows(); ++i) WriteOrder(w, r, i);
    w.EndArray();
    w.Key("page").Int(page).Key("size").Int(size).Key("total").Int(total);
    w.EndObject();
    return w.str();
}

}  // namespace checkout::api

#include "api/answers/products.hpp"

#include "infra/core/json.hpp"

namespace checkout::api {

namespace {
void WriteProduct(JsonWriter& w, const Product& p) {
    w.StartObject();
    w.Key("id").Int(p.id).Key("name").String(p.name).Key("price").Int(p.price);
    w.Key("stock").Int(p.stock).Key("sold_count").Int(p.sold_count);
    w.Key("limit_per_user").OptInt(p.limit_per_user);
    w.EndObject();
}
}  // namespace

std::string ProductJson(const Product& p) {
    JsonWriter w;
    WriteProduct(w, p);
    return w.str();
}

std::optional<std::string> ProductJson(PgConnection& conn, long long id) {
    auto r = conn.exec(std::string("SELECT ") + kProductColumns + " FROM products WHERE id = $1", {id});
    if (r.rows() == 0) return std::nullopt;
    return ProductJson(ProductAt(r, 0));
}

std::string ProductPageJson(PgConnection& conn, int page, int size) {
    auto r = conn.exec(std::string("SELECT ") + kProductColumns +
                           ", count(*) OVER () FROM products ORDER BY id LIMIT $1 OFFSET $2",
                       {size, static_cast<long long>(page - 1) * size});
    // Past the last page the window has no row to count on.
    const long long total =
        r.rows() > 0 ? r.integer(0, 6) : conn.exec("SELECT count(*) FROM products").integer(0, 0);
    JsonWriter w;
    w.StartObject();
    w.Key("items").StartArray();
    for (int i = 0; i < r.rows(); ++i) WriteProduct(w, ProductAt(r, i));
    w.EndArray();
    w.Key("page").Int(page).Key("size").Int(size).Key("total").Int(total);
    w.EndObject();
    return w.str();
}

std::string PopularProductsJson(PgConnection& conn, int days, int limit) {
    return conn
        .exec(
            "SELECT json_build_object('days', $1::int, 'limit', $2::int, 'items', "
            "coalesce(json_agg(json_build_object("
            "'id', p.id, 'name', p.name, 'price', p.price, 'paid_quantity', t.q) ORDER BY t.q DESC, p.id), "
            "'[]'::json))::text "
            "FROM (SELECT i.product_id, sum(i.quantity) AS q FROM orders o JOIN order_items i ON i.order_id "
            "= o.id "
            "      WHERE o.status = 'paid' AND o.created_at >= now() - make_interval(days => $1) "
            "      GROUP BY i.product_id ORDER BY q DESC, i.product_id LIMIT $2) t "
            "JOIN products p ON p.id = t.product_id",
            {days, limit})
        .str(0, 0);
}

}  // namespace checkout::api

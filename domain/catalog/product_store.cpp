#include "domain/catalog/product_store.hpp"

#include <rapidjson/document.h>

#include "infra/core/error.hpp"
#include "infra/core/json.hpp"

namespace checkout {

NewProduct ParseNewProduct(std::string_view body) {
    const auto d = ParseJsonObject(body, "The product is invalid.");
    std::vector<FieldError> errs;
    NewProduct p;
    auto name = d.FindMember("name");
    if (name == d.MemberEnd() || !name->value.IsString() || name->value.GetStringLength() == 0 ||
        name->value.GetStringLength() > 200)
        errs.push_back({"name", "must be a string of 1 to 200 characters"});
    else
        p.name = name->value.GetString();
    auto num = [&](const char* key, long long max, long long& out) {
        auto it = d.FindMember(key);
        if (it == d.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 0 ||
            it->value.GetInt64() > max)
            errs.push_back({key, "must be an integer from 0 to " + std::to_string(max)});
        else
            out = it->value.GetInt64();
    };
    num("price", 1'000'000'000LL, p.price);
    num("stock", 1'000'000'000LL, p.stock);
    if (auto it = d.FindMember("limit_per_user"); it != d.MemberEnd() && !it->value.IsNull()) {
        if (!it->value.IsInt64() || it->value.GetInt64() < 1 || it->value.GetInt64() > 1'000'000)
            errs.push_back({"limit_per_user", "must be an integer from 1 to 1000000, or null"});
        else
            p.limit_per_user = it->value.GetInt64();
    }
    if (!errs.empty()) throw AppError(ErrorCode::kValidationFailed, "The product is invalid.", errs);
    return p;
}

std::string CanonicalJson(const NewProduct& p) {
    JsonWriter w;
    w.StartObject().Key("name").String(p.name).Key("price").Int(p.price).Key("stock").Int(p.stock);
    if (p.limit_per_user) w.Key("limit_per_user").Int(*p.limit_per_user);
    w.EndObject();
    return w.str();
}

ProductPatch ParseProductPatch(std::string_view body) {
    const auto d = ParseJsonObject(body, "The product change is invalid.");
    std::vector<FieldError> errs;
    ProductPatch p;
    for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
        const std::string key = it->name.GetString();
        const auto& v = it->value;
        if (key == "name") {
            if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > 200)
                errs.push_back({key, "must be a string of 1 to 200 characters"});
            else
                p.name = v.GetString();
        } else if (key == "price" || key == "stock") {
            if (!v.IsInt64() || v.GetInt64() < 0 || v.GetInt64() > 1'000'000'000LL)
                errs.push_back({key, "must be an integer from 0 to 1000000000"});
            else
                (key == "price" ? p.price : p.stock) = v.GetInt64();
        } else if (key == "limit_per_user") {
            p.set_limit = true;
            if (v.IsNull())
                p.limit_per_user.reset();
            else if (!v.IsInt64() || v.GetInt64() < 1 || v.GetInt64() > 1'000'000)
                errs.push_back({key, "must be an integer from 1 to 1000000, or null (no limit)"});
            else
                p.limit_per_user = v.GetInt64();
        } else {
            errs.push_back(
                {key, "is not a product field that can be changed (name, price, stock, limit_per_user)"});
        }
    }
    if (errs.empty() && !p.name && !p.price && !p.stock && !p.set_limit)
        errs.push_back({"body", "must change at least one of name, price, stock, limit_per_user"});
    if (!errs.empty()) throw AppError(ErrorCode::kValidationFailed, "The product change is invalid.", errs);
    return p;
}

namespace {
void WriteProduct(JsonWriter& w, const PgResult& r, int row) {
    w.StartObject();
    w.Key("id").Int(r.integer(row, 0)).Key("name").String(r.get(row, 1)).Key("price").Int(r.integer(row, 2));
    w.Key("stock").Int(r.integer(row, 3)).Key("sold_count").Int(r.integer(row, 4));
    w.Key("limit_per_user");
    if (r.is_null(row, 5))
        w.Null();
    else
        w.Int(r.integer(row, 5));
    w.EndObject();
}
}  // namespace

std::string CreateProduct(PgTransaction& tx, const NewProduct& p) {
    auto r = tx.exec(
        "INSERT INTO products (name, price, stock, limit_per_user) VALUES ($1, $2, $3, $4) "
        "RETURNING id, name, price, stock, sold_count, limit_per_user",
        {p.name, p.price, p.stock, p.limit_per_user ? PgParam(*p.limit_per_user) : PgParam(std::nullopt)});
    JsonWriter w;
    WriteProduct(w, r, 0);
    return w.str();
}

std::optional<std::string> ProductJson(PgConnection& conn, long long id) {
    auto r = conn.exec(
        "SELECT id, name, price, stock, sold_count, limit_per_user FROM products WHERE id = $1", {id});
    if (r.rows() == 0) return std::nullopt;
    JsonWriter w;
    WriteProduct(w, r, 0);
    return w.str();
}

std::string ProductPageJson(PgConnection& conn, int page, int size) {
    auto r = conn.exec(
        "SELECT id, name, price, stock, sold_count, limit_per_user, count(*) OVER () FROM products "
        "ORDER BY id LIMIT $1 OFFSET $2",
        {size, static_cast<long long>(page - 1) * size});
    long long total = 0;
    if (r.rows() > 0)
        total = r.integer(0, 6);
    else
        total = conn.exec("SELECT count(*) FROM products").integer(0, 0);
    JsonWriter w;
    w.StartObject();
    w.Key("items").StartArray();
    for (int i = 0; i < r.rows(); ++i) WriteProduct(w, r, i);
    w.EndArray();
    w.Key("page").Int(page).Key("size").Int(size).Key("total").Int(total);
    w.EndObject();
    return w.str();
}

std::optional<std::string> UpdateProduct(PgConnection& conn, long long id, const ProductPatch& patch) {
    // Stock set here is what is left to sell; units held by orders are not counted in it.
    auto r = conn.exec(
        "UPDATE products SET name = coalesce($2, name), price = coalesce($3, price), stock = coalesce($4, "
        "stock), limit_per_user = CASE WHEN $5 THEN $6::int ELSE limit_per_user END "
        "WHERE id = $1 RETURNING id, name, price, stock, sold_count, limit_per_user",
        {id, PgParam(patch.name), patch.price ? PgParam(*patch.price) : PgParam(std::nullopt),
         patch.stock ? PgParam(*patch.stock) : PgParam(std::nullopt), PgParam(patch.set_limit),
         patch.limit_per_user ? PgParam(*patch.limit_per_user) : PgParam(std::nullopt)});
    if (r.rows() == 0) return std::nullopt;
    JsonWriter w;
    WriteProduct(w, r, 0);
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

}  // namespace checkout

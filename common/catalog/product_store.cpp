#include "common/catalog/product_store.hpp"

#include <rapidjson/document.h>

#include "common/error.hpp"
#include "common/json.hpp"

namespace checkout {

NewProduct ParseNewProduct(std::string_view body) {
    const auto d = ParseJsonObject(body, "The product is invalid.");
    std::vector<FieldError> errs;
    NewProduct p;
    auto name = d.FindMember("name");
    if (name == d.MemberEnd() || !name->value.IsString() || name->value.GetStringLength() == 0 ||
        name->value.GetStringLength() > 200)
        errs.push_back({"name", "must be a string of 1 to 200 characters"});
    else p.name = name->value.GetString();
    auto num = [&](const char* key, long long max, long long& out) {
        auto it = d.FindMember(key);
        if (it == d.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 0 || it->value.GetInt64() > max)
            errs.push_back({key, "must be an integer from 0 to " + std::to_string(max)});
        else out = it->value.GetInt64();
    };
    num("price", 1'000'000'000LL, p.price);
    num("stock", 1'000'000'000LL, p.stock);
    if (!errs.empty()) throw AppError(ErrorCode::kValidationFailed, "The product is invalid.", errs);
    return p;
}

namespace {
void WriteProduct(JsonWriter& w, const PgResult& r, int row) {
    w.StartObject();
    w.Key("id").Int(r.integer(row, 0)).Key("name").String(r.get(row, 1)).Key("price").Int(r.integer(row, 2));
    w.Key("stock").Int(r.integer(row, 3)).Key("sold_count").Int(r.integer(row, 4));
    w.EndObject();
}
}  // namespace

std::string CreateProduct(PgConnection& conn, const NewProduct& p) {
    auto r = conn.exec("INSERT INTO products (name, price, stock) VALUES ($1, $2, $3) "
                       "RETURNING id, name, price, stock, sold_count",
                       {p.name, p.price, p.stock});
    JsonWriter w;
    WriteProduct(w, r, 0);
    return w.str();
}

std::optional<std::string> ProductJson(PgConnection& conn, long long id) {
    auto r = conn.exec("SELECT id, name, price, stock, sold_count FROM products WHERE id = $1", {id});
    if (r.rows() == 0) return std::nullopt;
    JsonWriter w;
    WriteProduct(w, r, 0);
    return w.str();
}

std::string ProductPageJson(PgConnection& conn, int page, int size) {
    auto r = conn.exec("SELECT id, name, price, stock, sold_count, count(*) OVER () FROM products "
                       "ORDER BY id LIMIT $1 OFFSET $2",
                       {size, static_cast<long long>(page - 1) * size});
    long long total = 0;
    if (r.rows() > 0) total = r.integer(0, 5);
    else total = conn.exec("SELECT count(*) FROM products").integer(0, 0);
    JsonWriter w;
    w.StartObject();
    w.Key("items").StartArray();
    for (int i = 0; i < r.rows(); ++i) WriteProduct(w, r, i);
    w.EndArray();
    w.Key("page").Int(page).Key("size").Int(size).Key("total").Int(total);
    w.EndObject();
    return w.str();
}

}  // namespace checkout

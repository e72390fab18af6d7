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

Product ProductAt(const PgResult& r, int row, int first) {
    Product p{r.integer(row, first),     r.str(row, first + 1),     r.integer(row, first + 2),
              r.integer(row, first + 3), r.integer(row, first + 4), std::nullopt};
    if (!r.is_null(row, first + 5)) p.limit_per_user = r.integer(row, first + 5);
    return p;
}

Product CreateProduct(PgTransaction& tx, const NewProduct& p) {
    auto r = tx.exec(
        std::string("INSERT INTO products (name, price, stock, limit_per_user) VALUES ($1, $2, $3, $4) "
                    "RETURNING ") +
            kProductColumns,
        {p.name, p.price, p.stock, p.limit_per_user ? PgParam(*p.limit_per_user) : PgParam(std::nullopt)});
    return ProductAt(r, 0);
}

std::optional<Product> UpdateProduct(PgConnection& conn, long long id, const ProductPatch& patch) {
    // Stock set here is what is left to sell; units held by orders are not counted in it.
    auto r = conn.exec(
        "UPDATE products SET name = coalesce($2, name), price = coalesce($3, price), stock = coalesce($4, "
        "stock), limit_per_user = CASE WHEN $5 THEN $6::int ELSE limit_per_user END "
        "WHERE id = $1 RETURNING " +
            std::string(kProductColumns),
        {id, PgParam(patch.name), patch.price ? PgParam(*patch.price) : PgParam(std::nullopt),
         patch.stock ? PgParam(*patch.stock) : PgParam(std::nullopt), PgParam(patch.set_limit),
         patch.limit_per_user ? PgParam(*patch.limit_per_user) : PgParam(std::nullopt)});
    if (r.rows() == 0) return std::nullopt;
    return ProductAt(r, 0);
}

}  // namespace checkout

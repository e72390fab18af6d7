#pragma once
// Products: created by admins, read by everyone signed in.
#include <optional>
#include <string>
#include <string_view>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

struct NewProduct {
    std::string name;
    long long price = 0;
    long long stock = 0;
    // Units one buyer may hold in confirmed or paid orders; none: no limit.
    std::optional<long long> limit_per_user;
};

// Throws AppError(kInvalidJson / kValidationFailed).
NewProduct ParseNewProduct(std::string_view body);
std::string CanonicalJson(const NewProduct& p);
std::string CreateProduct(PgTransaction& tx, const NewProduct& p);  // returns the product JSON

// PATCH /api/v1/admin/products/{id}: any of name, price, stock, limit_per_user (null removes the
// limit); at least one.
struct ProductPatch {
    std::optional<std::string> name;
    std::optional<long long> price, stock;
    bool set_limit = false;
    std::optional<long long> limit_per_user;
};
ProductPatch ParseProductPatch(std::string_view body);
// nullopt when there is no such product.
std::optional<std::string> UpdateProduct(PgConnection& conn, long long id, const ProductPatch& patch);

// Best sellers: paid quantity per product over orders of the last `days` days, most first, ties by
// id: {days, limit, items: [{id, name, price, paid_quantity}]}.
std::string PopularProductsJson(PgConnection& conn, int days, int limit);
std::optional<std::string> ProductJson(PgConnection& conn, long long id);
std::string ProductPageJson(PgConnection& conn, int page, int size);

}  // namespace checkout

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

struct Product {
    long long id = 0;
    std::string name;
    long long price = 0, stock = 0, sold_count = 0;
    std::optional<long long> limit_per_user;
};
// The columns of `products` a Product is read from, in ProductAt's order (from column `first`).
inline constexpr const char* kProductColumns = "id, name, price, stock, sold_count, limit_per_user";
Product ProductAt(const PgResult& r, int row, int first = 0);

// Throws AppError(kInvalidJson / kValidationFailed).
NewProduct ParseNewProduct(std::string_view body);
std::string CanonicalJson(const NewProduct& p);
Product CreateProduct(PgTransaction& tx, const NewProduct& p);

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
std::optional<Product> UpdateProduct(PgConnection& conn, long long id, const ProductPatch& patch);

}  // namespace checkout

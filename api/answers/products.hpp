#pragma once
// The API's answers about products: a product as JSON, and the read-only pages of the catalogue.
#include <optional>
#include <string>

#include "domain/catalog/product_store.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// {id, name, price, stock, sold_count, limit_per_user}
std::string ProductJson(const Product& p);
// That of product `id`; nullopt when there is none.
std::optional<std::string> ProductJson(PgConnection& conn, long long id);
// {items: [product...], page, size, total}, by id.
std::string ProductPageJson(PgConnection& conn, int page, int size);
// Best sellers: paid quantity per product over orders of the last `days` days, most first, ties by
// id: {days, limit, items: [{id, name, price, paid_quantity}]}.
std::string PopularProductsJson(PgConnection& conn, int days, int limit);

}  // namespace checkout::api

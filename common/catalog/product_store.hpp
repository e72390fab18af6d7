#pragma once
// Products: created by admins, read by everyone signed in.
#include <optional>
#include <string>
#include <string_view>

#include "common/pg_connection.hpp"

namespace checkout {

struct NewProduct {
    std::string name;
    long long price = 0;
    long long stock = 0;
};

// Throws AppError(kInvalidJson / kValidationFailed).
NewProduct ParseNewProduct(std::string_view body);
std::string CreateProduct(PgConnection& conn, const NewProduct& p);  // returns the product JSON
std::optional<std::string> ProductJson(PgConnection& conn, long long id);
std::string ProductPageJson(PgConnection& conn, int page, int size);

}  // namespace checkout

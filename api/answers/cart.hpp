#pragma once
// The API's answer about the buyer's cart.
#include <string>

#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// {items: [{product_id, name, unit_price, quantity, subtotal}], total}.
std::string CartJson(PgConnection& conn, long long user_id);

}  // namespace checkout::api

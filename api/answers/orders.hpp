#pragma once
// Orders read back for their owner (GET /api/v1/orders, /orders/{id}); their statuses are in
// api/answers/statuses.
#include <optional>
#include <string>

#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// nullopt when the order does not exist or belongs to someone else (both answer 404).
std::optional<std::string> OrderJson(PgConnection& conn, long long user_id, const std::string& order_id);
// The caller's orders, newest first: {items, page, size, total}.
std::string OrderPageJson(PgConnection& conn, long long user_id, int page, int size);

}  // namespace checkout::api

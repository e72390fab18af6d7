#pragma once
// The buyer's active cart (DESIGN 6): one line per product. POST /api/v1/orders without items orders
// it, and the order-heavy worker clears the lines it took.
#include <optional>
#include <string>
#include <string_view>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

struct CartLine {
    long long product_id = 0;
    int quantity = 0;
};

// {product_id, quantity} (POST) or {quantity} (PATCH, `with_product` false). Quantities 1..1000.
// Throws AppError (kInvalidJson, kValidationFailed).
CartLine ParseCartLine(std::string_view body, bool with_product);

// Adds to the line of the product (or starts it). Throws kUnknownProduct, kValidationFailed (the
// line would pass 1000, or the cart 50 lines).
void AddToCart(PgConnection& conn, long long user_id, const CartLine& line);
// Sets a line's quantity; throws kNotFound when the cart has no line for the product.
void SetCartQuantity(PgConnection& conn, long long user_id, const CartLine& line);
// Throws kNotFound when the cart has no line for the product.
void RemoveFromCart(PgConnection& conn, long long user_id, long long product_id);

}  // namespace checkout

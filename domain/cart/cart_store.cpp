#include "domain/cart/cart_store.hpp"

#include "domain/orders/order_request.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"

namespace checkout {

CartLine ParseCartLine(std::string_view body, bool with_product) {
    const auto d = ParseJsonObject(body, "The cart line is invalid.");
    std::vector<FieldError> errs;
    CartLine line;
    if (with_product) {
        auto it = d.FindMember("product_id");
        if (it == d.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() <= 0)
            errs.push_back({"product_id", "must be a positive integer"});
        else
            line.product_id = it->value.GetInt64();
    }
    auto q = d.FindMember("quantity");
    if (q == d.MemberEnd() || !q->value.IsInt64() || q->value.GetInt64() < 1 ||
        q->value.GetInt64() > kMaxLineQuantity)
        errs.push_back({"quantity", "must be an integer from 1 to " + std::to_string(kMaxLineQuantity)});
    else
        line.quantity = static_cast<int>(q->value.GetInt64());
    if (!errs.empty()) throw AppError(ErrorCode::kValidationFailed, "The cart line is invalid.", errs);
    return line;
}

void AddToCart(PgConnection& conn, long long user_id, const CartLine& line) {
    auto r = conn.exec(
        "WITH p AS (SELECT id FROM products WHERE id = $2), "
        "n AS (SELECT count(*) AS lines FROM cart_items WHERE user_id = $1 AND product_id <> $2), "
        "i AS (INSERT INTO cart_items (user_id, product_id, quantity) SELECT $1, $2, $3 FROM p, n WHERE "
        "n.lines < $5 "
        "      ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = cart_items.quantity + "
        "EXCLUDED.quantity "
        "      WHERE cart_items.quantity + EXCLUDED.quantity <= $4 RETURNING 1) "
        "SELECT (SELECT count(*) FROM p), (SELECT lines FROM n), (SELECT count(*) FROM i)",
        {user_id, line.product_id, line.quantity, kMaxLineQuantity, static_cast<long long>(kMaxOrderLines)});
    if (r.integer(0, 0) == 0)
        throw AppError(ErrorCode::kUnknownProduct, "No such product.",
                       std::vector<FieldError>{{"product_id", "no such product"}});
    if (r.integer(0, 2) == 1) return;
    if (r.integer(0, 1) >= static_cast<long long>(kMaxOrderLines))
        throw AppError(
            ErrorCode::kValidationFailed, "The cart is full.",
            std::vector<FieldError>{
                {"product_id", "the cart holds at most " + std::to_string(kMaxOrderLines) + " products"}});
    throw AppError(ErrorCode::kValidationFailed, "The cart line is invalid.",
                   std::vector<FieldError>{
                       {"quantity", "the line would hold more than " + std::to_string(kMaxLineQuantity)}});
}

void SetCartQuantity(PgConnection& conn, long long user_id, const CartLine& line) {
    if (conn.exec("UPDATE cart_items SET quantity = $3 WHERE user_id = $1 AND product_id = $2",
                  {user_id, line.product_id, line.quantity})
            .affected() == 0)
        throw AppError(ErrorCode::kNotFound, "That product is not in your cart.");
}

void RemoveFromCart(PgConnection& conn, long long user_id, long long product_id) {
    if (conn.exec("DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2", {user_id, product_id})
            .affected() == 0)
        throw AppError(ErrorCode::kNotFound, "That product is not in your cart.");
}

}  // namespace checkout

#include "api/answers/cart.hpp"

namespace checkout::api {

std::string CartJson(PgConnection& conn, long long user_id) {
    return conn
        .exec(
            "SELECT json_build_object('items', coalesce(json_agg(json_build_object('product_id', p.id, "
            "'name', p.name, "
            "'unit_price', p.price, 'quantity', c.quantity, 'subtotal', p.price * c.quantity) "
            "ORDER BY c.added_at, p.id), '[]'::json), 'total', coalesce(sum(p.price * c.quantity), 0))::text "
            "FROM cart_items c JOIN products p ON p.id = c.product_id WHERE c.user_id = $1",
            {user_id})
        .str(0, 0);
}

}  // namespace checkout::api

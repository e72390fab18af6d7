// Orders are priced in one place whichever way they are placed: the single items-only statement,
// the API's group of orders, and the path of orders with a cart, a coupon or points.
#include <catch2/catch.hpp>

#include "domain/orders/order_request.hpp"
#include "domain/orders/order_store.hpp"
#include "infra/core/error.hpp"
#include "infra/core/uuid.hpp"
#include "tests/db/support.hpp"

using namespace checkout;
using checkout::testing::DbUrl;
using checkout::testing::Queues;

namespace {

long long Product(PgConnection& c, long long price) {
    return c
        .exec("INSERT INTO products (name, price, stock) VALUES ('pricing', $1, 100) RETURNING id", {price})
        .integer(0, 0);
}

long long User(PgConnection& c) {
    return c.exec("INSERT INTO users (sub) VALUES ($1) RETURNING id", {NewUuid()}).integer(0, 0);
}

std::string Body(const std::string& items) {
    return "{" + items +
           "\"shipping\":{\"name\":\"Kim\",\"phone\":\"010-1234-5678\",\"postal_code\":\"06236\","
           "\"address\":\"Seoul\",\"address_detail\":\"101\"}}";
}

// What the order stored: its amounts and its lines as priced.
std::string Stored(PgConnection& c, const std::string& order_id) {
    return c
        .exec(
            "SELECT total_amount || ':' || final_amount || ':' || requested_items::text FROM orders "
            "WHERE id = $1",
            {order_id})
        .str(0, 0);
}

}  // namespace

TEST_CASE("every way of placing an order prices its lines the same, and names the same unknown line") {
    PgConnection c(DbUrl());
    const long long a = Product(c, 1250), b = Product(c, 990);
    const std::string items = "\"items\":[{\"product_id\":" + std::to_string(a) +
                              ",\"quantity\":3},{\"product_id\":" + std::to_string(b) + ",\"quantity\":2}],";
    const auto req = ParseOrderRequest(Body(items));
    REQUIRE(GroupableOrder(req, std::nullopt));

    const auto single = PlaceOrderNow(c, Queues(), User(c), req);
    const auto group = PlaceOrderGroup(c, Queues(), {{User(c), &req}});
    REQUIRE(group.at(0).placed);
    // The same lines from the cart take the path that prices a coupon and points.
    const long long buyer = User(c);
    c.exec("INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, 3)", {buyer, a});
    c.exec("INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, 2)", {buyer, b});
    const auto from_cart = ParseOrderRequest(Body(""));
    REQUIRE(from_cart.from_cart);
    const auto carted = PlaceOrderNow(c, Queues(), buyer, from_cart);

    const std::string expected = Stored(c, single.order_id);
    CHECK(expected.starts_with("5730:5730:"));  // 3 x 1250 + 2 x 990
    CHECK(Stored(c, group.at(0).placed->order_id) == expected);
    CHECK(Stored(c, carted.order_id) == expected);

    // An unknown product: every path refuses it, naming the line, and places nothing.
    const auto bad = ParseOrderRequest(Body("\"items\":[{\"product_id\":" + std::to_string(a) +
                                            ",\"quantity\":1},{\"product_id\":999999999,\"quantity\":1}],"));
    const long long before = c.exec("SELECT count(*) FROM orders").integer(0, 0);
    auto refused = [](const AppError& e) {
        return e.code() == ErrorCode::kUnknownProduct && e.fields().size() == 1 &&
               e.fields()[0].field == "items[1].product_id";
    };
    try {
        PlaceOrderNow(c, Queues(), User(c), bad);
        FAIL("an unknown product was placed");
    } catch (const AppError& e) {
        CHECK(refused(e));
    }
    const auto bad_group = PlaceOrderGroup(c, Queues(), {{User(c), &bad}});
    REQUIRE(bad_group.at(0).error);
    CHECK(refused(*bad_group.at(0).error));
    // Points send it down the priced path (the line is checked before the points are).
    const auto bad_points = ParseOrderRequest(
        Body("\"items\":[{\"product_id\":" + std::to_string(a) +
             ",\"quantity\":1},{\"product_id\":999999999,\"quantity\":1}],\"use_points\":1,"));
    REQUIRE(!GroupableOrder(bad_points, std::nullopt));
    try {
        PlaceOrderNow(c, Queues(), User(c), bad_points);
        FAIL("an unknown product was placed with points");
    } catch (const AppError& e) {
        CHECK(refused(e));
    }
    CHECK(c.exec("SELECT count(*) FROM orders").integer(0, 0) == before);
}

#include "domain/orders/order_request.hpp"

#include <catch2/catch.hpp>

#include "infra/core/error.hpp"

using namespace checkout;

namespace {
const std::string kShipping =
    R"("shipping":{"name":"Kim","phone":"010-1234","postal_code":"04524","address":"Seoul"})";

std::string Order(const std::string& items) { return "{\"items\":" + items + "," + kShipping + "}"; }

// The code and the first offending field of a rejected body.
std::pair<ErrorCode, std::string> Rejection(const std::string& body) {
    try {
        ParseOrderRequest(body);
    } catch (const AppError& e) {
        return {e.code(), e.fields().empty() ? "" : e.fields().front().field};
    }
    return {ErrorCode::kInternal, "<accepted>"};
}
}  // namespace

TEST_CASE("a well-formed order is accepted") {
    auto r = ParseOrderRequest(Order(R"([{"product_id":1,"quantity":2},{"product_id":7,"quantity":1}])"));
    REQUIRE(r.items.size() == 2);
    CHECK(r.items[0].product_id == 1);
    CHECK(r.items[0].quantity == 2);
    CHECK(r.shipping.name == "Kim");
    CHECK_FALSE(r.memo);
}

TEST_CASE("malformed orders are rejected with the field named") {
    using P = std::pair<ErrorCode, std::string>;
    CHECK(Rejection("{not json") == P{ErrorCode::kInvalidJson, ""});
    CHECK(Rejection("") == P{ErrorCode::kInvalidJson, ""});
    CHECK(Rejection("[1,2]") == P{ErrorCode::kValidationFailed, ""});
    CHECK(Rejection(Order("[]")) == P{ErrorCode::kValidationFailed, "items"});
    CHECK(Rejection(Order("{}")) == P{ErrorCode::kValidationFailed, "items"});
    CHECK(ParseOrderRequest("{" + kShipping + "}").from_cart);  // no items: the cart is ordered
    CHECK(Rejection(Order(R"([{"product_id":1,"quantity":1}],"coupon_id":"x")")) ==
          P{ErrorCode::kValidationFailed, "coupon_id"});
    CHECK(Rejection(Order(R"([{"product_id":1,"quantity":0}])")) ==
          P{ErrorCode::kValidationFailed, "items[0].quantity"});
    CHECK(Rejection(Order(R"([{"product_id":1,"quantity":-3}])")) ==
          P{ErrorCode::kValidationFailed, "items[0].quantity"});
    CHECK(Rejection(Order(R"([{"product_id":1,"quantity":"2"}])")) ==
          P{ErrorCode::kValidationFailed, "items[0].quantity"});
    CHECK(Rejection(Order(R"([{"product_id":1,"quantity":1.5}])")) ==
          P{ErrorCode::kValidationFailed, "items[0].quantity"});
    CHECK(Rejection(Order(R"([{"product_id":1,"quantity":100000}])")) ==
          P{ErrorCode::kValidationFailed, "items[0].quantity"});
    CHECK(Rejection(Order(R"([{"product_id":"1","quantity":1}])")) ==
          P{ErrorCode::kValidationFailed, "items[0].product_id"});
    CHECK(Rejection(Order(R"([{"product_id":0,"quantity":1}])")) ==
          P{ErrorCode::kValidationFailed, "items[0].product_id"});
    CHECK(Rejection(Order(R"([{"quantity":1}])")) == P{ErrorCode::kValidationFailed, "items[0].product_id"});
    CHECK(Rejection(Order(R"([7])")) == P{ErrorCode::kValidationFailed, "items[0]"});
    std::string many = "[";
    for (std::size_t i = 0; i <= kMaxOrderLines; ++i)
        many += std::string(i ? "," : "") + R"({"product_id":1,"quantity":1})";
    CHECK(Rejection(Order(many + "]")) == P{ErrorCode::kValidationFailed, "items"});
    CHECK(Rejection(R"({"items":[{"product_id":1,"quantity":1}]})") ==
          P{ErrorCode::kValidationFailed, "shipping"});
    CHECK(
        Rejection(
            R"({"items":[{"product_id":1,"quantity":1}],"shipping":{"name":"","phone":"1","postal_code":"1","address":"a"}})") ==
        P{ErrorCode::kValidationFailed, "shipping.name"});
    CHECK(
        Rejection(
            R"({"items":[{"product_id":1,"quantity":1}],"shipping":{"name":"a","phone":1,"postal_code":"1","address":"a"}})") ==
        P{ErrorCode::kValidationFailed, "shipping.phone"});
    CHECK(Rejection(R"({"items":[{"product_id":1,"quantity":1}],)" + kShipping + R"(,"use_points":-1})") ==
          P{ErrorCode::kValidationFailed, "use_points"});
    CHECK(Rejection(R"({"items":[{"product_id":1,"quantity":1}],)" + kShipping + R"(,"memo":)" + "\"" +
                    std::string(501, 'm') + "\"}") == P{ErrorCode::kValidationFailed, "memo"});
}

TEST_CASE("the canonical form ignores formatting but not content") {
    auto a = ParseOrderRequest(Order(R"([{"product_id":1,"quantity":2}])"));
    auto b = ParseOrderRequest("{ " + kShipping + R"(, "items": [ {"quantity": 2, "product_id": 1} ] })");
    auto c = ParseOrderRequest(Order(R"([{"product_id":1,"quantity":3}])"));
    CHECK(CanonicalJson(a) == CanonicalJson(b));
    CHECK(CanonicalJson(a) != CanonicalJson(c));
}

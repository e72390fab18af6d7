#include "domain/orders/stock_rules.hpp"

#include <catch2/catch.hpp>

using namespace checkout;

TEST_CASE("lines of the same product count together, in product order") {
    auto merged = MergeLines({{7, 1}, {3, 2}, {7, 4}});
    REQUIRE(merged.size() == 2);
    CHECK(merged[0].product_id == 3);
    CHECK(merged[0].quantity == 2);
    CHECK(merged[1].product_id == 7);
    CHECK(merged[1].quantity == 5);
}

TEST_CASE("a product is short when its merged quantity exceeds its stock") {
    std::map<long long, long long> stock{{3, 2}, {7, 4}};
    CHECK_FALSE(FirstShortProduct(MergeLines({{3, 2}, {7, 4}}), stock));
    CHECK(FirstShortProduct(MergeLines({{7, 2}, {7, 3}}), stock) == 7);  // 5 > 4 only when merged
    CHECK(FirstShortProduct(MergeLines({{9, 1}}), stock) == 9);          // unknown product has none
}

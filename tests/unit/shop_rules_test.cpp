// The shop's rules without a database: points first-expiring first, coupon discounts, order pricing,
// the admin's and the cart's request bodies, and the best sellers' cache.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "api/ttl_cache.hpp"
#include "domain/cart/cart_store.hpp"
#include "domain/catalog/product_store.hpp"
#include "domain/coupons/coupon_rules.hpp"
#include "domain/orders/order_pricing.hpp"
#include "domain/points/point_rules.hpp"
#include "infra/core/error.hpp"

using namespace checkout;

namespace {
std::vector<std::pair<long long, long long>> Pairs(const std::vector<LotTake>& takes) {
    std::vector<std::pair<long long, long long>> out;
    for (const auto& t : takes) out.emplace_back(t.lot_id, t.amount);
    return out;
}

std::vector<std::string> Fields(const std::function<void()>& f) {
    try {
        f();
    } catch (const AppError& e) {
        std::vector<std::string> fields;
        for (const auto& fe : e.fields()) fields.push_back(fe.field);
        if (fields.empty()) fields.push_back(std::string(CodeName(e.code())));
        return fields;
    }
    return {};
}
}  // namespace

TEST_CASE(
    "a spend takes the lots in the order given (first-expiring first), each down to zero before the next") {
    const std::vector<PointLot> lots{{7, 100}, {3, 100}, {9, 100}};
    CHECK(Pairs(*TakeFirstExpiring(lots, 150)) ==
          std::vector<std::pair<long long, long long>>{{7, 100}, {3, 50}});
    CHECK(Pairs(*TakeFirstExpiring(lots, 300)).size() == 3);
    CHECK_FALSE(TakeFirstExpiring(lots, 301));  // not enough: nothing is taken
    CHECK(TakeFirstExpiring(lots, 0)->empty());
    CHECK(Pairs(*TakeFirstExpiring({{1, 0}, {2, 5}}, 5)) ==
          std::vector<std::pair<long long, long long>>{{2, 5}});
    // A refund takes back what is left when the points were spent meanwhile.
    CHECK(Pairs(*TakeFirstExpiring({{1, 30}}, 95, true)) ==
          std::vector<std::pair<long long, long long>>{{1, 30}});
}

TEST_CASE("a coupon takes a fixed amount or a capped percent, never more than the total") {
    CHECK(CouponDiscount({"fixed", 2000, std::nullopt}, 20000) == 2000);
    CHECK(CouponDiscount({"fixed", 2000, std::nullopt}, 1500) == 1500);
    CHECK(CouponDiscount({"percent", 10, std::nullopt}, 20000) == 2000);
    CHECK(CouponDiscount({"percent", 10, 1500}, 20000) == 1500);
    CHECK(CouponDiscount({"percent", 15, std::nullopt}, 999) == 149);  // rounded down
    CHECK(CouponDiscount({"percent", 100, std::nullopt}, 777) == 777);
}

TEST_CASE("an order's total less the coupon, then the points, which pay at most what is left") {
    const long long lines = 2 * 10000 + 1 * 500;  // the lines, priced by kPriceLinesSql
    auto p = PriceOrder(lines, CouponTerms{"fixed", 2000, std::nullopt}, 300, 1000);
    CHECK((p.total == 20500 && p.discount == 2000 && p.points == 300 && p.final == 18200));
    CHECK(PriceOrder(lines, std::nullopt, 0, 0).final == 20500);
    CHECK(PriceOrder(lines, std::nullopt, 20500, 30000).final == 0);
    try {
        PriceOrder(lines, std::nullopt, 1001, 1000);
        FAIL("points above the balance were accepted");
    } catch (const AppError& e) {
        CHECK(e.code() == ErrorCode::kInsufficientPoints);
        CHECK(e.fields().at(0).problem == "exceeds your points balance (1000)");
    }
    try {
        PriceOrder(lines, CouponTerms{"fixed", 20000, std::nullopt}, 501, 100000);
        FAIL("points above what is left to pay were accepted");
    } catch (const AppError& e) {
        CHECK(e.code() == ErrorCode::kValidationFailed);
        CHECK(e.fields().at(0).problem == "exceeds the amount to pay (500)");
    }
}

TEST_CASE("a new coupon is checked field by field") {
    const auto c =
        ParseNewCoupon(R"({"name":"w","kind":"percent","amount":10,"max_discount":3000,"quantity":100,
                                     "valid_until":"2027-01-01T00:00:00Z"})");
    CHECK((c.terms.kind == "percent" && c.terms.amount == 10 && *c.terms.max_discount == 3000 &&
           c.quantity == 100));
    CHECK(*c.valid_until == "2027-01-01T00:00:00Z");
    CHECK(Fields([] { ParseNewCoupon(R"({"name":"w","kind":"gift","amount":1,"quantity":1})"); }) ==
          std::vector<std::string>{"kind"});
    CHECK(Fields([] { ParseNewCoupon(R"({"name":"w","kind":"percent","amount":101,"quantity":1})"); }) ==
          std::vector<std::string>{"amount"});
    CHECK(Fields([] {
              ParseNewCoupon(R"({"name":"w","kind":"fixed","amount":1,"max_discount":1,"quantity":1})");
          }) == std::vector<std::string>{"max_discount"});
    CHECK(Fields([] {
              ParseNewCoupon(R"({"name":"w","kind":"fixed","amount":1,"quantity":1,"valid_from":"soon"})");
          }) == std::vector<std::string>{"valid_from"});
    CHECK(Fields([] { ParseNewCoupon(R"({})"); }) ==
          std::vector<std::string>{"name", "kind", "amount", "quantity"});
    CHECK_THROWS_AS(ParseNewCoupon("[1]"), AppError);
}

TEST_CASE("cart lines and product changes are checked field by field") {
    CHECK(ParseCartLine(R"({"product_id":3,"quantity":2})", true).quantity == 2);
    CHECK(ParseCartLine(R"({"quantity":5})", false).quantity == 5);
    CHECK(Fields([] { ParseCartLine(R"({"product_id":0,"quantity":1001})", true); }) ==
          std::vector<std::string>{"product_id", "quantity"});
    const auto patch = ParseProductPatch(R"({"price":100,"name":"lamp"})");
    CHECK((*patch.price == 100 && *patch.name == "lamp" && !patch.stock));
    CHECK(Fields([] { ParseProductPatch("{}"); }) == std::vector<std::string>{"body"});
    CHECK(Fields([] { ParseProductPatch(R"({"sold_count":1})"); }) == std::vector<std::string>{"sold_count"});
    CHECK(Fields([] { ParseProductPatch(R"({"stock":-1})"); }) == std::vector<std::string>{"stock"});
}

TEST_CASE(
    "the best sellers' cache: a crowd of readers of a missing key runs one load and all get its answer") {
    api::TtlCache cache(std::chrono::seconds(60));
    std::atomic<int> loads{0};
    std::vector<std::thread> readers;
    std::vector<std::string> got(64);
    for (int i = 0; i < 64; ++i)
        readers.emplace_back([&, i] {
            got[i] = cache.Get("3:5", [&] {
                ++loads;
                std::this_thread::sleep_for(
                    std::chrono::milliseconds(50));  // a slow query: the others arrive meanwhile
                return std::string("answer");
            });
        });
    for (auto& t : readers) t.join();
    CHECK(loads == 1);
    for (const auto& g : got) CHECK(g == "answer");
    // Another key loads on its own.
    CHECK(cache.Get("7:5", [] { return std::string("other"); }) == "other");
    CHECK(cache.loads() == 2);
}

TEST_CASE("a failed load is not cached: its readers get the error, the next reader loads again") {
    api::TtlCache cache(std::chrono::seconds(60));
    CHECK_THROWS_AS(cache.Get("k", []() -> std::string { throw AppError(ErrorCode::kUnavailable, "down"); }),
                    AppError);
    CHECK(cache.Get("k", [] { return std::string("up"); }) == "up");
    CHECK(cache.Get("k", [] { return std::string("not loaded again"); }) == "up");
}

TEST_CASE("an entry older than the TTL is loaded again") {
    api::TtlCache cache(std::chrono::milliseconds(1));
    CHECK(cache.Get("k", [] { return std::string("first"); }) == "first");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(cache.Get("k", [] { return std::string("second"); }) == "second");
}

TEST_CASE("points coming back pay off a debt first, lot by lot") {
    long long debt = 990;
    auto left = PayDebtFirst({{7, 1000}}, debt);
    CHECK(debt == 0);
    REQUIRE(left.size() == 1);
    CHECK((left[0].lot_id == 7 && left[0].amount == 10));
    debt = 1500;
    left = PayDebtFirst({{1, 600}, {2, 600}, {3, 600}}, debt);
    CHECK(debt == 0);
    REQUIRE(left.size() == 1);
    CHECK((left[0].lot_id == 3 && left[0].amount == 300));
    debt = 5000;
    CHECK(PayDebtFirst({{1, 600}}, debt).empty());
    CHECK(debt == 4400);
    debt = 0;
    CHECK(PayDebtFirst({{1, 600}}, debt).size() == 1);
}

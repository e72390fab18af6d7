#include <catch2/catch.hpp>

#include "domain/payments/gateway_answer.hpp"
#include "domain/payments/payment_store.hpp"
#include "domain/points/point_rules.hpp"
#include "infra/core/config.hpp"
#include "infra/core/error.hpp"

using namespace checkout;

namespace {

std::vector<std::string> BadFields(const std::string& body) {
    try {
        ParseConfirmRequest(body);
    } catch (const AppError& e) {
        std::vector<std::string> out;
        for (const auto& f : e.fields()) out.push_back(f.field);
        if (out.empty() || out == std::vector<std::string>{""}) return {std::string(CodeName(e.code()))};
        return out;
    }
    return {};
}

}  // namespace

TEST_CASE("a confirm body is the widget's {paymentKey, orderId, amount}, each checked") {
    auto req =
        ParseConfirmRequest(R"({"paymentKey":"pk_1","orderId":"ORD-abc123","amount":15000,"extra":true})");
    CHECK(req.payment_key == "pk_1");
    CHECK(req.order_number == "ORD-abc123");
    CHECK(req.amount == 15000);
    CHECK(BadFields(R"({"paymentKey":"pk_1","orderId":"ORD-abc123","amount":"15000"})") ==
          std::vector<std::string>{"amount"});
    CHECK(BadFields(R"({"paymentKey":"pk_1","orderId":"short","amount":1})") ==
          std::vector<std::string>{"orderId"});
    CHECK(BadFields(R"({"paymentKey":"","orderId":"ORD-abc123","amount":1})") ==
          std::vector<std::string>{"paymentKey"});
    CHECK(BadFields(R"({"paymentKey":"pk","orderId":"ORD-abc123","amount":-5})") ==
          std::vector<std::string>{"amount"});
    CHECK(BadFields(R"({"paymentKey":"pk","orderId":"ORD-abc123","amount":1.5})") ==
          std::vector<std::string>{"amount"});
    CHECK(BadFields("{}") == std::vector<std::string>{"paymentKey", "orderId", "amount"});
    CHECK(BadFields("[1]") == std::vector<std::string>{"VALIDATION_FAILED"});
    CHECK(BadFields("{nope") == std::vector<std::string>{"INVALID_JSON"});
}

TEST_CASE(
    "points are the grade's percent of the paid amount, rounded down; an unknown grade earns as basic") {
    const auto rates = ParsePointRates("basic=1,silver=2,gold=5");
    CHECK(rates.PointsFor("basic", 24690) == 246);
    CHECK(rates.PointsFor("basic", 99) == 0);
    CHECK(rates.PointsFor("gold", 24690) == 1234);
    CHECK(rates.PointsFor("platinum", 1000) == 10);
    CHECK_THROWS_AS(ParsePointRates("silver=2"), ConfigError);  // no rate for the default grade
    CHECK_THROWS_AS(ParsePointRates("basic=101"), ConfigError);
    CHECK_THROWS_AS(ParsePointRates("basic=1,basic=2"), ConfigError);
    CHECK_THROWS_AS(ParsePointRates("basic"), ConfigError);
    CHECK_THROWS_AS(ParsePointRates(""), ConfigError);
}

TEST_CASE("the gateway's Payment object is read for the fields we act on, ignoring the rest") {
    auto p = ParseTossPayment(R"({"paymentKey":"pk","orderId":"ORD-1","status":"ABORTED","totalAmount":1000,
        "secret":"ps_1","method":"카드","unknownField":{"x":1},"failure":{"code":"COMMON_ERROR","message":"m"}})");
    REQUIRE(p);
    CHECK(p->status == "ABORTED");
    CHECK(p->total_amount == 1000);
    CHECK(p->secret == "ps_1");
    CHECK(p->failure_code == "COMMON_ERROR");
    CHECK_FALSE(ParseTossPayment(R"({"code":"NOT_FOUND_PAYMENT","message":"x"})"));
    CHECK_FALSE(ParseTossPayment("not json"));
}

TEST_CASE("gateway settings are required only by the services that call out, and checked") {
    static std::map<std::string, std::string> vars;
    auto lookup = [](const char* name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
    auto error_setting = [&](EnvNeeds needs) -> std::string {
        try {
            LoadEnvironment(needs, lookup);
        } catch (const ConfigError& e) {
            return e.setting();
        }
        return "";
    };
    const EnvNeeds gateway{.database = false, .amqp = false, .jwt = false, .gateway = true};
    vars = {};
    CHECK(error_setting({.database = false, .amqp = false}).empty());
    CHECK(error_setting(gateway) == "TOSS_API_BASE");
    vars = {{"TOSS_API_BASE", "https://api.tosspayments.com/"}};
    CHECK(error_setting(gateway) == "TOSS_SECRET_KEY");
    vars["TOSS_SECRET_KEY"] = "test_sk_abc";
    auto env = LoadEnvironment(gateway, lookup);
    CHECK(env.toss_api_base == "https://api.tosspayments.com");  // trailing slash dropped
    CHECK(env.gateway_timeout == std::chrono::milliseconds(10000));
    vars["TOSS_TIMEOUT_MS"] = "50";
    CHECK(error_setting(gateway) == "TOSS_TIMEOUT_MS");
    CHECK(error_setting({.database = false, .amqp = false, .data_platform = true}) == "DATA_PLATFORM_URL");
}

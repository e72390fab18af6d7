// Request bodies: what RapidJSON accepts but the service must refuse before it reaches PostgreSQL.
#include "infra/core/json.hpp"

#include <catch2/catch.hpp>

#include "infra/core/error.hpp"

using namespace checkout;

namespace {
ErrorCode CodeOf(std::string_view body) {
    try {
        ParseJsonObject(body, "invalid");
    } catch (const AppError& e) {
        return e.code();
    }
    return ErrorCode::kInternal;  // "accepted", for the checks below
}
}  // namespace

TEST_CASE("invalid UTF-8 is refused as invalid JSON") {
    CHECK(CodeOf("{\"name\":\"\xff\xfe\"}") == ErrorCode::kInvalidJson);
    CHECK(CodeOf("{\"name\":\"\xc3\x28\"}") == ErrorCode::kInvalidJson);
    CHECK(CodeOf("{\"name\":\"\xed\xa0\x80\"}") == ErrorCode::kInvalidJson);  // a UTF-16 surrogate
    CHECK(CodeOf("{\"name\":\"김\"}") == ErrorCode::kInternal);
}

TEST_CASE("a NUL character anywhere in a string or key is refused") {
    CHECK(CodeOf(R"({"shipping":{"name":"Kim\u0000"}})") == ErrorCode::kValidationFailed);
    CHECK(CodeOf(R"({"items":[{"note":"\u0000"}]})") == ErrorCode::kValidationFailed);
    CHECK(CodeOf(R"({"a\u0000b":1})") == ErrorCode::kValidationFailed);
    try {
        ParseJsonObject(R"({"shipping":{"name":"Kim\u0000"}})", "invalid");
    } catch (const AppError& e) {
        REQUIRE(e.fields().size() == 1);
        CHECK(e.fields()[0].field == "shipping.name");
    }
}

TEST_CASE("a key twice in one object is refused, at any depth") {
    CHECK(CodeOf(R"({"items":[{"quantity":1,"quantity":-1}]})") == ErrorCode::kInvalidJson);
    CHECK(CodeOf(R"({"a":1,"a":1})") == ErrorCode::kInvalidJson);
    CHECK(CodeOf(R"({"a":{"b":1},"c":{"b":1}})") ==
          ErrorCode::kInternal);  // the same key in two objects is fine
    try {
        ParseJsonObject(R"({"items":[{"quantity":1,"quantity":-1}]})", "invalid");
    } catch (const AppError& e) {
        REQUIRE(e.fields().size() == 1);
        CHECK(e.fields()[0].field == "items[0].quantity");
    }
}

TEST_CASE("nesting deeper than kMaxJsonDepth is refused without recursing on it") {
    // The body that took the API down with a stack overflow: 32,000 '[' then 32,000 ']'.
    const std::string deep = "{\"a\":" + std::string(32000, '[') + std::string(32000, ']') + "}";
    CHECK(CodeOf(deep) == ErrorCode::kInvalidJson);
    CHECK(JsonNestingDepth(deep) == 32001);
    const std::string objects = [] {
        std::string s;
        for (int i = 0; i < 20000; ++i) s += "{\"a\":";
        return s + "1" + std::string(20000, '}');
    }();
    CHECK(CodeOf(objects) == ErrorCode::kInvalidJson);
    // Unbalanced too: an opening run with no end is still refused before parsing.
    CHECK(CodeOf("{\"a\":" + std::string(100000, '[')) == ErrorCode::kInvalidJson);
    // Brackets inside strings do not count; escaped quotes do not end a string.
    CHECK(JsonNestingDepth(R"({"a":"[[[[\"[[[[{{{{"})") == 1);
    CHECK(CodeOf(R"({"a":"[[[[\"[[[[{{{{"})") == ErrorCode::kInternal);
    // At the limit is fine, one past it is not.
    const auto nested = [](int n) {
        return std::string(n - 1, '[') == ""
                   ? std::string("{}")
                   : "{\"a\":" + std::string(n - 1, '[') + std::string(n - 1, ']') + "}";
    };
    CHECK(CodeOf(nested(kMaxJsonDepth)) == ErrorCode::kInternal);
    CHECK(CodeOf(nested(kMaxJsonDepth + 1)) == ErrorCode::kInvalidJson);
}

TEST_CASE("JSON from elsewhere (the gateway) is parsed within the same bound") {
    rapidjson::Document d;
    CHECK(ParseBoundedJson(d, R"({"code":"X","message":"y"})"));
    CHECK(d.IsObject());
    rapidjson::Document deep;
    CHECK_FALSE(ParseBoundedJson(deep, std::string(50000, '[') + std::string(50000, ']')));
    CHECK_FALSE(deep.IsObject());
}

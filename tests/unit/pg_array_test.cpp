#include "infra/pg/pg_array.hpp"

#include <catch2/catch.hpp>

using namespace checkout;

TEST_CASE("a list goes to PostgreSQL as one array literal, texts quoted and escaped") {
    CHECK(PgArray().str() == "{}");
    CHECK(PgArray().Add(1).Add(-22).Add(333).str() == "{1,-22,333}");
    CHECK(PgArray().Add("a b").Add("say \"hi\"").Add("back\\slash").AddNull().Add(",{}").str() ==
          R"({"a b","say \"hi\"","back\\slash",NULL,",{}"})");
    const std::vector<int> quantities{3, 1};
    CHECK(PgArrayOf(quantities, [](int q) { return static_cast<long long>(q); }) == "{3,1}");
    // Only well-formed UUIDs reach a uuid[]: anything else would fail the whole statement.
    CHECK(PgUuidArray({"0190a6b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b", "x'); DROP TABLE jobs; --"}) ==
          R"({"0190a6b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b"})");
}

TEST_CASE("an array column read back gives its elements, quotes and escapes undone") {
    CHECK(ParsePgArray("{}").empty());
    CHECK(ParsePgArray("") == std::vector<std::string>{});
    CHECK(ParsePgArray("{1,22,333}") == std::vector<std::string>{"1", "22", "333"});
    CHECK(ParsePgArray(R"({"a b","say \"hi\"","back\\slash",plain})") ==
          std::vector<std::string>{"a b", "say \"hi\"", "back\\slash", "plain"});
    // array_agg of int[] texts: each element is itself an array.
    CHECK(ParsePgArray(R"({"{1,2}","{0,1}"})") == std::vector<std::string>{"{1,2}", "{0,1}"});
    CHECK(ParsePgArray("{{1,2},{3,4}}") == std::vector<std::string>{"{1,2}", "{3,4}"});
    CHECK(ParsePgIntArray("{1,-22,x,333}") == std::vector<std::int64_t>{1, -22, 333});
    // What a round trip through the builder gives back is what went in.
    const std::vector<std::string> texts{"", "a,b", "{\"}", "\\"};
    CHECK(ParsePgArray(PgArrayOf(texts, [](const std::string& t) { return std::string_view(t); })) == texts);
}

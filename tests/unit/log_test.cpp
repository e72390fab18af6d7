// LOG_FORMAT=json: one JSON object per line, with the ids a message carries as fields.
#include "infra/core/log.hpp"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

using namespace checkout;

TEST_CASE("a JSON log line carries time, level, process, queue, job and request ids and a duration") {
    const auto line =
        JsonLogLine("2026-12-02T13:04:09.123Z", "warning", "worker-order_heavy", 42,
                    "job=5b5a3621-7346-436c-b5d0-425b7103a0aa abandoned after 2000ms: \"TIME\"\nLIMIT");
    rapidjson::Document d;
    d.Parse(line.c_str());
    REQUIRE(d.IsObject());
    CHECK(std::string(d["time"].GetString()) == "2026-12-02T13:04:09.123Z");
    CHECK(std::string(d["level"].GetString()) == "warning");
    CHECK(std::string(d["process"].GetString()) == "worker-order_heavy");
    CHECK(d["pid"].GetInt() == 42);
    CHECK(std::string(d["queue"].GetString()) == "order_heavy");
    CHECK(std::string(d["job_id"].GetString()) == "5b5a3621-7346-436c-b5d0-425b7103a0aa");
    CHECK(d["duration_ms"].GetInt64() == 2000);
    CHECK(std::string(d["msg"].GetString()).ends_with("\"TIME\"\nLIMIT"));  // escaped, still one line
    CHECK(line.find('\n') == std::string::npos);
    CHECK_FALSE(d.HasMember("request_id"));
}

TEST_CASE("a JSON log line of the API carries the request id and no queue") {
    rapidjson::Document d;
    d.Parse(JsonLogLine("t", "error", "api", 7, "req=r-17 POST /api/v1/orders: boom").c_str());
    CHECK(std::string(d["request_id"].GetString()) == "r-17");
    CHECK_FALSE(d.HasMember("queue"));
    CHECK_FALSE(d.HasMember("job_id"));
    CHECK_FALSE(d.HasMember("duration_ms"));
}

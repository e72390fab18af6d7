#pragma once
// What every database test needs: the PostgreSQL of scripts/test.sh and the project's queues.yaml.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "infra/core/config.hpp"

namespace checkout::testing {

inline std::string DbUrl() {
    const char* url = std::getenv("DATABASE_URL");
    if (!url) FAIL("DATABASE_URL is not set: run through scripts/test.sh");
    return url;
}

inline const QueuesConfig& Queues() {
    static QueuesConfig cfg =
        LoadQueuesYaml(std::getenv("QUEUES_FILE") ? std::getenv("QUEUES_FILE") : "queues.yaml");
    return cfg;
}

}  // namespace checkout::testing

#include "common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>

namespace checkout {

void InitLogging(const std::string& role) {
    auto logger = spdlog::stderr_color_mt(role);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + role + " %P] %v");
    const char* level = std::getenv("LOG_LEVEL");
    logger->set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
    spdlog::set_default_logger(logger);
}

}  // namespace checkout

#include "common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace checkout {

void InitLogging(const std::string& role) {
    auto logger = spdlog::stderr_color_mt(role);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + role + " %P] %v");
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

void ApplyLogLevel(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

}  // namespace checkout

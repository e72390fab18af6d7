#pragma once
// Logging on spdlog. Every line carries the process role; job and request ids are passed as fields
// in the message ("job=... req=...") so that one grep follows a job across the fleet.
#include <spdlog/spdlog.h>

#include <string>

namespace checkout {
// Logs at info until the configuration is loaded (LOG_LEVEL is validated there, then applied).
void InitLogging(const std::string& role);
void ApplyLogLevel(const std::string& level);
}  // namespace checkout

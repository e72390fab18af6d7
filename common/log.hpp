#pragma once
// Logging on spdlog. Every line carries the process role; job and request ids are passed as fields
// in the message ("job=... req=...") so that one grep follows a job across the fleet.
#include <spdlog/spdlog.h>

#include <string>

namespace checkout {
void InitLogging(const std::string& role);
}  // namespace checkout

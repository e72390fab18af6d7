#pragma once
// Logging on spdlog. Every line carries the process role; job and request ids are passed as fields
// in the message ("job=... req=...") so that one grep follows a job across the fleet.
//
// LOG_FORMAT=json writes one JSON object per line instead: {time, level, process, pid, queue?,
// job_id?, request_id?, duration_ms?, msg}, the optional fields read from those conventions in the
// message (job=ID, req=ID, a duration written as "NNNms").
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace checkout {
// Logs at info until the configuration is loaded (LOG_LEVEL is validated there, then applied).
// LOG_FORMAT is read here (text unless it is "json"); LoadEnvironment rejects any other value.
void InitLogging(const std::string& role);
void ApplyLogLevel(const std::string& level);

// One log line as a JSON object (no newline): what LOG_FORMAT=json writes.
std::string JsonLogLine(std::string_view time, std::string_view level, std::string_view role, int pid,
                        std::string_view message);
}  // namespace checkout

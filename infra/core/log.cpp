#include "infra/core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <regex>

#include "infra/core/json.hpp"

namespace checkout {

namespace {

// The value after `key=` up to the next space, comma or closing bracket.
std::string_view Field(std::string_view message, std::string_view key) {
    for (std::size_t at = message.find(key); at != std::string_view::npos; at = message.find(key, at + 1)) {
        if (at > 0 && message[at - 1] != ' ' && message[at - 1] != '(') continue;
        const std::size_t start = at + key.size();
        const std::size_t end = message.find_first_of(" ,;:)", start);
        return message.substr(start, (end == std::string_view::npos ? message.size() : end) - start);
    }
    return {};
}

class JsonFormatter final : public spdlog::formatter {
  public:
    explicit JsonFormatter(std::string role) : role_(std::move(role)), pid_(static_cast<int>(::getpid())) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto t = std::chrono::system_clock::to_time_t(msg.time);
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() % 1000;
        std::tm tm{};
        gmtime_r(&t, &tm);
        char stamp[40];
        const std::size_t n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        std::snprintf(stamp + n, sizeof(stamp) - n, ".%03dZ", static_cast<int>(ms));
        const auto level = spdlog::level::to_string_view(msg.level);
        const std::string line = JsonLogLine(stamp, std::string_view(level.data(), level.size()), role_, pid_,
                                             std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(line.data(), line.data() + line.size());
        dest.push_back('\n');
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>(role_);
    }

  private:
    std::string role_;
    int pid_;
};

}  // namespace

std::string JsonLogLine(std::string_view time, std::string_view level, std::string_view role, int pid,
                        std::string_view message) {
    JsonWriter w;
    w.StartObject();
    w.Key("time").String(time).Key("level").String(level).Key("process").String(role).Key("pid").Int(pid);
    if (role.starts_with("worker-")) w.Key("queue").String(role.substr(7));
    if (auto job = Field(message, "job="); !job.empty()) w.Key("job_id").String(job);
    if (auto req = Field(message, "req="); !req.empty()) w.Key("request_id").String(req);
    static const std::regex kDuration(R"((\d+)ms\b)");
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(message.begin(), message.end(), m, kDuration))
        w.Key("duration_ms").Int(std::stoll(m[1].str()));
    w.Key("msg").String(message);
    w.EndObject();
    return w.str();
}

void InitLogging(const std::string& role) {
    auto logger = spdlog::stderr_color_mt(role);
    const char* format = std::getenv("LOG_FORMAT");
    if (format && std::string_view(format) == "json") {
        logger->set_formatter(std::make_unique<JsonFormatter>(role));
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + role + " %P] %v");
    }
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

void ApplyLogLevel(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

}  // namespace checkout

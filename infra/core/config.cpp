#include "infra/core/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include "infra/core/log.hpp"

namespace checkout {

std::optional<std::string> ProcessEnv(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

namespace {

int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string PercentDecode(std::string_view s, const char* part) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        const int hi = i + 2 < s.size() ? HexDigit(s[i + 1]) : -1,
                  lo = i + 2 < s.size() ? HexDigit(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) throw ConfigError("AMQP_URL", std::string("has a bad %-escape in its ") + part);
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

}  // namespace

AmqpAddress ParseAmqpUrl(const std::string& url) {
    const std::string_view scheme = "amqp://";
    if (url.rfind(scheme, 0) != 0)
        throw ConfigError("AMQP_URL", "must start with amqp:// (amqp://user:pass@host:port/vhost)");
    std::string_view rest(url);
    rest.remove_prefix(scheme.size());
    AmqpAddress a;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        const std::string query(rest.substr(q + 1));
        rest = rest.substr(0, q);
        static const std::regex kHeartbeat("^heartbeat=([0-9]{1,3})$");
        std::smatch m;
        if (!std::regex_match(query, m, kHeartbeat) || std::stoi(m[1]) > 600)
            throw ConfigError("AMQP_URL",
                              "may only have ?heartbeat=N (0 to 600 seconds); got '?" + query + "'");
        a.heartbeat = std::stoi(m[1]);
    }
    // The authority ends at the first '/'; what follows (without that '/') is the vhost.
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::optional<std::string_view> path;
    if (slash != std::string_view::npos) path = rest.substr(slash + 1);
    if (authority.find_first_of("?#") != std::string_view::npos ||
        (path && path->find_first_of("?#") != std::string_view::npos))
        throw ConfigError("AMQP_URL", "must not have a fragment");
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        const auto colon = userinfo.find(':');
        a.user = PercentDecode(userinfo.substr(0, colon), "user");
        a.password =
            colon == std::string_view::npos ? "" : PercentDecode(userinfo.substr(colon + 1), "password");
        if (a.user.empty()) throw ConfigError("AMQP_URL", "has an empty user name");
    }
    std::string_view host = authority;
    if (const auto colon = authority.rfind(':');
        colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
        host = authority.substr(0, colon);
        const auto port = authority.substr(colon + 1);
        static const std::regex kPort("^[0-9]{1,5}$");
        const std::string port_s(port);
        if (!std::regex_match(port_s, kPort) || std::stoi(port_s) < 1 || std::stoi(port_s) > 65535)
            throw ConfigError("AMQP_URL", "has a bad port '" + port_s + "' (1 to 65535)");
        a.port = std::stoi(port_s);
    }
    static const std::regex kHost("^[A-Za-z0-9.\\-]{1,253}$");
    const std::string host_s(host);
    if (!std::regex_match(host_s, kHost)) throw ConfigError("AMQP_URL", "has a bad host '" + host_s + "'");
    a.host = host_s;
    // amqp://host and amqp://host/ mean the default vhost; so do amqp://host// and amqp://host/%2f.
    if (path && !path->empty()) {
        a.vhost = PercentDecode(*path, "vhost");
        if (a.vhost.empty()) a.vhost = "/";
    }
    return a;
}

namespace {

Millis EnvDuration(EnvLookup lookup, const char* name, Millis fallback) {
    auto v = lookup(name);
    if (!v || v->empty()) return fallback;
    const Millis d = ParseDuration(*v, name);
    if (d.count() <= 0) throw ConfigError(name, "must be longer than 0");
    return d;
}

}  // namespace

int EnvInt(EnvLookup lookup, const char* name, int fallback, int lo, int hi) {
    auto v = lookup(name);
    if (!v) return fallback;
    static const std::regex kInt("^[0-9]{1,9}$");
    if (!std::regex_match(*v, kInt)) throw ConfigError(name, "must be a whole number, got '" + *v + "'");
    int n = std::stoi(*v);
    if (n < lo || n > hi)
        throw ConfigError(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return n;
}

Millis ParseLongDuration(const std::string& text, const std::string& setting) {
    static const std::regex kLong("^([0-9]{1,5})(h|d)$");
    std::smatch m;
    if (!std::regex_match(text, m, kLong))
        throw ConfigError(setting,
                          "must be a number of days or hours such as 14d or 36h, got '" + text + "'");
    const long long n = std::stoll(m[1].str());
    if (n <= 0) throw ConfigError(setting, "must be at least 1h");
    return Millis(n * (m[2].str() == "d" ? 86400000LL : 3600000LL));
}

AmqpNodes ParseAmqpNodes(const std::string& urls) {
    AmqpNodes nodes;
    std::size_t start = 0;
    while (true) {
        const auto comma = urls.find(',', start);
        std::string one = urls.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        one.erase(0, one.find_first_not_of(" \t"));
        one.erase(one.find_last_not_of(" \t") + 1);
        const std::string which = "node " + std::to_string(nodes.size() + 1);
        if (one.empty()) throw ConfigError("AMQP_URL", which + " is empty (a stray comma?)");
        try {
            nodes.push_back(ParseAmqpUrl(one));
        } catch (const ConfigError& e) {
            if (urls.find(',') == std::string::npos) throw;  // one node: the message as it was
            std::string problem = e.what();
            if (problem.rfind("AMQP_URL: ", 0) == 0) problem.erase(0, 10);
            throw ConfigError("AMQP_URL", which + " " + problem);
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (nodes.size() > 64) throw ConfigError("AMQP_URL", "lists more than 64 nodes");
    return nodes;
}

namespace {

// DATABASE_URL, AMQP_URL, JWT_SECRET: what the program connects with, when it needs them.
void LoadConnections(Environment& env, EnvNeeds needs, EnvLookup lookup) {
    if (needs.database) {
        auto v = lookup("DATABASE_URL");
        if (!v || v->empty())
            throw ConfigError("DATABASE_URL",
                              "is not set (a libpq URI such as postgresql://user@host:5432/db)");
        if (v->rfind("postgresql://", 0) != 0 && v->rfind("postgres://", 0) != 0)
            throw ConfigError("DATABASE_URL", "must be a libpq URI starting with postgresql://");
        env.database_url = *v;
    }
    if (needs.amqp) {
        auto v = lookup("AMQP_URL");
        if (!v || v->empty()) throw ConfigError("AMQP_URL", "is not set (amqp://user:pass@host:port/vhost)");
        env.amqp = ParseAmqpNodes(*v);
        env.amqp_url = *v;
    }
    if (needs.jwt) {
        auto v = lookup("JWT_SECRET");
        if (!v || v->empty()) throw ConfigError("JWT_SECRET", "is not set");
        if (v->size() < 32) throw ConfigError("JWT_SECRET", "must be at least 32 characters for HS256");
        env.jwt_secret = *v;
    }
}

// The API's port and threads, the queues and gates files, logging, the workers' drain.
void LoadProcessSettings(Environment& env, EnvLookup lookup) {
    env.api_port = EnvInt(lookup, "API_PORT", 8080, 1, 65535);
    env.api_threads = EnvInt(lookup, "API_THREADS", 16, 1, 256);
    env.db_pool_size = EnvInt(lookup, "DB_POOL_SIZE", 16, 1, 500);
    if (auto v = lookup("QUEUES_FILE"); v && !v->empty()) env.queues_file = *v;
    if (auto v = lookup("GATES_FILE"); v && !v->empty()) {
        env.gates_file = *v;
        env.gates_file_given = true;
    }
    if (auto v = lookup("LOG_LEVEL"); v && !v->empty()) {
        static const std::set<std::string> kLevels{"trace",   "debug", "info",     "warn",
                                                   "warning", "error", "critical", "off"};
        if (!kLevels.count(*v))
            throw ConfigError("LOG_LEVEL", "must be one of debug, info, warn, error; got '" + *v + "'");
        env.log_level = *v == "warning" ? "warn" : *v;
    }
    if (auto v = lookup("LOG_FORMAT"); v && !v->empty() && *v != "text" && *v != "json")
        throw ConfigError("LOG_FORMAT", "must be text or json; got '" + *v + "'");
    if (lookup("WORKER_DRAIN_TIMEOUT_MS"))
        env.drain_timeout = Millis(EnvInt(lookup, "WORKER_DRAIN_TIMEOUT_MS", 0, 0, 3600 * 1000));
}

// ORDER_EXPIRY_AFTER, PAYMENT_RECONCILE_AFTER, SCHEDULER_PERIOD, JOB_RETENTION.
void LoadSchedulerSettings(Environment& env, EnvLookup lookup) {
    env.order_expiry_after = EnvDuration(lookup, "ORDER_EXPIRY_AFTER", env.order_expiry_after);
    env.payment_reconcile_after = EnvDuration(lookup, "PAYMENT_RECONCILE_AFTER", env.payment_reconcile_after);
    env.scheduler_period = EnvDuration(lookup, "SCHEDULER_PERIOD", env.scheduler_period);
    // Days or hours (history is dropped a whole day at a time); at least an hour.
    if (auto v = lookup("JOB_RETENTION"); v && !v->empty())
        env.job_retention = ParseLongDuration(*v, "JOB_RETENTION");
}

// Caches, the per-process metrics listener, the API's rate limit and group commit.
void LoadServingSettings(Environment& env, EnvLookup lookup) {
    env.popular_ttl = EnvDuration(lookup, "POPULAR_CACHE_TTL", env.popular_ttl);
    if (auto v = lookup("METRICS_PORT"); v && *v == "off")
        env.metrics_port.reset();
    else
        env.metrics_port = EnvInt(lookup, "METRICS_PORT", 0, 0, 65535);
    if (auto v = lookup("METRICS_PORT_FILE"); v) env.metrics_port_file = *v;
    if (auto v = lookup("METRICS_BIND"); v && !v->empty()) {
        in_addr ignored{};
        if (inet_pton(AF_INET, v->c_str(), &ignored) != 1)
            throw ConfigError("METRICS_BIND",
                              "must be an IPv4 address such as 127.0.0.1 or 0.0.0.0; got '" + *v + "'");
        env.metrics_bind = *v;
    }
    if (auto v = lookup("METRICS_TOKEN"); v && !v->empty()) {
        if (v->size() < 16) throw ConfigError("METRICS_TOKEN", "must be at least 16 characters");
        env.metrics_token = *v;
    }
    env.rate_limit_per_user = EnvInt(lookup, "RATE_LIMIT_PER_USER", env.rate_limit_per_user, 0, 1000000);
    env.rate_limit_burst = EnvInt(lookup, "RATE_LIMIT_BURST",
                                  std::max(env.rate_limit_burst, 2 * env.rate_limit_per_user), 1, 1000000);
    env.accept_group_max = EnvInt(lookup, "ACCEPT_GROUP_MAX", env.accept_group_max, 1, 1000);
    env.accept_group_wait_us = EnvInt(lookup, "ACCEPT_GROUP_WAIT_US", env.accept_group_wait_us, 0, 100000);
}

// TOSS_API_BASE, TOSS_SECRET_KEY, TOSS_TIMEOUT_MS, DATA_PLATFORM_URL: the services the workers call.
void LoadCallouts(Environment& env, EnvNeeds needs, EnvLookup lookup) {
    if (needs.gateway) {
        auto base = lookup("TOSS_API_BASE");
        if (!base || base->empty())
            throw ConfigError("TOSS_API_BASE", "is not set (https://api.tosspayments.com, or the sandbox)");
        if (base->rfind("http://", 0) != 0 && base->rfind("https://", 0) != 0)
            throw ConfigError("TOSS_API_BASE", "must start with https:// (or http:// for a local sandbox)");
        env.toss_api_base = *base;
        while (!env.toss_api_base.empty() && env.toss_api_base.back() == '/') env.toss_api_base.pop_back();
        auto key = lookup("TOSS_SECRET_KEY");
        if (!key || key->empty())
            throw ConfigError("TOSS_SECRET_KEY", "is not set (test_sk_... or live_sk_...)");
        if (key->find(':') != std::string::npos) throw ConfigError("TOSS_SECRET_KEY", "must not contain ':'");
        env.toss_secret_key = *key;
        env.gateway_timeout = Millis(EnvInt(lookup, "TOSS_TIMEOUT_MS", 10000, 100, 600000));
    }
    if (needs.data_platform) {
        auto v = lookup("DATA_PLATFORM_URL");
        if (!v || v->empty())
            throw ConfigError("DATA_PLATFORM_URL", "is not set (where analytics events are POSTed)");
        if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0)
            throw ConfigError("DATA_PLATFORM_URL", "must start with http:// or https://");
        env.data_platform_url = *v;
    }
}

}  // namespace

Environment LoadEnvironment(EnvNeeds needs, EnvLookup lookup) {
    Environment env;
    LoadConnections(env, needs, lookup);
    LoadProcessSettings(env, lookup);
    if (needs.scheduler) LoadSchedulerSettings(env, lookup);
    LoadServingSettings(env, lookup);
    LoadCallouts(env, needs, lookup);
    return env;
}

bool ReportConfigError(const std::function<void()>& load) {
    try {
        load();
        return true;
    } catch (const ConfigError& e) {
        std::cerr << "configuration error: " << e.what() << "\n";
        return false;
    }
}

bool LoadServiceConfig(EnvNeeds needs, Environment& env, QueuesConfig& queues) {
    return ReportConfigError([&] {
        env = LoadEnvironment(needs);
        queues = LoadQueuesYaml(env.queues_file);
        ApplyLogLevel(env.log_level);
    });
}

}  // namespace checkout

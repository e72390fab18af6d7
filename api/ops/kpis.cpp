#include "api/ops/kpis.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "api/ops/subscription_kpis.hpp"
#include "infra/core/config.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "jobs/store/job_stats.hpp"

namespace checkout {

namespace {

void Quantiles(JsonWriter& w, const char* key, const LogBucketCounts& counts) {
    w.Key(key).StartObject();
    for (auto [name, q] : {std::pair<const char*, double>{"p50", 0.50}, {"p95", 0.95}, {"p99", 0.99}}) {
        w.Key(name);
        if (auto v = LogBucketQuantile(counts, q))
            w.w().Double(*v);
        else
            w.Null();
    }
    w.EndObject();
}

void Add(JobFigures& into, const JobFigures& f) {
    into.finished += f.finished;
    into.failed += f.failed;
    into.dead += f.dead;
    into.retried += f.retried;
    for (std::size_t b = 0; b < into.run.size(); ++b) {
        into.run[b] += f.run[b];
        into.latency[b] += f.latency[b];
    }
}

void WriteFigures(JsonWriter& w, const JobFigures& f, int window_s) {
    const double n = static_cast<double>(f.finished);
    w.StartObject();
    w.Key("finished").Int(f.finished).Key("per_second").w().Double(n / window_s);
    w.Key("failed").Int(f.failed).Key("dead").Int(f.dead).Key("retried").Int(f.retried);
    w.Key("failure_ratio").w().Double(n > 0 ? static_cast<double>(f.failed + f.dead) / n : 0.0);
    w.Key("retry_ratio").w().Double(n > 0 ? static_cast<double>(f.retried) / n : 0.0);
    Quantiles(w, "run_ms", f.run);
    Quantiles(w, "latency_ms", f.latency);
    w.EndObject();
}

int WindowSeconds(const std::string& text, const std::string& setting) {
    const auto ms = ParseDuration(text, setting).count();
    if (ms < 1000 || ms > 24LL * 3600 * 1000) throw ConfigError(setting, "must be from 1s to 24h");
    return static_cast<int>(ms / 1000);
}

// One queue's figures over the window.
JobFigures QueueFigures(PgConnection& conn, const std::string& queue, int window_s) {
    JobFigures sum;
    for (const auto& [key, f] : ReadJobStats(conn, window_s))
        if (key.first == queue) Add(sum, f);
    return sum;
}

}  // namespace

std::optional<GateKind> GateKindOf(const std::string& metric) {
    static const std::map<std::string, GateKind> kinds{
        {"run_p99_ms", GateKind::kJobs},     {"latency_p99_ms", GateKind::kJobs},
        {"failure_ratio", GateKind::kJobs},  {"retry_ratio", GateKind::kJobs},
        {"dead", GateKind::kJobs},           {"oldest_queued_s", GateKind::kJobs},
        {"route_p99_ms", GateKind::kRoute},  {"route_error_ratio", GateKind::kRoute},
        {"outbox_age_s", GateKind::kOutbox}, {"renewal_failure_ratio", GateKind::kRenewals},
    };
    const auto it = kinds.find(metric);
    if (it == kinds.end()) return std::nullopt;
    return it->second;
}

std::map<std::string, Gate> ParseGatesYaml(const std::string& text, const std::string& source) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw ConfigError(source, std::string("is not valid YAML: ") + e.what());
    }
    std::map<std::string, Gate> gates;
    if (!root["gates"] || !root["gates"].IsMap())
        throw ConfigError(source + ": gates", "must be a map of gates");
    for (const auto& entry : root["gates"]) {
        Gate g;
        g.name = entry.first.as<std::string>();
        const auto key = source + ": gates." + g.name;
        const auto& node = entry.second;
        if (!node.IsMap()) throw ConfigError(key, "must be a map with queue or route, metric, window, max");
        for (const auto& field : node) {
            const auto f = field.first.as<std::string>();
            if (f != "queue" && f != "route" && f != "metric" && f != "window" && f != "max")
                throw ConfigError(key + "." + f, "is not a gate setting (queue, route, metric, window, max)");
        }
        if (!node["metric"] || !node["max"]) throw ConfigError(key, "needs metric and max");
        g.metric = node["metric"].as<std::string>();
        const auto kind = GateKindOf(g.metric);
        if (!kind)
            throw ConfigError(
                key + ".metric",
                "must be one of run_p99_ms, latency_p99_ms, failure_ratio, retry_ratio, dead, "
                "oldest_queued_s (with a queue), route_p99_ms, route_error_ratio (with a route), "
                "outbox_age_s, renewal_failure_ratio");
        if (*kind == GateKind::kJobs) {
            if (!node["queue"]) throw ConfigError(key + ".queue", "is required for " + g.metric);
            g.queue = node["queue"].as<std::string>();
        } else if (node["queue"]) {
            throw ConfigError(key + ".queue", "does not go with " + g.metric);
        }
        if (*kind == GateKind::kRoute) {
            if (!node["route"]) throw ConfigError(key + ".route", "is required for " + g.metric);
            g.route = node["route"].as<std::string>();
        } else if (node["route"]) {
            throw ConfigError(key + ".route", "does not go with " + g.metric);
        }
        g.window_s = node["window"] ? WindowSeconds(node["window"].as<std::string>(), key + ".window") : 300;
        // The API keeps a route's figures for 5 minutes (api/route_window.hpp).
        if (*kind == GateKind::kRoute && g.window_s > 300)
            throw ConfigError(key + ".window", "must be at most 5m for a route (the API keeps 5 minutes)");
        try {
            g.max = node["max"].as<double>();
        } catch (const YAML::Exception&) {
            throw ConfigError(key + ".max", "must be a number");
        }
        gates[g.name] = g;
    }
    return gates;
}

std::string KpisJson(PgConnection& conn, const std::string& routes_json) {
    JsonWriter w;
    w.StartObject().Key("windows").StartObject();
    for (const auto& [label, seconds] : {std::pair<const char*, int>{"1m", 60}, {"5m", 300}}) {
        const auto by_key = ReadJobStats(conn, seconds);
        std::map<std::string, JobFigures> by_queue, by_type;
        for (const auto& [key, f] : by_key) {
            Add(by_queue[key.first], f);
            Add(by_type[key.second], f);
        }
        w.Key(label).StartObject().Key("queues").StartObject();
        for (const auto& [queue, f] : by_queue) {
            w.Key(queue);
            WriteFigures(w, f, seconds);
        }
        w.EndObject().Key("job_types").StartObject();
        for (const auto& [type, f] : by_type) {
            w.Key(type);
            WriteFigures(w, f, seconds);
        }
        w.EndObject().EndObject();
    }
    w.EndObject();
    // Jobs waiting now: the oldest of each state, per queue.
    auto waiting = conn.exec(
        "SELECT queue, count(*) FILTER (WHERE state = 'queued'), "
        "coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE state = 'queued')), 0), "
        "count(*) FILTER (WHERE state = 'retrying'), "
        "coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE state = 'retrying')), 0), "
        "count(*) FILTER (WHERE state = 'dead') "
        "FROM (SELECT queue, state, created_at FROM open_jobs "
        "      UNION ALL SELECT queue, state, created_at FROM jobs WHERE dead) j "
        "GROUP BY queue ORDER BY queue");
    w.Key("now").StartObject();
    for (int i = 0; i < waiting.rows(); ++i) {
        w.Key(waiting.get(i, 0)).StartObject();
        w.Key("queued")
            .Int(waiting.integer(i, 1))
            .Key("oldest_queued_s")
            .w()
            .Double(std::stod(waiting.str(i, 2)));
        w.Key("retrying")
            .Int(waiting.integer(i, 3))
            .Key("oldest_retrying_s")
            .w()
            .Double(std::stod(waiting.str(i, 4)));
        w.Key("dead_letters").Int(waiting.integer(i, 5));
        w.EndObject();
    }
    w.EndObject();
    if (!routes_json.empty()) w.Key("routes").Raw(routes_json);
    w.EndObject();
    return w.str();
}

GateVerdict EvaluateGate(PgConnection& conn, const Gate& gate, const RouteFiguresLookup& routes) {
    GateVerdict v;
    long long count = 0;  // what the figure stands on: jobs, requests or outbox messages
    const char* counted = "jobs";
    if (gate.metric == "oldest_queued_s") {
        auto r = conn.exec(
            "SELECT count(*), extract(epoch FROM now() - min(created_at)) FROM open_jobs WHERE queue = $1 "
            "AND "
            "state = 'queued'",
            {gate.queue});
        count = r.integer(0, 0);
        v.value = r.is_null(0, 1) ? 0.0 : std::stod(r.str(0, 1));
    } else if (gate.metric == "outbox_age_s") {
        counted = "messages";
        auto r = conn.exec(
            "SELECT count(*), extract(epoch FROM now() - min(available_at)) FROM outbox "
            "WHERE available_at <= now()");
        count = r.integer(0, 0);
        v.value = r.is_null(0, 1) ? 0.0 : std::stod(r.str(0, 1));
    } else if (gate.metric == "renewal_failure_ratio") {
        counted = "attempts";
        const RenewalFigures f = ReadRenewalFigures(conn, gate.window_s);
        count = f.attempts;
        if (count > 0) v.value = static_cast<double>(f.declined) / static_cast<double>(count);
    } else if (GateKindOf(gate.metric) == GateKind::kRoute) {
        counted = "requests";
        const RouteGateFigures f = routes ? routes(gate.route, gate.window_s) : RouteGateFigures{};
        count = f.requests;
        if (count == 0)
            v.value = std::nullopt;
        else if (gate.metric == "route_p99_ms")
            v.value = f.p99_ms;
        else
            v.value = static_cast<double>(f.server_errors) / static_cast<double>(count);
    } else {
        const JobFigures f = QueueFigures(conn, gate.queue, gate.window_s);
        count = f.finished;
        const double n = static_cast<double>(count);
        if (gate.metric == "dead")
            v.value = static_cast<double>(f.dead);
        else if (count == 0)
            v.value = std::nullopt;
        else if (gate.metric == "failure_ratio")
            v.value = static_cast<double>(f.failed + f.dead) / n;
        else if (gate.metric == "retry_ratio")
            v.value = static_cast<double>(f.retried) / n;
        else if (gate.metric == "run_p99_ms")
            v.value = LogBucketQuantile(f.run, 0.99);
        else if (gate.metric == "latency_p99_ms")
            v.value = LogBucketQuantile(f.latency, 0.99);
    }
    v.pass = !v.value || *v.value <= gate.max;
    JsonWriter w;
    w.StartObject().Key("gate").String(gate.name);
    if (!gate.queue.empty()) w.Key("queue").String(gate.queue);
    if (!gate.route.empty()) w.Key("route").String(gate.route);
    w.Key("metric").String(gate.metric);
    w.Key("window_s").Int(gate.window_s).Key("max").w().Double(gate.max);
    w.Key("value");
    if (v.value)
        w.w().Double(*v.value);
    else
        w.Null();
    w.Key(counted).Int(count).Key("pass").Bool(v.pass).EndObject();
    v.json = w.str();
    return v;
}

}  // namespace checkout

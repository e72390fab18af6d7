#include "common/ops/kpis.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "common/config.hpp"
#include "common/error.hpp"
#include "common/json.hpp"

namespace checkout {

namespace {

// Per queue (and per type when `by_type`), over the last `window` seconds, one row each:
// finished, failed, dead, retried, run p50/p95/p99, enqueue-to-finish p50/p95/p99 (ms).
const char* kWindowSql =
    "SELECT queue, CASE WHEN $2 THEN type ELSE '' END AS t, count(*), "
    "count(*) FILTER (WHERE state = 'failed'), count(*) FILTER (WHERE state = 'dead'), "
    "count(*) FILTER (WHERE attempts > 1), "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY run_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY "
    "run_ms), "
    "percentile_cont(0.99) WITHIN GROUP (ORDER BY run_ms), "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000), "
    "percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000), "
    "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000) "
    "FROM jobs WHERE finished_at >= now() - make_interval(secs => $1) "
    "AND state IN ('succeeded', 'failed', 'dead') GROUP BY 1, 2 ORDER BY 1, 2";

void Number(JsonWriter& w, const PgResult& r, int row, int col) {
    if (r.is_null(row, col))
        w.Null();
    else
        w.w().Double(std::stod(r.str(row, col)));
}

void WriteFigures(JsonWriter& w, const PgResult& r, int i, int window_s) {
    const double n = static_cast<double>(r.integer(i, 2));
    w.StartObject();
    w.Key("finished").Int(r.integer(i, 2)).Key("per_second").w().Double(n / window_s);
    w.Key("failed").Int(r.integer(i, 3)).Key("dead").Int(r.integer(i, 4)).Key("retried").Int(r.integer(i, 5));
    w.Key("failure_ratio").w().Double(n > 0 ? (r.integer(i, 3) + r.integer(i, 4)) / n : 0.0);
    w.Key("retry_ratio").w().Double(n > 0 ? r.integer(i, 5) / n : 0.0);
    w.Key("run_ms").StartObject();
    w.Key("p50");
    Number(w, r, i, 6);
    w.Key("p95");
    Number(w, r, i, 7);
    w.Key("p99");
    Number(w, r, i, 8);
    w.EndObject();
    w.Key("latency_ms").StartObject();
    w.Key("p50");
    Number(w, r, i, 9);
    w.Key("p95");
    Number(w, r, i, 10);
    w.Key("p99");
    Number(w, r, i, 11);
    w.EndObject();
    w.EndObject();
}

int WindowSeconds(const std::string& text, const std::string& setting) {
    const auto ms = ParseDuration(text, setting).count();
    if (ms < 1000 || ms > 24LL * 3600 * 1000) throw ConfigError(setting, "must be from 1s to 24h");
    return static_cast<int>(ms / 1000);
}

}  // namespace

const std::vector<std::string>& GateMetrics() {
    static const std::vector<std::string> metrics{"run_p99_ms",  "latency_p99_ms", "failure_ratio",
                                                  "retry_ratio", "dead",           "oldest_queued_s"};
    return metrics;
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
        if (!node.IsMap()) throw ConfigError(key, "must be a map with queue, metric, window, max");
        for (const auto& field : node) {
            const auto f = field.first.as<std::string>();
            if (f != "queue" && f != "metric" && f != "window" && f != "max")
                throw ConfigError(key + "." + f, "is not a gate setting (queue, metric, window, max)");
        }
        if (!node["queue"] || !node["metric"] || !node["max"])
            throw ConfigError(key, "needs queue, metric and max");
        g.queue = node["queue"].as<std::string>();
        g.metric = node["metric"].as<std::string>();
        const auto& metrics = GateMetrics();
        if (std::find(metrics.begin(), metrics.end(), g.metric) == metrics.end())
            throw ConfigError(key + ".metric",
                              "must be one of run_p99_ms, latency_p99_ms, failure_ratio, retry_ratio, "
                              "dead, oldest_queued_s");
        g.window_s = node["window"] ? WindowSeconds(node["window"].as<std::string>(), key + ".window") : 300;
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
        auto by_queue = conn.exec(kWindowSql, {static_cast<long long>(seconds), PgParam("false")});
        auto by_type = conn.exec(kWindowSql, {static_cast<long long>(seconds), PgParam("true")});
        w.Key(label).StartObject().Key("queues").StartObject();
        for (int i = 0; i < by_queue.rows(); ++i) {
            w.Key(by_queue.get(i, 0));
            WriteFigures(w, by_queue, i, seconds);
        }
        w.EndObject().Key("job_types").StartObject();
        for (int i = 0; i < by_type.rows(); ++i) {
            w.Key(by_type.get(i, 1));
            WriteFigures(w, by_type, i, seconds);
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
        "FROM jobs WHERE state IN ('queued', 'running', 'retrying', 'dead') GROUP BY queue ORDER BY queue");
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

GateVerdict EvaluateGate(PgConnection& conn, const Gate& gate) {
    GateVerdict v;
    long long jobs = 0;
    if (gate.metric == "oldest_queued_s") {
        auto r = conn.exec(
            "SELECT count(*), extract(epoch FROM now() - min(created_at)) FROM jobs WHERE queue = $1 AND "
            "state = 'queued'",
            {gate.queue});
        jobs = r.integer(0, 0);
        v.value = r.is_null(0, 1) ? 0.0 : std::stod(r.str(0, 1));
    } else {
        auto r = conn.exec(
            "SELECT count(*), count(*) FILTER (WHERE state IN ('failed', 'dead')), count(*) FILTER (WHERE "
            "attempts > 1), "
            "count(*) FILTER (WHERE state = 'dead'), percentile_cont(0.99) WITHIN GROUP (ORDER BY run_ms), "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * "
            "1000) "
            "FROM jobs WHERE queue = $1 AND finished_at >= now() - make_interval(secs => $2) "
            "AND state IN ('succeeded', 'failed', 'dead')",
            {gate.queue, static_cast<long long>(gate.window_s)});
        jobs = r.integer(0, 0);
        const double n = static_cast<double>(jobs);
        if (gate.metric == "dead")
            v.value = static_cast<double>(r.integer(0, 3));
        else if (jobs == 0)
            v.value = std::nullopt;
        else if (gate.metric == "failure_ratio")
            v.value = r.integer(0, 1) / n;
        else if (gate.metric == "retry_ratio")
            v.value = r.integer(0, 2) / n;
        else if (gate.metric == "run_p99_ms" && !r.is_null(0, 4))
            v.value = std::stod(r.str(0, 4));
        else if (gate.metric == "latency_p99_ms" && !r.is_null(0, 5))
            v.value = std::stod(r.str(0, 5));
    }
    v.pass = !v.value || *v.value <= gate.max;
    JsonWriter w;
    w.StartObject()
        .Key("gate")
        .String(gate.name)
        .Key("queue")
        .String(gate.queue)
        .Key("metric")
        .String(gate.metric);
    w.Key("window_s").Int(gate.window_s).Key("max").w().Double(gate.max);
    w.Key("value");
    if (v.value)
        w.w().Double(*v.value);
    else
        w.Null();
    w.Key("jobs").Int(jobs).Key("pass").Bool(v.pass).EndObject();
    v.json = w.str();
    return v;
}

}  // namespace checkout

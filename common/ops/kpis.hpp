#pragma once
// The fleet's KPIs (GET /ops/kpis) and release gates (GET /ops/gates/{name}), read from PostgreSQL:
// one place for fleet-wide figures, whichever API process answers. Per queue and job type, over a
// sliding window, from what every process wrote to job_stats (job_stats.hpp; up to 2 s behind): how
// many jobs finished, throughput, the p50/p95/p99 of the handler's run time and of the time from
// enqueue to finish (within about 5%: log buckets), failure and retry ratios, dead letters; and, now,
// from the jobs table, the jobs waiting in each queue and the age of the oldest queued and retrying.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/pg_connection.hpp"

namespace checkout {

// A gate: a KPI of one queue over a window, and the largest value that passes.
struct Gate {
    std::string name;
    std::string queue;
    std::string metric;  // one of GateMetrics()
    int window_s = 300;
    double max = 0;
};
const std::vector<std::string>& GateMetrics();

// gates.yaml: {gates: {NAME: {queue, metric, window: 1m|5m|..., max}}}. Throws ConfigError naming the
// key (GATES_FILE) for anything malformed.
std::map<std::string, Gate> ParseGatesYaml(const std::string& text, const std::string& source = "gates.yaml");

// {windows: {"1m": {...}, "5m": {...}}, now: {...}} as described above; with `routes_json`, also
// {routes: routes_json} (the API's figures per route, which only an API process has).
std::string KpisJson(PgConnection& conn, const std::string& routes_json = "");

struct GateVerdict {
    bool pass = true;
    std::optional<double> value;  // no jobs in the window: no value, and the gate passes
    std::string json;             // {gate, queue, metric, window_s, max, value, pass, jobs}
};
GateVerdict EvaluateGate(PgConnection& conn, const Gate& gate);

}  // namespace checkout

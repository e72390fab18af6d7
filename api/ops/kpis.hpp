#pragma once
// The fleet's KPIs (GET /ops/kpis) and release gates (GET /ops/gates/{name}), read from PostgreSQL:
// one place for fleet-wide figures, whichever API process answers. Per queue and job type, over a
// sliding window, from what every process wrote to job_stats (job_stats.hpp; up to 2 s behind): how
// many jobs finished, throughput, the p50/p95/p99 of the handler's run time and of the time from
// enqueue to finish (within about 5%: log buckets), failure and retry ratios, dead letters; and, now,
// from the jobs table, the jobs waiting in each queue and the age of the oldest queued and retrying.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

// A gate: one figure, and the largest value that passes. Three kinds, by metric:
//   a queue's jobs over a window (from job_stats, fleet-wide): run_p99_ms, latency_p99_ms,
//     failure_ratio, retry_ratio, dead; and oldest_queued_s (now, from the jobs table);
//   an API route over a window (route_p99_ms, route_error_ratio): the figures of the API process
//     that answers, which are the only ones it has (with several API processes, ask each);
//   outbox_age_s: how long the oldest due outbox message has waited for the relay (now, fleet-wide);
//   renewal_failure_ratio: declined subscription renewals / answered renewal attempts over a window.
struct Gate {
    std::string name;
    std::string queue;  // job gates
    std::string route;  // route gates: as the API registers it, e.g. "POST /api/v1/orders"
    std::string metric;
    int window_s = 300;
    double max = 0;
};
enum class GateKind { kJobs, kRoute, kOutbox, kRenewals };
// The kind of a metric name; nullopt for a name that is none of the above.
std::optional<GateKind> GateKindOf(const std::string& metric);

// gates.yaml: {gates: {NAME: {queue | route, metric, window: 1m|5m|..., max}}}. Throws ConfigError
// naming the key (GATES_FILE) for anything malformed. That a queue or route exists is the caller's
// to check (it knows them).
std::map<std::string, Gate> ParseGatesYaml(const std::string& text, const std::string& source = "gates.yaml");

// {windows: {"1m": {...}, "5m": {...}}, now: {...}} as described above; with `routes_json`, also
// {routes: routes_json} (the API's figures per route, which only an API process has).
std::string KpisJson(PgConnection& conn, const std::string& routes_json = "");

// What a route gate reads: one API process's figures for a route over the last `window_s` seconds.
struct RouteGateFigures {
    long long requests = 0;
    long long server_errors = 0;
    std::optional<double> p99_ms;
};
using RouteFiguresLookup = std::function<RouteGateFigures(const std::string& route, int window_s)>;

struct GateVerdict {
    bool pass = true;
    std::optional<double> value;  // nothing in the window: no value, and the gate passes
    // {gate, queue | route, metric, window_s, max, value, pass, jobs | requests | messages}
    std::string json;
};
// `routes` answers route gates; without it they have no value (and pass).
GateVerdict EvaluateGate(PgConnection& conn, const Gate& gate, const RouteFiguresLookup& routes = {});

}  // namespace checkout

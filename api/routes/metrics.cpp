// GET /metrics: this API process's own figures (requests per route, its status cache), like every
// worker's own /metrics: Prometheus scrapes each process and sums.
// GET /metrics/fleet: the figures of the whole fleet, read from the jobs table and RabbitMQ (jobs by
// state, the outbox backlog, queue depths and consumers, each worker's breaker). Every API process
// answers it alike, so exactly one scrape target takes it (scripts/prometheus_config.sh picks the
// first API); scraping it from two would count the fleet twice.
#include "infra/core/metrics.hpp"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <mutex>

#include "api/auth.hpp"
#include "api/http_metrics.hpp"
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "infra/amqp/amqp_connection.hpp"

namespace checkout::api {

using namespace Pistache;

namespace {

void JobMetrics(PgConnection& db, std::string& out) {
    PgTransaction tx(db);
    // A scrape must not pile up behind a slow table scan.
    tx.exec("SET LOCAL statement_timeout = 5000");
    // Jobs by queue and state, without reading the history (issue 18): open jobs and dead letters
    // from what finds them (migration 016); finished jobs counted once by the scheduler as the floor of
    // open jobs passes them (migration 020), plus those above what it has counted and the default
    // partition's. The job counters and duration histograms by type come from each worker's own
    // /metrics.
    std::map<std::pair<std::string, std::string>, long long> counts;
    auto r = tx.exec(
        "SELECT queue, state, count(*) FROM open_jobs GROUP BY 1, 2 "
        "UNION ALL SELECT queue, 'dead', count(*) FROM jobs WHERE dead GROUP BY 1 "
        "UNION ALL SELECT queue, state, count(*) FROM jobs WHERE id >= (SELECT upto FROM jobs_counted) "
        "  AND tableoid <> 'jobs_default'::regclass AND state IN ('succeeded', 'failed') GROUP BY 1, 2 "
        "UNION ALL SELECT queue, state, count(*) FROM jobs_default "
        "  WHERE state IN ('succeeded', 'failed') GROUP BY 1, 2 "
        "UNION ALL SELECT queue, state, sum(n)::bigint FROM jobs_finished_counts "
        "  WHERE to_regclass('jobs_p' || to_char(hour AT TIME ZONE 'UTC', 'YYYYMMDD')) IS NOT NULL "
        "  GROUP BY 1, 2");
    for (int i = 0; i < r.rows(); ++i) counts[{r.str(i, 0), r.str(i, 1)}] += r.integer(i, 2);
    MetricHeader(out, "checkout_jobs", "gauge",
                 "Jobs in the table by queue and state (state=\"dead\" are the dead letters).");
    for (const auto& [key, n] : counts)
        MetricLine(out, "checkout_jobs", Label("queue", key.first) + "," + Label("state", key.second),
                   static_cast<double>(n));

    // Not yet published: delayed retries in the outbox table, and jobs at or after the relay's saved
    // position (migration 007; that position is saved at most every 200 ms, so a few just-published
    // jobs count too).
    auto outbox = tx.exec(
        "WITH u AS (SELECT created_at, created_at AS available_at FROM jobs "
        "           WHERE publish_xid >= (SELECT next_xid FROM relay_cursor) "
        "           UNION ALL SELECT created_at, available_at FROM outbox) "
        "SELECT count(*), coalesce(EXTRACT(EPOCH FROM now() - min(created_at)), 0), "
        "count(*) FILTER (WHERE available_at > now()) FROM u");
    MetricHeader(out, "checkout_outbox_backlog", "gauge",
                 "Jobs not yet published (due now, and delayed retries).");
    MetricLine(out, "checkout_outbox_backlog", Label("kind", "due"),
               static_cast<double>(outbox.integer(0, 0) - outbox.integer(0, 2)));
    MetricLine(out, "checkout_outbox_backlog", Label("kind", "delayed"),
               static_cast<double>(outbox.integer(0, 2)));
    MetricHeader(out, "checkout_outbox_oldest_seconds", "gauge", "Age of the oldest job not yet published.");
    MetricLine(out, "checkout_outbox_oldest_seconds", "", std::stod(outbox.str(0, 1)));
    // Reported by each external-api worker every 2 s; a row older than 30 s is a worker that is gone.
    auto breakers = tx.exec(
        "SELECT worker, host, state FROM gateway_breakers WHERE updated_at > now() - interval '30 seconds' "
        "ORDER BY worker");
    MetricHeader(out, "checkout_gateway_circuit_open", "gauge",
                 "1 while a worker's circuit breaker to the payment gateway is open or half-open.");
    for (int i = 0; i < breakers.rows(); ++i)
        MetricLine(out, "checkout_gateway_circuit_open",
                   Label("worker", breakers.str(i, 0)) + "," + Label("gateway", breakers.str(i, 1)) + "," +
                       Label("state", breakers.str(i, 2)),
                   breakers.get(i, 2) == "closed" ? 0.0 : 1.0);
    tx.commit();
}

// The table figures, read by one request at a time: requests that queue behind a reading share the
// next one, which starts after they arrived (so no answer predates its request). However many
// scrapers ask at once, at most two readings run back to back, on one connection.
std::string FleetJobMetrics(App& app) {
    static std::mutex mu;
    static std::string last;
    static std::chrono::steady_clock::time_point last_started;
    const auto arrived = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    if (!last.empty() && last_started >= arrived) return last;
    const auto started = std::chrono::steady_clock::now();
    std::string out;
    {
        auto conn = app.pool.acquire();
        JobMetrics(*conn, out);
    }
    last = out;
    last_started = started;
    return out;
}

void QueueMetrics(App& app, std::string& out) {
    MetricHeader(out, "checkout_queue_messages", "gauge",
                 "Messages in each RabbitMQ queue (ready and unacked).");
    MetricHeader(out, "checkout_queue_consumers", "gauge", "Consumers of each RabbitMQ queue.");
    std::vector<std::string> names;
    for (const auto& q : app.queues.queues) {
        names.push_back(q.name);
        names.push_back(q.dead_letter_queue);
    }
    try {
        const auto stats = app.broker.Read(names);
        for (std::size_t i = 0; i < names.size(); ++i) {
            MetricLine(out, "checkout_queue_messages", Label("queue", names[i]),
                       static_cast<double>(stats[i].messages));
            MetricLine(out, "checkout_queue_consumers", Label("queue", names[i]),
                       static_cast<double>(stats[i].consumers));
        }
        MetricLine(out, "checkout_rabbitmq_up", "", 1);
    } catch (const std::exception&) {
        MetricLine(out, "checkout_rabbitmq_up", "", 0);
    }
    MetricHeader(out, "checkout_rabbitmq_connections_made_total", "counter",
                 "AMQP connections this API process opened for /metrics (one, unless it broke).");
    MetricLine(out, "checkout_rabbitmq_connections_made_total", "",
               static_cast<double>(app.broker.connections_made()));
}

}  // namespace

void RegisterMetricsRoutes(Rest::Router& r, App& app) {
    AddRoute(
        r, Http::Method::Get, "/metrics", Guard(app.executor, [&app](const Rest::Request&, RequestContext&) {
            std::string out;
            GlobalHttpMetrics().Write(out);
            const auto st = app.statuses.stats();
            MetricHeader(out, "checkout_status_cache_entries", "gauge",
                         "Order and payment statuses this API process holds in memory.");
            MetricLine(out, "checkout_status_cache_entries", "", static_cast<double>(st.entries));
            MetricHeader(out, "checkout_status_cache_hits_total", "counter",
                         "Status reads answered from memory (no query of their own).");
            MetricLine(out, "checkout_status_cache_hits_total", "", static_cast<double>(st.hits));
            MetricHeader(out, "checkout_status_cache_load_queries_total", "counter",
                         "Queries that loaded statuses (each loads many).");
            MetricLine(out, "checkout_status_cache_load_queries_total", "",
                       static_cast<double>(st.load_queries));
            MetricHeader(out, "checkout_status_long_polls", "gauge", "Statuses with a parked long poll.");
            MetricLine(out, "checkout_status_long_polls", "", static_cast<double>(st.waiting));
            return Reply{200, out, {{"X-Content-Type-Options", "nosniff"}}, "text/plain; version=0.0.4"};
        }));
    AddRoute(r, Http::Method::Get, "/metrics/fleet",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateScraper(req, app);
                 std::string out = FleetJobMetrics(app);
                 QueueMetrics(app, out);
                 return Reply{200, out, {{"X-Content-Type-Options", "nosniff"}}, "text/plain; version=0.0.4"};
             }));
}

}  // namespace checkout::api

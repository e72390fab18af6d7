#include "jobs/store/fleet_heartbeat.hpp"

#include <unistd.h>

#include <memory>

#include "infra/core/log.hpp"
#include "infra/pg/pg_connection.hpp"
#include "jobs/store/job_stats.hpp"

namespace checkout {

namespace {

// "[a,b]" and "[c]" into "[a,b,c]"; either may be empty.
std::string MergeJsonArrays(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return a.substr(0, a.size() - 1) + "," + b.substr(1);
}

std::string HostName() {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    return name;
}

}  // namespace

FleetHeartbeat::FleetHeartbeat(std::string database_url, std::string process, std::string queue,
                               int metrics_port, std::function<ProcessReport()> report)
    : database_url_(std::move(database_url)),
      process_(std::move(process)),
      queue_(std::move(queue)),
      metrics_port_(metrics_port),
      report_(std::move(report)),
      thread_([this] { Loop(); }) {}

FleetHeartbeat::~FleetHeartbeat() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void FleetHeartbeat::Loop() {
    const std::string host = HostName();
    const std::string pid = std::to_string(getpid());
    std::unique_ptr<PgConnection> db;
    std::string stats;
    long long beats = 0;
    std::unique_lock lock(mu_);
    // One more beat after the stop: the jobs finished in the last 2 s are written too.
    for (bool last = false; !last;) {
        last = stop_;
        lock.unlock();
        try {
            if (!db || !db->healthy()) {
                db = std::make_unique<PgConnection>(database_url_);
                // A lost heartbeat is written again 2 s later: no reason to wait for the WAL flush.
                db->exec("SET synchronous_commit = off");
            }
            const ProcessReport r = report_();
            // The jobs finished since the last beat go in the same statement (one commit); if it
            // fails they are kept for the next one.
            stats = MergeJsonArrays(stats, TakeJobStatsJson());
            db->exec(
                "WITH s AS (INSERT INTO job_stats (host, pid, queue, type, finished, failed, dead, retried, "
                "run_buckets, latency_buckets) SELECT $1, $2::int, r.queue, r.type, r.finished, r.failed, "
                "r.dead, "
                "r.retried, r.run_buckets, r.latency_buckets FROM json_to_recordset($9::json) AS r(queue "
                "text, "
                "type text, finished int, failed int, dead int, retried int, run_buckets int[], "
                "latency_buckets "
                "int[])) "
                "INSERT INTO fleet_processes (host, pid, process, queue, metrics_port, started_at, "
                "jobs_done, "
                "in_flight, doing, updated_at) VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, '')::int, "
                "now(), "
                "$6, $7, $8, now()) ON CONFLICT (host, pid) DO UPDATE SET process = EXCLUDED.process, "
                "queue = EXCLUDED.queue, metrics_port = EXCLUDED.metrics_port, jobs_done = "
                "EXCLUDED.jobs_done, "
                "in_flight = EXCLUDED.in_flight, doing = EXCLUDED.doing, updated_at = now(), started_at = "
                "CASE "
                "WHEN fleet_processes.process = EXCLUDED.process THEN fleet_processes.started_at ELSE now() "
                "END",
                {host, pid, process_, queue_,
                 metrics_port_ > 0 ? std::to_string(metrics_port_) : std::string(),
                 std::to_string(r.jobs_done), std::to_string(r.in_flight), r.doing,
                 stats.empty() ? "[]" : stats});
            stats.clear();
            // job_stats keeps 15 minutes (the widest window is 5); any process may prune it.
            if (++beats % 30 == 0) db->exec("DELETE FROM job_stats WHERE at < now() - interval '15 minutes'");
        } catch (const std::exception& e) {
            spdlog::debug("heartbeat not written: {}", e.what());
            db.reset();
        }
        lock.lock();
        if (!last) wake_.wait_for(lock, std::chrono::seconds(2), [this] { return stop_; });
    }
    lock.unlock();
    try {
        if (db) db->exec("DELETE FROM fleet_processes WHERE host = $1 AND pid = $2", {host, pid});
    } catch (const std::exception&) {
        // The row ages out.
    }
}

}  // namespace checkout

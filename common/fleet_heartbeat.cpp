#include "common/fleet_heartbeat.hpp"

#include <unistd.h>

#include <memory>

#include "common/log.hpp"
#include "common/pg_connection.hpp"

namespace checkout {

namespace {

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
    std::unique_lock lock(mu_);
    while (!stop_) {
        lock.unlock();
        try {
            if (!db || !db->healthy()) {
                db = std::make_unique<PgConnection>(database_url_);
                // A lost heartbeat is written again 2 s later: no reason to wait for the WAL flush.
                db->exec("SET synchronous_commit = off");
            }
            const ProcessReport r = report_();
            db->exec(
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
                 std::to_string(r.jobs_done), std::to_string(r.in_flight), r.doing});
        } catch (const std::exception& e) {
            spdlog::debug("heartbeat not written: {}", e.what());
            db.reset();
        }
        lock.lock();
        wake_.wait_for(lock, std::chrono::seconds(2), [this] { return stop_; });
    }
    lock.unlock();
    try {
        if (db) db->exec("DELETE FROM fleet_processes WHERE host = $1 AND pid = $2", {host, pid});
    } catch (const std::exception&) {
        // The row ages out.
    }
}

}  // namespace checkout

#pragma once
// Windowed job figures without sorting the jobs table. Each process counts the jobs it finishes
// (succeeded, failed, dead) by queue and type, with their run time and enqueue-to-finish time in log
// buckets (log_buckets.hpp), and its heartbeat (fleet_heartbeat.hpp) writes what it counted every 2 s
// as rows of job_stats (migration 010). GET /ops/kpis and the gates add up the rows of their window:
// the cost depends on the number of processes and job types, not on the size of the jobs table (which
// was a sort of every job of the last 5 minutes: a second at 150,000 jobs).
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "infra/pg/pg_connection.hpp"
#include "jobs/store/job_outcome.hpp"
#include "jobs/store/log_buckets.hpp"

namespace checkout {

// In this process: a job reached its final state. `created_at` as the envelope carries it (ISO 8601
// UTC); `attempts` > 1 counts it as retried.
void RecordFinishedJob(const std::string& queue, const std::string& type, JobOutcome outcome,
                       double run_seconds, const std::string& created_at, int attempts);

// What was recorded since the last call, as a JSON array for json_to_recordset (the heartbeat's
// insert); empty when nothing was.
std::string TakeJobStatsJson();

// The figures of one queue, or one queue and type, over a window.
struct JobFigures {
    long long finished = 0, failed = 0, dead = 0, retried = 0;
    LogBucketCounts run{}, latency{};
};
using FiguresByKey = std::map<std::pair<std::string, std::string>, JobFigures>;  // (queue, type)

// Every (queue, type) over the last `window_s` seconds, from job_stats.
FiguresByKey ReadJobStats(PgConnection& conn, int window_s);

}  // namespace checkout

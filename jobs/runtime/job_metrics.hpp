#pragma once
// The job figures a worker process serves on its own /metrics (common/metrics_server.hpp):
//
//   checkout_jobs_started_total{queue,type}            attempts begun (a duplicate delivery is not one)
//   checkout_jobs_finished_total{queue,type,outcome}   succeeded | failed | retry | dead | requeued |
//                                                      duplicate (a delivery of a job already finished)
//   checkout_job_handler_duration_seconds{queue,type}  from the attempt's start to its outcome
//   checkout_job_queue_wait_seconds{queue,type}        from enqueue (a retry: from when it fell due)
//                                                      to the attempt's start
//   checkout_job_retries_total / checkout_job_dead_letters_total{queue,type}
//
// "succeeded" and "failed" are counted after their commit, so over a run they equal the rows the
// jobs table gained in those states (tests/system/test_prometheus.py holds them to that).
#include <string>

#include "jobs/store/job_outcome.hpp"

namespace checkout {

// `enqueued_at` as the envelope carries it ("2026-12-02T16:18:37.123Z"); empty or unreadable: not
// observed.
void CountJobStarted(const std::string& queue, const std::string& type, const std::string& enqueued_at);
// `body` is the message: a final outcome (succeeded, failed, dead) is also recorded for the fleet's
// windowed KPIs (common/ops/job_stats.hpp), with the job's creation time and attempt from it.
void CountJobFinished(const std::string& queue, const std::string& type, JobOutcome outcome,
                      double handler_seconds, const std::string& body);

// Every job finished by this process, whatever its outcome except duplicates (for --status and the
// fleet's process list).
long long JobsDone();

}  // namespace checkout

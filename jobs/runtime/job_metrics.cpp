#include "jobs/runtime/job_metrics.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "infra/core/metrics.hpp"
#include "jobs/store/job_stats.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

namespace {

std::atomic<long long> g_done{0};

std::string JobLabels(const std::string& queue, const std::string& type) {
    return Label("queue", queue) + "," + Label("type", type.empty() ? "unknown" : type);
}

}  // namespace

void CountJobStarted(const std::string& queue, const std::string& type, const std::string& enqueued_at) {
    auto& m = ProcessMetrics();
    const auto labels = JobLabels(queue, type);
    m.Counter("checkout_jobs_started_total", "Job attempts this process began.", labels)
        .fetch_add(1, std::memory_order_relaxed);
    const double at = EnvelopeTimeSeconds(enqueued_at);
    if (at < 0) return;
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    m.Histo("checkout_job_queue_wait_seconds",
            "From a job's enqueue (a retry's due time) to its attempt's start.", labels)
        .Observe(now > at ? now - at : 0);
}

void CountJobFinished(const std::string& queue, const std::string& type, JobOutcome outcome,
                      double handler_seconds, const std::string& body) {
    if (IsFinal(outcome)) {
        const auto job = ParseEnvelope(body);
        RecordFinishedJob(queue, type.empty() ? "unknown" : type, outcome, handler_seconds,
                          job ? job->created_at : "", job ? job->attempt : 1);
    }
    auto& m = ProcessMetrics();
    const auto labels = JobLabels(queue, type);
    m.Counter("checkout_jobs_finished_total", "Job attempts this process ended, by outcome.",
              labels + "," + Label("outcome", std::string(OutcomeName(outcome))))
        .fetch_add(1, std::memory_order_relaxed);
    if (outcome == JobOutcome::kDuplicate) return;
    g_done.fetch_add(1, std::memory_order_relaxed);
    if (outcome == JobOutcome::kRequeued) return;
    m.Histo("checkout_job_handler_duration_seconds", "From an attempt's start to its outcome.", labels)
        .Observe(handler_seconds);
    if (outcome == JobOutcome::kRetry)
        m.Counter("checkout_job_retries_total", "Failed attempts this process scheduled to run again.",
                  labels)
            .fetch_add(1, std::memory_order_relaxed);
    if (outcome == JobOutcome::kDead)
        m.Counter("checkout_job_dead_letters_total", "Jobs this process sent to their dead-letter queue.",
                  labels)
            .fetch_add(1, std::memory_order_relaxed);
}

long long JobsDone() { return g_done.load(std::memory_order_relaxed); }

}  // namespace checkout

#pragma once
// Jobs as stored in PostgreSQL (DESIGN 4) and their messages. A job is created in the caller's
// transaction, so that the business row and the job commit together; the job row is its own outbox
// entry (the relay publishes every committed job, in transaction order: migration 007).
#include <optional>
#include <string>
#include <vector>

#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"
#include "jobs/store/job_outcome.hpp"

namespace checkout {

struct Job {
    std::string id;
    std::string type;
    std::string queue;
    std::string payload_json;
    int attempt = 1;
    std::string enqueued_at;  // when this attempt was enqueued (a retry: when it falls due)
    std::string created_at;   // when the job was created; empty: enqueued_at (a first attempt)
};

// The message body: {id, type, queue, payload, attempt, enqueued_at, created_at (retries only)}.
std::string EnvelopeJson(const Job& job);
// Parses a message body; nullopt when it is not a well-formed envelope (a poison message).
std::optional<Job> ParseEnvelope(const std::string& body);
// Seconds since the epoch of an envelope's time ("2026-12-02T16:18:37.123Z"); negative when unreadable.
double EnvelopeTimeSeconds(const std::string& iso);

// Enqueueing as SQL: the job row (state queued), as a CTE named j that uses parameters $1..$4 (from
// JobInsertParams). Callers may add CTEs of their own with $5 and up, and must end with
// "SELECT pg_notify('outbox', '')" so that the relay wakes at commit.
inline constexpr const char* kInsertJobCtes =
    "j AS (INSERT INTO jobs (id, type, queue, state, payload) VALUES ($1, $2, $3, 'queued', $4::jsonb))";
Job NewJob(const QueuesConfig& cfg, const std::string& job_id, const std::string& type,
           const std::string& payload_json);
std::vector<PgParam> JobInsertParams(const Job& job);

// Inserts the job in the caller's transaction; the relay wakes at commit and publishes it.
Job InsertJob(PgTransaction& tx, const QueuesConfig& cfg, const std::string& job_id, const std::string& type,
              const std::string& payload_json);

struct JobView {
    std::string id, type, queue, state;
    int attempts = 0;
    std::optional<std::string> next_attempt_at, last_error, created_at, finished_at;
};
// The columns of a JobView, for queries that read a job alongside other rows (prefix: the alias).
std::string JobColumns(const std::string& alias);
JobView JobViewFromRow(const PgResult& r, int row, int first_column);
// The job of a row (an order, a payment) read with JobColumns from `first_column`, the row's own
// job_id at `job_id_column`. A job older than JOB_RETENTION is gone (migration 015) while its row
// stays: then only its id is known, and it shows as "job": null.
struct RowJob {
    JobView view;
    bool kept = false;
    std::string Json() const;  // JobViewJson (for the buyer), or null
};
RowJob RowJobAt(const PgResult& r, int row, int first_column, int job_id_column);
std::optional<JobView> LoadJob(PgConnection& conn, const std::string& job_id);
// Who reads a job: an admin sees last_error as recorded ("CODE: detail", which may hold database or
// gateway text); a buyer sees its stable code and a fixed message for it (BuyerJobError).
enum class JobAudience { kBuyer, kAdmin };
// Writes the view as a JSON object (the shape of GET /api/v1/jobs/{id}).
std::string JobViewJson(const JobView& v, JobAudience audience = JobAudience::kBuyer);
// "CODE: detail" as a buyer may see it: "CODE: <the code's fixed message>"; a code that is not one of
// ours (no "UPPER_CASE:" prefix) becomes INTERNAL.
std::string BuyerJobError(std::string_view last_error);

// Worker-side transitions, all inside the caller's transaction.
// Counts a new attempt and marks the job running; returns the attempt number. nullopt when the job
// is already final (succeeded, failed, dead) or unknown: the delivery is a duplicate.
std::optional<int> StartAttempt(PgTransaction& tx, const std::string& job_id);
// The same for a job whose whole attempt is this one transaction (a transactional handler): reads
// the attempt number without writing or locking the row. Nobody could see `running` before its
// commit anyway, and the commit writes the attempt with the final state (MarkFinished*), so the row
// is written once per attempt. Two deliveries of one job may then run side by side: the handler's
// own row locks order their effects (handlers are idempotent), and the final state is written only
// while the job is unfinished, so the second finds it done and changes nothing.
std::optional<int> PeekAttempt(PgTransaction& tx, const std::string& job_id);
// `outcome` is final (IsFinal). `attempts` is the attempt that ended; it is written again because a failed
// attempt's own transaction (where StartAttempt counted it) was rolled back. Only an unfinished job is
// changed.
void MarkFinished(PgTransaction& tx, const std::string& job_id, JobOutcome outcome,
                  const std::optional<std::string>& error, int attempts);
// MarkFinished and COMMIT in one round trip: the handler's row locks are released sooner.
// `run_ms` is how long the handler ran (for the duration histogram of GET /metrics).
void MarkFinishedAndCommit(PgTransaction& tx, const std::string& job_id, JobOutcome outcome,
                           const std::optional<std::string>& error, int attempts, long long run_ms);
// Records a failed attempt and schedules the next one through the outbox, `delay` from now.
void ScheduleRetry(PgTransaction& tx, const QueueConfig& q, const Job& job, int failed_attempt, Millis delay,
                   const std::string& error);

}  // namespace checkout

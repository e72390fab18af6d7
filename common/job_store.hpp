#pragma once
// Jobs as stored in PostgreSQL (DESIGN 4) and their messages. A job is created together with its
// outbox row, in the caller's transaction, so that the business row and the job commit together.
#include <optional>
#include <string>

#include "common/config.hpp"
#include "common/pg_connection.hpp"

namespace checkout {

enum class JobState { kQueued, kRunning, kRetrying, kSucceeded, kFailed, kDead };
std::string_view StateName(JobState s);

struct Job {
    std::string id;
    std::string type;
    std::string queue;
    std::string payload_json;
    int attempt = 1;
    std::string enqueued_at;
};

// The message body: {id, type, queue, payload, attempt, enqueued_at}.
std::string EnvelopeJson(const Job& job);
// Parses a message body; nullopt when it is not a well-formed envelope (a poison message).
std::optional<Job> ParseEnvelope(const std::string& body);

// Inserts the job (state queued) and its outbox row, and wakes the relay at commit.
Job InsertJob(PgTransaction& tx, const QueuesConfig& cfg, const std::string& job_id, const std::string& type,
              const std::string& payload_json);

struct JobView {
    std::string id, type, queue, state;
    int attempts = 0;
    std::optional<std::string> next_attempt_at, last_error, created_at, finished_at;
};
std::optional<JobView> LoadJob(PgConnection& conn, const std::string& job_id);
// Writes the view as a JSON object (the shape of GET /api/v1/jobs/{id}).
std::string JobViewJson(const JobView& v);

// Worker-side transitions.
// Marks the job running and counts the attempt. nullopt when the job is already final (succeeded,
// failed, dead) or unknown: the delivery is a duplicate and must change nothing.
std::optional<int> MarkRunning(PgConnection& conn, const std::string& job_id);
void MarkFinished(PgTransaction& tx, const std::string& job_id, JobState state, const std::optional<std::string>& error);
// Schedules the next attempt through the outbox, `delay` from now.
void ScheduleRetry(PgTransaction& tx, const QueueConfig& q, const Job& job, int next_attempt, Millis delay,
                   const std::string& error);

}  // namespace checkout

#pragma once
// Dead letters (DESIGN 4): jobs whose retries ran out, whose message was malformed, or that killed
// their worker `delivery_limit` times. The jobs table is where they are kept, listed and replayed;
// the RabbitMQ dead-letter queues are the path by which poison messages reach it (see
// workers/dead_letters/keeper.cpp). Shared by the ops endpoints and the checkout-ops tool.
#include <optional>
#include <string>
#include <vector>

#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

struct DeadLetter {
    JobView job;
    std::string payload_json;
};

// Newest first; `queue` empty = every queue.
std::vector<DeadLetter> ListDeadLetters(PgConnection& conn, const std::string& queue, int limit);
std::string DeadLettersJson(const std::vector<DeadLetter>& list);

// Puts dead jobs back on their queue with attempts reset (one job, or every dead job of `queue` when
// `job_id` is empty). Returns the ids replayed. Effects stay at-most-once because handlers are
// idempotent.
std::vector<std::string> ReplayDeadLetters(PgConnection& conn, const QueuesConfig& cfg,
                                           const std::string& queue,
                                           const std::optional<std::string>& job_id);

// Records that a job's message reached its dead-letter queue. Jobs already final (succeeded,
// failed, dead) keep their state. Returns true when the job changed.
bool MarkDeadLettered(PgConnection& conn, const std::string& job_id, const std::string& reason);

}  // namespace checkout

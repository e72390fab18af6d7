#pragma once
// The worker contract, for every queue (DESIGN 4 and 5):
//
//   * A handler runs inside a PostgreSQL transaction opened for it. Returning commits the effect
//     together with the job's final state, and only then is the message acked.
//   * Returning Outcome::Failed is a final business outcome (e.g. INSUFFICIENT_STOCK): the handler
//     writes what that means in the same transaction; the job ends `failed`; no retry.
//   * Throwing AppError with a retryable code (or PgError that is transient, or anything unexpected)
//     rolls back; the next attempt is scheduled through the outbox after the queue's backoff, and
//     the message is acked (no worker thread or unacked message waits out the delay). Past
//     max_retries the job ends `dead` and the message goes to the queue's dead-letter queue.
//   * Throwing AppError with a final code ends the job `failed` at once.
//   * If the commit itself is in doubt (connection lost during COMMIT), the message is requeued:
//     delivery is at-least-once and handlers are idempotent, so running it again is safe.
//
// Handlers therefore must be idempotent: guard every effect with state read under lock in the same
// transaction (e.g. "order is still pending").
#include <functional>
#include <map>
#include <string>

#include "common/job_store.hpp"
#include "common/pg_connection.hpp"

namespace checkout {

struct Outcome {
    bool succeeded = true;
    std::string code;     // stable code of a business failure
    std::string message;  // human-readable detail, stored as the job's last_error

    static Outcome Succeeded() { return {}; }
    static Outcome Failed(std::string code, std::string message) { return {false, std::move(code), std::move(message)}; }
};

using JobHandler = std::function<Outcome(PgTransaction& tx, const Job& job)>;
using HandlerRegistry = std::map<std::string, JobHandler>;

// Runs the worker for `queue_name` until SIGTERM/SIGINT, then drains. Returns the exit code.
int RunWorker(const std::string& queue_name, const HandlerRegistry& handlers);

}  // namespace checkout

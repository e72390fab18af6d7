#pragma once
// Runs one delivered message against PostgreSQL under the contract of worker_runtime.hpp and says
// what to do with the message. A job runs as steps (a transactional handler is a job of one step):
// each step in its own short transaction, and an external job's HTTP call between two steps is left
// to the caller, so that no transaction is open while it runs. Knows nothing of AMQP or of how the
// call is made, so it is tested with a real database alone.
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "infra/core/config.hpp"
#include "jobs/runtime/job_metrics.hpp"
#include "jobs/runtime/worker_runtime.hpp"

namespace checkout {

enum class Settlement {
    kAck,         // outcome committed (or a duplicate of a finished job): remove the message
    kRequeue,     // outcome unknown or bookkeeping impossible now: deliver again
    kDeadLetter,  // poison or retries exhausted: to the dead-letter queue
};

struct ExecutionResult {
    Settlement settlement = Settlement::kAck;
    std::string job_id;
    std::string summary;                          // for the log line
    JobOutcome outcome = JobOutcome::kSucceeded;  // for the process's /metrics (job_metrics.hpp)
    std::string type;                             // the job's type; empty when the message is not a job
    double seconds = -1;                          // its handler's run, when run in a batch
};

// Transactional handlers as external ones whose first step is the whole job (one code path runs both).
ExternalRegistry InTransaction(const HandlerRegistry& handlers, const BatchPrologues& prologues = {});

// Runs a job with a transactional handler to its settlement (BeginExternalJob on InTransaction).
ExecutionResult ExecuteJob(PgConnection& conn, const QueueConfig& queue, const HandlerRegistry& handlers,
                           const std::string& body);

// Runs several jobs of transactional handlers in one transaction, for a busy queue: one round trip
// reads their attempts, one writes their outcomes and commits. Returns their settlements in order,
// or nullopt when the batch cannot be settled together (a message is malformed or not for a
// transactional handler, a handler throws, or the commit fails): nothing of it is committed then,
// and the caller runs each job alone, so that a failure counts against its own job only.
std::optional<std::vector<ExecutionResult>> ExecuteBatch(PgConnection& conn, const ExternalRegistry& handlers,
                                                         const std::vector<std::string>& bodies);

// Records a failed attempt: `failed` (final), a retry through the outbox after the queue's backoff,
// or `dead` past max_retries.
ExecutionResult RecordFailure(PgConnection& conn, const QueueConfig& queue, const Job& job, int attempts,
                              bool retryable, const std::string& error);

// Settles an attempt that threw (its transaction rolled back): AppError by its code's disposition,
// a transient PgError as retryable, a lost connection as in doubt (delivered again).
ExecutionResult SettleFailure(PgConnection& conn, const QueueConfig& queue, const Job& job, int attempts,
                              const std::exception_ptr& failure);

// For a message delivered again after its worker died or lost its broker connection (it may be the
// poison that killed it): counts this run in jobs.crashes, in a commit of its own before the handler
// starts, so that the count survives the next crash. Once a job has started delivery_limit such runs
// without reaching an outcome, it is dead and its message goes to the dead-letter queue; otherwise
// nullopt, and the job runs as usual. A malformed, unknown or finished job is left to the usual path.
std::optional<ExecutionResult> CountRedeliveredRun(PgConnection& conn, const QueueConfig& queue,
                                                   const std::string& body);

// For a handler abandoned past its queue's time limit (its database backend already terminated):
// counts the attempt and records it as a retryable TIME_LIMIT_EXCEEDED failure.
ExecutionResult AbandonJob(PgConnection& conn, const QueueConfig& queue, const std::string& body);

// A job waiting for the answer to `call`.
struct PendingCall {
    Job job;
    int attempts = 0;
    HttpCall call;
    std::chrono::steady_clock::time_point started;
};

// Either the message is settled, or a call must be made and its answer passed to ContinueExternalJob.
struct ExternalProgress {
    std::optional<ExecutionResult> settled;
    std::optional<PendingCall> pending;
};

ExternalProgress BeginExternalJob(PgConnection& conn, const QueueConfig& queue,
                                  const ExternalRegistry& handlers, const std::string& body);
ExternalProgress ContinueExternalJob(PgConnection& conn, const QueueConfig& queue,
                                     const ExternalRegistry& handlers, PendingCall pending,
                                     const HttpResponse& response);

}  // namespace checkout

#pragma once
// Runs the steps of an external job (worker_runtime.hpp: ExternalHandler) against PostgreSQL:
// each step in its own short transaction, the HTTP call between steps left to the caller, so that
// no transaction is open while it runs. Knows nothing of AMQP or of how the call is made.
#include <chrono>
#include <optional>
#include <string>

#include "workers/runtime/job_executor.hpp"

namespace checkout {

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

ExternalProgress BeginExternalJob(PgConnection& conn, const QueueConfig& queue, const ExternalRegistry& handlers,
                                  const std::string& body);
ExternalProgress ContinueExternalJob(PgConnection& conn, const QueueConfig& queue, const ExternalRegistry& handlers,
                                     PendingCall pending, const HttpResponse& response);

}  // namespace checkout

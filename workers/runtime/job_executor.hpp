#pragma once
// Runs one delivered message against PostgreSQL under the contract of worker_runtime.hpp and says
// what to do with the message. Knows nothing of AMQP, so it is tested with a real database alone.
#include <string>

#include "common/config.hpp"
#include "workers/runtime/worker_runtime.hpp"

namespace checkout {

enum class Settlement {
    kAck,         // outcome committed (or a duplicate of a finished job): remove the message
    kRequeue,     // outcome unknown or bookkeeping impossible now: deliver again
    kDeadLetter,  // poison or retries exhausted: to the dead-letter queue
};

struct ExecutionResult {
    Settlement settlement = Settlement::kAck;
    std::string job_id;
    std::string summary;  // for the log line
};

ExecutionResult ExecuteJob(PgConnection& conn, const QueueConfig& queue, const HandlerRegistry& handlers,
                           const std::string& body);

}  // namespace checkout

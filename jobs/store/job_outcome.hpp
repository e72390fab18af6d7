#pragma once
// How one run of a job ends: the one enum for it, from the handler's return to the jobs table, the
// process's /metrics and the fleet's KPIs. (What happens to the AMQP message that carried the run,
// ack, requeue or dead-letter, is the runtime's Settlement: several outcomes share one.)
#include <string_view>

namespace checkout {

enum class JobOutcome {
    kSucceeded,  // final: the handler's effects committed
    kFailed,     // final: a failure that retrying cannot fix
    kDead,       // final: retries exhausted, or a poison message
    kRetry,      // a later attempt is scheduled
    kRequeued,   // the run's outcome is unknown (lost connection, drain): its message is delivered again
    kDuplicate,  // a delivery of a job already finished: nothing ran
};

// Succeeded, failed or dead: the job will not run again.
constexpr bool IsFinal(JobOutcome o) {
    return o == JobOutcome::kSucceeded || o == JobOutcome::kFailed || o == JobOutcome::kDead;
}
// The metrics label ("succeeded", "failed", "dead", "retry", "requeued", "duplicate"); a final
// outcome's name is also the state the jobs table records.
std::string_view OutcomeName(JobOutcome o);

}  // namespace checkout

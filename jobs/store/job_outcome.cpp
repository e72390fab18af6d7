#include "jobs/store/job_outcome.hpp"

namespace checkout {

std::string_view OutcomeName(JobOutcome o) {
    switch (o) {
        case JobOutcome::kSucceeded:
            return "succeeded";
        case JobOutcome::kFailed:
            return "failed";
        case JobOutcome::kDead:
            return "dead";
        case JobOutcome::kRetry:
            return "retry";
        case JobOutcome::kRequeued:
            return "requeued";
        case JobOutcome::kDuplicate:
            return "duplicate";
    }
    return "failed";
}

}  // namespace checkout

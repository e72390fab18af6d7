#pragma once
// When a retryable failure runs again: min(cap, initial * multiplier^(attempt-1)), then scaled by a
// random factor in [1 - jitter, 1 + jitter] so that a burst of failures does not retry in lockstep.
#include <random>

#include "infra/core/config.hpp"

namespace checkout {

// `attempt` is the attempt that just failed (1 for the first run).
Millis BaseDelay(const BackoffPolicy& policy, int attempt);
// `unit` is a uniform random number in [0, 1].
Millis JitteredDelay(const BackoffPolicy& policy, int attempt, double unit);
Millis NextDelay(const BackoffPolicy& policy, int attempt);

}  // namespace checkout

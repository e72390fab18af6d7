#pragma once
// How long to wait before trying a dependency again (PostgreSQL, RabbitMQ) after it failed: the
// queues' retry policy (retry_policy.hpp), 250 ms doubling to 5 s with ±20% jitter, so that a fleet
// that lost its broker at one moment does not reconnect in lockstep. One per reconnect loop.
#include "infra/core/retry_policy.hpp"

namespace checkout {

class ReconnectBackoff {
  public:
    explicit ReconnectBackoff(BackoffPolicy policy = {Millis(250), 2.0, Millis(5000), 0.2})
        : policy_(policy) {}
    // The wait before the next try; each call counts one more failure.
    Millis Next() { return NextDelay(policy_, ++failures_); }
    // The dependency answered: the next failure starts from the shortest wait again.
    void Reset() { failures_ = 0; }
    int failures() const { return failures_; }

  private:
    BackoffPolicy policy_;
    int failures_ = 0;
};

}  // namespace checkout

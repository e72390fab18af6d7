#pragma once
// How a process waits for a dependency (PostgreSQL, RabbitMQ) that failed, the one reconnect loop
// idiom: the queues' retry policy (retry_policy.hpp), 250 ms doubling to 5 s with ±20% jitter, so
// that a fleet that lost its broker at one moment does not reconnect in lockstep; and the wait ends
// at once when the process is asked to stop, so that SIGTERM is never slept through.
#include <atomic>
#include <exception>

#include "infra/core/retry_policy.hpp"

namespace checkout {

// Sleeps `d`, or less once `stop` is set (looked at every 20 ms). False when stopping.
bool SleepUnlessStopped(Millis d, const std::atomic<bool>& stop);

class ReconnectBackoff {
  public:
    explicit ReconnectBackoff(BackoffPolicy policy = {Millis(250), 2.0, Millis(5000), 0.2})
        : policy_(policy) {}
    // The wait before the next try; each call counts one more failure.
    Millis Next() { return NextDelay(policy_, ++failures_); }
    // The dependency answered: the next failure starts from the shortest wait again.
    void Reset() { failures_ = 0; }
    int failures() const { return failures_; }

    // After `peer` (e.g. "RabbitMQ") failed with `error`: logs both and the wait, then waits the next
    // delay unless `stop` is set meanwhile. False when stopping: the caller's loop ends.
    bool WaitAfter(const char* peer, const std::exception& error, const std::atomic<bool>& stop);

  private:
    BackoffPolicy policy_;
    int failures_ = 0;
};

}  // namespace checkout

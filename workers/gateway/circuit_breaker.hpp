#pragma once
// A circuit breaker per gateway host: after `failure_threshold` consecutive failures it opens and
// calls fail fast (no request leaves) for `open_for`; then one probe is let through (half-open):
// success closes it, failure opens it again. Thread-safe; time is passed in so tests control it.
#include <chrono>
#include <mutex>
#include <string>

namespace checkout {

class CircuitBreaker {
  public:
    using Clock = std::chrono::steady_clock;
    enum class State { kClosed, kOpen, kHalfOpen };

    CircuitBreaker(int failure_threshold, std::chrono::milliseconds open_for)
        : threshold_(failure_threshold), open_for_(open_for) {}

    bool Allow(Clock::time_point now);
    void RecordSuccess();
    void RecordFailure(Clock::time_point now);
    State state(Clock::time_point now);

  private:
    std::mutex mu_;
    int threshold_;
    std::chrono::milliseconds open_for_;
    int failures_ = 0;
    State state_ = State::kClosed;
    Clock::time_point opened_at_{};
    bool probe_in_flight_ = false;
};

std::string_view StateName(CircuitBreaker::State s);

}  // namespace checkout

#include "workers/gateway/circuit_breaker.hpp"

namespace checkout {

bool CircuitBreaker::Allow(Clock::time_point now) {
    std::lock_guard lock(mu_);
    if (state_ == State::kClosed) return true;
    if (state_ == State::kOpen && now - opened_at_ >= open_for_) {
        state_ = State::kHalfOpen;
        probe_in_flight_ = false;
    }
    if (state_ == State::kHalfOpen && !probe_in_flight_) {
        probe_in_flight_ = true;  // exactly one probe
        return true;
    }
    return false;
}

void CircuitBreaker::RecordSuccess() {
    std::lock_guard lock(mu_);
    failures_ = 0;
    state_ = State::kClosed;
    probe_in_flight_ = false;
}

void CircuitBreaker::RecordFailure(Clock::time_point now) {
    std::lock_guard lock(mu_);
    ++failures_;
    if (state_ == State::kHalfOpen || failures_ >= threshold_) {
        state_ = State::kOpen;
        opened_at_ = now;
        probe_in_flight_ = false;
    }
}

CircuitBreaker::State CircuitBreaker::state(Clock::time_point now) {
    std::lock_guard lock(mu_);
    if (state_ == State::kOpen && now - opened_at_ >= open_for_) return State::kHalfOpen;
    return state_;
}

std::string_view StateName(CircuitBreaker::State s) {
    switch (s) {
        case CircuitBreaker::State::kClosed:
            return "closed";
        case CircuitBreaker::State::kOpen:
            return "open";
        case CircuitBreaker::State::kHalfOpen:
            return "half_open";
    }
    return "closed";
}

}  // namespace checkout

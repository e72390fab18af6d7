#pragma once
// Handler slots and the watchdog that abandons a handler past its queue's time limit.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "infra/pg/pg_connection.hpp"
#include "jobs/runtime/dispatcher.hpp"
#include "jobs/runtime/run_gate.hpp"

namespace checkout {

// What one handler thread is doing, shared with the watchdog. A job is settled exactly once: by
// its thread when it finishes, or by the watchdog when it abandons it past the time limit
// (whichever moves `state` away from kRunning first).
struct Slot {
    using Clock = std::chrono::steady_clock;
    enum class State { kIdle, kRunning, kAbandoned };
    std::mutex mu;
    State state = State::kIdle;
    WorkItem item;
    std::vector<WorkItem> batch;  // the others committed with `item`, if it runs in a batch
    Clock::time_point started;
    // The queue's time limit for each job it runs: a batch of n jobs, run one after the other in one
    // transaction, may take n limits. (With one limit for the whole batch, eight innocent 300 ms jobs
    // under a 2 s limit were abandoned together, again and again, until they were dead.)
    int jobs = 1;
    int backend_pid = 0;
};

// Abandons handlers that ran past the queue's time limit (per job of a batch): their database backend is
// terminated (rolling back their transaction and releasing its locks), the attempt is recorded as a retryable
// failure, the message is settled, and a fresh thread takes the abandoned one's place.
class Watchdog {
  public:
    Watchdog(const std::string& db_url, const QueueConfig& queue) : db_url_(db_url), queue_(queue) {}
    // `replace` starts a thread for the fresh slot that takes an abandoned one's place.
    void Check(std::vector<std::shared_ptr<Slot>>& slots, Dispatcher& dispatcher, RunGate& gate,
               const std::function<void(std::shared_ptr<Slot>)>& replace);

  private:
    std::string db_url_;
    const QueueConfig& queue_;
    std::unique_ptr<PgConnection> db_;
};

}  // namespace checkout

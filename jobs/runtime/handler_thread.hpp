#pragma once
// The handler threads of a worker process: each takes work from the dispatcher and runs it against
// PostgreSQL (executor.hpp), under the run gate and the watchdog's eye.
#include <atomic>
#include <memory>
#include <string>

#include "infra/http_client/curl_multi.hpp"
#include "jobs/runtime/dispatcher.hpp"
#include "jobs/runtime/run_gate.hpp"
#include "jobs/runtime/watchdog.hpp"

namespace checkout {

// What a worker process runs; `http` only for queues whose jobs call out.
struct Handlers {
    const ExternalRegistry* steps = nullptr;
    bool calls_out = false;
    HttpMulti* http = nullptr;
};

// Fault injection for the crash tests (set only by workers/test_hooks): runs after a batch of jobs
// committed and before their messages are acked.
void SetAfterBatchCommitHook(void (*hook)());

// Runs work items until the dispatcher closes. A job that cannot be settled now (PostgreSQL does not
// answer, or a commit is in doubt) is held and run again here once the database answers, rather than
// handed back: every return to RabbitMQ counts as a delivery, and an outage of the database is not
// the job's fault. While its threads hold messages, a worker takes no more than its prefetch.
// `stop` (SIGTERM) ends a hold: the message is then handed back.
void HandlerThread(const std::string& db_url, const QueueConfig& queue, const Handlers& handlers,
                   Dispatcher& dispatcher, RunGate& gate, std::shared_ptr<Slot> slot,
                   const std::atomic<bool>& stop);

}  // namespace checkout

#pragma once
// Start-up of a worker process, in this order: SIGTERM and SIGINT blocked before any thread exists
// (so that only the thread that waits for them sees them), logging, the configuration loaded once.
// A binary that needs more threads of its own (the breaker report) starts them after this.
#include <signal.h>

#include <atomic>
#include <memory>
#include <string>

#include "infra/core/config.hpp"
#include "infra/metrics_server/metrics_server.hpp"

namespace checkout {

struct WorkerProcess {
    std::string queue_name;
    sigset_t signals;
    Environment env;
    QueuesConfig cfg;
    std::atomic<bool> stop{false};           // set on SIGTERM/SIGINT: drain
    std::unique_ptr<MetricsServer> metrics;  // this process's GET /metrics (METRICS_PORT)
};

// `needs` beyond the database and the broker (e.g. the gateway). Starts the process's /metrics
// listener. nullptr after printing a configuration error naming the setting; the caller exits 2.
std::unique_ptr<WorkerProcess> StartWorkerProcess(const std::string& queue_name, EnvNeeds needs = {});

// Starts the thread that turns SIGTERM/SIGINT into `stop` (once the worker is ready to drain).
void WatchSignals(WorkerProcess& process);

}  // namespace checkout

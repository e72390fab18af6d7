#pragma once
// Start-up of a worker process: the service's (infra/core/service.hpp: signals blocked before any
// thread, logging, the configuration loaded once), then a check that queues.yaml has its queue, and
// its own GET /metrics listener. A binary that needs more threads of its own (the breaker report)
// starts them after this.
#include <memory>
#include <string>

#include "infra/core/service.hpp"
#include "infra/metrics_server/metrics_server.hpp"

namespace checkout {

struct WorkerProcess : Service {
    std::string queue_name;
    std::unique_ptr<MetricsServer> metrics;  // this process's GET /metrics (METRICS_PORT)
};

// `needs` beyond the database and the broker (e.g. the gateway). nullptr after printing a
// configuration error naming the setting; the caller exits 2.
std::unique_ptr<WorkerProcess> StartWorkerProcess(const std::string& queue_name, EnvNeeds needs = {});

}  // namespace checkout

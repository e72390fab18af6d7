#include "jobs/runtime/worker_process.hpp"

#include <algorithm>
#include <iostream>
#include <thread>

#include "infra/core/log.hpp"
#include "infra/core/process.hpp"

namespace checkout {

std::unique_ptr<WorkerProcess> StartWorkerProcess(const std::string& queue_name, EnvNeeds needs) {
    auto p = std::make_unique<WorkerProcess>();
    p->signals = BlockTerminationSignals();
    p->queue_name = queue_name;
    InitLogging("worker-" + queue_name);
    needs.database = needs.amqp = true;
    if (!LoadServiceConfig(needs, p->env, p->cfg)) return nullptr;
    if (std::none_of(p->cfg.queues.begin(), p->cfg.queues.end(),
                     [&](const QueueConfig& q) { return q.name == queue_name; })) {
        std::cerr << "configuration error: queues." << queue_name << ": no such queue in "
                  << p->env.queues_file << "\n";
        return nullptr;
    }
    try {
        p->metrics = MetricsServer::Start(p->env);
    } catch (const std::exception& e) {
        std::cerr << "configuration error: " << e.what() << "\n";
        return nullptr;
    }
    return p;
}

void WatchSignals(WorkerProcess& process) {
    std::thread([&process] {
        int sig = 0;
        sigwait(&process.signals, &sig);
        spdlog::info("signal {}: draining", sig);
        process.stop = true;
    }).detach();
}

}  // namespace checkout

#include "jobs/runtime/worker_process.hpp"

namespace checkout {

std::unique_ptr<WorkerProcess> StartWorkerProcess(const std::string& queue_name, EnvNeeds needs) {
    auto p = std::make_unique<WorkerProcess>();
    p->queue_name = queue_name;
    needs.database = needs.amqp = true;
    if (!StartService(*p, "worker-" + queue_name, needs)) return nullptr;
    if (!ReportConfigError([&] {
            if (!p->queues.FindQueue(queue_name))
                throw ConfigError("queues." + queue_name, "no such queue in " + p->env.queues_file);
            p->metrics = MetricsServer::Start(p->env);
        }))
        return nullptr;
    return p;
}

}  // namespace checkout

#include "jobs/runtime/worker_runtime.hpp"

#include <iostream>

#include "infra/http_client/curl_multi.hpp"
#include "jobs/runtime/consumer.hpp"
#include "jobs/runtime/executor.hpp"

namespace checkout {

namespace {

int Run(WorkerProcess& process, const ExternalRegistry& steps, bool calls_out) {
    const QueueConfig& queue = process.queues.Queue(process.queue_name);
    for (const auto& [type, _] : steps)
        if (&process.queues.QueueForJobType(type) != &queue) {
            std::cerr << "configuration error: job_types: " << type << " is not routed to " << queue.name
                      << "\n";
            return 2;
        }
    return Consume(process, queue, Handlers{&steps, calls_out, nullptr});
}

}  // namespace

int RunWorker(WorkerProcess& process, const HandlerRegistry& handlers, const BatchPrologues& prologues) {
    const ExternalRegistry steps = InTransaction(handlers, prologues);
    return Run(process, steps, false);
}

int RunExternalWorker(WorkerProcess& process, const ExternalRegistry& handlers) {
    return Run(process, handlers, true);
}

int RunWorker(const std::string& queue_name, const HandlerRegistry& handlers,
              const BatchPrologues& prologues) {
    auto process = StartWorkerProcess(queue_name);
    return process ? RunWorker(*process, handlers, prologues) : 2;
}

}  // namespace checkout

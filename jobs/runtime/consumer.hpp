#pragma once
// The AMQP loop of a worker process: the one thread that owns the broker connection. It consumes
// the queue, hands deliveries to the handler threads through the dispatcher, acks or rejects what
// they settled, runs the watchdog, reconnects after a broker failure and drains on SIGTERM.
#include "jobs/runtime/handler_thread.hpp"
#include "jobs/runtime/worker_process.hpp"

namespace checkout {

// Runs until SIGTERM/SIGINT, then drains. Returns the exit code.
int Consume(WorkerProcess& process, const QueueConfig& queue, Handlers handlers);

}  // namespace checkout

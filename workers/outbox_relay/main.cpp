// outbox-relay: publishes the transactional outbox to RabbitMQ (see relay.hpp).
#include <signal.h>

#include <iostream>
#include <thread>

#include "common/log.hpp"
#include "common/process.hpp"
#include "workers/outbox_relay/relay.hpp"

int main() {
    using namespace checkout;
    sigset_t signals = BlockTerminationSignals();
    InitLogging("outbox-relay");
    Environment env;
    QueuesConfig cfg;
    if (!LoadServiceConfig({.database = true, .amqp = true, .jwt = false}, env, cfg)) return 2;
    std::atomic<bool> stop{false};
    RelayStats stats;
    std::thread worker([&] { RunRelay(env, cfg, stop, stats); });
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: stopping after the current batch", sig);
    stop = true;
    worker.join();
    spdlog::info("stopped; published {} messages", stats.published.load());
    return 0;
}

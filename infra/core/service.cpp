#include "infra/core/service.hpp"

#include <thread>

#include "infra/core/log.hpp"

namespace checkout {

namespace {

// SIGTERM and SIGINT blocked in this thread and every thread started after it (they inherit the
// mask), so that one sigwait() sees them; SIGPIPE ignored (rabbitmq-c SSL sockets and closed HTTP
// peers would otherwise kill the process).
sigset_t BlockTerminationSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return signals;
}

}  // namespace

bool StartService(Service& s, const std::string& name, EnvNeeds needs) {
    s.signals = BlockTerminationSignals();  // first: before anything starts a thread
    s.name = name;
    InitLogging(name);
    return LoadServiceConfig(needs, s.env, s.queues);
}

std::unique_ptr<Service> StartService(const std::string& name, EnvNeeds needs) {
    auto s = std::make_unique<Service>();
    return StartService(*s, name, needs) ? std::move(s) : nullptr;
}

int Service::WaitForSignal() {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: stopping", sig);
    stop = true;
    return sig;
}

void Service::StopOnSignal() {
    std::thread([this] { WaitForSignal(); }).detach();
}

}  // namespace checkout

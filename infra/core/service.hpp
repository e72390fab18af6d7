#pragma once
// Start-up of every long-running program (the API, each worker, the relay, the keeper, the
// scheduler), in the order that matters: SIGTERM and SIGINT blocked before any thread exists (threads
// inherit the mask, so only the one that waits sees them; SIGPIPE ignored), logging, the
// configuration loaded once. Then the program either waits for a signal on its main thread, or lets
// a thread turn the signal into `stop` while its main thread works.
#include <signal.h>

#include <atomic>
#include <memory>
#include <string>

#include "infra/core/config.hpp"

namespace checkout {

struct Service {
    std::string name;
    Environment env;
    QueuesConfig queues;
    std::atomic<bool> stop{false};  // set by the first SIGTERM/SIGINT

    // Blocks until SIGTERM or SIGINT; sets `stop` and returns the signal.
    int WaitForSignal();
    // Starts the thread that waits for the signal, for a program whose main thread loops on `stop`.
    void StopOnSignal();

    sigset_t signals;
};

// `name` is the process name in the logs. False (nullptr) after printing a configuration error naming
// the setting ("configuration error: SETTING: problem" on stderr); main() then exits 2.
bool StartService(Service& service, const std::string& name, EnvNeeds needs);
std::unique_ptr<Service> StartService(const std::string& name, EnvNeeds needs);

}  // namespace checkout

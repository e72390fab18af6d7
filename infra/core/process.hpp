#pragma once
// Process-level setup shared by every binary.
#include <signal.h>

namespace checkout {

// Blocks SIGTERM and SIGINT in this thread and every thread started after it (they inherit the
// mask), so that one sigwait() sees them; ignores SIGPIPE (rabbitmq-c SSL sockets and closed HTTP
// peers would otherwise kill the process). Call first thing in main().
inline sigset_t BlockTerminationSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return signals;
}

}  // namespace checkout

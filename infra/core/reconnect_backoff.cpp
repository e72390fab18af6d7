#include "infra/core/reconnect_backoff.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "infra/core/log.hpp"

namespace checkout {

bool SleepUnlessStopped(Millis d, const std::atomic<bool>& stop) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop) {
        const auto left = until - std::chrono::steady_clock::now();
        if (left <= Millis(0)) return true;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, Millis(20)));
    }
    return false;
}

bool ReconnectBackoff::WaitAfter(const char* peer, const std::exception& error,
                                 const std::atomic<bool>& stop) {
    const Millis wait = Next();
    spdlog::warn("{} unavailable ({}); retrying in {}ms", peer, error.what(), wait.count());
    return SleepUnlessStopped(wait, stop);
}

}  // namespace checkout

// worker-points: consumes the points queue.
#include "workers/points/handler.hpp"
#include "workers/runtime/worker_process.hpp"

int main() {
    using namespace checkout;
    auto process = StartWorkerProcess("points", {.points = true});
    if (!process) return 2;
    return RunWorker(*process, {{"points.earn", EarnPointsHandler(process->env)}});
}

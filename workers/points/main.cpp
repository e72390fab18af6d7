// worker-points: consumes the points queue.
#include "jobs/runtime/worker_process.hpp"
#include "workers/points/handler.hpp"

int main() {
    using namespace checkout;
    auto process = StartWorkerProcess("points");
    PointSettings points;
    if (!process || !ReportConfigError([&] { points = LoadPointSettings(); })) return 2;
    return RunWorker(*process, {{"points.earn", EarnPointsHandler(points)}});
}

// worker-points: consumes the points queue.
#include "workers/points/handler.hpp"

int main() { return checkout::RunWorker("points", {{"points.earn", checkout::EarnPoints}}); }

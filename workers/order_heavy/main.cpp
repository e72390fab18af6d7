// worker-order-heavy: consumes the order_heavy queue.
#include "workers/order_heavy/handler.hpp"

int main() { return checkout::RunWorker("order_heavy", {{"order.process", checkout::ProcessOrder}}); }

// worker-order-heavy: consumes the order_heavy queue.
#include "workers/order_heavy/handler.hpp"

int main() {
    using namespace checkout;
    return RunWorker("order_heavy", {{"order.process", ProcessOrder}}, {{"order.process", DecideOrderBatch}});
}

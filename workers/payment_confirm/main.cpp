// worker-payment-confirm: consumes the payment_confirm queue.
#include "common/payments/payment_transitions.hpp"
#include "workers/payment_confirm/handler.hpp"

int main() {
    using namespace checkout;
    Environment env;
    QueuesConfig cfg;
    if (!LoadServiceConfig({.database = true, .amqp = true, .jwt = false}, env, cfg)) return 2;
    return RunWorker("payment_confirm", {{kFinalizePaymentJob, FinalizePayment(cfg)}});
}

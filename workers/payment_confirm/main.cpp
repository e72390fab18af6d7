// worker-payment-confirm: consumes the payment_confirm queue.
#include "domain/payments/balance_payment.hpp"
#include "domain/payments/payment_transitions.hpp"
#include "jobs/runtime/worker_process.hpp"
#include "workers/payment_confirm/handler.hpp"

int main() {
    using namespace checkout;
    auto process = StartWorkerProcess("payment_confirm");
    if (!process) return 2;
    return RunWorker(*process, {{kFinalizePaymentJob, FinalizePayment(process->queues)},
                                {kBalancePaymentJob, SettleBalancePayment(process->queues)}});
}

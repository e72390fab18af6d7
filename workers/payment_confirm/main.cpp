// worker-payment-confirm: consumes the payment_confirm queue.
#include "common/payments/balance_payment.hpp"
#include "common/payments/payment_transitions.hpp"
#include "workers/payment_confirm/handler.hpp"
#include "workers/runtime/worker_process.hpp"

int main() {
    using namespace checkout;
    auto process = StartWorkerProcess("payment_confirm");
    if (!process) return 2;
    return RunWorker(*process, {{kFinalizePaymentJob, FinalizePayment(process->cfg)},
                                {kBalancePaymentJob, SettleBalancePayment(process->cfg)}});
}

// worker-external-api: consumes the external_api queue (gateway confirm and refund, analytics,
// billing keys).
#include "domain/payments/payment_transitions.hpp"
#include "domain/subscriptions/billing_settings.hpp"
#include "infra/core/metrics.hpp"
#include "jobs/runtime/worker_process.hpp"
#include "workers/external_api/breaker_report.hpp"
#include "workers/external_api/handlers.hpp"

int main() {
    using namespace checkout;
    // First: signals blocked before the breaker report's thread exists, the configuration loaded once.
    auto process = StartWorkerProcess("external_api", {.gateway = true, .data_platform = true});
    BillingSettings billing;
    if (!process || !ReportConfigError([&] { billing = LoadBillingSettings(); })) return 2;
    const Environment& env = process->env;
    auto ctx = std::make_shared<ExternalApiContext>();
    ctx->billing_box = billing.box;
    ctx->billing_charge_timeout = billing.charge_timeout;
    ctx->dunning = {billing.dunning, billing.dunning_final};
    ctx->queues = process->queues;
    // Opens after 5 gateway failures in a row; one probe after 10 s.
    auto breaker = std::make_shared<CircuitBreaker>(5, std::chrono::seconds(10));
    ctx->toss =
        std::make_shared<TossClient>(TossClientOptions{env.toss_api_base, env.toss_secret_key,
                                                       std::chrono::milliseconds(3000), env.gateway_timeout},
                                     breaker);
    ctx->data_platform_url = env.data_platform_url;
    BreakerReport report(env.database_url, env.toss_api_base, breaker);
    ProcessMetrics().AddCollector([breaker, gateway = env.toss_api_base](std::string& out) {
        MetricHeader(out, "checkout_gateway_circuit_state", "gauge",
                     "This process's circuit breaker to the payment gateway: 0 closed, 1 half-open, 2 open.");
        const auto s = breaker->state(CircuitBreaker::Clock::now());
        MetricLine(out, "checkout_gateway_circuit_state", Label("gateway", gateway),
                   s == CircuitBreaker::State::kClosed     ? 0
                   : s == CircuitBreaker::State::kHalfOpen ? 1
                                                           : 2);
    });
    return RunExternalWorker(*process, {{kCallGatewayJob, ConfirmAtGateway(ctx)},
                                        {kCancelPaymentJob, RefundAtGateway(ctx)},
                                        {kAnalyticsJob, SendAnalytics(ctx)},
                                        {kIssueBillingKeyJob, IssueBillingKey(ctx)},
                                        {kSubscriptionChargeJob, ChargeSubscription(ctx)},
                                        {kSubscriptionRefundJob, RefundSubscription(ctx)}});
}

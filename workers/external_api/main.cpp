// worker-external-api: consumes the external_api queue (gateway confirm and refund, analytics).
#include "common/payments/payment_transitions.hpp"
#include "workers/external_api/breaker_report.hpp"
#include "workers/external_api/handlers.hpp"

int main() {
    using namespace checkout;
    Environment env;
    auto ctx = std::make_shared<ExternalApiContext>();
    if (!LoadServiceConfig({.database = true, .amqp = true, .jwt = false, .gateway = true, .data_platform = true}, env,
                           ctx->queues))
        return 2;
    // Opens after 5 gateway failures in a row; one probe after 10 s.
    auto breaker = std::make_shared<CircuitBreaker>(5, std::chrono::seconds(10));
    ctx->toss = std::make_shared<TossClient>(
        TossClientOptions{env.toss_api_base, env.toss_secret_key, std::chrono::milliseconds(3000), env.gateway_timeout},
        breaker);
    ctx->data_platform_url = env.data_platform_url;
    BreakerReport report(env.database_url, env.toss_api_base, breaker);
    return RunExternalWorker("external_api", {{kCallGatewayJob, ConfirmAtGateway(ctx)},
                                              {kCancelPaymentJob, RefundAtGateway(ctx)},
                                              {kAnalyticsJob, SendAnalytics(ctx)}});
}

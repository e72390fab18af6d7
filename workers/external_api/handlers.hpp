#pragma once
// The external-api queue's jobs: every one of them calls out, so they are ExternalHandlers (see
// workers/runtime/worker_runtime.hpp): no transaction is open while the gateway or the data
// platform works.
#include <memory>
#include <string>

#include "domain/subscriptions/dunning.hpp"
#include "infra/core/config.hpp"
#include "infra/crypto/secret_box.hpp"
#include "jobs/runtime/worker_runtime.hpp"
#include "workers/gateway/toss_client.hpp"

namespace checkout {

struct ExternalApiContext {
    QueuesConfig queues;
    std::shared_ptr<TossClient> toss;  // builds requests and classifies answers; shared by threads
    std::string data_platform_url;
    Millis data_platform_timeout{5000};
    std::shared_ptr<const SecretBox> billing_box;  // BILLING_KEY_SECRET: seals and opens billing keys
    Millis billing_charge_timeout{60000};          // BILLING_CHARGE_TIMEOUT_MS
    DunningPolicy dunning;                         // DUNNING_SCHEDULE, DUNNING_FINAL
};

// payment.call_gateway: confirm at the gateway (after a timeout, look the payment up first).
ExternalHandler ConfirmAtGateway(std::shared_ptr<const ExternalApiContext> ctx);
// payment.cancel: refund at the gateway.
ExternalHandler RefundAtGateway(std::shared_ptr<const ExternalApiContext> ctx);
// analytics.send: post the event to the data platform.
ExternalHandler SendAnalytics(std::shared_ptr<const ExternalApiContext> ctx);
// billing.issue_key: exchange a card registration's authKey for a billing key.
ExternalHandler IssueBillingKey(std::shared_ptr<const ExternalApiContext> ctx);
// subscription.charge: one subscription charge with the buyer's billing key.
ExternalHandler ChargeSubscription(std::shared_ptr<const ExternalApiContext> ctx);
// subscription.refund: a canceled subscription's unused days paid back (a partial cancel).
ExternalHandler RefundSubscription(std::shared_ptr<const ExternalApiContext> ctx);

}  // namespace checkout

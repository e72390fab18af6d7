// subscription.refund (DESIGN 3.3): the unused days of a subscription canceled at once, paid back by
// a partial cancel of its period's charge (cancelAmount). One Idempotency-Key per refund: a retry
// after no answer is replayed by the gateway, never a second cancel.
#include "domain/job_payloads.hpp"
#include "domain/subscriptions/refund_store.hpp"
#include "workers/external_api/handlers.hpp"

namespace checkout {

ExternalHandler RefundSubscription(std::shared_ptr<const ExternalApiContext> ctx) {
    ExternalHandler h;
    h.begin = [ctx](PgTransaction& tx, const Job& job) -> Step {
        const auto r = LoadPendingRefund(tx, SubscriptionRefundPayload::Parse(job.payload_json).refund_id);
        if (!r) return Step::Done(Outcome::Succeeded());  // settled already
        if (!ctx->toss->Allow()) RetryLaterCircuitOpen();
        return Step::Call(ctx->toss->CancelCall(r->payment_key, "subscription canceled: unused days",
                                                GatewayIdempotencyKey(r->refund_id, "refund"), r->amount));
    };
    h.on_response = [ctx](PgTransaction& tx, const Job& job, const HttpCall&,
                          const HttpResponse& response) -> Step {
        const auto r = ctx->toss->Classify(response);
        const std::string refund_id = SubscriptionRefundPayload::Parse(job.payload_json).refund_id;
        if (r.kind == GatewayResult::Kind::kOk) {
            RefundDone(tx, refund_id);
            return Step::Done(Outcome::Succeeded());
        }
        if (r.kind == GatewayResult::Kind::kRejected) {
            RefundFailed(tx, refund_id, r.code);
            return Step::Done(Outcome::Failed(r.code, r.message));
        }
        RetryLater(r);
    };
    return h;
}

}  // namespace checkout

// subscription.charge (DESIGN 3.3): one subscription charge at the gateway, with the buyer's billing
// key. Never charged twice: the orderId is derived from (subscription, period), every attempt sends
// the same Idempotency-Key, and an attempt that got no answer is `unknown` until the gateway is asked
// by orderId, before anything else is sent. Toss sends no webhook for a billing charge, so this job
// (and its lookup) is what settles it. A decline is final for this try; dunning (dunning.hpp) plans
// the next.
#include "domain/job_payloads.hpp"
#include "domain/subscriptions/charge_rules.hpp"
#include "domain/subscriptions/charge_store.hpp"
#include "infra/core/error.hpp"
#include "workers/external_api/handlers.hpp"

namespace checkout {

namespace {

// How many times a charge the gateway answers "try again" is tried by its job (seconds apart, the
// queue's backoff) before it counts as a soft decline.
constexpr int kQuickTries = 3;

Step ChargeCall(const ExternalApiContext& ctx, const ChargeToMake& c) {
    return Step::Call(ctx.toss->BillingChargeCall(
        c.key->billing_key, c.key->customer_key, c.amount, c.order_id, c.order_name,
        // Each dunning round its own key: under the first one the gateway would replay the decline.
        GatewayIdempotencyKey(c.charge_id, c.round == 0 ? "charge" : "charge-" + std::to_string(c.round)),
        ctx.billing_charge_timeout));
}

std::string ChargeId(const Job& job) { return SubscriptionChargePayload::Parse(job.payload_json).charge_id; }

// The gateway answered a Payment (the charge's, or the lookup's): settle the charge from it.
Step Settle(const ExternalApiContext& ctx, PgTransaction& tx, const std::string& charge_id,
            const std::string& order_id, bool lookup, const std::string& body) {
    auto paid = ParseTossPayment(body);
    if (!paid || paid->order_id != order_id)
        throw AppError(ErrorCode::kGatewayRetryable, "The gateway's answer was not this charge's payment.");
    if (paid->status == "DONE") {
        ChargeApproved(tx, charge_id, paid->payment_key, paid->approved_at, lookup ? "found" : "approved");
        return Step::Done(Outcome::Succeeded());
    }
    if (paid->status == "ABORTED" || paid->status == "EXPIRED" || paid->status == "CANCELED") {
        const std::string code = paid->failure_code.empty() ? paid->status : paid->failure_code;
        RecordChargeAttempt(tx, charge_id, lookup ? "found" : "declined", code, paid->failure_message);
        ChargeDeclined(tx, charge_id, code, paid->failure_message, ctx.dunning);
        return Step::Done(Outcome::Failed(code, paid->failure_message));
    }
    throw AppError(ErrorCode::kGatewayRetryable, "The charge is not final at the gateway yet.",
                   "status " + paid->status);
}

}  // namespace

ExternalHandler ChargeSubscription(std::shared_ptr<const ExternalApiContext> ctx) {
    ExternalHandler h;
    // Its first step writes nothing on the way to the call: one commit with a WAL flush less per
    // renewal (issue 20's benchmark). A crash during the call is counted by the redelivery.
    h.count_attempt_at_outcome = true;
    h.begin = [ctx](PgTransaction& tx, const Job& job) -> Step {
        const auto c = LoadPendingCharge(tx, *ctx->billing_box, ChargeId(job), job.id);
        if (!c) return Step::Done(Outcome::Succeeded());  // settled already
        if (!ctx->toss->Allow()) RetryLaterCircuitOpen();
        if (c->unanswered) {
            // The previous attempt may have been approved: it is unknown until the gateway says.
            RecordChargeAttempt(tx, c->charge_id, "unknown", "GATEWAY_TIMEOUT", "");
            return Step::Call(ctx->toss->PaymentByOrderIdCall(c->order_id));
        }
        if (!c->key) {
            if (!LockPendingCharge(tx, c->charge_id)) return Step::Done(Outcome::Succeeded());
            RecordChargeAttempt(tx, c->charge_id, "declined", "BILLING_CARD_REQUIRED", "");
            ChargeDeclined(tx, c->charge_id, "BILLING_CARD_REQUIRED", "no card is registered for billing",
                           ctx->dunning);
            return Step::Done(Outcome::Failed("BILLING_CARD_REQUIRED", "no card is registered for billing"));
        }
        return ChargeCall(*ctx, *c);
    };
    h.on_response = [ctx](PgTransaction& tx, const Job& job, const HttpCall& call,
                          const HttpResponse& response) -> Step {
        const bool lookup = call.method == "GET";
        const auto r = ctx->toss->Classify(response);
        const auto c = LockPendingCharge(tx, ChargeId(job));
        if (!c) return Step::Done(Outcome::Succeeded());
        if (r.kind == GatewayResult::Kind::kOk)
            return Settle(*ctx, tx, c->charge_id, c->order_id, lookup, r.body);
        if (r.kind == GatewayResult::Kind::kRejected) {
            if (lookup && r.code == "NOT_FOUND_PAYMENT") {
                // The unanswered attempt never reached the gateway: charge now, under the same key.
                RecordChargeAttempt(tx, c->charge_id, "not_found", r.code, "");
                const auto full = LoadPendingCharge(tx, *ctx->billing_box, c->charge_id, job.id);
                if (!full) return Step::Done(Outcome::Succeeded());  // locked pending above: never
                if (!full->key) {
                    ChargeDeclined(tx, c->charge_id, "BILLING_CARD_REQUIRED", "no card", ctx->dunning);
                    return Step::Done(Outcome::Failed("BILLING_CARD_REQUIRED", "no card"));
                }
                return ChargeCall(*ctx, *full);
            }
            if (!lookup && ClassifyChargeDecline(r.code) == ChargeDecline::kLookItUp)
                return Step::Call(ctx->toss->PaymentByOrderIdCall(c->order_id));
            RecordChargeAttempt(tx, c->charge_id, "declined", r.code, r.message);
            ChargeDeclined(tx, c->charge_id, r.code, r.message, ctx->dunning);
            return Step::Done(Outcome::Failed(r.code, r.message));
        }
        if (!lookup && r.kind == GatewayResult::Kind::kRetryable && job.attempt >= kQuickTries &&
            r.code != "IDEMPOTENT_REQUEST_PROCESSING") {
            // The gateway keeps saying "try again" (PROVIDER_ERROR, ...): a soft decline, tried again
            // on the dunning schedule rather than by the job for ever.
            RecordChargeAttempt(tx, c->charge_id, "declined", r.code, r.message);
            ChargeDeclined(tx, c->charge_id, r.code, r.message, ctx->dunning);
            return Step::Done(Outcome::Failed(r.code, r.message));
        }
        RetryLater(r);  // the gateway's "try again", no answer (looked up next), or an open circuit
    };
    return h;
}

}  // namespace checkout

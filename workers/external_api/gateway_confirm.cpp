// payment.call_gateway (DESIGN 3.2 step 2).
#include "domain/payments/payment_transitions.hpp"
#include "infra/core/error.hpp"
#include "infra/core/uuid.hpp"
#include "workers/external_api/handlers.hpp"

namespace checkout {

namespace {

struct PaymentToConfirm {
    std::string payment_id, status, payment_key, order_number, failure_code;
    long long amount = 0;
    bool approved = false;
    std::string last_error;  // of the job's previous attempt
};

std::optional<PaymentToConfirm> Load(PgTransaction& tx, const Job& job) {
    PaymentToConfirm p;
    p.payment_id = PaymentPayload::Parse(job.payload_json).payment_id;
    auto r = tx.exec(
        "SELECT p.status, p.approved, p.payment_key, p.amount, o.order_number, "
        "       (SELECT coalesce(last_error, '') FROM jobs WHERE id = $2), coalesce(p.failure_code, '') "
        "FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.id = $1",
        {p.payment_id, job.id});
    if (r.rows() == 0) return std::nullopt;
    p.status = r.str(0, 0);
    p.approved = r.boolean(0, 1);
    p.payment_key = r.str(0, 2);
    p.amount = r.integer(0, 3);
    p.order_number = r.str(0, 4);
    p.last_error = r.str(0, 5);
    p.failure_code = r.str(0, 6);
    return p;
}

Step ConfirmCall(const ExternalApiContext& ctx, const PaymentToConfirm& p) {
    // The same key on every retry: the gateway replays its first answer instead of charging twice.
    return Step::Call(ctx.toss->ConfirmCall(p.payment_key, p.order_number, p.amount,
                                            GatewayIdempotencyKey(p.payment_id, "confirm")));
}

}  // namespace

ExternalHandler ConfirmAtGateway(std::shared_ptr<const ExternalApiContext> ctx) {
    ExternalHandler h;
    h.begin = [ctx](PgTransaction& tx, const Job& job) -> Step {
        auto p = Load(tx, job);
        if (!p) return Step::Done(Outcome::Failed("NOT_FOUND", "no such payment"));
        // Given up by the reconciler while a confirm of ours may still have reached the gateway: never
        // confirm again, but look, so that an approval we no longer want is refunded.
        const bool given_up = p->status == "failed" && p->failure_code == kNotConfirmedCode;
        // Settled meanwhile by the reconciler or a webhook: nothing to ask the gateway.
        if (!given_up && (p->status != "in_progress" || p->approved)) return Step::Done(Outcome::Succeeded());
        if (!ctx->toss->Allow()) RetryLaterCircuitOpen();
        // The previous attempt got no answer: the confirm may have been approved. Ask first, by this
        // payment's own key (a lookup by orderId may find another attempt at the same order).
        if (given_up || p->last_error.rfind("GATEWAY_TIMEOUT", 0) == 0)
            return Step::Call(ctx->toss->PaymentByKeyCall(p->payment_key));
        return ConfirmCall(*ctx, *p);
    };
    h.on_response = [ctx](PgTransaction& tx, const Job& job, const HttpCall& call,
                          const HttpResponse& response) -> Step {
        const bool lookup = call.method == "GET";
        const auto r = ctx->toss->Classify(response);
        const std::string payment_id = PaymentPayload::Parse(job.payload_json).payment_id;
        switch (r.kind) {
            case GatewayResult::Kind::kOk: {
                auto paid = ParseTossPayment(r.body);
                if (!paid)
                    throw AppError(ErrorCode::kGatewayRetryable, "The gateway's answer was unreadable.",
                                   r.body.substr(0, 200));
                switch (ApplyGatewayPayment(tx, ctx->queues, payment_id, *paid)) {
                    case GatewayVerdict::kApproved:
                        return Step::Done(Outcome::Succeeded());
                    case GatewayVerdict::kRejected:
                    case GatewayVerdict::kCanceled: {
                        const std::string code =
                            paid->failure_code.empty() ? paid->status : paid->failure_code;
                        return Step::Done(Outcome::Failed(code, paid->failure_message));
                    }
                    case GatewayVerdict::kOtherPayment:
                        throw AppError(ErrorCode::kGatewayRetryable,
                                       "The gateway answered about another payment.",
                                       "paymentKey " + paid->payment_key.substr(0, 12));
                    case GatewayVerdict::kNotFinal:
                        break;
                }
                throw AppError(ErrorCode::kGatewayRetryable, "The payment is not final at the gateway yet.",
                               "status " + paid->status);
            }
            case GatewayResult::Kind::kRejected: {
                if (lookup && r.code == "NOT_FOUND_PAYMENT") {
                    // The timed-out confirm never reached the gateway: confirm now (unless given up).
                    auto p = Load(tx, job);
                    if (!p || p->status != "in_progress" || p->approved)
                        return Step::Done(Outcome::Succeeded());
                    return ConfirmCall(*ctx, *p);
                }
                if (!lookup && r.code == "ALREADY_PROCESSED_PAYMENT") {
                    auto p = Load(tx, job);
                    if (!p) return Step::Done(Outcome::Failed("NOT_FOUND", "no such payment"));
                    return Step::Call(ctx->toss->PaymentByKeyCall(p->payment_key));
                }
                RecordRejection(tx, payment_id, r.code, r.message);
                return Step::Done(Outcome::Failed(r.code, r.message));
            }
            case GatewayResult::Kind::kRetryable:
            case GatewayResult::Kind::kInDoubt:
            case GatewayResult::Kind::kCircuitOpen:
                RetryLater(r);
        }
        RetryLater(r);
    };
    return h;
}

}  // namespace checkout

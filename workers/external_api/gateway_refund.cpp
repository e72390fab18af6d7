// payment.cancel: the refund at the gateway, for a canceled order or an approval we cannot use.
#include "domain/balance/balance_store.hpp"
#include "domain/payments/payment_transitions.hpp"
#include "infra/core/error.hpp"
#include "workers/external_api/handlers.hpp"

namespace checkout {

ExternalHandler RefundAtGateway(std::shared_ptr<const ExternalApiContext> ctx) {
    ExternalHandler h;
    h.begin = [ctx](PgTransaction& tx, const Job& job) -> Step {
        const std::string payment_id = PaymentPayload::Parse(job.payload_json).payment_id;
        auto p = tx.exec(
            "SELECT status, payment_key, coalesce(cancel_reason, 'refund'), method = 'balance' FROM payments "
            "WHERE id = $1 FOR UPDATE",
            {payment_id});
        if (p.rows() == 0) return Step::Done(Outcome::Failed("NOT_FOUND", "no such payment"));
        if (p.get(0, 0) != "refunding") return Step::Done(Outcome::Succeeded());
        // The money goes back where it came from: a balance payment to the balance, no gateway call.
        if (p.boolean(0, 3)) {
            RefundToBalance(tx, payment_id);
            RecordRefund(tx, payment_id);
            return Step::Done(Outcome::Succeeded());
        }
        if (!ctx->toss->Allow()) RetryLaterCircuitOpen();
        // One key per refund: a retry after a timeout is replayed, never a second cancel.
        return Step::Call(
            ctx->toss->CancelCall(p.str(0, 1), p.str(0, 2), GatewayIdempotencyKey(payment_id, "cancel")));
    };
    h.on_response = [ctx](PgTransaction& tx, const Job& job, const HttpCall&,
                          const HttpResponse& response) -> Step {
        const auto r = ctx->toss->Classify(response);
        const std::string payment_id = PaymentPayload::Parse(job.payload_json).payment_id;
        if (r.kind == GatewayResult::Kind::kOk || r.code == "ALREADY_CANCELED_PAYMENT") {
            RecordRefund(tx, payment_id);
            return Step::Done(Outcome::Succeeded());
        }
        if (r.kind == GatewayResult::Kind::kRejected) {
            // The payment stays `refunding` and the job `failed` with the gateway's reason, for an
            // operator: money may still be with the shop.
            LogPayment(tx, payment_id, "refund_rejected", "{\"code\":\"" + r.code + "\"}");
            return Step::Done(Outcome::Failed(r.code, r.message));
        }
        RetryLater(r);
    };
    return h;
}

}  // namespace checkout

// billing.issue_key (DESIGN 3.3): a card registration's authKey exchanged at the gateway for a
// billing key, which is stored sealed. The same Idempotency-Key on every attempt: an exchange that
// got no answer is replayed by the gateway, not made twice. Neither key is ever logged: errors carry
// the gateway's code and message only.
#include <rapidjson/document.h>

#include "domain/job_payloads.hpp"
#include "domain/subscriptions/billing_card_store.hpp"
#include "domain/subscriptions/dunning.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "workers/external_api/handlers.hpp"

namespace checkout {

namespace {

struct IssuedKey {
    std::string billing_key, issuer_code, last4;
};

// The Billing object's billingKey and card (TOSS_API.md 5.1); nullopt when it has no billingKey.
std::optional<IssuedKey> ParseBilling(const std::string& json) {
    rapidjson::Document d;
    if (!ParseBoundedJson(d, json) || !d.IsObject()) return std::nullopt;
    auto key = d.FindMember("billingKey");
    if (key == d.MemberEnd() || !key->value.IsString() || key->value.GetStringLength() == 0 ||
        key->value.GetStringLength() > 200)
        return std::nullopt;
    IssuedKey out{key->value.GetString(), "", ""};
    if (auto card = d.FindMember("card"); card != d.MemberEnd() && card->value.IsObject()) {
        if (auto c = card->value.FindMember("issuerCode");
            c != card->value.MemberEnd() && c->value.IsString())
            out.issuer_code = c->value.GetString();
        if (auto n = card->value.FindMember("number"); n != card->value.MemberEnd() && n->value.IsString()) {
            const std::string number = n->value.GetString();  // masked: 43301234****123*
            out.last4 = number.size() >= 4 ? number.substr(number.size() - 4) : number;
        }
    }
    return out;
}

}  // namespace

ExternalHandler IssueBillingKey(std::shared_ptr<const ExternalApiContext> ctx) {
    ExternalHandler h;
    h.begin = [ctx](PgTransaction& tx, const Job& job) -> Step {
        const auto card =
            LoadCardToIssue(tx, *ctx->billing_box, BillingCardPayload::Parse(job.payload_json).card_id);
        if (!card) return Step::Done(Outcome::Succeeded());  // settled already
        if (!ctx->toss->Allow()) RetryLaterCircuitOpen();
        return Step::Call(ctx->toss->IssueBillingKeyCall(
            card->auth_key, card->customer_key, GatewayIdempotencyKey(card->card_id, "billing_issue")));
    };
    h.on_response = [ctx](PgTransaction& tx, const Job& job, const HttpCall&,
                          const HttpResponse& response) -> Step {
        const auto r = ctx->toss->Classify(response);
        const std::string card_id = BillingCardPayload::Parse(job.payload_json).card_id;
        switch (r.kind) {
            case GatewayResult::Kind::kOk: {
                auto issued = ParseBilling(r.body);
                if (!issued)
                    throw AppError(ErrorCode::kGatewayRetryable, "The gateway's answer had no billing key.");
                // A period waiting in dunning is tried again at once with the new card.
                if (auto user = ActivateCard(tx, *ctx->billing_box, card_id, issued->billing_key,
                                             CardCompany(issued->issuer_code), issued->last4))
                    RetryWithNewCard(tx, ctx->queues, *user);
                return Step::Done(Outcome::Succeeded());
            }
            case GatewayResult::Kind::kRejected:
                FailCard(tx, card_id, r.code, r.message);
                return Step::Done(Outcome::Failed(r.code, r.message));
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

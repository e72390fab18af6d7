// Payments: confirm answers 202 at once; the external-api worker talks to the gateway.
#include "api/answers/accepted_replies.hpp"
#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/idempotent_post.hpp"
#include "api/routes.hpp"
#include "domain/payments/payment_store.hpp"
#include "infra/core/json.hpp"

namespace checkout::api {

using namespace Pistache;

namespace {

std::string PaymentMethodsJson() {
    // What the Toss payment widget offers for a one-off payment (TOSS_API.md 2.1, `method`). Not
    // VIRTUAL_ACCOUNT: its confirm answers WAITING_FOR_DEPOSIT and the money comes days later, which
    // needs a state (stock held until the due date, the deposit webhook) this shop does not have yet.
    JsonWriter w;
    w.StartObject().Key("gateway").String("tosspayments").Key("methods").StartArray();
    const std::pair<const char*, const char*> methods[] = {{"CARD", "카드"},
                                                           {"TRANSFER", "계좌이체"},
                                                           {"MOBILE_PHONE", "휴대폰"},
                                                           {"EASY_PAY", "간편결제"},
                                                           {"GIFT_CERTIFICATE", "문화상품권"}};
    for (const auto& [code, name] : methods)
        w.StartObject().Key("code").String(code).Key("name").String(name).EndObject();
    w.EndArray().Key("currency").String("KRW").EndObject();
    return w.str();
}

// An optional body {cancelReason}; the gateway requires a reason, so one is supplied if absent.
std::string CancelReason(const std::string& body) {
    if (body.empty()) return "canceled by the buyer";
    const auto d = ParseJsonObject(body, "The cancel request is invalid.");
    auto it = d.FindMember("cancelReason");
    if (it == d.MemberEnd() || it->value.IsNull()) return "canceled by the buyer";
    if (!it->value.IsString() || it->value.GetStringLength() < 1 || it->value.GetStringLength() > 200)
        throw AppError(ErrorCode::kValidationFailed, "The cancel request is invalid.",
                       std::vector<FieldError>{{"cancelReason", "must be 1 to 200 characters"}});
    return it->value.GetString();
}

}  // namespace

void RegisterPaymentRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/api/v1/payments/confirm",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto confirm = ParseConfirmRequest(req.body());
                 const auto idem = IdempotencyKeyHeader(req, CanonicalJson(confirm));
                 auto conn = app.pool.acquire();
                 return IdempotentPost(
                     *conn, caller.user_id, idem,
                     [&](PgTransaction& tx) {
                         return PaymentAccepted(ConfirmPayment(tx, app.queues, caller.user_id, confirm));
                     },
                     PaymentLocation);
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/payments/methods",
             Guard(app.executor, [](const Rest::Request&, RequestContext&) {
                 return Reply{200, PaymentMethodsJson(), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/payments/:id/status",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext& ctx) {
                 auto caller = Authenticate(req, app);
                 return StatusReply(app, StatusKind::kPayment, req, ctx, caller.user_id);
             }));
    AddRoute(r, Http::Method::Post, "/api/v1/payments/:id/cancel",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto reason = CancelReason(req.body());
                 auto conn = app.pool.acquire();
                 auto reply = PaymentAccepted(
                     CancelPayment(*conn, app.queues, caller.user_id, PathParam(req, ":id"), reason));
                 // The buyer's next status read shows the cancel (and the order it released).
                 StatusChanged(app, *conn, StatusKind::kPayment, PathParam(req, ":id"));
                 return reply;
             }));
}

}  // namespace checkout::api

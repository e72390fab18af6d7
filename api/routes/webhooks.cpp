// Gateway webhooks: verified against the stored payment secret, applied once, answered well inside
// the gateway's 10 s deadline (one short transaction, no outgoing call).
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "domain/payments/webhook.hpp"
#include "infra/core/json.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterWebhookRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/webhooks/toss",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto conn = app.pool.acquire();
                 auto result = ApplyTossWebhook(*conn, app.queues, *app.billing_box, req.body(),
                                                Header(req, "tosspayments-webhook-transmission-id"));
                 if (!result.applied_to.empty())
                     StatusChanged(app, *conn, StatusKind::kPayment, result.applied_to);
                 // Every event is acknowledged with 200, so that the gateway stops sending it.
                 JsonWriter body;
                 body.StartObject().Key("result").String(result.outcome).EndObject();
                 return Reply{200, body.str(), {}};
             }));
}

}  // namespace checkout::api

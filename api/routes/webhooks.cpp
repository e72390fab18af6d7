// Gateway webhooks: verified against the stored payment secret, applied once, answered well inside
// the gateway's 10 s deadline (one short transaction, no outgoing call).
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "domain/payments/webhook.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterWebhookRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/webhooks/toss",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto conn = app.pool.acquire();
                 auto reply = ApplyTossWebhook(*conn, app.queues, req.body(),
                                               Header(req, "tosspayments-webhook-transmission-id"));
                 if (!reply.applied_to.empty())
                     StatusChanged(app, *conn, StatusKind::kPayment, reply.applied_to);
                 return Reply{reply.status, reply.body, {}};
             }));
}

}  // namespace checkout::api

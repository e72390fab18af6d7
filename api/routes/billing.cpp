// Cards for billing (DESIGN 3.3): the widget's customerKey, then its authKey exchanged for a billing
// key by a job (202 + status URL). No answer and no log line ever holds a key.
#include "api/answers/billing.hpp"

#include "api/answers/accepted_replies.hpp"
#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/idempotent_post.hpp"
#include "api/routes.hpp"
#include "domain/subscriptions/billing_card_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterBillingRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/api/v1/billing/customer-key",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto conn = app.pool.acquire();
                 return Reply{200, CustomerKeyJson(CustomerKeyFor(*conn, caller.user_id)), {}};
             }));
    AddRoute(r, Http::Method::Post, "/api/v1/billing/keys",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto registration = ParseCardRegistration(req.body());
                 const auto idem = IdempotencyKeyHeader(req, CanonicalJson(registration, *app.billing_box));
                 auto conn = app.pool.acquire();
                 return IdempotentPost(
                     *conn, caller.user_id, idem,
                     [&](PgTransaction& tx) {
                         return CardAccepted(StartCardRegistration(tx, app.queues, *app.billing_box,
                                                                   caller.user_id, registration));
                     },
                     CardLocation);
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/billing/keys/:id",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto id = PathParam(req, ":id");
                 auto conn = app.pool.acquire();
                 auto card = FindCard(*conn, caller.user_id, id);
                 if (!card) throw AppError(ErrorCode::kNotFound, "No such card registration.");
                 return Reply{200, CardJson(*card), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/billing/card",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto conn = app.pool.acquire();
                 auto card = ActiveCard(*conn, caller.user_id);
                 if (!card) throw AppError(ErrorCode::kNotFound, "No card is registered for billing.");
                 return Reply{200, CardJson(*card), {}};
             }));
}

}  // namespace checkout::api

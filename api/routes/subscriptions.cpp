// Subscriptions (DESIGN 3.3): subscribing answers 202 + status URL at once; the external-api worker
// makes the first charge with the buyer's billing key.
#include "api/answers/subscriptions.hpp"

#include <functional>

#include "api/answers/accepted_replies.hpp"
#include "api/answers/subscription_figures.hpp"
#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/idempotent_post.hpp"
#include "api/routes.hpp"
#include "domain/subscriptions/subscription_changes.hpp"
#include "domain/subscriptions/subscription_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterSubscriptionRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/api/v1/subscriptions",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const long long plan_id = ParseSubscribeRequest(req.body());
                 const auto key =
                     RequiredIdempotencyKey(req, "{\"plan_id\":" + std::to_string(plan_id) + "}");
                 auto conn = app.pool.acquire();
                 return IdempotentPost(
                     *conn, caller.user_id, key,
                     [&](PgTransaction& tx) {
                         return SubscriptionAccepted(
                             Subscribe(tx, app.queues, app.billing_timezone, caller.user_id, plan_id));
                     },
                     SubscriptionLocation);
             }));
    // Registered before /api/v1/subscriptions/:id, which would otherwise take "current" as an id.
    AddRoute(r, Http::Method::Get, "/api/v1/subscriptions/current",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto conn = app.pool.acquire();
                 auto s = CurrentSubscription(*conn, caller.user_id);
                 if (!s) throw AppError(ErrorCode::kNotFound, "You have no subscription.");
                 return Reply{200, SubscriptionJson(*s), {}};
             }));
    // The buyer's changes (cancel at the period's end or now, undo, plan, pause, resume): the state
    // changes at once and the answer is the subscription; a charge or a refund is made by a job and
    // shown in `charges`.
    using Change = std::function<void(PgTransaction&, const Rest::Request&, long long, const std::string&)>;
    const auto change = [&r, &app](Http::Method method, const char* path, Change apply) {
        AddRoute(r, method, path,
                 Guard(app.executor, [&app, apply](const Rest::Request& req, RequestContext&) {
                     auto caller = Authenticate(req, app);
                     const std::string id = PathParam(req, ":id");
                     auto conn = app.pool.acquire();
                     {
                         PgTransaction tx(*conn);
                         apply(tx, req, caller.user_id, id);
                         tx.commit();
                     }
                     return Reply{200, SubscriptionJson(*FindSubscription(*conn, caller.user_id, id)), {}};
                 }));
    };
    change(Http::Method::Post, "/api/v1/subscriptions/:id/cancel",
           [&app](PgTransaction& tx, const Rest::Request& req, long long user, const std::string& id) {
               CancelSubscription(tx, app.queues, app.billing_timezone, user, id,
                                  ParseCancelRequest(req.body()));
           });
    change(Http::Method::Delete, "/api/v1/subscriptions/:id/cancel",
           [](PgTransaction& tx, const Rest::Request&, long long user, const std::string& id) {
               UndoCancel(tx, user, id);
           });
    change(Http::Method::Post, "/api/v1/subscriptions/:id/plan",
           [&app](PgTransaction& tx, const Rest::Request& req, long long user, const std::string& id) {
               ChangePlan(tx, app.queues, app.billing_timezone, user, id, ParsePlanChangeRequest(req.body()));
           });
    change(Http::Method::Post, "/api/v1/subscriptions/:id/pause",
           [](PgTransaction& tx, const Rest::Request&, long long user, const std::string& id) {
               PauseSubscription(tx, user, id);
           });
    change(Http::Method::Post, "/api/v1/subscriptions/:id/resume",
           [&app](PgTransaction& tx, const Rest::Request&, long long user, const std::string& id) {
               ResumeSubscription(tx, app.queues, app.billing_timezone, user, id);
           });
    AddRoute(r, Http::Method::Get, "/api/v1/admin/subscriptions/figures",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 auto conn = app.pool.acquire();
                 return Reply{200, SubscriptionFiguresJson(*conn), {}};
             }));
    AddRoute(
        r, Http::Method::Get, "/api/v1/admin/subscriptions/failed-charges",
        Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
            AuthenticateAdmin(req, app);
            const auto [page, size] = QueryPage(req);
            auto conn = app.pool.acquire();
            return Reply{200, ChargesPageJson(FailedChargesPage(*conn, page, size), page, size, true), {}};
        }));
    AddRoute(r, Http::Method::Get, "/api/v1/subscriptions/:id/charges",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto [page, size] = QueryPage(req);
                 auto conn = app.pool.acquire();
                 auto p = BuyerChargesPage(*conn, caller.user_id, PathParam(req, ":id"), page, size);
                 if (!p) throw AppError(ErrorCode::kNotFound, "No such subscription.");
                 return Reply{200, ChargesPageJson(*p, page, size, false), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/subscriptions/:id",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto conn = app.pool.acquire();
                 auto s = FindSubscription(*conn, caller.user_id, PathParam(req, ":id"));
                 if (!s) throw AppError(ErrorCode::kNotFound, "No such subscription.");
                 return Reply{200, SubscriptionJson(*s), {}};
             }));
}

}  // namespace checkout::api

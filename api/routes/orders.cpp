// Orders: POST answers 202 at once with a status URL; the order-heavy worker does the rest.
#include "api/answers/orders.hpp"

#include "api/answers/accepted_replies.hpp"
#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/idempotent_post.hpp"
#include "api/routes.hpp"
#include "domain/orders/order_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterOrderRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/api/v1/orders",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto order = ParseOrderRequest(req.body());
                 const auto idem = IdempotencyKeyHeader(req, CanonicalJson(order));
                 if (GroupableOrder(order, idem))
                     return OrderAccepted(app.accept_group.Place(caller.user_id, order));
                 auto conn = app.pool.acquire();
                 if (!idem) return OrderAccepted(PlaceOrderNow(*conn, app.queues, caller.user_id, order));
                 return IdempotentPost(
                     *conn, caller.user_id, idem,
                     [&](PgTransaction& tx) {
                         return OrderAccepted(PlaceOrder(tx, app.queues, caller.user_id, order));
                     },
                     OrderLocation);
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/orders",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto [page, size] = QueryPage(req);
                 auto conn = app.pool.acquire();
                 return Reply{200, OrderPageJson(*conn, caller.user_id, page, size), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/orders/:id",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto conn = app.pool.acquire();
                 auto json = OrderJson(*conn, caller.user_id, PathParam(req, ":id"));
                 if (!json) throw AppError(ErrorCode::kNotFound, "No such order.");
                 return Reply{200, *json, {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/orders/:id/status",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext& ctx) {
                 auto caller = Authenticate(req, app);
                 return StatusReply(app, StatusKind::kOrder, req, ctx, caller.user_id);
             }));
}

}  // namespace checkout::api

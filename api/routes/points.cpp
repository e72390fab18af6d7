// Points: the caller's balance, what expires soon, and the ledger.
#include "api/answers/points.hpp"

#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "domain/points/point_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterPointRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Get, "/api/v1/points",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto conn = app.pool.acquire();
                 return Reply{200, PointSummaryJson(*conn, caller.user_id), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/points/history",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto [page, size] = QueryPage(req);
                 auto conn = app.pool.acquire();
                 return Reply{200, PointHistoryJson(*conn, caller.user_id, page, size), {}};
             }));
}

}  // namespace checkout::api

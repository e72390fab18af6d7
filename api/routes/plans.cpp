// Subscription plans: admins create, change and deactivate them; anyone may list the active ones
// (the page a buyer picks a plan on).
#include "api/answers/plans.hpp"

#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/idempotent_post.hpp"
#include "api/routes.hpp"
#include "domain/subscriptions/plan_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterPlanRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/api/v1/admin/plans",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto admin = AuthenticateAdmin(req, app);
                 auto plan = ParseNewPlan(req.body());
                 const auto idem = IdempotencyKeyHeader(req, CanonicalJson(plan));
                 auto conn = app.pool.acquire();
                 return IdempotentPost(*conn, admin.user_id, idem, [&](PgTransaction& tx) {
                     return Reply{201, PlanJson(CreatePlan(tx, plan)), {}};
                 });
             }));
    AddRoute(r, Http::Method::Patch, "/api/v1/admin/plans/:id",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 const auto id = PathId(req, ":id");
                 auto patch = ParsePlanPatch(req.body());
                 auto conn = app.pool.acquire();
                 auto plan = UpdatePlan(*conn, id, patch);
                 if (!plan) throw AppError(ErrorCode::kNotFound, "No such plan.");
                 return Reply{200, PlanJson(*plan), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/admin/plans",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 auto conn = app.pool.acquire();
                 return Reply{200, PlansJson(ListPlans(*conn, true)), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/plans",
             Guard(app.executor, [&app](const Rest::Request&, RequestContext&) {
                 auto conn = app.pool.acquire();
                 return Reply{200, PlansJson(ListPlans(*conn, false)), {}};
             }));
}

}  // namespace checkout::api

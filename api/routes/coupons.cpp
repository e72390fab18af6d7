// Coupons: admins create them; buyers get one each, first come first served, while they last.
#include "api/answers/coupons.hpp"

#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/idempotent_post.hpp"
#include "api/routes.hpp"
#include "domain/coupons/coupon_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterCouponRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/api/v1/admin/coupons",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto admin = AuthenticateAdmin(req, app);
                 auto coupon = ParseNewCoupon(req.body());
                 const auto idem = IdempotencyKeyHeader(req, CanonicalJson(coupon));
                 auto conn = app.pool.acquire();
                 return IdempotentPost(*conn, admin.user_id, idem, [&](PgTransaction& tx) {
                     return Reply{201, CouponJson(CreateCoupon(tx, coupon)), {}};
                 });
             }));
    AddRoute(r, Http::Method::Post, "/api/v1/coupons/:id/issue",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto id = PathId(req, ":id");
                 auto conn = app.pool.acquire();
                 return Reply{201, HeldCouponJson(IssueCoupon(*conn, caller.user_id, id)), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/coupons/mine",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto conn = app.pool.acquire();
                 return Reply{200, MyCouponsJson(*conn, caller.user_id), {}};
             }));
}

}  // namespace checkout::api

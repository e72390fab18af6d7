// Products: admins create and change them, signed-in users read them; best sellers from memory.
#include "api/answers/products.hpp"

#include "api/answers/shop_stats.hpp"
#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/idempotent_post.hpp"
#include "api/routes.hpp"
#include "domain/catalog/product_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterProductRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/api/v1/admin/products",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto admin = AuthenticateAdmin(req, app);
                 auto product = ParseNewProduct(req.body());
                 const auto idem = IdempotencyKeyHeader(req, CanonicalJson(product));
                 auto conn = app.pool.acquire();
                 return IdempotentPost(*conn, admin.user_id, idem, [&](PgTransaction& tx) {
                     return Reply{201, ProductJson(CreateProduct(tx, product)), {}};
                 });
             }));
    AddRoute(r, Http::Method::Patch, "/api/v1/admin/products/:id",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 const auto id = PathId(req, ":id");
                 auto patch = ParseProductPatch(req.body());
                 auto conn = app.pool.acquire();
                 auto product = UpdateProduct(*conn, id, patch);
                 if (!product) throw AppError(ErrorCode::kNotFound, "No such product.");
                 return Reply{200, ProductJson(*product), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/admin/stats",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 auto conn = app.pool.acquire();
                 return Reply{200, ShopStatsJson(*conn), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/products",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 Authenticate(req, app);
                 const auto [page, size] = QueryPage(req);
                 auto conn = app.pool.acquire();
                 return Reply{200, ProductPageJson(*conn, page, size), {}};
             }));
    // Registered before /api/v1/products/:id, which would otherwise take "popular" as an id.
    AddRoute(r, Http::Method::Get, "/api/v1/products/popular",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 Authenticate(req, app);
                 const int days = QueryInt(req, "days", 3, 1, 90);
                 const int limit = QueryInt(req, "limit", 5, 1, 50);
                 auto body = app.popular.Get(std::to_string(days) + ":" + std::to_string(limit), [&] {
                     auto conn = app.pool.acquire();
                     return PopularProductsJson(*conn, days, limit);
                 });
                 return Reply{200, body, {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/products/:id",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 Authenticate(req, app);
                 const auto id = PathId(req, ":id");
                 auto conn = app.pool.acquire();
                 auto json = ProductJson(*conn, id);
                 if (!json) throw AppError(ErrorCode::kNotFound, "No such product.");
                 return Reply{200, *json, {}};
             }));
}

}  // namespace checkout::api

// Products: admins create them, signed-in users read them.
#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "common/catalog/product_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterProductRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/api/v1/admin/products",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 auto product = ParseNewProduct(req.body());
                 auto conn = app.pool.acquire();
                 return Reply{201, CreateProduct(*conn, product), {}};
             }));
    AddRoute(r, Http::Method::Get, "/api/v1/products",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 Authenticate(req, app);
                 const int page = QueryInt(req, "page", 1, 1, 1000000);
                 const int size = QueryInt(req, "size", 20, 1, 100);
                 auto conn = app.pool.acquire();
                 return Reply{200, ProductPageJson(*conn, page, size), {}};
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

// The cart: read it, add a product, change or remove a line. Every answer is the whole cart.
#include "api/answers/cart.hpp"

#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "domain/cart/cart_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterCartRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Get, "/api/v1/cart",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto conn = app.pool.acquire();
                 return Reply{200, CartJson(*conn, caller.user_id), {}};
             }));
    AddRoute(r, Http::Method::Post, "/api/v1/cart/items",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto line = ParseCartLine(req.body(), true);
                 auto conn = app.pool.acquire();
                 AddToCart(*conn, caller.user_id, line);
                 return Reply{201, CartJson(*conn, caller.user_id), {}};
             }));
    AddRoute(r, Http::Method::Patch, "/api/v1/cart/items/:product_id",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 auto line = ParseCartLine(req.body(), false);
                 line.product_id = PathId(req, ":product_id");
                 auto conn = app.pool.acquire();
                 SetCartQuantity(*conn, caller.user_id, line);
                 return Reply{200, CartJson(*conn, caller.user_id), {}};
             }));
    AddRoute(r, Http::Method::Delete, "/api/v1/cart/items/:product_id",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto product = PathId(req, ":product_id");
                 auto conn = app.pool.acquire();
                 RemoveFromCart(*conn, caller.user_id, product);
                 return Reply{200, CartJson(*conn, caller.user_id), {}};
             }));
}

}  // namespace checkout::api

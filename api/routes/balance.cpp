// The stored balance: top-ups (paid through the gateway like an order: POST /balance/charge answers
// the orderId to pay, and the balance is credited when the payment's confirm ends DONE), an admin's
// grants, the balance and its ledger, and paying an order from it (202 and a status URL; a
// payment_confirm job does the debit). Whatever moves money requires an Idempotency-Key.
#include "api/answers/balance.hpp"

#include "api/answers/accepted_replies.hpp"
#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/idempotent_post.hpp"
#include "api/routes.hpp"
#include "domain/balance/balance_store.hpp"
#include "domain/payments/balance_payment.hpp"
#include "infra/core/json.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterBalanceRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Post, "/api/v1/balance/charge",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const long long amount = ParseChargeAmount(req.body());
                 const auto key = RequiredIdempotencyKey(req, "{\"amount\":" + std::to_string(amount) + "}");
                 auto conn = app.pool.acquire();
                 return IdempotentPost(*conn, caller.user_id, key, [&](PgTransaction& tx) {
                     return Reply{201, TopUpJson(StartTopUp(tx, caller.user_id, amount)), {}};
                 });
             }));
    AddRoute(
        r, Http::Method::Post, "/api/v1/admin/balance/grants",
        Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
            auto admin = AuthenticateAdmin(req, app);
            const auto grant = ParseBalanceGrant(req.body());
            JsonWriter canonical;
            canonical.StartObject().Key("user").String(grant.user_sub).Key("amount").Int(grant.amount);
            canonical.Key("reason").String(grant.reason).EndObject();
            const auto key = RequiredIdempotencyKey(req, canonical.str());
            auto conn = app.pool.acquire();
            const long long user_id = app.users.IdFor(*conn, grant.user_sub);
            return IdempotentPost(*conn, admin.user_id, key, [&](PgTransaction& tx) {
                return Reply{201, GrantJson(grant, GrantBalance(tx, user_id, grant, admin.claims.sub)), {}};
            });
        }));
    AddRoute(r, Http::Method::Get, "/api/v1/balance",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 auto caller = Authenticate(req, app);
                 const auto [page, size] = QueryPage(req);
                 auto conn = app.pool.acquire();
                 return Reply{200, BalanceJson(*conn, caller.user_id, page, size), {}};
             }));
    AddRoute(
        r, Http::Method::Post, "/api/v1/orders/:id/pay-with-balance",
        Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
            auto caller = Authenticate(req, app);
            const auto order_id = PathParam(req, ":id");
            const auto idem = IdempotencyKeyHeader(req, order_id);
            auto conn = app.pool.acquire();
            return IdempotentPost(
                *conn, caller.user_id, idem,
                [&](PgTransaction& tx) {
                    return PaymentAccepted(StartBalancePayment(tx, app.queues, caller.user_id, order_id));
                },
                PaymentLocation);
        }));
}

}  // namespace checkout::api

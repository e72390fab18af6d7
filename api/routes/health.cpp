// GET /health (the process answers) and GET /ready (PostgreSQL and RabbitMQ reachable).
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "infra/amqp/amqp_connection.hpp"
#include "infra/core/json.hpp"

namespace checkout::api {

using namespace Pistache;

namespace {
bool AmqpReachable(const AmqpNodes& nodes) {
    // Cached for a second: load balancers poll /ready often, and a broker connection is not free.
    static std::mutex mu;
    static std::chrono::steady_clock::time_point checked{};
    static bool ok = false;
    std::lock_guard lock(mu);
    const auto now = std::chrono::steady_clock::now();
    if (now - checked < std::chrono::seconds(1)) return ok;
    try {
        AmqpConnection conn(nodes, 0, std::chrono::milliseconds(1000));
        ok = true;
    } catch (const std::exception&) {
        ok = false;
    }
    checked = now;
    return ok;
}
}  // namespace

void RegisterHealthRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Get, "/health", Guard(app.executor, [](const Rest::Request&, RequestContext&) {
                 return Reply{200, R"({"status":"ok"})", {}};
             }));
    AddRoute(r, Http::Method::Get, "/ready",
             Guard(app.executor, [&app](const Rest::Request&, RequestContext&) {
                 bool db = false;
                 try {
                     auto conn = app.pool.acquire(std::chrono::milliseconds(500));
                     conn->exec("SELECT 1");
                     db = true;
                 } catch (const std::exception&) {
                 }
                 const bool mq = AmqpReachable(app.env.amqp);
                 JsonWriter w;
                 w.StartObject();
                 w.Key("status").String(db && mq ? "ready" : "not_ready");
                 w.Key("postgresql").Bool(db).Key("rabbitmq").Bool(mq);
                 w.EndObject();
                 return Reply{db && mq ? 200 : 503, w.str(), {}};
             }));
}

}  // namespace checkout::api

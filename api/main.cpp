// checkout-api: the thin HTTP front (DESIGN 2). Configuration errors stop it before it listens.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pistache/endpoint.h>
#include <pistache/router.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/app.hpp"
#include "api/http_metrics.hpp"
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "domain/subscriptions/billing_settings.hpp"
#include "infra/core/log.hpp"
#include "infra/core/service.hpp"

using namespace Pistache;
using namespace checkout;

namespace {

// Pistache 0.0.5 listens with a backlog of 128 and ignores Options::backlog. A burst of new
// connections (a flash sale) overflows that, and every dropped SYN costs its buyer a one-second
// retransmit. Linux lets listen() be called again on a listening socket to change the backlog (the
// kernel caps it at net.core.somaxconn), so find our socket and do that.
void RaiseListenBacklog(int port, int backlog) {
    for (int fd = 0; fd < 1024; ++fd) {
        int accepting = 0;
        socklen_t len = sizeof(accepting);
        sockaddr_in addr{};
        socklen_t alen = sizeof(addr);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || !accepting) continue;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0 || addr.sin_family != AF_INET ||
            ntohs(addr.sin_port) != port)
            continue;
        if (::listen(fd, backlog) != 0)
            spdlog::warn("cannot raise the listen backlog: {}", std::strerror(errno));
        return;
    }
    spdlog::warn("listening socket for port {} not found; listen backlog stays at Pistache's 128", port);
}

// GATES_FILE: none if the default file is absent, an error if a named one cannot be read.
std::map<std::string, Gate> LoadGates(const Environment& env) {
    std::ifstream file(env.gates_file);
    if (!file) {
        if (env.gates_file_given) throw ConfigError("GATES_FILE", "cannot read '" + env.gates_file + "'");
        return {};
    }
    std::stringstream text;
    text << file.rdbuf();
    return ParseGatesYaml(text.str(), env.gates_file);
}

// A gate names a queue of the queues file or a route as registered ("POST /api/v1/orders").
void CheckGates(const api::App& app) {
    for (const auto& [name, gate] : app.gates) {
        const std::string key = app.env.gates_file + ": gates." + name;
        if (!gate.queue.empty() && !app.queues.FindQueue(gate.queue))
            throw ConfigError(key + ".queue", "no queue '" + gate.queue + "'");
        if (!gate.route.empty() && !api::GlobalHttpMetrics().Has(gate.route))
            throw ConfigError(key + ".route", "no route '" + gate.route + "' (e.g. 'POST /api/v1/orders')");
    }
}

}  // namespace

int main() {
    // Before Pistache starts any thread, so that they all inherit the signal mask.
    auto service = StartService("api", {.database = true, .amqp = true, .jwt = true});
    if (!service) return 2;
    std::map<std::string, Gate> gates;
    BillingSettings billing;
    if (!ReportConfigError([&] {
            gates = LoadGates(service->env);
            billing = LoadBillingSettings();
        }))
        return 2;
    auto app = std::make_unique<api::App>(std::move(service->env), std::move(service->queues));
    app->gates = std::move(gates);
    app->billing_box = billing.box;
    app->billing_timezone = billing.timezone;

    Rest::Router router;
    api::RegisterHealthRoutes(router, *app);
    api::RegisterProductRoutes(router, *app);
    api::RegisterPlanRoutes(router, *app);
    api::RegisterBillingRoutes(router, *app);
    api::RegisterSubscriptionRoutes(router, *app);
    api::RegisterOrderRoutes(router, *app);
    api::RegisterPaymentRoutes(router, *app);
    api::RegisterWebhookRoutes(router, *app);
    api::RegisterPointRoutes(router, *app);
    api::RegisterCouponRoutes(router, *app);
    api::RegisterBalanceRoutes(router, *app);
    api::RegisterCartRoutes(router, *app);
    api::RegisterOpenApiRoute(router, *app);
    api::RegisterJobRoutes(router, *app);
    api::RegisterOpsRoutes(router, *app);
    api::RegisterOpsPageRoutes(router, *app);
    api::RegisterMetricsRoutes(router, *app);
    api::RegisterMethodNotAllowed(router, app->executor);
    Rest::Routes::NotFound(
        router, api::Guard(app->executor, [](const Rest::Request&, api::RequestContext&) -> api::Reply {
                    throw AppError(ErrorCode::kRouteNotFound, "No such endpoint.");
                }).Named("no such route"));

    if (!ReportConfigError([&] { CheckGates(*app); })) return 2;

    Http::Endpoint endpoint(Address(Ipv4::any(), Port(static_cast<uint16_t>(app->env.api_port))));
    // Pistache's own limit answers text/plain 413 (it cuts the request before any handler runs); keep
    // it far above ours (64 KiB) so that clients get problem+json for anything up to 16 MiB.
    // Reactor threads only parse and dispatch (handlers run on app->executor), so two suffice.
    endpoint.init(
        Http::Endpoint::options().threads(2).maxRequestSize(16 << 20).flags(Tcp::Options::ReuseAddr));
    endpoint.setHandler(router.handler());
    try {
        endpoint.serveThreaded();
    } catch (const std::exception& e) {
        std::cerr << "API_PORT: cannot listen on " << app->env.api_port << ": " << e.what() << "\n";
        return 2;
    }
    RaiseListenBacklog(app->env.api_port, 4096);
    spdlog::info("listening on port {} with {} threads", app->env.api_port, app->env.api_threads);
    service->WaitForSignal();
    endpoint.shutdown();
    app->executor.Stop();  // finish what was accepted before the pool and the database go away
    return 0;
}

// checkout-api: the thin HTTP front (DESIGN 2). Configuration errors stop it before it listens.
#include <pistache/endpoint.h>
#include <pistache/router.h>
#include <signal.h>

#include <iostream>

#include "api/app.hpp"
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "common/log.hpp"
#include "common/process.hpp"

using namespace Pistache;
using namespace checkout;

int main() {
    // Before Pistache starts any thread, so that they all inherit the mask.
    sigset_t signals = BlockTerminationSignals();

    InitLogging("api");
    std::unique_ptr<api::App> app;
    try {
        auto env = LoadEnvironment({.database = true, .amqp = true, .jwt = true});
        auto queues = LoadQueuesYaml(env.queues_file);
        app = std::make_unique<api::App>(std::move(env), std::move(queues));
    } catch (const ConfigError& e) {
        std::cerr << "configuration error: " << e.what() << "\n";
        return 2;
    }

    Rest::Router router;
    api::RegisterHealthRoutes(router, *app);
    api::RegisterProductRoutes(router, *app);
    api::RegisterOrderRoutes(router, *app);
    api::RegisterJobRoutes(router, *app);
    Rest::Routes::NotFound(router, api::Guard([](const Rest::Request&, api::RequestContext&) -> api::Reply {
                               throw AppError(ErrorCode::kRouteNotFound, "No such endpoint.");
                           }));

    Http::Endpoint endpoint(Address(Ipv4::any(), Port(static_cast<uint16_t>(app->env.api_port))));
    // Pistache's own limit answers text/plain 413; keep it well above ours so that clients get
    // problem+json for anything up to 1 MiB.
    endpoint.init(Http::Endpoint::options()
                      .threads(app->env.api_threads)
                      .maxRequestSize(1 << 20)
                      .flags(Tcp::Options::ReuseAddr));
    endpoint.setHandler(router.handler());
    try {
        endpoint.serveThreaded();
    } catch (const std::exception& e) {
        std::cerr << "API_PORT: cannot listen on " << app->env.api_port << ": " << e.what() << "\n";
        return 2;
    }
    spdlog::info("listening on port {} with {} threads", app->env.api_port, app->env.api_threads);
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: shutting down", sig);
    endpoint.shutdown();
    return 0;
}

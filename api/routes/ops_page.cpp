// GET /ops: the operator's page (api/ops_page.html, compiled in: no CDN, nothing fetched from
// elsewhere). The page holds no data; it asks GET /ops/overview with the admin token the operator
// gives it (kept in the tab's sessionStorage), every 2 seconds.
// GET /ops/overview (admin): everything the page shows, in one answer: each queue's depth and
// consumers (RabbitMQ), the KPIs and gates (the jobs table), the processes (fleet_processes), the dead
// letters and the latest failures.
#include "api/auth.hpp"
#include "api/http_metrics.hpp"
#include "api/http_support.hpp"
#include "api/ops/fleet_overview.hpp"
#include "api/ops/kpis.hpp"
#include "api/ops/subscription_kpis.hpp"
#include "api/routes.hpp"
#include "infra/core/json.hpp"
#include "jobs/store/dead_letters.hpp"

namespace checkout::api {

extern const char* const kOpsPageHtml;  // generated from api/ops_page.html by CMake

using namespace Pistache;

namespace {

void WriteQueues(App& app, JsonWriter& w) {
    std::vector<std::string> names;
    for (const auto& q : app.queues.queues) {
        names.push_back(q.name);
        names.push_back(q.dead_letter_queue);
    }
    w.Key("queues").StartArray();
    try {
        const auto stats = app.broker.Read(names);
        for (std::size_t i = 0; i + 1 < names.size(); i += 2) {
            w.StartObject().Key("name").String(names[i]);
            w.Key("depth").Int(static_cast<long long>(stats[i].messages));
            w.Key("consumers").Int(static_cast<long long>(stats[i].consumers));
            w.Key("dead_letter_queue_depth").Int(static_cast<long long>(stats[i + 1].messages));
            w.EndObject();
        }
        w.EndArray().Key("rabbitmq_up").Bool(true);
    } catch (const std::exception&) {
        // The page still shows what PostgreSQL knows; it says RabbitMQ did not answer.
        w.EndArray().Key("rabbitmq_up").Bool(false);
    }
}

}  // namespace

void RegisterOpsPageRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Get, "/ops", Guard(app.executor, [](const Rest::Request&, RequestContext&) {
                 return Reply{200,
                              kOpsPageHtml,
                              {{"Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                "connect-src 'self'; img-src data:; base-uri 'none'; frame-ancestors 'none'"},
                               {"Cache-Control", "no-store"}},
                              "text/html; charset=utf-8"};
             }));
    AddRoute(r, Http::Method::Get, "/ops/overview",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 JsonWriter w;
                 w.StartObject();
                 WriteQueues(app, w);
                 auto conn = app.pool.acquire();
                 w.Key("kpis").Raw(KpisJson(*conn, GlobalHttpMetrics().WindowsJson()));
                 w.Key("gates").StartArray();
                 for (const auto& [name, gate] : app.gates)
                     w.Raw(EvaluateGate(*conn, gate, ThisProcessRoutes()).json);
                 w.EndArray();
                 w.Key("processes").Raw(FleetProcessesJson(*conn));
                 w.Key("dead_letters").Raw(DeadLettersJson(ListDeadLetters(*conn, "", 20)));
                 w.Key("recent_failures").Raw(RecentFailuresJson(*conn, 20));
                 w.Key("subscriptions").Raw(SubscriptionKpisJson(*conn, app.billing_timezone));
                 w.EndObject();
                 return Reply{200, w.str(), {{"Cache-Control", "no-store"}}};
             }));
}

}  // namespace checkout::api

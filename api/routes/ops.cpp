// Operator endpoints (admin role): dead letters per queue, and their replay.
#include "api/auth.hpp"
#include "api/http_metrics.hpp"
#include "api/http_support.hpp"
#include "api/ops/kpis.hpp"
#include "api/routes.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/dead_letters.hpp"

namespace checkout::api {

using namespace Pistache;

namespace {
// An unknown queue name is the client's mistake: 404 rather than a configuration error.
void RequireQueue(const App& app, const std::string& queue) {
    for (const auto& q : app.queues.queues)
        if (q.name == queue) return;
    throw AppError(ErrorCode::kNotFound, "No such queue: " + queue + ".");
}
}  // namespace

void RegisterOpsRoutes(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Get, "/ops/kpis",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 auto conn = app.pool.acquire();
                 return Reply{200, KpisJson(*conn, GlobalHttpMetrics().WindowsJson()), {}};
             }));
    AddRoute(r, Http::Method::Get, "/ops/gates",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 auto conn = app.pool.acquire();
                 JsonWriter w;
                 bool all = true;
                 w.StartObject().Key("gates").StartArray();
                 for (const auto& [name, gate] : app.gates) {
                     auto v = EvaluateGate(*conn, gate, ThisProcessRoutes());
                     all = all && v.pass;
                     w.Raw(v.json);
                 }
                 w.EndArray().Key("pass").Bool(all).EndObject();
                 return Reply{all ? 200 : 503, w.str(), {}};
             }));
    // 200 when the gate passes, 503 when it fails: what a deploy script checks after a release.
    AddRoute(r, Http::Method::Get, "/ops/gates/:name",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 auto it = app.gates.find(PathParam(req, ":name"));
                 if (it == app.gates.end())
                     throw AppError(ErrorCode::kNotFound, "No such gate (see GATES_FILE).");
                 auto conn = app.pool.acquire();
                 auto v = EvaluateGate(*conn, it->second, ThisProcessRoutes());
                 return Reply{v.pass ? 200 : 503, v.json, {}};
             }));
    AddRoute(r, Http::Method::Get, "/ops/dead-letters",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 const std::string queue = req.query().get("queue").value_or("");
                 if (!queue.empty()) RequireQueue(app, queue);
                 const int limit = QueryInt(req, "limit", 100, 1, 1000);
                 auto conn = app.pool.acquire();
                 return Reply{200, DeadLettersJson(ListDeadLetters(*conn, queue, limit)), {}};
             }));
    // {"queue": "order_heavy", "job_id": "..."} replays one job; {"queue": "...", "all": true} every dead job
    // of the queue.
    AddRoute(r, Http::Method::Post, "/ops/dead-letters/replay",
             Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                 AuthenticateAdmin(req, app);
                 const auto d = ParseJsonObject(req.body(), "The replay request is invalid.");
                 std::vector<FieldError> errs;
                 std::string queue;
                 std::optional<std::string> job;
                 if (!d.HasMember("queue") || !d["queue"].IsString())
                     errs.push_back({"queue", "is required"});
                 else
                     queue = d["queue"].GetString();
                 const bool all = d.HasMember("all") && d["all"].IsBool() && d["all"].GetBool();
                 if (d.HasMember("job_id")) {
                     if (!d["job_id"].IsString() || !IsUuid(d["job_id"].GetString()))
                         errs.push_back({"job_id", "must be a job id"});
                     else
                         job = d["job_id"].GetString();
                 }
                 if (!job && !all) errs.push_back({"job_id", "give a job_id, or \"all\": true"});
                 if (job && all) errs.push_back({"all", "cannot be combined with job_id"});
                 if (!errs.empty())
                     throw AppError(ErrorCode::kValidationFailed, "The replay request is invalid.", errs);
                 RequireQueue(app, queue);
                 auto conn = app.pool.acquire();
                 const auto ids = ReplayDeadLetters(*conn, app.queues, queue, job);
                 if (job && ids.empty())
                     throw AppError(ErrorCode::kNotFound, "No such dead job in that queue.");
                 JsonWriter w;
                 w.StartObject().Key("replayed").StartArray();
                 for (const auto& id : ids) w.String(id);
                 w.EndArray().Key("count").Int(static_cast<long long>(ids.size())).EndObject();
                 return Reply{200, w.str(), {}};
             }));
}

}  // namespace checkout::api

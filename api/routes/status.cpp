// The answer of GET /api/v1/orders/{id}/status and /payments/{id}/status, shared by both: from the
// status cache (api/status_cache.hpp), and with ?wait=N (0 to 30 seconds) a long poll that is
// answered as soon as the status settles.
#include "api/routes.hpp"

namespace checkout::api {

Reply StatusReply(App& app, StatusKind kind, const Pistache::Rest::Request& req, RequestContext& ctx,
                  long long user_id) {
    const int wait_s = QueryInt(req, "wait", 0, 0, static_cast<int>(StatusCache::kMaxWait.count()));
    auto now = app.statuses.Get(kind, PathParam(req, ":id"), user_id, std::chrono::seconds(wait_s),
                                [&ctx] { return ctx.Defer(); });
    return now ? *now : Reply{};  // without an answer now, the deferred reply answers
}

void StatusChanged(App& app, PgConnection& conn, StatusKind kind, const std::string& id) {
    app.statuses.Invalidate(kind, id);
    conn.exec("SELECT pg_notify('status', $1)", {(kind == StatusKind::kOrder ? "o " : "p ") + id});
}

}  // namespace checkout::api

// GET /api/v1/jobs/{id}: a job's state, for its owner or an admin. A job belongs to the user whose
// order or payment it works on: the order's own job, or any job whose payload names an order or a
// payment of theirs (payment.call_gateway, payment.finalize, payment.cancel, points.earn, ...).
#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterJobRoutes(Rest::Router& r, App& app) {
    AddRoute(
        r, Http::Method::Get, "/api/v1/jobs/:id",
        Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
            auto caller = Authenticate(req, app);
            const auto id = PathParam(req, ":id");
            if (!IsUuid(id)) throw AppError(ErrorCode::kNotFound, "No such job.");
            auto conn = app.pool.acquire();
            if (!caller.claims.admin) {
                auto own = conn->exec(
                    "SELECT 1 FROM jobs j WHERE j.id = $1 AND ("
                    "  EXISTS (SELECT 1 FROM orders o WHERE o.job_id = j.id AND o.user_id = $2) "
                    "  OR EXISTS (SELECT 1 FROM orders o WHERE o.user_id = $2 AND o.id = CASE WHEN "
                    "     j.payload->>'order_id' ~ $3 THEN (j.payload->>'order_id')::uuid END) "
                    "  OR EXISTS (SELECT 1 FROM payments p WHERE p.user_id = $2 AND p.id = CASE WHEN "
                    "     j.payload->>'payment_id' ~ $3 THEN (j.payload->>'payment_id')::uuid END))",
                    {id, caller.user_id,
                     "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"});
                if (own.rows() == 0) throw AppError(ErrorCode::kNotFound, "No such job.");
            }
            auto job = LoadJob(*conn, id);
            if (!job) throw AppError(ErrorCode::kNotFound, "No such job.");
            return Reply{
                200, JobViewJson(*job, caller.claims.admin ? JobAudience::kAdmin : JobAudience::kBuyer), {}};
        }));
}

}  // namespace checkout::api

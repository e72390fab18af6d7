// GET /api/v1/jobs/{id}: a job's state, for its owner (the user whose order it processes) or an admin.
#include "api/auth.hpp"
#include "api/http_support.hpp"
#include "api/routes.hpp"
#include "common/job_store.hpp"
#include "common/uuid.hpp"

namespace checkout::api {

using namespace Pistache;

void RegisterJobRoutes(Rest::Router& r, App& app) {
    Rest::Routes::Get(r, "/api/v1/jobs/:id", Guard(app.executor, [&app](const Rest::Request& req, RequestContext&) {
                          auto caller = Authenticate(req, app);
                          const auto id = PathParam(req, ":id");
                          if (!IsUuid(id)) throw AppError(ErrorCode::kNotFound, "No such job.");
                          auto conn = app.pool.acquire();
                          if (!caller.claims.admin) {
                              auto own = conn->exec("SELECT 1 FROM orders WHERE job_id = $1 AND user_id = $2",
                                                    {id, caller.user_id});
                              if (own.rows() == 0) throw AppError(ErrorCode::kNotFound, "No such job.");
                          }
                          auto job = LoadJob(*conn, id);
                          if (!job) throw AppError(ErrorCode::kNotFound, "No such job.");
                          return Reply{200, JobViewJson(*job), {}};
                      }));
}

}  // namespace checkout::api

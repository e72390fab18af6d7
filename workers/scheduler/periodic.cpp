#include "workers/scheduler/periodic.hpp"

namespace checkout {

bool ClaimPeriod(PgConnection& conn, const std::string& name, Millis period) {
    conn.exec("INSERT INTO periodic_runs (name) VALUES ($1) ON CONFLICT DO NOTHING", {name});
    auto r = conn.exec(
        "UPDATE periodic_runs SET last_run_at = now() "
        "WHERE name = $1 AND last_run_at <= now() - make_interval(secs => $2::float8 / 1000) RETURNING 1",
        {name, static_cast<long long>(period.count())});
    return r.rows() == 1;
}

}  // namespace checkout

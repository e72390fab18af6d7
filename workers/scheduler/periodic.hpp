#pragma once
// Once per period, fleet-wide: a copy of the scheduler runs a periodic job only if it moves the
// job's last_run_at in PostgreSQL past one period (a row-locked compare-and-set), so any number of
// copies on any number of hosts run each job once per period.
#include <string>

#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

// True when this caller won the run of `name` for the current period.
bool ClaimPeriod(PgConnection& conn, const std::string& name, Millis period);

}  // namespace checkout

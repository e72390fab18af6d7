#pragma once
// What GET /ops (the operator's page) shows besides the KPIs, gates and dead letters: the processes
// of the fleet as they report themselves (fleet_processes, common/fleet_heartbeat.hpp), and the
// latest failures with their errors.
#include <string>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

// [{host, pid, process, queue, metrics_port, jobs_done, in_flight, doing, up_s, seen_s_ago}], for
// processes heard from in the last 10 s, by queue.
std::string FleetProcessesJson(PgConnection& conn);

// [{id, type, queue, state, attempts, last_error, updated_at}]: the newest `limit` jobs created in the
// last 10 minutes that failed, died or wait for a retry.
std::string RecentFailuresJson(PgConnection& conn, int limit);

}  // namespace checkout

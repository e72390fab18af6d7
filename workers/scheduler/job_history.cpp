#include "workers/scheduler/job_history.hpp"

namespace checkout {

JobHistoryRun MaintainJobHistory(PgConnection& conn, Millis retention, const std::string& at) {
    PgTransaction tx(conn);
    const std::string interval = std::to_string(retention.count()) + " milliseconds";
    auto r = at.empty()
                 ? tx.exec("SELECT * FROM jobs_maintain($1::interval)", {interval})
                 : tx.exec("SELECT * FROM jobs_maintain($1::interval, 3, $2::timestamptz)", {interval, at});
    tx.commit();
    return {r.integer(0, 0), r.integer(0, 1), r.integer(0, 2), r.integer(0, 3)};
}

std::string AdvanceOpenJobsFloor(PgConnection& conn) {
    const auto floor = conn.exec("SELECT jobs_advance_open_floor()::text").str(0, 0);
    // Every job below the floor is finished (or dead): count those not yet counted, once (migration 020).
    conn.exec("SELECT jobs_count_finished()");
    return floor;
}

}  // namespace checkout

#pragma once
// Job history (issue 18): finished jobs stay readable for JOB_RETENTION, then go a whole UTC day at a
// time. jobs is partitioned by day of its UUID version 7 key (migration 015); this keeps partitions
// ready a few days ahead and drops the days past the retention, keeping the rows such a day must not
// lose (jobs not finished, dead letters, jobs finished within the retention).
#include <string>

#include "infra/core/config.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

struct JobHistoryRun {
    long long created = 0;  // day partitions made
    long long dropped = 0;  // day partitions dropped
    long long kept = 0;     // rows of dropped days kept (in the default partition)
    long long deleted = 0;  // expired rows deleted from the default partition
};

// Moves the floor of open jobs (migration 016) up to the oldest job not finished, so that the fleet's
// figures read only the jobs above it, and counts the finished jobs below it that are not counted yet
// (migration 020). Returns the floor.
std::string AdvanceOpenJobsFloor(PgConnection& conn);

// `at` is when "now" is: tests roll the calendar forward; empty means the database's now().
JobHistoryRun MaintainJobHistory(PgConnection& conn, Millis retention, const std::string& at = "");

}  // namespace checkout

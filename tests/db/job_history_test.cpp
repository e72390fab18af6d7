// Job history (workers/scheduler/job_history.hpp, migration 015) against the real PostgreSQL: days of
// jobs are partitions, a day past JOB_RETENTION is dropped, and what such a day must keep is kept.
#include "workers/scheduler/job_history.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "infra/core/uuid.hpp"
#include "jobs/store/dead_letters.hpp"
#include "jobs/store/job_store.hpp"
#include "support.hpp"

using namespace checkout;
using namespace std::chrono_literals;

namespace {

constexpr Millis kTwoWeeks{14LL * 24 * 3600 * 1000};

// A version 7 id made at `t`.
std::string IdAt(std::chrono::system_clock::time_point t) {
    return UuidV7Floor(t).substr(0, 24) + NewUuid().substr(24);
}

std::string InsertJob(PgConnection& db, const std::string& id, const std::string& state,
                      const std::string& finished) {
    db.exec(
        "INSERT INTO jobs (id, type, queue, state, payload, publish_xid, finished_at) "
        "VALUES ($1, 'test.noop', 'test_hooks', $2, '{}', NULL, now() - $3::interval)",
        {id, state, finished});
    return id;
}

std::string PartitionOf(PgConnection& db, const std::string& id) {
    auto r = db.exec("SELECT tableoid::regclass::text FROM jobs WHERE id = $1", {id});
    return r.rows() == 0 ? "gone" : r.str(0, 0);
}

std::string Today(PgConnection& db) {
    return db.exec("SELECT 'jobs_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')").str(0, 0);
}

}  // namespace

TEST_CASE("the maintenance keeps partitions ahead: a new job lands in its day's partition") {
    PgConnection db(testing::DbUrl());
    MaintainJobHistory(db, kTwoWeeks);
    const auto id = InsertJob(db, NewUuid(), "queued", "0 s");
    CHECK(PartitionOf(db, id) == Today(db));
    const auto tomorrow =
        db.exec("SELECT 'jobs_p' || to_char(now() AT TIME ZONE 'UTC' + interval '1 day', 'YYYYMMDD')");
    CHECK(PartitionOf(db, InsertJob(db, IdAt(std::chrono::system_clock::now() + 24h), "queued", "0 s")) ==
          tomorrow.str(0, 0));
    // A second run finds nothing to do.
    const auto again = MaintainJobHistory(db, kTwoWeeks);
    CHECK(again.created == 0);
    CHECK(again.dropped == 0);
}

TEST_CASE("a day past the retention is dropped; its unfinished, dead and recent rows are kept") {
    PgConnection db(testing::DbUrl());
    MaintainJobHistory(db, kTwoWeeks);
    const auto now = std::chrono::system_clock::now();
    // Today's jobs. Seen from 15 days on, today is past a retention of 14 days.
    const auto done = InsertJob(db, NewUuid(), "succeeded", "0 s");
    const auto failed = InsertJob(db, NewUuid(), "failed", "0 s");
    const auto queued = InsertJob(db, NewUuid(), "queued", "0 s");
    const auto retrying = InsertJob(db, NewUuid(), "retrying", "0 s");
    const auto dead = InsertJob(db, NewUuid(), "dead", "0 s");
    // Made today but finished "later" (within 14 days of the rolled calendar): kept.
    const auto late =
        db.exec(
              "INSERT INTO jobs (id, type, queue, state, payload, publish_xid, finished_at) "
              "VALUES ($1, 'test.noop', 'test_hooks', 'succeeded', '{}', NULL, now() + interval '5 days') "
              "RETURNING id",
              {NewUuid()})
            .str(0, 0);
    // From before any partition (the default partition): finished 20 days ago, and one never finished.
    const auto old_done = InsertJob(db, IdAt(now - 20 * 24h), "succeeded", "20 days");
    const auto old_queued = InsertJob(db, IdAt(now - 20 * 24h), "queued", "0 s");
    REQUIRE(PartitionOf(db, old_done) == "jobs_default");
    REQUIRE(PartitionOf(db, done) == Today(db));

    const auto at = db.exec("SELECT (now() + interval '15 days')::text").str(0, 0);
    const auto run = MaintainJobHistory(db, kTwoWeeks, at);
    CHECK(run.dropped >= 1);
    CHECK(run.kept >= 4);
    CHECK(run.deleted >= 1);
    CHECK(db.exec("SELECT to_regclass($1) IS NULL", {Today(db)}).str(0, 0) == "t");
    CHECK(PartitionOf(db, done) == "gone");
    CHECK(PartitionOf(db, failed) == "gone");
    CHECK(PartitionOf(db, old_done) == "gone");
    for (const auto& id : {queued, retrying, dead, late, old_queued})
        CHECK(PartitionOf(db, id) == "jobs_default");
    // Rows keep what they were.
    CHECK(db.exec("SELECT state FROM jobs WHERE id = $1", {dead}).str(0, 0) == "dead");

    // Back to the real calendar: today's partition is made again and takes its rows back.
    const auto back = MaintainJobHistory(db, kTwoWeeks);
    CHECK(back.created >= 1);
    for (const auto& id : {queued, retrying, dead, late}) CHECK(PartitionOf(db, id) == Today(db));
    CHECK(PartitionOf(db, old_queued) == "jobs_default");
    // The job inserted next lands in today's partition too.
    CHECK(PartitionOf(db, InsertJob(db, NewUuid(), "queued", "0 s")) == Today(db));
}

TEST_CASE("the floor of open jobs stays at or below every job not finished, and comes down on a replay") {
    PgConnection db(testing::DbUrl());
    MaintainJobHistory(db, kTwoWeeks);
    const auto now = std::chrono::system_clock::now();
    auto open_ids = [&db] {
        std::set<std::string> ids;
        auto r = db.exec("SELECT id::text FROM open_jobs");
        for (int i = 0; i < r.rows(); ++i) ids.insert(r.str(i, 0));
        return ids;
    };
    // Finished and open jobs of a minute ago, and an open one of an hour ago.
    db.exec(
        "UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE state IN ('queued', 'running', "
        "'retrying')");
    const auto hour_ago = InsertJob(db, IdAt(now - 1h), "retrying", "0 s");
    const auto minute_ago = InsertJob(db, IdAt(now - 1min), "queued", "0 s");
    const auto finished = InsertJob(db, IdAt(now - 2min), "succeeded", "0 s");
    db.exec("UPDATE jobs_open_floor SET floor_id = '00000000-0000-0000-0000-000000000000'");
    CHECK(AdvanceOpenJobsFloor(db) == hour_ago);
    CHECK(open_ids() == std::set<std::string>{hour_ago, minute_ago});

    db.exec("UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE id = $1", {hour_ago});
    CHECK(AdvanceOpenJobsFloor(db) == minute_ago);
    db.exec("UPDATE jobs SET state = 'dead', finished_at = now() WHERE id = $1", {minute_ago});
    // Nothing open: the floor goes no closer than 10 s to now.
    const auto floor = AdvanceOpenJobsFloor(db);
    CHECK(floor > minute_ago);
    CHECK(floor <= UuidV7Floor(std::chrono::system_clock::now() - 9s));
    CHECK(open_ids().empty());
    // An old dead job replayed is open again, and seen.
    const auto& queue = testing::Queues().queues.front().name;
    const auto old_dead = IdAt(now - 3h);
    db.exec(
        "INSERT INTO jobs (id, type, queue, state, payload, publish_xid, finished_at) "
        "VALUES ($1, 'test.noop', $2, 'dead', '{}', NULL, now())",
        {old_dead, queue});
    CHECK(db.exec("SELECT count(*) FROM jobs WHERE dead AND id = $1", {old_dead}).integer(0, 0) == 1);
    ReplayDeadLetters(db, testing::Queues(), queue, old_dead);
    CHECK(open_ids() == std::set<std::string>{old_dead});
    CHECK(AdvanceOpenJobsFloor(db) == old_dead);
    (void)finished;
}

// A worker changes a job's row at least twice (running, then its end). Those updates must stay HOT
// (no column they write in any index, partial ones included): an index entry per change costs WAL and
// halved the drain rate when measured (migrations 004, 014, 017).
TEST_CASE("a job's state changes, queued to running to succeeded, are HOT updates") {
    PgConnection db(testing::DbUrl());
    MaintainJobHistory(db, kTwoWeeks);
    Job job;
    {
        PgTransaction tx(db);
        job = checkout::InsertJob(tx, testing::Queues(), NewUuid(), "points.earn", "{}");
        tx.commit();
    }
    // Each change in its own transaction, as the workers make them (now(), and so updated_at, moves).
    // pg_stat_xact_user_tables: this session's updates of the partition not yet reported (this
    // transaction's, and maybe the last one's).
    auto updates_not_hot = [&](PgTransaction& tx) {
        auto r = tx.exec(
            "SELECT s.n_tup_upd, s.n_tup_hot_upd FROM pg_stat_xact_user_tables s "
            "WHERE s.relid = (SELECT tableoid FROM jobs WHERE id = $1)",
            {job.id});
        REQUIRE(r.rows() == 1);
        CHECK(r.integer(0, 0) >= 1);
        return r.integer(0, 0) - r.integer(0, 1);
    };
    {
        PgTransaction tx(db);
        REQUIRE(StartAttempt(tx, job.id) == 1);
        CHECK(updates_not_hot(tx) == 0);
        tx.commit();
    }
    {
        PgTransaction tx(db);
        MarkFinished(tx, job.id, JobOutcome::kSucceeded, std::nullopt, 1);
        CHECK(updates_not_hot(tx) == 0);
        tx.commit();
    }
}

// /metrics/fleet adds up finished jobs from sums the scheduler stores as the floor of open jobs passes
// them (migration 020): each job counted once, and a dropped day's sums dropped with it. All in one
// transaction, rolled back: the floor and the counted mark are set by hand, two days ahead.
TEST_CASE("finished jobs are counted once as the floor passes them; a dropped day's sums go with it") {
    PgConnection db(testing::DbUrl());
    MaintainJobHistory(db, kTwoWeeks);
    const auto at = std::chrono::system_clock::now() + 48h;
    const std::string queue = "count-" + NewUuid().substr(0, 8);
    PgTransaction tx(db);
    auto job = [&](std::chrono::milliseconds after, const std::string& state) {
        const auto id = IdAt(at + after);
        tx.exec(
            "INSERT INTO jobs (id, type, queue, state, payload, publish_xid) VALUES ($1, 'x', $2, $3, '{}', "
            "NULL)",
            {id, queue, state});
        return id;
    };
    for (auto [ms, state] : {std::pair{1, "succeeded"}, {2, "succeeded"}, {3, "failed"}})
        job(std::chrono::milliseconds(ms), state);
    const auto open = job(10ms, "queued");
    job(20ms, "succeeded");
    auto stored = [&](const std::string& state) {
        return tx
            .exec("SELECT coalesce(sum(n), 0) FROM jobs_finished_counts WHERE queue = $1 AND state = $2",
                  {queue, state})
            .integer(0, 0);
    };
    tx.exec("UPDATE jobs_counted SET upto = $1", {IdAt(at)});
    tx.exec("UPDATE jobs_open_floor SET floor_id = $1", {open});  // the oldest job not finished
    tx.exec("SELECT jobs_count_finished()");
    CHECK(stored("succeeded") == 2);
    CHECK(stored("failed") == 1);
    CHECK(tx.exec("SELECT jobs_count_finished()").integer(0, 0) == 0);  // counted once
    CHECK(stored("succeeded") == 2);

    tx.exec("UPDATE jobs SET state = 'succeeded' WHERE id = $1", {open});
    tx.exec("UPDATE jobs_open_floor SET floor_id = $1", {IdAt(at + 1s)});
    tx.exec("SELECT jobs_count_finished()");
    CHECK(stored("succeeded") == 4);
    CHECK(stored("failed") == 1);

    // A dead job below the floor is not counted; replayed (which takes back its hour's sums), then
    // finished, it is counted with its hour again, and nothing twice.
    const auto dead = job(30ms, "dead");
    tx.exec("SELECT jobs_count_finished()");
    CHECK(stored("succeeded") == 4);
    tx.exec("SELECT jobs_uncount_from($1)", {dead});
    tx.exec("UPDATE jobs SET state = 'succeeded' WHERE id = $1", {dead});
    tx.exec("SELECT jobs_count_finished()");
    CHECK(stored("succeeded") == 5);
    CHECK(stored("failed") == 1);

    const auto day = PartitionOf(db, open);
    tx.exec("ALTER TABLE jobs DETACH PARTITION " + day);
    tx.exec("DROP TABLE " + day);
    tx.exec("SELECT jobs_count_finished()");
    CHECK(stored("succeeded") == 0);
    CHECK(stored("failed") == 0);
}

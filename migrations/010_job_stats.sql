-- What each process's jobs did, every 2 seconds, by queue and type: counts, and run time and
-- enqueue-to-finish in log buckets (common/ops/job_stats.hpp). GET /ops/kpis and the release gates
-- add up the rows of their window instead of sorting the jobs table, which has no index on
-- finished_at or state on purpose (migration 004: updates stay HOT). UNLOGGED: no WAL; a database
-- crash empties it, and the windows fill again. Rows older than 15 minutes are deleted by the writers.
CREATE UNLOGGED TABLE job_stats (
    at              timestamptz NOT NULL DEFAULT now(),
    host            text NOT NULL,
    pid             integer NOT NULL,
    queue           text NOT NULL,
    type            text NOT NULL,
    finished        integer NOT NULL,
    failed          integer NOT NULL,
    dead            integer NOT NULL,
    retried         integer NOT NULL,
    run_buckets     integer[] NOT NULL,
    latency_buckets integer[] NOT NULL
);
CREATE INDEX job_stats_at ON job_stats (at);

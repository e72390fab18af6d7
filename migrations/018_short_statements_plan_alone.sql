-- Issue 18: with 10 million finished jobs (bench/history.sh, 2026-12-07) /metrics/fleet took 2.2 s,
-- /ops/kpis 0.8 s and /ops/overview 1.4 s although the rows they read are a handful: the open_jobs view
-- compares ids with a floor read at run time, so the planner guesses a third of every partition, and
-- that guess (cost ~270,000) switched on JIT compilation (0.4 s of LLVM per statement) and two
-- parallel workers (~70 ms to start on this 2-core machine). Measured on that database: 696 ms with
-- both, 113 ms without JIT, 13 ms without either. Every statement of this fleet is short; none gains
-- from either. Applies to new connections of this database.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
    EXECUTE format('ALTER DATABASE %I SET max_parallel_workers_per_gather = 0', current_database());
END
$$;

-- Issue 18: /metrics/fleet's checkout_jobs counted the finished jobs of the table by reading them: the
-- last hour or two at every scrape (at 400 orders/s, millions of rows) and the whole history once an
-- hour (7.8 s with 10 million jobs, bench/history.sh 2026-12-07). Finished is final, so each finished
-- job is counted once instead: the scheduler adds up the jobs below the floor of open jobs (every job
-- under it is finished or dead, migration 016) that it has not counted yet, by day partition, and a
-- scrape adds the stored sums of the partitions still there to a count of the few jobs above.
-- A dead letter replayed after its range was counted is counted by the workers' own counters, not here.
CREATE TABLE jobs_counted (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    upto  uuid NOT NULL
);
INSERT INTO jobs_counted (upto) VALUES ('00000000-0000-0000-0000-000000000000');

CREATE TABLE jobs_finished_counts (
    day_partition  text NOT NULL,
    queue          text NOT NULL,
    state          text NOT NULL,
    n              bigint NOT NULL,
    PRIMARY KEY (day_partition, queue, state)
);

-- Returns how many jobs it counted. The default partition is never counted here (read at each scrape:
-- rows kept from dropped days and old random keys, a few); a dropped day's sums go with it.
CREATE FUNCTION jobs_count_finished() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    lo uuid;
    hi uuid;
    counted bigint;
BEGIN
    SELECT upto INTO lo FROM jobs_counted FOR UPDATE;
    hi := (SELECT floor_id FROM jobs_open_floor);
    DELETE FROM jobs_finished_counts WHERE to_regclass(day_partition) IS NULL;
    IF hi <= lo THEN
        RETURN 0;
    END IF;
    WITH c AS (
        SELECT j.tableoid::regclass::text AS day_partition, j.queue, j.state, count(*) AS n FROM jobs j
        WHERE j.id >= lo AND j.id < hi AND j.tableoid <> 'jobs_default'::regclass
          AND j.state IN ('succeeded', 'failed')
        GROUP BY 1, 2, 3),
    i AS (
        INSERT INTO jobs_finished_counts AS f (day_partition, queue, state, n) SELECT * FROM c
        ON CONFLICT (day_partition, queue, state) DO UPDATE SET n = f.n + EXCLUDED.n)
    SELECT coalesce(sum(n), 0) INTO counted FROM c;
    UPDATE jobs_counted SET upto = hi;
    RETURN counted;
END
$$;

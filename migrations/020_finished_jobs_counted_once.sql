-- Issue 18: /metrics/fleet's checkout_jobs counted the finished jobs of the table by reading them: the
-- last hour or two at every scrape (at 400 orders/s, millions of rows) and the whole history once an
-- hour (7.8 s with 10 million jobs, bench/history.sh 2026-12-07). Finished is final, so each finished
-- job is counted once instead: the scheduler adds up, by hour of their key, the jobs of the day
-- partitions below the floor of open jobs (every job under it is finished or dead, migration 016) that
-- it has not counted yet, and a scrape adds the stored sums of the days still there to a count of the
-- jobs above. A dead-letter replay, which opens a job again, takes back the sums from its hour on, and
-- those hours are counted again once the floor has passed them.
CREATE FUNCTION uuid_v7_time(id uuid) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_timestamp(('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0);

CREATE TABLE jobs_counted (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    upto  uuid NOT NULL
);
INSERT INTO jobs_counted (upto) VALUES ('00000000-0000-0000-0000-000000000000');

CREATE TABLE jobs_finished_counts (
    hour   timestamptz NOT NULL,
    queue  text NOT NULL,
    state  text NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (hour, queue, state)
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
    DELETE FROM jobs_finished_counts
    WHERE to_regclass('jobs_p' || to_char(hour AT TIME ZONE 'UTC', 'YYYYMMDD')) IS NULL;
    IF hi <= lo THEN
        RETURN 0;
    END IF;
    WITH c AS (
        SELECT date_trunc('hour', uuid_v7_time(j.id)) AS hour, j.queue, j.state, count(*) AS n FROM jobs j
        WHERE j.id >= lo AND j.id < hi AND j.tableoid <> 'jobs_default'::regclass
          AND j.state IN ('succeeded', 'failed')
        GROUP BY 1, 2, 3),
    i AS (
        INSERT INTO jobs_finished_counts AS f (hour, queue, state, n) SELECT * FROM c
        ON CONFLICT (hour, queue, state) DO UPDATE SET n = f.n + EXCLUDED.n)
    SELECT coalesce(sum(n), 0) INTO counted FROM c;
    UPDATE jobs_counted SET upto = hi;
    RETURN counted;
END
$$;

-- For a dead-letter replay (in its transaction): the replayed jobs of day partitions are counted
-- again, from the start of the hour of the oldest one.
CREATE FUNCTION jobs_uncount_from(oldest uuid) RETURNS void LANGUAGE sql AS $$
    WITH h AS (SELECT date_trunc('hour', uuid_v7_time(oldest)) AS hour),
    d AS (DELETE FROM jobs_finished_counts f USING h WHERE f.hour >= h.hour)
    UPDATE jobs_counted SET upto = least(upto, uuid_v7_floor((SELECT hour FROM h)))
$$;

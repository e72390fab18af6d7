-- Issue 18: history that costs nothing. Finished jobs are kept for JOB_RETENTION and then removed by
-- dropping a whole day, not by DELETE (a dead tuple per row, its index entries, and vacuum to clean
-- both up).
--
-- jobs is partitioned by range of its primary key: job ids are UUID version 7 (common/uuid), whose
-- first 48 bits are the creation time in milliseconds, so one UTC day of jobs is one key range. Every
-- lookup by id (the hot path: WHERE id = $1, id = ANY($1)) is pruned to one partition.
--
-- The table as it was becomes the DEFAULT partition. It holds what no day partition covers: rows from
-- before version 7 (random keys), rows of days before the first day partition, and the rows a dropped
-- day still had to keep (jobs not finished, dead letters, jobs finished within the retention). The
-- maintenance deletes its expired rows; it is small once the first retention has passed.
ALTER TABLE jobs RENAME TO jobs_default;
ALTER INDEX jobs_pkey RENAME TO jobs_default_pkey;
ALTER INDEX jobs_publish RENAME TO jobs_default_publish;

CREATE TABLE jobs (LIKE jobs_default INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (id);
ALTER TABLE jobs ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);
CREATE INDEX jobs_publish ON jobs (publish_xid) WHERE publish_xid IS NOT NULL;
-- The existing indexes of the old table match these and become their partitions.
ALTER TABLE jobs ATTACH PARTITION jobs_default DEFAULT;

-- A payment keeps its id of the job that called the gateway after that job is gone: its status reads
-- the job if it is still there (a foreign key would forbid dropping the day).
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_job_id_fkey;

-- The smallest version 7 id of a time: its millisecond and nothing else (common/uuid UuidV7Floor).
CREATE FUNCTION uuid_v7_floor(t timestamptz) RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (lpad(to_hex(floor(extract(epoch FROM t) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid;

-- The partition of one UTC day, created if missing. Rows of that day the default partition holds (a
-- random legacy key can fall in any range) are moved into it first, which attaching requires.
CREATE FUNCTION jobs_day_partition(day date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    name text := 'jobs_p' || to_char(day, 'YYYYMMDD');
    lo uuid := uuid_v7_floor(day::timestamp AT TIME ZONE 'UTC');
    hi uuid := uuid_v7_floor((day + 1)::timestamp AT TIME ZONE 'UTC');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = 50)',
                   name);
    EXECUTE format('WITH m AS (DELETE FROM jobs_default WHERE id >= $1 AND id < $2 RETURNING *) '
                   'INSERT INTO %I SELECT * FROM m', name) USING lo, hi;
    -- SHARE UPDATE EXCLUSIVE on jobs: inserts and updates go on while it attaches.
    EXECUTE format('ALTER TABLE jobs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    RETURN true;
END $$;

-- Creates the partitions of yesterday (UTC) to `days_ahead` days after `at`, drops the days that ended
-- more than `retention` before `at`, and deletes the default partition's rows finished more than
-- `retention` before `at`. A dropped day's rows that must stay (not finished, dead letters waiting for
-- an operator, finished within the retention) move to the default partition first. `at` is now()
-- except in tests, which roll the calendar forward. Runs under a lock timeout: dropping a day needs
-- the table alone for a moment, and a maintenance that waits must not stall every order behind it; it
-- is tried again next period. Returns what it did, for the log.
CREATE FUNCTION jobs_maintain(retention interval, days_ahead int DEFAULT 3, at timestamptz DEFAULT now())
RETURNS TABLE (created int, dropped int, kept int, deleted bigint) LANGUAGE plpgsql AS $$
DECLARE
    today date := (at AT TIME ZONE 'UTC')::date;
    horizon timestamptz := at - retention;
    d date;
    p record;
    n bigint;
BEGIN
    created := 0; dropped := 0; kept := 0; deleted := 0;
    PERFORM pg_advisory_xact_lock(727274015);
    SET LOCAL lock_timeout = '2s';
    FOR d IN SELECT generate_series(today - 1, today + days_ahead, interval '1 day')::date LOOP
        IF jobs_day_partition(d) THEN
            created := created + 1;
        END IF;
    END LOOP;
    FOR p IN SELECT c.relname,
                    to_date(substr(c.relname, 7), 'YYYYMMDD') AS day
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'jobs'::regclass AND c.relname ~ '^jobs_p[0-9]{8}$'
             ORDER BY 1 LOOP
        CONTINUE WHEN ((p.day + 1)::timestamp AT TIME ZONE 'UTC') > horizon;
        EXECUTE format('ALTER TABLE jobs DETACH PARTITION %I', p.relname);
        EXECUTE format('INSERT INTO jobs SELECT * FROM %I WHERE state NOT IN (''succeeded'', ''failed'') '
                       'OR finished_at > $1', p.relname) USING horizon;
        GET DIAGNOSTICS n = ROW_COUNT;
        kept := kept + n;
        EXECUTE format('DROP TABLE %I', p.relname);
        dropped := dropped + 1;
    END LOOP;
    DELETE FROM jobs_default WHERE state IN ('succeeded', 'failed') AND finished_at <= horizon;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN NEXT;
END $$;

SELECT * FROM jobs_maintain(interval '14 days');

-- Issue 18: the fleet's figures (/metrics/fleet, /ops/kpis, /ops/overview) read the jobs that are
-- waiting or dead without reading the history (10 million finished jobs must not slow them down), and
-- without an index on state: every state change would then write an entry in every index of the row
-- (no HOT update), which halved the worker's drain rate when measured (migration 004).
--
-- Dead letters: a column computed from state and a partial index on it. The column changes only when a
-- job becomes dead or is replayed, so the other state changes stay HOT updates.
ALTER TABLE jobs ADD COLUMN dead boolean GENERATED ALWAYS AS (state = 'dead') STORED;
CREATE INDEX jobs_dead ON jobs (queue, updated_at) WHERE dead;

-- Jobs not finished (queued, running, retrying): every such job of a day partition has an id at or
-- above open_floor (ids are version 7: time-ordered). The scheduler moves the floor up to the oldest
-- such job, never closer than 10 s to now (an API host whose clock is a little behind still inserts
-- above it); a dead-letter replay, the one way a finished job opens again, moves it down to the
-- replayed job. The default partition (old random keys, rows kept from dropped days) is read whole.
CREATE TABLE jobs_open_floor (
    one       boolean PRIMARY KEY DEFAULT true CHECK (one),
    floor_id  uuid NOT NULL
);
INSERT INTO jobs_open_floor (floor_id) VALUES ('00000000-0000-0000-0000-000000000000');
ALTER TABLE jobs_open_floor SET (fillfactor = 50);

CREATE VIEW open_jobs AS
    SELECT j.* FROM jobs j
    WHERE j.id >= (SELECT floor_id FROM jobs_open_floor) AND j.tableoid <> 'jobs_default'::regclass
      AND j.state IN ('queued', 'running', 'retrying')
    UNION ALL
    SELECT d.* FROM jobs_default d WHERE d.state IN ('queued', 'running', 'retrying');

CREATE FUNCTION jobs_advance_open_floor() RETURNS uuid LANGUAGE sql AS $$
    UPDATE jobs_open_floor f SET floor_id = greatest(f.floor_id, least(
        uuid_v7_floor(now() - interval '10 seconds'),
        (SELECT j.id FROM jobs j
         WHERE j.id >= f.floor_id AND j.tableoid <> 'jobs_default'::regclass
           AND j.state IN ('queued', 'running', 'retrying') ORDER BY j.id LIMIT 1)))
    RETURNING floor_id
$$;

-- The columns a row is moved with (not the computed ones).
CREATE FUNCTION jobs_stored_columns() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
    WHERE attrelid = 'jobs'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
$$;

CREATE OR REPLACE FUNCTION jobs_day_partition(day date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    name text := 'jobs_p' || to_char(day, 'YYYYMMDD');
    lo uuid := uuid_v7_floor(day::timestamp AT TIME ZONE 'UTC');
    hi uuid := uuid_v7_floor((day + 1)::timestamp AT TIME ZONE 'UTC');
    cols text := jobs_stored_columns();
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- The whole table, for a moment, before anything else: an insert that had already chosen the
    -- default partition would fail once the new range is taken from it ("violates partition
    -- constraint"; seen with orders flowing), and every session takes the table before its partitions,
    -- so taking it first cannot deadlock.
    LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE;
    EXECUTE format('CREATE TABLE %I (LIKE jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED) '
                   'WITH (fillfactor = 50)', name);
    EXECUTE format('WITH m AS (DELETE FROM jobs_default WHERE id >= $1 AND id < $2 RETURNING *) '
                   'INSERT INTO %I (%s) SELECT %s FROM m', name, cols, cols) USING lo, hi;
    EXECUTE format('ALTER TABLE jobs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION jobs_maintain(retention interval, days_ahead int DEFAULT 3, at timestamptz DEFAULT now())
RETURNS TABLE (created int, dropped int, kept int, deleted bigint) LANGUAGE plpgsql AS $$
DECLARE
    today date := (at AT TIME ZONE 'UTC')::date;
    horizon timestamptz := at - retention;
    cols text := jobs_stored_columns();
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
        LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE;  -- the table before the partition, as every session
        EXECUTE format('ALTER TABLE jobs DETACH PARTITION %I', p.relname);
        EXECUTE format('INSERT INTO jobs (%s) SELECT %s FROM %I WHERE state NOT IN (''succeeded'', ''failed'') '
                       'OR coalesce(finished_at, updated_at) > $1', cols, cols, p.relname) USING horizon;
        GET DIAGNOSTICS n = ROW_COUNT;
        kept := kept + n;
        EXECUTE format('DROP TABLE %I', p.relname);
        dropped := dropped + 1;
    END LOOP;
    DELETE FROM jobs_default WHERE state IN ('succeeded', 'failed') AND coalesce(finished_at, updated_at) <= horizon;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN NEXT;
END $$;

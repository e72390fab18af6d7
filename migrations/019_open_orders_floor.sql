-- Issue 18: the scheduler's order expiry looked for unpaid `confirmed` orders with a sequential scan of
-- every order ever placed, every SCHEDULER_PERIOD: 7.8 s per run with 10 million orders of history
-- (bench/history.sh, 2026-12-07). An index on status would make every status change a non-HOT update
-- (migration 014), so: an index on created_at, which never changes, and a floor below which no order is
-- still open, moved up by the scheduler as orders close; the expiry reads from the floor only.
CREATE INDEX orders_created ON orders (created_at);

CREATE TABLE orders_open_floor (
    one       boolean PRIMARY KEY DEFAULT true CHECK (one),
    floor_at  timestamptz NOT NULL
);
INSERT INTO orders_open_floor (floor_at) VALUES ('-infinity');
ALTER TABLE orders_open_floor SET (fillfactor = 50);

-- Up to the oldest order that may still be confirmed: a confirmed one, or a pending one younger than a
-- day (its job still runs or retries; retries end well within a day, and a dead-letter replay, the one
-- way an older pending order comes back, lowers the floor to its job). Never closer than a minute to
-- now: an insert that began earlier may commit after this runs, with its own earlier created_at.
CREATE FUNCTION orders_advance_open_floor() RETURNS timestamptz LANGUAGE sql AS $$
    UPDATE orders_open_floor f SET floor_at = greatest(f.floor_at, least(
        now() - interval '1 minute',
        (SELECT o.created_at FROM orders o
         WHERE o.created_at >= f.floor_at
           AND (o.status = 'confirmed' OR (o.status = 'pending' AND o.created_at > now() - interval '1 day'))
         ORDER BY o.created_at LIMIT 1)))
    RETURNING floor_at
$$;

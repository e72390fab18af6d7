-- Every worker, relay, keeper and scheduler process says here, every 2 seconds, what it is and what
-- it is doing (common/fleet_heartbeat.hpp), for GET /ops and the operator's process list: the one
-- place that sees processes on every host. UNLOGGED: it costs no WAL, and a database crash only
-- empties it until the next heartbeats.
CREATE UNLOGGED TABLE fleet_processes (
    host         text NOT NULL,
    pid          integer NOT NULL,
    process      text NOT NULL,           -- e.g. worker-order_heavy, outbox-relay
    queue        text,                    -- workers only
    metrics_port integer,                 -- its GET /metrics, when it serves one
    started_at   timestamptz NOT NULL,
    jobs_done    bigint NOT NULL DEFAULT 0,
    in_flight    integer NOT NULL DEFAULT 0,
    doing        text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (host, pid)
);

-- Payments (DESIGN 3.2), the payment log, points earned, gateway webhooks, and the scheduler's
-- once-per-period bookkeeping.

-- One attempt to pay one order through the gateway. Status: in_progress -> done | failed;
-- done -> refunding -> canceled; an approval that can no longer be used (order expired or canceled,
-- payment already failed) goes in_progress -> refunding -> canceled.
CREATE TABLE payments (
    id               uuid PRIMARY KEY,
    order_id         uuid NOT NULL REFERENCES orders (id),
    user_id          bigint NOT NULL REFERENCES users (id),
    payment_key      text NOT NULL UNIQUE,
    amount           bigint NOT NULL CHECK (amount >= 0),
    status           text NOT NULL CHECK (status IN ('in_progress', 'done', 'failed', 'refunding', 'canceled')),
    -- The gateway approved it (confirm answered DONE, a lookup found it DONE, or a verified webhook
    -- said so) and payment.finalize was enqueued; set once, so finalize is enqueued once.
    approved         boolean NOT NULL DEFAULT false,
    job_id           uuid NOT NULL REFERENCES jobs (id),  -- payment.call_gateway
    method           text,
    approved_at      text,        -- as the gateway wrote it
    gateway_secret   text,        -- Payment.secret: what PAYMENT_STATUS_CHANGED webhooks are checked against
    failure_code     text,
    failure_message  text,
    cancel_reason    text,
    refund_job_id    uuid,        -- payment.cancel, once a refund is requested
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- At most one payment of an order is live; a failed one may be followed by a new one.
CREATE UNIQUE INDEX payments_one_live_per_order ON payments (order_id) WHERE status <> 'failed';
-- The reconciler's scan.
CREATE INDEX payments_in_progress ON payments (updated_at) WHERE status = 'in_progress';

-- Every change of a payment's money state, for support and accounting.
CREATE TABLE payment_log (
    id          bigserial PRIMARY KEY,
    payment_id  uuid NOT NULL REFERENCES payments (id),
    event       text NOT NULL,   -- approved, paid, failed, refund_requested, refunded, webhook
    detail      jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_log_by_payment ON payment_log (payment_id, id);

-- Points: a ledger explains every change; one earn per order, whatever the redeliveries.
CREATE TABLE point_ledger (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    order_id    uuid REFERENCES orders (id),
    kind        text NOT NULL CHECK (kind IN ('earn', 'spend', 'expire', 'restore')),
    amount      bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, kind)
);
CREATE TABLE user_points (
    user_id  bigint PRIMARY KEY REFERENCES users (id),
    balance  bigint NOT NULL CHECK (balance >= 0)
);

-- Webhook deliveries already applied: a replay (same transmission, or same payment state) is ignored.
CREATE TABLE webhook_events (
    dedup_key    text PRIMARY KEY,
    event_type   text NOT NULL,
    payment_key  text,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- Periodic jobs of the scheduler: a copy runs a job only if it moves last_run_at forward past one
-- period, so however many copies run, each job runs once per period fleet-wide.
CREATE TABLE periodic_runs (
    name         text PRIMARY KEY,
    last_run_at  timestamptz NOT NULL DEFAULT '-infinity'
);

-- Each external-api worker's view of the gateway, refreshed every few seconds, for GET /metrics.
CREATE TABLE gateway_breakers (
    worker      text PRIMARY KEY,   -- host:pid
    host        text NOT NULL,      -- the gateway's base URL
    state       text NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

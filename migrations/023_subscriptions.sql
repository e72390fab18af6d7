-- Issue 20: subscriptions and their charges. A subscription keeps its anchor (the first period's
-- start, a calendar day in BILLING_TIMEZONE) and the price of its current period. Each charge is one
-- row per (subscription, period, kind), unique: that row is the guard that makes every scheduler
-- copy, restart and redelivery find the same charge, and the gateway's orderId is derived from it.
-- Every attempt at the gateway is a row with the gateway's code.
CREATE TABLE subscriptions (
    id                    uuid PRIMARY KEY,
    user_id               bigint NOT NULL,
    plan_id               bigint NOT NULL REFERENCES plans (id),
    -- incomplete: the first charge is being made; incomplete_expired: it was declined (nothing owed,
    -- nothing given); then active, past_due, paused, canceled, unpaid.
    status                text NOT NULL CHECK (status IN ('incomplete', 'incomplete_expired', 'active', 'past_due',
                                                          'paused', 'canceled', 'unpaid')),
    cycle                 text NOT NULL CHECK (cycle IN ('monthly', 'yearly')),
    price                 bigint NOT NULL CHECK (price > 0),
    anchor_date           date NOT NULL,
    period                int NOT NULL DEFAULT 0 CHECK (period >= 0),
    period_start          date NOT NULL,
    period_end            date NOT NULL CHECK (period_end > period_start),
    cancel_at_period_end  boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    ended_at              timestamptz
);
-- One live subscription per buyer, whatever the concurrency.
CREATE UNIQUE INDEX subscriptions_one_live ON subscriptions (user_id)
    WHERE status IN ('incomplete', 'active', 'past_due', 'paused');

CREATE TABLE subscription_charges (
    id               uuid PRIMARY KEY,
    subscription_id  uuid NOT NULL REFERENCES subscriptions (id),
    period           int NOT NULL CHECK (period >= 0),
    kind             text NOT NULL CHECK (kind IN ('P', 'U')),  -- a period, or an upgrade within one
    order_id         text NOT NULL UNIQUE,                       -- the gateway's orderId
    amount           bigint NOT NULL CHECK (amount > 0),
    status           text NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    payment_key      text,
    approved_at      text,
    failure_code     text,
    failure_message  text,
    job_id           uuid NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, period, kind)
);
CREATE INDEX subscription_charges_by_subscription ON subscription_charges (subscription_id, created_at DESC);

CREATE TABLE subscription_charge_attempts (
    id          bigserial PRIMARY KEY,
    charge_id   uuid NOT NULL REFERENCES subscription_charges (id),
    -- approved / declined: the gateway's answer; unknown: no answer (looked up before anything else);
    -- found: the lookup's answer.
    outcome     text NOT NULL CHECK (outcome IN ('approved', 'declined', 'unknown', 'found', 'not_found')),
    code        text,
    message     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_charge_attempts_by_charge ON subscription_charge_attempts (charge_id, id);

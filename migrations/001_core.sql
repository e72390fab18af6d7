-- Users, products, orders, jobs and the outbox: the walking skeleton's schema.

CREATE TABLE users (
    id          bigserial PRIMARY KEY,
    sub         text NOT NULL UNIQUE,              -- the JWT subject from the shop's auth service
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    price       bigint NOT NULL CHECK (price >= 0),
    -- The last line of defence against oversell: even a buggy statement cannot make stock negative.
    stock       bigint NOT NULL CHECK (stock >= 0),
    sold_count  bigint NOT NULL DEFAULT 0 CHECK (sold_count >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every unit of background work, with the state a client sees through GET /api/v1/jobs/{id}.
CREATE TABLE jobs (
    id               uuid PRIMARY KEY,
    type             text NOT NULL,
    queue            text NOT NULL,
    state            text NOT NULL CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'failed', 'dead')),
    payload          jsonb NOT NULL,
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
CREATE INDEX jobs_unfinished ON jobs (queue, state) WHERE state IN ('queued', 'running', 'retrying');

CREATE TABLE orders (
    id               uuid PRIMARY KEY,
    order_number     text NOT NULL UNIQUE CHECK (order_number ~ '^[A-Za-z0-9_-]{6,64}$'),
    user_id          bigint NOT NULL REFERENCES users (id),
    status           text NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed', 'paid', 'expired', 'canceled')),
    requested_items  jsonb NOT NULL,   -- [{product_id, quantity, unit_price}] as accepted by the API
    shipping         jsonb NOT NULL,
    memo             text,
    total_amount     bigint NOT NULL CHECK (total_amount >= 0),
    discount_amount  bigint NOT NULL DEFAULT 0,
    points_used      bigint NOT NULL DEFAULT 0,
    final_amount     bigint NOT NULL CHECK (final_amount >= 0),
    failure_reason   text,
    job_id           uuid NOT NULL REFERENCES jobs (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC);

CREATE TABLE order_items (
    order_id    uuid NOT NULL REFERENCES orders (id),
    product_id  bigint NOT NULL REFERENCES products (id),
    quantity    int NOT NULL CHECK (quantity > 0),
    unit_price  bigint NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, product_id)
);

-- The transactional outbox: a job's message is written in the same commit as the business row, and
-- the relay publishes it (with confirms) once available_at has passed. Delayed retries use it too.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    job_id        uuid NOT NULL,
    routing_key   text NOT NULL,
    body          text NOT NULL,
    available_at  timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_due ON outbox (available_at, id);

-- Idempotency-Key on POSTs that create something: the first answer is stored with the effect.
CREATE TABLE idempotency_keys (
    user_id        bigint NOT NULL REFERENCES users (id),
    key            text NOT NULL,
    request_hash   text NOT NULL,
    status_code    int NOT NULL,
    response_body  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

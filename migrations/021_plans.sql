-- Issue 20: subscription plans. An admin creates, changes and deactivates them; buyers see the
-- active ones. A subscription keeps the price of its current period, so a new price here applies
-- from each subscriber's next period; a deactivated plan takes no new subscribers and keeps its
-- current ones.
CREATE TABLE plans (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    price       bigint NOT NULL CHECK (price BETWEEN 1 AND 100000000),  -- won per period
    cycle       text NOT NULL CHECK (cycle IN ('monthly', 'yearly')),
    features    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(features) = 'object'),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

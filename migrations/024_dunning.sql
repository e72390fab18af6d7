-- Issue 20: dunning. A declined renewal keeps its one charge row per (subscription, period) and is
-- tried again on it: same orderId (the gateway refuses a second approval of one orderId), a new
-- round (each round sends its own Idempotency-Key, or the gateway would replay the decline).
ALTER TABLE subscription_charges
    ADD COLUMN round        int NOT NULL DEFAULT 0 CHECK (round >= 0),  -- 0: the first try; n: the nth retry
    ADD COLUMN declined_at  timestamptz,  -- the first decline: DUNNING_SCHEDULE counts from it
    ADD COLUMN retry_at     timestamptz;  -- a soft decline's next try; NULL: none planned
CREATE INDEX subscription_charges_retry_due ON subscription_charges (retry_at) WHERE retry_at IS NOT NULL;

-- needs_card: a hard decline (or a deleted billing key) waits for the buyer's new card, which retries
-- at once. dunning_ends_at: when a past_due subscription with nothing left to try ends (DUNNING_FINAL).
ALTER TABLE subscriptions
    ADD COLUMN needs_card       boolean NOT NULL DEFAULT false,
    ADD COLUMN dunning_ends_at  timestamptz;
CREATE INDEX subscriptions_dunning_ends ON subscriptions (dunning_ends_at) WHERE dunning_ends_at IS NOT NULL;

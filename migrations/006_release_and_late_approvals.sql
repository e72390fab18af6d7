-- Issue 9.
-- One live payment per order means one that holds, or may yet hold, the buyer's money for it:
-- in_progress or done. A payment we gave up on (failed) whose approval arrives late must be able to
-- become `refunding` while the buyer's next payment is live; under the old predicate
-- (status <> 'failed') that transition was refused and the late approval was never refunded.
DROP INDEX IF EXISTS payments_one_live_per_order;
CREATE UNIQUE INDEX payments_one_live_per_order ON payments (order_id) WHERE status IN ('in_progress', 'done');

-- Points earned by an order are taken back when the order is refunded: a `revoke` ledger row (a
-- negative amount), once per order like the earn itself.
ALTER TABLE point_ledger DROP CONSTRAINT IF EXISTS point_ledger_kind_check;
ALTER TABLE point_ledger ADD CONSTRAINT point_ledger_kind_check
    CHECK (kind IN ('earn', 'spend', 'expire', 'restore', 'revoke'));

-- Webhooks are checked against the secret the gateway gave us; a payment approved without one
-- stores NULL, never '' (which an empty secret in a forged webhook would match).
UPDATE payments SET gateway_secret = NULL WHERE gateway_secret = '';
ALTER TABLE payments ADD CONSTRAINT payments_secret_not_empty CHECK (gateway_secret IS NULL OR gateway_secret <> '');

-- Runs of a job started after its worker died (redeliveries) that never reached an outcome: the
-- workers' own poison count, so that a crash raises only the count of the job that was running.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS crashes int NOT NULL DEFAULT 0;

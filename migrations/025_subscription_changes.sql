-- Issue 20: changes. An immediate cancel pays back the unused days of the period's charge at the gateway (a
-- partial cancel with cancelAmount). One refund per charge, whatever retries or repeated cancels do.
CREATE TABLE subscription_refunds (
    id            uuid PRIMARY KEY,
    charge_id     uuid NOT NULL UNIQUE REFERENCES subscription_charges (id),
    amount        bigint NOT NULL CHECK (amount > 0),
    status        text NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    failure_code  text,
    job_id        uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Plan changes. An upgrade is a charge of kind 'U' within the period for the price difference of the
-- days left; the subscription moves to the new plan (and its price) when that charge is done. A
-- downgrade waits for the next period: next_plan_id is what the renewal charges and switches to.
ALTER TABLE subscription_charges
    ADD COLUMN upgrade_plan_id  bigint REFERENCES plans (id),
    ADD COLUMN upgrade_price    bigint,
    ADD CHECK ((kind = 'U') = (upgrade_plan_id IS NOT NULL AND upgrade_price IS NOT NULL));
ALTER TABLE subscriptions ADD COLUMN next_plan_id bigint REFERENCES plans (id);

-- Pause and resume. A resume after the paid period ended starts a new period on the resume day: the
-- anchor moves there, and anchor_period is the period it anchors (periods are counted from it).
ALTER TABLE subscriptions ADD COLUMN anchor_period int NOT NULL DEFAULT 0 CHECK (anchor_period >= 0);

-- Issue 20: an immediate cancel pays back the unused days of the period's charge at the gateway (a
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

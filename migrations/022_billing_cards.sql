-- Issue 20: cards registered for billing. A billing key charges a card without its owner, so it is
-- kept only sealed (AES-256-GCM under BILLING_KEY_SECRET, bound to the card's id), with an HMAC of it
-- to find the card a BILLING_DELETED event names; the widget's one-time authKey is sealed as well
-- until the gateway has answered, and only its HMAC stays (one registration per authKey). Buyers see
-- the card company and the last digits, never a key.
--
-- The customerKey the widget and the gateway see is random per buyer, never derived from the user id.
CREATE TABLE billing_customers (
    user_id       bigint PRIMARY KEY,
    customer_key  text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing_cards (
    id                  uuid PRIMARY KEY,
    user_id             bigint NOT NULL,
    customer_key        text NOT NULL,
    -- issuing: its job is exchanging the authKey; active: the buyer's card (one at most);
    -- replaced: a newer card took over; failed: the gateway refused the authKey; deleted: BILLING_DELETED.
    status              text NOT NULL CHECK (status IN ('issuing', 'active', 'failed', 'replaced', 'deleted')),
    auth_key_digest     text NOT NULL UNIQUE,
    sealed_auth_key     text,
    sealed_billing_key  text,
    billing_key_digest  text UNIQUE,
    card_company        text,
    card_last4          text,
    failure_code        text,
    failure_message     text,
    job_id              uuid NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'active' OR (sealed_billing_key IS NOT NULL AND billing_key_digest IS NOT NULL)),
    CHECK (status = 'issuing' OR sealed_auth_key IS NULL)
);
CREATE UNIQUE INDEX billing_cards_one_active ON billing_cards (user_id) WHERE status = 'active';
CREATE INDEX billing_cards_by_user ON billing_cards (user_id, created_at DESC);

-- The admin's list of failed subscription charges, the latest decline first
-- (GET /api/v1/admin/subscriptions/failed-charges): only failed charges are indexed.
CREATE INDEX subscription_charges_failed ON subscription_charges (updated_at DESC, id DESC)
    WHERE status = 'failed';

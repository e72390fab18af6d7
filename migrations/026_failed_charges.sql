-- The admin's list of failed subscription charges, the latest declined first
-- (GET /api/v1/admin/subscriptions/failed-charges). The index is on declined_at, which an approval
-- never changes: an index on status or updated_at would make every settling update of a charge a
-- non-HOT one (new entries in every index of the table), on the renewals' hot path.
CREATE INDEX subscription_charges_declined ON subscription_charges (declined_at DESC, id DESC)
    WHERE declined_at IS NOT NULL;

-- Room on each page for the new row version of a settled charge and of a subscription whose period
-- advanced, so that those updates stay HOT (as for jobs and orders: 004, 014).
ALTER TABLE subscription_charges SET (fillfactor = 60);
ALTER TABLE subscriptions SET (fillfactor = 70);

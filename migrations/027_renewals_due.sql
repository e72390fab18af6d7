-- The scheduler's renewal pass takes the due subscriptions 500 at a time (FOR UPDATE SKIP LOCKED,
-- ORDER BY period_end, id). Without an index each batch scanned and sorted every subscription: at
-- 100,000 due, 0.5 ms of PostgreSQL per charge, the costliest statement of a renewal (bench/
-- subscriptions.sh). The period's advance is then no longer a HOT update (period_end is indexed): an
-- index entry per period, far cheaper than the scans.
CREATE INDEX subscriptions_due ON subscriptions (period_end, id)
    WHERE status = 'active' AND NOT cancel_at_period_end;

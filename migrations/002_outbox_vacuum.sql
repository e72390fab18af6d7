-- The outbox is a queue: every row is inserted and deleted within milliseconds. Vacuum it eagerly so
-- that the relay's scans do not wade through dead rows under sustained load.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
                        autovacuum_vacuum_cost_delay = 0);

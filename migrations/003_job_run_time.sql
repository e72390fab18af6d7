-- How long the handler of a job's last attempt ran, for the duration histogram in GET /metrics.
ALTER TABLE jobs ADD COLUMN run_ms integer;

-- Issue 8: status reads that cost no query. Every commit that changes what GET …/status shows
-- notifies channel `status`; each API process LISTENs and keeps the statuses its clients poll in
-- memory (api/status_cache.hpp). Payloads: "o <order id>", "p <payment id>", "j <job id>".
--
-- Triggers, so that no code path that changes a status can forget to say so. A job's success is not
-- announced on its own: the same commit changes its order's or payment's status, which is.
CREATE OR REPLACE FUNCTION notify_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('status', TG_ARGV[0] || ' ' || NEW.id::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER orders_status_changed AFTER UPDATE OF status ON orders FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION notify_status('o');

CREATE OR REPLACE TRIGGER payments_status_changed AFTER UPDATE ON payments FOR EACH ROW
    WHEN ((OLD.status, OLD.method, OLD.failure_code) IS DISTINCT FROM (NEW.status, NEW.method, NEW.failure_code))
    EXECUTE FUNCTION notify_status('p');

CREATE OR REPLACE TRIGGER jobs_state_changed AFTER UPDATE ON jobs FOR EACH ROW
    WHEN ((OLD.state, OLD.attempts) IS DISTINCT FROM (NEW.state, NEW.attempts) AND NEW.state <> 'succeeded')
    EXECUTE FUNCTION notify_status('j');

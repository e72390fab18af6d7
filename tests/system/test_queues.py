"""The queue runtime's promises on the real system: retry with backoff, final failures, dead letters
and their replay, poison messages, time limits. Uses the fault-injection worker (test_hooks queue)."""
import datetime
import os
import subprocess
import time
import urllib.request
import uuid

from conftest import (METRICS_TOKEN, BIN, ROOT, RUN_DIR, create_product, effects, enqueue, final_status, job_row, order_body, request,
                      service_env, sql, token, wait_job, wait_until)

ADMIN = None


def admin():
    global ADMIN
    ADMIN = ADMIN or token("ops-admin", "admin")
    return ADMIN


def ts(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def test_retryable_failures_back_off_then_succeed_with_one_effect():
    key = uuid.uuid4().hex
    job = enqueue("test.flaky", {"key": key, "fail_times": 2})
    seen = {}  # attempt -> (time we saw it retrying, its next_attempt_at)
    deadline = time.time() + 15
    while time.time() < deadline:
        status, _, view = request("GET", f"/api/v1/jobs/{job}", tok=admin())
        assert status == 200
        if view["state"] == "retrying" and view["attempts"] not in seen:
            seen[view["attempts"]] = (time.time(), ts(view["next_attempt_at"]), view["last_error"])
        if view["state"] == "succeeded":
            break
        time.sleep(0.01)
    assert view["state"] == "succeeded" and view["attempts"] == 3, view
    assert sorted(seen) == [1, 2]
    # Backoff of the test queue: 300 ms then 600 ms, jitter 10%; allow for polling and clock skew.
    for attempt, base in [(1, 0.3), (2, 0.6)]:
        seen_at, next_at, error = seen[attempt]
        assert "injected failure" in error
        assert base * 0.9 - 0.1 <= next_at - seen_at <= base * 1.1 + 0.05, (attempt, next_at - seen_at)
    assert effects(key) == 1


def test_final_failure_ends_failed_at_once():
    job = enqueue("test.fail_final", {})
    state, attempts, error = wait_job(job, {"failed", "dead", "succeeded"}, 10)
    assert (state, attempts) == ("failed", 1)
    assert "VALIDATION_FAILED" in error
    time.sleep(1.0)  # a retry would have happened within the 300 ms backoff
    assert job_row(job)[:2] == ("failed", 1)


def test_exhausted_retries_end_dead_and_replay_runs_them_once():
    keys = [uuid.uuid4().hex, uuid.uuid4().hex]
    jobs = [enqueue("test.flaky", {"key": k, "until_flag": True}) for k in keys]
    for job in jobs:
        state, attempts, error = wait_job(job, {"dead"}, 20)
        assert attempts == 3 and "until the flag" in error  # max_retries 2: three runs
    status, _, listing = request("GET", "/ops/dead-letters?queue=test_hooks", tok=admin())
    assert status == 200
    listed = {item["job"]["id"] for item in listing["items"]}
    assert set(jobs) <= listed
    assert request("GET", "/ops/dead-letters", tok=token("not-admin"))[0] == 403
    assert request("GET", "/ops/dead-letters?queue=nope", tok=admin())[0] == 404

    for k in keys:
        sql(f"INSERT INTO test_flags (key) VALUES ('{k}')")
    # One through the HTTP endpoint...
    status, _, body = request("POST", "/ops/dead-letters/replay", {"queue": "test_hooks", "job_id": jobs[0]}, tok=admin())
    assert status == 200 and body["replayed"] == [jobs[0]]
    # ...the other through the command-line tool.
    out = subprocess.run([os.path.join(ROOT, "scripts", "dead_letters.sh"), "replay", "test_hooks", "--all"],
                         env=service_env(), capture_output=True, text=True, check=True)
    assert jobs[1] in out.stdout
    for job, k in zip(jobs, keys):
        state, attempts, _ = wait_job(job, {"succeeded"}, 15)
        assert attempts == 1  # attempts were reset by the replay
        assert effects(k) == 1
    # Replaying a job that is no longer dead changes nothing.
    status, _, body = request("POST", "/ops/dead-letters/replay", {"queue": "test_hooks", "job_id": jobs[0]}, tok=admin())
    assert status == 404
    status, _, body = request("POST", "/ops/dead-letters/replay", {"queue": "test_hooks"}, tok=admin())
    assert status == 422 and body["code"] == "VALIDATION_FAILED"


def test_poison_message_ends_dead_while_the_fleet_keeps_working():
    poison = enqueue("test.crash", {})
    # While the test-hooks worker crashes on it again and again, orders keep flowing.
    product = create_product(stock=50)
    tok = token("poison-bystander-" + uuid.uuid4().hex)
    placed = [request("POST", "/api/v1/orders", order_body(product), tok=tok)[2] for _ in range(20)]
    for p in placed:
        assert final_status(p["order_id"], tok, timeout=30)["status"] == "confirmed"
    state, _, error = wait_job(poison, {"dead"}, 60)
    assert "POISON" in error
    # The test-hooks worker is back (its supervisor restarted it) and serves other jobs.
    key = uuid.uuid4().hex
    healthy = enqueue("test.flaky", {"key": key})
    assert wait_job(healthy, {"succeeded"}, 30)[0] == "succeeded"
    assert effects(key) == 1


def test_handler_past_its_time_limit_is_abandoned_and_retried_while_the_worker_serves_others():
    key = uuid.uuid4().hex
    slow = enqueue("test.sleep", {"key": key, "ms": 4000, "sleep_attempts": 1})
    # Its handler holds a transaction open while it sleeps.
    # (the attempt's first statement locks the job row: StartAttempt's UPDATE, or LockAttempt's SELECT)
    wait_until(lambda: sql("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                           "AND (query LIKE 'UPDATE jobs SET state = ''running''%' "
                           "OR query LIKE 'SELECT attempts + 1 FROM jobs%')") != "0", 10, "the slow job to start")
    # The other threads keep serving while one handler is stuck.
    quick = [enqueue("test.flaky", {"key": uuid.uuid4().hex}) for _ in range(5)]
    for q in quick:
        assert wait_job(q, {"succeeded"}, 10)[0] == "succeeded"
    # Served at once, each well before the stuck handler's 2 s limit frees its thread. Measured by the
    # job rows (enqueue to finish), so that the time to launch checkout-ops for each does not count.
    waits = sql("SELECT max(extract(epoch FROM finished_at - created_at)) FROM jobs "
                "WHERE id IN (%s)" % ",".join("'%s'" % uuid.UUID(q) for q in quick))
    assert float(waits) < 1.0
    state, attempts, error = wait_job(slow, {"succeeded", "dead", "failed"}, 20)
    assert (state, attempts) == ("succeeded", 2)
    assert "TIME_LIMIT_EXCEEDED" in error
    # The abandoned attempt's effect was rolled back with its transaction: exactly one effect.
    time.sleep(2.5)  # let the abandoned sleeper wake up and try to commit
    assert effects(key) == 1


def test_metrics_expose_jobs_retries_dead_letters_durations_backlog_and_queues():
    key = uuid.uuid4().hex
    job = enqueue("test.flaky", {"key": key, "fail_times": 1})
    wait_job(job, {"succeeded"}, 15)
    text = ""
    for path in ("/metrics", "/metrics/fleet"):
        status, headers, body = request("GET", path, tok=METRICS_TOKEN if path.endswith("fleet") else None)
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        text += body
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
             if line and not line.startswith("#")}
    succeeded = int(sql("SELECT count(*) FROM jobs WHERE queue = 'test_hooks' AND state = 'succeeded'"))
    assert lines['checkout_jobs{queue="test_hooks",state="succeeded"}'] == succeeded
    # Retries and run times by type come from the worker that ran them (its own /metrics).
    port = open(os.path.join(RUN_DIR, "pids", "test_hooks-1.port")).read().strip()
    worker = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    lines.update({line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in worker.splitlines()
                  if line and not line.startswith("#")})
    flaky = 'queue="test_hooks",type="test.flaky"'
    assert lines['checkout_job_retries_total{%s}' % flaky] >= 1
    assert lines['checkout_job_handler_duration_seconds_count{%s}' % flaky] >= 1
    assert lines['checkout_job_handler_duration_seconds_bucket{%s,le="+Inf"}' % flaky] == \
        lines['checkout_job_handler_duration_seconds_count{%s}' % flaky]
    assert 'checkout_outbox_backlog{kind="due"}' in lines
    assert lines['checkout_queue_consumers{queue="order_heavy"}'] >= 1
    assert lines["checkout_rabbitmq_up"] == 1
    assert lines['checkout_http_responses_total{route="GET /health",class="2xx"}'] >= 1
    assert lines['checkout_http_request_duration_seconds_count{route="GET /health"}'] >= 1

"""Configuration errors stop every binary at start (exit 2), naming the setting; the supervisor does not
restart a binary that stopped on one; the broker URL as Django/Celery settings write it works."""
import os
import subprocess
import time

from conftest import API_PORT, BIN, ROOT, STATE, wait_until


def run(binary, **env):
    base = {"PATH": os.environ["PATH"], "DATABASE_URL": os.environ["DATABASE_URL"], "AMQP_URL": os.environ["AMQP_URL"],
            "JWT_SECRET": "x" * 40, "BILLING_KEY_SECRET": os.environ["BILLING_KEY_SECRET"], "QUEUES_FILE": os.path.join(ROOT, "queues.yaml"), "API_PORT": "18999",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS")}
    base.update(env)
    return subprocess.run([os.path.join(BIN, binary)], env={k: v for k, v in base.items() if v is not None},
                          capture_output=True, text=True, timeout=20)


def test_each_binary_names_the_bad_setting_and_exits():
    bad_yaml = os.path.join(STATE, "bad-queues.yaml")
    with open(os.path.join(ROOT, "queues.yaml")) as f:
        text = f.read()
    with open(bad_yaml, "w") as f:
        f.write(text.replace("prefetch: 64", "prefetch: lots", 1))
    bad_route, bad_queue = os.path.join(STATE, "bad-route-gates.yaml"), os.path.join(STATE, "bad-queue-gates.yaml")
    with open(bad_route, "w") as f:
        f.write("gates:\n  accept: {route: GET /api/v1/nowhere, metric: route_p99_ms, max: 100}\n")
    with open(bad_queue, "w") as f:
        f.write("gates:\n  settle: {queue: no_such_queue, metric: latency_p99_ms, max: 100}\n")
    cases = [
        ("checkout-api", {"API_PORT": "99999"}, "API_PORT"),
        ("checkout-api", {"JWT_SECRET": "short"}, "JWT_SECRET"),
        ("checkout-api", {"DATABASE_URL": None}, "DATABASE_URL"),
        ("worker-order-heavy", {"AMQP_URL": "http://broker"}, "AMQP_URL"),
        ("worker-order-heavy", {"QUEUES_FILE": bad_yaml}, "queues.order_heavy.prefetch"),
        ("outbox-relay", {"QUEUES_FILE": "/nonexistent/queues.yaml"}, "QUEUES_FILE"),
        ("dead-letter-keeper", {"DATABASE_URL": "mysql://nope"}, "DATABASE_URL"),
        ("worker-external-api", {}, "TOSS_API_BASE"),
        ("worker-external-api", {"TOSS_API_BASE": "ftp://gateway", "TOSS_SECRET_KEY": "test_sk_x"}, "TOSS_API_BASE"),
        ("worker-external-api", {"TOSS_API_BASE": "http://127.0.0.1:1"}, "TOSS_SECRET_KEY"),
        ("worker-external-api", {"TOSS_API_BASE": "http://127.0.0.1:1", "TOSS_SECRET_KEY": "test_sk_x",
                                 "TOSS_TIMEOUT_MS": "soon"}, "TOSS_TIMEOUT_MS"),
        ("worker-external-api", {"TOSS_API_BASE": "http://127.0.0.1:1", "TOSS_SECRET_KEY": "test_sk_x"},
         "DATA_PLATFORM_URL"),
        ("worker-payment-confirm", {"DATABASE_URL": None}, "DATABASE_URL"),
        ("worker-points", {"QUEUES_FILE": bad_yaml}, "queues.order_heavy.prefetch"),
        ("checkout-scheduler", {"TOSS_API_BASE": "http://127.0.0.1:1", "TOSS_SECRET_KEY": "test_sk_x",
                                "ORDER_EXPIRY_AFTER": "tomorrow"}, "ORDER_EXPIRY_AFTER"),
        ("checkout-scheduler", {"TOSS_API_BASE": "http://127.0.0.1:1", "TOSS_SECRET_KEY": "test_sk_x",
                                "SCHEDULER_PERIOD": "0s"}, "SCHEDULER_PERIOD"),
        # Issue 9 item 4: these used to start and then retry (or log nothing) forever.
        ("checkout-api", {"AMQP_URL": "amqp://guest:guest@127.0.0.1:99999//"}, "AMQP_URL"),
        ("worker-order-heavy", {"AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/%zz"}, "AMQP_URL"),
        ("outbox-relay", {"AMQP_URL": "amqp://guest:guest@/"}, "AMQP_URL"),
        ("checkout-api", {"LOG_LEVEL": "verbose"}, "LOG_LEVEL"),
        ("worker-points", {"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ("worker-order-heavy", {"WORKER_DRAIN_TIMEOUT_MS": "10s"}, "WORKER_DRAIN_TIMEOUT_MS"),
        # Issue 11: each process's /metrics listener.
        ("worker-order-heavy", {"METRICS_PORT": "lots"}, "METRICS_PORT"),
        ("outbox-relay", {"METRICS_PORT": "70000"}, "METRICS_PORT"),
        ("dead-letter-keeper", {"METRICS_PORT": str(API_PORT)}, "METRICS_PORT"),  # taken by the API under test
        ("checkout-api", {"GATES_FILE": bad_route}, f"{bad_route}: gates.accept.route"),
        ("checkout-api", {"GATES_FILE": bad_queue}, f"{bad_queue}: gates.settle.queue"),
        ("checkout-api", {"GATES_FILE": "/nonexistent/gates.yaml"}, "GATES_FILE"),
        # Issue 20: the billing keys' secret and the billing calendar.
        ("checkout-api", {"BILLING_KEY_SECRET": None}, "BILLING_KEY_SECRET"),
        ("checkout-api", {"BILLING_KEY_SECRET": "not-base64-of-32-bytes"}, "BILLING_KEY_SECRET"),
        ("checkout-api", {"BILLING_TIMEZONE": "Mars/Olympus"}, "BILLING_TIMEZONE"),
        ("checkout-api", {"DUNNING_SCHEDULE": "3d,1d"}, "DUNNING_SCHEDULE"),
        ("worker-external-api", {"TOSS_API_BASE": "http://127.0.0.1:1", "TOSS_SECRET_KEY": "test_sk_x",
                                 "DATA_PLATFORM_URL": "http://127.0.0.1:1/events", "BILLING_KEY_SECRET": "c2hvcnQ="},
         "BILLING_KEY_SECRET"),
    ]
    for binary, env, setting in cases:
        r = run(binary, **env)
        assert r.returncode == 2, (binary, env, r.stderr)
        assert f"configuration error: {setting}" in r.stderr, (binary, r.stderr)


def test_the_celery_form_of_the_default_vhost_works_for_the_api_and_the_workers():
    # amqp://guest:guest@host:port// is how Django settings name vhost "/" (as does .../%2f).
    port = os.environ["TEST_AMQP_PORT"]
    url = f"amqp://guest:guest@127.0.0.1:{port}//"
    log = open(os.path.join(STATE, "celery-url-api.log"), "w+")
    base = {"PATH": os.environ["PATH"], "DATABASE_URL": os.environ["DATABASE_URL"], "AMQP_URL": url,
            "JWT_SECRET": "x" * 40, "BILLING_KEY_SECRET": os.environ["BILLING_KEY_SECRET"], "QUEUES_FILE": os.path.join(ROOT, "queues.yaml"), "API_PORT": "18998",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
    api = subprocess.Popen([os.path.join(BIN, "checkout-api")], env=base, stdout=log, stderr=log)
    worker_log = open(os.path.join(STATE, "celery-url-worker.log"), "w+")
    worker = subprocess.Popen([os.path.join(BIN, "worker-points")], env=base, stdout=worker_log, stderr=worker_log)
    try:
        import urllib.request

        def ready():
            try:
                with urllib.request.urlopen("http://127.0.0.1:18998/ready", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        wait_until(ready, 20, "the API to be ready with AMQP_URL=...//")
        wait_until(lambda: "connected to RabbitMQ" in open(worker_log.name).read(), 20, "the worker to connect")
        assert "cannot be parsed" not in open(worker_log.name).read()
    finally:
        api.terminate()
        worker.terminate()
        api.wait(timeout=10)
        worker.wait(timeout=30)


def test_the_supervisor_stops_a_binary_that_exits_on_a_bad_setting():
    log = os.path.join(STATE, "supervised-bad-setting.log")
    child = os.path.join(STATE, "supervised-bad-setting.child")
    if os.path.exists(log):
        os.remove(log)  # the supervisor appends: count this run's lines only
    env = dict(os.environ, LOG_LEVEL="verbose")
    started = time.monotonic()
    r = subprocess.run(["bash", os.path.join(ROOT, "scripts", "lib", "supervise.sh"), os.path.join(BIN, "worker-points"),
                        log, child], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert time.monotonic() - started < 10
    text = open(log).read()
    assert "configuration error: LOG_LEVEL" in text
    assert "not restarting" in text
    assert text.count("configuration error: LOG_LEVEL") == 1

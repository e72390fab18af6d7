"""System tests: the real API, outbox relay and workers, on the PostgreSQL and RabbitMQ that
scripts/test.sh started (DATABASE_URL, AMQP_URL, TEST_STATE_DIR, TEST_AMQP_PORT)."""
import asyncio
import json
import os
import subprocess
import time
import uuid
import urllib.request
import urllib.error

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The binaries under test: the Release build, or (scripts/test.sh's second pass) the ASan/UBSan one.
BIN = os.environ.get("CHECKOUT_BIN_DIR", os.path.join(ROOT, "build", "bin"))
STATE = os.environ.get("TEST_STATE_DIR", os.path.join(ROOT, ".local", "test"))
RUN_DIR = os.path.join(STATE, "run")
API_PORT = int(os.environ.get("TEST_API_PORT", "18181"))
# TEST_API_BASE: where tests send their requests; scripts/test.sh points it at a validating proxy (Prism,
# checking every answer against api/openapi.yaml) for one pass. The API itself always listens on API_PORT.
DIRECT = f"http://127.0.0.1:{API_PORT}"
BASE = os.environ.get("TEST_API_BASE") or DIRECT
# Endpoints that need no token: the proxy answers a token-less call to any other one itself (401).
PUBLIC = ("/health", "/ready", "/metrics", "/openapi.yaml", "/api/v1/payments/methods", "/api/v1/plans", "/webhooks/")


def sh(*args, check=True, env=None):
    return subprocess.run(args, check=check, capture_output=True, text=True, env=env)


def sql(query):
    """One value (or rows of '|'-joined columns) from the test database."""
    out = sh("psql", os.environ["DATABASE_URL"], "-tAX", "-c", query).stdout.strip()
    return out


def token(sub, role=""):
    return sh(os.path.join(BIN, "checkout-token"), sub, role).stdout.strip()


def request(method, path, body=None, tok=None, headers=None, raw=None):
    """(status, headers, parsed JSON or text) of one HTTP call. Header names are case-insensitive (a proxy
    may change their case)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    # Through the validating proxy, unless the request is one a proxy would not pass on unchanged: raw
    # bytes (invalid UTF-8, broken JSON, oversize bodies), or a call without a token that needs one.
    direct = raw is not None or (tok is None and not path.startswith(PUBLIC))
    req = urllib.request.Request((DIRECT if direct else BASE) + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if tok:
        req.add_header("Authorization", "Bearer " + tok)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, hdrs, text = r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        status, hdrs, text = e.code, e.headers, e.read().decode()
    try:
        return status, hdrs, json.loads(text)
    except ValueError:
        return status, hdrs, text


SHIPPING = {"name": "Kim", "phone": "010-0000-0000", "postal_code": "04524", "address": "Seoul"}


def order_body(product_id, quantity=1):
    return {"items": [{"product_id": product_id, "quantity": quantity}], "shipping": SHIPPING}


def create_product(stock, price=1000, name="test product"):
    status, _, body = request("POST", "/api/v1/admin/products", {"name": name, "price": price, "stock": stock},
                              tok=token("admin-" + uuid.uuid4().hex, "admin"))
    assert status == 201, body
    return body["id"]


def wait_until(predicate, timeout, what):
    """Polls `predicate` until true; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def final_status(order_id, tok, timeout=20):
    def settled():
        status, _, body = request("GET", f"/api/v1/orders/{order_id}/status", tok=tok)
        assert status == 200, body
        return body if body["status"] != "pending" else None
    return wait_until(settled, timeout, f"order {order_id} to settle")


def rabbit(action):
    env = dict(os.environ)
    cmd = f'source "{ROOT}/scripts/lib/services.sh" && rabbit_{action} "{STATE}" "{os.environ["TEST_AMQP_PORT"]}"'
    subprocess.run(["bash", "-c", cmd], check=True, env=env, capture_output=True, timeout=180)


def queue_depth(name):
    env = dict(os.environ, RABBITMQ_NODENAME=f"checkout-{os.environ['TEST_AMQP_PORT']}@localhost")
    out = sh("rabbitmqctl", "-n", env["RABBITMQ_NODENAME"], "-q", "list_queues", "name", "messages", env=env).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return int(parts[1])
    raise AssertionError(f"queue {name} not found in {out!r}")


# The production queues plus one for the fault-injection worker (built with CHECKOUT_TEST_HOOKS).
# Like the production queues, it prefetches more messages than it has threads: a crash then returns
# unstarted neighbours too (the poison tests).
TEST_QUEUE = """
  test_hooks:
    routing_key: test.hooks
    type: quorum
    prefetch: 16
    concurrency: 4
    max_retries: 2
    backoff: {initial: 300ms, multiplier: 2.0, cap: 5s, jitter: 0.1}
    time_limit: 2s
    delivery_limit: 3
    batch: 8
    dead_letter_queue: test_hooks.dead
    workers: 1
    binary: worker-test-hooks
    job_types: [test.noop, test.flaky, test.fail_final, test.sleep, test.measured, test.crash,
                test.effect_then_wait]
"""
QUEUES_FILE = os.path.join(STATE, "queues.test.yaml")
# The production gates plus some for tests/system/test_ops.py: one on the fault-injection queue over
# a short window, two on a route (one no request can pass), one on the outbox, one on renewals.
TEST_GATE = """
  test_hooks_failures:
    queue: test_hooks
    metric: failure_ratio
    window: 20s
    max: 0.5
  test_health_p99:
    route: GET /health
    metric: route_p99_ms
    window: 1m
    max: 60000
  test_health_p99_strict:
    route: GET /health
    metric: route_p99_ms
    window: 1m
    max: 0
  test_outbox_age:
    metric: outbox_age_s
    max: 10
  test_renewal_failures:
    metric: renewal_failure_ratio
    window: 15s
    max: 0.5
"""
GATES_FILE = os.path.join(STATE, "gates.test.yaml")


class Api:
    """The API process, which tests may kill and start again."""

    def __init__(self, env):
        self.env = env
        self.proc = None

    def start(self):
        log = open(os.path.join(STATE, "api.log"), "ab")
        self.proc = subprocess.Popen([os.path.join(BIN, "checkout-api")], env=self.env, stdout=log, stderr=log)
        with open(os.path.join(RUN_DIR, "pids", "api.pid"), "w") as f:
            f.write(str(self.proc.pid))
        wait_until(lambda: request_or_none("GET", "/health") == 200, 30, "the API to answer")

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def request_or_none(method, path):
    try:
        return request(method, path)[0]
    except OSError:
        return None


# The scrape token of GET /metrics/fleet (scripts/prometheus_config.sh gives it to Prometheus).
METRICS_TOKEN = "test-metrics-token-0123456789"


def service_env():
    # The shared API has no per-buyer rate limit: tests send hundreds of requests as one buyer at once
    # (test_hostile_input.py starts an API of its own with the limit on).
    return dict(os.environ, RATE_LIMIT_PER_USER="0", METRICS_TOKEN=METRICS_TOKEN, API_PORT=str(API_PORT), CHECKOUT_RUN_DIR=RUN_DIR, RUN_DIR=RUN_DIR, QUEUES_FILE=QUEUES_FILE, GATES_FILE=GATES_FILE,
                BIN_DIR=BIN)


@pytest.fixture(scope="session")
def api():
    return API


API = None


@pytest.fixture(scope="session", autouse=True)
def system():
    """Starts the API, the relay, the dead-letter keeper and the workers of every queue for the whole
    session (with the fault-injection queue added), and stops them after."""
    global API
    os.makedirs(os.path.join(RUN_DIR, "pids"), exist_ok=True)
    with open(os.path.join(ROOT, "queues.yaml")) as f:
        production = f.read()
    with open(QUEUES_FILE, "w") as f:
        f.write(production.rstrip() + "\n" + TEST_QUEUE)
    with open(os.path.join(ROOT, "gates.yaml")) as f, open(GATES_FILE, "w") as out:
        out.write(f.read().rstrip() + "\n" + TEST_GATE)
    sql("CREATE TABLE IF NOT EXISTS test_effects (key text PRIMARY KEY, n int NOT NULL); "
        "CREATE TABLE IF NOT EXISTS test_flags (key text PRIMARY KEY); "
        "CREATE TABLE IF NOT EXISTS test_done (job_id uuid PRIMARY KEY); "
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    env = service_env()
    API = Api(env)
    API.start()
    subprocess.run([os.path.join(ROOT, "scripts", "start_workers.sh")], env=env, check=True)
    wait_until(lambda: request("GET", "/ready")[0] == 200, 30, "the API to be ready")
    yield
    subprocess.run([os.path.join(ROOT, "scripts", "start_workers.sh"), "--stop"], env=env, check=False)
    API.stop()


def pytest_terminal_summary(terminalreporter):
    """Shows the chaos run's figures above pytest's closing line."""
    path = os.path.join(STATE, "chaos-report.txt")
    if os.path.exists(path):
        terminalreporter.write_line(open(path).read().strip())


def enqueue(job_type, payload):
    """Creates a job through checkout-ops (job row + outbox, like any producer); returns its id."""
    out = sh(os.path.join(BIN, "checkout-ops"), "enqueue", job_type, json.dumps(payload), env=service_env())
    return out.stdout.strip()


def job_row(job_id):
    row = sql(f"SELECT state, attempts, coalesce(last_error, '') FROM jobs WHERE id = '{job_id}'")
    state, attempts, error = row.split("|", 2)
    return state, int(attempts), error


def wait_job(job_id, states, timeout):
    return wait_until(lambda: job_row(job_id) if job_row(job_id)[0] in states else None, timeout,
                      f"job {job_id} to reach {states}")


def effects(key):
    return int(sql(f"SELECT coalesce((SELECT n FROM test_effects WHERE key = '{key}'), 0)"))


def child_pids(prefix):
    """Pids of the supervised worker processes whose name starts with `prefix` (e.g. 'order_heavy')."""
    pids = []
    piddir = os.path.join(RUN_DIR, "pids")
    for name in sorted(os.listdir(piddir)):
        if name.startswith(prefix) and name.endswith(".child"):
            try:
                pids.append(int(open(os.path.join(piddir, name)).read().strip()))
            except (OSError, ValueError):
                pass
    return pids


def run_concurrently(coro_factories, limit=None):
    """Runs the coroutines at once on one event loop; returns their results in order."""
    async def main():
        return await asyncio.gather(*(f() for f in coro_factories))
    return asyncio.run(main())


@pytest.fixture(autouse=True)
def calm_sandbox():
    """Every test starts and ends with a gateway that answers at once and fails nothing."""
    from shop import CALM, knobs
    knobs(**CALM)
    yield
    knobs(**CALM)


# The money invariants (issue 17), checked at the end of every test of these modules over what the test
# touched: by orderId, the gateway's unrefunded approvals are 0 or 1 and 1 exactly when the order is paid;
# the balance ledger sums to the balance and credits only paid top-ups; the points ledger sums to the lots
# less the debt, and a buyer whose payments were all refunded holds no points.
MONEY_MODULES = {"test_payments", "test_faults", "test_shop", "test_abuse", "test_resilience"}


@pytest.fixture(autouse=True)
def money_invariants(request):
    if request.module.__name__ not in MONEY_MODULES:
        yield
        return
    from shop import assert_balance_invariant, assert_one_charge_per_paid_order
    started = sql("SELECT now()")
    yield
    orders = [o for o in sql(f"SELECT id FROM orders WHERE created_at >= '{started}'").splitlines() if o]

    def settled():
        # Refunds asked for at the end of a test may still be on their way to the gateway.
        try:
            assert_one_charge_per_paid_order(orders)
            return True
        except AssertionError as e:
            settled.last = e
            return False
    settled.last = None
    deadline = time.monotonic() + 60
    while not settled():
        if time.monotonic() > deadline:
            raise settled.last
        time.sleep(0.2)
    for user in sql(f"SELECT DISTINCT user_id FROM balance_ledger WHERE created_at >= '{started}'").splitlines():
        if user:
            assert_balance_invariant(user)
    for row in sql(f"""SELECT l.user_id, coalesce(sum(l.amount), 0),
                              (SELECT coalesce(sum(remaining), 0) FROM point_lots WHERE user_id = l.user_id),
                              coalesce((SELECT amount FROM point_debts WHERE user_id = l.user_id), 0)
                       FROM point_ledger l WHERE l.user_id IN
                            (SELECT user_id FROM point_ledger WHERE created_at >= '{started}')
                       GROUP BY l.user_id""").splitlines():
        user, ledger, held, debt = (int(v) for v in row.split("|"))
        assert ledger == held - debt, f"user {user}: points ledger {ledger}, lots {held}, debt {debt}"
    # Everything refunded, nothing granted by hand: no points left, no debt.
    left = sql(f"""SELECT string_agg(u::text, ',') FROM (
                     SELECT p.user_id AS u FROM payments p WHERE p.user_id IN
                            (SELECT user_id FROM payments WHERE created_at >= '{started}')
                     GROUP BY p.user_id
                     HAVING bool_and(p.status IN ('canceled', 'failed')) AND bool_or(p.status = 'canceled')) x
                   WHERE NOT EXISTS (SELECT 1 FROM point_ledger WHERE user_id = u AND order_id IS NULL
                                     AND kind = 'earn')
                     AND ((SELECT coalesce(sum(remaining), 0) FROM point_lots WHERE user_id = u) <> 0
                          OR coalesce((SELECT amount FROM point_debts WHERE user_id = u), 0) <> 0)""")
    assert left == "", f"buyers with every payment refunded who still hold points: {left}"

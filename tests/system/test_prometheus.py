"""A real Prometheus (Debian's `prometheus`) scraping the running fleet (issue 11, item 2): the
configuration comes from scripts/prometheus_config.sh, as `WITH_PROMETHEUS=1 scripts/run.sh` uses it;
the test asks Prometheus over its HTTP API, while orders and jobs flow."""
import asyncio
import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid

import aiohttp
import pytest

from conftest import API_PORT, BASE, ROOT, RUN_DIR, STATE, create_product, order_body, service_env, sql, token, \
    wait_until

OUT = os.path.join(STATE, "prometheus")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def prometheus():
    env = dict(service_env(), SCRAPE_INTERVAL="1s")
    subprocess.run([os.path.join(ROOT, "scripts", "prometheus_config.sh"), OUT], env=env, check=True,
                   capture_output=True)
    port = free_port()
    log = open(os.path.join(STATE, "prometheus.log"), "w")
    proc = subprocess.Popen(["prometheus", f"--config.file={OUT}/prometheus.yml",
                             f"--storage.tsdb.path={OUT}/data", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return urllib.request.urlopen(base + "/-/ready", timeout=2).status == 200
        except OSError:
            return False
    try:
        wait_until(ready, 30, "Prometheus to be ready")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def query(base, promql):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    body = json.loads(urllib.request.urlopen(url, timeout=10).read())
    assert body["status"] == "success", body
    return body["data"]["result"]


def scalar(base, promql):
    result = query(base, promql)
    return float(result[0]["value"][1]) if result else 0.0


def scraped_since(base, t):
    """True once Prometheus has scraped every target after time t (Unix seconds)."""
    return scalar(base, 'min(timestamp(up))') > t and scalar(base, 'count(timestamp(up) <= %f)' % t) == 0


FINISHED = 'sum(checkout_jobs_finished_total{type="%s",outcome=~"%s"})'


def test_prometheus_scrapes_every_process_up_under_load_and_its_job_counters_agree_with_the_jobs_table(prometheus):
    targets = json.load(open(os.path.join(OUT, "targets.json")))
    expected = {t["labels"]["process"] for t in targets}
    # Every worker, relay, keeper, scheduler and the API, found from start_workers.sh's process list.
    assert {"api", "relay-1", "dead_letters-1", "scheduler-1", "order_heavy-1", "payment_confirm-1", "points-1",
            "external_api-1", "test_hooks-1"} <= expected

    def all_up():
        up = {r["metric"]["process"]: r["value"][1] for r in query(prometheus, 'up{job="checkout"}')}
        return set(up) == expected and all(v == "1" for v in up.values())
    wait_until(all_up, 30, f"Prometheus to see {sorted(expected)} up")
    wait_until(lambda: scalar(prometheus, 'up{job="checkout_fleet"}') == 1, 15, "the fleet's target to be up")

    # Baseline: nothing of the kinds counted below is running; Prometheus has scraped since.
    t0 = time.time()
    wait_until(lambda: scraped_since(prometheus, t0), 20, "a scrape of every target")
    noop0 = scalar(prometheus, FINISHED % ("test.noop", "succeeded"))
    orders0 = scalar(prometheus, FINISHED % ("order.process", "succeeded|failed"))
    table_noop0 = int(sql("SELECT count(*) FROM jobs WHERE type = 'test.noop' AND state = 'succeeded'"))

    # Load: 400 orders over 4 s through the API, and 1,000 jobs committed by producers in 10 transactions.
    product = create_product(stock=100000, price=10)
    tokens = [token(f"prom-{i}-{uuid.uuid4().hex[:6]}") for i in range(10)]
    accepted = []

    async def flow():
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as session:
            async def post(i):
                await asyncio.sleep(i / 100)
                async with session.post(BASE + "/api/v1/orders", json=order_body(product, 1),
                                        headers={"Authorization": "Bearer " + tokens[i % 10]}) as r:
                    if r.status == 202:
                        accepted.append((await r.json(content_type=None))["order_id"])
            await asyncio.gather(*(post(i) for i in range(400)))
    sender = threading.Thread(target=lambda: asyncio.run(flow()))
    sender.start()
    for _ in range(10):
        sql("INSERT INTO jobs (id, type, queue, state, payload) SELECT gen_random_uuid(), 'test.noop', 'test_hooks', "
            "'queued', '{}' FROM generate_series(1, 100); SELECT pg_notify('outbox', '')")
    # Under load, every process still answers its scrape.
    t_load = time.time()
    wait_until(lambda: scraped_since(prometheus, t_load), 20, "a scrape of every target under load")
    assert all_up()
    sender.join(timeout=120)
    assert len(accepted) == 400

    ids = "','".join(accepted)
    wait_until(lambda: sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'pending'") == "0",
               120, "every order to be processed")
    wait_until(lambda: int(sql("SELECT count(*) FROM jobs WHERE type = 'test.noop' AND state = 'succeeded'"))
               >= table_noop0 + 1000, 120, "the 1,000 jobs to run")
    table_noop = int(sql("SELECT count(*) FROM jobs WHERE type = 'test.noop' AND state = 'succeeded'"))
    table_orders = int(sql(f"SELECT count(*) FROM jobs j JOIN orders o ON o.job_id = j.id WHERE o.id IN ('{ids}') "
                           f"AND j.state IN ('succeeded', 'failed')"))
    assert table_noop - table_noop0 == 1000 and table_orders == 400

    # What Prometheus scraped from the workers' own /metrics equals what the table gained: nothing
    # counted twice (duplicate deliveries have their own outcome), nothing missed.
    t1 = time.time()
    wait_until(lambda: scraped_since(prometheus, t1), 20, "a scrape after the load")
    assert scalar(prometheus, FINISHED % ("test.noop", "succeeded")) - noop0 == 1000
    assert scalar(prometheus, FINISHED % ("order.process", "succeeded|failed")) - orders0 == 400
    # The fleet's own figures, from the one API target that serves them.
    assert scalar(prometheus, 'checkout_jobs{queue="test_hooks",state="succeeded"}') >= table_noop
    # And per process: which workers ran them.
    per_process = query(prometheus, 'sum by (process) (checkout_jobs_finished_total{type="order.process"})')
    assert {r["metric"]["process"] for r in per_process} <= {p for p in expected if p.startswith("order_heavy")}

"""Scaling a running fleet (issue 11, item 5): scripts/start_workers.sh QUEUE=N on a running fleet adds
processes or drains the extra ones, while orders keep flowing."""
import asyncio
import os
import re
import subprocess
import threading
import time
import uuid

import aiohttp

from conftest import BASE, ROOT, create_product, order_body, service_env, sql, token, wait_until

SCRIPT = os.path.join(ROOT, "scripts", "start_workers.sh")


def fleet(*args):
    out = subprocess.run([SCRIPT, *args], env=service_env(), capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def order_heavy_workers(jobs_done=None):
    """{index: (supervisor pid, worker pid)} of the running order-heavy processes, from --status; fills
    `jobs_done` {index: jobs that process finished} when given."""
    found = {}
    for line in fleet("--status").splitlines():
        m = re.match(r"\s+order_heavy-(\d+) supervisor (\d+), worker (\d+), up \d+s(?:, (\d+) jobs done)?", line)
        if m:
            found[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
            if jobs_done is not None and m.group(4) is not None:
                jobs_done[int(m.group(1))] = int(m.group(4))
    return found


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_scaling_order_heavy_1_to_4_to_1_while_2000_orders_flow_loses_and_doubles_nothing():
    product = create_product(stock=1500, price=10)
    tokens = [token(f"scale-{i}-{uuid.uuid4().hex[:6]}") for i in range(20)]
    try:
        assert "drained 1 x worker-order-heavy" in fleet("order_heavy=1")
        assert len(order_heavy_workers()) == 1
        accepted, statuses = [], []

        async def flow():
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as session:
                async def post(i):
                    await asyncio.sleep(i / 100)  # 100 orders/s for 20 s
                    async with session.post(BASE + "/api/v1/orders", json=order_body(product, 1),
                                            headers={"Authorization": "Bearer " + tokens[i % 20]}) as r:
                        body = await r.json(content_type=None)
                        statuses.append(r.status)
                        if r.status == 202:
                            accepted.append(body["order_id"])
                await asyncio.gather(*(post(i) for i in range(2000)))

        sender = threading.Thread(target=lambda: asyncio.run(flow()))
        sender.start()
        time.sleep(4)
        out = fleet("order_heavy=4")
        assert "started 3 x worker-order-heavy" in out, out
        four = order_heavy_workers()
        assert len(four) == 4 and all(alive(w) for _, w in four.values())
        time.sleep(6)  # orders keep flowing to four processes
        done = {}
        order_heavy_workers(done)
        # --status shows what each process did: the new ones took a share of the flow.
        assert len(done) == 4 and sum(done[i] for i in four if i != 1) > 0, done
        out = fleet("order_heavy=1")  # returns once the three extra processes have drained and exited
        assert "drained 3 x worker-order-heavy" in out, out
        one = order_heavy_workers()
        assert len(one) == 1
        drained = [p for i, p in four.items() if i not in one]
        assert not any(alive(s) or alive(w) for s, w in drained)
        sender.join(timeout=120)
        assert statuses.count(202) == 2000, sorted(set(statuses))

        ids = "','".join(accepted)
        wait_until(lambda: sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'pending'") == "0",
                   120, "every order to be processed")
        assert sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'confirmed'") == "1500"
        assert sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'failed' "
                   f"AND failure_reason = 'INSUFFICIENT_STOCK'") == "500"
        assert sql(f"SELECT stock FROM products WHERE id = {product}") == "0"
        # Nothing doubled: one item row per confirmed order, and the units taken are the units sold.
        assert sql(f"SELECT count(*), coalesce(sum(quantity), 0) FROM order_items WHERE product_id = {product}") \
            == "1500|1500"
        # Nothing lost or dead: every order's job reached its final state.
        assert sql(f"SELECT count(*) FROM jobs j JOIN orders o ON o.job_id = j.id WHERE o.id IN ('{ids}') "
                   f"AND j.state NOT IN ('succeeded', 'failed')") == "0"
    finally:
        fleet("order_heavy=2")  # the default, for the tests that follow
    assert len(order_heavy_workers()) == 2

"""Crash safety and draining, by really killing and signalling processes."""
import asyncio
import os
import random
import signal
import subprocess
import time
import uuid

import aiohttp

from conftest import (BASE, BIN, RUN_DIR, STATE, child_pids, create_product, order_body, rabbit, request,
                      service_env, sql, token, wait_until)


async def post_orders(products, tokens, count, concurrency, spread_seconds):
    """Posts `count` orders over about `spread_seconds`; returns the order ids that got a 202."""
    accepted = []
    sem = asyncio.Semaphore(concurrency)
    start = time.monotonic()

    async def one(i, session):
        await asyncio.sleep(max(0.0, start + spread_seconds * i / count - time.monotonic()))
        async with sem:
            try:
                async with session.post(BASE + "/api/v1/orders", json=order_body(random.choice(products)),
                                        headers={"Authorization": "Bearer " + random.choice(tokens)},
                                        timeout=aiohttp.ClientTimeout(total=10)) as r:
                    body = await r.json(content_type=None)
                    if r.status == 202:
                        accepted.append(body["order_id"])
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass  # the API was down: no 202, no promise

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True)) as session:
        await asyncio.gather(*(one(i, session) for i in range(count)))
    return accepted


def assert_settled_exactly(order_ids, products, initial_stock):
    ids = "','".join(order_ids)
    wait_until(lambda: sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'pending'") == "0",
               120, "every accepted order to settle")
    plist = ",".join(str(p) for p in products)
    remaining = int(sql(f"SELECT sum(stock) FROM products WHERE id IN ({plist})"))
    confirmed_qty = int(sql(f"SELECT coalesce(sum(oi.quantity), 0) FROM order_items oi JOIN orders o ON o.id = oi.order_id "
                            f"WHERE o.status = 'confirmed' AND oi.product_id IN ({plist})"))
    assert confirmed_qty + remaining == initial_stock * len(products)
    # No order was decremented twice: each confirmed order has exactly the one item line it asked for.
    assert sql(f"SELECT count(*) FROM orders o WHERE o.id IN ('{ids}') AND o.status = 'confirmed' AND "
               f"(SELECT sum(quantity) FROM order_items WHERE order_id = o.id) <> 1") == "0"
    assert sql(f"SELECT count(*) FROM order_items WHERE order_id IN ('{ids}')") == \
        sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'confirmed'")
    # No job stuck.
    assert sql(f"SELECT count(*) FROM jobs j JOIN orders o ON o.job_id = j.id WHERE o.id IN ('{ids}') "
               f"AND j.state IN ('queued', 'running', 'retrying')") == "0"


def test_sigterm_drains_a_loaded_worker_and_loses_nothing():
    products = [create_product(stock=1000) for _ in range(5)]
    tokens = [token(f"drain-{i}-{uuid.uuid4().hex[:6]}") for i in range(20)]
    env = service_env()
    log = open(os.path.join(STATE, "drain-worker.log"), "ab")
    extra = subprocess.Popen([os.path.join(BIN, "worker-order-heavy")], env=dict(env, WORKER_DRAIN_TIMEOUT_MS="10000"),
                             stdout=log, stderr=log)
    time.sleep(0.5)  # let it connect so that it takes a share of the load
    accepted = asyncio.run(post_orders(products, tokens, 400, 50, 2.0))
    extra.send_signal(signal.SIGTERM)
    started = time.monotonic()
    rc = extra.wait(timeout=30)
    took = time.monotonic() - started
    assert rc == 0
    assert took < 10.0 + 2.0
    assert len(accepted) == 400
    assert_settled_exactly(accepted, products, 1000)


def test_chaos_kills_restarts_and_still_every_accepted_order_settles_exactly_once(api):
    products = [create_product(stock=300) for _ in range(10)]
    tokens = [token(f"chaos-{i}-{uuid.uuid4().hex[:6]}") for i in range(50)]
    stop = time.monotonic() + 20
    events = []

    async def kill_workers():
        # (a) a random order-heavy worker SIGKILLed every second; its supervisor restarts it.
        while time.monotonic() < stop:
            await asyncio.sleep(1.0)
            pids = child_pids("order_heavy")
            if pids:
                victim = random.choice(pids)
                try:
                    os.kill(victim, signal.SIGKILL)
                    events.append(f"killed worker {victim}")
                except ProcessLookupError:
                    pass

    async def restart_rabbitmq():
        # (b) RabbitMQ restarted once.
        await asyncio.sleep(4)
        await asyncio.to_thread(rabbit, "stop")
        await asyncio.to_thread(rabbit, "start")
        events.append("restarted RabbitMQ")

    async def restart_api():
        # (c) the API SIGKILLed once and restarted.
        await asyncio.sleep(8)
        api.kill()
        events.append("killed the API")
        await asyncio.sleep(0.5)
        await asyncio.to_thread(api.start)
        events.append("restarted the API")

    async def kill_relay():
        # The outbox relay too: its supervisor restarts it and it resumes from the outbox.
        await asyncio.sleep(12)
        for pid in child_pids("relay"):
            os.kill(pid, signal.SIGKILL)
            events.append("killed the relay")

    async def chaos():
        await asyncio.gather(kill_workers(), restart_rabbitmq(), restart_api(), kill_relay())

    async def run():
        results = await asyncio.gather(post_orders(products, tokens, 1000, 40, 18.0), chaos())
        return results[0]

    accepted = asyncio.run(run())
    report = (f"chaos run: {len(accepted)} of 1000 orders got 202; "
              f"{sum(e.startswith('killed worker') for e in events)} order-heavy workers SIGKILLed, "
              f"RabbitMQ restarted once, API SIGKILLed and restarted once, outbox relay SIGKILLed once")
    assert "restarted RabbitMQ" in events and "restarted the API" in events and "killed the relay" in events
    assert sum(e.startswith("killed worker") for e in events) >= 10  # an attempt finds both mid-restart at times
    assert len(accepted) > 500
    settle_started = time.monotonic()
    assert_settled_exactly(accepted, products, 300)
    report += f"; all accepted orders final {time.monotonic() - settle_started:.1f} s after the load ended, " \
              f"stock + confirmed == initial, no double decrement, no job stuck\n"
    with open(os.path.join(STATE, "chaos-report.txt"), "w") as f:
        f.write(report)

"""Crash safety and draining, by really killing and signalling processes."""
import asyncio
import concurrent.futures
import os
import random
import signal
import subprocess
import time
import uuid

import aiohttp

from conftest import (BASE, BIN, RUN_DIR, STATE, child_pids, create_product, effects, enqueue, order_body,
                      queue_depth, rabbit, request, service_env, sql, token, wait_job, wait_until)
from shop import assert_one_charge_per_paid_order, confirmed_order, knobs


async def post_orders(products, tokens, count, concurrency, spread_seconds, answers=None):
    """Posts `count` orders over about `spread_seconds`; returns the order ids that got a 202. Every answer
    (status, or the client's error) is appended to `answers` with when it was asked and answered."""
    accepted = []
    sem = asyncio.Semaphore(concurrency)
    start = time.monotonic()

    async def one(i, session):
        await asyncio.sleep(max(0.0, start + spread_seconds * i / count - time.monotonic()))
        async with sem:
            asked = time.monotonic()
            try:
                async with session.post(BASE + "/api/v1/orders", json=order_body(random.choice(products)),
                                        headers={"Authorization": "Bearer " + random.choice(tokens)},
                                        timeout=aiohttp.ClientTimeout(total=10)) as r:
                    body = await r.json(content_type=None)
                    if r.status == 202:
                        accepted.append(body["order_id"])
                    outcome = r.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                outcome = type(e).__name__  # the API was down: no 202, no promise
            if answers is not None:
                answers.append((asked, time.monotonic(), "POST /api/v1/orders", outcome))

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


async def post_confirms(orders, tok, spread_seconds, answers):
    """Confirms each order's payment over about `spread_seconds`; returns the payment ids that got a 202.
    Every answer goes to `answers`, as in post_orders."""
    accepted = []
    start = time.monotonic()

    async def one(i, order, session):
        await asyncio.sleep(max(0.0, start + spread_seconds * i / len(orders) - time.monotonic()))
        body = {"paymentKey": "pk_chaos_" + uuid.uuid4().hex, "orderId": order["order_number"],
                "amount": order["final_amount"]}
        asked = time.monotonic()
        try:
            async with session.post(BASE + "/api/v1/payments/confirm", json=body,
                                    headers={"Authorization": "Bearer " + tok},
                                    timeout=aiohttp.ClientTimeout(total=10)) as r:
                reply = await r.json(content_type=None)
                if r.status == 202:
                    accepted.append((order["id"], reply["payment_id"]))
                outcome = r.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            outcome = type(e).__name__
        answers.append((asked, time.monotonic(), "POST /api/v1/payments/confirm", outcome))

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True)) as session:
        await asyncio.gather(*(one(i, o, session) for i, o in enumerate(orders)))
    return accepted


def test_chaos_kills_restarts_and_still_every_accepted_order_settles_exactly_once(api):
    products = [create_product(stock=300) for _ in range(10)]
    tokens = [token(f"chaos-{i}-{uuid.uuid4().hex[:6]}") for i in range(50)]
    # Payments in flight through the chaos too: 150 confirmed orders, paid during the run through a
    # gateway that answers in 100-300 ms.
    payer = token("chaos-payer-" + uuid.uuid4().hex)
    pay_product = create_product(stock=150, price=1000)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        payable = list(pool.map(lambda _: confirmed_order(payer, pay_product), range(150)))
    knobs(latency_ms=200, jitter_ms=100)
    stop = time.monotonic() + 20
    events = []
    answers = []  # (asked, answered, route, status or the client's error) of every request of the run
    api_down = {}

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
        api_down["from"] = time.monotonic()
        api.kill()
        events.append("killed the API")
        await asyncio.sleep(0.5)
        await asyncio.to_thread(api.start)
        api_down["until"] = time.monotonic()
        events.append("restarted the API")

    async def kill_relay():
        # The outbox relay too: its supervisor restarts it and it resumes from the outbox.
        await asyncio.sleep(12)
        for pid in child_pids("relay"):
            os.kill(pid, signal.SIGKILL)
            events.append("killed the relay")

    async def kill_payment_side():
        # Every other process of the fleet, each SIGKILLed (mid-payment) and restarted by its supervisor.
        for delay, name in ((2, "payment_confirm"), (5, "points"), (7, "external_api"), (10, "dead_letters"),
                            (13, "scheduler"), (15, "payment_confirm"), (16, "external_api")):
            await asyncio.sleep(max(0.0, stop - 20 + delay - time.monotonic()))
            for pid in child_pids(name):
                try:
                    os.kill(pid, signal.SIGKILL)
                    events.append(f"killed {name}")
                except ProcessLookupError:
                    pass

    async def chaos():
        await asyncio.gather(kill_workers(), restart_rabbitmq(), restart_api(), kill_relay(), kill_payment_side())

    async def run():
        results = await asyncio.gather(post_orders(products, tokens, 1000, 40, 18.0, answers),
                                       post_confirms(payable, payer, 17.0, answers), chaos())
        return results[0], results[1]

    accepted, paying = asyncio.run(run())
    knobs(latency_ms=0, jitter_ms=0)
    killed_others = sorted({e[len("killed "):] for e in events if e.startswith("killed ") and not e.startswith(("killed worker", "killed the "))})
    report = (f"chaos run: {len(accepted)} of 1000 orders and {len(paying)} of 150 payments got 202; "
              f"{sum(e.startswith('killed worker') for e in events)} order-heavy workers SIGKILLed, "
              f"RabbitMQ restarted once, API SIGKILLed and restarted once, outbox relay SIGKILLed once, also SIGKILLed: {', '.join(killed_others)}")
    assert "restarted RabbitMQ" in events and "restarted the API" in events and "killed the relay" in events
    for name in ("payment_confirm", "points", "external_api", "dead_letters", "scheduler"):
        assert f"killed {name}" in events, name
    assert sum(e.startswith("killed worker") for e in events) >= 10  # an attempt finds both mid-restart at times
    assert len(accepted) > 500
    # Every answer is counted: a 202, or a failure of a request that was in flight on the API while it
    # was down (asked before it was back). Nothing else: no 5xx from RabbitMQ's restart or a killed
    # worker, no 4xx, no error swallowed.
    assert len(answers) == 1000 + len(payable)
    outside = [(round(a - api_down["from"], 2), route, outcome) for a, done, route, outcome in answers
               if outcome != 202 and not (a <= api_down["until"] and done >= api_down["from"])]
    assert outside == [], outside[:10]
    failed = sum(1 for *_, outcome in answers if outcome != 202)
    report += f"; {failed} answers other than 202, all to requests in flight while the API was down"
    settle_started = time.monotonic()
    assert_settled_exactly(accepted, products, 300)
    assert len(paying) > 50
    pids = "','".join(p for _, p in paying)
    wait_until(lambda: sql(f"SELECT count(*) FROM payments WHERE id IN ('{pids}') AND status = 'in_progress'") == "0",
               120, "every accepted payment to settle")
    assert sql(f"SELECT count(*) FROM payments WHERE id IN ('{pids}') AND status <> 'done'") == "0"
    paid = [o for o, _ in paying]
    oids = "','".join(paid)
    # Points once per paid order, whatever was killed under them.
    wait_until(lambda: sql(f"SELECT count(*) FROM point_ledger WHERE kind = 'earn' AND order_id IN ('{oids}')") ==
               str(len(paid)), 60, "points to be earned for every paid order")
    assert sql(f"SELECT count(*) FROM jobs WHERE state = 'dead' AND (payload->>'payment_id' IN ('{pids}') "
               f"OR payload->>'order_id' IN ('{oids}'))") == "0"
    assert_one_charge_per_paid_order([o["id"] for o in payable])
    report += f"; all accepted orders final {time.monotonic() - settle_started:.1f} s after the load ended, " \
              f"stock + confirmed == initial, no double decrement, no job stuck; every accepted payment done, " \
              f"points earned once each, at most one charge per order, none dead\n"
    with open(os.path.join(STATE, "chaos-report.txt"), "w") as f:
        f.write(report)


def test_a_worker_killed_between_a_jobs_effect_and_its_commit_runs_it_again_with_one_effect():
    key = uuid.uuid4().hex
    job = enqueue("test.effect_then_wait", {"key": key, "ms": 1500})
    # The effect is written, uncommitted, while the handler waits.
    wait_until(lambda: sql("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                           "AND query LIKE 'SELECT 1 FROM test_flags%'") != "0", 10, "the job to hold its effect")
    for pid in child_pids("test_hooks"):
        os.kill(pid, signal.SIGKILL)
    sql(f"INSERT INTO test_flags (key) VALUES ('{key}')")  # the next run commits at once
    assert wait_job(job, {"succeeded", "dead", "failed"}, 30)[0] == "succeeded"
    assert effects(key) == 1


def test_a_batch_committed_together_whose_worker_dies_before_the_acks_is_redelivered_and_none_doubled():
    """The fault-injection queue commits up to `batch` jobs in one transaction. The worker SIGKILLs
    itself right after such a commit, before acking any of them: every message comes back, every job
    stays succeeded with one attempt, and no effect happens twice."""
    flag = os.path.join(STATE, "die_after_batch_commit")
    before = child_pids("test_hooks")
    open(flag, "w").close()
    # Paused while the jobs are published, the worker finds a full prefetch waiting when it goes on:
    # its handler threads then take several at once (a busy queue), which is what batches.
    for pid in before:
        os.kill(pid, signal.SIGSTOP)
    keys = [uuid.uuid4().hex for _ in range(200)]
    # One transaction: the relay publishes them together, so the worker finds many waiting at once.
    values = ",".join(f"('{uuid.uuid4()}', 'test.flaky', 'test_hooks', 'queued', '{{\"key\": \"{k}\"}}')" for k in keys)
    ids = sql(f"WITH j AS (INSERT INTO jobs (id, type, queue, state, payload) VALUES {values} RETURNING id) "
              f"SELECT string_agg(id::text, ',') FROM j, pg_notify('outbox', '')").split(",")
    assert len(ids) == 200
    in_list = "','".join(ids)
    try:
        wait_until(lambda: queue_depth("test_hooks") >= 150, 30, "the jobs to be published")
    finally:
        for pid in before:
            os.kill(pid, signal.SIGCONT)
    wait_until(lambda: sql(f"SELECT count(*) FROM jobs WHERE id IN ('{in_list}') AND state = 'succeeded'") == "200",
               60, "all 200 jobs to succeed")
    assert not os.path.exists(flag), "no batch was committed: the worker never reached the fault"
    wait_until(lambda: child_pids("test_hooks") and child_pids("test_hooks") != before, 30,
               "the supervisor to restart the killed worker")
    # Committed and never acked: the broker delivered those messages again, and the new worker found
    # their jobs finished (it logs each such delivery).
    log = open(os.path.join(RUN_DIR, "logs", "test_hooks-1.log"), errors="replace").read()
    assert log.count("duplicate delivery of a finished job") >= 2, "no message of the batch came back"
    assert sql(f"SELECT count(*) FROM jobs WHERE id IN ('{in_list}') AND attempts = 1") == "200"
    assert all(effects(k) == 1 for k in keys), [(k, effects(k)) for k in keys if effects(k) != 1][:5]


def test_the_api_killed_while_groups_of_orders_are_being_committed_loses_no_answered_order_and_half_writes_none(api):
    """Group commit (issue 18): concurrent plain orders are accepted by one statement and one commit per
    group, each client answered after that commit. SIGKILL the API while 300 clients are ordering: every
    order that was answered 202 exists with its job and settles exactly once; no order exists without
    its job, nor a job without its order (whatever was in flight is either whole or absent)."""
    products = [create_product(stock=1000) for _ in range(5)]
    tokens = [token(f"group-{i}-{uuid.uuid4().hex[:6]}") for i in range(100)]
    since = sql("SELECT now()")
    sql("SELECT pg_stat_statements_reset()")

    answers = []

    async def kill_soon():
        # Once 50 orders have been answered (the release build gets there in a fraction of a second,
        # the sanitizer build later), while the rest are in flight.
        deadline = time.monotonic() + 20
        while sum(1 for *_, outcome in answers if outcome == 202) < 50 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        api.kill()
        await asyncio.sleep(0.3)
        await asyncio.to_thread(api.start)

    async def run():
        results = await asyncio.gather(post_orders(products, tokens, 900, 300, 2.0, answers), kill_soon())
        return results[0]

    accepted = asyncio.run(run())
    assert len(accepted) >= 50, len(accepted)
    # Some were in flight when the API died: not every order was answered 202.
    assert len(accepted) < 900, len(accepted)
    # Groups were formed: the group statement accepted more orders than it ran.
    calls, rows = sql("SELECT coalesce(sum(calls), 0) || '|' || coalesce(sum(rows), 0) FROM pg_stat_statements "
                      "WHERE query LIKE 'WITH r AS (SELECT * FROM jsonb_to_recordset%'").split("|")
    assert int(calls) > 0 and int(rows) > int(calls), (calls, rows)
    # Every answered order exists, with its job.
    ids = "','".join(accepted)
    assert sql(f"SELECT count(*) FROM orders o JOIN jobs j ON j.id = o.job_id WHERE o.id IN ('{ids}')") == str(len(accepted))
    # Nothing half-written, answered or not: orders of the run without their job, jobs without their order.
    assert sql(f"SELECT count(*) FROM orders o WHERE o.created_at >= '{since}' AND o.kind = 'goods' AND "
               f"NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = o.job_id)") == "0"
    assert sql(f"SELECT count(*) FROM jobs j WHERE j.created_at >= '{since}' AND j.type = 'order.process' AND "
               f"NOT EXISTS (SELECT 1 FROM orders o WHERE o.job_id = j.id)") == "0"
    # Orders committed but not answered (the API died between the commit and the answer) settle too.
    run_orders = sql(f"SELECT o.id FROM orders o WHERE o.created_at >= '{since}' AND EXISTS ("
                     f"SELECT 1 FROM jsonb_array_elements(o.requested_items) x "
                     f"WHERE (x->>'product_id')::bigint IN ({','.join(map(str, products))}))")
    everything = sorted(set(run_orders.split()) | set(accepted))
    assert_settled_exactly(everything, products, 1000)


def roll_history(days_ahead):
    """Runs the job-history maintenance as if it were `days_ahead` days later (0: now), with a retention
    of 14 days; tried again while another transaction holds the table past its lock timeout."""
    at = f"now() + interval '{days_ahead} days'"
    for _ in range(20):
        try:
            return sql(f"SELECT created || '|' || dropped || '|' || kept FROM jobs_maintain('14 days', 3, {at})")
        except subprocess.CalledProcessError as e:
            assert "lock timeout" in (e.stderr or "") or "canceling statement" in (e.stderr or ""), e.stderr
    raise AssertionError("the maintenance never got the jobs table")


def test_days_of_jobs_dropped_while_orders_flow_lose_nothing_and_leave_nothing_older_readable():
    """Issue 18: today's partition of jobs is dropped (the calendar rolled past the retention) and made
    again, three times, while 600 orders are being placed and processed: every order is answered 202 and
    settles exactly once; afterwards no job finished before the last roll is readable, its order is."""
    products = [create_product(stock=1000) for _ in range(3)]
    tokens = [token(f"roll-{i}-{uuid.uuid4().hex[:6]}") for i in range(50)]
    before = request("POST", "/api/v1/orders", order_body(products[0]), tok=tokens[0])[2]
    wait_job(before["job_id"], ("succeeded",), 30)
    answers, rolls = [], []

    async def roll_while_flowing():
        for _ in range(3):
            await asyncio.sleep(0.6)
            rolls.append(await asyncio.to_thread(roll_history, 15))
            await asyncio.sleep(0.3)
            rolls.append(await asyncio.to_thread(roll_history, 0))

    async def run():
        results = await asyncio.gather(post_orders(products, tokens, 600, 100, 3.0, answers), roll_while_flowing())
        return results[0]

    accepted = asyncio.run(run())
    assert [a for a in answers if a[3] != 202] == []
    assert len(accepted) == 600
    # Each rolled run dropped a day and kept the jobs still open; each run on the real calendar made
    # today's partition again.
    assert all(int(r.split("|")[1]) >= 1 for r in rolls[0::2]), rolls
    assert all(int(r.split("|")[0]) >= 1 for r in rolls[1::2]), rolls
    assert_settled_exactly(accepted + [before["order_id"]], products, 1000)

    last_roll = sql("SELECT now()")
    roll_history(15)
    try:
        assert sql(f"SELECT count(*) FROM jobs WHERE state IN ('succeeded', 'failed') "
                   f"AND finished_at < '{last_roll}'") == "0"
        status, _, _ = request("GET", f"/api/v1/jobs/{before['job_id']}", tok=tokens[0])
        assert status == 404
        status, _, order = request("GET", f"/api/v1/orders/{before['order_id']}/status", tok=tokens[0])
        assert status == 200 and order["status"] == "confirmed", order
    finally:
        roll_history(0)
    # Orders go on after the last roll.
    later = request("POST", "/api/v1/orders", order_body(products[1]), tok=tokens[1])[2]
    wait_job(later["job_id"], ("succeeded",), 30)

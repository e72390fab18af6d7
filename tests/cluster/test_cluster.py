"""Issue 21: the fleet on several hosts (scripts/test_cluster.sh): a broker node or a host lost mid-run, with
nothing lost and nothing doubled. Every test ends with the invariants it is about, read from PostgreSQL and
from the gateway sandbox, and prints the pause it measured."""
import asyncio
import os
import signal
import time
import uuid

from fleet import (API, LB, Client, cluster, create_product, no_dead_letters, order_body, pending_orders, run,
                   sandbox, sql, stock, token, wait_until, with_client)


def leader_of(queue):
    """The broker node (1-3) that leads `queue`, asked of a node that is up."""
    for n in (1, 2, 3):
        try:
            out = cluster("broker-ctl", str(n), "list_queues", "name", "leader")
        except AssertionError:
            continue
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == queue:
                return int(parts[1].rsplit(".", 1)[1]) - 11  # checkout@10.77.0.12 is mq1
    raise AssertionError(f"no node leads {queue}")


def alive(pid):
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def settling_pause(since_sql, window_s=40):
    """The longest time, within `window_s` seconds from `since_sql` (a PostgreSQL timestamp), in which no
    order job finished: how long settling stopped when a part of the fleet was lost."""
    return float(sql(f"""
        WITH f AS (SELECT finished_at FROM jobs WHERE type = 'order.process' AND state = 'succeeded'
                   AND finished_at BETWEEN '{since_sql}'::timestamptz
                                       AND '{since_sql}'::timestamptz + interval '{window_s} s'
                   UNION ALL SELECT '{since_sql}'::timestamptz)
        SELECT coalesce(max(extract(epoch FROM finished_at - prev)), 0)
        FROM (SELECT finished_at, lag(finished_at) OVER (ORDER BY finished_at) AS prev FROM f) g"""))


def test_a_broker_node_killed_under_2000_orders_and_300_payments_loses_nothing_and_doubles_nothing():
    product = create_product(stock=5000, price=1200)
    before = stock(product)
    buyers = [token("cluster-buyer-" + uuid.uuid4().hex) for _ in range(100)]
    victim = leader_of("order_heavy")
    killed_at = {}

    async def place(c, i):
        key = uuid.uuid4().hex
        for _ in range(20):  # a client whose request failed sends it again with its key
            status, body = await c.call("POST", LB + "/api/v1/orders", order_body(product),
                                        tok=buyers[i % len(buyers)], key=key)
            if status == 202:
                return body["order_id"], buyers[i % len(buyers)]
            await asyncio.sleep(0.2)
        raise AssertionError(f"order {i} never accepted: {status} {body}")

    # The 300 orders to be paid are placed (and confirmed) first; their payments then go out with the
    # other 1,700 orders, while the node is killed.
    to_pay = run(with_client(lambda c: asyncio.gather(*(place(c, i) for i in range(300)))))
    wait_until(lambda: pending_orders([o for o, _ in to_pay]) == 0, 60, "the orders to be paid to settle")
    rows = sql(f"SELECT id, order_number, final_amount FROM orders WHERE id = ANY("
               f"'{{{','.join(o for o, _ in to_pay)}}}'::uuid[])").splitlines()
    numbers = {r.split("|")[0]: (r.split("|")[1], int(r.split("|")[2])) for r in rows}

    async def pay(c, i, order_id, tok):
        number, amount = numbers[order_id]
        key = uuid.uuid4().hex
        for _ in range(20):
            status, body = await c.call("POST", API[i % 2] + "/api/v1/payments/confirm",
                                        {"paymentKey": "pk_" + number, "orderId": number, "amount": amount},
                                        tok=tok, key=key)
            if status == 202:
                return body["payment_id"]
            await asyncio.sleep(0.2)
        raise AssertionError(f"payment of {number} never accepted: {status} {body}")

    async def scenario(c: Client):
        sem = asyncio.Semaphore(200)  # 200 buyers at once: orders through HAProxy, payments to each API host
        placed, paid = [], []

        async def one_order(i):
            async with sem:
                placed.append(await place(c, i))

        async def one_payment(i, order_id, tok):
            async with sem:
                paid.append(await pay(c, i, order_id, tok))

        async def kill_then_restart():
            while len(placed) < 500:
                await asyncio.sleep(0.05)
            killed_at["ts"] = sql("SELECT clock_timestamp()")
            await asyncio.to_thread(cluster, "broker-kill", str(victim))
            killed_at["paid_by_then"] = len(paid)
            await asyncio.sleep(15)
            await asyncio.to_thread(cluster, "broker-start", str(victim))

        killer = asyncio.create_task(kill_then_restart())
        # Interleaved: a payment after every fifth order (1,700 orders carry all 300).
        payments = [one_payment(k, *to_pay[k]) for k in range(300)]
        work = []
        for i in range(1700):
            work.append(one_order(300 + i))
            if i % 5 == 4 and i // 5 < len(payments):
                work.append(payments[i // 5])
        await asyncio.gather(*work)
        await killer
        return placed, paid

    placed, payment_ids = run(with_client(scenario))
    orders = to_pay + placed
    assert len({o for o, _ in orders}) == 2000
    ids = [o for o, _ in orders]
    wait_until(lambda: pending_orders(ids) == 0, 180, "every order to settle")
    plist = ",".join(payment_ids)
    wait_until(lambda: sql(f"SELECT count(*) FROM payments WHERE id = ANY('{{{plist}}}'::uuid[]) "
                           "AND status NOT IN ('done', 'failed', 'canceled')") == "0", 180, "every payment to settle")
    assert sql(f"SELECT count(*) FROM payments WHERE id = ANY('{{{plist}}}'::uuid[]) AND status = 'done'") == "300"
    assert sql(f"SELECT count(*) FROM orders WHERE id = ANY('{{{','.join(ids)}}}'::uuid[]) "
               "AND status IN ('confirmed', 'paid')") == "2000"
    assert stock(product) == before - 2000
    # The invariant by orderId: each paid order approved exactly once at the gateway, and paid.
    held = {}
    for p in sandbox("/sandbox/payments")["payments"]:
        if p["status"] == "DONE":
            held[p["orderId"]] = held.get(p["orderId"], 0) + 1
    for order_id, _ in to_pay:
        number = numbers[order_id][0]
        assert held.get(number) == 1, f"order {number} approved {held.get(number, 0)} times"
    # Over all 2,000: unrefunded approvals 0 or 1, and 1 exactly when the order is paid.
    statuses = [r.split("|") for r in sql(f"SELECT order_number, status FROM orders WHERE id = ANY("
                                         f"'{{{','.join(ids)}}}'::uuid[])").splitlines()]
    assert len(statuses) == 2000
    for number, status in statuses:
        assert held.get(number, 0) <= 1, f"order {number} approved {held[number]} times"
        assert (held.get(number, 0) == 1) == (status == "paid"), f"order {number} is {status}, approvals {held.get(number, 0)}"
    assert sum(1 for _, status in statuses if status == "paid") == 300
    no_dead_letters()
    pause = settling_pause(killed_at["ts"])
    print(f"\nbroker node mq{victim} (the order_heavy leader) SIGKILLed after 500 of 1,700 orders and "
          f"{killed_at['paid_by_then']} of 300 payments accepted: settling paused at most {pause:.2f} s in the "
          "40 s after the kill; every order confirmed once, 300 payments approved once each")


def test_the_same_idempotency_key_at_both_api_hosts_at_the_same_instant_makes_one_order():
    product = create_product(stock=1000)
    keys = [uuid.uuid4().hex for _ in range(100)]
    toks = [token("cluster-idem-" + uuid.uuid4().hex) for _ in keys]  # a buyer per key: no rate limit in play

    async def scenario(c: Client):
        async def both(key, tok):
            # Both requests leave together; each API host is asked directly.
            return await asyncio.gather(*(c.call("POST", API[h] + "/api/v1/orders", order_body(product), tok=tok,
                                                 key=key) for h in (0, 1)))
        return await asyncio.gather(*(both(k, t) for k, t in zip(keys, toks)))

    answers = run(with_client(scenario))
    for key, pair in zip(keys, answers):
        statuses = sorted(s for s, _ in pair)
        # One created it; the other replayed it (202) or was told it is being created (409).
        assert statuses in ([202, 202], [202, 409]), (key, pair)
        ids = {b["order_id"] for s, b in pair if s == 202}
        assert len(ids) == 1, (key, pair)
    orders = sql("SELECT count(*) FROM orders o WHERE EXISTS (SELECT 1 FROM order_items i WHERE "
                 f"i.order_id = o.id AND i.product_id = {product})")
    assert orders == "100", f"{orders} orders for 100 keys"


async def refused(base):
    """A connection to the host of `base` (http://ADDR:PORT) is refused: nothing listens there any more."""
    host, port = base.split("//", 1)[1].rsplit(":", 1)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 0.2)
    except ConnectionRefusedError:
        return True
    except (OSError, asyncio.TimeoutError):  # a full backlog or a slow SYN: not known to be gone
        return False
    writer.close()
    return False


def test_an_api_host_killed_behind_the_load_balancer_fails_only_the_requests_it_held():
    product = create_product(stock=100000)
    buyers = [token("cluster-lb-" + uuid.uuid4().hex) for _ in range(50)]
    seen = {"in_flight": 0, "at_kill": None, "dying": False, "while_dying": 0, "answers": [], "failed": []}
    with open(os.path.join(os.environ["CLUSTER_STATE"], "pids", "api1")) as f:
        api_pid = int(f.read())

    async def scenario(c: Client):
        stop = time.monotonic() + 12

        async def buyer(tok):
            while time.monotonic() < stop:
                key = uuid.uuid4().hex
                seen["in_flight"] += 1
                seen["while_dying"] += seen["dying"]
                status, body = await c.call("POST", LB + "/api/v1/orders", order_body(product), tok=tok, key=key)
                seen["in_flight"] -= 1
                if status == 429:  # the buyer's own rate limit: it waits as told, not a failure of the fleet
                    await asyncio.sleep(0.5)
                    continue
                seen["answers"].append(status)
                if status != 202:
                    seen["failed"].append((key, tok, status, body))
                await asyncio.sleep(0.1)

        async def killer():
            await asyncio.sleep(4)
            # Killed from this event loop, between two of its steps: no request starts or ends between
            # the count and the kill (through the script, the kill came ~0.2 s after the count, with
            # more requests out by then).
            os.kill(api_pid, signal.SIGKILL)
            seen["at_kill"] = seen["in_flight"]
            killed = time.monotonic()
            # A process takes some ms to die, and its sockets close last: until then its listening
            # socket still completes connections, and requests that start meanwhile may reach it too.
            # It is gone when its port refuses a connection. (Its main thread turning zombie is not
            # enough: the other threads still hold the sockets. Counting by that, two runs out of two
            # on one VM saw 13 failures for 8 counted and 5 for 4.)
            seen["dying"] = True
            while not await refused(API[0]):
                if "zombie_in" not in seen and not alive(api_pid):
                    seen["zombie_in"] = time.monotonic() - killed
                await asyncio.sleep(0.001)
            seen["dying"] = False
            seen["died_in"] = time.monotonic() - killed

        await asyncio.gather(killer(), *(buyer(t) for t in buyers))

    try:
        run(with_client(scenario))
    finally:
        cluster("api-start", "1")
    answers = seen["answers"]
    bad = seen["failed"]
    assert len(answers) > 500, f"only {len(answers)} requests in 12 s"
    # The only failures: requests that were on the killed host when it died. The balancer answers such a
    # request 502, or, when it came on a kept-alive connection, closes that connection unanswered (as the
    # server did), which a client sees as a disconnect: a fresh-clone CI run saw one of each. Either way
    # the client sends it again with its key, below.
    assert all(s == 502 or (s is None and "ServerDisconnected" in b) for _, _, s, b in bad), \
        [(s, b) for _, _, s, b in bad][:5]
    held = seen["at_kill"] + seen["while_dying"]
    assert len(bad) <= held, f"{len(bad)} failed; in flight at the kill {seen['at_kill']}, started while it died " \
        f"{seen['while_dying']}"
    # Their clients send them again with the same key: each becomes exactly one order.
    async def again(c: Client):
        return await asyncio.gather(*(c.call("POST", LB + "/api/v1/orders", order_body(product), tok=tok, key=key)
                                      for key, tok, _, _ in bad))
    for status, body in run(with_client(again)):
        assert status == 202, body
    placed = answers.count(202) + len(bad)
    total = int(sql("SELECT count(*) FROM orders o WHERE EXISTS (SELECT 1 FROM order_items i WHERE "
                    f"i.order_id = o.id AND i.product_id = {product})"))
    assert total == placed, f"{total} orders for {placed} accepted requests"
    print(f"\nAPI host api1 SIGKILLed behind HAProxy under 50 buyers: {len(answers)} requests, "
          f"{len(bad)} failed (502; {seen['at_kill']} were in flight at the kill, {seen['while_dying']} started in the "
          f"{seen['died_in'] * 1000:.0f} ms before its port refused; its main thread was a zombie after "
          f"{seen.get('zombie_in', seen['died_in']) * 1000:.0f} ms), each sent again with its key: one order each")


def test_a_worker_host_cut_off_for_10_s_has_its_messages_redelivered_and_its_late_work_does_no_harm():
    products = [create_product(stock=1000) for _ in range(40)]
    before = {p: stock(p) for p in products}
    buyers = [token("cluster-cut-" + uuid.uuid4().hex) for _ in range(100)]
    marks = {}

    async def scenario(c: Client):
        stop = time.monotonic() + 24
        placed = []

        async def buyer(i):
            n = 0
            while time.monotonic() < stop:
                product = products[(i + n) % len(products)]
                n += 1
                key = uuid.uuid4().hex
                while True:
                    status, body = await c.call("POST", LB + "/api/v1/orders", order_body(product), tok=buyers[i],
                                                key=key)
                    if status != 429:
                        break
                    await asyncio.sleep(0.5)
                assert status == 202, body
                placed.append((body["order_id"], product))
                await asyncio.sleep(0.2)

        async def cutter():
            await asyncio.sleep(6)
            marks["cut"] = sql("SELECT clock_timestamp()")
            await asyncio.to_thread(cluster, "cut", "oh1")
            await asyncio.sleep(10)
            await asyncio.to_thread(cluster, "heal", "oh1")

        await asyncio.gather(cutter(), *(buyer(i) for i in range(len(buyers))))
        return placed

    placed = run(with_client(scenario))
    ids = [o for o, _ in placed]
    wait_until(lambda: pending_orders(ids) == 0, 180, "every order to settle")
    idlist = ",".join(ids)
    assert sql(f"SELECT count(*) FROM orders WHERE id = ANY('{{{idlist}}}'::uuid[]) AND status = 'confirmed'") == \
        str(len(ids))
    for p in products:
        assert stock(p) == before[p] - sum(1 for _, q in placed if q == p), f"product {p}"
    # What oh1 held when it was cut off went to oh2 (a redelivery is counted on the job).
    redelivered = int(sql("SELECT count(*) FROM jobs WHERE type = 'order.process' AND crashes > 0 AND "
                          f"created_at >= '{marks['cut']}'::timestamptz - interval '30 s'"))
    no_dead_letters()
    pause = settling_pause(marks["cut"])
    print(f"\norder_heavy host oh1 cut off for 10 s under 100 buyers: {len(ids)} orders, each confirmed once; "
          f"{redelivered} redelivered; settling paused at most {pause:.2f} s in the 40 s after the cut")
    assert redelivered > 0, "nothing oh1 held was redelivered"

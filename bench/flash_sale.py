#!/usr/bin/python3
"""Load benchmark against the running system (scripts/run.sh). Two runs:

1. Flash sale: BUYERS buyers at once, one product with STOCK units. Each posts an order, then polls
   its status URL until it is settled. Prints orders accepted per second, 202 latency p50/p95/p99,
   202-to-settled p50/p99 (from the server's own job timestamps, so poll spacing does not blur it),
   time until every order is settled, the 5xx count, and checks stock + confirmed == STOCK.
2. Open loop: RATE orders/s for SECONDS across PRODUCTS products (no hot row). Latency is measured
   from each request's scheduled send time, so a slow server cannot hide behind a slow client.

Usage: bench/flash_sale.py [--base http://127.0.0.1:8080] [--buyers 1000] [--stock 500]
                           [--rate 500] [--seconds 20] [--products 200]
Needs JWT_SECRET (default: .local/run/jwt_secret) and build/bin/checkout-token.
"""
import argparse
import asyncio
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import time

import aiohttp

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SHIPPING = {"name": "Kim", "phone": "010-0000-0000", "postal_code": "04524", "address": "Seoul"}


def token(sub, role=""):
    env = dict(os.environ)
    if "JWT_SECRET" not in env:
        env["JWT_SECRET"] = open(os.path.join(ROOT, ".local", "run", "jwt_secret")).read().strip()
    return subprocess.run([os.path.join(ROOT, "build", "bin", "checkout-token"), sub, role, "7200"],
                          check=True, capture_output=True, text=True, env=env).stdout.strip()


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def parse_ts(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def create_products(session, base, admin, count, stock):
    ids = []
    for i in range(count):
        async with session.post(f"{base}/api/v1/admin/products", json={"name": f"bench-{i}", "price": 1000, "stock": stock},
                                headers={"Authorization": "Bearer " + admin}) as r:
            assert r.status == 201, await r.text()
            ids.append((await r.json())["id"])
    return ids


async def flash_sale(base, buyers, stock, poll_interval):
    admin = token("bench-admin", "admin")
    tokens = [token(f"bench-buyer-{i}") for i in range(buyers)]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        [product] = await create_products(session, base, admin, 1, stock)
        accept_lat, server_errors, outcomes, settled_at = [], 0, {}, []
        go = asyncio.Event()

        async def buyer(tok):
            nonlocal server_errors
            await go.wait()
            t0 = time.time()
            async with session.post(f"{base}/api/v1/orders", json={"items": [{"product_id": product, "quantity": 1}],
                                                                    "shipping": SHIPPING},
                                    headers={"Authorization": "Bearer " + tok}) as r:
                body = await r.json(content_type=None)
                status = r.status
            t1 = time.time()
            if status >= 500:
                server_errors += 1
                return
            assert status == 202, body
            accept_lat.append(t1 - t0)
            await asyncio.sleep(poll_interval * random.random())
            while True:
                async with session.get(base + body["status_url"], headers={"Authorization": "Bearer " + tok}) as r:
                    if r.status >= 500:
                        server_errors += 1
                    st = await r.json(content_type=None)
                if st["status"] != "pending":
                    outcomes[body["order_id"]] = st
                    settled_at.append(parse_ts(st["job"]["finished_at"]))
                    return
                await asyncio.sleep(poll_interval)

        tasks = [asyncio.create_task(buyer(t)) for t in tokens]
        await asyncio.sleep(0.2)
        cpu0 = cpu_seconds()
        start = time.time()
        go.set()
        await asyncio.gather(*tasks)
        wall = time.time() - start
        cpu = cpu_seconds() - cpu0
        async with session.get(f"{base}/api/v1/products/{product}", headers={"Authorization": "Bearer " + admin}) as r:
            remaining = (await r.json())["stock"]

    confirmed = sum(1 for o in outcomes.values() if o["status"] == "confirmed")
    failed = sum(1 for o in outcomes.values() if o["status"] == "failed" and o["failure_reason"] == "INSUFFICIENT_STOCK")
    settle = [parse_ts(o["job"]["finished_at"]) - parse_ts(o["job"]["created_at"]) for o in outcomes.values()]
    accept_window = max(accept_lat) if accept_lat else 0
    print(f"== flash sale: {buyers} buyers at once, stock {stock} ==")
    print(f"orders accepted:        {len(accept_lat)} ({len(accept_lat) / max(1e-9, accept_window):.0f}/s over the burst)")
    print(f"202 latency:            p50 {pct(accept_lat, 50)*1000:.1f} ms  p95 {pct(accept_lat, 95)*1000:.1f} ms  "
          f"p99 {pct(accept_lat, 99)*1000:.1f} ms")
    print(f"202 -> settled:         p50 {pct(settle, 50)*1000:.1f} ms  p99 {pct(settle, 99)*1000:.1f} ms")
    print(f"all settled after:      {max(settled_at) - start:.2f} s from the first request "
          f"(client saw the last one at {wall:.2f} s, polling every {poll_interval*1000:.0f} ms)")
    print(f"outcomes:               {confirmed} confirmed, {failed} failed INSUFFICIENT_STOCK, stock left {remaining}")
    print(f"5xx responses:          {server_errors}")
    print(f"load generator CPU:     {cpu:.2f} s over {wall:.2f} s wall")
    ok = confirmed + remaining == stock and remaining >= 0 and confirmed + failed == buyers and server_errors == 0
    print("invariants:             " + ("OK (stock + confirmed == initial, no oversell, no 5xx)" if ok else "VIOLATED"))
    return ok


async def open_loop(base, rate, seconds, products):
    admin = token("bench-admin", "admin")
    tokens = [token(f"bench-open-{i}") for i in range(200)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        ids = await create_products(session, base, admin, products, 1_000_000)
        lat, errors = [], 0

        async def fire(at, tok, pid):
            nonlocal errors
            delay = at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            async with session.post(f"{base}/api/v1/orders", json={"items": [{"product_id": pid, "quantity": 1}],
                                                                    "shipping": SHIPPING},
                                    headers={"Authorization": "Bearer " + tok}) as r:
                await r.read()
                if r.status != 202:
                    errors += 1
            lat.append(time.time() - at)

        total = int(rate * seconds)
        cpu0 = cpu_seconds()
        start = time.time() + 0.5
        await asyncio.gather(*(fire(start + i / rate, random.choice(tokens), random.choice(ids)) for i in range(total)))
        cpu = cpu_seconds() - cpu0
        wall = time.time() - start
    print(f"== open loop: {rate} orders/s for {seconds} s across {products} products ==")
    print(f"sent {total}, non-202: {errors}, achieved {total / wall:.0f}/s")
    print(f"202 latency (from scheduled send): p50 {pct(lat, 50)*1000:.1f} ms  p99 {pct(lat, 99)*1000:.1f} ms  "
          f"max {max(lat)*1000:.1f} ms")
    print(f"load generator CPU:     {cpu:.2f} s over {wall:.2f} s wall")
    return errors == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default=f"http://127.0.0.1:{os.environ.get('API_PORT', '8080')}")
    ap.add_argument("--buyers", type=int, default=1000)
    ap.add_argument("--stock", type=int, default=500)
    ap.add_argument("--poll", type=float, default=0.25, help="status poll interval, seconds")
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--products", type=int, default=200)
    ap.add_argument("--skip-open-loop", action="store_true")
    a = ap.parse_args()
    ok = asyncio.run(flash_sale(a.base, a.buyers, a.stock, a.poll))
    if not a.skip_open_loop:
        ok = asyncio.run(open_loop(a.base, a.rate, a.seconds, a.products)) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The shop under a crowd (issue 10), against a running fleet (bench/cost.sh starts one):

  1. 1,000 users racing for a 100-unit coupon, plus 200 repeated attempts by the same users: issue
     calls per second, latency p50/p99, and whether exactly 100 were issued, none twice to a user;
  2. 1,000 concurrent best-seller reads: latency p50/p99 and the queries PostgreSQL ran for them
     (pg_stat_statements).

  bench/shop.py --base http://127.0.0.1:18581 --database postgresql://...   (JWT_SECRET in the environment)
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import subprocess
import time
import uuid

import aiohttp


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(sub, role=""):
    claims = {"sub": sub, "exp": int(time.time()) + 3600}
    if role:
        claims["role"] = role
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(hmac.new(os.environ["JWT_SECRET"].encode(), head.encode(), hashlib.sha256).digest())


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else 0.0


def sql(database, query):
    return subprocess.run(["psql", database, "-tAX", "-c", query], check=True, capture_output=True,
                          text=True).stdout.strip()


async def crowd(base, calls):
    """Sends every (method, path, token) at once; returns [(status, seconds)] and the wall time."""
    async def one(session, method, path, tok):
        started = time.monotonic()
        async with session.request(method, base + path, headers={"Authorization": "Bearer " + tok}) as r:
            await r.read()
            return r.status, time.monotonic() - started
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        started = time.monotonic()
        results = await asyncio.gather(*(one(session, *c) for c in calls))
        return results, time.monotonic() - started


def coupon_race(base, database):
    admin = token("bench-admin-" + uuid.uuid4().hex, "admin")
    body = json.dumps({"name": "bench race", "kind": "fixed", "amount": 1000, "quantity": 100}).encode()
    import urllib.request
    req = urllib.request.Request(base + "/api/v1/admin/coupons", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + admin, "Content-Type": "application/json"})
    cid = json.loads(urllib.request.urlopen(req).read())["id"]
    users = [token(f"race-{i}-{uuid.uuid4().hex[:6]}") for i in range(1000)]
    attempts = users + users[:200]
    random.shuffle(attempts)
    results, wall = asyncio.run(crowd(base, [("POST", f"/api/v1/coupons/{cid}/issue", t) for t in attempts]))
    statuses = [s for s, _ in results]
    latency = [t for _, t in results]
    issued, quantity = sql(database, f"SELECT issued, quantity FROM coupons WHERE id = {cid}").split("|")
    rows, holders = sql(database, f"SELECT count(*), count(DISTINCT user_id) FROM user_coupons "
                                  f"WHERE coupon_id = {cid}").split("|")
    ok = statuses.count(201) == 100 and issued == "100" and rows == "100" and holders == "100" and \
        all(s in (201, 409) for s in statuses)
    print("== 1,000 users (and 200 repeats) racing for 100 coupons ==")
    print(f"issue calls:            {len(attempts)} in {wall:.2f} s = {len(attempts) / wall:.0f}/s")
    print(f"latency:                p50 {pct(latency, 50) * 1e3:.1f} ms  p99 {pct(latency, 99) * 1e3:.1f} ms")
    print(f"answers:                {statuses.count(201)} issued (201), {statuses.count(409)} refused (409), "
          f"{sum(1 for s in statuses if s >= 500)} 5xx")
    print(f"correctness:            issued {issued}/{quantity}, {rows} rows for {holders} users: "
          f"{'OK' if ok else 'VIOLATED'}")
    return ok


def popular_reads(base, database):
    tok = token("bench-popular")
    sql(database, "SELECT pg_stat_statements_reset()")
    # A cold cache: a key nobody asked for yet.
    days = random.randint(30, 90)
    results, wall = asyncio.run(crowd(base, [("GET", f"/api/v1/products/popular?days={days}&limit=5", tok)] * 1000))
    latency = [t for _, t in results]
    queries = sql(database, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                            "WHERE query LIKE '%FROM orders o JOIN order_items i ON%'")
    ok = all(s == 200 for s, _ in results)
    print("== 1,000 concurrent best-seller reads (cold cache) ==")
    print(f"reads:                  1000 in {wall:.2f} s, {sum(1 for s, _ in results if s != 200)} not 200")
    print(f"latency:                p50 {pct(latency, 50) * 1e3:.1f} ms  p99 {pct(latency, 99) * 1e3:.1f} ms")
    print(f"queries run:            {queries}")
    return ok and int(queries) <= 3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    ok = coupon_race(args.base, args.database)
    ok = popular_reads(args.base, args.database) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

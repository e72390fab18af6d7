"""The fleet on the test hosts, as scripts/test_cluster.sh started it: where to reach it, a buyer's and the
gateway's view, and the script's own commands to kill, cut and restart parts of it."""
import asyncio
import base64
import json
import os
import subprocess
import time
import uuid

import aiohttp

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CHECKOUT_BIN_DIR", os.path.join(ROOT, "build", "bin"))
LB = os.environ["CLUSTER_LB"]
API = [os.environ["CLUSTER_API1"], os.environ["CLUSTER_API2"]]
GATEWAY = os.environ["TOSS_API_BASE"]
SHIPPING = {"name": "Kim", "phone": "010-0000-0000", "postal_code": "04524", "address": "Seoul"}


def cluster(*args):
    """scripts/test_cluster.sh's own commands (broker-kill N, api-start N, cut HOST, ...)."""
    out = subprocess.run([os.path.join(ROOT, "scripts", "test_cluster.sh"), *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def sql(query):
    """One value (or rows of '|'-joined columns); the query goes on stdin (thousands of ids do not fit argv)."""
    out = subprocess.run(["psql", os.environ["DATABASE_URL"], "-tAX", "-v", "ON_ERROR_STOP=1"], input=query,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def token(sub, role=""):
    return subprocess.run([os.path.join(BIN, "checkout-token"), sub, role], capture_output=True, text=True,
                          check=True).stdout.strip()


def sandbox(path):
    auth = base64.b64encode((os.environ["TOSS_SECRET_KEY"] + ":").encode()).decode()
    out = subprocess.run(["curl", "-fsS", "--max-time", "30", "-H", "Authorization: Basic " + auth, GATEWAY + path],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def order_body(product_id, quantity=1):
    return {"items": [{"product_id": product_id, "quantity": quantity}], "shipping": SHIPPING}


class Client:
    """Many buyers at once (aiohttp): every call answers (status, body), or (None, error) when the connection
    failed, so a test counts what clients saw."""

    def __init__(self, session):
        self.session = session

    async def call(self, method, url, body=None, tok=None, key=None, timeout=30):
        headers = {"Content-Type": "application/json"}
        if tok:
            headers["Authorization"] = "Bearer " + tok
        if key:
            headers["Idempotency-Key"] = key
        try:
            async with self.session.request(method, url, json=body, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=timeout)) as r:
                text = await r.text()
                try:
                    return r.status, json.loads(text)
                except ValueError:
                    return r.status, text
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            return None, repr(e)


def run(coro):
    return asyncio.run(coro)


async def with_client(fn, limit=0):
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit, force_close=True)) as s:
        return await fn(Client(s))


def create_product(stock, price=1000):
    async def go(c):
        return await c.call("POST", LB + "/api/v1/admin/products",
                            {"name": "cluster product", "price": price, "stock": stock},
                            tok=token("admin-" + uuid.uuid4().hex, "admin"))
    status, body = run(with_client(go))
    assert status == 201, body
    return body["id"]


def stock(product_id):
    return int(sql(f"SELECT stock FROM products WHERE id = {product_id}"))


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def pending_orders(order_ids):
    ids = ",".join(order_ids)
    return int(sql(f"SELECT count(*) FROM orders WHERE id = ANY('{{{ids}}}'::uuid[]) AND status = 'pending'"))


def no_dead_letters():
    """No job of the run ended dead (the dead-letter keeper records every dead-lettered message as one)."""
    dead = sql("SELECT count(*) FROM jobs WHERE dead OR state = 'dead'")
    assert dead == "0", sql("SELECT type, last_error FROM jobs WHERE dead OR state = 'dead' LIMIT 5")

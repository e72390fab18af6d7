"""Orders through the real system: POST -> outbox -> RabbitMQ -> worker-order-heavy -> PostgreSQL."""
import asyncio
import json
import uuid

import aiohttp

from conftest import (BASE, SHIPPING, create_product, final_status, order_body, queue_depth, rabbit, request, sql,
                      token, wait_until)


def test_happy_path_202_then_confirmed_and_stock_taken():
    product = create_product(stock=10, price=2500)
    tok = token("buyer-" + uuid.uuid4().hex)
    status, headers, body = request("POST", "/api/v1/orders", order_body(product, 3), tok=tok)
    assert status == 202, body
    assert body["status"] == "pending"
    assert body["status_url"] == f"/api/v1/orders/{body['order_id']}/status"
    assert headers["Location"] == f"/api/v1/orders/{body['order_id']}"
    assert 6 <= len(body["order_number"]) <= 64

    final = final_status(body["order_id"], tok, timeout=10)
    assert final["status"] == "confirmed"
    assert final["job"]["state"] == "succeeded" and final["job"]["attempts"] == 1

    status, _, order = request("GET", f"/api/v1/orders/{body['order_id']}", tok=tok)
    assert status == 200
    assert order["total_amount"] == 7500 and order["final_amount"] == 7500
    assert order["items"] == [{"product_id": product, "quantity": 3, "unit_price": 2500}]
    status, _, prod = request("GET", f"/api/v1/products/{product}", tok=tok)
    assert prod["stock"] == 7
    status, _, job = request("GET", f"/api/v1/jobs/{body['job_id']}", tok=tok)
    assert status == 200 and job["state"] == "succeeded" and job["queue"] == "order_heavy"


def test_bad_input_gets_problem_json_and_changes_nothing():
    product = create_product(stock=5)
    sub = "bad-input-" + uuid.uuid4().hex
    tok = token(sub)
    orders_before = sql("SELECT count(*) FROM orders")
    cases = [
        (b"{not json", 400, "INVALID_JSON"),
        (json.dumps({"items": [], "shipping": SHIPPING}).encode(), 422, "VALIDATION_FAILED"),
        (json.dumps(order_body(product, 0)).encode(), 422, "VALIDATION_FAILED"),
        (json.dumps(order_body(product, -2)).encode(), 422, "VALIDATION_FAILED"),
        (json.dumps({"items": [{"product_id": "x", "quantity": 1}], "shipping": SHIPPING}).encode(), 422, "VALIDATION_FAILED"),
        (json.dumps({"items": "all of them", "shipping": SHIPPING}).encode(), 422, "VALIDATION_FAILED"),
        (json.dumps({"items": [{"product_id": product, "quantity": 1}] * 51, "shipping": SHIPPING}).encode(), 422, "VALIDATION_FAILED"),
        (json.dumps(order_body(999999999)).encode(), 422, "UNKNOWN_PRODUCT"),
        (json.dumps({**order_body(product), "use_points": 10}).encode(), 422, "INSUFFICIENT_POINTS"),
        (json.dumps({**order_body(product), "memo": "x" * 100_000}).encode(), 413, "PAYLOAD_TOO_LARGE"),
    ]
    for raw, want_status, want_code in cases:
        status, headers, body = request("POST", "/api/v1/orders", tok=tok, raw=raw)
        assert status == want_status, (raw[:80], body)
        assert headers["Content-Type"] == "application/problem+json"
        assert body["code"] == want_code and body["status"] == want_status
    assert sql("SELECT count(*) FROM orders") == orders_before
    assert request("GET", f"/api/v1/products/{product}", tok=tok)[2]["stock"] == 5
    # Bad path parameters and unknown routes are 404 problems, not Pistache's 500 "Bad lexical cast".
    for path in ["/api/v1/products/abc", "/api/v1/products/-1", "/api/v1/orders/not-a-uuid", "/api/v1/jobs/zzz", "/nowhere"]:
        status, headers, body = request("GET", path, tok=tok)
        assert status == 404 and headers["Content-Type"] == "application/problem+json", path
    status, _, body = request("GET", "/api/v1/products?page=0", tok=tok)
    assert status == 422 and body["code"] == "VALIDATION_FAILED"


def test_auth_401_403_and_other_users_orders_are_404():
    product = create_product(stock=5)
    alice, mallory = token("alice-" + uuid.uuid4().hex), token("mallory-" + uuid.uuid4().hex)
    _, _, placed = request("POST", "/api/v1/orders", order_body(product), tok=alice)
    for path in [f"/api/v1/orders/{placed['order_id']}", f"/api/v1/orders/{placed['order_id']}/status",
                 f"/api/v1/jobs/{placed['job_id']}"]:
        assert request("GET", path, tok=mallory)[0] == 404
        assert request("GET", path, tok=alice)[0] == 200
    assert request("POST", "/api/v1/orders", order_body(product))[2]["code"] == "UNAUTHORIZED"
    assert request("POST", "/api/v1/orders", order_body(product), tok=alice + "x")[0] == 401
    assert request("GET", "/api/v1/products", headers={"Authorization": "Basic abc"})[0] == 401
    status, _, body = request("POST", "/api/v1/admin/products", {"name": "x", "price": 1, "stock": 1}, tok=alice)
    assert status == 403 and body["code"] == "FORBIDDEN"


def test_idempotency_key_replay_mismatch_and_concurrent_duplicates():
    product = create_product(stock=100)
    sub = "idem-" + uuid.uuid4().hex
    tok = token(sub)
    key = uuid.uuid4().hex
    s1, _, first = request("POST", "/api/v1/orders", order_body(product, 2), tok=tok, headers={"Idempotency-Key": key})
    s2, h2, again = request("POST", "/api/v1/orders", order_body(product, 2), tok=tok, headers={"Idempotency-Key": key})
    assert s1 == 202 and s2 == 202 and again == first and h2.get("Idempotent-Replayed") == "true"
    s3, _, other = request("POST", "/api/v1/orders", order_body(product, 5), tok=tok, headers={"Idempotency-Key": key})
    assert s3 == 422 and other["code"] == "IDEMPOTENCY_KEY_REUSED"

    # 50 simultaneous requests with one new key: one order; the rest replay it or are told it is in flight.
    key2 = uuid.uuid4().hex

    async def post(session):
        async with session.post(BASE + "/api/v1/orders", json=order_body(product, 1),
                                headers={"Authorization": "Bearer " + tok, "Idempotency-Key": key2}) as r:
            return r.status, await r.json(content_type=None)

    async def burst():
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            return await asyncio.gather(*(post(session) for _ in range(50)))

    results = asyncio.run(burst())
    statuses = sorted(s for s, _ in results)
    assert set(statuses) <= {202, 409}, statuses
    ids = {b["order_id"] for s, b in results if s == 202}
    assert len(ids) == 1
    user_orders = sql(f"SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE u.sub = '{sub}'")
    assert user_orders == "2"  # the first key's order and the burst's single order


def test_flash_sale_300_buyers_100_units_no_oversell():
    product = create_product(stock=100)
    tokens = [token(f"flash-{i}-{uuid.uuid4().hex[:8]}") for i in range(300)]

    async def buy(session, tok):
        async with session.post(BASE + "/api/v1/orders", json=order_body(product, 1),
                                headers={"Authorization": "Bearer " + tok}) as r:
            return r.status, await r.json(content_type=None)

    async def sale():
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            return await asyncio.gather(*(buy(session, t) for t in tokens))

    results = asyncio.run(sale())
    assert [s for s, _ in results].count(202) == 300, [b for s, b in results if s != 202][:3]
    ids = "','".join(b["order_id"] for _, b in results)
    wait_until(lambda: sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'pending'") == "0",
               60, "all 300 orders to settle")
    assert sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'confirmed'") == "100"
    assert sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'failed' "
               f"AND failure_reason = 'INSUFFICIENT_STOCK'") == "200"
    assert sql(f"SELECT stock FROM products WHERE id = {product}") == "0"
    assert sql(f"SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = {product}") == "100"


def test_a_job_delivered_twice_changes_nothing_twice():
    import pika
    product = create_product(stock=10)
    tok = token("dup-" + uuid.uuid4().hex)
    _, _, placed = request("POST", "/api/v1/orders", order_body(product, 1), tok=tok)
    assert final_status(placed["order_id"], tok)["status"] == "confirmed"
    envelope = {"id": placed["job_id"], "type": "order.process", "queue": "order_heavy",
                "payload": {"order_id": placed["order_id"]}, "attempt": 1, "enqueued_at": "2026-01-01T00:00:00Z"}
    conn = pika.BlockingConnection(pika.URLParameters(__import__("os").environ["AMQP_URL"]))
    ch = conn.channel()
    ch.confirm_delivery()
    for _ in range(2):
        ch.basic_publish("checkout.jobs", "order.heavy", json.dumps(envelope),
                         pika.BasicProperties(delivery_mode=2, message_id=placed["job_id"]))
    conn.close()
    wait_until(lambda: queue_depth("order_heavy") == 0, 20, "the duplicates to be consumed")
    assert sql(f"SELECT stock FROM products WHERE id = {product}") == "9"
    assert sql(f"SELECT state || ':' || attempts FROM jobs WHERE id = '{placed['job_id']}'") == "succeeded:1"
    assert sql(f"SELECT count(*) FROM order_items WHERE order_id = '{placed['order_id']}'") == "1"


def test_rabbitmq_down_orders_still_accepted_and_settled_after_restart():
    product = create_product(stock=1000)
    tok = token("outage-" + uuid.uuid4().hex)
    rabbit("stop")
    try:
        assert request("GET", "/ready")[0] == 503
        placed = [request("POST", "/api/v1/orders", order_body(product, 1), tok=tok) for _ in range(50)]
        assert [s for s, _, _ in placed] == [202] * 50
        ids = "','".join(b["order_id"] for _, _, b in placed)
        assert sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'pending'") == "50"
    finally:
        rabbit("start")
    wait_until(lambda: sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'confirmed'") == "50",
               90, "all 50 orders to be confirmed after RabbitMQ came back")
    assert sql(f"SELECT stock FROM products WHERE id = {product}") == "950"
    assert sql("SELECT count(*) FROM outbox") == "0"

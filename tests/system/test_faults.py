"""Issue 9: the races and faults the happy paths don't reach. Each test drives its finding for real (it
failed on the code before the fix, or says why the suspicion did not hold) and checks the money
invariant by orderId as well as by paymentKey (shop.assert_one_charge_per_paid_order)."""
import concurrent.futures
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

from conftest import (BASE, DIRECT, ROOT, RUN_DIR, STATE, create_product, effects, enqueue, final_status, job_row,
                      order_body, request, sql, token, wait_job, wait_until)
from shop import (approvals, assert_one_charge_per_paid_order, cancels, confirm, confirmed_order, gateway_payments,
                  knobs, paid_order, payment_status, sandbox, scheduler_once, stock, wait_payment, webhook)


def points(tok_user_order_id):
    user = sql(f"SELECT user_id FROM orders WHERE id = '{tok_user_order_id}'")
    balance = sql(f"SELECT coalesce(sum(remaining), 0) FROM point_lots WHERE user_id = {user} AND expires_at > now()")
    ledger = sql(f"SELECT coalesce(sum(amount), 0) FROM point_ledger WHERE user_id = {user}")
    return int(balance), int(ledger)


# --- item 1 ----------------------------------------------------------------------------------------

def test_a_refund_takes_back_the_points_the_order_earned():
    tok = token("refund-points-" + uuid.uuid4().hex)
    product = create_product(stock=5, price=10000)
    order, key, payment_id = paid_order(tok, product, quantity=2)
    wait_until(lambda: points(order["id"])[0] == 200, 20, "points to be earned")
    status, _, body = request("POST", f"/api/v1/payments/{payment_id}/cancel", {"cancelReason": "returned"}, tok=tok)
    assert status == 202, body
    assert wait_payment(tok, payment_id, {"canceled"})["order_status"] == "canceled"
    assert points(order["id"]) == (0, 0)  # balance back to 0, and the ledger explains it
    assert sql(f"SELECT string_agg(kind || ':' || amount, ',' ORDER BY id) FROM point_ledger "
               f"WHERE order_id = '{order['id']}'") == "earn:200,revoke:-200"
    assert_one_charge_per_paid_order([order["id"]])


# --- item 2 ----------------------------------------------------------------------------------------

def test_a_buyer_reads_the_jobs_of_their_own_payment_and_nobody_else_does():
    tok, other = token("jobs-" + uuid.uuid4().hex), token("jobs-other-" + uuid.uuid4().hex)
    order, key, payment_id = paid_order(tok, create_product(stock=2, price=3000))
    job_id = sql(f"SELECT job_id FROM payments WHERE id = '{payment_id}'")
    status, _, job = request("GET", f"/api/v1/jobs/{job_id}", tok=tok)
    assert status == 200 and job["type"] == "payment.call_gateway" and job["state"] == "succeeded", job
    status, _, _ = request("GET", f"/api/v1/jobs/{job_id}", tok=other)
    assert status == 404
    # The finalize and points jobs name the payment or the order: the buyer's too.
    for job_type in ("payment.finalize", "points.earn"):
        jid = wait_until(lambda: sql(f"SELECT id FROM jobs WHERE type = '{job_type}' AND (payload->>'payment_id' = "
                                     f"'{payment_id}' OR payload->>'order_id' = '{order['id']}')"), 20, job_type)
        assert request("GET", f"/api/v1/jobs/{jid}", tok=tok)[0] == 200, job_type
        assert request("GET", f"/api/v1/jobs/{jid}", tok=other)[0] == 404, job_type
    status, _, body = request("POST", f"/api/v1/payments/{payment_id}/cancel", tok=tok)
    assert status == 202
    status, _, refund = request("GET", f"/api/v1/jobs/{body['job_id']}", tok=tok)
    assert status == 200 and refund["type"] == "payment.cancel", refund


# --- item 3 ----------------------------------------------------------------------------------------

def raw(method, path, data, tok, content_type="application/json"):
    """Bytes as given, straight to the API (a proxy would not pass them on unchanged)."""
    req = urllib.request.Request(DIRECT + path, data=data, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    req.add_header("Authorization", "Bearer " + tok)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def test_malformed_orders_get_4xx_problem_json_and_change_nothing():
    sub = "bad-input-" + uuid.uuid4().hex
    tok = token(sub)
    product = create_product(stock=5)
    good = json.dumps(order_body(product)).encode()
    cases = [
        ("invalid UTF-8", "POST", "/api/v1/orders", good.replace(b'"Kim"', b'"K\xff\xfem"'), "application/json",
         400, "INVALID_JSON"),
        ("NUL in the shipping name", "POST", "/api/v1/orders", good.replace(b'"Kim"', b'"Kim\\u0000"'),
         "application/json", 422, "VALIDATION_FAILED"),
        ("a duplicate key", "POST", "/api/v1/orders",
         good.replace(b'"quantity": 1', b'"quantity": 1, "quantity": -1'), "application/json", 400, "INVALID_JSON"),
        ("JSON sent as text/plain", "POST", "/api/v1/orders", good, "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("a form", "POST", "/api/v1/orders", b"items=1", "application/x-www-form-urlencoded", 415,
         "UNSUPPORTED_MEDIA_TYPE"),
        ("urllib's default form type", "POST", "/api/v1/orders", good, None, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("a body over the limit", "POST", "/api/v1/orders", b'{"memo":"' + b"x" * (2 << 20) + b'"}',
         "application/json", 413, "PAYLOAD_TOO_LARGE"),
        ("an unknown method", "DELETE", "/api/v1/orders", None, None, 405, "METHOD_NOT_ALLOWED"),
        ("PUT on an order", "PUT", "/api/v1/orders/" + str(uuid.uuid4()), good, "application/json", 405,
         "METHOD_NOT_ALLOWED"),
        ("PATCH on a product", "PATCH", f"/api/v1/products/{product}", b"{}", "application/json", 405,
         "METHOD_NOT_ALLOWED"),
        ("NUL in a payment key", "POST", "/api/v1/payments/confirm",
         b'{"paymentKey":"pk\\u0000","orderId":"ORD-123456","amount":1}', "application/json", 422,
         "VALIDATION_FAILED"),
    ]
    assert b'"quantity": 1' in good and b'"Kim"' in good
    for what, method, path, data, ctype, want, code in cases:
        status, headers, text = raw(method, path, data, tok, ctype)
        assert status == want, (what, status, text[:300])
        assert headers["Content-Type"].startswith("application/problem+json"), (what, headers)
        assert json.loads(text)["code"] == code, (what, text)
    # Nothing was created for this buyer, and the well-formed order still works.
    assert sql(f"SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE u.sub = '{sub}'") == "0"
    assert stock(product) == 5
    status, _, text = raw("POST", "/api/v1/orders", good, tok, "application/json; charset=utf-8")
    assert status == 202, text


def test_a_buyer_lists_their_own_orders_newest_first_in_pages():
    tok, other = token("list-" + uuid.uuid4().hex), token("list-other-" + uuid.uuid4().hex)
    product = create_product(stock=20)
    mine = [request("POST", "/api/v1/orders", order_body(product), tok=tok)[2]["order_id"] for _ in range(5)]
    request("POST", "/api/v1/orders", order_body(product), tok=other)
    status, _, page1 = request("GET", "/api/v1/orders?page=1&size=2", tok=tok)
    assert status == 200, page1
    assert page1["total"] == 5 and page1["page"] == 1 and page1["size"] == 2
    assert [o["id"] for o in page1["items"]] == mine[::-1][:2]
    _, _, page3 = request("GET", "/api/v1/orders?page=3&size=2", tok=tok)
    assert [o["id"] for o in page3["items"]] == mine[:1]
    _, _, all_of_them = request("GET", "/api/v1/orders", tok=tok)
    assert [o["id"] for o in all_of_them["items"]] == mine[::-1]
    for bad in ("page=0", "size=0", "size=10000", "page=abc"):
        status, _, body = request("GET", "/api/v1/orders?" + bad, tok=tok)
        assert status == 422 and body["code"] == "VALIDATION_FAILED", (bad, body)
    assert request("GET", "/api/v1/orders")[0] == 401


# --- item 5 ----------------------------------------------------------------------------------------

def test_a_late_approval_after_the_reconciler_gave_up_is_refunded_while_the_next_payment_pays():
    tok = token("late-" + uuid.uuid4().hex)
    product = create_product(stock=2, price=5000)
    order = confirmed_order(tok, product)
    knobs(approve_after_ms=2000)  # A reaches the gateway, which executes it only 2 s later
    key_a = "pk_a_" + uuid.uuid4().hex
    _, _, a = confirm(tok, order, key=key_a)
    wait_until(lambda: sandbox("GET", "/sandbox/stats")["in_flight"] >= 1, 10, "A to be at the gateway")
    knobs(approve_after_ms=0)
    # The reconciler looks A up now: the gateway has no record yet, so A is given up.
    scheduler_once(ORDER_EXPIRY_AFTER="60m", PAYMENT_RECONCILE_AFTER="1ms")
    assert payment_status(tok, a["payment_id"])["status"] == "failed"
    # The buyer pays again, with B.
    key_b = "pk_b_" + uuid.uuid4().hex
    status, _, b = confirm(tok, order, key=key_b)
    assert status == 202, b
    # A's approval lands: it must be cancelled at the gateway, B's kept.
    wait_until(lambda: approvals(key_a) == 1, 10, "A to be approved at the gateway")
    assert wait_payment(tok, b["payment_id"], {"done", "failed"})["status"] == "done"
    assert wait_payment(tok, a["payment_id"], {"canceled"}, timeout=30)["status"] == "canceled"
    assert cancels(key_a) == 1 and cancels(key_b) == 0
    assert sql(f"SELECT status FROM orders WHERE id = '{order['id']}'") == "paid"
    assert_one_charge_per_paid_order([order["id"]])


# --- item 6 ----------------------------------------------------------------------------------------

def test_a_cancel_at_the_gateway_between_approval_and_finalize_leaves_the_order_unpaid():
    tok = token("cancel-race-" + uuid.uuid4().hex)
    product = create_product(stock=2, price=7000)
    order = confirmed_order(tok, product)
    supervisor = int(open(os.path.join(RUN_DIR, "pids", "payment_confirm-1.pid")).read())
    worker = int(open(os.path.join(RUN_DIR, "pids", "payment_confirm-1.child")).read())
    key = "pk_" + uuid.uuid4().hex
    os.kill(supervisor, signal.SIGSTOP)
    os.kill(worker, signal.SIGSTOP)  # finalize waits
    try:
        _, _, body = confirm(tok, order, key=key)
        wait_until(lambda: sql(f"SELECT approved FROM payments WHERE id = '{body['payment_id']}'") == "t", 20,
                   "the approval to be recorded")
        canceled = sandbox("POST", f"/v1/payments/{key}/cancel", {"cancelReason": "canceled on the dashboard"})
        status, _, applied = webhook(canceled, "CANCELED", canceled["secret"])
        assert status == 200 and applied["result"] == "applied", applied
    finally:
        os.kill(worker, signal.SIGCONT)
        os.kill(supervisor, signal.SIGCONT)
    wait_until(lambda: sql(f"SELECT state FROM jobs WHERE type = 'payment.finalize' AND "
                           f"payload->>'payment_id' = '{body['payment_id']}'") == "succeeded", 30, "finalize to run")
    after = payment_status(tok, body["payment_id"])
    assert after["status"] == "canceled" and after["order_status"] == "confirmed", after
    assert stock(product) == 1  # still held by the (unpaid, confirmed) order
    assert sql(f"SELECT count(*) FROM jobs WHERE type = 'points.earn' AND payload->>'order_id' = '{order['id']}'") == "0"
    assert_one_charge_per_paid_order([order["id"]])


def test_webhook_cancel_and_finalize_race_100_times_and_always_agree_with_the_gateway():
    tok = token("race-" + uuid.uuid4().hex)
    product = create_product(stock=100, price=1000)
    orders = [request("POST", "/api/v1/orders", order_body(product), tok=tok)[2]["order_id"] for _ in range(100)]
    for o in orders:
        final_status(o, tok)
    numbers = {o: sql(f"SELECT order_number FROM orders WHERE id = '{o}'") for o in orders}

    def race(order_id):
        key = "pk_race_" + uuid.uuid4().hex
        status, _, body = confirm(tok, {"order_number": numbers[order_id], "final_amount": 1000}, key=key)
        assert status == 202, body
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the moment the gateway approves
            try:
                if sandbox("GET", f"/v1/payments/{key}")["status"] == "DONE":
                    break
            except urllib.error.HTTPError:
                pass
            time.sleep(0.01)

        def gateway_side():
            try:
                canceled = sandbox("POST", f"/v1/payments/{key}/cancel", {"cancelReason": "dashboard"})
            except urllib.error.HTTPError as e:  # the buyer's refund got there first
                assert json.loads(e.read().decode())["code"] == "ALREADY_CANCELED_PAYMENT"
                canceled = sandbox("GET", f"/v1/payments/{key}")
            for _ in range(200):  # like the gateway, send again while we answer 503 (approval not recorded yet)
                status = webhook(canceled, "CANCELED", canceled["secret"])[0]
                if status != 503:
                    return status
                time.sleep(0.02)
            return 503

        def buyer_side():
            for _ in range(200):  # 409 until finalize has run
                status, _, b = request("POST", f"/api/v1/payments/{body['payment_id']}/cancel", tok=tok)
                if status != 409:
                    return status
                time.sleep(0.02)
            return 409

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            g, b = pool.submit(gateway_side), pool.submit(buyer_side)
            assert g.result() == 200, "webhook"
            assert b.result() in (202, 409), "buyer cancel"
        return body["payment_id"], key

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(race, orders))
    for payment_id, key in results:
        wait_payment(tok, payment_id, {"canceled"}, timeout=60)
    # Every payment was canceled at the gateway: none of these orders may be paid, none charged.
    statuses = sql("SELECT status, count(*) FROM orders WHERE id IN ('" + "','".join(orders) + "') GROUP BY 1")
    assert "paid" not in statuses, statuses
    assert_one_charge_per_paid_order(orders)
    # Stock agrees: units are held only by orders still confirmed.
    confirmed = int(sql("SELECT count(*) FROM orders WHERE status = 'confirmed' AND id IN ('" + "','".join(orders) + "')"))
    assert stock(product) == 100 - confirmed
    assert sql(f"SELECT coalesce(sum(sold_count), 0) FROM products WHERE id = {product}") == "0"


# --- item 9 ----------------------------------------------------------------------------------------

def test_a_payment_approved_without_a_secret_accepts_no_webhook_with_an_empty_one():
    tok = token("nosecret-" + uuid.uuid4().hex)
    product = create_product(stock=2, price=4000)
    knobs(omit_secret=True)
    order, key, payment_id = paid_order(tok, product)
    knobs(omit_secret=False)
    at_gateway = sandbox("GET", f"/v1/payments/{key}")
    assert "secret" not in at_gateway
    status, _, body = webhook(at_gateway, "CANCELED", "")
    assert status == 401 and body["code"] == "WEBHOOK_REJECTED", body
    assert payment_status(tok, payment_id)["status"] == "done"
    assert sql(f"SELECT gateway_secret IS NULL FROM payments WHERE id = '{payment_id}'") == "t"


# --- item 10 ---------------------------------------------------------------------------------------

def test_the_lookup_after_a_timeout_is_matched_to_this_payments_key():
    tok = token("lookup-" + uuid.uuid4().hex)
    product = create_product(stock=2, price=6000)
    order = confirmed_order(tok, product)
    # Another attempt at this order, aborted, is the latest the gateway knows of it.
    other = "pk_other_" + uuid.uuid4().hex
    sandbox("POST", "/sandbox/payments", {"paymentKey": other, "orderId": order["order_number"], "amount": 6000,
                                          "status": "ABORTED"})
    # Well past the client's 3 s timeout: the confirm is in doubt, and the retry's lookup (after 1 s of
    # backoff) comes while the gateway still knows only the other attempt.
    knobs(approve_after_ms=7000)
    key = "pk_" + uuid.uuid4().hex
    _, _, body = confirm(tok, order, key=key)
    wait_until(lambda: sandbox("GET", "/sandbox/stats")["in_flight"] >= 1, 10, "the confirm to be at the gateway")
    knobs(approve_after_ms=0)
    done = wait_payment(tok, body["payment_id"], {"done", "failed", "canceled"}, timeout=60)
    # Before the fix the lookup by orderId found the aborted attempt and failed this payment, while
    # the gateway went on to approve it: charged, order unpaid.
    assert done["status"] == "done" and done["order_status"] == "paid", done
    assert approvals(key) == 1
    assert gateway_payments()[key][1] == "DONE"


# --- item 7 ----------------------------------------------------------------------------------------

def test_a_poison_message_among_50_innocent_jobs_is_the_only_dead_letter():
    # Innocent jobs that take a moment (300 ms): when the poison kills the worker, those it had taken
    # (running or waiting in its prefetch) go back to RabbitMQ with it, each time.
    key = uuid.uuid4().hex
    innocent = [enqueue("test.sleep", {"key": key, "ms": 300}) for _ in range(25)]
    poison = enqueue("test.crash", {})
    innocent += [enqueue("test.sleep", {"key": key, "ms": 300}) for _ in range(25)]
    assert wait_job(poison, {"dead"}, 90)[0] == "dead"
    for j in innocent:
        assert wait_job(j, {"succeeded", "dead"}, 90)[0] == "succeeded", (j, job_row(j))
    assert effects(key) == 50
    ids = "','".join(innocent + [poison])
    assert sql(f"SELECT count(*) FROM jobs WHERE id IN ('{ids}') AND state = 'dead'") == "1"
    status, _, dead = request("GET", "/ops/dead-letters?queue=test_hooks&limit=200", tok=token("ops-admin", "admin"))
    assert status == 200
    listed = [d["job"]["id"] for d in dead["items"]]
    assert poison in listed and not set(listed) & set(innocent)


# --- item 8 ----------------------------------------------------------------------------------------

def postgres(action):
    port = os.environ["TEST_PG_PORT"]
    cmd = f'source "{ROOT}/scripts/lib/services.sh" && pg_{action} "{STATE}" "{port}"'
    subprocess.run(["bash", "-c", cmd], check=True, capture_output=True, timeout=120)


def test_postgresql_down_15s_with_orders_and_payments_in_flight_kills_nothing():
    tok = token("pg-outage-" + uuid.uuid4().hex)
    product = create_product(stock=1000, price=1000)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        payable = list(pool.map(lambda _: confirmed_order(tok, product), range(200)))
    knobs(latency_ms=1500, jitter_ms=500)  # the confirms are at the gateway when the database goes
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        payments = list(pool.map(lambda o: confirm(tok, o)[2]["payment_id"], payable))
        placed = list(pool.map(lambda _: request("POST", "/api/v1/orders", order_body(product), tok=tok)[2]["order_id"],
                               range(500)))
    assert len(payments) == 200 and len(placed) == 500
    postgres("stop")
    try:
        started = time.monotonic()
        readiness = []
        while time.monotonic() - started < 15:
            readiness.append(request("GET", "/ready")[0])
            time.sleep(0.5)
        assert set(readiness) == {503}, readiness
    finally:
        postgres("start")
    knobs(latency_ms=0, jitter_ms=0)
    wait_until(lambda: request("GET", "/ready")[0] == 200, 60, "the API to be ready again")
    ids = "','".join(placed)
    wait_until(lambda: sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status = 'pending'") == "0", 120,
               "every order to settle")
    assert sql(f"SELECT count(*) FROM orders WHERE id IN ('{ids}') AND status <> 'confirmed'") == "0"
    pids = "','".join(payments)
    wait_until(lambda: sql(f"SELECT count(*) FROM payments WHERE id IN ('{pids}') AND status <> 'done'") == "0", 120,
               "every payment to be done")
    everything = ids + "','" + pids + "','" + "','".join(o["id"] for o in payable)
    assert sql(f"SELECT count(*) FROM jobs WHERE state = 'dead' AND (payload->>'order_id' IN ('{everything}') "
               f"OR payload->>'payment_id' IN ('{everything}'))") == "0"
    assert_one_charge_per_paid_order([o["id"] for o in payable])

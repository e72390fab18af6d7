"""The shop as a buyer and the gateway see it, for the system tests: orders, payments, webhooks, and the
Toss sandbox's knobs and read-outs (tests/sandbox/toss_sandbox.py)."""
import base64
import json
import os
import subprocess
import urllib.request
import uuid

from conftest import BIN, final_status, order_body, request, service_env, sql, wait_until

GATEWAY = os.environ["TOSS_API_BASE"]
SECRET_KEY = os.environ["TOSS_SECRET_KEY"]


def sandbox(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(GATEWAY + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Basic " + base64.b64encode((SECRET_KEY + ":").encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode())


def knobs(**config):
    return sandbox("POST", "/sandbox/config", config)


CALM = dict(latency_ms=0, jitter_ms=0, fail_rate=0.0, hang_ms=0, fail_next=0, reject_next=0, approve_after_ms=0,
            omit_secret=False)


def approvals(key):
    return sandbox("GET", "/sandbox/stats")["approvals"].get(key, 0)


def cancels(key):
    return sandbox("GET", "/sandbox/stats")["cancels"].get(key, 0)


def stock(product_id):
    return int(sql(f"SELECT stock FROM products WHERE id = {product_id}"))


def confirmed_order(tok, product_id, quantity=1):
    """Places an order and waits until the order-heavy worker confirmed it; returns the order."""
    status, _, body = request("POST", "/api/v1/orders", order_body(product_id, quantity), tok=tok)
    assert status == 202, body
    assert final_status(body["order_id"], tok)["status"] == "confirmed"
    status, _, order = request("GET", f"/api/v1/orders/{body['order_id']}", tok=tok)
    assert status == 200, order
    return order


def confirm(tok, order, key=None, amount=None, headers=None):
    body = {"paymentKey": key or "pk_" + uuid.uuid4().hex, "orderId": order["order_number"],
            "amount": order["final_amount"] if amount is None else amount}
    return request("POST", "/api/v1/payments/confirm", body, tok=tok, headers=headers)


def payment_status(tok, payment_id):
    status, _, body = request("GET", f"/api/v1/payments/{payment_id}/status", tok=tok)
    assert status == 200, body
    return body


def wait_payment(tok, payment_id, states, timeout=30):
    return wait_until(lambda: (lambda b: b if b["status"] in states else None)(payment_status(tok, payment_id)),
                      timeout, f"payment {payment_id} to reach {states}")


def scheduler_once(**env):
    out = subprocess.run([os.path.join(BIN, "checkout-scheduler"), "--once"], env=dict(service_env(), **env),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def webhook(payment, status, secret, transmission=None):
    data = dict(payment, status=status, secret=secret)
    return request("POST", "/webhooks/toss", {"eventType": "PAYMENT_STATUS_CHANGED",
                                              "createdAt": "2026-11-21T00:00:00.000000", "data": data},
                   headers={"tosspayments-webhook-transmission-id": transmission or "whtrans_" + uuid.uuid4().hex})


def paid_order(tok, product, quantity=1):
    order = confirmed_order(tok, product, quantity)
    key = "pk_" + uuid.uuid4().hex
    _, _, body = confirm(tok, order, key=key)
    assert wait_payment(tok, body["payment_id"], {"done", "failed"})["status"] == "done"
    return order, key, body["payment_id"]



def gateway_payments():
    """paymentKey -> (orderId, status) of every payment the gateway holds."""
    return {p["paymentKey"]: (p["orderId"], p["status"]) for p in sandbox("GET", "/sandbox/payments")["payments"]}


def assert_one_charge_per_paid_order(order_ids):
    """The invariant, by orderId: for each order, the payments the gateway approved and did not refund
    number 0 or 1, and 1 exactly when the order ended `paid` (a double charge is two approved keys)."""
    held = {}
    for key, (order_number, status) in gateway_payments().items():
        if status == "DONE":
            held.setdefault(order_number, []).append(key)
    for order_id in order_ids:
        number, status = sql(f"SELECT order_number, status FROM orders WHERE id = '{order_id}'").split("|")
        keys = held.get(number, [])
        assert len(keys) <= 1, f"order {number} ({status}) is charged {len(keys)} times: {keys}"
        assert (len(keys) == 1) == (status == "paid"), f"order {number} is {status} while the gateway holds {keys}"

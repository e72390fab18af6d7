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
    order_ids = list(order_ids)
    if not order_ids:
        return
    # One query for all of them (a psql per order made this check most of a 1,000-order test's time).
    # An order paid from the stored balance holds no charge at the gateway.
    rows = sql("SELECT o.id, order_number, status, EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id "
               "AND p.method = 'balance' AND p.status = 'done') FROM orders o "
               f"WHERE id = ANY('{{{','.join(order_ids)}}}'::uuid[])").splitlines()
    found = {r.split("|")[0]: r.split("|")[1:] for r in rows if r}
    assert len(found) == len(set(order_ids)), f"orders not found: {set(order_ids) - set(found)}"
    for order_id in order_ids:
        number, status, by_balance = found[order_id]
        keys = held.get(number, [])
        assert len(keys) <= 1, f"order {number} ({status}) is charged {len(keys)} times: {keys}"
        charged = status == "paid" and by_balance != "t"
        assert (len(keys) == 1) == charged, f"order {number} is {status} while the gateway holds {keys}"


def top_up(tok, amount, key=None):
    """Starts a top-up (nothing credited) and pays it through the gateway as the Toss widget would;
    returns (top-up answer, payment id) once the payment is done."""
    status, _, topup = request("POST", "/api/v1/balance/charge", {"amount": amount}, tok=tok,
                               headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201 and topup["status"] == "awaiting_payment", topup
    _, _, paying = confirm(tok, {"order_number": topup["orderId"], "final_amount": amount}, key=key)
    assert wait_payment(tok, paying["payment_id"], {"done", "failed"})["status"] == "done", paying
    return topup, paying["payment_id"]


def assert_balance_invariant(user):
    """The balance ledger sums to the balance; every paid top-up is credited exactly once, and only while
    its payment is done (or was, before a refund that took it back); every balance payment is debited once."""
    balance = int(sql(f"SELECT coalesce((SELECT balance FROM balances WHERE user_id = {user}), 0)"))
    ledger = int(sql(f"SELECT coalesce(sum(amount), 0) FROM balance_ledger WHERE user_id = {user}"))
    assert ledger == balance, f"user {user}: ledger sums to {ledger}, balance is {balance}"
    assert balance >= 0
    # A credit only for a payment the gateway approved and that became done; one per payment.
    bad = sql(f"SELECT string_agg(l.payment_id::text || ':' || p.status, ',') FROM balance_ledger l "
              f"JOIN payments p ON p.id = l.payment_id WHERE l.user_id = {user} AND l.kind = 'topup' "
              f"AND (NOT p.approved OR p.status NOT IN ('done', 'refunding', 'canceled'))")
    assert bad == "", f"credits for payments never done: {bad}"
    assert sql(f"SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.kind = 'topup' "
               f"AND p.user_id = {user} AND p.status = 'done' AND NOT EXISTS (SELECT 1 FROM balance_ledger l "
               f"WHERE l.payment_id = p.id AND l.kind = 'topup')") == "0", "a done top-up was not credited"
    # Refunded top-ups: credit taken back; every balance payment done is debited exactly once.
    assert sql(f"SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.kind = 'topup' "
               f"AND p.user_id = {user} AND p.status = 'canceled' AND EXISTS (SELECT 1 FROM balance_ledger l "
               f"WHERE l.payment_id = p.id AND l.kind = 'topup') AND NOT EXISTS (SELECT 1 FROM balance_ledger "
               f"l WHERE l.payment_id = p.id AND l.kind = 'topup_refund')") == "0", "a refunded top-up kept its credit"
    assert sql(f"SELECT count(*) FROM payments p WHERE p.user_id = {user} AND p.method = 'balance' "
               f"AND p.status IN ('done', 'refunding', 'canceled') AND (SELECT count(*) FROM balance_ledger l "
               f"WHERE l.payment_id = p.id AND l.kind = 'pay') <> 1") == "0", "a balance payment debited != once"

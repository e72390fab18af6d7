"""Subscriptions (issue 20): plans, cards for billing and the first charge, against the running fleet."""
import base64
import calendar
import concurrent.futures
import datetime
import json
import re
import urllib.request
import uuid
import zoneinfo

from conftest import DIRECT, request, sql, wait_until
from shop import GATEWAY, SECRET_KEY, sandbox, scheduler_once
from test_shop import admin, hs256


def plan_body(**over):
    body = {"name": "plan-" + uuid.uuid4().hex[:8], "price": 9900, "cycle": "monthly",
            "features": {"seats": 3, "support": "email"}}
    body.update(over)
    return body


def test_admins_create_change_and_deactivate_plans_and_buyers_see_the_active_ones():
    admin_tok, key = admin(), uuid.uuid4().hex
    body = plan_body()
    first = request("POST", "/api/v1/admin/plans", body, tok=admin_tok, headers={"Idempotency-Key": key})
    again = request("POST", "/api/v1/admin/plans", body, tok=admin_tok, headers={"Idempotency-Key": key})
    assert first[0] == again[0] == 201, first
    assert again[1].get("Idempotent-Replayed") == "true"
    plan = first[2]
    assert plan == again[2]
    assert (plan["name"], plan["price"], plan["cycle"], plan["features"], plan["active"]) == \
        (body["name"], 9900, "monthly", {"seats": 3, "support": "email"}, True)
    assert sql(f"SELECT count(*) FROM plans WHERE name = '{body['name']}'") == "1"
    yearly = request("POST", "/api/v1/admin/plans", plan_body(price=99000, cycle="yearly"), tok=admin_tok)[2]
    assert yearly["features"] == {"seats": 3, "support": "email"} and yearly["cycle"] == "yearly"
    bare = request("POST", "/api/v1/admin/plans", {"name": "bare-" + uuid.uuid4().hex[:6], "price": 1,
                                                   "cycle": "monthly"}, tok=admin_tok)[2]
    assert bare["features"] == {}

    # Anyone may list the active plans, cheapest first.
    status, _, listed = request("GET", "/api/v1/plans")
    assert status == 200
    ids = [p["id"] for p in listed["items"]]
    assert {plan["id"], yearly["id"], bare["id"]} <= set(ids)
    prices = [p["price"] for p in listed["items"]]
    assert prices == sorted(prices)

    # A new price (from each subscriber's next period), new features; the cycle stays.
    status, _, changed = request("PATCH", f"/api/v1/admin/plans/{plan['id']}",
                                 {"price": 12900, "features": {"seats": 5}}, tok=admin_tok)
    assert status == 200 and (changed["price"], changed["features"], changed["cycle"]) == (12900, {"seats": 5}, "monthly")
    status, _, problem = request("PATCH", f"/api/v1/admin/plans/{plan['id']}", {"cycle": "yearly"}, tok=admin_tok)
    assert status == 422 and problem["code"] == "VALIDATION_FAILED"
    assert problem["errors"][0]["field"] == "cycle"
    assert request("PATCH", "/api/v1/admin/plans/999999999", {"price": 1}, tok=admin_tok)[0] == 404

    # Deactivated: gone from the buyers' list, still in the admins'.
    status, _, off = request("PATCH", f"/api/v1/admin/plans/{plan['id']}", {"active": False}, tok=admin_tok)
    assert status == 200 and off["active"] is False
    assert plan["id"] not in [p["id"] for p in request("GET", "/api/v1/plans")[2]["items"]]
    everything = request("GET", "/api/v1/admin/plans", tok=admin_tok)[2]["items"]
    assert [p for p in everything if p["id"] == plan["id"]][0]["active"] is False
    assert sql(f"SELECT price, cycle, active FROM plans WHERE id = {plan['id']}") == "12900|monthly|f"


def test_bad_plans_get_clear_errors_and_change_nothing():
    admin_tok = admin()
    before = sql("SELECT count(*) FROM plans")
    bad = [
        ({"price": 9900, "cycle": "monthly"}, "name"),
        (plan_body(name=""), "name"),
        (plan_body(name="x" * 201), "name"),
        (plan_body(price=0), "price"),
        (plan_body(price=-5), "price"),
        (plan_body(price=100000001), "price"),
        (plan_body(price="9900"), "price"),
        (plan_body(price=99.5), "price"),
        (plan_body(cycle="weekly"), "cycle"),
        (plan_body(cycle="Monthly"), "cycle"),
        (plan_body(cycle=None), "cycle"),
        (plan_body(features=[1, 2]), "features"),
        (plan_body(features="all"), "features"),
        (plan_body(features={"blob": "x" * 5000}), "features"),
        (plan_body(trial_days=7), "trial_days"),
    ]
    for body, field in bad:
        status, headers, problem = request("POST", "/api/v1/admin/plans", body, tok=admin_tok)
        assert status == 422, (body, status, problem)
        assert headers["Content-Type"].startswith("application/problem+json")
        assert problem["code"] == "VALIDATION_FAILED" and field in [e["field"] for e in problem["errors"]], problem
    for raw in [b"", b"[]", b"{", b'{"name": "a", "price": 1, "cycle": "monthly", "features": ' + b"[" * 40 + b"]" * 40 + b"}"]:
        status, _, problem = request("POST", "/api/v1/admin/plans", tok=admin_tok, raw=raw)
        assert status in (400, 422) and problem["code"] in ("INVALID_JSON", "VALIDATION_FAILED"), (raw[:20], problem)
    for patch in [{}, {"price": 0}, {"active": "no"}, {"name": ""}, {"stock": 1}]:
        assert request("PATCH", "/api/v1/admin/plans/1", patch, tok=admin_tok)[0] == 422, patch
    # Only admins create or change plans.
    assert request("POST", "/api/v1/admin/plans", plan_body(), tok=hs256("buyer-" + uuid.uuid4().hex))[0] == 403
    assert request("PATCH", "/api/v1/admin/plans/1", {"price": 1}, tok=hs256("buyer-" + uuid.uuid4().hex))[0] == 403
    assert request("GET", "/api/v1/admin/plans", tok=hs256("buyer-" + uuid.uuid4().hex))[0] == 403
    assert sql("SELECT count(*) FROM plans") == before


def customer_key(tok):
    status, _, body = request("POST", "/api/v1/billing/customer-key", tok=tok)
    assert status == 200, body
    return body["customerKey"]


def register_card(tok, key, auth_key=None):
    auth_key = auth_key or "auth_" + uuid.uuid4().hex
    status, headers, body = request("POST", "/api/v1/billing/keys", {"authKey": auth_key, "customerKey": key}, tok=tok)
    assert status == 202, body
    assert headers["Location"] == body["status_url"] == f"/api/v1/billing/keys/{body['card_id']}"
    return auth_key, body, headers


def settled_card(tok, card_id):
    return wait_until(lambda: (lambda c: c if c["status"] != "issuing" else None)(
        request("GET", f"/api/v1/billing/keys/{card_id}", tok=tok)[2]), 30, "the billing key job to finish")


def issued_for(auth_key):
    return [k for k in sandbox("GET", "/sandbox/billing")["billing_keys"] if k["authKey"] == auth_key]


def test_a_card_is_registered_through_a_job_and_its_billing_key_is_never_shown_or_stored_in_clear():
    buyer, other = "bill-" + uuid.uuid4().hex, "bill-" + uuid.uuid4().hex
    tok, other_tok = hs256(buyer), hs256(other)
    key = customer_key(tok)
    assert re.fullmatch(r"ck_[0-9a-f]{32}", key)
    assert customer_key(tok) == key  # the same on every call
    other_key = customer_key(other_tok)
    assert other_key != key
    user_id = sql(f"SELECT id FROM users WHERE sub = '{buyer}'")

    auth_key, accepted, _ = register_card(tok, key)
    assert accepted["status"] == "issuing"
    card = settled_card(tok, accepted["card_id"])
    assert card["status"] == "active" and card["failure"] is None, card
    assert card["card_company"] == "현대" and re.fullmatch(r"\d{3}\*", card["card_last4"]), card
    assert request("GET", "/api/v1/billing/card", tok=tok)[2]["card_id"] == accepted["card_id"]
    issued = issued_for(auth_key)
    assert len(issued) == 1 and issued[0]["customerKey"] == key
    billing_key = issued[0]["billingKey"]
    # Neither key in any column of the card's row, nor in any answer.
    row = sql(f"SELECT row_to_json(c)::text FROM billing_cards c WHERE id = '{accepted['card_id']}'")
    assert billing_key not in row and auth_key not in row
    assert json.loads(row)["sealed_billing_key"].startswith("v1.") and json.loads(row)["sealed_auth_key"] is None
    for answer in (card, request("GET", "/api/v1/billing/card", tok=tok)[2], accepted):
        assert billing_key not in json.dumps(answer) and auth_key not in json.dumps(answer)

    # The same authKey posted again (a reload): the same registration, no second exchange.
    status, headers, again = request("POST", "/api/v1/billing/keys", {"authKey": auth_key, "customerKey": key}, tok=tok)
    assert status == 202 and again["card_id"] == accepted["card_id"] and headers["Idempotent-Replayed"] == "true"
    assert len(issued_for(auth_key)) == 1

    # A new card replaces the old one.
    second_auth, second, _ = register_card(tok, key)
    assert settled_card(tok, second["card_id"])["status"] == "active"
    assert request("GET", f"/api/v1/billing/keys/{accepted['card_id']}", tok=tok)[2]["status"] == "replaced"
    assert request("GET", "/api/v1/billing/card", tok=tok)[2]["card_id"] == second["card_id"]
    assert sql(f"SELECT count(*) FROM billing_cards WHERE user_id = {user_id} AND status = 'active'") == "1"

    # An authKey the gateway refuses: that registration fails, the active card stays.
    _, refused, _ = register_card(tok, key, auth_key="bad_" + uuid.uuid4().hex)
    failed = settled_card(tok, refused["card_id"])
    assert failed["status"] == "failed" and failed["failure"]["code"] == "INVALID_BILLING_AUTH", failed
    assert request("GET", "/api/v1/billing/card", tok=tok)[2]["card_id"] == second["card_id"]

    # Someone else's registration is a 404 to me; my customerKey is refused to them.
    assert request("GET", f"/api/v1/billing/keys/{second['card_id']}", tok=other_tok)[0] == 404
    assert request("GET", "/api/v1/billing/card", tok=other_tok)[0] == 404
    status, _, problem = request("POST", "/api/v1/billing/keys", {"authKey": "auth_x", "customerKey": key}, tok=other_tok)
    assert status == 422 and problem["errors"][0]["field"] == "customerKey"


def test_bad_card_registrations_get_clear_errors_and_change_nothing():
    tok = hs256("bill-" + uuid.uuid4().hex)
    key = customer_key(tok)
    before = sql("SELECT count(*) FROM billing_cards")
    for body, field in [({"customerKey": key}, "authKey"), ({"authKey": "a"}, "customerKey"),
                        ({"authKey": "", "customerKey": key}, "authKey"), ({"authKey": "a" * 301, "customerKey": key}, "authKey"),
                        ({"authKey": "a b", "customerKey": key}, "authKey"), ({"authKey": 5, "customerKey": key}, "authKey"),
                        ({"authKey": "a", "customerKey": "ck_" + "0" * 32}, "customerKey")]:
        status, headers, problem = request("POST", "/api/v1/billing/keys", body, tok=tok)
        assert status == 422 and headers["Content-Type"].startswith("application/problem+json"), (body, problem)
        assert field in [e["field"] for e in problem["errors"]], (body, problem)
    assert request("GET", "/api/v1/billing/keys/not-a-uuid", tok=tok)[0] == 404
    assert request("GET", f"/api/v1/billing/keys/{uuid.uuid4()}", tok=tok)[0] == 404
    assert sql("SELECT count(*) FROM billing_cards") == before


def active_card(tok):
    """A buyer's customerKey, with a card registered and active."""
    key = customer_key(tok)
    _, accepted, _ = register_card(tok, key)
    assert settled_card(tok, accepted["card_id"])["status"] == "active"
    return key


def new_plan(price=9900, cycle="monthly"):
    return request("POST", "/api/v1/admin/plans", plan_body(price=price, cycle=cycle), tok=admin())[2]


def subscribe(tok, plan_id, key=None):
    return request("POST", "/api/v1/subscriptions", {"plan_id": plan_id}, tok=tok,
                   headers={"Idempotency-Key": key or uuid.uuid4().hex})


def settled_subscription(tok, subscription_id, timeout=30):
    return wait_until(lambda: (lambda s: s if s["status"] != "incomplete" else None)(
        request("GET", f"/api/v1/subscriptions/{subscription_id}", tok=tok)[2]), timeout, "the first charge")


def billing_stats():
    return sandbox("GET", "/sandbox/stats")


def assert_one_approval_per_done_charge():
    """The money invariant for subscriptions: per charge (its orderId), approvals at the gateway are 0 or
    1, and 1 exactly when the charge is done."""
    by_order = billing_stats()["billing_by_order"]
    for row in sql("SELECT order_id, status FROM subscription_charges").splitlines():
        order_id, status = row.split("|")
        assert by_order.get(order_id, 0) == (1 if status == "done" else 0), (order_id, status, by_order.get(order_id))


def next_month(day):
    """The anchor rule written out independently: the same day next month, or that month's last day."""
    y, m = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return datetime.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def test_subscribing_charges_the_first_period_once_and_the_subscription_is_active():
    tok = hs256("sub-" + uuid.uuid4().hex)
    plan = new_plan(9900)
    status, _, problem = subscribe(tok, plan["id"])
    assert status == 409 and problem["code"] == "BILLING_CARD_REQUIRED", problem
    key = active_card(tok)
    status, _, problem = request("POST", "/api/v1/subscriptions", {"plan_id": plan["id"]}, tok=tok)
    assert status == 422 and problem["code"] == "IDEMPOTENCY_KEY_REQUIRED"

    idem = uuid.uuid4().hex
    status, headers, accepted = subscribe(tok, plan["id"], idem)
    assert status == 202, accepted
    assert accepted["status"] == "incomplete" and headers["Location"] == accepted["status_url"]
    sub = settled_subscription(tok, accepted["subscription_id"])
    assert sub["status"] == "active", sub
    today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Seoul")).date()
    assert sub["anchor_date"] == sub["current_period"]["start"] == today.isoformat()
    assert sub["current_period"] == {"number": 0, "start": today.isoformat(), "end": next_month(today).isoformat()}
    assert (sub["price"], sub["cycle"], sub["plan"]["id"]) == (9900, "monthly", plan["id"])
    [charge] = sub["charges"]
    assert (charge["status"], charge["amount"], charge["period"], charge["failure"]) == ("done", 9900, 0, None)
    assert charge["order_id"] == "SUB-" + accepted["subscription_id"].replace("-", "") + "-0-P"
    assert billing_stats()["billing_by_order"][charge["order_id"]] == 1
    assert billing_stats()["billing_by_customer"][key] == 1
    assert request("GET", "/api/v1/subscriptions/current", tok=tok)[2]["subscription_id"] == accepted["subscription_id"]

    # The same request again is the same subscription; another one is refused: one live subscription.
    status, headers, again = subscribe(tok, plan["id"], idem)
    assert status == 202 and again["subscription_id"] == accepted["subscription_id"]
    assert headers["Idempotent-Replayed"] == "true"
    status, _, problem = subscribe(tok, plan["id"])
    assert status == 409 and problem["code"] == "SUBSCRIPTION_EXISTS"
    assert billing_stats()["billing_by_customer"][key] == 1
    # Someone else's subscription is a 404 to me.
    assert request("GET", f"/api/v1/subscriptions/{accepted['subscription_id']}", tok=hs256("x-" + uuid.uuid4().hex))[0] == 404
    assert_one_approval_per_done_charge()


def test_fifty_simultaneous_subscribes_of_one_buyer_make_one_subscription_and_one_charge():
    tok = hs256("sub-" + uuid.uuid4().hex)
    plan, key = new_plan(4900), active_card(tok)
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: subscribe(tok, plan["id"]), range(50)))
    accepted = [a for s, _, a in answers if s == 202]
    assert len(accepted) == 1, [s for s, _, _ in answers]
    assert all(s == 409 and a["code"] == "SUBSCRIPTION_EXISTS" for s, _, a in answers if s != 202)
    assert settled_subscription(tok, accepted[0]["subscription_id"])["status"] == "active"
    user = sql(f"SELECT user_id FROM subscriptions WHERE id = '{accepted[0]['subscription_id']}'")
    assert sql(f"SELECT count(*) FROM subscriptions WHERE user_id = {user}") == "1"
    assert billing_stats()["billing_by_customer"][key] == 1
    assert_one_approval_per_done_charge()


def test_a_declined_first_charge_starts_nothing_and_a_timed_out_one_is_found_not_charged_twice():
    tok = hs256("sub-" + uuid.uuid4().hex)
    plan, key = new_plan(12000), active_card(tok)
    sandbox("POST", "/sandbox/config", {"billing_declines": {key: "REJECT_CARD_PAYMENT"}})
    try:
        _, _, accepted = subscribe(tok, plan["id"])
        sub = settled_subscription(tok, accepted["subscription_id"])
    finally:
        sandbox("POST", "/sandbox/config", {"billing_declines": {}})
    assert sub["status"] == "incomplete_expired", sub
    assert sub["charges"][0]["status"] == "failed" and sub["charges"][0]["failure"]["code"] == "REJECT_CARD_PAYMENT"
    charge_id = sub["charges"][0]["charge_id"]
    assert sql(f"SELECT outcome || ':' || code FROM subscription_charge_attempts WHERE charge_id = '{charge_id}'") == \
        "declined:REJECT_CARD_PAYMENT"
    assert billing_stats()["billing_by_customer"].get(key, 0) == 0

    # Subscribing again works. This charge is approved, but its answer comes after the client's
    # timeout (BILLING_CHARGE_TIMEOUT_MS=3000 in the tests): the attempt is unknown, the next one looks
    # the orderId up and finds the approval; nothing is charged again.
    sandbox("POST", "/sandbox/config", {"billing_hang_ms": 4500})
    try:
        _, _, accepted = subscribe(tok, plan["id"])
        sub = settled_subscription(tok, accepted["subscription_id"], timeout=45)
    finally:
        sandbox("POST", "/sandbox/config", {"billing_hang_ms": 0})
    assert sub["status"] == "active", sub
    charge = sub["charges"][0]
    assert charge["status"] == "done"
    outcomes = sql(f"SELECT string_agg(outcome, ',' ORDER BY id) FROM subscription_charge_attempts "
                   f"WHERE charge_id = '{charge['charge_id']}'")
    assert outcomes == "unknown,found", outcomes
    assert billing_stats()["billing_by_order"][charge["order_id"]] == 1
    assert billing_stats()["billing_by_customer"][key] == 1
    assert_one_approval_per_done_charge()


def test_subscribing_to_a_plan_that_is_gone_or_not_offered_is_refused():
    tok = hs256("sub-" + uuid.uuid4().hex)
    active_card(tok)
    assert subscribe(tok, 999999999)[0] == 404
    plan = new_plan(3000)
    request("PATCH", f"/api/v1/admin/plans/{plan['id']}", {"active": False}, tok=admin())
    status, _, problem = subscribe(tok, plan["id"])
    assert status == 422 and problem["errors"][0]["field"] == "plan_id"
    for body in [{}, {"plan_id": "1"}, {"plan_id": 0}, {"plan_id": -3}]:
        assert request("POST", "/api/v1/subscriptions", body, tok=tok, headers={"Idempotency-Key": uuid.uuid4().hex})[0] == 422
    assert request("GET", "/api/v1/subscriptions/current", tok=tok)[0] == 404


def add_months(anchor, n):
    """Period n's start by the anchor rule, written out independently of the product's code."""
    months = anchor.month - 1 + n
    y, m = anchor.year + months // 12, months % 12 + 1
    return datetime.date(y, m, min(anchor.day, calendar.monthrange(y, m)[1]))


def renew_on(day, copies=1):
    """Runs `copies` scheduler copies at once, each counting `day` as today (BILLING_TODAY)."""
    env = {"BILLING_TODAY": day.isoformat(), "ORDER_EXPIRY_AFTER": "600m", "PAYMENT_RECONCILE_AFTER": "600m"}
    with concurrent.futures.ThreadPoolExecutor(copies) as pool:
        return list(pool.map(lambda _: scheduler_once(**env), range(copies)))


def test_the_next_period_is_charged_once_when_the_clock_passes_it_at_the_new_price():
    tok = hs256("sub-" + uuid.uuid4().hex)
    plan, key = new_plan(7700), active_card(tok)
    _, _, accepted = subscribe(tok, plan["id"])
    sub = settled_subscription(tok, accepted["subscription_id"])
    assert sub["status"] == "active"
    anchor = datetime.date.fromisoformat(sub["anchor_date"])
    end = datetime.date.fromisoformat(sub["current_period"]["end"])
    assert end == add_months(anchor, 1)

    renew_on(end - datetime.timedelta(days=1))  # not due yet
    assert len(request("GET", f"/api/v1/subscriptions/{sub['subscription_id']}", tok=tok)[2]["charges"]) == 1
    # A new price applies from the next period.
    assert request("PATCH", f"/api/v1/admin/plans/{plan['id']}", {"price": 8800}, tok=admin())[0] == 200

    # Three scheduler copies at once on the day the period ends: one charge for period 1.
    renew_on(end, copies=3)
    renewed = wait_until(lambda: (lambda s: s if len(s["charges"]) == 2 and s["charges"][0]["status"] != "pending"
                                  else None)(request("GET", f"/api/v1/subscriptions/{sub['subscription_id']}", tok=tok)[2]),
                         30, "the renewal charge")
    assert renewed["status"] == "active"
    assert renewed["current_period"] == {"number": 1, "start": end.isoformat(), "end": add_months(anchor, 2).isoformat()}
    newest = renewed["charges"][0]
    assert (newest["period"], newest["amount"], newest["status"]) == (1, 8800, "done")
    assert newest["order_id"] == "SUB-" + sub["subscription_id"].replace("-", "") + "-1-P"
    assert billing_stats()["billing_by_order"][newest["order_id"]] == 1
    assert billing_stats()["billing_by_customer"][key] == 2
    # Again on the same day, and again: nothing more.
    renew_on(end, copies=2)
    assert sql(f"SELECT count(*) FROM subscription_charges WHERE subscription_id = '{sub['subscription_id']}'") == "2"
    assert billing_stats()["billing_by_customer"][key] == 2
    assert_one_approval_per_done_charge()


def test_a_declined_renewal_makes_the_subscription_past_due_and_charges_nothing():
    tok = hs256("sub-" + uuid.uuid4().hex)
    plan, key = new_plan(6600), active_card(tok)
    _, _, accepted = subscribe(tok, plan["id"])
    sub = settled_subscription(tok, accepted["subscription_id"])
    end = datetime.date.fromisoformat(sub["current_period"]["end"])
    sandbox("POST", "/sandbox/config", {"billing_declines": {key: "REJECT_CARD_PAYMENT"}})
    try:
        renew_on(end)
        declined = wait_until(lambda: (lambda s: s if s["status"] == "past_due" else None)(
            request("GET", f"/api/v1/subscriptions/{sub['subscription_id']}", tok=tok)[2]), 30, "the declined renewal")
    finally:
        sandbox("POST", "/sandbox/config", {"billing_declines": {}})
    assert declined["charges"][0]["status"] == "failed"
    assert declined["charges"][0]["failure"]["code"] == "REJECT_CARD_PAYMENT"
    assert billing_stats()["billing_by_customer"][key] == 1
    assert_one_approval_per_done_charge()


def seoul_today():
    return datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Seoul")).date()


def subscription(tok, sub_id):
    return request("GET", f"/api/v1/subscriptions/{sub_id}", tok=tok)[2]


def settled_try(tok, sub_id, period, retries):
    """The subscription once try `retries` of `period`'s charge has its answer."""
    def done():
        s = subscription(tok, sub_id)
        c = [c for c in s["charges"] if c["period"] == period][0]
        return s if c["retries"] == retries and c["status"] != "pending" else None
    return wait_until(done, 30, f"try {retries} of period {period}")


def attempts(sub_id, period):
    return sql("SELECT string_agg(a.outcome || ':' || coalesce(a.code, ''), ',' ORDER BY a.id) "
               "FROM subscription_charge_attempts a JOIN subscription_charges c ON c.id = a.charge_id "
               f"WHERE c.subscription_id = '{sub_id}' AND c.period = {period}")


def failed_charges_listing(charge_id):
    """The charge as the admin's list of failed charges shows it (walking every page), or None."""
    page = 1
    while True:
        status, _, body = request("GET", f"/api/v1/admin/subscriptions/failed-charges?page={page}&size=100",
                                  tok=admin())
        assert status == 200, body
        found = [c for c in body["items"] if c["charge_id"] == charge_id]
        if found or page * body["size"] >= body["total"]:
            return found[0] if found else None
        page += 1


def renewed_into_decline(code, price=5500):
    """An active subscription whose first renewal the gateway declines with `code`: (tok, key, sub)."""
    tok = hs256("dun-" + uuid.uuid4().hex)
    plan, key = new_plan(price), active_card(tok)
    _, _, accepted = subscribe(tok, plan["id"])
    sub = settled_subscription(tok, accepted["subscription_id"])
    assert sub["status"] == "active"
    sandbox("POST", "/sandbox/config", {"billing_declines": {key: code}})
    renew_on(datetime.date.fromisoformat(sub["current_period"]["end"]))
    return tok, key, settled_try(tok, sub["subscription_id"], 1, 0)


def test_a_soft_decline_is_retried_on_the_schedule_and_the_subscription_is_active_again():
    try:
        tok, key, sub = renewed_into_decline("REJECT_CARD_PAYMENT")
        sub_id = sub["subscription_id"]
        charge = sub["charges"][0]
        # Past due, the plan kept; the first retry planned one day after the decline (DUNNING_SCHEDULE 1d,...).
        assert (sub["status"], sub["needs_card"], charge["status"], charge["retries"]) == ("past_due", False, "failed", 0)
        assert charge["failure"]["code"] == "REJECT_CARD_PAYMENT"
        retry_at = datetime.datetime.fromisoformat(charge["retry_at"].replace("Z", "+00:00"))
        declined = datetime.datetime.now(datetime.timezone.utc)
        assert datetime.timedelta(hours=23, minutes=58) < retry_at - declined <= datetime.timedelta(days=1)
        assert sub["dunning_ends_at"] is not None

        # The admin's list of failed charges has it, with its subscription and buyer.
        listed = failed_charges_listing(charge["charge_id"])
        assert listed is not None and (listed["subscription_id"], listed["status"]) == (sub_id, "failed")
        assert listed["user_id"] == int(sql(f"SELECT user_id FROM subscriptions WHERE id = '{sub_id}'"))
        assert listed["failure"]["code"] == "REJECT_CARD_PAYMENT" and listed["declined_at"] is not None

        renew_on(seoul_today())  # the same day: no retry yet
        assert subscription(tok, sub_id)["charges"][0]["retries"] == 0
        renew_on(seoul_today() + datetime.timedelta(days=1), copies=2)  # day 1: retried once, declined again
        sub = settled_try(tok, sub_id, 1, 1)
        assert sub["status"] == "past_due" and sub["charges"][0]["status"] == "failed"
        renew_on(seoul_today() + datetime.timedelta(days=2))  # day 2: nothing (the next is day 3)
        assert subscription(tok, sub_id)["charges"][0]["retries"] == 1
        sandbox("POST", "/sandbox/config", {"billing_declines": {}})  # the card works again
        renew_on(seoul_today() + datetime.timedelta(days=3), copies=2)
        sub = settled_try(tok, sub_id, 1, 2)
    finally:
        sandbox("POST", "/sandbox/config", {"billing_declines": {}})
    charge = sub["charges"][0]
    assert (sub["status"], sub["dunning_ends_at"], charge["status"], charge["retry_at"]) == ("active", None, "done", None)
    assert attempts(sub_id, 1) == "declined:REJECT_CARD_PAYMENT,declined:REJECT_CARD_PAYMENT,approved:"
    assert failed_charges_listing(charge["charge_id"]) is None  # approved: no longer failed
    assert billing_stats()["billing_by_order"][charge["order_id"]] == 1
    assert billing_stats()["billing_by_customer"][key] == 2  # the first period and this one
    renew_on(seoul_today() + datetime.timedelta(days=5))  # a later date of the schedule: nothing more
    assert subscription(tok, sub_id)["charges"][0]["retries"] == 2
    assert_one_approval_per_done_charge()


def test_a_hard_decline_waits_for_a_new_card_and_is_charged_once_it_comes():
    try:
        tok, key, sub = renewed_into_decline("INVALID_CARD_EXPIRATION")
        sub_id = sub["subscription_id"]
        assert (sub["status"], sub["needs_card"], sub["charges"][0]["retry_at"]) == ("past_due", True, None)
        # No retry on the schedule: the same card cannot be charged again.
        for days in (1, 3, 5):
            renew_on(seoul_today() + datetime.timedelta(days=days))
        assert subscription(tok, sub_id)["charges"][0]["retries"] == 0
        sandbox("POST", "/sandbox/config", {"billing_declines": {}})
        _, accepted, _ = register_card(tok, customer_key(tok))  # the new card: the period is charged at once
        assert settled_card(tok, accepted["card_id"])["status"] == "active"
        sub = settled_try(tok, sub_id, 1, 1)
    finally:
        sandbox("POST", "/sandbox/config", {"billing_declines": {}})
    assert (sub["status"], sub["needs_card"], sub["charges"][0]["status"]) == ("active", False, "done")
    assert attempts(sub_id, 1) == "declined:INVALID_CARD_EXPIRATION,approved:"
    assert billing_stats()["billing_by_order"][sub["charges"][0]["order_id"]] == 1
    assert_one_approval_per_done_charge()


def test_after_the_last_retry_is_declined_the_subscription_ends_and_the_buyer_may_subscribe_again():
    try:
        # The first decline is the gateway's "try again" given up on after the job's quick tries; the
        # retries are refused at once (each PROVIDER_ERROR round would wait out the job's backoff).
        tok, key, sub = renewed_into_decline("PROVIDER_ERROR")
        sub_id = sub["subscription_id"]
        sandbox("POST", "/sandbox/config", {"billing_declines": {key: "REJECT_CARD_PAYMENT"}})
        for n, days in enumerate((1, 3, 5, 7), start=1):
            renew_on(seoul_today() + datetime.timedelta(days=days))
            sub = settled_try(tok, sub_id, 1, n)
            assert sub["status"] == ("past_due" if n < 4 else "canceled"), (n, sub["status"])
    finally:
        sandbox("POST", "/sandbox/config", {"billing_declines": {}})
    assert sub["dunning_ends_at"] is None and sub["charges"][0]["retry_at"] is None
    assert attempts(sub_id, 1) == ",".join(["declined:PROVIDER_ERROR"] + ["declined:REJECT_CARD_PAYMENT"] * 4)
    assert billing_stats()["billing_by_customer"][key] == 1  # the first period only
    renew_on(seoul_today() + datetime.timedelta(days=30))  # nothing is tried after the end
    assert subscription(tok, sub_id)["charges"][0]["retries"] == 4
    status, _, again = subscribe(tok, new_plan(3300)["id"])
    assert status == 202, again
    assert settled_subscription(tok, again["subscription_id"])["status"] == "active"
    assert_one_approval_per_done_charge()


def delete_at_gateway(billing_key):
    """DELETE /v1/billing/{billingKey}, as the shop's merchant console would: the gateway then sends
    BILLING_DELETED to its webhook_url."""
    req = urllib.request.Request(f"{GATEWAY}/v1/billing/{billing_key}", method="DELETE")
    req.add_header("Authorization", "Basic " + base64.b64encode((SECRET_KEY + ":").encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200


def billing_deleted(billing_key):
    return request("POST", "/webhooks/toss", {"eventType": "BILLING_DELETED", "createdAt": "2026-12-07T10:00:00.000000",
                                              "data": {"billingKey": billing_key, "reason": "삭제 API 요청"}})


def test_billing_deleted_stops_charges_until_a_new_card_and_forged_or_replayed_events_change_nothing():
    tok = hs256("del-" + uuid.uuid4().hex)
    plan, key = new_plan(4900), active_card(tok)
    _, _, accepted = subscribe(tok, plan["id"])
    sub = settled_subscription(tok, accepted["subscription_id"])
    sub_id = sub["subscription_id"]
    [live] = [k for k in sandbox("GET", "/sandbox/billing")["billing_keys"] if k["customerKey"] == key]

    # Forged: a key that was never ours is refused and changes nothing.
    before = sql("SELECT count(*) FROM webhook_events") + "|" + sql("SELECT string_agg(status, ',' ORDER BY id) FROM billing_cards")
    for forged in ["forged_" + uuid.uuid4().hex, live["billingKey"] + "x", ""]:
        status, _, problem = billing_deleted(forged)
        assert status in (401, 422) and problem["code"] in ("WEBHOOK_REJECTED", "VALIDATION_FAILED"), (forged, problem)
    assert sql("SELECT count(*) FROM webhook_events") + "|" + \
        sql("SELECT string_agg(status, ',' ORDER BY id) FROM billing_cards") == before
    assert subscription(tok, sub_id)["needs_card"] is False

    # The gateway deletes the key and tells us: the card is gone, the subscription needs a new one.
    sandbox("POST", "/sandbox/config", {"webhook_url": DIRECT + "/webhooks/toss"})
    try:
        delete_at_gateway(live["billingKey"])
        wait_until(lambda: subscription(tok, sub_id)["needs_card"] or None, 30, "BILLING_DELETED")
    finally:
        sandbox("POST", "/sandbox/config", {"webhook_url": ""})
    assert request("GET", "/api/v1/billing/card", tok=tok)[0] == 404
    # Replayed, however often: one deletion.
    events = sql("SELECT count(*) FROM webhook_events WHERE event_type = 'BILLING_DELETED'")
    for _ in range(3):
        status, _, body = billing_deleted(live["billingKey"])
        assert (status, body) == (200, {"result": "duplicate"})
    assert sql("SELECT count(*) FROM webhook_events WHERE event_type = 'BILLING_DELETED'") == events

    # The renewal sends nothing to the gateway: it waits for a card (past due, no retry on the schedule).
    renew_on(datetime.date.fromisoformat(sub["current_period"]["end"]))
    sub = settled_try(tok, sub_id, 1, 0)
    assert (sub["status"], sub["needs_card"], sub["charges"][0]["retry_at"]) == ("past_due", True, None)
    assert attempts(sub_id, 1) == "declined:BILLING_CARD_REQUIRED"
    assert billing_stats()["billing_by_customer"][key] == 1
    # A new card: the period is charged at once, once.
    _, card, _ = register_card(tok, customer_key(tok))
    assert settled_card(tok, card["card_id"])["status"] == "active"
    sub = settled_try(tok, sub_id, 1, 1)
    assert (sub["status"], sub["needs_card"], sub["charges"][0]["status"]) == ("active", False, "done")
    assert billing_stats()["billing_by_order"][sub["charges"][0]["order_id"]] == 1
    assert_one_approval_per_done_charge()


def cancel(tok, sub_id, when):
    return request("POST", f"/api/v1/subscriptions/{sub_id}/cancel", {"when": when}, tok=tok)


def gateway_status(order_id):
    return [p["status"] for p in sandbox("GET", "/sandbox/payments")["payments"] if p["orderId"] == order_id]


def assert_refunds_agree_with_the_gateway():
    """Per charge, what the gateway paid back is what the shop recorded as refunded: the refund's amount
    once it is done, nothing otherwise."""
    canceled = billing_stats()["canceled_amounts"]
    rows = sql("SELECT c.payment_key, coalesce(r.status, '-'), coalesce(r.amount, 0) FROM subscription_charges c "
               "LEFT JOIN subscription_refunds r ON r.charge_id = c.id WHERE c.status = 'done'").splitlines()
    for row in rows:
        payment_key, status, amount = row.split("|")
        assert canceled.get(payment_key, 0) == (int(amount) if status == "done" else 0), (payment_key, status, amount)


def active_subscription(price=9900, prefix="chg-"):
    tok = hs256(prefix + uuid.uuid4().hex)
    plan, key = new_plan(price), active_card(tok)
    _, _, accepted = subscribe(tok, plan["id"])
    sub = settled_subscription(tok, accepted["subscription_id"])
    assert sub["status"] == "active"
    return tok, key, sub


def test_a_cancel_at_the_period_end_charges_nothing_more_and_can_be_undone_until_then():
    tok, key, sub = active_subscription()
    sub_id = sub["subscription_id"]
    status, _, body = cancel(tok, sub_id, "period_end")
    assert status == 200 and (body["status"], body["cancel_at_period_end"]) == ("active", True), body
    status, _, body = request("DELETE", f"/api/v1/subscriptions/{sub_id}/cancel", tok=tok)
    assert status == 200 and body["cancel_at_period_end"] is False
    assert cancel(tok, sub_id, "period_end")[2]["cancel_at_period_end"] is True

    end = datetime.date.fromisoformat(sub["current_period"]["end"])
    renew_on(end - datetime.timedelta(days=1))
    assert subscription(tok, sub_id)["status"] == "active"  # the buyer keeps the plan until the end
    renew_on(end, copies=2)
    ended = subscription(tok, sub_id)
    assert (ended["status"], len(ended["charges"])) == ("canceled", 1)
    assert billing_stats()["billing_by_customer"][key] == 1
    # Ended: a cancel again is answered as it is, an undo is refused.
    status, _, again = cancel(tok, sub_id, "now")
    assert status == 200 and again["status"] == "canceled" and again["charges"][0]["refund"] is None
    status, _, problem = request("DELETE", f"/api/v1/subscriptions/{sub_id}/cancel", tok=tok)
    assert status == 409 and problem["code"] == "SUBSCRIPTION_NOT_LIVE"
    # Bad requests change nothing.
    other = hs256("chg-" + uuid.uuid4().hex)
    for body, who, code in [({"when": "later"}, tok, 422), ({}, tok, 422), ({"when": "now"}, other, 404)]:
        status, _, problem = request("POST", f"/api/v1/subscriptions/{sub_id}/cancel", body, tok=who)
        assert status == code, (body, problem)
    assert request("POST", f"/api/v1/subscriptions/{uuid.uuid4()}/cancel", {"when": "now"}, tok=tok)[0] == 404
    assert request("POST", "/api/v1/subscriptions/nope/cancel", {"when": "now"}, tok=tok)[0] == 404
    assert_one_approval_per_done_charge()


def figures():
    status, _, body = request("GET", "/api/v1/admin/subscriptions/figures", tok=admin())
    assert status == 200, body
    return body


def test_an_immediate_cancel_pays_back_the_unused_days_once():
    assert request("GET", "/api/v1/admin/subscriptions/figures", tok=hs256("buyer-" + uuid.uuid4().hex))[0] == 403
    before = figures()
    tok, key, sub = active_subscription(9900)
    during = figures()
    assert (during["active"], during["mrr"], during["revenue_30d"]) == \
        (before["active"] + 1, before["mrr"] + 9900, before["revenue_30d"] + 9900)
    sub_id = sub["subscription_id"]
    start = datetime.date.fromisoformat(sub["current_period"]["start"])
    end = datetime.date.fromisoformat(sub["current_period"]["end"])
    assert start == seoul_today()
    days = (end - start).days
    expected = 9900 * (days - 1) // days  # the days after today, rounded down (docs/subscriptions.md)

    # Ten cancels at once (a buyer's double clicks, retries): one refund.
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: cancel(tok, sub_id, "now"), range(10)))
    assert all(a[0] == 200 and a[2]["status"] == "canceled" for a in answers), [a[:1] for a in answers]
    refunded = wait_until(lambda: (lambda c: c if c["refund"] and c["refund"]["status"] != "pending" else None)(
        subscription(tok, sub_id)["charges"][0]), 30, "the refund")
    assert refunded["refund"] == {"amount": expected, "status": "done"}
    payment_key = sql(f"SELECT payment_key FROM subscription_charges WHERE id = '{refunded['charge_id']}'")
    stats = billing_stats()
    assert stats["cancels"][payment_key] == 1 and stats["canceled_amounts"][payment_key] == expected
    assert gateway_status(refunded["order_id"]) == ["PARTIAL_CANCELED"]
    assert cancel(tok, sub_id, "now")[0] == 200
    assert billing_stats()["cancels"][payment_key] == 1
    assert sql(f"SELECT count(*) FROM subscription_refunds WHERE charge_id = '{refunded['charge_id']}'") == "1"
    after = figures()
    assert (after["active"], after["mrr"], after["canceled_30d"], after["refunded_30d"]) == \
        (before["active"], before["mrr"], before["canceled_30d"] + 1, before["refunded_30d"] + expected)
    assert_one_approval_per_done_charge()
    assert_refunds_agree_with_the_gateway()


def test_a_cancel_racing_a_renewal_ends_in_one_state_that_agrees_with_the_gateway():
    subs = [active_subscription(7000 + i, prefix="race-") for i in range(6)]
    end = datetime.date.fromisoformat(subs[0][2]["current_period"]["end"])
    assert all(s[2]["current_period"]["end"] == end.isoformat() for s in subs)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        renewal = pool.submit(renew_on, end)
        answers = list(pool.map(lambda s: cancel(s[0], s[2]["subscription_id"], "now"), subs))
        renewal.result()
    for (tok, key, sub), (status, _, body) in zip(subs, answers):
        sub_id = sub["subscription_id"]
        if status == 409:
            # The renewal won: its charge is at the gateway; once it is settled the cancel goes through and
            # pays back the new period, which has not started yet, in full.
            assert body["code"] == "CHARGE_IN_FLIGHT", body
            settled_try(tok, sub_id, 1, 0)
            status, _, body = cancel(tok, sub_id, "now")
        assert status == 200 and body["status"] == "canceled", body
        for charge in body["charges"]:
            if charge["status"] == "done" and charge["period"] == 1:
                assert charge["refund"]["amount"] == charge["amount"]
    # Every refund made, then: per charge one approval exactly when done, and the gateway paid back what
    # the shop recorded.
    wait_until(lambda: sql("SELECT count(*) FROM subscription_refunds WHERE status = 'pending'") == "0", 30, "refunds")
    assert_one_approval_per_done_charge()
    assert_refunds_agree_with_the_gateway()


def change_plan(tok, sub_id, plan_id):
    return request("POST", f"/api/v1/subscriptions/{sub_id}/plan", {"plan_id": plan_id}, tok=tok)


def settled_upgrade(tok, sub_id):
    return wait_until(lambda: (lambda s: s if [c for c in s["charges"] if c["kind"] == "upgrade" and c["status"] != "pending"]
                               else None)(subscription(tok, sub_id)), 30, "the upgrade's charge")


def test_an_upgrade_charges_the_difference_once_and_a_downgrade_waits_for_the_next_period():
    tok, key, sub = active_subscription(9900)
    sub_id = sub["subscription_id"]
    start = datetime.date.fromisoformat(sub["current_period"]["start"])
    end = datetime.date.fromisoformat(sub["current_period"]["end"])
    days = (end - start).days
    big, bigger, small = new_plan(19900), new_plan(29900), new_plan(5500)
    # Bad changes change nothing.
    for body, code in [({}, 422), ({"plan_id": "x"}, 422), ({"plan_id": 999999999}, 404),
                       ({"plan_id": new_plan(99000, cycle="yearly")["id"]}, 422)]:
        status, _, problem = request("POST", f"/api/v1/subscriptions/{sub_id}/plan", body, tok=tok)
        assert status == code, (body, problem)
    assert subscription(tok, sub_id)["plan"]["id"] == sub["plan"]["id"]

    status, _, body = change_plan(tok, sub_id, big["id"])
    assert status == 200, body
    upgraded = settled_upgrade(tok, sub_id)
    [charge] = [c for c in upgraded["charges"] if c["kind"] == "upgrade"]
    # The difference for the days after today, rounded down (docs/subscriptions.md).
    assert (charge["status"], charge["amount"]) == ("done", (19900 - 9900) * (days - 1) // days)
    assert charge["order_id"] == "SUB-" + sub_id.replace("-", "") + "-0-U"
    assert (upgraded["plan"]["id"], upgraded["price"]) == (big["id"], 19900)
    assert billing_stats()["billing_by_order"][charge["order_id"]] == 1
    status, _, problem = change_plan(tok, sub_id, bigger["id"])  # one upgrade per period
    assert status == 409 and problem["code"] == "CONFLICT"

    # A downgrade: the plan and price paid for stay until the period ends; the renewal charges the new price.
    status, _, body = change_plan(tok, sub_id, small["id"])
    assert status == 200 and (body["plan"]["id"], body["price"], body["next_plan_id"]) == (big["id"], 19900, small["id"])
    renew_on(end)
    renewed = settled_try(tok, sub_id, 1, 0)
    period_charge = [c for c in renewed["charges"] if c["period"] == 1][0]
    assert (period_charge["amount"], period_charge["status"]) == (5500, "done")
    assert (renewed["plan"]["id"], renewed["price"], renewed["next_plan_id"]) == (small["id"], 5500, None)
    assert billing_stats()["billing_by_customer"][key] == 3  # the first period, the upgrade, the renewal
    assert_one_approval_per_done_charge()


def test_an_immediate_cancel_after_an_upgrade_pays_back_both_charges_unused_days_once():
    tok, key, sub = active_subscription(9900)
    sub_id = sub["subscription_id"]
    start = datetime.date.fromisoformat(sub["current_period"]["start"])
    days = (datetime.date.fromisoformat(sub["current_period"]["end"]) - start).days
    assert change_plan(tok, sub_id, new_plan(15900)["id"])[0] == 200
    upgrade = [c for c in settled_upgrade(tok, sub_id)["charges"] if c["kind"] == "upgrade"][0]
    assert cancel(tok, sub_id, "now")[0] == 200
    wait_until(lambda: sql(f"SELECT count(*) FROM subscription_refunds r JOIN subscription_charges c ON "
                           f"c.id = r.charge_id WHERE c.subscription_id = '{sub_id}' AND r.status = 'done'") == "2",
               30, "both refunds")
    refunds = {c["kind"]: c["refund"]["amount"] for c in subscription(tok, sub_id)["charges"]}
    # The period's charge for the days after today; the upgrade, bought today for the days after today, in full.
    assert refunds == {"period": 9900 * (days - 1) // days, "upgrade": upgrade["amount"]}
    assert_one_approval_per_done_charge()
    assert_refunds_agree_with_the_gateway()


def renewal_gate():
    status, _, body = request("GET", "/ops/gates/test_renewal_failures", tok=admin())
    assert status == (200 if body["pass"] else 503), body
    return body


def test_ops_shows_renewals_due_and_in_flight_and_the_renewal_gate_fails_when_declines_dominate():
    subs = [active_subscription(4000 + i, prefix="gate-") for i in range(5)]
    ids = [s[2]["subscription_id"] for s in subs]
    end = datetime.date.fromisoformat(subs[0][2]["current_period"]["end"])
    # Moves when a subscription falls due (the next period is still counted from its anchor).
    due_on = lambda day, which: sql(f"UPDATE subscriptions SET period_start = '{day.isoformat()}'::date - 1, "
                                    f"period_end = '{day.isoformat()}' WHERE id IN ('" + "', '".join(which) + "')")
    # /ops counts what is due today and what is at the gateway.
    overview = request("GET", "/ops/overview", tok=admin())[2]["subscriptions"]
    assert overview["in_flight"] == int(sql("SELECT count(*) FROM subscription_charges WHERE status = 'pending'"))
    assert overview["due_today"] == int(sql("SELECT count(*) FROM subscriptions WHERE status = 'active' AND NOT "
                                            "cancel_at_period_end AND period_end <= (now() AT TIME ZONE 'Asia/Seoul')::date"))
    # Everything else due by then is renewed first (ours held back), so that the gate's window then holds
    # only our renewals.
    due_on(end + datetime.timedelta(days=1000), ids)
    renew_on(end + datetime.timedelta(days=1))
    wait_until(lambda: sql("SELECT count(*) FROM subscription_charges WHERE status = 'pending'") == "0" or None, 60,
               "the other renewals")
    wait_until(lambda: renewal_gate()["attempts"] == 0 or None, 40, "the gate's window to hold no renewal")
    assert renewal_gate()["value"] is None and renewal_gate()["pass"]  # nothing in the window passes
    try:
        sandbox("POST", "/sandbox/config", {"billing_declines": {s[1]: "REJECT_CARD_PAYMENT" for s in subs[:2]}})
        # Due today by the real calendar: no earlier decline's retry falls due with them.
        due_on(seoul_today(), ids[:2])
        renew_on(seoul_today())
        for tok, _, sub in subs[:2]:
            settled_try(tok, sub["subscription_id"], 1, 0)
        failing = renewal_gate()
        assert (failing["pass"], failing["value"], failing["attempts"]) == (False, 1.0, 2), failing
        assert request("GET", "/ops/overview", tok=admin())[2]["subscriptions"]["renewals_1h"]["declined"] >= 2
    finally:
        sandbox("POST", "/sandbox/config", {"billing_declines": {}})
    due_on(seoul_today(), ids[2:])
    renew_on(seoul_today())
    for tok, _, sub in subs[2:]:
        assert settled_try(tok, sub["subscription_id"], 1, 0)["status"] == "active"
    passing = renewal_gate()
    assert (passing["pass"], passing["value"], passing["attempts"]) == (True, 0.4, 5), passing
    assert_one_approval_per_done_charge()


def test_a_paused_subscription_is_not_charged_and_a_resume_keeps_or_moves_the_anchor():
    tok, key, sub = active_subscription(6600)
    sub_id = sub["subscription_id"]
    anchor = datetime.date.fromisoformat(sub["anchor_date"])
    end = datetime.date.fromisoformat(sub["current_period"]["end"])
    act = lambda what: request("POST", f"/api/v1/subscriptions/{sub_id}/{what}", tok=tok)
    for _ in range(2):  # pausing twice is pausing once
        status, _, body = act("pause")
        assert status == 200 and body["status"] == "paused", body
    renew_on(end)  # due, but paused: nothing is charged
    assert [c["period"] for c in subscription(tok, sub_id)["charges"]] == [0]
    # Resumed within the period paid for: active, the anchor kept, renewed on its usual day.
    status, _, body = act("resume")
    assert status == 200 and (body["status"], body["anchor_date"]) == ("active", anchor.isoformat()), body
    renew_on(end)
    renewed = settled_try(tok, sub_id, 1, 0)
    assert renewed["current_period"] == {"number": 1, "start": end.isoformat(), "end": add_months(anchor, 2).isoformat()}

    # Paused until after the period paid for (the period is moved to have ended today): the resume starts
    # a new period today, charged at once, and the anchor moves to today.
    assert act("pause")[2]["status"] == "paused"
    today = seoul_today()
    sql(f"UPDATE subscriptions SET period_start = '{today.isoformat()}'::date - 30, period_end = '{today.isoformat()}' "
        f"WHERE id = '{sub_id}'")
    status, _, body = act("resume")
    assert status == 200 and body["anchor_date"] == today.isoformat(), body
    resumed = settled_try(tok, sub_id, 2, 0)
    assert resumed["status"] == "active"
    assert resumed["current_period"] == {"number": 2, "start": today.isoformat(), "end": next_month(today).isoformat()}
    # The next renewal counts from the new anchor.
    renew_on(next_month(today))
    third = settled_try(tok, sub_id, 3, 0)
    assert third["current_period"] == {"number": 3, "start": next_month(today).isoformat(),
                                       "end": add_months(today, 2).isoformat()}
    assert act("resume")[0] == 200  # resuming an active subscription changes nothing
    assert billing_stats()["billing_by_customer"][key] == 4  # periods 0 to 3, each once
    status, _, problem = request("POST", f"/api/v1/subscriptions/{sub_id}/pause", tok=hs256("x-" + uuid.uuid4().hex))
    assert status == 404
    assert_one_approval_per_done_charge()


def test_a_subscriptions_charges_are_paged_newest_first_and_only_its_buyer_sees_them():
    tok = hs256("pg-" + uuid.uuid4().hex)
    plan, _ = new_plan(4400), active_card(tok)
    _, _, accepted = subscribe(tok, plan["id"])
    sub_id = accepted["subscription_id"]
    sub = settled_subscription(tok, sub_id)
    for period in (1, 2):  # two renewals: three charges
        renew_on(datetime.date.fromisoformat(sub["current_period"]["end"]))
        sub = wait_until(lambda: (lambda s: s if len(s["charges"]) == period + 1 and s["charges"][0]["status"] == "done"
                                  else None)(subscription(tok, sub_id)), 30, f"period {period}")

    def page(n, size, who=tok):
        return request("GET", f"/api/v1/subscriptions/{sub_id}/charges?page={n}&size={size}", tok=who)

    first, second, third = page(1, 2), page(2, 2), page(3, 2)
    assert first[0] == second[0] == third[0] == 200
    assert [c["period"] for c in first[2]["items"]] == [2, 1]
    assert [c["period"] for c in second[2]["items"]] == [0] and third[2]["items"] == []
    assert (first[2]["page"], first[2]["size"], first[2]["total"]) == (1, 2, 3)
    # The pages hold exactly the charges the subscription shows, each once.
    paged = first[2]["items"] + second[2]["items"]
    assert paged == subscription(tok, sub_id)["charges"]
    assert page(1, 100)[2]["items"] == paged
    # Another buyer, an id that is not one, and sizes out of range.
    assert page(1, 2, who=hs256("pg-other-" + uuid.uuid4().hex))[0] == 404
    assert request("GET", "/api/v1/subscriptions/not-an-id/charges", tok=tok)[0] == 404
    for bad, field in (("size=0", "size"), ("size=101", "size"), ("page=0", "page"), ("page=x", "page")):
        status, headers, body = request("GET", f"/api/v1/subscriptions/{sub_id}/charges?{bad}", tok=tok)
        assert status == 422 and headers["Content-Type"] == "application/problem+json", (bad, status, body)
        assert body["code"] == "VALIDATION_FAILED" and body["errors"][0]["field"] == field
    # The admin's list is the admin's only.
    assert request("GET", "/api/v1/admin/subscriptions/failed-charges", tok=tok)[0] == 403
    assert_one_approval_per_done_charge()

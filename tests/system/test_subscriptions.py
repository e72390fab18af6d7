"""Subscriptions (issue 20): plans and cards for billing, against the running fleet."""
import json
import re
import uuid

from conftest import request, sql, wait_until
from shop import sandbox
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

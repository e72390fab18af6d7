"""Subscriptions (issue 20): plans, against the running fleet."""
import uuid

from conftest import request, sql
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

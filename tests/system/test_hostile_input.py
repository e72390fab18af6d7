"""What a hostile client sends must not take a process down or reach PostgreSQL as a 500: bodies
nested without end, bytes that are not text in headers and path parameters."""
import http.client
import json
import os
import uuid

import yaml

from conftest import API_PORT, ROOT, create_product, request, token

DEEP = b'{"a":' + b"[" * 32000 + b"]" * 32000 + b"}"
OBJECTS = b'{"a":' * 10000 + b"1" + b"}" * 10000


def raw_call(method, path, body=None, headers=None):
    """(status, headers, parsed body) of one call with exact bytes, straight to the API."""
    conn = http.client.HTTPConnection("127.0.0.1", API_PORT, timeout=30)
    conn.putrequest(method, path, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    r = conn.getresponse()
    text = r.read()
    conn.close()
    try:
        return r.status, r.headers, json.loads(text)
    except ValueError:
        return r.status, r.headers, text


def json_endpoints():
    """Every POST/PATCH/PUT of api/openapi.yaml that takes a JSON body, with path parameters filled in."""
    with open(os.path.join(ROOT, "api", "openapi.yaml")) as f:
        doc = yaml.safe_load(f)
    out = []
    for path, item in doc["paths"].items():
        for method in ("post", "patch", "put"):
            op = item.get(method)
            if op and "requestBody" in op:
                out.append((method.upper(), path.replace("{id}", "1").replace("{product_id}", "1")
                            .replace("{name}", "x")))
    return out


def test_a_body_nested_32000_deep_is_refused_on_every_json_endpoint_and_the_api_lives(api):
    pid = api.proc.pid
    admin = token("admin-" + uuid.uuid4().hex, "admin")
    endpoints = json_endpoints()
    assert ("POST", "/webhooks/toss") in endpoints and len(endpoints) >= 8
    for method, path in endpoints:
        for body in (DEEP, OBJECTS):
            status, headers, answer = raw_call(method, path, body, {
                "Content-Type": "application/json", "Authorization": "Bearer " + admin,
                "Idempotency-Key": uuid.uuid4().hex})
            assert status == 400, (method, path, answer)
            assert headers["Content-Type"] == "application/problem+json"
            assert answer["code"] == "INVALID_JSON", (method, path, answer)
    assert api.proc.poll() is None and api.proc.pid == pid, "the API died"
    assert request("GET", "/health")[0] == 200


def test_bytes_that_are_not_text_in_a_header_or_path_are_refused_not_a_500():
    product = create_product(stock=3)
    tok = token("bytes-" + uuid.uuid4().hex)
    body = json.dumps({"items": [{"product_id": product, "quantity": 1}],
                       "shipping": {"name": "Kim", "phone": "010-0000-0000", "postal_code": "04524",
                                    "address": "Seoul"}}).encode()
    for key in (b"\xff\xfe", b"ok-\xc3\x28", b"\xed\xa0\x80"):
        status, headers, answer = raw_call("POST", "/api/v1/orders", body, {
            "Content-Type": "application/json", "Authorization": "Bearer " + tok, "Idempotency-Key": key})
        assert status == 422, answer
        assert answer["code"] == "VALIDATION_FAILED"
        assert answer["errors"][0]["field"] == "Idempotency-Key"
    # The same on the other routes that read an Idempotency-Key.
    for path, payload in (("/api/v1/balance/charge", {"amount": 1000}),
                          ("/api/v1/payments/confirm", {"paymentKey": "k", "orderId": "ORD-nothing", "amount": 1})):
        status, _, answer = raw_call("POST", path, json.dumps(payload).encode(), {
            "Content-Type": "application/json", "Authorization": "Bearer " + tok, "Idempotency-Key": b"\xff\xfe"})
        assert status == 422 and answer["code"] == "VALIDATION_FAILED", (path, answer)
    # A webhook's transmission id reaches SQL too.
    status, _, answer = raw_call("POST", "/webhooks/toss", b'{"eventType":"PAYMENT_STATUS_CHANGED","data":{}}', {
        "Content-Type": "application/json", "tosspayments-webhook-transmission-id": b"\xff\xfe"})
    assert status in (400, 422) and answer["code"] in ("VALIDATION_FAILED", "INVALID_JSON"), answer
    # Path parameters: percent-encoded bytes that decode to no text name no resource.
    for path in ("/api/v1/orders/%ff%fe", "/api/v1/orders/%ff%fe/status", "/api/v1/payments/%ff%fe/status",
                 "/api/v1/jobs/%ff%fe", "/ops/gates/%ff%fe"):
        status, _, answer = raw_call("GET", path, headers={"Authorization": "Bearer " + token("admin-x", "admin")})
        assert status == 404, (path, answer)
    # Nothing was created, nothing logged a server error.
    assert request("GET", f"/api/v1/products/{product}", tok=tok)[2]["stock"] == 3

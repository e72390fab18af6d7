#!/usr/bin/python3
"""A local stand-in for the Toss Payments v1 API (../shared/reference/TOSS_API.md), for the tests and
for scripts/run.sh when TOSS_API_BASE is not set. It speaks the same paths, JSON, error bodies
({code, message}), HTTP Basic auth with the secret key, Idempotency-Key replay (409 while the first is
in flight) and the TossPayments-Test-Code header. It also records, for tests, how often each
paymentKey was approved, and what the data platform received.

Knobs (POST /sandbox/config, JSON): latency_ms, jitter_ms, fail_rate (share of confirms answered 500
FAILED_INTERNAL_SYSTEM_PROCESSING at the front door, before the request is executed or its
Idempotency-Key recorded, so a retry under the same key runs for real), hang_ms (confirms approve,
then sleep this long before answering: longer than the client's timeout means a timeout whose
approval still happened), fail_next (answer the next N confirms with that 500, then approve),
reject_next (answer the next N confirms with reject_code, default REJECT_CARD_COMPANY 403, as an
executed request: its answer is stored under the Idempotency-Key like the gateway does),
approve_after_ms (a confirm waits this long before the gateway executes it: a lookup meanwhile finds
nothing, then the approval happens and is answered), omit_secret (approved payments carry no
`secret`, as some methods' answers do not).
Read-outs: GET /sandbox/stats (?brief=1: counts only), GET /sandbox/payments (every payment's paymentKey, orderId and status,
to check per order what the gateway holds), GET /sandbox/billing (every billing key issued, with its
customerKey and authKey, so that a test can look for them where they must not be),
GET /data-platform/events. Billing keys: an authKey is good once; one starting with "bad_" is
INVALID_BILLING_AUTH. Billing charges check the key (NOT_FOUND_BILLING once deleted), its customerKey
(NOT_MATCHES_CUSTOMER_KEY) and the orderId (DUPLICATED_ORDER_ID once approved); knobs billing_declines
({customerKey: code}), billing_hang_ms, webhook_url (where DELETE /v1/billing/{key} sends
BILLING_DELETED); stats count approvals per orderId and per customerKey. Seeding: POST /sandbox/payments
{paymentKey, orderId, amount, status} records a payment as another attempt at an order would have
left it. Reset: POST /sandbox/reset.

usage: toss_sandbox.py --port 18090 --secret-key test_sk_...
"""
import argparse
import asyncio
import base64
import datetime
import json
import os
import random
import re
import uuid

import aiohttp
from aiohttp import web

KST = datetime.timezone(datetime.timedelta(hours=9))

# Documented statuses of the codes the test header may ask for (TOSS_API.md section 6).
ERROR_STATUS = {
    "PROVIDER_ERROR": 400, "INVALID_REQUEST": 400, "ALREADY_PROCESSED_PAYMENT": 400, "INVALID_CARD_NUMBER": 400,
    "INVALID_STOPPED_CARD": 400, "INVALID_REJECT_CARD": 400, "BELOW_MINIMUM_AMOUNT": 400,
    "EXCEED_MAX_DAILY_PAYMENT_COUNT": 400, "NOT_SUPPORTED_METHOD": 400, "ALREADY_CANCELED_PAYMENT": 400,
    "REJECT_CARD_COMPANY": 403, "REJECT_CARD_PAYMENT": 403, "REJECT_ACCOUNT_PAYMENT": 403, "FDS_ERROR": 403,
    "FORBIDDEN_REQUEST": 403, "EXCEED_MAX_AUTH_COUNT": 403, "FORBIDDEN_CONSECUTIVE_REQUEST": 403,
    "NOT_FOUND_PAYMENT": 404, "NOT_FOUND_PAYMENT_SESSION": 404, "INVALID_BILLING_AUTH": 400,
    "NOT_FOUND_BILLING": 404, "NOT_MATCHES_CUSTOMER_KEY": 400, "DUPLICATED_ORDER_ID": 400,
    "INVALID_BILL_KEY_REQUEST": 400, "INVALID_CARD_EXPIRATION": 400, "INVALID_CARD_LOST_OR_STOLEN": 400,
    "ALREADY_REMOVED_BILLING_KEY": 400, "FAILED_CARD_COMPANY_RESPONSE": 500,
    "FAILED_INTERNAL_SYSTEM_PROCESSING": 500, "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING": 500,
    "UNKNOWN_PAYMENT_ERROR": 500, "COMMON_ERROR": 500,
}
MESSAGES = {
    "UNAUTHORIZED_KEY": "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.",
    "INCORRECT_BASIC_AUTH_FORMAT": "잘못된 요청입니다. ':' 를 포함해 인코딩해주세요.",
    "NOT_FOUND_PAYMENT": "존재하지 않는 결제 정보 입니다.",
    "ALREADY_PROCESSED_PAYMENT": "이미 처리된 결제 입니다.",
    "ALREADY_CANCELED_PAYMENT": "이미 취소된 결제 입니다.",
    "INVALID_REQUEST": "잘못된 요청입니다.",
    "INVALID_BILLING_AUTH": "유효하지 않은 빌링 인증입니다.",
    "NOT_FOUND_BILLING": "존재하지 않는 빌링 결제 인증 정보 입니다.",
    "NOT_MATCHES_CUSTOMER_KEY": "빌링 인증 고객키와 결제 요청 고객키가 일치하지 않습니다.",
    "DUPLICATED_ORDER_ID": "이미 승인 및 취소가 진행된 중복된 주문번호 입니다.",
    "ALREADY_REMOVED_BILLING_KEY": "이미 삭제된 빌링키입니다.",
    "INVALID_TEST_CODE": "유효하지 않은 테스트 코드입니다.",
    "IDEMPOTENT_REQUEST_PROCESSING": "이전 멱등 요청이 처리중입니다.",
    "INVALID_IDEMPOTENCY_KEY": "멱등키는 300자 이하여야 합니다.",
    "FAILED_INTERNAL_SYSTEM_PROCESSING": "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.",
    "PROVIDER_ERROR": "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요.",
    "REJECT_CARD_COMPANY": "결제 승인이 거절되었습니다.",
}


def now_kst():
    return datetime.datetime.now(KST).replace(microsecond=0).isoformat()


def error(code, status=None):
    return web.json_response({"code": code, "message": MESSAGES.get(code, code)},
                             status=status or ERROR_STATUS.get(code, 400),
                             headers={"X-TossPayments-Trace-Id": uuid.uuid4().hex})


class Sandbox:
    def __init__(self, secret_key, record_secrets=None):
        self.secret_key = secret_key
        self.record_secrets = record_secrets  # a file every billing key and authKey is appended to
        self.reset()

    def reset(self):
        self.config = {"latency_ms": 0, "jitter_ms": 0, "fail_rate": 0.0, "hang_ms": 0, "fail_next": 0,
                       "reject_next": 0, "reject_code": "REJECT_CARD_COMPANY", "approve_after_ms": 0,
                       "omit_secret": False, "billing_declines": {}, "billing_hang_ms": 0, "webhook_url": ""}
        self.cancels = {}        # paymentKey -> how many cancels were executed
        self.payments = {}       # paymentKey -> Payment object
        self.approvals = {}      # paymentKey -> how many times it was approved (must stay <= 1)
        self.idempotency = {}    # (method, path, key) -> (status, body) or None while in flight
        # The confirms being executed now, counted per reset: a call still in flight from before a reset
        # leaves its own count when it finishes, neither inflating the new one nor driving it below zero.
        self.flight = {"in": 0}
        self.max_in_flight = 0
        self.events = []         # what the data platform received
        self.billing_keys = {}   # billingKey -> {customerKey, authKey, deleted}
        self.used_auth_keys = set()
        self.canceled_amounts = {}     # paymentKey -> won canceled (full and partial cancels)
        self.billing_by_order = {}     # orderId -> approvals of billing charges (must stay <= 1)
        self.billing_by_customer = {}  # customerKey -> approvals of billing charges

    # --- helpers ---------------------------------------------------------------------------------
    def record(self, what, secret):
        if self.record_secrets:
            with open(self.record_secrets, "a") as f:
                f.write(f"{what} {secret}\n")

    def authorized(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return error("UNAUTHORIZED_KEY", 401)
        raw = header[6:].strip()
        try:
            decoded = base64.b64decode(raw + "=" * (-len(raw) % 4)).decode()  # padded or not
        except (ValueError, UnicodeDecodeError):
            return error("UNAUTHORIZED_KEY", 401)
        if not decoded.endswith(":"):
            return error("INCORRECT_BASIC_AUTH_FORMAT", 403)
        if decoded[:-1] != self.secret_key:
            return error("UNAUTHORIZED_KEY", 401)
        return None

    async def delay(self):
        ms = self.config["latency_ms"] + random.uniform(-1, 1) * self.config["jitter_ms"]
        if ms > 0:
            await asyncio.sleep(ms / 1000)

    def payment(self, key, order_id, amount, status="DONE", method_type="NORMAL"):
        p = self.payment_object(key, order_id, amount, status, method_type)
        if self.config["omit_secret"]:
            del p["secret"]
        return p

    def payment_object(self, key, order_id, amount, status, method_type):
        return {
            "mId": "tosspayments", "version": "2022-11-16", "paymentKey": key, "orderId": order_id,
            "orderName": "checkout order", "type": method_type, "status": status, "method": "카드",
            "currency": "KRW", "totalAmount": amount, "balanceAmount": amount,
            "suppliedAmount": amount - round(amount / 11), "vat": round(amount / 11), "taxFreeAmount": 0,
            "taxExemptionAmount": 0, "requestedAt": now_kst(), "approvedAt": now_kst() if status == "DONE" else None,
            "useEscrow": False, "cultureExpense": False, "lastTransactionKey": uuid.uuid4().hex.upper(),
            "secret": "ps_" + uuid.uuid4().hex[:24], "isPartialCancelable": True, "cancels": None, "failure": None,
            "card": {"issuerCode": "61", "acquirerCode": "31", "number": "43301234****123*", "installmentPlanMonths": 0,
                     "approveNo": "00000000", "cardType": "신용", "ownerType": "개인", "acquireStatus": "READY",
                     "amount": amount},
            "virtualAccount": None, "transfer": None, "mobilePhone": None, "giftCertificate": None,
            "easyPay": None, "country": "KR", "receipt": {"url": "https://sandbox.invalid/receipt"},
            "checkout": {"url": "https://sandbox.invalid/checkout"}, "metadata": None, "discount": None,
            "cashReceipt": None, "cashReceipts": None,
        }

    async def idempotent(self, request, handler):
        """Runs `handler` once per (method, path, Idempotency-Key); replays its answer, even an error."""
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return await handler()
        if len(key) > 300:
            return error("INVALID_IDEMPOTENCY_KEY", 400)
        slot = (request.method, request.path, key)
        if slot in self.idempotency:
            stored = self.idempotency[slot]
            if stored is None:
                return error("IDEMPOTENT_REQUEST_PROCESSING", 409)
            status, body = stored
            return web.json_response(body, status=status, headers={"X-TossPayments-Trace-Id": uuid.uuid4().hex})
        self.idempotency[slot] = None
        try:
            response = await handler()
        except BaseException:
            del self.idempotency[slot]
            raise
        self.idempotency[slot] = (response.status, json.loads(response.body))
        return response

    # --- the Toss API ----------------------------------------------------------------------------
    async def confirm(self, request):
        if (denied := self.authorized(request)) is not None:
            return denied
        try:
            body = await request.json()
            key, order_id, amount = body["paymentKey"], body["orderId"], body["amount"]
            assert isinstance(key, str) and isinstance(order_id, str) and isinstance(amount, int)
        except Exception:
            return error("INVALID_REQUEST", 400)
        if self.config["fail_next"] > 0:
            self.config["fail_next"] -= 1
            await self.delay()
            return error("FAILED_INTERNAL_SYSTEM_PROCESSING", 500)
        if random.random() < self.config["fail_rate"]:
            await self.delay()
            return error("FAILED_INTERNAL_SYSTEM_PROCESSING", 500)

        async def run():
            flight = self.flight
            flight["in"] += 1
            self.max_in_flight = max(self.max_in_flight, flight["in"])
            try:
                if self.config["approve_after_ms"] > 0:
                    await asyncio.sleep(self.config["approve_after_ms"] / 1000)
                await self.delay()
                test_code = request.headers.get("TossPayments-Test-Code")
                if test_code:
                    return error(test_code) if test_code in ERROR_STATUS else error("INVALID_TEST_CODE", 400)
                if self.config["reject_next"] > 0:
                    self.config["reject_next"] -= 1
                    return error(self.config["reject_code"])
                existing = self.payments.get(key)
                if existing and (existing["orderId"] != order_id or existing["totalAmount"] != amount):
                    return error("INVALID_REQUEST", 400)
                if existing and existing["status"] == "DONE":
                    return error("ALREADY_PROCESSED_PAYMENT", 400)
                if self.config["hang_ms"] > 0:
                    # The approval happens even if the caller gave up waiting: the reason to look up.
                    payment = self.payment(key, order_id, amount)
                    self.payments[key] = payment
                    self.approvals[key] = self.approvals.get(key, 0) + 1
                    await asyncio.sleep(self.config["hang_ms"] / 1000)
                    return web.json_response(payment)
                payment = self.payment(key, order_id, amount)
                self.payments[key] = payment
                self.approvals[key] = self.approvals.get(key, 0) + 1
                return web.json_response(payment)
            finally:
                flight["in"] -= 1
        return await self.idempotent(request, run)

    async def get_payment(self, request):
        if (denied := self.authorized(request)) is not None:
            return denied
        await self.delay()
        payment = self.payments.get(request.match_info["key"])
        return web.json_response(payment) if payment else error("NOT_FOUND_PAYMENT", 404)

    async def get_by_order(self, request):
        if (denied := self.authorized(request)) is not None:
            return denied
        await self.delay()
        # The latest payment of the order: a new approval supersedes an earlier aborted one.
        for payment in reversed(list(self.payments.values())):
            if payment["orderId"] == request.match_info["order_id"]:
                return web.json_response(payment)
        return error("NOT_FOUND_PAYMENT", 404)

    async def cancel(self, request):
        if (denied := self.authorized(request)) is not None:
            return denied
        key = request.match_info["key"]

        async def run():
            await self.delay()
            test_code = request.headers.get("TossPayments-Test-Code")
            if test_code:
                return error(test_code) if test_code in ERROR_STATUS else error("INVALID_TEST_CODE", 400)
            try:
                body = await request.json()
                reason = body["cancelReason"]
                assert isinstance(reason, str) and reason
                partial = body.get("cancelAmount")
                assert partial is None or (isinstance(partial, int) and not isinstance(partial, bool) and partial > 0)
            except Exception:
                return error("INVALID_REQUEST", 400)
            payment = self.payments.get(key)
            if not payment:
                return error("NOT_FOUND_PAYMENT", 404)
            if payment["status"] == "CANCELED":
                return error("ALREADY_CANCELED_PAYMENT", 400)
            # A partial cancel (cancelAmount) leaves the rest cancelable; more than is left is refused.
            amount = payment["balanceAmount"] if partial is None else partial
            if amount > payment["balanceAmount"]:
                return error("NOT_CANCELABLE_AMOUNT", 403)
            self.cancels[key] = self.cancels.get(key, 0) + 1
            self.canceled_amounts[key] = self.canceled_amounts.get(key, 0) + amount
            left = payment["balanceAmount"] - amount
            payment.update(status="CANCELED" if left == 0 else "PARTIAL_CANCELED", balanceAmount=left,
                           suppliedAmount=left - round(left / 11), vat=round(left / 11),
                           lastTransactionKey=uuid.uuid4().hex.upper(),
                           cancels=(payment["cancels"] or []) + [
                               {"cancelAmount": amount, "cancelReason": reason, "taxFreeAmount": 0,
                                "taxExemptionAmount": 0, "refundableAmount": left, "easyPayDiscountAmount": 0,
                                "transferDiscountAmount": 0, "canceledAt": now_kst(),
                                "transactionKey": uuid.uuid4().hex.upper(), "receiptKey": None,
                                "cancelStatus": "DONE", "cancelRequestId": None}])
            return web.json_response(payment)
        return await self.idempotent(request, run)

    async def billing_issue(self, request):
        """The widget's one-time authKey for a billing key. An authKey starting with "bad_", or one used
        before (outside an Idempotency-Key replay), is INVALID_BILLING_AUTH."""
        if (denied := self.authorized(request)) is not None:
            return denied

        async def run():
            await self.delay()
            body = await request.json()
            auth_key, customer_key = body.get("authKey"), body.get("customerKey")
            if not isinstance(auth_key, str) or not auth_key or len(auth_key) > 300 or \
                    not isinstance(customer_key, str) or not re.fullmatch(r"[A-Za-z0-9\-_=.@]{2,300}", customer_key):
                return error("INVALID_REQUEST", 400)
            if auth_key.startswith("bad_") or auth_key in self.used_auth_keys:
                return error("INVALID_BILLING_AUTH", 400)
            self.used_auth_keys.add(auth_key)
            self.record("authKey", auth_key)
            billing_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
            number = "43301234****%03d*" % random.randrange(1000)
            self.record("billingKey", billing_key)
            self.billing_keys[billing_key] = {"customerKey": customer_key, "authKey": auth_key, "deleted": False}
            return web.json_response({"mId": "tosspayments", "customerKey": customer_key, "authenticatedAt": now_kst(),
                                      "method": "카드", "billingKey": billing_key,
                                      "card": {"issuerCode": "61", "acquirerCode": "31", "number": number,
                                               "cardType": "신용", "ownerType": "개인"}})
        return await self.idempotent(request, run)

    async def billing_charge(self, request):
        """POST /v1/billing/{billingKey}. Knobs: billing_declines {customerKey: code} answers that code
        (its documented status) to every charge of that customer; billing_hang_ms approves, then waits
        that long before answering (past the client's timeout: an approval the client never hears of)."""
        if (denied := self.authorized(request)) is not None:
            return denied

        async def run():
            flight = self.flight
            flight["in"] += 1
            self.max_in_flight = max(self.max_in_flight, flight["in"])
            try:
                return await charge()
            finally:
                flight["in"] -= 1

        async def charge():
            await self.delay()
            body = await request.json()
            for field in ("customerKey", "amount", "orderId", "orderName"):
                if field not in body:
                    return error("INVALID_REQUEST", 400)
            record = self.billing_keys.get(request.match_info["billing_key"])
            if record is None or record["deleted"]:
                return error("NOT_FOUND_BILLING", 404)
            if body["customerKey"] != record["customerKey"]:
                return error("NOT_MATCHES_CUSTOMER_KEY", 400)
            # An orderId approved before (canceled since or not) is a duplicate (TOSS_API.md 6).
            if self.billing_by_order.get(body["orderId"]):
                return error("DUPLICATED_ORDER_ID", 400)
            declined = self.config["billing_declines"].get(body["customerKey"])
            if declined:
                return error(declined)
            key = "bill_" + uuid.uuid4().hex
            payment = self.payment(key, body["orderId"], body["amount"], method_type="BILLING")
            payment["orderName"] = body["orderName"]
            self.payments[key] = payment
            self.approvals[key] = 1
            self.billing_by_order[body["orderId"]] = self.billing_by_order.get(body["orderId"], 0) + 1
            self.billing_by_customer[body["customerKey"]] = self.billing_by_customer.get(body["customerKey"], 0) + 1
            if self.config["billing_hang_ms"]:
                await asyncio.sleep(self.config["billing_hang_ms"] / 1000)
            return web.json_response(payment)
        return await self.idempotent(request, run)

    async def billing_delete(self, request):
        """DELETE /v1/billing/{billingKey}: the key stops charging; BILLING_DELETED goes to webhook_url."""
        if (denied := self.authorized(request)) is not None:
            return denied
        billing_key = request.match_info["billing_key"]
        record = self.billing_keys.get(billing_key)
        if record is None:
            return error("NOT_FOUND_BILLING", 404)
        if record["deleted"]:
            return error("ALREADY_REMOVED_BILLING_KEY", 400)
        record["deleted"] = True
        if self.config["webhook_url"]:
            event = {"eventType": "BILLING_DELETED", "createdAt": now_kst(),
                     "data": {"billingKey": billing_key, "reason": "삭제 API 요청"}}
            asyncio.ensure_future(self.send_webhook(event))
        return web.Response(status=200)

    async def send_webhook(self, event):
        try:
            async with aiohttp.ClientSession() as session:
                await session.post(self.config["webhook_url"], json=event, timeout=aiohttp.ClientTimeout(total=10))
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass  # the gateway retries its webhooks; a test that needs one waits for it

    # --- read-outs and knobs ---------------------------------------------------------------------
    async def data_platform(self, request):
        self.events.append(await request.json())
        return web.json_response({"received": True})

    async def data_platform_events(self, request):
        return web.json_response({"events": self.events})

    async def stats(self, request):
        # ?brief=1: the counts only. A benchmark polls this while 100,000 charges are made; serializing
        # the per-order maps each time would stall this event loop and tax the machine under test.
        if request.query.get("brief"):
            return web.json_response({"max_in_flight": self.max_in_flight, "in_flight": self.flight["in"],
                                      "billing_approvals": sum(self.billing_by_customer.values())})
        return web.json_response({"approvals": self.approvals, "cancels": self.cancels,
                                  "canceled_amounts": self.canceled_amounts, "max_in_flight": self.max_in_flight,
                                  "billing_by_order": self.billing_by_order,
                                  "billing_by_customer": self.billing_by_customer,
                                  "in_flight": self.flight["in"], "payments": len(self.payments)})

    async def seed_billing(self, request):
        """POST /sandbox/billing {"keys": [{billingKey, customerKey}]}: billing keys issued without the
        widget, for tests and benchmarks that need thousands of subscribers at once."""
        for k in (await request.json())["keys"]:
            self.record("billingKey", k["billingKey"])
            self.billing_keys[k["billingKey"]] = {"customerKey": k["customerKey"], "authKey": None, "deleted": False}
        return web.json_response({"seeded": len(self.billing_keys)})

    async def list_billing(self, request):
        return web.json_response({"billing_keys": [dict(v, billingKey=k) for k, v in self.billing_keys.items()]})

    async def list_payments(self, request):
        return web.json_response({"payments": [{"paymentKey": p["paymentKey"], "orderId": p["orderId"],
                                                "status": p["status"]} for p in self.payments.values()]})

    async def seed_payment(self, request):
        body = await request.json()
        p = self.payment_object(body["paymentKey"], body["orderId"], body["amount"], body["status"], "NORMAL")
        if body["status"] != "DONE":
            p.update(approvedAt=None, failure={"code": "PAY_PROCESS_ABORTED", "message": "seeded by a test"})
        self.payments[body["paymentKey"]] = p
        return web.json_response(p)

    async def set_config(self, request):
        body = await request.json()
        unknown = set(body) - set(self.config)
        if unknown:
            return web.json_response({"error": f"unknown knobs {sorted(unknown)}"}, status=400)
        self.config.update(body)
        return web.json_response(self.config)

    async def do_reset(self, request):
        self.reset()
        return web.json_response({"reset": True})


def app(secret_key, record_secrets=None):
    s = Sandbox(secret_key, record_secrets)
    a = web.Application()
    a.add_routes([
        web.post("/v1/payments/confirm", s.confirm),
        web.get("/v1/payments/orders/{order_id}", s.get_by_order),
        web.get("/v1/payments/{key}", s.get_payment),
        web.post("/v1/payments/{key}/cancel", s.cancel),
        web.post("/v1/billing/authorizations/issue", s.billing_issue),
        web.post("/v1/billing/{billing_key}", s.billing_charge),
        web.delete("/v1/billing/{billing_key}", s.billing_delete),
        web.post("/data-platform/events", s.data_platform),
        web.get("/data-platform/events", s.data_platform_events),
        web.get("/sandbox/stats", s.stats),
        web.get("/sandbox/payments", s.list_payments),
        web.get("/sandbox/billing", s.list_billing),
        web.post("/sandbox/billing", s.seed_billing),
        web.post("/sandbox/payments", s.seed_payment),
        web.post("/sandbox/config", s.set_config),
        web.post("/sandbox/reset", s.do_reset),
    ])
    return a


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=18090)
    ap.add_argument("--host", default="127.0.0.1", help="the address to listen on (a test host's, issue 21)")
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--record-secrets", help="append every billing key and authKey to this file")
    args = ap.parse_args()
    # A deep accept queue: a real gateway takes 1,500 new connections at once (a benchmark's burst)
    # without dropping SYNs, which would turn into connect timeouts the client must look up.
    web.run_app(app(args.secret_key, args.record_secrets), host=args.host, port=args.port, print=None,
                backlog=4096)

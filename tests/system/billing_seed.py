"""Thousands of subscribers due on one day, written straight into PostgreSQL and the gateway sandbox
(the widget and the first charges would take minutes and test nothing new): for the renewal tests and
bench/subscriptions. Each buyer gets what the product would have stored: a random customerKey, an
active card whose billing key is sealed exactly as infra/crypto/secret_box seals it (AES-256-GCM,
"v1." + base64(nonce | ciphertext | tag), the card's context as associated data; an HMAC-SHA256 digest
to find it), and an active monthly subscription whose period ends on `due`. The sandbox learns the same
billing keys, so the real worker charges them with the real client.

Uses Debian's python3-cryptography."""
import base64
import calendar
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import urllib.request
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def seal(key, plaintext, context):
    nonce = os.urandom(12)
    return "v1." + base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())).decode()


def digest(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def month_before(day):
    y, m = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    return datetime.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def psql(dsn, *args, stdin=None):
    out = subprocess.run(["psql", dsn, "-v", "ON_ERROR_STOP=1", "-tAX", *args], input=stdin, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def copy(dsn, table, columns, rows):
    data = "".join(",".join(str(v) for v in row) + "\n" for row in rows)
    psql(dsn, "-c", f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", stdin=data)


def seed_due_subscriptions(n, due, price=1000, dsn=None, secret_b64=None, gateway=None, secret_key=None):
    """`n` active monthly subscriptions whose period 0 ends on `due` (a date; the anchor is the same day a
    month before, so keep its day <= 28). Returns {"plan_id", "customer_keys"}."""
    dsn = dsn or os.environ["DATABASE_URL"]
    key = base64.b64decode(secret_b64 or os.environ["BILLING_KEY_SECRET"])
    gateway = gateway or os.environ["TOSS_API_BASE"]
    secret_key = secret_key or os.environ["TOSS_SECRET_KEY"]
    tag = uuid.uuid4().hex[:12]
    plan_id = psql(dsn, "-c", f"INSERT INTO plans (name, price, cycle) VALUES ('seed-{tag}', {price}, 'monthly') "
                              "RETURNING id").splitlines()[0]
    psql(dsn, "-c", f"INSERT INTO users (sub) SELECT 'seed-{tag}-' || g FROM generate_series(1, {n}) g")
    users = psql(dsn, "-c", f"SELECT id FROM users WHERE sub LIKE 'seed-{tag}-%' ORDER BY id").split()
    anchor = month_before(due)
    customers, cards, subs, keys = [], [], [], []
    for user in users:
        customer_key = "ck_" + uuid.uuid4().hex
        card_id, billing_key = str(uuid.uuid4()), base64.urlsafe_b64encode(os.urandom(32)).decode()
        customers.append((user, customer_key))
        cards.append((card_id, user, customer_key, "active", digest(key, "seed-auth-" + card_id),
                      seal(key, billing_key, f"billing_card:{card_id}:billing_key"), digest(key, billing_key),
                      "현대", "123*", str(uuid.uuid4())))
        subs.append((str(uuid.uuid4()), user, plan_id, "active", "monthly", price, anchor, 0, anchor, due))
        keys.append({"billingKey": billing_key, "customerKey": customer_key})
    copy(dsn, "billing_customers", ["user_id", "customer_key"], customers)
    copy(dsn, "billing_cards", ["id", "user_id", "customer_key", "status", "auth_key_digest", "sealed_billing_key",
                                "billing_key_digest", "card_company", "card_last4", "job_id"], cards)
    copy(dsn, "subscriptions", ["id", "user_id", "plan_id", "status", "cycle", "price", "anchor_date", "period",
                                "period_start", "period_end"], subs)
    for at in range(0, len(keys), 2000):  # the sandbox takes bodies up to 1 MB
        body = json.dumps({"keys": keys[at:at + 2000]}).encode()
        req = urllib.request.Request(gateway + "/sandbox/billing", data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", "Basic " + base64.b64encode((secret_key + ":").encode()).decode())
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
    return {"plan_id": int(plan_id), "customer_keys": [k["customerKey"] for k in keys]}

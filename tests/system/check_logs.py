#!/usr/bin/python3
"""After a system test pass: the logs of every product process (and PostgreSQL's) hold no secret, and,
with LOG_FORMAT=json, every line is one JSON object.

  tests/system/check_logs.py STATE_DIR [--json]

Secrets looked for: JWT_SECRET, TOSS_SECRET_KEY (and the Basic credentials made from it),
TOSS_WEBHOOK_SECRET, BILLING_KEY_SECRET, any bearer token (a JWT starts with "eyJ"), every gateway
paymentKey and payment secret the run created (read from the database), every billing key and authKey
the gateway sandbox saw (STATE_DIR/gateway_secrets.txt), and anything shaped like a card number. The logs of
the test tools (the gateway sandbox, the validating proxy) are not the product's and are skipped.
"""
import base64
import glob
import json
import os
import re
import subprocess
import sys

TOOLS = {"sandbox.log", "prism.log"}


def main():
    state, want_json = sys.argv[1], "--json" in sys.argv[2:]
    secrets = {}
    for name in ("JWT_SECRET", "TOSS_SECRET_KEY", "TOSS_WEBHOOK_SECRET", "BILLING_KEY_SECRET"):
        if os.environ.get(name):
            secrets[os.environ[name]] = name
    if os.environ.get("TOSS_SECRET_KEY"):
        secrets[base64.b64encode((os.environ["TOSS_SECRET_KEY"] + ":").encode()).decode()] = "Basic credentials"
    rows = subprocess.run(["psql", os.environ["DATABASE_URL"], "-tAX", "-c",
                           "SELECT payment_key, coalesce(gateway_secret, '') FROM payments "
                           "WHERE coalesce(method, '') <> 'balance'"],
                          check=True, capture_output=True, text=True).stdout.splitlines()
    for row in rows:
        key, secret = row.split("|")
        secrets[key] = "a paymentKey"
        if secret:
            secrets[secret] = "a payment secret"
    # Every billing key and authKey the gateway sandbox saw during the run (it writes them down: a reset
    # of the sandbox between tests forgets them, the file does not).
    recorded = os.path.join(state, "gateway_secrets.txt")
    if os.path.exists(recorded):
        with open(recorded) as f:
            for line in f:
                what, _, secret = line.rstrip("\n").partition(" ")
                if secret:
                    secrets[secret] = what
    patterns = [(re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+"), "a bearer token"),
                (re.compile(r"(?<![\w-])\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}(?![\w-])"), "a card number")]
    files = [f for f in glob.glob(os.path.join(state, "*.log")) + glob.glob(os.path.join(state, "run", "logs", "*.log"))
             + glob.glob(os.path.join(state, "pglog", "*")) if os.path.basename(f) not in TOOLS]
    found, lines, not_json = [], 0, []
    for path in files:
        with open(path, errors="replace") as f:
            for n, line in enumerate(f, 1):
                lines += 1
                for secret, what in secrets.items():
                    if secret and secret in line:
                        found.append(f"{path}:{n}: {what}")
                for pattern, what in patterns:
                    if pattern.search(line):
                        found.append(f"{path}:{n}: {what}")
                product = "/run/logs/" in path or os.path.basename(path) == "api.log"
                if want_json and product and line.strip():
                    try:
                        obj = json.loads(line)
                        assert isinstance(obj, dict) and {"time", "level", "process", "msg"} <= obj.keys()
                    except (ValueError, AssertionError):
                        not_json.append(f"{path}:{n}: {line.strip()[:120]}")
    print(f"checked {lines} log lines in {len(files)} files for {len(secrets)} secrets and 2 patterns")
    for f in found[:20]:
        print("SECRET IN LOG:", f)  # where, and what kind: never the secret itself
    for f in not_json[:20]:
        print("NOT A JSON LOG LINE:", f)
    return 1 if found or not_json else 0


if __name__ == "__main__":
    sys.exit(main())

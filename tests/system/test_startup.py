"""Configuration errors stop every binary at start (exit 2), naming the setting."""
import os
import subprocess

from conftest import BIN, ROOT, STATE


def run(binary, **env):
    base = {"PATH": os.environ["PATH"], "DATABASE_URL": os.environ["DATABASE_URL"], "AMQP_URL": os.environ["AMQP_URL"],
            "JWT_SECRET": "x" * 40, "QUEUES_FILE": os.path.join(ROOT, "queues.yaml"), "API_PORT": "18999"}
    base.update(env)
    return subprocess.run([os.path.join(BIN, binary)], env={k: v for k, v in base.items() if v is not None},
                          capture_output=True, text=True, timeout=20)


def test_each_binary_names_the_bad_setting_and_exits():
    bad_yaml = os.path.join(STATE, "bad-queues.yaml")
    with open(os.path.join(ROOT, "queues.yaml")) as f:
        text = f.read()
    with open(bad_yaml, "w") as f:
        f.write(text.replace("prefetch: 64", "prefetch: lots", 1))
    cases = [
        ("checkout-api", {"API_PORT": "99999"}, "API_PORT"),
        ("checkout-api", {"JWT_SECRET": "short"}, "JWT_SECRET"),
        ("checkout-api", {"DATABASE_URL": None}, "DATABASE_URL"),
        ("worker-order-heavy", {"AMQP_URL": "http://broker"}, "AMQP_URL"),
        ("worker-order-heavy", {"QUEUES_FILE": bad_yaml}, "queues.order_heavy.prefetch"),
        ("outbox-relay", {"QUEUES_FILE": "/nonexistent/queues.yaml"}, "QUEUES_FILE"),
        ("dead-letter-keeper", {"DATABASE_URL": "mysql://nope"}, "DATABASE_URL"),
        ("worker-external-api", {}, "TOSS_API_BASE"),
        ("worker-external-api", {"TOSS_API_BASE": "ftp://gateway", "TOSS_SECRET_KEY": "test_sk_x"}, "TOSS_API_BASE"),
        ("worker-external-api", {"TOSS_API_BASE": "http://127.0.0.1:1"}, "TOSS_SECRET_KEY"),
        ("worker-external-api", {"TOSS_API_BASE": "http://127.0.0.1:1", "TOSS_SECRET_KEY": "test_sk_x",
                                 "TOSS_TIMEOUT_MS": "soon"}, "TOSS_TIMEOUT_MS"),
        ("worker-external-api", {"TOSS_API_BASE": "http://127.0.0.1:1", "TOSS_SECRET_KEY": "test_sk_x"},
         "DATA_PLATFORM_URL"),
        ("worker-payment-confirm", {"DATABASE_URL": None}, "DATABASE_URL"),
        ("worker-points", {"QUEUES_FILE": bad_yaml}, "queues.order_heavy.prefetch"),
        ("checkout-scheduler", {"TOSS_API_BASE": "http://127.0.0.1:1", "TOSS_SECRET_KEY": "test_sk_x",
                                "ORDER_EXPIRY_AFTER": "tomorrow"}, "ORDER_EXPIRY_AFTER"),
    ]
    for binary, env, setting in cases:
        r = run(binary, **env)
        assert r.returncode == 2, (binary, env, r.stderr)
        assert f"configuration error: {setting}" in r.stderr, (binary, r.stderr)

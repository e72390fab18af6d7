#include "infra/core/config.hpp"

#include <catch2/catch.hpp>

#include "domain/points/point_settings.hpp"

using namespace checkout;

namespace {
const char* kValid = R"(
queues:
  order_heavy:
    routing_key: order.heavy
    prefetch: 10
    max_retries: 3
    backoff: {initial: 100ms, multiplier: 2, cap: 2s, jitter: 0.1}
    time_limit: 5s
    dead_letter_queue: order_heavy.dead
    workers: 2
    binary: worker-order-heavy
    job_types: [order.process]
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
    auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    return text.replace(pos, from.size(), to);
}

std::string ErrorSetting(const std::string& yaml) {
    try {
        ParseQueuesYaml(yaml);
    } catch (const ConfigError& e) {
        return e.setting();
    }
    return "<no error>";
}
}  // namespace

TEST_CASE("a valid queues.yaml is read with its defaults") {
    auto cfg = ParseQueuesYaml(kValid);
    REQUIRE(cfg.queues.size() == 1);
    const auto& q = cfg.Queue("order_heavy");
    CHECK(q.type == "quorum");
    CHECK(q.prefetch == 10);
    CHECK(q.backoff.initial == Millis(100));
    CHECK(q.backoff.cap == Millis(2000));
    CHECK(q.time_limit == Millis(5000));
    CHECK(&cfg.QueueForJobType("order.process") == &q);
    CHECK_THROWS_AS(cfg.QueueForJobType("nope"), ConfigError);
}

TEST_CASE("the project's own queues.yaml is valid") {
    auto cfg = LoadQueuesYaml(
        std::string(std::getenv("QUEUES_FILE") ? std::getenv("QUEUES_FILE") : "../queues.yaml"));
    CHECK(cfg.queues.size() == 4);
    for (const char* q : {"payment_confirm", "order_heavy", "points", "external_api"})
        CHECK_NOTHROW(cfg.Queue(q));
}

TEST_CASE("each malformed setting is named in its error") {
    CHECK(ErrorSetting(Replace(kValid, "prefetch: 10", "prefetch: ten")) == "queues.order_heavy.prefetch");
    CHECK(ErrorSetting(Replace(kValid, "prefetch: 10", "prefetch: 0")) == "queues.order_heavy.prefetch");
    CHECK(ErrorSetting(Replace(kValid, "max_retries: 3", "max_retries: -1")) ==
          "queues.order_heavy.max_retries");
    CHECK(ErrorSetting(Replace(kValid, "initial: 100ms", "initial: soon")) ==
          "queues.order_heavy.backoff.initial");
    CHECK(ErrorSetting(Replace(kValid, "multiplier: 2", "multiplier: 0.5")) ==
          "queues.order_heavy.backoff.multiplier");
    CHECK(ErrorSetting(Replace(kValid, "jitter: 0.1", "jitter: 2")) == "queues.order_heavy.backoff.jitter");
    CHECK(ErrorSetting(Replace(kValid, "cap: 2s", "cap: 10ms")) == "queues.order_heavy.backoff.cap");
    CHECK(ErrorSetting(Replace(kValid, "time_limit: 5s", "time_limit: 5 hours")) ==
          "queues.order_heavy.time_limit");
    CHECK(ErrorSetting(Replace(kValid, "workers: 2", "workers: many")) == "queues.order_heavy.workers");
    CHECK(ErrorSetting(Replace(kValid, "job_types: [order.process]", "job_types: []")) ==
          "queues.order_heavy.job_types");
    CHECK(ErrorSetting(Replace(kValid, "    workers: 2\n", "    workers: 2\n    colour: blue\n")) ==
          "queues.order_heavy.colour");
    CHECK(ErrorSetting(Replace(kValid, "    routing_key: order.heavy\n", "")) ==
          "queues.order_heavy.routing_key");
    CHECK(ErrorSetting(Replace(kValid, "prefetch: 10", "type: fancy\n    prefetch: 10")) ==
          "queues.order_heavy.type");
    CHECK(ErrorSetting("queues: [1, 2]") == "queues");
    CHECK(ErrorSetting("queues: {a: [") == "queues.yaml");
}

TEST_CASE("durations") {
    CHECK(ParseDuration("250ms", "x") == Millis(250));
    CHECK(ParseDuration("2s", "x") == Millis(2000));
    CHECK(ParseDuration("5m", "x") == Millis(300000));
    CHECK_THROWS_AS(ParseDuration("0s", "x"), ConfigError);
    CHECK_THROWS_AS(ParseDuration("1h", "x"), ConfigError);
    CHECK_THROWS_AS(ParseDuration("-1s", "x"), ConfigError);
}

namespace {
std::map<std::string, std::string> g_env;
std::optional<std::string> FakeEnv(const char* name) {
    auto it = g_env.find(name);
    if (it == g_env.end()) return std::nullopt;
    return it->second;
}
std::string EnvErrorSetting() {
    try {
        LoadEnvironment({.database = true, .amqp = true, .jwt = true}, FakeEnv);
    } catch (const ConfigError& e) {
        return e.setting();
    }
    return "<no error>";
}
}  // namespace

TEST_CASE("each missing or malformed environment variable is named") {
    g_env = {{"DATABASE_URL", "postgresql://u@h/db"},
             {"AMQP_URL", "amqp://g:g@h:1/%2f"},
             {"JWT_SECRET", std::string(40, 'k')}};
    CHECK(EnvErrorSetting() == "<no error>");
    auto base = g_env;
    g_env.erase("DATABASE_URL");
    CHECK(EnvErrorSetting() == "DATABASE_URL");
    g_env = base;
    g_env["DATABASE_URL"] = "mysql://x";
    CHECK(EnvErrorSetting() == "DATABASE_URL");
    g_env = base;
    g_env["AMQP_URL"] = "http://broker";
    CHECK(EnvErrorSetting() == "AMQP_URL");
    g_env = base;
    g_env["JWT_SECRET"] = "short";
    CHECK(EnvErrorSetting() == "JWT_SECRET");
    g_env = base;
    g_env["API_PORT"] = "80a";
    CHECK(EnvErrorSetting() == "API_PORT");
    g_env["API_PORT"] = "70000";
    CHECK(EnvErrorSetting() == "API_PORT");
    g_env = base;
    g_env["DB_POOL_SIZE"] = "0";
    CHECK(EnvErrorSetting() == "DB_POOL_SIZE");
}

TEST_CASE("AMQP_URL: Celery's // and the spec's %2f both mean the default vhost /") {
    auto a = ParseAmqpUrl("amqp://guest:guest@127.0.0.1:5672//");
    CHECK(a.host == "127.0.0.1");
    CHECK(a.port == 5672);
    CHECK(a.user == "guest");
    CHECK(a.password == "guest");
    CHECK(a.vhost == "/");
    CHECK(ParseAmqpUrl("amqp://guest:guest@127.0.0.1:5672/%2f").vhost == "/");
    CHECK(ParseAmqpUrl("amqp://guest:guest@127.0.0.1:5672/%2F").vhost == "/");
    CHECK(ParseAmqpUrl("amqp://guest:guest@127.0.0.1:5672/").vhost == "/");
    CHECK(ParseAmqpUrl("amqp://guest:guest@127.0.0.1:5672").vhost == "/");
    CHECK(ParseAmqpUrl("amqp://u:p@h/shop").vhost == "shop");
    CHECK(ParseAmqpUrl("amqp://u:p@h/%2fshop").vhost == "/shop");
    CHECK(ParseAmqpUrl("amqp://h").port == 5672);
    auto e = ParseAmqpUrl("amqp://us%40r:p%3Ass@broker.internal:5673/v");
    CHECK(e.user == "us@r");
    CHECK(e.password == "p:ss");
    CHECK(e.host == "broker.internal");
    CHECK(e.port == 5673);
}

TEST_CASE("an AMQP_URL that cannot be parsed is a configuration error naming AMQP_URL") {
    for (const char* bad : {"http://h/", "amqp://", "amqp://u:p@/v", "amqp://h:0/", "amqp://h:99999/",
                            "amqp://h:5x/", "amqp://h/%zz", "amqp://h/%2", "amqp://h/v?x=1",
                            "amqp://h/v?heartbeat=x", "amqp://h/?heartbeat=601", "amqp://h/?heartbeat=2&x=1",
                            "amqp://h/v#f", "amqp://:p@h/", "amqp://ho st/"}) {
        INFO(bad);
        try {
            ParseAmqpUrl(bad);
            FAIL("accepted");
        } catch (const ConfigError& err) {
            CHECK(err.setting() == "AMQP_URL");
        }
    }
}

TEST_CASE("AMQP_URL's ?heartbeat=N sets that node's heartbeat; without it the program's default holds") {
    const auto nodes = ParseAmqpNodes("amqp://g:g@a:1/%2f?heartbeat=2,amqp://b/shop?heartbeat=0,amqp://c/");
    REQUIRE(nodes.size() == 3);
    CHECK((nodes[0].host == "a" && nodes[0].port == 1 && nodes[0].vhost == "/" && nodes[0].heartbeat == 2));
    CHECK((nodes[1].vhost == "shop" && nodes[1].heartbeat == 0));
    CHECK(!nodes[2].heartbeat);
}

TEST_CASE("AMQP_URL may list a cluster's nodes, comma-separated; a bad one is named by its place") {
    const auto one = ParseAmqpNodes("amqp://g:g@h:1/%2f");
    REQUIRE(one.size() == 1);
    CHECK(one[0].host == "h");
    const auto three = ParseAmqpNodes("amqp://u:p%2Cq@a:5672/%2f, amqp://u:p@b:5673/%2f ,amqp://c/shop");
    REQUIRE(three.size() == 3);
    CHECK((three[0].host == "a" && three[0].port == 5672 && three[0].password == "p,q"));
    CHECK((three[1].host == "b" && three[1].port == 5673 && three[1].vhost == "/"));
    CHECK((three[2].host == "c" && three[2].port == 5672 && three[2].vhost == "shop"));
    for (const auto& [bad, says] : std::vector<std::pair<std::string, std::string>>{
             {"amqp://a,", "node 2 is empty"},
             {",amqp://a", "node 1 is empty"},
             {"amqp://a,,amqp://b", "node 2 is empty"},
             {"amqp://a,http://b", "node 2 must start with amqp://"},
             {"amqp://a,amqp://b:99999", "node 2 has a bad port"}}) {
        INFO(bad);
        try {
            ParseAmqpNodes(bad);
            FAIL("accepted");
        } catch (const ConfigError& err) {
            CHECK(err.setting() == "AMQP_URL");
            CHECK_THAT(err.what(), Catch::Matchers::Contains(says));
        }
    }
    std::string many = "amqp://h";
    for (int i = 0; i < 64; ++i) many += ",amqp://h";
    CHECK_THROWS_AS(ParseAmqpNodes(many), ConfigError);
    g_env = {{"DATABASE_URL", "postgresql://u@h/db"},
             {"AMQP_URL", "amqp://g:g@h:1/%2f,amqp://g:g@i:2/%2f"},
             {"JWT_SECRET", std::string(40, 'k')}};
    CHECK(EnvErrorSetting() == "<no error>");
    g_env["AMQP_URL"] = "amqp://g:g@h:1/%2f,";
    CHECK(EnvErrorSetting() == "AMQP_URL");
}

TEST_CASE(
    "LOG_LEVEL, LOG_FORMAT, POINT_RATES, POPULAR_CACHE_TTL, WORKER_DRAIN_TIMEOUT_MS and the scheduler's "
    "durations are validated at start") {
    g_env = {{"DATABASE_URL", "postgresql://u@h/db"},
             {"AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"},
             {"JWT_SECRET", std::string(40, 'k')}};
    CHECK(EnvErrorSetting() == "<no error>");
    auto base = g_env;
    g_env["LOG_LEVEL"] = "verbose";
    CHECK(EnvErrorSetting() == "LOG_LEVEL");
    g_env["LOG_LEVEL"] = "debug";
    CHECK(EnvErrorSetting() == "<no error>");
    g_env["LOG_FORMAT"] = "xml";
    CHECK(EnvErrorSetting() == "LOG_FORMAT");
    g_env["LOG_FORMAT"] = "json";
    CHECK(EnvErrorSetting() == "<no error>");
    g_env = base;
    g_env["POINT_RATES"] = "gold=5";           // no rate for the default grade
    CHECK(EnvErrorSetting() == "<no error>");  // only the points worker reads it
    try {
        LoadPointSettings(FakeEnv);
        FAIL("accepted");
    } catch (const ConfigError& err) {
        CHECK(err.setting() == "POINT_RATES");
    }
    g_env = base;
    g_env["POPULAR_CACHE_TTL"] = "forever";
    CHECK(EnvErrorSetting() == "POPULAR_CACHE_TTL");
    g_env = base;
    g_env["WORKER_DRAIN_TIMEOUT_MS"] = "10s";
    CHECK(EnvErrorSetting() == "WORKER_DRAIN_TIMEOUT_MS");
    g_env["WORKER_DRAIN_TIMEOUT_MS"] = "1500";
    CHECK(LoadEnvironment({}, FakeEnv).drain_timeout == Millis(1500));
    g_env = base;
    g_env["ORDER_EXPIRY_AFTER"] = "soon";
    CHECK_NOTHROW(LoadEnvironment({}, FakeEnv));  // only the scheduler reads it
    try {
        LoadEnvironment({.scheduler = true}, FakeEnv);
        FAIL("accepted");
    } catch (const ConfigError& err) {
        CHECK(err.setting() == "ORDER_EXPIRY_AFTER");
    }
    g_env["ORDER_EXPIRY_AFTER"] = "90s";
    g_env["SCHEDULER_PERIOD"] = "500ms";
    auto env = LoadEnvironment({.scheduler = true}, FakeEnv);
    CHECK(env.order_expiry_after == Millis(90000));
    CHECK(env.scheduler_period == Millis(500));
    CHECK(env.payment_reconcile_after == Millis(600000));
    CHECK(env.job_retention == Millis(14LL * 86400000));
    for (const char* bad : {"14", "0d", "2w", "5m", "-1d", "1.5d"}) {
        g_env["JOB_RETENTION"] = bad;
        try {
            LoadEnvironment({.scheduler = true}, FakeEnv);
            FAIL("accepted JOB_RETENTION=" << bad);
        } catch (const ConfigError& err) {
            CHECK(err.setting() == "JOB_RETENTION");
        }
    }
    g_env["JOB_RETENTION"] = "36h";
    CHECK(LoadEnvironment({.scheduler = true}, FakeEnv).job_retention == Millis(36LL * 3600000));
    g_env["JOB_RETENTION"] = "30d";
    CHECK(LoadEnvironment({.scheduler = true}, FakeEnv).job_retention == Millis(30LL * 86400000));
}

TEST_CASE("RabbitMQ's own delivery limit is only a backstop far above the workers' poison count") {
    QueueConfig q;
    q.delivery_limit = 3;
    CHECK(q.broker_delivery_limit() >= 10 * q.delivery_limit);
}

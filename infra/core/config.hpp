#pragma once
// Configuration: queues.yaml (every queue's policy, DESIGN 4) plus environment variables (DESIGN 7).
// Everything is validated when loaded; a bad value throws ConfigError naming the setting, and the
// binaries print it and exit non-zero before doing any work.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infra/core/error.hpp"

namespace checkout {

using Millis = std::chrono::milliseconds;

struct BackoffPolicy {
    Millis initial{1000};
    double multiplier = 2.0;
    Millis cap{60000};
    double jitter = 0.1;  // fraction: each delay is scaled by a random factor in [1 - jitter, 1 + jitter]
};

struct QueueConfig {
    std::string name;
    std::string routing_key;
    std::string type = "quorum";  // "quorum" or "classic"
    int prefetch = 16;
    int concurrency = 4;  // handler threads per worker process
    int max_retries = 5;
    BackoffPolicy backoff;
    Millis time_limit{30000};
    // Runs started after a crash that never reached an outcome before the job is dead (poison),
    // counted by the workers in PostgreSQL (jobs.crashes), only for the message that was running.
    int delivery_limit = 5;
    std::string dead_letter_queue;
    int workers = 1;  // default worker processes (scripts/start_workers.sh)
    std::string binary;
    std::vector<std::string> job_types;
    int max_in_flight = 0;  // outgoing HTTP calls in flight per process (external-call queues); 0 = prefetch
    // Jobs one handler thread may run in one transaction (one commit) when more are waiting; 1 = each
    // job alone. Transactional handlers only; a batch in which any job fails is run again job by job.
    int batch = 1;

    // RabbitMQ's own delivery limit (x-delivery-limit), a backstop only: the broker raises the count
    // of every unacked message a dying worker held, running or not, so at delivery_limit it would
    // dead-letter innocent neighbours of a poison message (and the messages held through a database
    // outage). The workers' own count above decides; this catches a crash before it is counted.
    int broker_delivery_limit() const { return delivery_limit * 20 + 20; }
};

struct QueuesConfig {
    std::string exchange = "checkout.jobs";
    std::string dead_letter_exchange = "checkout.dead";
    std::vector<QueueConfig> queues;

    const QueueConfig& Queue(const std::string& name) const;
    const QueueConfig* FindQueue(const std::string& name) const;  // nullptr when there is none
    // The queue that runs a job type; throws ConfigError if none does.
    const QueueConfig& QueueForJobType(const std::string& job_type) const;
};

// Parses queues.yaml text. `source` names the file in error messages.
QueuesConfig ParseQueuesYaml(const std::string& yaml_text, const std::string& source = "queues.yaml");
QueuesConfig LoadQueuesYaml(const std::string& path);

// Duration strings as written in queues.yaml: "250ms", "2s", "5m".
Millis ParseDuration(const std::string& text, const std::string& setting);
// Long durations, days or hours: "14d", "36h"; at least 1h.
Millis ParseLongDuration(const std::string& text, const std::string& setting);

// Environment, read through a lookup function so that tests can supply their own.
using EnvLookup = std::optional<std::string> (*)(const char* name);
std::optional<std::string> ProcessEnv(const char* name);

// AMQP_URL split into its parts (amqp://user:pass@host:port/vhost, percent-decoded). As in Celery and
// the AMQP URI spec, `…//` and `…/%2f` both name the default vhost `/`; no path means `/` too.
struct AmqpAddress {
    std::string user = "guest";
    std::string password = "guest";
    std::string host = "localhost";
    int port = 5672;
    std::string vhost = "/";
    // ?heartbeat=N (the RabbitMQ URI spec's query parameter): seconds between heartbeats on this
    // connection; a peer silent for two of them is taken for dead. A short one lets the broker give a
    // cut-off worker's unacked messages to another one sooner. Unset: the program's own default.
    std::optional<int> heartbeat;
};
// Throws ConfigError("AMQP_URL", …) for anything that is not such a URL.
AmqpAddress ParseAmqpUrl(const std::string& url);
// AMQP_URL names one broker node or, comma-separated, the nodes of one cluster
// ("amqp://u:p@10.0.0.1:5672/%2f,amqp://u:p@10.0.0.2:5672/%2f"; a comma in a password is %2C).
// Processes connect to a live one of them (AmqpConnection). Throws ConfigError("AMQP_URL", …) naming
// the node at fault.
using AmqpNodes = std::vector<AmqpAddress>;
AmqpNodes ParseAmqpNodes(const std::string& urls);

struct Environment {
    std::string database_url;
    std::string amqp_url;
    AmqpNodes amqp;  // amqp_url, parsed at start: one node or the nodes of a cluster
    std::string jwt_secret;
    int api_port = 8080;
    std::string queues_file = "queues.yaml";
    std::string gates_file = "gates.yaml";  // GATES_FILE (API): release gates; none if the default is absent
    bool gates_file_given = false;
    int api_threads = 16;  // handler threads (Pistache reactor threads only do I/O)
    int db_pool_size = 16;
    // The payment gateway and the data platform (services that call out).
    std::string toss_api_base;       // TOSS_API_BASE
    std::string toss_secret_key;     // TOSS_SECRET_KEY (never logged)
    Millis gateway_timeout{10000};   // TOSS_TIMEOUT_MS: total time allowed for one gateway call
    std::string data_platform_url;   // DATA_PLATFORM_URL
    std::string log_level = "info";  // LOG_LEVEL: debug, info, warn, error
    std::optional<Millis>
        drain_timeout;  // WORKER_DRAIN_TIMEOUT_MS (workers; default: the queue's time_limit)
    // The scheduler's durations (ORDER_EXPIRY_AFTER, PAYMENT_RECONCILE_AFTER, SCHEDULER_PERIOD,
    // JOB_RETENTION: how long finished jobs stay readable).
    Millis order_expiry_after{30 * 60 * 1000};
    Millis payment_reconcile_after{10 * 60 * 1000};
    Millis scheduler_period{30 * 1000};
    Millis job_retention{14LL * 24 * 3600 * 1000};
    // POPULAR_CACHE_TTL: how long GET /api/v1/products/popular answers from memory.
    Millis popular_ttl{10000};
    // METRICS_PORT (workers, relay, keeper, scheduler): where this process serves its own GET
    // /metrics; 0 picks a free port (logged, and written to METRICS_PORT_FILE when set, which the
    // supervisor does); "off" serves none.
    std::optional<int> metrics_port = 0;
    std::string metrics_port_file;
    // METRICS_BIND: the address those per-process listeners bind (default 127.0.0.1: a process's
    // figures are for a scraper on the same host unless the operator says otherwise).
    std::string metrics_bind = "127.0.0.1";
    // METRICS_TOKEN (API): a bearer token, besides an admin's, that may read GET /metrics/fleet (the
    // generated Prometheus configuration sends it). Empty: admin tokens only.
    std::string metrics_token;
    // RATE_LIMIT_PER_USER, RATE_LIMIT_BURST (API): each buyer's requests per second and the burst
    // above it; 0 turns the limit off (single-buyer benchmarks).
    int rate_limit_per_user = 20;
    int rate_limit_burst = 40;
    // ACCEPT_GROUP_MAX, ACCEPT_GROUP_WAIT_US (API): group commit of plain orders. Orders arriving
    // while a group is being committed wait for it (up to the wait) and go together, at most this
    // many, in one statement and one commit. 1 turns grouping off.
    int accept_group_max = 32;
    int accept_group_wait_us = 2000;
};

struct EnvNeeds {
    bool database = true;
    bool amqp = true;
    bool jwt = false;
    bool gateway = false;        // TOSS_API_BASE, TOSS_SECRET_KEY
    bool data_platform = false;  // DATA_PLATFORM_URL
    bool scheduler = false;  // ORDER_EXPIRY_AFTER, PAYMENT_RECONCILE_AFTER, SCHEDULER_PERIOD, JOB_RETENTION
};

Environment LoadEnvironment(EnvNeeds needs, EnvLookup lookup = ProcessEnv);

// A whole number setting in [lo, hi]; `fallback` when unset. Throws ConfigError naming it.
int EnvInt(EnvLookup lookup, const char* name, int fallback, int lo, int hi);

// Runs `load`; on a ConfigError prints "configuration error: SETTING: problem" to stderr and returns
// false (the caller exits 2). Settings of one program's own (e.g. the points worker's) load through it.
bool ReportConfigError(const std::function<void()>& load);

// For a service's main(): loads the environment and queues.yaml; on a ConfigError prints
// "configuration error: SETTING: problem" to stderr and returns false (the caller exits 2).
bool LoadServiceConfig(EnvNeeds needs, Environment& env, QueuesConfig& queues);

}  // namespace checkout

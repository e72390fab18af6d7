#pragma once
// What every route handler may use: configuration, the database pool, the user directory, the
// status cache.

#include "api/accept_group.hpp"
#include "api/broker_stats.hpp"
#include "api/executor.hpp"
#include "api/ops/kpis.hpp"
#include "api/pg_pool.hpp"
#include "api/rate_limiter.hpp"
#include "api/status_cache.hpp"
#include "api/ttl_cache.hpp"
#include "domain/users/user_store.hpp"
#include "infra/core/config.hpp"
#include "infra/crypto/secret_box.hpp"

namespace checkout::api {

struct App {
    App(Environment e, QueuesConfig q)
        : env(std::move(e)),
          queues(std::move(q)),
          pool(env.database_url, env.db_pool_size),
          executor(env.api_threads, kMaxQueuedRequests),
          statuses(env.database_url, kMaxCachedStatuses),
          popular(env.popular_ttl),
          broker(env.amqp),
          rate_limiter(env.rate_limit_per_user, env.rate_limit_burst),
          accept_group(pool, queues, env.accept_group_max,
                       std::chrono::microseconds(env.accept_group_wait_us)) {}
    // Requests waiting for a handler thread beyond this are answered 503 at once.
    static constexpr std::size_t kMaxQueuedRequests = 20000;
    // Order and payment statuses kept in memory (about 1 KB each).
    static constexpr std::size_t kMaxCachedStatuses = 20000;
    Environment env;
    QueuesConfig queues;
    PgPool pool;
    UserDirectory users;
    Executor executor;
    StatusCache statuses;
    TtlCache popular;                              // GET /api/v1/products/popular
    std::map<std::string, Gate> gates;             // GET /ops/gates/{name}, from GATES_FILE
    BrokerStats broker;                            // queue depths for GET /metrics, over one kept connection
    RateLimiter rate_limiter;                      // RATE_LIMIT_PER_USER, applied once the caller is known
    AcceptGroup accept_group;                      // POST /api/v1/orders: plain orders committed in groups
    std::shared_ptr<const SecretBox> billing_box;  // BILLING_KEY_SECRET: seals the widget's authKeys
    std::string billing_timezone;                  // BILLING_TIMEZONE: the calendar periods are counted in
};

}  // namespace checkout::api

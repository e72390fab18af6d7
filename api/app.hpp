#pragma once
// What every route handler may use: configuration, the database pool, the user directory.

#include "api/executor.hpp"
#include "common/config.hpp"
#include "common/pg_pool.hpp"
#include "common/user_store.hpp"

namespace checkout::api {

struct App {
    App(Environment e, QueuesConfig q)
        : env(std::move(e)),
          queues(std::move(q)),
          pool(env.database_url, env.db_pool_size),
          executor(env.api_threads, kMaxQueuedRequests) {}
    // Requests waiting for a handler thread beyond this are answered 503 at once.
    static constexpr std::size_t kMaxQueuedRequests = 20000;
    Environment env;
    QueuesConfig queues;
    PgPool pool;
    UserDirectory users;
    Executor executor;
};

}  // namespace checkout::api

#pragma once
// What every route handler may use: configuration, the database pool, the user directory.
#include <atomic>
#include <chrono>
#include <mutex>

#include "common/config.hpp"
#include "common/pg_pool.hpp"
#include "common/user_store.hpp"

namespace checkout::api {

struct App {
    App(Environment e, QueuesConfig q) : env(std::move(e)), queues(std::move(q)), pool(env.database_url, env.db_pool_size) {}
    Environment env;
    QueuesConfig queues;
    PgPool pool;
    UserDirectory users;
};

}  // namespace checkout::api

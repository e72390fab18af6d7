#pragma once
// A fixed-size pool of PostgreSQL connections. acquire() waits up to a deadline and then throws
// AppError(kUnavailable), which the API answers as 503: a saturated database sheds load instead of
// queueing requests without bound. Broken connections are dropped on release and replaced lazily.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

class PgPool {
  public:
    class Lease {
      public:
        Lease(PgPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (pool_ && conn_) pool_->release(std::move(conn_));
        }
        PgConnection& operator*() { return *conn_; }
        PgConnection* operator->() { return conn_.get(); }

      private:
        PgPool* pool_;
        std::unique_ptr<PgConnection> conn_;
    };

    PgPool(std::string url, int size);
    Lease acquire(std::chrono::milliseconds wait = std::chrono::milliseconds(2000));

  private:
    void release(std::unique_ptr<PgConnection> conn);

    std::string url_;
    int size_;
    int open_ = 0;  // connections alive, idle or leased
    std::vector<std::unique_ptr<PgConnection>> idle_;
    std::mutex mu_;
    std::condition_variable cv_;
};

}  // namespace checkout

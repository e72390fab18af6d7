#pragma once
// Users are created on first sight of a token's `sub` (DESIGN 6). The id is cached per process: a
// user row never changes its id, so the cache cannot go stale.
#include <mutex>
#include <string>
#include <unordered_map>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

class UserDirectory {
  public:
    long long IdFor(PgConnection& conn, const std::string& sub);

  private:
    std::mutex mu_;
    std::unordered_map<std::string, long long> cache_;
};

}  // namespace checkout

#include "domain/users/user_store.hpp"

namespace checkout {

long long UserDirectory::IdFor(PgConnection& conn, const std::string& sub) {
    {
        std::lock_guard lock(mu_);
        if (auto it = cache_.find(sub); it != cache_.end()) return it->second;
    }
    // The no-op update makes RETURNING yield the row whether it was inserted now or before.
    auto r = conn.exec(
        "INSERT INTO users (sub) VALUES ($1) ON CONFLICT (sub) DO UPDATE SET sub = EXCLUDED.sub "
        "RETURNING id",
        {sub});
    const long long id = r.integer(0, 0);
    std::lock_guard lock(mu_);
    if (cache_.size() > 200000) cache_.clear();
    cache_.emplace(sub, id);
    return id;
}

}  // namespace checkout

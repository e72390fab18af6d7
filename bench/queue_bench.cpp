// checkout-queue-bench: seeds jobs through the same job store the services use, and measures how
// they drain, from the jobs table. Driven by bench/queue_runtime.sh.
//
//   checkout-queue-bench orders N PRODUCTS        N pending orders (order.process) over PRODUCTS products
//   checkout-queue-bench orders-open RATE SECONDS PRODUCTS   the same at a fixed rate (open loop)
//   checkout-queue-bench hooks TYPE N FAIL_PERCENT  N test-hook jobs; FAIL_PERCENT of test.flaky fail once
//   checkout-queue-bench wait SINCE_EPOCH N [T0_EPOCH]
//                                                waits until the N jobs created since SINCE are final;
//                                                prints jobs/s (counted from T0, default SINCE) and
//                                                created->finished p50/p99
// Environment: DATABASE_URL, QUEUES_FILE.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "domain/orders/order_store.hpp"
#include "infra/core/config.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

using namespace checkout;

namespace {

double Now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<long long> Products(PgConnection& db, int count) {
    auto r = db.exec(
        "INSERT INTO products (name, price, stock) SELECT 'queue-bench', 1000, 1000000000 "
        "FROM generate_series(1, $1) RETURNING id",
        {count});
    std::vector<long long> ids;
    for (int i = 0; i < r.rows(); ++i) ids.push_back(r.integer(i, 0));
    return ids;
}

long long BenchUser(PgConnection& db) {
    return db
        .exec(
            "INSERT INTO users (sub) VALUES ('queue-bench') ON CONFLICT (sub) DO UPDATE SET sub = "
            "EXCLUDED.sub "
            "RETURNING id")
        .integer(0, 0);
}

// One pending order with its job and outbox row, as POST /api/v1/orders writes them.
void InsertOrder(PgTransaction& tx, const QueuesConfig& cfg, long long user, long long product) {
    const std::string order_id = NewUuid();
    auto job = InsertJob(tx, cfg, NewUuid(), kProcessOrderJob, ProcessOrderPayload{order_id}.ToJson());
    std::string hex = order_id;
    std::erase(hex, '-');
    tx.exec(
        "INSERT INTO orders (id, order_number, user_id, status, requested_items, shipping, total_amount, "
        "final_amount, job_id) VALUES ($1, $2, $3, 'pending', $4::jsonb, '{}'::jsonb, 1000, 1000, $5)",
        {order_id, "QB-" + hex, user,
         "[{\"product_id\":" + std::to_string(product) + ",\"quantity\":1,\"unit_price\":1000}]", job.id});
}

double Pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * (v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> a(argv + 1, argv + argc);
    if (a.empty()) {
        std::fprintf(stderr, "see the comment at the top of bench/queue_bench.cpp\n");
        return 2;
    }
    auto env = LoadEnvironment({.database = true, .amqp = false, .jwt = false});
    auto cfg = LoadQueuesYaml(env.queues_file);
    PgConnection db(env.database_url);

    if (a[0] == "orders" && a.size() == 3) {
        const int n = std::stoi(a[1]);
        const auto products = Products(db, std::stoi(a[2]));
        const long long user = BenchUser(db);
        PgTransaction tx(db);
        for (int i = 0; i < n; ++i) InsertOrder(tx, cfg, user, products[i % products.size()]);
        tx.commit();
        return 0;
    }
    if (a[0] == "orders-open" && a.size() == 4) {
        const int rate = std::stoi(a[1]), seconds = std::stoi(a[2]);
        const auto products = Products(db, std::stoi(a[3]));
        const long long user = BenchUser(db);
        const double start = Now();
        for (int i = 0; i < rate * seconds; ++i) {
            const double at = start + static_cast<double>(i) / rate;
            if (at > Now()) std::this_thread::sleep_for(std::chrono::duration<double>(at - Now()));
            PgTransaction tx(db);
            InsertOrder(tx, cfg, user, products[i % products.size()]);
            tx.commit();
        }
        return 0;
    }
    if (a[0] == "hooks" && a.size() == 4) {
        const int n = std::stoi(a[2]), fail_percent = std::stoi(a[3]);
        PgTransaction tx(db);
        for (int i = 0; i < n; ++i) {
            const bool fails = fail_percent > 0 && i % (100 / fail_percent) == 0;
            // A key per job: a shared key would make every job update one hot row.
            const std::string payload = a[1] == "test.flaky"
                                            ? "{\"key\":\"qb-" + NewUuid() +
                                                  "\",\"fail_times\":" + std::string(fails ? "1" : "0") + "}"
                                            : "{}";
            InsertJob(tx, cfg, NewUuid(), a[1], payload);
        }
        tx.commit();
        return 0;
    }
    if (a[0] == "wait" && a.size() == 4) {
        // wait SINCE_XID N T0: the jobs inserted by transactions from SINCE_XID on (the publish_xid index
        // finds them without scanning a large table every 100 ms), timed from the Unix time T0.
        const std::string since = a[1];
        const std::string t0 = a[3];
        const long long n = std::stoll(a[2]);
        const std::string where = "publish_xid >= '" + since + "'::xid8";
        if (db.exec("SELECT count(*) FROM jobs WHERE " + where).integer(0, 0) < n) {
            std::fprintf(stderr, "fewer than %lld jobs were created since transaction %s\n", n,
                         since.c_str());
            return 1;
        }
        while (
            db.exec("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'retrying') AND " + where)
                .integer(0, 0) > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto r = db.exec(
            "SELECT EXTRACT(EPOCH FROM finished_at - created_at), EXTRACT(EPOCH FROM finished_at) - " + t0 +
            ", state, attempts FROM jobs WHERE " + where);
        std::vector<double> latency;
        double last = 0, last_first_try = 0;
        int not_succeeded = 0, first_try = 0;
        for (int i = 0; i < r.rows(); ++i) {
            latency.push_back(std::stod(r.str(i, 0)));
            const double fin = std::stod(r.str(i, 1));
            last = std::max(last, fin);
            if (r.get(i, 2) != "succeeded") ++not_succeeded;
            if (r.integer(i, 3) == 1) {
                ++first_try;
                last_first_try = std::max(last_first_try, fin);
            }
        }
        std::printf(
            "%d jobs final in %.2f s = %.0f jobs/s; created->finished p50 %.1f ms p99 %.1f ms; not "
            "succeeded: %d; "
            "first-try jobs %d at %.0f/s\n",
            r.rows(), last, r.rows() / last, Pct(latency, 50) * 1e3, Pct(latency, 99) * 1e3, not_succeeded,
            first_try, first_try / std::max(last_first_try, 1e-9));
        return 0;
    }
    std::fprintf(stderr, "unknown command; see bench/queue_bench.cpp\n");
    return 2;
}

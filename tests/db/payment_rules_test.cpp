// Issue 9's rules at the database level: releasing an order, what the gateway says about a payment
// (late approvals, cancels before finalize, answers about another paymentKey), expiry next to a live
// payment, points after a refund, and the workers' own poison count.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "domain/orders/order_release.hpp"
#include "domain/payments/payment_transitions.hpp"
#include "domain/points/point_store.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/runtime/executor.hpp"
#include "jobs/store/dead_letters.hpp"
#include "jobs/store/job_store.hpp"
#include "tests/db/support.hpp"
#include "workers/payment_confirm/handler.hpp"
#include "workers/points/handler.hpp"
#include "workers/scheduler/order_expiry.hpp"

using namespace checkout;
using checkout::testing::DbUrl;
using checkout::testing::Queues;

namespace {

struct Fixture {
    PgConnection c{DbUrl()};
    long long user = 0, product = 0;
    std::string order_id, order_number;

    // A `confirmed` order of 2 units (stock 10 -> 8), as the order-heavy worker leaves it.
    explicit Fixture(const std::string& status = "confirmed", const std::string& age = "0 s") {
        user = c.exec("INSERT INTO users (sub) VALUES ($1) RETURNING id", {NewUuid()}).integer(0, 0);
        product = c.exec(
                       "INSERT INTO products (name, price, stock, sold_count) VALUES ('rules', 1000, 8, $1) "
                       "RETURNING id",
                       {status == "paid" ? 2LL : 0LL})
                      .integer(0, 0);
        order_id = NewUuid();
        order_number = "R" + order_id.substr(24);  // the random end of the id
        PgTransaction tx(c);
        auto job = InsertJob(tx, Queues(), NewUuid(), "order.process", "{\"order_id\":\"" + order_id + "\"}");
        tx.exec(
            "INSERT INTO orders (id, order_number, user_id, status, requested_items, shipping, total_amount, "
            "final_amount, job_id, created_at) VALUES ($1, $2, $3, $4, '[]', '{}', 2000, 2000, $5, now() - "
            "$6::interval)",
            {order_id, order_number, user, status, job.id, age});
        tx.exec(
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES ($1, $2, 2, 1000)",
            {order_id, product});
        // An order placed `age` ago was above the scheduler's floor of open orders then (migration 019).
        tx.exec(
            "UPDATE orders_open_floor SET floor_at = least(floor_at, now() - $1::interval - interval '1 s')",
            {age});
        tx.commit();
    }

    std::string Payment(const std::string& status, bool approved = false,
                        const std::string& failure_code = "") {
        const std::string id = NewUuid();
        PgTransaction tx(c);
        auto job = InsertJob(tx, Queues(), NewUuid(), kCallGatewayJob, PaymentPayload{id}.ToJson());
        tx.exec(
            "INSERT INTO payments (id, order_id, user_id, payment_key, amount, status, approved, job_id, "
            "failure_code) "
            "VALUES ($1, $2, $3, $4, 2000, $5, $6, $7, nullif($8, ''))",
            {id, order_id, user, "pk_" + id, status, approved, job.id, failure_code});
        tx.commit();
        return id;
    }

    std::string One(const std::string& sql, const std::string& id) { return c.exec(sql, {id}).str(0, 0); }
    std::string OrderStatus() { return One("SELECT status FROM orders WHERE id = $1", order_id); }
    std::string PaymentStatus(const std::string& p) {
        return One("SELECT status FROM payments WHERE id = $1", p);
    }
    long long Stock() { return c.exec("SELECT stock FROM products WHERE id = $1", {product}).integer(0, 0); }
    long long Points() { return PointBalance(c, user); }
    long long LedgerSum() {
        return c.exec("SELECT coalesce(sum(amount), 0) FROM point_ledger WHERE user_id = $1", {user})
            .integer(0, 0);
    }
};

TossPayment Gateway(const std::string& payment_id, const std::string& status) {
    TossPayment g;
    g.payment_key = "pk_" + payment_id;
    g.status = status;
    g.total_amount = 2000;
    g.method = "카드";
    g.secret = "ps_secret";
    return g;
}

Outcome EarnPoints(PgTransaction& tx, const Job& job) {
    static const PointSettings points;  // the default rates: basic earns 1%
    return EarnPointsHandler(points)(tx, job);
}

Job EarnJob(const Fixture& f) {
    Job j;
    j.id = NewUuid();
    j.type = kEarnPointsJob;
    j.payload_json =
        "{\"order_id\":\"" + f.order_id + "\",\"user_id\":" + std::to_string(f.user) + ",\"amount\":2000}";
    return j;
}

}  // namespace

TEST_CASE("releasing a paid order gives back its stock, its sold count and the points it earned, once") {
    Fixture f("paid");
    {
        PgTransaction tx(f.c);
        CHECK(EarnPoints(tx, EarnJob(f)).succeeded);
        tx.commit();
    }
    REQUIRE(f.Points() == 20);
    {
        PgTransaction tx(f.c);
        CHECK(ReleaseOrder(tx, f.order_id, "paid", "canceled"));
        CHECK_FALSE(ReleaseOrder(tx, f.order_id, "paid", "canceled"));  // a retry or a duplicate event
        tx.commit();
    }
    CHECK(f.OrderStatus() == "canceled");
    CHECK(f.Stock() == 10);
    CHECK(f.c.exec("SELECT sold_count FROM products WHERE id = $1", {f.product}).integer(0, 0) == 0);
    CHECK(f.Points() == 0);
    CHECK(f.LedgerSum() == 0);  // the ledger explains the balance
    // points.earn delivered again after the refund: the order is no longer paid, nothing is earned.
    {
        PgTransaction tx(f.c);
        CHECK(EarnPoints(tx, EarnJob(f)).succeeded);
        tx.commit();
    }
    CHECK(f.Points() == 0);
}

TEST_CASE("points.earn for an order canceled before it runs earns nothing") {
    Fixture f("canceled");
    PgTransaction tx(f.c);
    CHECK(EarnPoints(tx, EarnJob(f)).succeeded);
    tx.commit();
    CHECK(f.Points() == 0);
    CHECK(f.LedgerSum() == 0);
}

TEST_CASE(
    "an approval arriving after the reconciler gave up is refunded, even while the buyer's next payment is "
    "live") {
    Fixture f;
    const auto a = f.Payment("failed", false, kNotConfirmedCode);
    const auto b = f.Payment("in_progress");  // the buyer paid again
    {
        PgTransaction tx(f.c);
        CHECK(ApplyGatewayPayment(tx, Queues(), a, Gateway(a, "DONE")) == GatewayVerdict::kApproved);
        tx.commit();
    }
    CHECK(f.PaymentStatus(a) == "refunding");
    CHECK(f.One("SELECT type FROM jobs WHERE id = (SELECT refund_job_id FROM payments WHERE id = $1)", a) ==
          kCancelPaymentJob);
    CHECK(f.PaymentStatus(b) == "in_progress");
}

TEST_CASE("a cancel at the gateway between approval and finalize leaves the order unpaid") {
    Fixture f;
    const auto p = f.Payment("in_progress");
    {
        PgTransaction tx(f.c);
        REQUIRE(ApplyGatewayPayment(tx, Queues(), p, Gateway(p, "DONE")) == GatewayVerdict::kApproved);
        CHECK(ApplyGatewayPayment(tx, Queues(), p, Gateway(p, "CANCELED")) == GatewayVerdict::kCanceled);
        tx.commit();
    }
    CHECK(f.PaymentStatus(p) == "canceled");
    Job finalize{NewUuid(), kFinalizePaymentJob, "payment_confirm", PaymentPayload{p}.ToJson(), 1, "", ""};
    {
        PgTransaction tx(f.c);
        CHECK(FinalizePayment(Queues())(tx, finalize).succeeded);
        tx.commit();
    }
    CHECK(f.OrderStatus() == "confirmed");  // not paid: the gateway holds no money for it
    CHECK(f.PaymentStatus(p) == "canceled");
}

TEST_CASE("a cancel at the gateway after finalize undoes the sale") {
    Fixture f("paid");
    const auto p = f.Payment("done", true);
    PgTransaction tx(f.c);
    CHECK(ApplyGatewayPayment(tx, Queues(), p, Gateway(p, "CANCELED")) == GatewayVerdict::kCanceled);
    tx.commit();
    CHECK(f.PaymentStatus(p) == "canceled");
    CHECK(f.OrderStatus() == "canceled");
    CHECK(f.Stock() == 10);
}

TEST_CASE("an answer about another paymentKey of the same order changes nothing") {
    Fixture f;
    const auto p = f.Payment("in_progress");
    auto other = Gateway(p, "DONE");
    other.payment_key = "pk_someone_elses_attempt";
    PgTransaction tx(f.c);
    CHECK(ApplyGatewayPayment(tx, Queues(), p, other) == GatewayVerdict::kOtherPayment);
    tx.commit();
    CHECK(f.PaymentStatus(p) == "in_progress");
    CHECK(f.One("SELECT approved::text FROM payments WHERE id = $1", p) == "false");
}

TEST_CASE("a payment approved without a secret stores none, never an empty one") {
    Fixture f;
    const auto p = f.Payment("in_progress");
    auto g = Gateway(p, "DONE");
    g.secret.clear();
    PgTransaction tx(f.c);
    ApplyGatewayPayment(tx, Queues(), p, g);
    tx.commit();
    CHECK(f.c.exec("SELECT gateway_secret FROM payments WHERE id = $1", {p}).is_null(0, 0));
}

TEST_CASE("expiry spares an order whose payment is at the gateway, and releases the others") {
    Fixture paying("confirmed", "2 hours"), idle("confirmed", "2 hours");
    paying.Payment("in_progress");
    ExpireUnpaidOrders(paying.c, Millis(60 * 60 * 1000));
    CHECK(paying.OrderStatus() == "confirmed");
    CHECK(idle.OrderStatus() == "expired");
    CHECK(idle.Stock() == 10);
    CHECK(paying.Stock() == 8);
}

TEST_CASE("expiry reads above a floor that no open order is below; a replayed order job lowers it") {
    // A pending order of two days ago whose job died: it holds nothing, and keeps no floor down.
    Fixture stuck("pending", "2 days");
    const auto job_id = stuck.One("SELECT job_id::text FROM orders WHERE id = $1", stuck.order_id);
    stuck.c.exec(  // made with its order, as the API makes them
        "UPDATE jobs SET state = 'dead', created_at = (SELECT created_at FROM orders WHERE job_id = jobs.id) "
        "WHERE id = $1",
        {job_id});
    Fixture idle("confirmed", "2 hours");
    ExpireUnpaidOrders(stuck.c, Millis(60 * 60 * 1000));
    CHECK(idle.OrderStatus() == "expired");
    CHECK(idle.Stock() == 10);  // its 2 units back, once
    auto floor_above = [&](const std::string& order_id) {
        return stuck.c
            .exec("SELECT (SELECT floor_at FROM orders_open_floor) > created_at FROM orders WHERE id = $1",
                  {order_id})
            .boolean(0, 0);
    };
    CHECK(floor_above(stuck.order_id));
    CHECK(
        stuck.c.exec("SELECT floor_at <= now() - interval '1 minute' FROM orders_open_floor").boolean(0, 0));
    // An operator replays the dead job: the order is open again, and so below the floor no more.
    REQUIRE(ReplayDeadLetters(stuck.c, Queues(), "order_heavy", job_id).size() == 1);
    CHECK_FALSE(floor_above(stuck.order_id));
    // The replay confirms it (as the order-heavy worker would); left unpaid, it expires.
    stuck.c.exec("UPDATE orders SET status = 'confirmed' WHERE id = $1", {stuck.order_id});
    ExpireUnpaidOrders(stuck.c, Millis(60 * 60 * 1000));
    CHECK(stuck.OrderStatus() == "expired");
    CHECK(stuck.Stock() == 10);
    ExpireUnpaidOrders(stuck.c, Millis(60 * 60 * 1000));  // a second run gives nothing back twice
    CHECK(stuck.Stock() == 10);
    CHECK(idle.Stock() == 10);
}

TEST_CASE("the workers' poison count: a job started delivery_limit times after crashes is dead at the next") {
    PgConnection c(DbUrl());
    const auto& q = Queues().Queue("order_heavy");
    Job job;
    {
        PgTransaction tx(c);
        job = InsertJob(tx, Queues(), NewUuid(), "order.process", "{\"order_id\":\"" + NewUuid() + "\"}");
        tx.commit();
    }
    const auto body = EnvelopeJson(job);
    for (int i = 0; i < q.delivery_limit; ++i) CHECK_FALSE(CountRedeliveredRun(c, q, body).has_value());
    auto dead = CountRedeliveredRun(c, q, body);
    REQUIRE(dead.has_value());
    CHECK(dead->settlement == Settlement::kDeadLetter);
    auto row = c.exec("SELECT state, last_error FROM jobs WHERE id = $1", {job.id});
    CHECK(row.str(0, 0) == "dead");
    CHECK(row.str(0, 1).rfind("POISON", 0) == 0);
    // A finished job's redelivery is left to the duplicate path.
    CHECK_FALSE(CountRedeliveredRun(c, q, body).has_value());
}

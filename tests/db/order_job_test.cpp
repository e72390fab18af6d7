// The worker contract (job_executor) and the order handler against the real PostgreSQL.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "domain/orders/order_request.hpp"
#include "domain/orders/order_store.hpp"
#include "infra/core/error.hpp"
#include "infra/core/uuid.hpp"
#include "infra/pg/pg_array.hpp"
#include "jobs/runtime/executor.hpp"
#include "jobs/store/job_store.hpp"
#include "tests/db/support.hpp"
#include "workers/order_heavy/handler.hpp"

using namespace checkout;
using checkout::testing::DbUrl;
using checkout::testing::Queues;

namespace {

long long NewProduct(PgConnection& c, long long stock) {
    return c
        .exec("INSERT INTO products (name, price, stock) VALUES ('db-test', 1000, $1) RETURNING id", {stock})
        .integer(0, 0);
}

long long Stock(PgConnection& c, long long product) {
    return c.exec("SELECT stock FROM products WHERE id = $1", {product}).integer(0, 0);
}

// Places a pending order for `lines` the way the API does and returns its message body.
std::string PlacePending(PgConnection& c, const std::vector<std::pair<long long, int>>& lines,
                         std::string* order_id) {
    const auto user = c.exec("INSERT INTO users (sub) VALUES ($1) RETURNING id", {NewUuid()}).integer(0, 0);
    std::string items = "[";
    for (std::size_t i = 0; i < lines.size(); ++i)
        items += (i ? "," : "") + std::string("{\"product_id\":") + std::to_string(lines[i].first) +
                 ",\"quantity\":" + std::to_string(lines[i].second) + ",\"unit_price\":1000}";
    items += "]";
    *order_id = NewUuid();
    PgTransaction tx(c);
    auto job = InsertJob(tx, Queues(), NewUuid(), "order.process", "{\"order_id\":\"" + *order_id + "\"}");
    tx.exec(
        "INSERT INTO orders (id, order_number, user_id, status, requested_items, shipping, total_amount, "
        "final_amount, job_id) "
        "VALUES ($1, $2, $3, 'pending', $4::jsonb, '{}'::jsonb, 0, 0, $5)",
        {*order_id, "T" + std::string(*order_id).substr(24), user, items, job.id});
    tx.commit();
    return EnvelopeJson(job);
}

std::string Column(PgConnection& c, const std::string& sql, const std::string& id) {
    return c.exec(sql, {id}).str(0, 0);
}

HandlerRegistry OrderHandlers() { return {{"order.process", ProcessOrder}}; }

}  // namespace

TEST_CASE("an order is confirmed once however often its job is delivered") {
    PgConnection c(DbUrl());
    const auto p1 = NewProduct(c, 5), p2 = NewProduct(c, 5);
    std::string order_id;
    const auto body = PlacePending(c, {{p1, 2}, {p2, 1}, {p1, 1}}, &order_id);
    const auto& q = Queues().Queue("order_heavy");

    auto first = ExecuteJob(c, q, OrderHandlers(), body);
    CHECK(first.settlement == Settlement::kAck);
    auto second = ExecuteJob(c, q, OrderHandlers(), body);  // a redelivery
    CHECK(second.settlement == Settlement::kAck);

    CHECK(Stock(c, p1) == 2);  // 5 - (2 + 1): lines of one product count together, once
    CHECK(Stock(c, p2) == 4);
    CHECK(Column(c, "SELECT status FROM orders WHERE id = $1", order_id) == "confirmed");
    CHECK(
        c.exec("SELECT count(*), sum(quantity) FROM order_items WHERE order_id = $1", {order_id}).str(0, 1) ==
        "4");
    CHECK(Column(c, "SELECT state FROM jobs WHERE id = (SELECT job_id FROM orders WHERE id = $1)",
                 order_id) == "succeeded");
    CHECK(Column(c, "SELECT attempts::text FROM jobs WHERE id = (SELECT job_id FROM orders WHERE id = $1)",
                 order_id) == "1");
}

TEST_CASE("a short item fails the whole order and changes no stock") {
    PgConnection c(DbUrl());
    const auto plenty = NewProduct(c, 10), scarce = NewProduct(c, 1);
    std::string order_id;
    const auto body = PlacePending(c, {{plenty, 3}, {scarce, 2}}, &order_id);
    auto r = ExecuteJob(c, Queues().Queue("order_heavy"), OrderHandlers(), body);
    CHECK(r.settlement == Settlement::kAck);
    CHECK(Stock(c, plenty) == 10);
    CHECK(Stock(c, scarce) == 1);
    CHECK(Column(c, "SELECT status || ':' || failure_reason FROM orders WHERE id = $1", order_id) ==
          "failed:INSUFFICIENT_STOCK");
    CHECK(Column(c, "SELECT state FROM jobs WHERE id = (SELECT job_id FROM orders WHERE id = $1)",
                 order_id) == "failed");
    CHECK(c.exec("SELECT 1 FROM order_items WHERE order_id = $1", {order_id}).rows() == 0);
}

TEST_CASE("retryable failures are rescheduled through the outbox with backoff, then succeed once") {
    PgConnection c(DbUrl());
    const auto product = NewProduct(c, 3);
    std::string order_id;
    auto body = PlacePending(c, {{product, 1}}, &order_id);
    const auto job_id = ParseEnvelope(body)->id;
    c.exec("DELETE FROM outbox WHERE job_id = $1", {job_id});  // as if the relay had published it

    int calls = 0;
    HandlerRegistry flaky{{"order.process", [&](PgTransaction& tx, const Job& job) {
                               if (++calls <= 2) throw AppError(ErrorCode::kTransient, "gateway hiccup");
                               return ProcessOrder(tx, job);
                           }}};
    QueueConfig q = Queues().Queue("order_heavy");
    q.backoff = BackoffPolicy{Millis(1000), 2.0, Millis(60000), 0.1};
    for (int attempt = 1; attempt <= 3; ++attempt) {
        auto r = ExecuteJob(c, q, flaky, body);
        REQUIRE(r.settlement == Settlement::kAck);
        if (attempt < 3) {
            auto job = c.exec(
                "SELECT state, attempts, EXTRACT(EPOCH FROM next_attempt_at - now()) * 1000, last_error "
                "FROM jobs WHERE id = $1",
                {job_id});
            CHECK(job.str(0, 0) == "retrying");
            CHECK(job.integer(0, 1) == attempt);
            const double wait_ms = std::stod(job.str(0, 2));
            const double base = 1000.0 * (attempt == 1 ? 1 : 2);
            CHECK(wait_ms <= base * 1.1 + 50);
            CHECK(wait_ms >= base * 0.9 - 200);
            CHECK(job.str(0, 3).find("TRANSIENT") != std::string::npos);
            CHECK(Stock(c, product) == 3);  // nothing applied by a failed attempt
            auto next = c.exec("SELECT body FROM outbox WHERE job_id = $1", {job_id});
            REQUIRE(next.rows() == 1);
            body = next.str(0, 0);
            CHECK(ParseEnvelope(body)->attempt == attempt + 1);
            c.exec("DELETE FROM outbox WHERE job_id = $1", {job_id});
        }
    }
    CHECK(Column(c, "SELECT state || ':' || attempts FROM jobs WHERE id = $1", job_id) == "succeeded:3");
    CHECK(Stock(c, product) == 2);
}

TEST_CASE("a final failure ends the job failed at once; exhausted retries end it dead") {
    PgConnection c(DbUrl());
    const auto product = NewProduct(c, 3);
    std::string order_id;
    auto body = PlacePending(c, {{product, 1}}, &order_id);
    const auto job_id = ParseEnvelope(body)->id;
    c.exec("DELETE FROM outbox WHERE job_id = $1", {job_id});
    HandlerRegistry refuses{{"order.process", [](PgTransaction&, const Job&) -> Outcome {
                                 throw AppError(ErrorCode::kValidationFailed, "bad payload");
                             }}};
    auto r = ExecuteJob(c, Queues().Queue("order_heavy"), refuses, body);
    CHECK(r.settlement == Settlement::kAck);
    CHECK(Column(c, "SELECT state || ':' || attempts FROM jobs WHERE id = $1", job_id) == "failed:1");
    CHECK(c.exec("SELECT 1 FROM outbox WHERE job_id = $1", {job_id}).rows() == 0);

    body = PlacePending(c, {{product, 1}}, &order_id);
    const auto dead_id = ParseEnvelope(body)->id;
    HandlerRegistry broken{{"order.process", [](PgTransaction&, const Job&) -> Outcome {
                                throw AppError(ErrorCode::kTransient, "always down");
                            }}};
    QueueConfig q = Queues().Queue("order_heavy");
    q.max_retries = 1;
    CHECK(ExecuteJob(c, q, broken, body).settlement == Settlement::kAck);         // attempt 1: retry
    CHECK(ExecuteJob(c, q, broken, body).settlement == Settlement::kDeadLetter);  // attempt 2: dead
    CHECK(Column(c, "SELECT state || ':' || attempts FROM jobs WHERE id = $1", dead_id) == "dead:2");
    CHECK(Column(c, "SELECT last_error FROM jobs WHERE id = $1", dead_id).find("always down") !=
          std::string::npos);
    CHECK(Stock(c, product) == 3);
}

TEST_CASE("malformed messages and unknown job types are dead-lettered") {
    PgConnection c(DbUrl());
    const auto& q = Queues().Queue("order_heavy");
    CHECK(ExecuteJob(c, q, OrderHandlers(), "not json").settlement == Settlement::kDeadLetter);
    CHECK(ExecuteJob(c, q, OrderHandlers(), R"({"id":"x"})").settlement == Settlement::kDeadLetter);
    std::string order_id;
    auto body = PlacePending(c, {{NewProduct(c, 1), 1}}, &order_id);
    CHECK(ExecuteJob(c, q, HandlerRegistry{}, body).settlement == Settlement::kDeadLetter);
}

TEST_CASE(
    "a group of plain orders is accepted by one statement; one naming an unknown product is refused alone") {
    PgConnection c(DbUrl());
    const auto product = NewProduct(c, 10);
    const auto user = c.exec("INSERT INTO users (sub) VALUES ($1) RETURNING id", {NewUuid()}).integer(0, 0);
    auto body = [](long long p, int q) {
        return "{\"items\":[{\"product_id\":" + std::to_string(p) + ",\"quantity\":" + std::to_string(q) +
               "}],\"shipping\":{\"name\":\"Kim\",\"phone\":\"010-1234-5678\",\"postal_code\":\"06236\","
               "\"address\":\"Seoul\",\"address_detail\":\"101\"}}";
    };
    const auto a = ParseOrderRequest(body(product, 2)), bad = ParseOrderRequest(body(999999999, 1)),
               b = ParseOrderRequest(body(product, 3));
    REQUIRE(GroupableOrder(a, std::nullopt));
    const auto results = PlaceOrderGroup(c, Queues(), {{user, &a}, {user, &bad}, {user, &b}});
    REQUIRE(results.size() == 3);
    REQUIRE(results[0].placed);
    REQUIRE(results[2].placed);
    REQUIRE(results[1].error);
    CHECK(results[1].error->code() == ErrorCode::kUnknownProduct);
    for (int i : {0, 2}) {
        const auto& id = results[static_cast<std::size_t>(i)].placed->order_id;
        // The order, priced from the products table, and its job, queued for the order-heavy queue.
        CHECK(Column(c, "SELECT status || ':' || total_amount FROM orders WHERE id = $1", id) ==
              (i == 0 ? "pending:2000" : "pending:3000"));
        CHECK(Column(c,
                     "SELECT j.state || ':' || j.queue || ':' || (j.payload->>'order_id') FROM jobs j "
                     "JOIN orders o ON o.job_id = j.id WHERE o.id = $1",
                     id) == "queued:order_heavy:" + id);
    }
    CHECK(c.exec("SELECT count(*) FROM orders WHERE user_id = $1", {user}).integer(0, 0) == 2);
}

TEST_CASE("a batch of items-only orders that the stock covers is decided as a set, once") {
    PgConnection c(DbUrl());
    const auto a = NewProduct(c, 10), b = NewProduct(c, 10);
    std::vector<std::string> bodies, ids(4);
    bodies.push_back(PlacePending(c, {{a, 2}}, &ids[0]));
    bodies.push_back(PlacePending(c, {{b, 1}, {a, 1}}, &ids[1]));
    bodies.push_back(PlacePending(c, {{b, 3}, {b, 1}}, &ids[2]));
    bodies.push_back(PlacePending(c, {{a, 1}}, &ids[3]));
    const auto steps = InTransaction(OrderHandlers(), {{"order.process", DecideOrderBatch}});
    auto results = ExecuteBatch(c, steps, bodies);
    REQUIRE(results);
    REQUIRE(results->size() == 4);
    for (const auto& r : *results) CHECK(r.outcome == JobOutcome::kSucceeded);
    CHECK(Stock(c, a) == 6);
    CHECK(Stock(c, b) == 5);
    for (const auto& id : ids) {
        CHECK(Column(c, "SELECT status FROM orders WHERE id = $1", id) == "confirmed");
        CHECK(Column(c, "SELECT state FROM jobs WHERE id = (SELECT job_id FROM orders WHERE id = $1)", id) ==
              "succeeded");
    }
    // Lines of one product in one order are one item.
    CHECK(Column(c, "SELECT string_agg(quantity::text, ',') FROM order_items WHERE order_id = $1", ids[2]) ==
          "4");
    CHECK(c.exec("SELECT count(*) FROM order_items WHERE order_id = $1", {ids[1]}).integer(0, 0) == 2);
    // Delivered again: nothing changes.
    auto again = ExecuteBatch(c, steps, bodies);
    REQUIRE(again);
    for (const auto& r : *again) CHECK(r.outcome == JobOutcome::kDuplicate);
    CHECK(Stock(c, a) == 6);
    CHECK(Stock(c, b) == 5);
}

TEST_CASE("a batch the stock cannot cover together is decided order by order") {
    PgConnection c(DbUrl());
    const auto scarce = NewProduct(c, 3);
    std::vector<std::string> bodies, ids(5);
    for (int i = 0; i < 5; ++i)
        bodies.push_back(PlacePending(c, {{scarce, 1}}, &ids[static_cast<std::size_t>(i)]));
    const auto steps = InTransaction(OrderHandlers(), {{"order.process", DecideOrderBatch}});
    auto results = ExecuteBatch(c, steps, bodies);
    REQUIRE(results);
    int succeeded = 0, failed = 0;
    for (const auto& r : *results) (r.outcome == JobOutcome::kSucceeded ? succeeded : failed)++;
    CHECK(succeeded == 3);
    CHECK(failed == 2);
    CHECK(Stock(c, scarce) == 0);
    CHECK(c.exec("SELECT count(*) FROM orders WHERE id = ANY($1::uuid[]) AND status = 'failed' "
                 "AND failure_reason = 'INSUFFICIENT_STOCK'",
                 {PgUuidArray(ids)})
              .integer(0, 0) == 2);
}

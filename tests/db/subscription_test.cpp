// Subscriptions against the real PostgreSQL: subscribing, and a charge settled once whatever runs it
// again (domain/subscriptions).
#include <catch2/catch.hpp>

#include "domain/subscriptions/billing_card_store.hpp"
#include "domain/subscriptions/charge_store.hpp"
#include "domain/subscriptions/subscription_store.hpp"
#include "infra/core/error.hpp"
#include "infra/core/uuid.hpp"
#include "tests/db/support.hpp"

using namespace checkout;
using checkout::testing::DbUrl;
using checkout::testing::Queues;

namespace {

const SecretBox kBox(std::string(32, 's'));

long long Buyer(PgConnection& c) {
    return c.exec("INSERT INTO users (sub) VALUES ($1) RETURNING id", {NewUuid()}).integer(0, 0);
}

long long Plan(PgConnection& c, long long price) {
    return c
        .exec("INSERT INTO plans (name, price, cycle) VALUES ('db-plan', $1, 'monthly') RETURNING id",
              {price})
        .integer(0, 0);
}

// A card registered and issued, as the API and the billing.issue_key job would leave it.
void ActiveCardFor(PgConnection& c, long long user) {
    CardRegistration reg{"auth_" + NewUuid(), CustomerKeyFor(c, user)};
    PgTransaction tx(c);
    const auto started = StartCardRegistration(tx, Queues(), kBox, user, reg);
    ActivateCard(tx, kBox, started.card_id, "bk_" + NewUuid(), "현대", "123*");
    tx.commit();
}

std::string One(PgConnection& c, const std::string& sql, const std::string& id) {
    return c.exec(sql, {id}).str(0, 0);
}

}  // namespace

TEST_CASE("a subscription's first charge is settled once, and its outcome decides the subscription once") {
    PgConnection c(DbUrl());
    const long long user = Buyer(c), plan = Plan(c, 9900);
    ActiveCardFor(c, user);
    StartedSubscription s;
    {
        PgTransaction tx(c);
        s = Subscribe(tx, Queues(), "Asia/Seoul", user, plan);
        tx.commit();
    }
    const std::string charge =
        One(c, "SELECT id FROM subscription_charges WHERE subscription_id = $1", s.subscription_id);
    {
        PgTransaction tx(c);
        auto pending = LoadPendingCharge(tx, kBox, charge, s.job_id);
        REQUIRE(pending);
        CHECK(pending->amount == 9900);
        REQUIRE(pending->key);
        CHECK(pending->key->billing_key.rfind("bk_", 0) == 0);  // unsealed for the gateway only
        ChargeApproved(tx, charge, "bill_1", "2026-12-07T10:00:00+09:00");
        // Run again (a redelivery), or contradicted by a late decline: nothing changes.
        ChargeApproved(tx, charge, "bill_2", "2026-12-07T10:00:05+09:00");
        ChargeDeclined(tx, charge, "REJECT_CARD_PAYMENT", "late");
        CHECK(!LoadPendingCharge(tx, kBox, charge, s.job_id));
        tx.commit();
    }
    CHECK(One(c, "SELECT status || ':' || payment_key FROM subscription_charges WHERE id = $1", charge) ==
          "done:bill_1");
    CHECK(One(c, "SELECT status FROM subscriptions WHERE id = $1", s.subscription_id) == "active");
    // The guard: a second charge of the same period is refused by the database itself.
    CHECK_THROWS_AS(
        c.exec("INSERT INTO subscription_charges (id, subscription_id, period, kind, order_id, amount, "
               "status, job_id) VALUES ($1, $2, 0, 'P', $3, 9900, 'pending', $1)",
               {NewUuid(), s.subscription_id, "SUB-other-0-P"}),
        PgError);
    // One live subscription per buyer.
    PgTransaction tx(c);
    try {
        Subscribe(tx, Queues(), "Asia/Seoul", user, plan);
        FAIL("a second live subscription was accepted");
    } catch (const AppError& e) {
        CHECK(e.code() == ErrorCode::kSubscriptionExists);
    }
}

TEST_CASE(
    "a declined first charge ends the subscription incomplete_expired and frees the buyer to subscribe") {
    PgConnection c(DbUrl());
    const long long user = Buyer(c), plan = Plan(c, 5000);
    ActiveCardFor(c, user);
    StartedSubscription s;
    {
        PgTransaction tx(c);
        s = Subscribe(tx, Queues(), "Asia/Seoul", user, plan);
        tx.commit();
    }
    const std::string charge =
        One(c, "SELECT id FROM subscription_charges WHERE subscription_id = $1", s.subscription_id);
    {
        PgTransaction tx(c);
        ChargeDeclined(tx, charge, "INVALID_STOPPED_CARD", "stopped");
        ChargeApproved(tx, charge, "bill_late", "");  // a settled charge stays as it is
        tx.commit();
    }
    CHECK(One(c, "SELECT status || ':' || failure_code FROM subscription_charges WHERE id = $1", charge) ==
          "failed:INVALID_STOPPED_CARD");
    CHECK(One(c, "SELECT status FROM subscriptions WHERE id = $1", s.subscription_id) ==
          "incomplete_expired");
    PgTransaction tx(c);
    CHECK_NOTHROW(Subscribe(tx, Queues(), "Asia/Seoul", user, plan));
}

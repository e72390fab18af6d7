#include "jobs/runtime/ack_planner.hpp"

#include <catch2/catch.hpp>

#include "infra/pg/pg_array.hpp"
#include "workers/outbox_relay/publish_cursor.hpp"

using namespace checkout;
using Frame = AckPlanner::Frame;
using Settled = AckPlanner::Settled;

TEST_CASE("acks below every unsettled delivery fold into one ack-up-to; the rest go one by one") {
    AckPlanner p;
    for (std::uint64_t t = 1; t <= 10; ++t) p.Delivered(t);
    // 1..4 done, 5 still running, 6 and 7 done.
    auto frames = p.Plan({{3, Settled::Kind::kAck},
                          {1, Settled::Kind::kAck},
                          {2, Settled::Kind::kAck},
                          {4, Settled::Kind::kAck},
                          {7, Settled::Kind::kAck},
                          {6, Settled::Kind::kAck}});
    REQUIRE(frames.size() == 3);
    CHECK((frames[0].kind == Frame::Kind::kAckUpTo && frames[0].tag == 4));
    CHECK((frames[1].kind == Frame::Kind::kAck && frames[1].tag == 6));
    CHECK((frames[2].kind == Frame::Kind::kAck && frames[2].tag == 7));
    CHECK(p.unsettled() == 4);  // 5, 8, 9, 10
}

TEST_CASE("a rejected message is never swept along by an ack-up-to") {
    AckPlanner p;
    for (std::uint64_t t = 1; t <= 4; ++t) p.Delivered(t);
    auto frames = p.Plan({{1, Settled::Kind::kAck},
                          {2, Settled::Kind::kDeadLetter},
                          {3, Settled::Kind::kAck},
                          {4, Settled::Kind::kRequeue}});
    // The rejections go first, as themselves; then nothing unsettled is left below 3.
    REQUIRE(frames.size() == 3);
    CHECK((frames[0].kind == Frame::Kind::kDeadLetter && frames[0].tag == 2));
    CHECK((frames[1].kind == Frame::Kind::kRequeue && frames[1].tag == 4));
    CHECK((frames[2].kind == Frame::Kind::kAckUpTo && frames[2].tag == 3));
    CHECK(p.unsettled() == 0);
}

TEST_CASE("a tag settled twice, or of an old channel, sends nothing") {
    AckPlanner p;
    p.Delivered(1);
    CHECK(p.Plan({{1, Settled::Kind::kAck}}).size() == 1);
    CHECK(p.Plan({{1, Settled::Kind::kAck}}).empty());
    p.Delivered(2);
    p.Reset();
    CHECK(p.Plan({{2, Settled::Kind::kAck}}).empty());
}

TEST_CASE("the publish cursor reads each transaction's jobs once, however they commit") {
    PublishCursor c(100);
    CHECK(c.low() == 100);
    CHECK(c.cap() == 100 + PublishCursor::kMaxIdsPerRound);
    CHECK(c.pending_array() == "{}");
    // Snapshot: xmax 110, 103 and 107 still running.
    c.Advance(110, {107, 103});
    CHECK(c.low() == 110);
    CHECK(c.pending_array() == "{103,107}");
    CHECK(c.durable() == 103);  // a restart must read 103 again, and everything after it
    // Next snapshot: 103 finished, 107 still running, and a new 112 running (not below hi 115).
    c.Advance(115, {107, 112, 120});
    CHECK(c.pending_array() == "{107,112}");
    CHECK(c.durable() == 107);
    c.Advance(130, {});
    CHECK(c.durable() == 130);
    // The snapshot's running ids come back as PostgreSQL's text form of an xid8 array, or NULL as "".
    CHECK(ParsePgIntArray("{1,22,333}") == std::vector<std::int64_t>{1, 22, 333});
    CHECK(ParsePgIntArray("").empty());
}

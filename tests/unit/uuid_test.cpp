#include "infra/core/uuid.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace checkout;

TEST_CASE("a new id is a canonical version 7 UUID carrying the time it was made") {
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const auto id = NewUuid();
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    REQUIRE(IsUuid(id));
    CHECK(id[14] == '7');                                          // version
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);  // RFC variant
    const auto ms = std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
    CHECK(ms >= before);
    CHECK(ms <= after);
}

TEST_CASE("ids made one after another sort one after another") {
    // To the clock's resolution (one 4096th of a millisecond): made a few microseconds apart, in order.
    std::string last = NewUuid();
    int out_of_order = 0;
    for (int i = 0; i < 2000; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(5));
        auto id = NewUuid();
        if (!(last < id)) ++out_of_order;
        last = id;
    }
    CHECK(out_of_order == 0);
}

TEST_CASE("ids made at once by many threads are all distinct") {
    constexpr int kThreads = 8, kEach = 50000;
    std::vector<std::vector<std::string>> made(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&made, t] {
            made[static_cast<std::size_t>(t)].reserve(kEach);
            for (int i = 0; i < kEach; ++i) made[static_cast<std::size_t>(t)].push_back(NewUuid());
        });
    for (auto& th : threads) th.join();
    std::set<std::string> all;
    for (const auto& ids : made) all.insert(ids.begin(), ids.end());
    CHECK(all.size() == static_cast<std::size_t>(kThreads * kEach));
}

TEST_CASE("the floor of a millisecond sorts below every id made from then on, above those made before") {
    const auto now = std::chrono::system_clock::now();
    const auto floor = UuidV7Floor(now);
    REQUIRE(IsUuid(floor));
    CHECK(UuidV7Floor(now - std::chrono::milliseconds(1)) < floor);
    const auto made = NewUuid();
    CHECK(floor <= made);
    CHECK(UuidV7Floor(std::chrono::system_clock::now() + std::chrono::milliseconds(5)) > made);
}

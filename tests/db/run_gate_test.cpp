// The run gate of the worker runtime (workers/runtime/run_gate.hpp), with real threads: a suspect
// (a message delivered again after a crash) never runs beside another job, and is not starved.
#include "jobs/runtime/run_gate.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace checkout;
using namespace std::chrono_literals;

TEST_CASE("a suspect runs alone, fresh jobs run together, and a waiting suspect is not starved") {
    RunGate gate;
    std::atomic<int> running{0}, max_fresh{0}, suspects_done{0};
    std::atomic<bool> overlap{false}, stop{false};
    std::vector<std::thread> fresh;
    for (int t = 0; t < 8; ++t)
        fresh.emplace_back([&, t] {
            int holder = t;
            while (!stop) {
                RunGate::Hold hold(gate, &holder, false);
                const int now = ++running;
                int seen = max_fresh.load();
                while (now > seen && !max_fresh.compare_exchange_weak(seen, now)) {
                }
                std::this_thread::sleep_for(200us);
                --running;
            }
        });
    std::vector<std::thread> suspects;
    for (int t = 0; t < 3; ++t)
        suspects.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
                int holder = 0;
                RunGate::Hold hold(gate, &holder, true);
                if (running.load() != 0) overlap = true;
                std::this_thread::sleep_for(100us);
                if (running.load() != 0) overlap = true;
                ++suspects_done;
            }
        });
    for (auto& s : suspects) s.join();  // would hang if fresh load starved the suspects
    stop = true;
    for (auto& f : fresh) f.join();
    CHECK_FALSE(overlap);
    CHECK(suspects_done == 60);
    CHECK(max_fresh > 1);
}

TEST_CASE("the watchdog can free the place of a holder that never returns") {
    RunGate gate;
    int stuck = 0, next = 0;
    gate.Acquire(&stuck, true);
    gate.Release(&stuck);  // the watchdog abandoned it
    std::atomic<bool> got{false};
    std::thread t([&] {
        RunGate::Hold hold(gate, &next, false);
        got = true;
    });
    t.join();
    CHECK(got);
    gate.Release(&stuck);  // the abandoned thread comes back: a no-op
}

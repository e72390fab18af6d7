#include "jobs/runtime/watchdog.hpp"

#include "infra/core/log.hpp"
#include "jobs/runtime/job_metrics.hpp"

namespace checkout {

void Watchdog::Check(std::vector<std::shared_ptr<Slot>>& slots, Dispatcher& dispatcher, RunGate& gate,
                     const std::function<void(std::shared_ptr<Slot>)>& replace) {
    const auto now = Slot::Clock::now();
    for (auto& slot : slots) {
        std::vector<WorkItem> items;
        int pid = 0;
        Millis limit{0};
        Slot::Clock::time_point started;
        {
            std::lock_guard lock(slot->mu);
            limit = queue_.time_limit * slot->jobs;
            if (slot->state != Slot::State::kRunning || now - slot->started < limit) continue;
            slot->state = Slot::State::kAbandoned;
            items.push_back(slot->item);
            items.insert(items.end(), slot->batch.begin(), slot->batch.end());
            pid = slot->backend_pid;
            started = slot->started;
        }
        bool terminated = false;
        for (const auto& item : items) {
            Settlement settlement = Settlement::kRequeue;
            try {
                if (!db_ || !db_->healthy()) db_ = std::make_unique<PgConnection>(db_url_);
                if (!terminated) db_->exec("SELECT pg_terminate_backend($1)", {pid});
                terminated = true;
                auto r = AbandonJob(*db_, queue_, item.body);
                settlement = r.settlement;
                CountJobFinished(queue_.name, r.type, r.outcome,
                                 std::chrono::duration<double>(now - started).count(), item.body);
                spdlog::warn("job={} abandoned after {}ms: {}", r.job_id, limit.count(), r.summary);
            } catch (const std::exception& e) {
                spdlog::error("cannot record an abandoned job ({}); it will be delivered again", e.what());
                db_.reset();
            }
            dispatcher.Settle({item.generation, item.tag, settlement});
        }
        // The abandoned thread may never return to release its place in the gate.
        gate.Release(slot.get());
        slot = std::make_shared<Slot>();
        replace(slot);
    }
}

}  // namespace checkout

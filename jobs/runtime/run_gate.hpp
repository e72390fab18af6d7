#pragma once
// Who may run at the same time in one worker process. A message delivered again after its worker
// died (a "suspect": it may be the poison that killed it) runs alone; fresh messages run side by
// side. So when a suspect kills the process, no innocent job was running with it, and only the
// suspect's own count of interrupted runs (jobs.crashes) goes up: neighbours are never dead-lettered
// for a crash they only witnessed.
//
// Writer-preferring (a waiting suspect stops new fresh runs from starting, so it cannot starve under
// load), and holders are named by their slot so that the watchdog can free the gate of a handler it
// abandoned: Release of a holder that no longer holds is a no-op.
#include <condition_variable>
#include <mutex>
#include <set>

namespace checkout {

class RunGate {
  public:
    void Acquire(const void* holder, bool alone) {
        std::unique_lock lock(mu_);
        if (alone) {
            ++alone_waiting_;
            cv_.wait(lock, [&] { return alone_holder_ == nullptr && shared_.empty(); });
            --alone_waiting_;
            alone_holder_ = holder;
        } else {
            cv_.wait(lock, [&] { return alone_holder_ == nullptr && alone_waiting_ == 0; });
            shared_.insert(holder);
        }
    }
    void Release(const void* holder) {
        {
            std::lock_guard lock(mu_);
            if (alone_holder_ == holder)
                alone_holder_ = nullptr;
            else if (shared_.erase(holder) == 0)
                return;
        }
        cv_.notify_all();
    }

    // Holds the gate for one run.
    class Hold {
      public:
        Hold(RunGate& gate, const void* holder, bool alone) : gate_(gate), holder_(holder) {
            gate_.Acquire(holder, alone);
        }
        ~Hold() { gate_.Release(holder_); }
        Hold(const Hold&) = delete;
        Hold& operator=(const Hold&) = delete;

      private:
        RunGate& gate_;
        const void* holder_;
    };

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::set<const void*> shared_;
    const void* alone_holder_ = nullptr;
    int alone_waiting_ = 0;
};

}  // namespace checkout

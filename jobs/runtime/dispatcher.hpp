#pragma once
// Hands deliveries from the connection thread to the handler threads and their settlements back
// (the connection thread alone touches the broker connection: rabbitmq-c forbids sharing it).
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "jobs/runtime/executor.hpp"

namespace checkout {

// An external job's answer, to be handed to its next step.
struct Continuation {
    PendingCall pending;
    HttpResponse response;
};

struct WorkItem {
    std::uint64_t generation;  // which broker connection delivered it: tags are per channel
    std::uint64_t tag;
    std::string body;
    std::shared_ptr<Continuation> continuation;  // set when this is an answer, not a new delivery
    bool suspect = false;  // delivered again after a worker died: runs alone (run_gate.hpp)
};

struct Settled {
    std::uint64_t generation;
    std::uint64_t tag;
    Settlement settlement;
};

// Hands deliveries from the connection thread to the handler threads and outcomes back. Only the
// connection thread touches the broker connection (rabbitmq-c forbids sharing it).
class Dispatcher {
  public:
    Dispatcher() : wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
    ~Dispatcher() { close(wake_fd_); }

    void Push(WorkItem item) {
        {
            std::lock_guard lock(mu_);
            // Answers first: they finish work already started and free its unacked message.
            if (item.continuation)
                work_.push_front(std::move(item));
            else
                work_.push_back(std::move(item));
        }
        work_cv_.notify_one();
    }
    // Blocks for work; nullopt once closed.
    std::optional<WorkItem> Pop() {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return closed_ || !work_.empty(); });
        if (work_.empty()) return std::nullopt;
        auto item = std::move(work_.front());
        work_.pop_front();
        return item;
    }
    // Up to `max` more fresh deliveries (not answers, not suspects) that are waiting now, for a batch.
    std::vector<WorkItem> TakeFresh(std::size_t max) {
        std::lock_guard lock(mu_);
        std::vector<WorkItem> out;
        while (out.size() < max && !work_.empty() && !work_.front().continuation && !work_.front().suspect) {
            out.push_back(std::move(work_.front()));
            work_.pop_front();
        }
        return out;
    }
    // Takes back deliveries no handler has started, to hand them back to the broker.
    std::vector<WorkItem> TakeUnstarted() {
        std::lock_guard lock(mu_);
        std::vector<WorkItem> out;
        std::deque<WorkItem> keep;
        for (auto& item : work_) {
            if (item.continuation)
                keep.push_back(std::move(item));
            else
                out.push_back(std::move(item));
        }
        work_ = std::move(keep);
        return out;
    }
    void Close() {
        {
            std::lock_guard lock(mu_);
            closed_ = true;
        }
        work_cv_.notify_all();
    }
    void Settle(Settled s) {
        {
            std::lock_guard lock(mu_);
            settled_.push_back(s);
        }
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof(one));
    }
    std::vector<Settled> TakeSettled() {
        std::uint64_t drained;
        [[maybe_unused]] auto n = read(wake_fd_, &drained, sizeof(drained));
        std::lock_guard lock(mu_);
        std::vector<Settled> out(settled_.begin(), settled_.end());
        settled_.clear();
        return out;
    }
    int wake_fd() const { return wake_fd_; }

  private:
    int wake_fd_;
    std::mutex mu_;
    std::condition_variable work_cv_;
    std::deque<WorkItem> work_;
    std::deque<Settled> settled_;
    bool closed_ = false;
};

}  // namespace checkout

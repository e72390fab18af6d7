#pragma once
// Settles a worker's messages with as few frames as the broker allows. A busy queue finishes jobs
// in batches (queues.yaml `batch`), and acking each one is a frame to send and a Raft command for a
// quorum queue to apply; one ack with `multiple` settles every message up to its tag. That is only
// right when every message delivered below that tag is being acked now: one still running (or
// being rejected) must not be swept along. This keeps track of what is delivered and unsettled on
// the channel and says which frames to send.
#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

namespace checkout {

class AckPlanner {
  public:
    struct Frame {
        enum class Kind { kAck, kAckUpTo, kRequeue, kDeadLetter } kind;
        std::uint64_t tag;
    };
    struct Settled {
        std::uint64_t tag;
        enum class Kind { kAck, kRequeue, kDeadLetter } kind;
    };

    void Delivered(std::uint64_t tag) { unsettled_.insert(tag); }
    // A new channel: its tags start again, and the old channel's messages went back to the queue.
    void Reset() { unsettled_.clear(); }
    std::size_t unsettled() const { return unsettled_.size(); }

    // The frames that settle `batch` (tags of this channel, each delivered and not yet settled):
    // rejections first, then acks, the lowest ones folded into one ack-up-to where possible.
    std::vector<Frame> Plan(const std::vector<Settled>& batch) {
        std::vector<Frame> frames;
        std::vector<std::uint64_t> acks;
        for (const auto& s : batch) {
            if (!unsettled_.erase(s.tag)) continue;  // not (or no longer) ours to settle
            if (s.kind == Settled::Kind::kAck)
                acks.push_back(s.tag);
            else
                frames.push_back(
                    {s.kind == Settled::Kind::kRequeue ? Frame::Kind::kRequeue : Frame::Kind::kDeadLetter,
                     s.tag});
        }
        std::sort(acks.begin(), acks.end());
        // Every message below `floor` that is still unsettled on the channel is in `acks`.
        const std::uint64_t floor = unsettled_.empty() ? UINT64_MAX : *unsettled_.begin();
        std::size_t below = 0;
        while (below < acks.size() && acks[below] < floor) ++below;
        if (below >= 2)
            frames.push_back({Frame::Kind::kAckUpTo, acks[below - 1]});
        else if (below == 1)
            frames.push_back({Frame::Kind::kAck, acks[0]});
        for (std::size_t i = below; i < acks.size(); ++i) frames.push_back({Frame::Kind::kAck, acks[i]});
        return frames;
    }

  private:
    std::set<std::uint64_t> unsettled_;
};

}  // namespace checkout

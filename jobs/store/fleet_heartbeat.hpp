#pragma once
// A process's row in fleet_processes (migration 009), written every 2 seconds from a thread of its
// own and deleted when the process stops cleanly. A row not written for 10 seconds is a process that
// is gone (killed, or its host is down); readers skip it.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace checkout {

struct ProcessReport {
    long long jobs_done = 0;
    int in_flight = 0;
    std::string doing;  // e.g. "order.create 12ms, order.create 3ms", "idle", "leader"
};

class FleetHeartbeat {
  public:
    // `report` is called on the heartbeat's thread.
    FleetHeartbeat(std::string database_url, std::string process, std::string queue, int metrics_port,
                   std::function<ProcessReport()> report);
    ~FleetHeartbeat();
    FleetHeartbeat(const FleetHeartbeat&) = delete;
    FleetHeartbeat& operator=(const FleetHeartbeat&) = delete;

  private:
    void Loop();
    std::string database_url_, process_, queue_;
    int metrics_port_;
    std::function<ProcessReport()> report_;
    std::mutex mu_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace checkout

#pragma once
// Runs route handlers off Pistache's reactor threads. Pistache 0.0.5 runs handlers on the reactor
// thread and only writes responses after the whole batch of ready connections has been handled, so
// in a burst nobody gets an answer until everybody has been served. Here the reactor only parses
// and dispatches; a fixed pool of threads (each may block on PostgreSQL) runs the handlers and
// sends each response as soon as it is ready.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace checkout::api {

class Executor {
  public:
    Executor(int threads, std::size_t max_queue);
    ~Executor();
    // False when the queue is full: the caller sheds the request (503) instead of queueing it.
    bool Submit(std::function<void()> task);
    // Finishes queued tasks, then joins the threads.
    void Stop();

  private:
    void Run();

    std::size_t max_queue_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace checkout::api

#pragma once
// Many HTTP calls in flight at once on one thread (libcurl's multi interface), so a worker waiting
// on a slow gateway holds no thread per call. At most `max_in_flight` transfers run at once; more
// wait in a queue. Callbacks run on the HttpMulti thread and must only hand the response on.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "infra/http_client/curl_easy.hpp"

namespace checkout {

class HttpMulti {
  public:
    using Done = std::function<void(HttpResponse)>;

    explicit HttpMulti(int max_in_flight);
    ~HttpMulti();  // abandons calls still running; their callbacks are not called
    HttpMulti(const HttpMulti&) = delete;
    HttpMulti& operator=(const HttpMulti&) = delete;

    void Submit(HttpCall call, Done done);

    int in_flight() const { return in_flight_; }
    int peak_in_flight() const { return peak_; }

  private:
    struct Transfer;
    void Loop();

    int max_in_flight_;
    void* multi_;
    std::mutex mu_;
    std::deque<std::unique_ptr<Transfer>> waiting_;
    bool stop_ = false;
    std::atomic<int> in_flight_{0};
    std::atomic<int> peak_{0};
    std::thread thread_;
};

}  // namespace checkout

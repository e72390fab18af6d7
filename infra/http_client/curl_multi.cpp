#include "infra/http_client/curl_multi.hpp"

#include <curl/curl.h>

#include <map>
#include <stdexcept>

namespace checkout {

struct HttpMulti::Transfer {
    HttpCall call;
    Done done;
    HttpResponse response;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    ~Transfer() {
        curl_slist_free_all(headers);
        if (easy) curl_easy_cleanup(easy);
    }
};

HttpMulti::HttpMulti(int max_in_flight) : max_in_flight_(max_in_flight), multi_(curl_multi_init()) {
    if (!multi_) throw std::runtime_error("curl_multi_init failed");
    // One connection per call in flight at most; idle ones stay open for reuse.
    curl_multi_setopt(static_cast<CURLM*>(multi_), CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      static_cast<long>(max_in_flight));
    curl_multi_setopt(static_cast<CURLM*>(multi_), CURLMOPT_MAXCONNECTS, static_cast<long>(max_in_flight));
    thread_ = std::thread([this] { Loop(); });
}

HttpMulti::~HttpMulti() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    curl_multi_wakeup(static_cast<CURLM*>(multi_));
    thread_.join();
    curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void HttpMulti::Submit(HttpCall call, Done done) {
    auto t = std::make_unique<Transfer>();
    t->call = std::move(call);
    t->done = std::move(done);
    {
        std::lock_guard lock(mu_);
        waiting_.push_back(std::move(t));
    }
    curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void HttpMulti::Loop() {
    auto* multi = static_cast<CURLM*>(multi_);
    std::map<CURL*, std::unique_ptr<Transfer>> running;
    while (true) {
        {
            std::lock_guard lock(mu_);
            if (stop_) break;
            while (!waiting_.empty() && static_cast<int>(running.size()) < max_in_flight_) {
                auto t = std::move(waiting_.front());
                waiting_.pop_front();
                t->easy = curl_easy_init();
                if (!t->easy) {
                    t->response.transport_error = "curl_easy_init failed";
                    t->done(std::move(t->response));
                    continue;
                }
                t->headers = static_cast<curl_slist*>(curl_detail::Prepare(t->easy, t->call, &t->response));
                curl_multi_add_handle(multi, t->easy);
                running.emplace(t->easy, std::move(t));
            }
        }
        in_flight_ = static_cast<int>(running.size());
        if (in_flight_ > peak_) peak_ = in_flight_.load();
        int still_running = 0;
        curl_multi_perform(multi, &still_running);
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE) continue;
            auto it = running.find(msg->easy_handle);
            if (it == running.end()) continue;
            auto t = std::move(it->second);
            running.erase(it);
            curl_multi_remove_handle(multi, t->easy);
            curl_detail::Finish(t->easy, msg->data.result, &t->response);
            t->done(std::move(t->response));
        }
        in_flight_ = static_cast<int>(running.size());
        bool can_start;
        {
            std::lock_guard lock(mu_);
            can_start = !waiting_.empty() && static_cast<int>(running.size()) < max_in_flight_;
        }
        if (!can_start) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    for (auto& [easy, t] : running) curl_multi_remove_handle(multi, easy);
}

}  // namespace checkout

#pragma once
// The only place that touches CURL*. One CurlEasy per thread: it keeps its connections open between
// requests (connection reuse), and libcurl handles must not be shared across threads. HttpMulti
// (curl_multi.hpp) runs many calls at once on one thread.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace checkout {

struct HttpCall {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds timeout{10000};
};

struct HttpResponse {
    long status = 0;  // 0 when no response arrived
    std::string body;
    bool timed_out = false;       // the total or connect timeout passed: the request may have been processed
    std::string transport_error;  // set when the request failed below HTTP
};

class CurlEasy {
  public:
    CurlEasy();
    ~CurlEasy();
    CurlEasy(const CurlEasy&) = delete;
    CurlEasy& operator=(const CurlEasy&) = delete;

    HttpResponse Request(const HttpCall& call);

  private:
    void* handle_;
};

namespace curl_detail {
// Sets up an easy handle for `call`, writing the body into `response->body`; returns the header
// list, which the caller frees (curl_slist_free_all) after the transfer.
void* Prepare(void* handle, const HttpCall& call, HttpResponse* response);
// Fills `response` from a finished transfer's result code.
void Finish(void* handle, int curl_code, HttpResponse* response);
}  // namespace curl_detail

}  // namespace checkout

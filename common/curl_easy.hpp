#pragma once
// The only place that touches CURL*. One CurlEasy per thread: it keeps its connections open between
// requests (connection reuse), and libcurl handles must not be shared across threads.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace checkout {

struct HttpResponse {
    long status = 0;       // 0 when no response arrived
    std::string body;
    bool timed_out = false;  // the total or connect timeout passed: the request may have been processed
    std::string transport_error;  // set when the request failed below HTTP
};

class CurlEasy {
public:
    CurlEasy();
    ~CurlEasy();
    CurlEasy(const CurlEasy&) = delete;
    CurlEasy& operator=(const CurlEasy&) = delete;

    HttpResponse Request(const std::string& method, const std::string& url,
                         const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
                         std::chrono::milliseconds connect_timeout, std::chrono::milliseconds total_timeout);

private:
    void* handle_;
};

}  // namespace checkout

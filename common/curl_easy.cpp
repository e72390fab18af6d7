#include "common/curl_easy.hpp"

#include <curl/curl.h>

#include <stdexcept>

namespace checkout {

namespace {
size_t Collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}
}  // namespace

CurlEasy::CurlEasy() : handle_(curl_easy_init()) {
    if (!handle_) throw std::runtime_error("curl_easy_init failed");
}

CurlEasy::~CurlEasy() { curl_easy_cleanup(static_cast<CURL*>(handle_)); }

HttpResponse CurlEasy::Request(const std::string& method, const std::string& url,
                               const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
                               std::chrono::milliseconds connect_timeout, std::chrono::milliseconds total_timeout) {
    auto* h = static_cast<CURL*>(handle_);
    curl_easy_reset(h);  // keeps the connection cache
    HttpResponse r;
    curl_slist* list = nullptr;
    for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total_timeout.count()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM in a threaded program
    curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);  // the gateway's minimum
    const CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(list);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    } else {
        r.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        r.transport_error = curl_easy_strerror(rc);
        r.body.clear();
    }
    return r;
}

}  // namespace checkout

#include "infra/http_client/curl_easy.hpp"

#include <curl/curl.h>

#include <stdexcept>

namespace checkout {

namespace {
size_t Collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}
}  // namespace

namespace curl_detail {

void* Prepare(void* handle, const HttpCall& call, HttpResponse* response) {
    auto* h = static_cast<CURL*>(handle);
    curl_slist* list = nullptr;
    for (const auto& [k, v] : call.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
    curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    if (call.method == "POST") {
        // The call outlives this function (HttpMulti keeps it with the handle), so no copy is needed.
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response->body);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(call.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM in a threaded program
    curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);  // the gateway's minimum
    return list;
}

void Finish(void* handle, int curl_code, HttpResponse* response) {
    const auto rc = static_cast<CURLcode>(curl_code);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(static_cast<CURL*>(handle), CURLINFO_RESPONSE_CODE, &response->status);
    } else {
        response->status = 0;
        response->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        response->transport_error = curl_easy_strerror(rc);
        response->body.clear();
    }
}

}  // namespace curl_detail

CurlEasy::CurlEasy() : handle_(curl_easy_init()) {
    if (!handle_) throw std::runtime_error("curl_easy_init failed");
}

CurlEasy::~CurlEasy() { curl_easy_cleanup(static_cast<CURL*>(handle_)); }

HttpResponse CurlEasy::Request(const HttpCall& call) {
    auto* h = static_cast<CURL*>(handle_);
    curl_easy_reset(h);  // keeps the connection cache
    HttpResponse r;
    auto* list = static_cast<curl_slist*>(curl_detail::Prepare(h, call, &r));
    const CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(list);
    curl_detail::Finish(h, rc, &r);
    return r;
}

}  // namespace checkout

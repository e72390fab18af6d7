// checkout-bench: the load generator of bench/flash_sale.sh, in C++ on libcurl's multi interface so
// that it costs little CPU next to the system it measures (the whole system shares this machine).
//
//   checkout-bench flash [--buyers 1000] [--stock 500] [--poll-ms 250]
//   checkout-bench open  [--rate 500] [--seconds 20] [--products 200] [--extras COUPON_ID]
//       --extras: order i is placed by user "extra-<i>" with coupon COUPON_ID and 10 points (bench/cost.sh
//       grants both beforehand)
//   checkout-bench checkout [--buyers 1000] [--stock 1000] [--poll-ms 250] [--gateway http://127.0.0.1:18090]
//       full checkout: order, poll, payment confirm, poll; the gateway sandbox's latency is set to
//       300 +- 100 ms (--latency-ms, --jitter-ms) and its counters read back
//   common: [--base http://127.0.0.1:8080]; JWT_SECRET must be set (tokens are minted in-process).
#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "api/jwt.hpp"
#include "infra/core/json.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double Now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double CpuSeconds() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

double Pct(std::vector<double> v, double p) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(std::llround(p / 100.0 * (v.size() - 1))))];
}

// "2026-11-21T07:18:18.527Z" -> seconds since the epoch.
double ParseIso(const std::string& s) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return NAN;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(timegm(&tm)) + ms / 1000.0;
}

size_t Collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

struct Call {
    std::string url, body, response;
    std::string token;
    long status = 0;
    double started = 0;
    std::function<void(Call&)> done;
    curl_slist* headers = nullptr;
    CURL* easy = nullptr;
};

// Runs HTTP calls concurrently on one thread, with timers for calls that start later.
class Loop {
  public:
    Loop() : multi_(curl_multi_init()) { curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, 4000L); }
    ~Loop() { curl_multi_cleanup(multi_); }

    void Start(std::unique_ptr<Call> c) {
        c->easy = curl_easy_init();
        c->headers = curl_slist_append(c->headers, "Content-Type: application/json");
        if (!c->token.empty())
            c->headers = curl_slist_append(c->headers, ("Authorization: Bearer " + c->token).c_str());
        curl_easy_setopt(c->easy, CURLOPT_URL, c->url.c_str());
        curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
        curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, Collect);
        curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &c->response);
        curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, 60L);
        if (!c->body.empty()) curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body.c_str());
        curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c.get());
        c->started = Now();
        curl_multi_add_handle(multi_, c->easy);
        ++running_;
        c.release();
    }
    void At(double when, std::function<void()> f) { timers_.push({when, seq_++, std::move(f)}); }

    // Runs until no call is in flight and no timer is pending.
    void Run() {
        while (running_ > 0 || !timers_.empty()) {
            const double now = Now();
            while (!timers_.empty() && timers_.top().when <= now) {
                auto f = timers_.top().fn;
                timers_.pop();
                f();
            }
            int wait_ms = 100;
            if (!timers_.empty())
                wait_ms = std::clamp(static_cast<int>((timers_.top().when - Now()) * 1000), 0, 100);
            int still = 0;
            curl_multi_perform(multi_, &still);
            int left = 0;
            while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
                if (m->msg != CURLMSG_DONE) continue;
                Call* c = nullptr;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &c);
                curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &c->status);
                if (m->data.result != CURLE_OK)
                    c->status = 599;  // transport failure counts as a server error
                curl_multi_remove_handle(multi_, c->easy);
                curl_easy_cleanup(c->easy);
                curl_slist_free_all(c->headers);
                std::unique_ptr<Call> owned(c);
                --running_;
                if (owned->done) owned->done(*owned);
            }
            curl_multi_poll(multi_, nullptr, 0, wait_ms, nullptr);
        }
    }

  private:
    struct Timer {
        double when;
        long seq;
        std::function<void()> fn;
        bool operator>(const Timer& o) const { return when != o.when ? when > o.when : seq > o.seq; }
    };
    CURLM* multi_;
    int running_ = 0;
    long seq_ = 0;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
};

std::string Arg(int argc, char** argv, const char* name, const std::string& fallback) {
    for (int i = 2; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

const char* kShipping =
    R"("shipping":{"name":"Kim","phone":"010-0000-0000","postal_code":"04524","address":"Seoul"})";

std::string OrderBody(long long product) {
    return R"({"items":[{"product_id":)" + std::to_string(product) + R"(,"quantity":1}],)" + kShipping + "}";
}

std::vector<long long> CreateProducts(const std::string& base, const std::string& admin, int count,
                                      long long stock) {
    Loop loop;
    std::vector<long long> ids;
    for (int i = 0; i < count; ++i) {
        auto c = std::make_unique<Call>();
        c->url = base + "/api/v1/admin/products";
        c->token = admin;
        c->body = R"({"name":"bench-)" + std::to_string(i) + R"(","price":1000,"stock":)" +
                  std::to_string(stock) + "}";
        c->done = [&ids](Call& c) {
            rapidjson::Document d;
            d.Parse(c.response.c_str());
            if (c.status != 201 || !d.IsObject()) {
                std::fprintf(stderr, "creating a product failed: %ld %s\n", c.status, c.response.c_str());
                std::exit(2);
            }
            ids.push_back(d["id"].GetInt64());
        };
        loop.Start(std::move(c));
    }
    loop.Run();
    return ids;
}

// Every buyer posts one order for `product` at once; each 202's latency goes to `latency` and its
// body to `accepted(buyer, body)`.
void PostOrders(Loop& loop, const std::string& base, const std::vector<std::string>& tokens,
                long long product, int& errors, std::vector<double>& latency,
                std::function<void(int, const rapidjson::Document&)> accepted) {
    for (int b = 0; b < static_cast<int>(tokens.size()); ++b) {
        auto c = std::make_unique<Call>();
        c->url = base + "/api/v1/orders";
        c->token = tokens[b];
        c->body = OrderBody(product);
        c->done = [&errors, &latency, accepted, b](Call& c) {
            if (c.status >= 500) ++errors;
            if (c.status != 202) {
                std::fprintf(stderr, "order not accepted: %ld %s\n", c.status, c.response.c_str());
                return;
            }
            latency.push_back(Now() - c.started);
            rapidjson::Document d;
            d.Parse(c.response.c_str());
            accepted(b, d);
        };
        loop.Start(std::move(c));
    }
}

int Flash(const std::string& base, const std::string& secret, int buyers, long long stock, double poll) {
    const auto exp = std::time(nullptr) + 7200;
    const std::string admin = checkout::MintJwt(secret, "bench-admin", "admin", exp);
    const long long product = CreateProducts(base, admin, 1, stock).front();
    std::vector<std::string> tokens;
    const std::string run = std::to_string(std::time(nullptr));
    for (int i = 0; i < buyers; ++i)
        tokens.push_back(checkout::MintJwt(secret, "flash-" + run + "-" + std::to_string(i), "", exp));

    Loop loop;
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> unit(0, 1);
    std::vector<double> accept, settle, finished;
    int errors = 0, confirmed = 0, failed_stock = 0;
    double last_seen = 0;
    std::function<void(int, std::string)> poll_status = [&](int b, std::string url) {
        auto c = std::make_unique<Call>();
        c->url = base + url;
        c->token = tokens[b];
        c->done = [&, b, url](Call& c) {
            if (c.status >= 500) ++errors;
            rapidjson::Document d;
            d.Parse(c.response.c_str());
            if (c.status != 200 || !d.IsObject() || std::string(d["status"].GetString()) == "pending") {
                loop.At(Now() + poll, [&, b, url] { poll_status(b, url); });
                return;
            }
            const std::string st = d["status"].GetString();
            if (st == "confirmed") ++confirmed;
            if (st == "failed" && d["failure_reason"].IsString() &&
                std::string(d["failure_reason"].GetString()) == "INSUFFICIENT_STOCK")
                ++failed_stock;
            const auto& job = d["job"];
            const double created = ParseIso(job["created_at"].GetString());
            const double fin = ParseIso(job["finished_at"].GetString());
            settle.push_back(fin - created);
            finished.push_back(fin);
            last_seen = Now();
        };
        loop.Start(std::move(c));
    };
    const double cpu0 = CpuSeconds();
    const double t0 = Now();
    PostOrders(loop, base, tokens, product, errors, accept, [&](int b, const rapidjson::Document& d) {
        std::string url = d["status_url"].GetString();
        loop.At(Now() + poll * unit(rng), [&, b, url] { poll_status(b, url); });
    });
    loop.Run();
    const double cpu = CpuSeconds() - cpu0;

    long long remaining = -1;
    {
        Loop l;
        auto c = std::make_unique<Call>();
        c->url = base + "/api/v1/products/" + std::to_string(product);
        c->token = admin;
        c->done = [&](Call& c) {
            rapidjson::Document d;
            d.Parse(c.response.c_str());
            remaining = d["stock"].GetInt64();
        };
        l.Start(std::move(c));
        l.Run();
    }
    const double window = accept.empty() ? 0 : *std::max_element(accept.begin(), accept.end());
    const double all_settled =
        finished.empty() ? NAN : *std::max_element(finished.begin(), finished.end()) - t0;
    std::printf("== flash sale: %d buyers at once, stock %lld ==\n", buyers, stock);
    std::printf("orders accepted:        %zu (%.0f/s over the burst)\n", accept.size(),
                accept.size() / std::max(window, 1e-9));
    std::printf("202 latency:            min %.1f ms  p5 %.1f ms  p50 %.1f ms  p95 %.1f ms  p99 %.1f ms\n",
                Pct(accept, 0) * 1e3, Pct(accept, 5) * 1e3, Pct(accept, 50) * 1e3, Pct(accept, 95) * 1e3,
                Pct(accept, 99) * 1e3);
    std::printf("202 -> settled:         p50 %.1f ms  p99 %.1f ms (server timestamps)\n",
                Pct(settle, 50) * 1e3, Pct(settle, 99) * 1e3);
    std::printf(
        "all settled after:      %.2f s from the first request (client saw the last at %.2f s, polling every "
        "%.0f ms)\n",
        all_settled, last_seen - t0, poll * 1e3);
    std::printf("outcomes:               %d confirmed, %d failed INSUFFICIENT_STOCK, stock left %lld\n",
                confirmed, failed_stock, remaining);
    std::printf("5xx responses:          %d\n", errors);
    std::printf("load generator CPU:     %.2f s over %.2f s wall\n", cpu, Now() - t0);
    const bool ok =
        confirmed + remaining == stock && remaining >= 0 && confirmed + failed_stock == buyers && errors == 0;
    std::printf("invariants:             %s\n",
                ok ? "OK (stock + confirmed == initial, no oversell, no 5xx)" : "VIOLATED");
    return ok ? 0 : 1;
}

// One GET or POST on a fresh loop (setup and read-outs, not measured).
std::string Fetch(const std::string& url, const std::string& body = "", const std::string& token = "") {
    Loop l;
    std::string out;
    auto c = std::make_unique<Call>();
    c->url = url;
    c->body = body;
    c->token = token;
    c->done = [&](Call& c) { out = c.response; };
    l.Start(std::move(c));
    l.Run();
    return out;
}

int Checkout(const std::string& base, const std::string& gateway, const std::string& secret, int buyers,
             long long stock, double poll, int latency_ms, int jitter_ms) {
    const auto exp = std::time(nullptr) + 7200;
    const std::string admin = checkout::MintJwt(secret, "bench-admin", "admin", exp);
    const long long product = CreateProducts(base, admin, 1, stock).front();
    const std::string run = std::to_string(std::time(nullptr));
    std::vector<std::string> tokens;
    for (int i = 0; i < buyers; ++i)
        tokens.push_back(checkout::MintJwt(secret, "buyer-" + run + "-" + std::to_string(i), "", exp));
    Fetch(gateway + "/sandbox/reset", "{}");
    Fetch(gateway + "/sandbox/config", "{\"latency_ms\":" + std::to_string(latency_ms) +
                                           ",\"jitter_ms\":" + std::to_string(jitter_ms) + "}");

    Loop loop;
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> unit(0, 1);
    std::vector<double> order_202, pay_202, pay_done, finished;
    std::vector<std::string> paid_keys;
    int errors = 0, out_of_stock = 0, pay_failed = 0;
    auto key_of = [&](int b) { return "bench_pk_" + run + "_" + std::to_string(b); };

    std::function<void(int, std::string, double)> poll_payment = [&](int b, std::string url,
                                                                     double accepted_at) {
        auto c = std::make_unique<Call>();
        c->url = base + url;
        c->token = tokens[b];
        c->done = [&, b, url, accepted_at](Call& c) {
            if (c.status >= 500) ++errors;
            rapidjson::Document d;
            d.Parse(c.response.c_str());
            const std::string st = c.status == 200 && d.IsObject() ? d["status"].GetString() : "";
            if (st != "done" && st != "failed") {
                loop.At(Now() + poll, [&, b, url, accepted_at] { poll_payment(b, url, accepted_at); });
                return;
            }
            if (st == "failed")
                ++pay_failed;
            else
                paid_keys.push_back(key_of(b));
            pay_done.push_back(Now() - accepted_at);
            finished.push_back(Now());
        };
        loop.Start(std::move(c));
    };
    auto pay = [&](int b, const std::string& order_number) {
        auto c = std::make_unique<Call>();
        c->url = base + "/api/v1/payments/confirm";
        c->token = tokens[b];
        c->body =
            R"({"paymentKey":")" + key_of(b) + R"(","orderId":")" + order_number + R"(","amount":1000})";
        c->done = [&, b](Call& c) {
            if (c.status >= 500) ++errors;
            if (c.status != 202) {
                std::fprintf(stderr, "payment not accepted: %ld %s\n", c.status, c.response.c_str());
                return;
            }
            const double now = Now();
            pay_202.push_back(now - c.started);
            rapidjson::Document d;
            d.Parse(c.response.c_str());
            std::string url = d["status_url"].GetString();
            loop.At(now + poll * unit(rng), [&, b, url, now] { poll_payment(b, url, now); });
        };
        loop.Start(std::move(c));
    };
    std::function<void(int, std::string, std::string)> poll_order = [&](int b, std::string url,
                                                                        std::string number) {
        auto c = std::make_unique<Call>();
        c->url = base + url;
        c->token = tokens[b];
        c->done = [&, b, url, number](Call& c) {
            if (c.status >= 500) ++errors;
            rapidjson::Document d;
            d.Parse(c.response.c_str());
            const std::string st = c.status == 200 && d.IsObject() ? d["status"].GetString() : "pending";
            if (st == "pending") {
                loop.At(Now() + poll, [&, b, url, number] { poll_order(b, url, number); });
                return;
            }
            if (st == "confirmed")
                pay(b, number);
            else {
                ++out_of_stock;
                finished.push_back(Now());
            }
        };
        loop.Start(std::move(c));
    };
    const double cpu0 = CpuSeconds();
    const double t0 = Now();
    PostOrders(loop, base, tokens, product, errors, order_202, [&](int b, const rapidjson::Document& d) {
        std::string url = d["status_url"].GetString(), number = d["order_number"].GetString();
        loop.At(Now() + poll * unit(rng), [&, b, url, number] { poll_order(b, url, number); });
    });
    loop.Run();
    const double cpu = CpuSeconds() - cpu0;
    const double all_done = finished.empty() ? NAN : *std::max_element(finished.begin(), finished.end()) - t0;

    rapidjson::Document stats;
    const std::string stats_json = Fetch(gateway + "/sandbox/stats");
    stats.Parse(stats_json.c_str());
    int single = 0, multiple = 0, stray = 0;
    std::map<std::string, int> paid_set;
    for (const auto& k : paid_keys) paid_set[k] = 1;
    for (auto it = stats["approvals"].MemberBegin(); it != stats["approvals"].MemberEnd(); ++it) {
        const int n = it->value.GetInt();
        if (n > 1)
            ++multiple;
        else if (paid_set.count(it->name.GetString()))
            ++single;
        else
            ++stray;
    }
    Fetch(gateway + "/sandbox/config", R"({"latency_ms":0,"jitter_ms":0})");

    std::printf("== checkout: %d buyers at once, stock %lld, gateway latency %d +- %d ms ==\n", buyers, stock,
                latency_ms, jitter_ms);
    std::printf("checkouts completed:    %zu paid, %d sold out, %d payments failed\n", paid_keys.size(),
                out_of_stock, pay_failed);
    std::printf(
        "all done after:         %.2f s from the first request (every order settled, every payment final)\n",
        all_done);
    std::printf("throughput:             %.0f checkouts/s\n", paid_keys.size() / all_done);
    std::printf("order 202 latency:      p50 %.1f ms  p99 %.1f ms\n", Pct(order_202, 50) * 1e3,
                Pct(order_202, 99) * 1e3);
    std::printf("payment 202 latency:    p50 %.1f ms  p99 %.1f ms\n", Pct(pay_202, 50) * 1e3,
                Pct(pay_202, 99) * 1e3);
    std::printf("payment 202 -> done:    p50 %.1f ms  p99 %.1f ms (client-observed, polling every %.0f ms)\n",
                Pct(pay_done, 50) * 1e3, Pct(pay_done, 99) * 1e3, poll * 1e3);
    std::printf("gateway calls in flight at peak: %d (as counted by the sandbox)\n",
                stats["max_in_flight"].GetInt());
    std::printf(
        "approvals:              %d paid orders approved once, %d approved more than once, %d approved but "
        "not paid\n",
        single, multiple, stray);
    std::printf("5xx responses:          %d\n", errors);
    std::printf("load generator CPU:     %.2f s over %.2f s wall\n", cpu, Now() - t0);
    const bool ok = multiple == 0 && stray == 0 && single == static_cast<int>(paid_keys.size()) &&
                    errors == 0 &&
                    static_cast<long long>(paid_keys.size()) == std::min<long long>(stock, buyers);
    std::printf("invariants:             %s\n",
                ok ? "OK (one approval per paid order, every unit of stock paid, no 5xx)" : "VIOLATED");
    return ok ? 0 : 1;
}

int Open(const std::string& base, const std::string& secret, int rate, int seconds, int products,
         long long extras) {
    const auto exp = std::time(nullptr) + 7200;
    const std::string admin = checkout::MintJwt(secret, "bench-admin", "admin", exp);
    const auto ids = CreateProducts(base, admin, products, 1'000'000'000LL);
    std::vector<std::string> tokens;
    for (int i = 0; i < 200; ++i)
        tokens.push_back(checkout::MintJwt(secret, "open-" + std::to_string(i), "", exp));
    Loop loop;
    std::mt19937 rng(7);
    std::vector<double> lat, steady;  // steady: orders scheduled after the first 2 s (new buyers,
    int bad = 0;                      // connections and prepared statements all warm by then)
    const int total = rate * seconds;
    const double start = Now() + 0.2;
    for (int i = 0; i < total; ++i) {
        const double at = start + static_cast<double>(i) / rate;
        const auto product = ids[rng() % ids.size()];
        // With extras, each order's buyer holds the coupon and the points it uses.
        const std::string token = extras > 0
                                      ? checkout::MintJwt(secret, "extra-" + std::to_string(i), "", exp)
                                      : tokens[rng() % tokens.size()];
        loop.At(at, [&, at, product, token] {
            auto c = std::make_unique<Call>();
            c->url = base + "/api/v1/orders";
            c->token = token;
            c->body = OrderBody(product);
            if (extras > 0)
                c->body.insert(c->body.size() - 1,
                               ",\"coupon_id\":" + std::to_string(extras) + ",\"use_points\":10");
            c->done = [&, at](Call& c) {
                if (c.status != 202) ++bad;
                lat.push_back(Now() - at);  // from the scheduled send time: no coordinated omission
                if (at >= start + 2.0) steady.push_back(lat.back());
            };
            loop.Start(std::move(c));
        });
    }
    const double cpu0 = CpuSeconds();
    loop.Run();
    const double wall = Now() - start;
    std::printf("== open loop: %d orders/s for %d s across %d products ==\n", rate, seconds, products);
    std::printf("sent %d, non-202: %d, achieved %.0f/s\n", total, bad, total / wall);
    std::printf("202 latency (from scheduled send): p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
                Pct(lat, 50) * 1e3, Pct(lat, 99) * 1e3, Pct(lat, 100) * 1e3);
    if (!steady.empty())
        std::printf("  after the first 2 s:             p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
                    Pct(steady, 50) * 1e3, Pct(steady, 99) * 1e3, Pct(steady, 100) * 1e3);
    std::printf("load generator CPU:     %.2f s over %.2f s wall\n", CpuSeconds() - cpu0, wall);
    return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    const char* secret = std::getenv("JWT_SECRET");
    if ((mode != "flash" && mode != "open" && mode != "checkout") || !secret) {
        std::fprintf(stderr,
                     "usage: JWT_SECRET=... checkout-bench flash|open|checkout [options]; see bench/*.sh\n");
        return 2;
    }
    // A thousand simultaneous buyers need a thousand sockets.
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const std::string base = Arg(argc, argv, "--base", "http://127.0.0.1:8080");
    if (mode == "checkout")
        return Checkout(base, Arg(argc, argv, "--gateway", "http://127.0.0.1:18090"), secret,
                        std::stoi(Arg(argc, argv, "--buyers", "1000")),
                        std::stoll(Arg(argc, argv, "--stock", "1000")),
                        std::stod(Arg(argc, argv, "--poll-ms", "250")) / 1000.0,
                        std::stoi(Arg(argc, argv, "--latency-ms", "300")),
                        std::stoi(Arg(argc, argv, "--jitter-ms", "100")));
    if (mode == "flash")
        return Flash(base, secret, std::stoi(Arg(argc, argv, "--buyers", "1000")),
                     std::stoll(Arg(argc, argv, "--stock", "500")),
                     std::stod(Arg(argc, argv, "--poll-ms", "250")) / 1000.0);
    return Open(base, secret, std::stoi(Arg(argc, argv, "--rate", "500")),
                std::stoi(Arg(argc, argv, "--seconds", "20")),
                std::stoi(Arg(argc, argv, "--products", "200")),
                std::stoll(Arg(argc, argv, "--extras", "0")));
}

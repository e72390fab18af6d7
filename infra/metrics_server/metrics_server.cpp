#include "infra/metrics_server/metrics_server.hpp"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "infra/core/log.hpp"
#include "infra/core/metrics.hpp"

namespace checkout {

namespace {

using namespace Pistache;

class MetricsHandler : public Http::Handler {
  public:
    HTTP_PROTOTYPE(MetricsHandler)

    void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
        if (request.resource() != "/metrics" || request.method() != Http::Method::Get) {
            response.send(Http::Code::Not_Found, "GET /metrics\n");
            return;
        }
        response.headers().add<Http::Header::ContentType>(MIME(Text, Plain));
        response.send(Http::Code::Ok, ProcessMetrics().Render());
    }
};

// From /proc/self/stat: CPU time and start, so that a benchmark or a dashboard can put each
// process's cost next to the jobs it ran.
void ProcessFigures(std::string& out) {
    std::ifstream file("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return;
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    for (std::string x; fields >> x;) f.push_back(x);
    // Fields after the name, counted from 3 ("state"): utime 14, stime 15, starttime 22, rss 24.
    if (f.size() < 22) return;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double cpu = (std::stod(f[14 - 3]) + std::stod(f[15 - 3])) / ticks;
    double boot = 0;
    std::ifstream s("/proc/stat");
    for (std::string line; std::getline(s, line);)
        if (line.rfind("btime ", 0) == 0) boot = std::stod(line.substr(6));
    MetricHeader(out, "process_cpu_seconds_total", "counter", "User and system CPU time of this process.");
    MetricLine(out, "process_cpu_seconds_total", "", cpu);
    MetricHeader(out, "process_resident_memory_bytes", "gauge", "Resident memory of this process.");
    MetricLine(out, "process_resident_memory_bytes", "",
               std::stod(f[24 - 3]) * static_cast<double>(sysconf(_SC_PAGESIZE)));
    MetricHeader(out, "process_start_time_seconds", "gauge", "When this process started (Unix time).");
    MetricLine(out, "process_start_time_seconds", "", boot + std::stod(f[22 - 3]) / ticks);
}

}  // namespace

struct MetricsServer::Impl {
    Impl(const std::string& bind, int port) : endpoint(Address(bind, Port(static_cast<uint16_t>(port)))) {}
    Http::Endpoint endpoint;
};

std::unique_ptr<MetricsServer> MetricsServer::Start(const Environment& env) {
    if (!env.metrics_port) return nullptr;
    auto server = std::unique_ptr<MetricsServer>(new MetricsServer());
    server->impl_ = std::make_unique<Impl>(env.metrics_bind, *env.metrics_port);
    // One thread: a scrape every few seconds; it never waits on the database or the broker.
    server->impl_->endpoint.init(Http::Endpoint::options().threads(1).flags(Tcp::Options::ReuseAddr));
    server->impl_->endpoint.setHandler(Http::make_handler<MetricsHandler>());
    try {
        server->impl_->endpoint.serveThreaded();
    } catch (const std::exception& e) {
        throw ConfigError("METRICS_PORT",
                          "cannot listen on " + std::to_string(*env.metrics_port) + ": " + e.what());
    }
    server->port_ = static_cast<int>(static_cast<uint16_t>(server->impl_->endpoint.getPort()));
    static bool once = [] {
        ProcessMetrics().AddCollector(ProcessFigures);
        return true;
    }();
    (void)once;
    spdlog::info("metrics on port {}", server->port_);
    if (!env.metrics_port_file.empty()) {
        // Written whole under another name, then renamed: a reader never sees half a number.
        const std::string tmp = env.metrics_port_file + ".tmp";
        std::ofstream(tmp) << server->port_ << "\n";
        std::rename(tmp.c_str(), env.metrics_port_file.c_str());
    }
    return server;
}

MetricsServer::~MetricsServer() {
    if (impl_) impl_->endpoint.shutdown();
}

}  // namespace checkout

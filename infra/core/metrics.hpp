#pragma once
// Prometheus text exposition of one process's figures: lock-free counters and fixed-bucket
// histograms, kept in a registry by metric name and label set, plus helpers to write rows computed
// elsewhere (e.g. from PostgreSQL).
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace checkout {

class Histogram {
  public:
    // Upper bounds in seconds, ascending.
    explicit Histogram(std::vector<double> bounds);
    void Observe(double seconds);
    // Appends the _bucket/_sum/_count lines; `labels` is e.g. R"(method="POST")" or empty.
    void Write(std::string& out, const std::string& name, const std::string& labels) const;
    long long count() const { return count_.load(std::memory_order_relaxed); }

  private:
    std::vector<double> bounds_;
    std::vector<std::atomic<long long>> buckets_;  // non-cumulative; +Inf last
    std::atomic<long long> count_{0};
    std::atomic<long long> sum_micros_{0};
};

// Buckets for job and call durations: 1 ms to 60 s.
const std::vector<double>& DurationBuckets();

// One process's counters and histograms. A series is made on first use and lives as long as the
// process, so callers may keep the reference; looking one up takes a lock, adding to it does not.
class MetricsRegistry {
  public:
    using Collector = std::function<void(std::string& out)>;

    // `labels` as written in the exposition: R"(queue="points",type="points.earn")", or empty.
    std::atomic<long long>& Counter(const std::string& name, const std::string& help,
                                    const std::string& labels);
    // A gauge set by its owner (store() into it), e.g. jobs in flight.
    std::atomic<long long>& Gauge(const std::string& name, const std::string& help,
                                  const std::string& labels);
    Histogram& Histo(const std::string& name, const std::string& help, const std::string& labels,
                     const std::vector<double>& bounds = DurationBuckets());
    // Figures read when scraped (gauges of state held elsewhere): the collector writes whole
    // families, headers included.
    void AddCollector(Collector collector);
    std::string Render() const;

  private:
    struct Family {
        std::string type, help;
        std::map<std::string, std::unique_ptr<std::atomic<long long>>> counters;
        std::map<std::string, std::unique_ptr<Histogram>> histograms;
    };
    std::atomic<long long>& Value(const char* type, const std::string& name, const std::string& help,
                                  const std::string& labels);
    mutable std::mutex mu_;
    std::map<std::string, Family> families_;
    std::vector<Collector> collectors_;
};

// The registry of this process, which its /metrics listener serves (metrics_server.hpp).
MetricsRegistry& ProcessMetrics();

// "# HELP" and "# TYPE" lines.
void MetricHeader(std::string& out, const std::string& name, const std::string& type,
                  const std::string& help);
void MetricLine(std::string& out, const std::string& name, const std::string& labels, double value);
// key="value", with the value escaped as the exposition format requires.
std::string Label(const std::string& key, const std::string& value);

}  // namespace checkout

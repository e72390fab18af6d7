#pragma once
// Minimal Prometheus text exposition: lock-free counters and fixed-bucket histograms for in-process
// figures, plus helpers to write rows computed elsewhere (e.g. from PostgreSQL).
#include <array>
#include <atomic>
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

private:
    std::vector<double> bounds_;
    std::vector<std::atomic<long long>> buckets_;  // non-cumulative; +Inf last
    std::atomic<long long> count_{0};
    std::atomic<long long> sum_micros_{0};
};

// "# HELP" and "# TYPE" lines.
void MetricHeader(std::string& out, const std::string& name, const std::string& type, const std::string& help);
void MetricLine(std::string& out, const std::string& name, const std::string& labels, double value);
std::string Label(const std::string& key, const std::string& value);

}  // namespace checkout

#include "common/metrics.hpp"

#include <fmt/format.h>

namespace checkout {

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1) {
    for (auto& b : buckets_) b = 0;
}

void Histogram::Observe(double seconds) {
    std::size_t i = 0;
    while (i < bounds_.size() && seconds > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(static_cast<long long>(seconds * 1e6), std::memory_order_relaxed);
}

void Histogram::Write(std::string& out, const std::string& name, const std::string& labels) const {
    const std::string sep = labels.empty() ? "" : ",";
    long long cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds_[i], cumulative);
    }
    cumulative += buckets_.back().load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
    const std::string braces = labels.empty() ? "" : "{" + labels + "}";
    out += fmt::format("{}_sum{} {}\n", name, braces, sum_micros_.load(std::memory_order_relaxed) / 1e6);
    out += fmt::format("{}_count{} {}\n", name, braces, count_.load(std::memory_order_relaxed));
}

void MetricHeader(std::string& out, const std::string& name, const std::string& type, const std::string& help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void MetricLine(std::string& out, const std::string& name, const std::string& labels, double value) {
    if (labels.empty()) out += fmt::format("{} {}\n", name, value);
    else out += fmt::format("{}{{{}}} {}\n", name, labels, value);
}

std::string Label(const std::string& key, const std::string& value) { return key + "=\"" + value + "\""; }

}  // namespace checkout

#include "infra/core/metrics.hpp"

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

const std::vector<double>& DurationBuckets() {
    static const std::vector<double> buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1,      2.5,   5,    10,    30,   60};
    return buckets;
}

std::atomic<long long>& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                                 const std::string& labels) {
    return Value("counter", name, help, labels);
}

std::atomic<long long>& MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                               const std::string& labels) {
    return Value("gauge", name, help, labels);
}

std::atomic<long long>& MetricsRegistry::Value(const char* type, const std::string& name,
                                               const std::string& help, const std::string& labels) {
    std::lock_guard lock(mu_);
    auto& family = families_[name];
    if (family.type.empty()) family = Family{type, help, {}, {}};
    auto& slot = family.counters[labels];
    if (!slot) slot = std::make_unique<std::atomic<long long>>(0);
    return *slot;
}

Histogram& MetricsRegistry::Histo(const std::string& name, const std::string& help, const std::string& labels,
                                  const std::vector<double>& bounds) {
    std::lock_guard lock(mu_);
    auto& family = families_[name];
    if (family.type.empty()) family = Family{"histogram", help, {}, {}};
    auto& slot = family.histograms[labels];
    if (!slot) slot = std::make_unique<Histogram>(bounds);
    return *slot;
}

void MetricsRegistry::AddCollector(Collector collector) {
    std::lock_guard lock(mu_);
    collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() const {
    std::string out;
    std::lock_guard lock(mu_);
    for (const auto& [name, family] : families_) {
        MetricHeader(out, name, family.type, family.help);
        for (const auto& [labels, value] : family.counters)
            MetricLine(out, name, labels, static_cast<double>(value->load(std::memory_order_relaxed)));
        for (const auto& [labels, histogram] : family.histograms) histogram->Write(out, name, labels);
    }
    for (const auto& collect : collectors_) collect(out);
    return out;
}

MetricsRegistry& ProcessMetrics() {
    static MetricsRegistry registry;
    return registry;
}

void MetricHeader(std::string& out, const std::string& name, const std::string& type,
                  const std::string& help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void MetricLine(std::string& out, const std::string& name, const std::string& labels, double value) {
    if (labels.empty())
        out += fmt::format("{} {}\n", name, value);
    else
        out += fmt::format("{}{{{}}} {}\n", name, labels, value);
}

std::string Label(const std::string& key, const std::string& value) {
    std::string escaped;
    for (char c : value) {
        if (c == '\\' || c == '"') escaped += '\\';
        if (c == '\n') {
            escaped += "\\n";
            continue;
        }
        escaped += c;
    }
    return key + "=\"" + escaped + "\"";
}

}  // namespace checkout

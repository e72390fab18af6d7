// queues.yaml (DESIGN 4): every queue's policy, validated when loaded; a bad value names its setting.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "infra/core/config.hpp"

namespace checkout {

namespace {

void RejectUnknownKeys(const YAML::Node& node, const std::set<std::string>& allowed,
                       const std::string& where) {
    for (const auto& kv : node) {
        auto key = kv.first.as<std::string>();
        if (!allowed.count(key)) throw ConfigError(where + "." + key, "unknown setting");
    }
}

template <typename T>
T Scalar(const YAML::Node& node, const std::string& setting, const char* expected) {
    if (!node.IsScalar()) throw ConfigError(setting, std::string("must be ") + expected);
    try {
        return node.as<T>();
    } catch (const YAML::Exception&) {
        throw ConfigError(setting, std::string("must be ") + expected + ", got '" + node.Scalar() + "'");
    }
}

int IntIn(const YAML::Node& node, const std::string& setting, int lo, int hi) {
    auto v = Scalar<long long>(node, setting, "an integer");
    if (v < lo || v > hi)
        throw ConfigError(setting, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return static_cast<int>(v);
}

double DoubleIn(const YAML::Node& node, const std::string& setting, double lo, double hi) {
    auto v = Scalar<double>(node, setting, "a number");
    if (!(v >= lo && v <= hi)) {
        std::ostringstream os;
        os << "must be between " << lo << " and " << hi;
        throw ConfigError(setting, os.str());
    }
    return v;
}

std::string Name(const YAML::Node& node, const std::string& setting) {
    auto s = Scalar<std::string>(node, setting, "a string");
    static const std::regex kName("^[A-Za-z0-9_.\\-]{1,200}$");
    if (!std::regex_match(s, kName)) throw ConfigError(setting, "must be 1-200 characters of [A-Za-z0-9_.-]");
    return s;
}

QueueConfig ParseQueue(const std::string& name, const YAML::Node& node) {
    const std::string where = "queues." + name;
    if (!node.IsMap()) throw ConfigError(where, "must be a mapping");
    RejectUnknownKeys(
        node,
        {"routing_key", "type", "prefetch", "concurrency", "max_retries", "backoff", "time_limit",
         "delivery_limit", "dead_letter_queue", "workers", "binary", "job_types", "max_in_flight", "batch"},
        where);
    auto require = [&](const char* key) {
        if (!node[key]) throw ConfigError(where + "." + key, "is required");
        return node[key];
    };
    QueueConfig q;
    q.name = name;
    q.routing_key = Name(require("routing_key"), where + ".routing_key");
    if (node["type"]) {
        q.type = Scalar<std::string>(node["type"], where + ".type", "a string");
        if (q.type != "quorum" && q.type != "classic")
            throw ConfigError(where + ".type", "must be 'quorum' or 'classic'");
    }
    q.prefetch = IntIn(require("prefetch"), where + ".prefetch", 1, 2000);
    if (node["concurrency"]) q.concurrency = IntIn(node["concurrency"], where + ".concurrency", 1, 256);
    q.max_retries = IntIn(require("max_retries"), where + ".max_retries", 0, 100);
    const auto backoff = require("backoff");
    if (!backoff.IsMap()) throw ConfigError(where + ".backoff", "must be a mapping");
    RejectUnknownKeys(backoff, {"initial", "multiplier", "cap", "jitter"}, where + ".backoff");
    auto breq = [&](const char* key) {
        if (!backoff[key]) throw ConfigError(where + ".backoff." + key, "is required");
        return backoff[key];
    };
    q.backoff.initial =
        ParseDuration(Scalar<std::string>(breq("initial"), where + ".backoff.initial", "a duration"),
                      where + ".backoff.initial");
    q.backoff.multiplier = DoubleIn(breq("multiplier"), where + ".backoff.multiplier", 1.0, 100.0);
    q.backoff.cap = ParseDuration(Scalar<std::string>(breq("cap"), where + ".backoff.cap", "a duration"),
                                  where + ".backoff.cap");
    q.backoff.jitter = DoubleIn(breq("jitter"), where + ".backoff.jitter", 0.0, 1.0);
    if (q.backoff.cap < q.backoff.initial)
        throw ConfigError(where + ".backoff.cap", "must not be below initial");
    q.time_limit =
        ParseDuration(Scalar<std::string>(require("time_limit"), where + ".time_limit", "a duration"),
                      where + ".time_limit");
    if (node["max_in_flight"])
        q.max_in_flight = IntIn(node["max_in_flight"], where + ".max_in_flight", 1, 10000);
    if (node["batch"]) q.batch = IntIn(node["batch"], where + ".batch", 1, 1000);
    if (node["delivery_limit"])
        q.delivery_limit = IntIn(node["delivery_limit"], where + ".delivery_limit", 1, 1000);
    q.dead_letter_queue = Name(require("dead_letter_queue"), where + ".dead_letter_queue");
    q.workers = IntIn(require("workers"), where + ".workers", 0, 64);
    q.binary = Name(require("binary"), where + ".binary");
    const auto types = require("job_types");
    if (!types.IsSequence() || types.size() == 0)
        throw ConfigError(where + ".job_types", "must be a non-empty list of job types");
    for (std::size_t i = 0; i < types.size(); ++i)
        q.job_types.push_back(Name(types[i], where + ".job_types[" + std::to_string(i) + "]"));
    return q;
}

}  // namespace

Millis ParseDuration(const std::string& text, const std::string& setting) {
    static const std::regex kDuration("^([0-9]{1,9})(ms|s|m)$");
    std::smatch m;
    if (!std::regex_match(text, m, kDuration))
        throw ConfigError(setting, "must be a duration such as 250ms, 2s or 5m, got '" + text + "'");
    long long n = std::stoll(m[1].str());
    const auto unit = m[2].str();
    if (unit == "s") n *= 1000;
    if (unit == "m") n *= 60000;
    if (n <= 0) throw ConfigError(setting, "must be positive");
    return Millis(n);
}

const QueueConfig* QueuesConfig::FindQueue(const std::string& name) const {
    for (const auto& q : queues)
        if (q.name == name) return &q;
    return nullptr;
}

const QueueConfig& QueuesConfig::Queue(const std::string& name) const {
    if (const auto* q = FindQueue(name)) return *q;
    throw ConfigError("queues." + name, "no such queue in queues.yaml");
}

const QueueConfig& QueuesConfig::QueueForJobType(const std::string& job_type) const {
    for (const auto& q : queues)
        for (const auto& t : q.job_types)
            if (t == job_type) return q;
    throw ConfigError("job_types", "no queue in queues.yaml runs job type '" + job_type + "'");
}

QueuesConfig ParseQueuesYaml(const std::string& yaml_text, const std::string& source) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
        throw ConfigError(source, std::string("is not valid YAML: ") + e.what());
    }
    if (!root.IsMap()) throw ConfigError(source, "must be a mapping with a 'queues' key");
    RejectUnknownKeys(root, {"exchange", "dead_letter_exchange", "queues"}, source);
    QueuesConfig cfg;
    if (root["exchange"]) cfg.exchange = Name(root["exchange"], "exchange");
    if (root["dead_letter_exchange"])
        cfg.dead_letter_exchange = Name(root["dead_letter_exchange"], "dead_letter_exchange");
    const auto queues = root["queues"];
    if (!queues || !queues.IsMap() || queues.size() == 0)
        throw ConfigError("queues", "must map queue names to settings");
    std::set<std::string> routing_keys, job_types, names;
    for (const auto& kv : queues) {
        const auto name = Name(kv.first, "queues");
        auto q = ParseQueue(name, kv.second);
        if (!routing_keys.insert(q.routing_key).second)
            throw ConfigError("queues." + name + ".routing_key", "is used by another queue");
        for (const auto& t : q.job_types)
            if (!job_types.insert(t).second)
                throw ConfigError("queues." + name + ".job_types",
                                  "job type '" + t + "' is run by another queue");
        if (q.dead_letter_queue == name || !names.insert(q.dead_letter_queue).second)
            throw ConfigError("queues." + name + ".dead_letter_queue", "must be a queue of its own");
        names.insert(name);
        cfg.queues.push_back(std::move(q));
    }
    return cfg;
}

QueuesConfig LoadQueuesYaml(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError("QUEUES_FILE", "cannot read '" + path + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    return ParseQueuesYaml(ss.str(), path);
}

}  // namespace checkout

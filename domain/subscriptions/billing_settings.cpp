#include "domain/subscriptions/billing_settings.hpp"

#include <filesystem>

#include "domain/subscriptions/billing_calendar.hpp"
#include "infra/core/error.hpp"

namespace checkout {

namespace {

std::shared_ptr<const SecretBox> LoadBox(EnvLookup lookup) {
    auto v = lookup("BILLING_KEY_SECRET");
    if (!v || v->empty())
        throw ConfigError(
            "BILLING_KEY_SECRET",
            "is not set (32 random bytes, base64: openssl rand -base64 32; scripts/run.sh makes "
            "a local one)");
    auto key = SecretBox::KeyFromBase64(*v);
    if (!key)
        throw ConfigError("BILLING_KEY_SECRET",
                          "must be 32 random bytes in base64 (44 characters ending in =)");
    return std::make_shared<const SecretBox>(*key);
}

std::string LoadTimezone(EnvLookup lookup, const std::string& zoneinfo) {
    auto v = lookup("BILLING_TIMEZONE");
    if (!v || v->empty()) return "Asia/Seoul";
    // A name such as Asia/Seoul or UTC: letters, digits and _+-/ only, no "..", and a zone file.
    const bool plain =
        v->find("..") == std::string::npos && v->front() != '/' &&
        v->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") ==
            std::string::npos;
    std::error_code ec;
    if (!plain || !std::filesystem::is_regular_file(std::filesystem::path(zoneinfo) / *v, ec))
        throw ConfigError(
            "BILLING_TIMEZONE",
            "must name a time zone of the system's database (e.g. Asia/Seoul), got '" + *v + "'");
    return *v;
}

std::vector<Millis> LoadDunning(EnvLookup lookup) {
    auto v = lookup("DUNNING_SCHEDULE");
    const std::string text = v && !v->empty() ? *v : "1d,3d,5d,7d";
    std::vector<Millis> out;
    std::size_t at = 0;
    while (at <= text.size()) {
        const std::size_t comma = std::min(text.find(',', at), text.size());
        const Millis d = ParseLongDuration(text.substr(at, comma - at), "DUNNING_SCHEDULE");
        if (!out.empty() && d <= out.back())
            throw ConfigError("DUNNING_SCHEDULE", "the retries must come later and later (e.g. 1d,3d,5d,7d)");
        out.push_back(d);
        at = comma + 1;
    }
    if (out.size() > 10) throw ConfigError("DUNNING_SCHEDULE", "at most 10 retries");
    return out;
}

std::string LoadDunningFinal(EnvLookup lookup) {
    auto v = lookup("DUNNING_FINAL");
    if (!v || v->empty()) return "canceled";
    if (*v != "canceled" && *v != "unpaid")
        throw ConfigError("DUNNING_FINAL", "must be canceled or unpaid, got '" + *v + "'");
    return *v;
}

}  // namespace

BillingSettings LoadBillingSettings(EnvLookup lookup, const std::string& zoneinfo) {
    BillingSettings s;
    s.box = LoadBox(lookup);
    s.timezone = LoadTimezone(lookup, zoneinfo);
    s.dunning = LoadDunning(lookup);
    s.charge_timeout = Millis(EnvInt(lookup, "BILLING_CHARGE_TIMEOUT_MS", 60000, 1000, 120000));
    s.dunning_final = LoadDunningFinal(lookup);
    return s;
}

BillingClock LoadBillingClock(EnvLookup lookup, const std::string& zoneinfo) {
    BillingClock c;
    c.timezone = LoadTimezone(lookup, zoneinfo);
    c.dunning_final = LoadDunningFinal(lookup);
    if (auto v = lookup("BILLING_TODAY"); v && !v->empty()) {
        if (!ParseDate(*v))
            throw ConfigError("BILLING_TODAY", "must be a date such as 2027-01-31, got '" + *v + "'");
        c.today = *v;
    }
    return c;
}

}  // namespace checkout

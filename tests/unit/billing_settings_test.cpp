// Recurring billing's settings stop the program at start, naming the setting (domain/subscriptions).
#include "domain/subscriptions/billing_settings.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace checkout;

namespace {

std::map<std::string, std::string> g_billing_env;

std::optional<std::string> BillingEnv(const char* name) {
    auto it = g_billing_env.find(name);
    if (it == g_billing_env.end()) return std::nullopt;
    return it->second;
}

const char* kSecret = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=";  // 32 bytes

std::string Refused() {
    try {
        LoadBillingSettings(BillingEnv);
    } catch (const ConfigError& e) {
        return e.setting();
    }
    return "<accepted>";
}

}  // namespace

TEST_CASE("billing settings: defaults, and every bad value named") {
    g_billing_env = {};
    CHECK(Refused() == "BILLING_KEY_SECRET");
    for (const char* bad : {"short", "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tr",  // 33 bytes
                            "0123456789012345678901234567890123456789012",            // not base64 of 32
                            " a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="}) {
        g_billing_env = {{"BILLING_KEY_SECRET", bad}};
        CHECK(Refused() == "BILLING_KEY_SECRET");
    }
    g_billing_env = {{"BILLING_KEY_SECRET", kSecret}};
    const auto s = LoadBillingSettings(BillingEnv);
    CHECK(s.box->Open(s.box->Seal("x", "c"), "c") == "x");
    CHECK(s.timezone == "Asia/Seoul");
    CHECK(s.dunning == std::vector<Millis>{Millis(86400000LL), Millis(3 * 86400000LL), Millis(5 * 86400000LL),
                                           Millis(7 * 86400000LL)});
    CHECK(s.dunning_final == "canceled");

    for (const char* bad :
         {"Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Asia/Seoul;", "asia/seoul", "Asia"}) {
        g_billing_env = {{"BILLING_KEY_SECRET", kSecret}, {"BILLING_TIMEZONE", bad}};
        INFO(bad);
        CHECK(Refused() == "BILLING_TIMEZONE");
    }
    g_billing_env = {{"BILLING_KEY_SECRET", kSecret}, {"BILLING_TIMEZONE", "America/New_York"}};
    CHECK(LoadBillingSettings(BillingEnv).timezone == "America/New_York");

    for (const char* bad :
         {"1d,1d", "3d,1d", "30m", "1d,", ",1d", "1w", "1d,2d,3d,4d,5d,6d,7d,8d,9d,10d,11d"}) {
        g_billing_env = {{"BILLING_KEY_SECRET", kSecret}, {"DUNNING_SCHEDULE", bad}};
        INFO(bad);
        CHECK(Refused() == "DUNNING_SCHEDULE");
    }
    g_billing_env = {{"BILLING_KEY_SECRET", kSecret}, {"DUNNING_SCHEDULE", "12h,2d"}};
    CHECK(LoadBillingSettings(BillingEnv).dunning ==
          std::vector<Millis>{Millis(12 * 3600000LL), Millis(2 * 86400000LL)});

    g_billing_env = {{"BILLING_KEY_SECRET", kSecret}, {"DUNNING_FINAL", "paused"}};
    CHECK(Refused() == "DUNNING_FINAL");
    g_billing_env = {{"BILLING_KEY_SECRET", kSecret}, {"DUNNING_FINAL", "unpaid"}};
    CHECK(LoadBillingSettings(BillingEnv).dunning_final == "unpaid");
}

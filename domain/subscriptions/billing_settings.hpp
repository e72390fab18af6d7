#pragma once
// Recurring billing's settings (DESIGN 7), read at start by the programs that bill; a bad value
// throws ConfigError naming the setting:
//   BILLING_KEY_SECRET  32 random bytes, base64 (`openssl rand -base64 32`): seals the billing keys
//                       and the widget's authKeys at rest. Required.
//   BILLING_TIMEZONE    the zone whose calendar days the periods are counted in (default Asia/Seoul;
//                       a name of the system's time zone database).
//   DUNNING_SCHEDULE    after a declined renewal, when to try again, each from the decline
//                       (default 1d,3d,5d,7d; 1 to 10 durations of at least 1h, increasing).
//   DUNNING_FINAL       what a subscription becomes after the last retry: canceled (default) or unpaid.
//   BILLING_CHARGE_TIMEOUT_MS  how long a charge waits for the gateway (default 60000: the gateway
//                       says a billing charge can take up to 60 s; 1000 to 120000).
#include <memory>
#include <string>
#include <vector>

#include "infra/core/config.hpp"
#include "infra/crypto/secret_box.hpp"

namespace checkout {

struct BillingSettings {
    std::shared_ptr<const SecretBox> box;
    std::string timezone = "Asia/Seoul";
    std::vector<Millis> dunning;
    std::string dunning_final = "canceled";
    Millis charge_timeout{60000};
};

// `zoneinfo`: where the time zone database lives (a test may point elsewhere).
BillingSettings LoadBillingSettings(EnvLookup lookup = ProcessEnv,
                                    const std::string& zoneinfo = "/usr/share/zoneinfo");

// What the scheduler needs to find due renewals and dunning: BILLING_TIMEZONE, DUNNING_FINAL, and
// BILLING_TODAY ("YYYY-MM-DD"), which moves the billing clock by whole days for tests and drills
// ("what would renew on the 31st?", "what retries in three days?"); empty: today.
struct BillingClock {
    std::string timezone = "Asia/Seoul";
    std::string today;
    std::string dunning_final = "canceled";
};
BillingClock LoadBillingClock(EnvLookup lookup = ProcessEnv,
                              const std::string& zoneinfo = "/usr/share/zoneinfo");

}  // namespace checkout

#pragma once
// The points worker's settings (DESIGN 7): POINT_RATES, the earn rate of each membership grade, and
// POINTS_VALID_DAYS, how long an earned lot lasts. Read at start; a bad value throws ConfigError
// naming the setting.
#include "domain/points/point_rules.hpp"
#include "infra/core/config.hpp"

namespace checkout {

struct PointSettings {
    PointRates rates = ParsePointRates("basic=1,silver=2,gold=5");
    int valid_days = 365;
};

PointSettings LoadPointSettings(EnvLookup lookup = ProcessEnv);

}  // namespace checkout

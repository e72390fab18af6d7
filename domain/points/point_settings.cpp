#include "domain/points/point_settings.hpp"

namespace checkout {

PointSettings LoadPointSettings(EnvLookup lookup) {
    PointSettings s;
    if (auto v = lookup("POINT_RATES"); v && !v->empty()) s.rates = ParsePointRates(*v);
    s.valid_days = EnvInt(lookup, "POINTS_VALID_DAYS", s.valid_days, 1, 3650);
    return s;
}

}  // namespace checkout

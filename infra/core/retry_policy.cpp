#include "infra/core/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace checkout {

Millis BaseDelay(const BackoffPolicy& p, int attempt) {
    const double exponent = std::max(0, attempt - 1);
    const double raw = static_cast<double>(p.initial.count()) * std::pow(p.multiplier, exponent);
    const double capped = std::min(raw, static_cast<double>(p.cap.count()));
    return Millis(static_cast<long long>(capped));
}

Millis JitteredDelay(const BackoffPolicy& p, int attempt, double unit) {
    const double base = static_cast<double>(BaseDelay(p, attempt).count());
    const double factor = 1.0 + p.jitter * (2.0 * std::clamp(unit, 0.0, 1.0) - 1.0);
    return Millis(static_cast<long long>(std::llround(base * factor)));
}

Millis NextDelay(const BackoffPolicy& p, int attempt) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> dist(0.0, 1.0);
    return JitteredDelay(p, attempt, dist(rng));
}

}  // namespace checkout

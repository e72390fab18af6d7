#include "domain/points/point_rules.hpp"

#include <algorithm>
#include <charconv>

#include "infra/core/error.hpp"

namespace checkout {

std::optional<std::vector<LotTake>> TakeFirstExpiring(const std::vector<PointLot>& lots, long long amount,
                                                      bool partial) {
    std::vector<LotTake> takes;
    long long left = amount;
    for (const auto& lot : lots) {
        if (left <= 0) break;
        const long long take = std::min(left, lot.remaining);
        if (take <= 0) continue;
        takes.push_back({lot.id, take});
        left -= take;
    }
    if (left > 0 && !partial) return std::nullopt;
    return takes;
}

std::vector<LotTake> PayDebtFirst(const std::vector<LotTake>& credits, long long& debt) {
    std::vector<LotTake> left;
    for (const auto& c : credits) {
        const long long paid = std::min(std::max(debt, 0LL), c.amount);
        debt -= paid;
        if (c.amount - paid > 0) left.push_back({c.lot_id, c.amount - paid});
    }
    return left;
}

long long PointRates::PointsFor(const std::string& grade, long long paid_amount) const {
    auto it = percent_by_grade.find(grade);
    if (it == percent_by_grade.end()) it = percent_by_grade.find(default_grade);
    const long long percent = it == percent_by_grade.end() ? 0 : it->second;
    return paid_amount * percent / 100;  // rounded down: a point is never given for a fraction
}

PointRates ParsePointRates(const std::string& text) {
    PointRates rates;
    rates.percent_by_grade.clear();
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find(',', start), text.size());
        const std::string pair = text.substr(start, end - start);
        const auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
            throw ConfigError("POINT_RATES",
                              "expected grade=percent pairs separated by commas, got '" + pair + "'");
        const std::string grade = pair.substr(0, eq), value = pair.substr(eq + 1);
        long long percent = -1;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), percent);
        if (ec != std::errc() || ptr != value.data() + value.size() || percent < 0 || percent > 100)
            throw ConfigError("POINT_RATES",
                              "the rate of grade '" + grade + "' must be a percent from 0 to 100");
        if (!rates.percent_by_grade.emplace(grade, percent).second)
            throw ConfigError("POINT_RATES", "grade '" + grade + "' is given twice");
        start = end + 1;
    }
    if (!rates.percent_by_grade.count(rates.default_grade))
        throw ConfigError("POINT_RATES", "must give a rate for the default grade 'basic'");
    return rates;
}

}  // namespace checkout

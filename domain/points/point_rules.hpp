#pragma once
// Points rules (DESIGN 3.3), without the database: which lots a spend takes, first-expiring first, and
// how many points a paid amount earns at a grade's rate.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace checkout {

struct PointLot {
    long long id = 0;
    long long remaining = 0;
};

struct LotTake {
    long long lot_id = 0;
    long long amount = 0;
};

// Takes `amount` from `lots` in the order given (the caller lists them first-expiring first). With
// `partial` false, nullopt when the lots hold less than `amount`; with `partial` true, takes what
// there is (a refund takes back earned points that may have been spent already).
std::optional<std::vector<LotTake>> TakeFirstExpiring(const std::vector<PointLot>& lots, long long amount,
                                                      bool partial = false);

// Points coming back (a restore into `credits`' lots) pay off `debt` first: returns what is left
// to put into each lot, in the order given, and lowers `debt` by what was paid.
std::vector<LotTake> PayDebtFirst(const std::vector<LotTake>& credits, long long& debt);

// POINT_RATES: the percent of a paid amount each grade earns, e.g. "basic=1,silver=2,gold=5".
struct PointRates {
    std::map<std::string, long long> percent_by_grade;
    std::string default_grade = "basic";
    // A grade missing from the configuration earns at the default grade's rate.
    long long PointsFor(const std::string& grade, long long paid_amount) const;
};
// Throws ConfigError("POINT_RATES", ...) for anything else than grade=percent pairs (0..100) that
// name the default grade.
PointRates ParsePointRates(const std::string& text);

}  // namespace checkout

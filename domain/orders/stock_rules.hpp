#pragma once
// The stock rules of DESIGN 3.1 step 2, as plain functions.
#include <map>
#include <optional>
#include <vector>

#include "domain/orders/order_request.hpp"

namespace checkout {

// Lines of the same product count together; the result is sorted by product id, which is also the
// order in which rows are locked, so that two orders never wait on each other in a cycle.
std::vector<OrderLine> MergeLines(const std::vector<OrderLine>& lines);

// The first product whose stock cannot cover its merged quantity, if any. A product missing from
// `stock` counts as having none.
std::optional<long long> FirstShortProduct(const std::vector<OrderLine>& merged,
                                           const std::map<long long, long long>& stock);

// The first product of `merged` whose per-buyer limit (`limits`, products without one are absent)
// the order would pass, given the units the buyer already holds (`held`) in other orders.
std::optional<long long> FirstOverLimit(const std::vector<OrderLine>& merged,
                                        const std::map<long long, long long>& limits,
                                        const std::map<long long, long long>& held);

}  // namespace checkout

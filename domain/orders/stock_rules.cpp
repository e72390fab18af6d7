#include "domain/orders/stock_rules.hpp"

namespace checkout {

std::vector<OrderLine> MergeLines(const std::vector<OrderLine>& lines) {
    std::map<long long, long long> qty;
    for (const auto& l : lines) qty[l.product_id] += l.quantity;
    std::vector<OrderLine> out;
    out.reserve(qty.size());
    for (const auto& [id, q] : qty) out.push_back(OrderLine{id, static_cast<int>(q)});
    return out;
}

std::optional<long long> FirstShortProduct(const std::vector<OrderLine>& merged,
                                           const std::map<long long, long long>& stock) {
    for (const auto& l : merged) {
        auto it = stock.find(l.product_id);
        if (it == stock.end() || it->second < l.quantity) return l.product_id;
    }
    return std::nullopt;
}

std::optional<long long> FirstOverLimit(const std::vector<OrderLine>& merged,
                                        const std::map<long long, long long>& limits,
                                        const std::map<long long, long long>& held) {
    for (const auto& line : merged) {
        auto limit = limits.find(line.product_id);
        if (limit == limits.end()) continue;
        auto h = held.find(line.product_id);
        if ((h == held.end() ? 0 : h->second) + line.quantity > limit->second) return line.product_id;
    }
    return std::nullopt;
}

}  // namespace checkout

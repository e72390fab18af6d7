#pragma once
// What a buyer may ask for in POST /api/v1/orders, checked without touching the database.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace checkout {

inline constexpr std::size_t kMaxOrderLines = 50;
inline constexpr int kMaxLineQuantity = 1000;

struct OrderLine {
    long long product_id = 0;
    int quantity = 0;
};

struct Shipping {
    std::string name, phone, postal_code, address, address_detail;
};

struct OrderRequest {
    std::vector<OrderLine> items;  // empty: order the caller's cart
    bool from_cart = false;
    std::optional<long long> coupon_id;
    Shipping shipping;
    std::optional<std::string> memo;
    long long use_points = 0;
};

// Throws AppError: kInvalidJson when the body is not JSON, kValidationFailed (with one FieldError per
// problem) when it is JSON of the wrong shape.
OrderRequest ParseOrderRequest(std::string_view body);

// Canonical JSON of the request, used to tell a replay (same body) from a key reused for another body.
std::string CanonicalJson(const OrderRequest& req);

}  // namespace checkout

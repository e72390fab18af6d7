#include "domain/orders/order_request.hpp"

#include <rapidjson/document.h>

#include "infra/core/error.hpp"
#include "infra/core/json.hpp"

namespace checkout {

namespace {

class Checker {
  public:
    void Add(std::string field, std::string problem) {
        errors_.push_back({std::move(field), std::move(problem)});
    }
    bool ok() const { return errors_.empty(); }
    std::vector<FieldError> take() { return std::move(errors_); }

    std::optional<std::string> String(const rapidjson::Value& obj, const char* key, const std::string& path,
                                      std::size_t min_len, std::size_t max_len, bool required) {
        auto it = obj.FindMember(key);
        if (it == obj.MemberEnd() || it->value.IsNull()) {
            if (required) Add(path, "is required");
            return std::nullopt;
        }
        if (!it->value.IsString()) {
            Add(path, "must be a string");
            return std::nullopt;
        }
        std::string s(it->value.GetString(), it->value.GetStringLength());
        if (s.size() < min_len || s.size() > max_len) {
            Add(path,
                "must be " + std::to_string(min_len) + " to " + std::to_string(max_len) + " characters");
            return std::nullopt;
        }
        return s;
    }

  private:
    std::vector<FieldError> errors_;
};

}  // namespace

OrderRequest ParseOrderRequest(std::string_view body) {
    const auto d = ParseJsonObject(body, "The order is invalid.");

    Checker c;
    OrderRequest req;
    auto items = d.FindMember("items");
    if (items == d.MemberEnd() || items->value.IsNull()) {
        req.from_cart = true;  // no items: the cart is ordered
    } else if (!items->value.IsArray()) {
        c.Add("items", "must be an array");
    } else if (items->value.Empty()) {
        c.Add("items", "must not be empty");
    } else if (items->value.Size() > kMaxOrderLines) {
        c.Add("items", "must have at most " + std::to_string(kMaxOrderLines) + " lines");
    } else {
        for (rapidjson::SizeType i = 0; i < items->value.Size(); ++i) {
            const auto& line = items->value[i];
            const std::string path = "items[" + std::to_string(i) + "]";
            if (!line.IsObject()) {
                c.Add(path, "must be an object");
                continue;
            }
            OrderLine l;
            auto pid = line.FindMember("product_id");
            if (pid == line.MemberEnd())
                c.Add(path + ".product_id", "is required");
            else if (!pid->value.IsInt64() || pid->value.GetInt64() <= 0)
                c.Add(path + ".product_id", "must be a positive integer");
            else
                l.product_id = pid->value.GetInt64();
            auto qty = line.FindMember("quantity");
            if (qty == line.MemberEnd())
                c.Add(path + ".quantity", "is required");
            else if (!qty->value.IsInt64())
                c.Add(path + ".quantity", "must be an integer");
            else if (qty->value.GetInt64() <= 0)
                c.Add(path + ".quantity", "must be greater than 0");
            else if (qty->value.GetInt64() > kMaxLineQuantity)
                c.Add(path + ".quantity", "must be at most " + std::to_string(kMaxLineQuantity));
            else
                l.quantity = static_cast<int>(qty->value.GetInt64());
            req.items.push_back(l);
        }
    }

    auto ship = d.FindMember("shipping");
    if (ship == d.MemberEnd() || ship->value.IsNull()) {
        c.Add("shipping", "is required");
    } else if (!ship->value.IsObject()) {
        c.Add("shipping", "must be an object");
    } else {
        const auto& s = ship->value;
        req.shipping.name = c.String(s, "name", "shipping.name", 1, 100, true).value_or("");
        req.shipping.phone = c.String(s, "phone", "shipping.phone", 1, 30, true).value_or("");
        req.shipping.postal_code =
            c.String(s, "postal_code", "shipping.postal_code", 1, 20, true).value_or("");
        req.shipping.address = c.String(s, "address", "shipping.address", 1, 300, true).value_or("");
        req.shipping.address_detail =
            c.String(s, "address_detail", "shipping.address_detail", 0, 300, false).value_or("");
    }
    req.memo = c.String(d, "memo", "memo", 0, 500, false);
    auto pts = d.FindMember("use_points");
    if (pts != d.MemberEnd() && !pts->value.IsNull()) {
        if (!pts->value.IsInt64() || pts->value.GetInt64() < 0)
            c.Add("use_points", "must be a non-negative integer");
        else
            req.use_points = pts->value.GetInt64();
    }
    auto coupon = d.FindMember("coupon_id");
    if (coupon != d.MemberEnd() && !coupon->value.IsNull()) {
        if (!coupon->value.IsInt64() || coupon->value.GetInt64() <= 0)
            c.Add("coupon_id", "must be a positive integer");
        else
            req.coupon_id = coupon->value.GetInt64();
    }
    if (!c.ok()) throw AppError(ErrorCode::kValidationFailed, "The order is invalid.", c.take());
    return req;
}

std::string CanonicalJson(const OrderRequest& req) {
    JsonWriter w;
    w.StartObject();
    w.Key("items").StartArray();
    for (const auto& l : req.items)
        w.StartObject().Key("product_id").Int(l.product_id).Key("quantity").Int(l.quantity).EndObject();
    w.EndArray();
    w.Key("shipping").StartObject();
    w.Key("name").String(req.shipping.name).Key("phone").String(req.shipping.phone);
    w.Key("postal_code").String(req.shipping.postal_code).Key("address").String(req.shipping.address);
    w.Key("address_detail").String(req.shipping.address_detail);
    w.EndObject();
    w.Key("memo").OptString(req.memo);
    w.Key("use_points").Int(req.use_points);
    w.Key("from_cart").Bool(req.from_cart);
    w.Key("coupon_id");
    if (req.coupon_id)
        w.Int(*req.coupon_id);
    else
        w.Null();
    w.EndObject();
    return w.str();
}

}  // namespace checkout

#include "common/json.hpp"

#include <rapidjson/error/en.h>

#include "common/error.hpp"

namespace checkout {

rapidjson::Document ParseJsonObject(std::string_view body, const std::string& what) {
    rapidjson::Document d;
    d.Parse(body.data(), body.size());
    if (d.HasParseError())
        throw AppError(ErrorCode::kInvalidJson, "The request body is not valid JSON.",
                       rapidjson::GetParseError_En(d.GetParseError()));
    if (!d.IsObject()) throw AppError(ErrorCode::kValidationFailed, what, {{"", "must be a JSON object"}});
    return d;
}

}  // namespace checkout

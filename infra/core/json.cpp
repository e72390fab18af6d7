#include "infra/core/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

#include <algorithm>
#include <set>
#include <string_view>

#include "infra/core/error.hpp"

namespace checkout {

namespace {

// What the parser accepts but the system must not: a NUL inside a string (PostgreSQL refuses it in
// text and jsonb, so it would surface as a 500), and a key twice in one object (parsers disagree on
// which one wins, so a proxy and this service could read different orders from one body).
void RejectAmbiguous(const rapidjson::Value& v, const std::string& path) {
    auto field = [](const std::string& p) { return p.empty() ? std::string("(body)") : p; };
    if (v.IsString()) {
        if (std::string_view(v.GetString(), v.GetStringLength()).find('\0') != std::string_view::npos)
            throw AppError(
                ErrorCode::kValidationFailed, "The request body holds a NUL character.",
                std::vector<FieldError>{{field(path), "must not contain the NUL character (\\u0000)"}});
    } else if (v.IsArray()) {
        for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
            RejectAmbiguous(v[i], path + "[" + std::to_string(i) + "]");
    } else if (v.IsObject()) {
        std::set<std::string_view> seen;
        for (const auto& m : v.GetObject()) {
            const std::string_view key(m.name.GetString(), m.name.GetStringLength());
            const std::string child = path.empty() ? std::string(key) : path + "." + std::string(key);
            if (key.find('\0') != std::string_view::npos)
                throw AppError(
                    ErrorCode::kValidationFailed, "The request body holds a NUL character.",
                    std::vector<FieldError>{{field(path), "keys must not contain the NUL character"}});
            if (!seen.insert(key).second)
                throw AppError(ErrorCode::kInvalidJson, "The request body has a duplicate key.",
                               std::vector<FieldError>{{child, "appears more than once in its object"}});
            RejectAmbiguous(m.value, child);
        }
    }
}

}  // namespace

int JsonNestingDepth(std::string_view text) {
    // One pass over the bytes, outside strings, so that the depth is known before anything recurses.
    int depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

bool IsValidUtf8Text(std::string_view s) {
    rapidjson::MemoryStream ms(s.data(), s.size());
    struct Discard {
        void Put(char) {}
    } out;
    while (ms.Tell() < s.size()) {
        if (ms.Peek() == '\0') return false;
        if (!rapidjson::UTF8<>::Validate(ms, out)) return false;
    }
    return true;
}

bool ParseBoundedJson(rapidjson::Document& d, std::string_view text) {
    if (JsonNestingDepth(text) > kMaxJsonDepth) return false;
    d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    return !d.HasParseError();
}

rapidjson::Document ParseJsonObject(std::string_view body, const std::string& what) {
    rapidjson::Document d;
    // Nesting is bounded before parsing: every walk of the document below (and RapidJSON's own
    // recursive parser) would otherwise let 32,000 '[' overflow the handler thread's stack.
    if (JsonNestingDepth(body) > kMaxJsonDepth)
        throw AppError(ErrorCode::kInvalidJson, "The request body is nested too deeply.",
                       "more than " + std::to_string(kMaxJsonDepth) + " levels of arrays and objects");
    // Invalid UTF-8 is refused here rather than at PostgreSQL (a 500).
    d.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(body.data(), body.size());
    if (d.HasParseError())
        throw AppError(ErrorCode::kInvalidJson,
                       d.GetParseError() == rapidjson::kParseErrorStringInvalidEncoding
                           ? "The request body is not valid UTF-8."
                           : "The request body is not valid JSON.",
                       rapidjson::GetParseError_En(d.GetParseError()));
    if (!d.IsObject()) throw AppError(ErrorCode::kValidationFailed, what, {{"", "must be a JSON object"}});
    RejectAmbiguous(d, "");
    return d;
}

}  // namespace checkout

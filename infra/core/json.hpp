#pragma once
// Small helpers over RapidJSON: a writer that yields a std::string, and checked field access.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>
#include <string_view>

namespace checkout {

// The deepest nesting of arrays and objects any JSON this service reads may have; a request body's
// fields are 3 levels deep at most.
inline constexpr int kMaxJsonDepth = 32;
// How deep `text` nests arrays and objects, counted without parsing (strings skipped).
int JsonNestingDepth(std::string_view text);
// For JSON from elsewhere (the gateway's answers, stored rows): false when it is not JSON or nests
// deeper than kMaxJsonDepth; never recurses on the input.
bool ParseBoundedJson(rapidjson::Document& d, std::string_view text);

// True when `s` is valid UTF-8 (no overlong forms, no surrogates) without a NUL character: text that
// PostgreSQL accepts. Headers and path parameters are checked with it before they reach SQL.
bool IsValidUtf8Text(std::string_view s);

// Parses a request body (at most kMaxJsonDepth deep, else kInvalidJson); throws AppError(kInvalidJson) when
// it is not JSON and AppError(kValidationFailed, `what`) when it is JSON but not an object.
rapidjson::Document ParseJsonObject(std::string_view body, const std::string& what);

class JsonWriter {
  public:
    JsonWriter() : writer_(buffer_) {}
    rapidjson::Writer<rapidjson::StringBuffer>& w() { return writer_; }
    JsonWriter& Key(std::string_view k) {
        writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        return *this;
    }
    JsonWriter& String(std::string_view v) {
        writer_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
        return *this;
    }
    JsonWriter& Int(long long v) {
        writer_.Int64(v);
        return *this;
    }
    JsonWriter& Bool(bool v) {
        writer_.Bool(v);
        return *this;
    }
    JsonWriter& Null() {
        writer_.Null();
        return *this;
    }
    // Inserts already-serialized JSON (e.g. a jsonb column) verbatim.
    JsonWriter& Raw(std::string_view json) {
        writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
        return *this;
    }
    JsonWriter& OptString(const std::optional<std::string>& v) { return v ? String(*v) : Null(); }
    JsonWriter& OptInt(const std::optional<long long>& v) { return v ? Int(*v) : Null(); }
    JsonWriter& StartObject() {
        writer_.StartObject();
        return *this;
    }
    JsonWriter& EndObject() {
        writer_.EndObject();
        return *this;
    }
    JsonWriter& StartArray() {
        writer_.StartArray();
        return *this;
    }
    JsonWriter& EndArray() {
        writer_.EndArray();
        return *this;
    }
    std::string str() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

  private:
    rapidjson::StringBuffer buffer_;
    rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace checkout

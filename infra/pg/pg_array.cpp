#include "infra/pg/pg_array.hpp"

#include <charconv>

#include "infra/core/uuid.hpp"

namespace checkout {

void PgArray::Separate() {
    if (!empty_) text_ += ',';
    empty_ = false;
}

PgArray& PgArray::Add(long long number) {
    Separate();
    text_ += std::to_string(number);
    return *this;
}

PgArray& PgArray::Add(std::string_view text) {
    Separate();
    text_ += '"';
    for (char c : text) {
        if (c == '"' || c == '\\') text_ += '\\';
        text_ += c;
    }
    text_ += '"';
    return *this;
}

PgArray& PgArray::AddNull() {
    Separate();
    text_ += "NULL";
    return *this;
}

std::string PgUuidArray(const std::vector<std::string>& ids) {
    PgArray a;
    for (const auto& id : ids)
        if (IsUuid(id)) a.Add(id);
    return a.str();
}

std::vector<std::string> ParsePgArray(std::string_view text) {
    std::vector<std::string> out;
    if (text.size() < 2 || text.front() != '{' || text.back() != '}') return out;
    text = text.substr(1, text.size() - 2);
    std::size_t i = 0;
    while (i < text.size()) {
        std::string element;
        if (text[i] == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
                element += text[i];
            }
            ++i;  // the closing quote
        } else {
            // Unquoted: up to the next comma at this level (a nested array's commas are inside braces).
            int depth = 0;
            for (; i < text.size() && (depth > 0 || text[i] != ','); ++i) {
                depth += text[i] == '{' ? 1 : text[i] == '}' ? -1 : 0;
                element += text[i];
            }
        }
        out.push_back(std::move(element));
        ++i;  // the comma
    }
    return out;
}

std::vector<std::int64_t> ParsePgIntArray(std::string_view text) {
    std::vector<std::int64_t> out;
    for (const auto& element : ParsePgArray(text)) {
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(element.data(), element.data() + element.size(), v);
        if (ec == std::errc() && end == element.data() + element.size()) out.push_back(v);
    }
    return out;
}

}  // namespace checkout

#pragma once
// PostgreSQL arrays in their text form, the one place they are written and read: a list goes to a
// statement as one parameter (`id = ANY($1::bigint[])`, `unnest($1::uuid[], $2::text[])`), and an
// array column comes back as text. Numbers go as they are; texts quoted, with " and \ escaped.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace checkout {

class PgArray {
  public:
    PgArray& Add(long long number);
    PgArray& Add(std::string_view text);
    PgArray& AddNull();
    std::string str() const { return text_ + "}"; }

  private:
    void Separate();
    std::string text_ = "{";
    bool empty_ = true;
};

// One array of `field(x)` for each x of `items`.
template <class Items, class Field>
std::string PgArrayOf(const Items& items, Field field) {
    PgArray a;
    for (const auto& x : items) a.Add(field(x));
    return a.str();
}

// The valid UUIDs of `ids`: anything else is left out, so an id from outside cannot break the statement.
std::string PgUuidArray(const std::vector<std::string>& ids);

// The elements of a one-dimensional array without NULLs ("{1,22}", {"a b","{1,2}"}), quotes and
// escapes undone. Anything that is not such an array gives what could be read of it.
std::vector<std::string> ParsePgArray(std::string_view text);
// The same for an array of whole numbers ("{1,22,333}"); an element that is not one is left out.
std::vector<std::int64_t> ParsePgIntArray(std::string_view text);

}  // namespace checkout

#pragma once
#include <string>
#include <vector>

namespace checkout {
// A time-ordered (version 7) UUID in its canonical text form: Unix time, then bits from the kernel's
// CSPRNG. Ids made later sort later (to the resolution of the clock).
std::string NewUuid();
// True when `text` is a UUID in canonical form (any version), so that it can be sent to PostgreSQL's uuid
// type.
bool IsUuid(const std::string& text);
// These ids as a PostgreSQL uuid[] literal ("{a,b}"), leaving out those that are not UUIDs.
std::string UuidArrayLiteral(const std::vector<std::string>& ids);
}  // namespace checkout

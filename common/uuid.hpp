#pragma once
#include <string>
#include <vector>

namespace checkout {
// A random (version 4) UUID in its canonical text form, from the kernel's CSPRNG.
std::string NewUuid();
// True when `text` is a UUID in canonical form (any version), so that it can be sent to PostgreSQL's uuid
// type.
bool IsUuid(const std::string& text);
// These ids as a PostgreSQL uuid[] literal ("{a,b}"), leaving out those that are not UUIDs.
std::string UuidArrayLiteral(const std::vector<std::string>& ids);
}  // namespace checkout

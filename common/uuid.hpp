#pragma once
#include <string>

namespace checkout {
// A random (version 4) UUID in its canonical text form, from the kernel's CSPRNG.
std::string NewUuid();
// True when `text` is a UUID in canonical form (any version), so that it can be sent to PostgreSQL's uuid type.
bool IsUuid(const std::string& text);
}  // namespace checkout

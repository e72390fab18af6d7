#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace checkout {
// A time-ordered (version 7) UUID in its canonical text form: Unix time, then bits from the kernel's
// CSPRNG. Ids made later sort later (to the resolution of the clock).
std::string NewUuid();
// The smallest version 7 UUID of the millisecond `t`: rows keyed by NewUuid made at `t` or later
// have ids >= it, so "made since t" is a range of the primary key, whatever the table's size.
std::string UuidV7Floor(std::chrono::system_clock::time_point t);
// True when `text` is a UUID in canonical form (any version), so that it can be sent to PostgreSQL's uuid
// type.
bool IsUuid(const std::string& text);
}  // namespace checkout

#include "infra/core/uuid.hpp"

#include <sys/random.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace checkout {

namespace {

void RandomBytes(std::uint8_t* out, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
        auto n = getrandom(out + got, size - got, 0);
        if (n < 0) throw std::runtime_error("getrandom failed");
        got += static_cast<std::size_t>(n);
    }
}

}  // namespace

std::string NewUuid() {
    // RFC 9562 version 7: 48 bits of Unix milliseconds, then 12 bits of the sub-millisecond fraction
    // (its "method 3"), then 62 random bits. Keys made one after another sort one after another, so
    // each insert lands on the right edge of a primary key's B-tree instead of a random leaf: a
    // table with years of orders dirties (and logs after each checkpoint) one leaf page, not one per
    // insert. 62 random bits per 244 ns slot keep keys made at once by many processes distinct.
    std::array<std::uint8_t, 16> b{};
    RandomBytes(b.data() + 6, 10);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    const auto ms = static_cast<std::uint64_t>(us / 1000);
    const auto fraction = static_cast<std::uint16_t>((us % 1000) * 4096 / 1000);  // 0..4095
    for (int i = 0; i < 6; ++i)
        b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
    b[6] = static_cast<std::uint8_t>(0x70 | (fraction >> 8));
    b[7] = static_cast<std::uint8_t>(fraction & 0xff);
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
    static const char* kHex = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back(kHex[b[i] >> 4]);
        out.push_back(kHex[b[i] & 0x0f]);
    }
    return out;
}
std::string UuidV7Floor(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (int shift = 44; shift >= 0; shift -= 4)
        hex.push_back(kHex[(static_cast<std::uint64_t>(ms) >> shift) & 0xf]);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-7000-8000-000000000000";
}

bool IsUuid(const std::string& t) {
    if (t.size() != 36) return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

}  // namespace checkout

#pragma once
// Comparing a secret a client sent with the one we hold (webhook secrets, the metrics token).
#include <string_view>

namespace checkout {

// Constant time in the length of `held`: no early exit on the first differing byte, so the time
// taken tells nothing of how much of a guess was right.
inline bool SameSecret(std::string_view held, std::string_view sent) {
    unsigned char diff = held.size() == sent.size() ? 0 : 1;
    for (std::size_t i = 0; i < held.size(); ++i)
        diff |= static_cast<unsigned char>(held[i] ^ (i < sent.size() ? sent[i] : 0));
    return diff == 0;
}

}  // namespace checkout

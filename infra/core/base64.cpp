#include "infra/core/base64.hpp"

namespace checkout {

std::string Base64Encode(std::string_view in, bool url_safe) {
    const char* table = url_safe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                 : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int val = 0, bits = -6;
    for (unsigned char c : in) {
        val = (val << 8) + c;
        bits += 8;
        while (bits >= 0) {
            out.push_back(table[(val >> bits) & 0x3F]);
            bits -= 6;
        }
    }
    if (bits > -6) out.push_back(table[((val << 8) >> (bits + 8)) & 0x3F]);
    if (!url_safe)
        while (out.size() % 4) out.push_back('=');
    return out;
}

}  // namespace checkout

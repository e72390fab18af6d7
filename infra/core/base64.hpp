#pragma once
#include <string>
#include <string_view>

namespace checkout {

// Standard base64 with padding (HTTP Basic auth), or base64url without padding (JWT segments).
std::string Base64Encode(std::string_view in, bool url_safe = false);

}  // namespace checkout

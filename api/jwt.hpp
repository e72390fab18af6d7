#pragma once
// HS256 bearer tokens (DESIGN 5.6). Tokens come from the shop's auth service, which shares JWT_SECRET.
#include <ctime>
#include <string>
#include <string_view>

namespace checkout {

struct Claims {
    std::string sub;
    bool admin = false;
};

// Verifies signature (HS256 only: `none` and every other algorithm are refused), a numeric `exp` in
// the future, and a non-empty string `sub`. Throws AppError(kUnauthorized) with a reason that is
// safe to show.
Claims VerifyJwt(std::string_view token, const std::string& secret, std::time_t now);

// Mints a token; used by the local token tool and by tests.
std::string MintJwt(const std::string& secret, const std::string& sub, const std::string& role,
                    std::time_t exp);

}  // namespace checkout

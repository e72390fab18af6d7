#include "api/jwt.hpp"

#include <jwt.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "infra/core/error.hpp"

namespace checkout {

namespace {
using JwtPtr = std::unique_ptr<jwt_t, decltype(&jwt_free)>;

[[noreturn]] void Reject(const std::string& reason) {
    throw AppError(ErrorCode::kUnauthorized, "Invalid or expired token.", "jwt rejected: " + reason);
}
}  // namespace

Claims VerifyJwt(std::string_view token, const std::string& secret, std::time_t now) {
    if (token.empty() || token.size() > 8192) Reject("empty or oversized token");
    const std::string tok(token);
    jwt_t* raw = nullptr;
    int rc = jwt_decode(&raw, tok.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                        static_cast<int>(secret.size()));
    JwtPtr jwt(raw, jwt_free);
    if (rc != 0 || !jwt) Reject("signature or format");
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) Reject("algorithm is not HS256");

    // exp must be a number: jwt_get_grant_int reports a missing or non-integer grant through errno.
    errno = 0;
    long exp = jwt_get_grant_int(jwt.get(), "exp");
    if (errno != 0) Reject("exp missing or not a number");
    if (exp <= now) Reject("expired");

    const char* sub = jwt_get_grant(jwt.get(), "sub");
    if (sub == nullptr || *sub == '\0') Reject("sub missing");
    Claims c;
    c.sub = sub;
    if (c.sub.size() > 200) Reject("sub too long");
    const char* role = jwt_get_grant(jwt.get(), "role");
    c.admin = role != nullptr && std::string_view(role) == "admin";
    return c;
}

std::string MintJwt(const std::string& secret, const std::string& sub, const std::string& role,
                    std::time_t exp) {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
    JwtPtr jwt(raw, jwt_free);
    jwt_add_grant(jwt.get(), "sub", sub.c_str());
    if (!role.empty()) jwt_add_grant(jwt.get(), "role", role.c_str());
    jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(exp));
    jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(std::time(nullptr)));
    if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                    static_cast<int>(secret.size())) != 0)
        throw std::runtime_error("jwt_set_alg failed");
    char* out = jwt_encode_str(jwt.get());
    if (!out) throw std::runtime_error("jwt_encode_str failed");
    std::string s(out);
    std::free(out);  // libjwt 1.10 allocates with malloc
    return s;
}

}  // namespace checkout

#include "api/jwt.hpp"

#include <jwt.h>

#include <catch2/catch.hpp>

#include "infra/core/base64.hpp"
#include "infra/core/error.hpp"

using namespace checkout;

namespace {
const std::string kSecret = "unit-test-secret-0123456789-0123456789";
const std::time_t kNow = 1'800'000'000;

std::string B64Url(const std::string& in) { return Base64Encode(in, true); }

// Signs arbitrary claims (JSON) with the right key, to build tokens MintJwt would never produce.
std::string SignClaims(const std::string& claims_json) {
    jwt_t* jwt = nullptr;
    jwt_new(&jwt);
    jwt_add_grants_json(jwt, claims_json.c_str());
    jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(kSecret.data()),
                static_cast<int>(kSecret.size()));
    char* out = jwt_encode_str(jwt);
    std::string s(out);
    std::free(out);
    jwt_free(jwt);
    return s;
}

ErrorCode CodeOf(const std::string& token) {
    try {
        VerifyJwt(token, kSecret, kNow);
    } catch (const AppError& e) {
        return e.code();
    }
    return ErrorCode::kInternal;  // accepted
}
}  // namespace

TEST_CASE("a valid token yields its subject and role") {
    auto c = VerifyJwt(MintJwt(kSecret, "alice", "", kNow + 60), kSecret, kNow);
    CHECK(c.sub == "alice");
    CHECK_FALSE(c.admin);
    CHECK(VerifyJwt(MintJwt(kSecret, "root", "admin", kNow + 60), kSecret, kNow).admin);
}

TEST_CASE("expired, forged, unsigned and incomplete tokens are refused") {
    CHECK(CodeOf(MintJwt(kSecret, "alice", "", kNow - 1)) == ErrorCode::kUnauthorized);
    CHECK(CodeOf(MintJwt("another-secret-0123456789-0123456789", "alice", "", kNow + 60)) ==
          ErrorCode::kUnauthorized);
    // alg none, unsigned, with a valid-looking body.
    const std::string none =
        B64Url(R"({"alg":"none","typ":"JWT"})") + "." + B64Url(R"({"sub":"alice","exp":1900000000})") + ".";
    CHECK(CodeOf(none) == ErrorCode::kUnauthorized);
    // A token signed with the right key but another algorithm.
    const std::string hs512_header = B64Url(R"({"alg":"HS512","typ":"JWT"})");
    auto good = MintJwt(kSecret, "alice", "", kNow + 60);
    CHECK(CodeOf(hs512_header + good.substr(good.find('.'))) == ErrorCode::kUnauthorized);
    // Missing sub, missing exp, exp as a string: signed correctly but incomplete.
    CHECK(CodeOf(MintJwt(kSecret, "", "", kNow + 60)) == ErrorCode::kUnauthorized);
    CHECK(CodeOf(SignClaims(R"({"exp":1900000000})")) == ErrorCode::kUnauthorized);
    CHECK(CodeOf(SignClaims(R"({"sub":"alice"})")) == ErrorCode::kUnauthorized);
    CHECK(CodeOf(SignClaims(R"({"sub":"alice","exp":"1900000000"})")) == ErrorCode::kUnauthorized);
    CHECK(CodeOf(SignClaims(R"({"sub":42,"exp":1900000000})")) == ErrorCode::kUnauthorized);
    CHECK(CodeOf(SignClaims(R"({"sub":"alice","exp":1900000000})")) ==
          ErrorCode::kInternal);  // the control: accepted
    CHECK(CodeOf("") == ErrorCode::kUnauthorized);
    CHECK(CodeOf("not.a.token") == ErrorCode::kUnauthorized);
    CHECK(CodeOf(good + "x") == ErrorCode::kUnauthorized);
}

// Secrets at rest: AES-256-GCM sealing (infra/crypto/secret_box).
#include "infra/crypto/secret_box.hpp"

#include <catch2/catch.hpp>

using namespace checkout;

namespace {
const std::string kKey(32, 'k');
}

TEST_CASE("a sealed secret opens with its key and context only, and hides what it holds") {
    const SecretBox box(kKey);
    const std::string secret = "Z_t5vOvQxrj4499PeiJcjen28-V2RyqgYTwN44Rdzk0=";
    const auto sealed = box.Seal(secret, "customer:c1");
    CHECK(sealed.starts_with("v1."));
    CHECK(sealed.find(secret) == std::string::npos);
    CHECK(box.Open(sealed, "customer:c1") == secret);
    // A fresh nonce every time: the same secret never seals to the same text.
    CHECK(box.Seal(secret, "customer:c1") != sealed);
    CHECK(!box.Open(sealed, "customer:c2"));                              // another row's context
    CHECK(!SecretBox(std::string(32, 'x')).Open(sealed, "customer:c1"));  // another key
    CHECK(box.Open(box.Seal("", "ctx"), "ctx") == "");
}

TEST_CASE("a sealed secret changed anywhere does not open") {
    const SecretBox box(kKey);
    const auto sealed = box.Seal("billing-key-123", "ctx");
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int opened = 0;
    for (std::size_t i = 3; i < sealed.size(); ++i) {
        if (sealed[i] == '=') continue;
        std::string changed = sealed;
        changed[i] = changed[i] == 'A' ? 'B' : 'A';
        if (box.Open(changed, "ctx")) ++opened;
    }
    CHECK(opened == 0);
    CHECK(!box.Open(sealed.substr(0, sealed.size() - 4), "ctx"));  // cut short
    CHECK(!box.Open("v2." + sealed.substr(3), "ctx"));
    CHECK(!box.Open("v1.", "ctx"));
    CHECK(!box.Open("v1.!!!!", "ctx"));
    CHECK(!box.Open("", "ctx"));
}

TEST_CASE("a digest is HMAC-SHA256 under the box's key") {
    // The value of Python's hmac module for the same key and text:
    // hmac.new(b"k" * 32, b"billing-key", hashlib.sha256).hexdigest()
    CHECK(SecretBox(kKey).Digest("billing-key") ==
          "9f0bd4d1ad7a5ae2cd2fa485f3a1d92e4baf99f71c72a7936d373a96cb410a21");
    CHECK(SecretBox(kKey).Digest("billing-key") != SecretBox(std::string(32, 'x')).Digest("billing-key"));
    CHECK(SecretBox(kKey).Digest("billing-key").size() == 64);
}

TEST_CASE("a key is base64 of exactly 32 bytes") {
    CHECK(SecretBox::KeyFromBase64("a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=") == kKey);
    CHECK(!SecretBox::KeyFromBase64(""));
    CHECK(!SecretBox::KeyFromBase64("a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"));       // no padding
    CHECK(!SecretBox::KeyFromBase64("a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tr"));      // 33 bytes
    CHECK(!SecretBox::KeyFromBase64("a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tr a=="));  // a space
    CHECK(!SecretBox::KeyFromBase64(" a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="));
    CHECK(!SecretBox::KeyFromBase64("a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n"));
    CHECK(!SecretBox::KeyFromBase64("a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tr"));  // 30 bytes
    CHECK(!SecretBox::KeyFromBase64("a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=a2s="));
    CHECK(!SecretBox::KeyFromBase64("this is not a key at all, it is a sentence."));
    CHECK_THROWS_AS(SecretBox(std::string(31, 'k')), std::invalid_argument);
}

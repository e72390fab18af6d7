#include "infra/crypto/secret_box.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace checkout {

namespace {

constexpr std::size_t kNonceBytes = 12, kTagBytes = 16;
constexpr std::string_view kVersion = "v1.";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx NewCtx() {
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
    return ctx;
}

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::string ToBase64(std::string_view raw) {
    std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(Bytes(out), Bytes(raw), static_cast<int>(raw.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// Strict standard base64 with padding; nullopt for anything else (EVP_DecodeBlock alone would
// accept surrounding whitespace, count the padding as zero bytes and ignore unused bits).
std::optional<std::string> FromBase64(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (c == '=') {
            if (i < text.size() - 2) return std::nullopt;
            ++pad;
        } else if ((!alnum && c != '+' && c != '/') || pad > 0) {
            return std::nullopt;
        }
    }
    std::string out(text.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(Bytes(out), Bytes(text), static_cast<int>(text.size()));
    if (n < 0 || static_cast<std::size_t>(n) < pad) return std::nullopt;
    out.resize(static_cast<std::size_t>(n) - pad);
    // Canonical only: unused low bits before the padding must be zero, so one value has one text.
    if (ToBase64(out) != text) return std::nullopt;
    return out;
}

}  // namespace

SecretBox::SecretBox(std::string key) : key_(std::move(key)) {
    if (key_.size() != kKeyBytes) throw std::invalid_argument("a SecretBox key is 32 bytes");
}

std::optional<std::string> SecretBox::KeyFromBase64(std::string_view text) {
    auto key = FromBase64(text);
    if (!key || key->size() != kKeyBytes) return std::nullopt;
    return key;
}

std::string SecretBox::Seal(std::string_view plaintext, std::string_view context) const {
    std::string box(kNonceBytes + plaintext.size() + kTagBytes, '\0');
    if (RAND_bytes(Bytes(box), static_cast<int>(kNonceBytes)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    auto ctx = NewCtx();
    int len = 0;
    unsigned char* nonce = Bytes(box);
    unsigned char* body = nonce + kNonceBytes;
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(std::string_view(key_)), nonce) !=
            1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(context), static_cast<int>(context.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), body, &len, Bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), body + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                            body + plaintext.size()) != 1)
        throw std::runtime_error("AES-256-GCM seal failed");
    return std::string(kVersion) + ToBase64(box);
}

std::optional<std::string> SecretBox::Open(std::string_view sealed, std::string_view context) const {
    if (!sealed.starts_with(kVersion)) return std::nullopt;
    auto box = FromBase64(sealed.substr(kVersion.size()));
    if (!box || box->size() < kNonceBytes + kTagBytes) return std::nullopt;
    const std::size_t body_size = box->size() - kNonceBytes - kTagBytes;
    unsigned char* nonce = Bytes(*box);
    unsigned char* body = nonce + kNonceBytes;
    std::string plain(body_size, '\0');
    auto ctx = NewCtx();
    int len = 0;
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(std::string_view(key_)), nonce) !=
            1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(context), static_cast<int>(context.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), Bytes(plain), &len, body, static_cast<int>(body_size)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), body + body_size) !=
            1)
        return std::nullopt;
    // The tag is checked here: a changed byte, another key or another context fails.
    if (EVP_DecryptFinal_ex(ctx.get(), Bytes(plain) + len, &len) != 1) return std::nullopt;
    return plain;
}

std::string SecretBox::Digest(std::string_view text) const {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), Bytes(text), text.size(), mac, &len))
        throw std::runtime_error("HMAC-SHA256 failed");
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += kHex[mac[i] >> 4];
        out += kHex[mac[i] & 15];
    }
    return out;
}

}  // namespace checkout

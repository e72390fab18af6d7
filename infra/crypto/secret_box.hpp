#pragma once
// Secrets kept at rest, sealed with AES-256-GCM (OpenSSL's libcrypto): a billing key charges a card
// without its owner, so the database holds only what this key opens. Each seal has a random 96-bit
// nonce and is bound to a context (e.g. the customerKey it belongs to), so a sealed value copied to
// another row does not open there. The only code that touches EVP_CIPHER_CTX.
#include <optional>
#include <string>
#include <string_view>

namespace checkout {

class SecretBox {
  public:
    static constexpr std::size_t kKeyBytes = 32;

    // `key`: exactly kKeyBytes bytes; throws std::invalid_argument otherwise.
    explicit SecretBox(std::string key);

    // A key given as base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`); nullopt for
    // anything else.
    static std::optional<std::string> KeyFromBase64(std::string_view text);

    // "v1." + base64(nonce | ciphertext | tag).
    std::string Seal(std::string_view plaintext, std::string_view context) const;
    // The plaintext; nullopt when `sealed` was not sealed by this key for this context, or was changed.
    std::optional<std::string> Open(std::string_view sealed, std::string_view context) const;
    // HMAC-SHA256 of `text` under this key, in hex: finds a row by a secret (a billing key the
    // gateway names in a webhook) without storing the secret or a hash anyone could test guesses on.
    std::string Digest(std::string_view text) const;

  private:
    std::string key_;
};

}  // namespace checkout

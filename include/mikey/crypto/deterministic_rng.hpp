// mikey-ticket: a deterministic random_generator for tests, fuzzing and
// reproducible runs (mikeyctl run --seed). NOT for production keys: the
// same seed gives the same bytes.
//
// Construction: key = HMAC-SHA-256("mikey-ticket deterministic_rng", seed),
// output = the AES-256-CTR key stream under that key from counter block 0
// (the backend's primitives; nothing is hand-written here).
#pragma once

#include <array>
#include <cstdint>

#include "../core/bytes.hpp"
#include "../core/result.hpp"
#include "backend.hpp"

namespace mikey::crypto {

template <crypto_backend B>
class deterministic_rng {
public:
    /// Errors (from the backend, on first use of fill): crypto_backend_failure.
    deterministic_rng(B& backend, std::uint64_t seed) noexcept : m_backend(&backend) {
        static constexpr std::uint8_t label[] = "mikey-ticket deterministic_rng";
        std::array<std::uint8_t, 8> s{};
        for (std::size_t i = 0; i < 8; ++i) s[i] = static_cast<std::uint8_t>(seed >> (56 - 8 * i));
        m_ok = hmac(backend, hmac_hash::sha_256, bytes_view(label, sizeof label - 1), {bytes_view(s)}, m_key).has_value();
    }

    /// Writes the next out.size() bytes of the stream.
    /// Errors: crypto_backend_failure.
    [[nodiscard]] result<void> fill(mutable_bytes out) noexcept {
        if (!m_ok) return errc::crypto_backend_failure;
        for (auto& x : out) x = 0;
        std::array<std::uint8_t, 16> iv{};
        for (std::size_t i = 0; i < 8; ++i) iv[8 + i] = static_cast<std::uint8_t>(m_block >> (56 - 8 * i));
        if (auto r = m_backend->aes_ctr(m_key, iv, out, out); !r) return errc::crypto_backend_failure;
        m_block += (out.size() + 15) / 16;
        return {};
    }

private:
    B* m_backend;
    std::array<std::uint8_t, 32> m_key{};
    std::uint64_t m_block = 0;
    bool m_ok = false;
};

}  // namespace mikey::crypto

// mikey-ticket: a deterministic random_generator for tests, fuzzing and
// reproducible runs (mikeyctl run --seed). NOT for production keys: the
// same seed gives the same bytes.
//
// Construction: key = HMAC-SHA-256("mikey-ticket deterministic_rng", seed),
// output = the AES-256-CTR key stream under that key from counter block 0
// (the backend's primitives; nothing is hand-written here).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "../core/bytes.hpp"
#include "../core/result.hpp"
#include "../core/secret.hpp"
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

    deterministic_rng(const deterministic_rng&) = default;
    deterministic_rng& operator=(const deterministic_rng&) = default;
    ~deterministic_rng() {
        secure_wipe(m_key);
        secure_wipe(m_pool);
    }

    /// Writes the next out.size() bytes of the stream. Each fill starts at a
    /// key stream block (16 bytes): the rest of its last block is skipped.
    /// The key stream is made pool_blocks blocks at a time (one backend
    /// call), the stream is the same as block by block.
    /// Errors: crypto_backend_failure (the seed's HMAC failed, or the
    /// backend's AES-CTR did; `out` is then not random and must be dropped).
    [[nodiscard]] result<void> fill(mutable_bytes out) noexcept {
        if (!m_ok) return errc::crypto_backend_failure;
        std::size_t done = 0;
        while (done < out.size()) {
            if (m_used == m_pool.size()) {
                if (auto r = refill(); !r) return r;
            }
            const std::size_t n = std::min(out.size() - done, m_pool.size() - m_used);
            copy_bytes(out.subspan(done, n), bytes_view(m_pool).subspan(m_used, n));
            secure_wipe(m_pool.data() + m_used, n);  // served bytes do not stay behind
            done += n;
            m_used += n;
        }
        m_used = (m_used + 15) / 16 * 16;
        return {};
    }

    /// Key stream blocks made per backend call.
    static constexpr std::size_t pool_blocks = 32;

private:
    [[nodiscard]] result<void> refill() noexcept {
        m_pool.fill(0);
        std::array<std::uint8_t, 16> iv{};
        for (std::size_t i = 0; i < 8; ++i) iv[8 + i] = static_cast<std::uint8_t>(m_block >> (56 - 8 * i));
        if (auto r = m_backend->aes_ctr(m_key, iv, m_pool, m_pool); !r) return errc::crypto_backend_failure;
        m_block += pool_blocks;
        m_used = 0;
        return {};
    }

    B* m_backend;
    std::array<std::uint8_t, 32> m_key{};
    std::uint64_t m_block = 0;  ///< the counter block the next refill starts at
    std::array<std::uint8_t, 16 * pool_blocks> m_pool{};
    std::size_t m_used = 16 * pool_blocks;  ///< bytes of m_pool served (the pool starts empty)
    bool m_ok = false;
};

}  // namespace mikey::crypto

// mikey-ticket: where randomness comes from. The library never draws
// randomness on its own: every function that needs RANDs, keys or CSB IDs
// takes a random_generator from the caller. Models: botan_system_rng
// (crypto/botan_backend.hpp, the operating system's generator through Botan)
// and deterministic_rng (crypto/deterministic_rng.hpp, for tests and
// reproducible runs).
#pragma once

#include <concepts>
#include <cstdint>

#include "bytes.hpp"
#include "result.hpp"

namespace mikey {

/// A source of random bytes: fill(out) writes out.size() bytes, or fails
/// with crypto_backend_failure (and then out's content is unspecified).
template <class R>
concept random_generator = requires(R& r, mutable_bytes out) {
    { r.fill(out) } noexcept -> std::same_as<result<void>>;
};

/// Draws one big-endian 32-bit value (CSB IDs, SPIs). Errors: those of fill.
template <random_generator R>
[[nodiscard]] result<std::uint32_t> random_u32(R& rng) noexcept {
    std::uint8_t b[4] = {};
    if (auto r = rng.fill(mutable_bytes(b, 4)); !r) {
        return r.error_info();
    }
    return static_cast<std::uint32_t>(b[0]) << 24 | static_cast<std::uint32_t>(b[1]) << 16 |
           static_cast<std::uint32_t>(b[2]) << 8 | b[3];
}

}  // namespace mikey

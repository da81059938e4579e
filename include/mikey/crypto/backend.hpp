// mikey-ticket: the crypto_backend concept. Everything above this header
// (PRFs, derivations, KEMAC, V payloads) is written against the concept and
// never names a crypto library; botan_backend.hpp is one model of it, and the
// only crypto header that includes Botan (sdp.hpp is the other Botan includer).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "../core/bytes.hpp"
#include "../core/result.hpp"

namespace mikey::crypto {

/// The hash inside an HMAC: SHA-1 (MIKEY-1 PRF, HMAC-SHA-1-160) or SHA-256
/// (PRF-HMAC-SHA-256, HMAC-SHA-256-256).
enum class hmac_hash : std::uint8_t { sha_1, sha_256 };

/// HMAC output size in bytes (RFC 2104 with SHA-1 / SHA-256).
[[nodiscard]] constexpr std::size_t hmac_size(hmac_hash h) noexcept { return h == hmac_hash::sha_1 ? 20 : 32; }

/// Largest HMAC output of any hmac_hash.
inline constexpr std::size_t max_hmac_size = 32;

/// AES block size; also the AES-CM IV size and the RFC 3394 semiblock x 2.
inline constexpr std::size_t aes_block_size = 16;
/// RFC 3394 initial value (A) size.
inline constexpr std::size_t key_wrap_iv_size = 8;

/// What a crypto backend provides. All members are noexcept: a backend maps
/// its library's failures to errc values (crypto_backend_failure for
/// internal ones) and never lets an exception out.
///
/// HMAC is a keyed streaming interface, one keyed state per hmac_hash:
///   hmac_set_key(h, key)   key the state (any key length, RFC 2104);
///   hmac_update(h, data)   absorb bytes (all of them before it returns: the
///                          caller may overwrite `data` then, e.g. with the
///                          tag of the message `data` is part of);
///   hmac_final(h, out)     write the tag (out.size() == hmac_size(h)) and
///                          leave the state keyed with the same key, ready
///                          for the next message.
/// The derivations key once per inkey piece and run many messages, which is
/// what keeps them at the cost of the bare HMAC calls.
///
/// aes_ctr(key, iv, in, out): AES in counter mode with a 128-bit big-endian
///   counter block starting at iv (RFC 3711 AES-CM with SRTP_PREFIX_LENGTH 0
///   when the low 16 bits of iv are zero and at most 2^16 blocks are used);
///   key 16, 24 or 32 bytes; out.size() == in.size(); in-place allowed.
/// aes_key_wrap(kek, iv, in, out) / aes_key_unwrap(kek, iv, in, out): RFC 3394
///   with a caller-chosen 64-bit initial value (RFC 3830 §4.2.3 uses the
///   derived salt, not A6A6A6A6A6A6A6A6); wrap: in.size() % 8 == 0, >= 16,
///   out.size() == in.size() + 8; unwrap: the reverse, errc::key_unwrap_failure
///   when the recovered A differs from iv (out is then wiped).
/// random(out): fill out from the backend's (replaceable) RNG.
/// equal(a, b): constant-time comparison of equal-length spans (false when
///   the lengths differ; the length itself is not secret).
/// wipe(b): scrub a buffer that held secrets.
template <class B>
concept crypto_backend = requires(B& b, const B& cb, hmac_hash h, bytes_view in, mutable_bytes out) {
    { b.hmac_set_key(h, in) } noexcept -> std::same_as<result<void>>;
    { b.hmac_update(h, in) } noexcept -> std::same_as<void>;
    { b.hmac_final(h, out) } noexcept -> std::same_as<result<void>>;
    { b.aes_ctr(in, in, in, out) } noexcept -> std::same_as<result<void>>;
    { b.aes_key_wrap(in, in, in, out) } noexcept -> std::same_as<result<void>>;
    { b.aes_key_unwrap(in, in, in, out) } noexcept -> std::same_as<result<void>>;
    { b.random(out) } noexcept -> std::same_as<result<void>>;
    { cb.equal(in, in) } noexcept -> std::same_as<bool>;
    { cb.wipe(out) } noexcept -> std::same_as<void>;
};

/// A one-shot HMAC over a list of byte ranges (the MAC/V inputs are several
/// non-adjacent ranges plus appended identities).
/// Errors: whatever the backend's hmac_set_key / hmac_final return
/// (crypto_backend_failure, invalid_argument for a wrong out size).
template <crypto_backend B>
[[nodiscard]] result<void> hmac(B& b, hmac_hash h, bytes_view key, std::initializer_list<bytes_view> parts,
                                mutable_bytes out) noexcept {
    if (auto r = b.hmac_set_key(h, key); !r) {
        return r;
    }
    for (const bytes_view p : parts) {
        b.hmac_update(h, p);
    }
    return b.hmac_final(h, out);
}

}  // namespace mikey::crypto

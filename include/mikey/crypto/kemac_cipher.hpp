// mikey-ticket: the KEMAC Encr data ciphers over raw byte spans
// (RFC 3830 §4.2.3, RFC 6043 §6.2): NULL, AES-CM-128, AES-CM-256, AES-KW-128.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "../core/bytes.hpp"
#include "../core/registry.hpp"
#include "../core/result.hpp"
#include "../core/strong_types.hpp"
#include "algorithms.hpp"
#include "backend.hpp"

namespace mikey::crypto {

/// The 64-bit T that goes into the AES-CM IV, from a T payload's TS type and
/// TS value (RFC 3830 §4.2.3 "T is the 64-bit timestamp sent by the
/// Initiator"):
///   NTP-UTC, NTP: the 8-byte value as is;
///   COUNTER (4 bytes): zero-extended to 64 bits (RFC 3830 §6.6 note; see notes/crypto.md);
///   NTP-UTC-32 (4 bytes): "padded to a 64-bit NTP-UTC timestamp (with zeroes
///   in the fractional second part)" (RFC 6043 §6.3), i.e. seconds << 32.
/// nullopt when the value length does not match the type.
[[nodiscard]] constexpr std::optional<std::uint64_t> iv_timestamp(ts_type type, bytes_view value) noexcept {
    if (value.size() != ts_value_size(type)) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (const std::uint8_t b : value) {
        v = (v << 8) | b;
    }
    switch (type) {
        case ts_type::ntp_utc:
        case ts_type::ntp:
        case ts_type::counter: return v;
        case ts_type::ntp_utc_32: return v << 32;
    }
    return std::nullopt;
}
static_assert(*iv_timestamp(ts_type::ntp_utc_32, std::array<std::uint8_t, 4>{0xE0, 0, 0, 1}) == 0xE000000100000000ull);
static_assert(*iv_timestamp(ts_type::counter, std::array<std::uint8_t, 4>{0, 0, 1, 2}) == 0x0102ull);

/// RFC 3830 §4.2.3: IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000, S the
/// 112-bit salt_key. Precondition: salt.size() == 14 (a shorter salt is
/// read as padded with zero bytes, a longer one as its first 14).
[[nodiscard]] constexpr std::array<std::uint8_t, 16> aes_cm_iv(bytes_view salt, csb_id csb, std::uint64_t t) noexcept {
    // As two big-endian words: bytes 0-7 are S[0..8) XOR (0x0000 || CSB ID || T[0..2)),
    // bytes 8-15 are (S[8..14) || 0x0000) XOR (T[2..8) || 0x0000).
    std::array<std::uint8_t, 14> padded{};
    bytes_view s = salt;
    if (salt.size() < padded.size()) {
        copy_bytes(mutable_bytes(padded).first(salt.size()), salt);
        s = padded;
    }
    const std::uint64_t hi = load_be<8>(s) ^ (std::uint64_t{csb.get()} << 16) ^ (t >> 48);
    const std::uint64_t lo = (load_be<6>(s.subspan(8)) ^ t) << 16;
    std::array<std::uint8_t, 16> iv{};
    store_be<8>(iv.data(), hi);
    store_be<8>(iv.data() + 8, lo);
    return iv;
}
// The RFC 3830 digest's reference IV (recomputed independently by
// tests/vectors/crypto_vectors.py).
static_assert(aes_cm_iv(std::array<std::uint8_t, 14>{0x73, 0x35, 0xcd, 0x6d, 0x03, 0x6c, 0x56, 0xd5, 0xcc, 0x4e, 0x98,
                                                     0x4e, 0x30, 0x16},
                        csb_id{0x12345678}, 0xebf99d4cb05ea24cull) ==
              std::array<std::uint8_t, 16>{0x73, 0x35, 0xdf, 0x59, 0x55, 0x14, 0xbd, 0x2c, 0x51, 0x02, 0x28, 0x10, 0x92,
                                           0x5a, 0x00, 0x00});

/// Encr data size for `plain` bytes of key-data sub-payloads: equal for NULL
/// and AES-CM (no padding), + 8 for AES-KW (RFC 3394 §2.2.1); nullopt for
/// unknown algorithms.
[[nodiscard]] constexpr std::optional<std::size_t> encrypted_size(encr_alg a, std::size_t plain) noexcept {
    switch (a) {
        case encr_alg::null:
        case encr_alg::aes_cm_128:
        case encr_alg::aes_cm_256: return plain;
        case encr_alg::aes_kw_128: return plain + 8;
    }
    return std::nullopt;
}
/// Plaintext size for `encrypted` bytes of Encr data (nullopt: unknown
/// algorithm, or an AES-KW length that cannot be a wrap output).
[[nodiscard]] constexpr std::optional<std::size_t> decrypted_size(encr_alg a, std::size_t encrypted) noexcept {
    switch (a) {
        case encr_alg::null:
        case encr_alg::aes_cm_128:
        case encr_alg::aes_cm_256: return encrypted;
        case encr_alg::aes_kw_128:
            if (encrypted < 24 || encrypted % 8 != 0) return std::nullopt;
            return encrypted - 8;
    }
    return std::nullopt;
}

/// The keys and IV inputs of one KEMAC encryption.
struct kemac_cipher_keys {
    bytes_view encr_key{};  ///< 16 (AES-CM-128, AES-KW-128) or 32 (AES-CM-256) bytes; empty for NULL
    bytes_view salt_key{};  ///< 14 (AES-CM) or 8 (AES-KW) bytes; empty for NULL
    csb_id csb{};           ///< HDR CSB ID (0xFFFFFFFF inside a base ticket, RFC 6043 App. A.1)
    std::uint64_t t = 0;    ///< iv_timestamp() of the Initiator's T
};

namespace detail {
[[nodiscard]] constexpr result<void> check_cipher_keys(encr_alg a, const kemac_cipher_keys& k) noexcept {
    if (auto r = check_encr_key(a, k.encr_key.size()); !r) return r;
    if (k.salt_key.size() != *salt_key_size(a)) return errc::key_length_mismatch;
    return {};
}
}  // namespace detail

/// Encrypts `plain` (the key-data sub-payload chain) into `out`
/// (out.size() == *encrypted_size(a, plain.size())). NULL copies; AES-CM is
/// AES-CTR with aes_cm_iv(); AES-KW-128 is RFC 3394 with IV = the 64-bit salt
/// (RFC 3830 §4.2.3 "the key wrap IV is then set to S").
/// Errors: unsupported_algorithm, key_length_mismatch (encr_key / salt_key
/// of the wrong size), invalid_argument (out size; AES-KW plaintext not a
/// multiple of 8 bytes or under 16: RFC 3394 §2), field_too_long (result
/// over 65535 bytes, the Encr data len field), crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> kemac_encrypt(B& b, encr_alg a, const kemac_cipher_keys& k, bytes_view plain,
                                         mutable_bytes out) noexcept {
    const auto n = encrypted_size(a, plain.size());
    if (!n) return errc::unsupported_algorithm;
    if (auto r = detail::check_cipher_keys(a, k); !r) return r;
    if (*n > 0xFFFF) return errc::field_too_long;
    if (out.size() != *n) return errc::invalid_argument;
    switch (a) {
        case encr_alg::null:
            for (std::size_t i = 0; i < plain.size(); ++i) out[i] = plain[i];
            return {};
        case encr_alg::aes_cm_128:
        case encr_alg::aes_cm_256: {
            // RFC 3830 §4.2.3: at most 2^23 bits under one IV (the 16-bit
            // block counter); the 16-bit Encr data len keeps us below.
            const auto iv = aes_cm_iv(k.salt_key, k.csb, k.t);
            return b.aes_ctr(k.encr_key, iv, plain, out);
        }
        case encr_alg::aes_kw_128: return b.aes_key_wrap(k.encr_key, k.salt_key, plain, out);
    }
    return errc::unsupported_algorithm;
}

/// Decrypts Encr data into `out` (out.size() == *decrypted_size(a, in.size())).
/// Errors: unsupported_algorithm, key_length_mismatch, invalid_argument (out
/// size), key_unwrap_failure (AES-KW length not a wrap output, or the RFC 3394
/// integrity check fails; out is wiped), crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> kemac_decrypt(B& b, encr_alg a, const kemac_cipher_keys& k, bytes_view in,
                                         mutable_bytes out) noexcept {
    if (!encrypted_size(a, 0)) return errc::unsupported_algorithm;
    if (auto r = detail::check_cipher_keys(a, k); !r) return r;
    const auto n = decrypted_size(a, in.size());
    if (!n) return errc::key_unwrap_failure;
    if (out.size() != *n) return errc::invalid_argument;
    switch (a) {
        case encr_alg::null:
            for (std::size_t i = 0; i < in.size(); ++i) out[i] = in[i];
            return {};
        case encr_alg::aes_cm_128:
        case encr_alg::aes_cm_256: {
            const auto iv = aes_cm_iv(k.salt_key, k.csb, k.t);
            return b.aes_ctr(k.encr_key, iv, in, out);
        }
        case encr_alg::aes_kw_128: return b.aes_key_unwrap(k.encr_key, k.salt_key, in, out);
    }
    return errc::unsupported_algorithm;
}

}  // namespace mikey::crypto

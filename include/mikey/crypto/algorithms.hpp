// mikey-ticket: key sizes of the KEMAC / V algorithms and the algorithm
// rules RFC 6043 §12.1 and RFC 3830 §4.2 put on the choice of keys, RANDs and
// algorithms. Each rule is a constexpr check returning its own errc, to be
// called where keys are chosen (ticket creation, KMS policy, role layer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "../core/registry.hpp"
#include "../core/result.hpp"
#include "backend.hpp"
#include "derive.hpp"
#include "prf.hpp"

namespace mikey::crypto {

/// Bytes of encr_key for an Encr alg: 16 for AES-CM-128 (RFC 3830 §4.2.3),
/// AES-KW-128 (RFC 3830 §4.2.3), 32 for AES-CM-256 (RFC 6043 §6.2), 0 for
/// NULL; nullopt for algorithms this library does not implement.
[[nodiscard]] constexpr std::optional<std::size_t> encr_key_size(encr_alg a) noexcept {
    switch (a) {
        case encr_alg::null: return 0;
        case encr_alg::aes_cm_128: return 16;
        case encr_alg::aes_kw_128: return 16;
        case encr_alg::aes_cm_256: return 32;
    }
    return std::nullopt;
}

/// Bytes of salt_key: 14 (112 bits) for AES-CM (RFC 3830 §4.2.3 "S is a
/// 112-bit salting key"; RFC 6043 §6.2 AES-CM-256 is the same with a 256-bit
/// key), 8 (64 bits) for AES-KW (RFC 3830 §4.2.3 "a 64-bit salt, S"), 0 for NULL.
[[nodiscard]] constexpr std::optional<std::size_t> salt_key_size(encr_alg a) noexcept {
    switch (a) {
        case encr_alg::null: return 0;
        case encr_alg::aes_cm_128: return 14;
        case encr_alg::aes_kw_128: return 8;
        case encr_alg::aes_cm_256: return 14;
    }
    return std::nullopt;
}

/// Bytes of auth_key: 20 for HMAC-SHA-1-160 (RFC 3830 §4.2.4 "SHOULD be equal
/// to the size of the hash function's output"), 32 for HMAC-SHA-256-256
/// (RFC 6043 §6.2 "SHALL be used with a 256-bit authentication key"), 0 NULL.
[[nodiscard]] constexpr std::optional<std::size_t> auth_key_size(mac_alg a) noexcept {
    switch (a) {
        case mac_alg::null: return 0;
        case mac_alg::hmac_sha_1_160: return 20;
        case mac_alg::hmac_sha_256_256: return 32;
    }
    return std::nullopt;
}

/// The HMAC hash of a MAC alg (nullopt for NULL and unknown ones).
[[nodiscard]] constexpr std::optional<hmac_hash> hash_of(mac_alg a) noexcept {
    switch (a) {
        case mac_alg::hmac_sha_1_160: return hmac_hash::sha_1;
        case mac_alg::hmac_sha_256_256: return hmac_hash::sha_256;
        default: return std::nullopt;
    }
}

static_assert(*encr_key_size(encr_alg::aes_cm_128) == 16 && *encr_key_size(encr_alg::aes_cm_256) == 32);
static_assert(*salt_key_size(encr_alg::aes_cm_128) * 8 == 112 && *salt_key_size(encr_alg::aes_kw_128) * 8 == 64);
static_assert(*auth_key_size(mac_alg::hmac_sha_1_160) == mac_size(mac_alg::hmac_sha_1_160));
static_assert(*auth_key_size(mac_alg::hmac_sha_256_256) == mac_size(mac_alg::hmac_sha_256_256));

/// Key size class of an algorithm for the RFC 6043 §12.1 rules: 256 for the
/// three algorithms RFC 6043 adds, 128 for the RFC 3830 ones ("128-bit
/// algorithms"; MIKEY-1 and HMAC-SHA-1-160 included), 0 for NULL (no key).
enum class strength : std::uint16_t { none = 0, bits_128 = 128, bits_256 = 256 };

[[nodiscard]] constexpr strength strength_of(prf_func f) noexcept {
    return f == prf_func::prf_hmac_sha_256 ? strength::bits_256 : strength::bits_128;
}
[[nodiscard]] constexpr strength strength_of(encr_alg a) noexcept {
    switch (a) {
        case encr_alg::null: return strength::none;
        case encr_alg::aes_cm_256: return strength::bits_256;
        default: return strength::bits_128;
    }
}
[[nodiscard]] constexpr strength strength_of(mac_alg a) noexcept {
    switch (a) {
        case mac_alg::null: return strength::none;
        case mac_alg::hmac_sha_256_256: return strength::bits_256;
        default: return strength::bits_128;
    }
}

/// The algorithms protecting one exchange: PRF func, KEMAC Encr alg, MAC
/// alg (KEMAC MAC and V Auth alg).
struct algorithm_suite {
    prf_func prf = prf_func::mikey_1;
    encr_alg encr = encr_alg::aes_cm_128;
    mac_alg mac = mac_alg::hmac_sha_1_160;
};

/// Checks a suite against RFC 6043 §12.1, given the longest session key
/// (TEK / TGK / GTGK) in bytes that it will carry (0 if none):
///   unsupported_algorithm  a member this library does not implement;
///   algorithm_mix          a 256-bit algorithm together with a 128-bit one
///                          ("they SHALL NOT be mixed with algorithms using
///                          key sizes less than 256 bits");
///   algorithm_too_weak     session keys over 128 bits with any 128-bit
///                          algorithm ("128-bit algorithms SHALL NOT be used").
[[nodiscard]] constexpr result<void> check_algorithm_suite(const algorithm_suite& s,
                                                           std::size_t longest_session_key_bytes) noexcept {
    if (!prf_for(s.prf) || !encr_key_size(s.encr) || !auth_key_size(s.mac)) {
        return errc::unsupported_algorithm;
    }
    const strength all[3] = {strength_of(s.prf), strength_of(s.encr), strength_of(s.mac)};
    bool any_128 = false;
    bool any_256 = false;
    for (const strength x : all) {
        any_128 = any_128 || x == strength::bits_128;
        any_256 = any_256 || x == strength::bits_256;
    }
    // RFC 6043 §12.1: the 256-bit algorithms "SHALL NOT be mixed with algorithms
    // using key sizes less than 256 bits".
    if (any_128 && any_256) {
        return errc::algorithm_mix;
    }
    // RFC 6043 §12.1: "If session keys (TEK/TGK/GTGK) longer than 128 bits are
    // used, 128-bit algorithms SHALL NOT be used."
    if (longest_session_key_bytes > 16 && any_128) {
        return errc::algorithm_too_weak;
    }
    return {};
}

/// RFC 6043 §12.1: "All keys (including keys used to protect the ticket) MUST
/// have adequate strength/length, i.e., 128 bits or more."
/// Errors: key_too_short.
[[nodiscard]] constexpr result<void> check_key_length(std::size_t key_bytes) noexcept {
    if (key_bytes < min_key_bytes) {
        return errc::key_too_short;
    }
    return {};
}

/// RFC 6043 §12.1: "the sum of the lengths of RANDRi and RANDRr MUST at least be
/// equal to the size of the longest pre-shared key/envelope key/MPK/TGK/GTGK".
/// Errors: rand_too_short.
[[nodiscard]] constexpr result<void> check_randri_randrr(std::size_t randri_bytes, std::size_t randrr_bytes,
                                                         std::size_t longest_key_bytes) noexcept {
    if (randri_bytes + randrr_bytes < longest_key_bytes) {
        return errc::rand_too_short;
    }
    return {};
}

/// RFC 6043 §12.1: "RANDRkms MUST at least be as long as the longest MPKr/TGK".
/// Errors: rand_too_short.
[[nodiscard]] constexpr result<void> check_randrkms(std::size_t randrkms_bytes,
                                                    std::size_t longest_mpkr_or_tgk_bytes) noexcept {
    if (randrkms_bytes < longest_mpkr_or_tgk_bytes) {
        return errc::rand_too_short;
    }
    return {};
}

/// RFC 6043 §12.1: "the RAND in the MIKEY base ticket MUST at least be as long as
/// the longest of TPK and MPK". Errors: rand_too_short.
[[nodiscard]] constexpr result<void> check_ticket_rand(std::size_t rand_bytes, std::size_t tpk_bytes,
                                                       std::size_t mpk_bytes) noexcept {
    if (rand_bytes < (tpk_bytes > mpk_bytes ? tpk_bytes : mpk_bytes)) {
        return errc::rand_too_short;
    }
    return {};
}

/// Key lengths a suite's algorithms take: encr_key and auth_key must have
/// exactly the algorithm's size. Errors: unsupported_algorithm,
/// key_length_mismatch.
[[nodiscard]] constexpr result<void> check_encr_key(encr_alg a, std::size_t key_bytes) noexcept {
    const auto want = encr_key_size(a);
    if (!want) return errc::unsupported_algorithm;
    if (*want != key_bytes) return errc::key_length_mismatch;
    return {};
}
[[nodiscard]] constexpr result<void> check_auth_key(mac_alg a, std::size_t key_bytes) noexcept {
    const auto want = auth_key_size(a);
    if (!want) return errc::unsupported_algorithm;
    if (*want != key_bytes) return errc::key_length_mismatch;
    return {};
}

// The rules, pinned.
static_assert(check_algorithm_suite({prf_func::mikey_1, encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160}, 16));
static_assert(check_algorithm_suite({prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256}, 32));
static_assert(check_algorithm_suite({prf_func::prf_hmac_sha_256, encr_alg::null, mac_alg::hmac_sha_256_256}, 32));
static_assert(check_algorithm_suite({prf_func::prf_hmac_sha_256, encr_alg::aes_cm_128, mac_alg::hmac_sha_256_256}, 16)
                  .error() == errc::algorithm_mix);
static_assert(check_algorithm_suite({prf_func::mikey_1, encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160}, 32).error() ==
              errc::algorithm_too_weak);
static_assert(check_algorithm_suite({static_cast<prf_func>(120), encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160}, 16)
                  .error() == errc::unsupported_algorithm);

}  // namespace mikey::crypto

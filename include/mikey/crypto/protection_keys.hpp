// mikey-ticket: the encr_key / auth_key / salt_key triple that protects one
// MIKEY message (KEMAC encryption, KEMAC MAC, V), derived in one call for an
// algorithm suite, held in wiping buffers.
//
//   derive_psk_protection_keys       RFC 3830 §4.1.4 (PSK / envelope key, RAND)
//   derive_initial_protection_keys   D1 RFC 6043 §5.1.2 (REQUEST_INIT, TRANSFER_INIT, RESOLVE_INIT)
//   derive_response_protection_keys  D2 RFC 6043 §5.1.2 (the *_RESP messages)
//   derive_ticket_protection_keys    D6 RFC 6043 App. A.2.1 (MIKEY base ticket, TPK)
//
// Key sizes follow the suite (algorithms.hpp): encr 16 / 32 bytes, auth 20 /
// 32, salt 14 (AES-CM) / 8 (AES-KW); NULL algorithms get empty keys and cost
// no PRF run.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../core/secret.hpp"
#include "algorithms.hpp"
#include "derive.hpp"
#include "kemac_cipher.hpp"

namespace mikey::crypto {

/// The keys protecting one message.
struct protection_keys {
    secret_buffer<32> encr_key;
    secret_buffer<32> auth_key;
    secret_buffer<14> salt_key;

    /// The KEMAC cipher inputs for these keys (views into this object).
    [[nodiscard]] kemac_cipher_keys cipher(csb_id csb, std::uint64_t t) const noexcept MIKEY_LIFETIMEBOUND {
        return {encr_key.view(), salt_key.view(), csb, t};
    }
};

namespace detail {
/// Sizes the three buffers for `s` and runs `one(message_key, out)` for each
/// non-empty one. Errors: unsupported_algorithm, and those of `one`.
template <class One>
[[nodiscard]] result<protection_keys> protection_keys_for(const algorithm_suite& s, One&& one) noexcept {
    const auto e = encr_key_size(s.encr);
    const auto a = auth_key_size(s.mac);
    const auto z = salt_key_size(s.encr);
    // Built in place in the returned result (one named object returned on
    // every path, which GCC needs for NRVO): the keys are not moved (copied
    // and wiped) on the way out.
    result<protection_keys> out(std::in_place);
    if (!prf_for(s.prf) || !e || !a || !z) {
        out = errc::unsupported_algorithm;
        return out;
    }
    protection_keys& k = *out;
    (void)k.encr_key.resize(*e);
    (void)k.auth_key.resize(*a);
    (void)k.salt_key.resize(*z);
    result<void> r{};
    if (*e != 0) r = one(message_key::encr, k.encr_key.mutable_view());
    if (r && *a != 0) r = one(message_key::auth, k.auth_key.mutable_view());
    if (r && *z != 0) r = one(message_key::salt, k.salt_key.mutable_view());
    if (!r) out = r.error_info();  // destroys (wipes) the keys derived so far
    return out;
}
}  // namespace detail

/// RFC 3830 §4.1.4 keys (PRF = the suite's). Errors: unsupported_algorithm,
/// and those of derive_message_key.
template <crypto_backend B>
[[nodiscard]] result<protection_keys> derive_psk_protection_keys(B& b, const algorithm_suite& s, bytes_view psk,
                                                                 csb_id csb, rand_value rand) noexcept {
    return detail::protection_keys_for(s, [&](message_key k, mutable_bytes out) {
        return derive_message_key(b, s.prf, psk, k, csb, rand, out);
    });
}

/// D1 keys. Errors: unsupported_algorithm, and those of derive_initial_message_key.
template <crypto_backend B>
[[nodiscard]] result<protection_keys> derive_initial_protection_keys(B& b, const algorithm_suite& s,
                                                                     bytes_view inkey, csb_id csb, rand_value randri,
                                                                     rand_value randrr) noexcept {
    return detail::protection_keys_for(s, [&](message_key k, mutable_bytes out) {
        return derive_initial_message_key(b, s.prf, inkey, k, csb, randri, randrr, out);
    });
}

/// D2 keys. Errors: unsupported_algorithm, and those of derive_response_message_key.
template <crypto_backend B>
[[nodiscard]] result<protection_keys> derive_response_protection_keys(B& b, const algorithm_suite& s,
                                                                      bytes_view inkey, csb_id csb,
                                                                      rand_value randri, rand_value randrr) noexcept {
    return detail::protection_keys_for(s, [&](message_key k, mutable_bytes out) {
        return derive_response_message_key(b, s.prf, inkey, k, csb, randri, randrr, out);
    });
}

/// D6 keys of a MIKEY base ticket (PRF = the Ticket Policy's, in s.prf).
/// Use csb_id{0xFFFFFFFF} for the KEMAC IV (RFC 6043 App. A.1).
/// Errors: unsupported_algorithm, and those of derive_ticket_key.
template <crypto_backend B>
[[nodiscard]] result<protection_keys> derive_ticket_protection_keys(B& b, const algorithm_suite& s, bytes_view tpk,
                                                                    rand_value rand) noexcept {
    return detail::protection_keys_for(s, [&](message_key k, mutable_bytes out) {
        return derive_ticket_key(b, s.prf, tpk, k, rand, out);
    });
}

/// RFC 6043 App. A.1: "If CSB ID is needed in the IV creation it SHALL be set to '0xFFFFFFFF'".
inline constexpr csb_id base_ticket_csb_id{0xFFFFFFFFu};

}  // namespace mikey::crypto

// mikey-ticket: every key derivation of RFC 3830 §4.1.3 / §4.1.4 and
// RFC 6043 (D1-D7 below), each a named function that writes the derived key
// into a caller span. None allocates. out.size() is outkey_len / 8.
//
//   derive_tgk_key               RFC 3830 §4.1.3   TEK / auth / encr / salt from a TGK
//   derive_message_key           RFC 3830 §4.1.4   encr / auth / salt from a PSK or envelope key
//   derive_initial_message_key   D1 RFC 6043 §5.1.2 (initial messages)
//   derive_response_message_key  D2 RFC 6043 §5.1.2 (response messages)
//   derive_forked_mpkr           D3 RFC 6043 §5.1.1 MPKr'
//   derive_forked_tgk            D3 RFC 6043 §5.1.1 TGK'
//   derive_session_key           D4 RFC 6043 §5.1.3 TEK etc. from TGK / TGK' / GTGK
//   derive_vr_auth_key           D5 RFC 6043 §6.10  auth_key of Vr from MPKr
//   derive_ticket_key            D6 RFC 6043 App. A.2.1 encr / auth / salt from the TPK
//   derive_mpki, derive_mpkr     D7 RFC 6043 App. A.2.2
//
// Which PRF: each function takes the PRF func explicitly. RFC 6043 says the
// HDR's for D1, D2 (by RFC 3830 practice) and D4 (§5.1.3 explicitly), the
// Ticket Policy's for D3 (§5.1.1), D6 (A.2.1) and D7 (A.2.2), and nothing
// for D5; the caller (role layer) passes the one it settled on.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../core/bytes.hpp"
#include "../core/registry.hpp"
#include "../core/result.hpp"
#include "../core/strong_types.hpp"
#include "backend.hpp"
#include "labels.hpp"
#include "prf.hpp"

namespace mikey::crypto {

/// Keys derived from a PSK / envelope key / MPK / TPK (RFC 3830 Table 4.1.4).
enum class message_key : std::uint8_t { encr, auth, salt };
/// Keys derived from a TGK / TGK' / GTGK (RFC 3830 Table 4.1.3).
enum class tgk_key : std::uint8_t { tek, auth, encr, salt };

[[nodiscard]] constexpr std::uint32_t constant_of(message_key k) noexcept {
    switch (k) {
        case message_key::encr: return label_constant::encr_key;
        case message_key::auth: return label_constant::auth_key;
        case message_key::salt: return label_constant::salt_key;
    }
    return 0;
}
[[nodiscard]] constexpr std::uint32_t constant_of(tgk_key k) noexcept {
    switch (k) {
        case tgk_key::tek: return label_constant::tek;
        case tgk_key::auth: return label_constant::tgk_auth;
        case tgk_key::encr: return label_constant::tgk_encr;
        case tgk_key::salt: return label_constant::tgk_salt;
    }
    return 0;
}
static_assert(constant_of(message_key::encr) == 0x150533E1 && constant_of(message_key::auth) == 0x2D22AC75 &&
              constant_of(message_key::salt) == 0x29B88916);
static_assert(constant_of(tgk_key::tek) == 0x2AD01C64 && constant_of(tgk_key::auth) == 0x1B5C7973 &&
              constant_of(tgk_key::encr) == 0x15798CEF && constant_of(tgk_key::salt) == 0x39A2C14B);

/// Smallest key RFC 6043 §12.1 allows: "All keys ... MUST have adequate
/// strength/length, i.e., 128 bits or more."
inline constexpr std::size_t min_key_bytes = 16;

namespace detail {

/// RFC 6043 §12.1: every key (PSK, env_key, MPK, TGK, GTGK, TPK) >= 128 bits.
[[nodiscard]] constexpr result<void> check_inkey_6043(bytes_view inkey) noexcept {
    if (inkey.size() < min_key_bytes) {
        return errc::key_too_short;
    }
    return {};
}

/// 8-bit RAND length fields (RFC 6043 §5.1.1-§5.1.3, A.2).
[[nodiscard]] constexpr result<void> check_len8(bytes_view v) noexcept {
    if (v.size() > 0xFF) {
        return errc::field_too_long;
    }
    return {};
}

/// PRF(inkey, label of layout L with `in`) into `out`. L is a template
/// argument: the label is laid out with the layout's choices folded away.
/// Errors: unknown_prf_func, then prf()'s.
template <const label_layout& L, crypto_backend B>
[[nodiscard]] result<void> run(B& b, prf_func f, bytes_view inkey, const label_inputs& in, mutable_bytes out) noexcept {
    return prf_with_label(b, f, inkey, make_label(L, in), out);
}

}  // namespace detail

/// RFC 3830 §4.1.3: inkey TGK, label constant || cs_id || csb_id || RAND.
/// `rand` is the RAND payload's value of the initial exchange.
/// Errors: unknown_prf_func, invalid_argument (empty tgk / out),
/// crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> derive_tgk_key(B& b, prf_func f, bytes_view tgk, tgk_key k, cs_id cs, csb_id csb,
                                          rand_value rand, mutable_bytes out) noexcept {
    return detail::run<layout::rfc3830_tgk>(b, f, tgk, {constant_of(k), cs.get(), csb.get(), rand.get(), {}}, out);
}

/// RFC 3830 §4.1.4: inkey PSK / envelope key, label constant || 0xFF || csb_id || RAND.
/// Errors: as derive_tgk_key.
template <crypto_backend B>
[[nodiscard]] result<void> derive_message_key(B& b, prf_func f, bytes_view psk, message_key k, csb_id csb,
                                              rand_value rand, mutable_bytes out) noexcept {
    return detail::run<layout::rfc3830_msg>(b, f, psk, {constant_of(k), 0xFF, csb.get(), rand.get(), {}}, out);
}

namespace detail {
/// D1 and D2 differ only in the direction byte of their label layout.
template <const label_layout& L, crypto_backend B>
[[nodiscard]] result<void> derive_6043_message_key(B& b, prf_func f, bytes_view inkey, message_key k, csb_id csb,
                                                   rand_value randri, rand_value randrr,
                                                   mutable_bytes out) noexcept {
    // RFC 6043 §12.1: keys MUST be 128 bits or more.
    if (auto r = check_inkey_6043(inkey); !r) return r;
    if (auto r = check_len8(randri.get()); !r) return r;
    if (auto r = check_len8(randrr.get()); !r) return r;
    // RFC 6043 §5.1.2: "at least one of RANDRi and RANDRr is always used".
    if (randri.size() == 0 && randrr.size() == 0) return errc::rand_too_short;
    return run<L>(b, f, inkey, {constant_of(k), 0, csb.get(), randri.get(), randrr.get()}, out);
}
}  // namespace detail

/// D1, RFC 6043 §5.1.2, keys protecting the initial messages (REQUEST_INIT,
/// TRANSFER_INIT, RESOLVE_INIT): inkey PSK / envelope key / MPKi, label
/// constant || 0xFF || CSB ID || 0x01 || len RANDRi || RANDRi || len RANDRr || RANDRr.
/// An omitted RAND is an empty view (its length byte is then 0).
/// Errors: key_too_short (inkey < 128 bits), field_too_long (a RAND over
/// 255 bytes), rand_too_short (both RANDs empty: "at least one of RANDRi and
/// RANDRr is always used"), unknown_prf_func, invalid_argument (empty out),
/// crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> derive_initial_message_key(B& b, prf_func f, bytes_view inkey, message_key k, csb_id csb,
                                                      rand_value randri, rand_value randrr,
                                                      mutable_bytes out) noexcept {
    return detail::derive_6043_message_key<layout::d1>(b, f, inkey, k, csb, randri, randrr, out);
}

/// D2, RFC 6043 §5.1.2, keys protecting the response messages (REQUEST_RESP,
/// TRANSFER_RESP, RESOLVE_RESP): inkey PSK / envelope key / MPKi / MPKr',
/// label as D1 with 0x02. Errors: as derive_initial_message_key.
template <crypto_backend B>
[[nodiscard]] result<void> derive_response_message_key(B& b, prf_func f, bytes_view inkey, message_key k, csb_id csb,
                                                       rand_value randri, rand_value randrr,
                                                       mutable_bytes out) noexcept {
    return detail::derive_6043_message_key<layout::d2>(b, f, inkey, k, csb, randri, randrr, out);
}

namespace detail {
template <crypto_backend B>
[[nodiscard]] result<void> fork(B& b, prf_func f, bytes_view inkey, std::uint32_t constant, identity idrr,
                                rand_value randrkms, mutable_bytes out) noexcept {
    // RFC 6043 §12.1: keys MUST be 128 bits or more.
    if (auto r = check_inkey_6043(inkey); !r) return r;
    // RFC 6043 §5.1.1: "outkey_len ... SHALL be equal to inkey_len".
    if (out.size() != inkey.size()) return errc::key_length_mismatch;
    // RFC 6043 §5.1.1: ID Data length is a 16-bit, RANDRkms length an 8-bit field.
    if (idrr.size() > 0xFFFF) return errc::field_too_long;
    if (auto r = check_len8(randrkms.get()); !r) return r;
    return run<layout::d3>(b, f, inkey, {constant, 0, 0, idrr.get(), randrkms.get()}, out);
}
}  // namespace detail

/// D3, RFC 6043 §5.1.1: MPKr' from MPKr with the modifier (IDRr ID Data,
/// RANDRkms), label constant || 0xFF || 0xFFFFFFFF || 0x00 || len ID Data(2)
/// || ID Data || len RANDRkms || RANDRkms, outkey_len = inkey_len.
/// Errors: key_too_short, key_length_mismatch (out.size() != mpkr.size()),
/// field_too_long, unknown_prf_func, crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> derive_forked_mpkr(B& b, prf_func f, bytes_view mpkr, identity idrr, rand_value randrkms,
                                              mutable_bytes out) noexcept {
    return detail::fork(b, f, mpkr, label_constant::mpkr_fork, idrr, randrkms, out);
}

/// D3, RFC 6043 §5.1.1: TGK' from a TGK (never a TEK or GTGK: §5.1.1).
/// Errors: as derive_forked_mpkr.
template <crypto_backend B>
[[nodiscard]] result<void> derive_forked_tgk(B& b, prf_func f, bytes_view tgk, identity idrr, rand_value randrkms,
                                             mutable_bytes out) noexcept {
    return detail::fork(b, f, tgk, label_constant::tgk_fork, idrr, randrkms, out);
}

/// The Ticket Policy flags and RANDs that decide D4's label.
struct d4_rands {
    rand_value randri{};
    rand_value randrr{};
    bool h = false;  ///< H flag: RANDRi used in TGK/GTGK derivation
    bool g = false;  ///< G flag: RANDRr generated by R (and used here)
};

/// D4, RFC 6043 §5.1.3: TEK (or SRTP auth / encr / salt key) from a TGK,
/// TGK' or GTGK; label constant || CS ID || 0xFFFFFFFF || 0x03 || len RANDRi
/// || [RANDRi] || len RANDRr || [RANDRr], RANDRi included iff H, RANDRr iff G.
/// Errors: flag_g_or_h_required (neither H nor G: "at least one of RANDRi and
/// RANDRr MUST be used"), rand_too_short (the selected RANDs are all empty),
/// key_too_short, field_too_long, unknown_prf_func, invalid_argument,
/// crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> derive_session_key(B& b, prf_func f, bytes_view tgk, tgk_key k, cs_id cs,
                                              const d4_rands& r, mutable_bytes out) noexcept {
    // RFC 6043 §12.1: keys MUST be 128 bits or more.
    if (auto e = detail::check_inkey_6043(tgk); !e) return e;
    // RFC 6043 §5.1.3: "at least one of RANDRi and RANDRr MUST be used".
    if (!r.h && !r.g) return errc::flag_g_or_h_required;
    const bytes_view ri = r.h ? r.randri.get() : bytes_view{};
    const bytes_view rr = r.g ? r.randrr.get() : bytes_view{};
    if (ri.empty() && rr.empty()) return errc::rand_too_short;
    if (auto e = detail::check_len8(ri); !e) return e;
    if (auto e = detail::check_len8(rr); !e) return e;
    return detail::run<layout::d4>(b, f, tgk, {constant_of(k), cs.get(), 0, ri, rr}, out);
}

/// D5, RFC 6043 §6.10: the auth_key of the Vr payload (Initiator Data) from
/// MPKr (not forked); label constant || 0xFF || 0xFFFFFFFF || 0x04.
/// RFC 6043 does not say which PRF: the caller passes one (see notes).
/// `k` is normally message_key::auth (the RFC lists encr / salt as well).
/// Errors: key_too_short, unknown_prf_func, invalid_argument, crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> derive_vr_auth_key(B& b, prf_func f, bytes_view mpkr, mutable_bytes out,
                                              message_key k = message_key::auth) noexcept {
    // RFC 6043 §12.1: keys MUST be 128 bits or more.
    if (auto e = detail::check_inkey_6043(mpkr); !e) return e;
    return detail::run<layout::d5>(b, f, mpkr, {constant_of(k), 0, 0, {}, {}}, out);
}

/// D6, RFC 6043 App. A.2.1: MIKEY base ticket encr / auth / salt key from
/// the TPK; label constant || 0xFF || 0xFFFFFFFF || 0x05 || len RAND || RAND.
/// Errors: key_too_short, field_too_long, unknown_prf_func, invalid_argument,
/// crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> derive_ticket_key(B& b, prf_func f, bytes_view tpk, message_key k, rand_value rand,
                                             mutable_bytes out) noexcept {
    // RFC 6043 §12.1: "All keys (including keys used to protect the ticket) MUST" be >= 128 bits.
    if (auto e = detail::check_inkey_6043(tpk); !e) return e;
    if (auto e = detail::check_len8(rand.get()); !e) return e;
    return detail::run<layout::d6>(b, f, tpk, {constant_of(k), 0, 0, rand.get(), {}}, out);
}

namespace detail {
template <crypto_backend B>
[[nodiscard]] result<void> mpk_split(B& b, prf_func f, bytes_view mpk, std::uint32_t constant, rand_value rand,
                                     mutable_bytes out) noexcept {
    // RFC 6043 §12.1: keys MUST be 128 bits or more.
    if (auto e = check_inkey_6043(mpk); !e) return e;
    // RFC 6043 App. A.2.2: "outkey_len ... SHALL be equal to inkey_len".
    if (out.size() != mpk.size()) return errc::key_length_mismatch;
    if (auto e = check_len8(rand.get()); !e) return e;
    return run<layout::d7>(b, f, mpk, {constant, 0, 0, rand.get(), {}}, out);
}
}  // namespace detail

/// D7, RFC 6043 App. A.2.2: MPKi from the MPK; label constant || 0xFF ||
/// 0xFFFFFFFF || 0x06 || len RAND || RAND; outkey_len = inkey_len.
/// Errors: key_too_short, key_length_mismatch, field_too_long,
/// unknown_prf_func, crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> derive_mpki(B& b, prf_func f, bytes_view mpk, rand_value rand, mutable_bytes out) noexcept {
    return detail::mpk_split(b, f, mpk, label_constant::mpki, rand, out);
}

/// D7, RFC 6043 App. A.2.2: MPKr from the MPK. Errors: as derive_mpki.
template <crypto_backend B>
[[nodiscard]] result<void> derive_mpkr(B& b, prf_func f, bytes_view mpk, rand_value rand, mutable_bytes out) noexcept {
    return detail::mpk_split(b, f, mpk, label_constant::mpkr, rand, out);
}

}  // namespace mikey::crypto

// mikey-ticket (integration layer): the SRTP keys and policy of a MIKEY
// crypto session, as plain values a caller hands to libsrtp2 (or another
// SRTP stack). The library itself does not depend on libsrtp2.
//
//   policy_from, default_policy   SP payload (RFC 3830 §6.10.1, RFC 4771 §4,
//                                 RFC 6188, RFC 7714 §14.3, §15) -> policy
//   stream_of                     SSRC / ROC / SEQ / policies / SPI of a CS
//                                 from the HDR's CS ID map (RFC 3830 §6.1.1,
//                                 RFC 6043 §6.1.1)
//   find_policy                   the SP payload a crypto session refers to
//   master_key_from               master key and salt from a roles::session_key
//   derive_master_key             master key and salt from a TGK, with the
//                                 policy's lengths (RFC 6043 §5.1.3 D4, or
//                                 RFC 3830 §4.1.3)
//   mki_of                        the MKI of a key (its SPI; see there)
//   session_from                  all of the above for one crypto session
//
// MIKEY to SRTP (RFC 3830 App. A): a crypto session is an SRTP stream (with
// its SRTCP), the TEK is the SRTP master key, the salting key the master
// salt; the SP payload gives the transforms. Nothing here does I/O.
//
// Handing the result to libsrtp2 (tests/srtp_integration.cpp does exactly
// this):
//   srtp_policy_t p{};
//   set_crypto(p.rtp, pol.rtp);  set_crypto(p.rtcp, pol.rtcp);
//       -- srtp_crypto_policy_set_<to_string(profile)>(&c), then
//          c.sec_serv from encrypt / authenticate
//   key = master key || master salt (write_key_salt), p.key = key
//   p.ssrc = {ssrc_specific, ssrc} (or ssrc_any_inbound / _outbound)
//   MKI: p.keys / num_master_keys with mki_id = mki_of(...) when not empty
//   libsrtp2 has no key derivation rate: it takes only 0.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "core/bytes.hpp"
#include "core/errc.hpp"
#include "core/registry.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"
#include "core/strong_types.hpp"
#include "crypto/backend.hpp"
#include "crypto/derive.hpp"
#include "message.hpp"
#include "payload/hdr.hpp"
#include "payload/sp.hpp"
#include "roles/outcome.hpp"

namespace mikey::srtp {

/// SRTP encryption transforms (RFC 3711 §4.1, RFC 6188 §2, RFC 7714 §12).
enum class cipher : std::uint8_t { null, aes_cm_128, aes_cm_192, aes_cm_256, aes_gcm_128, aes_gcm_256 };

/// SRTP message authentication transforms (RFC 3711 §4.2). AES-GCM
/// authenticates itself (AEAD): its crypto policies say `null` here, as
/// libsrtp2's do, with the AEAD tag length in auth_tag_len.
enum class auth : std::uint8_t { null, hmac_sha1 };

/// The crypto suites libsrtp2 names (its srtp_crypto_policy_set_<name>()
/// functions); to_string(suite) gives <name>.
enum class suite : std::uint8_t {
    aes_cm_128_hmac_sha1_80,
    aes_cm_128_hmac_sha1_32,
    aes_cm_128_null_auth,
    aes_cm_192_hmac_sha1_80,
    aes_cm_192_hmac_sha1_32,
    aes_cm_192_null_auth,
    aes_cm_256_hmac_sha1_80,
    aes_cm_256_hmac_sha1_32,
    aes_cm_256_null_auth,
    null_cipher_hmac_sha1_80,
    null_cipher_hmac_null,
    aes_gcm_128_16_auth,
    aes_gcm_256_16_auth,
};

/// The libsrtp2 setter suffix of a suite (srtp_crypto_policy_set_<this>).
[[nodiscard]] constexpr std::string_view to_string(suite s) noexcept {
    switch (s) {
        case suite::aes_cm_128_hmac_sha1_80: return "aes_cm_128_hmac_sha1_80";
        case suite::aes_cm_128_hmac_sha1_32: return "aes_cm_128_hmac_sha1_32";
        case suite::aes_cm_128_null_auth: return "aes_cm_128_null_auth";
        case suite::aes_cm_192_hmac_sha1_80: return "aes_cm_192_hmac_sha1_80";
        case suite::aes_cm_192_hmac_sha1_32: return "aes_cm_192_hmac_sha1_32";
        case suite::aes_cm_192_null_auth: return "aes_cm_192_null_auth";
        case suite::aes_cm_256_hmac_sha1_80: return "aes_cm_256_hmac_sha1_80";
        case suite::aes_cm_256_hmac_sha1_32: return "aes_cm_256_hmac_sha1_32";
        case suite::aes_cm_256_null_auth: return "aes_cm_256_null_auth";
        case suite::null_cipher_hmac_sha1_80: return "null_cipher_hmac_sha1_80";
        case suite::null_cipher_hmac_null: return "null_cipher_hmac_null";
        case suite::aes_gcm_128_16_auth: return "aes_gcm_128_16_auth";
        case suite::aes_gcm_256_16_auth: return "aes_gcm_256_16_auth";
    }
    return "unknown_suite";
}

/// The transforms of one direction kind, SRTP or SRTCP: the fields of
/// libsrtp2's srtp_crypto_policy_t. `profile` is the libsrtp2 suite that
/// sets exactly cipher, key lengths, auth and tag length; `encrypt` and
/// `authenticate` give its sec_serv. The SP's encryption switches (RFC 3830
/// §6.10.1 types 7, 8) keep the suite and turn `encrypt` off; SRTP
/// authentication off (type 10) selects the suite's NULL-auth variant.
struct crypto_policy {
    suite profile = suite::aes_cm_128_hmac_sha1_80;
    cipher cipher_type = cipher::aes_cm_128;
    std::uint8_t cipher_key_len = 30;  ///< master key + master salt bytes (libsrtp2's cipher_key_len)
    auth auth_type = auth::hmac_sha1;
    std::uint8_t auth_key_len = 20;    ///< n_a in bytes (RFC 3711 §4.2); 0 without HMAC
    std::uint8_t auth_tag_len = 10;    ///< n_tag in bytes (HMAC-SHA1 10 or 4, AEAD 16)
    bool encrypt = true;
    bool authenticate = true;
    friend constexpr bool operator==(const crypto_policy&, const crypto_policy&) = default;
};

/// The SRTP policy of a crypto session.
struct policy {
    crypto_policy rtp{};
    crypto_policy rtcp{};
    std::uint8_t master_key_len = 16;   ///< RFC 3830 §6.10.1: the Session Encr. key length is the master key length
    std::uint8_t master_salt_len = 14;  ///< 14 (RFC 3711 §5.1, RFC 6188 §2) or 12 (AES-GCM, RFC 7714 §12)
    std::uint32_t key_derivation_rate = 0;  ///< 0, or a power of 2 up to 2^24 (RFC 3711 §3.2.1); libsrtp2 takes only 0
    friend constexpr bool operator==(const policy&, const policy&) = default;
};

/// The policy without an SP payload: "if a Type/Value is not set, the
/// default is used (according to SRTP's own criteria)" (RFC 3830 §6.10.1),
/// i.e. RFC 3711 §5 and §8.2: AES-CM with a 128-bit master key, 112-bit
/// master salt, HMAC-SHA1 with a 160-bit key and an 80-bit tag, AES-CM PRF,
/// key derivation rate 0, encryption and authentication on for SRTP and SRTCP.
[[nodiscard]] constexpr policy default_policy() noexcept { return policy{}; }

namespace detail {

/// One SRTP parameter of an SP as an integer (1 to 8 bytes, big-endian).
/// Errors: srtp_policy_unsupported (an empty or longer value, or the type
/// given twice: the SP would say two things, RFC 3830 §6.10.1 gives no rule).
[[nodiscard]] constexpr result<std::optional<std::uint64_t>> param(const sp_view& sp, srtp_param p) noexcept {
    std::optional<std::uint64_t> out;
    for (const auto& e : sp.params()) {
        if (e.kind != static_cast<std::uint8_t>(p)) continue;
        if (out || e.value.empty() || e.value.size() > 8) return errc::srtp_policy_unsupported;
        std::uint64_t n = 0;
        for (const auto b : e.value) n = (n << 8) | b;
        out = n;
    }
    return out;
}

/// The libsrtp2 suite for a cipher, auth and tag length, if there is one.
[[nodiscard]] constexpr std::optional<suite> suite_for(cipher c, auth a, std::uint8_t tag) noexcept {
    const bool hmac80 = a == auth::hmac_sha1 && tag == 10;
    const bool hmac32 = a == auth::hmac_sha1 && tag == 4;
    const bool none = a == auth::null;
    switch (c) {
        case cipher::aes_cm_128:
            return hmac80 ? suite::aes_cm_128_hmac_sha1_80 : hmac32 ? suite::aes_cm_128_hmac_sha1_32
                 : none   ? std::optional{suite::aes_cm_128_null_auth} : std::nullopt;
        case cipher::aes_cm_192:
            return hmac80 ? suite::aes_cm_192_hmac_sha1_80 : hmac32 ? suite::aes_cm_192_hmac_sha1_32
                 : none   ? std::optional{suite::aes_cm_192_null_auth} : std::nullopt;
        case cipher::aes_cm_256:
            return hmac80 ? suite::aes_cm_256_hmac_sha1_80 : hmac32 ? suite::aes_cm_256_hmac_sha1_32
                 : none   ? std::optional{suite::aes_cm_256_null_auth} : std::nullopt;
        case cipher::null:
            return hmac80 ? suite::null_cipher_hmac_sha1_80 : none ? std::optional{suite::null_cipher_hmac_null}
                                                                   : std::nullopt;
        case cipher::aes_gcm_128: return tag == 16 ? std::optional{suite::aes_gcm_128_16_auth} : std::nullopt;
        case cipher::aes_gcm_256: return tag == 16 ? std::optional{suite::aes_gcm_256_16_auth} : std::nullopt;
    }
    return std::nullopt;
}

/// An on/off parameter (RFC 3830 §6.10.1 types 7, 8, 10: "0 if off, 1 if on").
[[nodiscard]] constexpr result<bool> on_off(const sp_view& sp, srtp_param p) noexcept {
    const auto v = param(sp, p);
    if (!v) return v.error_info();
    if (!*v) return true;  // RFC 3711 §8.2: encryption and authentication on by default
    if (**v > 1) return errc::srtp_policy_unsupported;
    return **v == 1;
}

/// Values that must be absent or one value (FEC order 0, prefix length 0, SRTP PRF AES-CM).
[[nodiscard]] constexpr result<void> only(const sp_view& sp, srtp_param p, std::uint64_t allowed) noexcept {
    const auto v = param(sp, p);
    if (!v) return v.error_info();
    if (*v && **v != allowed) return errc::srtp_policy_unsupported;
    return {};
}

/// The HMAC part of one direction, with RFC 4771 §4's precedence: "If any
/// of the parameter types 14-19 ... and a corresponding general parameter
/// (type 2, 3, or 11) are both present in the policy, the more specific
/// parameter SHALL have precedence."
struct auth_params {
    std::optional<std::uint64_t> alg, key_len, tag_len;
};

[[nodiscard]] constexpr result<auth_params> auth_of(const sp_view& sp, srtp_param alg, srtp_param key_len,
                                                    srtp_param tag_len) noexcept {
    auth_params a;
    const auto pa = param(sp, alg);
    const auto pk = param(sp, key_len);
    const auto pt = param(sp, tag_len);
    if (!pa) return pa.error_info();
    if (!pk) return pk.error_info();
    if (!pt) return pt.error_info();
    a.alg = *pa;
    a.key_len = *pk;
    a.tag_len = *pt;
    return a;
}

/// Fills the auth fields of `c` from the specific (RFC 4771) and general
/// (RFC 3830) parameters. `rtcp` applies the SRTCP rules of RFC 3711.
[[nodiscard]] constexpr result<void> set_auth(crypto_policy& c, const auth_params& specific,
                                              const auth_params& general, bool rtcp) noexcept {
    const std::uint64_t alg = specific.alg ? *specific.alg : general.alg.value_or(1);
    // RFC 3830 Table 6.10.1.c: 0 NULL, 1 HMAC-SHA-1; RFC 4771's RCCm1-3 (2-4)
    // are not implemented by libsrtp2.
    if (alg > 1) return errc::srtp_policy_unsupported;
    if (alg == 0) {
        // RFC 3711 §3.4: "message authentication is MANDATORY" for SRTCP.
        if (rtcp) return errc::srtp_policy_unsupported;
        c.auth_type = auth::null;
        c.auth_key_len = 0;
        c.auth_tag_len = 0;
        return {};
    }
    std::optional<std::uint64_t> key_len = specific.key_len ? specific.key_len : general.key_len;
    std::optional<std::uint64_t> tag_len = specific.tag_len;
    bool tag_from_general = false;
    if (!tag_len && general.tag_len) {
        tag_len = general.tag_len;
        tag_from_general = true;
    }
    // Interop (shared/spec/rfc3830-core.md §9 #1): GStreamer writes the tag
    // length (4 or 10) as the Session Auth. key length (type 3) and no type
    // 11; read it as the tag length then.
    if (!tag_len && !specific.key_len && general.key_len && (*general.key_len == 4 || *general.key_len == 10)) {
        tag_len = general.key_len;
        tag_from_general = true;
        key_len = std::nullopt;
    }
    // RFC 3711 §5.2: n_a = 160 bits by default; libsrtp2's HMAC suites use it.
    if (key_len.value_or(20) != 20) return errc::srtp_policy_unsupported;
    std::uint64_t tag = tag_len.value_or(10);
    if (tag != 10 && tag != 4) return errc::srtp_policy_unsupported;
    if (rtcp && tag < 10) {
        // RFC 3711 §5.2: "for SRTCP, the pre-defined HMAC-SHA1 MUST NOT be
        // applied with a value of n_tag, nor n_a, that are smaller than these
        // defaults". A general tag length (type 11) of 32 bits thus applies to
        // SRTP only (as for RFC 4568's AES_CM_128_HMAC_SHA1_32); a specific
        // SRTCP one (type 19) below 80 bits is refused.
        if (!tag_from_general) return errc::srtp_policy_unsupported;
        tag = 10;
    }
    c.auth_type = auth::hmac_sha1;
    c.auth_key_len = 20;
    c.auth_tag_len = static_cast<std::uint8_t>(tag);
    return {};
}

}  // namespace detail

/// The SRTP policy an SP payload describes (RFC 3830 §6.10.1, absent
/// parameters taking RFC 3711's defaults), restricted to what libsrtp2 can
/// run:
///   encryption algorithm (0): NULL, AES-CM (1; 16, 24 or 32-byte keys,
///     RFC 3711 §4.1.1, RFC 6188 §2) or AES-GCM (6; 16 or 32-byte keys,
///     RFC 7714 §15); AES-F8 and the SEED / ARIA values are refused;
///   session encr. key length (1): also the master key length (§6.10.1);
///     NULL takes 16 only (libsrtp2's NULL-cipher suites);
///   session salt key length (4): 14 (RFC 3711 §5.1, RFC 6188 §2), 12 for
///     AES-GCM (RFC 7714 §12);
///   SRTP PRF (5): AES-CM (0) only (RFC 7714 §15 requires it for AEAD; the
///     master key length makes it AES_256_CM_PRF for 32-byte keys, as
///     RFC 6188 §3.1 wants);
///   key derivation rate (6): 0 or a power of 2 up to 2^24 (RFC 3711 §3.2.1);
///   SRTP / SRTCP encryption (7, 8), SRTP authentication (10): 0 or 1;
///   FEC order (9): FEC-SRTP (0); SRTP prefix length (12): 0 (RFC 3711 §5.2);
///   ROC transmission rate (13): non-zero (RFC 4771 §4 "R MUST be a
///     non-zero unsigned integer");
///   authentication (2, 3, 11 and RFC 4771's per-direction 14-19, the
///     specific ones first): NULL or HMAC-SHA-1 with a 20-byte key and a
///     10-byte tag, or 4 bytes for SRTP; SRTCP keeps 10 (RFC 3711 §5.2) and
///     must be authenticated (RFC 3711 §3.4); a type 3 of 4 or 10 without
///     type 11 is read as the tag length (GStreamer's encoding);
///   AES-GCM: AEAD tag length (20) 16 only (RFC 7714 §14.3); encryption and
///     authentication on for both (libsrtp2 has no 16-octet-tag GCM suite
///     without confidentiality); the HMAC parameters are ignored (the AEAD
///     algorithm is "fully determined" by types 0, 1 and 20, RFC 7714 §14.3).
/// A parameter type given twice, or with an empty or over 8-byte value, is
/// refused. Precondition: `sp` is a validated sp_view.
/// Errors: not_an_srtp_session (Prot type not SRTP), srtp_policy_unsupported.
[[nodiscard]] constexpr result<policy> policy_from(const sp_view& sp) noexcept {
    if (sp.protocol() != prot_type::srtp) return errc::not_an_srtp_session;
    using P = srtp_param;
    const auto enc = detail::param(sp, P::encryption_algorithm);
    const auto key_len = detail::param(sp, P::session_encryption_key_length);
    const auto salt_len = detail::param(sp, P::session_salt_key_length);
    const auto kdr = detail::param(sp, P::key_derivation_rate);
    const auto roc_rate = detail::param(sp, P::roc_transmission_rate);
    const auto rtp_enc = detail::on_off(sp, P::srtp_encryption);
    const auto rtcp_enc = detail::on_off(sp, P::srtcp_encryption);
    const auto rtp_auth = detail::on_off(sp, P::srtp_authentication);
    if (!enc || !key_len || !salt_len || !kdr || !roc_rate || !rtp_enc || !rtcp_enc || !rtp_auth) {
        return errc::srtp_policy_unsupported;
    }
    // RFC 3830 Table 6.10.1.d: SRTP PRF AES-CM = 0; Table 6.10.1.e: FEC-SRTP = 0.
    // RFC 3711 §5.2: "the SRTP_PREFIX_LENGTH SHALL be zero for HMAC-SHA1".
    for (const auto& r : {detail::only(sp, P::srtp_prf, 0), detail::only(sp, P::fec_order, 0),
                          detail::only(sp, P::srtp_prefix_length, 0)}) {
        if (!r) return r.error_info();
    }
    // RFC 4771 §4: "R MUST be a non-zero unsigned integer".
    if (*roc_rate && **roc_rate == 0) return errc::srtp_policy_unsupported;
    // RFC 3711 §3.2.1: key_derivation_rate is "an integer in the set {1,2,4,...,2^24}" (0 when unspecified).
    const std::uint64_t rate = kdr->value_or(0);
    if (rate > (1u << 24) || (rate & (rate - 1)) != 0) return errc::srtp_policy_unsupported;

    policy p;
    p.key_derivation_rate = static_cast<std::uint32_t>(rate);
    const std::uint64_t alg = enc->value_or(1);  // RFC 3711 §5: AES-CM by default
    const std::uint64_t key = key_len->value_or(16);
    cipher c{};
    // RFC 3830 Table 6.10.1.b (0 NULL, 1 AES-CM, 2 AES-F8), RFC 7714 §14.3 (6 AES-GCM).
    switch (alg) {
        case 0:
            if (key != 16) return errc::srtp_policy_unsupported;
            c = cipher::null;
            break;
        case 1:
            if (key != 16 && key != 24 && key != 32) return errc::srtp_policy_unsupported;
            c = key == 16 ? cipher::aes_cm_128 : key == 24 ? cipher::aes_cm_192 : cipher::aes_cm_256;
            break;
        case 6:
            // RFC 7714 §15, Table 4: AEAD_AES_128_GCM 16 octets, AEAD_AES_256_GCM 32 octets.
            if (key != 16 && key != 32) return errc::srtp_policy_unsupported;
            c = key == 16 ? cipher::aes_gcm_128 : cipher::aes_gcm_256;
            break;
        default: return errc::srtp_policy_unsupported;
    }
    const bool aead = c == cipher::aes_gcm_128 || c == cipher::aes_gcm_256;
    // RFC 7714 §12: master salt 96 bits for AES-GCM; RFC 3711 §5.1 / RFC 6188 §2: 112 bits.
    const std::uint64_t salt = salt_len->value_or(aead ? 12 : 14);
    if (salt != (aead ? 12u : 14u)) return errc::srtp_policy_unsupported;
    p.master_key_len = static_cast<std::uint8_t>(key);
    p.master_salt_len = static_cast<std::uint8_t>(salt);

    crypto_policy base{};
    base.cipher_type = c;
    base.cipher_key_len = static_cast<std::uint8_t>(key + salt);
    p.rtp = base;
    p.rtcp = base;
    if (aead) {
        // RFC 7714 §14.3: AEAD authentication tag length "16 octets".
        const auto tag = detail::param(sp, P::aead_auth_tag_length);
        if (!tag) return tag.error_info();
        if (tag->value_or(16) != 16) return errc::srtp_policy_unsupported;
        if (!*rtp_enc || !*rtcp_enc || !*rtp_auth) return errc::srtp_policy_unsupported;
        for (crypto_policy* d : {&p.rtp, &p.rtcp}) {
            d->auth_type = auth::null;
            d->auth_key_len = 0;
            d->auth_tag_len = 16;
        }
    } else {
        const auto general = detail::auth_of(sp, P::authentication_algorithm, P::session_authentication_key_length,
                                             P::authentication_tag_length);
        const auto rtp = detail::auth_of(sp, P::srtp_auth_algorithm, P::srtp_session_auth_key_length,
                                         P::srtp_auth_tag_length);
        const auto rtcp = detail::auth_of(sp, P::srtcp_auth_algorithm, P::srtcp_session_auth_key_length,
                                          P::srtcp_auth_tag_length);
        if (!general || !rtp || !rtcp) return errc::srtp_policy_unsupported;
        if (auto r = detail::set_auth(p.rtp, *rtp, *general, false); !r) return r.error_info();
        if (auto r = detail::set_auth(p.rtcp, *rtcp, *general, true); !r) return r.error_info();
        // SRTP authentication off (type 10 = 0): no tag at all, i.e. the
        // NULL-auth suite (libsrtp2 keeps stripping an HMAC suite's tag
        // when only sec_serv says "no authentication").
        if (!*rtp_auth) {
            p.rtp.auth_type = auth::null;
            p.rtp.auth_key_len = 0;
            p.rtp.auth_tag_len = 0;
        }
    }
    p.rtp.encrypt = *rtp_enc && c != cipher::null;
    p.rtcp.encrypt = *rtcp_enc && c != cipher::null;
    p.rtp.authenticate = aead || p.rtp.auth_type != auth::null;
    p.rtcp.authenticate = aead || p.rtcp.auth_type != auth::null;
    for (crypto_policy* d : {&p.rtp, &p.rtcp}) {
        const auto s = detail::suite_for(d->cipher_type, d->auth_type, d->auth_tag_len);
        // E.g. the NULL cipher with a 32-bit tag: no libsrtp2 suite.
        if (!s) return errc::srtp_policy_unsupported;
        d->profile = *s;
    }
    return p;
}

/// policy_from(*sp), or default_policy() without an SP payload.
/// Errors: as policy_from(const sp_view&).
[[nodiscard]] constexpr result<policy> policy_from(const std::optional<sp_view>& sp) noexcept {
    if (!sp) return default_policy();
    return policy_from(*sp);
}

// ---------------------------------------------------------------- streams

/// What the HDR's CS ID map says about one crypto session.
struct stream {
    cs_id cs{};
    /// SSRC_i (SRTP-ID) or the Session Data's SSRC (GENERIC-ID). RFC 3830
    /// §6.1.1: an SRTP-ID SSRC of 0 is one "not chosen by the Initiator" (the
    /// Responder fills it in); RFC 6043 §6.1.1: in GENERIC-ID "an SSRC field
    /// set to '0' has no special meaning". Absent for the Empty map and for
    /// GENERIC-ID without Session Data.
    std::optional<std::uint32_t> ssrc{};
    /// ROC_i (SRTP-ID), or the Session Data's ROC when its S flag is set
    /// (GENERIC-ID). 0 when the SRTP session has not started.
    std::optional<std::uint32_t> roc{};
    /// The Session Data's SEQ when the S flag is set (GENERIC-ID only).
    std::optional<std::uint16_t> seq{};
    /// The Policy_no values of the SP payloads that apply (one for SRTP-ID,
    /// #P for GENERIC-ID, none for the Empty map); views into the header.
    bytes_view policies{};
    /// The GENERIC-ID SPI ("the SPI (or MKI) corresponding to the session key
    /// to (initially) be used", RFC 6043 §6.1.1); empty otherwise.
    bytes_view spi{};
};

/// The crypto session `cs` of a header's CS ID map: SRTP-ID (RFC 3830
/// §6.1.1; entry i describes CS i), GENERIC-ID (RFC 6043 §6.1.1; the block
/// whose CS ID is cs), Empty (RFC 4563 §5; CS 1 to #CS, no stream data).
/// Errors: invalid_argument (no such crypto session: cs 0, above #CS, or no
/// GENERIC-ID block for it); not_an_srtp_session (its Prot type is not SRTP).
[[nodiscard]] constexpr result<stream> stream_of(const hdr_view& h, cs_id cs) noexcept {
    stream s;
    s.cs = cs;
    switch (h.map_type()) {
        case cs_id_map_type::srtp_id: {
            if (cs.get() == 0 || cs.get() > h.cs_count()) return errc::invalid_argument;
            const auto e = h.srtp_id(cs.get() - 1u);
            s.ssrc = e.ssrc;
            s.roc = e.roc;
            s.policies = h.map_info().subspan(9u * (cs.get() - 1u), 1);
            return s;
        }
        case cs_id_map_type::generic_id:
            for (const auto& b : h.generic_id()) {
                if (b.cs_id != cs.get()) continue;
                if (b.prot != prot_type::srtp) return errc::not_an_srtp_session;
                s.policies = b.policies;
                s.spi = b.spi;
                // RFC 6043 §6.1.1: Session Data is SSRC [ROC SEQ when S = 1];
                // hdr_view::parse checked its length against the S flag.
                if (b.session_data.size() >= 4) {
                    byte_reader r(b.session_data);
                    s.ssrc = r.u32();
                    if (b.s_flag) {
                        s.roc = r.u32();
                        s.seq = r.u16();
                    }
                }
                return s;
            }
            return errc::invalid_argument;
        case cs_id_map_type::empty:
            if (cs.get() == 0 || cs.get() > h.cs_count()) return errc::invalid_argument;
            return s;
    }
    return errc::invalid_argument;
}

/// The SP payload of `msg` that governs stream `s`: the first Policy_no of
/// s.policies that an SP payload of `msg` carries. nullopt when s lists no
/// policy or `msg` has none of them: then the default policy applies
/// (RFC 3830 §6.10.1), unless another message holds the SP (RFC 6043
/// §6.1.1: "In response messages, the policy_no may refer to a SP payload in
/// the initial message": pass the initial message then).
[[nodiscard]] constexpr std::optional<sp_view> find_policy(const message_view& msg, const stream& s) noexcept {
    for (const std::uint8_t no : s.policies) {
        if (auto sp = msg.find<sp_view>([no](const sp_view& v) { return v.policy_no() == no; })) {
            return sp;
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------- keys

/// An SRTP master key and master salt.
struct master_key {
    secret_buffer<32> key{};
    secret_buffer<14> salt{};

    /// key || salt into `out` (key.size() + salt.size() bytes, no more), the
    /// layout libsrtp2's srtp_policy_t::key takes. Returns that prefix of out.
    /// Errors: buffer_too_small.
    [[nodiscard]] result<bytes_view> write_key_salt(mutable_bytes out) const noexcept {
        if (out.size() < key.size() + salt.size()) return errc::buffer_too_small;
        std::copy(key.view().begin(), key.view().end(), out.begin());
        std::copy(salt.view().begin(), salt.view().end(), out.begin() + static_cast<std::ptrdiff_t>(key.size()));
        return bytes_view{out.data(), key.size() + salt.size()};
    }
};

namespace detail {

/// Copies the first n bytes of `from` into `to`.
/// Errors: key_length_mismatch (from is shorter than n).
template <std::size_t N>
[[nodiscard]] result<void> copy_prefix(bytes_view from, std::size_t n, secret_buffer<N>& to) noexcept {
    if (from.size() < n) return errc::key_length_mismatch;
    if (auto r = to.resize(n); !r) return r;
    std::copy_n(from.begin(), n, to.mutable_view().begin());
    return {};
}

/// A salt carried in the Key data (+SALT kinds): used as it is (RFC 6043
/// §5.1.3: "a new salting key SHALL NOT be derived"), so it must have the
/// policy's length.
[[nodiscard]] inline result<void> take_carried_salt(bytes_view salt, const policy& p, master_key& out) noexcept {
    if (salt.size() != p.master_salt_len) return errc::key_length_mismatch;
    return copy_prefix(salt, salt.size(), out.salt);
}

/// The master key and salt from a TGK with the policy's lengths: TEK and
/// salt key through `derive(tgk_key, out)`, or the Key data's salt.
template <class Derive>
[[nodiscard]] result<master_key> derive_master(const policy& p, bytes_view key_data_salt, Derive&& derive) noexcept {
    master_key m;
    if (auto r = m.key.resize(p.master_key_len); !r) return r.error_info();
    if (auto r = derive(crypto::tgk_key::tek, m.key.mutable_view()); !r) return r.error_info();
    if (!key_data_salt.empty()) {
        if (auto r = take_carried_salt(key_data_salt, p, m); !r) return r.error_info();
        return m;
    }
    if (auto r = m.salt.resize(p.master_salt_len); !r) return r.error_info();
    if (auto r = derive(crypto::tgk_key::salt, m.salt.mutable_view()); !r) return r.error_info();
    return m;
}

}  // namespace detail

/// The master key and salt of a crypto session from the keys a role
/// machine established (roles::session_key), for policy `p`:
///   TEK / TEK+SALT: the TEK is the master key (RFC 3830 App. A) and must
///     have the policy's master key length; the salt must have its master
///     salt length. A TEK without salt whose length is key + salt is split
///     (key || salt, as GStreamer and gortsplib send it:
///     shared/spec/rfc3830-core.md §9 #2).
///   TGK / GTGK (+SALT): k.tek and, without a carried salt, k.salt were
///     derived by the role layer with D4 (RFC 6043 §5.1.3) with the TGK's
///     length and 14 bytes. The PRF's output of n bytes is the first n bytes
///     of any longer output (RFC 3830 §4.1.2 takes the leftmost bits), so
///     shorter lengths are prefixes; longer ones need derive_master_key with
///     the TGK. A carried salt (+SALT) must have the policy's length.
/// Errors: key_length_mismatch (a length that does not fit, see above);
/// missing_key (a TEK without a salt: RFC 3711 §9.2 strongly recommends a
/// master salt, and MIKEY has none to give; or a kind that is no session key).
[[nodiscard]] inline result<master_key> master_key_from(const roles::session_key& k, const policy& p) noexcept {
    master_key m;
    switch (k.kind) {
        case key_data_type::tek:
        case key_data_type::tek_salt: {
            const bytes_view tek = k.tek.view();
            if (k.salt.empty()) {
                if (k.kind == key_data_type::tek_salt || tek.size() != std::size_t{p.master_key_len} + p.master_salt_len) {
                    return errc::missing_key;
                }
                if (auto r = detail::copy_prefix(tek, p.master_key_len, m.key); !r) return r.error_info();
                if (auto r = detail::copy_prefix(tek.subspan(p.master_key_len), p.master_salt_len, m.salt); !r) {
                    return r.error_info();
                }
                return m;
            }
            if (tek.size() != p.master_key_len) return errc::key_length_mismatch;
            if (auto r = detail::copy_prefix(tek, tek.size(), m.key); !r) return r.error_info();
            if (auto r = detail::take_carried_salt(k.salt.view(), p, m); !r) return r.error_info();
            return m;
        }
        case key_data_type::tgk:
        case key_data_type::gtgk:
            if (auto r = detail::copy_prefix(k.tek.view(), p.master_key_len, m.key); !r) return r.error_info();
            if (auto r = detail::copy_prefix(k.salt.view(), p.master_salt_len, m.salt); !r) return r.error_info();
            return m;
        case key_data_type::tgk_salt:
        case key_data_type::gtgk_salt:
            if (auto r = detail::copy_prefix(k.tek.view(), p.master_key_len, m.key); !r) return r.error_info();
            if (auto r = detail::take_carried_salt(k.salt.view(), p, m); !r) return r.error_info();
            return m;
        default: return errc::missing_key;
    }
}

/// The master key and salt from a TGK / TGK' / GTGK with D4 (RFC 6043
/// §5.1.3), TEK and salt key of exactly the policy's lengths ("outkey_len"
/// is the master key length: RFC 3830 §6.10.1). `key_data_salt` is the Key
/// data's salt (+SALT kinds), used as it is instead of a derived one
/// (RFC 6043 §5.1.3); empty otherwise.
/// Errors: key_length_mismatch (a carried salt of another length); every
/// error of crypto::derive_session_key.
template <crypto::crypto_backend B>
[[nodiscard]] result<master_key> derive_master_key(B& b, prf_func f, bytes_view tgk, cs_id cs,
                                                   const crypto::d4_rands& rands, bytes_view key_data_salt,
                                                   const policy& p) noexcept {
    return detail::derive_master(p, key_data_salt, [&](crypto::tgk_key k, mutable_bytes out) {
        return crypto::derive_session_key(b, f, tgk, k, cs, rands, out);
    });
}

/// The RFC 3830 §4.1.3 inputs of a TGK derivation: the CSB ID and the RAND
/// of the initial exchange.
struct rfc3830_inputs {
    csb_id csb{};
    rand_value rand{};
};

/// The master key and salt from a TGK of a plain MIKEY (RFC 3830 §4.1.3)
/// exchange: TEK and salting key with the policy's lengths, or the Key
/// data's salt when one is carried.
/// Errors: key_length_mismatch (a carried salt of another length); every
/// error of crypto::derive_tgk_key.
template <crypto::crypto_backend B>
[[nodiscard]] result<master_key> derive_master_key(B& b, prf_func f, bytes_view tgk, cs_id cs,
                                                   const rfc3830_inputs& in, bytes_view key_data_salt,
                                                   const policy& p) noexcept {
    return detail::derive_master(p, key_data_salt, [&](crypto::tgk_key k, mutable_bytes out) {
        return crypto::derive_tgk_key(b, f, tgk, k, cs, in.csb, in.rand, out);
    });
}

/// Whether SRTP packets carry an MKI.
enum class mki_use : std::uint8_t {
    none,  ///< no MKI
    spi,   ///< the key's SPI is the MKI (the default)
};

/// The MKI for key `k`. MIKEY names a key by an SPI that RFC 3830 §6.13
/// calls "SPI/MKI" and RFC 6043 §6.1.1 "the SPI (or MKI)"; RFC 3830 App. A.1
/// recommends an MKI per TGK / TEK when several are sent. This library's
/// reading: with mki_use::spi the MKI is the key's SPI (KV type SPI), and
/// there is no MKI when the key has none; both ends must make the same
/// choice (libsrtp2 then needs use_mki and the MKI length). libsrtp2 2.5.0
/// refuses SRTCP with an MKI (srtp_err_status_bad_mki) when the SRTP and
/// SRTCP tag lengths differ, as with the 32-bit-tag suites (observed in
/// tests/srtp_integration.cpp): use no MKI with those there.
[[nodiscard]] inline bytes_view mki_of(const roles::session_key& k, mki_use u = mki_use::spi) noexcept {
    return u == mki_use::spi ? k.spi_view() : bytes_view{};
}

/// Everything SRTP needs for one crypto session.
struct session {
    srtp::policy policy{};
    srtp::stream stream{};
    master_key keys{};
    bytes_view mki{};  ///< a view into the session_key's SPI
};

/// The SRTP session of crypto session k.cs: its stream from the header of
/// `msg`, the SP payload of `policy_msg` it refers to (default policy
/// without one: find_policy), the master key and salt (master_key_from) and
/// the MKI (mki_of). `policy_msg` is usually `msg`; for a response whose
/// Policy_no refers to the initial message, pass the initial message.
/// Errors: those of stream_of, policy_from and master_key_from.
[[nodiscard]] inline result<session> session_from(const roles::session_key& k, const message_view& msg,
                                                  const message_view& policy_msg,
                                                  mki_use u = mki_use::spi) noexcept {
    session s;
    auto st = stream_of(msg.header(), k.cs);
    if (!st) return st.error_info();
    s.stream = *st;
    auto pol = policy_from(find_policy(policy_msg, s.stream));
    if (!pol) return pol.error_info();
    s.policy = *pol;
    auto keys = master_key_from(k, s.policy);
    if (!keys) return keys.error_info();
    s.keys = std::move(*keys);
    s.mki = mki_of(k, u);
    return s;
}

}  // namespace mikey::srtp

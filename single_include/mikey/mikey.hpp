// mikey-ticket single header: MIKEY-TICKET (RFC 6043) on MIKEY (RFC 3830).
//
// GENERATED FILE, DO NOT EDIT. Built by tools/amalgamate from include/;
// change the headers under include/ and run `tools/amalgamate` (or
// `ninja -C <build> amalgamate`). CI fails when this file is stale.
#pragma once

// #include <mikey/core/bytes.hpp> (not in the umbrella header; inlined)
// ---- begin mikey/core/bytes.hpp ----
// mikey-ticket: the byte-span vocabulary every layer uses.

#include <cstddef>
#include <cstdint>
#include <span>

namespace mikey {

/// A read-only view of wire bytes. Views never own; the caller's buffer must
/// outlive every view made from it.
using bytes_view = std::span<const std::uint8_t>;

/// A writable byte span supplied by the caller (output buffers, key outputs).
using mutable_bytes = std::span<std::uint8_t>;

/// True when both spans hold the same bytes. Not constant time: use the
/// crypto backend's compare for secrets.
[[nodiscard]] constexpr bool equal_bytes(bytes_view a, bytes_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace mikey
// ---- end mikey/core/bytes.hpp ----
// #include <mikey/core/config.hpp> (not in the umbrella header; inlined)
// ---- begin mikey/core/config.hpp ----
// mikey-ticket: compile-time configuration shared by every header.

/// Marks a parameter whose referent must outlive the returned view, so that
/// clang (and MSVC) warn when a view is built from a temporary buffer.
#if defined(__has_cpp_attribute)
#if __has_cpp_attribute(clang::lifetimebound)
#define MIKEY_LIFETIMEBOUND [[clang::lifetimebound]]
#elif __has_cpp_attribute(msvc::lifetimebound)
#define MIKEY_LIFETIMEBOUND [[msvc::lifetimebound]]
#endif
#endif
#ifndef MIKEY_LIFETIMEBOUND
#define MIKEY_LIFETIMEBOUND
#endif

/// 1 when the translation unit is compiled with exceptions enabled. The
/// library never uses exceptions as its error channel; the only function that
/// throws (result::value_or_throw) exists only when this is 1.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define MIKEY_EXCEPTIONS 1
#else
#define MIKEY_EXCEPTIONS 0
#endif
// ---- end mikey/core/config.hpp ----
// #include <mikey/core/errc.hpp> (not in the umbrella header; inlined)
// ---- begin mikey/core/errc.hpp ----
// mikey-ticket: the one error enum, its names, its fatality and the MIKEY ERR
// code each error maps to.

#include <cstdint>
#include <optional>
#include <string_view>

// #include "registry.hpp" (inlined)
// ---- begin mikey/core/registry.hpp ----
// mikey-ticket: every MIKEY name space (IANA "MIKEY Payload Name Spaces") as
// enums with constexpr tables.
//
// Sources: RFC 3830 §6, RFC 4563 §4-5, RFC 6043 §6 and §14, RFC 6309 (ranges
// and registration rules), RFC 4771 / RFC 7714 (SRTP policy additions),
// RFC 6509 (ID roles 6-7). tests/registry.cpp pins every value with
// static_assert against the RFC tables.
//
// Acceptance rule used by the payload parsers: a value is accepted when it is
// registered or lies in the name space's private-use range; any other value
// (unassigned or reserved) is rejected with the field's own errc. Where a
// value determines a length (TS type, MAC alg, hash func, DH group) only
// registered values are accepted, since the rest of the message cannot be
// located otherwise.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace mikey {

/// Next Payload values (RFC 3830 Table 6.1.b, RFC 6043 Table 6.2).
enum class payload_type : std::uint8_t {
    last = 0,
    kemac = 1,
    pke = 2,
    dh = 3,
    sign = 4,
    t = 5,
    id = 6,
    cert = 7,
    chash = 8,
    v = 9,
    sp = 10,
    rand = 11,
    err = 12,
    tr = 13,
    idr = 14,
    randr = 15,
    tp = 16,
    ticket = 17,
    key_data = 20,
    general_extension = 21,
};

/// HDR data type (RFC 3830 Table 6.1.a, RFC 6043 Table 6.1, RFC 6267, RFC 6509).
enum class data_type : std::uint8_t {
    psk_init = 0,
    psk_verification = 1,
    pk_init = 2,
    pk_verification = 3,
    dh_init = 4,
    dh_response = 5,
    error = 6,
    dhhmac_init = 7,
    dhhmac_response = 8,
    rsa_r_init = 9,
    rsa_r_response = 10,
    request_init_psk = 11,
    request_init_pk = 12,
    request_resp = 13,
    transfer_init = 14,
    transfer_resp = 15,
    resolve_init_psk = 16,
    resolve_init_pk = 17,
    resolve_resp = 18,
    ibake_request_key_psk = 19,
    ibake_request_key_pke = 20,
    ibake_request_key_resp = 21,
    ibake_i_message_1 = 22,
    ibake_r_message_1 = 23,
    ibake_i_message_2 = 24,
    ibake_r_message_2 = 25,
    sakke = 26,
};

/// HDR PRF func, 7 bits (RFC 3830 Table 6.1.c, RFC 6043 Table 6.3).
enum class prf_func : std::uint8_t { mikey_1 = 0, prf_hmac_sha_256 = 1 };

/// HDR CS ID map type (RFC 3830 Table 6.1.d, RFC 4563 Table 3, RFC 6043 Table 6.4).
enum class cs_id_map_type : std::uint8_t { srtp_id = 0, empty = 1, generic_id = 2 };

/// KEMAC Encr alg (RFC 3830 Table 6.2.a, RFC 6043 Table 6.5).
enum class encr_alg : std::uint8_t { null = 0, aes_cm_128 = 1, aes_kw_128 = 2, aes_cm_256 = 3 };

/// KEMAC MAC alg and V Auth alg (RFC 3830 Table 6.2.b, RFC 6043 Table 6.6).
enum class mac_alg : std::uint8_t { null = 0, hmac_sha_1_160 = 1, hmac_sha_256_256 = 2 };

/// PKE C field, 2 bits (RFC 3830 §6.3).
enum class pke_cache : std::uint8_t { no_cache = 0, cache = 1, cache_for_csb = 2 };

/// DH-Group (RFC 3830 Table 6.4).
enum class dh_group : std::uint8_t { oakley_5 = 0, oakley_1 = 1, oakley_2 = 2 };

/// SIGN S type, 4 bits (RFC 3830 Table 6.5, RFC 6509).
enum class sign_type : std::uint8_t { rsa_pkcs1_v1_5 = 0, rsa_pss = 1, eccsi = 2 };

/// TS type (RFC 3830 Table 6.6, RFC 6043 Table 6.8).
enum class ts_type : std::uint8_t { ntp_utc = 0, ntp = 1, counter = 2, ntp_utc_32 = 3 };

/// ID type (RFC 3830 Table 6.7.a, RFC 6043 Table 6.10).
enum class id_type : std::uint8_t { nai = 0, uri = 1, byte_string = 2 };

/// CERT Cert type (RFC 3830 Table 6.7.b).
enum class cert_type : std::uint8_t { x509v3 = 0, x509v3_url = 1, x509v3_sign = 2, x509v3_encr = 3 };

/// CHASH Hash func (RFC 3830 Table 6.8, RFC 6043 Table 6.12).
enum class hash_func : std::uint8_t { sha_1 = 0, md5 = 1, sha_256 = 2 };

/// SP Prot type (RFC 3830 Table 6.10).
enum class prot_type : std::uint8_t { srtp = 0, tesla = 1 };

/// SRTP policy parameter types (RFC 3830 Table 6.10.1.a, RFC 4771, RFC 7714).
enum class srtp_param : std::uint8_t {
    encryption_algorithm = 0,
    session_encryption_key_length = 1,
    authentication_algorithm = 2,
    session_authentication_key_length = 3,
    session_salt_key_length = 4,
    srtp_prf = 5,
    key_derivation_rate = 6,
    srtp_encryption = 7,
    srtcp_encryption = 8,
    fec_order = 9,
    srtp_authentication = 10,
    authentication_tag_length = 11,
    srtp_prefix_length = 12,
    roc_transmission_rate = 13,
    srtp_auth_algorithm = 14,
    srtcp_auth_algorithm = 15,
    srtp_session_auth_key_length = 16,
    srtcp_session_auth_key_length = 17,
    srtp_auth_tag_length = 18,
    srtcp_auth_tag_length = 19,
    aead_auth_tag_length = 20,
};

/// ERR Error no (RFC 3830 Table 6.12, RFC 4738, RFC 6043 Table 6.14).
enum class error_no : std::uint8_t {
    auth_failure = 0,
    invalid_ts = 1,
    invalid_prf = 2,
    invalid_mac = 3,
    invalid_ea = 4,
    invalid_ha = 5,
    invalid_dh = 6,
    invalid_id = 7,
    invalid_cert = 8,
    invalid_sp = 9,
    invalid_sppar = 10,
    invalid_dt = 11,
    unspecified = 12,
    unsupported_message_type = 13,
    invalid_ticket = 14,
    invalid_tppar = 15,
};

/// Key Data Type, 4 bits (RFC 3830 Table 6.13.a, RFC 6043 Table 6.7, RFC 6267).
enum class key_data_type : std::uint8_t {
    tgk = 0,
    tgk_salt = 1,
    tek = 2,
    tek_salt = 3,
    gtgk = 4,
    gtgk_salt = 5,
    mpk = 6,
    k_pr = 7,
};

/// Key Validity type, 4 bits (RFC 3830 Table 6.13.b).
enum class kv_type : std::uint8_t { null = 0, spi = 1, interval = 2 };

/// General Extension Type (RFC 3830 Table 6.15, RFC 4563, RFC 4738, RFC 4909, RFC 5410, TS 33.180).
enum class extension_type : std::uint8_t {
    vendor_id = 0,
    sdp_ids = 1,
    tesla_i_key = 2,
    key_id = 3,
    csb_id = 4,
    oma_bcast = 5,
    sakke_to_self = 6,
    key_parameters_3gpp = 7,
};

/// Key ID Type inside the Key ID general extension (RFC 4563 Table 2).
enum class key_id_type : std::uint8_t { mbms_key_domain_id = 0, mbms_msk_id = 1, mbms_mtk_id = 2 };

/// TR TS Role (RFC 6043 Table 6.9).
enum class ts_role : std::uint8_t { tri = 1, trs = 2, tre = 3, trr = 4 };

/// IDR ID Role (RFC 6043 Table 6.11, RFC 6509, 3GPP TS 33.180).
enum class id_role : std::uint8_t {
    idri = 1,
    idrr = 2,
    idrkms = 3,
    idrpsk = 4,
    idrapp = 5,
    idrkmsi = 6,
    idrkmsr = 7,
    idruidi = 8,
    idruidr = 9,
};

/// RANDR RAND Role (RFC 6043 Table 6.13).
enum class rand_role : std::uint8_t { randri = 1, randrr = 2, randrkms = 3 };

/// TP / TICKET Ticket Type, 16 bits (RFC 6043 Table 6.15).
enum class ticket_type : std::uint16_t { mikey_base_ticket = 1, base_ticket_3gpp = 2 };

/// One row of a name-space table.
template <class E>
struct registry_entry {
    E value;
    std::string_view name;
};

/// Per-name-space table: `entries` (registered values with stable names used
/// in JSON and diagnostics) and the private-use range, if any.
template <class E>
struct registry;

namespace detail {
template <class E>
using under = std::underlying_type_t<E>;
}

#define MIKEY_REGISTRY(E, LO, HI, ...)                                          \
    template <>                                                                 \
    struct registry<E> {                                                        \
        static constexpr auto entries = std::to_array<registry_entry<E>>({__VA_ARGS__}); \
        static constexpr unsigned private_lo = LO;                              \
        static constexpr unsigned private_hi = HI;                              \
    }

// A private range of (1, 0) means the name space has none.
MIKEY_REGISTRY(payload_type, 241, 255, {payload_type::last, "last"}, {payload_type::kemac, "KEMAC"},
               {payload_type::pke, "PKE"}, {payload_type::dh, "DH"}, {payload_type::sign, "SIGN"},
               {payload_type::t, "T"}, {payload_type::id, "ID"}, {payload_type::cert, "CERT"},
               {payload_type::chash, "CHASH"}, {payload_type::v, "V"}, {payload_type::sp, "SP"},
               {payload_type::rand, "RAND"}, {payload_type::err, "ERR"}, {payload_type::tr, "TR"},
               {payload_type::idr, "IDR"}, {payload_type::randr, "RANDR"}, {payload_type::tp, "TP"},
               {payload_type::ticket, "TICKET"}, {payload_type::key_data, "KEY_DATA"},
               {payload_type::general_extension, "EXT"});
MIKEY_REGISTRY(data_type, 241, 255, {data_type::psk_init, "PSK_INIT"},
               {data_type::psk_verification, "PSK_VERIFICATION"}, {data_type::pk_init, "PK_INIT"},
               {data_type::pk_verification, "PK_VERIFICATION"}, {data_type::dh_init, "DH_INIT"},
               {data_type::dh_response, "DH_RESPONSE"}, {data_type::error, "ERROR"},
               {data_type::dhhmac_init, "DHHMAC_INIT"}, {data_type::dhhmac_response, "DHHMAC_RESPONSE"},
               {data_type::rsa_r_init, "RSA_R_INIT"}, {data_type::rsa_r_response, "RSA_R_RESPONSE"},
               {data_type::request_init_psk, "REQUEST_INIT_PSK"},
               {data_type::request_init_pk, "REQUEST_INIT_PK"}, {data_type::request_resp, "REQUEST_RESP"},
               {data_type::transfer_init, "TRANSFER_INIT"}, {data_type::transfer_resp, "TRANSFER_RESP"},
               {data_type::resolve_init_psk, "RESOLVE_INIT_PSK"},
               {data_type::resolve_init_pk, "RESOLVE_INIT_PK"}, {data_type::resolve_resp, "RESOLVE_RESP"},
               {data_type::ibake_request_key_psk, "REQUEST_KEY_PSK"},
               {data_type::ibake_request_key_pke, "REQUEST_KEY_PKE"},
               {data_type::ibake_request_key_resp, "REQUEST_KEY_RESP"},
               {data_type::ibake_i_message_1, "I_MESSAGE_1"}, {data_type::ibake_r_message_1, "R_MESSAGE_1"},
               {data_type::ibake_i_message_2, "I_MESSAGE_2"}, {data_type::ibake_r_message_2, "R_MESSAGE_2"},
               {data_type::sakke, "SAKKE"});
MIKEY_REGISTRY(prf_func, 112, 127, {prf_func::mikey_1, "MIKEY-1"}, {prf_func::prf_hmac_sha_256, "PRF-HMAC-SHA-256"});
MIKEY_REGISTRY(cs_id_map_type, 241, 255, {cs_id_map_type::srtp_id, "SRTP-ID"}, {cs_id_map_type::empty, "EMPTY"},
               {cs_id_map_type::generic_id, "GENERIC-ID"});
MIKEY_REGISTRY(encr_alg, 241, 255, {encr_alg::null, "NULL"}, {encr_alg::aes_cm_128, "AES-CM-128"},
               {encr_alg::aes_kw_128, "AES-KW-128"}, {encr_alg::aes_cm_256, "AES-CM-256"});
MIKEY_REGISTRY(mac_alg, 241, 255, {mac_alg::null, "NULL"}, {mac_alg::hmac_sha_1_160, "HMAC-SHA-1-160"},
               {mac_alg::hmac_sha_256_256, "HMAC-SHA-256-256"});
MIKEY_REGISTRY(pke_cache, 1, 0, {pke_cache::no_cache, "NO_CACHE"}, {pke_cache::cache, "CACHE"},
               {pke_cache::cache_for_csb, "CACHE_FOR_CSB"});
MIKEY_REGISTRY(dh_group, 241, 255, {dh_group::oakley_5, "OAKLEY-5"}, {dh_group::oakley_1, "OAKLEY-1"},
               {dh_group::oakley_2, "OAKLEY-2"});
MIKEY_REGISTRY(sign_type, 1, 0, {sign_type::rsa_pkcs1_v1_5, "RSA-PKCS1-1.5"}, {sign_type::rsa_pss, "RSA-PSS"},
               {sign_type::eccsi, "ECCSI"});
MIKEY_REGISTRY(ts_type, 241, 255, {ts_type::ntp_utc, "NTP-UTC"}, {ts_type::ntp, "NTP"},
               {ts_type::counter, "COUNTER"}, {ts_type::ntp_utc_32, "NTP-UTC-32"});
MIKEY_REGISTRY(id_type, 241, 255, {id_type::nai, "NAI"}, {id_type::uri, "URI"},
               {id_type::byte_string, "BYTE_STRING"});
MIKEY_REGISTRY(cert_type, 241, 255, {cert_type::x509v3, "X.509v3"}, {cert_type::x509v3_url, "X.509v3-URL"},
               {cert_type::x509v3_sign, "X.509v3-SIGN"}, {cert_type::x509v3_encr, "X.509v3-ENCR"});
MIKEY_REGISTRY(hash_func, 241, 255, {hash_func::sha_1, "SHA-1"}, {hash_func::md5, "MD5"},
               {hash_func::sha_256, "SHA-256"});
MIKEY_REGISTRY(prot_type, 241, 255, {prot_type::srtp, "SRTP"}, {prot_type::tesla, "TESLA"});
MIKEY_REGISTRY(srtp_param, 241, 255, {srtp_param::encryption_algorithm, "encryption_algorithm"},
               {srtp_param::session_encryption_key_length, "session_encryption_key_length"},
               {srtp_param::authentication_algorithm, "authentication_algorithm"},
               {srtp_param::session_authentication_key_length, "session_authentication_key_length"},
               {srtp_param::session_salt_key_length, "session_salt_key_length"},
               {srtp_param::srtp_prf, "srtp_prf"}, {srtp_param::key_derivation_rate, "key_derivation_rate"},
               {srtp_param::srtp_encryption, "srtp_encryption"},
               {srtp_param::srtcp_encryption, "srtcp_encryption"}, {srtp_param::fec_order, "fec_order"},
               {srtp_param::srtp_authentication, "srtp_authentication"},
               {srtp_param::authentication_tag_length, "authentication_tag_length"},
               {srtp_param::srtp_prefix_length, "srtp_prefix_length"},
               {srtp_param::roc_transmission_rate, "roc_transmission_rate"},
               {srtp_param::srtp_auth_algorithm, "srtp_auth_algorithm"},
               {srtp_param::srtcp_auth_algorithm, "srtcp_auth_algorithm"},
               {srtp_param::srtp_session_auth_key_length, "srtp_session_auth_key_length"},
               {srtp_param::srtcp_session_auth_key_length, "srtcp_session_auth_key_length"},
               {srtp_param::srtp_auth_tag_length, "srtp_auth_tag_length"},
               {srtp_param::srtcp_auth_tag_length, "srtcp_auth_tag_length"},
               {srtp_param::aead_auth_tag_length, "aead_auth_tag_length"});
MIKEY_REGISTRY(error_no, 241, 255, {error_no::auth_failure, "AUTH_FAILURE"}, {error_no::invalid_ts, "INVALID_TS"},
               {error_no::invalid_prf, "INVALID_PRF"}, {error_no::invalid_mac, "INVALID_MAC"},
               {error_no::invalid_ea, "INVALID_EA"}, {error_no::invalid_ha, "INVALID_HA"},
               {error_no::invalid_dh, "INVALID_DH"}, {error_no::invalid_id, "INVALID_ID"},
               {error_no::invalid_cert, "INVALID_CERT"}, {error_no::invalid_sp, "INVALID_SP"},
               {error_no::invalid_sppar, "INVALID_SPPAR"}, {error_no::invalid_dt, "INVALID_DT"},
               {error_no::unspecified, "UNSPECIFIED"},
               {error_no::unsupported_message_type, "UNSUPPORTED_MESSAGE_TYPE"},
               {error_no::invalid_ticket, "INVALID_TICKET"}, {error_no::invalid_tppar, "INVALID_TPPAR"});
MIKEY_REGISTRY(key_data_type, 1, 0, {key_data_type::tgk, "TGK"}, {key_data_type::tgk_salt, "TGK+SALT"},
               {key_data_type::tek, "TEK"}, {key_data_type::tek_salt, "TEK+SALT"},
               {key_data_type::gtgk, "GTGK"}, {key_data_type::gtgk_salt, "GTGK+SALT"},
               {key_data_type::mpk, "MPK"}, {key_data_type::k_pr, "K_PR"});
MIKEY_REGISTRY(kv_type, 1, 0, {kv_type::null, "NULL"}, {kv_type::spi, "SPI"}, {kv_type::interval, "INTERVAL"});
MIKEY_REGISTRY(extension_type, 241, 255, {extension_type::vendor_id, "VENDOR_ID"},
               {extension_type::sdp_ids, "SDP_IDS"}, {extension_type::tesla_i_key, "TESLA_I_KEY"},
               {extension_type::key_id, "KEY_ID"}, {extension_type::csb_id, "CSB_ID"},
               {extension_type::oma_bcast, "OMA_BCAST"}, {extension_type::sakke_to_self, "SAKKE_TO_SELF"},
               {extension_type::key_parameters_3gpp, "KEY_PARAMETERS_3GPP"});
MIKEY_REGISTRY(key_id_type, 241, 255, {key_id_type::mbms_key_domain_id, "MBMS_KEY_DOMAIN_ID"},
               {key_id_type::mbms_msk_id, "MBMS_MSK_ID"}, {key_id_type::mbms_mtk_id, "MBMS_MTK_ID"});
MIKEY_REGISTRY(ts_role, 240, 254, {ts_role::tri, "TRi"}, {ts_role::trs, "TRs"}, {ts_role::tre, "TRe"},
               {ts_role::trr, "TRr"});
MIKEY_REGISTRY(id_role, 240, 254, {id_role::idri, "IDRi"}, {id_role::idrr, "IDRr"}, {id_role::idrkms, "IDRkms"},
               {id_role::idrpsk, "IDRpsk"}, {id_role::idrapp, "IDRapp"}, {id_role::idrkmsi, "IDRkmsi"},
               {id_role::idrkmsr, "IDRkmsr"}, {id_role::idruidi, "IDRuidi"}, {id_role::idruidr, "IDRuidr"});
MIKEY_REGISTRY(rand_role, 240, 254, {rand_role::randri, "RANDRi"}, {rand_role::randrr, "RANDRr"},
               {rand_role::randrkms, "RANDRkms"});
MIKEY_REGISTRY(ticket_type, 61440, 65534, {ticket_type::mikey_base_ticket, "MIKEY_BASE_TICKET"},
               {ticket_type::base_ticket_3gpp, "3GPP_BASE_TICKET"});
#undef MIKEY_REGISTRY

/// True when `v` is a registered value of its name space.
template <class E>
[[nodiscard]] constexpr bool is_registered(E v) noexcept {
    for (const auto& e : registry<E>::entries) {
        if (e.value == v) {
            return true;
        }
    }
    return false;
}

/// True when `v` is registered or in the private-use range: the values the
/// parsers accept in fields whose value does not determine a length.
template <class E>
[[nodiscard]] constexpr bool is_acceptable(E v) noexcept {
    const auto raw = static_cast<unsigned>(v);
    return is_registered(v) || (raw >= registry<E>::private_lo && raw <= registry<E>::private_hi);
}

/// The registry name of `v`, or an empty view when it has none.
template <class E>
[[nodiscard]] constexpr std::string_view name_of(E v) noexcept {
    for (const auto& e : registry<E>::entries) {
        if (e.value == v) {
            return e.name;
        }
    }
    return {};
}

/// The value registered under `name` (as printed by name_of).
template <class E>
[[nodiscard]] constexpr std::optional<E> from_name(std::string_view name) noexcept {
    for (const auto& e : registry<E>::entries) {
        if (e.name == name) {
            return e.value;
        }
    }
    return std::nullopt;
}

/// Byte length of a TS value, implied by its TS type (RFC 3830 §6.6, RFC 6043 §6.3).
[[nodiscard]] constexpr std::size_t ts_value_size(ts_type t) noexcept {
    return (t == ts_type::counter || t == ts_type::ntp_utc_32) ? 4 : 8;
}

/// Byte length of a MAC implied by the MAC alg (RFC 3830 §6.2, RFC 6043 Table 6.6).
[[nodiscard]] constexpr std::size_t mac_size(mac_alg a) noexcept {
    switch (a) {
        case mac_alg::hmac_sha_1_160: return 20;
        case mac_alg::hmac_sha_256_256: return 32;
        default: return 0;
    }
}

/// Byte length of a CHASH hash implied by the hash func (RFC 3830 §6.8, RFC 6043 Table 6.12).
[[nodiscard]] constexpr std::size_t hash_size(hash_func h) noexcept {
    switch (h) {
        case hash_func::sha_1: return 20;
        case hash_func::md5: return 16;
        default: return 32;
    }
}

/// Byte length of a DH value implied by the DH group (RFC 3830 §6.4: OAKLEY 5
/// 1536 bits, OAKLEY 1 768 bits, OAKLEY 2 1024 bits).
[[nodiscard]] constexpr std::size_t dh_value_size(dh_group g) noexcept {
    switch (g) {
        case dh_group::oakley_1: return 96;
        case dh_group::oakley_2: return 128;
        default: return 192;
    }
}

/// True when the key data type carries a Salt field (RFC 3830 §6.13, RFC 6043 §6.2.1).
[[nodiscard]] constexpr bool has_salt(key_data_type t) noexcept {
    return t == key_data_type::tgk_salt || t == key_data_type::tek_salt || t == key_data_type::gtgk_salt;
}

}  // namespace mikey
// ---- end mikey/core/registry.hpp ----

namespace mikey {

/// Every error the library reports. Errors are values: no function uses
/// exceptions to report them. `to_string` gives the stable name printed by
/// tools; `is_fatal` and `wire_error` say what a protocol engine does next.
enum class errc : std::uint8_t {
    ok = 0,

    // --- framing (payload and message parsing) ---
    truncated,             ///< the message ends inside a field or before a declared length is reached
    length_out_of_bounds,  ///< a length field inside a container points past the container's end
    trailing_bytes,        ///< bytes follow the last payload, or a container is longer than its content
    unknown_payload_type,  ///< a Next Payload value names no payload this library can frame
    misplaced_payload,     ///< a known payload type where the chain does not allow it (e.g. Key data outside KEMAC)
    unsupported_version,   ///< HDR version is not 1 (RFC 3830 §6.1)
    reserved_bits_set,     ///< a reserved field or bit is not zero
    empty_chain,           ///< a chain that must hold payloads is empty (e.g. TP Data without IDRr)

    // --- unknown values in name spaces (each field its own code) ---
    unknown_data_type,
    unknown_prf_func,
    unknown_cs_id_map_type,
    unknown_encr_alg,
    unknown_mac_alg,
    unknown_pke_cache,
    unknown_dh_group,
    unknown_sign_type,
    unknown_ts_type,
    unknown_id_type,
    unknown_cert_type,
    unknown_hash_func,
    unknown_prot_type,
    unknown_srtp_param,
    unknown_error_no,
    unknown_key_data_type,
    unknown_kv_type,
    unknown_extension_type,
    unknown_key_id_type,
    unknown_ts_role,
    unknown_id_role,
    unknown_rand_role,
    unknown_ticket_type,

    // --- structural rules of single payloads ---
    map_info_mismatch,       ///< CS ID map info disagrees with #CS or its own lengths
    ticket_data_unparsed,    ///< the ticket type's Ticket Data is not a payload chain this library knows
    tp_kemac_not_null,       ///< KEMAC in TP Data without NULL encryption and NULL MAC (RFC 6043 §6.10)
    kemac_in_granted_policy, ///< KEMAC in a TICKET's (granted) TP Data (RFC 6043 §6.10)
    trr_not_ntp_utc_32,      ///< TRr with a TS type other than NTP-UTC-32 (RFC 6043 §6.10)
    session_data_mismatch,   ///< GENERIC-ID SRTP Session Data length disagrees with the S flag (RFC 6043 §6.1.1)

    // --- RFC 6043 §6.10 Ticket Policy flag dependencies ---
    flag_l_required_without_d,  ///< NOT D implies L
    flag_f_required_by_g,       ///< G implies F
    flag_g_or_h_required,       ///< NOT G implies H (and NOT H implies G)
    flag_e_required_by_i,       ///< I implies E
    flag_d_required_by_k,       ///< K implies D (granted policy only)
    flag_f_required_by_m,       ///< M implies F
    initiator_data_without_i,   ///< Initiator Data present although the I flag is 0 (RFC 6043 §6.10)
    initiator_data_missing,     ///< I flag set but Initiator Data empty (RFC 6043 §6.10)

    // --- message schemas (RFC 3830 §3, RFC 6043 §4.2) ---
    missing_payload,       ///< a mandatory payload is absent
    unexpected_payload,    ///< a payload the message type does not allow
    duplicate_payload,     ///< a payload that may appear once appears again
    payload_order,         ///< payloads out of the order the RFC gives (strict check only)
    wrong_last_payload,    ///< the message does not end with its V / SIGN / KEMAC
    sp_with_empty_map,     ///< SP payload with the Empty map (RFC 4563 §5)
    bad_crypto_sessions,   ///< #CS / map type not allowed for the message type (RFC 6043 §4.2.1.1, §6.1)

    // --- building ---
    buffer_too_small,      ///< the caller's output buffer is smaller than the exact size
    field_too_long,        ///< a value does not fit its length field
    invalid_argument,      ///< a builder argument violates the payload's own rules

    // --- crypto (RFC 3830 §4, RFC 6043 §5, §10) ---
    auth_failure,          ///< a MAC or V check failed
    key_unwrap_failure,    ///< RFC 3394 integrity check failed on unwrap
    key_too_short,         ///< a key below 128 bits (RFC 6043 §10)
    key_length_mismatch,   ///< a key length the algorithm does not take
    algorithm_mix,         ///< 256-bit and 128-bit algorithms mixed (RFC 6043 §10)
    rand_too_short,        ///< RAND lengths below the RFC 6043 §10 bounds
    unsupported_algorithm, ///< a registered algorithm this backend does not implement
    crypto_backend_failure,///< the crypto backend reported an internal failure
    algorithm_too_weak,    ///< 128-bit algorithms with session keys longer than 128 bits (RFC 6043 §10)
};

/// Stable lower-case name of an error (as printed by mikeyctl and tests).
[[nodiscard]] constexpr std::string_view to_string(errc e) noexcept {
    switch (e) {
        case errc::ok: return "ok";
        case errc::truncated: return "truncated";
        case errc::length_out_of_bounds: return "length_out_of_bounds";
        case errc::trailing_bytes: return "trailing_bytes";
        case errc::unknown_payload_type: return "unknown_payload_type";
        case errc::misplaced_payload: return "misplaced_payload";
        case errc::unsupported_version: return "unsupported_version";
        case errc::reserved_bits_set: return "reserved_bits_set";
        case errc::empty_chain: return "empty_chain";
        case errc::unknown_data_type: return "unknown_data_type";
        case errc::unknown_prf_func: return "unknown_prf_func";
        case errc::unknown_cs_id_map_type: return "unknown_cs_id_map_type";
        case errc::unknown_encr_alg: return "unknown_encr_alg";
        case errc::unknown_mac_alg: return "unknown_mac_alg";
        case errc::unknown_pke_cache: return "unknown_pke_cache";
        case errc::unknown_dh_group: return "unknown_dh_group";
        case errc::unknown_sign_type: return "unknown_sign_type";
        case errc::unknown_ts_type: return "unknown_ts_type";
        case errc::unknown_id_type: return "unknown_id_type";
        case errc::unknown_cert_type: return "unknown_cert_type";
        case errc::unknown_hash_func: return "unknown_hash_func";
        case errc::unknown_prot_type: return "unknown_prot_type";
        case errc::unknown_srtp_param: return "unknown_srtp_param";
        case errc::unknown_error_no: return "unknown_error_no";
        case errc::unknown_key_data_type: return "unknown_key_data_type";
        case errc::unknown_kv_type: return "unknown_kv_type";
        case errc::unknown_extension_type: return "unknown_extension_type";
        case errc::unknown_key_id_type: return "unknown_key_id_type";
        case errc::unknown_ts_role: return "unknown_ts_role";
        case errc::unknown_id_role: return "unknown_id_role";
        case errc::unknown_rand_role: return "unknown_rand_role";
        case errc::unknown_ticket_type: return "unknown_ticket_type";
        case errc::map_info_mismatch: return "map_info_mismatch";
        case errc::ticket_data_unparsed: return "ticket_data_unparsed";
        case errc::tp_kemac_not_null: return "tp_kemac_not_null";
        case errc::kemac_in_granted_policy: return "kemac_in_granted_policy";
        case errc::trr_not_ntp_utc_32: return "trr_not_ntp_utc_32";
        case errc::session_data_mismatch: return "session_data_mismatch";
        case errc::flag_l_required_without_d: return "flag_l_required_without_d";
        case errc::flag_f_required_by_g: return "flag_f_required_by_g";
        case errc::flag_g_or_h_required: return "flag_g_or_h_required";
        case errc::flag_e_required_by_i: return "flag_e_required_by_i";
        case errc::flag_d_required_by_k: return "flag_d_required_by_k";
        case errc::flag_f_required_by_m: return "flag_f_required_by_m";
        case errc::initiator_data_without_i: return "initiator_data_without_i";
        case errc::initiator_data_missing: return "initiator_data_missing";
        case errc::missing_payload: return "missing_payload";
        case errc::unexpected_payload: return "unexpected_payload";
        case errc::duplicate_payload: return "duplicate_payload";
        case errc::payload_order: return "payload_order";
        case errc::wrong_last_payload: return "wrong_last_payload";
        case errc::sp_with_empty_map: return "sp_with_empty_map";
        case errc::bad_crypto_sessions: return "bad_crypto_sessions";
        case errc::buffer_too_small: return "buffer_too_small";
        case errc::field_too_long: return "field_too_long";
        case errc::invalid_argument: return "invalid_argument";
        case errc::auth_failure: return "auth_failure";
        case errc::key_unwrap_failure: return "key_unwrap_failure";
        case errc::key_too_short: return "key_too_short";
        case errc::key_length_mismatch: return "key_length_mismatch";
        case errc::algorithm_mix: return "algorithm_mix";
        case errc::rand_too_short: return "rand_too_short";
        case errc::unsupported_algorithm: return "unsupported_algorithm";
        case errc::crypto_backend_failure: return "crypto_backend_failure";
        case errc::algorithm_too_weak: return "algorithm_too_weak";
    }
    return "unknown_errc";
}

/// True when the message that produced `e` must be discarded and its exchange
/// aborted (RFC 3830 §5.1.1, RFC 6043 §5.4). False only for the caller's own
/// recoverable mistakes (output buffer too small, an argument that does not
/// fit), after which the same call may be retried.
[[nodiscard]] constexpr bool is_fatal(errc e) noexcept {
    switch (e) {
        case errc::ok:
        case errc::buffer_too_small:
        case errc::field_too_long:
        case errc::invalid_argument:
            return false;
        default:
            return true;
    }
}

/// The MIKEY Error no to send in an Error message for `e` (RFC 3830 §5.1.2,
/// §6.12; RFC 6043 §5.4, §6.9), or nullopt when nothing is to be sent: the
/// error is the caller's own, or the RFCs make the reply pointless or
/// harmful. Authentication failures map to Auth failure (0); RFC 6043 §5.4
/// makes that reply OPTIONAL and the role layer's policy decides whether to
/// send it.
[[nodiscard]] constexpr std::optional<error_no> wire_error(errc e) noexcept {
    switch (e) {
        case errc::ok:
        case errc::buffer_too_small:
        case errc::field_too_long:
        case errc::invalid_argument:
        case errc::crypto_backend_failure:
            return std::nullopt;
        case errc::auth_failure:
        case errc::key_unwrap_failure:
            return error_no::auth_failure;
        case errc::unknown_ts_type: return error_no::invalid_ts;
        case errc::unknown_prf_func: return error_no::invalid_prf;
        case errc::unknown_mac_alg: return error_no::invalid_mac;
        case errc::unknown_encr_alg: return error_no::invalid_ea;
        case errc::unknown_hash_func: return error_no::invalid_ha;
        case errc::unknown_dh_group: return error_no::invalid_dh;
        case errc::unknown_id_type:
        case errc::unknown_id_role: return error_no::invalid_id;
        case errc::unknown_cert_type: return error_no::invalid_cert;
        case errc::unknown_prot_type: return error_no::invalid_sp;
        case errc::unknown_srtp_param: return error_no::invalid_sppar;
        case errc::unknown_data_type: return error_no::invalid_dt;
        case errc::unknown_ticket_type:
        case errc::ticket_data_unparsed: return error_no::invalid_ticket;
        case errc::tp_kemac_not_null:
        case errc::kemac_in_granted_policy:
        case errc::trr_not_ntp_utc_32: return error_no::invalid_tppar;
        case errc::flag_l_required_without_d:
        case errc::flag_f_required_by_g:
        case errc::flag_g_or_h_required:
        case errc::flag_e_required_by_i:
        case errc::flag_d_required_by_k:
        case errc::flag_f_required_by_m:
        case errc::initiator_data_without_i:
        case errc::initiator_data_missing: return error_no::invalid_tppar;
        default: return error_no::unspecified;
    }
}

}  // namespace mikey
// ---- end mikey/core/errc.hpp ----
// #include <mikey/core/reader.hpp> (not in the umbrella header; inlined)
// ---- begin mikey/core/reader.hpp ----
// mikey-ticket: bounded big-endian reader used by every payload parser.

#include <cstddef>
#include <cstdint>

// #include "bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "result.hpp" (inlined)
// ---- begin mikey/core/result.hpp ----
// mikey-ticket: result<T>, a value or an error code with the byte offset
// where parsing failed.

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

// #include "config.hpp" (inlined above as mikey/core/config.hpp)
// #include "errc.hpp" (inlined above as mikey/core/errc.hpp)

#if MIKEY_EXCEPTIONS
#include <stdexcept>
#include <string>
#endif

namespace mikey {

/// An error with the byte offset (from the start of the input handed to the
/// outermost parse call) at which it was detected; 0 where no offset applies.
struct failure {
    errc code = errc::ok;
    std::size_t offset = 0;
    friend constexpr bool operator==(const failure&, const failure&) = default;
};

#if MIKEY_EXCEPTIONS
/// Thrown only by result::value_or_throw(), for callers who prefer exceptions.
class error : public std::runtime_error {
public:
    explicit error(failure f)
        : std::runtime_error(std::string(to_string(f.code)) + " at byte " + std::to_string(f.offset)),
          m_failure(f) {}
    [[nodiscard]] errc code() const noexcept { return m_failure.code; }
    [[nodiscard]] std::size_t offset() const noexcept { return m_failure.offset; }

private:
    failure m_failure;
};
#endif

/// Either a T or a failure. Accessing the value of a failed result is a
/// precondition violation (unchecked, like std::optional::operator*).
template <class T>
class [[nodiscard]] result {
public:
    constexpr result(T value) noexcept(std::is_nothrow_move_constructible_v<T>) : m_value(std::move(value)) {}
    constexpr result(errc code, std::size_t offset = 0) noexcept : m_failure{code, offset} {}
    constexpr result(failure f) noexcept : m_failure(f) {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return m_value.has_value(); }
    constexpr explicit operator bool() const noexcept { return has_value(); }

    /// The error code; errc::ok when the result holds a value.
    [[nodiscard]] constexpr errc error() const noexcept { return m_failure.code; }
    /// Byte offset of the error (see failure).
    [[nodiscard]] constexpr std::size_t error_offset() const noexcept { return m_failure.offset; }
    [[nodiscard]] constexpr failure error_info() const noexcept { return m_failure; }

    constexpr T& operator*() & noexcept { return *m_value; }
    constexpr const T& operator*() const& noexcept { return *m_value; }
    constexpr T&& operator*() && noexcept { return std::move(*m_value); }
    constexpr T* operator->() noexcept { return &*m_value; }
    constexpr const T* operator->() const noexcept { return &*m_value; }

#if MIKEY_EXCEPTIONS
    /// The value, or throws mikey::error.
    T& value_or_throw() & {
        if (!has_value()) {
            throw mikey::error(m_failure);
        }
        return *m_value;
    }
#endif

private:
    std::optional<T> m_value;
    failure m_failure{};
};

/// A result with no value: success or a failure.
template <>
class [[nodiscard]] result<void> {
public:
    constexpr result() noexcept = default;
    constexpr result(errc code, std::size_t offset = 0) noexcept : m_failure{code, offset} {}
    constexpr result(failure f) noexcept : m_failure(f) {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return m_failure.code == errc::ok; }
    constexpr explicit operator bool() const noexcept { return has_value(); }
    [[nodiscard]] constexpr errc error() const noexcept { return m_failure.code; }
    [[nodiscard]] constexpr std::size_t error_offset() const noexcept { return m_failure.offset; }
    [[nodiscard]] constexpr failure error_info() const noexcept { return m_failure; }

#if MIKEY_EXCEPTIONS
    void value_or_throw() const {
        if (!has_value()) {
            throw mikey::error(m_failure);
        }
    }
#endif

private:
    failure m_failure{};
};

/// Shifts a failure's offset by `base`: used when a nested parse reports an
/// offset relative to the start of its own sub-span.
[[nodiscard]] constexpr failure shifted(failure f, std::size_t base) noexcept {
    return failure{f.code, f.offset + base};
}

}  // namespace mikey
// ---- end mikey/core/result.hpp ----

namespace mikey {

/// Reads big-endian fields from a span without ever reading past its end.
///
/// Errors are sticky: the first read that does not fit records `underrun`
/// (errc::truncated by default; errc::length_out_of_bounds for readers over a
/// length-delimited container) at the offset of the field that did not fit.
/// Every later read returns zero / an empty span and does not move, so a
/// parser reads its fixed fields, checks failed() once, and only then looks
/// at the values it read.
class byte_reader {
public:
    constexpr explicit byte_reader(bytes_view in MIKEY_LIFETIMEBOUND, errc underrun = errc::truncated) noexcept
        : m_in(in), m_underrun(underrun) {}

    [[nodiscard]] constexpr std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(be(1)); }
    [[nodiscard]] constexpr std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(be(2)); }
    [[nodiscard]] constexpr std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(be(4)); }
    [[nodiscard]] constexpr std::uint64_t u64() noexcept { return be(8); }

    /// The next n bytes as a subspan of the input (no copy).
    [[nodiscard]] constexpr bytes_view take(std::size_t n) noexcept {
        if (!fits(n)) {
            return {};
        }
        const bytes_view out = m_in.subspan(m_pos, n);
        m_pos += n;
        return out;
    }

    /// Everything not yet read.
    [[nodiscard]] constexpr bytes_view take_rest() noexcept { return take(remaining()); }

    [[nodiscard]] constexpr bool failed() const noexcept { return m_failure.code != errc::ok; }
    [[nodiscard]] constexpr failure error() const noexcept { return m_failure; }
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return m_pos; }
    [[nodiscard]] constexpr std::size_t remaining() const noexcept { return m_in.size() - m_pos; }

    /// Success only when nothing failed and every byte was read; otherwise the
    /// sticky error, or errc::trailing_bytes at the first unread byte.
    [[nodiscard]] constexpr result<void> finish() const noexcept {
        if (failed()) {
            return m_failure;
        }
        if (remaining() != 0) {
            return failure{errc::trailing_bytes, m_pos};
        }
        return {};
    }

private:
    constexpr bool fits(std::size_t n) noexcept {
        if (failed()) {
            return false;
        }
        if (n > remaining()) {
            m_failure = failure{m_underrun, m_pos};
            return false;
        }
        return true;
    }

    constexpr std::uint64_t be(std::size_t n) noexcept {
        if (!fits(n)) {
            return 0;
        }
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) {
            v = (v << 8) | m_in[m_pos + i];
        }
        m_pos += n;
        return v;
    }

    bytes_view m_in;
    std::size_t m_pos = 0;
    errc m_underrun;
    failure m_failure{};
};

}  // namespace mikey
// ---- end mikey/core/reader.hpp ----
// #include <mikey/core/strong_types.hpp> (not in the umbrella header; inlined)
// ---- begin mikey/core/strong_types.hpp ----
// mikey-ticket: strong types for protocol values that must not be swapped by
// accident (a CSB ID is not a CS ID; a RAND is not an identity).

#include <compare>
#include <cstdint>

// #include "bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "config.hpp" (inlined above as mikey/core/config.hpp)

namespace mikey {

/// A value of type T tagged with Tag; explicit to construct, explicit to read.
template <class T, class Tag>
class strong {
public:
    constexpr strong() noexcept = default;
    constexpr explicit strong(T v) noexcept : m_value(v) {}
    [[nodiscard]] constexpr const T& get() const noexcept { return m_value; }
    friend constexpr auto operator<=>(const strong&, const strong&) noexcept = default;

private:
    T m_value{};
};

/// A strong byte view (RAND value, identity data): compares by content.
template <class Tag>
class strong_bytes {
public:
    constexpr strong_bytes() noexcept = default;
    constexpr explicit strong_bytes(bytes_view v MIKEY_LIFETIMEBOUND) noexcept : m_value(v) {}
    [[nodiscard]] constexpr bytes_view get() const noexcept { return m_value; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_value.size(); }
    friend constexpr bool operator==(const strong_bytes& a, const strong_bytes& b) noexcept {
        return equal_bytes(a.m_value, b.m_value);
    }

private:
    bytes_view m_value{};
};

struct csb_id_tag;
struct cs_id_tag;
struct rand_tag;
struct identity_tag;

/// Crypto Session Bundle ID, HDR bytes 4-7 (RFC 3830 §6.1).
using csb_id = strong<std::uint32_t, csb_id_tag>;
/// Crypto session number: 1-based index into the SRTP-ID map (RFC 3830
/// §6.1.1) or the CS ID field of a GENERIC-ID block (RFC 6043 §6.1.1).
using cs_id = strong<std::uint8_t, cs_id_tag>;
/// The RAND field of a RAND or RANDR payload (RFC 3830 §6.11, RFC 6043 §6.8).
using rand_value = strong_bytes<rand_tag>;
/// The ID Data field of an ID or IDR payload (RFC 3830 §6.7, RFC 6043 §6.6).
using identity = strong_bytes<identity_tag>;

}  // namespace mikey
// ---- end mikey/core/strong_types.hpp ----
// #include <mikey/core/writer.hpp> (not in the umbrella header; inlined)
// ---- begin mikey/core/writer.hpp ----
// mikey-ticket: exact-size big-endian writer used by every payload builder.

#include <cstddef>
#include <cstdint>
#include <limits>

// #include "bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "result.hpp" (inlined above as mikey/core/result.hpp)

namespace mikey {

/// Writes big-endian fields into a caller buffer, or only counts them.
///
/// A writer made without a buffer counts: builders run the same write code
/// once to learn their exact size, then again into a buffer of that size, so
/// size and bytes can never disagree. Errors are sticky: errc::buffer_too_small
/// when the buffer is full, errc::field_too_long when a length does not fit
/// its field. After an error nothing more is written.
class byte_writer {
public:
    /// A counting writer.
    constexpr byte_writer() noexcept = default;
    /// A writer into `out`.
    constexpr explicit byte_writer(mutable_bytes out) noexcept : m_out(out), m_counting(false) {}

    constexpr void u8(std::uint64_t v) noexcept { be(v, 1); }
    constexpr void u16(std::uint64_t v) noexcept { be(v, 2); }
    constexpr void u32(std::uint64_t v) noexcept { be(v, 4); }
    constexpr void u64(std::uint64_t v) noexcept { be(v, 8); }

    constexpr void bytes(bytes_view b) noexcept {
        if (!reserve(b.size())) {
            return;
        }
        if (!m_counting) {
            for (std::size_t i = 0; i < b.size(); ++i) {
                m_out[m_pos + i] = b[i];
            }
        }
        m_pos += b.size();
    }

    /// Writes n as an unsigned length field of `width` bytes, failing with
    /// errc::field_too_long when n does not fit.
    constexpr void length(std::size_t n, std::size_t width) noexcept {
        const std::uint64_t max = width >= 8 ? std::numeric_limits<std::uint64_t>::max()
                                             : (std::uint64_t{1} << (8 * width)) - 1;
        if (n > max) {
            fail(errc::field_too_long);
            return;
        }
        be(n, width);
    }

    /// Overwrites one byte already written (a Next Payload field).
    constexpr void patch_u8(std::size_t pos, std::uint8_t v) noexcept {
        if (!m_counting && !failed() && pos < m_pos) {
            m_out[pos] = v;
        }
    }

    /// Records an error found by a builder's own checks.
    constexpr void fail(errc e) noexcept {
        if (!failed()) {
            m_error = e;
        }
    }

    [[nodiscard]] constexpr bool failed() const noexcept { return m_error != errc::ok; }
    [[nodiscard]] constexpr errc error() const noexcept { return m_error; }
    /// Bytes written (or counted) so far.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_pos; }
    [[nodiscard]] constexpr bool counting() const noexcept { return m_counting; }
    /// The bytes written so far (empty for a counting writer).
    [[nodiscard]] constexpr bytes_view written() const noexcept {
        return m_counting ? bytes_view{} : bytes_view{m_out.data(), m_pos};
    }

private:
    constexpr bool reserve(std::size_t n) noexcept {
        if (failed()) {
            return false;
        }
        if (!m_counting && n > m_out.size() - m_pos) {
            fail(errc::buffer_too_small);
            return false;
        }
        return true;
    }

    constexpr void be(std::uint64_t v, std::size_t n) noexcept {
        if (!reserve(n)) {
            return;
        }
        if (!m_counting) {
            for (std::size_t i = 0; i < n; ++i) {
                m_out[m_pos + i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
            }
        }
        m_pos += n;
    }

    mutable_bytes m_out{};
    std::size_t m_pos = 0;
    bool m_counting = true;
    errc m_error = errc::ok;
};

}  // namespace mikey
// ---- end mikey/core/writer.hpp ----

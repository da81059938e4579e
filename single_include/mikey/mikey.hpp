// mikey-ticket single header: MIKEY-TICKET (RFC 6043) on MIKEY (RFC 3830).
//
// GENERATED FILE, DO NOT EDIT. Built by tools/amalgamate from include/;
// change the headers under include/ and run `tools/amalgamate` (or
// `ninja -C <build> amalgamate`). CI fails when this file is stale.
#pragma once

// ---- begin mikey/mikey.hpp ----
// mikey-ticket: the umbrella header. Including it gives the whole library;
// single_include/mikey/mikey.hpp is this header with everything inlined.

// #include "core/config.hpp" (inlined)
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
// #include "core/bytes.hpp" (inlined)
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
// #include "core/registry.hpp" (inlined)
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
// #include "core/errc.hpp" (inlined)
// ---- begin mikey/core/errc.hpp ----
// mikey-ticket: the one error enum, its names, its fatality and the MIKEY ERR
// code each error maps to.

#include <cstdint>
#include <optional>
#include <string_view>

// #include "registry.hpp" (inlined above as mikey/core/registry.hpp)

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
    wrong_message_type,    ///< the data type is not the one the schema describes
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
        case errc::wrong_message_type: return "wrong_message_type";
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
// #include "core/result.hpp" (inlined)
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
// #include "core/reader.hpp" (inlined)
// ---- begin mikey/core/reader.hpp ----
// mikey-ticket: bounded big-endian reader used by every payload parser.

#include <cstddef>
#include <cstdint>

// #include "bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "result.hpp" (inlined above as mikey/core/result.hpp)

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
// #include "core/writer.hpp" (inlined)
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
// #include "core/strong_types.hpp" (inlined)
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
// #include "payload/common.hpp" (inlined)
// ---- begin mikey/payload/common.hpp ----
// mikey-ticket: what every payload view and builder shares, and the three
// payload shapes several payloads have in common:
//
//   typed data   Next | [Role] | Type | Length(16) | Data   ID, CERT, EXT, IDR
//   random       Next | [Role] | Length(8) | Data            RAND, RANDR
//   implied      Next | [Role] | Kind | Value(len by Kind)   T, TR, V, CHASH
//
// A view is produced by `parse(in)`, which validates the payload at the start
// of `in` (the span may continue past it) and never reads past `in`. After a
// successful parse every accessor is noexcept and unchecked. size() is the
// number of bytes the payload occupies. Error offsets are relative to `in`.
//
// A builder holds the field values (spans point into caller memory) and
// writes the whole payload with `write(byte_writer&)`, Next Payload as 0: the
// message builder patches it to the type of the payload that follows.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/config.hpp" (inlined above as mikey/core/config.hpp)
// #include "../core/errc.hpp" (inlined above as mikey/core/errc.hpp)
// #include "../core/reader.hpp" (inlined above as mikey/core/reader.hpp)
// #include "../core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "../core/writer.hpp" (inlined above as mikey/core/writer.hpp)

namespace mikey {

/// Anything with a static payload type and a write() into a byte_writer.
template <class B>
concept payload_builder = requires(const B& b, byte_writer& w) {
    { B::type } -> std::convertible_to<payload_type>;
    b.write(w);
};

/// Anything produced by parse(): a static payload type, its bytes, its size.
template <class V>
concept payload_view = requires(const V& v, bytes_view in) {
    { V::type } -> std::convertible_to<payload_type>;
    { V::parse(in) } -> std::same_as<result<V>>;
    { v.bytes() } -> std::same_as<bytes_view>;
};

/// The exact size `b` writes (runs its write() into a counting writer).
template <payload_builder B>
[[nodiscard]] constexpr std::size_t exact_size(const B& b) noexcept {
    byte_writer counter;
    b.write(counter);
    return counter.size();
}

/// Writes `b` alone into `out` (Next Payload 0): the bytes, or buffer_too_small
/// / field_too_long / invalid_argument from the builder.
template <payload_builder B>
[[nodiscard]] constexpr result<bytes_view> write_payload(const B& b, mutable_bytes out) noexcept {
    byte_writer w(out);
    b.write(w);
    if (w.failed()) {
        return w.error();
    }
    return w.written();
}

/// Base of every view: the payload's bytes. The Next Payload field is the
/// first byte of every payload except SIGN (RFC 3830 §6.5).
class payload_bytes {
public:
    /// Every byte of the payload, from its Next Payload field on.
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return m_bytes; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_bytes.size(); }
    /// The Next Payload field: the type of the payload after this one.
    [[nodiscard]] constexpr payload_type next() const noexcept { return static_cast<payload_type>(m_bytes[0]); }

protected:
    constexpr payload_bytes() noexcept = default;
    constexpr explicit payload_bytes(bytes_view b) noexcept : m_bytes(b) {}
    bytes_view m_bytes{};
};

namespace detail {

/// Checks a name-space value read from the wire against is_acceptable().
template <class E>
[[nodiscard]] constexpr bool acceptable_raw(unsigned raw) noexcept {
    return is_acceptable(static_cast<E>(raw));
}

/// Placeholder member for shapes without a role byte.
struct no_role {
    friend constexpr bool operator==(no_role, no_role) noexcept { return true; }
};

template <class Spec>
using role_of = std::conditional_t<std::is_void_v<typename Spec::role_enum>, no_role, typename Spec::role_enum>;

template <class Spec>
inline constexpr bool has_role = !std::is_void_v<typename Spec::role_enum>;

/// Reads and checks the optional role byte of a role-carrying shape.
template <class Spec>
[[nodiscard]] constexpr role_of<Spec> read_role(byte_reader& r) noexcept {
    if constexpr (has_role<Spec>) {
        return static_cast<typename Spec::role_enum>(r.u8());
    } else {
        return {};
    }
}

template <class Spec>
[[nodiscard]] constexpr bool role_ok(role_of<Spec> role) noexcept {
    if constexpr (has_role<Spec>) {
        return is_acceptable(role);
    } else {
        return true;
    }
}

template <class Spec>
constexpr void write_role(byte_writer& w, role_of<Spec> role) noexcept {
    if constexpr (has_role<Spec>) {
        w.u8(static_cast<std::uint8_t>(role));
    }
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Shape 1: Next | [Role] | Type | Length(16) | Data
// ---------------------------------------------------------------------------

template <class Spec>
struct typed_data_builder;

/// View of a typed-data payload. Spec names the payload type, the Type enum
/// (`kind_enum`) and its unknown-value errc, and the role enum (or void).
template <class Spec>
class typed_data_view : public payload_bytes {
public:
    static constexpr payload_type type = Spec::type;
    using kind_enum = typename Spec::kind_enum;
    using role_type = detail::role_of<Spec>;

    /// Parses the payload at the start of `in`.
    /// Errors: `underrun` (truncated by default) when `in` ends early; the
    /// role's unknown_*_role; Spec::unknown_kind for an unassigned Type.
    [[nodiscard]] static constexpr result<typed_data_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                                 errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const role_type role = detail::read_role<Spec>(r);
        const std::size_t kind_at = r.offset();
        const auto kind = r.u8();
        const auto len = r.u16();
        const bytes_view data = r.take(len);
        if (r.failed()) {
            return r.error();
        }
        if (!detail::role_ok<Spec>(role)) {
            return failure{Spec::unknown_role, 1};
        }
        if (!detail::acceptable_raw<kind_enum>(kind)) {
            return failure{Spec::unknown_kind, kind_at};
        }
        if (auto inner = Spec::check_data(static_cast<kind_enum>(kind), data); !inner) {
            return shifted(inner.error_info(), r.offset() - data.size());
        }
        return typed_data_view(in.first(r.offset()), role, static_cast<kind_enum>(kind), data);
    }

    /// The role (IDR only).
    [[nodiscard]] constexpr role_type role() const noexcept
        requires detail::has_role<Spec>
    {
        return m_role;
    }
    /// The Type field (ID Type, Cert type, or General Extension Type).
    [[nodiscard]] constexpr kind_enum kind() const noexcept { return m_kind; }
    /// The Data field (ID Data, certificate, extension data).
    [[nodiscard]] constexpr bytes_view data() const noexcept { return m_data; }
    /// The fields as a builder, which writes these exact bytes again.
    [[nodiscard]] constexpr typed_data_builder<Spec> to_builder() const noexcept { return {m_role, m_kind, m_data}; }

private:
    constexpr typed_data_view(bytes_view b, role_type role, kind_enum kind, bytes_view data) noexcept
        : payload_bytes(b), m_role(role), m_kind(kind), m_data(data) {}
    [[no_unique_address]] role_type m_role{};
    kind_enum m_kind{};
    bytes_view m_data{};
};

/// Builder of a typed-data payload. Errors on write: field_too_long when data
/// exceeds 65535 bytes.
template <class Spec>
struct typed_data_builder {
    static constexpr payload_type type = Spec::type;
    [[no_unique_address]] detail::role_of<Spec> role{};
    typename Spec::kind_enum kind{};
    bytes_view data{};

    constexpr void write(byte_writer& w) const noexcept {
        w.u8(0);
        detail::write_role<Spec>(w, role);
        w.u8(static_cast<std::uint8_t>(kind));
        w.length(data.size(), 2);
        w.bytes(data);
    }
};

// ---------------------------------------------------------------------------
// Shape 2: Next | [Role] | Length(8) | Data
// ---------------------------------------------------------------------------

template <class Spec>
struct random_builder;

/// View of RAND (RFC 3830 §6.11) or RANDR (RFC 6043 §6.8).
template <class Spec>
class random_view : public payload_bytes {
public:
    static constexpr payload_type type = Spec::type;
    using role_type = detail::role_of<Spec>;

    /// Errors: `underrun`; unknown_rand_role (RANDR).
    [[nodiscard]] static constexpr result<random_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                             errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const role_type role = detail::read_role<Spec>(r);
        const auto len = r.u8();
        const bytes_view value = r.take(len);
        if (r.failed()) {
            return r.error();
        }
        if (!detail::role_ok<Spec>(role)) {
            return failure{Spec::unknown_role, 1};
        }
        return random_view(in.first(r.offset()), role, value);
    }

    /// The RAND Role (RANDR only).
    [[nodiscard]] constexpr role_type role() const noexcept
        requires detail::has_role<Spec>
    {
        return m_role;
    }
    /// The RAND field (RAND length bytes).
    [[nodiscard]] constexpr bytes_view value() const noexcept { return m_value; }
    [[nodiscard]] constexpr random_builder<Spec> to_builder() const noexcept { return {m_role, m_value}; }

private:
    constexpr random_view(bytes_view b, role_type role, bytes_view value) noexcept
        : payload_bytes(b), m_role(role), m_value(value) {}
    [[no_unique_address]] role_type m_role{};
    bytes_view m_value{};
};

/// Builder of RAND / RANDR. Errors on write: field_too_long above 255 bytes.
template <class Spec>
struct random_builder {
    static constexpr payload_type type = Spec::type;
    [[no_unique_address]] detail::role_of<Spec> role{};
    bytes_view value{};

    constexpr void write(byte_writer& w) const noexcept {
        w.u8(0);
        detail::write_role<Spec>(w, role);
        w.length(value.size(), 1);
        w.bytes(value);
    }
};

// ---------------------------------------------------------------------------
// Shape 3: Next | [Role] | Kind | Value (length implied by Kind)
// ---------------------------------------------------------------------------

template <class Spec>
struct implied_length_builder;

/// View of T, TR, V or CHASH: the value's length follows from the kind
/// (TS type, Auth alg, Hash func), so only registered kinds can be parsed.
template <class Spec>
class implied_length_view : public payload_bytes {
public:
    static constexpr payload_type type = Spec::type;
    using kind_enum = typename Spec::kind_enum;
    using role_type = detail::role_of<Spec>;

    /// Errors: `underrun`; the role's unknown_*_role; Spec::unknown_kind when
    /// the kind is not registered (the value's length is then unknown).
    [[nodiscard]] static constexpr result<implied_length_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                                     errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const role_type role = detail::read_role<Spec>(r);
        const std::size_t kind_at = r.offset();
        const auto kind = static_cast<kind_enum>(r.u8());
        if (r.failed()) {
            return r.error();
        }
        if (!detail::role_ok<Spec>(role)) {
            return failure{Spec::unknown_role, 1};
        }
        if (!is_registered(kind)) {
            return failure{Spec::unknown_kind, kind_at};
        }
        const bytes_view value = r.take(Spec::value_size(kind));
        if (r.failed()) {
            return r.error();
        }
        return implied_length_view(in.first(r.offset()), role, kind, value);
    }

    [[nodiscard]] constexpr role_type role() const noexcept
        requires detail::has_role<Spec>
    {
        return m_role;
    }
    /// TS type, Auth alg or Hash func.
    [[nodiscard]] constexpr kind_enum kind() const noexcept { return m_kind; }
    /// TS value, Ver data (the MAC) or Hash.
    [[nodiscard]] constexpr bytes_view value() const noexcept { return m_value; }
    /// Offset of value() within bytes(): where a MAC field starts.
    [[nodiscard]] constexpr std::size_t value_offset() const noexcept { return size() - m_value.size(); }
    [[nodiscard]] constexpr implied_length_builder<Spec> to_builder() const noexcept {
        return {m_role, m_kind, m_value};
    }

private:
    constexpr implied_length_view(bytes_view b, role_type role, kind_enum kind, bytes_view value) noexcept
        : payload_bytes(b), m_role(role), m_kind(kind), m_value(value) {}
    [[no_unique_address]] role_type m_role{};
    kind_enum m_kind{};
    bytes_view m_value{};
};

/// Builder of T, TR, V or CHASH. Errors on write: invalid_argument when the
/// value's length is not the one the kind implies.
template <class Spec>
struct implied_length_builder {
    static constexpr payload_type type = Spec::type;
    [[no_unique_address]] detail::role_of<Spec> role{};
    typename Spec::kind_enum kind{};
    bytes_view value{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(kind) || value.size() != Spec::value_size(kind)) {
            w.fail(errc::invalid_argument);
            return;
        }
        w.u8(0);
        detail::write_role<Spec>(w, role);
        w.u8(static_cast<std::uint8_t>(kind));
        w.bytes(value);
    }
};

}  // namespace mikey
// ---- end mikey/payload/common.hpp ----
// #include "payload/hdr.hpp" (inlined)
// ---- begin mikey/payload/hdr.hpp ----
// mikey-ticket: Common Header (RFC 3830 §6.1) and its CS ID maps: SRTP-ID
// (RFC 3830 §6.1.1), Empty map (RFC 4563 §5), GENERIC-ID (RFC 6043 §6.1.1).

#include <span>
#include <variant>

// #include "../core/strong_types.hpp" (inlined above as mikey/core/strong_types.hpp)
// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

/// One SRTP-ID map entry (RFC 3830 §6.1.1); the i-th entry (from 1) is CS i.
struct srtp_id_entry {
    std::uint8_t policy_no = 0;
    std::uint32_t ssrc = 0;
    std::uint32_t roc = 0;
    friend constexpr bool operator==(const srtp_id_entry&, const srtp_id_entry&) = default;
};

/// One GENERIC-ID block (RFC 6043 §6.1.1). For Prot type SRTP, session_data
/// is SSRC(32) [ROC(32) SEQ(16) when s_flag].
struct generic_id_block {
    std::uint8_t cs_id = 0;
    prot_type prot = prot_type::srtp;
    bool s_flag = false;
    bytes_view policies{};      ///< the #P Policy_no bytes
    bytes_view session_data{};
    bytes_view spi{};
};

/// The Empty map (RFC 4563 §5): no map info; #CS as given.
struct empty_map {
    std::uint8_t cs_count = 0;
};

/// A map given by its validated wire bytes (what hdr_view::to_builder uses).
struct raw_map {
    cs_id_map_type map_type{};
    std::uint8_t cs_count = 0;
    bytes_view info{};
};

/// What a header builder writes as #CS, CS ID map type and map info.
using cs_id_map = std::variant<empty_map, std::span<const srtp_id_entry>, std::span<const generic_id_block>, raw_map>;

namespace detail {

/// Reads one GENERIC-ID block. Errors: underrun, unknown_prot_type,
/// session_data_mismatch (SRTP session data must be 0, 4 (S=0) or 10 (S=1) bytes).
[[nodiscard]] constexpr result<generic_id_block> read_generic_id_block(byte_reader& r) noexcept {
    generic_id_block b;
    const std::size_t at = r.offset();
    b.cs_id = r.u8();
    const auto prot = r.u8();
    const auto sp = r.u8();
    b.s_flag = (sp & 0x80) != 0;
    b.policies = r.take(sp & 0x7F);
    const std::size_t sd_at = r.offset();
    b.session_data = r.take(r.u16());
    b.spi = r.take(r.u8());
    if (r.failed()) {
        return r.error();
    }
    b.prot = static_cast<prot_type>(prot);
    if (!is_acceptable(b.prot)) {
        return failure{errc::unknown_prot_type, at + 1};
    }
    // RFC 6043 §6.1.1: SRTP Session Data is SSRC, plus ROC and SEQ iff S = 1.
    if (b.prot == prot_type::srtp && !b.session_data.empty() && b.session_data.size() != (b.s_flag ? 10u : 4u)) {
        return failure{errc::session_data_mismatch, sd_at};
    }
    return b;
}

}  // namespace detail

/// Iterates the blocks of a validated GENERIC-ID map info.
class generic_id_map {
public:
    constexpr explicit generic_id_map(bytes_view info MIKEY_LIFETIMEBOUND) noexcept : m_info(info) {}
    class iterator {
    public:
        using value_type = generic_id_block;
        using difference_type = std::ptrdiff_t;
        constexpr iterator() noexcept = default;
        constexpr explicit iterator(bytes_view rest) noexcept : m_rest(rest) { load(); }
        constexpr generic_id_block operator*() const noexcept { return m_block; }
        constexpr iterator& operator++() noexcept {
            m_rest = m_rest.subspan(m_size);
            load();
            return *this;
        }
        constexpr iterator operator++(int) noexcept {
            auto old = *this;
            ++*this;
            return old;
        }
        constexpr bool operator==(const iterator& o) const noexcept { return m_rest.size() == o.m_rest.size(); }

    private:
        constexpr void load() noexcept {
            if (m_rest.empty()) {
                return;
            }
            byte_reader r(m_rest);
            m_block = *detail::read_generic_id_block(r);
            m_size = r.offset();
        }
        bytes_view m_rest{};
        generic_id_block m_block{};
        std::size_t m_size = 0;
    };
    [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(m_info); }
    [[nodiscard]] constexpr iterator end() const noexcept { return iterator(m_info.last(0)); }

private:
    bytes_view m_info;
};

struct hdr_builder;

/// HDR: version | data type | next payload | V | PRF func | CSB ID | #CS |
/// CS ID map type | CS ID map info (RFC 3830 §6.1).
class hdr_view {
public:
    /// Parses the header at the start of a message.
    /// Errors: truncated; unsupported_version (not 1); unknown_data_type;
    /// unknown_prf_func; unknown_cs_id_map_type (the map's length is then
    /// unknown); unknown_prot_type / session_data_mismatch in a GENERIC-ID block.
    [[nodiscard]] static constexpr result<hdr_view> parse(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        byte_reader r(in);
        const auto version = r.u8();
        const auto dt = r.u8();
        (void)r.u8();
        const auto v_prf = r.u8();
        (void)r.u32();
        const auto count = r.u8();
        const auto map = static_cast<cs_id_map_type>(r.u8());
        if (r.failed()) {
            return r.error();
        }
        // RFC 3830 §6.1: version = 0x01 refers to MIKEY as defined in RFC 3830.
        if (version != 1) {
            return failure{errc::unsupported_version, 0};
        }
        if (!is_acceptable(static_cast<data_type>(dt))) {
            return failure{errc::unknown_data_type, 1};
        }
        if (!is_acceptable(static_cast<prf_func>(v_prf & 0x7F))) {
            return failure{errc::unknown_prf_func, 3};
        }
        const std::size_t info_at = r.offset();
        switch (map) {
            case cs_id_map_type::srtp_id: (void)r.take(9u * count); break;
            case cs_id_map_type::empty: break;
            case cs_id_map_type::generic_id:
                for (unsigned i = 0; i < count; ++i) {
                    if (auto b = detail::read_generic_id_block(r); !b) {
                        return b.error_info();
                    }
                }
                break;
            default: return failure{errc::unknown_cs_id_map_type, 9};
        }
        if (r.failed()) {
            return r.error();
        }
        return hdr_view(in.first(r.offset()), in.subspan(info_at, r.offset() - info_at));
    }

    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return m_bytes; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_bytes.size(); }
    [[nodiscard]] constexpr std::uint8_t version() const noexcept { return m_bytes[0]; }
    [[nodiscard]] constexpr data_type type() const noexcept { return static_cast<data_type>(m_bytes[1]); }
    /// The type of the first payload after the header.
    [[nodiscard]] constexpr payload_type next() const noexcept { return static_cast<payload_type>(m_bytes[2]); }
    /// The V flag: a response is expected (RFC 3830 §6.1).
    [[nodiscard]] constexpr bool v_flag() const noexcept { return (m_bytes[3] & 0x80) != 0; }
    [[nodiscard]] constexpr prf_func prf() const noexcept { return static_cast<prf_func>(m_bytes[3] & 0x7F); }
    [[nodiscard]] constexpr csb_id csb() const noexcept {
        return csb_id{static_cast<std::uint32_t>(m_bytes[4]) << 24 | static_cast<std::uint32_t>(m_bytes[5]) << 16 |
                      static_cast<std::uint32_t>(m_bytes[6]) << 8 | m_bytes[7]};
    }
    /// #CS: the number of crypto sessions.
    [[nodiscard]] constexpr std::uint8_t cs_count() const noexcept { return m_bytes[8]; }
    [[nodiscard]] constexpr cs_id_map_type map_type() const noexcept { return static_cast<cs_id_map_type>(m_bytes[9]); }
    /// The CS ID map info bytes.
    [[nodiscard]] constexpr bytes_view map_info() const noexcept { return m_info; }

    /// The i-th SRTP-ID entry (0-based; it describes CS i+1).
    /// Precondition: map_type() is SRTP-ID and i < cs_count().
    [[nodiscard]] constexpr srtp_id_entry srtp_id(std::size_t i) const noexcept {
        byte_reader r(m_info.subspan(9 * i, 9));
        srtp_id_entry e;
        e.policy_no = r.u8();
        e.ssrc = r.u32();
        e.roc = r.u32();
        return e;
    }
    /// The GENERIC-ID blocks. Precondition: map_type() is GENERIC-ID.
    [[nodiscard]] constexpr generic_id_map generic_id() const noexcept { return generic_id_map(m_info); }

    [[nodiscard]] constexpr hdr_builder to_builder() const noexcept;

private:
    constexpr hdr_view(bytes_view b, bytes_view info) noexcept : m_bytes(b), m_info(info) {}
    bytes_view m_bytes;
    bytes_view m_info;
};

/// Builds a HDR. #CS and the map type follow from `map`. Errors on write:
/// field_too_long (more than 255 crypto sessions, a GENERIC-ID field too
/// long), invalid_argument (PRF func above 127, a GENERIC-ID block with more
/// than 127 policies).
struct hdr_builder {
    static constexpr payload_type type = payload_type::last;  // HDR is never a Next Payload value
    data_type data{};
    bool v_flag = false;
    prf_func prf = prf_func::mikey_1;
    csb_id csb{};
    cs_id_map map{};
    std::uint8_t version = 1;

    constexpr void write(byte_writer& w) const noexcept {
        if (static_cast<unsigned>(prf) > 0x7F) {
            w.fail(errc::invalid_argument);
            return;
        }
        w.u8(version);
        w.u8(static_cast<std::uint8_t>(data));
        w.u8(0);
        w.u8((v_flag ? 0x80u : 0u) | static_cast<unsigned>(prf));
        w.u32(csb.get());
        std::visit([&w](const auto& m) { write_map(w, m); }, map);
    }

private:
    static constexpr void write_map(byte_writer& w, const empty_map& m) noexcept {
        w.u8(m.cs_count);
        w.u8(static_cast<std::uint8_t>(cs_id_map_type::empty));
    }
    static constexpr void write_map(byte_writer& w, std::span<const srtp_id_entry> entries) noexcept {
        w.length(entries.size(), 1);
        w.u8(static_cast<std::uint8_t>(cs_id_map_type::srtp_id));
        for (const auto& e : entries) {
            w.u8(e.policy_no);
            w.u32(e.ssrc);
            w.u32(e.roc);
        }
    }
    static constexpr void write_map(byte_writer& w, std::span<const generic_id_block> blocks) noexcept {
        w.length(blocks.size(), 1);
        w.u8(static_cast<std::uint8_t>(cs_id_map_type::generic_id));
        for (const auto& b : blocks) {
            if (b.policies.size() > 0x7F) {
                w.fail(errc::invalid_argument);
                return;
            }
            w.u8(b.cs_id);
            w.u8(static_cast<std::uint8_t>(b.prot));
            w.u8((b.s_flag ? 0x80u : 0u) | static_cast<unsigned>(b.policies.size()));
            w.bytes(b.policies);
            w.length(b.session_data.size(), 2);
            w.bytes(b.session_data);
            w.length(b.spi.size(), 1);
            w.bytes(b.spi);
        }
    }
    static constexpr void write_map(byte_writer& w, const raw_map& m) noexcept {
        w.u8(m.cs_count);
        w.u8(static_cast<std::uint8_t>(m.map_type));
        w.bytes(m.info);
    }
};

constexpr hdr_builder hdr_view::to_builder() const noexcept {
    return hdr_builder{type(), v_flag(), prf(), csb(), raw_map{map_type(), cs_count(), m_info}, version()};
}

}  // namespace mikey
// ---- end mikey/payload/hdr.hpp ----
// #include "payload/kemac.hpp" (inlined)
// ---- begin mikey/payload/kemac.hpp ----
// mikey-ticket: KEMAC (RFC 3830 §6.2, RFC 6043 §6.2) and the Key data
// sub-payload (RFC 3830 §6.13, RFC 6043 §6.2.1) carried in its Encr data.

// #include "id.hpp" (inlined)
// ---- begin mikey/payload/id.hpp ----
// mikey-ticket: ID and CERT (RFC 3830 §6.7) and IDR (RFC 6043 §6.6): the
// typed-data shape, IDR with a role byte.

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

namespace detail {
struct no_inner_check {
    template <class K>
    static constexpr result<void> check_data(K, bytes_view) noexcept {
        return {};
    }
};
}  // namespace detail

/// ID: Next | ID Type | ID len(16) | ID Data (RFC 3830 §6.7).
struct id_spec : detail::no_inner_check {
    static constexpr payload_type type = payload_type::id;
    using kind_enum = id_type;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_id_type;
    static constexpr errc unknown_role = errc::ok;
};

/// CERT: Next | Cert type | Cert len(16) | Certificate (RFC 3830 §6.7).
struct cert_spec : detail::no_inner_check {
    static constexpr payload_type type = payload_type::cert;
    using kind_enum = cert_type;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_cert_type;
    static constexpr errc unknown_role = errc::ok;
};

/// IDR: Next | ID Role | ID Type | ID len(16) | ID Data (RFC 6043 §6.6).
struct idr_spec : detail::no_inner_check {
    static constexpr payload_type type = payload_type::idr;
    using kind_enum = id_type;
    using role_enum = id_role;
    static constexpr errc unknown_kind = errc::unknown_id_type;
    static constexpr errc unknown_role = errc::unknown_id_role;
};

using id_view = typed_data_view<id_spec>;
using id_builder = typed_data_builder<id_spec>;
using cert_view = typed_data_view<cert_spec>;
using cert_builder = typed_data_builder<cert_spec>;
using idr_view = typed_data_view<idr_spec>;
using idr_builder = typed_data_builder<idr_spec>;

}  // namespace mikey
// ---- end mikey/payload/id.hpp ----
// #include "key_validity.hpp" (inlined)
// ---- begin mikey/payload/key_validity.hpp ----
// mikey-ticket: KV data (RFC 3830 §6.14), shared by the Key data sub-payload
// (§6.13) and the DH payload (§6.4).

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

/// KV data: nothing (KV Null), SPI Length(8) | SPI (KV SPI), or
/// VF Length(8) | Valid From | VT Length(8) | Valid To (KV Interval).
struct kv_data {
    kv_type kind = kv_type::null;
    bytes_view spi{};
    bytes_view valid_from{};
    bytes_view valid_to{};
};

namespace detail {

/// Reads the KV data of type `kind`; the caller checks r.failed().
[[nodiscard]] constexpr kv_data read_kv_data(byte_reader& r, kv_type kind) noexcept {
    kv_data kv{kind, {}, {}, {}};
    if (kind == kv_type::spi) {
        kv.spi = r.take(r.u8());
    } else if (kind == kv_type::interval) {
        kv.valid_from = r.take(r.u8());
        kv.valid_to = r.take(r.u8());
    }
    return kv;
}

/// Writes KV data. Errors: invalid_argument when fields that the KV type does
/// not carry are set; field_too_long above 255 bytes.
constexpr void write_kv_data(byte_writer& w, const kv_data& kv) noexcept {
    const bool spi_ok = kv.kind == kv_type::spi || kv.spi.empty();
    const bool interval_ok = kv.kind == kv_type::interval || (kv.valid_from.empty() && kv.valid_to.empty());
    if (!spi_ok || !interval_ok || !is_registered(kv.kind)) {
        w.fail(errc::invalid_argument);
        return;
    }
    if (kv.kind == kv_type::spi) {
        w.length(kv.spi.size(), 1);
        w.bytes(kv.spi);
    } else if (kv.kind == kv_type::interval) {
        w.length(kv.valid_from.size(), 1);
        w.bytes(kv.valid_from);
        w.length(kv.valid_to.size(), 1);
        w.bytes(kv.valid_to);
    }
}

}  // namespace detail
}  // namespace mikey
// ---- end mikey/payload/key_validity.hpp ----

namespace mikey {

struct kemac_builder;

/// KEMAC: Next | Encr alg | Encr data len(16) | Encr data | Mac alg | MAC.
/// The MAC's length follows from the Mac alg.
class kemac_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::kemac;

    /// Errors: underrun; unknown_encr_alg (unassigned); unknown_mac_alg (not
    /// registered: the MAC's length is then unknown).
    [[nodiscard]] static constexpr result<kemac_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                            errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto encr = static_cast<encr_alg>(r.u8());
        const bytes_view data = r.take(r.u16());
        const std::size_t mac_at = r.offset();
        const auto mac = static_cast<mac_alg>(r.u8());
        if (r.failed()) {
            return r.error();
        }
        if (!is_acceptable(encr)) {
            return failure{errc::unknown_encr_alg, 1};
        }
        if (!is_registered(mac)) {
            return failure{errc::unknown_mac_alg, mac_at};
        }
        (void)r.take(mac_size(mac));
        if (r.failed()) {
            return r.error();
        }
        return kemac_view(in.first(r.offset()), data);
    }

    [[nodiscard]] constexpr encr_alg encryption() const noexcept { return static_cast<encr_alg>(m_bytes[1]); }
    /// The Encr data field: the (encrypted) sub-payload chain.
    [[nodiscard]] constexpr bytes_view encrypted_data() const noexcept { return m_data; }
    [[nodiscard]] constexpr mac_alg mac_algorithm() const noexcept {
        return static_cast<mac_alg>(m_bytes[4 + m_data.size()]);
    }
    /// The MAC field (empty for the NULL MAC).
    [[nodiscard]] constexpr bytes_view mac() const noexcept { return m_bytes.subspan(5 + m_data.size()); }
    /// Offset of the MAC field within bytes().
    [[nodiscard]] constexpr std::size_t mac_offset() const noexcept { return 5 + m_data.size(); }
    [[nodiscard]] constexpr kemac_builder to_builder() const noexcept;

private:
    constexpr kemac_view(bytes_view b, bytes_view data) noexcept : payload_bytes(b), m_data(data) {}
    bytes_view m_data{};
};

/// Builds a KEMAC from already protected Encr data and MAC (the crypto layer
/// produces both). Errors on write: field_too_long (Encr data above 65535
/// bytes), invalid_argument (MAC length not the one Mac alg implies).
struct kemac_builder {
    static constexpr payload_type type = payload_type::kemac;
    encr_alg encryption = encr_alg::null;
    bytes_view encrypted_data{};
    mac_alg mac_algorithm = mac_alg::null;
    bytes_view mac{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(mac_algorithm) || mac.size() != mac_size(mac_algorithm)) {
            w.fail(errc::invalid_argument);
            return;
        }
        w.u8(0);
        w.u8(static_cast<std::uint8_t>(encryption));
        w.length(encrypted_data.size(), 2);
        w.bytes(encrypted_data);
        w.u8(static_cast<std::uint8_t>(mac_algorithm));
        w.bytes(mac);
    }
};

constexpr kemac_builder kemac_view::to_builder() const noexcept {
    return {encryption(), m_data, mac_algorithm(), mac()};
}

struct key_data_builder;

/// Key data sub-payload: Next | Type(4) KV(4) | Key data len(16) | Key data |
/// [Salt len(16) | Salt data] | KV data. The Salt fields are present only
/// for the +SALT types.
class key_data_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::key_data;

    /// Errors: underrun (length_out_of_bounds inside a KEMAC's data);
    /// unknown_key_data_type; unknown_kv_type (the KV data's layout is then unknown).
    [[nodiscard]] static constexpr result<key_data_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                               errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto type_kv = r.u8();
        const bytes_view key = r.take(r.u16());
        if (r.failed()) {
            return r.error();
        }
        const auto kind = static_cast<key_data_type>(type_kv >> 4);
        const auto kv = static_cast<kv_type>(type_kv & 0x0F);
        if (!is_registered(kind)) {
            return failure{errc::unknown_key_data_type, 1};
        }
        if (!is_registered(kv)) {
            return failure{errc::unknown_kv_type, 1};
        }
        const bytes_view salt = has_salt(kind) ? r.take(r.u16()) : bytes_view{};
        const kv_data validity = detail::read_kv_data(r, kv);
        if (r.failed()) {
            return r.error();
        }
        return key_data_view(in.first(r.offset()), key, salt, validity);
    }

    [[nodiscard]] constexpr key_data_type kind() const noexcept { return static_cast<key_data_type>(m_bytes[1] >> 4); }
    /// The Key data field (TGK, TEK, GTGK, MPK ...).
    [[nodiscard]] constexpr bytes_view key() const noexcept { return m_key; }
    /// The Salt data (empty unless kind() is a +SALT type).
    [[nodiscard]] constexpr bytes_view salt() const noexcept { return m_salt; }
    [[nodiscard]] constexpr const kv_data& validity() const noexcept { return m_kv; }
    [[nodiscard]] constexpr key_data_builder to_builder() const noexcept;

private:
    constexpr key_data_view(bytes_view b, bytes_view key, bytes_view salt, kv_data kv) noexcept
        : payload_bytes(b), m_key(key), m_salt(salt), m_kv(kv) {}
    bytes_view m_key{};
    bytes_view m_salt{};
    kv_data m_kv{};
};

/// Builds a Key data sub-payload. Errors on write: invalid_argument (a salt
/// for a type without +SALT, KV fields the KV type does not carry, an
/// unregistered type), field_too_long.
struct key_data_builder {
    static constexpr payload_type type = payload_type::key_data;
    key_data_type kind = key_data_type::tgk;
    bytes_view key{};
    bytes_view salt{};
    kv_data validity{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(kind) || (!has_salt(kind) && !salt.empty())) {
            w.fail(errc::invalid_argument);
            return;
        }
        w.u8(0);
        w.u8(static_cast<unsigned>(kind) << 4 | (static_cast<unsigned>(validity.kind) & 0x0F));
        w.length(key.size(), 2);
        w.bytes(key);
        if (has_salt(kind)) {
            w.length(salt.size(), 2);
            w.bytes(salt);
        }
        detail::write_kv_data(w, validity);
    }
};

constexpr key_data_builder key_data_view::to_builder() const noexcept { return {kind(), m_key, m_salt, m_kv}; }

/// The plaintext of a KEMAC's Encr data: in the PK method an ID (IDi) first
/// (RFC 3830 §3.2), then the Key data sub-payloads, chained by Next Payload
/// (20 while another follows, 0 after the last). May be empty in a CSB
/// update (RFC 3830 §4.5).
class key_data_list {
public:
    /// Validates a plaintext chain. Errors (offsets relative to `plain`):
    /// length_out_of_bounds; misplaced_payload (anything but Key data after
    /// the first element); unknown_key_data_type; unknown_kv_type;
    /// unknown_id_type; trailing_bytes (bytes after the sub-payload with Next 0).
    [[nodiscard]] static constexpr result<key_data_list> parse(bytes_view plain MIKEY_LIFETIMEBOUND,
                                                               bool id_first = false) noexcept {
        constexpr errc underrun = errc::length_out_of_bounds;
        std::size_t pos = 0;
        bytes_view id{};
        std::size_t count = 0;
        if (plain.empty()) {
            return key_data_list(plain, id, 0);
        }
        payload_type next = payload_type::key_data;
        if (id_first) {
            const auto v = id_view::parse(plain, underrun);
            if (!v) {
                return v.error_info();
            }
            id = v->bytes();
            pos = v->size();
            next = v->next();
        }
        while (next != payload_type::last) {
            if (next != payload_type::key_data) {
                return failure{errc::misplaced_payload, pos};
            }
            const auto k = key_data_view::parse(plain.subspan(pos), underrun);
            if (!k) {
                return shifted(k.error_info(), pos);
            }
            next = k->next();
            pos += k->size();
            ++count;
        }
        if (pos != plain.size()) {
            return failure{errc::trailing_bytes, pos};
        }
        return key_data_list(plain.subspan(id.size()), id, count);
    }

    /// The leading ID payload (PK method), if parsed with id_first.
    [[nodiscard]] constexpr result<id_view> id() const noexcept {
        return m_id.empty() ? result<id_view>(errc::missing_payload) : id_view::parse(m_id);
    }
    /// Number of Key data sub-payloads.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_count; }

    class iterator {
    public:
        using value_type = key_data_view;
        using difference_type = std::ptrdiff_t;
        constexpr iterator() noexcept = default;
        constexpr explicit iterator(bytes_view rest) noexcept : m_rest(rest) {}
        constexpr key_data_view operator*() const noexcept { return *key_data_view::parse(m_rest); }
        constexpr iterator& operator++() noexcept {
            m_rest = m_rest.subspan((**this).size());
            return *this;
        }
        constexpr iterator operator++(int) noexcept {
            auto old = *this;
            ++*this;
            return old;
        }
        constexpr bool operator==(const iterator& o) const noexcept { return m_rest.size() == o.m_rest.size(); }

    private:
        bytes_view m_rest{};
    };
    [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(m_keys); }
    [[nodiscard]] constexpr iterator end() const noexcept { return iterator(m_keys.last(0)); }

private:
    constexpr key_data_list(bytes_view keys, bytes_view id, std::size_t count) noexcept
        : m_keys(keys), m_id(id), m_count(count) {}
    bytes_view m_keys{};
    bytes_view m_id{};
    std::size_t m_count = 0;
};

}  // namespace mikey
// ---- end mikey/payload/kemac.hpp ----
// #include "payload/key_validity.hpp" (inlined above as mikey/payload/key_validity.hpp)
// #include "payload/pke.hpp" (inlined)
// ---- begin mikey/payload/pke.hpp ----
// mikey-ticket: PKE, the envelope data payload (RFC 3830 §6.3).

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

struct pke_builder;

/// PKE: Next | C(2) | Data len(14) | Data (env_key encrypted with the
/// Responder's public key).
class pke_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::pke;

    /// Errors: underrun; unknown_pke_cache (C = 3).
    [[nodiscard]] static constexpr result<pke_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                          errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto c_len = r.u16();
        const bytes_view data = r.take(c_len & 0x3FFF);
        if (r.failed()) {
            return r.error();
        }
        if (!is_acceptable(static_cast<pke_cache>(c_len >> 14))) {
            return failure{errc::unknown_pke_cache, 1};
        }
        return pke_view(in.first(r.offset()), data);
    }

    [[nodiscard]] constexpr pke_cache cache() const noexcept { return static_cast<pke_cache>(m_bytes[1] >> 6); }
    [[nodiscard]] constexpr bytes_view data() const noexcept { return m_data; }
    [[nodiscard]] constexpr pke_builder to_builder() const noexcept;

private:
    constexpr pke_view(bytes_view b, bytes_view data) noexcept : payload_bytes(b), m_data(data) {}
    bytes_view m_data{};
};

/// Errors on write: field_too_long (data above 16383 bytes), invalid_argument (C = 3).
struct pke_builder {
    static constexpr payload_type type = payload_type::pke;
    pke_cache cache = pke_cache::no_cache;
    bytes_view data{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(cache)) {
            w.fail(errc::invalid_argument);
            return;
        }
        if (data.size() > 0x3FFF) {
            w.fail(errc::field_too_long);
            return;
        }
        w.u8(0);
        w.u16(static_cast<unsigned>(cache) << 14 | data.size());
        w.bytes(data);
    }
};

constexpr pke_builder pke_view::to_builder() const noexcept { return {cache(), m_data}; }

}  // namespace mikey
// ---- end mikey/payload/pke.hpp ----
// #include "payload/dh.hpp" (inlined)
// ---- begin mikey/payload/dh.hpp ----
// mikey-ticket: DH data payload (RFC 3830 §6.4).

// #include "key_validity.hpp" (inlined above as mikey/payload/key_validity.hpp)

namespace mikey {

struct dh_builder;

/// DH: Next | DH-Group | DH-value (length by group) | Reserv(4) | KV(4) | KV data.
class dh_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::dh;

    /// Errors: underrun; unknown_dh_group (the value's length is then
    /// unknown); reserved_bits_set; unknown_kv_type.
    [[nodiscard]] static constexpr result<dh_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                         errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto group = static_cast<dh_group>(r.u8());
        if (r.failed()) {
            return r.error();
        }
        if (!is_registered(group)) {
            return failure{errc::unknown_dh_group, 1};
        }
        const bytes_view value = r.take(dh_value_size(group));
        const std::size_t kv_at = r.offset();
        const auto res_kv = r.u8();
        if (r.failed()) {
            return r.error();
        }
        // RFC 3830 §6.4: Reserv (4 bits), reserved for future use.
        if ((res_kv & 0xF0) != 0) {
            return failure{errc::reserved_bits_set, kv_at};
        }
        const auto kv = static_cast<kv_type>(res_kv);
        if (!is_registered(kv)) {
            return failure{errc::unknown_kv_type, kv_at};
        }
        const kv_data validity = detail::read_kv_data(r, kv);
        if (r.failed()) {
            return r.error();
        }
        return dh_view(in.first(r.offset()), value, validity);
    }

    [[nodiscard]] constexpr dh_group group() const noexcept { return static_cast<dh_group>(m_bytes[1]); }
    [[nodiscard]] constexpr bytes_view value() const noexcept { return m_value; }
    [[nodiscard]] constexpr const kv_data& validity() const noexcept { return m_kv; }
    [[nodiscard]] constexpr dh_builder to_builder() const noexcept;

private:
    constexpr dh_view(bytes_view b, bytes_view value, kv_data kv) noexcept
        : payload_bytes(b), m_value(value), m_kv(kv) {}
    bytes_view m_value{};
    kv_data m_kv{};
};

/// Errors on write: invalid_argument (value length not the group's, KV
/// fields the KV type does not carry), field_too_long.
struct dh_builder {
    static constexpr payload_type type = payload_type::dh;
    dh_group group = dh_group::oakley_5;
    bytes_view value{};
    kv_data validity{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(group) || value.size() != dh_value_size(group)) {
            w.fail(errc::invalid_argument);
            return;
        }
        w.u8(0);
        w.u8(static_cast<std::uint8_t>(group));
        w.bytes(value);
        w.u8(static_cast<std::uint8_t>(validity.kind) & 0x0F);
        detail::write_kv_data(w, validity);
    }
};

constexpr dh_builder dh_view::to_builder() const noexcept { return {group(), m_value, m_kv}; }

}  // namespace mikey
// ---- end mikey/payload/dh.hpp ----
// #include "payload/sign.hpp" (inlined)
// ---- begin mikey/payload/sign.hpp ----
// mikey-ticket: SIGN, the signature payload (RFC 3830 §6.5). It has no Next
// Payload field and always ends the message.

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

struct sign_builder;

/// SIGN: S type(4) | Signature len(12) | Signature.
class sign_view {
public:
    static constexpr payload_type type = payload_type::sign;

    /// Errors: underrun; unknown_sign_type.
    [[nodiscard]] static constexpr result<sign_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                           errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        const auto t_len = r.u16();
        (void)r.take(t_len & 0x0FFF);
        if (r.failed()) {
            return r.error();
        }
        if (!is_registered(static_cast<sign_type>(t_len >> 12))) {
            return failure{errc::unknown_sign_type, 0};
        }
        return sign_view(in.first(r.offset()));
    }

    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return m_bytes; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_bytes.size(); }
    /// SIGN has no Next Payload: it is always last (RFC 3830 §6.5).
    [[nodiscard]] constexpr payload_type next() const noexcept { return payload_type::last; }
    [[nodiscard]] constexpr sign_type kind() const noexcept { return static_cast<sign_type>(m_bytes[0] >> 4); }
    /// The Signature field.
    [[nodiscard]] constexpr bytes_view signature() const noexcept { return m_bytes.subspan(2); }
    [[nodiscard]] constexpr sign_builder to_builder() const noexcept;

private:
    constexpr explicit sign_view(bytes_view b) noexcept : m_bytes(b) {}
    bytes_view m_bytes;
};

/// Errors on write: field_too_long (signature above 4095 bytes),
/// invalid_argument (unregistered S type).
struct sign_builder {
    static constexpr payload_type type = payload_type::sign;
    sign_type kind = sign_type::rsa_pkcs1_v1_5;
    bytes_view signature{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(kind)) {
            w.fail(errc::invalid_argument);
            return;
        }
        if (signature.size() > 0x0FFF) {
            w.fail(errc::field_too_long);
            return;
        }
        w.u16(static_cast<unsigned>(kind) << 12 | signature.size());
        w.bytes(signature);
    }
};

constexpr sign_builder sign_view::to_builder() const noexcept { return {kind(), signature()}; }

}  // namespace mikey
// ---- end mikey/payload/sign.hpp ----
// #include "payload/timestamp.hpp" (inlined)
// ---- begin mikey/payload/timestamp.hpp ----
// mikey-ticket: T (RFC 3830 §6.6, RFC 6043 §6.3) and TR (RFC 6043 §6.4).

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

/// T: Next | TS type | TS value (64 or 32 bits by TS type).
struct timestamp_spec {
    static constexpr payload_type type = payload_type::t;
    using kind_enum = ts_type;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_ts_type;
    static constexpr errc unknown_role = errc::ok;
    static constexpr std::size_t value_size(ts_type t) noexcept { return ts_value_size(t); }
};

/// TR: Next | TS Role | TS Type | TS Value.
struct timestamp_role_spec {
    static constexpr payload_type type = payload_type::tr;
    using kind_enum = ts_type;
    using role_enum = ts_role;
    static constexpr errc unknown_kind = errc::unknown_ts_type;
    static constexpr errc unknown_role = errc::unknown_ts_role;
    static constexpr std::size_t value_size(ts_type t) noexcept { return ts_value_size(t); }
};

using t_view = implied_length_view<timestamp_spec>;
using t_builder = implied_length_builder<timestamp_spec>;
using tr_view = implied_length_view<timestamp_role_spec>;
using tr_builder = implied_length_builder<timestamp_role_spec>;

/// A TS value as the 64-bit quantity the PRF and the AES-CM IV take: 32-bit
/// COUNTER values are zero-extended (RFC 3830 §6.6), NTP-UTC-32 values are
/// padded with a zero fractional part (RFC 6043 §6.3).
[[nodiscard]] constexpr std::uint64_t ts_value_64(ts_type kind, bytes_view value) noexcept {
    std::uint64_t v = 0;
    for (const auto b : value) {
        v = (v << 8) | b;
    }
    return kind == ts_type::ntp_utc_32 ? v << 32 : v;
}

}  // namespace mikey
// ---- end mikey/payload/timestamp.hpp ----
// #include "payload/id.hpp" (inlined above as mikey/payload/id.hpp)
// #include "payload/verification.hpp" (inlined)
// ---- begin mikey/payload/verification.hpp ----
// mikey-ticket: V (RFC 3830 §6.9) and CHASH (RFC 3830 §6.8, RFC 6043 §6.7):
// an algorithm byte and a value whose length the algorithm implies.

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

/// V: Next | Auth alg | Ver data (0, 20 or 32 bytes by Auth alg).
struct verification_spec {
    static constexpr payload_type type = payload_type::v;
    using kind_enum = mac_alg;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_mac_alg;
    static constexpr errc unknown_role = errc::ok;
    static constexpr std::size_t value_size(mac_alg a) noexcept { return mac_size(a); }
};

/// CHASH: Next | Hash func | Hash (20, 16 or 32 bytes by Hash func).
struct chash_spec {
    static constexpr payload_type type = payload_type::chash;
    using kind_enum = hash_func;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_hash_func;
    static constexpr errc unknown_role = errc::ok;
    static constexpr std::size_t value_size(hash_func h) noexcept { return hash_size(h); }
};

using v_view = implied_length_view<verification_spec>;
using v_builder = implied_length_builder<verification_spec>;
using chash_view = implied_length_view<chash_spec>;
using chash_builder = implied_length_builder<chash_spec>;

}  // namespace mikey
// ---- end mikey/payload/verification.hpp ----
// #include "payload/sp.hpp" (inlined)
// ---- begin mikey/payload/sp.hpp ----
// mikey-ticket: SP, the security policy payload (RFC 3830 §6.10), with the
// SRTP policy parameters (RFC 3830 §6.10.1, RFC 4771, RFC 7714) by name.

#include <optional>
#include <span>

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

/// One policy parameter: Type(8) | Length(8) | Value. For Prot type SRTP the
/// type is a srtp_param value.
struct sp_param {
    std::uint8_t kind = 0;
    bytes_view value{};
};

/// Iterates the parameters of a validated SP payload.
class sp_param_list {
public:
    constexpr explicit sp_param_list(bytes_view params MIKEY_LIFETIMEBOUND) noexcept : m_params(params) {}
    class iterator {
    public:
        using value_type = sp_param;
        using difference_type = std::ptrdiff_t;
        constexpr iterator() noexcept = default;
        constexpr explicit iterator(bytes_view rest) noexcept : m_rest(rest) {}
        constexpr sp_param operator*() const noexcept { return {m_rest[0], m_rest.subspan(2, m_rest[1])}; }
        constexpr iterator& operator++() noexcept {
            m_rest = m_rest.subspan(2u + m_rest[1]);
            return *this;
        }
        constexpr iterator operator++(int) noexcept {
            auto old = *this;
            ++*this;
            return old;
        }
        constexpr bool operator==(const iterator& o) const noexcept { return m_rest.size() == o.m_rest.size(); }

    private:
        bytes_view m_rest{};
    };
    [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(m_params); }
    [[nodiscard]] constexpr iterator end() const noexcept { return iterator(m_params.last(0)); }

private:
    bytes_view m_params;
};

struct sp_builder;

/// SP: Next | Policy no | Prot type | Policy param length(16) | parameters.
class sp_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::sp;

    /// Errors: underrun; unknown_prot_type; length_out_of_bounds (a parameter
    /// running past the policy param length); unknown_srtp_param (Prot type SRTP).
    [[nodiscard]] static constexpr result<sp_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                         errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        (void)r.u8();
        const auto prot = static_cast<prot_type>(r.u8());
        const std::size_t params_at = r.offset() + 2;
        const bytes_view params = r.take(r.u16());
        if (r.failed()) {
            return r.error();
        }
        if (!is_acceptable(prot)) {
            return failure{errc::unknown_prot_type, 2};
        }
        byte_reader p(params, errc::length_out_of_bounds);
        while (p.remaining() != 0) {
            const std::size_t at = p.offset();
            const auto kind = p.u8();
            (void)p.take(p.u8());
            if (p.failed()) {
                return shifted(p.error(), params_at);
            }
            if (prot == prot_type::srtp && !is_acceptable(static_cast<srtp_param>(kind))) {
                return failure{errc::unknown_srtp_param, params_at + at};
            }
        }
        return sp_view(in.first(r.offset()), params);
    }

    [[nodiscard]] constexpr std::uint8_t policy_no() const noexcept { return m_bytes[1]; }
    [[nodiscard]] constexpr prot_type protocol() const noexcept { return static_cast<prot_type>(m_bytes[2]); }
    /// The raw parameter bytes.
    [[nodiscard]] constexpr bytes_view param_bytes() const noexcept { return m_params; }
    [[nodiscard]] constexpr sp_param_list params() const noexcept { return sp_param_list(m_params); }

    /// The value of SRTP parameter `p` (first occurrence), if present.
    /// Absent parameters take SRTP's defaults (RFC 3830 §6.10.1).
    [[nodiscard]] constexpr std::optional<bytes_view> srtp(srtp_param p) const noexcept {
        for (const auto& e : params()) {
            if (e.kind == static_cast<std::uint8_t>(p)) {
                return e.value;
            }
        }
        return std::nullopt;
    }
    /// The SRTP parameter as a big-endian unsigned integer (up to 8 bytes).
    [[nodiscard]] constexpr std::optional<std::uint64_t> srtp_value(srtp_param p) const noexcept {
        const auto v = srtp(p);
        if (!v || v->size() > 8) {
            return std::nullopt;
        }
        std::uint64_t n = 0;
        for (const auto b : *v) {
            n = (n << 8) | b;
        }
        return n;
    }
    [[nodiscard]] constexpr sp_builder to_builder() const noexcept;

private:
    constexpr sp_view(bytes_view b, bytes_view params) noexcept : payload_bytes(b), m_params(params) {}
    bytes_view m_params{};
};

/// Builds an SP from a list of parameters, or from their raw bytes (set only
/// one of the two). Errors on write: invalid_argument (both set),
/// field_too_long.
struct sp_builder {
    static constexpr payload_type type = payload_type::sp;
    std::uint8_t policy_no = 0;
    prot_type protocol = prot_type::srtp;
    std::span<const sp_param> params{};
    bytes_view raw_params{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!params.empty() && !raw_params.empty()) {
            w.fail(errc::invalid_argument);
            return;
        }
        std::size_t len = raw_params.size();
        for (const auto& p : params) {
            len += 2 + p.value.size();
        }
        w.u8(0);
        w.u8(policy_no);
        w.u8(static_cast<std::uint8_t>(protocol));
        w.length(len, 2);
        w.bytes(raw_params);
        for (const auto& p : params) {
            w.u8(p.kind);
            w.length(p.value.size(), 1);
            w.bytes(p.value);
        }
    }
};

constexpr sp_builder sp_view::to_builder() const noexcept { return {policy_no(), protocol(), {}, m_params}; }

}  // namespace mikey
// ---- end mikey/payload/sp.hpp ----
// #include "payload/rand.hpp" (inlined)
// ---- begin mikey/payload/rand.hpp ----
// mikey-ticket: RAND (RFC 3830 §6.11) and RANDR (RFC 6043 §6.8).

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

/// RAND: Next | RAND len(8) | RAND.
struct rand_spec {
    static constexpr payload_type type = payload_type::rand;
    using role_enum = void;
    static constexpr errc unknown_role = errc::ok;
};

/// RANDR: Next | RAND Role | RAND length(8) | RAND.
struct randr_spec {
    static constexpr payload_type type = payload_type::randr;
    using role_enum = rand_role;
    static constexpr errc unknown_role = errc::unknown_rand_role;
};

using rand_view = random_view<rand_spec>;
using rand_builder = random_builder<rand_spec>;
using randr_view = random_view<randr_spec>;
using randr_builder = random_builder<randr_spec>;

}  // namespace mikey
// ---- end mikey/payload/rand.hpp ----
// #include "payload/err.hpp" (inlined)
// ---- begin mikey/payload/err.hpp ----
// mikey-ticket: ERR, the error payload (RFC 3830 §6.12, RFC 6043 §6.9).

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

struct err_builder;

/// ERR: Next | Error no | Reserved(16).
class err_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::err;

    /// Errors: underrun; unknown_error_no; reserved_bits_set.
    [[nodiscard]] static constexpr result<err_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                          errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto no = r.u8();
        const auto reserved = r.u16();
        if (r.failed()) {
            return r.error();
        }
        if (!is_acceptable(static_cast<error_no>(no))) {
            return failure{errc::unknown_error_no, 1};
        }
        // RFC 3830 §6.12: Reserved (16 bits): reserved for future use.
        if (reserved != 0) {
            return failure{errc::reserved_bits_set, 2};
        }
        return err_view(in.first(4));
    }

    [[nodiscard]] constexpr error_no code() const noexcept { return static_cast<error_no>(m_bytes[1]); }
    [[nodiscard]] constexpr err_builder to_builder() const noexcept;

private:
    constexpr explicit err_view(bytes_view b) noexcept : payload_bytes(b) {}
};

struct err_builder {
    static constexpr payload_type type = payload_type::err;
    error_no code = error_no::unspecified;

    constexpr void write(byte_writer& w) const noexcept {
        w.u8(0);
        w.u8(static_cast<std::uint8_t>(code));
        w.u16(0);
    }
};

constexpr err_builder err_view::to_builder() const noexcept { return {code()}; }

}  // namespace mikey
// ---- end mikey/payload/err.hpp ----
// #include "payload/general_extension.hpp" (inlined)
// ---- begin mikey/payload/general_extension.hpp ----
// mikey-ticket: General Extension payload (RFC 3830 §6.15) and the Key ID
// information it carries with Type 3 (RFC 4563 §4).

// #include "common.hpp" (inlined above as mikey/payload/common.hpp)

namespace mikey {

/// One Key ID sub-payload: Key ID Type(8) | Key ID Length(8) | Key ID (RFC 4563 §4).
struct key_id_entry {
    key_id_type kind{};
    bytes_view id{};
};

/// Iterates the Key ID sub-payloads of a validated Key ID extension's data.
class key_id_list {
public:
    constexpr explicit key_id_list(bytes_view data MIKEY_LIFETIMEBOUND) noexcept : m_data(data) {}

    /// Validates a Key ID information field: at least one entry, each complete,
    /// each Key ID Type registered or private use. Errors: empty_chain,
    /// length_out_of_bounds, unknown_key_id_type (offsets relative to `data`).
    [[nodiscard]] static constexpr result<void> check(bytes_view data) noexcept {
        if (data.empty()) {
            return failure{errc::empty_chain, 0};
        }
        byte_reader r(data, errc::length_out_of_bounds);
        while (r.remaining() != 0) {
            const std::size_t at = r.offset();
            const auto kind = r.u8();
            (void)r.take(r.u8());
            if (r.failed()) {
                return r.error();
            }
            if (!is_acceptable(static_cast<key_id_type>(kind))) {
                return failure{errc::unknown_key_id_type, at};
            }
        }
        return {};
    }

    class iterator {
    public:
        using value_type = key_id_entry;
        using difference_type = std::ptrdiff_t;
        constexpr iterator() noexcept = default;
        constexpr explicit iterator(bytes_view rest) noexcept : m_rest(rest) {}
        constexpr key_id_entry operator*() const noexcept {
            return {static_cast<key_id_type>(m_rest[0]), m_rest.subspan(2, m_rest[1])};
        }
        constexpr iterator& operator++() noexcept {
            m_rest = m_rest.subspan(2u + m_rest[1]);
            return *this;
        }
        constexpr iterator operator++(int) noexcept {
            auto old = *this;
            ++*this;
            return old;
        }
        constexpr bool operator==(const iterator& o) const noexcept { return m_rest.size() == o.m_rest.size(); }

    private:
        bytes_view m_rest{};
    };
    [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(m_data); }
    [[nodiscard]] constexpr iterator end() const noexcept { return iterator(m_data.last(0)); }

private:
    bytes_view m_data;
};

/// General Extension: Next | Type | Length(16) | Data (RFC 3830 §6.15).
struct general_extension_spec {
    static constexpr payload_type type = payload_type::general_extension;
    using kind_enum = extension_type;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_extension_type;
    static constexpr errc unknown_role = errc::ok;
    /// Type 3 (Key ID, RFC 4563 §4) carries a list of Key ID sub-payloads.
    static constexpr result<void> check_data(extension_type kind, bytes_view data) noexcept {
        return kind == extension_type::key_id ? key_id_list::check(data) : result<void>{};
    }
};

using general_extension_view = typed_data_view<general_extension_spec>;
using general_extension_builder = typed_data_builder<general_extension_spec>;

/// Writes Key ID sub-payloads (RFC 4563 §4) as the data of a Key ID extension.
/// Errors on write: field_too_long for a Key ID above 255 bytes.
constexpr void write_key_ids(byte_writer& w, std::span<const key_id_entry> entries) noexcept {
    for (const auto& e : entries) {
        w.u8(static_cast<std::uint8_t>(e.kind));
        w.length(e.id.size(), 1);
        w.bytes(e.id);
    }
}

}  // namespace mikey
// ---- end mikey/payload/general_extension.hpp ----
// #include "payload/chain.hpp" (inlined)
// ---- begin mikey/payload/chain.hpp ----
// mikey-ticket: payload chains. A chain is a sequence of payloads linked by
// their Next Payload fields and ended by Last payload (0) or by SIGN
// (RFC 3830 §6). The same walker validates a message after its HDR, the TP
// Data and Initiator Data of a TICKET (RFC 6043 §6.10), and the Ticket Data
// of the MIKEY base ticket (RFC 6043 App. A); the same writer builds them.

#include <optional>
#include <span>

// #include "dh.hpp" (inlined above as mikey/payload/dh.hpp)
// #include "err.hpp" (inlined above as mikey/payload/err.hpp)
// #include "general_extension.hpp" (inlined above as mikey/payload/general_extension.hpp)
// #include "id.hpp" (inlined above as mikey/payload/id.hpp)
// #include "kemac.hpp" (inlined above as mikey/payload/kemac.hpp)
// #include "pke.hpp" (inlined above as mikey/payload/pke.hpp)
// #include "rand.hpp" (inlined above as mikey/payload/rand.hpp)
// #include "sign.hpp" (inlined above as mikey/payload/sign.hpp)
// #include "sp.hpp" (inlined above as mikey/payload/sp.hpp)
// #include "timestamp.hpp" (inlined above as mikey/payload/timestamp.hpp)
// #include "verification.hpp" (inlined above as mikey/payload/verification.hpp)

namespace mikey {

/// The size and Next Payload of one framed payload.
struct framed_payload {
    std::size_t size = 0;
    payload_type next = payload_type::last;
};

namespace detail {

template <class... Views>
struct view_list {};

/// Every payload that can stand in a chain, except TP and TICKET (which hold
/// chains themselves and are framed by message.hpp).
using plain_payload_views = view_list<kemac_view, pke_view, dh_view, sign_view, t_view, id_view, cert_view,
                                      chash_view, v_view, sp_view, rand_view, err_view, tr_view, idr_view,
                                      randr_view, general_extension_view, key_data_view>;

template <class... Views>
constexpr result<framed_payload> frame_one(view_list<Views...>, payload_type t, bytes_view in, errc underrun) noexcept {
    result<framed_payload> out(errc::unknown_payload_type);
    (void)((Views::type == t ? (out = [&]() -> result<framed_payload> {
                                   const auto v = Views::parse(in, underrun);
                                   if (!v) {
                                       return v.error_info();
                                   }
                                   return framed_payload{v->size(), v->next()};
                               }(),
                               true)
                             : false) ||
           ...);
    return out;
}

}  // namespace detail

/// Frames one payload of type `t` (not TP / TICKET) at the start of `in`.
/// Errors: misplaced_payload for Key data (it lives only inside KEMAC,
/// RFC 3830 §6.13) and for TP / TICKET; unknown_payload_type; any error of
/// the payload's own parse.
[[nodiscard]] constexpr result<framed_payload> frame_plain_payload(payload_type t, bytes_view in,
                                                                   errc underrun) noexcept {
    if (t == payload_type::key_data || t == payload_type::tp || t == payload_type::ticket) {
        return failure{errc::misplaced_payload, 0};
    }
    return detail::frame_one(detail::plain_payload_views{}, t, in, underrun);
}

/// A payload located in a validated chain. as<V>() gives its typed view.
struct chain_entry {
    payload_type type = payload_type::last;
    std::size_t offset = 0;  ///< from the start of the span the chain was walked in
    bytes_view bytes{};

    /// The typed view. Precondition: V::type == type (the chain is validated,
    /// so the parse cannot fail).
    template <class V>
    [[nodiscard]] constexpr V as() const noexcept {
        return *V::parse(bytes);
    }
};

/// What a walk found.
struct chain_summary {
    std::size_t count = 0;         ///< payloads in the chain
    std::size_t last_offset = 0;   ///< offset of the last payload
    payload_type last_type = payload_type::last;
};

/// Walks the chain that starts at `pos` in `in` with a payload of type
/// `first`, framing each payload with `frame(type, bytes, underrun)` and
/// handing each to `visit(const chain_entry&) -> result<void>`. The chain
/// must end exactly at the end of `in`.
/// Errors: those of `frame` and `visit` (offsets relative to `in`);
/// trailing_bytes when bytes follow the last payload.
template <class Frame, class Visit>
[[nodiscard]] constexpr result<chain_summary> walk_chain(bytes_view in, std::size_t pos, payload_type first,
                                                         errc underrun, Frame&& frame, Visit&& visit) noexcept {
    chain_summary s;
    payload_type t = first;
    while (t != payload_type::last) {
        const auto f = frame(t, in.subspan(pos), underrun);
        if (!f) {
            return shifted(f.error_info(), pos);
        }
        const chain_entry e{t, pos, in.subspan(pos, f->size)};
        if (auto ok = visit(e); !ok) {
            return ok.error_info();
        }
        s.count += 1;
        s.last_offset = pos;
        s.last_type = t;
        pos += f->size;
        t = f->next;
    }
    if (pos != in.size()) {
        return failure{errc::trailing_bytes, pos};
    }
    return s;
}

/// Iterates a validated chain (re-framing each payload; no allocation).
template <class Frame>
class chain_range {
public:
    constexpr chain_range(bytes_view in, std::size_t pos, payload_type first) noexcept
        : m_in(in), m_pos(pos), m_first(first) {}

    class iterator {
    public:
        using value_type = chain_entry;
        using difference_type = std::ptrdiff_t;
        constexpr iterator() noexcept = default;
        constexpr iterator(bytes_view in, std::size_t pos, payload_type t) noexcept : m_in(in), m_pos(pos), m_t(t) {
            load();
        }
        constexpr const chain_entry& operator*() const noexcept { return m_entry; }
        constexpr const chain_entry* operator->() const noexcept { return &m_entry; }
        constexpr iterator& operator++() noexcept {
            m_pos += m_entry.bytes.size();
            m_t = m_next;
            load();
            return *this;
        }
        constexpr iterator operator++(int) noexcept {
            auto old = *this;
            ++*this;
            return old;
        }
        constexpr bool operator==(const iterator& o) const noexcept {
            return m_t == payload_type::last ? o.m_t == payload_type::last : m_pos == o.m_pos && m_t == o.m_t;
        }

    private:
        constexpr void load() noexcept {
            if (m_t == payload_type::last) {
                return;
            }
            const auto f = *Frame{}(m_t, m_in.subspan(m_pos), errc::truncated);
            m_entry = chain_entry{m_t, m_pos, m_in.subspan(m_pos, f.size)};
            m_next = f.next;
        }
        bytes_view m_in{};
        std::size_t m_pos = 0;
        payload_type m_t = payload_type::last;
        payload_type m_next = payload_type::last;
        chain_entry m_entry{};
    };
    [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(m_in, m_pos, m_first); }
    [[nodiscard]] constexpr iterator end() const noexcept { return iterator(); }

private:
    bytes_view m_in;
    std::size_t m_pos;
    payload_type m_first;
};

/// Frames plain payloads; the framer of inner chains.
struct plain_framer {
    constexpr result<framed_payload> operator()(payload_type t, bytes_view in, errc underrun) const noexcept {
        return frame_plain_payload(t, in, underrun);
    }
};

/// Appends payloads to a byte_writer and fixes every Next Payload field: each
/// payload is written with Next Payload 0 and the field that points to it
/// (the previous payload's, the HDR's, or a First Payload byte) is patched
/// to its type. Nothing may follow SIGN (invalid_argument).
class chain_writer {
public:
    /// `link_at`: offset in `w` of the field that names the first payload, or
    /// nullopt when the first payload is found by position (THDR).
    constexpr chain_writer(byte_writer& w, std::optional<std::size_t> link_at) noexcept : m_w(&w), m_link(link_at) {}

    template <payload_builder B>
    constexpr chain_writer& add(const B& b) noexcept {
        if (m_closed) {
            m_w->fail(errc::invalid_argument);
            return *this;
        }
        const std::size_t start = m_w->size();
        if (m_link) {
            m_w->patch_u8(*m_link, static_cast<std::uint8_t>(B::type));
        }
        b.write(*m_w);
        m_closed = B::type == payload_type::sign;
        m_link = start;
        return *this;
    }
    /// Adds the payload when present.
    template <payload_builder B>
    constexpr chain_writer& add(const std::optional<B>& b) noexcept {
        return b ? add(*b) : *this;
    }
    /// Adds each payload in order.
    template <payload_builder B>
    constexpr chain_writer& add(std::span<const B> bs) noexcept {
        for (const auto& b : bs) {
            add(b);
        }
        return *this;
    }
    template <payload_builder B, std::size_t N>
    constexpr chain_writer& add(const std::array<B, N>& bs) noexcept {
        return add(std::span<const B>(bs));
    }

private:
    byte_writer* m_w;
    std::optional<std::size_t> m_link;
    bool m_closed = false;
};

/// Writes a First Payload byte and the chain of `payloads` (TP Data,
/// Initiator Data: RFC 6043 §6.10) into `out`. Returns the bytes written.
/// Errors: buffer_too_small; the builders' own errors.
template <class... Bs>
[[nodiscard]] constexpr result<bytes_view> build_payload_chain(mutable_bytes out, const Bs&... payloads) noexcept {
    byte_writer w(out);
    w.u8(0);
    chain_writer c(w, std::size_t{0});
    (c.add(payloads), ...);
    if (w.failed()) {
        return w.error();
    }
    return w.written();
}

/// The exact size build_payload_chain writes.
template <class... Bs>
[[nodiscard]] constexpr std::size_t payload_chain_size(const Bs&... payloads) noexcept {
    byte_writer w;
    w.u8(0);
    chain_writer c(w, std::size_t{0});
    (c.add(payloads), ...);
    return w.size();
}

}  // namespace mikey
// ---- end mikey/payload/chain.hpp ----
// #include "payload/ticket.hpp" (inlined)
// ---- begin mikey/payload/ticket.hpp ----
// mikey-ticket: TP and TICKET (RFC 6043 §6.10), the Ticket Header THDR and
// the MIKEY base ticket's Ticket Data (RFC 6043 App. A).

// #include "chain.hpp" (inlined above as mikey/payload/chain.hpp)

namespace mikey {

/// The twelve Ticket Policy flags (RFC 6043 §6.10), named as in the RFC.
struct ticket_flags {
    bool d = false;  ///< ticket generated by the KMS (1) or the Initiator (0)
    bool e = false;  ///< Ticket Resolve exchange MANDATORY
    bool f = false;  ///< TRANSFER_RESP SHALL be sent
    bool g = false;  ///< Responder SHALL generate RANDRr
    bool h = false;  ///< RANDRi used when deriving keys from a TGK/GTGK
    bool i = false;  ///< key forking SHALL be used
    bool j = false;  ///< the ticket MAY be reused
    bool k = false;  ///< the KMS changed the desired policy or KEMAC
    bool l = false;  ///< the Initiator MAY supply session keys
    bool m = false;  ///< the Responder MAY supply session keys
    bool n = false;  ///< a plain RFC 6043 Initiator can use the ticket
    bool o = false;  ///< a plain RFC 6043 Responder can process the ticket
    friend constexpr bool operator==(const ticket_flags&, const ticket_flags&) = default;
};

/// Checks the flag dependencies of RFC 6043 §6.10: "NOT D implies L, G implies
/// F, NOT G implies H, NOT H implies G, I implies E, K implies D, and M
/// implies F". K is set by the KMS only and is ignored in a desired policy
/// (TP), so K implies D is checked for granted policies (TICKET) only.
/// Errors: one errc per rule.
[[nodiscard]] constexpr result<void> check_ticket_flags(const ticket_flags& f, bool granted) noexcept {
    if (!f.d && !f.l) {
        return errc::flag_l_required_without_d;
    }
    if (f.g && !f.f) {
        return errc::flag_f_required_by_g;
    }
    if (!f.g && !f.h) {
        return errc::flag_g_or_h_required;
    }
    if (f.i && !f.e) {
        return errc::flag_e_required_by_i;
    }
    if (granted && f.k && !f.d) {
        return errc::flag_d_required_by_k;
    }
    if (f.m && !f.f) {
        return errc::flag_f_required_by_m;
    }
    return {};
}

/// The fixed part shared by TP and TICKET.
struct ticket_policy {
    ticket_type kind = ticket_type::mikey_base_ticket;
    std::uint8_t subtype = 1;
    std::uint8_t version = 1;
    prf_func prf = prf_func::mikey_1;  ///< the PRF for forking and ticket keys
    ticket_flags flags{};
    friend constexpr bool operator==(const ticket_policy&, const ticket_policy&) = default;

    /// Ticket Type 1, Subtype 1, Version 1: the MIKEY base ticket of RFC 6043 App. A.
    [[nodiscard]] constexpr bool is_base_ticket() const noexcept {
        return kind == ticket_type::mikey_base_ticket && subtype == 1 && version == 1;
    }
};

namespace detail {

constexpr ticket_flags decode_flags(std::uint8_t b5, std::uint8_t b6, std::uint8_t b7) noexcept {
    return {(b5 & 0x01) != 0, (b6 & 0x80) != 0, (b6 & 0x40) != 0, (b6 & 0x20) != 0,
            (b6 & 0x10) != 0, (b6 & 0x08) != 0, (b6 & 0x04) != 0, (b6 & 0x02) != 0,
            (b6 & 0x01) != 0, (b7 & 0x80) != 0, (b7 & 0x40) != 0, (b7 & 0x20) != 0};
}

constexpr void write_policy(byte_writer& w, payload_type t, const ticket_policy& p, bytes_view tp_data) noexcept {
    if (auto ok = check_ticket_flags(p.flags, t == payload_type::ticket); !ok) {
        w.fail(ok.error());
        return;
    }
    if (static_cast<unsigned>(p.prf) > 0x7F) {
        w.fail(errc::invalid_argument);
        return;
    }
    const auto& f = p.flags;
    w.u8(0);
    w.u16(static_cast<std::uint16_t>(p.kind));
    w.u8(p.subtype);
    w.u8(p.version);
    w.u8(static_cast<unsigned>(p.prf) << 1 | (f.d ? 1u : 0u));
    w.u8((f.e ? 0x80u : 0u) | (f.f ? 0x40u : 0u) | (f.g ? 0x20u : 0u) | (f.h ? 0x10u : 0u) | (f.i ? 0x08u : 0u) |
         (f.j ? 0x04u : 0u) | (f.k ? 0x02u : 0u) | (f.l ? 0x01u : 0u));
    w.u8((f.m ? 0x80u : 0u) | (f.n ? 0x40u : 0u) | (f.o ? 0x20u : 0u));
    w.length(tp_data.size(), 2);
    w.bytes(tp_data);
}

/// A chain that starts with a First Payload byte (TP Data, Initiator Data).
[[nodiscard]] constexpr chain_range<plain_framer> first_byte_chain(bytes_view data) noexcept {
    return data.empty() ? chain_range<plain_framer>(data, 0, payload_type::last)
                        : chain_range<plain_framer>(data, 1, static_cast<payload_type>(data[0]));
}

/// Validates TP Data: First Payload, [IDRkms], [IDRi], [TRs], [TRe], [TRr],
/// [KEMAC], {IDRapp}, (IDRr) (RFC 6043 §6.10). Unexpected payloads are
/// ignored (SHOULD); offsets relative to `data`.
[[nodiscard]] constexpr result<void> check_tp_data(bytes_view data, bool granted) noexcept {
    if (data.empty()) {
        return failure{errc::missing_payload, 0};
    }
    std::size_t responders = 0;
    const auto walked = walk_chain(
        data, 1, static_cast<payload_type>(data[0]), errc::length_out_of_bounds, plain_framer{},
        [&](const chain_entry& e) -> result<void> {
            if (e.type == payload_type::kemac) {
                // RFC 6043 §6.10: "The KEMAC SHALL NOT be present in the granted Ticket Policy."
                if (granted) {
                    return failure{errc::kemac_in_granted_policy, e.offset};
                }
                // RFC 6043 §6.10: the KEMAC "SHALL use the NULL encryption algorithm and the NULL
                // authentication algorithm".
                const auto k = e.as<kemac_view>();
                if (k.encryption() != encr_alg::null || k.mac_algorithm() != mac_alg::null) {
                    return failure{errc::tp_kemac_not_null, e.offset};
                }
            } else if (e.type == payload_type::tr) {
                // RFC 6043 §6.10: for TRr "TS Type SHALL be NTP-UTC-32".
                const auto tr = e.as<tr_view>();
                if (tr.role() == ts_role::trr && tr.kind() != ts_type::ntp_utc_32) {
                    return failure{errc::trr_not_ntp_utc_32, e.offset};
                }
            } else if (e.type == payload_type::idr && e.as<idr_view>().role() == id_role::idrr) {
                ++responders;
            }
            return {};
        });
    if (!walked) {
        return walked.error_info();
    }
    // RFC 6043 §6.10: TP Data ends with (IDRr): at least one authorized responder.
    if (responders == 0) {
        return failure{errc::missing_payload, data.size()};
    }
    return {};
}

/// Validates Initiator Data: First Payload, Vi, Vr (RFC 6043 §6.10): at least
/// two V payloads, the last one Vr. Offsets relative to `data`.
[[nodiscard]] constexpr result<void> check_initiator_data(bytes_view data) noexcept {
    std::size_t vs = 0;
    const auto walked = walk_chain(data, 1, static_cast<payload_type>(data[0]), errc::length_out_of_bounds,
                                   plain_framer{}, [&](const chain_entry& e) -> result<void> {
                                       vs += e.type == payload_type::v ? 1 : 0;
                                       return {};
                                   });
    if (!walked) {
        return walked.error_info();
    }
    if (vs < 2) {
        return failure{errc::missing_payload, data.size()};
    }
    // RFC 6043 §6.10: "The last payload (Vr) SHALL be a Verification payload".
    if (walked->last_type != payload_type::v) {
        return failure{errc::wrong_last_payload, walked->last_offset};
    }
    return {};
}

}  // namespace detail

struct thdr_builder;

/// THDR: Next | THDR Data length(16) | THDR Data (RFC 6043 App. A.3). It has
/// no Next Payload value: it is known by its position, first in the base
/// ticket's Ticket Data.
class thdr_view : public payload_bytes {
public:
    /// Errors: underrun.
    [[nodiscard]] static constexpr result<thdr_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                           errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const bytes_view data = r.take(r.u16());
        if (r.failed()) {
            return r.error();
        }
        return thdr_view(in.first(r.offset()), data);
    }
    /// Implementation-specific THDR Data.
    [[nodiscard]] constexpr bytes_view data() const noexcept { return m_data; }
    [[nodiscard]] constexpr thdr_builder to_builder() const noexcept;

private:
    constexpr thdr_view(bytes_view b, bytes_view data) noexcept : payload_bytes(b), m_data(data) {}
    bytes_view m_data{};
};

struct thdr_builder {
    bytes_view data{};
    constexpr void write(byte_writer& w) const noexcept {
        w.u8(0);
        w.length(data.size(), 2);
        w.bytes(data);
    }
};

constexpr thdr_builder thdr_view::to_builder() const noexcept { return {m_data}; }

/// The Ticket Data of a MIKEY base ticket: THDR, T, RAND, KEMAC, [IDRpsk], V
/// (RFC 6043 App. A). Unexpected payloads are ignored (SHOULD).
class base_ticket_view {
public:
    /// Errors (offsets relative to `data`): length_out_of_bounds;
    /// the payloads' own errors; misplaced_payload (Key data, TP, TICKET);
    /// missing_payload (T, RAND or KEMAC absent); wrong_last_payload (not V);
    /// trailing_bytes.
    [[nodiscard]] static constexpr result<base_ticket_view> parse(bytes_view data MIKEY_LIFETIMEBOUND) noexcept {
        const auto thdr = thdr_view::parse(data, errc::length_out_of_bounds);
        if (!thdr) {
            return thdr.error_info();
        }
        base_ticket_view v(data, thdr->size());
        const auto walked = walk_chain(data, thdr->size(), thdr->next(), errc::length_out_of_bounds,
                                       plain_framer{}, [&](const chain_entry& e) -> result<void> {
                                           v.note(e);
                                           return {};
                                       });
        if (!walked) {
            return walked.error_info();
        }
        // RFC 6043 App. A: "The last payload SHALL be a Verification payload (V)".
        if (walked->last_type != payload_type::v) {
            return failure{errc::wrong_last_payload, walked->last_offset};
        }
        if (v.m_t == 0 || v.m_rand == 0 || v.m_kemac == 0) {
            return failure{errc::missing_payload, data.size()};
        }
        v.m_v = walked->last_offset;
        return v;
    }

    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return m_data; }
    [[nodiscard]] constexpr thdr_view thdr() const noexcept { return *thdr_view::parse(m_data); }
    [[nodiscard]] constexpr t_view t() const noexcept { return at<t_view>(m_t); }
    [[nodiscard]] constexpr rand_view rand() const noexcept { return at<rand_view>(m_rand); }
    [[nodiscard]] constexpr kemac_view kemac() const noexcept { return at<kemac_view>(m_kemac); }
    [[nodiscard]] constexpr std::optional<idr_view> idrpsk() const noexcept {
        return m_idrpsk == 0 ? std::nullopt : std::optional<idr_view>(at<idr_view>(m_idrpsk));
    }
    [[nodiscard]] constexpr v_view v() const noexcept { return at<v_view>(m_v); }
    /// Offset of V's MAC field within bytes().
    [[nodiscard]] constexpr std::size_t mac_offset() const noexcept { return m_v + v().value_offset(); }
    /// Every payload after THDR, in order.
    [[nodiscard]] constexpr chain_range<plain_framer> payloads() const noexcept {
        return {m_data, m_first, thdr().next()};
    }

private:
    constexpr base_ticket_view(bytes_view data, std::size_t first) noexcept : m_data(data), m_first(first) {}
    constexpr void note(const chain_entry& e) noexcept {
        auto first_of = [&](std::size_t& slot) { slot = slot == 0 ? e.offset : slot; };
        switch (e.type) {
            case payload_type::t: first_of(m_t); break;
            case payload_type::rand: first_of(m_rand); break;
            case payload_type::kemac: first_of(m_kemac); break;
            case payload_type::idr:
                if (e.as<idr_view>().role() == id_role::idrpsk) {
                    first_of(m_idrpsk);
                }
                break;
            default: break;
        }
    }
    template <class V>
    constexpr V at(std::size_t off) const noexcept {
        return *V::parse(m_data.subspan(off));
    }
    bytes_view m_data;
    std::size_t m_first;
    std::size_t m_t = 0, m_rand = 0, m_kemac = 0, m_idrpsk = 0, m_v = 0;
};

/// Writes base-ticket Ticket Data: THDR then `payloads` (RFC 6043 App. A).
/// Errors: buffer_too_small; the builders' own errors.
template <class... Bs>
[[nodiscard]] constexpr result<bytes_view> build_base_ticket_data(mutable_bytes out, const thdr_builder& thdr,
                                                                  const Bs&... payloads) noexcept {
    byte_writer w(out);
    thdr.write(w);
    chain_writer c(w, std::size_t{0});
    (c.add(payloads), ...);
    if (w.failed()) {
        return w.error();
    }
    return w.written();
}

template <bool Granted>
struct basic_ticket_builder;

/// TP (Granted = false: the desired policy, RFC 6043 §6.10) or TICKET
/// (Granted = true: granted policy, Ticket Data, Initiator Data):
/// Next | Ticket Type(16) | Subtype | Version | PRF Func(7) D | E F G H I J K L |
/// M N O Res(5) | TP Data length(16) | TP Data [| Ticket Data length(16) |
/// Ticket Data | Initiator Data length(16) | Initiator Data].
template <bool Granted>
class basic_ticket_view : public payload_bytes {
public:
    static constexpr payload_type type = Granted ? payload_type::ticket : payload_type::tp;

    /// Errors: underrun; unknown_ticket_type; unknown_prf_func;
    /// reserved_bits_set (Res); the flag rules (check_ticket_flags); TP Data
    /// errors (missing_payload without IDRr, tp_kemac_not_null,
    /// kemac_in_granted_policy, trr_not_ntp_utc_32, chain errors);
    /// initiator_data_without_i; Initiator Data and base-ticket Ticket Data
    /// chain errors.
    [[nodiscard]] static constexpr result<basic_ticket_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                                   errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto kind = static_cast<ticket_type>(r.u16());
        (void)r.u16();
        const auto b5 = r.u8();
        const auto b6 = r.u8();
        const auto b7 = r.u8();
        const bytes_view tp_data = r.take(r.u16());
        bytes_view ticket_data{};
        bytes_view initiator_data{};
        std::size_t initiator_at = r.offset();
        if constexpr (Granted) {
            ticket_data = r.take(r.u16());
            initiator_at = r.offset();
            initiator_data = r.take(r.u16());
        }
        if (r.failed()) {
            return r.error();
        }
        if (!is_acceptable(kind)) {
            return failure{errc::unknown_ticket_type, 1};
        }
        if (!is_acceptable(static_cast<prf_func>(b5 >> 1))) {
            return failure{errc::unknown_prf_func, 5};
        }
        // RFC 6043 §6.10: Res (5 bits), reserved for future use.
        if ((b7 & 0x1F) != 0) {
            return failure{errc::reserved_bits_set, 7};
        }
        const ticket_flags flags = detail::decode_flags(b5, b6, b7);
        if (auto ok = check_ticket_flags(flags, Granted); !ok) {
            return failure{ok.error(), 5};
        }
        if (auto ok = detail::check_tp_data(tp_data, Granted); !ok) {
            return shifted(ok.error_info(), 10);
        }
        basic_ticket_view v(in.first(r.offset()), tp_data, ticket_data, initiator_data, initiator_at);
        if constexpr (Granted) {
            const std::size_t ticket_at = 12 + tp_data.size();
            if (!initiator_data.empty()) {
                // RFC 6043 §6.10: Initiator Data "SHALL be inserted by the Initiator if and only if
                // key forking is used (I flag)".
                if (!flags.i) {
                    return failure{errc::initiator_data_without_i, initiator_at};
                }
                if (auto ok = detail::check_initiator_data(initiator_data); !ok) {
                    return shifted(ok.error_info(), initiator_at + 2);
                }
            }
            if (v.policy().is_base_ticket()) {
                if (auto bt = base_ticket_view::parse(ticket_data); !bt) {
                    return shifted(bt.error_info(), ticket_at);
                }
            }
        }
        return v;
    }

    [[nodiscard]] constexpr ticket_policy policy() const noexcept {
        return {static_cast<ticket_type>(m_bytes[1] << 8 | m_bytes[2]), m_bytes[3], m_bytes[4],
                static_cast<prf_func>(m_bytes[5] >> 1), detail::decode_flags(m_bytes[5], m_bytes[6], m_bytes[7])};
    }
    [[nodiscard]] constexpr ticket_flags flags() const noexcept { return policy().flags; }
    /// TP Data, including its First Payload byte.
    [[nodiscard]] constexpr bytes_view tp_data() const noexcept { return m_tp_data; }
    /// The payloads of TP Data.
    [[nodiscard]] constexpr chain_range<plain_framer> tp_payloads() const noexcept {
        return detail::first_byte_chain(m_tp_data);
    }
    /// Ticket Data (TICKET only).
    [[nodiscard]] constexpr bytes_view ticket_data() const noexcept
        requires Granted
    {
        return m_ticket_data;
    }
    /// Initiator Data, including its First Payload byte (TICKET only; empty without key forking).
    [[nodiscard]] constexpr bytes_view initiator_data() const noexcept
        requires Granted
    {
        return m_initiator_data;
    }
    /// The payloads of Initiator Data (Vi, Vr).
    [[nodiscard]] constexpr chain_range<plain_framer> initiator_payloads() const noexcept
        requires Granted
    {
        return detail::first_byte_chain(m_initiator_data);
    }
    /// Offset within bytes() of the Initiator Data length field: the TRANSFER_INIT
    /// MAC skips bytes() from here to the end (RFC 6043 §5.5).
    [[nodiscard]] constexpr std::size_t initiator_data_length_offset() const noexcept
        requires Granted
    {
        return m_initiator_at;
    }
    /// The base ticket's Ticket Data. Errors: ticket_data_unparsed when the
    /// policy is not the MIKEY base ticket (Type 1, Subtype 1, Version 1).
    [[nodiscard]] constexpr result<base_ticket_view> base_ticket() const noexcept
        requires Granted
    {
        if (!policy().is_base_ticket()) {
            return errc::ticket_data_unparsed;
        }
        return base_ticket_view::parse(m_ticket_data);
    }
    [[nodiscard]] constexpr basic_ticket_builder<Granted> to_builder() const noexcept;

private:
    constexpr basic_ticket_view(bytes_view b, bytes_view tp, bytes_view td, bytes_view id, std::size_t id_at) noexcept
        : payload_bytes(b), m_tp_data(tp), m_ticket_data(td), m_initiator_data(id), m_initiator_at(id_at) {}
    bytes_view m_tp_data{};
    bytes_view m_ticket_data{};
    bytes_view m_initiator_data{};
    std::size_t m_initiator_at = 0;
};

/// Builds a TP or TICKET from a policy and pre-built data fields (make TP
/// Data and Initiator Data with build_payload_chain, base-ticket Ticket Data
/// with build_base_ticket_data). Errors on write: the flag-rule errc of
/// check_ticket_flags; invalid_argument (PRF above 127, Ticket or Initiator
/// Data in a TP); field_too_long.
template <bool Granted>
struct basic_ticket_builder {
    static constexpr payload_type type = Granted ? payload_type::ticket : payload_type::tp;
    ticket_policy policy{};
    bytes_view tp_data{};
    bytes_view ticket_data{};
    bytes_view initiator_data{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!Granted && (!ticket_data.empty() || !initiator_data.empty())) {
            w.fail(errc::invalid_argument);
            return;
        }
        detail::write_policy(w, type, policy, tp_data);
        if constexpr (Granted) {
            w.length(ticket_data.size(), 2);
            w.bytes(ticket_data);
            w.length(initiator_data.size(), 2);
            w.bytes(initiator_data);
        }
    }
};

template <bool Granted>
constexpr basic_ticket_builder<Granted> basic_ticket_view<Granted>::to_builder() const noexcept {
    if constexpr (Granted) {
        return {policy(), m_tp_data, m_ticket_data, m_initiator_data};
    } else {
        return {policy(), m_tp_data, {}, {}};
    }
}

using tp_view = basic_ticket_view<false>;
using tp_builder = basic_ticket_builder<false>;
using ticket_view = basic_ticket_view<true>;
using ticket_builder = basic_ticket_builder<true>;

}  // namespace mikey
// ---- end mikey/payload/ticket.hpp ----
// #include "message.hpp" (inlined)
// ---- begin mikey/message.hpp ----
// mikey-ticket: a whole MIKEY message: HDR followed by a validated payload
// chain (RFC 3830 §6), with typed lookup, iteration, the byte ranges its MAC
// covers, and a builder that links the Next Payload fields itself.

#include <array>
#include <optional>
#include <vector>

// #include "payload/hdr.hpp" (inlined above as mikey/payload/hdr.hpp)
// #include "payload/ticket.hpp" (inlined above as mikey/payload/ticket.hpp)

namespace mikey {

/// Frames any payload that may stand in a message, TP and TICKET included.
struct message_framer {
    constexpr result<framed_payload> operator()(payload_type t, bytes_view in, errc underrun) const noexcept {
        if (t == payload_type::tp) {
            return frame(tp_view::parse(in, underrun));
        }
        if (t == payload_type::ticket) {
            return frame(ticket_view::parse(in, underrun));
        }
        return frame_plain_payload(t, in, underrun);
    }

private:
    template <class V>
    static constexpr result<framed_payload> frame(const result<V>& v) noexcept {
        if (!v) {
            return v.error_info();
        }
        return framed_payload{v->size(), v->next()};
    }
};

/// The bytes a MAC or signature is computed over, in order, and the field
/// that holds it. At most two parts: TRANSFER_INIT skips the TICKET's
/// Initiator Data length and Initiator Data (RFC 6043 §5.5).
struct mac_coverage {
    std::array<bytes_view, 2> parts{};
    std::size_t part_count = 0;
    bytes_view mac_field{};

    [[nodiscard]] constexpr std::span<const bytes_view> covered() const noexcept {
        return std::span<const bytes_view>(parts.data(), part_count);
    }
    /// Total number of covered bytes.
    [[nodiscard]] constexpr std::size_t covered_size() const noexcept {
        std::size_t n = 0;
        for (const auto p : covered()) {
            n += p.size();
        }
        return n;
    }
};

/// A validated MIKEY message. Views into the caller's buffer; no allocation.
class message_view {
public:
    /// Validates the header and the whole payload chain: every payload's own
    /// rules, Last payload ends the chain (or SIGN does, RFC 3830 §6.5), no
    /// byte follows it, no Key data outside KEMAC, no SP with the Empty map
    /// (RFC 4563 §5).
    /// Errors: truncated; trailing_bytes; unknown_payload_type;
    /// misplaced_payload; sp_with_empty_map; every error of hdr_view::parse and
    /// of the payload views. The offset is from the start of `in`.
    [[nodiscard]] static constexpr result<message_view> parse(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        const auto hdr = hdr_view::parse(in);
        if (!hdr) {
            return hdr.error_info();
        }
        const bool empty_map = hdr->map_type() == cs_id_map_type::empty;
        const auto walked = walk_chain(in, hdr->size(), hdr->next(), errc::truncated, message_framer{},
                                       [&](const chain_entry& e) -> result<void> {
                                           // RFC 4563 §5: with the Empty map "there MUST NOT be any
                                           // Security Policy payload present in the message".
                                           if (empty_map && e.type == payload_type::sp) {
                                               return failure{errc::sp_with_empty_map, e.offset};
                                           }
                                           return {};
                                       });
        if (!walked) {
            return walked.error_info();
        }
        return message_view(in, *hdr, *walked);
    }
    /// Refuses temporaries: the view would dangle.
    static result<message_view> parse(std::vector<std::uint8_t>&&) = delete;

    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return m_bytes; }
    [[nodiscard]] constexpr const hdr_view& header() const noexcept { return m_hdr; }
    [[nodiscard]] constexpr data_type type() const noexcept { return m_hdr.type(); }
    /// Number of payloads after the header.
    [[nodiscard]] constexpr std::size_t payload_count() const noexcept { return m_summary.count; }
    /// The payloads after the header, in order.
    [[nodiscard]] constexpr chain_range<message_framer> payloads() const noexcept {
        return {m_bytes, m_hdr.size(), m_hdr.next()};
    }
    /// The last payload (absent when the message is only a header).
    [[nodiscard]] constexpr std::optional<chain_entry> last_payload() const noexcept {
        if (m_summary.count == 0) {
            return std::nullopt;
        }
        const auto f = *message_framer{}(m_summary.last_type, m_bytes.subspan(m_summary.last_offset), errc::truncated);
        return chain_entry{m_summary.last_type, m_summary.last_offset, m_bytes.subspan(m_summary.last_offset, f.size)};
    }

    /// The first payload of view type V for which pred(view) holds.
    template <class V, class Pred>
    [[nodiscard]] constexpr std::optional<V> find(Pred&& pred) const noexcept {
        for (const auto& e : payloads()) {
            if (e.type == V::type) {
                const V v = e.as<V>();
                if (pred(v)) {
                    return v;
                }
            }
        }
        return std::nullopt;
    }
    /// The first payload of view type V.
    template <class V>
    [[nodiscard]] constexpr std::optional<V> first() const noexcept {
        return find<V>([](const V&) { return true; });
    }
    /// Number of payloads of type t.
    [[nodiscard]] constexpr std::size_t count(payload_type t) const noexcept {
        std::size_t n = 0;
        for (const auto& e : payloads()) {
            n += e.type == t ? 1 : 0;
        }
        return n;
    }
    /// The first IDR with the given role (e.g. id_role::idrr).
    [[nodiscard]] constexpr std::optional<idr_view> idr(id_role role) const noexcept {
        return find<idr_view>([role](const idr_view& v) { return v.role() == role; });
    }
    /// The first RANDR with the given role (e.g. rand_role::randrkms).
    [[nodiscard]] constexpr std::optional<randr_view> randr(rand_role role) const noexcept {
        return find<randr_view>([role](const randr_view& v) { return v.role() == role; });
    }

    /// The bytes the message's closing MAC or signature covers and the field
    /// that holds it (RFC 3830 §5.2, RFC 6043 §5.5): everything before the
    /// MAC / signature field of the last payload (V, KEMAC in the RFC 3830
    /// PSK message, or SIGN, whose own 2-byte header is covered). For
    /// TRANSFER_INIT the TICKET's Initiator Data length and Initiator Data
    /// are cut out. The identities or initial message that the RFC appends
    /// to the MAC input are the crypto layer's business.
    /// Errors: wrong_last_payload when the message does not end with V,
    /// KEMAC or SIGN.
    [[nodiscard]] constexpr result<mac_coverage> mac_input() const noexcept {
        const auto last = last_payload();
        if (!last) {
            return failure{errc::wrong_last_payload, m_bytes.size()};
        }
        std::size_t mac_at = 0;
        switch (last->type) {
            case payload_type::v: mac_at = last->as<v_view>().value_offset(); break;
            case payload_type::kemac: mac_at = last->as<kemac_view>().mac_offset(); break;
            case payload_type::sign: mac_at = 2; break;
            default: return failure{errc::wrong_last_payload, last->offset};
        }
        mac_at += last->offset;
        mac_coverage c;
        c.mac_field = m_bytes.subspan(mac_at);
        std::size_t from = 0;
        if (type() == data_type::transfer_init) {
            for (const auto& e : payloads()) {
                if (e.type == payload_type::ticket) {
                    const auto t = e.as<ticket_view>();
                    const std::size_t cut = e.offset + t.initiator_data_length_offset();
                    c.parts[c.part_count++] = m_bytes.subspan(0, cut);
                    from = e.offset + t.size();
                    break;
                }
            }
        }
        c.parts[c.part_count++] = m_bytes.subspan(from, mac_at - from);
        return c;
    }

private:
    constexpr message_view(bytes_view b, hdr_view h, chain_summary s) noexcept : m_bytes(b), m_hdr(h), m_summary(s) {}
    bytes_view m_bytes;
    hdr_view m_hdr;
    chain_summary m_summary;
};

/// Builds a message into a caller buffer: header first, then payloads; each
/// Next Payload field is set from the payload that follows.
///
///     std::array<std::uint8_t, 512> buf;
///     message_builder b(buf);
///     b.header(hdr).add(t).add(randr).add(ticket).add(v);
///     auto bytes = b.finish();  // result<bytes_view>
///
/// A builder made without a buffer only counts: size() is then the exact
/// size the same calls write.
class message_builder {
public:
    /// A counting builder.
    constexpr message_builder() noexcept = default;
    constexpr explicit message_builder(mutable_bytes out) noexcept : m_w(out) {}
    // The chain writer points into this object.
    message_builder(const message_builder&) = delete;
    message_builder& operator=(const message_builder&) = delete;

    /// Writes the header. Must be the first call (else invalid_argument).
    constexpr message_builder& header(const hdr_builder& h) noexcept {
        if (m_w.size() != 0) {
            m_w.fail(errc::invalid_argument);
            return *this;
        }
        h.write(m_w);
        m_chain = chain_writer(m_w, std::size_t{2});
        return *this;
    }
    /// Appends a payload (or an optional one, or a span of them).
    template <class B>
    constexpr message_builder& add(const B& b) noexcept {
        if (!m_chain) {
            m_w.fail(errc::invalid_argument);
            return *this;
        }
        m_chain->add(b);
        return *this;
    }
    /// The message, or the first error: buffer_too_small, field_too_long,
    /// invalid_argument (no header, payload after SIGN, a builder's own check).
    [[nodiscard]] constexpr result<bytes_view> finish() const noexcept {
        if (m_w.failed()) {
            return m_w.error();
        }
        if (!m_chain) {
            return errc::invalid_argument;
        }
        return m_w.written();
    }
    /// Bytes written (or counted) so far.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_w.size(); }

private:
    byte_writer m_w{};
    std::optional<chain_writer> m_chain{};
};

/// Writes HDR and `payloads` into `out` (see message_builder).
template <class... Bs>
[[nodiscard]] constexpr result<bytes_view> build_message(mutable_bytes out, const hdr_builder& hdr,
                                                         const Bs&... payloads) noexcept {
    message_builder b(out);
    b.header(hdr);
    (b.add(payloads), ...);
    return b.finish();
}

/// The exact size build_message writes for the same arguments.
template <class... Bs>
[[nodiscard]] constexpr std::size_t message_size(const hdr_builder& hdr, const Bs&... payloads) noexcept {
    message_builder b;
    b.header(hdr);
    (b.add(payloads), ...);
    return b.size();
}

}  // namespace mikey
// ---- end mikey/message.hpp ----
// #include "schema.hpp" (inlined)
// ---- begin mikey/schema.hpp ----
// mikey-ticket: message schemas as constexpr tables: which payloads a message
// of each type carries, in which order, mandatory or optional (RFC 3830 §3,
// §5.1.2; RFC 6043 §4.2, §5.2, §5.4), and the check that a message conforms.

#include <array>
#include <span>
#include <string_view>

// #include "message.hpp" (inlined above as mikey/message.hpp)

namespace mikey {

/// How often a schema item may occur: X, [X], {X}, (X) in the RFCs' notation.
enum class occurs : std::uint8_t { once, optional, any, at_least_once };

/// One payload of a schema. `role` restricts IDR (id_role), RANDR (rand_role)
/// and TR (ts_role) items; 0 accepts any role.
struct schema_item {
    payload_type type;
    occurs occ;
    std::uint8_t role = 0;
};

/// A message composition.
struct message_schema {
    std::string_view name;
    data_type type;
    std::span<const schema_item> items;
    /// Request / Resolve: "#CS MUST be set to '0' and the CS ID map type SHALL
    /// be the Empty map" (RFC 6043 §4.2.1.1, §4.2.3.1, copied by the responses).
    bool no_crypto_sessions = false;
    /// Transfer: "The map type SRTP-ID SHALL NOT be used" (RFC 6043 §6.1).
    bool no_srtp_id_map = false;
    /// The TICKET must carry Initiator Data when its I flag is set (it is
    /// inserted into TRANSFER_INIT and resolved as received, RFC 6043 §6.10).
    bool initiator_data_if_forking = false;
    /// The last payload must be the schema's last item (false where it is
    /// "[V|SIGN]", i.e. Error messages).
    bool closing_payload = true;
};

namespace schema_detail {
constexpr std::uint8_t r(id_role x) { return static_cast<std::uint8_t>(x); }
constexpr std::uint8_t r(rand_role x) { return static_cast<std::uint8_t>(x); }
using enum occurs;
using P = payload_type;

// RFC 3830 §3.1: I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, KEMAC
inline constexpr schema_item psk_init[] = {{P::t, once}, {P::rand, once}, {P::id, optional}, {P::id, optional},
                                           {P::sp, any}, {P::kemac, once}};
// RFC 3830 §3.1: R_MESSAGE = HDR, T, [IDr], V
inline constexpr schema_item psk_verification[] = {{P::t, once}, {P::id, optional}, {P::v, once}};
// RFC 3830 §3.2: I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, KEMAC, [CHASH], PKE, SIGNi
// ([IDi|CERTi] is checked as [ID], {CERT}: a certificate chain is one CERT per certificate.)
inline constexpr schema_item pk_init[] = {{P::t, once},     {P::rand, once},   {P::id, optional},
                                          {P::cert, any},   {P::id, optional}, {P::sp, any},
                                          {P::kemac, once}, {P::chash, optional}, {P::pke, once},
                                          {P::sign, once}};
// RFC 3830 §3.2: R_MESSAGE = HDR, T, [IDr], V
inline constexpr schema_item pk_verification[] = {{P::t, once}, {P::id, optional}, {P::v, once}};
// RFC 3830 §3.3: I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, DHi, SIGNi
inline constexpr schema_item dh_init[] = {{P::t, once},  {P::rand, once}, {P::id, optional}, {P::cert, any},
                                          {P::id, optional}, {P::sp, any}, {P::dh, once},   {P::sign, once}};
// RFC 3830 §3.3: R_MESSAGE = HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr
inline constexpr schema_item dh_response[] = {{P::t, once},  {P::id, optional}, {P::cert, any}, {P::id, once},
                                              {P::dh, once}, {P::dh, once},     {P::sign, once}};
// RFC 3830 §5.1.2: Error message = HDR, T, {ERR}, {SP}, [V|SIGNr]
inline constexpr schema_item error[] = {{P::t, once}, {P::err, any}, {P::sp, any}, {P::v, optional},
                                        {P::sign, optional}};
// RFC 6043 §5.4: HDR, T, (ERR), [V|SIGNx] and HDR, T, (ERR), {SP}, [V]
inline constexpr schema_item ticket_error[] = {{P::t, once}, {P::err, at_least_once}, {P::sp, any},
                                               {P::v, optional}, {P::sign, optional}};
// RFC 6043 §4.2.1: HDR, T, RANDRi, [IDRi], [IDRkms], TP, [IDRpsk], V
inline constexpr schema_item request_init_psk[] = {
    {P::t, once},           {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)},
    {P::idr, optional, r(id_role::idrkms)}, {P::tp, once}, {P::idr, optional, r(id_role::idrpsk)}, {P::v, once}};
// RFC 6043 §4.2.1: HDR, T, RANDRi, [IDRi], {CERTi}, [IDRkms], TP, [CHASH], PKE, SIGNi
inline constexpr schema_item request_init_pk[] = {
    {P::t, once},      {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)}, {P::cert, any},
    {P::idr, optional, r(id_role::idrkms)}, {P::tp, once}, {P::chash, optional}, {P::pke, once}, {P::sign, once}};
// RFC 6043 §4.2.1: HDR, T, [IDRkms], TICKET, KEMAC, V
inline constexpr schema_item request_resp[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idrkms)}, {P::ticket, once}, {P::kemac, once}, {P::v, once}};
// RFC 6043 §4.2.2: HDR, T, RANDRi, [IDRi], [IDRr], {SP}, TICKET, [KEMAC], V
inline constexpr schema_item transfer_init[] = {
    {P::t, once},  {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)},
    {P::idr, optional, r(id_role::idrr)}, {P::sp, any}, {P::ticket, once}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §4.2.2: HDR, T, [RANDRr], [IDRr], [RANDRkms], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp[] = {
    {P::t, once},  {P::randr, optional, r(rand_role::randrr)}, {P::idr, optional, r(id_role::idrr)},
    {P::randr, optional, r(rand_role::randrkms)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §5.2 (update by I): HDR, T, [IDRi], [IDRr], {SP}, [KEMAC], V
inline constexpr schema_item transfer_init_update[] = {{P::t, once},
                                                       {P::idr, optional, r(id_role::idri)},
                                                       {P::idr, optional, r(id_role::idrr)},
                                                       {P::sp, any},
                                                       {P::kemac, optional},
                                                       {P::v, once}};
// RFC 6043 §5.2 (update by R): HDR, T, [IDRr], [IDRi], {SP}, [KEMAC], V
inline constexpr schema_item transfer_init_update_by_responder[] = {{P::t, once},
                                                                    {P::idr, optional, r(id_role::idrr)},
                                                                    {P::idr, optional, r(id_role::idri)},
                                                                    {P::sp, any},
                                                                    {P::kemac, optional},
                                                                    {P::v, once}};
// RFC 6043 §5.2 (update by I): HDR, T, [IDRr], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp_update[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idrr)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §5.2 (update by R): HDR, T, [IDRi], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp_update_by_responder[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idri)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §4.2.3: HDR, T, RANDRr, [IDRr], [IDRkms], TICKET, [IDRpsk], V
inline constexpr schema_item resolve_init_psk[] = {
    {P::t, once},  {P::randr, once, r(rand_role::randrr)}, {P::idr, optional, r(id_role::idrr)},
    {P::idr, optional, r(id_role::idrkms)}, {P::ticket, once}, {P::idr, optional, r(id_role::idrpsk)}, {P::v, once}};
// RFC 6043 §4.2.3: HDR, T, RANDRr, [IDRr], {CERTr}, [IDRkms], TICKET, [CHASH], PKE, SIGNr
inline constexpr schema_item resolve_init_pk[] = {{P::t, once},
                                                  {P::randr, once, r(rand_role::randrr)},
                                                  {P::idr, optional, r(id_role::idrr)},
                                                  {P::cert, any},
                                                  {P::idr, optional, r(id_role::idrkms)},
                                                  {P::ticket, once},
                                                  {P::chash, optional},
                                                  {P::pke, once},
                                                  {P::sign, once}};
// RFC 6043 §4.2.3: HDR, T, [IDRkms], KEMAC, [IDRr], [RANDRkms], V
inline constexpr schema_item resolve_resp[] = {{P::t, once},
                                               {P::idr, optional, r(id_role::idrkms)},
                                               {P::kemac, once},
                                               {P::idr, optional, r(id_role::idrr)},
                                               {P::randr, optional, r(rand_role::randrkms)},
                                               {P::v, once}};
}  // namespace schema_detail

/// The message schemas. Each names its RFC composition.
namespace schemas {
using D = data_type;
inline constexpr message_schema psk_init{"PSK I_MESSAGE", D::psk_init, schema_detail::psk_init};
inline constexpr message_schema psk_verification{"PSK R_MESSAGE", D::psk_verification,
                                                 schema_detail::psk_verification};
inline constexpr message_schema pk_init{"PK I_MESSAGE", D::pk_init, schema_detail::pk_init};
inline constexpr message_schema pk_verification{"PK R_MESSAGE", D::pk_verification, schema_detail::pk_verification};
inline constexpr message_schema dh_init{"DH I_MESSAGE", D::dh_init, schema_detail::dh_init};
inline constexpr message_schema dh_response{"DH R_MESSAGE", D::dh_response, schema_detail::dh_response};
inline constexpr message_schema error{"Error", D::error, schema_detail::error, false, false, false, false};
inline constexpr message_schema ticket_error{"MIKEY-TICKET Error", D::error, schema_detail::ticket_error,
                                             false,       false,   false,
                                             false};
inline constexpr message_schema request_init_psk{"REQUEST_INIT_PSK", D::request_init_psk,
                                                 schema_detail::request_init_psk, true};
inline constexpr message_schema request_init_pk{"REQUEST_INIT_PK", D::request_init_pk,
                                                schema_detail::request_init_pk, true};
inline constexpr message_schema request_resp{"REQUEST_RESP", D::request_resp, schema_detail::request_resp, true};
inline constexpr message_schema transfer_init{"TRANSFER_INIT", D::transfer_init, schema_detail::transfer_init,
                                              false, true, true};
inline constexpr message_schema transfer_resp{"TRANSFER_RESP", D::transfer_resp, schema_detail::transfer_resp,
                                              false, true};
inline constexpr message_schema transfer_init_update{"TRANSFER_INIT (CSB update by I)", D::transfer_init,
                                                     schema_detail::transfer_init_update, false, true};
inline constexpr message_schema transfer_init_update_by_responder{
    "TRANSFER_INIT (CSB update by R)", D::transfer_init, schema_detail::transfer_init_update_by_responder, false,
    true};
inline constexpr message_schema transfer_resp_update{"TRANSFER_RESP (CSB update by I)", D::transfer_resp,
                                                     schema_detail::transfer_resp_update, false, true};
inline constexpr message_schema transfer_resp_update_by_responder{
    "TRANSFER_RESP (CSB update by R)", D::transfer_resp, schema_detail::transfer_resp_update_by_responder, false,
    true};
inline constexpr message_schema resolve_init_psk{"RESOLVE_INIT_PSK", D::resolve_init_psk,
                                                 schema_detail::resolve_init_psk, true, false, true};
inline constexpr message_schema resolve_init_pk{"RESOLVE_INIT_PK", D::resolve_init_pk,
                                                schema_detail::resolve_init_pk, true, false, true};
inline constexpr message_schema resolve_resp{"RESOLVE_RESP", D::resolve_resp, schema_detail::resolve_resp, true};
}  // namespace schemas

/// The schema of the initial exchange for a data type, or nullptr for data
/// types this library has no schema for.
[[nodiscard]] constexpr const message_schema* schema_for(data_type t) noexcept {
    switch (t) {
        case data_type::psk_init: return &schemas::psk_init;
        case data_type::psk_verification: return &schemas::psk_verification;
        case data_type::pk_init: return &schemas::pk_init;
        case data_type::pk_verification: return &schemas::pk_verification;
        case data_type::dh_init: return &schemas::dh_init;
        case data_type::dh_response: return &schemas::dh_response;
        case data_type::error: return &schemas::error;
        case data_type::request_init_psk: return &schemas::request_init_psk;
        case data_type::request_init_pk: return &schemas::request_init_pk;
        case data_type::request_resp: return &schemas::request_resp;
        case data_type::transfer_init: return &schemas::transfer_init;
        case data_type::transfer_resp: return &schemas::transfer_resp;
        case data_type::resolve_init_psk: return &schemas::resolve_init_psk;
        case data_type::resolve_init_pk: return &schemas::resolve_init_pk;
        case data_type::resolve_resp: return &schemas::resolve_resp;
        default: return nullptr;
    }
}

/// strict: payloads in the RFC's order, none the schema does not list.
/// lenient: any order, unexpected payloads ignored (the receivers' SHOULD of
/// RFC 6043 §4.2.1.4, §4.2.2.2, ...); mandatory, duplicate and closing
/// payload rules still apply.
enum class schema_check : std::uint8_t { strict, lenient };

namespace detail {
[[nodiscard]] constexpr std::uint8_t role_of_entry(const chain_entry& e) noexcept {
    switch (e.type) {
        case payload_type::idr:
        case payload_type::randr:
        case payload_type::tr: return e.bytes[1];
        default: return 0;
    }
}
[[nodiscard]] constexpr bool matches(const schema_item& it, const chain_entry& e, std::uint8_t role) noexcept {
    return it.type == e.type && (it.role == 0 || it.role == role);
}
[[nodiscard]] constexpr bool full(const schema_item& it, std::size_t seen) noexcept {
    return seen > 0 && (it.occ == occurs::once || it.occ == occurs::optional);
}
[[nodiscard]] constexpr bool mandatory(const schema_item& it) noexcept {
    return it.occ == occurs::once || it.occ == occurs::at_least_once;
}
}  // namespace detail

/// Checks that `m` has the composition `s` describes. General Extension
/// payloads are allowed anywhere (RFC 3830 §6.15).
/// Errors: wrong_message_type; bad_crypto_sessions; missing_payload;
/// unexpected_payload and payload_order (strict only); duplicate_payload;
/// wrong_last_payload; initiator_data_missing. Offsets point at the payload
/// concerned (the message end for a missing one).
[[nodiscard]] constexpr result<void> check_schema(const message_view& m, const message_schema& s,
                                                  schema_check mode = schema_check::strict) noexcept {
    if (m.type() != s.type) {
        return failure{errc::wrong_message_type, 1};
    }
    const auto& h = m.header();
    if (s.no_crypto_sessions && (h.cs_count() != 0 || h.map_type() != cs_id_map_type::empty)) {
        return failure{errc::bad_crypto_sessions, 8};
    }
    if (s.no_srtp_id_map && h.map_type() == cs_id_map_type::srtp_id) {
        return failure{errc::bad_crypto_sessions, 9};
    }
    std::array<std::size_t, 16> seen{};
    std::size_t at = 0;
    for (const auto& e : m.payloads()) {
        if (e.type == payload_type::general_extension) {
            continue;
        }
        const std::uint8_t role = detail::role_of_entry(e);
        std::size_t j = mode == schema_check::strict ? at : 0;
        bool full_match = false;
        for (; j < s.items.size(); ++j) {
            if (detail::matches(s.items[j], e, role)) {
                if (!detail::full(s.items[j], seen[j])) {
                    break;
                }
                full_match = true;
            }
        }
        if (j == s.items.size()) {
            if (full_match) {
                return failure{errc::duplicate_payload, e.offset};
            }
            if (mode == schema_check::lenient) {
                continue;
            }
            for (std::size_t k = 0; k < at; ++k) {
                if (detail::matches(s.items[k], e, role)) {
                    return failure{errc::payload_order, e.offset};
                }
            }
            return failure{errc::unexpected_payload, e.offset};
        }
        if (mode == schema_check::strict) {
            for (std::size_t k = at; k < j; ++k) {
                if (detail::mandatory(s.items[k]) && seen[k] == 0) {
                    return failure{errc::missing_payload, e.offset};
                }
            }
            at = j;
        }
        ++seen[j];
        if (s.initiator_data_if_forking && e.type == payload_type::ticket) {
            const auto t = e.as<ticket_view>();
            // RFC 6043 §6.10: Initiator Data "SHALL be inserted by the Initiator if and only if key
            // forking is used (I flag)".
            if (t.flags().i && t.initiator_data().empty()) {
                return failure{errc::initiator_data_missing, e.offset + t.initiator_data_length_offset()};
            }
        }
    }
    for (std::size_t k = 0; k < s.items.size(); ++k) {
        if (detail::mandatory(s.items[k]) && seen[k] == 0) {
            return failure{errc::missing_payload, m.bytes().size()};
        }
    }
    // RFC 6043 §4.2: "The last payload SHALL be a Verification payload (V)" (or SIGN);
    // RFC 3830 §5.2: the MAC / signature payload is the last payload.
    if (s.closing_payload) {
        const auto last = m.last_payload();
        if (!last || last->type != s.items.back().type) {
            return failure{errc::wrong_last_payload, last ? last->offset : m.bytes().size()};
        }
    }
    return {};
}

}  // namespace mikey
// ---- end mikey/schema.hpp ----
// ---- end mikey/mikey.hpp ----

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
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

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

namespace detail {
/// For 8-bit name spaces: value -> registered (bit 0) and acceptable
/// (bit 1: registered or private use), built at compile time, so the
/// parsers' checks are one load instead of a scan of the table.
inline constexpr std::uint8_t registered_bit = 1;
inline constexpr std::uint8_t acceptable_bit = 2;
template <class E>
inline constexpr auto value_classes = [] {
    std::array<std::uint8_t, 256> classes{};
    for (const auto& e : registry<E>::entries) {
        classes[static_cast<std::size_t>(e.value)] |= registered_bit | acceptable_bit;
    }
    for (unsigned v = registry<E>::private_lo; v <= registry<E>::private_hi && v < classes.size(); ++v) {
        classes[v] |= acceptable_bit;
    }
    return classes;
}();
}  // namespace detail

/// True when `v` is a registered value of its name space.
template <class E>
[[nodiscard]] constexpr bool is_registered(E v) noexcept {
    if constexpr (sizeof(E) == 1) {
        return (detail::value_classes<E>[static_cast<std::size_t>(v)] & detail::registered_bit) != 0;
    } else {
        for (const auto& e : registry<E>::entries) {
            if (e.value == v) {
                return true;
            }
        }
        return false;
    }
}

/// True when `v` is registered or in the private-use range: the values the
/// parsers accept in fields whose value does not determine a length.
template <class E>
[[nodiscard]] constexpr bool is_acceptable(E v) noexcept {
    if constexpr (sizeof(E) == 1) {
        return (detail::value_classes<E>[static_cast<std::size_t>(v)] & detail::acceptable_bit) != 0;
    } else {
        const auto raw = static_cast<unsigned>(v);
        return is_registered(v) || (raw >= registry<E>::private_lo && raw <= registry<E>::private_hi);
    }
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

/// The longest MAC of any registered MAC alg.
inline constexpr std::size_t max_mac_size = [] {
    std::size_t m = 0;
    for (const auto& e : registry<mac_alg>::entries) m = mac_size(e.value) > m ? mac_size(e.value) : m;
    return m;
}();

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

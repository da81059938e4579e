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

/// MIKEY_NO_BOTAN: the user defines it (before including <mikey/mikey.hpp>
/// or the single header; the library never defines it) for parse-only use
/// without Botan. The umbrella then leaves out the two headers that include
/// Botan: crypto/botan_backend.hpp and sdp.hpp (RFC 4567 carriage, whose
/// base64 is Botan's); everything else stays: views, builders, srtp.hpp,
/// messages, schemas, and the crypto layer's constexpr tables and
/// derivations over the crypto_backend concept (crypto/backend.hpp), for a
/// backend of your own. CI compiles tests/parse_only/ that way, with no Botan
/// on the include path, also with -fno-exceptions -fno-rtti.

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

/// Forces inlining of the reader's and writer's one-line accessors, which
/// every payload parser calls several times per field, and of the replay
/// cache hint's chain (a function that only prefetches is dropped by GCC).
#if defined(__GNUC__) || defined(__clang__)
#define MIKEY_ALWAYS_INLINE [[gnu::always_inline]]
#else
#define MIKEY_ALWAYS_INLINE
#endif

/// A branch hint: `x` is expected to be true. result<>'s success test uses
/// it, so that the compiler lays error returns out of the hot code.
#if defined(__GNUC__) || defined(__clang__)
#define MIKEY_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define MIKEY_LIKELY(x) (x)
#endif

/// Inlines every call inside the function it marks: used on the few entry
/// points that walk a whole message (the payload parsers then share one
/// frame, with no result<> returned through memory). MIKEY_NOINLINE stops
/// it where the call tree is large and rare (TP and TICKET, which walk
/// chains of their own): flattening those too multiplied compile time and
/// memory, above all in sanitizer builds.
#if defined(__GNUC__) || defined(__clang__)
#define MIKEY_FLATTEN [[gnu::flatten]]
#define MIKEY_NOINLINE [[gnu::noinline]]
#else
#define MIKEY_FLATTEN
#define MIKEY_NOINLINE
#endif

/// [[no_unique_address]] on the empty role members of payload views and
/// builders (payloads without a role byte). Left out for clang before 15:
/// clang 14 crashes (segfault in its constant emitter) on a namespace-scope
/// aggregate with such a member initialised at run time, e.g.
/// `const rand_builder r{{}, some_vector};`. The member then takes one byte.
#if defined(__clang__) && __clang_major__ < 15
#define MIKEY_NO_UNIQUE_ADDRESS
#else
#define MIKEY_NO_UNIQUE_ADDRESS [[no_unique_address]]
#endif
// ---- end mikey/core/config.hpp ----
// #include "core/bytes.hpp" (inlined)
// ---- begin mikey/core/bytes.hpp ----
// mikey-ticket: the byte-span vocabulary every layer uses.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>

// #include "config.hpp" (inlined above as mikey/core/config.hpp)

namespace mikey {

/// A read-only view of wire bytes. Views never own; the caller's buffer must
/// outlive every view made from it.
using bytes_view = std::span<const std::uint8_t>;

/// A writable byte span supplied by the caller (output buffers, key outputs).
using mutable_bytes = std::span<std::uint8_t>;

namespace detail {
/// An rvalue of an owning byte container (a temporary std::vector, std::array,
/// std::string ...): anything that keeps a bytes_view into it would dangle.
/// Functions that keep their input take a deleted overload constrained on it
/// (byte_reader's constructor, the views' parse(): MIKEY_REFUSE_TEMPORARIES).
/// Spans and other borrowed ranges are not owning and stay accepted.
template <class C>
concept owning_temporary = !std::is_lvalue_reference_v<C> && std::ranges::contiguous_range<C> &&
                           !std::ranges::borrowed_range<C>;
}  // namespace detail

/// True when both spans hold the same bytes. Not constant time: use the
/// crypto backend's compare for secrets.
/// One memcmp at run time; a byte loop in constant evaluation.
[[nodiscard]] constexpr bool equal_bytes(bytes_view a, bytes_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    if (!std::is_constant_evaluated()) {
        return a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

/// Copies b into out (out.size() == b.size(); they may overlap). One
/// memmove at run time; a byte loop in constant evaluation.
constexpr void copy_bytes(mutable_bytes out, bytes_view b) noexcept {
    if (std::is_constant_evaluated()) {
        for (std::size_t i = 0; i < b.size(); ++i) {
            out[i] = b[i];
        }
    } else if (!b.empty()) {
        std::memmove(out.data(), b.data(), b.size());
    }
}

/// Copies n bytes from `src` to `dst` (not overlapping). Up to 32 bytes (a
/// RAND, a key) inline, as two fixed-size moves that may overlap each other
/// and read or write nothing outside the n bytes; longer copies call memcpy.
MIKEY_ALWAYS_INLINE inline void copy_short(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept {
    if (n >= 16 && n <= 32) {
        std::memcpy(dst, src, 16);
        std::memcpy(dst + n - 16, src + n - 16, 16);
    } else if (n >= 8 && n < 16) {
        std::memcpy(dst, src, 8);
        std::memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n < 8) {
        for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
    } else {
        std::memcpy(dst, src, n);
    }
}

/// The first N bytes of `in` as a big-endian number (N <= 8; precondition:
/// in.size() >= N). Written as one expression of shifted bytes, which
/// compilers turn into a load and a byte swap.
template <std::size_t N>
[[nodiscard]] constexpr std::uint64_t load_be(bytes_view in) noexcept {
    static_assert(N >= 1 && N <= 8, "load_be reads 1 to 8 bytes");
    return [in]<std::size_t... I>(std::index_sequence<I...>) {
        return ((std::uint64_t{in[I]} << (8 * (N - 1 - I))) | ...);
    }(std::make_index_sequence<N>{});
}

/// Writes the low N bytes of `v` big-endian at `p` (N <= 8): a byte swap
/// and a store.
template <std::size_t N>
constexpr void store_be(std::uint8_t* p, std::uint64_t v) noexcept {
    static_assert(N >= 1 && N <= 8, "store_be writes 1 to 8 bytes");
    [p, v]<std::size_t... I>(std::index_sequence<I...>) {
        ((p[I] = static_cast<std::uint8_t>(v >> (8 * (N - 1 - I)))), ...);
    }(std::make_index_sequence<N>{});
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
    key_without_spi,         ///< a key in an RFC 6043 KEMAC without KV type SPI (RFC 6043 §6.2.1)

    // --- RFC 6043 §6.10 Ticket Policy flag dependencies ---
    flag_l_required_without_d,  ///< NOT D implies L
    flag_f_required_by_g,       ///< G implies F
    flag_g_or_h_required,       ///< NOT G implies H (and NOT H implies G)
    flag_e_required_by_i,       ///< I implies E
    flag_d_required_by_k,       ///< K implies D (granted policy only)
    flag_f_required_by_m,       ///< M implies F
    flag_f_required_by_i,       ///< F = 1 when I = 1 and a TGK is encoded in the ticket
    initiator_data_without_i,   ///< Initiator Data present although the I flag is 0 (RFC 6043 §6.10)
    initiator_data_missing,     ///< I flag set but Initiator Data empty (RFC 6043 §6.10)

    // --- message schemas (RFC 3830 §3, RFC 6043 §4.2) ---
    wrong_message_type,    ///< the data type is not the one the schema describes
    missing_payload,       ///< a mandatory payload is absent
    unexpected_payload,    ///< a payload the message type does not allow
    duplicate_payload,     ///< a payload that may appear once appears again
    conflicting_alternatives, ///< both branches of an "[A|B]" (IDi and CERTi, V and SIGN; RFC 3830 §3.2, §5.1.2)
    payload_order,         ///< payloads out of the order the RFC gives (strict check only)
    wrong_last_payload,    ///< the message does not end with its V / SIGN / KEMAC
    sp_with_empty_map,     ///< SP payload with the Empty map (RFC 4563 §5)
    bad_crypto_sessions,   ///< #CS / map type not allowed for the message type (RFC 6043 §4.2.1.1, §6.1)

    // --- building ---
    buffer_too_small,      ///< the caller's output buffer is smaller than the exact size
    field_too_long,        ///< a value does not fit its length field
    invalid_argument,      ///< a builder argument violates the payload's own rules

    // --- crypto (RFC 3830 §4, RFC 6043 §5, §12.1) ---
    auth_failure,          ///< a MAC or V check failed
    key_unwrap_failure,    ///< RFC 3394 integrity check failed on unwrap
    key_too_short,         ///< a key below 128 bits (RFC 6043 §12.1)
    key_length_mismatch,   ///< a key length the algorithm does not take
    algorithm_mix,         ///< 256-bit and 128-bit algorithms mixed (RFC 6043 §12.1)
    rand_too_short,        ///< RAND lengths below the RFC 6043 §12.1 bounds
    unsupported_algorithm, ///< a registered algorithm this backend does not implement
    crypto_backend_failure,///< the crypto backend reported an internal failure
    algorithm_too_weak,    ///< 128-bit algorithms with session keys longer than 128 bits (RFC 6043 §12.1)

    // --- RFC 6043 exchanges: ticket and role layers ---
    timestamp_out_of_window, ///< T outside the allowed clock skew (RFC 3830 §5.4, RFC 6043 §12.4)
    replayed_message,        ///< a message already seen within its timestamp window (RFC 6043 §12.4)
    replay_cache_full,       ///< the replay cache has no room and nothing has expired: refused, fail closed
    ticket_expired,          ///< now is after the ticket's TRe (RFC 6043 §6.10)
    ticket_not_yet_valid,    ///< now is before the ticket's TRs (RFC 6043 §6.10)
    unknown_peer,            ///< no pre-shared key for the peer's identity / IDRpsk
    unknown_ticket_key,      ///< no Ticket Protection Key for this ticket (RFC 6043 App. A)
    unauthorized_requester,  ///< the policy refuses this Initiator a ticket (RFC 6043 §4.2.1.4)
    unauthorized_responder,  ///< the Responder is not among the ticket's authorized responders (RFC 6043 §4.2.3)
    unauthorized_application,///< the ticket lists IDRapp and the Responder's application is not among them (RFC 6043 §6.10)
    wrong_kms,               ///< IDRkms names another KMS (RFC 6043 §6.10)
    policy_not_acceptable,   ///< a desired / granted Ticket Policy the policy refuses (RFC 6043 §4.2.1.6, §4.2.2.2)
    prf_not_allowed,         ///< the policy refuses this PRF func
    encr_not_allowed,        ///< the policy refuses this KEMAC Encr alg
    mac_not_allowed,         ///< the policy refuses this MAC / Auth alg
    vi_mismatch,             ///< V of TRANSFER_INIT differs from Vi (RFC 6043 §4.2.3.6)
    vr_mismatch,             ///< Vr does not verify with MPKr (RFC 6043 §4.2.3.4, §6.10)
    header_mismatch,         ///< a response HDR does not copy the initial message's fields (RFC 6043 §4.2.1.5, ...)
    identity_mismatch,       ///< an identity differs from the one the exchange fixed (RFC 6043 §4.2.2.3)
    missing_key,             ///< a KEMAC lacks a key the exchange needs (MPKi, MPKr, a session key)
    ticket_reuse_forbidden,  ///< the ticket was used before and its J flag forbids reuse (RFC 6043 §5.3)
    message_not_for_role,    ///< a message type this role never receives
    unexpected_in_state,     ///< a message this role may receive, but not in its current state
    pk_not_supported,        ///< REQUEST_INIT_PK / RESOLVE_INIT_PK: the public-key variants are not implemented
    error_received,          ///< the peer sent an Error message (never answered with an Error, RFC 6043 §5.4)
    sp_not_acceptable,       ///< no security policy (SP) offered for a crypto session is acceptable (RFC 6043 §4.2.2.2)
    sp_count_not_one,        ///< a response's GENERIC-ID block with #P other than 1 (RFC 6043 §6.1.1)
    sp_not_found,            ///< a Policy_no that names no SP payload of the exchange (RFC 6043 §6.1.1)
    sp_prot_mismatch,        ///< an SP whose Prot type is not its crypto session's (RFC 6043 §6.1.1)
    sp_changed,              ///< the Responder chose a security policy the Initiator did not offer (RFC 6043 §6.1.1)

    // --- integration: SDP / RTSP carriage (RFC 4567) and SRTP keys (RFC 3711) ---
    sdp_bad_line,              ///< an SDP line that is not `<type>=<value>` (RFC 4566 §5), or holds a NUL or a bare CR
    sdp_no_key_mgmt,           ///< no a=key-mgmt attribute applies where one was looked for (RFC 4567 §3.1)
    sdp_bad_attribute,         ///< an a=key-mgmt attribute off the RFC 4567 §3.1 grammar
    key_mgmt_duplicate,        ///< one key-management protocol offered twice at one level / in one header (RFC 4567 §4.1.2)
    unknown_key_mgmt_protocol, ///< key-management data present, but none for MIKEY (RFC 4567 §4.1.1)
    base64_invalid,            ///< not strict RFC 4648 §4 base64 (alphabet, padding, canonical pad bits, no whitespace)
    rtsp_bad_key_mgmt,         ///< a KeyMgmt header off the RFC 4567 §3.2 grammar (or without `data` for MIKEY)
    srtp_policy_unsupported,   ///< SRTP policy parameters (RFC 3830 §6.10.1) that libsrtp2 / RFC 3711 cannot run
    not_an_srtp_session,       ///< the crypto session or SP payload is not for Prot type SRTP

    // --- conference layer (seeds 000-004: factory, focus, participant) ---
    unauthorized_creator,       ///< the conference policy refuses this creator a conference (seed 000 flow 1b)
    not_authorized_participant, ///< the identity is not in the conference's authorized set (seed 000 flows 2-5, seed 003 G.3.2)
    unauthorized_referrer,      ///< a REFER from an identity that may not invite (seed 000 flow 4b)
    focus_mismatch,             ///< the focus / factory that answered, or that a ticket names, is not the one expected (seed 000 flows 1c, 5b)
    ssrc_collision,             ///< an SSRC already used by another stream of the conference (seeds 001, 002)
    already_member,             ///< the identity is a member already
    not_a_member,               ///< the identity is not a member of the conference
    unauthorized_subscriber,    ///< a SUBSCRIBE to the event package from outside the authorized set (seed 003 G.3.3)
    unauthorized_management,    ///< a management change by an identity the policy does not allow (seed 003 G.3.1)
    unknown_exchange,           ///< an exchange id that names no pending exchange
    stale_timestamp,            ///< a CSB update whose T is not newer than the last message under the same keys (RFC 6043 §5.2)
    // --- conference: non-media keys (conference/non_media.hpp: event package NOTIFY protection) ---
    sequence_exhausted,  ///< a NOTIFY sealer has used sequence number 2^64 - 1: it never wraps (nonce reuse); rekey
    sequence_too_old,    ///< a protected NOTIFY's sequence number is below the opener's replay window
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
        case errc::key_without_spi: return "key_without_spi";
        case errc::flag_l_required_without_d: return "flag_l_required_without_d";
        case errc::flag_f_required_by_g: return "flag_f_required_by_g";
        case errc::flag_g_or_h_required: return "flag_g_or_h_required";
        case errc::flag_e_required_by_i: return "flag_e_required_by_i";
        case errc::flag_d_required_by_k: return "flag_d_required_by_k";
        case errc::flag_f_required_by_m: return "flag_f_required_by_m";
        case errc::flag_f_required_by_i: return "flag_f_required_by_i";
        case errc::initiator_data_without_i: return "initiator_data_without_i";
        case errc::initiator_data_missing: return "initiator_data_missing";
        case errc::wrong_message_type: return "wrong_message_type";
        case errc::missing_payload: return "missing_payload";
        case errc::unexpected_payload: return "unexpected_payload";
        case errc::duplicate_payload: return "duplicate_payload";
        case errc::conflicting_alternatives: return "conflicting_alternatives";
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
        case errc::timestamp_out_of_window: return "timestamp_out_of_window";
        case errc::replayed_message: return "replayed_message";
        case errc::replay_cache_full: return "replay_cache_full";
        case errc::ticket_expired: return "ticket_expired";
        case errc::ticket_not_yet_valid: return "ticket_not_yet_valid";
        case errc::unknown_peer: return "unknown_peer";
        case errc::unknown_ticket_key: return "unknown_ticket_key";
        case errc::unauthorized_requester: return "unauthorized_requester";
        case errc::unauthorized_responder: return "unauthorized_responder";
        case errc::unauthorized_application: return "unauthorized_application";
        case errc::wrong_kms: return "wrong_kms";
        case errc::policy_not_acceptable: return "policy_not_acceptable";
        case errc::prf_not_allowed: return "prf_not_allowed";
        case errc::encr_not_allowed: return "encr_not_allowed";
        case errc::mac_not_allowed: return "mac_not_allowed";
        case errc::vi_mismatch: return "vi_mismatch";
        case errc::vr_mismatch: return "vr_mismatch";
        case errc::header_mismatch: return "header_mismatch";
        case errc::identity_mismatch: return "identity_mismatch";
        case errc::missing_key: return "missing_key";
        case errc::ticket_reuse_forbidden: return "ticket_reuse_forbidden";
        case errc::message_not_for_role: return "message_not_for_role";
        case errc::unexpected_in_state: return "unexpected_in_state";
        case errc::pk_not_supported: return "pk_not_supported";
        case errc::error_received: return "error_received";
        case errc::sp_not_acceptable: return "sp_not_acceptable";
        case errc::sp_count_not_one: return "sp_count_not_one";
        case errc::sp_not_found: return "sp_not_found";
        case errc::sp_prot_mismatch: return "sp_prot_mismatch";
        case errc::sp_changed: return "sp_changed";
        case errc::sdp_bad_line: return "sdp_bad_line";
        case errc::sdp_no_key_mgmt: return "sdp_no_key_mgmt";
        case errc::sdp_bad_attribute: return "sdp_bad_attribute";
        case errc::key_mgmt_duplicate: return "key_mgmt_duplicate";
        case errc::unknown_key_mgmt_protocol: return "unknown_key_mgmt_protocol";
        case errc::base64_invalid: return "base64_invalid";
        case errc::rtsp_bad_key_mgmt: return "rtsp_bad_key_mgmt";
        case errc::srtp_policy_unsupported: return "srtp_policy_unsupported";
        case errc::not_an_srtp_session: return "not_an_srtp_session";
        case errc::unauthorized_creator: return "unauthorized_creator";
        case errc::not_authorized_participant: return "not_authorized_participant";
        case errc::unauthorized_referrer: return "unauthorized_referrer";
        case errc::focus_mismatch: return "focus_mismatch";
        case errc::ssrc_collision: return "ssrc_collision";
        case errc::already_member: return "already_member";
        case errc::not_a_member: return "not_a_member";
        case errc::unauthorized_subscriber: return "unauthorized_subscriber";
        case errc::unauthorized_management: return "unauthorized_management";
        case errc::unknown_exchange: return "unknown_exchange";
        case errc::stale_timestamp: return "stale_timestamp";
        case errc::sequence_exhausted: return "sequence_exhausted";
        case errc::sequence_too_old: return "sequence_too_old";
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
        // A replay gets no answer (answering would let a replayed message
        // draw traffic); nor does an Error (RFC 6043 §5.4: errors are not
        // reported in Error messages) or a message arriving out of order.
        case errc::replayed_message:
        case errc::error_received:
        case errc::unexpected_in_state:
        // Failures of the SDP / RTSP carriage: there is no MIKEY message to
        // answer yet; the session protocol reports them (RFC 4567 §4.1.2:
        // SIP 488 Not Acceptable Here; §3.2, §4.2: RTSP 463 Key management
        // failure, or 403 when the header is missing).
        case errc::sdp_bad_line:
        case errc::sdp_no_key_mgmt:
        case errc::sdp_bad_attribute:
        case errc::key_mgmt_duplicate:
        case errc::unknown_key_mgmt_protocol:
        case errc::base64_invalid:
        case errc::rtsp_bad_key_mgmt:
        // Conference decisions travel in the session protocol (SIP 403 / 488),
        // the management interface or the event package, not as MIKEY Errors;
        // a refused SSRC is the one the Error of the focus names (below).
        case errc::unauthorized_subscriber:
        case errc::unauthorized_management:
        case errc::unknown_exchange:
        case errc::stale_timestamp:  // like a replay: no answer
        case errc::already_member:
        case errc::not_a_member:
        // Protection of conference event package NOTIFY bodies: no MIKEY
        // message is involved, so no MIKEY Error is sent; the SIP layer
        // decides (e.g. discard the NOTIFY, refresh the subscription).
        case errc::sequence_exhausted:
        case errc::sequence_too_old:
            return std::nullopt;
        // Seed 000 flow 1b: "the conference factory returns an error message to
        // the initiator with an appropriate failure code".
        case errc::unauthorized_creator:
        case errc::not_authorized_participant:
        case errc::unauthorized_referrer:
        case errc::focus_mismatch: return error_no::invalid_id;
        case errc::ssrc_collision: return error_no::invalid_sp;
        case errc::auth_failure:
        case errc::key_unwrap_failure:
        case errc::vi_mismatch:
        case errc::vr_mismatch:
            return error_no::auth_failure;
        case errc::timestamp_out_of_window: return error_no::invalid_ts;
        case errc::prf_not_allowed: return error_no::invalid_prf;
        case errc::mac_not_allowed: return error_no::invalid_mac;
        case errc::encr_not_allowed: return error_no::invalid_ea;
        case errc::unknown_peer:
        case errc::wrong_kms: return error_no::invalid_id;
        case errc::message_not_for_role:
        case errc::pk_not_supported: return error_no::unsupported_message_type;
        case errc::unknown_ticket_key: return error_no::invalid_ticket;
        case errc::policy_not_acceptable: return error_no::invalid_tppar;
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
        case errc::unknown_srtp_param:
        case errc::srtp_policy_unsupported: return error_no::invalid_sppar;
        case errc::not_an_srtp_session: return error_no::invalid_sp;
        // RFC 3830 §6.12: Invalid SP (9) "SP type not supported", Invalid SPpar
        // (10) "SP parameters not supported" (RFC 6043 Table 6.14's 15, Invalid
        // TPpar, is for Ticket Policy parameters).
        case errc::sp_count_not_one:
        case errc::sp_not_found:
        case errc::sp_prot_mismatch: return error_no::invalid_sp;
        case errc::sp_not_acceptable:
        case errc::sp_changed: return error_no::invalid_sppar;
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
        case errc::flag_f_required_by_i:
        case errc::initiator_data_without_i:
        case errc::initiator_data_missing: return error_no::invalid_tppar;
        // Everything else, among it a message that breaks its composition
        // (missing, unexpected, duplicate payloads, conflicting alternatives,
        // order, last payload): RFC 3830 §6.12 has no code for it but
        // Unspecified error.
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
    /// Constructs the value in place (no move of a large value into the result).
    template <class... A>
    constexpr explicit result(std::in_place_t, A&&... a) noexcept(std::is_nothrow_constructible_v<T, A...>)
        : m_value(std::in_place, std::forward<A>(a)...) {}
    constexpr result(errc code, std::size_t offset = 0) noexcept : m_failure{code, offset} {}
    constexpr result(failure f) noexcept : m_failure(f) {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return MIKEY_LIKELY(m_value.has_value()); }
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

    [[nodiscard]] constexpr bool has_value() const noexcept { return MIKEY_LIKELY(m_failure.code == errc::ok); }
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
#include <utility>

// #include "bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "result.hpp" (inlined above as mikey/core/result.hpp)

namespace mikey {

/// Reads big-endian fields from a span without ever reading past its end.
///
/// Errors are sticky: the first read that does not fit records `underrun`
/// (errc::truncated by default; errc::length_out_of_bounds for readers over a
/// length-delimited container) at the offset of the field that did not fit.
/// Every later read returns zero / an empty span (the reader is parked at the
/// end of its input), so a parser reads its fixed fields, checks failed()
/// once, and only then looks at the values it read.
class byte_reader {
public:
    constexpr explicit byte_reader(bytes_view in MIKEY_LIFETIMEBOUND, errc underrun = errc::truncated) noexcept
        : m_in(in), m_underrun(underrun) {}

    /// A reader keeps a view of its input: a temporary buffer (an rvalue
    /// std::vector, std::array, std::string ...) would be destroyed at the end
    /// of the statement, so reading from one does not compile. Spans, and
    /// named buffers, are taken by the constructor above.
    template <class C>
        requires detail::owning_temporary<C>
    explicit byte_reader(C&&, errc = errc::truncated) = delete;

    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr std::uint8_t u8() noexcept { return be<std::uint8_t>(); }
    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr std::uint16_t u16() noexcept { return be<std::uint16_t>(); }
    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr std::uint32_t u32() noexcept { return be<std::uint32_t>(); }
    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr std::uint64_t u64() noexcept { return be<std::uint64_t>(); }

    /// The next n bytes as a subspan of the input (no copy).
    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr bytes_view take(std::size_t n) noexcept {
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
    /// One comparison on the fast path: after a failure the reader is
    /// parked at the end, so every later non-empty read fails too, and only
    /// the first failure is recorded.
    MIKEY_ALWAYS_INLINE constexpr bool fits(std::size_t n) noexcept {
        if (n > remaining()) [[unlikely]] {
            underrun();
            return false;
        }
        return true;
    }
    constexpr void underrun() noexcept {
        if (!failed()) {
            m_failure = failure{m_underrun, m_pos};
        }
        m_pos = m_in.size();
    }

    /// A big-endian T at the current position. The shifts are written out
    /// per byte with a fold (not a loop), the form compilers turn into one
    /// load and a byte swap.
    template <class T>
    MIKEY_ALWAYS_INLINE constexpr T be() noexcept {
        if (!fits(sizeof(T))) {
            return 0;
        }
        const std::size_t at = m_pos;
        m_pos += sizeof(T);
        return [this, at]<std::size_t... I>(std::index_sequence<I...>) {
            return static_cast<T>(((static_cast<T>(m_in[at + I]) << (8 * (sizeof(T) - 1 - I))) | ...));
        }(std::make_index_sequence<sizeof(T)>{});
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

// #include "bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "result.hpp" (inlined above as mikey/core/result.hpp)

namespace mikey {

/// Big-endian stores into memory a byte_writer::claim() returned; each
/// returns the byte after the field written.
namespace put {
constexpr std::uint8_t* be(std::uint8_t* p, std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
    return p + n;
}
constexpr std::uint8_t* u8(std::uint8_t* p, std::uint64_t v) noexcept {
    *p = static_cast<std::uint8_t>(v);
    return p + 1;
}
constexpr std::uint8_t* u16(std::uint8_t* p, std::uint64_t v) noexcept { return be(p, v, 2); }
constexpr std::uint8_t* bytes(std::uint8_t* p, bytes_view b) noexcept {
    copy_bytes(mutable_bytes(p, b.size()), b);
    return p + b.size();
}
}  // namespace put

/// Writes big-endian fields into a caller buffer, or only counts them.
///
/// A writer made without a buffer counts: builders run the same write code
/// once to learn their exact size, then again into a buffer of that size, so
/// size and bytes can never disagree. Errors are sticky: errc::buffer_too_small
/// when the buffer is full, errc::field_too_long when a length does not fit
/// its field. After an error nothing more is written.
///
/// Every write takes its bytes with claim(); a builder with a fixed layout of
/// several fields claims it whole (one bounds check) and fills it with put::.
class byte_writer {
public:
    /// A counting writer.
    constexpr byte_writer() noexcept = default;
    /// A writer into `out`.
    constexpr explicit byte_writer(mutable_bytes out) noexcept : m_out(out), m_counting(false) {}

    constexpr void u8(std::uint64_t v) noexcept {
        if (std::uint8_t* p = claim(1)) put::u8(p, v);
    }
    constexpr void u16(std::uint64_t v) noexcept {
        if (std::uint8_t* p = claim(2)) put::u16(p, v);
    }
    constexpr void u32(std::uint64_t v) noexcept {
        if (std::uint8_t* p = claim(4)) put::be(p, v, 4);
    }
    constexpr void u64(std::uint64_t v) noexcept {
        if (std::uint8_t* p = claim(8)) put::be(p, v, 8);
    }
    constexpr void bytes(bytes_view b) noexcept {
        if (std::uint8_t* p = claim(b.size())) put::bytes(p, b);
    }

    /// Takes the next n bytes for the caller to fill in one go: a pointer to
    /// them when writing; nullptr when counting (the n bytes are counted) or
    /// on error (sticky; buffer_too_small when they do not fit). A builder
    /// checks its length fields with fits() first, then claims.
    [[nodiscard]] constexpr std::uint8_t* claim(std::size_t n) noexcept {
        if (failed()) {
            return nullptr;
        }
        if (!m_counting && n > m_out.size() - m_pos) {
            fail(errc::buffer_too_small);
            return nullptr;
        }
        std::uint8_t* p = m_counting ? nullptr : m_out.data() + m_pos;
        m_pos += n;
        return p;
    }

    /// True when n fits an unsigned length field of `width` bytes.
    [[nodiscard]] static constexpr bool fits(std::size_t n, std::size_t width) noexcept {
        return width >= 8 || std::uint64_t{n} <= (std::uint64_t{1} << (8 * width)) - 1;
    }

    /// Writes n as an unsigned length field of `width` bytes, failing with
    /// errc::field_too_long when n does not fit.
    constexpr void length(std::size_t n, std::size_t width) noexcept {
        if (!fits(n, width)) {
            fail(errc::field_too_long);
            return;
        }
        if (std::uint8_t* p = claim(width)) put::be(p, n, width);
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
// #include "core/ntp_time.hpp" (inlined)
// ---- begin mikey/core/ntp_time.hpp ----
// mikey-ticket: time as the protocol sees it. T and TR payloads carry
// NTP-UTC (64-bit: seconds since 1900-01-01 and a 32-bit fraction; RFC 3830
// §6.6) or NTP-UTC-32 (seconds only; RFC 6043 §6.3). The library never reads
// a clock: callers pass `now` as an ntp_time, usually made from
// std::chrono::system_clock.
//
// Era: a 32-bit seconds field wraps in 2036. RFC 6043 §6.4 makes the RFC 4330
// §3 rule MANDATORY ("If bit 0 is set, the UTC time is in the range
// 1968-2036 ... If bit 0 is not set, the time is in the range 2036-2104"),
// so ntp_time keeps era-resolved seconds (up to 2104) and compares them as
// plain numbers.

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>

// #include "bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "registry.hpp" (inlined above as mikey/core/registry.hpp)

namespace mikey {

class ntp_time {
public:
    /// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
    static constexpr std::int64_t unix_epoch_offset = 2208988800;

    constexpr ntp_time() noexcept = default;

    /// From a 64-bit NTP-UTC value as carried on the wire (RFC 4330 era rule).
    [[nodiscard]] static constexpr ntp_time from_ntp64(std::uint64_t wire) noexcept {
        return ntp_time(resolve_era(static_cast<std::uint32_t>(wire >> 32)), static_cast<std::uint32_t>(wire));
    }
    /// From a 32-bit NTP-UTC-32 seconds value (RFC 6043 §6.3; era rule as above).
    [[nodiscard]] static constexpr ntp_time from_ntp32(std::uint32_t seconds) noexcept {
        return ntp_time(resolve_era(seconds), 0);
    }
    /// From seconds (and a binary fraction) since the Unix epoch.
    [[nodiscard]] static constexpr ntp_time from_unix(std::int64_t seconds, std::uint32_t fraction = 0) noexcept {
        return ntp_time(seconds + unix_epoch_offset, fraction);
    }
    /// From a system_clock time point (UTC on every platform C++20 supports).
    [[nodiscard]] static constexpr ntp_time from(std::chrono::system_clock::time_point tp) noexcept {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
        std::int64_t s = ns / 1'000'000'000;
        std::int64_t rest = ns % 1'000'000'000;
        if (rest < 0) {
            rest += 1'000'000'000;
            --s;
        }
        const auto frac = static_cast<std::uint32_t>((static_cast<std::uint64_t>(rest) << 32) / 1'000'000'000u);
        return from_unix(s, frac);
    }
    /// The T or TR value of a payload: NTP-UTC and NTP (8 bytes), NTP-UTC-32
    /// (4 bytes). nullopt for COUNTER (not a time) or a value of the wrong size.
    [[nodiscard]] static constexpr std::optional<ntp_time> from_payload(ts_type kind, bytes_view value) noexcept {
        if (value.size() != ts_value_size(kind)) {
            return std::nullopt;
        }
        std::uint64_t v = 0;
        for (const auto b : value) {
            v = (v << 8) | b;
        }
        switch (kind) {
            case ts_type::ntp_utc:
            case ts_type::ntp: return from_ntp64(v);
            case ts_type::ntp_utc_32: return from_ntp32(static_cast<std::uint32_t>(v));
            case ts_type::counter: return std::nullopt;
        }
        return std::nullopt;
    }

    [[nodiscard]] constexpr std::chrono::system_clock::time_point to_system_clock() const noexcept {
        const auto frac_ns = static_cast<std::int64_t>((static_cast<std::uint64_t>(m_fraction) * 1'000'000'000u) >> 32);
        return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds((m_seconds - unix_epoch_offset) * 1'000'000'000 + frac_ns)));
    }
    /// The 64-bit wire value (seconds modulo 2^32, fraction).
    [[nodiscard]] constexpr std::uint64_t ntp64() const noexcept {
        return static_cast<std::uint64_t>(static_cast<std::uint32_t>(m_seconds)) << 32 | m_fraction;
    }
    /// The 32-bit NTP-UTC-32 wire value (seconds modulo 2^32).
    [[nodiscard]] constexpr std::uint32_t ntp32() const noexcept { return static_cast<std::uint32_t>(m_seconds); }
    /// Seconds since 1900-01-01 (era-resolved).
    [[nodiscard]] constexpr std::int64_t seconds() const noexcept { return m_seconds; }
    [[nodiscard]] constexpr std::uint32_t fraction() const noexcept { return m_fraction; }
    [[nodiscard]] constexpr std::int64_t unix_seconds() const noexcept { return m_seconds - unix_epoch_offset; }

    [[nodiscard]] constexpr ntp_time operator+(std::chrono::seconds d) const noexcept {
        return ntp_time(m_seconds + d.count(), m_fraction);
    }
    [[nodiscard]] constexpr ntp_time operator-(std::chrono::seconds d) const noexcept {
        return ntp_time(m_seconds - d.count(), m_fraction);
    }
    /// The next time the 64-bit NTP format tells apart from this one (2^-32 s later).
    [[nodiscard]] constexpr ntp_time next_tick() const noexcept {
        return m_fraction == UINT32_MAX ? ntp_time(m_seconds + 1, 0) : ntp_time(m_seconds, m_fraction + 1);
    }
    friend constexpr auto operator<=>(const ntp_time&, const ntp_time&) noexcept = default;

private:
    constexpr ntp_time(std::int64_t seconds, std::uint32_t fraction) noexcept : m_seconds(seconds), m_fraction(fraction) {}
    /// RFC 4330 §3: bit 0 clear means the 2036-2104 era.
    static constexpr std::int64_t resolve_era(std::uint32_t s) noexcept {
        return (s & 0x80000000u) != 0 ? std::int64_t{s} : std::int64_t{s} + (std::int64_t{1} << 32);
    }
    std::int64_t m_seconds = 0;
    std::uint32_t m_fraction = 0;
};

// 2026-12-02T00:00:00Z is Unix 1796169600; its 32-bit NTP seconds have bit 0 set (before 2036).
static_assert(ntp_time::from_unix(1796169600).ntp32() == 1796169600u + 2208988800u);
static_assert(ntp_time::from_ntp32(ntp_time::from_unix(1796169600).ntp32()).unix_seconds() == 1796169600);
// RFC 4330 §3: NTP seconds 0 with bit 0 clear is 2036-02-07T06:28:16Z (Unix 2085978496).
static_assert(ntp_time::from_ntp32(0).unix_seconds() == 2085978496);
static_assert(ntp_time::from_ntp64(ntp_time::from_unix(2085978500, 7).ntp64()) == ntp_time::from_unix(2085978500, 7));
static_assert(ntp_time::from_unix(5, 7).next_tick() == ntp_time::from_unix(5, 8));
static_assert(ntp_time::from_unix(5, UINT32_MAX).next_tick() == ntp_time::from_unix(6, 0));

/// The absolute distance between two times, in whole seconds (rounded down).
[[nodiscard]] constexpr std::chrono::seconds distance(const ntp_time& a, const ntp_time& b) noexcept {
    const auto d = a.seconds() - b.seconds();
    return std::chrono::seconds(d < 0 ? -d : d);
}

}  // namespace mikey
// ---- end mikey/core/ntp_time.hpp ----
// #include "core/rng.hpp" (inlined)
// ---- begin mikey/core/rng.hpp ----
// mikey-ticket: where randomness comes from. The library never draws
// randomness on its own: every function that needs RANDs, keys or CSB IDs
// takes a random_generator from the caller. Models: botan_system_rng
// (crypto/botan_backend.hpp, the operating system's generator through Botan)
// and deterministic_rng (crypto/deterministic_rng.hpp, for tests and
// reproducible runs).

#include <concepts>
#include <cstdint>

// #include "bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "result.hpp" (inlined above as mikey/core/result.hpp)

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
// ---- end mikey/core/rng.hpp ----
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
#include <ranges>
#include <cstdint>
#include <type_traits>
#include <utility>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/config.hpp" (inlined above as mikey/core/config.hpp)
// #include "../core/errc.hpp" (inlined above as mikey/core/errc.hpp)
// #include "../core/reader.hpp" (inlined above as mikey/core/reader.hpp)
// #include "../core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "../core/writer.hpp" (inlined above as mikey/core/writer.hpp)

namespace mikey {

/// Declares, inside a view class, a deleted parse() for temporaries: parsing
/// `std::vector<std::uint8_t>{...}` does not compile, since the view would
/// point into a buffer destroyed at the end of the statement
/// (detail::owning_temporary, core/bytes.hpp).
#define MIKEY_REFUSE_TEMPORARIES(View)                                 \
    template <class C>                                                 \
        requires ::mikey::detail::owning_temporary<C>                  \
    static ::mikey::result<View> parse(C&&, ::mikey::errc = ::mikey::errc::truncated) = delete

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

/// The forward iterator of every range over validated bytes (decoded
/// sequences, payload chains, a message's payloads). The Cursor holds the
/// place and the element there: `current()` gives the element, `advance()`
/// moves on, `position()` tells places apart (end compares equal to the
/// place past the last element).
template <class Cursor>
class cursor_iterator {
public:
    using value_type = typename Cursor::value_type;
    using difference_type = std::ptrdiff_t;
    constexpr cursor_iterator() noexcept = default;
    /// Builds the cursor in place (no copy of a cursor just written).
    template <class... Args>
    constexpr explicit cursor_iterator(std::in_place_t, const Args&... args) noexcept : m_cursor(args...) {}
    constexpr const value_type& operator*() const noexcept { return m_cursor.current(); }
    constexpr const value_type* operator->() const noexcept { return &m_cursor.current(); }
    constexpr cursor_iterator& operator++() noexcept {
        m_cursor.advance();
        return *this;
    }
    constexpr cursor_iterator operator++(int) noexcept {
        auto old = *this;
        ++*this;
        return old;
    }
    constexpr bool operator==(const cursor_iterator& o) const noexcept {
        return m_cursor.position() == o.m_cursor.position();
    }

private:
    Cursor m_cursor{};
};

/// A forward range over a validated sequence of variable-size elements
/// (SP parameters, Key ID sub-payloads, GENERIC-ID blocks, Key data
/// sub-payloads). `Decoder::decode_into(rest, out)` writes the element at
/// the front of `rest` into `out` and returns its size; it is only ever
/// called on bytes the sequence's parser accepted.
template <class Decoder>
class decoded_range {
public:
    using value_type = typename Decoder::value_type;
    constexpr explicit decoded_range(bytes_view data MIKEY_LIFETIMEBOUND) noexcept : m_data(data) {}

    /// The unread bytes and the element at their front.
    class cursor {
    public:
        using value_type = typename Decoder::value_type;
        constexpr cursor() noexcept = default;
        constexpr explicit cursor(bytes_view rest) noexcept : m_rest(rest) { load(); }
        [[nodiscard]] constexpr const value_type& current() const noexcept { return m_value; }
        constexpr void advance() noexcept {
            m_rest = m_rest.subspan(m_size);
            load();
        }
        [[nodiscard]] constexpr std::size_t position() const noexcept { return m_rest.size(); }

    private:
        constexpr void load() noexcept {
            if (!m_rest.empty()) {
                // Written in place: a whole view built aside and copied in went through the
                // stack (store-forwarding stalls in GCC 12's code for Key data views).
                m_size = Decoder::decode_into(m_rest, m_value);
            }
        }
        bytes_view m_rest{};
        value_type m_value{};
        std::size_t m_size = 0;
    };
    using iterator = cursor_iterator<cursor>;

    [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(std::in_place, m_data); }
    [[nodiscard]] constexpr iterator end() const noexcept { return iterator(std::in_place, m_data.last(0)); }
    /// The bytes of the whole sequence.
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return m_data; }

private:
    bytes_view m_data;
};

/// The size and Next Payload of one framed payload.
struct framed_payload {
    std::size_t size = 0;
    payload_type next = payload_type::last;
};

namespace detail {

/// Validates a sequence of Type(8) | Length(8) | Value elements (SP
/// parameters, RFC 3830 §6.10; Key ID sub-payloads, RFC 4563 §4): each
/// element complete (else `underrun` at the value), each type accepted by
/// `accept` (else `unknown` at the element). Offsets relative to `data`.
template <class Accept>
[[nodiscard]] constexpr result<void> check_type_length_value(bytes_view data, errc underrun, errc unknown,
                                                             Accept&& accept) noexcept {
    // The hot loop of SP parsing: two bounds checks per element, no reader.
    std::size_t at = 0;
    while (at != data.size()) {
        const std::size_t left = data.size() - at;
        if (left < 2) {
            return failure{underrun, at + 1};  // the Length field
        }
        if (data[at + 1] > left - 2) {
            return failure{underrun, at + 2};  // the Value field
        }
        if (!accept(data[at])) {
            return failure{unknown, at};
        }
        at += 2u + data[at + 1];
    }
    return {};
}

/// Decodes the Type(8) | Length(8) | Value element at the front of `rest`
/// into `out`; returns its size.
template <class Element>
constexpr std::size_t decode_type_length_value(bytes_view rest, Element& out) noexcept {
    using kind_t = decltype(Element{}.kind);
    out = Element{static_cast<kind_t>(rest[0]), rest.subspan(2, rest[1])};
    return 2u + rest[1];
}

/// Checks a name-space value read from the wire against is_acceptable().
template <class E>
[[nodiscard]] constexpr bool acceptable_raw(unsigned raw) noexcept {
    return is_acceptable(static_cast<E>(raw));
}

/// Frames one payload with view V: validates it and gives its size and
/// Next Payload (what chain walkers need, returned straight from the
/// inlined parser so no view is kept).
template <class V>
MIKEY_ALWAYS_INLINE constexpr result<framed_payload> frame_as(bytes_view in, errc underrun) noexcept {
    const auto v = V::parse(in, underrun);
    if (!v) {
        return v.error_info();
    }
    return framed_payload{v->size(), v->next()};
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

/// Next | [Role] | Type: the head of the typed-data and implied-length
/// payloads, its size and its store into memory byte_writer::claim gave.
template <class Spec>
inline constexpr std::size_t head_size = has_role<Spec> ? 3 : 2;
template <class Spec, class Kind>
constexpr std::uint8_t* put_head(std::uint8_t* p, role_of<Spec> role, Kind kind) noexcept {
    p = put::u8(p, 0);
    if constexpr (has_role<Spec>) p = put::u8(p, static_cast<std::uint8_t>(role));
    return put::u8(p, static_cast<std::uint8_t>(kind));
}

/// The from_validated() of the shapes below read a payload parse() has
/// already accepted in place, by index: its bounds were checked then. The
/// role byte (byte 1) of a role-carrying shape.
template <class Spec>
[[nodiscard]] constexpr role_of<Spec> validated_role(bytes_view in) noexcept {
    if constexpr (has_role<Spec>) {
        return static_cast<typename Spec::role_enum>(in[1]);
    } else {
        return {};
    }
}
/// The big-endian 16-bit field at `at` of a payload parse() has accepted.
[[nodiscard]] constexpr std::size_t validated_u16(bytes_view in, std::size_t at) noexcept {
    return static_cast<std::size_t>(in[at]) << 8 | in[at + 1];
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

    MIKEY_REFUSE_TEMPORARIES(typed_data_view);
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

    /// The view of a payload parse() has already accepted (an entry of a
    /// validated chain, chain_entry::as): reads the fields without checking
    /// role, Type and Data again. Precondition: `in` starts with such a payload.
    [[nodiscard]] static constexpr typed_data_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        constexpr std::size_t data_at = detail::head_size<Spec> + 2;
        const std::size_t len = detail::validated_u16(in, data_at - 2);
        return typed_data_view(in.first(data_at + len), detail::validated_role<Spec>(in),
                               static_cast<kind_enum>(in[data_at - 3]), in.subspan(data_at, len));
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
    MIKEY_NO_UNIQUE_ADDRESS role_type m_role{};
    kind_enum m_kind{};
    bytes_view m_data{};
};

/// Builder of a typed-data payload. Errors on write: field_too_long when data
/// exceeds 65535 bytes.
template <class Spec>
struct typed_data_builder {
    static constexpr payload_type type = Spec::type;
    MIKEY_NO_UNIQUE_ADDRESS detail::role_of<Spec> role{};
    typename Spec::kind_enum kind{};
    bytes_view data{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!byte_writer::fits(data.size(), 2)) {
            w.fail(errc::field_too_long);
            return;
        }
        std::uint8_t* p = w.claim(detail::head_size<Spec> + 2 + data.size());
        if (p == nullptr) return;  // counting (or failed)
        p = detail::put_head<Spec>(p, role, kind);
        p = put::u16(p, data.size());
        put::bytes(p, data);
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

    MIKEY_REFUSE_TEMPORARIES(random_view);
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
    /// The view of a payload parse() has already accepted (chain_entry::as):
    /// reads the fields without checking them again. Precondition: `in`
    /// starts with such a payload.
    [[nodiscard]] static constexpr random_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        constexpr std::size_t value_at = detail::has_role<Spec> ? 3 : 2;
        const std::size_t len = in[value_at - 1];
        return random_view(in.first(value_at + len), detail::validated_role<Spec>(in), in.subspan(value_at, len));
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
    MIKEY_NO_UNIQUE_ADDRESS role_type m_role{};
    bytes_view m_value{};
};

/// Builder of RAND / RANDR. Errors on write: field_too_long above 255 bytes.
template <class Spec>
struct random_builder {
    static constexpr payload_type type = Spec::type;
    MIKEY_NO_UNIQUE_ADDRESS detail::role_of<Spec> role{};
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

    MIKEY_REFUSE_TEMPORARIES(implied_length_view);
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
    /// The view of a payload parse() has already accepted (chain_entry::as):
    /// reads the fields without checking them again. Precondition: `in`
    /// starts with such a payload.
    [[nodiscard]] static constexpr implied_length_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        constexpr std::size_t value_at = detail::head_size<Spec>;
        const auto kind = static_cast<kind_enum>(in[value_at - 1]);
        const std::size_t len = Spec::value_size(kind);
        return implied_length_view(in.first(value_at + len), detail::validated_role<Spec>(in), kind,
                                   in.subspan(value_at, len));
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
    MIKEY_NO_UNIQUE_ADDRESS role_type m_role{};
    kind_enum m_kind{};
    bytes_view m_value{};
};

/// Builder of T, TR, V or CHASH. Errors on write: invalid_argument when the
/// value's length is not the one the kind implies.
template <class Spec>
struct implied_length_builder {
    static constexpr payload_type type = Spec::type;
    MIKEY_NO_UNIQUE_ADDRESS detail::role_of<Spec> role{};
    typename Spec::kind_enum kind{};
    bytes_view value{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(kind) || value.size() != Spec::value_size(kind)) {
            w.fail(errc::invalid_argument);
            return;
        }
        std::uint8_t* p = w.claim(detail::head_size<Spec> + value.size());
        if (p == nullptr) return;  // counting (or failed)
        put::bytes(detail::put_head<Spec>(p, role, kind), value);
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
[[nodiscard]] MIKEY_ALWAYS_INLINE constexpr result<generic_id_block> read_generic_id_block(byte_reader& r) noexcept {
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

struct generic_id_decoder {
    using value_type = generic_id_block;
    static constexpr std::size_t decode_into(bytes_view rest, generic_id_block& out) noexcept {
        byte_reader r(rest);
        out = *detail::read_generic_id_block(r);
        return r.offset();
    }
};

/// The blocks of a validated GENERIC-ID map info.
using generic_id_map = decoded_range<generic_id_decoder>;

struct hdr_builder;

/// HDR: version | data type | next payload | V | PRF func | CSB ID | #CS |
/// CS ID map type | CS ID map info (RFC 3830 §6.1).
class hdr_view {
public:
    MIKEY_REFUSE_TEMPORARIES(hdr_view);
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
        return from_validated(in.first(r.offset()));
    }

    /// The view of a header parse() accepted, given exactly its bytes
    /// (what message_view keeps instead of a copy of the view).
    [[nodiscard]] static constexpr hdr_view from_validated(bytes_view header MIKEY_LIFETIMEBOUND) noexcept {
        return hdr_view(header, header.subspan(map_info_offset));
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
    static constexpr std::size_t map_info_offset = 10;
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
            if (!byte_writer::fits(b.session_data.size(), 2) || !byte_writer::fits(b.spi.size(), 1)) {
                w.fail(errc::field_too_long);
                return;
            }
            // CS ID | Prot type | S | #P | Ps... | Session Data Length(16) | Session Data | SPI Length | SPI
            std::uint8_t* p = w.claim(6 + b.policies.size() + b.session_data.size() + b.spi.size());
            if (p == nullptr) continue;  // counting (or failed)
            p = put::u8(p, b.cs_id);
            p = put::u8(p, static_cast<std::uint8_t>(b.prot));
            p = put::u8(p, (b.s_flag ? 0x80u : 0u) | static_cast<unsigned>(b.policies.size()));
            p = put::bytes(p, b.policies);
            p = put::u16(p, b.session_data.size());
            p = put::bytes(p, b.session_data);
            p = put::u8(p, b.spi.size());
            put::bytes(p, b.spi);
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
[[nodiscard]] MIKEY_ALWAYS_INLINE constexpr kv_data read_kv_data(byte_reader& r, kv_type kind) noexcept {
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
class key_data_list;

/// KEMAC: Next | Encr alg | Encr data len(16) | Encr data | Mac alg | MAC.
/// The MAC's length follows from the Mac alg.
class kemac_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::kemac;

    MIKEY_REFUSE_TEMPORARIES(kemac_view);
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

    /// The view of a KEMAC that parse() accepted (a validated chain's entry,
    /// or the start of the rest of one): reads the layout without checking it
    /// again. Precondition: `in` starts with such a payload.
    [[nodiscard]] static constexpr kemac_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        // Next | Encr alg | Encr data len(16) | Encr data | Mac alg | MAC, read in place.
        const std::size_t len = detail::validated_u16(in, 2);
        const std::size_t mac_at = 5 + len;
        return kemac_view(in.first(mac_at + mac_size(static_cast<mac_alg>(in[mac_at - 1]))), in.subspan(4, len));
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
    /// The Key data chain of a KEMAC with NULL encryption, whose Encr data is
    /// the plaintext (RFC 3830 §4.2.3, §6.2), with a leading ID payload when
    /// `leading_id` (the PK method's IDi, RFC 3830 §3.2). The views point into
    /// the buffer this view points into. Defined after key_data_list.
    /// Errors (offsets relative to encrypted_data()): invalid_argument (offset
    /// 0) when encryption() is not NULL (the data is ciphertext: open it with
    /// crypto::open_kemac); the chain's own errors, as key_data_list::parse
    /// gives them (length_out_of_bounds, misplaced_payload,
    /// unknown_key_data_type, unknown_kv_type, unknown_id_type, trailing_bytes).
    [[nodiscard]] constexpr result<key_data_list> plain_key_data(bool leading_id) const noexcept;
    /// plain_key_data(kemac_has_leading_id(message)): the chain as a message
    /// of data type `message` carries it, IDi first in PK_INIT only.
    [[nodiscard]] constexpr result<key_data_list> plain_key_data(data_type message) const noexcept;

private:
    constexpr kemac_view(bytes_view b, bytes_view data) noexcept : payload_bytes(b), m_data(data) {}
    bytes_view m_data{};
};

/// Bytes of a KEMAC payload with `encr_size` bytes of Encr data and Mac alg
/// `mac` (a registered one: mac_size() gives its MAC's length).
/// Errors: field_too_long (Encr data over 65535 bytes: its length field has 16 bits).
[[nodiscard]] constexpr result<std::size_t> kemac_payload_size(std::size_t encr_size, mac_alg mac) noexcept {
    if (!byte_writer::fits(encr_size, 2)) return errc::field_too_long;
    return 5 + encr_size + mac_size(mac);
}

/// The fields a KEMAC's writer fills after put_kemac_frame.
struct kemac_frame {
    mutable_bytes encrypted_data;  ///< Encr data
    mutable_bytes mac;             ///< MAC (empty for the NULL MAC)
};

/// Lays out a KEMAC payload in `out` (kemac_payload_size(encr_size, mac)
/// bytes): Next payload 0 (a chain writer links it), Encr alg, Encr data
/// len and Mac alg; returns the Encr data and MAC fields for the caller to
/// fill (kemac_builder copies them; the crypto layer encrypts into them).
/// Preconditions: out.size() is that size, encr_size <= 65535.
[[nodiscard]] constexpr kemac_frame put_kemac_frame(mutable_bytes out, encr_alg encr, std::size_t encr_size,
                                                    mac_alg mac) noexcept {
    std::uint8_t* p = put::u8(out.data(), 0);
    p = put::u8(p, static_cast<std::uint8_t>(encr));
    p = put::u16(p, encr_size);
    put::u8(p + encr_size, static_cast<std::uint8_t>(mac));
    return {out.subspan(4, encr_size), out.subspan(5 + encr_size)};
}

/// Builds a KEMAC from already protected Encr data and MAC (the crypto layer
/// produces both, or encrypts into put_kemac_frame's fields itself).
/// Errors on write: field_too_long (Encr data above 65535 bytes),
/// invalid_argument (MAC length not the one Mac alg implies).
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
        const auto n = kemac_payload_size(encrypted_data.size(), mac_algorithm);
        if (!n) {
            w.fail(n.error());
            return;
        }
        std::uint8_t* p = w.claim(*n);
        if (p == nullptr) return;  // counting (or failed)
        const kemac_frame f = put_kemac_frame(mutable_bytes(p, *n), encryption, encrypted_data.size(), mac_algorithm);
        copy_bytes(f.encrypted_data, encrypted_data);
        copy_bytes(f.mac, mac);
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
    /// An empty view (what a default-constructed range element holds).
    constexpr key_data_view() noexcept = default;

    MIKEY_REFUSE_TEMPORARIES(key_data_view);
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

    /// The view of a sub-payload parse() has already accepted (an element of
    /// a validated key_data_list): reads the layout only. Precondition: `in`
    /// starts with such a sub-payload.
    [[nodiscard]] static constexpr key_data_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        key_data_view v;
        (void)load_validated(in, v);
        return v;
    }
    /// from_validated() written into `out` field by field (a range's current
    /// element: no whole-view copy through the stack). Returns its size.
    static constexpr std::size_t load_validated(bytes_view in, key_data_view& out) noexcept {
        byte_reader r(in);
        (void)r.u8();
        const auto type_kv = r.u8();
        const auto kind = static_cast<key_data_type>(type_kv >> 4);
        out.m_key = r.take(r.u16());
        out.m_salt = has_salt(kind) ? r.take(r.u16()) : bytes_view{};
        out.m_kv = detail::read_kv_data(r, static_cast<kv_type>(type_kv & 0x0F));
        out.m_bytes = in.first(r.offset());
        return r.offset();
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
        if (!byte_writer::fits(key.size(), 2) || !byte_writer::fits(salt.size(), 2)) {
            w.fail(errc::field_too_long);
            return;
        }
        // Next | Type KV | Key data len | Key data | [Salt len | Salt data], then the KV data.
        const bool salted = has_salt(kind);
        if (std::uint8_t* p = w.claim(4 + key.size() + (salted ? 2 + salt.size() : 0))) {
            p = put::u8(p, 0);
            p = put::u8(p, static_cast<unsigned>(kind) << 4 | (static_cast<unsigned>(validity.kind) & 0x0F));
            p = put::u16(p, key.size());
            p = put::bytes(p, key);
            if (salted) {
                p = put::u16(p, salt.size());
                put::bytes(p, salt);
            }
        }
        detail::write_kv_data(w, validity);
    }
};

constexpr key_data_builder key_data_view::to_builder() const noexcept { return {kind(), m_key, m_salt, m_kv}; }

/// True when a KEMAC's plaintext starts with IDi, ahead of the Key data: the
/// public-key method's I_MESSAGE, "KEMAC = E(encr_key, IDi || {TGK})"
/// (RFC 3830 §3.2). Every other message carries Key data only.
[[nodiscard]] constexpr bool kemac_has_leading_id(data_type t) noexcept { return t == data_type::pk_init; }

/// Steps through a validated Key data chain (key_data_list).
struct key_data_decoder {
    using value_type = key_data_view;
    static constexpr std::size_t decode_into(bytes_view rest, key_data_view& out) noexcept {
        return key_data_view::load_validated(rest, out);
    }
};

/// The plaintext of a KEMAC's Encr data: in the PK method an ID (IDi) first
/// (RFC 3830 §3.2), then the Key data sub-payloads, chained by Next Payload
/// (20 while another follows, 0 after the last). May be empty in a CSB
/// update (RFC 3830 §4.5).
class key_data_list {
public:
    MIKEY_REFUSE_TEMPORARIES(key_data_list);
    /// Validates a plaintext chain. Errors (offsets relative to `plain`):
    /// length_out_of_bounds; misplaced_payload (anything but Key data after
    /// the first element); unknown_key_data_type; unknown_kv_type;
    /// unknown_id_type; trailing_bytes (bytes after the sub-payload with Next 0).
    [[nodiscard]] MIKEY_FLATTEN static constexpr result<key_data_list> parse(bytes_view plain MIKEY_LIFETIMEBOUND,
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
        // RFC 3830 §6.2: the Encr data holds Key data sub-payloads only (after
        // the PK method's IDi); "The last Key data payload has its Next payload
        // field set to Last payload".
        while (next != payload_type::last) {
            if (next != payload_type::key_data) {
                return failure{errc::misplaced_payload, pos};
            }
            const auto k = detail::frame_as<key_data_view>(plain.subspan(pos), underrun);
            if (!k) {
                return shifted(k.error_info(), pos);
            }
            next = k->next;
            pos += k->size;
            ++count;
        }
        if (pos != plain.size()) {
            return failure{errc::trailing_bytes, pos};
        }
        return key_data_list(plain.subspan(id.size()), id, count);
    }

    /// Validates a plaintext chain as a message of data type `message`
    /// carries it: with a leading IDi when kemac_has_leading_id(message)
    /// (PK_INIT, RFC 3830 §3.2, §6.2), Key data only otherwise. Errors: as
    /// parse(plain, id_first).
    [[nodiscard]] static constexpr result<key_data_list> parse(bytes_view plain MIKEY_LIFETIMEBOUND,
                                                               data_type message) noexcept {
        return parse(plain, kemac_has_leading_id(message));
    }

    /// The leading ID payload (PK method), if parsed with id_first.
    /// Errors: missing_payload when the list was parsed without one.
    [[nodiscard]] constexpr result<id_view> id() const noexcept {
        return m_id.empty() ? result<id_view>(errc::missing_payload) : id_view::parse(m_id);
    }
    /// Number of Key data sub-payloads.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_count; }

    /// RFC 6043 §6.2.1: "An SPI (or MKI) MUST be specified for each key": every
    /// Key data sub-payload of an RFC 6043 message has KV type SPI.
    /// Errors: key_without_spi, at the offending sub-payload (relative to the
    /// Key data entries, i.e. after a leading ID).
    [[nodiscard]] constexpr result<void> require_spi() const noexcept {
        std::size_t at = 0;
        for (const auto& k : *this) {
            if (k.validity().kind != kv_type::spi) {
                return failure{errc::key_without_spi, at};
            }
            at += k.size();
        }
        return {};
    }

    using iterator = decoded_range<key_data_decoder>::iterator;
    [[nodiscard]] constexpr iterator begin() const noexcept { return decoded_range<key_data_decoder>(m_keys).begin(); }
    [[nodiscard]] constexpr iterator end() const noexcept { return decoded_range<key_data_decoder>(m_keys).end(); }

private:
    constexpr key_data_list(bytes_view keys, bytes_view id, std::size_t count) noexcept
        : m_keys(keys), m_id(id), m_count(count) {}
    bytes_view m_keys{};
    bytes_view m_id{};
    std::size_t m_count = 0;
};

constexpr result<key_data_list> kemac_view::plain_key_data(bool leading_id) const noexcept {
    if (encryption() != encr_alg::null) {
        return failure{errc::invalid_argument, 0};
    }
    return key_data_list::parse(m_data, leading_id);
}

constexpr result<key_data_list> kemac_view::plain_key_data(data_type message) const noexcept {
    return plain_key_data(kemac_has_leading_id(message));
}

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

    MIKEY_REFUSE_TEMPORARIES(pke_view);
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

    MIKEY_REFUSE_TEMPORARIES(dh_view);
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

    MIKEY_REFUSE_TEMPORARIES(sign_view);
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

struct sp_param_decoder {
    using value_type = sp_param;
    static constexpr std::size_t decode_into(bytes_view rest, sp_param& out) noexcept {
        return detail::decode_type_length_value(rest, out);
    }
};

/// The parameters of a validated SP payload.
using sp_param_list = decoded_range<sp_param_decoder>;

struct sp_builder;

/// SP: Next | Policy no | Prot type | Policy param length(16) | parameters.
class sp_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::sp;

    MIKEY_REFUSE_TEMPORARIES(sp_view);
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
        const auto checked = detail::check_type_length_value(
            params, errc::length_out_of_bounds, errc::unknown_srtp_param,
            [prot](unsigned k) { return prot != prot_type::srtp || detail::acceptable_raw<srtp_param>(k); });
        if (!checked) {
            return shifted(checked.error_info(), params_at);
        }
        return sp_view(in.first(r.offset()), params);
    }

    /// The view of an SP payload parse() has already accepted (an entry of a
    /// validated chain, chain_entry::as, or of a list that parsed it when it
    /// took it): reads the layout without checking the Prot type and the
    /// parameters again. Precondition: `in` starts with such a payload.
    [[nodiscard]] static constexpr sp_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        const std::size_t len = static_cast<std::size_t>(in[3]) << 8 | in[4];
        return sp_view(in.first(5 + len), in.subspan(5, len));
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

    MIKEY_REFUSE_TEMPORARIES(err_view);
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

struct key_id_decoder {
    using value_type = key_id_entry;
    static constexpr std::size_t decode_into(bytes_view rest, key_id_entry& out) noexcept {
        return detail::decode_type_length_value(rest, out);
    }
};

/// The Key ID sub-payloads of a validated Key ID extension's data.
class key_id_list : public decoded_range<key_id_decoder> {
public:
    using decoded_range::decoded_range;

    /// Validates a Key ID information field: at least one entry, each complete,
    /// each Key ID Type registered or private use. Errors: empty_chain,
    /// length_out_of_bounds, unknown_key_id_type (offsets relative to `data`).
    [[nodiscard]] static constexpr result<void> check(bytes_view data) noexcept {
        if (data.empty()) {
            return failure{errc::empty_chain, 0};
        }
        return detail::check_type_length_value(data, errc::length_out_of_bounds, errc::unknown_key_id_type,
                                               [](unsigned k) { return detail::acceptable_raw<key_id_type>(k); });
    }
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

#include <array>
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

namespace detail {

template <class... Views>
struct view_list {};

/// Every payload that can stand in a chain, except TP and TICKET (which hold
/// chains themselves and are framed by message.hpp). frame_one_of compares a
/// payload's type with these in this order: RFC 6043's payloads (IDR and
/// RANDR in every message, T, V, KEMAC, SP, TR in TP Data) come first,
/// RFC 3830's public-key and DH ones last.
using plain_payload_views = view_list<idr_view, randr_view, t_view, v_view, kemac_view, sp_view, tr_view, rand_view,
                                      err_view, general_extension_view, id_view, cert_view, chash_view, pke_view,
                                      dh_view, sign_view>;

/// Frames one payload of type `t` with the view of `V, Rest...` whose type
/// it is (a comparison chain in the list's order, each parser inlined, each
/// returning straight to the caller). A registered
/// payload type none of them handles is misplaced: Key data lives only
/// inside a KEMAC (RFC 3830 §6.13), TP and TICKET do not nest.
/// `Validated`: the chain was validated before, so only the layout is read,
/// through the view's from_validated() where it has one.
template <bool Validated, class V, class... Rest>
[[nodiscard]] MIKEY_ALWAYS_INLINE constexpr result<framed_payload> frame_one_of(payload_type t, bytes_view in,
                                                                               errc underrun) noexcept {
    if (t == V::type) {
        if constexpr (Validated && requires { V::from_validated(in); }) {
            const auto v = V::from_validated(in);
            return framed_payload{v.size(), v.next()};
        } else {
            return frame_as<V>(in, underrun);
        }
    }
    if constexpr (sizeof...(Rest) != 0) {
        return frame_one_of<Validated, Rest...>(t, in, underrun);
    } else {
        return failure{is_registered(t) ? errc::misplaced_payload : errc::unknown_payload_type, 0};
    }
}

template <bool Validated = false, class... Views>
[[nodiscard]] MIKEY_ALWAYS_INLINE constexpr result<framed_payload> frame_one_of(view_list<Views...>, payload_type t,
                                                                               bytes_view in, errc underrun) noexcept {
    return frame_one_of<Validated, Views...>(t, in, underrun);
}

}  // namespace detail

/// Frames one payload of type `t` (not TP / TICKET) at the start of `in`.
/// Errors: misplaced_payload for Key data (it lives only inside KEMAC,
/// RFC 3830 §6.13) and for TP / TICKET; unknown_payload_type; any error of
/// the payload's own parse.
[[nodiscard]] constexpr result<framed_payload> frame_plain_payload(payload_type t, bytes_view in,
                                                                   errc underrun) noexcept {
    return detail::frame_one_of(detail::plain_payload_views{}, t, in, underrun);
}

/// A payload located in a validated chain. as<V>() gives its typed view.
struct chain_entry {
    payload_type type = payload_type::last;
    std::size_t offset = 0;  ///< from the start of the span the chain was walked in
    bytes_view bytes{};

    /// The typed view. Precondition: V::type == type (the chain is validated,
    /// so the parse cannot fail). Views with nested chains (TP, TICKET) offer
    /// from_validated(), which reads their layout without validating again.
    template <class V>
    [[nodiscard]] constexpr V as() const noexcept {
        if constexpr (requires { V::from_validated(bytes); }) {
            return V::from_validated(bytes);
        } else {
            return *V::parse(bytes);
        }
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

    /// The payload at a place in the chain and the type of the next one.
    class cursor {
    public:
        using value_type = chain_entry;
        constexpr cursor() noexcept = default;
        constexpr cursor(bytes_view in, std::size_t pos, payload_type t) noexcept : m_in(in), m_t(t) { load(pos); }
        [[nodiscard]] constexpr const chain_entry& current() const noexcept { return m_entry; }
        constexpr void advance() noexcept {
            m_t = m_next;
            load(m_entry.offset + m_entry.bytes.size());
        }
        /// The offset of the current payload; past the end: the largest value.
        [[nodiscard]] constexpr std::size_t position() const noexcept {
            return m_t == payload_type::last ? static_cast<std::size_t>(-1) : m_entry.offset;
        }

    private:
        constexpr void load(std::size_t pos) noexcept {
            if (m_t == payload_type::last) {
                return;
            }
            const auto f = *Frame{}(m_t, m_in.subspan(pos), errc::truncated);
            m_entry = chain_entry{m_t, pos, m_in.subspan(pos, f.size)};
            m_next = f.next;
        }
        bytes_view m_in{};
        payload_type m_t = payload_type::last;
        payload_type m_next = payload_type::last;
        chain_entry m_entry{};
    };
    using iterator = cursor_iterator<cursor>;

    [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(std::in_place, m_in, m_pos, m_first); }
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

/// Frames the plain payloads of an inner chain validated before (the TP
/// Data and Initiator Data of a parsed TICKET, the Ticket Data of a parsed
/// base ticket): reads each payload's layout without checking it again.
struct validated_framer {
    constexpr result<framed_payload> operator()(payload_type t, bytes_view in, errc underrun) const noexcept {
        return detail::frame_one_of<true>(detail::plain_payload_views{}, t, in, underrun);
    }
};

/// The payloads of an inner chain validated before (validated_framer).
using validated_chain = chain_range<validated_framer>;

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

#include <iterator>

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

/// Where each flag sits in the policy bytes (RFC 6043 §6.10): byte 5 holds
/// PRF Func(7) D, byte 6 E F G H I J K L, byte 7 M N O Res(5).
struct ticket_flag_bit {
    char letter;
    bool ticket_flags::* member;
    std::size_t byte;  ///< offset in the TP / TICKET payload
    std::uint8_t mask;
};

inline constexpr ticket_flag_bit ticket_flag_bits[] = {
    {'D', &ticket_flags::d, 5, 0x01}, {'E', &ticket_flags::e, 6, 0x80}, {'F', &ticket_flags::f, 6, 0x40},
    {'G', &ticket_flags::g, 6, 0x20}, {'H', &ticket_flags::h, 6, 0x10}, {'I', &ticket_flags::i, 6, 0x08},
    {'J', &ticket_flags::j, 6, 0x04}, {'K', &ticket_flags::k, 6, 0x02}, {'L', &ticket_flags::l, 6, 0x01},
    {'M', &ticket_flags::m, 7, 0x80}, {'N', &ticket_flags::n, 7, 0x40}, {'O', &ticket_flags::o, 7, 0x20},
};
static_assert(std::size(ticket_flag_bits) == 12);

namespace detail {

/// The flags from policy bytes 5, 6 and 7.
constexpr ticket_flags decode_flags(std::uint8_t b5, std::uint8_t b6, std::uint8_t b7) noexcept {
    const std::uint8_t bytes[3] = {b5, b6, b7};
    ticket_flags f;
    for (const auto& bit : ticket_flag_bits) {
        f.*bit.member = (bytes[bit.byte - 5] & bit.mask) != 0;
    }
    return f;
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
    std::uint8_t bytes[3] = {static_cast<std::uint8_t>(static_cast<unsigned>(p.prf) << 1), 0, 0};
    for (const auto& bit : ticket_flag_bits) {
        if (p.flags.*bit.member) {
            bytes[bit.byte - 5] |= bit.mask;
        }
    }
    w.u8(0);
    w.u16(static_cast<std::uint16_t>(p.kind));
    w.u8(p.subtype);
    w.u8(p.version);
    w.u8(bytes[0]);
    w.u8(bytes[1]);
    w.u8(bytes[2]);
    w.length(tp_data.size(), 2);
    w.bytes(tp_data);
}

/// A validated chain that starts with a First Payload byte (TP Data,
/// Initiator Data). Precondition: `data` passed check_tp_data /
/// check_initiator_data.
[[nodiscard]] constexpr validated_chain first_byte_chain(bytes_view data) noexcept {
    return data.empty() ? validated_chain(data, 0, payload_type::last)
                        : validated_chain(data, 1, static_cast<payload_type>(data[0]));
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
    MIKEY_REFUSE_TEMPORARIES(thdr_view);
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
    MIKEY_REFUSE_TEMPORARIES(base_ticket_view);
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
    [[nodiscard]] constexpr validated_chain payloads() const noexcept {
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
        return chain_entry{V::type, off, m_data.subspan(off)}.as<V>();
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
struct ticket_copy_builder;

/// TP (Granted = false: the desired policy, RFC 6043 §6.10) or TICKET
/// (Granted = true: granted policy, Ticket Data, Initiator Data):
/// Next | Ticket Type(16) | Subtype | Version | PRF Func(7) D | E F G H I J K L |
/// M N O Res(5) | TP Data length(16) | TP Data [| Ticket Data length(16) |
/// Ticket Data | Initiator Data length(16) | Initiator Data].
template <bool Granted>
class basic_ticket_view : public payload_bytes {
public:
    static constexpr payload_type type = Granted ? payload_type::ticket : payload_type::tp;

    MIKEY_REFUSE_TEMPORARIES(basic_ticket_view);
    /// Errors: underrun; unknown_ticket_type; unknown_prf_func;
    /// reserved_bits_set (Res); the flag rules (check_ticket_flags); TP Data
    /// errors (missing_payload without IDRr, tp_kemac_not_null,
    /// kemac_in_granted_policy, trr_not_ntp_utc_32, chain errors);
    /// initiator_data_without_i; Initiator Data chain errors. Ticket Data is
    /// not read here (base_ticket() validates a base ticket's).
    [[nodiscard]] MIKEY_NOINLINE static constexpr result<basic_ticket_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                                   errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        const layout l = read_layout(r);
        if (r.failed()) {
            return r.error();
        }
        const auto kind = static_cast<ticket_type>(in[1] << 8 | in[2]);
        const auto b5 = in[5];
        const auto b6 = in[6];
        const auto b7 = in[7];
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
        if (auto ok = detail::check_tp_data(l.tp_data, Granted); !ok) {
            return shifted(ok.error_info(), 10);
        }
        const basic_ticket_view v(in.first(r.offset()), l);
        if constexpr (Granted) {
            if (!l.initiator_data.empty()) {
                // RFC 6043 §6.10: Initiator Data "SHALL be inserted by the Initiator if and only if
                // key forking is used (I flag)".
                if (!flags.i) {
                    return failure{errc::initiator_data_without_i, l.initiator_at};
                }
                if (auto ok = detail::check_initiator_data(l.initiator_data); !ok) {
                    return shifted(ok.error_info(), l.initiator_at + 2);
                }
            }
        }
        return v;
    }

    /// The view of a payload that parse() has already accepted (as part of a
    /// validated message): reads the layout only. Precondition: `in` holds a
    /// payload parse() accepts.
    [[nodiscard]] static constexpr basic_ticket_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        byte_reader r(in);
        const layout l = read_layout(r);
        return basic_ticket_view(in.first(r.offset()), l);
    }

    [[nodiscard]] constexpr ticket_policy policy() const noexcept {
        return {static_cast<ticket_type>(m_bytes[1] << 8 | m_bytes[2]), m_bytes[3], m_bytes[4],
                static_cast<prf_func>(m_bytes[5] >> 1), detail::decode_flags(m_bytes[5], m_bytes[6], m_bytes[7])};
    }
    [[nodiscard]] constexpr ticket_flags flags() const noexcept {
        return detail::decode_flags(m_bytes[5], m_bytes[6], m_bytes[7]);
    }
    /// TP Data, including its First Payload byte.
    [[nodiscard]] constexpr bytes_view tp_data() const noexcept { return m_tp_data; }
    /// The payloads of TP Data.
    [[nodiscard]] constexpr validated_chain tp_payloads() const noexcept {
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
    [[nodiscard]] constexpr validated_chain initiator_payloads() const noexcept
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
    /// Offset within bytes() of the Ticket Data (after its length field):
    /// where base_ticket()'s error offsets start counting inside it.
    [[nodiscard]] constexpr std::size_t ticket_data_offset() const noexcept
        requires Granted
    {
        return static_cast<std::size_t>(m_ticket_data.data() - bytes().data());
    }
    /// The base ticket's Ticket Data (RFC 6043 App. A), validated by this
    /// call: parse() leaves Ticket Data opaque, as it is "intended only for
    /// the party that resolves the ticket" (RFC 6043 §3, §6.10), so only a
    /// party that reads it pays for its walk. Call it once and keep the view.
    /// Errors: ticket_data_unparsed when the policy is not the MIKEY base
    /// ticket (Type 1, Subtype 1, Version 1); base_ticket_view::parse's
    /// errors, with offsets from the start of this TICKET payload.
    [[nodiscard]] constexpr result<base_ticket_view> base_ticket() const noexcept
        requires Granted
    {
        if (!policy().is_base_ticket()) {
            return errc::ticket_data_unparsed;
        }
        auto bt = base_ticket_view::parse(m_ticket_data);
        if (!bt) {
            return shifted(bt.error_info(), ticket_data_offset());
        }
        return bt;
    }
    [[nodiscard]] constexpr basic_ticket_builder<Granted> to_builder() const noexcept;
    /// A builder writing this TICKET again with `initiator_data` as its
    /// Initiator Data (RFC 6043 §6.10: the Initiator inserts it into the
    /// ticket the KMS issued). Policy, TP Data and Ticket Data are copied
    /// byte for byte, not re-encoded: the KMS's MAC covers them as issued.
    [[nodiscard]] constexpr ticket_copy_builder with_initiator_data(bytes_view initiator_data) const noexcept
        requires Granted;

private:
    /// Where the variable-length fields are.
    struct layout {
        bytes_view tp_data{};
        bytes_view ticket_data{};
        bytes_view initiator_data{};
        std::size_t initiator_at = 0;
    };
    static constexpr layout read_layout(byte_reader& r) noexcept {
        layout l;
        (void)r.take(8);
        l.tp_data = r.take(r.u16());
        l.initiator_at = r.offset();
        if constexpr (Granted) {
            l.ticket_data = r.take(r.u16());
            l.initiator_at = r.offset();
            l.initiator_data = r.take(r.u16());
        }
        return l;
    }
    constexpr basic_ticket_view(bytes_view b, const layout& l) noexcept
        : payload_bytes(b),
          m_tp_data(l.tp_data),
          m_ticket_data(l.ticket_data),
          m_initiator_data(l.initiator_data),
          m_initiator_at(l.initiator_at) {}
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

/// See basic_ticket_view<true>::with_initiator_data. Errors on write:
/// field_too_long (Initiator Data over 65,535 bytes), buffer_too_small.
struct ticket_copy_builder {
    static constexpr payload_type type = payload_type::ticket;
    bytes_view head{};            ///< the TICKET's bytes after Next Payload, up to its Initiator Data length
    bytes_view initiator_data{};  ///< the new Initiator Data
    constexpr void write(byte_writer& w) const noexcept {
        w.u8(0);
        w.bytes(head);
        w.length(initiator_data.size(), 2);
        w.bytes(initiator_data);
    }
};

template <bool Granted>
constexpr ticket_copy_builder basic_ticket_view<Granted>::with_initiator_data(bytes_view initiator_data) const noexcept
    requires Granted
{
    return {m_bytes.subspan(1, m_initiator_at - 1), initiator_data};
}

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
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

// #include "payload/hdr.hpp" (inlined above as mikey/payload/hdr.hpp)
// #include "payload/ticket.hpp" (inlined above as mikey/payload/ticket.hpp)

namespace mikey {

namespace detail {
template <class... A, class... B>
view_list<A..., B...> concat(view_list<A...>, view_list<B...>);

/// Every payload a message can hold.
using message_payload_views = decltype(concat(plain_payload_views{}, view_list<tp_view, ticket_view>{}));
}  // namespace detail

/// Frames any payload that may stand in a message, TP and TICKET included.
struct message_framer {
    constexpr result<framed_payload> operator()(payload_type t, bytes_view in, errc underrun) const noexcept {
        return detail::frame_one_of(detail::message_payload_views{}, t, in, underrun);
    }
};

/// Calls f with the typed view of a validated chain entry (any payload type
/// a message can hold) and returns what f returns (a default-constructed
/// value if the type matched no view, which a validated chain rules out).
///
///     for (const auto& e : msg.payloads()) {
///         visit_payload(e, [&](const auto& v) { builder.add(v.to_builder()); });
///     }
template <class F>
constexpr decltype(auto) visit_payload(const chain_entry& e, F&& f) noexcept(noexcept(f(e.as<t_view>()))) {
    return [&]<class... Views>(detail::view_list<Views...>) -> decltype(auto) {
        using R = decltype(f(e.as<t_view>()));
        if constexpr (std::is_void_v<R>) {
            (void)((Views::type == e.type ? (f(e.as<Views>()), true) : false) || ...);
        } else {
            R out{};
            (void)((Views::type == e.type ? (out = f(e.as<Views>()), true) : false) || ...);
            return out;
        }
    }(detail::message_payload_views{});
}

/// Lambdas joined into one overload set, for visit_payload with a handler
/// per view. Without a generic handler every view a message can hold needs
/// one (a missing one does not compile); `[](const auto&)` takes the rest:
///
///     visit_payload(e, overloaded{[&](const kemac_view& k) { ... },
///                                 [&](const ticket_view& t) { ... },
///                                 [](const auto&) {}});
template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
/// Deduction guide (aggregate deduction is C++20, not yet in every compiler: clang 14).
template <class... F>
overloaded(F...) -> overloaded<F...>;

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

class message_payload_range;

/// A validated MIKEY message. Views into the caller's buffer; no allocation.
class message_view {
public:
    MIKEY_REFUSE_TEMPORARIES(message_view);
    /// Validates the header and the whole payload chain: every payload's own
    /// rules, Last payload ends the chain (or SIGN does, RFC 3830 §6.5), no
    /// byte follows it, no Key data outside KEMAC, no SP with the Empty map
    /// (RFC 4563 §5).
    /// Errors: truncated; trailing_bytes; unknown_payload_type;
    /// misplaced_payload; sp_with_empty_map; every error of hdr_view::parse and
    /// of the payload views. The offset is from the start of `in`.
    [[nodiscard]] MIKEY_FLATTEN static constexpr result<message_view> parse(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        return parse(in, [](const chain_entry&) {});
    }
    /// parse() that also hands each payload, once validated, to
    /// `visit(const chain_entry&)`, in order: a caller that reads the
    /// payloads as they are validated needs no second walk
    /// (ticket::ticket_message checks its schema and fills its fields so).
    /// A chain error later on still fails the parse: what `visit` saw then
    /// is the caller's to drop.
    template <class Visit>
    [[nodiscard]] MIKEY_FLATTEN static constexpr result<message_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                                          Visit&& visit) noexcept {
        // Every path returns `out`, so it is built in place in the caller
        // (no copy of the offsets just written).
        result<message_view> out(message_view(in, 0));
        const auto hdr = hdr_view::parse(in);
        if (!hdr) {
            out = hdr.error_info();
            return out;
        }
        message_view& m = *out;
        m.m_hdr_size = static_cast<std::uint32_t>(hdr->size());
        const bool empty_map = hdr->map_type() == cs_id_map_type::empty;
        const auto walked = walk_chain(in, hdr->size(), hdr->next(), errc::truncated, message_framer{},
                                       [&](const chain_entry& e) -> result<void> {
                                           // RFC 4563 §5: with the Empty map "there MUST NOT be any
                                           // Security Policy payload present in the message".
                                           if (empty_map && e.type == payload_type::sp) {
                                               return failure{errc::sp_with_empty_map, e.offset};
                                           }
                                           // Every payload but the first starts where the previous ends.
                                           if (e.offset != m.m_hdr_size) {
                                               m.record(e.offset);
                                           }
                                           visit(e);
                                           return {};
                                       });
        if (!walked) {
            out = walked.error_info();
            return out;
        }
        m.m_summary = *walked;
        return out;
    }
    /// A view keeps its input: a temporary buffer does not compile (as for parse(in)).
    template <class C, class Visit>
        requires detail::owning_temporary<C>
    static result<message_view> parse(C&&, Visit&&) = delete;

    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return m_bytes; }
    /// The same validated message over `copy`, a byte-identical copy of
    /// bytes() (e.g. one a role machine keeps while it waits for an answer):
    /// no walk, no validation again. Errors: invalid_argument when `copy`
    /// differs from bytes() (compared unless it is the same memory).
    [[nodiscard]] constexpr result<message_view> rebased(bytes_view copy MIKEY_LIFETIMEBOUND) const noexcept {
        if (copy.size() != m_bytes.size() || (copy.data() != m_bytes.data() && !equal_bytes(copy, m_bytes))) {
            return errc::invalid_argument;
        }
        message_view v = *this;
        v.m_bytes = copy;
        return v;
    }
    /// The header (a view of the first bytes, validated by parse()).
    [[nodiscard]] constexpr hdr_view header() const noexcept {
        return hdr_view::from_validated(m_bytes.first(m_hdr_size));
    }
    [[nodiscard]] constexpr data_type type() const noexcept { return static_cast<data_type>(m_bytes[1]); }
    /// Number of payloads after the header.
    [[nodiscard]] constexpr std::size_t payload_count() const noexcept { return m_summary.count; }
    /// Iterates the payloads of a validated message. The offsets of the
    /// first payloads were recorded by parse(), so stepping costs no framing;
    /// past them (more than max_indexed_payloads payloads, or offsets past
    /// 65535) each step frames the next payload.
    class payload_cursor {
    public:
        using value_type = chain_entry;
        constexpr payload_cursor() noexcept = default;
        constexpr payload_cursor(const message_view* m, std::size_t k) noexcept : m_msg(m), m_k(k) { load(); }
        [[nodiscard]] constexpr const chain_entry& current() const noexcept { return m_entry; }
        constexpr void advance() noexcept {
            ++m_k;
            load();
        }
        [[nodiscard]] constexpr std::size_t position() const noexcept { return m_k; }

    private:
        MIKEY_ALWAYS_INLINE constexpr void load() noexcept {
            if (m_msg == nullptr || m_k >= m_msg->payload_count()) {
                return;
            }
            const bytes_view all = m_msg->m_bytes;
            const std::size_t at = m_k == 0 ? m_msg->m_hdr_size : m_entry.offset + m_entry.bytes.size();
            // The type is named by the previous payload's Next Payload (the HDR's for the first).
            const auto t = static_cast<payload_type>(m_k == 0 ? all[2] : all[m_entry.offset]);
            std::size_t end = all.size();
            if (m_k + 1 < m_msg->payload_count()) {
                end = m_k < m_msg->m_indexed ? m_msg->m_offsets[m_k] : at + framed_size(t, all.subspan(at));
            }
            m_entry = chain_entry{t, at, all.subspan(at, end - at)};
        }
        /// Past the recorded offsets: frame the payload (rare; kept out of
        /// line so that flattened callers stay small).
        MIKEY_NOINLINE static constexpr std::size_t framed_size(payload_type t, bytes_view rest) noexcept {
            return (*message_framer{}(t, rest, errc::truncated)).size;
        }
        const message_view* m_msg = nullptr;
        std::size_t m_k = 0;
        chain_entry m_entry{};
    };
    using payload_iterator = cursor_iterator<payload_cursor>;

    /// The payloads after the header, in order. The range holds a copy of the
    /// view, so it stays valid as long as the message bytes do.
    [[nodiscard]] constexpr message_payload_range payloads() const noexcept;
    /// The last payload (absent when the message is only a header). It ends
    /// where the message ends.
    [[nodiscard]] constexpr std::optional<chain_entry> last_payload() const noexcept {
        if (m_summary.count == 0) {
            return std::nullopt;
        }
        return chain_entry{m_summary.last_type, m_summary.last_offset, m_bytes.subspan(m_summary.last_offset)};
    }

    /// The first payload of view type V for which pred(view) holds.
    template <class V, class Pred>
    [[nodiscard]] constexpr std::optional<V> find(Pred&& pred) const noexcept;
    /// The first payload of view type V.
    template <class V>
    [[nodiscard]] constexpr std::optional<V> first() const noexcept {
        return find<V>([](const V&) { return true; });
    }
    /// Number of payloads of type t.
    [[nodiscard]] constexpr std::size_t count(payload_type t) const noexcept;
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
    [[nodiscard]] constexpr result<mac_coverage> mac_input() const noexcept;

    /// How many payload offsets parse() records for iteration without framing.
    static constexpr std::size_t max_indexed_payloads = 16;

    /// The payloads of this view itself, not of a copy: for loops over a
    /// view that outlives them (a named view, a function parameter), right
    /// after parse() (a copy would read the offsets parse() just wrote, a
    /// store-forwarding stall). On a temporary use payloads().
    struct in_place_range {
        const message_view* m;
        [[nodiscard]] constexpr payload_iterator begin() const noexcept {
            return payload_iterator(std::in_place, m, std::size_t{0});
        }
        [[nodiscard]] constexpr payload_iterator end() const noexcept {
            return payload_iterator(std::in_place, m, m->payload_count());
        }
    };
    [[nodiscard]] constexpr in_place_range payloads_in_place() const& noexcept MIKEY_LIFETIMEBOUND { return {this}; }
    in_place_range payloads_in_place() const&& = delete;

private:
    constexpr message_view(bytes_view b, std::size_t hdr_size) noexcept
        : m_bytes(b), m_hdr_size(static_cast<std::uint32_t>(hdr_size)) {}
    /// Records the end of the previous payload (= `offset`, the start of the
    /// next one). Offsets grow along the chain, so the recorded ones are
    /// always the first m_indexed.
    constexpr void record(std::size_t offset) noexcept {
        if (m_indexed < m_offsets.size() && offset <= std::numeric_limits<std::uint16_t>::max()) {
            m_offsets[m_indexed++] = static_cast<std::uint16_t>(offset);
        }
    }
    bytes_view m_bytes;
    chain_summary m_summary{};
    std::uint32_t m_hdr_size = 0;  ///< a header is at most 10 + 255 * 65,923 bytes
    std::uint8_t m_indexed = 0;
    /// End offsets of the first payloads (offsets up to 65535 only).
    std::array<std::uint16_t, max_indexed_payloads> m_offsets{};
};

/// The payloads of a message_view, in order.
class message_payload_range {
public:
    constexpr explicit message_payload_range(const message_view& m) noexcept : m_msg(m) {}
    [[nodiscard]] constexpr message_view::payload_iterator begin() const noexcept {
        return message_view::payload_iterator(std::in_place, &m_msg, std::size_t{0});
    }
    [[nodiscard]] constexpr message_view::payload_iterator end() const noexcept {
        return message_view::payload_iterator(std::in_place, &m_msg, m_msg.payload_count());
    }

private:
    message_view m_msg;
};

constexpr message_payload_range message_view::payloads() const noexcept { return message_payload_range(*this); }

template <class V, class Pred>
MIKEY_FLATTEN constexpr std::optional<V> message_view::find(Pred&& pred) const noexcept {
    // One named result, built in place: no copies of the view.
    std::optional<V> out;
    for (const auto& e : payloads_in_place()) {
        if (e.type == V::type) {
            out.emplace(e.as<V>());
            if (pred(*out)) {
                break;
            }
            out.reset();
        }
    }
    return out;
}

constexpr std::size_t message_view::count(payload_type t) const noexcept {
    std::size_t n = 0;
    for (const auto& e : payloads_in_place()) {
        n += e.type == t ? 1 : 0;
    }
    return n;
}

constexpr result<mac_coverage> message_view::mac_input() const noexcept {
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
        for (const auto& e : payloads_in_place()) {
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
// of each type carries, in which order, mandatory, optional or one of
// alternatives, and the check that a message conforms. This header has the
// machinery and RFC 3830's compositions (§3, §5.1.2); RFC 6043's eight
// messages, their CSB-update and Error forms are in ticket/schemas.hpp,
// which also has schema_for() over all of them.

#include <array>
#include <bit>
#include <span>
#include <string_view>
#include <utility>

// #include "message.hpp" (inlined above as mikey/message.hpp)

namespace mikey {

/// How often a schema item may occur: X, [X], {X}, (X) in the RFCs' notation.
enum class occurs : std::uint8_t { once, optional, any, at_least_once };

/// One payload of a schema. `role` restricts IDR (id_role), RANDR (rand_role)
/// and TR (ts_role) items; 0 accepts any role.
///
/// `group` expresses the RFCs' alternatives "[A|B]": items that share a
/// nonzero group are the branches of one alternative, and at most one of them
/// occurs in a message (as often as its own `occ` allows). A branch is
/// optional or any, never mandatory: "[IDi|CERTi]" is {ID, optional, g},
/// {CERT, any, g} (CERTi is a chain, one CERT payload per certificate, RFC
/// 3830 §6.7). 0 is no group.
struct schema_item {
    payload_type type;
    occurs occ;
    std::uint8_t role = 0;
    std::uint8_t group = 0;
};

/// Bounds of the tables check_schema works with (checked by detail::unambiguous).
inline constexpr std::size_t max_schema_items = 16;
inline constexpr std::uint8_t max_schema_groups = 16;  ///< group ids are 1 .. max_schema_groups - 1

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
    /// "[V|SIGN]" or "[V]", i.e. Error messages).
    bool closing_payload = true;
};

namespace schema_detail {
constexpr std::uint8_t r(id_role x) { return static_cast<std::uint8_t>(x); }
constexpr std::uint8_t r(rand_role x) { return static_cast<std::uint8_t>(x); }
using enum occurs;
using P = payload_type;
/// The group of the one alternative "[A|B]" a table has; no role (0) before it.
inline constexpr std::uint8_t any_role = 0;
inline constexpr std::uint8_t alt = 1;

// RFC 3830 §3.1: I_MESSAGE = HDR, T, RAND, [IDi], [IDr], {SP}, KEMAC
inline constexpr schema_item psk_init[] = {{P::t, once}, {P::rand, once}, {P::id, optional}, {P::id, optional},
                                           {P::sp, any}, {P::kemac, once}};
// RFC 3830 §3.1: R_MESSAGE = HDR, T, [IDr], V
inline constexpr schema_item psk_verification[] = {{P::t, once}, {P::id, optional}, {P::v, once}};
// RFC 3830 §3.2: I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, KEMAC, [CHASH], PKE, SIGNi
// [IDi|CERTi] is one ID, or CERTi as a chain of CERT payloads (RFC 3830 §6.7), never both.
// In order (strict) an ID before the CERTs is IDi; in any order (lenient) one ID beside
// CERTs reads as IDr.
inline constexpr schema_item pk_init[] = {{P::t, once},
                                          {P::rand, once},
                                          {P::id, optional, any_role, alt},
                                          {P::cert, any, any_role, alt},
                                          {P::id, optional},
                                          {P::sp, any},
                                          {P::kemac, once},
                                          {P::chash, optional},
                                          {P::pke, once},
                                          {P::sign, once}};
// RFC 3830 §3.2: R_MESSAGE = HDR, T, [IDr], V
inline constexpr schema_item pk_verification[] = {{P::t, once}, {P::id, optional}, {P::v, once}};
// RFC 3830 §3.3: I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, DHi, SIGNi
// ([IDi|CERTi] as in §3.2.)
inline constexpr schema_item dh_init[] = {{P::t, once},
                                          {P::rand, once},
                                          {P::id, optional, any_role, alt},
                                          {P::cert, any, any_role, alt},
                                          {P::id, optional},
                                          {P::sp, any},
                                          {P::dh, once},
                                          {P::sign, once}};
// RFC 3830 §3.3: R_MESSAGE = HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr
// Written as [CERTr chain], ID, [ID], where the CERTs and the second ID are
// alternatives: the same payload sequences (IDi; IDr, IDi; CERT..., IDi),
// but each one matched without looking ahead (a lone IDi never fills an
// optional IDr slot, see detail::unambiguous). By position, the first ID is
// IDr when a second follows, else IDi.
inline constexpr schema_item dh_response[] = {{P::t, once},  {P::cert, any, any_role, alt},
                                              {P::id, once}, {P::id, optional, any_role, alt},
                                              {P::dh, once}, {P::dh, once},
                                              {P::sign, once}};
// RFC 3830 §5.1.2: Error message = HDR, T, {ERR}, {SP}, [V|SIGNr]
inline constexpr schema_item error[] = {{P::t, once},
                                        {P::err, any},
                                        {P::sp, any},
                                        {P::v, optional, any_role, alt},
                                        {P::sign, optional, any_role, alt}};
}  // namespace schema_detail

/// The message schemas, one per RFC composition (initial exchanges, CSB
/// updates, Error messages).
namespace schemas {
using D = data_type;
/// RFC 3830 §3.1, pre-shared key I_MESSAGE.
inline constexpr message_schema psk_init{
    .name = "PSK I_MESSAGE",
    .type = D::psk_init,
    .items = schema_detail::psk_init};
/// RFC 3830 §3.1, pre-shared key R_MESSAGE (verification).
inline constexpr message_schema psk_verification{
    .name = "PSK R_MESSAGE",
    .type = D::psk_verification,
    .items = schema_detail::psk_verification};
/// RFC 3830 §3.2, public-key I_MESSAGE: IDi or a CERTi chain, not both.
inline constexpr message_schema pk_init{.name = "PK I_MESSAGE", .type = D::pk_init, .items = schema_detail::pk_init};
/// RFC 3830 §3.2, public-key R_MESSAGE (verification).
inline constexpr message_schema pk_verification{
    .name = "PK R_MESSAGE",
    .type = D::pk_verification,
    .items = schema_detail::pk_verification};
/// RFC 3830 §3.3, Diffie-Hellman I_MESSAGE: IDi or a CERTi chain, not both.
inline constexpr message_schema dh_init{.name = "DH I_MESSAGE", .type = D::dh_init, .items = schema_detail::dh_init};
/// RFC 3830 §3.3, Diffie-Hellman R_MESSAGE: IDi, after IDr or a CERTr chain (not both).
inline constexpr message_schema dh_response{
    .name = "DH R_MESSAGE",
    .type = D::dh_response,
    .items = schema_detail::dh_response};
/// RFC 3830 §5.1.2, Error message: V or SIGNr, not both.
inline constexpr message_schema error{
    .name = "Error",
    .type = D::error,
    .items = schema_detail::error,
    .closing_payload = false};
/// The RFC 3830 schemas above (ticket/schemas.hpp adds RFC 6043's and
/// lists every schema in schemas::all).
inline constexpr const message_schema* rfc3830[] = {&psk_init, &psk_verification, &pk_init, &pk_verification,
                                                    &dh_init,  &dh_response,      &error};
}  // namespace schemas

namespace detail {
[[nodiscard]] constexpr bool mandatory(const schema_item& it) noexcept {
    return it.occ == occurs::once || it.occ == occurs::at_least_once;
}
/// Some payload could match both items.
[[nodiscard]] constexpr bool overlap(const schema_item& x, const schema_item& y) noexcept {
    return x.type == y.type && (x.role == 0 || y.role == 0 || x.role == y.role);
}

/// True when check_schema, which gives each payload to one item without
/// looking ahead or going back, accepts exactly the payload sequences the
/// table describes, in both modes:
///
/// - the table has at most max_schema_items items and group ids below
///   max_schema_groups;
/// - each group is an alternative: two or more items, none mandatory;
/// - no item that may go unfilled or take several payloads ([X], {X}, (X))
///   comes before a mandatory item that takes the same payloads (a payload
///   given to the first would leave the second missing);
/// - strict mode gives a payload to the first free item: a grouped item
///   followed by another that takes the same payloads would claim its group
///   for that payload, so no item of its group may come at or after that other
///   item;
/// - lenient mode prefers ungrouped items to grouped ones: an item may share
///   payloads with an item of another group only when one of the two is
///   ungrouped and both take exactly the same payloads.
constexpr bool unambiguous(const message_schema& s) noexcept {
    const auto items = s.items;
    if (items.size() > max_schema_items) {
        return false;
    }
    for (std::size_t a = 0; a < items.size(); ++a) {
        const auto& x = items[a];
        if (x.group >= max_schema_groups) {
            return false;
        }
        if (x.group != 0) {
            std::size_t members = 0;
            for (const auto& y : items) {
                members += y.group == x.group ? 1 : 0;
            }
            if (members < 2 || mandatory(x)) {
                return false;
            }
        }
        for (std::size_t b = a + 1; b < items.size(); ++b) {
            const auto& y = items[b];
            if (!overlap(x, y)) {
                continue;
            }
            if (x.occ != occurs::once && mandatory(y)) {
                return false;
            }
            if (x.group != 0) {
                for (std::size_t c = b; c < items.size(); ++c) {
                    if (items[c].group == x.group) {
                        return false;
                    }
                }
            }
            const bool same_payloads = x.type == y.type && x.role == y.role;
            if (x.group != y.group && ((x.group != 0 && y.group != 0) || !same_payloads)) {
                return false;
            }
        }
    }
    return true;
}


/// Every table of `list` passes unambiguous().
template <std::size_t N>
constexpr bool all_unambiguous(const message_schema* const (&list)[N]) noexcept {
    for (const auto* s : list) {
        if (!unambiguous(*s)) {
            return false;
        }
    }
    return true;
}
}  // namespace detail

static_assert(detail::all_unambiguous(schemas::rfc3830),
              "a schema table cannot be checked without looking ahead (see detail::unambiguous)");

/// strict: payloads in the RFC's order, none the schema does not list.
/// lenient: any order, unexpected payloads ignored (the receivers' SHOULD of
/// RFC 6043 §4.2.1.4, §4.2.2.2, ..., §5.4); mandatory, duplicate and closing
/// payload rules still apply, and so do alternatives: a payload of a type the
/// schema lists is not unexpected, so the second branch of an "[A|B]" (SIGN
/// after V, a CERT with IDi) is an error in both modes, never ignored.
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

/// A message holds registered payload types only (message_view::parse
/// refuses the others), and each is below 32: schema_index::of_type covers
/// every type a payload can have.
static_assert(
    [] {
        for (const auto& e : registry<payload_type>::entries) {
            if (static_cast<unsigned>(e.value) >= 32) return false;
        }
        return true;
    }(),
    "a registered payload type of 32 or more needs a larger schema_index::of_type");

/// What check_schema looks up in a table, laid out once as bit masks of its
/// items (bit k: item k): per payload type and per role, the mandatory
/// items, the ones full after one payload, the branches of alternatives and
/// each alternative's branches. A table known at compile time has its index
/// computed at compile time (ticket::ticket_message). `fits`: the table is
/// within the masks' bounds (max_schema_items items, group ids below
/// max_schema_groups, roles below 16), which the library's tables are and a
/// caller's table may not be.
struct schema_index {
    static_assert(max_schema_items <= 16, "an item mask has a bit per item");
    std::array<std::uint16_t, 32> of_type{};  ///< items of each payload type below 32
    std::uint16_t mandatory = 0;              ///< once or at_least_once
    std::uint16_t single = 0;                 ///< once or optional: full after one payload
    std::uint16_t grouped = 0;                ///< branches of an alternative
    std::uint16_t any_role = 0;               ///< items with role 0 (any)
    std::array<std::uint16_t, 16> by_role{};  ///< items with role r (1 to 15)
    std::array<std::uint16_t, max_schema_groups> group_members{};
    bool fits = true;

    constexpr explicit schema_index(const message_schema& s) noexcept {
        fits = s.items.size() <= max_schema_items;
        for (std::size_t k = 0; k < s.items.size() && k < max_schema_items; ++k) {
            const auto& it = s.items[k];
            const auto bit = static_cast<std::uint16_t>(1u << k);
            fits = fits && it.group < max_schema_groups && it.role < by_role.size();
            const auto t = static_cast<std::size_t>(it.type);
            if (t < of_type.size()) of_type[t] |= bit;
            if (detail::mandatory(it)) mandatory |= bit;
            if (it.occ == occurs::once || it.occ == occurs::optional) single |= bit;
            if (it.group != 0) grouped |= bit;
            if (it.role == 0) {
                any_role |= bit;
            } else if (it.role < by_role.size()) {
                by_role[it.role] |= bit;
            }
            if (it.group != 0 && it.group < max_schema_groups) group_members[it.group] |= bit;
        }
    }
    /// The items a payload of type `t` with role `role` (0 for payloads
    /// without one) matches: of its type, with its role or any role.
    [[nodiscard]] constexpr std::uint32_t matching(payload_type t, std::uint8_t role) const noexcept {
        const auto ti = static_cast<std::size_t>(t);
        const std::uint32_t of_t = ti < of_type.size() ? of_type[ti] : 0u;
        return of_t & (any_role | (role < by_role.size() ? by_role[role] : 0u));
    }
};
}  // namespace detail

namespace detail {
/// check_schema's rules on the header and the table, checked before any
/// payload: invalid_argument (a table beyond the masks' bounds),
/// wrong_message_type, bad_crypto_sessions.
[[nodiscard]] constexpr result<void> check_schema_header(const message_view& m, const message_schema& s,
                                                         const schema_index& ix) noexcept {
    if (!ix.fits) {
        return failure{errc::invalid_argument, 0};
    }
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
    return {};
}

/// check_schema's rules on the payloads, given one payload at a time in the
/// message's order: by check_schema's own walk, or by the walk of
/// message_view::parse (ticket::ticket_message checks the composition while
/// the chain is validated). The first error is kept, like a byte_reader's:
/// later payloads are not looked at, and finish() reports it.
class schema_matcher {
public:
    /// A table beyond the masks' bounds (check_schema_header's
    /// invalid_argument) is never indexed: the matcher starts failed.
    constexpr schema_matcher(const message_schema& s, const schema_index& ix, schema_check mode) noexcept
        : m_schema(&s), m_ix(&ix), m_strict(mode == schema_check::strict) {
        if (!ix.fits) {
            m_failure = failure{errc::invalid_argument, 0};
        }
    }

    /// Gives payload `e` to the table's items. Errors (kept): unexpected_payload
    /// and payload_order (strict only); duplicate_payload; conflicting_alternatives;
    /// missing_payload (strict: a mandatory item skipped); initiator_data_missing.
    constexpr void match(const chain_entry& e) noexcept {
        if (failed() || e.type == payload_type::general_extension) {
            return;
        }
        const auto& ix = *m_ix;
        const bool strict = m_strict;
        const std::uint32_t matching = ix.matching(e.type, role_of_entry(e));
        // Strict: only the items from the current position on may take it.
        const std::uint32_t open = strict ? matching & ~m_before : matching;
        const std::uint32_t full = open & m_seen & ix.single;
        const std::uint32_t free = open & ~full & ~m_blocked;
        if (free == 0) {
            bool saw_blocked = (open & ~full & m_blocked) != 0;
            const bool saw_full = full != 0;
            bool saw_before = false;
            if (strict && !saw_full && !saw_blocked) {
                saw_blocked = (matching & m_before & m_blocked) != 0;
                saw_before = (matching & m_before & ~m_blocked) != 0;
            }
            // RFC 3830 §3.2, §3.3, §5.1.2, RFC 6043 §5.4: "[A|B]" carries A or B, not both.
            if (saw_blocked) {
                m_failure = failure{errc::conflicting_alternatives, e.offset};
            } else if (saw_full) {
                m_failure = failure{errc::duplicate_payload, e.offset};
            } else if (strict) {
                m_failure = failure{saw_before ? errc::payload_order : errc::unexpected_payload, e.offset};
            }
            return;
        }
        // Strict: the first free item from the current position on, with no unsatisfied
        // mandatory item skipped. Any order: an unsatisfied mandatory item takes the payload
        // first, then an ungrouped item, then a branch of an alternative.
        const std::uint32_t unsatisfied = free & ix.mandatory & ~m_seen;
        const std::uint32_t ungrouped = free & ~std::uint32_t{ix.grouped};
        const std::uint32_t pick = strict ? free : unsatisfied != 0 ? unsatisfied : ungrouped != 0 ? ungrouped : free;
        const auto j = static_cast<std::size_t>(std::countr_zero(pick));
        const std::uint32_t below_j = (std::uint32_t{1} << j) - 1;
        if (strict) {
            if ((ix.mandatory & ~m_seen & below_j & ~m_before) != 0) {
                m_failure = failure{errc::missing_payload, e.offset};
                return;
            }
            m_before = below_j;
        }
        m_seen |= std::uint32_t{1} << j;
        if (const auto g = m_schema->items[j].group; g != 0) {
            m_blocked |= ix.group_members[g] & ~(std::uint32_t{1} << j);
        }
        if (m_schema->initiator_data_if_forking && e.type == payload_type::ticket) {
            const auto t = e.as<ticket_view>();
            // RFC 6043 §6.10: Initiator Data "SHALL be inserted by the Initiator if and only if key
            // forking is used (I flag)".
            if (t.flags().i && t.initiator_data().empty()) {
                m_failure = failure{errc::initiator_data_missing, e.offset + t.initiator_data_length_offset()};
            }
        }
    }
    [[nodiscard]] constexpr bool failed() const noexcept { return m_failure.code != errc::ok; }

    /// After the last payload of `m`: the first error match() met, else
    /// missing_payload (a mandatory item without a payload) or
    /// wrong_last_payload.
    [[nodiscard]] constexpr result<void> finish(const message_view& m) const noexcept {
        if (failed()) {
            return m_failure;
        }
        if ((m_seen & m_ix->mandatory) != m_ix->mandatory) {
            return failure{errc::missing_payload, m.bytes().size()};
        }
        // RFC 6043 §4.2: "The last payload SHALL be a Verification payload (V)" (or SIGN);
        // RFC 3830 §5.2: the MAC / signature payload is the last payload.
        if (m_schema->closing_payload) {
            const auto last = m.last_payload();
            if (!last || last->type != m_schema->items.back().type) {
                return failure{errc::wrong_last_payload, last ? last->offset : m.bytes().size()};
            }
        }
        return {};
    }

private:
    const message_schema* m_schema;
    const schema_index* m_ix;
    bool m_strict;
    // Bit k of each mask is item k. seen: items that took a payload; blocked:
    // the other branches of an alternative one branch of which took one;
    // before: (strict order) the items before the last one that took a payload.
    std::uint32_t m_seen = 0;
    std::uint32_t m_blocked = 0;
    std::uint32_t m_before = 0;
    failure m_failure{};
};
}  // namespace detail

/// Checks that `m` has the composition `s` describes. General Extension
/// payloads are allowed anywhere (RFC 3830 §6.15).
/// Errors: invalid_argument (a table of more than max_schema_items items,
/// with a group id of max_schema_groups or more, or a role of 16 or more);
/// wrong_message_type; bad_crypto_sessions; missing_payload;
/// unexpected_payload and payload_order (strict only); duplicate_payload;
/// conflicting_alternatives (a payload of one branch of an "[A|B]" when
/// another branch is present); wrong_last_payload; initiator_data_missing.
/// Offsets point at the payload concerned (the message end for a missing
/// one; the later payload of a conflicting pair).
/// `visit(entry)` sees every payload of the walk, in order (matched, ignored
/// or general extension), until an error ends it.
/// `ix` is detail::schema_index(s), computed by the caller when `s` is a
/// compile-time table (the overload below computes it).
template <class Visit>
[[nodiscard]] constexpr result<void> check_schema(const message_view& m, const message_schema& s,
                                                  const detail::schema_index& ix, schema_check mode,
                                                  Visit&& visit) noexcept {
    if (auto ok = detail::check_schema_header(m, s, ix); !ok) {
        return ok;
    }
    detail::schema_matcher matcher(s, ix, mode);
    for (const auto& e : m.payloads_in_place()) {
        visit(e);
        matcher.match(e);
        if (matcher.failed()) {
            break;
        }
    }
    return matcher.finish(m);
}

/// check_schema for a table known only at run time (its index computed here).
template <class Visit>
[[nodiscard]] constexpr result<void> check_schema(const message_view& m, const message_schema& s, schema_check mode,
                                                  Visit&& visit) noexcept {
    return check_schema(m, s, detail::schema_index(s), mode, std::forward<Visit>(visit));
}

/// check_schema without a visitor.
[[nodiscard]] constexpr result<void> check_schema(const message_view& m, const message_schema& s,
                                                  schema_check mode = schema_check::strict) noexcept {
    return check_schema(m, s, mode, [](const chain_entry&) {});
}

}  // namespace mikey
// ---- end mikey/schema.hpp ----
// #include "crypto/crypto.hpp" (inlined)
// ---- begin mikey/crypto/crypto.hpp ----
// mikey-ticket: the crypto layer in one include (without a backend: add
// botan_backend.hpp, or your own model of crypto_backend).

// #include "../core/secret.hpp" (inlined)
// ---- begin mikey/core/secret.hpp ----
// mikey-ticket: byte buffers for secrets (keys, derived keys, decrypted key
// data) that wipe themselves, are never copied implicitly and never print.
//
// Two shapes:
//   secret_buffer<N>  fixed capacity N, storage inline (no heap): what the
//                     derivations write into; the hot path uses these.
//   secret_bytes      any length, one heap block allocated once: for keys of
//                     lengths only known at run time (tools, opened KEMACs).
//
// Both: copy constructor and copy assignment are deleted (use clone());
// moving copies the bytes and wipes the source; the destructor wipes;
// operator== is deleted (compare secrets with the backend's constant-time
// compare); to_string() prints only the length. The bytes are reachable only
// through view() / mutable_view() and the explicitly named reveal_hex().

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>

// #include "bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "result.hpp" (inlined above as mikey/core/result.hpp)

namespace mikey {

/// Overwrites n bytes at p with zeros in a way the compiler may not elide
/// (a call through a volatile function pointer, the technique Botan's own
/// portable secure_scrub_memory uses). The core layer may use std only, so
/// it cannot call Botan here; the crypto backend wipes its own state with
/// Botan::secure_scrub_memory.
inline void secure_wipe(void* p, std::size_t n) noexcept {
    static void* (*const volatile wipe_memset)(void*, int, std::size_t) = std::memset;
    if (p != nullptr && n != 0) {
        wipe_memset(p, 0, n);
    }
}

/// Wipes a caller span (e.g. a stack buffer that held key material).
inline void secure_wipe(mutable_bytes b) noexcept { secure_wipe(b.data(), b.size()); }

namespace detail {
inline std::string secret_placeholder(std::size_t n) {
    return "<secret " + std::to_string(n) + " bytes>";
}
inline std::string hex_of(bytes_view b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(2 * b.size());
    for (const std::uint8_t v : b) {
        s.push_back(digits[v >> 4]);
        s.push_back(digits[v & 0x0F]);
    }
    return s;
}
}  // namespace detail

/// A secret of at most Capacity bytes, stored inline.
template <std::size_t Capacity>
class secret_buffer {
public:
    static constexpr std::size_t capacity = Capacity;

    /// An empty secret (size 0). User-provided (not `= default`), so that
    /// `secret_buffer<N> x{}` and arrays of them do not zero-fill the whole
    /// capacity: only the first size() bytes are ever readable or written.
    secret_buffer() noexcept {}

    /// A zero-filled secret of `size` bytes, ready to be written through
    /// mutable_view(). Precondition: size <= Capacity (clamped otherwise).
    explicit secret_buffer(std::size_t size) noexcept : m_size(size <= Capacity ? size : Capacity) {
        if (m_size != 0) std::memset(m_data, 0, m_size);
    }

    /// A secret holding a copy of `key`.
    /// Errors: errc::key_length_mismatch when key.size() > Capacity.
    [[nodiscard]] static result<secret_buffer> from(bytes_view key) noexcept {
        secret_buffer s;
        if (auto r = s.assign(key); !r) {
            return r.error_info();
        }
        return s;
    }

    secret_buffer(const secret_buffer&) = delete;
    secret_buffer& operator=(const secret_buffer&) = delete;

    /// Moves the bytes and wipes the source (which becomes empty).
    secret_buffer(secret_buffer&& o) noexcept : m_size(o.m_size) {
        if (m_size != 0) std::memcpy(m_data, o.m_data, m_size);
        o.wipe();
    }
    /// The old bytes are overwritten by the new ones; those past the new
    /// size are wiped.
    secret_buffer& operator=(secret_buffer&& o) noexcept {
        if (this != &o) {
            if (o.m_size < m_size) secure_wipe(m_data + o.m_size, m_size - o.m_size);
            m_size = o.m_size;
            if (m_size != 0) std::memcpy(m_data, o.m_data, m_size);
            o.wipe();
        }
        return *this;
    }

    /// Wipes the first size() bytes: the only ones that can hold a secret
    /// (mutable_view() reaches no further, and resize() wipes what it cuts).
    ~secret_buffer() { secure_wipe(m_data, m_size); }

    /// An explicit copy.
    [[nodiscard]] secret_buffer clone() const noexcept {
        secret_buffer s;
        s.m_size = m_size;
        if (m_size != 0) std::memcpy(s.m_data, m_data, m_size);
        return s;
    }

    /// Sets the length to n (new bytes are zero; bytes cut off are wiped).
    /// Errors: key_length_mismatch when n > Capacity.
    [[nodiscard]] result<void> resize(std::size_t n) noexcept {
        if (n > Capacity) {
            return errc::key_length_mismatch;
        }
        if (n < m_size) {
            secure_wipe(m_data + n, m_size - n);
        } else if (n > m_size) {
            // From empty, the whole capacity: a fixed-size fill the compiler writes inline (the
            // bytes past n are zeroed too, which holds no secret).
            if (m_size == 0) {
                std::memset(m_data, 0, Capacity);
            } else {
                std::memset(m_data + m_size, 0, n - m_size);
            }
        }
        m_size = n;
        return {};
    }

    /// Replaces the bytes with a copy of `key` (old bytes past key.size()
    /// are wiped). Errors: key_length_mismatch when key.size() > Capacity
    /// (the buffer is unchanged).
    [[nodiscard]] result<void> assign(bytes_view key) noexcept {
        if (key.size() > Capacity) {
            return errc::key_length_mismatch;
        }
        if (key.size() < m_size) {
            secure_wipe(m_data + key.size(), m_size - key.size());
        }
        if (!key.empty()) {
            std::memcpy(m_data, key.data(), key.size());
        }
        m_size = key.size();
        return {};
    }

    /// Wipes the bytes and sets the length to 0.
    void wipe() noexcept {
        secure_wipe(m_data, m_size);
        m_size = 0;
    }

    [[nodiscard]] bytes_view view() const noexcept MIKEY_LIFETIMEBOUND { return {m_data, m_size}; }
    [[nodiscard]] mutable_bytes mutable_view() noexcept MIKEY_LIFETIMEBOUND { return {m_data, m_size}; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] bool empty() const noexcept { return m_size == 0; }

    friend bool operator==(const secret_buffer&, const secret_buffer&) = delete;

private:
    // Invariant: only m_data[0, m_size) has ever been written since the
    // last wipe; bytes past it are never read.
    std::uint8_t m_data[Capacity];
    std::size_t m_size = 0;
};

/// A secret of any length in one heap block (allocated once, never grown).
class secret_bytes {
public:
    secret_bytes() noexcept = default;

    /// A zero-filled secret of n bytes. Errors: none but allocation failure
    /// (which terminates with -fno-exceptions, throws std::bad_alloc otherwise).
    explicit secret_bytes(std::size_t n) : m_data(n ? new std::uint8_t[n]() : nullptr), m_size(n) {}

    /// A secret holding a copy of `key`.
    [[nodiscard]] static secret_bytes from(bytes_view key) {
        secret_bytes s(key.size());
        if (!key.empty()) {
            std::memcpy(s.m_data.get(), key.data(), key.size());
        }
        return s;
    }

    secret_bytes(const secret_bytes&) = delete;
    secret_bytes& operator=(const secret_bytes&) = delete;
    secret_bytes(secret_bytes&& o) noexcept : m_data(std::move(o.m_data)), m_size(o.m_size) { o.m_size = 0; }
    secret_bytes& operator=(secret_bytes&& o) noexcept {
        if (this != &o) {
            wipe();
            m_data = std::move(o.m_data);
            m_size = o.m_size;
            o.m_size = 0;
        }
        return *this;
    }
    ~secret_bytes() { wipe(); }

    /// An explicit copy.
    [[nodiscard]] secret_bytes clone() const { return from(view()); }

    /// Wipes and releases the bytes.
    void wipe() noexcept {
        secure_wipe(m_data.get(), m_size);
        m_data.reset();
        m_size = 0;
    }

    [[nodiscard]] bytes_view view() const noexcept MIKEY_LIFETIMEBOUND { return {m_data.get(), m_size}; }
    [[nodiscard]] mutable_bytes mutable_view() noexcept MIKEY_LIFETIMEBOUND { return {m_data.get(), m_size}; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] bool empty() const noexcept { return m_size == 0; }

    friend bool operator==(const secret_bytes&, const secret_bytes&) = delete;

private:
    std::unique_ptr<std::uint8_t[]> m_data;
    std::size_t m_size = 0;
};

/// "<secret N bytes>": the only text form a secret has by default.
template <std::size_t N>
[[nodiscard]] inline std::string to_string(const secret_buffer<N>& s) {
    return detail::secret_placeholder(s.size());
}
[[nodiscard]] inline std::string to_string(const secret_bytes& s) { return detail::secret_placeholder(s.size()); }

/// The secret's bytes as lowercase hex. Named so that every place that
/// prints key material is explicit and greppable (mikeyctl derive, tests).
template <std::size_t N>
[[nodiscard]] inline std::string reveal_hex(const secret_buffer<N>& s) {
    return detail::hex_of(s.view());
}
[[nodiscard]] inline std::string reveal_hex(const secret_bytes& s) { return detail::hex_of(s.view()); }

}  // namespace mikey
// ---- end mikey/core/secret.hpp ----
// #include "backend.hpp" (inlined)
// ---- begin mikey/crypto/backend.hpp ----
// mikey-ticket: the crypto_backend concept. Everything above this header
// (PRFs, derivations, KEMAC, V payloads) is written against the concept and
// never names a crypto library; botan_backend.hpp is one model of it, and the
// only crypto header that includes Botan (sdp.hpp is the other Botan includer).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)

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
// ---- end mikey/crypto/backend.hpp ----
// #include "labels.hpp" (inlined)
// ---- begin mikey/crypto/labels.hpp ----
// mikey-ticket: the eleven derivation constants and the label layouts of
// RFC 3830 §4.1.3 / §4.1.4 and RFC 6043 §5.1.1-§5.1.3, §6.10, App. A.2, as
// constexpr data. A label is built without copying its variable parts (RAND,
// ID Data): prf_label holds the few fixed bytes itself and views of the rest,
// so labels of any length cost no allocation.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/config.hpp" (inlined above as mikey/core/config.hpp)
// #include "../core/strong_types.hpp" (inlined above as mikey/core/strong_types.hpp)

namespace mikey::crypto {

/// The label constants. Each is nine consecutive decimal digits of e
/// (RFC 3830 §4.1.3: "taken from the decimal digits of e"); chunk k below is
/// digits 9(k-1)+1 .. 9k after the decimal point, pinned by static_assert
/// against a compile-time expansion of e.
namespace label_constant {
// RFC 3830 Table 4.1.3 (keys from a TGK; RFC 6043 §5.1.3 reuses them)
inline constexpr std::uint32_t tek = 0x2AD01C64;        ///< chunk 1
inline constexpr std::uint32_t tgk_auth = 0x1B5C7973;   ///< chunk 2: authentication key from a TGK
inline constexpr std::uint32_t tgk_encr = 0x15798CEF;   ///< chunk 3: encryption key from a TGK
// RFC 3830 Table 4.1.4 (keys from a PSK / envelope key; RFC 6043 §5.1.2, §6.10, A.2.1 reuse them)
inline constexpr std::uint32_t encr_key = 0x150533E1;   ///< chunk 4
inline constexpr std::uint32_t auth_key = 0x2D22AC75;   ///< chunk 5
inline constexpr std::uint32_t salt_key = 0x29B88916;   ///< chunk 6
// RFC 3830 Table 4.1.3 again
inline constexpr std::uint32_t tgk_salt = 0x39A2C14B;   ///< chunk 7: salting key from a TGK
// RFC 6043 Table 5.1 (forking)
inline constexpr std::uint32_t mpkr_fork = 0x2B288856;  ///< chunk 8: MPKr'
inline constexpr std::uint32_t tgk_fork = 0x1512B54A;   ///< chunk 9: TGK'
// RFC 6043 Table A.1
inline constexpr std::uint32_t mpki = 0x220E99A2;       ///< chunk 10
inline constexpr std::uint32_t mpkr = 0x1F4D675B;       ///< chunk 11
}  // namespace label_constant

/// All eleven, in digit-chunk order of e.
inline constexpr std::array<std::uint32_t, 11> all_label_constants{
    label_constant::tek,      label_constant::tgk_auth, label_constant::tgk_encr, label_constant::encr_key,
    label_constant::auth_key, label_constant::salt_key, label_constant::tgk_salt, label_constant::mpkr_fork,
    label_constant::tgk_fork, label_constant::mpki,     label_constant::mpkr};

namespace detail {
/// The first `count` nine-digit chunks of the fractional part of e,
/// computed at compile time with the classic spigot (e = sum 1/k!).
template <std::size_t Count>
consteval std::array<std::uint32_t, Count> e_chunks() {
    constexpr std::size_t digits = Count * 9 + 10;
    constexpr std::size_t terms = digits;  // k! grows faster than 10^k; plenty of terms
    std::array<std::uint32_t, terms + 2> a{};
    for (auto& x : a) {
        x = 1;
    }
    std::array<std::uint8_t, digits> d{};
    for (std::size_t n = 0; n < digits; ++n) {
        std::uint32_t carry = 0;
        for (std::size_t k = terms + 1; k >= 2; --k) {
            const std::uint32_t v = a[k] * 10 + carry;
            a[k] = v % static_cast<std::uint32_t>(k);
            carry = v / static_cast<std::uint32_t>(k);
        }
        d[n] = static_cast<std::uint8_t>(carry);
    }
    std::array<std::uint32_t, Count> out{};
    for (std::size_t c = 0; c < Count; ++c) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 9; ++i) {
            v = v * 10 + d[9 * c + i];
        }
        out[c] = v;
    }
    return out;
}
}  // namespace detail

// RFC 3830 §4.1.3: "the first nine decimal digits 718281828 = 0x2AD01C64".
static_assert(detail::e_chunks<1>()[0] == 718281828u);
static_assert(detail::e_chunks<11>() == all_label_constants, "label constants are the digit chunks of e");
static_assert(label_constant::tek == 0x2AD01C64 && label_constant::tgk_auth == 0x1B5C7973 &&
              label_constant::tgk_encr == 0x15798CEF && label_constant::tgk_salt == 0x39A2C14B);  // RFC 3830 T. 4.1.3
static_assert(label_constant::encr_key == 0x150533E1 && label_constant::auth_key == 0x2D22AC75 &&
              label_constant::salt_key == 0x29B88916);  // RFC 3830 Table 4.1.4
static_assert(label_constant::mpkr_fork == 0x2B288856 && label_constant::tgk_fork == 0x1512B54A);  // RFC 6043 T. 5.1
static_assert(label_constant::mpki == 0x220E99A2 && label_constant::mpkr == 0x1F4D675B);  // RFC 6043 Table A.1

/// What follows the fixed head of a label.
enum class label_tail : std::uint8_t {
    rand_raw,         ///< RAND, no length byte (RFC 3830 §4.1.3 / §4.1.4)
    randri_randrr,    ///< len RANDRi(1) || RANDRi || len RANDRr(1) || RANDRr (RFC 6043 §5.1.2, §5.1.3)
    id_randrkms,      ///< len ID Data(2) || ID Data || len RANDRkms(1) || RANDRkms (RFC 6043 §5.1.1)
    none,             ///< nothing (RFC 6043 §6.10, Vr key)
    rand_with_length  ///< len RAND(1) || RAND (RFC 6043 App. A.2.1, A.2.2)
};

/// One label layout:
///   constant(4) || slot5(1) || slot6(4) || [purpose(1)] || tail
/// slot5 is the CS ID (cs_id_slot) or 0xFF; slot6 the CSB ID (csb_id_slot)
/// or 0xFFFFFFFF.
struct label_layout {
    std::string_view name;
    std::string_view source;
    bool cs_id_slot;
    bool csb_id_slot;
    bool has_purpose;
    std::uint8_t purpose;
    label_tail tail;
};

namespace layout {
inline constexpr label_layout rfc3830_tgk{"rfc3830-tgk", "RFC 3830 §4.1.3", true, true, false, 0, label_tail::rand_raw};
inline constexpr label_layout rfc3830_msg{"rfc3830-msg", "RFC 3830 §4.1.4", false, true, false, 0, label_tail::rand_raw};
inline constexpr label_layout d1{"d1", "RFC 6043 §5.1.2 (initial)", false, true, true, 0x01, label_tail::randri_randrr};
inline constexpr label_layout d2{"d2", "RFC 6043 §5.1.2 (response)", false, true, true, 0x02, label_tail::randri_randrr};
inline constexpr label_layout d3{"d3", "RFC 6043 §5.1.1", false, false, true, 0x00, label_tail::id_randrkms};
inline constexpr label_layout d4{"d4", "RFC 6043 §5.1.3", true, false, true, 0x03, label_tail::randri_randrr};
inline constexpr label_layout d5{"d5", "RFC 6043 §6.10", false, false, true, 0x04, label_tail::none};
inline constexpr label_layout d6{"d6", "RFC 6043 App. A.2.1", false, false, true, 0x05, label_tail::rand_with_length};
inline constexpr label_layout d7{"d7", "RFC 6043 App. A.2.2", false, false, true, 0x06, label_tail::rand_with_length};
}  // namespace layout

// The purpose bytes keep every RFC 6043 derivation apart (RFC 6043 §5.1.x).
static_assert(layout::d1.purpose == 0x01 && layout::d2.purpose == 0x02 && layout::d3.purpose == 0x00 &&
              layout::d4.purpose == 0x03 && layout::d5.purpose == 0x04 && layout::d6.purpose == 0x05 &&
              layout::d7.purpose == 0x06);
// D4 keeps the CS ID in slot 5 and puts 0xFFFFFFFF where the CSB ID was (RFC 6043 §5.1.3).
static_assert(layout::d4.cs_id_slot && !layout::d4.csb_id_slot);

/// A label: up to 16 fixed bytes held inline plus up to two external views
/// (RAND / RANDRi / ID Data, RANDRr / RANDRkms), fed to the HMAC in order:
///   fixed[0, split) || ext1 || fixed[split, end) || ext2
/// Copyable (no self-pointers). Built by make_label(); sizes are checked
/// there.
class prf_label {
public:
    constexpr prf_label() noexcept = default;

    /// Feeds the label's byte ranges in order to sink(bytes_view).
    template <class Sink>
    constexpr void feed(Sink&& sink) const noexcept {
        sink(bytes_view{m_fixed.data(), m_split});
        if (!m_ext1.empty()) sink(m_ext1);
        if (m_fixed_len > m_split) sink(bytes_view{m_fixed.data() + m_split, m_fixed_len - m_split});
        if (!m_ext2.empty()) sink(m_ext2);
    }

    /// Total label length in bytes.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_fixed_len + m_ext1.size() + m_ext2.size(); }

    /// Bytes past size() that flatten() may write.
    static constexpr std::size_t flatten_slack = 16;

    /// Writes the label to out[0, size()) (what copy_to does), for the PRF's
    /// hot path: the fixed parts are moved as whole 16-byte blocks, so out
    /// must hold size() + flatten_slack bytes (the bytes past size() are
    /// scratch).
    MIKEY_ALWAYS_INLINE void flatten(std::uint8_t* out) const noexcept {
        std::memcpy(out, m_fixed.data(), m_fixed.size());
        std::size_t pos = m_split;
        if (!m_ext1.empty()) {
            copy_short(out + pos, m_ext1.data(), m_ext1.size());
            pos += m_ext1.size();
        }
        if (m_fixed_len > m_split) {
            std::memcpy(out + pos, m_fixed.data() + m_split, m_fixed.size() - m_split);
            pos += m_fixed_len - m_split;
        }
        if (!m_ext2.empty()) copy_short(out + pos, m_ext2.data(), m_ext2.size());
    }

    /// Copies the label into out (out.size() >= size()); for tests, tools
    /// and compile-time checks.
    constexpr void copy_to(mutable_bytes out) const noexcept {
        std::size_t pos = 0;
        feed([&](bytes_view part) {
            const std::size_t n = part.size() < out.size() - pos ? part.size() : out.size() - pos;
            copy_bytes(out.subspan(pos, n), part.first(n));
            pos += n;
        });
    }

private:
    friend struct label_builder;
    std::array<std::uint8_t, 16> m_fixed{};
    std::size_t m_fixed_len = 0;
    std::size_t m_split = 0;
    bytes_view m_ext1{};
    bytes_view m_ext2{};
};

/// Inputs of a label; which ones are read depends on the layout.
struct label_inputs {
    std::uint32_t constant = 0;
    std::uint8_t cs_id = 0;        ///< slot 5 when layout.cs_id_slot
    std::uint32_t csb_id = 0;      ///< slot 6 when layout.csb_id_slot
    bytes_view first{};            ///< RAND, RANDRi or ID Data
    bytes_view second{};           ///< RANDRr or RANDRkms
};

struct label_builder {
    [[nodiscard]] static constexpr prf_label raw(bytes_view bytes) noexcept {
        prf_label out;
        out.m_ext1 = bytes;
        return out;
    }

    /// Builds the label of `l` from `in`. Precondition (checked by the
    /// derivations, which report errc::field_too_long): 8-bit length fields
    /// hold <= 255, the 16-bit ID Data length <= 65535.
    [[nodiscard]] MIKEY_ALWAYS_INLINE static constexpr prf_label make(const label_layout& l,
                                                                      const label_inputs& in) noexcept {
        prf_label out;
        auto& f = out.m_fixed;
        // constant(32) || cs_id(8) || csb_id(32): plain stores (the layout is often a
        // compile-time constant here, see derive.hpp's run).
        const std::uint32_t csb = l.csb_id_slot ? in.csb_id : 0xFFFFFFFFu;
        f[0] = static_cast<std::uint8_t>(in.constant >> 24);
        f[1] = static_cast<std::uint8_t>(in.constant >> 16);
        f[2] = static_cast<std::uint8_t>(in.constant >> 8);
        f[3] = static_cast<std::uint8_t>(in.constant);
        f[4] = l.cs_id_slot ? in.cs_id : std::uint8_t{0xFF};
        f[5] = static_cast<std::uint8_t>(csb >> 24);
        f[6] = static_cast<std::uint8_t>(csb >> 16);
        f[7] = static_cast<std::uint8_t>(csb >> 8);
        f[8] = static_cast<std::uint8_t>(csb);
        std::size_t n = 9;
        if (l.has_purpose) {
            f[n++] = l.purpose;
        }
        const auto len8 = [](bytes_view v) { return static_cast<std::uint8_t>(v.size()); };
        switch (l.tail) {
            case label_tail::rand_raw:
                out.m_split = n;
                out.m_ext1 = in.first;
                break;
            case label_tail::randri_randrr:
                f[n++] = len8(in.first);
                out.m_split = n;
                out.m_ext1 = in.first;
                f[n++] = len8(in.second);
                out.m_ext2 = in.second;
                break;
            case label_tail::id_randrkms:
                f[n++] = static_cast<std::uint8_t>(in.first.size() >> 8);
                f[n++] = len8(in.first);
                out.m_split = n;
                out.m_ext1 = in.first;
                f[n++] = len8(in.second);
                out.m_ext2 = in.second;
                break;
            case label_tail::none:
                out.m_split = n;
                break;
            case label_tail::rand_with_length:
                f[n++] = len8(in.first);
                out.m_split = n;
                out.m_ext1 = in.first;
                break;
        }
        out.m_fixed_len = n;
        return out;
    }
};

/// A label given as opaque bytes (mikeyctl prf, tests): fed as one range.
[[nodiscard]] constexpr prf_label raw_label(bytes_view bytes) noexcept { return label_builder::raw(bytes); }

/// Shorthand for label_builder::make.
[[nodiscard]] MIKEY_ALWAYS_INLINE constexpr prf_label make_label(const label_layout& l, const label_inputs& in) noexcept {
    return label_builder::make(l, in);
}

namespace detail {
template <std::size_t N>
constexpr bool label_is(const label_layout& l, const label_inputs& in, const std::array<std::uint8_t, N>& want) {
    const prf_label lab = make_label(l, in);
    if (lab.size() != N) return false;
    std::array<std::uint8_t, N> got{};
    lab.copy_to(got);
    return got == want;
}
inline constexpr std::array<std::uint8_t, 3> label_test_r1{0xA1, 0xA2, 0xA3};
inline constexpr std::array<std::uint8_t, 2> label_test_r2{0xB1, 0xB2};
}  // namespace detail

// Byte-exact layouts, pinned at compile time.
// RFC 3830 §4.1.3: constant || cs_id || csb_id || RAND
static_assert(detail::label_is(layout::rfc3830_tgk, {label_constant::tek, 0x01, 0x12345678, detail::label_test_r1, {}},
                               std::array<std::uint8_t, 12>{0x2A, 0xD0, 0x1C, 0x64, 0x01, 0x12, 0x34, 0x56, 0x78, 0xA1,
                                                            0xA2, 0xA3}));
// RFC 3830 §4.1.4: constant || 0xFF || csb_id || RAND
static_assert(detail::label_is(layout::rfc3830_msg, {label_constant::auth_key, 0x07, 0x12345678, detail::label_test_r1, {}},
                               std::array<std::uint8_t, 12>{0x2D, 0x22, 0xAC, 0x75, 0xFF, 0x12, 0x34, 0x56, 0x78, 0xA1,
                                                            0xA2, 0xA3}));
// RFC 6043 §5.1.2: constant || 0xFF || CSB ID || 0x01 || len RANDRi || RANDRi || len RANDRr || RANDRr
static_assert(detail::label_is(layout::d1, {label_constant::encr_key, 0, 0x01020304, detail::label_test_r1, {}},
                               std::array<std::uint8_t, 15>{0x15, 0x05, 0x33, 0xE1, 0xFF, 0x01, 0x02, 0x03, 0x04, 0x01,
                                                            0x03, 0xA1, 0xA2, 0xA3, 0x00}));
static_assert(detail::label_is(layout::d2, {label_constant::salt_key, 0, 0x01020304, {}, detail::label_test_r2},
                               std::array<std::uint8_t, 14>{0x29, 0xB8, 0x89, 0x16, 0xFF, 0x01, 0x02, 0x03, 0x04, 0x02,
                                                            0x00, 0x02, 0xB1, 0xB2}));
// RFC 6043 §5.1.1: constant || 0xFF || 0xFFFFFFFF || 0x00 || len ID(2) || ID || len RANDRkms || RANDRkms
static_assert(detail::label_is(layout::d3, {label_constant::tgk_fork, 0, 0, detail::label_test_r2, detail::label_test_r1},
                               std::array<std::uint8_t, 18>{0x15, 0x12, 0xB5, 0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
                                                            0x00, 0x02, 0xB1, 0xB2, 0x03, 0xA1, 0xA2, 0xA3}));
// RFC 6043 §5.1.3: constant || CS ID || 0xFFFFFFFF || 0x03 || len RANDRi || RANDRi || len RANDRr || RANDRr
static_assert(detail::label_is(layout::d4, {label_constant::tek, 0x02, 0x99999999, detail::label_test_r2, detail::label_test_r2},
                               std::array<std::uint8_t, 16>{0x2A, 0xD0, 0x1C, 0x64, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x03,
                                                            0x02, 0xB1, 0xB2, 0x02, 0xB1, 0xB2}));
// RFC 6043 §6.10: constant || 0xFF || 0xFFFFFFFF || 0x04
static_assert(detail::label_is(layout::d5, {label_constant::auth_key, 0, 0, {}, {}},
                               std::array<std::uint8_t, 10>{0x2D, 0x22, 0xAC, 0x75, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x04}));
// RFC 6043 App. A.2.1 / A.2.2: constant || 0xFF || 0xFFFFFFFF || 0x05/0x06 || len RAND || RAND
static_assert(detail::label_is(layout::d6, {label_constant::encr_key, 0, 0, detail::label_test_r2, {}},
                               std::array<std::uint8_t, 13>{0x15, 0x05, 0x33, 0xE1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x05,
                                                            0x02, 0xB1, 0xB2}));
static_assert(detail::label_is(layout::d7, {label_constant::mpki, 0, 0, detail::label_test_r2, {}},
                               std::array<std::uint8_t, 13>{0x22, 0x0E, 0x99, 0xA2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x06,
                                                            0x02, 0xB1, 0xB2}));

}  // namespace mikey::crypto
// ---- end mikey/crypto/labels.hpp ----
// #include "prf.hpp" (inlined)
// ---- begin mikey/crypto/prf.hpp ----
// mikey-ticket: the MIKEY PRFs as constexpr descriptors and the one PRF
// routine both share:
//   PRF func 0, MIKEY-1           RFC 3830 §4.1.2 (HMAC-SHA-1, 160-bit blocks)
//   PRF func 1, PRF-HMAC-SHA-256  RFC 6043 §6.1  (RFC 3830 §4.1.2 with
//                                 HMAC-SHA-256 and 256 in place of 160)

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "backend.hpp" (inlined above as mikey/crypto/backend.hpp)
// #include "labels.hpp" (inlined above as mikey/crypto/labels.hpp)

namespace mikey::crypto {

/// A PRF of RFC 3830 §4.1.2 shape.
struct prf_descriptor {
    prf_func func;
    std::string_view name;
    hmac_hash hash;
    /// inkey is split into pieces of this many bits (RFC 3830 §4.1.2 "256",
    /// half the SHA-1 input block; RFC 6043 §6.1 keeps it: half of SHA-256's
    /// 512-bit block is 256 as well).
    std::size_t inkey_piece_bits;
    /// m = ceil(outkey_len / block_bits) (RFC 3830: 160; RFC 6043 §6.1: 256).
    std::size_t block_bits;
};

inline constexpr prf_descriptor mikey_1_prf{prf_func::mikey_1, "MIKEY-1", hmac_hash::sha_1, 256, 160};
inline constexpr prf_descriptor prf_hmac_sha_256{prf_func::prf_hmac_sha_256, "PRF-HMAC-SHA-256", hmac_hash::sha_256,
                                                 256, 256};

// RFC 3830 §4.1.2: "The values '256' and '160' equals half the input
// block-size and full output hash size, respectively, of the SHA-1 hash".
static_assert(mikey_1_prf.inkey_piece_bits == 256 && mikey_1_prf.block_bits == 160);
static_assert(mikey_1_prf.block_bits == 8 * hmac_size(mikey_1_prf.hash));
// RFC 6043 §6.1: "HMAC-SHA-256 ... SHALL be used instead of HMAC-SHA-1 and
// the value 256 SHALL be used instead of 160".
static_assert(prf_hmac_sha_256.inkey_piece_bits == 256 && prf_hmac_sha_256.block_bits == 256);
static_assert(prf_hmac_sha_256.block_bits == 8 * hmac_size(prf_hmac_sha_256.hash));
static_assert(static_cast<unsigned>(mikey_1_prf.func) == 0 && static_cast<unsigned>(prf_hmac_sha_256.func) == 1);

/// The descriptor of a PRF func value, or nullopt when this library has none
/// (unassigned or private-use values).
[[nodiscard]] constexpr std::optional<prf_descriptor> prf_for(prf_func f) noexcept {
    switch (f) {
        case prf_func::mikey_1: return mikey_1_prf;
        case prf_func::prf_hmac_sha_256: return prf_hmac_sha_256;
    }
    return std::nullopt;
}

/// Number of HMAC calls PRF(inkey, label) makes for these sizes: 2 * m * n
/// (RFC 3830 §4.1.2).
[[nodiscard]] constexpr std::size_t prf_hmac_calls(const prf_descriptor& d, std::size_t inkey_bytes,
                                                   std::size_t outkey_bytes) noexcept {
    const std::size_t piece = d.inkey_piece_bits / 8;
    const std::size_t block = d.block_bits / 8;
    const std::size_t n = (inkey_bytes + piece - 1) / piece;
    const std::size_t m = (outkey_bytes + block - 1) / block;
    return 2 * m * n;
}
static_assert(prf_hmac_calls(mikey_1_prf, 16, 16) == 2);
static_assert(prf_hmac_calls(mikey_1_prf, 64, 30) == 8);
static_assert(prf_hmac_calls(prf_hmac_sha_256, 33, 33) == 8);

namespace detail {
/// The RFC 3830 §4.1.2 loop; feed() absorbs the label into the keyed HMAC.
template <crypto_backend B, class Feed>
[[nodiscard]] MIKEY_ALWAYS_INLINE inline result<void> prf_loop(B& b, const prf_descriptor& d, bytes_view inkey, Feed&& feed,
                                                        mutable_bytes out) noexcept {
    const hmac_hash h = d.hash;
    const std::size_t block = d.block_bits / 8;
    const std::size_t piece = d.inkey_piece_bits / 8;
    // Blocks of 32 (PRF-HMAC-SHA-256) or 20 bytes (MIKEY-1): a shift for
    // the first, no division on the hot path.
    const std::size_t m = block == 32 ? (out.size() + 31) >> 5 : (out.size() + block - 1) / block;
    // A_i and the current block T share one buffer (one wipe at the end).
    // Neither is zero-filled first: hmac_final writes them before they are
    // read; out is written by the first inkey piece, XORed by the others.
    std::array<std::uint8_t, 2 * max_hmac_size> scratch;
    std::uint8_t* const t = scratch.data() + max_hmac_size;
    const mutable_bytes a_span{scratch.data(), block};
    const mutable_bytes t_span{t, block};
    result<void> r{};
    for (std::size_t off = 0; off < inkey.size() && r; off += piece) {
        const bytes_view s = inkey.subspan(off, inkey.size() - off < piece ? inkey.size() - off : piece);
        r = b.hmac_set_key(h, s);
        if (!r) break;
        // A_1 = HMAC(s, A_0 = label)
        feed();
        r = b.hmac_final(h, a_span);
        for (std::size_t i = 0; i < m && r; ++i) {
            // HMAC(s, A_i || label), XORed into block i of the output
            // (copied there for the first piece)
            b.hmac_update(h, a_span);
            feed();
            r = b.hmac_final(h, t_span);
            if (!r) break;
            const std::size_t pos = i * block;
            const std::size_t len = out.size() - pos < block ? out.size() - pos : block;
            std::uint8_t* o = out.data() + pos;
            if (off == 0) {
                if (len == 32) {
                    std::memcpy(o, t, 32);  // a fixed-size copy (the usual SHA-256 block)
                } else {
                    std::memcpy(o, t, len);
                }
            } else {
                std::size_t k = 0;
                for (; k + 8 <= len; k += 8) {
                    std::uint64_t x, y;
                    std::memcpy(&x, o + k, 8);
                    std::memcpy(&y, t + k, 8);
                    x ^= y;
                    std::memcpy(o + k, &x, 8);
                }
                for (; k < len; ++k) o[k] ^= t[k];
            }
            // A_(i+1) = HMAC(s, A_i); not needed after the last block.
            if (i + 1 < m) {
                b.hmac_update(h, a_span);
                r = b.hmac_final(h, a_span);
            }
        }
    }
    b.wipe(scratch);
    if (!r) {
        b.wipe(out);
    }
    return r;
}

/// A label too long for prf()'s stack copy (a long ID Data in D3): fed
/// range by range. Out of line: the common path stays small.
template <crypto_backend B>
[[nodiscard]] MIKEY_NOINLINE result<void> prf_by_ranges(B& b, const prf_descriptor& d, bytes_view inkey,
                                                        const prf_label& label, mutable_bytes out) noexcept {
    return prf_loop(
        b, d, inkey, [&] { label.feed([&](bytes_view part) { b.hmac_update(d.hash, part); }); }, out);
}

/// The loop over a label laid out in one piece (each HMAC absorbs it in
/// one update). Out of line: one copy per backend, whichever label layout
/// its caller wrote.
template <crypto_backend B>
[[nodiscard]] MIKEY_NOINLINE result<void> prf_flat(B& b, const prf_descriptor& d, bytes_view inkey,
                                                   bytes_view flat_label, mutable_bytes out) noexcept {
    return prf_loop(b, d, inkey, [&] { b.hmac_update(d.hash, flat_label); }, out);
}

/// prf()'s body. Inlined where the label is made from a layout known at
/// compile time (derive.hpp), so that the label's bytes are laid out by
/// straight stores rather than through prf_label's general copies.
/// Errors: as prf() below.
template <crypto_backend B>
[[nodiscard]] MIKEY_ALWAYS_INLINE inline result<void> prf_with_label(B& b, const prf_descriptor& d, bytes_view inkey,
                                                                      const prf_label& label,
                                                                      mutable_bytes out) noexcept {
    if (inkey.empty() || out.empty()) {
        return errc::invalid_argument;
    }
    // Labels of the usual sizes are laid out once in a stack buffer, so each
    // HMAC absorbs them in one update (fewer calls into the hash). Labels
    // are public.
    std::array<std::uint8_t, 192> flat;
    if (label.size() + prf_label::flatten_slack > flat.size()) {
        return prf_by_ranges(b, d, inkey, label, out);
    }
    label.flatten(flat.data());
    return prf_flat(b, d, inkey, bytes_view{flat.data(), label.size()}, out);
}

/// The same by PRF func value. Errors: unknown_prf_func, then as above.
template <crypto_backend B>
[[nodiscard]] MIKEY_ALWAYS_INLINE inline result<void> prf_with_label(B& b, prf_func f, bytes_view inkey,
                                                                      const prf_label& label,
                                                                      mutable_bytes out) noexcept {
    const auto d = prf_for(f);
    if (!d) {
        return errc::unknown_prf_func;
    }
    return prf_with_label(b, *d, inkey, label, out);
}
}  // namespace detail

/// outkey = the out.size() leftmost bytes of
///   P(s_1, label, m) XOR ... XOR P(s_n, label, m)          (RFC 3830 §4.1.2)
/// with inkey = s_1 || ... || s_n in 256-bit pieces (last may be shorter),
/// P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label),
/// A_0 = label, A_i = HMAC(s, A_(i-1)).
///
/// Writes into the caller's span, allocates nothing and wipes its
/// intermediate blocks. On error `out` is wiped.
/// Errors: invalid_argument (empty inkey or empty out), plus the backend's
/// (crypto_backend_failure).
template <crypto_backend B>
[[nodiscard]] result<void> prf(B& b, const prf_descriptor& d, bytes_view inkey, const prf_label& label,
                               mutable_bytes out) noexcept {
    return detail::prf_with_label(b, d, inkey, label, out);
}

/// PRF by HDR / Ticket Policy PRF func value.
/// Errors: unknown_prf_func (no descriptor for `f`), then as prf() above.
template <crypto_backend B>
[[nodiscard]] result<void> prf(B& b, prf_func f, bytes_view inkey, const prf_label& label, mutable_bytes out) noexcept {
    return detail::prf_with_label(b, f, inkey, label, out);
}

}  // namespace mikey::crypto
// ---- end mikey/crypto/prf.hpp ----
// #include "derive.hpp" (inlined)
// ---- begin mikey/crypto/derive.hpp ----
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

#include <cstddef>
#include <cstdint>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "../core/strong_types.hpp" (inlined above as mikey/core/strong_types.hpp)
// #include "backend.hpp" (inlined above as mikey/crypto/backend.hpp)
// #include "labels.hpp" (inlined above as mikey/crypto/labels.hpp)
// #include "prf.hpp" (inlined above as mikey/crypto/prf.hpp)

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
// ---- end mikey/crypto/derive.hpp ----
// #include "algorithms.hpp" (inlined)
// ---- begin mikey/crypto/algorithms.hpp ----
// mikey-ticket: key sizes of the KEMAC / V algorithms and the algorithm
// rules RFC 6043 §12.1 and RFC 3830 §4.2 put on the choice of keys, RANDs and
// algorithms. Each rule is a constexpr check returning its own errc, to be
// called where keys are chosen (ticket creation, KMS policy, role layer).

#include <cstddef>
#include <cstdint>
#include <optional>

// #include "../core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "backend.hpp" (inlined above as mikey/crypto/backend.hpp)
// #include "derive.hpp" (inlined above as mikey/crypto/derive.hpp)
// #include "prf.hpp" (inlined above as mikey/crypto/prf.hpp)

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
// ---- end mikey/crypto/algorithms.hpp ----
// #include "protection_keys.hpp" (inlined)
// ---- begin mikey/crypto/protection_keys.hpp ----
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

#include <cstddef>
#include <cstdint>

// #include "../core/secret.hpp" (inlined above as mikey/core/secret.hpp)
// #include "algorithms.hpp" (inlined above as mikey/crypto/algorithms.hpp)
// #include "derive.hpp" (inlined above as mikey/crypto/derive.hpp)
// #include "kemac_cipher.hpp" (inlined)
// ---- begin mikey/crypto/kemac_cipher.hpp ----
// mikey-ticket: the KEMAC Encr data ciphers over raw byte spans
// (RFC 3830 §4.2.3, RFC 6043 §6.2): NULL, AES-CM-128, AES-CM-256, AES-KW-128.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "../core/strong_types.hpp" (inlined above as mikey/core/strong_types.hpp)
// #include "algorithms.hpp" (inlined above as mikey/crypto/algorithms.hpp)
// #include "backend.hpp" (inlined above as mikey/crypto/backend.hpp)

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
// ---- end mikey/crypto/kemac_cipher.hpp ----

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
// ---- end mikey/crypto/protection_keys.hpp ----
// #include "kemac_cipher.hpp" (inlined above as mikey/crypto/kemac_cipher.hpp)
// #include "mac.hpp" (inlined)
// ---- begin mikey/crypto/mac.hpp ----
// mikey-ticket: the KEMAC MAC / V Auth alg functions (RFC 3830 §4.2.4,
// RFC 6043 §6.2) over a list of byte ranges: NULL, HMAC-SHA-1-160,
// HMAC-SHA-256-256. The ranges are whatever the MAC covers (message parts
// with the MAC field and, in TRANSFER_INIT, the Initiator Data cut out, then
// the appended identities / initial message).

#include <array>
#include <cstddef>
#include <span>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "algorithms.hpp" (inlined above as mikey/crypto/algorithms.hpp)
// #include "backend.hpp" (inlined above as mikey/crypto/backend.hpp)

namespace mikey::crypto {

static_assert(max_mac_size <= max_hmac_size, "every registered MAC fits the HMAC-sized buffers below");

/// Computes the MAC of `parts` (concatenated in order) into `out`
/// (out.size() == mac_size(a); empty for NULL).
/// Errors: unsupported_algorithm, key_length_mismatch (auth_key not the
/// algorithm's key size: 20 bytes for HMAC-SHA-1-160 (RFC 3830 §4.2.4), 32
/// for HMAC-SHA-256-256 (RFC 6043 §6.2), empty for NULL), invalid_argument
/// (out size), crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> compute_mac(B& b, mac_alg a, bytes_view auth_key, std::span<const bytes_view> parts,
                                       mutable_bytes out) noexcept {
    if (auto r = check_auth_key(a, auth_key.size()); !r) return r;
    if (out.size() != mac_size(a)) return errc::invalid_argument;
    const auto h = hash_of(a);
    if (!h) return {};  // NULL: no MAC
    if (auto r = b.hmac_set_key(*h, auth_key); !r) return r;
    for (const bytes_view p : parts) b.hmac_update(*h, p);
    return b.hmac_final(*h, out);
}

/// Recomputes the MAC of `parts` and compares it with `mac` in constant time.
/// Errors: auth_failure (mismatch, or a MAC field of the wrong length), then
/// as compute_mac.
template <crypto_backend B>
[[nodiscard]] result<void> verify_mac(B& b, mac_alg a, bytes_view auth_key, std::span<const bytes_view> parts,
                                      bytes_view mac) noexcept {
    if (mac.size() != mac_size(a)) return errc::auth_failure;
    std::array<std::uint8_t, max_hmac_size> expect{};
    const mutable_bytes e{expect.data(), mac_size(a)};
    if (auto r = compute_mac(b, a, auth_key, parts, e); !r) return r;
    const bool ok = b.equal(e, mac);
    b.wipe(expect);
    if (!ok) return errc::auth_failure;
    return {};
}

}  // namespace mikey::crypto
// ---- end mikey/crypto/mac.hpp ----
// #include "kemac.hpp" (inlined)
// ---- begin mikey/crypto/kemac.hpp ----
// mikey-ticket: protected KEMAC payloads (RFC 3830 §6.2, §4.2.3-§4.2.4;
// RFC 6043 §6.2): build one from Key data entries, open one back into views
// of its Key data entries.
//
// MAC coverage depends on the method (RFC 3830 §6.2):
//   PK method (kemac_mac_scope::kemac_only): the KEMAC payload alone, minus
//     the MAC field, with its Next payload byte taken as zero;
//   PSK method (RFC 3830 I_MESSAGE): the whole message up to the MAC field:
//     build the KEMAC with mac_scope::message (the MAC field is left zero),
//     assemble the message, then fill_message_mac() (ticket/mac_coverage.hpp);
//   RFC 6043 messages: MAC alg NULL, the V payload authenticates.

#include <array>
#include <cstddef>
#include <optional>
#include <span>

// #include "../payload/chain.hpp" (inlined above as mikey/payload/chain.hpp)
// #include "backend.hpp" (inlined above as mikey/crypto/backend.hpp)
// #include "kemac_cipher.hpp" (inlined above as mikey/crypto/kemac_cipher.hpp)
// #include "mac.hpp" (inlined above as mikey/crypto/mac.hpp)

namespace mikey::crypto {

/// Which bytes the KEMAC's own MAC covers.
enum class kemac_mac_scope : std::uint8_t {
    kemac_only,  ///< PK method: KEMAC payload with Next payload = 0, minus the MAC field
    message      ///< PSK method: the whole message (filled later by fill_message_mac)
};

/// Algorithms and keys of one KEMAC.
struct kemac_protection {
    encr_alg encr = encr_alg::aes_cm_128;
    mac_alg mac = mac_alg::null;
    kemac_cipher_keys cipher{};  ///< encr_key, salt_key, CSB ID, T
    bytes_view auth_key{};       ///< for mac != NULL
    kemac_mac_scope scope = kemac_mac_scope::kemac_only;
    /// PK method: the Initiator's ID payload, encrypted ahead of the Key data
    /// ("adding the ID payload as the first payload", RFC 3830 §6.2).
    std::optional<id_builder> initiator_id{};
};

/// Bytes of the plaintext Key data chain for `entries` (and an optional
/// leading ID payload, PK method) and of the whole KEMAC payload.
/// Errors: the builders' own (invalid_argument, field_too_long), unsupported_algorithm.
struct kemac_sizes {
    std::size_t plain = 0;
    std::size_t kemac = 0;
};
[[nodiscard]] constexpr result<kemac_sizes> kemac_size(const kemac_protection& p,
                                                        std::span<const key_data_builder> entries) noexcept {
    byte_writer w;
    chain_writer c(w, std::nullopt);
    c.add(p.initiator_id);
    c.add(entries);
    if (w.failed()) return w.error();
    const auto enc = encrypted_size(p.encr, w.size());
    if (!enc || !auth_key_size(p.mac)) return errc::unsupported_algorithm;
    const auto kemac = kemac_payload_size(*enc, p.mac);
    if (!kemac) return kemac.error();
    return kemac_sizes{w.size(), *kemac};
}

namespace detail {
/// The KEMAC-only MAC (RFC 3830 §6.2 public-key case): "calculated over the
/// Key data transport payload, except for the MAC field and where the Next
/// payload field has been set to zero".
template <crypto_backend B>
[[nodiscard]] result<void> kemac_only_mac(B& b, mac_alg a, bytes_view auth_key, bytes_view kemac_bytes,
                                          std::size_t mac_offset, mutable_bytes out) noexcept {
    static constexpr std::array<std::uint8_t, 1> zero{0};
    const std::array<bytes_view, 2> parts{bytes_view(zero), kemac_bytes.subspan(1, mac_offset - 1)};
    return compute_mac(b, a, auth_key, parts, out);
}
}  // namespace detail

/// Writes a complete KEMAC payload (Next payload 0) protecting `entries`
/// (chained: Next 20 while another follows, 0 after the last; preceded by
/// p.initiator_id when set) into `out`,
/// which must hold kemac_size().kemac bytes; `plain_scratch` (>= .plain
/// bytes) receives the plaintext chain and is wiped before returning.
/// With scope kemac_only and a non-NULL MAC the MAC is filled; with scope
/// message it is left zero for fill_message_mac().
/// Errors: unsupported_algorithm, key_length_mismatch (encr / salt / auth key
/// sizes), invalid_argument (an entry's own rules, AES-KW plaintext not a
/// multiple of 8 bytes (RFC 3394 §2)), buffer_too_small, field_too_long,
/// crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<bytes_view> build_protected_kemac(B& b, const kemac_protection& p,
                                                       std::span<const key_data_builder> entries,
                                                       mutable_bytes plain_scratch, mutable_bytes out) noexcept {
    if (!encrypted_size(p.encr, 0) || !auth_key_size(p.mac)) return errc::unsupported_algorithm;
    if (auto r = check_auth_key(p.mac, p.auth_key.size()); !r) return r.error();
    // The chain is written straight into the scratch (no counting pass
    // first): a chain that does not fit fails the writer with buffer_too_small.
    byte_writer pw(plain_scratch);
    chain_writer c(pw, std::nullopt);
    c.add(p.initiator_id);
    c.add(entries);
    const mutable_bytes plain = plain_scratch.first(pw.size());
    if (pw.failed()) {
        b.wipe(plain);
        return pw.error();
    }
    const std::size_t enc_len = *encrypted_size(p.encr, plain.size());
    const auto kemac_len = kemac_payload_size(enc_len, p.mac);
    if (!kemac_len || out.size() < *kemac_len) {
        b.wipe(plain);
        return kemac_len ? errc::buffer_too_small : kemac_len.error();
    }
    const mutable_bytes kemac = out.first(*kemac_len);
    const kemac_frame f = put_kemac_frame(kemac, p.encr, enc_len, p.mac);
    auto r = kemac_encrypt(b, p.encr, p.cipher, plain, f.encrypted_data);
    b.wipe(plain);
    if (!r) return r.error();
    for (auto& x : f.mac) x = 0;
    if (p.scope == kemac_mac_scope::kemac_only && p.mac != mac_alg::null) {
        if (auto m = detail::kemac_only_mac(b, p.mac, p.auth_key, kemac, kemac.size() - f.mac.size(), f.mac); !m) {
            return m.error();
        }
    }
    return bytes_view(kemac);
}

/// Verifies a KEMAC's own MAC in the PK method (scope kemac_only).
/// `expected` is the MAC alg the receiver's policy requires: a KEMAC naming
/// another one fails (no downgrade to NULL by flipping the Mac alg byte).
/// An expected NULL MAC verifies trivially: RFC 6043 KEMACs rely on the V
/// payload (ticket/mac_coverage.hpp).
/// Errors: auth_failure, key_length_mismatch, unsupported_algorithm,
/// crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> verify_kemac_mac(B& b, const kemac_view& k, mac_alg expected, bytes_view auth_key) noexcept {
    if (k.mac_algorithm() != expected) return errc::auth_failure;
    if (k.mac_algorithm() == mac_alg::null) return {};
    std::array<std::uint8_t, max_hmac_size> expect{};
    const mutable_bytes e{expect.data(), mac_size(k.mac_algorithm())};
    if (auto r = detail::kemac_only_mac(b, k.mac_algorithm(), auth_key, k.bytes(), k.mac_offset(), e); !r) return r;
    const bool ok = b.equal(e, k.mac());
    b.wipe(expect);
    if (!ok) return errc::auth_failure;
    return {};
}

/// Decrypts a KEMAC's Encr data into `plain_out` (>= the plaintext size:
/// decrypted_size(encryption, encrypted_data.size())) and parses it as a Key
/// data chain (with a leading ID payload when `id_first`, PK method). The
/// returned list's views point into plain_out, which holds key material: the
/// caller wipes it (e.g. a secret_buffer / secret_bytes).
/// Does not verify the MAC: call verify_kemac_mac (PK method) or
/// verify_message_mac (PSK method, RFC 6043 messages) first.
/// Errors: unsupported_algorithm, key_length_mismatch, buffer_too_small,
/// key_unwrap_failure (AES-KW integrity), crypto_backend_failure, and the
/// Key data chain's parse errors (length_out_of_bounds, misplaced_payload,
/// unknown_key_data_type, unknown_kv_type, trailing_bytes); on any error
/// plain_out is wiped.
template <crypto_backend B>
[[nodiscard]] result<key_data_list> open_kemac(B& b, const kemac_view& k, const kemac_cipher_keys& keys,
                                               mutable_bytes plain_out, bool id_first = false) noexcept {
    if (!encrypted_size(k.encryption(), 0)) return errc::unsupported_algorithm;
    const auto n = decrypted_size(k.encryption(), k.encrypted_data().size());
    if (!n) return errc::key_unwrap_failure;
    if (plain_out.size() < *n) return errc::buffer_too_small;
    const mutable_bytes plain = plain_out.first(*n);
    if (auto r = kemac_decrypt(b, k.encryption(), keys, k.encrypted_data(), plain); !r) {
        b.wipe(plain_out);
        return r.error_info();
    }
    auto list = key_data_list::parse(plain, id_first);
    if (!list) b.wipe(plain_out);
    return list;
}

}  // namespace mikey::crypto
// ---- end mikey/crypto/kemac.hpp ----
// ---- end mikey/crypto/crypto.hpp ----
// #include "crypto/deterministic_rng.hpp" (inlined)
// ---- begin mikey/crypto/deterministic_rng.hpp ----
// mikey-ticket: a deterministic random_generator for tests, fuzzing and
// reproducible runs (mikeyctl run --seed). NOT for production keys: the
// same seed gives the same bytes.
//
// Construction: key = HMAC-SHA-256("mikey-ticket deterministic_rng", seed),
// output = the AES-256-CTR key stream under that key from counter block 0
// (the backend's primitives; nothing is hand-written here).

#include <algorithm>
#include <array>
#include <cstdint>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "../core/secret.hpp" (inlined above as mikey/core/secret.hpp)
// #include "backend.hpp" (inlined above as mikey/crypto/backend.hpp)

namespace mikey::crypto {

template <crypto_backend B>
class deterministic_rng {
public:
    /// Errors (from the backend, on first use of fill): crypto_backend_failure.
    deterministic_rng(B& backend, std::uint64_t seed) noexcept : m_backend(&backend) {
        static constexpr std::uint8_t label[] = "mikey-ticket deterministic_rng";
        std::array<std::uint8_t, 8> s{};
        for (std::size_t i = 0; i < 8; ++i) s[i] = static_cast<std::uint8_t>(seed >> (56 - 8 * i));
        m_ok = hmac(backend, hmac_hash::sha_256, bytes_view(label, sizeof label - 1), {bytes_view(s)}, m_key).has_value();
    }

    deterministic_rng(const deterministic_rng&) = default;
    deterministic_rng& operator=(const deterministic_rng&) = default;
    ~deterministic_rng() {
        secure_wipe(m_key);
        secure_wipe(m_pool);
    }

    /// Writes the next out.size() bytes of the stream. Each fill starts at a
    /// key stream block (16 bytes): the rest of its last block is skipped.
    /// The key stream is made pool_blocks blocks at a time (one backend
    /// call), the stream is the same as block by block.
    /// Errors: crypto_backend_failure (the seed's HMAC failed, or the
    /// backend's AES-CTR did; `out` is then not random and must be dropped).
    [[nodiscard]] result<void> fill(mutable_bytes out) noexcept {
        if (!m_ok) return errc::crypto_backend_failure;
        std::size_t done = 0;
        while (done < out.size()) {
            if (m_used == m_pool.size()) {
                if (auto r = refill(); !r) return r;
            }
            const std::size_t n = std::min(out.size() - done, m_pool.size() - m_used);
            copy_bytes(out.subspan(done, n), bytes_view(m_pool).subspan(m_used, n));
            secure_wipe(m_pool.data() + m_used, n);  // served bytes do not stay behind
            done += n;
            m_used += n;
        }
        m_used = (m_used + 15) / 16 * 16;
        return {};
    }

    /// Key stream blocks made per backend call.
    static constexpr std::size_t pool_blocks = 32;

private:
    [[nodiscard]] result<void> refill() noexcept {
        m_pool.fill(0);
        std::array<std::uint8_t, 16> iv{};
        for (std::size_t i = 0; i < 8; ++i) iv[8 + i] = static_cast<std::uint8_t>(m_block >> (56 - 8 * i));
        if (auto r = m_backend->aes_ctr(m_key, iv, m_pool, m_pool); !r) return errc::crypto_backend_failure;
        m_block += pool_blocks;
        m_used = 0;
        return {};
    }

    B* m_backend;
    std::array<std::uint8_t, 32> m_key{};
    std::uint64_t m_block = 0;  ///< the counter block the next refill starts at
    std::array<std::uint8_t, 16 * pool_blocks> m_pool{};
    std::size_t m_used = 16 * pool_blocks;  ///< bytes of m_pool served (the pool starts empty)
    bool m_ok = false;
};

}  // namespace mikey::crypto
// ---- end mikey/crypto/deterministic_rng.hpp ----
// #include "ticket/schemas.hpp" (inlined)
// ---- begin mikey/ticket/schemas.hpp ----
// mikey-ticket (ticket layer): the compositions of the RFC 6043 messages
// as constexpr schema tables (RFC 6043 §4.2, §5.2, §5.4): the eight
// messages, the CSB-update forms of TRANSFER_INIT / TRANSFER_RESP, the two
// Error forms; schemas::all (with RFC 3830's, schema.hpp) and schema_for().

// #include "../schema.hpp" (inlined above as mikey/schema.hpp)

namespace mikey {

namespace schema_detail {
// RFC 6043 §5.4, Ticket Request and Ticket Resolve: Error message = HDR, T, (ERR), [V|SIGNx]
inline constexpr schema_item request_resolve_error[] = {
    {P::t, once}, {P::err, at_least_once}, {P::v, optional, any_role, alt}, {P::sign, optional, any_role, alt}};
// RFC 6043 §5.4, Ticket Transfer: Error message = HDR, T, (ERR), {SP}, [V]
inline constexpr schema_item transfer_error[] = {{P::t, once}, {P::err, at_least_once}, {P::sp, any},
                                                 {P::v, optional}};
// RFC 6043 §4.2.1: REQUEST_INIT_PSK = HDR, T, RANDRi, [IDRi], [IDRkms], TP, [IDRpsk], V
inline constexpr schema_item request_init_psk[] = {
    {P::t, once},           {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)},
    {P::idr, optional, r(id_role::idrkms)}, {P::tp, once}, {P::idr, optional, r(id_role::idrpsk)}, {P::v, once}};
// RFC 6043 §4.2.1: REQUEST_INIT_PK = HDR, T, RANDRi, [IDRi], {CERTi}, [IDRkms], TP, [CHASH], PKE, SIGNi
// (IDRi and CERTi are not alternatives here: both SHOULD be included, §4.2.1.3.)
inline constexpr schema_item request_init_pk[] = {
    {P::t, once},      {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)}, {P::cert, any},
    {P::idr, optional, r(id_role::idrkms)}, {P::tp, once}, {P::chash, optional}, {P::pke, once}, {P::sign, once}};
// RFC 6043 §4.2.1: REQUEST_RESP = HDR, T, [IDRkms], TICKET, KEMAC, V
inline constexpr schema_item request_resp[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idrkms)}, {P::ticket, once}, {P::kemac, once}, {P::v, once}};
// RFC 6043 §4.2.2: TRANSFER_INIT = HDR, T, RANDRi, [IDRi], [IDRr], {SP}, TICKET, [KEMAC], V
inline constexpr schema_item transfer_init[] = {
    {P::t, once},  {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)},
    {P::idr, optional, r(id_role::idrr)}, {P::sp, any}, {P::ticket, once}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §4.2.2: TRANSFER_RESP = HDR, T, [RANDRr], [IDRr], [RANDRkms], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp[] = {
    {P::t, once},  {P::randr, optional, r(rand_role::randrr)}, {P::idr, optional, r(id_role::idrr)},
    {P::randr, optional, r(rand_role::randrkms)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §5.2 (update by I): TRANSFER_INIT = HDR, T, [IDRi], [IDRr], {SP}, [KEMAC], V
inline constexpr schema_item transfer_init_update[] = {{P::t, once},
                                                       {P::idr, optional, r(id_role::idri)},
                                                       {P::idr, optional, r(id_role::idrr)},
                                                       {P::sp, any},
                                                       {P::kemac, optional},
                                                       {P::v, once}};
// RFC 6043 §5.2 (update by R): TRANSFER_INIT = HDR, T, [IDRr], [IDRi], {SP}, [KEMAC], V
inline constexpr schema_item transfer_init_update_by_responder[] = {{P::t, once},
                                                                    {P::idr, optional, r(id_role::idrr)},
                                                                    {P::idr, optional, r(id_role::idri)},
                                                                    {P::sp, any},
                                                                    {P::kemac, optional},
                                                                    {P::v, once}};
// RFC 6043 §5.2 (update by I): TRANSFER_RESP = HDR, T, [IDRr], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp_update[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idrr)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §5.2 (update by R): TRANSFER_RESP = HDR, T, [IDRi], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp_update_by_responder[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idri)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §4.2.3: RESOLVE_INIT_PSK = HDR, T, RANDRr, [IDRr], [IDRkms], TICKET, [IDRpsk], V
inline constexpr schema_item resolve_init_psk[] = {
    {P::t, once},  {P::randr, once, r(rand_role::randrr)}, {P::idr, optional, r(id_role::idrr)},
    {P::idr, optional, r(id_role::idrkms)}, {P::ticket, once}, {P::idr, optional, r(id_role::idrpsk)}, {P::v, once}};
// RFC 6043 §4.2.3: RESOLVE_INIT_PK = HDR, T, RANDRr, [IDRr], {CERTr}, [IDRkms], TICKET, [CHASH], PKE, SIGNr
// (IDRr and CERTr are not alternatives here: both SHOULD be included, §4.2.3.3.)
inline constexpr schema_item resolve_init_pk[] = {{P::t, once},
                                                  {P::randr, once, r(rand_role::randrr)},
                                                  {P::idr, optional, r(id_role::idrr)},
                                                  {P::cert, any},
                                                  {P::idr, optional, r(id_role::idrkms)},
                                                  {P::ticket, once},
                                                  {P::chash, optional},
                                                  {P::pke, once},
                                                  {P::sign, once}};
// RFC 6043 §4.2.3: RESOLVE_RESP = HDR, T, [IDRkms], KEMAC, [IDRr], [RANDRkms], V
inline constexpr schema_item resolve_resp[] = {{P::t, once},
                                               {P::idr, optional, r(id_role::idrkms)},
                                               {P::kemac, once},
                                               {P::idr, optional, r(id_role::idrr)},
                                               {P::randr, optional, r(rand_role::randrkms)},
                                               {P::v, once}};
}  // namespace schema_detail

namespace schemas {
/// RFC 6043 §5.4, Error message in the Ticket Request and Ticket Resolve
/// exchanges: at least one ERR, V or SIGNx (not both), no SP.
inline constexpr message_schema request_resolve_error{
    .name = "MIKEY-TICKET Error (Request / Resolve)",
    .type = D::error,
    .items = schema_detail::request_resolve_error,
    .closing_payload = false};
/// RFC 6043 §5.4, Error message in the Ticket Transfer exchange: at least one
/// ERR, SP payloads, V (never SIGN).
inline constexpr message_schema transfer_error{
    .name = "MIKEY-TICKET Error (Transfer)",
    .type = D::error,
    .items = schema_detail::transfer_error,
    .closing_payload = false};
/// RFC 6043 §4.2.1.
inline constexpr message_schema request_init_psk{
    .name = "REQUEST_INIT_PSK",
    .type = D::request_init_psk,
    .items = schema_detail::request_init_psk,
    .no_crypto_sessions = true};
/// RFC 6043 §4.2.1.
inline constexpr message_schema request_init_pk{
    .name = "REQUEST_INIT_PK",
    .type = D::request_init_pk,
    .items = schema_detail::request_init_pk,
    .no_crypto_sessions = true};
/// RFC 6043 §4.2.1.
inline constexpr message_schema request_resp{
    .name = "REQUEST_RESP",
    .type = D::request_resp,
    .items = schema_detail::request_resp,
    .no_crypto_sessions = true};
/// RFC 6043 §4.2.2.
inline constexpr message_schema transfer_init{
    .name = "TRANSFER_INIT",
    .type = D::transfer_init,
    .items = schema_detail::transfer_init,
    .no_srtp_id_map = true,
    .initiator_data_if_forking = true};
/// RFC 6043 §4.2.2.
inline constexpr message_schema transfer_resp{
    .name = "TRANSFER_RESP",
    .type = D::transfer_resp,
    .items = schema_detail::transfer_resp,
    .no_srtp_id_map = true};
/// RFC 6043 §5.2, CSB update started by the Initiator.
inline constexpr message_schema transfer_init_update{
    .name = "TRANSFER_INIT (CSB update by I)",
    .type = D::transfer_init,
    .items = schema_detail::transfer_init_update,
    .no_srtp_id_map = true};
/// RFC 6043 §5.2, CSB update started by the Responder.
inline constexpr message_schema transfer_init_update_by_responder{
    .name = "TRANSFER_INIT (CSB update by R)",
    .type = D::transfer_init,
    .items = schema_detail::transfer_init_update_by_responder,
    .no_srtp_id_map = true};
/// RFC 6043 §5.2, CSB update started by the Initiator.
inline constexpr message_schema transfer_resp_update{
    .name = "TRANSFER_RESP (CSB update by I)",
    .type = D::transfer_resp,
    .items = schema_detail::transfer_resp_update,
    .no_srtp_id_map = true};
/// RFC 6043 §5.2, CSB update started by the Responder.
inline constexpr message_schema transfer_resp_update_by_responder{
    .name = "TRANSFER_RESP (CSB update by R)",
    .type = D::transfer_resp,
    .items = schema_detail::transfer_resp_update_by_responder,
    .no_srtp_id_map = true};
/// RFC 6043 §4.2.3.
inline constexpr message_schema resolve_init_psk{
    .name = "RESOLVE_INIT_PSK",
    .type = D::resolve_init_psk,
    .items = schema_detail::resolve_init_psk,
    .no_crypto_sessions = true,
    .initiator_data_if_forking = true};
/// RFC 6043 §4.2.3.
inline constexpr message_schema resolve_init_pk{
    .name = "RESOLVE_INIT_PK",
    .type = D::resolve_init_pk,
    .items = schema_detail::resolve_init_pk,
    .no_crypto_sessions = true,
    .initiator_data_if_forking = true};
/// RFC 6043 §4.2.3.
inline constexpr message_schema resolve_resp{
    .name = "RESOLVE_RESP",
    .type = D::resolve_resp,
    .items = schema_detail::resolve_resp,
    .no_crypto_sessions = true};

/// Every schema above.
inline constexpr const message_schema* all[] = {
    &psk_init,         &psk_verification,     &pk_init,
    &pk_verification,  &dh_init,              &dh_response,
    &error,            &request_resolve_error, &transfer_error,
    &request_init_psk, &request_init_pk,      &request_resp,
    &transfer_init,    &transfer_resp,        &transfer_init_update,
    &transfer_init_update_by_responder,       &transfer_resp_update,
    &transfer_resp_update_by_responder,       &resolve_init_psk,
    &resolve_init_pk,  &resolve_resp,
};
}  // namespace schemas

static_assert(detail::all_unambiguous(schemas::all),
              "a schema table cannot be checked without looking ahead (see detail::unambiguous)");

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


}  // namespace mikey
// ---- end mikey/ticket/schemas.hpp ----
// #include "ticket/policy.hpp" (inlined)
// ---- begin mikey/ticket/policy.hpp ----
// mikey-ticket (ticket layer): the Ticket Policy (RFC 6043 §6.10) as a
// value: its twelve flags (their meaning is documented on ticket_flags in
// payload/ticket.hpp), the flag dependencies, the
// rule that ties F to forking with a TGK, flags written as letters
// ("DEFGHI") for configuration files, and the Initiator's check of what the
// KMS granted against what it desired (K flag, §4.2.1.6).
//
// The flag bits themselves, their wire positions and the six dependency
// rules live with the TP / TICKET payloads (payload/ticket.hpp:
// ticket_flags, ticket_flag_bits, check_ticket_flags); this header adds
// what needs to know about keys and exchanges.

#include <string>
#include <vector>

#include <array>
#include <optional>
#include <string_view>

// #include "../core/ntp_time.hpp" (inlined above as mikey/core/ntp_time.hpp)
// #include "../payload/ticket.hpp" (inlined above as mikey/payload/ticket.hpp)

namespace mikey::ticket {

using mikey::check_ticket_flags;
using mikey::ticket_flags;
using mikey::ticket_policy;

/// Flags from letters ("DEFGHIO": each letter present is a set flag; case
/// insensitive). Errors: invalid_argument (a character that names no flag,
/// or a letter twice).
[[nodiscard]] constexpr result<ticket_flags> flags_from_letters(std::string_view letters) noexcept {
    ticket_flags f;
    for (std::size_t i = 0; i < letters.size(); ++i) {
        const char c = letters[i] >= 'a' && letters[i] <= 'z' ? static_cast<char>(letters[i] - 'a' + 'A') : letters[i];
        bool found = false;
        for (const auto& bit : ticket_flag_bits) {
            if (bit.letter == c) {
                if (f.*bit.member) return failure{errc::invalid_argument, i};
                f.*bit.member = true;
                found = true;
            }
        }
        if (!found) return failure{errc::invalid_argument, i};
    }
    return f;
}

/// The set flags as letters, in D..O order (at most 12 characters).
struct flag_letters {
    std::array<char, 12> chars{};
    std::size_t size = 0;
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars.data(), size}; }
};
[[nodiscard]] constexpr flag_letters to_letters(const ticket_flags& f) noexcept {
    flag_letters out;
    for (const auto& bit : ticket_flag_bits) {
        if (f.*bit.member) out.chars[out.size++] = bit.letter;
    }
    return out;
}
static_assert(to_letters(*flags_from_letters("dEfGhI")).view() == "DEFGHI");

/// The whole rule set of RFC 6043 §6.10 for a policy that will carry (or
/// carries) the given session keys: the six flag dependencies
/// (check_ticket_flags), then "The F flag SHALL be set to '1' when the I flag
/// (key forking) is set to '1' and a TGK is encoded in the ticket".
/// `granted`: a TICKET's policy (K implies D is checked there only).
/// Errors: the flag_* codes of check_ticket_flags; flag_f_required_by_i.
[[nodiscard]] constexpr result<void> check_policy_rules(const ticket_flags& f, bool granted, bool has_tgk) noexcept {
    if (auto r = check_ticket_flags(f, granted); !r) return r;
    // RFC 6043 §6.10: F = 1 when I = 1 and a TGK is encoded in the ticket.
    if (f.i && has_tgk && !f.f) return errc::flag_f_required_by_i;
    return {};
}

/// The Initiator's view of a granted policy against the desired one
/// (RFC 6043 §4.2.1.6: "Before using the received ticket, the Initiator
/// MUST check that the granted Ticket Policy is acceptable"): which flags the
/// KMS turned on and off. The role policy decides whether that is
/// acceptable.
struct policy_change {
    ticket_flags turned_on{};
    ticket_flags turned_off{};
    bool prf_changed = false;
    bool type_changed = false;
    [[nodiscard]] constexpr bool any() const noexcept {
        return turned_on != ticket_flags{} || turned_off != ticket_flags{} || prf_changed || type_changed;
    }
};
/// K is not compared: the Initiator sends 0 and the KMS sets it to report a
/// change (RFC 6043 §6.10).
[[nodiscard]] constexpr policy_change compare_policies(const ticket_policy& desired,
                                                       const ticket_policy& granted) noexcept {
    policy_change c;
    for (const auto& bit : ticket_flag_bits) {
        if (bit.letter == 'K') continue;
        const bool d = desired.flags.*bit.member;
        const bool g = granted.flags.*bit.member;
        if (g && !d) c.turned_on.*bit.member = true;
        if (d && !g) c.turned_off.*bit.member = true;
    }
    c.prf_changed = desired.prf != granted.prf;
    c.type_changed = desired.kind != granted.kind || desired.subtype != granted.subtype ||
                     desired.version != granted.version;
    return c;
}

/// What TP Data says (RFC 6043 §6.10): TP Data = First Payload, [IDRkms],
/// [IDRi], [TRs], [TRe], [TRr], [KEMAC], {IDRapp}, (IDRr). Views into the
/// TP / TICKET payload; the first of each single item counts.
struct tp_contents {
    std::optional<idr_view> idrkms{};  ///< a KMS able to resolve the ticket
    std::optional<idr_view> idri{};    ///< the peer that requested or created the ticket
    std::optional<ntp_time> trs{};     ///< start of validity (absent: no defined beginning)
    std::optional<ntp_time> tre{};     ///< end of validity (absent: no defined end)
    std::optional<kemac_view> kemac{}; ///< desired keys (TP only)
    std::size_t responders = 0;        ///< IDRr payloads
    std::size_t applications = 0;      ///< IDRapp payloads
};

/// Reads validated TP Data (tp_view / ticket_view::tp_payloads()).
/// Errors: unknown_ts_type (a TRs / TRe whose TS type is not a time: COUNTER).
template <class Range>
[[nodiscard]] constexpr result<tp_contents> read_tp_data(const Range& payloads) noexcept {
    tp_contents c;
    for (const auto& e : payloads) {
        switch (e.type) {
            case payload_type::idr: {
                const auto v = e.template as<idr_view>();
                if (v.role() == id_role::idrkms && !c.idrkms) c.idrkms = v;
                if (v.role() == id_role::idri && !c.idri) c.idri = v;
                c.responders += v.role() == id_role::idrr ? 1 : 0;
                c.applications += v.role() == id_role::idrapp ? 1 : 0;
                break;
            }
            case payload_type::tr: {
                const auto v = e.template as<tr_view>();
                if (v.role() != ts_role::trs && v.role() != ts_role::tre) break;
                // RFC 6043 §6.10: TRs / TRe are times "in the range 1968-2104" (RFC 4330).
                const auto t = ntp_time::from_payload(v.kind(), v.value());
                if (!t) return failure{errc::unknown_ts_type, e.offset};
                auto& slot = v.role() == ts_role::trs ? c.trs : c.tre;
                if (!slot) slot = *t;
                break;
            }
            case payload_type::kemac:
                if (!c.kemac) c.kemac = e.template as<kemac_view>();
                break;
            default: break;
        }
    }
    return c;
}

/// The first IDRi of validated TP Data: "the peer that requested or
/// created the ticket" (RFC 6043 §6.10), as read_tp_data's `idri`, without
/// reading the payloads after it.
template <class Range>
[[nodiscard]] constexpr std::optional<idr_view> initiator_of(const Range& payloads) noexcept {
    for (const auto& e : payloads) {
        if (e.type != payload_type::idr) continue;
        const auto v = e.template as<idr_view>();
        if (v.role() == id_role::idri) return v;
    }
    return std::nullopt;
}

/// The identities of the IDRr payloads of validated TP Data: "the
/// responders that are authorized to resolve the ticket" (RFC 6043 §6.10),
/// in order. Allocates.
template <class Range>
[[nodiscard]] std::vector<std::string> responders_of(const Range& payloads) {
    std::vector<std::string> out;
    for (const auto& e : payloads) {
        if (e.type != payload_type::idr) continue;
        const auto v = e.template as<idr_view>();
        if (v.role() == id_role::idrr) out.emplace_back(v.data().begin(), v.data().end());
    }
    return out;
}

/// RFC 6043 §6.10: the validity period TRs..TRe (either end may be open).
/// Errors: ticket_not_yet_valid, ticket_expired.
[[nodiscard]] constexpr result<void> check_validity(const tp_contents& c, ntp_time now) noexcept {
    if (c.trs && now < *c.trs) return errc::ticket_not_yet_valid;
    if (c.tre && *c.tre < now) return errc::ticket_expired;
    return {};
}

}  // namespace mikey::ticket
// ---- end mikey/ticket/policy.hpp ----
// #include "ticket/mac_coverage.hpp" (inlined)
// ---- begin mikey/ticket/mac_coverage.hpp ----
// mikey-ticket (ticket layer): V payloads (and the RFC 3830 PSK KEMAC MAC) over exactly the
// bytes the RFCs name, and Vi / Vr of the TICKET's Initiator Data.
//
// MAC input = the message's own coverage (message_view::mac_input(): every
// byte before the MAC field; for TRANSFER_INIT without the TICKET's
// Initiator Data length and Initiator Data) followed by what the RFC appends:
//
//   message                 appended (RFC 6043 §5.5 Table 5.2, RFC 3830 §5.2)
//   REQUEST_INIT_PSK        Identity_i || Identity_kms
//   TRANSFER_INIT           Identity_i || Identity_r
//   RESOLVE_INIT_PSK        Identity_r || Identity_kms
//   REQUEST_RESP            the complete REQUEST_INIT (incl. its MAC/signature)
//   TRANSFER_RESP           the complete TRANSFER_INIT as received
//   RESOLVE_RESP            the complete RESOLVE_INIT
//   Error (6)               nothing
//   PSK_INIT (0)            nothing: its KEMAC MAC covers the message (RFC 3830 §3.1, §6.2)
//   PSK_VERIFICATION (1),   Identity_i || Identity_r || Timestamp (RFC 3830 §5.2)
//   PK_VERIFICATION (3)
//
// "Identity" is the ID Data field only, not the whole ID / IDR payload
// (RFC 6043 §5.5 "the identities (not whole payloads)"); for RFC 3830 the
// same reading is applied (see notes/crypto.md).

#include <array>
#include <cstddef>
#include <span>

// #include "../crypto/backend.hpp" (inlined above as mikey/crypto/backend.hpp)
// #include "../crypto/mac.hpp" (inlined above as mikey/crypto/mac.hpp)
// #include "../message.hpp" (inlined above as mikey/message.hpp)

namespace mikey::ticket {

using crypto::compute_mac;
using crypto::crypto_backend;
using crypto::max_hmac_size;
using crypto::verify_mac;

/// What may be appended to a MAC input; which fields are read depends on the
/// message type (table above).
struct v_inputs {
    identity identity_i{};
    identity identity_r{};
    identity identity_kms{};
    bytes_view initial_message{};  ///< for the three *_RESP messages
    bytes_view timestamp{};        ///< TS value of the Initiator's T (RFC 3830 PSK_VERIFICATION)
};

/// The appended ranges for a message type.
struct mac_appendix {
    std::array<bytes_view, 3> parts{};
    std::size_t count = 0;
    [[nodiscard]] constexpr std::span<const bytes_view> view() const noexcept { return {parts.data(), count}; }
};

/// Errors: invalid_argument (a *_RESP without initial_message, or a data
/// type this table does not cover: PK / DH / RSA-R / IBAKE / SAKKE messages
/// are signed or use other rules).
[[nodiscard]] constexpr result<mac_appendix> appendix_for(data_type t, const v_inputs& in) noexcept {
    mac_appendix a;
    auto add = [&](bytes_view v) { a.parts[a.count++] = v; };
    switch (t) {
        // RFC 6043 §5.5: "For initial messages, the identities (not whole payloads) of the parties
        // involved MUST directly follow the MIKEY message".
        case data_type::request_init_psk:
        case data_type::request_init_pk:
            add(in.identity_i.get());
            add(in.identity_kms.get());
            break;
        case data_type::transfer_init:
            add(in.identity_i.get());
            add(in.identity_r.get());
            break;
        case data_type::resolve_init_psk:
        case data_type::resolve_init_pk:
            add(in.identity_r.get());
            add(in.identity_kms.get());
            break;
        // RFC 6043 §5.5: "For response messages, the entire initial message (including the
        // MAC/Signature field) MUST directly follow the MIKEY message".
        case data_type::request_resp:
        case data_type::transfer_resp:
        case data_type::resolve_resp:
            if (in.initial_message.empty()) return errc::invalid_argument;
            add(in.initial_message);
            break;
        // RFC 6043 §5.4: the Error message MAC "covers the entire Error message".
        case data_type::error:
        // RFC 3830 §6.2: the PSK KEMAC MAC covers the entire message.
        case data_type::psk_init: break;
        // RFC 3830 §5.2: "the Identity_i || Identity_r || Timestamp MUST directly follow the MIKEY
        // message in the Verification MAC calculation".
        case data_type::psk_verification:
        case data_type::pk_verification:  // RFC 3830 §3.2: the same V as in §3.1
            add(in.identity_i.get());
            add(in.identity_r.get());
            add(in.timestamp);
            break;
        default: return errc::invalid_argument;
    }
    return a;
}

namespace detail {
/// The MAC algorithm named by the message's last payload (V Auth alg or
/// KEMAC Mac alg).
[[nodiscard]] constexpr result<mac_alg> closing_mac_alg(const message_view& m) noexcept {
    const auto last = m.last_payload();
    if (last && last->type == payload_type::v) return last->as<v_view>().kind();
    if (last && last->type == payload_type::kemac) return last->as<kemac_view>().mac_algorithm();
    return errc::wrong_last_payload;
}

template <crypto_backend B>
[[nodiscard]] result<void> message_mac(B& b, const message_view& m, bytes_view auth_key, const v_inputs& in,
                                       mutable_bytes out, mac_coverage& cov) noexcept {
    const auto c = m.mac_input();
    if (!c) return c.error_info();
    cov = *c;
    const auto alg = closing_mac_alg(m);
    if (!alg) return alg.error_info();
    const auto app = appendix_for(m.type(), in);
    if (!app) return app.error_info();
    if (out.size() != mac_size(*alg) || cov.mac_field.size() != mac_size(*alg)) return errc::invalid_argument;
    std::array<bytes_view, 5> parts{};
    std::size_t n = 0;
    for (const bytes_view p : cov.covered()) parts[n++] = p;
    for (const bytes_view p : app->view()) parts[n++] = p;
    return compute_mac(b, *alg, auth_key, std::span<const bytes_view>(parts.data(), n), out);
}
}  // namespace detail

/// Computes the closing MAC (V Ver data, or the PSK KEMAC MAC) of a built
/// message and writes it into the message's MAC field, in place.
/// `message` holds the complete message with the MAC field present (any
/// content). Errors: the parse errors of message_view; wrong_last_payload;
/// invalid_argument (appendix_for); key_length_mismatch (auth_key not the
/// algorithm's size); crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> fill_message_mac(B& b, mutable_bytes message, bytes_view auth_key,
                                            const v_inputs& in) noexcept {
    const auto m = message_view::parse(message);
    if (!m) return m.error_info();
    std::array<std::uint8_t, max_hmac_size> tag{};
    mac_coverage cov;
    const auto alg = detail::closing_mac_alg(*m);
    if (!alg) return alg.error_info();
    const mutable_bytes t{tag.data(), mac_size(*alg)};
    if (auto r = detail::message_mac(b, *m, auth_key, in, t, cov); !r) return r;
    const std::size_t at = static_cast<std::size_t>(cov.mac_field.data() - message.data());
    for (std::size_t i = 0; i < t.size(); ++i) message[at + i] = t[i];
    return {};
}

/// Verifies the closing MAC of a received message (V payload of every
/// RFC 6043 PSK / MPK-protected message and of RFC 3830 PSK_VERIFICATION;
/// the KEMAC MAC of RFC 3830 PSK_INIT) in constant time.
/// `expected` is the Auth / MAC alg the receiver's policy requires; a message
/// naming another one fails (no downgrade to NULL).
/// Errors: auth_failure; wrong_last_payload; invalid_argument;
/// key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> verify_message_mac(B& b, const message_view& m, mac_alg expected, bytes_view auth_key,
                                              const v_inputs& in) noexcept {
    const auto alg = detail::closing_mac_alg(m);
    if (!alg) return alg.error_info();
    if (*alg != expected) return errc::auth_failure;
    std::array<std::uint8_t, max_hmac_size> tag{};
    const mutable_bytes t{tag.data(), mac_size(*alg)};
    mac_coverage cov;
    if (auto r = detail::message_mac(b, m, auth_key, in, t, cov); !r) return r;
    const bool ok = b.equal(t, cov.mac_field);
    b.wipe(tag);
    if (!ok) return errc::auth_failure;
    return {};
}

// ---------------------------------------------------------------- Vi, Vr

namespace detail {
struct initiator_vs {
    bytes_view data{};                ///< Initiator Data (with its First Payload byte)
    std::size_t data_offset = 0;      ///< in the message
    chain_entry vi{};                 ///< offsets relative to data
    chain_entry vr{};
};
[[nodiscard]] constexpr result<initiator_vs> find_initiator_vs(const message_view& m) noexcept {
    for (const auto& e : m.payloads_in_place()) {
        if (e.type != payload_type::ticket) continue;
        const auto t = e.as<ticket_view>();
        initiator_vs out;
        out.data = t.initiator_data();
        if (out.data.empty()) return errc::initiator_data_missing;
        out.data_offset = e.offset + t.initiator_data_length_offset() + 2;
        // RFC 6043 §6.10: Initiator Data = First Payload, Vi, Vr; Vr is the last payload.
        std::size_t vs = 0;
        for (const auto& p : t.initiator_payloads()) {
            if (p.type != payload_type::v) continue;
            if (vs == 0) out.vi = p;
            out.vr = p;
            ++vs;
        }
        if (vs < 2) return errc::missing_payload;
        return out;
    }
    return errc::missing_payload;
}
}  // namespace detail

/// Completes the Initiator Data of a built TRANSFER_INIT in place
/// (RFC 6043 §6.10): Vi := the MAC of the message's V payload ("The Vi
/// payload SHALL be identical to the V payload in the TRANSFER_INIT
/// message"), then Vr := MAC(vr_auth_key, Initiator Data up to Vr's MAC
/// field) with Vi's algorithm. Call after fill_message_mac: V does not
/// cover the Initiator Data (RFC 6043 §5.5), so the order is free of cycles.
/// vr_auth_key comes from derive_vr_auth_key (D5).
/// Errors: the parse errors of message_view; missing_payload (no TICKET, or
/// fewer than two V in the Initiator Data); initiator_data_missing;
/// auth_failure (Vi / Vr / V algorithms differ: "The authentication
/// algorithm SHALL be the same as used for the Vi payload");
/// key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> fill_initiator_data(B& b, mutable_bytes transfer_init, bytes_view vr_auth_key) noexcept {
    const auto m = message_view::parse(transfer_init);
    if (!m) return m.error_info();
    const auto ivs = detail::find_initiator_vs(*m);
    if (!ivs) return ivs.error_info();
    const auto last = m->last_payload();
    if (!last || last->type != payload_type::v) return errc::wrong_last_payload;
    const auto v = last->as<v_view>();
    const auto vi = ivs->vi.as<v_view>();
    const auto vr = ivs->vr.as<v_view>();
    if (vi.kind() != v.kind() || vr.kind() != vi.kind()) return errc::auth_failure;
    const std::size_t base = ivs->data_offset;
    const std::size_t vi_mac_at = base + ivs->vi.offset + vi.value_offset();
    for (std::size_t i = 0; i < v.value().size(); ++i) transfer_init[vi_mac_at + i] = v.value()[i];
    const std::size_t vr_mac_rel = ivs->vr.offset + vr.value_offset();
    const std::array<bytes_view, 1> parts{bytes_view(transfer_init).subspan(base, vr_mac_rel)};
    return compute_mac(b, vr.kind(), vr_auth_key, parts, transfer_init.subspan(base + vr_mac_rel, vr.value().size()));
}

/// RFC 6043 §4.2.3.6: with key forking the Responder "SHALL also verify that
/// the MAC field in the V payload in the TRANSFER_INIT message is identical
/// to the MAC field in the Vi payload". Constant time.
/// Errors: auth_failure; missing_payload; initiator_data_missing; wrong_last_payload.
template <crypto_backend B>
[[nodiscard]] result<void> verify_vi(B& b, const message_view& transfer_init) noexcept {
    const auto ivs = detail::find_initiator_vs(transfer_init);
    if (!ivs) return ivs.error_info();
    const auto last = transfer_init.last_payload();
    if (!last || last->type != payload_type::v) return errc::wrong_last_payload;
    const auto v = last->as<v_view>();
    const auto vi = ivs->vi.as<v_view>();
    if (vi.kind() != v.kind() || !b.equal(vi.value(), v.value())) return errc::auth_failure;
    return {};
}

/// RFC 6043 §6.10 / §4.2.3.4: verifies Vr over the Initiator Data (the KMS,
/// holding MPKr, does this when resolving). `initiator_data` is the TICKET's
/// Initiator Data field (ticket_view::initiator_data()).
/// `expected`: the Auth alg policy requires (Vi's and Vr's must both be it).
/// Errors: auth_failure (mismatch, or Vr's algorithm differs from Vi's);
/// initiator_data_missing (empty); the Initiator Data chain's own errors
/// (length_out_of_bounds, missing_payload, wrong_last_payload, ...);
/// key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> verify_vr(B& b, bytes_view initiator_data, mac_alg expected,
                                     bytes_view vr_auth_key) noexcept {
    // The field may come from anywhere: validate the chain before walking it.
    if (initiator_data.empty()) return errc::initiator_data_missing;
    if (auto ok = mikey::detail::check_initiator_data(initiator_data); !ok) return ok.error_info();
    std::size_t vs = 0;
    chain_entry vi_e{};
    chain_entry vr_e{};
    for (const auto& p : mikey::detail::first_byte_chain(initiator_data)) {
        if (p.type != payload_type::v) continue;
        if (vs == 0) vi_e = p;
        vr_e = p;
        ++vs;
    }
    if (vs < 2) return errc::missing_payload;
    const auto vi = vi_e.as<v_view>();
    const auto vr = vr_e.as<v_view>();
    if (vi.kind() != vr.kind() || vr.kind() != expected) return errc::auth_failure;
    const std::array<bytes_view, 1> parts{initiator_data.first(vr_e.offset + vr.value_offset())};
    return verify_mac(b, vr.kind(), vr_auth_key, parts, vr.value());
}

}  // namespace mikey::ticket
// ---- end mikey/ticket/mac_coverage.hpp ----
// #include "ticket/seal.hpp" (inlined)
// ---- begin mikey/ticket/seal.hpp ----
// mikey-ticket (ticket layer): the sealing builder. One object composes a
// whole protected RFC 6043 message in one pass over a caller buffer:
// header, payloads, KEMAC encryption, a TICKET with Initiator Data
// placeholders, and the closing V; seal() then computes the V MAC over the
// RFC 6043 §5.5 coverage (the TRANSFER_INIT cut around the Initiator Data
// included), and Vi / Vr (§6.10), from the offsets it recorded while
// writing: it never parses its own output back.
//
//     sealed_message_builder s(buf);
//     s.header(hdr).add(t).add(randri).add(idri).add(idrr);
//     s.add_ticket(ticket, mac_alg::hmac_sha_256_256);   // with Initiator Data
//     auto msg = s.seal(backend, mac_alg::hmac_sha_256_256, auth_key, {id_i, id_r}, vr_key);

#include <array>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>

// #include "../crypto/backend.hpp" (inlined above as mikey/crypto/backend.hpp)
// #include "../crypto/kemac.hpp" (inlined above as mikey/crypto/kemac.hpp)
// #include "../crypto/mac.hpp" (inlined above as mikey/crypto/mac.hpp)
// #include "../core/secret.hpp" (inlined above as mikey/core/secret.hpp)
// #include "../message.hpp" (inlined above as mikey/message.hpp)

namespace mikey::ticket {

/// Largest KEMAC plaintext the builder encrypts (MPKi, MPKr and 12 session
/// keys with salts and SPIs fit with room to spare).
inline constexpr std::size_t max_kemac_plain = 1024;

namespace detail {
/// A KEMAC with MAC alg NULL (RFC 6043 messages and the base ticket) built
/// into an inline buffer by crypto::build_protected_kemac; builder() hands
/// its fields to a chain. Wipes the plaintext scratch.
/// Neither buffer is zero-filled first: build_protected_kemac writes every
/// byte it hands back, and wipes the part of `plain` it wrote (the plaintext
/// chain) on every path. `bytes` (with Encr alg NULL, plaintext) is wiped
/// up to `size` by the destructor, and whole when a build fails.
struct encrypted_kemac {
    std::array<std::uint8_t, max_kemac_plain + 16> bytes;
    std::size_t size = 0;
    template <crypto::crypto_backend B>
    [[nodiscard]] result<void> build(B& b, encr_alg encr, const crypto::kemac_cipher_keys& cipher,
                                     std::span<const key_data_builder> keys) noexcept {
        std::array<std::uint8_t, max_kemac_plain> plain;
        const crypto::kemac_protection p{encr, mac_alg::null, cipher, {}, crypto::kemac_mac_scope::kemac_only, {}};
        const auto k = crypto::build_protected_kemac(b, p, keys, plain, bytes);
        if (!k) {
            b.wipe(bytes);
            size = 0;
            return k.error();
        }
        size = k->size();
        return {};
    }
    /// The KEMAC built, read back through kemac_view (the layout is the payload layer's).
    [[nodiscard]] kemac_builder builder() const noexcept MIKEY_LIFETIMEBOUND {
        return kemac_view::from_validated(bytes_view(bytes.data(), size)).to_builder();
    }
    ~encrypted_kemac() { secure_wipe(bytes.data(), size); }
};

/// Computes the V MAC over `head` (pieces of `buf`, the last one ending
/// at `end`, where the MAC field starts) followed by `appendix` (RFC 6043
/// §5.5: the identities, or the initial message) into `mac`. When the
/// appendix fits into `buf` from `end` on and does not overlap it, it is
/// written there, so that the last piece and the appendix are one HMAC
/// update (fewer, longer updates: less of the hash's buffering); the bytes
/// of `buf` from `end` on are scratch then. `mac` may lie at `end` (the
/// input is absorbed before the tag is written: crypto_backend's
/// hmac_update).
/// Errors: as crypto::compute_mac, invalid_argument (more than 6 pieces).
template <crypto::crypto_backend B>
[[nodiscard]] result<void> mac_with_appendix(B& b, mac_alg alg, bytes_view auth_key, mutable_bytes buf,
                                             std::span<const bytes_view> head, std::size_t end,
                                             std::span<const bytes_view> appendix, mutable_bytes mac) noexcept {
    std::array<bytes_view, 6> parts{};
    if (head.empty() || head.size() + appendix.size() > parts.size()) return errc::invalid_argument;
    std::size_t extra = 0;
    bool apart = true;
    const std::less<const std::uint8_t*> before;
    const std::uint8_t* scratch = buf.data() + end;
    for (const bytes_view a : appendix) {
        extra += a.size();
        apart = apart && (a.empty() || !before(a.data(), buf.data() + buf.size()) || !before(scratch, a.data() + a.size()));
    }
    std::size_t n = 0;
    for (const bytes_view h : head) parts[n++] = h;
    if (!apart || extra > buf.size() - end) {
        for (const bytes_view a : appendix) parts[n++] = a;
        return crypto::compute_mac(b, alg, auth_key, std::span<const bytes_view>(parts.data(), n), mac);
    }
    std::size_t at = end;
    for (const bytes_view a : appendix) {
        copy_bytes(buf.subspan(at, a.size()), a);
        at += a.size();
    }
    const bytes_view last = parts[n - 1];
    parts[n - 1] = bytes_view(last.data(), last.size() + extra);
    return crypto::compute_mac(b, alg, auth_key, std::span<const bytes_view>(parts.data(), n), mac);
}
}  // namespace detail

class sealed_message_builder {
public:
    explicit sealed_message_builder(mutable_bytes out MIKEY_LIFETIMEBOUND) noexcept : m_out(out), m_b(out) {}
    sealed_message_builder(const sealed_message_builder&) = delete;
    sealed_message_builder& operator=(const sealed_message_builder&) = delete;

    /// Writes the header (first call).
    sealed_message_builder& header(const hdr_builder& h) noexcept {
        m_b.header(h);
        return *this;
    }
    /// Appends a payload (or an optional one, or a span of them).
    template <class B>
    sealed_message_builder& add(const B& b) noexcept {
        m_b.add(b);
        return *this;
    }

    /// Appends an RFC 6043 KEMAC (MAC alg NULL: the V payload authenticates,
    /// RFC 6043 §4.2.1.5, §4.2.3.5, §5.2) holding `keys`, encrypted with
    /// `encr` under `cipher` (encr_key, salt_key, CSB ID, T of this message).
    /// Errors (reported by seal()): buffer_too_small (plaintext over
    /// max_kemac_plain), and those of crypto::kemac_encrypt.
    template <crypto::crypto_backend B>
    sealed_message_builder& add_kemac(B& b, encr_alg encr, const crypto::kemac_cipher_keys& cipher,
                                      std::span<const key_data_builder> keys) noexcept {
        if (m_error != errc::ok) return *this;
        detail::encrypted_kemac k;
        if (auto r = k.build(b, encr, cipher, keys); !r) {
            m_error = r.error();
            return *this;
        }
        m_b.add(k.builder());
        return *this;
    }

    /// Appends `t` as a TICKET payload. With `initiator_data_alg` (key
    /// forking, RFC 6043 §6.10) the Initiator Data is First Payload (V),
    /// Vi, Vr with `initiator_data_alg`, MACs zero until seal() fills them
    /// (Vi's Next Payload is V: see notes/ticket.md); without it the
    /// Initiator Data is empty. Errors (reported by seal()):
    /// invalid_argument (an unregistered `initiator_data_alg`).
    sealed_message_builder& add_ticket(const ticket_view& t,
                                       std::optional<mac_alg> initiator_data_alg = std::nullopt) noexcept {
        if (m_error != errc::ok) return *this;
        m_idata_len = 0;
        if (initiator_data_alg) {
            const v_builder v{{}, *initiator_data_alg, bytes_view(zero_mac.data(), mac_size(*initiator_data_alg))};
            byte_writer w{mutable_bytes(m_idata)};
            w.u8(0);  // First Payload, set to V by the chain writer
            chain_writer(w, std::size_t{0}).add(v).add(v);  // Vi, then Vr (the last payload)
            if (w.failed()) {  // an unregistered Auth alg (v_builder: invalid_argument)
                m_error = w.error();
                return *this;
            }
            m_idata_len = w.size();
            m_idata_alg = *initiator_data_alg;
        }
        m_ticket_at = m_b.size();
        // TICKET: copied up to its Initiator Data length field, then the new Initiator Data.
        m_idata_len_at = m_ticket_at + t.initiator_data_length_offset();
        m_b.add(t.with_initiator_data(bytes_view(m_idata.data(), m_idata_len)));
        m_ticket_end = m_b.size();
        m_has_ticket = true;
        return *this;
    }

    /// Appends V (Auth alg `alg`), then computes its MAC with `auth_key`
    /// over the message (minus the MAC field; for TRANSFER_INIT minus the
    /// TICKET's Initiator Data length and Initiator Data, RFC 6043 §5.5)
    /// followed by `appendix` (the identities of an initial message, or the
    /// complete initial message of a response). When the TICKET carries
    /// Initiator Data, writes Vi (= the V MAC) and Vr (MAC with
    /// `vr_auth_key` over the Initiator Data up to Vr's MAC field). Bytes
    /// of the buffer past the message may be used as scratch for the MAC
    /// input (detail::mac_with_appendix); they hold no secret.
    /// Errors: the first error of any earlier call (buffer_too_small,
    /// field_too_long, invalid_argument, the KEMAC's), key_length_mismatch,
    /// unsupported_algorithm, crypto_backend_failure.
    template <crypto::crypto_backend B>
    [[nodiscard]] result<bytes_view> seal(B& b, mac_alg alg, bytes_view auth_key,
                                          std::initializer_list<bytes_view> appendix,
                                          bytes_view vr_auth_key = {}) noexcept {
        if (m_error != errc::ok) return m_error;
        const std::size_t m = mac_size(alg);
        m_b.add(v_builder{.kind = alg, .value = bytes_view(zero_mac.data(), m)});
        const auto msg = m_b.finish();
        if (!msg) return msg;
        const std::size_t end = msg->size();
        const std::size_t mac_at = end - m;
        const mutable_bytes all = m_out.first(end);
        std::array<bytes_view, 2> head{};
        std::size_t n = 0;
        const bool cut = m_has_ticket && all[1] == static_cast<std::uint8_t>(data_type::transfer_init);
        if (cut) {
            head[n++] = all.first(m_idata_len_at);
            head[n++] = bytes_view(all).subspan(m_ticket_end, mac_at - m_ticket_end);
        } else {
            head[n++] = all.first(mac_at);
        }
        if (auto r = detail::mac_with_appendix(b, alg, auth_key, m_out, std::span<const bytes_view>(head.data(), n), mac_at,
                                       std::span<const bytes_view>(appendix.begin(), appendix.size()),
                                       all.subspan(mac_at, m));
            !r) {
            return r.error_info();
        }
        if (m_has_ticket && m_idata_len != 0) {
            // RFC 6043 §6.10: "The authentication algorithm SHALL be the same as used for the Vi payload".
            if (m_idata_alg != alg) return errc::invalid_argument;
            const std::size_t idata_at = m_idata_len_at + 2;
            const std::size_t vi_mac = idata_at + 3;
            const std::size_t vr_mac = vi_mac + m + 2;
            // RFC 6043 §6.10: "The Vi payload SHALL be identical to the V payload in the TRANSFER_INIT message."
            for (std::size_t i = 0; i < m; ++i) all[vi_mac + i] = all[mac_at + i];
            // RFC 6043 §6.10: Vr's MAC covers "the entire Initiator Data field except the MAC field itself".
            const std::array<bytes_view, 1> vr_parts{bytes_view(all).subspan(idata_at, vr_mac - idata_at)};
            if (auto r = crypto::compute_mac(b, alg, vr_auth_key, vr_parts, all.subspan(vr_mac, m)); !r) {
                return r.error_info();
            }
        }
        return bytes_view(all);
    }

private:
    /// The MAC field of a V before seal() computes it.
    static constexpr std::array<std::uint8_t, max_mac_size> zero_mac{};
    mutable_bytes m_out;
    message_builder m_b;
    errc m_error = errc::ok;
    std::array<std::uint8_t, 1 + 2 * (2 + max_mac_size)> m_idata{};  ///< First Payload, Vi, Vr
    std::size_t m_idata_len = 0;
    mac_alg m_idata_alg = mac_alg::null;
    bool m_has_ticket = false;
    std::size_t m_ticket_at = 0;
    std::size_t m_idata_len_at = 0;
    std::size_t m_ticket_end = 0;
};

}  // namespace mikey::ticket
// ---- end mikey/ticket/seal.hpp ----
// #include "ticket/base_ticket.hpp" (inlined)
// ---- begin mikey/ticket/base_ticket.hpp ----
// mikey-ticket (ticket layer): the MIKEY base ticket (RFC 6043 App. A,
// Ticket Type 1, Subtype 1, Version 1): its creation with a Ticket
// Protection Key (by the KMS in modes 1 and 2, by the Initiator in modes 3
// and 4, §4.1.1) and its opening by whoever holds the TPK (the KMS on
// RESOLVE_INIT, the Responder itself in modes 2 and 4).
//
//   Ticket Data = THDR, T, RAND, KEMAC, [IDRpsk], V          (App. A)
//   KEMAC       = E(encr_key, MPK || {TEK|TGK|GTGK}), MAC alg NULL
//   encr_key, auth_key, salt_key = D6(TPK, RAND), PRF = the Ticket Policy's
//   KEMAC IV: CSB ID 0xFFFFFFFF, T = the Ticket Data's T (App. A.1)
//   V: over the whole TICKET payload except its Next Payload byte, the
//      Initiator Data length, the Initiator Data and the MAC field (App. A.1)
//
// The checks a resolver makes on top (authorization of the Responder,
// validity window, IDRkms, Vr) are the role layer's: see roles/kms.hpp.

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <span>

// #include "../core/inline_list.hpp" (inlined)
// ---- begin mikey/core/inline_list.hpp ----
// mikey-ticket: a fixed-capacity list whose unused slots are never
// initialised, for the short lists of builders the role machines assemble on
// the stack (up to 17 Key data builders, of which a ticket usually uses 3):
// a std::array of them would be zero-filled whole on every message.

#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>

namespace mikey {

/// Up to N values of T, constructed on push_back only. T must be trivially
/// destructible (views and builders; nothing that owns or holds a secret).
template <class T, std::size_t N>
class inline_list {
    static_assert(std::is_trivially_destructible_v<T>, "inline_list never runs destructors");

public:
    inline_list() noexcept {}
    /// Copies the size() values held (never the unused slots).
    inline_list(const inline_list& o) noexcept : m_size(o.m_size) {
        for (std::size_t i = 0; i < m_size; ++i) std::construct_at(m_items + i, o.m_items[i]);
    }
    inline_list& operator=(const inline_list& o) noexcept {
        if (this != &o) {
            m_size = o.m_size;
            for (std::size_t i = 0; i < m_size; ++i) std::construct_at(m_items + i, o.m_items[i]);
        }
        return *this;
    }

    /// Appends v. False (and nothing appended) when full.
    [[nodiscard]] bool push_back(const T& v) noexcept {
        if (m_size == N) return false;
        std::construct_at(m_items + m_size, v);
        ++m_size;
        return true;
    }
    /// Drops every value.
    void clear() noexcept { m_size = 0; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] static constexpr std::size_t capacity() noexcept { return N; }
    [[nodiscard]] bool full() const noexcept { return m_size == N; }
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return m_items[i]; }
    /// Value i, writable (a field filled in after push_back). i < size().
    [[nodiscard]] T& operator[](std::size_t i) noexcept { return m_items[i]; }
    [[nodiscard]] std::span<const T> view() const noexcept { return {m_items, m_size}; }
    [[nodiscard]] std::span<T> mutable_view() noexcept { return {m_items, m_size}; }
    [[nodiscard]] const T* begin() const noexcept { return m_items; }
    [[nodiscard]] const T* end() const noexcept { return m_items + m_size; }

private:
    union {
        T m_items[N];
    };
    std::size_t m_size = 0;
};

}  // namespace mikey
// ---- end mikey/core/inline_list.hpp ----
// #include "../core/ntp_time.hpp" (inlined above as mikey/core/ntp_time.hpp)
// #include "../core/rng.hpp" (inlined above as mikey/core/rng.hpp)
// #include "../crypto/backend.hpp" (inlined above as mikey/crypto/backend.hpp)
// #include "../crypto/kemac.hpp" (inlined above as mikey/crypto/kemac.hpp)
// #include "../crypto/kemac_cipher.hpp" (inlined above as mikey/crypto/kemac_cipher.hpp)
// #include "../crypto/mac.hpp" (inlined above as mikey/crypto/mac.hpp)
// #include "../crypto/protection_keys.hpp" (inlined above as mikey/crypto/protection_keys.hpp)
// #include "../payload/ticket.hpp" (inlined above as mikey/payload/ticket.hpp)
// #include "seal.hpp" (inlined above as mikey/ticket/seal.hpp)

namespace mikey::ticket {

using crypto::crypto_backend;
using crypto::kemac_cipher_keys;

namespace detail {
/// RFC 6043 App. A.1: the MAC is "calculated over the entire TICKET payload
/// except the Next Payload field (in the TICKET payload), the Initiator Data
/// length field, the Initiator Data field, and the MAC field itself".
struct base_ticket_coverage {
    std::array<bytes_view, 2> parts{};
    std::size_t mac_at = 0;  ///< offset of V's MAC field in the TICKET payload
    mac_alg alg = mac_alg::null;
};
/// `bt` is t.base_ticket() (parsed once by the caller).
[[nodiscard]] constexpr base_ticket_coverage base_ticket_mac_input(const ticket_view& t,
                                                                 const base_ticket_view& bt) noexcept {
    const bytes_view all = t.bytes();
    const auto td_at = static_cast<std::size_t>(t.ticket_data().data() - all.data());
    base_ticket_coverage c;
    c.alg = bt.v().kind();
    c.mac_at = td_at + bt.mac_offset();
    const std::size_t mac_end = c.mac_at + mac_size(c.alg);
    const std::size_t init_len_at = t.initiator_data_length_offset();
    c.parts[0] = all.subspan(1, c.mac_at - 1);
    c.parts[1] = all.subspan(mac_end, init_len_at - mac_end);
    return c;
}
}  // namespace detail

/// Computes the base ticket's V MAC with `auth_key` (D6 auth key from the
/// TPK) and writes it into the V payload of the TICKET payload `ticket`, in
/// place. Errors: the parse errors of ticket_view; ticket_data_unparsed (not
/// a MIKEY base ticket); key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> fill_base_ticket_mac(B& b, mutable_bytes ticket, bytes_view auth_key) noexcept {
    const auto t = ticket_view::parse(ticket);
    if (!t) return t.error_info();
    const auto bt = t->base_ticket();
    if (!bt) return bt.error_info();
    const auto c = detail::base_ticket_mac_input(*t, *bt);
    return crypto::compute_mac(b, c.alg, auth_key, c.parts, ticket.subspan(c.mac_at, mac_size(c.alg)));
}

/// Verifies the base ticket's V (RFC 6043 App. A.1) in constant time.
/// `expected` is the Auth alg the resolver's policy requires; `bt` is
/// t.base_ticket() (parsed once by the caller).
/// Errors: auth_failure; key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> verify_base_ticket_mac(B& b, const ticket_view& t, const base_ticket_view& bt, mac_alg expected,
                                                  bytes_view auth_key) noexcept {
    const auto c = detail::base_ticket_mac_input(t, bt);
    if (c.alg != expected) return errc::auth_failure;
    return crypto::verify_mac(b, c.alg, auth_key, c.parts, t.bytes().subspan(c.mac_at, mac_size(c.alg)));
}
/// The same, parsing t.base_ticket() itself. Errors: ticket_data_unparsed
/// (not a MIKEY base ticket), then as above.
template <crypto_backend B>
[[nodiscard]] result<void> verify_base_ticket_mac(B& b, const ticket_view& t, mac_alg expected,
                                                  bytes_view auth_key) noexcept {
    const auto bt = t.base_ticket();
    if (!bt) return bt.error_info();
    return verify_base_ticket_mac(b, t, *bt, expected, auth_key);
}

/// The KEMAC cipher inputs of a base ticket: D6 encr / salt keys, CSB ID
/// 0xFFFFFFFF ("If CSB ID is needed in the IV creation it SHALL be set to
/// '0xFFFFFFFF'", App. A.1) and the Ticket Data's T ("MAY be used in the IV
/// formation").
/// Errors: invalid_argument (a T value whose length does not match its type
/// cannot happen in a parsed view; kept for safety).
[[nodiscard]] constexpr result<kemac_cipher_keys> base_ticket_cipher_keys(const base_ticket_view& bt,
                                                                          bytes_view encr_key,
                                                                          bytes_view salt_key) noexcept {
    const auto t = bt.t();
    const auto t64 = crypto::iv_timestamp(t.kind(), t.value());
    if (!t64) return errc::invalid_argument;
    return kemac_cipher_keys{encr_key, salt_key, crypto::base_ticket_csb_id, *t64};
}

/// Everything a MIKEY base ticket is made of, except the TPK and the
/// randomness.
struct base_ticket_spec {
    ticket_policy policy{};    ///< granted policy: Type 1 / Subtype 1 / Version 1, flags, PRF (D6, D7, D3)
    bytes_view tp_data{};      ///< TP Data of the granted policy (build_payload_chain; no KEMAC)
    bytes_view mpk{};          ///< MPK, >= 128 bits (RFC 6043 §12.1)
    std::span<const key_data_builder> session_keys{};  ///< {TEK | TGK | GTGK}
    encr_alg encr = encr_alg::aes_cm_128;  ///< KEMAC Encr alg
    mac_alg mac = mac_alg::hmac_sha_1_160;  ///< V Auth alg
    std::optional<identity> idrpsk{};  ///< names the TPK for the resolver (App. A: "MAY be omitted")
    ntp_time now{};                   ///< the Ticket Data's T (time of issue, NTP-UTC)
};

/// Largest TICKET payload create_base_ticket writes into its own scratch.
inline constexpr std::size_t max_ticket_data = 2048;

/// What create_base_ticket wrote: the TICKET payload and, inside it, the
/// base ticket's RAND value (the input of MPKi / MPKr, App. A.2.2), so that
/// the creator need not frame its own output again.
struct created_ticket {
    bytes_view payload;  ///< the whole TICKET payload (Next Payload 0, empty Initiator Data)
    bytes_view rand;     ///< the RAND value of its Ticket Data (a view into `payload`)
};

/// Creates a MIKEY base ticket (RFC 6043 App. A) and writes the whole TICKET
/// payload (Next Payload 0, empty Initiator Data) into `out`.
/// The base ticket's RAND is drawn from `rng` with length max(TPK, MPK, 16)
/// ("at least as long as the longest of the TPK and the MPK", §12.1).
/// Errors: key_too_short (TPK or MPK under 128 bits); invalid_argument (the
/// policy is not the base ticket type, or its flags break §6.10);
/// flag_* codes; unsupported_algorithm; buffer_too_small; field_too_long;
/// crypto_backend_failure.
template <crypto_backend B, random_generator R>
[[nodiscard]] result<created_ticket> create_base_ticket(B& b, R& rng, const base_ticket_spec& s, bytes_view tpk,
                                                        mutable_bytes out) noexcept {
    if (!s.policy.is_base_ticket()) return errc::invalid_argument;
    // RFC 6043 §12.1: all keys, "including keys used to protect the ticket", >= 128 bits.
    if (tpk.size() < crypto::min_key_bytes || s.mpk.size() < crypto::min_key_bytes) return errc::key_too_short;
    std::array<std::uint8_t, 255> rand_bytes;  // filled up to rand_len by rng
    const std::size_t rand_len = std::max<std::size_t>({tpk.size(), s.mpk.size(), 16});
    if (rand_len > rand_bytes.size()) return errc::field_too_long;
    const mutable_bytes rnd(rand_bytes.data(), rand_len);
    if (auto r = rng.fill(rnd); !r) return r.error_info();
    const crypto::algorithm_suite suite{s.policy.prf, s.encr, s.mac};
    const auto keys = crypto::derive_ticket_protection_keys(b, suite, tpk, rand_value(rnd));
    if (!keys) return keys.error_info();

    std::array<std::uint8_t, 8> ts{};
    const std::uint64_t now64 = s.now.ntp64();
    for (std::size_t i = 0; i < 8; ++i) ts[i] = static_cast<std::uint8_t>(now64 >> (56 - 8 * i));
    // The MPK first, then the session keys (App. A: KEMAC = E(encr_key, MPK || {TEK|TGK|GTGK})).
    inline_list<key_data_builder, 17> all;
    if (s.session_keys.size() + 1 > all.capacity()) return errc::invalid_argument;
    (void)all.push_back(key_data_builder{key_data_type::mpk, s.mpk, {}, {}});
    for (const auto& k : s.session_keys) (void)all.push_back(k);
    detail::encrypted_kemac kemac;
    const kemac_cipher_keys cipher{keys->encr_key.view(), keys->salt_key.view(), crypto::base_ticket_csb_id, now64};
    if (auto r = kemac.build(b, s.encr, cipher, all.view()); !r) {
        return r.error_info();
    }
    static constexpr std::array<std::uint8_t, 32> zeros{};
    const std::size_t m = mac_size(s.mac);
    std::array<std::uint8_t, max_ticket_data> td_buf;  // written before read
    std::optional<idr_builder> idrpsk;
    if (s.idrpsk) idrpsk = idr_builder{id_role::idrpsk, id_type::byte_string, s.idrpsk->get()};
    const thdr_builder thdr{};
    const t_builder t_issued{.kind = ts_type::ntp_utc, .value = ts};
    const auto td = build_base_ticket_data(td_buf, thdr, t_issued, rand_builder{.value = bytes_view(rnd)},
                                           kemac.builder(), idrpsk,
                                           v_builder{.kind = s.mac, .value = bytes_view(zeros.data(), m)});
    if (!td) return td.error_info();
    // RAND follows THDR and T in the Ticket Data (App. A): their size, counted.
    byte_writer head;
    thdr.write(head);
    t_issued.write(head);
    const std::size_t rand_at = head.size();
    byte_writer w(out);
    ticket_builder{s.policy, s.tp_data, *td, {}}.write(w);
    if (w.failed()) return w.error();
    const mutable_bytes t = out.first(w.size());
    // The TICKET payload: Next (1), fixed policy fields (7), TP Data length (2) and TP Data,
    // Ticket Data length (2) and Ticket Data (ending with V's MAC), Initiator Data length (2).
    const std::size_t td_at = 10 + s.tp_data.size() + 2;
    const std::size_t mac_at = td_at + td->size() - m;
    const std::array<bytes_view, 1> parts{bytes_view(t).subspan(1, mac_at - 1)};
    if (auto r = crypto::compute_mac(b, s.mac, keys->auth_key.view(), parts, t.subspan(mac_at, m)); !r) {
        return r.error_info();
    }
    return created_ticket{bytes_view(t), rand_view::from_validated(bytes_view(t).subspan(td_at + rand_at)).value()};
}

/// What open_base_ticket recovered: MPK and the session keys, as views into
/// the caller's plaintext buffer (key material: the caller wipes it).
struct opened_ticket {
    key_data_view mpk;
    key_data_list keys;  ///< every Key data of the KEMAC, MPK first
};

/// Opens a MIKEY base ticket (RFC 6043 App. A): derives the D6 keys from
/// `tpk` with the ticket's RAND and the Ticket Policy's PRF, verifies V
/// (requiring Auth alg `expected_mac`), decrypts the KEMAC into `plain_out`
/// (>= the Encr data size) and checks that it starts with the MPK.
/// Errors: auth_failure (wrong TPK, tampered ticket, other Auth alg); missing_key
/// (no MPK first); key_too_short; unsupported_algorithm; buffer_too_small;
/// key_unwrap_failure; the Key data chain's parse errors;
/// crypto_backend_failure. On error plain_out is wiped.
/// `bt` is t.base_ticket() (parsed once by the caller).
template <crypto_backend B>
[[nodiscard]] result<opened_ticket> open_base_ticket(B& b, const ticket_view& t, const base_ticket_view& bt,
                                                     mac_alg expected_mac, bytes_view tpk,
                                                     mutable_bytes plain_out) noexcept {
    const crypto::algorithm_suite suite{t.policy().prf, bt.kemac().encryption(), bt.v().kind()};
    const auto keys = crypto::derive_ticket_protection_keys(b, suite, tpk, rand_value(bt.rand().value()));
    if (!keys) return keys.error_info();
    if (auto r = verify_base_ticket_mac(b, t, bt, expected_mac, keys->auth_key.view()); !r) return r.error_info();
    const auto cipher = base_ticket_cipher_keys(bt, keys->encr_key.view(), keys->salt_key.view());
    if (!cipher) return cipher.error_info();
    auto list = crypto::open_kemac(b, bt.kemac(), *cipher, plain_out);
    if (!list) return list.error_info();
    // RFC 6043 App. A: the KEMAC holds "MPK || {TEK|TGK|GTGK}".
    if (list->size() == 0 || (*list->begin()).kind() != key_data_type::mpk) {
        b.wipe(plain_out);
        return errc::missing_key;
    }
    return opened_ticket{*list->begin(), *list};
}
/// The same, parsing t.base_ticket() itself. Errors: ticket_data_unparsed
/// (not a MIKEY base ticket), then as above.
template <crypto_backend B>
[[nodiscard]] result<opened_ticket> open_base_ticket(B& b, const ticket_view& t, mac_alg expected_mac, bytes_view tpk,
                                                     mutable_bytes plain_out) noexcept {
    const auto bt = t.base_ticket();
    if (!bt) return bt.error_info();
    return open_base_ticket(b, t, *bt, expected_mac, tpk, plain_out);
}

}  // namespace mikey::ticket
// ---- end mikey/ticket/base_ticket.hpp ----
// #include "ticket/messages.hpp" (inlined)
// ---- begin mikey/ticket/messages.hpp ----
// mikey-ticket (ticket layer): typed views of the eight RFC 6043 messages
// (and the CSB-update and Error forms), built on message_view and the
// message's schema, with named access to what each message carries.
//
//     const auto m = transfer_init_view::parse(bytes);   // result<>
//     if (m) use(m->randri().value(), m->ticket().policy(), m->idrr());
//
// parse() validates the payload chain (message_view::parse) and the
// composition (check_schema in lenient mode: any order, unexpected payloads
// ignored, as RFC 6043 §4.2.1.4, §4.2.2.2, §4.2.3.4 and §5.4 ask of
// receivers). Accessors of payloads the schema makes mandatory return the
// view; optional ones return std::optional.

#include <array>
#include <optional>
#include <type_traits>

// #include "../message.hpp" (inlined above as mikey/message.hpp)
// #include "schemas.hpp" (inlined above as mikey/ticket/schemas.hpp)

namespace mikey::ticket {

/// The payloads an RFC 6043 message may carry, by role; the first of each
/// counts (later duplicates are refused by the schema where it matters).
struct message_fields {
    // A field added here is added to `slot` and each() too (tests/messages.cpp compares every one).
    std::optional<t_view> t{};
    std::optional<randr_view> randri{}, randrr{}, randrkms{};
    std::optional<idr_view> idri{}, idrr{}, idrkms{}, idrpsk{};
    std::optional<tp_view> tp{};
    std::optional<ticket_view> ticket{};
    std::optional<kemac_view> kemac{};
    std::optional<v_view> v{};  ///< the closing V (last payload)
    std::optional<err_view> err{};

    /// The fields, by name (none: a payload that fills no field).
    enum class slot : std::uint8_t {
        t, randri, randrr, randrkms, idri, idrr, idrkms, idrpsk, tp, ticket, kemac, v, err, none
    };
    static constexpr std::size_t slot_count = static_cast<std::size_t>(slot::none);
    static constexpr std::size_t index(slot k) noexcept { return static_cast<std::size_t>(k); }

    /// Calls f(field, slot) for each field of `self` (a message_fields, const or not).
    template <class Self, class F>
    static constexpr void each(Self& self, F&& f) noexcept {
        f(self.t, slot::t);
        f(self.randri, slot::randri);
        f(self.randrr, slot::randrr);
        f(self.randrkms, slot::randrkms);
        f(self.idri, slot::idri);
        f(self.idrr, slot::idrr);
        f(self.idrkms, slot::idrkms);
        f(self.idrpsk, slot::idrpsk);
        f(self.tp, slot::tp);
        f(self.ticket, slot::ticket);
        f(self.kemac, slot::kemac);
        f(self.v, slot::v);
        f(self.err, slot::err);
    }

    /// Where the payload of each field starts in a message (0: absent, as
    /// offset 0 is the header's): what a walk notes, payload by payload,
    /// before the views are made (at()).
    struct offsets {
        std::array<std::size_t, slot_count> of{};

        /// The slots of RANDR and IDR by role.
        static constexpr slot randr_roles[] = {slot::none, slot::randri, slot::randrr, slot::randrkms};
        static constexpr slot idr_roles[] = {slot::none, slot::idri, slot::idrr, slot::idrkms, slot::idrpsk};
        template <std::size_t N>
        static constexpr slot by_role(const slot (&table)[N], std::uint8_t role) noexcept {
            return role < N ? table[role] : slot::none;
        }

        /// Notes payload `e` in its field's slot when that slot is still empty.
        constexpr void take(const chain_entry& e) noexcept {
            slot k = slot::none;
            switch (e.type) {
                case payload_type::t: k = slot::t; break;
                case payload_type::randr: k = by_role(randr_roles, e.bytes[1]); break;  // the Role byte
                case payload_type::idr: k = by_role(idr_roles, e.bytes[1]); break;
                case payload_type::tp: k = slot::tp; break;
                case payload_type::ticket: k = slot::ticket; break;
                case payload_type::kemac: k = slot::kemac; break;
                case payload_type::err: k = slot::err; break;
                default: break;
            }
            if (k != slot::none && of[index(k)] == 0) of[index(k)] = e.offset;
        }
        /// Notes the closing V of `m` (after the payloads were taken).
        constexpr void take_closing(const message_view& m) noexcept {
            const auto last = m.last_payload();
            if (last && last->type == payload_type::v) of[index(slot::v)] = last->offset;
        }
    };

    /// The fields of `message` (validated) whose payloads start at `where`.
    [[nodiscard]] MIKEY_FLATTEN static constexpr message_fields at(bytes_view message, const offsets& where) noexcept {
        message_fields f;
        each(f, [&](auto& field, slot k) {
            using V = typename std::remove_cvref_t<decltype(field)>::value_type;
            if (const std::size_t o = where.of[index(k)]; o != 0) {
                field.emplace(chain_entry{V::type, o, message.subspan(o)}.template as<V>());
            }
        });
        return f;
    }
    /// Where these fields, taken from `message`, start in it.
    [[nodiscard]] constexpr offsets offsets_in(bytes_view message) const noexcept {
        offsets o;
        each(*this, [&](const auto& field, slot k) {
            if (field) o.of[index(k)] = static_cast<std::size_t>(field->bytes().data() - message.data());
        });
        return o;
    }

    /// message_view::parse's visitor for ticket_message::parse: each payload,
    /// as it is validated, is matched against the schema and noted in
    /// `*where` (after the first schema error, neither: the parse fails).
    /// One type for every message, so one message_view::parse serves them all.
    struct taker {
        offsets* where;
        ::mikey::detail::schema_matcher* matcher;
        constexpr void operator()(const chain_entry& e) const noexcept {
            matcher->match(e);
            if (!matcher->failed()) where->take(e);
        }
    };

    /// One pass over a validated message.
    static constexpr message_fields of(const message_view& m) noexcept {
        offsets o;
        for (const auto& e : m.payloads_in_place()) o.take(e);
        o.take_closing(m);
        return at(m.bytes(), o);
    }
};

/// A validated RFC 6043 message of the composition `Schema`.
template <const message_schema& Schema>
class ticket_message {
public:
    static constexpr const message_schema& schema = Schema;
    /// check_schema's lookup tables of Schema, laid out at compile time.
    static constexpr ::mikey::detail::schema_index schema_index{Schema};

    MIKEY_REFUSE_TEMPORARIES(ticket_message);
    /// Errors: those of message_view::parse and check_schema (lenient), in
    /// that order.
    [[nodiscard]] static constexpr result<ticket_message> parse(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        // One walk validates the chain, checks the composition and notes where the fields are.
        message_fields::offsets where;
        ::mikey::detail::schema_matcher matcher(Schema, schema_index, schema_check::lenient);
        const auto m = message_view::parse(in, message_fields::taker{&where, &matcher});
        if (!m) return m.error_info();
        // check_schema's order: the header's rules, then the payloads'.
        if (auto ok = ::mikey::detail::check_schema_header(*m, Schema, schema_index); !ok) return ok.error_info();
        if (auto ok = matcher.finish(*m); !ok) return ok.error_info();
        where.take_closing(*m);
        return result<ticket_message>(std::in_place, passkey{}, *m, where);
    }

    /// The same message over `copy`, a byte-identical copy of bytes()
    /// (message_view::rebased): its composition is not checked again.
    /// Errors: invalid_argument when `copy` differs.
    template <class C>
        requires ::mikey::detail::owning_temporary<C>
    result<ticket_message> rebased(C&&) const = delete;
    [[nodiscard]] constexpr result<ticket_message> rebased(bytes_view copy MIKEY_LIFETIMEBOUND) const noexcept {
        const auto m = m_msg.rebased(copy);
        if (!m) return m.error_info();
        return result<ticket_message>(std::in_place, passkey{}, *m, m_fields.offsets_in(bytes()));
    }

    [[nodiscard]] constexpr const message_view& message() const noexcept { return m_msg; }
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return m_msg.bytes(); }
    [[nodiscard]] constexpr hdr_view header() const noexcept { return m_msg.header(); }
    [[nodiscard]] constexpr const message_fields& fields() const noexcept { return m_fields; }

    [[nodiscard]] constexpr t_view t() const noexcept { return *m_fields.t; }
    [[nodiscard]] constexpr const std::optional<randr_view>& randri() const noexcept { return m_fields.randri; }
    [[nodiscard]] constexpr const std::optional<randr_view>& randrr() const noexcept { return m_fields.randrr; }
    [[nodiscard]] constexpr const std::optional<randr_view>& randrkms() const noexcept { return m_fields.randrkms; }
    [[nodiscard]] constexpr const std::optional<idr_view>& idri() const noexcept { return m_fields.idri; }
    [[nodiscard]] constexpr const std::optional<idr_view>& idrr() const noexcept { return m_fields.idrr; }
    [[nodiscard]] constexpr const std::optional<idr_view>& idrkms() const noexcept { return m_fields.idrkms; }
    [[nodiscard]] constexpr const std::optional<idr_view>& idrpsk() const noexcept { return m_fields.idrpsk; }
    [[nodiscard]] constexpr const std::optional<tp_view>& tp() const noexcept { return m_fields.tp; }
    [[nodiscard]] constexpr const std::optional<ticket_view>& ticket() const noexcept { return m_fields.ticket; }
    [[nodiscard]] constexpr const std::optional<kemac_view>& kemac() const noexcept { return m_fields.kemac; }
    [[nodiscard]] constexpr const std::optional<v_view>& v() const noexcept { return m_fields.v; }
    /// The MAC field of the closing V (empty for an Error without V).
    [[nodiscard]] constexpr bytes_view mac() const noexcept { return m_fields.v ? m_fields.v->value() : bytes_view{}; }

private:
    /// Only parse() makes one (the constructor is public for result's in-place construction).
    struct passkey {
        explicit passkey() = default;
    };

public:
    /// The fields are made in place, from where the payloads start in `m`.
    constexpr ticket_message(passkey, const message_view& m, const message_fields::offsets& where) noexcept
        : m_msg(m), m_fields(message_fields::at(m.bytes(), where)) {}

private:
    message_view m_msg;
    message_fields m_fields;
};

/// RFC 6043 §4.2.1: HDR, T, RANDRi, [IDRi], [IDRkms], TP, [IDRpsk], V.
using request_init_psk_view = ticket_message<schemas::request_init_psk>;
/// RFC 6043 §4.2.1: HDR, T, [IDRkms], TICKET, KEMAC, V.
using request_resp_view = ticket_message<schemas::request_resp>;
/// RFC 6043 §4.2.2: HDR, T, RANDRi, [IDRi], [IDRr], {SP}, TICKET, [KEMAC], V.
using transfer_init_view = ticket_message<schemas::transfer_init>;
/// RFC 6043 §4.2.2: HDR, T, [RANDRr], [IDRr], [RANDRkms], {SP}, [KEMAC], V.
using transfer_resp_view = ticket_message<schemas::transfer_resp>;
/// RFC 6043 §5.2: HDR, T, [IDRi], [IDRr], {SP}, [KEMAC], V (CSB update by the Initiator).
using transfer_init_update_view = ticket_message<schemas::transfer_init_update>;
/// RFC 6043 §5.2: HDR, T, [IDRr], {SP}, [KEMAC], V (answer to an update by the Initiator).
using transfer_resp_update_view = ticket_message<schemas::transfer_resp_update>;
/// RFC 6043 §5.2: HDR, T, [IDRr], [IDRi], {SP}, [KEMAC], V (CSB update by the Responder).
using transfer_init_update_by_responder_view = ticket_message<schemas::transfer_init_update_by_responder>;
/// RFC 6043 §5.2: HDR, T, [IDRi], {SP}, [KEMAC], V (answer to an update by the Responder).
using transfer_resp_update_by_responder_view = ticket_message<schemas::transfer_resp_update_by_responder>;
/// RFC 6043 §4.2.3: HDR, T, RANDRr, [IDRr], [IDRkms], TICKET, [IDRpsk], V.
using resolve_init_psk_view = ticket_message<schemas::resolve_init_psk>;
/// RFC 6043 §4.2.3: HDR, T, [IDRkms], KEMAC, [IDRr], [RANDRkms], V.
using resolve_resp_view = ticket_message<schemas::resolve_resp>;
/// RFC 6043 §5.4 (Request / Resolve): HDR, T, (ERR), [V|SIGNx].
using request_resolve_error_view = ticket_message<schemas::request_resolve_error>;
/// RFC 6043 §5.4 (Transfer): HDR, T, (ERR), {SP}, [V].
using transfer_error_view = ticket_message<schemas::transfer_error>;

}  // namespace mikey::ticket
// ---- end mikey/ticket/messages.hpp ----
// #include "ticket/replay_cache.hpp" (inlined)
// ---- begin mikey/ticket/replay_cache.hpp ----
// mikey-ticket (ticket layer): replay protection (RFC 6043 §12.4, RFC 3830
// §5.4): a message is accepted once within its timestamp window. Role
// machines check the timestamp window themselves and keep the messages they
// accepted in a replay cache.
//
// The cache is a concept whose one operation is atomic: insert the key if
// it is absent (or expired), with an expiry. A deployment with several KMS
// nodes backs it by a shared store, e.g. Redis `SET key 1 NX EXAT expiry`
// ("fresh" when SET answered OK, "replayed" when it answered nil), without
// changing the role machines.
//
// What a key is: the message's data type followed by the MAC field of its
// closing V (replay_key()). The MAC covers the whole message, its timestamp
// and the identities, so two different messages share a key only if the
// MAC collides; it is also short, which keeps the cache small.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/config.hpp" (inlined above as mikey/core/config.hpp)
// #include "../core/ntp_time.hpp" (inlined above as mikey/core/ntp_time.hpp)

namespace mikey::ticket {

/// What insert_if_absent found.
enum class replay_verdict : std::uint8_t {
    fresh,     ///< not seen (or seen but expired): now recorded until `expires`
    replayed,  ///< recorded and not expired: the message is a replay
    full,      ///< no room: the cache refuses, and so does the role (fail closed)
};

/// A replay cache. insert_if_absent(key, expires, now) is atomic: of two
/// concurrent calls with the same key, at most one sees `fresh`. Entries
/// whose `expires` is before `now` count as absent.
template <class C>
concept replay_cache = requires(C& c, bytes_view key, ntp_time t) {
    { c.insert_if_absent(key, t, t) } noexcept -> std::same_as<replay_verdict>;
};

/// A replay cache that also takes a hint: prefetch(key) says that
/// insert_if_absent(key, ...) comes soon. The role machines give it as soon
/// as a message is parsed, before its MAC is verified, so that the lookup
/// does not wait for memory when the cache is cold (a large table, or a
/// remote store that can start a round trip). A hint changes nothing in the
/// cache: a cache without it works the same, only later.
template <class C>
concept prefetching_replay_cache = replay_cache<C> && requires(const C& c, bytes_view key) {
    { c.prefetch(key) } noexcept;
};

/// Longest key a role machine makes: data type (1) and a MAC (at most 32).
inline constexpr std::size_t max_replay_key = 33;

/// The replay key of a message: its data type and the MAC field of its
/// closing V. Precondition: mac.size() <= 32.
struct replay_key {
    std::array<std::uint8_t, max_replay_key> bytes{};
    std::size_t size = 0;
    constexpr replay_key(std::uint8_t data_type, bytes_view mac) noexcept {
        bytes[0] = data_type;
        const std::size_t n = mac.size() < max_replay_key - 1 ? mac.size() : max_replay_key - 1;
        copy_bytes(mutable_bytes(bytes.data() + 1, n), mac.first(n));
        size = 1 + n;
    }
    [[nodiscard]] constexpr bytes_view view() const noexcept { return {bytes.data(), size}; }
};

/// The in-memory default: a fixed table of Capacity entries allocated with
/// the object (no allocation per message), in buckets of `slots_per_bucket`
/// slots: a key's hash picks its bucket, and the key can only be in it.
///
/// When full: if every slot of a key's bucket holds an unexpired entry,
/// insert_if_absent answers `full` and the role refuses the message with
/// errc::replay_cache_full: a burst larger than the cache cannot make it
/// forget a live entry (which would let that message be replayed). Size
/// Capacity for the peak message rate times the clock window, times two.
/// Not thread-safe: one per thread, or back the concept with a shared store.
template <std::size_t Capacity = 4096>
class memory_replay_cache {
public:
    /// Slots per bucket. 32, not 16: at half load a bucket of 16 is full for
    /// about 0.7 % of new keys (a Poisson count of mean 8 reaching 16), one
    /// of 32 for about 0.05 %, fewer than the sliding window of 16 the cache
    /// used before (0.35 %; tools/replay_cache_fill.py simulates the three).
    static constexpr std::size_t slots_per_bucket = 32;
    static_assert(Capacity >= slots_per_bucket && (Capacity & (Capacity - 1)) == 0,
                  "Capacity must be a power of two of at least slots_per_bucket");

    /// A key that is empty or longer than max_replay_key has no slot: `full`
    /// (the role refuses, fail closed), never `fresh`.
    [[nodiscard]] replay_verdict insert_if_absent(bytes_view key, ntp_time expires, ntp_time now) noexcept {
        if (key.empty() || key.size() > max_replay_key) return replay_verdict::full;
        const std::uint64_t h = hash(key);
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        bucket& b = m_buckets[static_cast<std::size_t>(h) & (bucket_count - 1)];
        // Whether any slot has the key's tag, all at once (a reduction the compiler
        // vectorizes); only then are the slots and their key bytes looked at one by one.
        std::uint32_t any_tag = 0;
        for (std::size_t i = 0; i < slots_per_bucket; ++i) any_tag |= std::uint32_t{b.tags[i] == tag};
        if (any_tag != 0) {
            for (std::size_t i = 0; i < slots_per_bucket; ++i) {
                if (b.tags[i] == tag && b.live(i, now) && b.sizes[i] == key.size() &&
                    equal_bytes(bytes_view(b.keys[i].data(), b.sizes[i]), key)) {
                    return replay_verdict::replayed;
                }
            }
        }
        for (std::size_t i = 0; i < slots_per_bucket; ++i) {
            if (b.live(i, now)) continue;
            b.sizes[i] = static_cast<std::uint8_t>(key.size());
            b.tags[i] = tag;
            b.expires[i] = expires;
            copy_bytes(mutable_bytes(b.keys[i].data(), key.size()), key);
            return replay_verdict::fresh;
        }
        return replay_verdict::full;
    }

    /// Starts loading the part of `key`'s bucket every lookup reads (tags
    /// and sizes; an expiry is read for a slot looked at, the key bytes only
    /// on a tag match) into the CPU cache. A hint: the table is not changed. Without GCC / Clang
    /// builtins it does nothing. Always inlined, as is every hint on the
    /// way here: GCC's interprocedural pass takes a function that only
    /// prefetches for one without effect and drops its calls.
    MIKEY_ALWAYS_INLINE void prefetch(bytes_view key) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
        if (key.size() > max_replay_key) return;
        const auto* at = reinterpret_cast<const unsigned char*>(&m_buckets[static_cast<std::size_t>(hash(key)) & (bucket_count - 1)]);
        // Every cache line the tags and sizes touch, wherever the bucket starts: one byte per
        // 64 from the first, and the last byte.
        constexpr std::size_t end = offsetof(bucket, expires);
        for (std::size_t off = 0; off < end; off += 64) __builtin_prefetch(at + off);
        __builtin_prefetch(at + end - 1);
#else
        (void)key;
#endif
    }

private:
    static constexpr std::size_t bucket_count = Capacity / slots_per_bucket;
    /// One bucket's slots, field by field: a lookup reads the 32 tags (128
    /// bytes) and sizes, the expiries of the slots it considers, and the key
    /// bytes of a slot whose tag matches. Not over-aligned: the cache is
    /// allocated with the role's objects (glibc's aligned allocations of
    /// this size fragment its heap when they come and go, e.g. one cache
    /// per user agent).
    struct bucket {
        std::array<std::uint32_t, slots_per_bucket> tags{};  ///< 32 bits of the key's hash
        std::array<std::uint8_t, slots_per_bucket> sizes{};  ///< key length; 0: never used
        std::array<ntp_time, slots_per_bucket> expires{};
        std::array<std::array<std::uint8_t, max_replay_key>, slots_per_bucket> keys{};
        [[nodiscard]] bool live(std::size_t i, ntp_time now) const noexcept {
            return sizes[i] != 0 && !(expires[i] < now);
        }
    };
    /// FNV-1a over 64-bit words, then a final mix: the keys end in a MAC,
    /// so any mixing spreads them.
    static std::uint64_t hash(bytes_view key) noexcept {
        std::uint64_t h = 0xcbf29ce484222325ull;
        std::size_t i = 0;
        for (; i + 8 <= key.size(); i += 8) {
            std::uint64_t w;
            std::memcpy(&w, key.data() + i, 8);
            h = (h ^ w) * 0x100000001b3ull;
        }
        for (; i < key.size(); ++i) h = (h ^ key[i]) * 0x100000001b3ull;
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        return h ^ (h >> 32);
    }
    std::array<bucket, bucket_count> m_buckets{};
};

static_assert(prefetching_replay_cache<memory_replay_cache<>>);
// Allocated with plain new (see bucket): no over-aligned member may creep in.
static_assert(alignof(memory_replay_cache<>) <= alignof(std::max_align_t));

}  // namespace mikey::ticket
// ---- end mikey/ticket/replay_cache.hpp ----
// #include "ticket/key_store.hpp" (inlined)
// ---- begin mikey/ticket/key_store.hpp ----
// mikey-ticket (ticket layer): where long-term keys come from. Role machines
// look keys up through a key_store; the in-memory default holds them in
// wiping buffers. A deployment backs the concept by an HSM, a database or a
// KMS cluster's shared store.
//
//   pre-shared keys (RFC 6043 §4.2.1.2, §4.2.3.2): the key an Initiator or
//     Responder shares with a KMS, found by the peer's identity (IDRi / IDRr)
//     or by IDRpsk when the message carries one;
//   Ticket Protection Keys (RFC 6043 App. A): found by the base ticket's
//     IDRpsk, or the store's default TPK (empty identity) when it has none.

#include <algorithm>
#include <concepts>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/secret.hpp" (inlined above as mikey/core/secret.hpp)
// #include "../core/strong_types.hpp" (inlined above as mikey/core/strong_types.hpp)

namespace mikey::ticket {

/// A key store. Lookups are const and noexcept; the views they return stay
/// valid while the store is not modified.
///   psk_for(peer)   the PSK shared with the party named `peer` (its IDR ID
///                   Data, or the IDRpsk ID Data), or nullopt;
///   tpk_for(id)     the TPK named by `id` (IDRpsk ID Data; empty: the
///                   default TPK), or nullopt.
template <class K>
concept key_store = requires(const K& k, identity id) {
    { k.psk_for(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
    { k.tpk_for(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
};

/// The in-memory default: keys by name in an ordered map, so a KMS with many
/// users finds one in O(log n). Adding keys allocates; lookups do not.
class memory_key_store {
public:
    /// Adds (or replaces) the PSK for `peer`. Errors: key_too_short (under
    /// 128 bits, RFC 6043 §12.1).
    [[nodiscard]] result<void> add_psk(bytes_view peer, bytes_view key) { return add(m_psks, peer, key); }
    /// Adds (or replaces) the TPK named `id` (empty: the default TPK).
    /// Errors: key_too_short.
    [[nodiscard]] result<void> add_tpk(bytes_view id, bytes_view key) { return add(m_tpks, id, key); }
    /// Drops the PSK for `peer` (a user removed from the KMS; its key is
    /// wiped). False when there was none.
    bool remove_psk(bytes_view peer) noexcept { return remove(m_psks, peer); }
    /// Drops the TPK named `id`. False when there was none.
    bool remove_tpk(bytes_view id) noexcept { return remove(m_tpks, id); }

    [[nodiscard]] std::optional<bytes_view> psk_for(identity peer) const noexcept { return find(m_psks, peer.get()); }
    [[nodiscard]] std::optional<bytes_view> tpk_for(identity id) const noexcept { return find(m_tpks, id.get()); }
    /// How many PSKs the store holds.
    [[nodiscard]] std::size_t psk_count() const noexcept { return m_psks.size(); }

private:
    /// Byte-wise order of names, comparable with bytes_view (lookups build no key).
    struct name_order {
        using is_transparent = void;
        bool operator()(bytes_view a, bytes_view b) const noexcept {
            return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
        }
    };
    using key_map = std::map<std::vector<std::uint8_t>, secret_bytes, name_order>;

    static result<void> add(key_map& m, bytes_view name, bytes_view key) {
        // RFC 6043 §12.1: "All keys ... MUST have adequate strength/length, i.e., 128 bits or more."
        if (key.size() < 16) return errc::key_too_short;
        if (const auto it = m.find(name); it != m.end()) {
            it->second = secret_bytes::from(key);
            return {};
        }
        m.emplace(std::vector<std::uint8_t>(name.begin(), name.end()), secret_bytes::from(key));
        return {};
    }
    static bool remove(key_map& m, bytes_view name) noexcept {
        const auto it = m.find(name);
        if (it == m.end()) return false;
        m.erase(it);
        return true;
    }
    static std::optional<bytes_view> find(const key_map& m, bytes_view name) noexcept {
        if (const auto it = m.find(name); it != m.end()) return it->second.view();
        return std::nullopt;
    }
    key_map m_psks;
    key_map m_tpks;
};

static_assert(key_store<memory_key_store>);

/// Bytes of a string (identities are ID Data: URIs, NAIs, byte strings).
[[nodiscard]] inline bytes_view as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
/// The other way: ID Data seen as characters (a view of the same bytes).
[[nodiscard]] inline std::string_view as_chars(bytes_view b MIKEY_LIFETIMEBOUND) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace mikey::ticket
// ---- end mikey/ticket/key_store.hpp ----
// #include "roles/outcome.hpp" (inlined)
// ---- begin mikey/roles/outcome.hpp ----
// mikey-ticket (roles layer): what a role machine hands back for one input,
// and the keys it establishes.
//
// A role machine is sans-I/O: each input (bytes received, or a call that
// starts an exchange) comes with `now` and an RNG, and returns an outcome:
//   - send: the bytes to send (a reply, a new initial message, or an Error
//     message), written into the caller's buffer; empty when nothing is to
//     be sent;
//   - events: what happened (ticket granted, peer authenticated, keys
//     established, ...); details are read from the machine afterwards;
//   - error: why the input was refused. A refused input changes no state.

#include <array>
#include <cstdint>

// #include "../core/errc.hpp" (inlined above as mikey/core/errc.hpp)
// #include "../core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "../core/secret.hpp" (inlined above as mikey/core/secret.hpp)
// #include "../core/strong_types.hpp" (inlined above as mikey/core/strong_types.hpp)

namespace mikey::roles {

/// What happened on one input (bits of outcome::events).
enum class event : std::uint8_t {
    request_answered = 1 << 0,    ///< KMS: a REQUEST_INIT was authorized, REQUEST_RESP built
    resolve_answered = 1 << 1,    ///< KMS: a RESOLVE_INIT was authorized, RESOLVE_RESP built
    ticket_granted = 1 << 2,      ///< Initiator: a verified REQUEST_RESP gave it a ticket (or it created one)
    peer_authenticated = 1 << 3,  ///< the peer proved its identity (the machine's peer_identity())
    keys_established = 1 << 4,    ///< crypto-session keys are ready (the machine's session_keys())
    ticket_resolved = 1 << 5,     ///< Responder: the ticket was opened (by the KMS or itself)
};

/// The result of one input to a role machine.
struct [[nodiscard]] outcome {
    errc error = errc::ok;       ///< ok, or why the input was refused (state unchanged)
    std::size_t error_offset = 0;  ///< byte offset in the input, where one applies
    bytes_view send{};           ///< bytes to send now (reply, next message, or Error message)
    data_type send_type{};       ///< the data type of `send`
    std::uint8_t events = 0;     ///< bits of `event`

    [[nodiscard]] constexpr bool ok() const noexcept { return error == errc::ok; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] constexpr bool has(event e) const noexcept { return (events & static_cast<std::uint8_t>(e)) != 0; }
    constexpr outcome& with(event e) noexcept {
        events = static_cast<std::uint8_t>(events | static_cast<std::uint8_t>(e));
        return *this;
    }
    /// A refused input.
    static constexpr outcome refused(failure f) noexcept { return outcome{f.code, f.offset, {}, {}, 0}; }
};

/// Most crypto sessions a machine keeps keys for.
inline constexpr std::size_t max_crypto_sessions = 16;

/// One crypto session of a bundle: its CS ID and the SSRC of its SRTP
/// stream (GENERIC-ID map, RFC 6043 §6.1.1).
struct crypto_session_spec {
    std::uint8_t cs_id = 1;
    std::uint32_t ssrc = 0;
};

/// The keys of one crypto session as a party holds them after the exchange.
///   key:  the TEK, or the TGK / GTGK (with forking: TGK', RFC 6043 §5.1.1);
///   tek:  the TEK: the key itself, or derived from key with D4 (§5.1.3);
///   salt: the Key data's salt when it carries one (+SALT kinds; RFC 6043
///         §5.1.3: "a new salting key SHALL NOT be derived"), else D4's
///         salt key (14 bytes).
struct session_key {
    /// User-provided so that arrays of session keys (16 per machine) do not
    /// zero-fill their key buffers' whole capacity (GCC clears the full
    /// object for an aggregate's `{}`): only the sizes and the SPI are set.
    session_key() noexcept {}
    // The public fields first, in one cache line: a CSB update that keeps a
    // session's key reads only these (a conference focus does it per member).
    cs_id cs{};
    key_data_type kind = key_data_type::tgk;
    std::uint8_t spi_size = 0;
    std::array<std::uint8_t, 8> spi{};  ///< the SPI / MKI naming the key (RFC 6043 §6.2.1)
    std::uint32_t ssrc = 0;  ///< the SSRC the CS ID map gives the crypto session (SRTP Session Data)
    secret_buffer<64> key{};
    secret_buffer<64> tek{};
    secret_buffer<32> salt{};
    [[nodiscard]] bytes_view spi_view() const noexcept { return {spi.data(), spi_size}; }
    /// An explicit copy (the key buffers are not copyable by accident).
    [[nodiscard]] session_key clone() const noexcept {
        session_key k;
        k.cs = cs;
        k.kind = kind;
        k.key = key.clone();
        k.tek = tek.clone();
        k.salt = salt.clone();
        k.spi = spi;
        k.spi_size = spi_size;
        k.ssrc = ssrc;
        return k;
    }
};

/// A session key one end supplies itself in the Ticket Transfer exchange:
/// the Initiator in TRANSFER_INIT (L flag, RFC 6043 §4.2.2.1), the
/// Responder in TRANSFER_RESP (M flag, §4.2.2.3), e.g. for pre-encrypted
/// content (§8) or a conference focus's group keys. It keys crypto session
/// `cs_id` (added to the CS ID map with `ssrc` when the map lacks it) and is
/// named there by `spi` (RFC 6043 §6.2.1: an SPI "MUST be specified for each
/// key"). Views: the caller keeps the bytes alive for the call.
struct supplied_key {
    std::uint8_t cs_id = 1;
    std::uint32_t ssrc = 0;
    key_data_type kind = key_data_type::tek;
    bytes_view key{};
    bytes_view salt{};  ///< only for the +SALT kinds
    bytes_view spi{};   ///< 1 to 8 bytes, unique among the bundle's keys
};

}  // namespace mikey::roles
// ---- end mikey/roles/outcome.hpp ----
// #include "roles/policy.hpp" (inlined)
// ---- begin mikey/roles/policy.hpp ----
// mikey-ticket (roles layer): the role policy. Each role machine is a
// template over a policy type: a plain class whose const member functions
// (hooks) the machine calls to decide what the RFC leaves to the deployment:
// algorithms, keys, authorization, clocks, replay, optional Error messages.
// The concepts below say which hooks each role needs; basic_policy is the
// documented default, with two presets (policy_settings::rfc6043_defaults()
// and policy_settings::strict_3gpp()).
//
// Next to each hook: its default, and the risk of loosening it.

#include <chrono>
#include <concepts>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// #include "../core/ntp_time.hpp" (inlined above as mikey/core/ntp_time.hpp)
// #include "../crypto/algorithms.hpp" (inlined above as mikey/crypto/algorithms.hpp)
// #include "../payload/sp.hpp" (inlined above as mikey/payload/sp.hpp)
// #include "../ticket/key_store.hpp" (inlined above as mikey/ticket/key_store.hpp)
// #include "../ticket/policy.hpp" (inlined above as mikey/ticket/policy.hpp)
// #include "../ticket/replay_cache.hpp" (inlined above as mikey/ticket/replay_cache.hpp)

namespace mikey::roles {

using crypto::algorithm_suite;
using ticket::replay_verdict;

/// Hooks every role uses.
///   check_suite(s)          may this PRF / Encr alg / MAC alg be used
///                           (errors: prf_not_allowed, encr_not_allowed,
///                           mac_not_allowed, algorithm_mix, algorithm_too_weak)
///   clock_window()          largest |T - now| accepted (RFC 3830 §5.4)
///   remember(key, exp, now) the replay cache's insert_if_absent
///   anticipate(key)         optional: a hint that remember(key, ...) follows
///                           (ticket::prefetching_replay_cache); the roles
///                           give it through detail::anticipate_fresh
///   psk_for(id), tpk_for(id) key lookups (ticket::key_store)
///   send_auth_failure_error()  send the OPTIONAL Error on an authentication
///                           failure (RFC 6043 §5.4)
///   kemac_encr(mac)         the Encr alg of the KEMACs this party sends in an
///                           exchange whose messages use Auth alg `mac`
template <class P>
concept common_policy = requires(const P& p, const algorithm_suite& s, bytes_view key, ntp_time t, identity id,
                                 mac_alg mac) {
    { p.kemac_encr(mac) } noexcept -> std::same_as<encr_alg>;
    { p.check_suite(s) } noexcept -> std::same_as<result<void>>;
    { p.clock_window() } noexcept -> std::same_as<std::chrono::seconds>;
    { p.remember(key, t, t) } noexcept -> std::same_as<replay_verdict>;
    { p.psk_for(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
    { p.tpk_for(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
    { p.send_auth_failure_error() } noexcept -> std::same_as<bool>;
};

/// Optional hooks of the Ticket Transfer exchange's security policies (SP
/// payloads, RFC 6043 §4.2.2, §6.1.1). A policy without them gets the free
/// functions below (what basic_policy does too); roles/security_policy.hpp
/// calls them.
///   accept_security_policy(sp, suite)   Initiator and Responder: may a crypto
///                           session run under this SP in an exchange of this
///                           suite (error: sp_not_acceptable). The Responder
///                           asks once per offer and exchange, on receipt of
///                           TRANSFER_INIT (§4.2.2.2), and answers with that choice;
///                           both ask it of the policies a CSB update lists
///                           and of a policy an answer to our update names
///                           for a crypto session that had none (§5.2)
///   own_security_policy(prot, suite, key_length, out)  Responder: the SP
///                           parameters it proposes itself for a crypto
///                           session the Initiator offered none for (#P = 0),
///                           written into `out`; returns them. Either end
///                           answering a CSB update asks it for a crypto
///                           session without a policy that the update lists
///                           none for (e.g. one it adds)
///   accept_changed_security_policy(sp)  Initiator: may the Responder answer
///                           with a policy it was not offered ("If needed ...
///                           the suggested policies MAY be changed", §6.1.1)
///                           (error: sp_changed); either end: may the answer
///                           to its CSB update name another policy than the
///                           one a crypto session runs under

/// Default of accept_security_policy: an SRTP policy (Prot type SRTP) that
/// keeps encryption and authentication on (RFC 3830 §6.10.1: Encryption
/// algorithm not NULL; SRTP / SRTCP encryption and SRTP authentication not
/// off; Authentication algorithm not NULL unless the AEAD AES-GCM, RFC 7714
/// §14.3), with a session encryption key of 16 bytes or more (absent:
/// SRTP's default, 16; RFC 6043 §12.1's 128-bit floor). The suite is not
/// consulted: a 256-bit exchange may carry 128-bit session keys, and the
/// SRTP key cannot be longer than the session key (srtp::master_key_from);
/// a deployment that wants AES-256 media only checks the key length against
/// `s` in its own hook. Whether libsrtp2 runs the policy is
/// srtp::policy_from's to say (the integration layer, above this one).
/// Risk of loosening: a peer talks the media down to NULL encryption or
/// authentication, or to keys under 128 bits.
[[nodiscard]] constexpr result<void> default_accept_security_policy(const sp_view& sp,
                                                                    const algorithm_suite&) noexcept {
    if (sp.protocol() != prot_type::srtp) return errc::sp_not_acceptable;
    // An absent parameter takes SRTP's default (RFC 3830 §6.10.1); one that is present must be readable.
    const auto value = [&sp](srtp_param p, std::uint64_t absent) -> std::optional<std::uint64_t> {
        if (!sp.srtp(p)) return absent;
        return sp.srtp_value(p);
    };
    constexpr std::uint64_t null = 0, aes_gcm = 6;
    const auto encr = value(srtp_param::encryption_algorithm, 1);
    const auto auth = value(srtp_param::authentication_algorithm, 1);
    const auto key = value(srtp_param::session_encryption_key_length, 16);
    if (!encr || !auth || !key || *encr == null || (*auth == null && *encr != aes_gcm)) return errc::sp_not_acceptable;
    for (const auto p : {srtp_param::srtp_encryption, srtp_param::srtcp_encryption, srtp_param::srtp_authentication}) {
        const auto on = value(p, 1);
        if (!on || *on == 0) return errc::sp_not_acceptable;
    }
    if (*key < 16) return errc::sp_not_acceptable;
    return {};
}

/// Default of own_security_policy: for SRTP, AES-CM with the crypto
/// session's key length as master key length (16, 24 or 32 bytes, RFC 3711
/// §4.1.1, RFC 6188; a TEK carrying its salt, key || salt, 14 bytes less;
/// any other length 16), a 14-byte salt, HMAC-SHA-1 with a 20-byte key
/// and an 80-bit tag (RFC 3711 §5.2): the parameters written out in full
/// rather than left to SRTP's defaults. Other Prot types: sp_not_acceptable.
/// Risk: none of loosening; a deployment wanting AES-GCM or 32-bit tags
/// (RFC 3711 §7.5) says so here.
/// Errors: sp_not_acceptable, buffer_too_small (under 18 bytes).
[[nodiscard]] constexpr result<bytes_view> default_own_security_policy(prot_type prot, const algorithm_suite&,
                                                                       std::size_t key_length,
                                                                       mutable_bytes out) noexcept {
    if (prot != prot_type::srtp) return errc::sp_not_acceptable;
    const auto aes = [](std::size_t n) { return n == 16 || n == 24 || n == 32; };
    const std::size_t len = aes(key_length) ? key_length : aes(key_length - 14) ? key_length - 14 : 16;
    const std::uint8_t params[][2] = {
        {static_cast<std::uint8_t>(srtp_param::encryption_algorithm), 1},  // AES-CM
        {static_cast<std::uint8_t>(srtp_param::session_encryption_key_length), static_cast<std::uint8_t>(len)},
        {static_cast<std::uint8_t>(srtp_param::authentication_algorithm), 1},  // HMAC-SHA-1
        {static_cast<std::uint8_t>(srtp_param::session_authentication_key_length), 20},
        {static_cast<std::uint8_t>(srtp_param::session_salt_key_length), 14},
        {static_cast<std::uint8_t>(srtp_param::authentication_tag_length), 10},
    };
    if (out.size() < 3 * std::size(params)) return errc::buffer_too_small;
    std::size_t n = 0;
    for (const auto& p : params) {
        out[n++] = p[0];
        out[n++] = 1;  // Length
        out[n++] = p[1];
    }
    return bytes_view(out.data(), n);
}

/// Default of accept_changed_security_policy: refuse (sp_changed). Risk of
/// loosening: the Responder picks a policy the Initiator never offered;
/// accept_security_policy still applies to it.
[[nodiscard]] constexpr result<void> default_accept_changed_security_policy(const sp_view&) noexcept {
    return errc::sp_changed;
}

/// Hooks of a KMS (RFC 6043 §4.2.1.4, §4.2.3.4).
///   authorize_request(initiator, desired)  may this Initiator get a ticket
///                           with this desired policy (errors: unauthorized_requester,
///                           policy_not_acceptable)
///   grant(initiator, desired)  the policy to grant (the KMS sets K when it
///                           differs, §6.10)
///   ticket_lifetime()       validity granted when the desired TRe is absent or later
///   is_member(responder, group)  responder identity belongs to the group
///                           identity named by an IDRr of the ticket
///   application_of(responder)  the application identity (IDRapp ID Data)
///                           the responder runs, checked against a ticket's
///                           IDRapp list ("If no IDRapp payloads are supplied,
///                           all application IDs are authorized", §6.10)
template <class P>
concept kms_policy = common_policy<P> && requires(const P& p, identity id, const ticket_policy& tp) {
    { p.authorize_request(id, tp) } noexcept -> std::same_as<result<void>>;
    { p.grant(id, tp) } noexcept -> std::same_as<result<ticket_policy>>;
    { p.ticket_lifetime() } noexcept -> std::same_as<std::chrono::seconds>;
    { p.is_member(id, id) } noexcept -> std::same_as<bool>;
    { p.application_of(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
};

/// Hooks of an Initiator (RFC 6043 §4.2.1.6, §4.2.2.4).
///   accept_granted(desired, granted)  is the granted Ticket Policy acceptable
///                           (error: policy_not_acceptable)
template <class P>
concept initiator_policy = common_policy<P> && requires(const P& p, const ticket_policy& tp) {
    { p.accept_granted(tp, tp) } noexcept -> std::same_as<result<void>>;
};

/// Hooks of a Responder (RFC 6043 §4.2.2.2 early reject).
///   accept_ticket(policy)   is the Ticket Policy of a received ticket
///                           acceptable (error: policy_not_acceptable)
///   accept_initiator(id)    may this Initiator (IDRi of the ticket) reach us
template <class P>
concept responder_policy = common_policy<P> && requires(const P& p, const ticket_policy& tp, identity id) {
    { p.accept_ticket(tp) } noexcept -> std::same_as<result<void>>;
    { p.accept_initiator(id) } noexcept -> std::same_as<result<void>>;
};

/// The Encr alg of a KEMAC in an exchange using Auth alg `m`: AES-CM-256 with
/// HMAC-SHA-256-256, AES-CM-128 otherwise (RFC 6043 §12.1 keeps the strength
/// of the algorithms of one exchange equal).
[[nodiscard]] constexpr encr_alg default_kemac_encr(mac_alg m) noexcept {
    return m == mac_alg::hmac_sha_256_256 ? encr_alg::aes_cm_256 : encr_alg::aes_cm_128;
}

/// The settings of basic_policy. Two presets; start from one and change
/// what your deployment decides otherwise.
struct policy_settings {
    /// Allowed PRF funcs / Encr algs / MAC algs, as bit masks over their
    /// registry values. Default: both PRFs, AES-CM-128 and AES-CM-256, both
    /// HMACs. Left out: NULL encryption (session keys and MPKs in the clear;
    /// RFC 3830 §4.2.3 allows it only where the transport protects them),
    /// NULL MAC, and AES-KW-128 (RFC 3394 wraps multiples of 8 bytes and RFC
    /// 3830 defines no padding for a Key data chain: notes/crypto.md). The
    /// strict preset keeps only the 256-bit set.
    std::uint32_t prfs = 0b11, encrs = 0b1010, macs = 0b110;
    /// The Encr alg of the KEMACs this party sends (KMS: tickets,
    /// REQUEST_RESP, RESOLVE_RESP; Initiator / Responder: Transfer KEMACs).
    /// Default (nullopt): AES-CM with the strength of the exchange's MAC alg
    /// (AES-CM-256 with HMAC-SHA-256-256, else AES-CM-128), RFC 6043 §12.1.
    std::optional<encr_alg> kemac_encr{};
    /// Largest |T - now|. Default 5 minutes. Risk: a wider window makes the
    /// replay cache hold entries longer (capacity) and accepts staler messages.
    std::chrono::seconds clock_window{300};
    /// Require key forking (I flag) in every ticket: KMS grants it, Initiator
    /// and Responder refuse tickets without it. Default false (RFC 6043
    /// leaves it to the Ticket Policy; §12.4 RECOMMENDS it). Risk of false:
    /// every party able to resolve the ticket gets the session keys and
    /// TRANSFER_RESP does not authenticate the Responder (seed 004).
    bool require_forking = false;
    /// Refuse tickets that may be reused (J = 1). Default false.
    bool forbid_reuse = false;
    /// Send the OPTIONAL Error on authentication failures (RFC 6043 §5.4).
    /// Default false: RFC 3830 §5.1.2 warns that such Errors help attackers
    /// (DoS, probing). Risk of true: an unauthenticated peer learns that
    /// its MAC failed and draws a reply for every forged message.
    bool send_auth_failure_error = false;
    /// Ticket validity the KMS grants at most. Default 24 h.
    std::chrono::seconds ticket_lifetime{24 * 3600};

    /// RFC 6043 as written: every algorithm, forking as the Initiator asks.
    [[nodiscard]] static policy_settings rfc6043_defaults() noexcept { return {}; }
    /// 3GPP conferencing (TS 33.328, seeds 000 and 004): key forking on every
    /// ticket, only the 256-bit algorithms of RFC 6043 §6 (PRF-HMAC-SHA-256,
    /// AES-CM-256, HMAC-SHA-256-256), a 30 s clock window, no ticket reuse.
    [[nodiscard]] static policy_settings strict_3gpp() noexcept {
        policy_settings s;
        s.prfs = 1u << static_cast<unsigned>(prf_func::prf_hmac_sha_256);
        s.encrs = 1u << static_cast<unsigned>(encr_alg::aes_cm_256);
        s.macs = 1u << static_cast<unsigned>(mac_alg::hmac_sha_256_256);
        s.clock_window = std::chrono::seconds(30);
        s.require_forking = true;
        s.forbid_reuse = true;
        return s;
    }
};

/// The default policy of every role: settings, a key store and a replay
/// cache (both by reference, so that several machines share them: a focus
/// is Initiator and Responder at once), and group membership for the KMS.
template <ticket::key_store Store, ticket::replay_cache Cache>
class basic_policy {
public:
    basic_policy(const Store& store, Cache& cache, policy_settings s = policy_settings::rfc6043_defaults()) noexcept
        : m_store(&store), m_cache(&cache), m_settings(s) {}

    [[nodiscard]] const policy_settings& settings() const noexcept { return m_settings; }

    /// Default: the algorithms allowed by the settings, combined as RFC 6043
    /// §12.1 requires (no mixing of 128-bit and 256-bit algorithms).
    [[nodiscard]] result<void> check_suite(const algorithm_suite& s) const noexcept {
        // The values come from the wire (up to 255): a value past the mask is simply not allowed.
        const auto allowed = [](std::uint32_t mask, unsigned v) { return v < 32 && ((mask >> v) & 1u) != 0; };
        if (!allowed(m_settings.prfs, static_cast<unsigned>(s.prf))) return errc::prf_not_allowed;
        if (!allowed(m_settings.encrs, static_cast<unsigned>(s.encr))) return errc::encr_not_allowed;
        if (!allowed(m_settings.macs, static_cast<unsigned>(s.mac))) return errc::mac_not_allowed;
        return crypto::check_algorithm_suite(s, 0);
    }
    [[nodiscard]] std::chrono::seconds clock_window() const noexcept { return m_settings.clock_window; }
    [[nodiscard]] replay_verdict remember(bytes_view key, ntp_time expires, ntp_time now) const noexcept {
        return m_cache->insert_if_absent(key, expires, now);
    }
    /// The cache's prefetch(key) when it has one (a hint; nothing otherwise).
    MIKEY_ALWAYS_INLINE void anticipate(bytes_view key) const noexcept {
        if constexpr (ticket::prefetching_replay_cache<Cache>) m_cache->prefetch(key);
    }
    [[nodiscard]] std::optional<bytes_view> psk_for(identity id) const noexcept { return m_store->psk_for(id); }
    [[nodiscard]] std::optional<bytes_view> tpk_for(identity id) const noexcept { return m_store->tpk_for(id); }
    [[nodiscard]] bool send_auth_failure_error() const noexcept { return m_settings.send_auth_failure_error; }
    [[nodiscard]] encr_alg kemac_encr(mac_alg mac) const noexcept {
        return m_settings.kemac_encr.value_or(default_kemac_encr(mac));
    }

    /// Default: any Initiator the KMS shares a PSK with (it authenticated)
    /// may request a ticket for any responder. Risk: this is the place for
    /// an ACL of who may talk to whom; the default has none.
    [[nodiscard]] result<void> authorize_request(identity, const ticket_policy& desired) const noexcept {
        if (!desired.is_base_ticket()) return errc::policy_not_acceptable;
        return {};
    }
    /// Default: the desired policy with D = 1 (the KMS generates the
    /// ticket); with require_forking also I, E and F (I implies E; F with a
    /// TGK); with forbid_reuse J = 0; K = 1 when anything changed (§6.10).
    [[nodiscard]] result<ticket_policy> grant(identity, const ticket_policy& desired) const noexcept {
        ticket_policy g = desired;
        g.flags.k = false;
        g.flags.d = true;
        if (m_settings.require_forking) g.flags.i = g.flags.e = g.flags.f = true;
        if (m_settings.forbid_reuse) g.flags.j = false;
        ticket_policy d = desired;
        d.flags.k = false;
        g.flags.k = g != d;
        return g;
    }
    [[nodiscard]] std::chrono::seconds ticket_lifetime() const noexcept { return m_settings.ticket_lifetime; }
    /// Default: the groups added with add_member. Risk: membership decides
    /// who may resolve a ticket issued to a group identity (RFC 6043 §6.10).
    [[nodiscard]] bool is_member(identity member, identity group) const noexcept {
        for (const auto& [m, g] : m_members) {
            if (equal_bytes(ticket::as_bytes(m), member.get()) && equal_bytes(ticket::as_bytes(g), group.get())) return true;
        }
        return false;
    }
    /// Records that `member` belongs to `group` (allocates).
    void add_member(std::string member, std::string group) { m_members.emplace_back(std::move(member), std::move(group)); }
    /// Default: the applications added with add_application; none known
    /// means a ticket that lists IDRapp is refused (fail closed). Risk: a
    /// KMS that answers "any" here ignores the ticket's application limits.
    [[nodiscard]] std::optional<bytes_view> application_of(identity responder) const noexcept {
        for (const auto& [r, a] : m_apps) {
            if (equal_bytes(ticket::as_bytes(r), responder.get())) return ticket::as_bytes(a);
        }
        return std::nullopt;
    }
    /// Records the application `responder` runs (allocates).
    void add_application(std::string responder, std::string app) { m_apps.emplace_back(std::move(responder), std::move(app)); }

    /// Default: refuse a granted policy that drops key forking or the
    /// Resolve exchange the Initiator asked for, changes the PRF or the
    /// Ticket Type, or (with require_forking / forbid_reuse) breaks those.
    /// Risk of loosening: a KMS (or an attacker able to change the KMS's
    /// answer, which the V prevents) downgrades the protection.
    [[nodiscard]] result<void> accept_granted(const ticket_policy& desired, const ticket_policy& granted) const noexcept {
        const auto c = ticket::compare_policies(desired, granted);
        if (c.turned_off.i || c.turned_off.e || c.prf_changed || c.type_changed) return errc::policy_not_acceptable;
        return accept_ticket(granted);
    }
    /// Default: the MIKEY base ticket only, with the settings' forking and
    /// reuse rules. Risk of loosening: see require_forking.
    [[nodiscard]] result<void> accept_ticket(const ticket_policy& p) const noexcept {
        if (!p.is_base_ticket()) return errc::policy_not_acceptable;
        if (m_settings.require_forking && !p.flags.i) return errc::policy_not_acceptable;
        if (m_settings.forbid_reuse && p.flags.j) return errc::policy_not_acceptable;
        return {};
    }
    /// Default: any Initiator (the ticket's IDRi, vouched for by the KMS).
    [[nodiscard]] result<void> accept_initiator(identity) const noexcept { return {}; }

    /// Default: default_accept_security_policy (encryption and
    /// authentication on, keys of 128 bits or more); see there for the risk.
    [[nodiscard]] result<void> accept_security_policy(const sp_view& sp, const algorithm_suite& s) const noexcept {
        return default_accept_security_policy(sp, s);
    }
    /// Default: default_own_security_policy (AES-CM with the session key
    /// length, HMAC-SHA-1 80-bit tag).
    [[nodiscard]] result<bytes_view> own_security_policy(prot_type prot, const algorithm_suite& s, std::size_t key_length,
                                                         mutable_bytes out) const noexcept {
        return default_own_security_policy(prot, s, key_length, out);
    }
    /// Default: refuse a policy the Initiator did not offer (sp_changed).
    [[nodiscard]] result<void> accept_changed_security_policy(const sp_view& sp) const noexcept {
        return default_accept_changed_security_policy(sp);
    }

private:
    const Store* m_store;
    Cache* m_cache;
    policy_settings m_settings;
    std::vector<std::pair<std::string, std::string>> m_members;
    std::vector<std::pair<std::string, std::string>> m_apps;
};

}  // namespace mikey::roles
// ---- end mikey/roles/policy.hpp ----
// #include "roles/exchange.hpp" (inlined)
// ---- begin mikey/roles/exchange.hpp ----
// mikey-ticket (roles layer): the steps the three role machines share:
// fresh T payloads, RANDs, the timestamp window and replay check, the D1 /
// D2 protection keys of an exchange, session keys from Key data and D4, and
// the Error message of RFC 6043 §5.4.

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

// #include "../core/inline_list.hpp" (inlined above as mikey/core/inline_list.hpp)
// #include "../core/ntp_time.hpp" (inlined above as mikey/core/ntp_time.hpp)
// #include "../core/rng.hpp" (inlined above as mikey/core/rng.hpp)
// #include "../crypto/derive.hpp" (inlined above as mikey/crypto/derive.hpp)
// #include "../crypto/protection_keys.hpp" (inlined above as mikey/crypto/protection_keys.hpp)
// #include "../message.hpp" (inlined above as mikey/message.hpp)
// #include "../ticket/replay_cache.hpp" (inlined above as mikey/ticket/replay_cache.hpp)
// #include "outcome.hpp" (inlined above as mikey/roles/outcome.hpp)
// #include "policy.hpp" (inlined above as mikey/roles/policy.hpp)

namespace mikey::roles::detail {

/// A T payload value: NTP-UTC, 64 bits.
struct timestamp {
    std::array<std::uint8_t, 8> bytes{};
    std::uint64_t value = 0;
    explicit timestamp(ntp_time now) noexcept : value(now.ntp64()) {
        for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
    }
    [[nodiscard]] t_builder builder() const noexcept MIKEY_LIFETIMEBOUND {
        return t_builder{.kind = ts_type::ntp_utc, .value = bytes};
    }
    /// The T of the KEMAC IV (RFC 3830 §4.2.3): an NTP-UTC T is its 64-bit value.
    [[nodiscard]] std::uint64_t iv() const noexcept { return value; }
};

/// A RAND of up to 64 bytes drawn from the caller's RNG.
struct random_bytes {
    std::array<std::uint8_t, 64> bytes{};
    std::uint8_t size = 0;
    [[nodiscard]] bytes_view view() const noexcept MIKEY_LIFETIMEBOUND { return {bytes.data(), size}; }
    template <random_generator R>
    [[nodiscard]] static result<random_bytes> draw(R& rng, std::size_t n) noexcept {
        random_bytes r;
        if (n > r.bytes.size()) return errc::invalid_argument;
        r.size = static_cast<std::uint8_t>(n);
        if (auto ok = rng.fill(mutable_bytes(r.bytes.data(), n)); !ok) return ok.error_info();
        return r;
    }
    void assign(bytes_view v) noexcept {
        size = static_cast<std::uint8_t>(std::min(v.size(), bytes.size()));
        std::copy_n(v.begin(), size, bytes.begin());
    }
};

/// The longest session key (TEK, TGK, GTGK) a ticket carries: 256 bits, the
/// largest AES key and HMAC-SHA-256 output (RFC 6043 §12.1 sets only the
/// lower bound, crypto::min_key_bytes). The KMS refuses longer requests, the
/// Initiator longer configs.
inline constexpr std::size_t max_session_key_bytes = 32;

/// RFC 6043 §12.1: "the sum of the lengths of RANDRi and RANDRr MUST at
/// least be equal to the size of the longest pre-shared key/envelope
/// key/MPK/TGK/GTGK": each party makes its own RAND that long (and at least
/// 16 bytes), so the sum holds whatever the other side sends.
[[nodiscard]] constexpr std::size_t rand_length(std::size_t longest_key) noexcept {
    return std::max<std::size_t>(16, longest_key);
}

/// RFC 3830 §5.4, RFC 6043 §12.4: the timestamp is within the clock window,
/// and the message (data type and MAC) was not accepted before within it.
/// Call after the MAC verified (a forged message must not fill the cache).
/// Errors: timestamp_out_of_window (COUNTER timestamps included: a role
/// machine only accepts time), replayed_message, replay_cache_full.
template <common_policy P>
[[nodiscard]] result<void> fresh(const P& policy, const message_view& m, t_view t, bytes_view mac,
                                 ntp_time now) noexcept {
    const auto sent = ntp_time::from_payload(t.kind(), t.value());
    if (!sent || distance(*sent, now) > policy.clock_window()) return errc::timestamp_out_of_window;
    const ticket::replay_key key(static_cast<std::uint8_t>(m.type()), mac);
    switch (policy.remember(key.view(), *sent + policy.clock_window(), now)) {
        case replay_verdict::fresh: return {};
        case replay_verdict::replayed: return errc::replayed_message;
        case replay_verdict::full: return errc::replay_cache_full;
    }
    return errc::replay_cache_full;
}

/// The hint that fresh(policy, m, t, mac, now) follows (policy.anticipate
/// when the policy has it, e.g. basic_policy over a prefetching cache): the
/// roles give it right after parsing, so that the replay cache's lookup
/// overlaps the key derivation and MAC check before fresh().
template <common_policy P>
MIKEY_ALWAYS_INLINE inline void anticipate_fresh(const P& policy, const message_view& m, bytes_view mac) noexcept {
    if constexpr (requires { policy.anticipate(mac); }) {
        policy.anticipate(ticket::replay_key(static_cast<std::uint8_t>(m.type()), mac).view());
    }
}

/// The same check without recording: for a message whose MAC cannot be
/// verified yet (TRANSFER_INIT before the ticket is resolved, §4.2.2.2).
template <common_policy P>
[[nodiscard]] result<void> in_window(const P& policy, t_view t, ntp_time now) noexcept {
    const auto sent = ntp_time::from_payload(t.kind(), t.value());
    if (!sent || distance(*sent, now) > policy.clock_window()) return errc::timestamp_out_of_window;
    return {};
}

/// Which D1 / D2 direction (RFC 6043 §5.1.2).
enum class direction : std::uint8_t { initial, response };

/// Which of a message's keys are needed: the auth_key alone (the message
/// carries no KEMAC and no later message uses its keys for one), or all three.
enum class needs : std::uint8_t { auth_key, all_keys };

/// The keys protecting one message of an exchange (D1 / D2); with
/// needs::auth_key the encr_key and salt_key are left empty (two PRF runs saved).
template <crypto::crypto_backend B>
[[nodiscard]] result<crypto::protection_keys> protection(B& b, direction d, needs n, const algorithm_suite& s,
                                                         bytes_view inkey, csb_id csb, bytes_view randri,
                                                         bytes_view randrr) noexcept {
    algorithm_suite used = s;
    if (n == needs::auth_key) used.encr = encr_alg::null;
    // Two returns, not `?:`: the keys are built in the caller's result (GCC moves, i.e. copies and
    // wipes, the operand of a conditional expression).
    if (d == direction::initial) {
        return crypto::derive_initial_protection_keys(b, used, inkey, csb, rand_value(randri), rand_value(randrr));
    }
    return crypto::derive_response_protection_keys(b, used, inkey, csb, rand_value(randri), rand_value(randrr));
}
[[nodiscard]] constexpr needs needs_if(bool cipher) noexcept { return cipher ? needs::all_keys : needs::auth_key; }

/// What a CSB update (RFC 6043 §5.2) needs of the last message of the
/// initial exchange: "Both messages SHALL be protected with the same keys
/// (derived from MPKi or MPKr') that protected the last message". The
/// auth_key is kept, and so are the encr / salt keys when the last message
/// carried a KEMAC: an update's KEMAC under the same Encr alg then runs no
/// PRF (D2's labels hold the CSB ID and the RANDs only, so the keys are the
/// same). Under another Encr alg, or when the last message had no KEMAC, an
/// update derives them from the held inkey.
struct last_message_keys {
    direction dir = direction::initial;
    algorithm_suite suite{};
    secret_buffer<64> inkey{};
    csb_id csb{};
    random_bytes randri{}, randrr{};
    secret_buffer<32> auth_key{};
    encr_alg cipher_encr = encr_alg::null;  ///< the Encr alg encr_key / salt_key are for
    secret_buffer<32> encr_key{};           ///< empty unless the last message carried a KEMAC
    secret_buffer<14> salt_key{};
    /// The newest T of a message these keys protected (the last message of
    /// the initial exchange, then each CSB update): the KEMAC IV is salt,
    /// CSB ID and T (RFC 3830 §4.2.3), so a T not newer would repeat the
    /// AES-CM keystream of an earlier KEMAC under the same keys.
    ntp_time t{};

    /// From the keys `k` that protected the last message (derived for Encr
    /// alg `k_encr`; its encr_key is empty when that message had no KEMAC).
    [[nodiscard]] static last_message_keys of(direction d, const algorithm_suite& s, bytes_view inkey, csb_id csb,
                                              bytes_view randri, bytes_view randrr, const crypto::protection_keys& k,
                                              encr_alg k_encr) noexcept {
        last_message_keys l;
        l.dir = d;
        l.suite = s;
        (void)l.inkey.assign(inkey);  // an inkey of at most 64 bytes (MPKi / MPKr' / PSK)
        l.csb = csb;
        l.randri.assign(randri);
        l.randrr.assign(randrr);
        l.auth_key = k.auth_key.clone();
        if (!k.encr_key.empty()) {
            l.cipher_encr = k_encr;
            l.encr_key = k.encr_key.clone();
            l.salt_key = k.salt_key.clone();
        }
        return l;
    }
    /// The KEMAC cipher inputs for Encr alg `encr`, HDR CSB ID `for_csb` and
    /// IV time `t`: views of the held encr_key and salt_key when they are for
    /// `encr` (no copy), else of the keys derived into `derived` (the
    /// auth_key is the one held: no PRF run for it), which must outlive the
    /// result. Errors: those of protection().
    template <crypto::crypto_backend B>
    [[nodiscard]] result<crypto::kemac_cipher_keys> cipher_keys(B& b, encr_alg encr, csb_id for_csb, std::uint64_t t,
                                                                crypto::protection_keys& derived) const noexcept {
        if (encr == cipher_encr && !encr_key.empty()) {
            return crypto::kemac_cipher_keys{encr_key.view(), salt_key.view(), for_csb, t};
        }
        algorithm_suite s = suite;
        s.encr = encr;
        s.mac = mac_alg::null;
        auto k = protection(b, dir, needs::all_keys, s, inkey.view(), csb, randri.view(), randrr.view());
        if (!k) return k.error_info();
        derived = std::move(*k);
        return derived.cipher(for_csb, t);
    }
};

/// The 64-bit T of a T payload for the KEMAC IV (RFC 3830 §4.2.3).
[[nodiscard]] inline std::uint64_t iv_time(t_view t) noexcept {
    return crypto::iv_timestamp(t.kind(), t.value()).value_or(0);
}

/// The CS ID and SSRC of a GENERIC-ID map block (RFC 6043 §6.1.1: the SRTP
/// Session Data starts with the SSRC; 0 when the block carries none).
[[nodiscard]] inline crypto_session_spec session_of(const generic_id_block& b) noexcept {
    std::uint32_t ssrc = 0;
    if (b.prot == prot_type::srtp && b.session_data.size() >= 4) {
        for (std::size_t i = 0; i < 4; ++i) ssrc = (ssrc << 8) | b.session_data[i];
    }
    return {b.cs_id, ssrc};
}

[[nodiscard]] constexpr bool is_tek(key_data_type k) noexcept {
    return k == key_data_type::tek || k == key_data_type::tek_salt;
}
[[nodiscard]] constexpr bool is_tgk(key_data_type k) noexcept {
    return k == key_data_type::tgk || k == key_data_type::tgk_salt;
}
[[nodiscard]] constexpr bool is_session_key(key_data_type k) noexcept {
    return is_tek(k) || is_tgk(k) || k == key_data_type::gtgk || k == key_data_type::gtgk_salt;
}

/// Fills `out` with a Key data entry as sent: `key`, `salt` and `spi` of
/// crypto session `session`, the TEK being the key itself. That is the
/// whole session key of a TEK (or TEK+SALT); make_session_key derives the
/// TEK (and salt) of a TGK / GTGK over it. Errors: key_length_mismatch (a
/// key over 64 bytes, a salt over 32).
[[nodiscard]] inline result<void> set_as_sent(session_key& out, const crypto_session_spec& session, key_data_type kind,
                                              bytes_view key, bytes_view salt, bytes_view spi) noexcept {
    out.cs = cs_id(session.cs_id);
    out.ssrc = session.ssrc;
    out.kind = kind;
    out.spi_size = static_cast<std::uint8_t>(std::min(spi.size(), out.spi.size()));
    std::copy_n(spi.begin(), out.spi_size, out.spi.begin());
    if (auto r = out.key.assign(key); !r) return r;
    if (auto r = out.tek.assign(key); !r) return r;
    return out.salt.assign(salt);
}

/// Fills `out` from a Key data entry holding a TEK / TGK / GTGK and, with
/// `rands`, derives the TEK and salt with D4 (RFC 6043 §5.1.3): TEK and salt
/// keys as long as the key (16 or 32 bytes) and 14 bytes.
/// Errors: missing_key (a key kind that is not a session key),
/// key_length_mismatch (set_as_sent's); the derivation's.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> make_session_key(B& b, prf_func prf, const crypto_session_spec& session, key_data_type kind,
                                            bytes_view key, bytes_view salt, bytes_view spi,
                                            const crypto::d4_rands& rands, session_key& out) noexcept {
    if (!is_session_key(kind)) return errc::missing_key;
    if (auto r = set_as_sent(out, session, kind, key, salt, spi); !r || is_tek(kind)) return r;
    // A TGK / GTGK: D4 gives the TEK (as long as the key) in place of the key itself.
    const cs_id cs(session.cs_id);
    if (auto r = crypto::derive_session_key(b, prf, key, crypto::tgk_key::tek, cs, rands, out.tek.mutable_view()); !r) {
        return r;
    }
    // RFC 6043 §5.1.3: "If a salting key is present in the key data sub-payload, a security
    // protocol in need of a salting key SHALL use this salting key and a new salting key
    // SHALL NOT be derived."
    if (!salt.empty()) return {};
    if (auto r = out.salt.resize(14); !r) return r;
    return crypto::derive_session_key(b, prf, key, crypto::tgk_key::salt, cs, rands, out.salt.mutable_view());
}

/// The GENERIC-ID map a machine sends (RFC 6043 §6.1.1; "SRTP-ID SHALL NOT
/// be used", §6.1): up to max_crypto_sessions blocks; an SRTP stream's block
/// carries its SSRC as Session Data (S = 0) and the SPI of its key. Its
/// blocks view its own SSRC bytes: not copyable.
struct cs_map {
    /// Neither list is zero-filled first (a machine builds a map for every
    /// message it sends): a block and its SSRC bytes are written together.
    inline_list<generic_id_block, max_crypto_sessions> blocks;
    std::array<std::array<std::uint8_t, 4>, max_crypto_sessions> ssrcs;

    cs_map() noexcept {}
    cs_map(const cs_map&) = delete;
    cs_map& operator=(const cs_map&) = delete;

    [[nodiscard]] std::size_t size() const noexcept { return blocks.size(); }
    /// Appends a block as given (e.g. one of a received map). False when full.
    [[nodiscard]] bool add(const generic_id_block& b) noexcept { return blocks.push_back(b); }
    /// Appends the block of an SRTP stream. False when full.
    [[nodiscard]] bool add_srtp(std::uint8_t cs, std::uint32_t ssrc, bytes_view spi) noexcept {
        if (blocks.full()) return false;
        auto& s = ssrcs[blocks.size()];
        for (std::size_t j = 0; j < 4; ++j) s[j] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * j));
        return blocks.push_back(generic_id_block{cs, prot_type::srtp, false, {}, s, spi});
    }
    /// The block of crypto session `cs`, or nullptr.
    [[nodiscard]] generic_id_block* find(std::uint8_t cs) noexcept {
        for (auto& b : blocks.mutable_view()) {
            if (b.cs_id == cs) return &b;
        }
        return nullptr;
    }
    [[nodiscard]] std::span<const generic_id_block> view() const noexcept MIKEY_LIFETIMEBOUND { return blocks.view(); }
};

/// Wipes a scratch buffer that held key material when leaving scope.
template <crypto::crypto_backend B>
struct wipe_on_exit {
    B* b;
    mutable_bytes buf;
    wipe_on_exit(B* backend, mutable_bytes scratch) noexcept : b(backend), buf(scratch) {}
    wipe_on_exit(const wipe_on_exit&) = delete;
    wipe_on_exit& operator=(const wipe_on_exit&) = delete;
    ~wipe_on_exit() { b->wipe(buf); }
};

/// A key a crypto session may use: a session key of the ticket, or one a
/// KEMAC of the Transfer exchange carried (or this end supplies).
/// No default member initialisers: the machines' arrays of 16-32 candidates
/// are filled before they are read and are not zero-filled first (always
/// make one with all five fields).
struct candidate {
    key_data_type kind;
    bytes_view key, salt, spi;
    bool from_ticket;  ///< a ticket TGK is forked with the I flag (RFC 6043 §5.1.1); a KEMAC's never (§5.2)
};

/// RFC 6043 §6.2.1 / §6.1.1: the key of a crypto session is the one whose SPI
/// its GENERIC-ID block names ("the SPI (or MKI) corresponding to the session
/// key"): a KEMAC key first (it replaces the ticket's, §5.2), then a ticket
/// key. A block without an SPI (§4.2.2.3: the Initiator may leave it to the
/// Responder) takes the ticket key in its position (or the last one).
/// nullopt: a block naming an SPI no key has, or no key at all.
[[nodiscard]] inline std::optional<candidate> pick(std::span<const candidate> kemac, std::span<const candidate> ticket,
                                                   bytes_view block_spi, std::size_t position) noexcept {
    if (!block_spi.empty()) {
        for (const auto& c : kemac) {
            if (equal_bytes(c.spi, block_spi)) return c;
        }
        for (const auto& c : ticket) {
            if (equal_bytes(c.spi, block_spi)) return c;
        }
        return std::nullopt;
    }
    if (ticket.empty()) return std::nullopt;
    return ticket[std::min(position, ticket.size() - 1)];
}

/// A session key held by a machine (copied out of a KEMAC or a caller's supplied_key).
struct owned_key {
    /// User-provided: arrays of owned keys do not zero-fill their buffers
    /// (see session_key).
    owned_key() noexcept {}
    key_data_type kind = key_data_type::tgk;
    secret_buffer<64> key{};
    secret_buffer<32> salt{};
    std::array<std::uint8_t, 8> spi{};
    std::uint8_t spi_size = 0;
    std::uint8_t cs_id = 0;  ///< for supplied keys: the crypto session
    std::uint32_t ssrc = 0;
    /// Errors: invalid_argument (a key over 64 bytes, a salt over 32, an SPI over 8 or empty).
    [[nodiscard]] static result<owned_key> of(key_data_type kind, bytes_view key, bytes_view salt, bytes_view spi) noexcept {
        owned_key k;
        k.kind = kind;
        if (key.size() > 64 || salt.size() > 32 || spi.size() > 8 || spi.empty()) return errc::invalid_argument;
        (void)k.key.assign(key);  // sizes checked above
        (void)k.salt.assign(salt);
        k.spi_size = static_cast<std::uint8_t>(spi.size());
        std::copy(spi.begin(), spi.end(), k.spi.begin());
        return k;
    }
    [[nodiscard]] candidate view(bool from_ticket) const noexcept MIKEY_LIFETIMEBOUND {
        return {kind, key.view(), salt.view(), bytes_view(spi.data(), spi_size), from_ticket};
    }
    /// A session key received in a KEMAC (the KMS's or the peer's).
    /// Errors: key_without_spi (RFC 6043 §6.2.1: "An SPI (or MKI) MUST be
    /// specified for each key"), key_length_mismatch (a key over 64 bytes,
    /// a salt over 32 or an SPI over 8: more than a machine holds).
    [[nodiscard]] static result<owned_key> received(const key_data_view& k) noexcept {
        if (k.validity().spi.empty()) return errc::key_without_spi;
        auto h = of(k.kind(), k.key(), k.salt(), k.validity().spi);
        if (!h) return errc::key_length_mismatch;
        return h;
    }
};

/// Copies supplied keys, checking them: a session key kind, 128 bits or
/// more (RFC 6043 §12.1), an SPI, distinct CS IDs and SPIs.
/// Errors: invalid_argument, key_too_short.
[[nodiscard]] inline result<void> take_supplied(std::span<const supplied_key> in, std::vector<owned_key>& out) {
    std::vector<owned_key> keys;
    for (const auto& s : in) {
        if (!is_session_key(s.kind) || (has_salt(s.kind) != !s.salt.empty())) return errc::invalid_argument;
        if (s.key.size() < crypto::min_key_bytes) return errc::key_too_short;
        for (const auto& k : keys) {
            if (k.cs_id == s.cs_id || equal_bytes(bytes_view(k.spi.data(), k.spi_size), s.spi)) return errc::invalid_argument;
        }
        auto k = owned_key::of(s.kind, s.key, s.salt, s.spi);
        if (!k) return k.error_info();
        k->cs_id = s.cs_id;
        k->ssrc = s.ssrc;
        keys.push_back(std::move(*k));
    }
    out = std::move(keys);
    return {};
}

/// Candidates from a decrypted KEMAC key list (session keys only).
/// Errors: missing_key (an MPK or another kind in a Transfer KEMAC, or more
/// than `out` holds).
[[nodiscard]] inline result<std::size_t> kemac_candidates(const key_data_list& list, std::span<candidate> out) noexcept {
    std::size_t n = 0;
    for (const auto& k : list) {
        if (!is_session_key(k.kind()) || n == out.size()) return errc::missing_key;
        out[n++] = candidate{k.kind(), k.key(), k.salt(), k.validity().spi, false};
    }
    return n;
}

/// What an Error message (RFC 6043 §5.4) takes from the message it answers:
/// the HDR's version, PRF func and CSB ID, and whether that message is an
/// Error itself (never answered). Kept instead of the message by a caller
/// that may refuse it later (a conference focus while the Resolve runs).
struct error_origin {
    std::uint8_t version = 0;
    prf_func prf{};
    csb_id csb{};
    bool is_error = false;

    /// Of `offending`; none when it has no parsable header.
    [[nodiscard]] static std::optional<error_origin> of(bytes_view offending) noexcept {
        const auto h = hdr_view::parse(offending);
        if (!h) return std::nullopt;
        return of(*h);
    }
    /// Of the message whose header `h` is (already parsed).
    [[nodiscard]] static error_origin of(const hdr_view& h) noexcept {
        return error_origin{h.version(), h.prf(), h.csb(), h.type() == data_type::error};
    }
};

/// RFC 6043 §5.4: builds the Error message answering the message `origin`
/// was read from (version, PRF func and CSB ID copied, V flag 0, fresh T,
/// one ERR), unauthenticated (the V is OPTIONAL; see notes/ticket.md).
/// Returns an outcome carrying `e` and, when wire_error(e) names a code, the
/// Error to send; nothing is sent in answer to an Error (never answer an
/// Error with an Error) or without an origin (no parsable header).
[[nodiscard]] inline outcome refuse(failure f, const std::optional<error_origin>& origin, ntp_time now,
                                    mutable_bytes out, bool send_auth_failure) noexcept {
    outcome o = outcome::refused(f);
    const auto code = wire_error(f.code);
    if (!code || (*code == error_no::auth_failure && !send_auth_failure)) return o;
    if (!origin || origin->is_error) return o;
    const timestamp t(now);
    const auto msg = build_message(out, hdr_builder{data_type::error, false, origin->prf, origin->csb, empty_map{}, origin->version},
                                   t.builder(), err_builder{.code = *code});
    if (msg) {
        o.send = *msg;
        o.send_type = data_type::error;
    }
    return o;
}

/// refuse() answering the bytes `offending`.
[[nodiscard]] inline outcome refuse(failure f, bytes_view offending, ntp_time now, mutable_bytes out,
                                    bool send_auth_failure) noexcept {
    return refuse(f, error_origin::of(offending), now, out, send_auth_failure);
}

}  // namespace mikey::roles::detail
// ---- end mikey/roles/exchange.hpp ----
// #include "roles/security_policy.hpp" (inlined)
// ---- begin mikey/roles/security_policy.hpp ----
// mikey-ticket (roles layer): the security policies (SP payloads, RFC 3830
// §6.10) of the Ticket Transfer exchange, as RFC 6043 negotiates them in
// the GENERIC-ID map (§6.1.1):
//   - the Initiator may offer policies: SP payloads in TRANSFER_INIT, each
//     crypto session's block listing the Policy_no of those it may run
//     (#P > 0; "Multiple SP payloads MAY be used both to indicate supported
//     security policies for a specific crypto session ... and to specify
//     security policies for different crypto sessions", §4.2.2.1);
//   - the Responder answers with exactly one per crypto session ("In
//     response messages, #P SHALL always be exactly 1"): one of the offered
//     ones, named by its Policy_no without resending the SP (§4.2.2.3
//     "SHOULD NOT resend"), or, where none was offered (#P = 0), an SP
//     payload of its own in TRANSFER_RESP;
//   - the Initiator checks that answer.
// With F = 0 there is no answer: a crypto session runs under the first
// policy its block lists, or SRTP's defaults without one (RFC 3830
// §6.10.1). A CSB update negotiates again "as in the initial exchange"
// (§5.2): its answer names one policy per crypto session, the one the
// session has where the update lists none.
//
//   policy_offer            what an Initiator offers (initiator_config)
//   detail::policy_list     SP payloads a machine owns, per crypto session
//   detail::policy_in_force the policy a crypto session runs under (CSB updates)
//   detail::accept_sp, own_sp, accept_changed_sp   the optional policy hooks
//   detail::sp_numbers      the SP payloads of a message by Policy no (one walk at most)
//   detail::sp_verdicts     the policy's verdict on each SP, asked once per message
//   detail::choose_offered  the Responder's choice for one block
//   detail::response_policies  the Responder's choices for one TRANSFER_RESP
//   detail::check_answer    the Initiator's check of one TRANSFER_RESP block (and
//                           either end's of an answer to its CSB update)

#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

// #include "../core/inline_list.hpp" (inlined above as mikey/core/inline_list.hpp)
// #include "../message.hpp" (inlined above as mikey/message.hpp)
// #include "../payload/hdr.hpp" (inlined above as mikey/payload/hdr.hpp)
// #include "../payload/sp.hpp" (inlined above as mikey/payload/sp.hpp)
// #include "outcome.hpp" (inlined above as mikey/roles/outcome.hpp)
// #include "policy.hpp" (inlined above as mikey/roles/policy.hpp)

namespace mikey::roles {

/// Most security policies an Initiator offers.
inline constexpr std::size_t max_policy_offers = 16;

/// A security policy offered in a message that starts an exchange: by the
/// Initiator in TRANSFER_INIT (initiator_config::security_policies), or by
/// either machine in a CSB update (start_update's `offers`, RFC 6043 §5.2).
/// An SP payload (Policy no unique among the offers; Prot type SRTP;
/// parameters, as views the caller keeps alive for the call that takes
/// them, which copies them) and the crypto sessions it is offered for
/// (their CS IDs, each one of the message's sessions; empty: every crypto
/// session of the message). The order of the offers is the order of
/// preference in each block (take_offers).
struct policy_offer {
    sp_builder policy{};
    std::span<const std::uint8_t> cs_ids{};
};

namespace detail {

/// SP payloads a machine owns, each with the crypto sessions it applies to
/// (none listed: every one): the offers of an Initiator, the negotiated
/// policy of each crypto session. One byte vector: entries of
/// count(8) | CS IDs | SP payload (wire encoding, Next Payload 0).
class policy_list {
public:
    /// Appends `sp` for crypto sessions `cs_ids` (allocates).
    /// Errors: invalid_argument (more than 255 CS IDs), the builder's.
    [[nodiscard]] result<void> add(std::span<const std::uint8_t> cs_ids, const sp_builder& sp) {
        if (cs_ids.size() > 0xFF) return errc::invalid_argument;
        const std::size_t at = m_bytes.size();
        const mutable_bytes dst = entry(cs_ids, exact_size(sp));
        const auto w = write_payload(sp, dst);
        if (!w || !sp_view::parse(*w)) {
            m_bytes.resize(at);
            return w ? result<void>(errc::invalid_argument) : result<void>(w.error_info());
        }
        return {};
    }
    /// Appends `sp` for crypto session `cs`.
    [[nodiscard]] result<void> add(std::uint8_t cs, const sp_builder& sp) {
        return add(std::span<const std::uint8_t>(&cs, 1), sp);
    }
    /// Appends the SP `sp` (parsed, so valid: its bytes as they are, but
    /// Next Payload 0) for crypto session `cs`.
    void add(std::uint8_t cs, const sp_view& sp) {
        const mutable_bytes dst = entry(std::span<const std::uint8_t>(&cs, 1), sp.size());
        copy_bytes(dst, sp.bytes());
        dst[0] = 0;
    }
    void clear() noexcept { m_bytes.clear(); }
    [[nodiscard]] bool empty() const noexcept { return m_bytes.empty(); }

    /// f(cs_ids, sp) for each entry, in order.
    template <class F>
    void each(F&& f) const noexcept {
        std::size_t at = 0;
        while (at < m_bytes.size()) {
            const std::size_t n = m_bytes[at];
            const bytes_view ids(m_bytes.data() + at + 1, n);
            const bytes_view rest = bytes_view(m_bytes).subspan(at + 1 + n);
            const auto sp = sp_view::from_validated(rest);  // parsed by add()
            f(ids, sp);
            at += 1 + n + sp.size();
        }
    }
    /// The first entry applying to crypto session `cs`.
    [[nodiscard]] std::optional<sp_view> for_session(std::uint8_t cs) const noexcept MIKEY_LIFETIMEBOUND {
        std::optional<sp_view> out;
        each([&](bytes_view ids, const sp_view& sp) {
            if (!out && (ids.empty() || std::find(ids.begin(), ids.end(), cs) != ids.end())) out.emplace(sp);
        });
        return out;
    }
    /// The entry whose Policy no is `no`.
    [[nodiscard]] std::optional<sp_view> with_no(std::uint8_t no) const noexcept MIKEY_LIFETIMEBOUND {
        std::optional<sp_view> out;
        each([&](bytes_view, const sp_view& sp) {
            if (!out && sp.policy_no() == no) out.emplace(sp);
        });
        return out;
    }
    /// Drops the entries for crypto sessions `keep(cs)` refuses (an entry for
    /// several stays while it keeps one of them; one for every session stays).
    template <class Keep>
    void erase_unless(Keep&& keep) noexcept {
        std::size_t at = 0, to = 0;
        while (at < m_bytes.size()) {
            const std::size_t n = m_bytes[at];
            const std::size_t len = 1 + n + sp_view::from_validated(bytes_view(m_bytes).subspan(at + 1 + n)).size();
            const auto ids = bytes_view(m_bytes).subspan(at + 1, n);
            if (ids.empty() || std::any_of(ids.begin(), ids.end(), keep)) {
                if (to != at) std::memmove(m_bytes.data() + to, m_bytes.data() + at, len);
                to += len;
            }
            at += len;
        }
        m_bytes.resize(to);
    }
    /// The Policy nos of the entries applying to `cs`, in order, into `out`.
    [[nodiscard]] bytes_view nos_for(std::uint8_t cs, std::span<std::uint8_t> out) const noexcept {
        std::size_t n = 0;
        each([&](bytes_view ids, const sp_view& sp) {
            if (n < out.size() && (ids.empty() || std::find(ids.begin(), ids.end(), cs) != ids.end())) {
                out[n++] = sp.policy_no();
            }
        });
        return {out.data(), n};
    }

private:
    /// Appends an entry's count and `cs_ids`, and room for an SP payload of
    /// `n` bytes (returned).
    mutable_bytes entry(std::span<const std::uint8_t> cs_ids, std::size_t n) {
        const std::size_t at = m_bytes.size();
        // One block for the usual lists (up to four entries like the first; a conference
        // focus keeps one list per member, so not more).
        if (m_bytes.capacity() == 0) m_bytes.reserve(4 * (1 + cs_ids.size() + n));
        m_bytes.resize(at + 1 + cs_ids.size() + n);
        m_bytes[at] = static_cast<std::uint8_t>(cs_ids.size());
        std::copy(cs_ids.begin(), cs_ids.end(), m_bytes.begin() + static_cast<std::ptrdiff_t>(at + 1));
        return mutable_bytes(m_bytes).subspan(at + 1 + cs_ids.size());
    }
    std::vector<std::uint8_t> m_bytes;
};

/// Takes security policies a machine offers (in its TRANSFER_INIT, RFC
/// 6043 §4.2.2.1, or in a CSB update, §5.2) into `into`, in order of
/// preference: at most max_policy_offers, each Policy no unique among them
/// (RFC 3830 §6.10: it names one SP payload of the message), each of Prot
/// type SRTP (the type of the crypto sessions our CS ID maps list, RFC 6043
/// §6.1.1: the peer refuses another with sp_prot_mismatch), each for
/// crypto sessions among `sessions`, the message's (an empty list: all of
/// them). Errors: invalid_argument (then `into` is left as it was), the SP
/// builder's.
[[nodiscard]] inline result<void> take_offers(std::span<const policy_offer> offers,
                                              std::span<const crypto_session_spec> sessions, policy_list& into) {
    const auto listed = [sessions](std::uint8_t cs) {
        return std::any_of(sessions.begin(), sessions.end(), [cs](const crypto_session_spec& s) { return s.cs_id == cs; });
    };
    if (offers.size() > max_policy_offers) return errc::invalid_argument;
    policy_list taken;
    for (std::size_t i = 0; i < offers.size(); ++i) {
        const auto& o = offers[i];
        if (o.policy.protocol != prot_type::srtp) return errc::invalid_argument;
        for (std::size_t j = 0; j < i; ++j) {
            if (offers[j].policy.policy_no == o.policy.policy_no) return errc::invalid_argument;
        }
        if (!std::all_of(o.cs_ids.begin(), o.cs_ids.end(), listed)) return errc::invalid_argument;
        if (auto ok = taken.add(o.cs_ids, o.policy); !ok) return ok;
    }
    into = std::move(taken);
    return {};
}

/// What a message that starts an exchange (TRANSFER_INIT, or a CSB update)
/// carries of the offers `offers` (take_offers' list): their SP payloads,
/// and in each GENERIC-ID block the Policy nos offered for its crypto
/// session, in order (RFC 6043 §4.2.2.1, §6.1.1; #P = 0 where none is).
/// Views `offers` and its own bytes: not copyable.
class offer_listing {
public:
    explicit offer_listing(const policy_list& offers) noexcept : m_offers(&offers) {
        offers.each([&](bytes_view, const sp_view& sp) { (void)m_sps.push_back(sp.to_builder()); });
    }
    offer_listing(const offer_listing&) = delete;
    offer_listing& operator=(const offer_listing&) = delete;

    /// Points each block (a CS ID map's) at the Policy nos offered for its
    /// crypto session.
    void list_in(inline_list<generic_id_block, max_crypto_sessions>& blocks) noexcept {
        for (std::size_t i = 0; i < blocks.size(); ++i) blocks[i].policies = m_offers->nos_for(blocks[i].cs_id, m_nos[i]);
    }
    /// The SP payloads, for the message's {SP}.
    [[nodiscard]] std::span<const sp_builder> sps() const noexcept MIKEY_LIFETIMEBOUND { return m_sps.view(); }

private:
    const policy_list* m_offers;
    std::array<std::array<std::uint8_t, max_policy_offers>, max_crypto_sessions> m_nos;
    inline_list<sp_builder, max_policy_offers> m_sps;
};

/// The policy in force in `in_force` (none: nullptr) for the crypto session
/// of block `b`, when it is of the block's Prot type (a CSB update that
/// changes a session's Prot type starts it without one).
[[nodiscard]] inline std::optional<sp_view> policy_in_force(const policy_list* in_force, const generic_id_block& b) noexcept {
    auto sp = in_force ? in_force->for_session(b.cs_id) : std::nullopt;
    if (sp && sp->protocol() != b.prot) sp.reset();
    return sp;
}

/// The policy's accept_security_policy, or default_accept_security_policy.
template <class P>
[[nodiscard]] result<void> accept_sp(const P& p, const sp_view& sp, const algorithm_suite& s) noexcept {
    if constexpr (requires {
                      { p.accept_security_policy(sp, s) } noexcept -> std::same_as<result<void>>;
                  }) {
        return p.accept_security_policy(sp, s);
    } else {
        return default_accept_security_policy(sp, s);
    }
}

/// The policy's own_security_policy, or default_own_security_policy.
template <class P>
[[nodiscard]] result<bytes_view> own_sp(const P& p, prot_type prot, const algorithm_suite& s, std::size_t key_length,
                                        mutable_bytes out) noexcept {
    if constexpr (requires {
                      { p.own_security_policy(prot, s, key_length, out) } noexcept -> std::same_as<result<bytes_view>>;
                  }) {
        return p.own_security_policy(prot, s, key_length, out);
    } else {
        return default_own_security_policy(prot, s, key_length, out);
    }
}

/// The policy's accept_changed_security_policy, or its default (refuse).
template <class P>
[[nodiscard]] result<void> accept_changed_sp(const P& p, const sp_view& sp) noexcept {
    if constexpr (requires {
                      { p.accept_changed_security_policy(sp) } noexcept -> std::same_as<result<void>>;
                  }) {
        return p.accept_changed_security_policy(sp);
    } else {
        return default_accept_changed_security_policy(sp);
    }
}

/// The SP payload of `m` whose Policy no is `no` (the first, in message order).
[[nodiscard]] inline std::optional<sp_view> sp_numbered(const message_view& m, std::uint8_t no) noexcept {
    return m.find<sp_view>([no](const sp_view& v) { return v.policy_no() == no; });
}

/// The SP payloads of one message by Policy no: sp_numbered's answers, with
/// the message walked at most once in all and only as far as the lookups
/// need (a TRANSFER_INIT's blocks name their policies one by one). The SPs
/// passed are kept, up to max_indexed of them; in a message with more, a
/// lookup that misses those walks the message again. Views `m`, which must
/// outlive it.
class sp_numbers {
public:
    static constexpr std::size_t max_indexed = 16;

    explicit sp_numbers(const message_view& m MIKEY_LIFETIMEBOUND) noexcept : m_msg(&m), m_next(&m, 0) {}
    /// sp_numbered(m, no).
    [[nodiscard]] std::optional<sp_view> operator()(std::uint8_t no) noexcept {
        for (const auto& sp : m_sps) {
            if (sp.policy_no() == no) return sp;
        }
        if (m_full) return sp_numbered(*m_msg, no);
        while (m_next.position() < m_msg->payload_count()) {
            const chain_entry e = m_next.current();
            m_next.advance();
            if (e.type != payload_type::sp) continue;
            const auto sp = e.as<sp_view>();
            if (!m_sps.push_back(sp)) {
                m_full = true;
                return sp_numbered(*m_msg, no);
            }
            if (sp.policy_no() == no) return sp;
        }
        return std::nullopt;
    }

private:
    const message_view* m_msg;
    message_view::payload_cursor m_next;  ///< the first payload not walked yet
    inline_list<sp_view, max_indexed> m_sps;
    bool m_full = false;  ///< an SP past the max_indexed kept was met
};

/// accept_sp's verdicts on the SP payloads of one message by Policy no, each
/// asked once however many blocks list it (the verdict depends on the SP
/// and the suite only).
class sp_verdicts {
public:
    /// accept_sp(policy, sp, s), asked of the policy the first time `sp`'s number comes up.
    template <class P>
    [[nodiscard]] bool accepted(const P& policy, const sp_view& sp, const algorithm_suite& s) noexcept {
        const std::size_t no = sp.policy_no();
        const std::uint64_t bit = std::uint64_t{1} << (no % 64);
        if ((m_judged[no / 64] & bit) == 0) {
            m_judged[no / 64] |= bit;
            if (accept_sp(policy, sp, s)) m_accepted[no / 64] |= bit;
        }
        return (m_accepted[no / 64] & bit) != 0;
    }

private:
    std::array<std::uint64_t, 4> m_judged{}, m_accepted{};
};

/// The Responder's choice for GENERIC-ID block `b` of TRANSFER_INIT `ti`:
/// the first of the policies it lists that the policy accepts (with
/// `first_only`, F = 0: the first listed, which must be acceptable);
/// nullopt when it lists none (#P = 0).
/// Errors: sp_not_found (a Policy_no no SP payload of TRANSFER_INIT
/// carries), sp_prot_mismatch, sp_not_acceptable.
/// `sps` are the SP payloads of TRANSFER_INIT; `verdicts` the policy's
/// verdicts so far on them (for the blocks of one message).
template <class P>
[[nodiscard]] result<std::optional<sp_view>> choose_offered(const P& policy, sp_numbers& sps,
                                                            const generic_id_block& b, const algorithm_suite& s,
                                                            bool first_only, sp_verdicts& verdicts) noexcept {
    if (b.policies.empty()) return std::optional<sp_view>{};
    for (const std::uint8_t no : b.policies) {
        // RFC 6043 §6.1.1: "Policy_no_i (8 bits): indicates the security policy payload used for the
        // crypto session".
        const auto sp = sps(no);
        if (!sp) return errc::sp_not_found;
        if (sp->protocol() != b.prot) return errc::sp_prot_mismatch;
        if (verdicts.accepted(policy, *sp, s)) return std::optional<sp_view>(*sp);
        if (first_only) break;
    }
    return errc::sp_not_acceptable;
}

/// The Responder's choice among the offers of the GENERIC-ID blocks of one
/// TRANSFER_INIT, in block order (choose_offered's for each): made by the
/// early check of RFC 6043 §4.2.2.2 and kept for the answer, so that no
/// offer is judged twice. Only the first max_crypto_sessions blocks are kept
/// (a map with more is refused when the answer is built).
struct offered_choice {
    /// Block i: the Policy_no taken, nullopt where the block lists none (#P = 0).
    inline_list<std::optional<std::uint8_t>, max_crypto_sessions> chosen;

    /// Errors: those of choose_offered, for the first block that has them.
    template <class P>
    [[nodiscard]] static result<offered_choice> of(const P& policy, const message_view& ti, const algorithm_suite& s,
                                                   bool first_only) noexcept {
        offered_choice c;
        const auto h = ti.header();
        if (h.map_type() != cs_id_map_type::generic_id) return c;
        sp_numbers sps(ti);
        sp_verdicts verdicts;
        for (const auto& b : generic_id_map(h.map_info())) {
            const auto sp = choose_offered(policy, sps, b, s, first_only, verdicts);
            if (!sp) return sp.error_info();
            if (c.chosen.full()) continue;
            (void)c.chosen.push_back(*sp ? std::optional<std::uint8_t>((*sp)->policy_no()) : std::nullopt);
        }
        return c;
    }
};

/// A Policy no for an SP of the Responder's own: one no SP of TRANSFER_INIT
/// and none of `taken` uses. nullopt when all 256 are used.
[[nodiscard]] inline std::optional<std::uint8_t> fresh_policy_no(sp_numbers& ti_sps, bytes_view taken) noexcept {
    for (unsigned no = 0; no <= 0xFF; ++no) {
        const auto n = static_cast<std::uint8_t>(no);
        if (!ti_sps(n) && std::find(taken.begin(), taken.end(), n) == taken.end()) return n;
    }
    return std::nullopt;
}

/// The Responder's security policies for one TRANSFER_RESP (RFC 6043
/// §4.2.2.3, §6.1.1): per GENERIC-ID block the one Policy_no it names and
/// the SP payloads of its own it sends, and the negotiated SP of each
/// crypto session. Its builders view its own bytes: not copyable.
class response_policies {
public:
    response_policies() noexcept = default;
    response_policies(const response_policies&) = delete;
    response_policies& operator=(const response_policies&) = delete;

    /// Chooses for each block of the Responder's map (`blocks`, the key of
    /// block i `key_length(i)` bytes long) of an exchange with TRANSFER_INIT
    /// `ti`: the first offer the policy accepts (choose_offered; with
    /// `answered` false, F = 0, the first offer; for the first
    /// `early.chosen.size()` blocks, which are TRANSFER_INIT's, the choice
    /// `early` made of the same offers with the same suite and F); where
    /// none was offered, the crypto session's policy in `current` (a CSB
    /// update, RFC 6043 §5.2: the policies in force; one of another Prot
    /// type than the block's does not count), kept as it is without an
    /// answer; else, when `answered`, a policy of its own (own_security_policy
    /// for the key's length). A policy not offered is named by the number of
    /// an SP of TRANSFER_INIT with the same parameters, else sent in an SP
    /// payload of its own (one per distinct policy) with a fresh Policy_no.
    /// Errors: those of choose_offered and own_security_policy;
    /// sp_not_acceptable (no Policy_no left); sp_not_found (`early` names a
    /// Policy_no no SP of `ti` carries: a choice made of another message).
    template <class P, class KeyLength>
    [[nodiscard]] result<void> choose(const P& policy, const message_view& ti, std::span<const generic_id_block> blocks,
                                      KeyLength&& key_length, const algorithm_suite& s, bool answered,
                                      const offered_choice& early, const policy_list* current = nullptr) {
        sp_numbers sps(ti);
        sp_verdicts verdicts;
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            const auto& b = blocks[i];
            std::optional<sp_view> sp;
            if (i < early.chosen.size()) {
                if (const auto no = early.chosen[i]) {
                    sp = sps(*no);
                    if (!sp) return errc::sp_not_found;
                }
            } else {
                const auto offered = choose_offered(policy, sps, b, s, !answered, verdicts);
                if (!offered) return offered.error_info();
                sp = *offered;
            }
            if (!sp) {
                const auto kept = policy_in_force(current, b);
                if (!answered) {
                    if (kept) negotiated.add(b.cs_id, *kept);
                    continue;
                }
                const auto params = kept ? result<bytes_view>(kept->param_bytes())
                                         : own_sp(policy, b.prot, s, key_length(i), m_params[m_own.size()]);
                if (!params) return params.error_info();
                sp = ti.find<sp_view>([&](const sp_view& v) { return v.protocol() == b.prot && equal_bytes(v.param_bytes(), *params); });
                if (!sp) {
                    const auto no = own_number(sps, b.prot, *params);
                    if (!no) return no.error_info();
                    m_chosen[i] = *no;
                    if (auto ok = negotiated.add(b.cs_id, sp_builder{*no, b.prot, {}, *params}); !ok) return ok;
                    continue;
                }
            }
            m_chosen[i] = sp->policy_no();
            negotiated.add(b.cs_id, *sp);
        }
        return {};
    }
    /// Points each block at its one Policy_no (#P = 1; views of this object).
    void name_in(std::span<generic_id_block> blocks) const noexcept {
        for (std::size_t i = 0; i < blocks.size(); ++i) blocks[i].policies = bytes_view(&m_chosen[i], 1);
    }
    /// The SP payloads of its own, for TRANSFER_RESP's {SP}.
    [[nodiscard]] std::span<const sp_builder> own() const noexcept MIKEY_LIFETIMEBOUND { return m_own.view(); }

    policy_list negotiated;  ///< the SP of each crypto session (to commit)

private:
    /// The number of own policy `params` (the same SP as one already chosen,
    /// else a new one). Errors: sp_not_acceptable (all 256 numbers used).
    [[nodiscard]] result<std::uint8_t> own_number(sp_numbers& ti_sps, prot_type prot, bytes_view params) noexcept {
        std::array<std::uint8_t, max_crypto_sessions> taken{};
        for (std::size_t j = 0; j < m_own.size(); ++j) {
            if (m_own[j].protocol == prot && equal_bytes(m_own[j].raw_params, params)) return m_own[j].policy_no;
            taken[j] = m_own[j].policy_no;
        }
        const auto no = fresh_policy_no(ti_sps, bytes_view(taken.data(), m_own.size()));
        if (!no || !m_own.push_back(sp_builder{*no, prot, {}, params})) return errc::sp_not_acceptable;
        return *no;
    }

    std::array<std::uint8_t, max_crypto_sessions> m_chosen{};
    /// Own parameters, [0, m_own.size()] written: the next slot is scratch for own_security_policy.
    std::array<std::array<std::uint8_t, 64>, max_crypto_sessions + 1> m_params;
    inline_list<sp_builder, max_crypto_sessions> m_own;
};

/// The Initiator's check of GENERIC-ID block `b` of TRANSFER_RESP `resp`,
/// against its `offers` (the SP payloads of its TRANSFER_INIT). The Policy
/// no names an SP payload of TRANSFER_RESP or, failing that, one of the
/// offers ("In response messages, the policy_no may refer to a SP payload
/// in the initial message", §6.1.1). An SP the Responder resends under the
/// number of one of ours counts as ours when its bytes are the same (a
/// resend the RFC advises against, harmless), else as a changed policy.
/// When the Initiator offered policies for the crypto session, the chosen
/// one must be one of them unless accept_changed_security_policy takes it;
/// a policy it did not offer (changed, or the Responder's own where none
/// was offered) must pass accept_security_policy. In the answer to a CSB
/// update (RFC 6043 §5.2), `current` is the crypto session's policy in
/// force: the same policy (Prot type and parameters) is taken as it is,
/// another one is a changed policy.
/// Errors: sp_count_not_one, sp_not_found, sp_prot_mismatch, sp_changed,
/// sp_not_acceptable (or what the hooks return).
/// `resp_sps` are the SP payloads of TRANSFER_RESP.
template <class P>
[[nodiscard]] result<sp_view> check_answer(const P& policy, sp_numbers& resp_sps, const generic_id_block& b,
                                           const policy_list& offers, const algorithm_suite& s,
                                           const std::optional<sp_view>& current = std::nullopt) noexcept {
    // RFC 6043 §6.1.1: "In response messages, #P SHALL always be exactly 1."
    if (b.policies.size() != 1) return errc::sp_count_not_one;
    const std::uint8_t no = b.policies[0];
    const auto theirs = resp_sps(no);
    const auto ours = offers.with_no(no);
    if (!theirs && !ours) return errc::sp_not_found;
    const bool is_ours =
        ours && (!theirs || (equal_bytes(theirs->param_bytes(), ours->param_bytes()) && theirs->protocol() == ours->protocol()));
    const sp_view sp = theirs ? *theirs : *ours;
    // RFC 6043 §6.1.1: the SP is that of the block's crypto session, of its Prot type.
    if (sp.protocol() != b.prot) return errc::sp_prot_mismatch;
    std::array<std::uint8_t, max_policy_offers> buf{};
    const bytes_view offered = offers.nos_for(b.cs_id, buf);
    if (is_ours && (offered.empty() || std::find(offered.begin(), offered.end(), no) != offered.end())) return sp;
    const bool same_as_current =
        current && current->protocol() == sp.protocol() && equal_bytes(current->param_bytes(), sp.param_bytes());
    if (same_as_current) return sp;
    if (!offered.empty() || current) {
        // RFC 6043 §6.1.1: "If #P > 0, one of the suggested policies SHOULD be chosen in the response
        // message. If needed ..., the suggested policies MAY be changed." An update's answer naming
        // another policy than the one in force changes it too (§5.2: "as in the initial exchange").
        if (auto ok = accept_changed_sp(policy, sp); !ok) return ok.error_info();
    }
    if (auto ok = accept_sp(policy, sp, s); !ok) return ok.error_info();
    return sp;
}

}  // namespace detail
}  // namespace mikey::roles
// ---- end mikey/roles/security_policy.hpp ----
// #include "roles/kms.hpp" (inlined)
// ---- begin mikey/roles/kms.hpp ----
// mikey-ticket (roles layer): the KMS of RFC 6043 (§4.2.1 Ticket Request,
// §4.2.3 Ticket Resolve) as a sans-I/O machine: REQUEST_INIT_PSK in,
// REQUEST_RESP out (a MIKEY base ticket made with the KMS's TPK); and
// RESOLVE_INIT_PSK in, RESOLVE_RESP out (the ticket opened, the Responder
// authorized, the keys forked when the I flag is set).
//
// The KMS keeps no state between messages but the policy's replay cache,
// so one kms object serves any number of exchanges; it allocates nothing
// per message (keys, tickets and scratch live on the stack and are wiped).
// The public-key variants (REQUEST_INIT_PK, RESOLVE_INIT_PK) are parsed and
// refused with errc::pk_not_supported (Error no 13).

#include <array>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

// #include "../core/inline_list.hpp" (inlined above as mikey/core/inline_list.hpp)
// #include "../crypto/derive.hpp" (inlined above as mikey/crypto/derive.hpp)
// #include "../crypto/kemac.hpp" (inlined above as mikey/crypto/kemac.hpp)
// #include "../ticket/base_ticket.hpp" (inlined above as mikey/ticket/base_ticket.hpp)
// #include "../ticket/mac_coverage.hpp" (inlined above as mikey/ticket/mac_coverage.hpp)
// #include "../ticket/messages.hpp" (inlined above as mikey/ticket/messages.hpp)
// #include "../ticket/policy.hpp" (inlined above as mikey/ticket/policy.hpp)
// #include "../ticket/seal.hpp" (inlined above as mikey/ticket/seal.hpp)
// #include "exchange.hpp" (inlined above as mikey/roles/exchange.hpp)
// #include "outcome.hpp" (inlined above as mikey/roles/outcome.hpp)
// #include "policy.hpp" (inlined above as mikey/roles/policy.hpp)

namespace mikey::roles {

/// Most session keys one ticket carries.
inline constexpr std::size_t max_ticket_keys = 15;

/// What a KMS is: its identity (IDRkms) and how it names its own TPK.
struct kms_config {
    std::string_view identity;        ///< IDRkms ID Data (URI)
    std::string_view ticket_key_id{}; ///< IDRpsk put in the tickets it makes; empty: none (default TPK)
};

template <crypto::crypto_backend B, kms_policy P>
class kms {
public:
    /// `backend` and `policy` are used by reference (share them between
    /// machines); the config is copied.
    kms(B& backend, const P& policy, const kms_config& cfg)
        : m_b(&backend), m_policy(&policy), m_id(cfg.identity), m_tpk_id(cfg.ticket_key_id) {}

    [[nodiscard]] std::string_view identity_name() const noexcept { return m_id; }

    /// Handles one message received from an Initiator or a Responder and
    /// writes the answer into `out` (2 KiB is enough for a ticket with 15
    /// keys). Receivable: REQUEST_INIT_PSK, RESOLVE_INIT_PSK.
    /// Errors (besides every parse / schema error): message_not_for_role,
    /// pk_not_supported, error_received (never answered), unknown_peer,
    /// wrong_kms, prf_not_allowed / encr_not_allowed / mac_not_allowed,
    /// auth_failure, timestamp_out_of_window, replayed_message,
    /// replay_cache_full, unauthorized_requester, policy_not_acceptable,
    /// the flag_* codes, algorithm_too_weak, unknown_ticket_key,
    /// ticket_data_unparsed (not a MIKEY base ticket: Error no 14),
    /// ticket_expired, ticket_not_yet_valid, unauthorized_responder, unauthorized_application,
    /// vr_mismatch, missing_key, buffer_too_small, crypto_backend_failure.
    /// On a refusal, `send` holds the Error message when RFC 6043 §5.4 says
    /// to send one (see detail::refuse).
    template <random_generator R>
    [[nodiscard]] outcome receive(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto h = hdr_view::parse(in);
        if (!h) return outcome::refused(h.error_info());
        result<outcome> r = errc::message_not_for_role;
        switch (h->type()) {
            case data_type::request_init_psk: r = on_request(in, now, rng, out); break;
            case data_type::resolve_init_psk: r = on_resolve(in, now, rng, out); break;
            // RFC 6043 §5.4: Error messages are never answered with an Error.
            case data_type::error: return outcome::refused(failure{errc::error_received, 1});
            case data_type::request_init_pk:
            case data_type::resolve_init_pk: r = failure{errc::pk_not_supported, 1}; break;
            default: r = failure{errc::message_not_for_role, 1}; break;
        }
        if (r) return *r;
        return detail::refuse(r.error_info(), in, now, out, m_policy->send_auth_failure_error());
    }

private:
    [[nodiscard]] identity me() const noexcept { return identity(ticket::as_bytes(m_id)); }

    /// RFC 6043 §6.10: IDRkms names a KMS that can resolve the ticket / is addressed.
    [[nodiscard]] result<void> check_kms(const std::optional<idr_view>& idrkms) const noexcept {
        if (idrkms && !equal_bytes(idrkms->data(), me().get())) return errc::wrong_kms;
        return {};
    }

    /// The PSK of the sender: by IDRpsk when present, else by its identity
    /// (RFC 6043 §4.2.1.2, §4.2.3.2). Errors: unknown_peer.
    [[nodiscard]] result<bytes_view> psk_of(const std::optional<idr_view>& idrpsk, identity sender) const noexcept {
        const auto k = m_policy->psk_for(idrpsk ? identity(idrpsk->data()) : sender);
        if (!k || sender.size() == 0) return errc::unknown_peer;
        return *k;
    }

    /// Verifies an initial message (REQUEST_INIT_PSK / RESOLVE_INIT_PSK)
    /// with the D1 keys of `psk` and checks time and replay. Returns the
    /// suite of the exchange.
    template <class View>
    [[nodiscard]] result<algorithm_suite> verify_initial(const View& m, bytes_view psk, bytes_view randri,
                                                         bytes_view randrr, const ticket::v_inputs& ids,
                                                         ntp_time now) noexcept {
        detail::anticipate_fresh(*m_policy, m.message(), m.mac());  // the replay check after the MAC
        const auto hdr = m.header();
        const algorithm_suite s{hdr.prf(), m_policy->kemac_encr(m.v()->kind()), m.v()->kind()};
        if (auto ok = m_policy->check_suite(s); !ok) return ok.error_info();
        const auto k = detail::protection(*m_b, detail::direction::initial, detail::needs::auth_key, s, psk, hdr.csb(),
                                          randri, randrr);
        if (!k) return k.error_info();
        if (auto ok = ticket::verify_message_mac(*m_b, m.message(), s.mac, k->auth_key.view(), ids); !ok) {
            return ok.error_info();
        }
        if (auto ok = detail::fresh(*m_policy, m.message(), m.t(), m.mac(), now); !ok) return ok.error_info();
        return s;
    }

    // ------------------------------------------------------------ Request

    template <random_generator R>
    [[nodiscard]] result<outcome> on_request(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto m = ticket::request_init_psk_view::parse(in);
        if (!m) return m.error_info();
        const identity id_i = m->idri() ? identity(m->idri()->data()) : identity{};
        const auto psk = psk_of(m->idrpsk(), id_i);
        if (!psk) return psk.error_info();
        if (auto ok = check_kms(m->idrkms()); !ok) return ok.error_info();
        // RFC 6043 §5.1.2 / §5.5: D1 with RANDRi; MAC over REQUEST_INIT || Identity_i || Identity_kms.
        const ticket::v_inputs ids{.identity_i = id_i, .identity_kms = me()};
        const auto s = verify_initial(*m, *psk, m->randri()->value(), {}, ids, now);
        if (!s) return s.error_info();

        // RFC 6043 §4.2.1.4: "the KMS MUST check the Initiator's authorization".
        const tp_view tp = *m->tp();
        const ticket_policy desired = tp.policy();
        if (auto ok = m_policy->authorize_request(id_i, desired); !ok) return ok.error_info();
        const auto granted = m_policy->grant(id_i, desired);
        if (!granted) return granted.error_info();
        const auto tpc = ticket::read_tp_data(tp.tp_payloads());
        if (!tpc) return shifted(tpc.error_info(), 10);

        // The keys asked for: the TP's KEMAC, or one TGK (RFC 6043 §4.2.1.5 RECOMMENDED default).
        inline_list<key_request, max_ticket_keys> wanted;
        const std::size_t default_len = s->prf == prf_func::prf_hmac_sha_256 ? 32 : 16;
        if (tpc->kemac) {
            const auto list = key_data_list::parse(tpc->kemac->encrypted_data());
            if (!list) return errc::policy_not_acceptable;
            for (const auto& k : *list) {
                if (!detail::is_session_key(k.kind()) ||
                    !wanted.push_back(key_request{k.kind(), k.key().size(), k.salt().size(), k.validity().spi})) {
                    return errc::policy_not_acceptable;
                }
            }
        }
        if (wanted.size() == 0) (void)wanted.push_back(key_request{key_data_type::tgk, default_len, 0, {}});
        std::size_t longest = 0;
        bool has_tgk = false;
        for (const auto& w : wanted) {
            // RFC 6043 §12.1: all keys 128 bits or more.
            if (w.length < crypto::min_key_bytes || w.length > detail::max_session_key_bytes) {
                return errc::policy_not_acceptable;
            }
            longest = std::max(longest, w.length);
            has_tgk = has_tgk || detail::is_tgk(w.kind);
        }
        // RFC 6043 §6.10: the flag dependencies, and F with forking and a TGK.
        if (auto ok = ticket::check_policy_rules(granted->flags, true, has_tgk); !ok) return ok.error_info();
        // RFC 6043 §12.1: no 128-bit algorithm with longer session keys.
        const algorithm_suite ticket_suite{granted->prf, s->encr, s->mac};
        if (auto ok = m_policy->check_suite(ticket_suite); !ok) return ok.error_info();
        if (auto ok = crypto::check_algorithm_suite(ticket_suite, longest); !ok) return ok.error_info();

        // Fresh keys: MPK (as long as the longest session key, RFC 6043 §12.1 sizes), session keys, salts, SPIs.
        key_material km;
        if (auto ok = km.draw(rng, wanted.view(), std::max(longest, default_len)); !ok) {
            return ok.error_info();
        }
        // Granted TP Data: IDRkms, IDRi, TRs, TRe, {IDRapp}, (IDRr) (RFC 6043 §6.10).
        std::array<std::uint8_t, 1024> tp_buf;
        const ntp_time tre = tpc->tre && *tpc->tre < now + m_policy->ticket_lifetime() ? *tpc->tre
                                                                                       : now + m_policy->ticket_lifetime();
        const auto tp_data = granted_tp_data(tp, id_i, now, tre, tp_buf);
        if (!tp_data) return tp_data.error_info();
        const auto tpk = m_policy->tpk_for(identity(ticket::as_bytes(m_tpk_id)));
        if (!tpk) return errc::unknown_ticket_key;
        std::array<std::uint8_t, ticket::max_ticket_data + 1024> ticket_buf;
        std::optional<identity> idrpsk;
        if (!m_tpk_id.empty()) idrpsk = identity(ticket::as_bytes(m_tpk_id));
        const auto ticket_bytes = ticket::create_base_ticket(
            *m_b, rng,
            ticket::base_ticket_spec{*granted, *tp_data, km.mpk.view(), km.builders(), s->encr, s->mac, idrpsk, now},
            *tpk, ticket_buf);
        if (!ticket_bytes) return ticket_bytes.error_info();
        // create_base_ticket wrote a whole TICKET payload from a granted policy, a TP Data it
        // built and a Ticket Data it built: read its layout without validating it again.
        const auto tv = ticket_view::from_validated(ticket_bytes->payload);
        // RFC 6043 App. A.2.2: MPKi, MPKr from the MPK and the ticket's RAND, with the Ticket Policy's PRF.
        const bytes_view trand = ticket_bytes->rand;
        secret_buffer<64> mpki(km.mpk.size()), mpkr(km.mpk.size());
        if (auto ok = crypto::derive_mpki(*m_b, granted->prf, km.mpk.view(), rand_value(trand), mpki.mutable_view()); !ok) {
            return ok.error_info();
        }
        if (auto ok = crypto::derive_mpkr(*m_b, granted->prf, km.mpk.view(), rand_value(trand), mpkr.mutable_view()); !ok) {
            return ok.error_info();
        }
        // RFC 6043 §4.2.1.5: KEMAC = E(encr_key, MPKi || [MPKr] || {TEK|TGK|GTGK}), D2 keys of the PSK.
        inline_list<key_data_builder, max_ticket_keys + 2> keys;
        (void)keys.push_back(key_data_builder{key_data_type::mpk, mpki.view(), {}, {}});
        if (granted->flags.i) (void)keys.push_back(key_data_builder{key_data_type::mpk, mpkr.view(), {}, {}});
        for (const auto& kb : km.builders()) (void)keys.push_back(kb);
        const auto hdr = m->header();
        const auto k2 =
            detail::protection(*m_b, detail::direction::response, detail::needs::all_keys, *s, *psk, hdr.csb(),
                               m->randri()->value(), {});
        if (!k2) return k2.error_info();
        const detail::timestamp t(now);
        ticket::sealed_message_builder sb(out);
        // RFC 6043 §4.2.1.5: version, PRF func, CSB ID, #CS and map type copied; V flag 0.
        sb.header(hdr_builder{data_type::request_resp, false, hdr.prf(), hdr.csb(), empty_map{}, hdr.version()})
            .add(t.builder())
            .add(idr_builder{id_role::idrkms, id_type::uri, me().get()})
            .add_ticket(tv)
            .add_kemac(*m_b, s->encr, k2->cipher(hdr.csb(), t.iv()), keys.view());
        // RFC 6043 §5.5: REQUEST_RESP || REQUEST_INIT.
        const auto sealed = sb.seal(*m_b, s->mac, k2->auth_key.view(), {in});
        if (!sealed) return sealed.error_info();
        return outcome{errc::ok, 0, *sealed, data_type::request_resp, 0}.with(event::request_answered);
    }

    /// One key the Initiator asked for (a TP KEMAC entry) or the default.
    struct key_request {
        key_data_type kind = key_data_type::tgk;
        std::size_t length = 16;
        std::size_t salt = 0;
        bytes_view spi{};
    };
    /// Fresh key material of one ticket, in wiping buffers.
    struct key_material {
        secret_buffer<64> mpk{};
        std::array<secret_buffer<32>, max_ticket_keys> keys{};
        std::array<secret_buffer<32>, max_ticket_keys> salts{};
        std::array<std::array<std::uint8_t, 4>, max_ticket_keys> spis{};
        inline_list<key_data_builder, max_ticket_keys> b;
        std::size_t n = 0;
        template <random_generator R>
        [[nodiscard]] result<void> draw(R& rng, std::span<const key_request> want, std::size_t mpk_len) noexcept {
            if (auto r = mpk.resize(mpk_len); !r) return r;
            if (auto r = rng.fill(mpk.mutable_view()); !r) return r;
            for (const auto& w : want) {
                if (auto r = keys[n].resize(w.length); !r) return r;
                if (auto r = rng.fill(keys[n].mutable_view()); !r) return r;
                const bool salted = has_salt(w.kind);
                if (auto r = salts[n].resize(salted ? (w.salt == 0 ? 14 : std::min<std::size_t>(w.salt, 32)) : 0); !r) return r;
                if (auto r = rng.fill(salts[n].mutable_view()); !r) return r;
                // RFC 6043 §6.2.1: "An SPI (or MKI) MUST be specified for each key": the one the
                // Initiator asked for when it named a nonzero 4-byte SPI no other key of the ticket
                // has, else a random one (an all-zero SPI in the TP KEMAC means "KMS, choose").
                if (auto r = rng.fill(spis[n]); !r) return r;
                if (w.spi.size() == 4 && !all_zero(w.spi) && !spi_taken(w.spi)) {
                    std::copy(w.spi.begin(), w.spi.end(), spis[n].begin());
                }
                while (spi_taken(spis[n])) {
                    if (auto r = rng.fill(spis[n]); !r) return r;
                }
                (void)b.push_back(key_data_builder{w.kind, keys[n].view(), salts[n].view(), kv_data{kv_type::spi, spis[n], {}, {}}});
                ++n;
            }
            return {};
        }
        [[nodiscard]] std::span<const key_data_builder> builders() const noexcept { return b.view(); }
        [[nodiscard]] bool spi_taken(bytes_view spi) const noexcept {
            for (std::size_t i = 0; i < n; ++i) {
                if (equal_bytes(spis[i], spi)) return true;
            }
            return false;
        }
        static bool all_zero(bytes_view v) noexcept {
            for (const auto x : v) {
                if (x != 0) return false;
            }
            return true;
        }
    };

    [[nodiscard]] result<bytes_view> granted_tp_data(const tp_view& desired, identity id_i, ntp_time trs, ntp_time tre,
                                                     mutable_bytes buf) const noexcept {
        const detail::timestamp ts(trs), te(tre);
        byte_writer w(buf);
        w.u8(0);
        chain_writer c(w, std::size_t{0});
        c.add(idr_builder{id_role::idrkms, id_type::uri, me().get()});
        if (id_i.size() != 0) c.add(idr_builder{id_role::idri, id_type::uri, id_i.get()});
        c.add(tr_builder{.role = ts_role::trs, .kind = ts_type::ntp_utc, .value = ts.bytes});
        c.add(tr_builder{.role = ts_role::tre, .kind = ts_type::ntp_utc, .value = te.bytes});
        for (const auto& e : desired.tp_payloads()) {
            if (e.type != payload_type::idr) continue;
            const auto v = e.as<idr_view>();
            if (v.role() == id_role::idrapp || v.role() == id_role::idrr) c.add(v.to_builder());
        }
        if (w.failed()) return w.error();
        return w.written();
    }

    // ------------------------------------------------------------ Resolve

    template <random_generator R>
    [[nodiscard]] result<outcome> on_resolve(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto m = ticket::resolve_init_psk_view::parse(in);
        if (!m) return m.error_info();
        const identity id_r = m->idrr() ? identity(m->idrr()->data()) : identity{};
        const auto psk = psk_of(m->idrpsk(), id_r);
        if (!psk) return psk.error_info();
        if (auto ok = check_kms(m->idrkms()); !ok) return ok.error_info();
        // RFC 6043 §5.1.2: D1 with RANDRr (Resolve carries no RANDRi); MAC over RESOLVE_INIT || Identity_r || Identity_kms.
        const ticket::v_inputs ids{.identity_r = id_r, .identity_kms = me()};
        const auto s = verify_initial(*m, *psk, {}, m->randrr()->value(), ids, now);
        if (!s) return s.error_info();

        const ticket_view tv = *m->ticket();
        const ticket_policy tp = tv.policy();
        // RFC 6043 §5.4 / §6.9: a Ticket Type this KMS cannot resolve is Error no 14.
        if (!tp.is_base_ticket()) return errc::ticket_data_unparsed;
        const auto tpc = ticket::read_tp_data(tv.tp_payloads());
        if (!tpc) return tpc.error_info();
        if (auto ok = check_kms(tpc->idrkms); !ok) return ok.error_info();
        if (auto ok = ticket::check_validity(*tpc, now); !ok) return ok.error_info();
        // RFC 6043 §4.2.3: "the KMS verifies that the Responder is authorized to resolve the
        // ticket": its identity is an IDRr of the ticket, or a member of a group one names.
        if (!authorized(tv, id_r)) return errc::unauthorized_responder;
        // RFC 6043 §6.10: "If no IDRapp payloads are supplied, all application IDs are authorized."
        if (tpc->applications != 0 && !application_listed(tv, m_policy->application_of(id_r))) {
            return errc::unauthorized_application;
        }
        // RFC 6043 App. A: the TPK is found by the ticket's IDRpsk (or the default one).
        const auto bt = tv.base_ticket();
        if (!bt) return bt.error_info();
        const auto tpk = m_policy->tpk_for(bt->idrpsk() ? identity(bt->idrpsk()->data()) : identity{});
        if (!tpk) return errc::unknown_ticket_key;
        const algorithm_suite ticket_suite{tp.prf, bt->kemac().encryption(), bt->v().kind()};
        if (auto ok = m_policy->check_suite(ticket_suite); !ok) return ok.error_info();
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto opened = ticket::open_base_ticket(*m_b, tv, *bt, ticket_suite.mac, *tpk, plain);
        if (!opened) return opened.error_info();
        const detail::wipe_on_exit<B> wipe_plain{m_b, plain};
        const bytes_view mpk = opened->mpk.key();
        const bytes_view trand = bt->rand().value();
        secret_buffer<64> mpki(mpk.size()), mpkr(mpk.size()), mpkr_forked(mpk.size());
        if (auto ok = crypto::derive_mpki(*m_b, tp.prf, mpk, rand_value(trand), mpki.mutable_view()); !ok) return ok.error_info();
        if (auto ok = crypto::derive_mpkr(*m_b, tp.prf, mpk, rand_value(trand), mpkr.mutable_view()); !ok) return ok.error_info();

        inline_list<key_data_builder, max_ticket_keys + 2> keys;
        std::array<secret_buffer<64>, max_ticket_keys> forked{};
        (void)keys.push_back(key_data_builder{key_data_type::mpk, mpki.view(), {}, {}});
        detail::random_bytes randrkms;
        if (tp.flags.i) {
            // RFC 6043 §4.2.3.4: "If key forking is used (I flag), the KMS SHALL also verify the
            // integrity of the Initiator Data field"; Vr's key is D5 from MPKr (§6.10).
            secret_buffer<32> vr_key(*crypto::auth_key_size(ticket_suite.mac));
            if (auto ok = crypto::derive_vr_auth_key(*m_b, tp.prf, mpkr.view(), vr_key.mutable_view()); !ok) {
                return ok.error_info();
            }
            if (auto ok = ticket::verify_vr(*m_b, tv.initiator_data(), ticket_suite.mac, vr_key.view()); !ok) {
                return ok.error() == errc::auth_failure ? result<outcome>(errc::vr_mismatch) : ok.error_info();
            }
            // RFC 6043 §12.1: RANDRkms at least as long as the longest MPKr / TGK.
            std::size_t longest = mpk.size();
            for (const auto& e : opened->keys) longest = std::max(longest, e.key().size());
            auto r = detail::random_bytes::draw(rng, detail::rand_length(longest));
            if (!r) return r.error_info();
            randrkms = *r;
            // RFC 6043 §5.1.1: MPKr' and every TGK' from the modifier (IDRr, RANDRkms).
            if (auto ok = crypto::derive_forked_mpkr(*m_b, tp.prf, mpkr.view(), id_r, rand_value(randrkms.view()),
                                                     mpkr_forked.mutable_view());
                !ok) {
                return ok.error_info();
            }
            (void)keys.push_back(key_data_builder{key_data_type::mpk, mpkr_forked.view(), {}, {}});
        }
        std::size_t j = 0;
        bool first = true;
        for (const auto& e : opened->keys) {
            if (first) {  // the MPK
                first = false;
                continue;
            }
            if (j == forked.size()) return errc::missing_key;
            auto kb = e.to_builder();
            if (tp.flags.i && detail::is_tgk(e.kind())) {
                if (auto r = forked[j].resize(e.key().size()); !r) return r.error_info();
                if (auto ok = crypto::derive_forked_tgk(*m_b, tp.prf, e.key(), id_r, rand_value(randrkms.view()),
                                                        forked[j].mutable_view());
                    !ok) {
                    return ok.error_info();
                }
                kb.key = forked[j].view();
            }
            if (!keys.push_back(kb)) return errc::missing_key;
            ++j;
        }
        // RFC 6043 §4.2.3.5: KEMAC = E(encr_key, MPKi || [MPKr'] || {TEK|TGK|GTGK}), D2 keys of the PSK.
        const auto hdr = m->header();
        const auto k2 =
            detail::protection(*m_b, detail::direction::response, detail::needs::all_keys, *s, *psk, hdr.csb(), {},
                               m->randrr()->value());
        if (!k2) return k2.error_info();
        const detail::timestamp t(now);
        std::optional<idr_builder> idrr;
        std::optional<randr_builder> rk;
        if (tp.flags.i) {
            idrr = idr_builder{id_role::idrr, m->idrr()->kind(), id_r.get()};
            rk = randr_builder{rand_role::randrkms, randrkms.view()};
        }
        ticket::sealed_message_builder sb(out);
        sb.header(hdr_builder{data_type::resolve_resp, false, hdr.prf(), hdr.csb(), empty_map{}, hdr.version()})
            .add(t.builder())
            .add(idr_builder{id_role::idrkms, id_type::uri, me().get()})
            .add_kemac(*m_b, s->encr, k2->cipher(hdr.csb(), t.iv()), keys.view())
            .add(idrr)
            .add(rk);
        // RFC 6043 §5.5: RESOLVE_RESP || RESOLVE_INIT.
        const auto sealed = sb.seal(*m_b, s->mac, k2->auth_key.view(), {in});
        if (!sealed) return sealed.error_info();
        return outcome{errc::ok, 0, *sealed, data_type::resolve_resp, 0}.with(event::resolve_answered);
    }

    /// RFC 6043 §6.10: "IDRr is the identity of a responder or a group of
    /// responders that are authorized to resolve the ticket".
    [[nodiscard]] bool authorized(const ticket_view& tv, identity id_r) const noexcept {
        if (id_r.size() == 0) return false;
        for (const auto& e : tv.tp_payloads()) {
            if (e.type != payload_type::idr) continue;
            const auto v = e.as<idr_view>();
            if (v.role() != id_role::idrr) continue;
            if (equal_bytes(v.data(), id_r.get()) || m_policy->is_member(id_r, identity(v.data()))) return true;
        }
        return false;
    }

    /// The application is one of the ticket's IDRapp.
    [[nodiscard]] static bool application_listed(const ticket_view& tv, std::optional<bytes_view> app) noexcept {
        if (!app) return false;
        for (const auto& e : tv.tp_payloads()) {
            if (e.type == payload_type::idr && e.as<idr_view>().role() == id_role::idrapp &&
                equal_bytes(e.as<idr_view>().data(), *app)) {
                return true;
            }
        }
        return false;
    }

    B* m_b;
    const P* m_policy;
    std::string m_id;
    std::string m_tpk_id;
};

}  // namespace mikey::roles
// ---- end mikey/roles/kms.hpp ----
// #include "roles/initiator.hpp" (inlined)
// ---- begin mikey/roles/initiator.hpp ----
// mikey-ticket (roles layer): the Initiator of RFC 6043 as a sans-I/O
// machine. It obtains a ticket (Ticket Request with the KMS, modes 1 and 2;
// or makes one itself with a TPK it shares, modes 3 and 4, §4.1.1), sends
// it to a Responder (TRANSFER_INIT, with Initiator Data when forking) and
// verifies the TRANSFER_RESP (with MPKr' when forking, which authenticates
// the Responder as the identity the KMS forked for).
//
//   idle --start_request--> awaiting_request_resp --REQUEST_RESP--> ticket_ready
//   idle --create_ticket--> ticket_ready
//   ticket_ready --start_transfer--> awaiting_transfer_resp --TRANSFER_RESP--> established
//                                  (F = 0: established at once)
//   established --start_transfer--> ... (ticket reuse, only with J = 1, §5.3)
//   established --start_update--> awaiting_update_resp --TRANSFER_RESP--> established
//                               (CSB update, §5.2; without a response: established at once)
//
// A refused input changes no state.

#include <array>
#include <bitset>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// #include "../crypto/derive.hpp" (inlined above as mikey/crypto/derive.hpp)
// #include "../crypto/kemac.hpp" (inlined above as mikey/crypto/kemac.hpp)
// #include "../ticket/base_ticket.hpp" (inlined above as mikey/ticket/base_ticket.hpp)
// #include "../ticket/mac_coverage.hpp" (inlined above as mikey/ticket/mac_coverage.hpp)
// #include "../ticket/messages.hpp" (inlined above as mikey/ticket/messages.hpp)
// #include "../ticket/policy.hpp" (inlined above as mikey/ticket/policy.hpp)
// #include "../ticket/seal.hpp" (inlined above as mikey/ticket/seal.hpp)
// #include "config_storage.hpp" (inlined)
// ---- begin mikey/roles/config_storage.hpp ----
// mikey-ticket (roles layer): the owned copy of a role's config. A config
// names identities and lists by view (std::string_view, std::span); a role
// machine that outlives its config copies what they point to into one
// block and points its copy of the config at it: one allocation per
// machine, however many identities and crypto sessions the config has.

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>

namespace mikey::roles::detail {

/// One block holding copies of a config's strings and lists.
///
///     storage.own([&](config_storage& s) { s.take(cfg.identity); s.take(cfg.sessions); });
///
/// own(fn) calls fn twice: once to size the block, once to copy into it and
/// re-point each view taken at its copy. The copies live as long as the
/// storage; moving it keeps them where they are.
class config_storage {
public:
    template <class Fn>
    void own(Fn&& fn) {
        m_block.reset();
        m_copying = false;
        m_used = 0;
        fn(*this);
        const std::size_t units = (m_used + sizeof(unit) - 1) / sizeof(unit);
        if (units != 0) m_block = std::make_unique_for_overwrite<unit[]>(units);
        m_copying = true;
        m_used = 0;
        fn(*this);
    }

    /// Copies the characters of `s` (an empty one becomes a null view).
    void take(std::string_view& s) {
        std::span<const char> chars(s);
        (void)copy_list(chars);
        s = std::string_view(chars.data(), chars.size());
    }
    /// Copies a list of trivially copyable values (not strings: their characters are elsewhere).
    template <class T>
        requires(std::is_trivially_copyable_v<T> && !std::is_same_v<T, std::string_view>)
    void take(std::span<const T>& list) {
        (void)copy_list(list);
    }
    /// Copies a list of strings, then each string.
    void take(std::span<const std::string_view>& list) {
        const auto original = list;
        std::string_view* copy = copy_list(list);
        for (std::size_t i = 0; i < original.size(); ++i) {
            std::string_view s = original[i];
            take(s);
            if (copy != nullptr) copy[i] = s;
        }
    }

private:
    using unit = std::max_align_t;
    /// Copies the elements of `list` and points it at the copy (an empty
    /// list becomes a null span); the copy on the copying pass, nullptr on
    /// the sizing one (which leaves a non-empty `list` as it is). Every
    /// take() goes through it.
    template <class T>
        requires std::is_trivially_copyable_v<T>
    T* copy_list(std::span<const T>& list) {
        static_assert(alignof(T) <= alignof(unit), "the block is aligned for std::max_align_t");
        if (list.empty()) {
            list = {};
            return nullptr;
        }
        auto* p = static_cast<T*>(place(list.size_bytes(), alignof(T)));
        if (p == nullptr) return nullptr;
        std::memcpy(static_cast<void*>(p), list.data(), list.size_bytes());
        list = std::span<const T>(p, list.size());
        return p;
    }
    /// Reserves `size` bytes aligned to `align`; their address on the copying pass, nullptr on the sizing one.
    void* place(std::size_t size, std::size_t align) noexcept {
        m_used = (m_used + align - 1) / align * align;
        void* p = m_copying ? reinterpret_cast<unsigned char*>(m_block.get()) + m_used : nullptr;
        m_used += size;
        return p;
    }
    std::unique_ptr<unit[]> m_block;
    std::size_t m_used = 0;
    bool m_copying = false;
};

}  // namespace mikey::roles::detail
// ---- end mikey/roles/config_storage.hpp ----
// #include "csb_update.hpp" (inlined)
// ---- begin mikey/roles/csb_update.hpp ----
// mikey-ticket (roles layer): the CSB update of RFC 6043 §5.2, shared by
// the Initiator and the Responder, since either end of a completed Ticket
// Transfer exchange may start one:
//
//   started by the Initiator:  TRANSFER_INIT = HDR, T, [IDRi], [IDRr], {SP}, [KEMAC], V
//                              TRANSFER_RESP = HDR, T, [IDRr], {SP}, [KEMAC], V
//   started by the Responder:  TRANSFER_INIT = HDR, T, [IDRr], [IDRi], {SP}, [KEMAC], V
//                              TRANSFER_RESP = HDR, T, [IDRi], {SP}, [KEMAC], V
//
// Both messages are protected with the keys of the last message of the
// initial exchange; same CSB ID, new timestamps, no RANDs, no TICKET; the
// V flag of TRANSFER_INIT asks for the response. A KEMAC in the update is
// allowed when the Ticket Policy lets its sender send keys (L for the
// Initiator, M for the Responder; §6.10).
//
// Reading (notes/ticket.md): "TRANSFER_INIT || Identity_i || Identity_r"
// (§5.5) keeps the roles of the initial exchange whoever starts the update,
// as the IDR payloads do (IDRi is always the Initiator's identity).
//
// Security policies ("handled as in the initial exchange", §5.2; §6.1.1):
// an update offers the policies its starter passes (none: #P = 0), and the
// answer names one per crypto session (#P = 1): the first acceptable one
// offered for it, else the policy the session has; the starter takes one it
// offered or the policy in force as it is, and another one as a changed
// policy (check_answer). Without an answer the first offered must be
// acceptable to the receiver, and takes effect at both ends
// (security_policy.hpp, response_policies; policies_without_answer).

#include <algorithm>
#include <array>
#include <bit>
#include <bitset>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <vector>

// #include "../core/inline_list.hpp" (inlined above as mikey/core/inline_list.hpp)
// #include "../crypto/kemac.hpp" (inlined above as mikey/crypto/kemac.hpp)
// #include "../ticket/mac_coverage.hpp" (inlined above as mikey/ticket/mac_coverage.hpp)
// #include "../ticket/messages.hpp" (inlined above as mikey/ticket/messages.hpp)
// #include "../ticket/seal.hpp" (inlined above as mikey/ticket/seal.hpp)
// #include "exchange.hpp" (inlined above as mikey/roles/exchange.hpp)
// #include "outcome.hpp" (inlined above as mikey/roles/outcome.hpp)
// #include "policy.hpp" (inlined above as mikey/roles/policy.hpp)
// #include "security_policy.hpp" (inlined above as mikey/roles/security_policy.hpp)

namespace mikey::roles {

/// The end of the initial Ticket Transfer exchange a machine was.
enum class party : std::uint8_t { initiator, responder };

namespace detail {

/// The session keys of one bundle after an update (at most
/// max_crypto_sessions): slot i is the i-th crypto session of the update's
/// map, with SSRC ssrc[i] and either a new key in key(i) (kept[i] ==
/// made_here), the key of slot kept[i] of the keys in force, left where it
/// is (kept[i] >= 0), or, with borrow_supplied, the supplied TEK given[i]
/// (kept[i] == borrowed), which the bundle copies when the set takes effect.
/// A slot's key is made only when first used: an update that sends one new
/// key of a 4-session bundle builds and wipes one key, not 4 (nor 16), and
/// one that sends a supplied TEK without awaiting an answer builds none.
class key_set {
public:
    key_set() noexcept {}
    key_set(const key_set&) = delete;
    key_set& operator=(const key_set&) = delete;
    ~key_set() { clear(); }
    /// Takes `o`'s keys (`o` keeps none).
    key_set& operator=(key_set&& o) noexcept {
        clear();
        for (std::size_t i = 0; i < max_crypto_sessions; ++i) {
            if (o.made(i)) key(i) = std::move(o.m_slots[i].key);
        }
        // Only the slots below count are set (the arrays are not zero-filled).
        std::copy_n(o.kept.begin(), o.count, kept.begin());
        std::copy_n(o.given.begin(), o.count, given.begin());
        std::copy_n(o.ssrc.begin(), o.count, ssrc.begin());
        borrow_supplied = o.borrow_supplied;
        count = o.count;
        t = o.t;
        policies = std::move(o.policies);
        o.policies.reset();
        o.clear();
        return *this;
    }
    /// Slot `i`'s key (i < max_crypto_sessions), made (empty) on first use.
    [[nodiscard]] session_key& key(std::size_t i) noexcept {
        if (!made(i)) {
            std::construct_at(&m_slots[i].key);
            m_made |= std::uint32_t{1} << i;
        }
        return m_slots[i].key;
    }
    /// Slot `i`'s key, made before (kept[i] == made_here).
    [[nodiscard]] const session_key& key(std::size_t i) const noexcept { return m_slots[i].key; }

    static constexpr std::int8_t made_here = -1;  ///< kept[i]: the key is key(i)
    static constexpr std::int8_t borrowed = -2;   ///< kept[i]: the key is the supplied TEK given[i]
    std::array<std::int8_t, max_crypto_sessions> kept;  ///< set for each slot below count
    std::array<const supplied_key*, max_crypto_sessions> given;  ///< set for each borrowed slot
    /// plan_update leaves a supplied TEK (no derivation) where it is instead
    /// of copying it into key(i): for a set that takes effect before the
    /// supplied keys go (an update that awaits no answer).
    bool borrow_supplied = false;
    std::array<std::uint32_t, max_crypto_sessions> ssrc;  ///< set for each slot below count
    std::size_t count = 0;
    ntp_time t{};  ///< the T of the update that set them
    /// The security policy of each crypto session after the update, when the
    /// update chose them (nullopt: those in force stay, RFC 6043 §6.1.1).
    std::optional<policy_list> policies;

private:
    static_assert(max_crypto_sessions <= 32, "m_made has a bit per slot");
    [[nodiscard]] bool made(std::size_t i) const noexcept { return ((m_made >> i) & 1U) != 0; }
    void clear() noexcept {
        for (; m_made != 0; m_made &= m_made - 1) std::destroy_at(&m_slots[static_cast<std::size_t>(std::countr_zero(m_made))].key);
    }
    union slot {
        slot() noexcept {}
        ~slot() {}
        session_key key;
    };
    std::array<slot, max_crypto_sessions> m_slots;
    std::uint32_t m_made = 0;  ///< bit i: slot i's key is made
};

/// What a CSB update needs of the initial exchange, as one machine holds it.
struct update_context {
    party self = party::initiator;
    csb_id csb{};
    prf_func prf{};
    mac_alg mac{};
    encr_alg kemac_encr{};  ///< Encr alg of a KEMAC this end sends
    bytes_view id_i{}, id_r{};  ///< identities of the initial exchange
    const last_message_keys* last = nullptr;
    crypto::d4_rands rands{};
    ticket_flags flags{};
    std::span<const session_key> keys{};  ///< the keys in force
    const policy_list* policies = nullptr;  ///< the security policies in force (none: no SP negotiated)

    /// The algorithms of the exchange (the policy hooks judge SPs with them).
    [[nodiscard]] algorithm_suite suite() const noexcept { return {prf, kemac_encr, mac}; }

    /// RFC 6043 §5.2: "If indicated by the Ticket Policy (L and M flags), KEMAC payloads SHALL NOT be included."
    [[nodiscard]] bool may_send_kemac(party sender) const noexcept {
        return sender == party::initiator ? flags.l : flags.m;
    }
    /// Where crypto session `cs` is among the keys in force, looked up at
    /// `hint` first (an update that keeps the bundle's order).
    [[nodiscard]] std::optional<std::size_t> index_of(std::uint8_t cs, std::size_t hint = 0) const noexcept {
        if (hint < keys.size() && keys[hint].cs.get() == cs) return hint;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (keys[i].cs.get() == cs) return i;
        }
        return std::nullopt;
    }
    [[nodiscard]] const session_key* key_of(std::uint8_t cs) const noexcept {
        const auto i = index_of(cs);
        return i ? &keys[*i] : nullptr;
    }
};

/// Slot `i` of `next` for an added crypto session `s`: a key derived from
/// the first session's TGK / GTGK (a TEK is never shared by two crypto
/// sessions). Errors: missing_key.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> added_session_key(B& b, const update_context& c, const crypto_session_spec& s, key_set& next,
                                             std::size_t i) noexcept {
    next.kept[i] = key_set::made_here;
    if (c.keys.empty() || is_tek(c.keys[0].kind)) {
        return errc::missing_key;
    }
    const session_key& base = c.keys[0];
    return make_session_key(b, c.prf, s, base.kind, base.key.view(), has_salt(base.kind) ? base.salt.view() : bytes_view{},
                            base.spi_view(), c.rands, next.key(i));
}

/// Slot `i` of `next` for crypto session `s` when the update sends no key
/// for it: the key the session has, kept where it is (its D4 inputs, the
/// key, CS ID, CSB ID and RANDs, are those of the initial exchange, since an
/// update carries no RAND, RFC 6043 §5.2), or, for an added session,
/// added_session_key. Errors: missing_key.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> kept_key(B& b, const update_context& c, const crypto_session_spec& s, key_set& next,
                                    std::size_t i) noexcept {
    next.ssrc[i] = s.ssrc;
    if (const auto k = c.index_of(s.cs_id, i)) {
        next.kept[i] = static_cast<std::int8_t>(*k);
        return {};
    }
    return added_session_key(b, c, s, next, i);
}

/// Slot `i` of `next` for session `s` keyed by supplied key `sk` (its
/// sizes checked): with borrow_supplied a TEK stays where it is
/// (key_set::borrowed), else the key is made (make_session_key: a TGK /
/// GTGK runs D4). Errors: make_session_key's.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> supplied_slot(B& b, const update_context& c, const crypto_session_spec& s,
                                         const supplied_key& sk, key_set& next, std::size_t i) noexcept {
    next.ssrc[i] = s.ssrc;
    if (next.borrow_supplied && is_tek(sk.kind)) {
        next.kept[i] = key_set::borrowed;  // its sizes are checked: set_as_sent cannot fail on it
        next.given[i] = &sk;
        return {};
    }
    next.kept[i] = key_set::made_here;
    return make_session_key(b, c.prf, s, sk.kind, sk.key, sk.salt, sk.spi, c.rands, next.key(i));
}

/// The SPI of slot `i` of `next` (kept, borrowed or new).
[[nodiscard]] inline bytes_view spi_of(const update_context& c, const key_set& next, std::size_t i) noexcept {
    if (next.kept[i] >= 0) return c.keys[static_cast<std::size_t>(next.kept[i])].spi_view();
    return next.kept[i] == key_set::borrowed ? next.given[i]->spi : next.key(i).spi_view();
}

/// What a CSB update sends: its crypto sessions (the bundle after the
/// update) and the Key data its KEMAC carries, as views of the supplied
/// keys or of keys drawn for it, which it holds until the update is sealed.
struct update_plan {
    inline_list<crypto_session_spec, max_crypto_sessions> sessions;
    inline_list<key_data_builder, max_crypto_sessions> keys;

    /// Fresh keys for `rekey_all`, made on the heap only then (an update that
    /// sends supplied keys, a focus's rekey, neither builds nor wipes 32 key
    /// buffers).
    struct drawn_keys {
        std::array<secret_buffer<64>, max_crypto_sessions> keys{};
        std::array<secret_buffer<32>, max_crypto_sessions> salts{};
        std::array<std::array<std::uint8_t, 4>, max_crypto_sessions> spis;  // written by the RNG before use
    };
    std::unique_ptr<drawn_keys> drawn;
};

/// RFC 6043 §5.2: the update "MUST use new timestamps"; with the same keys,
/// an old T would repeat the KEMAC keystream (RFC 3830 §4.2.3 IV). Sets
/// next.t = now. Errors: stale_timestamp (`now` not after the bundle's last T).
[[nodiscard]] inline result<void> stamp_update(const update_context& c, ntp_time now, key_set& next) noexcept {
    if (!(c.last->t < now)) return errc::stale_timestamp;
    next.t = now;
    return {};
}

/// Appends to `keys` the Key data of a key the update sends, KV = its SPI.
/// Errors: invalid_argument (an SPI another of the update's keys has, or
/// more keys than a KEMAC of the update holds).
[[nodiscard]] inline result<void> add_key_data(inline_list<key_data_builder, max_crypto_sessions>& keys,
                                               key_data_type kind, bytes_view key, bytes_view salt,
                                               bytes_view spi) noexcept {
    // RFC 6043 §6.2.1: the SPI names the key; two keys of one bundle never share one.
    for (const auto& other : keys) {
        if (equal_bytes(other.validity.spi, spi)) return errc::invalid_argument;
    }
    if (!keys.push_back(key_data_builder{kind, key, salt, kv_data{kv_type::spi, spi, {}, {}}})) {
        return errc::invalid_argument;
    }
    return {};
}

/// The last step of a plan of `n` sessions. Errors: policy_not_acceptable
/// (keys to send without the sender's L / M flag).
[[nodiscard]] inline result<void> close_plan(const update_context& c, const update_plan& plan, std::size_t n,
                                             key_set& next) noexcept {
    next.count = n;
    if (plan.keys.size() != 0 && !c.may_send_kemac(c.self)) return errc::policy_not_acceptable;
    return {};
}

/// The first half of build_update: the update's sessions and the keys it
/// sends into `plan`, the keys it sets into `next`. Errors: build_update's
/// but buffer_too_small.
template <crypto::crypto_backend B, random_generator R>
[[nodiscard]] result<void> plan_update(B& b, R& rng, ntp_time now, const update_context& c,
                                       std::span<const crypto_session_spec> sessions,
                                       std::span<const supplied_key> supplied, bool rekey_all, update_plan& plan,
                                       key_set& next) noexcept {
    auto& all = plan.sessions;
    for (const auto& s : sessions) {
        if (!all.push_back(s)) return errc::invalid_argument;
    }
    // The supplied key of each slot (a supplied key's session is added when not listed); two for
    // one session are refused.
    std::array<const supplied_key*, max_crypto_sessions> supplied_for{};
    for (const auto& k : supplied) {
        std::size_t slot = 0;
        while (slot < all.size() && all[slot].cs_id != k.cs_id) ++slot;
        if (slot == all.size() && !all.push_back({k.cs_id, k.ssrc})) return errc::invalid_argument;
        if (supplied_for[slot]) return errc::invalid_argument;
        supplied_for[slot] = &k;
    }
    const std::size_t n = all.size();
    if (n == 0 || c.keys.empty()) return errc::invalid_argument;
    if (auto ok = stamp_update(c, now, next); !ok) return ok;
    if (rekey_all) plan.drawn = std::make_unique<update_plan::drawn_keys>();
    for (std::size_t i = 0; i < n; ++i) {
        const supplied_key* sk = supplied_for[i];
        key_data_type kind{};
        bytes_view key, salt, spi;
        if (sk) {
            if (!is_session_key(sk->kind) || has_salt(sk->kind) != !sk->salt.empty()) return errc::invalid_argument;
            if (sk->key.size() < crypto::min_key_bytes) return errc::key_too_short;
            if (sk->key.size() > 64 || sk->salt.size() > 32 || sk->spi.empty() || sk->spi.size() > 8) {
                return errc::invalid_argument;
            }
            kind = sk->kind;
            key = sk->key;
            salt = sk->salt;
            spi = sk->spi;
        } else if (rekey_all) {
            const session_key* old = c.key_of(all[i].cs_id);
            const session_key& base = old ? *old : c.keys[0];
            kind = base.kind;
            auto& d = *plan.drawn;
            (void)d.keys[i].resize(base.key.size());
            (void)d.salts[i].resize(has_salt(base.kind) ? 14 : 0);
            if (auto ok = rng.fill(d.keys[i].mutable_view()); !ok) return ok.error_info();
            if (auto ok = rng.fill(d.salts[i].mutable_view()); !ok) return ok.error_info();
            if (auto ok = rng.fill(d.spis[i]); !ok) return ok.error_info();
            key = d.keys[i].view();
            salt = d.salts[i].view();
            spi = d.spis[i];
        } else {
            if (auto ok = kept_key(b, c, all[i], next, i); !ok) return ok.error_info();
            continue;
        }
        if (auto ok = add_key_data(plan.keys, kind, key, salt, spi); !ok) return ok;
        if (sk) {
            if (auto ok = supplied_slot(b, c, all[i], *sk, next, i); !ok) return ok.error_info();
            continue;
        }
        next.ssrc[i] = all[i].ssrc;
        next.kept[i] = key_set::made_here;
        if (auto ok = make_session_key(b, c.prf, all[i], kind, key, salt, spi, c.rands, next.key(i)); !ok) {
            return ok.error_info();
        }
    }
    return close_plan(c, plan, n, next);
}

/// The second half: seals the TRANSFER_INIT of `plan` (V flag
/// `want_response`, T = next.t) into `out`, with the SP payloads of
/// `offered` (take_offers' list; RFC 6043 §5.2, §6.1.1: each block lists
/// the Policy nos offered for its crypto session, #P = 0 where none is).
/// Errors: invalid_argument, buffer_too_small, field_too_long,
/// key_length_mismatch and unsupported_algorithm (the held keys against
/// the suite), crypto_backend_failure.
template <crypto::crypto_backend B>
[[nodiscard]] result<bytes_view> seal_update(B& b, mutable_bytes out, const update_context& c, const update_plan& plan,
                                             const key_set& next, bool want_response,
                                             const policy_list& offered = {}) noexcept {
    cs_map map;
    for (std::size_t i = 0; i < plan.sessions.size(); ++i) {
        const auto& s = plan.sessions[i];
        if (!map.add_srtp(s.cs_id, s.ssrc, spi_of(c, next, i))) return errc::invalid_argument;
    }
    offer_listing listing(offered);
    listing.list_in(map.blocks);
    const timestamp t(next.t);
    ticket::sealed_message_builder sb(out);
    // RFC 6043 §5.2: same CSB ID, new timestamp, V flag = response wanted; no RANDs, no TICKET;
    // the sender's identity first.
    sb.header(hdr_builder{data_type::transfer_init, want_response, c.prf, c.csb, map.view(), 1}).add(t.builder());
    const idr_builder idri{id_role::idri, id_type::uri, c.id_i}, idrr{id_role::idrr, id_type::uri, c.id_r};
    if (c.self == party::initiator) {
        sb.add(idri).add(idrr);
    } else {
        sb.add(idrr).add(idri);
    }
    sb.add(listing.sps());
    if (plan.keys.size() != 0) {
        // RFC 6043 §5.2: KEMAC = E(encr_key, (TEK|TGK|GTGK)) with the keys of the last message.
        crypto::protection_keys derived;
        const auto ck = c.last->cipher_keys(b, c.kemac_encr, c.csb, t.iv(), derived);
        if (!ck) return ck.error_info();
        sb.add_kemac(b, c.kemac_encr, *ck, plan.keys.view());
    }
    // RFC 6043 §5.5: TRANSFER_INIT || Identity_i || Identity_r.
    return sb.seal(b, c.mac, c.last->auth_key.view(), {c.id_i, c.id_r});
}

/// A CSB update this end sealed, kept so that the next update of the same
/// shape is made by patching a copy of its bytes instead of building the
/// message again (a conference focus sends every member an update of one
/// shape on each join and leave). Two updates of one shape (same update
/// context, V flag, crypto sessions with the sizes of their SPIs, and KEMAC
/// Key data of the same kinds and key, salt and SPI sizes) differ only in
/// T, the SPIs of the CS ID map, the keys in the KEMAC's plaintext, its
/// Encr data and the V MAC, which patch() writes again; the result is byte
/// for byte seal_update's (tests/ticket_units.cpp). Holds no secret: the
/// kept message stops before its MAC, its Encr data are zeroed, and the
/// kept plaintext is written with zero keys and salts. The identities the
/// MAC covers after the message are kept right after it, so that patch()
/// lays the MAC input out in one copy.
class update_template {
public:
    /// Whether the update of `plan` under `c` has the kept update's shape.
    [[nodiscard]] bool matches(const update_context& c, const update_plan& plan, const key_set& next,
                               bool want_response) const noexcept {
        if (!same_context(c, want_response)) return false;
        if (plan.sessions.size() != m_session_count || plan.keys.size() != m_key_count) return false;
        for (std::size_t i = 0; i < m_session_count; ++i) {
            const auto& s = plan.sessions[i];
            const auto& t = m_sessions[i];
            if (s.cs_id != t.session.cs_id || s.ssrc != t.session.ssrc || spi_of(c, next, i).size() != t.spi.size) return false;
        }
        for (std::size_t j = 0; j < m_key_count; ++j) {
            const auto& k = plan.keys[j];
            if (!m_keys[j].fits(k.kind, k.key, k.salt, k.validity.spi)) return false;
        }
        return true;
    }

    /// Plans a repeat of the update kept (the request note_request saw: the
    /// same sessions and SSRCs, supplied keys for the same sessions with
    /// the same kinds and sizes, V flag, context; no rekey_all) on keys in
    /// force that hold those sessions in place, with the SPI sizes kept:
    /// into `plan` (its keys only: patch() reads no more) and `next`
    /// exactly as plan_update would, without its search, and of the kept
    /// shape. Returns false, changing nothing, when it is no such repeat.
    /// A repeated request's supplied keys have the sizes plan_update
    /// accepted. Errors: plan_update's that a repeat can meet
    /// (stale_timestamp, invalid_argument for two supplied keys with one
    /// SPI, make_session_key's, policy_not_acceptable), in its order.
    template <crypto::crypto_backend B>
    [[nodiscard]] result<bool> replan(B& b, ntp_time now, const update_context& c,
                                      std::span<const crypto_session_spec> sessions,
                                      std::span<const supplied_key> supplied, bool rekey_all, bool want_response,
                                      update_plan& plan, key_set& next) const noexcept {
        const std::size_t n = m_session_count;
        if (!m_repeatable || rekey_all || sessions.size() != n || c.keys.size() != n || supplied.size() != m_key_count) {
            return false;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const auto& s = sessions[i];
            const auto& t = m_sessions[i];
            if (s.cs_id != t.session.cs_id || s.ssrc != t.session.ssrc || c.keys[i].cs.get() != s.cs_id) return false;
            if (!supplied_at(i) && c.keys[i].spi_size != t.spi.size) return false;
        }
        for (std::size_t j = 0; j < m_key_count; ++j) {
            const supplied_key& k = supplied[m_supplied_from[j]];
            if (k.cs_id != sessions[m_supplied_slot[j]].cs_id || !m_keys[j].fits(k.kind, k.key, k.salt, k.spi)) return false;
        }
        if (!same_context(c, want_response)) return false;
        // From here on plan_update's steps, in its order (its searches done by the note).
        if (auto ok = stamp_update(c, now, next); !ok) return ok.error_info();
        for (std::size_t i = 0; i < n; ++i) {
            if (supplied_at(i)) continue;
            next.ssrc[i] = sessions[i].ssrc;
            next.kept[i] = static_cast<std::int8_t>(i);
        }
        for (std::size_t j = 0; j < m_key_count; ++j) {  // in session order
            const supplied_key& k = supplied[m_supplied_from[j]];
            const std::size_t i = m_supplied_slot[j];
            if (auto ok = add_key_data(plan.keys, k.kind, k.key, k.salt, k.spi); !ok) return ok.error_info();
            if (auto ok = supplied_slot(b, c, sessions[i], k, next, i); !ok) return ok.error_info();
        }
        if (auto ok = close_plan(c, plan, n, next); !ok) return ok.error_info();
        return true;
    }

    /// Notes the request plan_update planned into `plan`, just built or
    /// patched as the kept shape, as the one replan() repeats: when its
    /// sessions (none added) are the keys in force, in place, and it draws
    /// no keys.
    void note_request(const update_context& c, std::span<const crypto_session_spec> sessions,
                      std::span<const supplied_key> supplied, bool rekey_all, const update_plan& plan) noexcept {
        m_repeatable = false;
        const std::size_t n = sessions.size();
        if (m_bytes.empty() || rekey_all || plan.sessions.size() != n || c.keys.size() != n) return;
        // No session added: each supplied key keys a listed session, one each (plan_update refuses
        // two for one), so the KEMAC's Key data are the supplied keys in session order.
        std::size_t j = 0;
        m_supplied_mask = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (c.keys[i].cs.get() != sessions[i].cs_id) return;
            for (std::size_t p = 0; p < supplied.size(); ++p) {
                if (supplied[p].cs_id != sessions[i].cs_id) continue;
                m_supplied_from[j] = static_cast<std::uint8_t>(p);
                m_supplied_slot[j++] = static_cast<std::uint8_t>(i);
                m_supplied_mask |= std::uint32_t{1} << i;
                break;
            }
        }
        m_repeatable = true;
    }

    /// The update of `plan` (matches() is true) into `out`. Bytes of `out`
    /// past the message may be used as scratch for the MAC input (they hold
    /// no secret). Errors: buffer_too_small, key_length_mismatch,
    /// unsupported_algorithm, crypto_backend_failure.
    template <crypto::crypto_backend B>
    [[nodiscard]] result<bytes_view> patch(B& b, mutable_bytes out, const update_context& c, const update_plan& plan,
                                           const key_set& next) const noexcept {
        if (out.size() < m_message_size) return errc::buffer_too_small;
        const mutable_bytes msg = out.first(m_message_size);
        const std::size_t head = m_v.at;  // the message up to its MAC field
        // The identities the V MAC covers after the message go along, where `out` has room.
        const std::size_t ids = std::size_t{m_id_i.size} + m_id_r.size;
        const bool room = out.size() - head >= ids;
        const std::size_t copied = room ? head + ids : head;
        copy_bytes(out.first(copied), bytes_view(m_bytes).first(copied));
        const timestamp t(next.t);
        put(msg, m_t, t.bytes);
        for (std::size_t i = 0; i < m_session_count; ++i) put(msg, m_sessions[i].spi, spi_of(c, next, i));
        if (m_encr.size != 0) {
            // RFC 6043 §5.2: KEMAC = E(encr_key, (TEK|TGK|GTGK)) with the keys of the last message.
            crypto::protection_keys derived;
            const auto ck = c.last->cipher_keys(b, c.kemac_encr, c.csb, t.iv(), derived);
            if (!ck) return ck.error_info();
            std::array<std::uint8_t, ticket::max_kemac_plain> scratch;
            const bytes_view kept_plain = bytes_view(m_bytes).subspan(head + ids);
            const mutable_bytes plain(scratch.data(), kept_plain.size());
            copy_bytes(plain, kept_plain);
            for (std::size_t j = 0; j < m_key_count; ++j) {
                put(plain, m_keys[j].key, plan.keys[j].key);
                put(plain, m_keys[j].salt, plan.keys[j].salt);
                put(plain, m_keys[j].spi, plan.keys[j].validity.spi);
            }
            const auto encrypted = crypto::kemac_encrypt(b, c.kemac_encr, *ck, plain, msg.subspan(m_encr.at, m_encr.size));
            b.wipe(plain);
            if (!encrypted) return encrypted.error_info();
        }
        // RFC 6043 §5.5: TRANSFER_INIT || Identity_i || Identity_r (the kept IDR data, which
        // same_context found equal to the context's). With room, one piece (one HMAC update): the
        // tag goes over the copied identities once the input is absorbed (crypto_backend's
        // hmac_update).
        const std::array<bytes_view, 1> joined{bytes_view(out.first(head + ids))};
        const std::array<bytes_view, 3> apart{bytes_view(msg.first(head)), c.id_i, c.id_r};
        const auto input = room ? std::span<const bytes_view>(joined) : std::span<const bytes_view>(apart);
        if (auto r = crypto::compute_mac(b, c.mac, c.last->auth_key.view(), input, msg.subspan(head, m_v.size)); !r) {
            return r.error_info();
        }
        return bytes_view(msg);
    }

    /// Keeps `sealed`, seal_update's output for `plan`, as the template (none
    /// when it does not parse as the update `c.self` sends, or is over 64 KiB).
    void keep(bytes_view sealed, const update_context& c, const update_plan& plan, bool want_response) {
        m_bytes.clear();
        m_repeatable = false;
        if (c.self == party::initiator) {
            keep_as<ticket::transfer_init_update_view>(sealed, c, plan, want_response);
        } else {
            keep_as<ticket::transfer_init_update_by_responder_view>(sealed, c, plan, want_response);
        }
    }

private:
    /// Where a field lies in the kept message or plaintext.
    struct span_at {
        std::uint16_t at = 0, size = 0;
    };
    struct session_at {
        crypto_session_spec session;
        span_at spi;  ///< its SPI in the map
    };
    /// One Key data of the KEMAC: its kind, and where its key, salt and SPI lie in the plaintext.
    struct key_at {
        key_data_type kind{};
        span_at key, salt, spi;
        /// Whether a key of `k` with this key, salt and SPI has this entry's shape.
        [[nodiscard]] bool fits(key_data_type k, bytes_view key_, bytes_view salt_, bytes_view spi_) const noexcept {
            return k == kind && key_.size() == key.size && salt_.size() == salt.size && spi_.size() == spi.size;
        }
    };
    /// The kept update's context: the same end, CSB, algorithms, V flag and identities.
    [[nodiscard]] bool same_context(const update_context& c, bool want_response) const noexcept {
        return !m_bytes.empty() && c.self == m_self && c.csb == m_csb && c.prf == m_prf && c.mac == m_mac &&
               c.kemac_encr == m_kemac_encr && want_response == m_want_response && equal_bytes(field(m_id_i), c.id_i) &&
               equal_bytes(field(m_id_r), c.id_r);
    }
    [[nodiscard]] bool supplied_at(std::size_t i) const noexcept { return ((m_supplied_mask >> i) & 1U) != 0; }
    [[nodiscard]] bytes_view field(span_at f) const noexcept { return bytes_view(m_bytes).subspan(f.at, f.size); }
    /// Writes `v` (f.size bytes) at f.at; a 4-byte SPI and an 8-byte T as one store each.
    static void put(mutable_bytes to, span_at f, bytes_view v) noexcept {
        std::uint8_t* at = to.data() + f.at;
        switch (f.size) {
            case 4: std::memcpy(at, v.data(), 4); break;
            case 8: std::memcpy(at, v.data(), 8); break;
            default: copy_bytes(mutable_bytes(at, f.size), v);
        }
    }
    static span_at at(bytes_view whole, bytes_view part) noexcept {
        if (part.empty()) return {};
        return {static_cast<std::uint16_t>(part.data() - whole.data()), static_cast<std::uint16_t>(part.size())};
    }

    template <class View>
    void keep_as(bytes_view sealed, const update_context& c, const update_plan& plan, bool want_response) {
        if (sealed.size() > 0xFFFF) return;
        const auto m = View::parse(sealed);
        if (!m || !m->idri() || !m->idrr()) return;
        std::size_t n = 0;
        for (const auto& blk : generic_id_map(m->header().map_info())) {
            if (n == plan.sessions.size()) return;
            m_sessions[n] = {plan.sessions[n], at(sealed, blk.spi)};
            ++n;
        }
        if (n != plan.sessions.size()) return;
        // The KEMAC's plaintext as build_protected_kemac writes it, with zero keys and salts of
        // the same sizes in place of the real ones: the layout without the secrets.
        static constexpr std::array<std::uint8_t, 64> zeros{};
        inline_list<key_data_builder, max_crypto_sessions> blank;
        for (const auto& k : plan.keys) {
            (void)blank.push_back({k.kind, bytes_view(zeros).first(k.key.size()), bytes_view(zeros).first(k.salt.size()),
                                   k.validity});
        }
        std::array<std::uint8_t, ticket::max_kemac_plain> scratch;
        byte_writer pw(scratch);
        chain_writer cw(pw, std::nullopt);
        cw.add(blank.view());
        if (pw.failed()) return;
        const bytes_view plain(scratch.data(), pw.size());
        const auto list = key_data_list::parse(plain);
        if (!list) return;
        std::size_t k = 0;
        for (const auto& d : *list) m_keys[k++] = {d.kind(), at(plain, d.key()), at(plain, d.salt()), at(plain, d.validity().spi)};
        m_self = c.self;
        m_csb = c.csb;
        m_prf = c.prf;
        m_mac = c.mac;
        m_kemac_encr = c.kemac_encr;
        m_want_response = want_response;
        m_session_count = static_cast<std::uint8_t>(n);
        m_key_count = static_cast<std::uint8_t>(k);
        m_message_size = static_cast<std::uint16_t>(sealed.size());
        m_t = at(sealed, m->t().value());
        m_id_i = at(sealed, m->idri()->data());
        m_id_r = at(sealed, m->idrr()->data());
        m_encr = m->kemac() ? at(sealed, m->kemac()->encrypted_data()) : span_at{};
        m_v = at(sealed, m->v()->value());
        // The V MAC ends the message (the view's schema closes with V, whose MAC is its last
        // field): the message up to it, its IDRi and IDRr data (the identities its MAC covers
        // after it), then the plaintext.
        static_assert(View::schema.closing_payload, "an update's V closes it");
        const bytes_view id_i = m->idri()->data(), id_r = m->idrr()->data();
        m_bytes.reserve(m_v.at + id_i.size() + id_r.size() + plain.size());
        m_bytes.assign(sealed.begin(), sealed.begin() + m_v.at);
        m_bytes.insert(m_bytes.end(), id_i.begin(), id_i.end());
        m_bytes.insert(m_bytes.end(), id_r.begin(), id_r.end());
        m_bytes.insert(m_bytes.end(), plain.begin(), plain.end());
        // The Encr data (the plaintext under Encr alg NULL) is zeroed.
        std::fill_n(m_bytes.begin() + m_encr.at, m_encr.size, 0);
    }

    // The fields matches() and patch() read first, together.
    /// The message up to its V MAC field, the identities the MAC covers
    /// after it (its IDRi and IDRr data again), then the KEMAC's plaintext;
    /// empty: no template.
    std::vector<std::uint8_t> m_bytes;
    party m_self{};
    prf_func m_prf{};
    mac_alg m_mac{};
    encr_alg m_kemac_encr{};
    bool m_want_response = false;
    std::uint8_t m_session_count = 0, m_key_count = 0;
    std::uint16_t m_message_size = 0;
    csb_id m_csb{};
    span_at m_t, m_id_i, m_id_r, m_encr, m_v;  ///< T value, IDRi / IDRr data, KEMAC Encr data, V MAC
    std::array<session_at, max_crypto_sessions> m_sessions;
    std::array<key_at, max_crypto_sessions> m_keys;
    // The request note_request saw: KEMAC entry j is supplied[m_supplied_from[j]], for session
    // m_supplied_slot[j]; bit i of m_supplied_mask: session i has a supplied key.
    bool m_repeatable = false;
    static_assert(max_crypto_sessions <= 32, "m_supplied_mask has a bit per session");
    std::uint32_t m_supplied_mask = 0;
    std::array<std::uint8_t, max_crypto_sessions> m_supplied_from, m_supplied_slot;
};

/// The security policy of each crypto session of `plan` once an update
/// without answer offering `offered` takes effect (RFC 6043 §5.2, §6.1.1,
/// as open_update_as reads such an update at the other end): the first
/// policy offered for it, else the one in force (of its Prot type), else
/// none.
[[nodiscard]] inline policy_list policies_without_answer(const update_context& c, const update_plan& plan,
                                                         const policy_list& offered) {
    policy_list after;
    for (const auto& s : plan.sessions) {
        auto sp = offered.for_session(s.cs_id);
        if (!sp) sp = policy_in_force(c.policies, generic_id_block{s.cs_id, prot_type::srtp, false, {}, {}, {}});
        if (sp) after.add(s.cs_id, *sp);
    }
    return after;
}

/// Builds the TRANSFER_INIT of a CSB update started by `c.self` into `out`
/// and the keys it sets in `next` (plan_update, then seal_update). `sessions`
/// is the bundle after the update (a CS ID not in force is added);
/// `supplied` are new keys for some of them (a supplied key's session is
/// added when `sessions` lacks it); with `rekey_all` every session without
/// a supplied key gets a fresh random key of its kind and length. New keys
/// travel in a KEMAC. `offers` are security policies the update offers in
/// SP payloads (RFC 6043 §5.2: "handled as in the initial exchange";
/// take_offers' rules, CS IDs of the update's sessions); the answer names
/// one per session (check_answer_map), and without an answer each session
/// runs under the first offered for it (policies_without_answer, into
/// next.policies). With `tpl`, an update without offers of the shape `tpl`
/// holds is patched from it, and any other becomes its new template; a
/// repeat of the request `tpl` last saw (a focus rekeying a member again)
/// is planned by update_template::replan, without plan_update's search. An
/// update with offers is built in full and leaves `tpl` as it was.
/// Errors: invalid_argument (no session, too many, a supplied key of
/// another kind than a session key, a salt that does not fit the kind, an
/// empty or repeated SPI, offers take_offers refuses), key_too_short,
/// missing_key (an added TEK session without a key), policy_not_acceptable
/// (keys to send without the sender's L / M flag), stale_timestamp (`now`
/// not after the bundle's last T), buffer_too_small, field_too_long,
/// key_length_mismatch and unsupported_algorithm (the held keys against the
/// suite), crypto_backend_failure.
template <crypto::crypto_backend B, random_generator R>
[[nodiscard]] result<bytes_view> build_update(B& b, R& rng, ntp_time now, mutable_bytes out, const update_context& c,
                                              std::span<const crypto_session_spec> sessions,
                                              std::span<const supplied_key> supplied, bool rekey_all,
                                              bool want_response, key_set& next, update_template* tpl = nullptr,
                                              std::span<const policy_offer> offers = {}) noexcept {
    update_plan plan;
    if (!offers.empty()) {
        if (auto ok = plan_update(b, rng, now, c, sessions, supplied, rekey_all, plan, next); !ok) return ok.error_info();
        policy_list offered;
        if (auto ok = take_offers(offers, plan.sessions.view(), offered); !ok) return ok.error_info();
        if (!want_response) next.policies = policies_without_answer(c, plan, offered);
        return seal_update(b, out, c, plan, next, want_response, offered);
    }
    if (tpl) {
        const auto repeat = tpl->replan(b, now, c, sessions, supplied, rekey_all, want_response, plan, next);
        if (!repeat) return repeat.error_info();
        if (*repeat) return tpl->patch(b, out, c, plan, next);
    }
    if (auto ok = plan_update(b, rng, now, c, sessions, supplied, rekey_all, plan, next); !ok) return ok.error_info();
    if (!tpl) return seal_update(b, out, c, plan, next, want_response);
    const bool patched = tpl->matches(c, plan, next, want_response);
    const auto sealed = patched ? tpl->patch(b, out, c, plan, next) : seal_update(b, out, c, plan, next, want_response);
    if (!sealed) return sealed;
    if (!patched) tpl->keep(*sealed, c, plan, want_response);
    tpl->note_request(c, sessions, supplied, rekey_all, plan);
    return sealed;
}

/// The Key data of a received update's KEMAC that crypto session `blk`
/// names by its SPI (RFC 6043 §6.2.1), or nullopt. Errors: missing_key (the
/// named Key data is not a session key).
[[nodiscard]] inline result<std::optional<key_data_view>> named_key(const std::optional<key_data_list>& fresh_keys,
                                                                    const generic_id_block& blk) noexcept {
    if (fresh_keys && !blk.spi.empty()) {
        for (const auto& k : *fresh_keys) {
            if (!equal_bytes(k.validity().spi, blk.spi)) continue;
            if (!is_session_key(k.kind())) return errc::missing_key;
            return std::optional<key_data_view>(k);
        }
    }
    return std::optional<key_data_view>{};
}

/// Session key `out` of crypto session `blk` from Key data `k` of an
/// update's KEMAC (D4 for a TGK / GTGK with the bundle's RANDs, §5.1.3).
template <crypto::crypto_backend B>
[[nodiscard]] result<void> key_from_update(B& b, const update_context& c, const generic_id_block& blk,
                                           const key_data_view& k, session_key& out) noexcept {
    return make_session_key(b, c.prf, session_of(blk), k.kind(), k.key(), k.salt(), k.validity().spi, c.rands, out);
}

/// Slot `i` of `next` for crypto session `blk` after a received update:
/// the KEMAC key its SPI names, else the key it kept (kept_key). Errors:
/// missing_key (RFC 6043 §6.1.1: the block names "the SPI (or MKI)
/// corresponding to the session key"; an SPI that neither a KEMAC key nor
/// the key the session keeps, or for an added session the key it is derived
/// from, has names no key), kept_key's.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> received_key(B& b, const update_context& c, const generic_id_block& blk,
                                        const std::optional<key_data_list>& fresh_keys, key_set& next,
                                        std::size_t i) noexcept {
    const auto k = named_key(fresh_keys, blk);
    if (!k) return k.error_info();
    if (!*k) {
        if (!blk.spi.empty() && !c.keys.empty()) {
            const auto at = c.index_of(blk.cs_id, i);
            if (!equal_bytes(c.keys[at ? *at : 0].spi_view(), blk.spi)) return errc::missing_key;
        }
        return kept_key(b, c, session_of(blk), next, i);
    }
    next.kept[i] = key_set::made_here;
    next.ssrc[i] = session_of(blk).ssrc;
    return key_from_update(b, c, blk, **k, next.key(i));
}

/// The T of the TRANSFER_RESP answering an update of T `update_t` at `now`:
/// `now`, or just after `update_t` when `now` is not after it. An answer
/// carrying a KEMAC is encrypted with the same keys as the update (RFC 6043
/// §5.2), and its T feeds the IV (RFC 3830 §4.2.3): an equal T would repeat
/// the update's key stream.
[[nodiscard]] inline ntp_time answer_time(ntp_time update_t, ntp_time now) noexcept {
    return update_t < now ? now : update_t.next_tick();
}

/// Checks the header and identities of an update message against the
/// bundle. Errors: header_mismatch, unexpected_payload (a RAND),
/// mac_not_allowed, identity_mismatch.
template <class View>
[[nodiscard]] result<void> check_update_fields(const View& m, const update_context& c) noexcept {
    const auto hdr = m.header();
    // RFC 6043 §5.2: "The new message exchange MUST use the same CSB ID as the initial exchange".
    if (hdr.csb() != c.csb || hdr.prf() != c.prf) return failure{errc::header_mismatch, 4};
    // RFC 6043 §5.2: "New RANDs or TICKETs MUST NOT be included."
    if (m.message().count(payload_type::randr) != 0) return errc::unexpected_payload;
    if (m.v()->kind() != c.mac) return errc::mac_not_allowed;
    if (m.idri() && !equal_bytes(m.idri()->data(), c.id_i)) return errc::identity_mismatch;
    if (m.idrr() && !equal_bytes(m.idrr()->data(), c.id_r)) return errc::identity_mismatch;
    return {};
}

/// Checks the keys this end sends in its answer to update `hdr` (RFC 6043
/// §5.2, [KEMAC] in TRANSFER_RESP): each names a crypto session of the
/// update, and no other session of it has the key's SPI (the peer finds
/// each key by its SPI). Errors: policy_not_acceptable (without this end's
/// L / M flag), bad_crypto_sessions (a session the update does not list),
/// invalid_argument (an SPI another session of the update has).
[[nodiscard]] inline result<void> check_answer_keys(const update_context& c, const hdr_view& hdr,
                                                    std::span<const owned_key> answer_keys) noexcept {
    if (answer_keys.empty() || !hdr.v_flag()) return {};
    if (!c.may_send_kemac(c.self)) return errc::policy_not_acceptable;
    if (hdr.map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
    for (const auto& k : answer_keys) {
        bool listed = false;
        for (const auto& blk : generic_id_map(hdr.map_info())) {
            if (blk.cs_id == k.cs_id) {
                listed = true;
            } else if (equal_bytes(blk.spi, k.view(false).spi)) {
                return errc::invalid_argument;
            }
        }
        if (!listed) return errc::bad_crypto_sessions;
    }
    return {};
}

/// The length of the session key of slot `i` of `next`, a received
/// update's (kept or new; it borrows no supplied key).
[[nodiscard]] inline std::size_t key_length_of(const update_context& c, const key_set& next, std::size_t i) noexcept {
    return next.kept[i] >= 0 ? c.keys[static_cast<std::size_t>(next.kept[i])].tek.size() : next.key(i).tek.size();
}

/// Takes the keys this end sends in its answer to an update (checked by
/// check_answer_keys) into `next`, each for the block of `map` (the
/// update's) of its crypto session, which then names the key's SPI (RFC
/// 6043 §5.2, as TRANSFER_RESP's KEMAC keys do, §4.2.2.3). Errors:
/// bad_crypto_sessions, the key derivation's.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> take_answer_keys(B& b, const update_context& c, std::span<const owned_key> answer_keys,
                                            cs_map& map, key_set& next) noexcept {
    for (const auto& k : answer_keys) {
        const auto key = k.view(false);
        generic_id_block* blk = map.find(k.cs_id);
        if (!blk) return errc::bad_crypto_sessions;  // check_answer_keys refuses it first
        blk->spi = key.spi;
        const auto i = static_cast<std::size_t>(blk - map.blocks.mutable_view().data());
        next.kept[i] = key_set::made_here;
        if (auto ok = make_session_key(b, c.prf, session_of(*blk), key.kind, key.key, key.salt, key.spi, c.rands,
                                       next.key(i));
            !ok) {
            return ok;
        }
    }
    return {};
}

/// Seals the TRANSFER_RESP answering update `update` (header `hdr`) into
/// `out`. RFC 6043 §5.2: HDR, T, [IDRr] (to the Initiator's update) or
/// [IDRi] (to the Responder's), {SP}, [KEMAC], V, with the keys of the last
/// message of the initial exchange. `map` is the update's, each block
/// naming its one security policy (#P = 1, §6.1.1) and the SPI of its key;
/// `own_sps` the SP payloads those numbers name that the update does not
/// carry. With `answer_keys` (taken into `next` by take_answer_keys) the
/// KEMAC carries them and T is answer_time (next.t then). Errors:
/// invalid_argument, buffer_too_small, field_too_long,
/// crypto_backend_failure.
template <crypto::crypto_backend B>
[[nodiscard]] result<bytes_view> seal_update_answer(B& b, ntp_time now, mutable_bytes out, const update_context& c,
                                                    const hdr_view& hdr, const cs_map& map,
                                                    std::span<const sp_builder> own_sps, bytes_view update,
                                                    std::span<const owned_key> answer_keys, key_set& next) noexcept {
    const ntp_time at = answer_keys.empty() ? now : answer_time(next.t, now);
    const timestamp t(at);
    inline_list<key_data_builder, max_crypto_sessions> kb;
    for (const auto& k : answer_keys) {
        const auto key = k.view(false);
        if (auto ok = add_key_data(kb, key.kind, key.key, key.salt, key.spi); !ok) return ok.error_info();
    }
    if (!answer_keys.empty()) next.t = at;
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::transfer_resp, false, hdr.prf(), hdr.csb(), map.view(), hdr.version()})
        .add(t.builder())
        .add(c.self == party::responder ? idr_builder{id_role::idrr, id_type::uri, c.id_r}
                                        : idr_builder{id_role::idri, id_type::uri, c.id_i})
        .add(own_sps);
    if (!answer_keys.empty()) {
        // RFC 6043 §5.2: KEMAC = E(encr_key, (TEK|TGK|GTGK)), NULL MAC, with the keys of the last message.
        crypto::protection_keys derived;
        const auto ck = c.last->cipher_keys(b, c.kemac_encr, c.csb, t.iv(), derived);
        if (!ck) return ck.error_info();
        sb.add_kemac(b, c.kemac_encr, *ck, kb.view());
    }
    // RFC 6043 §5.5: TRANSFER_RESP || TRANSFER_INIT.
    return sb.seal(b, c.mac, c.last->auth_key.view(), {update});
}

/// Handles the TRANSFER_INIT of a CSB update the peer of `c.self` started:
/// verifies it, takes its keys into `next`, chooses the security policy of
/// each crypto session (response_policies::choose with the policies in
/// force, RFC 6043 §5.2 "handled as in the initial exchange") into
/// `next.policies` and, when its V flag asks for one, writes the
/// TRANSFER_RESP into `out` (returned; empty otherwise), carrying
/// `answer_keys` in a KEMAC when there are any (seal_update_answer). The
/// replay check comes last: a refused update leaves no trace.
/// Errors: the parse / schema errors, header_mismatch, unexpected_payload
/// (a RAND, or a KEMAC its sender may not send), mac_not_allowed,
/// identity_mismatch, auth_failure, check_answer_keys' errors, the policy's
/// suite errors, key_unwrap_failure, bad_crypto_sessions, missing_key,
/// sp_not_found, sp_prot_mismatch, sp_not_acceptable (or what the policy
/// hooks return), timestamp_out_of_window, replayed_message,
/// replay_cache_full, stale_timestamp (T not newer than the last message
/// under the bundle's keys), buffer_too_small, crypto_backend_failure.
template <crypto::crypto_backend B, common_policy P, class View>
[[nodiscard]] result<bytes_view> open_update_as(B& b, const P& policy, bytes_view in, ntp_time now, mutable_bytes out,
                                                const update_context& c, std::span<const owned_key> answer_keys,
                                                key_set& next) noexcept {
    const auto m = View::parse(in);
    if (!m) return m.error_info();
    anticipate_fresh(policy, m->message(), m->mac());  // the replay check after the MAC
    if (auto ok = check_update_fields(*m, c); !ok) return ok.error_info();
    // RFC 6043 §5.5: TRANSFER_INIT || Identity_i || Identity_r, with the keys of §5.2.
    if (auto ok = ticket::verify_message_mac(b, m->message(), c.mac, c.last->auth_key.view(),
                                             ticket::v_inputs{.identity_i = identity(c.id_i), .identity_r = identity(c.id_r)});
        !ok) {
        return ok.error_info();
    }
    // RFC 6043 §5.2: an update's crypto sessions are "handled as in the initial exchange", in the
    // GENERIC-ID map the Ticket Transfer exchange uses (§6.1; the Empty map is for Request and
    // Resolve messages without crypto sessions, §4.2.1.1, §4.2.3.1).
    if (m->header().map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
    if (auto ok = check_answer_keys(c, m->header(), answer_keys); !ok) return ok.error_info();
    const auto sent_t = ntp_time::from_payload(m->t().kind(), m->t().value());
    if (!sent_t) return errc::stale_timestamp;
    next.t = *sent_t;
    const party sender = c.self == party::initiator ? party::responder : party::initiator;
    if (m->kemac() && !c.may_send_kemac(sender)) return errc::unexpected_payload;
    const auto hdr = m->header();
    std::array<std::uint8_t, ticket::max_kemac_plain> plain{};
    wipe_on_exit<B> wipe_plain(&b, plain);
    std::optional<key_data_list> fresh_keys;
    if (m->kemac()) {
        if (m->kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
        if (auto ok = policy.check_suite(algorithm_suite{c.prf, m->kemac()->encryption(), c.mac}); !ok) {
            return ok.error_info();
        }
        crypto::protection_keys derived;
        const auto ck = c.last->cipher_keys(b, m->kemac()->encryption(), hdr.csb(), iv_time(m->t()), derived);
        if (!ck) return ck.error_info();
        auto list = crypto::open_kemac(b, *m->kemac(), *ck, plain);
        if (!list) return list.error_info();
        fresh_keys.emplace(*list);
    }
    cs_map map;  // the update's crypto sessions, as the answer names them
    for (const auto& blk : generic_id_map(hdr.map_info())) {
        if (!map.add(blk)) return errc::bad_crypto_sessions;
        if (auto ok = received_key(b, c, blk, fresh_keys, next, map.size() - 1); !ok) return ok.error_info();
    }
    if (map.size() == 0) return errc::bad_crypto_sessions;
    next.count = map.size();
    if (hdr.v_flag()) {
        if (auto ok = take_answer_keys(b, c, answer_keys, map, next); !ok) return ok.error_info();
    }
    // RFC 6043 §5.2: "The crypto sessions negotiation (#CS field, CS ID map info field, and SP payloads)
    // are handled as in the initial exchange"; §6.1.1: "In response messages, #P SHALL always be exactly 1."
    response_policies sps;
    if (auto ok = sps.choose(policy, m->message(), map.view(), [&](std::size_t i) { return key_length_of(c, next, i); },
                             c.suite(), hdr.v_flag(), offered_choice{}, c.policies);
        !ok) {
        return ok.error_info();
    }
    next.policies = std::move(sps.negotiated);
    if (auto ok = fresh(policy, m->message(), m->t(), m->mac(), now); !ok) return ok.error_info();
    // RFC 6043 §5.2: "MUST use new timestamps": newer than every message under these keys.
    if (!(c.last->t < *sent_t)) return errc::stale_timestamp;
    if (!hdr.v_flag()) return bytes_view{};
    sps.name_in(map.blocks.mutable_view());
    return seal_update_answer(b, now, out, c, hdr, map, sps.own(), in, answer_keys, next);
}

/// open_update_as with the composition the peer of `c.self` sends.
template <crypto::crypto_backend B, common_policy P>
[[nodiscard]] result<bytes_view> open_update(B& b, const P& policy, bytes_view in, ntp_time now, mutable_bytes out,
                                             const update_context& c, std::span<const owned_key> answer_keys,
                                             key_set& next) noexcept {
    if (c.self == party::responder) {
        return open_update_as<B, P, ticket::transfer_init_update_view>(b, policy, in, now, out, c, answer_keys, next);
    }
    return open_update_as<B, P, ticket::transfer_init_update_by_responder_view>(b, policy, in, now, out, c, answer_keys,
                                                                                next);
}

/// The keys of the KEMAC in the answer `m` to our update `sent`, taken into
/// `keys` (slot i: the i-th crypto session of the update) for the sessions
/// whose SPI names one (RFC 6043 §5.2, handled as in the initial exchange's
/// TRANSFER_RESP, §4.2.2.3); bit i of the result set for each. The answer's
/// CS ID map lists the update's crypto sessions in its order
/// (check_answer_map); a session it does not key names the update's SPI
/// (or none).
/// Errors: mac_not_allowed, the policy's suite errors,
/// stale_timestamp (T not after the update's `sent_t`: the same keys and T
/// would repeat its key stream), key_unwrap_failure, missing_key,
/// crypto_backend_failure.
template <crypto::crypto_backend B, common_policy P, class View>
[[nodiscard]] result<std::uint32_t> answer_keys_of(B& b, const P& policy, const View& m, const hdr_view& sent,
                                                   ntp_time sent_t, const update_context& c,
                                                   std::array<session_key, max_crypto_sessions>& keys) noexcept {
    const kemac_view& kemac = *m.kemac();
    const auto hdr = m.header();
    if (kemac.mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
    if (auto ok = policy.check_suite(algorithm_suite{c.prf, kemac.encryption(), c.mac}); !ok) return ok.error_info();
    const auto t = ntp_time::from_payload(m.t().kind(), m.t().value());
    if (!t || !(sent_t < *t)) return errc::stale_timestamp;
    crypto::protection_keys derived;
    const auto ck = c.last->cipher_keys(b, kemac.encryption(), hdr.csb(), iv_time(m.t()), derived);
    if (!ck) return ck.error_info();
    std::array<std::uint8_t, ticket::max_kemac_plain> plain{};
    wipe_on_exit<B> wipe_plain(&b, plain);
    const auto list = crypto::open_kemac(b, kemac, *ck, plain);
    if (!list) return list.error_info();
    const std::optional<key_data_list> fresh_keys(*list);
    // The maps pair one to one (check_answer_map), and `sent` is our own update (seal_update): at most
    // max_crypto_sessions blocks, so `keys` is indexed in range.
    std::uint32_t taken = 0;
    std::size_t i = 0;
    auto ours = generic_id_map(sent.map_info()).begin();
    for (const auto& blk : generic_id_map(hdr.map_info())) {
        const auto k = named_key(fresh_keys, blk);
        if (!k) return k.error_info();
        if (*k) {
            if (auto ok = key_from_update(b, c, blk, **k, keys[i]); !ok) return ok.error_info();
            taken |= std::uint32_t{1} << i;
        } else if (!blk.spi.empty() && !equal_bytes(blk.spi, ours->spi)) {
            return errc::missing_key;  // RFC 6043 §6.1.1: an SPI no key has (neither the update's nor a KEMAC's)
        }
        ++ours;
        ++i;
    }
    return taken;
}

/// The security policies our update `sent` (seal_update's, so well formed)
/// offered: for each crypto session, the SP payloads its block lists, in
/// its order (none when no block lists one).
[[nodiscard]] inline policy_list offers_of(bytes_view sent, const hdr_view& sent_hdr) {
    policy_list offered;
    const auto blocks = generic_id_map(sent_hdr.map_info());
    if (std::none_of(blocks.begin(), blocks.end(), [](const auto& blk) { return !blk.policies.empty(); })) return offered;
    const auto m = message_view::parse(sent);
    if (!m) return offered;
    for (const auto& blk : blocks) {
        for (const std::uint8_t no : blk.policies) {
            if (const auto sp = sp_numbered(*m, no)) offered.add(blk.cs_id, *sp);
        }
    }
    return offered;
}

/// Checks the CS ID map of the answer `m` to our update `sent` (RFC 6043
/// §5.2, "handled as in the initial exchange"): a GENERIC-ID map listing the
/// update's crypto sessions, in its order, with their SSRCs, each block
/// naming one security policy (check_answer against the update's offers:
/// one offered for the session is taken, the session's policy in force is
/// taken as it is, another one is a changed policy), which go into
/// `chosen`. `offered` are the update's offers (offers_of). Errors:
/// bad_crypto_sessions, check_answer's.
template <common_policy P>
[[nodiscard]] result<void> check_answer_map(const P& policy, const message_view& m, const hdr_view& sent,
                                            const policy_list& offered, const update_context& c,
                                            policy_list& chosen) noexcept {
    const auto hdr = m.header();
    if (hdr.map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
    sp_numbers resp_sps(m);
    auto ours = generic_id_map(sent.map_info()).begin();
    const auto ours_end = generic_id_map(sent.map_info()).end();
    for (const auto& blk : generic_id_map(hdr.map_info())) {
        if (ours == ours_end) return errc::bad_crypto_sessions;
        const auto mine = session_of(*ours), theirs = session_of(blk);
        if (mine.cs_id != theirs.cs_id || mine.ssrc != theirs.ssrc) return errc::bad_crypto_sessions;
        const auto sp = check_answer(policy, resp_sps, blk, offered, c.suite(), policy_in_force(c.policies, blk));
        if (!sp) return sp.error_info();
        chosen.add(blk.cs_id, *sp);
        ++ours;
    }
    if (ours != ours_end) return errc::bad_crypto_sessions;
    return {};
}

/// Verifies the TRANSFER_RESP answering the update `sent` that `c.self`
/// started; the security policies it names (check_answer_map) become
/// `next.policies`, keys its KEMAC carries replace those of `next` (the
/// update's keys, answer_keys_of), and `next.t` becomes its T. Nothing
/// changes on error. Errors: check_answer_map's, answer_keys_of's, and the
/// parse / schema errors, header_mismatch, unexpected_payload (a KEMAC the
/// answering end may not send), mac_not_allowed, identity_mismatch,
/// auth_failure, timestamp_out_of_window, replayed_message,
/// replay_cache_full.
template <crypto::crypto_backend B, common_policy P, class View>
[[nodiscard]] result<void> verify_update_resp_as(B& b, const P& policy, bytes_view in, ntp_time now,
                                                 const update_context& c, bytes_view sent, key_set& next) noexcept {
    const auto m = View::parse(in);
    if (!m) return m.error_info();
    anticipate_fresh(policy, m->message(), m->mac());  // the replay check after the MAC
    const auto init = hdr_view::parse(sent);
    if (!init || m->header().version() != init->version()) return failure{errc::header_mismatch, 3};
    if (auto ok = check_update_fields(*m, c); !ok) return ok.error_info();
    // RFC 6043 §5.2: "If indicated by the Ticket Policy (L and M flags), KEMAC payloads SHALL NOT be included."
    const party answering = c.self == party::initiator ? party::responder : party::initiator;
    if (m->kemac() && !c.may_send_kemac(answering)) return errc::unexpected_payload;
    // RFC 6043 §5.2: "Both messages SHALL be protected with the same keys"; §5.5: || TRANSFER_INIT.
    if (auto ok = ticket::verify_message_mac(b, m->message(), c.mac, c.last->auth_key.view(),
                                             ticket::v_inputs{.initial_message = sent});
        !ok) {
        return ok.error_info();
    }
    policy_list chosen;
    if (auto ok = check_answer_map(policy, m->message(), *init, offers_of(sent, *init), c, chosen); !ok) {
        return ok.error_info();
    }
    std::array<session_key, max_crypto_sessions> keys;
    std::uint32_t taken = 0;
    if (m->kemac()) {
        const auto k = answer_keys_of(b, policy, *m, *init, next.t, c, keys);
        if (!k) return k.error_info();
        taken = *k;
    }
    if (auto ok = fresh(policy, m->message(), m->t(), m->mac(), now); !ok) return ok.error_info();
    // Commit: the answer's keys take the slots they key; its T is the latest under the bundle's keys.
    if (taken != 0) next.t = *ntp_time::from_payload(m->t().kind(), m->t().value());
    for (; taken != 0; taken &= taken - 1) {
        const auto i = static_cast<std::size_t>(std::countr_zero(taken));
        next.kept[i] = key_set::made_here;
        next.key(i) = std::move(keys[i]);
    }
    next.policies = std::move(chosen);
    return {};
}

/// Verifies the TRANSFER_RESP answering the update `sent` that `c.self`
/// started (verify_update_resp_as with the composition the peer sends).
template <crypto::crypto_backend B, common_policy P>
[[nodiscard]] result<void> verify_update_resp(B& b, const P& policy, bytes_view in, ntp_time now,
                                              const update_context& c, bytes_view sent, key_set& next) noexcept {
    if (c.self == party::initiator) {
        return verify_update_resp_as<B, P, ticket::transfer_resp_update_view>(b, policy, in, now, c, sent, next);
    }
    return verify_update_resp_as<B, P, ticket::transfer_resp_update_by_responder_view>(b, policy, in, now, c, sent,
                                                                                       next);
}

/// What both ends of an established bundle keep for CSB updates (RFC 6043
/// §5.2): the keys in force, the keys of the last message of the initial
/// exchange, and keys of an update waiting for its TRANSFER_RESP. The base
/// of initiator and responder, which give the update_context.
class bundle_party {
public:
    /// The keys of each crypto session (from established on).
    [[nodiscard]] std::span<const session_key> session_keys() const noexcept { return {m_keys.data(), m_key_count}; }
    /// The crypto sessions in force (CS ID and SSRC each), e.g. the
    /// `sessions` of a CSB update that only changes keys.
    [[nodiscard]] inline_list<crypto_session_spec, max_crypto_sessions> sessions() const noexcept {
        inline_list<crypto_session_spec, max_crypto_sessions> v;
        for (const auto& k : session_keys()) (void)v.push_back({k.cs.get(), k.ssrc});
        return v;
    }
    /// The T of the last message under the bundle's keys (the initial
    /// exchange's last message, raised by each update sent or taken): a CSB
    /// update is stamped after it (RFC 6043 §5.2, "MUST use new timestamps"),
    /// else refused with stale_timestamp.
    [[nodiscard]] ntp_time last_timestamp() const noexcept { return m_last.t; }

    /// Session keys this end sends in its TRANSFER_RESP to the peer's next
    /// CSB update that asks for an answer (RFC 6043 §5.2: "New keying
    /// material MAY be sent in a KEMAC payload", in either message). Each
    /// keys crypto session `cs_id` of that update, whose block in the
    /// answer's CS ID map then names the key's SPI; both ends take them as
    /// they take an update's keys (a TEK as it is, a TGK / GTGK through D4).
    /// Used by that one answer, then dropped; an empty span drops keys set
    /// before. An update that cannot take them is refused and the keys stay:
    /// policy_not_acceptable (the Ticket Policy's L flag for the Initiator,
    /// M for the Responder, is 0), bad_crypto_sessions (a session the update
    /// does not list), invalid_argument (an SPI another of its sessions has).
    /// Errors: invalid_argument (more than max_crypto_sessions keys, a kind
    /// other than TEK / TGK / GTGK, a salt with a TGK or without a TEK, two
    /// keys for one session or with one SPI, an empty SPI), key_too_short.
    /// On error the keys set before stay.
    [[nodiscard]] result<void> set_update_response_keys(std::span<const supplied_key> keys) {
        if (keys.size() > max_crypto_sessions) return errc::invalid_argument;
        return take_supplied(keys, m_update_response_keys);
    }

protected:
    /// Our update (build_update's errors), offering `offers`. With
    /// `want_response` its keys wait for verify_update_answer; without, they
    /// (and the policies it offers first) take effect at once.
    template <crypto::crypto_backend B, random_generator R>
    [[nodiscard]] result<outcome> send_update(B& b, R& rng, ntp_time now, mutable_bytes out, const update_context& c,
                                              std::span<const crypto_session_spec> sessions,
                                              std::span<const supplied_key> supplied, bool rekey, bool want_response,
                                              std::span<const policy_offer> offers) noexcept {
        key_set next;
        next.borrow_supplied = !want_response;  // applied below, while `supplied` lives
        const auto sealed =
            build_update(b, rng, now, out, c, sessions, supplied, rekey, want_response, next, &m_template, offers);
        if (!sealed) return sealed.error_info();
        // Its T is spent under these keys once sent, answered or not (a later update, even after
        // drop_update, must be newer: RFC 3830 §4.2.3 IV).
        m_last.t = next.t;
        outcome o{errc::ok, 0, *sealed, data_type::transfer_init, 0};
        if (want_response) {
            m_pending = std::make_unique<pending_update>();
            m_pending->keys = std::move(next);
            m_pending->sent.assign(sealed->begin(), sealed->end());
            return o;
        }
        apply(next);
        return o.with(event::keys_established);
    }
    /// The peer's update (open_update's errors): its keys take effect, its
    /// answer (when its V flag asks for one, with the keys of
    /// set_update_response_keys) is in `send`.
    template <crypto::crypto_backend B, common_policy P>
    [[nodiscard]] result<outcome> take_update(B& b, const P& policy, bytes_view in, ntp_time now, mutable_bytes out,
                                              const update_context& c) noexcept {
        key_set next;
        const auto resp = open_update(b, policy, in, now, out, c, m_update_response_keys, next);
        if (!resp) return resp.error_info();
        apply(next);
        drop_update();
        if (!resp->empty()) m_update_response_keys.clear();  // sent (or none were set)
        outcome o{};
        if (!resp->empty()) {
            o.send = *resp;
            o.send_type = data_type::transfer_resp;
        }
        return o.with(event::keys_established);
    }
    /// The answer to our update (verify_update_resp's errors): its keys, and
    /// those its KEMAC carries, take effect.
    template <crypto::crypto_backend B, common_policy P>
    [[nodiscard]] result<outcome> verify_update_answer(B& b, const P& policy, bytes_view in, ntp_time now,
                                                       const update_context& c) noexcept {
        if (!m_pending) return errc::unexpected_in_state;
        if (auto ok = verify_update_resp(b, policy, in, now, c, m_pending->sent, m_pending->keys); !ok) {
            return ok.error_info();
        }
        apply(m_pending->keys);
        drop_update();
        return outcome{}.with(event::keys_established);
    }
    /// Gives up our update waiting for its answer.
    void drop_update() noexcept { m_pending.reset(); }

    std::array<session_key, max_crypto_sessions> m_keys{};
    std::size_t m_key_count = 0;
    last_message_keys m_last{};  ///< of the last message of the initial exchange, T raised by each update
    policy_list m_policies;      ///< the security policy of each crypto session (RFC 6043 §6.1.1)

private:
    /// The keys of `next` take effect. A kept key stays in its slot (no
    /// copy); one the update moves to another slot is copied out first; a
    /// borrowed TEK is copied into its slot.
    void apply(key_set& next) noexcept {
        m_last.t = next.t;
        const std::size_t n = next.count;
        std::bitset<256> before, after;  // the CS IDs in force before and after
        for (const auto& k : session_keys()) before.set(k.cs.get());
        for (std::size_t i = 0; i < n; ++i) {
            const auto k = next.kept[i];
            if (k < 0 || static_cast<std::size_t>(k) == i) continue;
            next.key(i) = m_keys[static_cast<std::size_t>(k)].clone();
            next.kept[i] = key_set::made_here;
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (next.kept[i] == key_set::made_here) {
                m_keys[i] = std::move(next.key(i));
            } else if (next.kept[i] == key_set::borrowed) {
                const supplied_key& k = *next.given[i];
                // Sizes checked by plan_update (key <= 64, salt <= 32 bytes): cannot fail.
                (void)set_as_sent(m_keys[i], {k.cs_id, next.ssrc[i]}, k.kind, k.key, k.salt, k.spi);
            }
            m_keys[i].ssrc = next.ssrc[i];
        }
        for (std::size_t i = n; i < m_key_count; ++i) m_keys[i] = session_key{};  // wipes a dropped session's keys
        m_key_count = n;
        if (next.policies) {
            m_policies = std::move(*next.policies);
            return;
        }
        // Those in force stay, for the crypto sessions that stay (a focus's rekey drops none: no walk).
        for (const auto& k : session_keys()) after.set(k.cs.get());
        if ((before & ~after).any()) m_policies.erase_unless([&after](std::uint8_t cs) { return after.test(cs); });
    }

    /// Our update awaiting its TRANSFER_RESP: its keys and bytes. Held out
    /// of line, only while one waits (a conference focus holds one machine
    /// per member, and rekeys without answers).
    struct pending_update {
        key_set keys;
        std::vector<std::uint8_t> sent;
    };
    std::unique_ptr<pending_update> m_pending;
    update_template m_template;  ///< of our last update
    std::vector<owned_key> m_update_response_keys;  ///< set_update_response_keys
};

}  // namespace detail
}  // namespace mikey::roles
// ---- end mikey/roles/csb_update.hpp ----
// #include "exchange.hpp" (inlined above as mikey/roles/exchange.hpp)
// #include "outcome.hpp" (inlined above as mikey/roles/outcome.hpp)
// #include "policy.hpp" (inlined above as mikey/roles/policy.hpp)
// #include "security_policy.hpp" (inlined above as mikey/roles/security_policy.hpp)

namespace mikey::roles {

/// What an Initiator is and what it asks for.
struct initiator_config {
    std::string_view identity;                    ///< IDRi (URI)
    std::string_view kms_identity;                ///< IDRkms (URI)
    std::string_view responder;                   ///< IDRr of TRANSFER_INIT: whom it calls
    std::span<const std::string_view> authorized_responders{};  ///< IDRr of the TP (default: `responder`)
    std::span<const std::string_view> applications{};  ///< IDRapp of the TP (none: every application, §6.10)
    ticket_policy desired{};                      ///< desired Ticket Policy (K is sent as 0)
    key_data_type key_kind = key_data_type::tgk;  ///< TEK, TGK or GTGK (with or without +SALT)
    std::size_t key_length = 16;                  ///< bytes of each session key: 16 to 32
    std::span<const crypto_session_spec> sessions{};  ///< one session key each
    algorithm_suite suite{};                      ///< HDR PRF, KEMAC Encr alg, V Auth alg
    std::chrono::seconds validity{3600};          ///< desired TRe - now
    std::string_view ticket_key_id{};             ///< modes 3 / 4: IDRpsk naming its TPK (empty: default)
    /// Security policies offered in TRANSFER_INIT (RFC 6043 §4.2.2.1, §6.1.1),
    /// at most max_policy_offers, in order of preference, as
    /// detail::take_offers takes them (Prot type SRTP, unique Policy nos, CS
    /// IDs of `sessions`). Default none: each block has #P = 0 and the
    /// Responder proposes one (security_policy.hpp).
    std::span<const policy_offer> security_policies{};
};

template <crypto::crypto_backend B, initiator_policy P>
class initiator : public detail::bundle_party {
public:
    enum class state : std::uint8_t {
        idle,
        awaiting_request_resp,
        ticket_ready,
        awaiting_transfer_resp,
        established,
        awaiting_update_resp,
    };

    /// Copies the config (its identities and lists into one block). Errors
    /// are reported by the first call (invalid_argument for no crypto
    /// session or more than max_crypto_sessions, security policies that
    /// take_offers refuses, or a key_length over max_session_key_bytes;
    /// key_too_short for one under 16 bytes).
    initiator(B& backend, const P& policy, const initiator_config& cfg)
        : m_b(&backend), m_policy(&policy), m_cfg(cfg) {
        const std::string_view callee_only[1] = {cfg.responder};
        if (m_cfg.authorized_responders.empty()) m_cfg.authorized_responders = callee_only;
        m_offers_ok = detail::take_offers(cfg.security_policies, cfg.sessions, m_offers).has_value();
        m_cfg.security_policies = {};  // taken into m_offers
        m_cfg.desired.flags.k = false;
        m_storage.own([this](detail::config_storage& s) {
            s.take(m_cfg.identity);
            s.take(m_cfg.kms_identity);
            s.take(m_cfg.responder);
            s.take(m_cfg.ticket_key_id);
            s.take(m_cfg.authorized_responders);
            s.take(m_cfg.applications);
            s.take(m_cfg.sessions);
        });
    }

    [[nodiscard]] state current() const noexcept { return m_state; }
    /// Gives up the pending exchange (the caller's timeout): awaiting a
    /// REQUEST_RESP goes back to idle, awaiting a TRANSFER_RESP back to
    /// ticket_ready (or established when an earlier transfer completed).
    void abandon() noexcept {
        if (m_state == state::awaiting_request_resp) m_state = state::idle;
        if (m_state == state::awaiting_transfer_resp) m_state = m_key_count != 0 ? state::established : state::ticket_ready;
        if (m_state == state::awaiting_update_resp) {
            drop_update();
            m_state = state::established;
        }
    }
    /// The granted Ticket Policy (valid from ticket_ready on).
    [[nodiscard]] const ticket_policy& granted() const noexcept { return m_granted; }
    /// The TICKET payload held (without Initiator Data).
    [[nodiscard]] bytes_view ticket() const noexcept { return m_ticket; }
    [[nodiscard]] bytes_view mpki() const noexcept { return m_mpki.view(); }
    [[nodiscard]] bytes_view mpkr() const noexcept { return m_mpkr.view(); }
    /// MPKr' (forking; from established on).
    [[nodiscard]] bytes_view mpkr_forked() const noexcept { return m_mpkr_forked.view(); }
    /// The Responder authenticated by TRANSFER_RESP (forking) or named by it.
    [[nodiscard]] bytes_view peer_identity() const noexcept { return ticket::as_bytes(m_peer); }
    /// The security policy of crypto session `cs` (from established on): the
    /// SP the Responder chose in TRANSFER_RESP (one of ours, or its own), or
    /// with F = 0 the first one we offered for it; after a CSB update, the
    /// one its answer named, or that a Responder's update without answer
    /// listed first (RFC 6043 §5.2, "handled as in the initial exchange");
    /// nullopt when there is none (SRTP's defaults apply, RFC 3830
    /// §6.10.1). A view of bytes this machine owns, valid until its next
    /// exchange or update; srtp::policy_from turns it into an SRTP policy.
    [[nodiscard]] std::optional<sp_view> security_policy(cs_id cs) const noexcept MIKEY_LIFETIMEBOUND {
        return m_policies.for_session(cs.get());
    }

    /// The CSB ID of the bundle (from awaiting_transfer_resp on; 0 before).
    [[nodiscard]] csb_id csb() const noexcept {
        const auto h = hdr_view::parse(m_transfer);
        return h ? h->csb() : csb_id{};
    }

    /// Modes 1 and 2: builds REQUEST_INIT_PSK (RFC 6043 §4.2.1) into `out`.
    /// Errors: unexpected_in_state (not idle), invalid_argument and
    /// key_too_short (config), unknown_peer (no PSK shared with the KMS),
    /// the policy's suite errors,
    /// buffer_too_small, crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome start_request(ntp_time now, R& rng, mutable_bytes out) noexcept {
        if (m_state != state::idle) return outcome::refused({errc::unexpected_in_state, 0});
        auto r = build_request(now, rng, out);
        if (!r) return outcome::refused(r.error_info());
        return *r;
    }

    /// Modes 3 and 4: makes the ticket itself with the TPK it shares with the
    /// KMS or the Responder (D = 0, which requires L, RFC 6043 §6.10).
    /// Errors: unexpected_in_state, invalid_argument and key_too_short
    /// (config), unknown_ticket_key, the flag_* codes,
    /// policy_not_acceptable, crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome create_ticket(ntp_time now, R& rng) noexcept {
        if (m_state != state::idle) return outcome::refused({errc::unexpected_in_state, 0});
        auto r = make_own_ticket(now, rng);
        if (!r) return outcome::refused(r.error_info());
        m_state = state::ticket_ready;
        return outcome{}.with(event::ticket_granted);
    }

    /// Builds TRANSFER_INIT (RFC 6043 §4.2.2) with the ticket held, and a
    /// KEMAC of `supplied` session keys when given (L flag, §4.2.2.1).
    /// Errors: unexpected_in_state, ticket_reuse_forbidden (a second transfer
    /// with J = 0, §5.3), policy_not_acceptable (supplied keys with L = 0),
    /// invalid_argument / key_too_short (a supplied key), buffer_too_small,
    /// crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome start_transfer(ntp_time now, R& rng, mutable_bytes out,
                                         std::span<const supplied_key> supplied = {}) noexcept {
        if (m_state != state::ticket_ready && m_state != state::established) {
            return outcome::refused({errc::unexpected_in_state, 0});
        }
        // RFC 6043 §5.3: "If the Ticket Policy forbids reuse (J flag), the ticket MUST NOT be reused."
        if (m_transfers > 0 && !m_granted.flags.j) return outcome::refused({errc::ticket_reuse_forbidden, 0});
        auto r = build_transfer(now, rng, out, supplied);
        if (!r) return outcome::refused(r.error_info());
        return *r;
    }

    /// CSB update started by the Initiator (RFC 6043 §5.2): rekeying and
    /// adding crypto sessions. `sessions` is the bundle after the update
    /// (same CSB ID; a CS ID not in it before is added). `supplied` are new
    /// keys for some sessions (e.g. a conference focus's fresh group TEK);
    /// with `rekey` every other session gets a fresh random key of its kind
    /// and length. New keys travel in a KEMAC (allowed only with the L flag;
    /// "If a new TGK is exchanged, it SHALL NOT be forked"); a session
    /// without a new key keeps its key, and an added one derives its key from
    /// the key of the session listed first (TGK / GTGK only: a TEK is never
    /// shared by two crypto sessions). The message is protected with the
    /// keys of the last message of the initial exchange and carries no RAND
    /// and no TICKET ("New RANDs or TICKETs MUST NOT be included"); its V
    /// flag asks for a TRANSFER_RESP when `want_response`. The new keys take
    /// effect when the response verifies, or at once without one.
    /// `offers` are security policies the update offers in SP payloads
    /// ("The crypto sessions negotiation (#CS field, CS ID map info field,
    /// and SP payloads) are handled as in the initial exchange"), in order
    /// of preference, each for some of `sessions` (empty cs_ids: all), Prot
    /// type SRTP, unique Policy nos; a session offered none has #P = 0. The
    /// answer names one policy per session: one offered for it, or the one
    /// in force, is taken; another passes accept_changed_security_policy
    /// (sp_changed otherwise) and accept_security_policy. Without an answer
    /// each session runs under the first policy offered for it (the peer
    /// refuses the update when that one is not acceptable to it) and keeps
    /// its policy when offered none. security_policy(cs) tells the result.
    /// Errors: unexpected_in_state (not established), invalid_argument (no
    /// session, too many, a bad supplied key, a repeated SPI, more than
    /// max_policy_offers offers, two with one Policy no, one of another Prot
    /// type than SRTP or for a CS ID the update does not list), key_too_short,
    /// missing_key (an added TEK session without a key), stale_timestamp
    /// (`now` not newer than the last message under the bundle's keys),
    /// policy_not_acceptable (new keys with L = 0), buffer_too_small,
    /// crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome start_update(ntp_time now, R& rng, mutable_bytes out,
                                       std::span<const crypto_session_spec> sessions, bool rekey,
                                       bool want_response, std::span<const supplied_key> supplied = {},
                                       std::span<const policy_offer> offers = {}) noexcept {
        if (m_state != state::established) return outcome::refused({errc::unexpected_in_state, 0});
        auto r = send_update(*m_b, rng, now, out, update_context(), sessions, supplied, rekey, want_response, offers);
        if (!r) return outcome::refused(r.error_info());
        if (want_response) m_state = state::awaiting_update_resp;
        return *r;
    }

    /// Handles REQUEST_RESP, TRANSFER_RESP (also the answer to our CSB
    /// update, whose KEMAC keys take effect), the TRANSFER_INIT of a CSB
    /// update the Responder started (answered with TRANSFER_RESP when its V
    /// flag asks, carrying the keys of set_update_response_keys;
    /// identity_mismatch when its IDRs are not the bundle's), or an Error
    /// (reported as error_received and never answered).
    /// Errors (besides parse / schema errors): message_not_for_role,
    /// unexpected_in_state, header_mismatch, wrong_kms, suite errors,
    /// auth_failure, timestamp_out_of_window, replayed_message,
    /// replay_cache_full, missing_key, missing_payload, unexpected_payload,
    /// policy_not_acceptable, flag_f_required_by_i, rand_too_short,
    /// unknown_peer, mac_not_allowed (a KEMAC with a MAC, another Auth alg),
    /// key_without_spi, key_length_mismatch (an MPK over 64 bytes in
    /// REQUEST_RESP, a session key over 64 or its SPI over 8 bytes),
    /// bad_crypto_sessions, key_unwrap_failure,
    /// identity_mismatch, stale_timestamp (an update's T not newer than the
    /// last message under the bundle's keys, or the answer to our update
    /// carrying keys with a T not after the update's), policy_not_acceptable,
    /// bad_crypto_sessions and invalid_argument (also: keys of
    /// set_update_response_keys that the update cannot carry),
    /// sp_count_not_one, sp_not_found,
    /// sp_prot_mismatch, sp_changed, sp_not_acceptable (the security
    /// policies of TRANSFER_RESP, also of the answer to our CSB update,
    /// detail::check_answer; and those a Responder's update lists),
    /// buffer_too_small,
    /// crypto_backend_failure. On refusal `send` may hold an Error message.
    template <random_generator R>
    [[nodiscard]] outcome receive(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        (void)rng;
        const auto h = hdr_view::parse(in);
        if (!h) return outcome::refused(h.error_info());
        result<outcome> r = errc::message_not_for_role;
        switch (h->type()) {
            case data_type::request_resp:
                r = m_state == state::awaiting_request_resp ? on_request_resp(in, now)
                                                            : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::transfer_resp:
                r = m_state == state::awaiting_transfer_resp  ? on_transfer_resp(in, now)
                    : m_state == state::awaiting_update_resp ? on_update_resp(in, now)
                                                              : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::transfer_init:
                // RFC 6043 §5.2: "The CSB updating can also be started by the Responder."
                r = m_state == state::established ? take_update(*m_b, *m_policy, in, now, out, update_context())
                                                  : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::error: return outcome::refused(failure{errc::error_received, 1});
            default: r = failure{errc::message_not_for_role, 1}; break;
        }
        if (r) return *r;
        return detail::refuse(r.error_info(), in, now, out, m_policy->send_auth_failure_error());
    }

private:
    [[nodiscard]] identity me() const noexcept { return identity(ticket::as_bytes(m_cfg.identity)); }
    [[nodiscard]] identity kms_id() const noexcept { return identity(ticket::as_bytes(m_cfg.kms_identity)); }
    [[nodiscard]] identity callee() const noexcept { return identity(ticket::as_bytes(m_cfg.responder)); }

    [[nodiscard]] result<void> check_config() const noexcept {
        if (m_cfg.sessions.empty() || m_cfg.sessions.size() > max_crypto_sessions || m_cfg.identity.empty()) {
            return errc::invalid_argument;
        }
        if (!m_offers_ok) return errc::invalid_argument;
        if (!detail::is_session_key(m_cfg.key_kind)) return errc::invalid_argument;
        // RFC 6043 §12.1: keys of 128 bits or more; at most max_session_key_bytes here.
        if (m_cfg.key_length < crypto::min_key_bytes) return errc::key_too_short;
        if (m_cfg.key_length > detail::max_session_key_bytes) return errc::invalid_argument;
        return m_policy->check_suite(m_cfg.suite);
    }

    /// The TP Data of the desired policy: [IDRkms], IDRi, TRs, TRe, KEMAC (the
    /// keys asked for, NULL-encrypted, zero, RFC 6043 §6.10), {IDRapp}, (IDRr).
    [[nodiscard]] result<bytes_view> desired_tp_data(ntp_time now, mutable_bytes buf, bool with_kemac) const noexcept {
        const detail::timestamp ts(now), te(now + m_cfg.validity);
        static constexpr std::array<std::uint8_t, detail::max_session_key_bytes> zeros{};
        static constexpr std::array<std::uint8_t, 4> no_spi{};
        inline_list<key_data_builder, max_crypto_sessions> want;
        std::array<std::uint8_t, 512> kemac_plain;
        byte_writer w(buf);
        w.u8(0);
        chain_writer c(w, std::size_t{0});
        if (!m_cfg.kms_identity.empty()) c.add(idr_builder{id_role::idrkms, id_type::uri, kms_id().get()});
        c.add(idr_builder{id_role::idri, id_type::uri, me().get()});
        c.add(tr_builder{.role = ts_role::trs, .kind = ts_type::ntp_utc, .value = ts.bytes});
        c.add(tr_builder{.role = ts_role::tre, .kind = ts_type::ntp_utc, .value = te.bytes});
        if (with_kemac) {
            for (std::size_t i = 0; i < m_cfg.sessions.size(); ++i) {
                if (!want.push_back(key_data_builder{m_cfg.key_kind,
                                                     bytes_view(zeros.data(), m_cfg.key_length),  // check_config: <= 32
                                                     has_salt(m_cfg.key_kind) ? bytes_view(zeros.data(), 14) : bytes_view{},
                                                     kv_data{kv_type::spi, no_spi, {}, {}}})) {
                    return errc::invalid_argument;
                }
            }
            byte_writer pw(kemac_plain);
            chain_writer pc(pw, std::nullopt);
            pc.add(want.view());
            if (pw.failed()) return pw.error();
            c.add(kemac_builder{encr_alg::null, pw.written(), mac_alg::null, {}});
        }
        for (const auto a : m_cfg.applications) c.add(idr_builder{id_role::idrapp, id_type::uri, ticket::as_bytes(a)});
        for (const auto r : m_cfg.authorized_responders) c.add(idr_builder{id_role::idrr, id_type::uri, ticket::as_bytes(r)});
        if (w.failed()) return w.error();
        return w.written();
    }

    template <random_generator R>
    [[nodiscard]] result<outcome> build_request(ntp_time now, R& rng, mutable_bytes out) noexcept {
        if (auto ok = check_config(); !ok) return ok.error_info();
        const auto psk = m_policy->psk_for(me());
        if (!psk) return errc::unknown_peer;
        const auto csb = random_u32(rng);
        if (!csb) return csb.error_info();
        auto randri = detail::random_bytes::draw(rng, detail::rand_length(std::max(psk->size(), m_cfg.key_length)));
        if (!randri) return randri.error_info();
        std::array<std::uint8_t, 1024> tp_buf;
        const auto tp_data = desired_tp_data(now, tp_buf, true);
        if (!tp_data) return tp_data.error_info();
        const auto k1 = detail::protection(*m_b, detail::direction::initial, detail::needs::auth_key, m_cfg.suite, *psk, csb_id(*csb),
                                           randri->view(), {});
        if (!k1) return k1.error_info();
        const detail::timestamp t(now);
        ticket::sealed_message_builder sb(out);
        // RFC 6043 §4.2.1.1: V flag 1, #CS 0, Empty map.
        sb.header(hdr_builder{data_type::request_init_psk, true, m_cfg.suite.prf, csb_id(*csb), empty_map{}, 1})
            .add(t.builder())
            .add(randr_builder{rand_role::randri, randri->view()})
            .add(idr_builder{id_role::idri, id_type::uri, me().get()})
            .add(idr_builder{id_role::idrkms, id_type::uri, kms_id().get()})
            .add(tp_builder{m_cfg.desired, *tp_data, {}, {}});
        // RFC 6043 §5.5: REQUEST_INIT || Identity_i || Identity_kms.
        const auto sealed = sb.seal(*m_b, m_cfg.suite.mac, k1->auth_key.view(), {me().get(), kms_id().get()});
        if (!sealed) return sealed.error_info();
        // Commit: keep what the response is checked against.
        m_request.assign(sealed->begin(), sealed->end());
        m_randri = *randri;
        m_state = state::awaiting_request_resp;
        return outcome{errc::ok, 0, *sealed, data_type::request_init_psk, 0};
    }

    [[nodiscard]] result<outcome> on_request_resp(bytes_view in, ntp_time now) noexcept {
        const auto m = ticket::request_resp_view::parse(in);
        if (!m) return m.error_info();
        detail::anticipate_fresh(*m_policy, m->message(), m->mac());  // the replay check after the MAC
        const auto req = hdr_view::parse(m_request);
        const auto hdr = m->header();
        // RFC 6043 §4.2.1.5: version, PRF func, CSB ID (and #CS, map type) copied from REQUEST_INIT.
        if (hdr.version() != req->version() || hdr.prf() != req->prf() || hdr.csb() != req->csb()) {
            return failure{errc::header_mismatch, 3};
        }
        if (m->idrkms() && !equal_bytes(m->idrkms()->data(), kms_id().get())) return errc::wrong_kms;
        const auto psk = m_policy->psk_for(me());
        if (!psk) return errc::unknown_peer;
        const algorithm_suite s{hdr.prf(), m->kemac()->encryption(), m->v()->kind()};
        if (auto ok = m_policy->check_suite(s); !ok) return ok.error_info();
        const auto k2 = detail::protection(*m_b, detail::direction::response, detail::needs::all_keys, s, *psk, hdr.csb(),
                                           m_randri.view(), {});
        if (!k2) return k2.error_info();
        // RFC 6043 §5.5: REQUEST_RESP || REQUEST_INIT.
        if (auto ok = ticket::verify_message_mac(*m_b, m->message(), s.mac, k2->auth_key.view(),
                                                 ticket::v_inputs{.initial_message = m_request});
            !ok) {
            return ok.error_info();
        }
        if (auto ok = detail::fresh(*m_policy, m->message(), m->t(), m->mac(), now); !ok) return ok.error_info();
        // RFC 6043 §4.2.1.5: the KEMAC "SHALL use the NULL authentication algorithm".
        if (m->kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
        const ticket_view tv = *m->ticket();
        const ticket_policy granted = tv.policy();
        // RFC 6043 §4.2.1.6: "the Initiator MUST check that the granted Ticket Policy is acceptable".
        if (auto ok = m_policy->accept_granted(m_cfg.desired, granted); !ok) return ok.error_info();
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto list = crypto::open_kemac(*m_b, *m->kemac(), k2->cipher(hdr.csb(), detail::iv_time(m->t())), plain);
        if (!list) return list.error_info();
        auto r = take_keys(*list, granted, tv.bytes());
        m_b->wipe(plain);
        if (!r) return r.error_info();
        return outcome{}.with(event::ticket_granted);
    }

    /// Takes MPKi, [MPKr] and the session keys of a verified KEMAC
    /// (RFC 6043 §4.2.1.5) and commits them with the ticket. Errors:
    /// missing_key, the flag dependency errors, owned_key::received's
    /// (key_without_spi, key_length_mismatch),
    /// key_length_mismatch (an MPK over 64 bytes). Precondition: `ticket_bytes`
    /// is a TICKET that ticket_view::parse accepted (build_transfer reads it
    /// back with from_validated).
    [[nodiscard]] result<void> take_keys(const key_data_list& list, const ticket_policy& granted,
                                         bytes_view ticket_bytes) noexcept {
        std::size_t n = 0;
        std::optional<key_data_view> mpki, mpkr;
        inline_list<key_data_view, max_crypto_sessions> sk;
        bool has_tgk = false;
        for (const auto& k : list) {
            if (k.kind() == key_data_type::mpk) {
                if (!mpki) mpki = k;
                else if (!mpkr) mpkr = k;
                continue;
            }
            if (!detail::is_session_key(k.kind()) || !sk.push_back(k)) return errc::missing_key;
            has_tgk = has_tgk || detail::is_tgk(k.kind());
            ++n;
        }
        // RFC 6043 §4.2.1.5: MPKi always; MPKr iff key forking; at least one session key.
        if (!mpki || (granted.flags.i && !mpkr) || n == 0) return errc::missing_key;
        if (auto ok = ticket::check_policy_rules(granted.flags, true, has_tgk); !ok) return ok;
        std::vector<detail::owned_key> held;
        held.reserve(n);
        for (const auto& k : sk) {
            auto h = detail::owned_key::received(k);
            if (!h) return h.error_info();
            held.push_back(std::move(*h));
        }
        // MPKi / MPKr are held in 64-byte buffers (RFC 6043 sets no MPK length).
        if (mpki->key().size() > m_mpki.capacity || (granted.flags.i && mpkr->key().size() > m_mpkr.capacity)) {
            return errc::key_length_mismatch;
        }
        // Commit (the sizes fit: the assigns cannot fail).
        (void)m_mpki.assign(mpki->key());
        if (granted.flags.i) {
            (void)m_mpkr.assign(mpkr->key());
        } else {
            m_mpkr.wipe();
        }
        m_ticket_keys = std::move(held);
        m_ticket.assign(ticket_bytes.begin(), ticket_bytes.end());
        m_granted = granted;
        m_state = state::ticket_ready;
        return {};
    }

    template <random_generator R>
    [[nodiscard]] result<void> make_own_ticket(ntp_time now, R& rng) noexcept {
        if (auto ok = check_config(); !ok) return ok;
        const auto tpk = m_policy->tpk_for(identity(ticket::as_bytes(m_cfg.ticket_key_id)));
        if (!tpk) return errc::unknown_ticket_key;
        ticket_policy p = m_cfg.desired;
        // RFC 6043 §6.10: D = 0, the Initiator generated the ticket; NOT D implies L; K is the KMS's.
        p.flags.d = false;
        p.flags.k = false;
        if (auto ok = m_policy->accept_ticket(p); !ok) return ok;
        std::array<std::uint8_t, 1024> tp_buf;
        const auto tp_data = desired_tp_data(now, tp_buf, false);
        if (!tp_data) return tp_data.error_info();
        // Fresh MPK and session keys, as a KMS would make them.
        secret_buffer<64> mpk(std::max<std::size_t>(m_cfg.key_length, 16));
        if (auto ok = rng.fill(mpk.mutable_view()); !ok) return ok;
        std::array<secret_buffer<32>, max_crypto_sessions> keys{}, salts{};
        std::array<std::array<std::uint8_t, 4>, max_crypto_sessions> spis{};
        std::array<key_data_builder, max_crypto_sessions> kb{};
        bool has_tgk = false;
        for (std::size_t i = 0; i < m_cfg.sessions.size(); ++i) {
            (void)keys[i].resize(m_cfg.key_length);
            (void)salts[i].resize(has_salt(m_cfg.key_kind) ? 14 : 0);
            if (auto ok = rng.fill(keys[i].mutable_view()); !ok) return ok;
            if (auto ok = rng.fill(salts[i].mutable_view()); !ok) return ok;
            if (auto ok = rng.fill(spis[i]); !ok) return ok;
            kb[i] = key_data_builder{m_cfg.key_kind, keys[i].view(), salts[i].view(), kv_data{kv_type::spi, spis[i], {}, {}}};
            has_tgk = has_tgk || detail::is_tgk(m_cfg.key_kind);
        }
        if (auto ok = ticket::check_policy_rules(p.flags, true, has_tgk); !ok) return ok;
        if (auto ok = crypto::check_algorithm_suite(m_cfg.suite, m_cfg.key_length); !ok) return ok;
        std::array<std::uint8_t, ticket::max_ticket_data + 1024> ticket_buf;
        std::optional<identity> idrpsk;
        if (!m_cfg.ticket_key_id.empty()) idrpsk = identity(ticket::as_bytes(m_cfg.ticket_key_id));
        const auto tb = ticket::create_base_ticket(
            *m_b, rng,
            ticket::base_ticket_spec{p, *tp_data, mpk.view(), std::span<const key_data_builder>(kb.data(), m_cfg.sessions.size()),
                                     m_cfg.suite.encr, m_cfg.suite.mac, idrpsk, now},
            *tpk, ticket_buf);
        if (!tb) return tb.error_info();
        const auto tv = ticket_view::parse(tb->payload);
        if (!tv) return tv.error_info();
        const auto bt = tv->base_ticket();
        if (!bt) return bt.error_info();
        // RFC 6043 App. A.2.2: MPKi / MPKr from the MPK.
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto opened = ticket::open_base_ticket(*m_b, *tv, *bt, m_cfg.suite.mac, *tpk, plain);
        if (!opened) return opened.error_info();
        const bytes_view trand = bt->rand().value();
        secret_buffer<64> mpki(mpk.size()), mpkr(mpk.size());
        if (auto ok = crypto::derive_mpki(*m_b, p.prf, mpk.view(), rand_value(trand), mpki.mutable_view()); !ok) return ok;
        if (auto ok = crypto::derive_mpkr(*m_b, p.prf, mpk.view(), rand_value(trand), mpkr.mutable_view()); !ok) return ok;
        // Hand the keys over as a KEMAC list would: MPKi, [MPKr], session keys.
        std::array<key_data_builder, 2 + max_crypto_sessions> all{};
        std::size_t n = 0;
        all[n++] = key_data_builder{key_data_type::mpk, mpki.view(), {}, {}};
        if (p.flags.i) all[n++] = key_data_builder{key_data_type::mpk, mpkr.view(), {}, {}};
        for (std::size_t i = 0; i < m_cfg.sessions.size(); ++i) all[n++] = kb[i];
        std::array<std::uint8_t, ticket::max_kemac_plain> chain;
        byte_writer w(chain);
        chain_writer c(w, std::nullopt);
        c.add(std::span<const key_data_builder>(all.data(), n));
        if (w.failed()) return w.error();
        const auto list = key_data_list::parse(w.written());
        auto r = list ? take_keys(*list, p, tb->payload) : result<void>(list.error_info());
        m_b->wipe(plain);
        m_b->wipe(chain);
        return r;
    }

    template <random_generator R>
    [[nodiscard]] result<outcome> build_transfer(ntp_time now, R& rng, mutable_bytes out,
                                                 std::span<const supplied_key> supplied) noexcept {
        std::vector<detail::owned_key> own;
        if (auto ok = detail::take_supplied(supplied, own); !ok) return ok.error_info();
        // RFC 6043 §4.2.2.1: "If indicated by the Ticket Policy (L flag), a KEMAC payload SHALL NOT be included."
        if (!own.empty() && !m_granted.flags.l) return errc::policy_not_acceptable;
        const auto csb = random_u32(rng);
        if (!csb) return csb.error_info();
        std::size_t longest = m_mpki.size();
        for (const auto& k : m_ticket_keys) longest = std::max(longest, k.key.size());
        auto randri = detail::random_bytes::draw(rng, detail::rand_length(longest));
        if (!randri) return randri.error_info();
        // m_ticket is a TICKET ticket_view::parse accepted (take_keys' precondition).
        const auto tv = ticket_view::from_validated(m_ticket);
        // GENERIC-ID map (RFC 6043 §6.1.1; "SRTP-ID SHALL NOT be used"): one block per crypto
        // session, SRTP, SSRC as Session Data, the SPI of the session's key (a supplied one, or the
        // ticket's); supplied keys for other CS IDs add crypto sessions.
        detail::cs_map map;
        const auto supplied_for = [&](std::uint8_t cs) -> const detail::owned_key* {
            for (const auto& k : own) {
                if (k.cs_id == cs) return &k;
            }
            return nullptr;
        };
        for (std::size_t i = 0; i < m_cfg.sessions.size(); ++i) {
            const auto* sk = supplied_for(m_cfg.sessions[i].cs_id);
            const auto& tk = m_ticket_keys[std::min(i, m_ticket_keys.size() - 1)];
            if (!map.add_srtp(m_cfg.sessions[i].cs_id, m_cfg.sessions[i].ssrc, sk ? sk->view(false).spi : tk.view(true).spi)) {
                return errc::invalid_argument;
            }
        }
        for (const auto& k : own) {
            if (map.find(k.cs_id) == nullptr && !map.add_srtp(k.cs_id, k.ssrc, k.view(false).spi)) {
                return errc::invalid_argument;
            }
        }
        // RFC 6043 §4.2.2.1, §6.1.1: the offered SP payloads; each block lists the Policy_no of
        // those offered for its crypto session (#P = 0 without offers).
        detail::offer_listing offered(m_offers);
        offered.list_in(map.blocks);
        // The encr / salt keys only for a KEMAC (a CSB update derives its own, §5.2).
        auto k1 = detail::protection(*m_b, detail::direction::initial,
                                     detail::needs_if(!own.empty()), m_cfg.suite,
                                     m_mpki.view(), csb_id(*csb),
                                     randri->view(), {});
        if (!k1) return k1.error_info();
        secret_buffer<32> vr_key;
        if (m_granted.flags.i) {
            // RFC 6043 §6.10: Vr's auth_key from MPKr (not forked) with D5, PRF of the Ticket Policy (notes/ticket.md).
            (void)vr_key.resize(*crypto::auth_key_size(m_cfg.suite.mac));
            if (auto ok = crypto::derive_vr_auth_key(*m_b, m_granted.prf, m_mpkr.view(), vr_key.mutable_view()); !ok) {
                return ok.error_info();
            }
        }
        const detail::timestamp t(now);
        std::array<key_data_builder, max_crypto_sessions> kb{};
        for (std::size_t i = 0; i < own.size() && i < kb.size(); ++i) {
            const auto c = own[i].view(false);
            kb[i] = key_data_builder{c.kind, c.key, c.salt, kv_data{kv_type::spi, c.spi, {}, {}}};
        }
        ticket::sealed_message_builder sb(out);
        // RFC 6043 §4.2.2.1: "The value of the V flag SHALL agree with the F flag".
        sb.header(hdr_builder{data_type::transfer_init, m_granted.flags.f, m_cfg.suite.prf, csb_id(*csb),
                              map.view(), 1})
            .add(t.builder())
            .add(randr_builder{rand_role::randri, randri->view()})
            .add(idr_builder{id_role::idri, id_type::uri, me().get()})
            .add(idr_builder{id_role::idrr, id_type::uri, callee().get()})
            .add(offered.sps())
            .add_ticket(tv, m_granted.flags.i ? std::optional<mac_alg>(m_cfg.suite.mac) : std::nullopt);
        if (!own.empty()) {
            // RFC 6043 §4.2.2.1: the KEMAC as in a CSB update, "but its encr_key is always derived from MPKi".
            sb.add_kemac(*m_b, m_cfg.suite.encr, k1->cipher(csb_id(*csb), t.iv()),
                         std::span<const key_data_builder>(kb.data(), own.size()));
        }
        // RFC 6043 §5.5: TRANSFER_INIT (without Initiator Data) || Identity_i || Identity_r.
        const auto sealed = sb.seal(*m_b, m_cfg.suite.mac, k1->auth_key.view(), {me().get(), callee().get()}, vr_key.view());
        if (!sealed) return sealed.error_info();
        outcome o{errc::ok, 0, *sealed, data_type::transfer_init, 0};
        if (m_granted.flags.f) {
            // Commit; the keys come with the TRANSFER_RESP.
            m_transfer.assign(sealed->begin(), sealed->end());
            m_randri_transfer = *randri;
            m_supplied = std::move(own);
            ++m_transfers;
            m_state = state::awaiting_transfer_resp;
            return o;
        }
        // RFC 6043 §4.2.2.3: no TRANSFER_RESP with F = 0: the keys are ready now (no RANDRr, G = 0).
        const auto sent = hdr_view::parse(*sealed);
        std::array<session_key, max_crypto_sessions> keys;
        const auto count = derive_keys(*sent, {}, own, randri->view(), {}, {}, {}, keys);
        if (!count) return count.error_info();
        // Without an answer each crypto session runs under the first policy offered for it.
        detail::policy_list first;
        for (std::size_t i = 0; i < map.size(); ++i) {
            if (const auto sp = m_offers.for_session(map.blocks[i].cs_id)) {
                first.add(map.blocks[i].cs_id, *sp);
            }
        }
        // Commit. RFC 6043 §5.2: CSB updates use the keys of the last message of the initial exchange.
        m_transfer.assign(sealed->begin(), sealed->end());
        m_randri_transfer = *randri;
        m_supplied = std::move(own);
        ++m_transfers;
        commit_keys(keys, *count);
        m_last = detail::last_message_keys::of(detail::direction::initial, m_cfg.suite, m_mpki.view(), csb_id(*csb),
                                               randri->view(), {}, *k1, m_cfg.suite.encr);
        m_last.t = now;  // the T of this TRANSFER_INIT
        m_randrr = {};
        m_peer = m_cfg.responder;
        m_policies = std::move(first);
        m_state = state::established;
        return o.with(event::keys_established);
    }

    [[nodiscard]] result<outcome> on_transfer_resp(bytes_view in, ntp_time now) noexcept {
        const auto m = ticket::transfer_resp_view::parse(in);
        if (!m) return m.error_info();
        detail::anticipate_fresh(*m_policy, m->message(), m->mac());  // the replay check after the MAC
        const auto init = hdr_view::parse(m_transfer);
        const auto hdr = m->header();
        // RFC 6043 §4.2.2.3: version, PRF func and CSB ID copied from TRANSFER_INIT.
        if (hdr.version() != init->version() || hdr.prf() != init->prf() || hdr.csb() != init->csb()) {
            return failure{errc::header_mismatch, 3};
        }
        const auto& f = m_granted.flags;
        // RFC 6043 §4.2.2.3: RANDRr iff G.
        if (f.g && !m->randrr()) return errc::missing_payload;
        if (!f.g && m->randrr()) return errc::unexpected_payload;
        // RFC 6043 §4.2.2.3: "If indicated by the Ticket Policy (M flag), a KEMAC payload SHALL NOT be included."
        if (m->kemac() && !f.m) return errc::unexpected_payload;
        const bytes_view randrr = f.g ? m->randrr()->value() : bytes_view{};
        secret_buffer<64> mpkr_forked;
        bytes_view inkey = m_mpki.view();
        if (f.i) {
            // RFC 6043 §4.2.2.3: the modifier (IDRr, RANDRkms) of RESOLVE_RESP is echoed.
            if (!m->idrr() || !m->randrkms()) return errc::missing_payload;
            if (auto ok = crypto::check_randrkms(m->randrkms()->value().size(), m_mpkr.size()); !ok) return ok.error_info();
            (void)mpkr_forked.resize(m_mpkr.size());
            if (auto ok = crypto::derive_forked_mpkr(*m_b, m_granted.prf, m_mpkr.view(), identity(m->idrr()->data()),
                                                     rand_value(m->randrkms()->value()), mpkr_forked.mutable_view());
                !ok) {
                return ok.error_info();
            }
            inkey = mpkr_forked.view();
        }
        // A KEMAC's keys are derived for the Encr alg it names (RFC 3830 §4.2.3), if the policy allows it.
        const algorithm_suite s{hdr.prf(), m->kemac() ? m->kemac()->encryption() : m_cfg.suite.encr, m->v()->kind()};
        if (s.mac != m_cfg.suite.mac) return errc::mac_not_allowed;
        if (m->kemac()) {
            if (auto ok = m_policy->check_suite(s); !ok) return ok.error_info();
        }
        // RFC 6043 §4.2.2.3: V with a key "derived from MPKi or MPKr'"; D2 with RANDRi and RANDRr (G).
        auto k2 = detail::protection(*m_b, detail::direction::response, detail::needs_if(m->kemac().has_value()), s, inkey,
                                     hdr.csb(),
                                     m_randri_transfer.view(), randrr);
        if (!k2) return k2.error_info();
        // RFC 6043 §5.5: TRANSFER_RESP || TRANSFER_INIT.
        if (auto ok = ticket::verify_message_mac(*m_b, m->message(), s.mac, k2->auth_key.view(),
                                                 ticket::v_inputs{.initial_message = m_transfer});
            !ok) {
            return ok.error_info();
        }
        // RFC 6043 §4.2.2.3: "The Responder SHALL update the CS ID map info so that each crypto session
        // has exactly one security policy indicated" (check_answer: #P = 1, an SP of TRANSFER_RESP or of
        // our TRANSFER_INIT, of the block's Prot type, one we offered unless the policy takes a change).
        detail::policy_list chosen;
        if (hdr.map_type() != cs_id_map_type::generic_id) return errc::sp_count_not_one;
        detail::sp_numbers resp_sps(m->message());
        std::bitset<256> answered;  // the CS IDs of the answer's map
        for (const auto& b : generic_id_map(hdr.map_info())) {
            const auto sp = detail::check_answer(*m_policy, resp_sps, b, m_offers, s);
            if (!sp) return sp.error_info();
            chosen.add(b.cs_id, *sp);
            answered.set(b.cs_id);
        }
        // RFC 6043 §4.2.2.3: the Responder updates the map of our crypto sessions and may add some ("the
        // #CS SHALL be updated"); it does not drop one.
        for (const auto& ours : generic_id_map(init->map_info())) {
            if (!answered.test(ours.cs_id)) return errc::bad_crypto_sessions;
        }
        // RFC 6043 §4.2.2.3: a KEMAC "handled exactly as if it was sent in a later CSB update" (§5.2):
        // NULL MAC, encr_key from MPKi or MPKr', session keys that key the crypto sessions naming their SPI.
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        std::array<detail::candidate, max_crypto_sessions> resp_keys;  // [0, n_resp) written below
        std::size_t n_resp = 0;
        if (m->kemac()) {
            if (m->kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
            const auto list = crypto::open_kemac(*m_b, *m->kemac(), k2->cipher(hdr.csb(), detail::iv_time(m->t())), plain);
            if (!list) return list.error_info();
            const auto n = detail::kemac_candidates(*list, resp_keys);
            if (!n) {
                m_b->wipe(plain);
                return n.error_info();
            }
            n_resp = *n;
        }
        if (auto ok = detail::fresh(*m_policy, m->message(), m->t(), m->mac(), now); !ok) {
            m_b->wipe(plain);
            return ok.error_info();
        }
        const bytes_view answering = m->idrr() ? m->idrr()->data() : ticket::as_bytes(m_cfg.responder);
        // RFC 6043 §4.2.2.3: "The Responder SHALL update the CS ID map info": its map, when it sent one.
        const hdr_view map = hdr.map_type() == cs_id_map_type::generic_id ? hdr : *init;
        std::array<session_key, max_crypto_sessions> keys;
        const auto count = derive_keys(map, std::span<const detail::candidate>(resp_keys.data(), n_resp), m_supplied,
                                       m_randri_transfer.view(), randrr, f.i ? m->idrr()->data() : bytes_view{},
                                       f.i ? m->randrkms()->value() : bytes_view{}, keys);
        m_b->wipe(plain);
        if (!count) return count.error_info();
        // Commit.
        commit_keys(keys, *count);
        m_mpkr_forked = std::move(mpkr_forked);
        m_last = detail::last_message_keys::of(detail::direction::response, s, f.i ? m_mpkr_forked.view() : m_mpki.view(),
                                               hdr.csb(), m_randri_transfer.view(), randrr, *k2, s.encr);
        m_last.t = ntp_time::from_payload(m->t().kind(), m->t().value()).value_or(now);
        m_randrr.assign(randrr);
        m_peer.assign(ticket::as_chars(answering));
        m_policies = std::move(chosen);
        m_state = state::established;
        outcome o{};
        o.with(event::keys_established);
        // RFC 6043 §4.2.3 / seed 004: with forking only the Responder the KMS forked for can know MPKr'.
        if (f.i) o.with(event::peer_authenticated);
        return o;
    }

    /// What a CSB update needs of the initial exchange (RFC 6043 §5.2).
    [[nodiscard]] detail::update_context update_context() const noexcept {
        const auto init = hdr_view::parse(m_transfer);
        return detail::update_context{
            .self = party::initiator,
            .csb = init->csb(),
            .prf = init->prf(),
            .mac = m_cfg.suite.mac,
            .kemac_encr = m_cfg.suite.encr,
            .id_i = me().get(),
            .id_r = ticket::as_bytes(m_peer),
            .last = &m_last,
            .rands = crypto::d4_rands{rand_value(m_randri_transfer.view()), rand_value(m_randrr.view()),
                                      m_granted.flags.h, m_granted.flags.g},
            .flags = m_granted.flags,
            .keys = {m_keys.data(), m_key_count},
            .policies = &m_policies};
    }

    [[nodiscard]] result<outcome> on_update_resp(bytes_view in, ntp_time now) noexcept {
        auto r = verify_update_answer(*m_b, *m_policy, in, now, update_context());
        if (r) m_state = state::established;
        return r;
    }

    /// The session keys of every crypto session of a GENERIC-ID map: the key
    /// its SPI names (a KEMAC key of the Responder's, one we supplied, or the
    /// ticket's), a ticket TGK forked into TGK' with the I flag (D3, RFC 6043
    /// §5.1.1), then TEK and salt by D4 (§5.1.3) with RANDRi (H) and RANDRr
    /// (G). Writes `out`; returns the number of crypto sessions.
    /// Errors: bad_crypto_sessions, missing_key, the derivations'.
    [[nodiscard]] result<std::size_t> derive_keys(const hdr_view& map, std::span<const detail::candidate> resp_keys,
                                                  const std::vector<detail::owned_key>& own, bytes_view randri,
                                                  bytes_view randrr, bytes_view idrr, bytes_view randrkms,
                                                  std::array<session_key, max_crypto_sessions>& out) noexcept {
        if (map.map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
        std::array<detail::candidate, 2 * max_crypto_sessions> kemac;  // [0, nk) written below
        std::size_t nk = 0;
        for (const auto& c : resp_keys) kemac[nk++] = c;
        for (const auto& k : own) {
            if (nk < kemac.size()) kemac[nk++] = k.view(false);
        }
        std::array<detail::candidate, max_crypto_sessions> tickets;  // [0, nt) written below
        std::size_t nt = 0;
        for (const auto& k : m_ticket_keys) {
            if (nt < tickets.size()) tickets[nt++] = k.view(true);
        }
        const crypto::d4_rands rands{rand_value(randri), rand_value(randrr), m_granted.flags.h, m_granted.flags.g};
        std::size_t count = 0;
        for (const auto& b : generic_id_map(map.map_info())) {
            if (count == out.size()) return errc::bad_crypto_sessions;
            const auto c = detail::pick(std::span<const detail::candidate>(kemac.data(), nk),
                                        std::span<const detail::candidate>(tickets.data(), nt), b.spi, count);
            if (!c) return errc::missing_key;
            secret_buffer<64> forked;
            bytes_view key = c->key;
            if (c->from_ticket && m_granted.flags.i && detail::is_tgk(c->kind)) {
                (void)forked.resize(key.size());
                if (auto ok = crypto::derive_forked_tgk(*m_b, m_granted.prf, key, identity(idrr), rand_value(randrkms),
                                                        forked.mutable_view());
                    !ok) {
                    return ok.error_info();
                }
                key = forked.view();
            }
            if (auto ok = detail::make_session_key(*m_b, map.prf(), detail::session_of(b), c->kind, key, c->salt, c->spi, rands,
                                                   out[count]);
                !ok) {
                return ok.error_info();
            }
            ++count;
        }
        return count;
    }

    /// Copies the offered security policies (constructor). False when there
    /// are more than max_policy_offers, a Policy no repeats, an offer names a
    /// CS ID that is not among the sessions, or an SP does not build.
    void commit_keys(std::array<session_key, max_crypto_sessions>& keys, std::size_t count) noexcept {
        for (std::size_t i = 0; i < count; ++i) m_keys[i] = std::move(keys[i]);
        m_key_count = count;
    }

    B* m_b;
    const P* m_policy;
    initiator_config m_cfg;           ///< its views point into m_storage (security_policies: into m_offers)
    detail::config_storage m_storage;
    state m_state = state::idle;
    std::vector<std::uint8_t> m_request, m_ticket, m_transfer;
    detail::random_bytes m_randri{}, m_randri_transfer{};
    ticket_policy m_granted{};
    secret_buffer<64> m_mpki{}, m_mpkr{}, m_mpkr_forked{};
    std::vector<detail::owned_key> m_ticket_keys;
    std::vector<detail::owned_key> m_supplied;  ///< keys sent in TRANSFER_INIT (L flag)
    std::size_t m_transfers = 0;
    std::string m_peer;
    detail::random_bytes m_randrr{};
    detail::policy_list m_offers;    ///< the SP payloads of TRANSFER_INIT (config)
    bool m_offers_ok = true;
};

}  // namespace mikey::roles
// ---- end mikey/roles/initiator.hpp ----
// #include "roles/csb_update.hpp" (inlined above as mikey/roles/csb_update.hpp)
// #include "roles/responder.hpp" (inlined)
// ---- begin mikey/roles/responder.hpp ----
// mikey-ticket (roles layer): the Responder of RFC 6043 as a sans-I/O
// machine. It receives TRANSFER_INIT, rejects early what its policy will
// not accept (§4.2.2.2), has the ticket resolved (RESOLVE_INIT_PSK /
// RESOLVE_RESP with the KMS, modes 1 and 3; or opens it itself with a TPK
// it shares, modes 2 and 4, never when the E flag makes Resolve mandatory),
// verifies TRANSFER_INIT with MPKi (and V = Vi when forking, §4.2.3.6), and
// answers with TRANSFER_RESP when the F flag asks for it.
//
//   idle --TRANSFER_INIT--> awaiting_resolve_resp --RESOLVE_RESP--> established
//   idle --TRANSFER_INIT (resolves itself)--> established
//   established --TRANSFER_INIT--> ... (ticket reuse, J = 1, §5.3)
//   established --TRANSFER_INIT without TICKET--> established (CSB update, §5.2)
//   awaiting_resolve_resp --abandon()--> idle (the caller's timeout)
//
// A refused input changes no state, with one exception the protocol forces:
// in modes 1 and 3 the Responder cannot authenticate TRANSFER_INIT before
// the KMS resolved its ticket (§4.2.2.2), so a forged TRANSFER_INIT moves it
// to awaiting_resolve_resp; when the authentic RESOLVE_RESP then shows that
// TRANSFER_INIT to be forged, the exchange is abandoned (back to idle).

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// #include "../crypto/derive.hpp" (inlined above as mikey/crypto/derive.hpp)
// #include "../crypto/kemac.hpp" (inlined above as mikey/crypto/kemac.hpp)
// #include "../ticket/base_ticket.hpp" (inlined above as mikey/ticket/base_ticket.hpp)
// #include "../ticket/mac_coverage.hpp" (inlined above as mikey/ticket/mac_coverage.hpp)
// #include "../ticket/messages.hpp" (inlined above as mikey/ticket/messages.hpp)
// #include "../ticket/policy.hpp" (inlined above as mikey/ticket/policy.hpp)
// #include "../ticket/seal.hpp" (inlined above as mikey/ticket/seal.hpp)
// #include "csb_update.hpp" (inlined above as mikey/roles/csb_update.hpp)
// #include "exchange.hpp" (inlined above as mikey/roles/exchange.hpp)
// #include "outcome.hpp" (inlined above as mikey/roles/outcome.hpp)
// #include "policy.hpp" (inlined above as mikey/roles/policy.hpp)
// #include "security_policy.hpp" (inlined above as mikey/roles/security_policy.hpp)

namespace mikey::roles {

/// What a Responder is.
struct responder_config {
    std::string_view identity;      ///< IDRr (URI) it sends in RESOLVE_INIT and TRANSFER_RESP
    std::string_view kms_identity;  ///< IDRkms of the KMS it resolves with
    algorithm_suite suite{};        ///< HDR PRF and V Auth alg of RESOLVE_INIT
};

template <crypto::crypto_backend B, responder_policy P>
class responder : public detail::bundle_party {
public:
    enum class state : std::uint8_t { idle, awaiting_resolve_resp, established, awaiting_update_resp };

    responder(B& backend, const P& policy, const responder_config& cfg)
        : m_b(&backend), m_policy(&policy), m_id(cfg.identity), m_kms(cfg.kms_identity), m_suite(cfg.suite) {}

    [[nodiscard]] state current() const noexcept { return m_state; }
    /// Gives up a pending Resolve (the caller's timeout: the KMS never
    /// answered): back to idle, or to established when an earlier exchange
    /// completed. The only state change that is not an answer to an input.
    void abandon() noexcept {
        m_resolving.reset();
        drop_update();
        m_state = m_key_count != 0 ? state::established : state::idle;
    }
    /// The Initiator, as the resolved ticket names it (IDRi of its TP Data).
    [[nodiscard]] bytes_view peer_identity() const noexcept { return ticket::as_bytes(m_peer); }
    /// The identity the KMS forked for (IDRr of RESOLVE_RESP), or its own.
    [[nodiscard]] bytes_view answering_identity() const noexcept { return ticket::as_bytes(m_answering); }
    [[nodiscard]] const ticket_policy& policy() const noexcept { return m_ticket_policy; }
    [[nodiscard]] bytes_view mpki() const noexcept { return m_mpki.view(); }
    [[nodiscard]] bytes_view mpkr_forked() const noexcept { return m_mpkr_forked.view(); }
    /// The security policy of crypto session `cs` (from established on): the
    /// SP this Responder chose for it (one the Initiator offered, or its own
    /// from own_security_policy), or with F = 0 the first one offered;
    /// after a CSB update, the one its answer named, or that an Initiator's
    /// update without answer listed first (RFC 6043 §5.2, "handled as in
    /// the initial exchange"); nullopt when there is none (SRTP's defaults
    /// apply, RFC 3830 §6.10.1). A view of bytes this machine owns, valid
    /// until its next exchange or update; srtp::policy_from turns it into
    /// an SRTP policy.
    [[nodiscard]] std::optional<sp_view> security_policy(cs_id cs) const noexcept MIKEY_LIFETIMEBOUND {
        return m_policies.for_session(cs.get());
    }
    /// The CSB ID of the bundle (from established on).
    [[nodiscard]] csb_id csb() const noexcept { return m_bundle.csb; }
    /// The responders the resolved ticket authorizes (the IDRr payloads of
    /// its TP Data, whose integrity the KMS vouched for, RFC 6043 §4.2.3):
    /// e.g. the participants a conference creator allowed. Read from the
    /// ticket's TP Data, which the machine keeps, when asked. Allocates.
    [[nodiscard]] std::vector<std::string> ticket_responders() const {
        return ticket::responders_of(::mikey::detail::first_byte_chain(m_ticket_tp_data));
    }

    /// CSB update started by the Responder (RFC 6043 §5.2: "The CSB updating
    /// can also be started by the Responder"): TRANSFER_INIT = HDR, T, [IDRr],
    /// [IDRi], {SP}, [KEMAC], V, protected with the keys of the last message
    /// of the initial exchange. `sessions`, `supplied`, `rekey`,
    /// `want_response` and `offers` (security policies offered in SP
    /// payloads) as for initiator::start_update; new keys need the M flag. The keys take effect when the Initiator's TRANSFER_RESP
    /// verifies, or at once without one (e.g. a focus rekeying its group
    /// TEK for every member).
    /// Errors: unexpected_in_state (not established), invalid_argument (as
    /// initiator::start_update's), key_too_short, missing_key, stale_timestamp (`now` not newer than the
    /// last message under the bundle's keys), policy_not_acceptable (new
    /// keys with M = 0), buffer_too_small, crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome start_update(ntp_time now, R& rng, mutable_bytes out,
                                       std::span<const crypto_session_spec> sessions, bool rekey,
                                       bool want_response, std::span<const supplied_key> supplied = {},
                                       std::span<const policy_offer> offers = {}) noexcept {
        if (m_state != state::established) return outcome::refused({errc::unexpected_in_state, 0});
        auto r = send_update(*m_b, rng, now, out, update_context(), sessions, supplied, rekey, want_response, offers);
        if (!r) return outcome::refused(r.error_info());
        if (want_response) m_state = state::awaiting_update_resp;
        return *r;
    }

    /// Session keys this Responder supplies in its next TRANSFER_RESP (M flag,
    /// RFC 6043 §4.2.2.3; e.g. a conference focus's group TEKs for its
    /// outgoing media): each keys crypto session `cs_id`, added to the CS ID
    /// map when TRANSFER_INIT lacks it. A ticket without M (or F) then makes
    /// the exchange fail with policy_not_acceptable instead of dropping them.
    /// Errors: invalid_argument (also more than max_crypto_sessions keys),
    /// key_too_short (see supplied_key). On error the keys set before stay.
    [[nodiscard]] result<void> set_response_keys(std::span<const supplied_key> keys) {
        // finish() holds them with TRANSFER_INIT's KEMAC keys in 2 * max_crypto_sessions candidates.
        if (keys.size() > max_crypto_sessions) return errc::invalid_argument;
        return detail::take_supplied(keys, m_response_keys);
    }

    /// Handles TRANSFER_INIT (initial, ticket reuse, or a CSB update of the
    /// Initiator's, answered with the keys of set_update_response_keys),
    /// RESOLVE_RESP, the TRANSFER_RESP answering our CSB update (whose KEMAC
    /// keys take effect), or an Error (error_received).
    /// Errors (besides parse / schema errors): message_not_for_role,
    /// unexpected_in_state, policy_not_acceptable (early reject),
    /// sp_not_acceptable, sp_not_found, sp_prot_mismatch (the offered
    /// security policies, early reject, and those an Initiator's CSB update
    /// lists), sp_count_not_one, sp_changed (the security policies of the
    /// answer to our CSB update, detail::check_answer),
    /// flag_f_required_by_i, bad_crypto_sessions, timestamp_out_of_window,
    /// unknown_peer, unknown_ticket_key, header_mismatch, wrong_kms, suite
    /// errors, auth_failure, vi_mismatch, replayed_message,
    /// replay_cache_full, missing_key, key_length_mismatch (an MPK over 64
    /// bytes in RESOLVE_RESP, a session key over 64 or its SPI over 8),
    /// missing_payload, ticket_expired,
    /// ticket_not_yet_valid, unauthorized_responder (self-resolve),
    /// ticket_reuse_forbidden, identity_mismatch (TRANSFER_INIT's IDRi is not
    /// the ticket's, or an update's IDRs not the bundle's), stale_timestamp
    /// (an update's T not newer than the last message under the bundle's
    /// keys, or the answer to our update carrying keys with a T not after
    /// the update's), unexpected_payload (a KEMAC without L, RANDs in a CSB
    /// update), mac_not_allowed, key_without_spi, key_unwrap_failure,
    /// policy_not_acceptable, bad_crypto_sessions, invalid_argument
    /// (set_update_response_keys that an update asking for an answer cannot
    /// carry), buffer_too_small, crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome receive(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto h = hdr_view::parse(in);
        if (!h) return outcome::refused(h.error_info());
        result<outcome> r = errc::message_not_for_role;
        switch (h->type()) {
            case data_type::transfer_init:
                if (m_state == state::awaiting_resolve_resp || m_state == state::awaiting_update_resp) {
                    r = failure{errc::unexpected_in_state, 1};
                } else if (m_state == state::established && !carries_ticket(in)) {
                    // RFC 6043 §5.2: a CSB update carries no TICKET.
                    r = take_update(*m_b, *m_policy, in, now, out, update_context());
                } else {
                    r = on_transfer_init(in, now, rng, out);
                }
                break;
            case data_type::resolve_resp:
                r = m_state == state::awaiting_resolve_resp ? on_resolve_resp(in, now, rng, out)
                                                            : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::transfer_resp:
                r = m_state == state::awaiting_update_resp ? on_update_resp(in, now)
                                                           : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::error: return outcome::refused(failure{errc::error_received, 1});
            default: r = failure{errc::message_not_for_role, 1}; break;
        }
        if (r) return *r;
        return detail::refuse(r.error_info(), in, now, out, m_policy->send_auth_failure_error());
    }
    /// receive() of a TRANSFER_INIT carrying a ticket that the caller parsed
    /// already (to look at what it claims first, as a conference focus
    /// does): the same checks and answer without parsing it again. `m`'s
    /// bytes are copied when kept. Errors: receive's.
    template <random_generator R>
    [[nodiscard]] outcome receive(const ticket::transfer_init_view& m, ntp_time now, R& rng, mutable_bytes out) noexcept {
        result<outcome> r = failure{errc::unexpected_in_state, 1};
        if (m_state != state::awaiting_resolve_resp && m_state != state::awaiting_update_resp) {
            r = on_transfer_init(m, now, rng, out);
        }
        if (r) return *r;
        return detail::refuse(r.error_info(), m.bytes(), now, out, m_policy->send_auth_failure_error());
    }

private:
    [[nodiscard]] identity me() const noexcept { return identity(ticket::as_bytes(m_id)); }
    [[nodiscard]] identity kms_id() const noexcept { return identity(ticket::as_bytes(m_kms)); }

    template <random_generator R>
    [[nodiscard]] result<outcome> on_transfer_init(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto m = ticket::transfer_init_view::parse(in);
        if (!m) return m.error_info();
        return on_transfer_init(*m, now, rng, out);
    }
    template <random_generator R>
    [[nodiscard]] result<outcome> on_transfer_init(const ticket::transfer_init_view& m, ntp_time now, R& rng,
                                                   mutable_bytes out) noexcept {
        const ticket_view tv = *m.ticket();
        const ticket_policy tp = tv.policy();
        // RFC 6043 §4.2.2.2: "The Responder SHALL however check that both the Ticket Policy and the
        // security policies are acceptable. If they are not, the Responder SHALL reject without
        // contacting the KMS."
        if (auto ok = m_policy->accept_ticket(tp); !ok) return ok.error_info();
        const algorithm_suite suite{m.header().prf(), m_policy->kemac_encr(m.v()->kind()), m.v()->kind()};
        if (auto ok = m_policy->check_suite(suite); !ok) return ok.error_info();
        const auto offers = detail::offered_choice::of(*m_policy, m.message(), suite, !tp.flags.f);
        if (!offers) return offers.error_info();
        if (auto ok = detail::in_window(*m_policy, m.t(), now); !ok) return ok.error_info();
        // RFC 6043 §4.2.2.3: the Responder may add crypto sessions ("the #CS SHALL be updated"); a
        // Transfer that lists none and gets none of ours would end in a bundle without keys.
        if (m.header().cs_count() == 0 && m_response_keys.empty()) return errc::bad_crypto_sessions;
        const auto bt = tv.base_ticket();
        if (!bt) return bt.error_info();
        // RFC 6043 §5.3: "If the Ticket Policy forbids reuse (J flag), the ticket MUST NOT be reused."
        const bytes_view tmac = bt->v().value();
        if (!tp.flags.j) {
            for (const auto& seen : m_seen_tickets) {
                if (equal_bytes(seen.view().subspan(1), tmac)) return errc::ticket_reuse_forbidden;
            }
        }
        const auto tpk = m_policy->tpk_for(bt->idrpsk() ? identity(bt->idrpsk()->data()) : identity{});
        if (!tpk) return send_resolve(m, now, rng, out, tmac, *offers);
        if (tp.flags.e) {
            // RFC 6043 §6.10: E = 1 makes the Resolve exchange MANDATORY. Holding the TPK we can
            // still check the ticket's integrity first (an early reject, §4.2.2.2): a flipped
            // flag must not send us to the KMS.
            std::array<std::uint8_t, ticket::max_kemac_plain> plain;
            const auto opened = ticket::open_base_ticket(*m_b, tv, *bt, bt->v().kind(), *tpk, plain);
            m_b->wipe(plain);
            if (!opened) return opened.error_info();
            return send_resolve(m, now, rng, out, tmac, *offers);
        }
        // Modes 2 and 4: resolve the ticket ourselves (App. A).
        resolution res;
        if (auto ok = resolve_self(tv, *bt, *tpk, now, res); !ok) return ok.error_info();
        auto o = finish(m, now, rng, out, std::move(res), tmac, *offers);
        if (o) o->with(event::ticket_resolved);
        return o;
    }

    template <random_generator R>
    [[nodiscard]] result<outcome> send_resolve(const ticket::transfer_init_view& m, ntp_time now, R& rng,
                                               mutable_bytes out, bytes_view tmac,
                                               const detail::offered_choice& offers) noexcept {
        const auto psk = m_policy->psk_for(me());
        if (!psk) return errc::unknown_peer;
        const auto csb = random_u32(rng);
        if (!csb) return csb.error_info();
        auto randrr = detail::random_bytes::draw(rng, detail::rand_length(psk->size()));
        if (!randrr) return randrr.error_info();
        const auto k1 = detail::protection(*m_b, detail::direction::initial, detail::needs::auth_key, m_suite, *psk, csb_id(*csb), {},
                                           randrr->view());
        if (!k1) return k1.error_info();
        const detail::timestamp t(now);
        ticket::sealed_message_builder sb(out);
        // RFC 6043 §4.2.3.1: V flag 1, #CS 0, Empty map; the TICKET as received (Initiator Data included).
        sb.header(hdr_builder{data_type::resolve_init_psk, true, m_suite.prf, csb_id(*csb), empty_map{}, 1})
            .add(t.builder())
            .add(randr_builder{rand_role::randrr, randrr->view()})
            .add(idr_builder{id_role::idrr, id_type::uri, me().get()})
            .add(idr_builder{id_role::idrkms, id_type::uri, kms_id().get()})
            .add(m.ticket()->to_builder());
        // RFC 6043 §5.5: RESOLVE_INIT || Identity_r || Identity_kms.
        const auto sealed = sb.seal(*m_b, m_suite.mac, k1->auth_key.view(), {me().get(), kms_id().get()});
        if (!sealed) return sealed.error_info();
        // Commit: our RESOLVE_INIT and the TRANSFER_INIT (with its validated view) until RESOLVE_RESP.
        auto p = std::make_unique<pending_resolve>();
        p->bytes.reserve(m.bytes().size() + sealed->size());
        p->bytes.assign(m.bytes().begin(), m.bytes().end());
        p->bytes.insert(p->bytes.end(), sealed->begin(), sealed->end());
        p->resolve_size = sealed->size();
        p->ticket_mac_at = static_cast<std::size_t>(tmac.data() - m.bytes().data());
        p->ticket_mac_size = tmac.size();
        auto ti = m.rebased(p->transfer_bytes());
        if (!ti) return ti.error_info();
        p->transfer.emplace(*ti);
        p->randrr = *randrr;
        p->offers = offers;
        m_resolving = std::move(p);
        m_state = state::awaiting_resolve_resp;
        return outcome{errc::ok, 0, *sealed, data_type::resolve_init_psk, 0};
    }

    /// A TRANSFER_INIT without TICKET is a CSB update (RFC 6043 §5.2).
    static bool carries_ticket(bytes_view in) noexcept {
        const auto m = message_view::parse(in);
        return !m || m->count(payload_type::ticket) != 0;
    }

    /// What a CSB update needs of the initial exchange (RFC 6043 §5.2).
    [[nodiscard]] detail::update_context update_context() const noexcept {
        const auto& f = m_ticket_policy.flags;
        return detail::update_context{.self = party::responder,
                                      .csb = m_bundle.csb,
                                      .prf = m_bundle.suite.prf,
                                      .mac = m_bundle.suite.mac,
                                      .kemac_encr = m_bundle.suite.encr,
                                      .id_i = ticket::as_bytes(m_peer),
                                      .id_r = ticket::as_bytes(m_bundle.answered ? m_answering : m_bundle.id_r),
                                      .last = &m_last,
                                      .rands = crypto::d4_rands{rand_value(m_last.randri.view()), rand_value(m_last.randrr.view()),
                                                                f.h, f.g},
                                      .flags = f,
                                      .keys = {m_keys.data(), m_key_count},
                                      .policies = &m_policies};
    }

    /// The Initiator's answer to our CSB update.
    [[nodiscard]] result<outcome> on_update_resp(bytes_view in, ntp_time now) noexcept {
        auto r = verify_update_answer(*m_b, *m_policy, in, now, update_context());
        if (r) m_state = state::established;
        return r;
    }

    /// Everything taken from a resolved ticket, committed only on success.
    struct resolution {
        secret_buffer<64> mpki{}, mpkr_forked{};
        std::array<detail::owned_key, max_crypto_sessions> held{};
        std::size_t held_count = 0;
        std::string peer, answering;
        detail::random_bytes randrkms{};
    };

    /// Copies MPKi, [MPKr'] and the session keys of a key list (RFC 6043
    /// §4.2.3.5: MPKi || [MPKr'] || {TEK|TGK|GTGK}; for a ticket opened
    /// ourselves: MPK || keys, with mpki already derived). Errors: missing_key,
    /// owned_key::received's (key_without_spi, key_length_mismatch), key_length_mismatch
    /// (an MPK over 64 bytes).
    [[nodiscard]] static result<void> take(const key_data_list& list, bool from_kms, bool forking,
                                           resolution& res) noexcept {
        std::size_t mpks = 0;
        for (const auto& k : list) {
            if (k.kind() == key_data_type::mpk) {
                // An MPK longer than the 64 bytes held is refused (key_length_mismatch).
                if (from_kms && mpks == 0) {
                    if (auto r = res.mpki.assign(k.key()); !r) return r;
                } else if (from_kms && mpks == 1 && forking) {
                    if (auto r = res.mpkr_forked.assign(k.key()); !r) return r;
                }
                ++mpks;
                continue;
            }
            if (!detail::is_session_key(k.kind()) || res.held_count == res.held.size()) return errc::missing_key;
            auto h = detail::owned_key::received(k);
            if (!h) return h.error_info();
            res.held[res.held_count++] = std::move(*h);
        }
        // RFC 6043 §4.2.3.5: MPKi always, MPKr' with forking; a session key to use.
        if (mpks < (from_kms ? (forking ? 2u : 1u) : 1u) || res.held_count == 0) return errc::missing_key;
        return {};
    }

    /// Modes 2 and 4: open the ticket with our TPK and check what a KMS
    /// would: validity, and that we are one of its authorized responders
    /// (by identity: group membership is the KMS's knowledge). `bt` is
    /// tv.base_ticket().
    [[nodiscard]] result<void> resolve_self(const ticket_view& tv, const base_ticket_view& bt, bytes_view tpk,
                                            ntp_time now, resolution& res) noexcept {
        const ticket_policy tp = tv.policy();
        const algorithm_suite ts{tp.prf, bt.kemac().encryption(), bt.v().kind()};
        if (auto ok = m_policy->check_suite(ts); !ok) return ok;
        const auto tpc = ticket::read_tp_data(tv.tp_payloads());
        if (!tpc) return tpc.error_info();
        if (auto ok = ticket::check_validity(*tpc, now); !ok) return ok;
        bool listed = false;
        for (const auto& e : tv.tp_payloads()) {
            if (e.type == payload_type::idr && e.as<idr_view>().role() == id_role::idrr &&
                equal_bytes(e.as<idr_view>().data(), me().get())) {
                listed = true;
            }
        }
        // RFC 6043 §6.10: only the ticket's authorized responders may resolve it.
        if (!listed) return errc::unauthorized_responder;
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto opened = ticket::open_base_ticket(*m_b, tv, bt, ts.mac, tpk, plain);
        if (!opened) return opened.error_info();
        const bytes_view mpk = opened->mpk.key();
        // RFC 6043 App. A.2.2: MPKi from the MPK and the ticket's RAND (an MPK over the 64 bytes
        // held: key_length_mismatch).
        auto r = res.mpki.resize(mpk.size());
        if (r) r = crypto::derive_mpki(*m_b, tp.prf, mpk, rand_value(bt.rand().value()), res.mpki.mutable_view());
        if (r) r = take(opened->keys, false, false, res);
        m_b->wipe(plain);
        if (!r) return r;
        if (tpc->idri) res.peer.assign(ticket::as_chars(tpc->idri->data()));
        res.answering = m_id;
        return {};
    }

    template <random_generator R>
    [[nodiscard]] result<outcome> on_resolve_resp(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto m = ticket::resolve_resp_view::parse(in);
        if (!m) return m.error_info();
        detail::anticipate_fresh(*m_policy, m->message(), m->mac());  // the replay check after the MAC
        const pending_resolve& pr = *m_resolving;
        const bytes_view resolve_init = pr.resolve_bytes();
        const auto req = hdr_view::parse(resolve_init);
        const auto hdr = m->header();
        // RFC 6043 §4.2.3.5: version, PRF func, CSB ID copied from RESOLVE_INIT.
        if (hdr.version() != req->version() || hdr.prf() != req->prf() || hdr.csb() != req->csb()) {
            return failure{errc::header_mismatch, 3};
        }
        if (m->idrkms() && !equal_bytes(m->idrkms()->data(), kms_id().get())) return errc::wrong_kms;
        const auto psk = m_policy->psk_for(me());
        if (!psk) return errc::unknown_peer;
        const algorithm_suite s{hdr.prf(), m->kemac()->encryption(), m->v()->kind()};
        if (s.mac != m_suite.mac) return errc::mac_not_allowed;
        if (auto ok = m_policy->check_suite(s); !ok) return ok.error_info();
        const auto k2 = detail::protection(*m_b, detail::direction::response, detail::needs::all_keys, s, *psk, hdr.csb(), {},
                                           pr.randrr.view());
        if (!k2) return k2.error_info();
        // RFC 6043 §5.5: RESOLVE_RESP || RESOLVE_INIT.
        if (auto ok = ticket::verify_message_mac(*m_b, m->message(), s.mac, k2->auth_key.view(),
                                                 ticket::v_inputs{.initial_message = resolve_init});
            !ok) {
            return ok.error_info();
        }
        if (auto ok = detail::fresh(*m_policy, m->message(), m->t(), m->mac(), now); !ok) return ok.error_info();
        // RFC 6043 §4.2.3.5: the KEMAC "SHALL use the NULL authentication algorithm".
        if (m->kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
        // Our copy of the TRANSFER_INIT that passed transfer_init_view::parse on receipt.
        const ticket::transfer_init_view& ti = *pr.transfer;
        const ticket_view tv = *ti.ticket();
        const bool forking = tv.flags().i;
        resolution res;
        if (forking) {
            // RFC 6043 §4.2.3.5: the modifier "SHALL be included in the IDRr and RANDRkms payloads".
            if (!m->idrr() || !m->randrkms()) return errc::missing_payload;
            res.answering.assign(ticket::as_chars(m->idrr()->data()));
            res.randrkms.assign(m->randrkms()->value());
        } else {
            res.answering = m->idrr() ? std::string(m->idrr()->data().begin(), m->idrr()->data().end()) : m_id;
        }
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto list = crypto::open_kemac(*m_b, *m->kemac(), k2->cipher(hdr.csb(), detail::iv_time(m->t())), plain);
        if (!list) return list.error_info();
        auto r = take(*list, true, forking, res);
        m_b->wipe(plain);
        if (!r) return r.error_info();
        // The KMS vouches for the ticket's IDRi: the Initiator's identity.
        if (const auto idri = ticket::initiator_of(tv.tp_payloads())) res.peer.assign(ticket::as_chars(idri->data()));
        auto o = finish(ti, now, rng, out, std::move(res), pr.ticket_mac(), pr.offers);
        if (!o) {
            // The RESOLVE_RESP was authentic but the TRANSFER_INIT it resolved does not verify
            // (tampered, replayed, V != Vi): that exchange is over, the machine is idle again.
            abandon();
            return o;
        }
        o->with(event::ticket_resolved);
        return o;
    }

    /// After the ticket is resolved: "the Responder MUST verify the
    /// TRANSFER_INIT message with the MPKi" and, with forking, V = Vi
    /// (RFC 6043 §4.2.3.6); then the session keys, TRANSFER_RESP when F, and
    /// the commit of the new state.
    template <random_generator R>
    [[nodiscard]] result<outcome> finish(const ticket::transfer_init_view& ti, ntp_time now, R& rng,
                                         mutable_bytes out, resolution&& res, bytes_view tmac,
                                         const detail::offered_choice& offers) noexcept {
        detail::anticipate_fresh(*m_policy, ti.message(), ti.mac());  // the replay check after the MAC
        const auto hdr = ti.header();
        const ticket_policy tp = ti.ticket()->policy();
        const auto& f = tp.flags;
        const algorithm_suite s{hdr.prf(), m_policy->kemac_encr(ti.v()->kind()), ti.v()->kind()};
        // The encr / salt keys only to open the Initiator's KEMAC, for the Encr alg it names.
        algorithm_suite s_ti = s;
        if (ti.kemac()) {
            s_ti.encr = ti.kemac()->encryption();
            if (auto ok = m_policy->check_suite(s_ti); !ok) return ok.error_info();
        }
        auto k1 = detail::protection(*m_b, detail::direction::initial, detail::needs_if(ti.kemac().has_value()), s_ti,
                                     res.mpki.view(), hdr.csb(),
                                     ti.randri()->value(), {});
        if (!k1) return k1.error_info();
        // RFC 6043 §5.5: TRANSFER_INIT (without Initiator Data) || Identity_i || Identity_r.
        const identity id_i(ti.idri() ? ti.idri()->data() : ticket::as_bytes(res.peer));
        const identity id_r(ti.idrr() ? ti.idrr()->data() : me().get());
        if (auto ok = ticket::verify_message_mac(*m_b, ti.message(), s.mac, k1->auth_key.view(),
                                                 ticket::v_inputs{.identity_i = id_i, .identity_r = id_r});
            !ok) {
            return ok.error_info();
        }
        // RFC 6043 §4.2.3.6: "the MAC field in the V payload ... is identical to the MAC field in the Vi payload".
        if (f.i) {
            if (auto ok = ticket::verify_vi(*m_b, ti.message()); !ok) {
                return ok.error() == errc::auth_failure ? result<outcome>(errc::vi_mismatch) : ok.error_info();
            }
        }
        if (auto ok = detail::fresh(*m_policy, ti.message(), ti.t(), ti.mac(), now); !ok) return ok.error_info();
        // The Initiator named in TRANSFER_INIT is the one the ticket names.
        if (ti.idri() && !res.peer.empty() && !equal_bytes(ti.idri()->data(), ticket::as_bytes(res.peer))) {
            return errc::identity_mismatch;
        }
        if (res.peer.empty() && ti.idri()) res.peer.assign(ticket::as_chars(ti.idri()->data()));
        if (auto ok = m_policy->accept_initiator(identity(ticket::as_bytes(res.peer))); !ok) return ok.error_info();
        // RFC 6043 §4.2.2.1: a KEMAC in TRANSFER_INIT only with L; its encr_key from MPKi (D1).
        if (ti.kemac() && !f.l) return errc::unexpected_payload;
        // RFC 6043 §4.2.2.3: "If indicated by the Ticket Policy (M flag), a KEMAC payload SHALL NOT be
        // included"; and without F there is no TRANSFER_RESP to carry our keys.
        if (!m_response_keys.empty() && (!f.m || !f.f)) return errc::policy_not_acceptable;
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const detail::wipe_on_exit<B> wipe_plain{m_b, plain};
        std::array<detail::candidate, 2 * max_crypto_sessions> kemac;  // [0, nk) written below
        std::size_t nk = 0;
        for (const auto& k : m_response_keys) kemac[nk++] = k.view(false);
        if (ti.kemac()) {
            if (ti.kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
            const auto list = crypto::open_kemac(*m_b, *ti.kemac(), k1->cipher(hdr.csb(), detail::iv_time(ti.t())), plain);
            if (!list) return list.error_info();
            const auto n = detail::kemac_candidates(*list, std::span<detail::candidate>(kemac).subspan(nk, max_crypto_sessions));
            if (!n) return n.error_info();
            nk += *n;
        }
        // RFC 6043 §4.2.2.3: "If indicated by the Ticket Policy (G flag), the Responder SHALL
        // generate a fresh (pseudo-)random byte string RANDRr."
        detail::random_bytes randrr;
        if (f.g) {
            std::size_t longest = res.mpki.size();
            for (std::size_t j = 0; j < res.held_count; ++j) longest = std::max(longest, res.held[j].key.size());
            auto r = detail::random_bytes::draw(rng, detail::rand_length(longest));
            if (!r) return r.error_info();
            randrr = *r;
        }
        // The crypto sessions after this exchange: TRANSFER_INIT's (the SPI of a session we key
        // ourselves replaced), and those our supplied keys add ("If the Responder adds crypto
        // sessions, the #CS SHALL be updated", §4.2.2.3).
        detail::cs_map map;
        if (hdr.map_type() == cs_id_map_type::generic_id) {
            for (const auto& b : generic_id_map(hdr.map_info())) {
                if (!map.add(b)) return errc::bad_crypto_sessions;
            }
        } else if (hdr.map_type() != cs_id_map_type::empty) {
            // RFC 6043 §6.1: "The map type SRTP-ID SHALL NOT be used" (the schema refuses it first).
            return errc::bad_crypto_sessions;
        }
        for (const auto& k : m_response_keys) {
            if (auto* b = map.find(k.cs_id)) {
                b->spi = k.view(false).spi;
            } else if (!map.add_srtp(k.cs_id, k.ssrc, k.view(false).spi)) {
                return errc::bad_crypto_sessions;
            }
        }
        const std::size_t nb = map.size();
        if (nb == 0) return errc::bad_crypto_sessions;  // no session listed, none of ours (keys dropped meanwhile)
        const auto& blocks = map.blocks;
        // RFC 6043 §5.1.3: each crypto session's TEK from its key with RANDRi (H) and RANDRr (G).
        std::array<detail::candidate, max_crypto_sessions> tickets;  // [0, held_count) written below
        for (std::size_t j = 0; j < res.held_count; ++j) tickets[j] = res.held[j].view(false);  // forked by the KMS already
        const crypto::d4_rands rands{rand_value(ti.randri()->value()), rand_value(randrr.view()), f.h, f.g};
        std::array<session_key, max_crypto_sessions> keys;
        for (std::size_t i = 0; i < nb; ++i) {
            const auto c = detail::pick(std::span<const detail::candidate>(kemac.data(), nk),
                                        std::span<const detail::candidate>(tickets.data(), res.held_count), blocks[i].spi, i);
            if (!c) return errc::missing_key;
            if (auto ok = detail::make_session_key(*m_b, hdr.prf(), detail::session_of(blocks[i]), c->kind, c->key, c->salt,
                                                   c->spi, rands, keys[i]);
                !ok) {
                return ok.error_info();
            }
        }
        const std::size_t count = nb;
        // RFC 6043 §4.2.2.3: "The Responder SHALL update the CS ID map info so that each crypto session
        // has exactly one security policy indicated" (detail::response_policies); without TRANSFER_RESP
        // (F = 0) each crypto session keeps the first one offered.
        detail::response_policies sps;
        if (auto ok = sps.choose(*m_policy, ti.message(), map.view(), [&keys](std::size_t i) { return keys[i].tek.size(); },
                                 s, f.f, offers);
            !ok) {
            return ok.error_info();
        }
        if (f.f) sps.name_in(map.blocks.mutable_view());

        outcome o{};
        std::optional<detail::last_message_keys> last;
        if (f.f) {
            // RFC 6043 §4.2.2.3: TRANSFER_RESP, protected with MPKr' (forking) or MPKi, D2 with RANDRi and RANDRr (G).
            const bytes_view inkey = f.i ? res.mpkr_forked.view() : res.mpki.view();
            auto k2 = detail::protection(*m_b, detail::direction::response, detail::needs_if(!m_response_keys.empty()),
                                         s, inkey, hdr.csb(), ti.randri()->value(),
                                         randrr.view());
            if (!k2) return k2.error_info();
            const detail::timestamp t(now);
            std::optional<randr_builder> rr, rk;
            if (f.g) rr = randr_builder{rand_role::randrr, randrr.view()};
            if (f.i) rk = randr_builder{rand_role::randrkms, res.randrkms.view()};
            inline_list<key_data_builder, max_crypto_sessions> kb;
            for (const auto& k : m_response_keys) {
                const auto c = k.view(false);
                if (!kb.push_back(key_data_builder{c.kind, c.key, c.salt, kv_data{kv_type::spi, c.spi, {}, {}}})) {
                    return errc::invalid_argument;
                }
            }
            ticket::sealed_message_builder sb(out);
            sb.header(hdr_builder{data_type::transfer_resp, false, hdr.prf(), hdr.csb(),
                                  map.view(), hdr.version()})
                .add(t.builder())
                .add(rr)
                // RFC 6043 §4.2.2.3: the IDRr of RESOLVE_RESP "MUST be sent in an IDRr payload".
                .add(idr_builder{id_role::idrr, id_type::uri, ticket::as_bytes(res.answering)})
                .add(rk)
                .add(sps.own());
            if (!m_response_keys.empty()) {
                // RFC 6043 §4.2.2.3, §5.2: KEMAC = E(encr_key, (TEK|TGK|GTGK)), NULL MAC, the keys of this message.
                sb.add_kemac(*m_b, s.encr, k2->cipher(hdr.csb(), t.iv()), kb.view());
            }
            // RFC 6043 §5.5: TRANSFER_RESP || TRANSFER_INIT.
            const auto sealed = sb.seal(*m_b, s.mac, k2->auth_key.view(), {ti.bytes()});
            if (!sealed) return sealed.error_info();
            o.send = *sealed;
            o.send_type = data_type::transfer_resp;
            last = detail::last_message_keys::of(detail::direction::response, s, inkey, hdr.csb(), ti.randri()->value(),
                                                 randrr.view(), *k2, s.encr);
        } else {
            // No TRANSFER_RESP: no RANDRr either (G implies F, RFC 6043 §6.10), so the RANDs kept
            // here are also the D4 RANDs of the bundle's session keys.
            last = detail::last_message_keys::of(detail::direction::initial, s, res.mpki.view(), hdr.csb(),
                                                 ti.randri()->value(), {}, *k1, s_ti.encr);
        }
        // Commit.
        // RFC 6043 §5.2: CSB updates use the keys of the last message of the initial exchange.
        m_last = std::move(*last);
        // The T of the last message: our TRANSFER_RESP (`now`), else TRANSFER_INIT's.
        m_last.t = f.f ? now : ntp_time::from_payload(ti.t().kind(), ti.t().value()).value_or(now);
        // The Responder's identity for updates: the IDRr of its TRANSFER_RESP when it sent one
        // (RFC 6043 §5.5: it "MAY differ from that appearing in TRANSFER_INIT"), else TRANSFER_INIT's.
        // Identity_i is m_peer (TRANSFER_INIT's IDRi equals the ticket's, checked above).
        m_bundle = bundle{hdr.csb(), s, f.f, f.f ? std::string{} : std::string(id_r.get().begin(), id_r.get().end())};
        m_ticket_tp_data.assign(ti.ticket()->tp_data().begin(), ti.ticket()->tp_data().end());
        for (std::size_t i = 0; i < count; ++i) m_keys[i] = std::move(keys[i]);
        m_key_count = count;
        m_mpki = std::move(res.mpki);
        m_mpkr_forked = std::move(res.mpkr_forked);
        m_peer = std::move(res.peer);
        m_answering = std::move(res.answering);
        m_ticket_policy = tp;
        m_policies = std::move(sps.negotiated);
        if (!f.j) m_seen_tickets.push_back(ticket::replay_key(0, tmac));
        m_resolving.reset();
        m_state = state::established;
        o.with(event::keys_established).with(event::peer_authenticated);
        return o;
    }

    B* m_b;
    const P* m_policy;
    std::string m_id, m_kms;
    algorithm_suite m_suite;
    state m_state = state::idle;
    /// While a Resolve is pending: the TRANSFER_INIT and our RESOLVE_INIT
    /// (one buffer), the view of the TRANSFER_INIT validated on receipt, and
    /// RANDRr. Out of line: a conference focus holds one Responder per member.
    struct pending_resolve {
        std::vector<std::uint8_t> bytes;  ///< TRANSFER_INIT || RESOLVE_INIT; never resized once filled
        std::size_t resolve_size = 0;
        std::size_t ticket_mac_at = 0, ticket_mac_size = 0;  ///< the ticket's V MAC within transfer_bytes()
        std::optional<ticket::transfer_init_view> transfer;  ///< over transfer_bytes()
        detail::random_bytes randrr{};
        detail::offered_choice offers{};  ///< the early check's choice of security policies (§4.2.2.2)
        [[nodiscard]] bytes_view transfer_bytes() const noexcept {
            return bytes_view(bytes).first(bytes.size() - resolve_size);
        }
        [[nodiscard]] bytes_view resolve_bytes() const noexcept { return bytes_view(bytes).last(resolve_size); }
        /// The MAC of the ticket's own V (what identifies the ticket for the J check, §5.3).
        [[nodiscard]] bytes_view ticket_mac() const noexcept {
            return transfer_bytes().subspan(ticket_mac_at, ticket_mac_size);
        }
    };
    std::unique_ptr<pending_resolve> m_resolving;
    secret_buffer<64> m_mpki{}, m_mpkr_forked{};
    std::string m_peer, m_answering;
    ticket_policy m_ticket_policy{};
    /// The V MACs of the tickets used with J = 0 (RFC 6043 §5.3), as replay keys of type 0.
    std::vector<ticket::replay_key> m_seen_tickets;
    std::vector<detail::owned_key> m_response_keys;
    /// What CSB updates need of the initial exchange (RFC 6043 §5.2).
    /// Identity_i is m_peer; Identity_r is m_answering when this end sent
    /// TRANSFER_RESP (its IDRr, RFC 6043 §5.5: it "MAY differ from that
    /// appearing in TRANSFER_INIT"), else `id_r`, TRANSFER_INIT's.
    struct bundle {
        csb_id csb{};
        algorithm_suite suite{};
        bool answered = false;
        std::string id_r;
    };
    bundle m_bundle{};
    std::vector<std::uint8_t> m_ticket_tp_data;  ///< the resolved ticket's TP Data (First Payload byte first)
};

}  // namespace mikey::roles
// ---- end mikey/roles/responder.hpp ----
// #include "conference/record.hpp" (inlined)
// ---- begin mikey/conference/record.hpp ----
// mikey-ticket (conference layer): what a conference is: its URI, creator,
// authorized participants, settings (key model, media, BFCP, event
// package), the members present with their crypto sessions and SSRCs, and
// a key epoch. The focus keeps one; the management interface changes it.
//
// Crypto sessions of every conference exchange (one bundle per member):
//   cs_member_media  1  the member's media to the focus (key: the ticket's
//                        TGK, forked: individual; SSRC chosen by the member,
//                        or assigned by the focus on call-out)
//   cs_focus_media   2  the focus's media to the member (key: a TEK the focus
//                        supplies, the group TEK or an individual one)
//   cs_bfcp          3  BFCP over TLS (seed 003 G.3.2: the TLS PSK is its TEK)
//   cs_event_package 4  the conference event package NOTIFY bodies (seed 003 G.3.3)

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// #include "../roles/outcome.hpp" (inlined above as mikey/roles/outcome.hpp)

namespace mikey::conference {

inline constexpr std::uint8_t cs_member_media = 1;
inline constexpr std::uint8_t cs_focus_media = 2;
inline constexpr std::uint8_t cs_bfcp = 3;
inline constexpr std::uint8_t cs_event_package = 4;

/// How the focus keys its outgoing media.
enum class key_model : std::uint8_t {
    /// One group TEK for the focus's media to every member (seeds 001, 002);
    /// renewed on every join and leave so that a member who left cannot
    /// decrypt what follows, and one who joins cannot decrypt what preceded.
    group,
    /// A TEK per member and stream (seed 003 G.1): "a participant is only
    /// able to decrypt media sent to him during his presence"; nobody else
    /// holds it, so joins and leaves need no rekey.
    individual,
};

/// Conference settings the creator (or whom the policy allows) changes
/// through the management interface (seed 003 G.3.1).
struct settings {
    key_model keys = key_model::group;
    bool bfcp = false;           ///< a BFCP-over-TLS crypto session per member
    bool event_package = false;  ///< an event-package crypto session per member
    friend bool operator==(const settings&, const settings&) = default;
};

/// A member present, and the crypto sessions of its bundle.
struct member {
    std::string identity;
    std::vector<roles::crypto_session_spec> sessions;
    bool called_out = false;  ///< joined through the focus's call-out (focus is Initiator)
};

/// The state of one conference.
struct record {
    std::string uri;                      ///< the conference (focus) URI
    std::string creator;                  ///< who created it (authenticated, flow 1)
    std::set<std::string, std::less<>> authorized;  ///< who may join (besides the creator)
    settings config{};
    std::vector<member> members;
    std::uint32_t epoch = 0;              ///< counts the group key changes
    std::uint32_t focus_ssrc = 0;         ///< the SSRC of the focus's group stream (group model; not 0: the factory draws it)

    [[nodiscard]] bool is_authorized(std::string_view id) const noexcept {
        return id == creator || authorized.find(id) != authorized.end();
    }
    [[nodiscard]] const member* find(std::string_view id) const noexcept {
        for (const auto& m : members) {
            if (m.identity == id) return &m;
        }
        return nullptr;
    }
    [[nodiscard]] static constexpr bool is_media(std::uint8_t cs) noexcept {
        return cs == cs_member_media || cs == cs_focus_media;
    }
};

}  // namespace mikey::conference
// ---- end mikey/conference/record.hpp ----
// #include "conference/policy.hpp" (inlined)
// ---- begin mikey/conference/policy.hpp ----
// mikey-ticket (conference layer): the conference policy hook. It decides
// who may create a conference, join, invite or refer whom, subscribe to
// the event package and change a conference through the management
// interface. A C++20 concept with a default (basic_conference_policy).
//
// Next to each hook: its default, and the risk of loosening it.

#include <algorithm>
#include <concepts>
#include <string>
#include <string_view>
#include <vector>

// #include "../core/errc.hpp" (inlined above as mikey/core/errc.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "record.hpp" (inlined above as mikey/conference/record.hpp)

namespace mikey::conference {

/// Hooks (all identities are authenticated by MIKEY-TICKET first):
///   may_create(creator)              error unauthorized_creator (flow 1b)
///   may_join(record, who)            error not_authorized_participant (flows 2-5)
///   may_invite(record, by, invitee)  errors unauthorized_referrer,
///                                    not_authorized_participant (flow 4b)
///   may_subscribe(record, who)       error unauthorized_subscriber (seed 003 G.3.3)
///   may_manage(record, who)          error unauthorized_management (seed 003 G.3.1)
template <class C>
concept conference_policy = requires(const C& c, const record& r, std::string_view id) {
    { c.may_create(id) } noexcept -> std::same_as<result<void>>;
    { c.may_join(r, id) } noexcept -> std::same_as<result<void>>;
    { c.may_invite(r, id, id) } noexcept -> std::same_as<result<void>>;
    { c.may_subscribe(r, id) } noexcept -> std::same_as<result<void>>;
    { c.may_manage(r, id) } noexcept -> std::same_as<result<void>>;
};

/// The default conference policy.
class basic_conference_policy {
public:
    /// Who may create conferences. Default (empty): every identity the KMS
    /// authenticated. Risk: anyone with a KMS identity makes the operator
    /// host conferences.
    std::vector<std::string> creators{};
    /// Members (not only the creator) may invite / refer others. Default
    /// true (seed 000 flow 4: "the conference creator/owner (or a
    /// participant)"). Risk: a member grows the conference within the
    /// authorized set only, never past it.
    bool members_may_invite = true;
    /// Members may change the conference through the management interface.
    /// Default false (seed 003 G.3.1 "It may also be possible"). Risk: any
    /// member can admit others or switch the key model.
    bool members_may_manage = false;

    [[nodiscard]] result<void> may_create(std::string_view creator) const noexcept {
        if (creators.empty() || std::find(creators.begin(), creators.end(), creator) != creators.end()) return {};
        return errc::unauthorized_creator;
    }
    /// Default: the creator and the authorized set (seed 003 G.3.2: "verify
    /// that the UE identity ... is authorized to join").
    [[nodiscard]] result<void> may_join(const record& r, std::string_view who) const noexcept {
        return r.is_authorized(who) ? result<void>{} : result<void>(errc::not_authorized_participant);
    }
    /// Default: the referrer is the creator or (members_may_invite) a member,
    /// and the invitee may join.
    [[nodiscard]] result<void> may_invite(const record& r, std::string_view by, std::string_view invitee) const noexcept {
        if (by != r.creator && !(members_may_invite && r.find(by))) return errc::unauthorized_referrer;
        return may_join(r, invitee);
    }
    /// Default: the authorized set (seed 003 G.3.3: "verify that the sender
    /// is an authorized conference participant").
    [[nodiscard]] result<void> may_subscribe(const record& r, std::string_view who) const noexcept {
        return r.is_authorized(who) ? result<void>{} : result<void>(errc::unauthorized_subscriber);
    }
    /// Default: the creator only.
    [[nodiscard]] result<void> may_manage(const record& r, std::string_view who) const noexcept {
        if (who == r.creator || (members_may_manage && r.find(who))) return {};
        return errc::unauthorized_management;
    }
};
static_assert(conference_policy<basic_conference_policy>);

}  // namespace mikey::conference
// ---- end mikey/conference/policy.hpp ----
// #include "conference/naming.hpp" (inlined)
// ---- begin mikey/conference/naming.hpp ----
// mikey-ticket (conference layer): conference URIs and the one KMS identity
// a factory shares with every focus it creates (seed 000 §5.3.2.3.1):
// "if the conference factory is named factory.conference1@operator then
// conference URI's could be named focusX.conference1@operator", both public
// identities of one KMS identity, "locally managed by the KMS".
//
//   seed000_naming          that convention (the default naming hook)
//   conference_naming       what a naming hook offers (concept)
//   conference_identity_policy  a role policy adapter (KMS, factory, focus):
//                           a conference URI authenticates with its factory's
//                           PSK and belongs to the factory's group identity

#include <charconv>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>

// #include "../roles/policy.hpp" (inlined above as mikey/roles/policy.hpp)
// #include "../ticket/key_store.hpp" (inlined above as mikey/ticket/key_store.hpp)

namespace mikey::conference {

/// A naming hook: the factory's URI, the URI of conference number `n`, and
/// whether a URI is one of this factory's conferences.
template <class N>
concept conference_naming = requires(const N& n, std::uint64_t x, std::string_view uri) {
    { n.factory_uri() } -> std::convertible_to<std::string_view>;
    { n.conference_uri(x) } -> std::same_as<std::string>;
    { n.is_conference_of(uri) } noexcept -> std::same_as<bool>;
};

/// Seed 000's convention: factory `[scheme:]factory.<rest>` names its
/// conferences `[scheme:]focus<X>.<rest>` with X a decimal number.
class seed000_naming {
public:
    /// `factory` must have the form [scheme:]factory.<rest>; otherwise
    /// valid() is false and no URI is its conference.
    explicit seed000_naming(std::string factory) : m_factory(std::move(factory)) {
        const auto colon = m_factory.find(':');
        const auto at = m_factory.find('@');
        const std::size_t start = colon != std::string::npos && (at == std::string::npos || colon < at) ? colon + 1 : 0;
        constexpr std::string_view tag = "factory.";
        if (m_factory.compare(start, tag.size(), tag) == 0 && m_factory.size() > start + tag.size()) {
            m_scheme = m_factory.substr(0, start);
            m_rest = m_factory.substr(start + tag.size() - 1);  // ".<rest>"
        }
    }
    [[nodiscard]] bool valid() const noexcept { return !m_rest.empty(); }
    [[nodiscard]] std::string_view factory_uri() const noexcept { return m_factory; }
    /// `[scheme:]focus<x>.<rest>`.
    [[nodiscard]] std::string conference_uri(std::uint64_t x) const {
        return m_scheme + "focus" + std::to_string(x) + m_rest;
    }
    [[nodiscard]] bool is_conference_of(std::string_view uri) const noexcept {
        constexpr std::string_view tag = "focus";
        if (!valid() || uri.size() <= m_scheme.size() + tag.size() + m_rest.size()) return false;
        if (uri.substr(0, m_scheme.size()) != m_scheme) return false;
        uri.remove_prefix(m_scheme.size());
        if (uri.substr(0, tag.size()) != tag) return false;
        uri.remove_prefix(tag.size());
        if (uri.size() <= m_rest.size() || uri.substr(uri.size() - m_rest.size()) != m_rest) return false;
        const auto digits = uri.substr(0, uri.size() - m_rest.size());
        std::uint64_t v = 0;
        const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
        return ec == std::errc{} && p == digits.data() + digits.size() && digits.front() != '+';
    }

private:
    std::string m_factory, m_scheme, m_rest;
};
static_assert(conference_naming<seed000_naming>);

/// A role policy that knows a factory's conferences: a conference URI
/// authenticates with the factory's PSK and is a member of the factory's
/// identity; every other hook is `Inner`'s (each one `Inner` has). The KMS
/// needs it (a ticket naming the factory resolves for the conference URI,
/// flow 1b; a focus calling out requests tickets under its URI, flow 4b),
/// and so do the factory and its foci (their machines look up the PSK of
/// their own identity, the conference URI). Both are used by reference.
template <class Inner, conference_naming Naming>
class conference_identity_policy {
public:
    conference_identity_policy(const Inner& inner, const Naming& naming) noexcept : m_in(&inner), m_naming(&naming) {}

    [[nodiscard]] std::optional<bytes_view> psk_for(identity id) const noexcept {
        if (m_naming->is_conference_of(ticket::as_chars(id.get()))) {
            return m_in->psk_for(identity(ticket::as_bytes(m_naming->factory_uri())));
        }
        return m_in->psk_for(id);
    }
    [[nodiscard]] bool is_member(identity member, identity group) const noexcept
        requires roles::kms_policy<Inner>
    {
        return (ticket::as_chars(group.get()) == m_naming->factory_uri() &&
                m_naming->is_conference_of(ticket::as_chars(member.get()))) ||
               m_in->is_member(member, group);
    }
    [[nodiscard]] std::optional<bytes_view> tpk_for(identity id) const noexcept { return m_in->tpk_for(id); }
    [[nodiscard]] encr_alg kemac_encr(mac_alg m) const noexcept { return m_in->kemac_encr(m); }
    [[nodiscard]] result<void> check_suite(const roles::algorithm_suite& s) const noexcept { return m_in->check_suite(s); }
    [[nodiscard]] std::chrono::seconds clock_window() const noexcept { return m_in->clock_window(); }
    [[nodiscard]] roles::replay_verdict remember(bytes_view k, ntp_time e, ntp_time n) const noexcept {
        return m_in->remember(k, e, n);
    }
    MIKEY_ALWAYS_INLINE void anticipate(bytes_view k) const noexcept {
        if constexpr (requires { m_in->anticipate(k); }) m_in->anticipate(k);
    }
    [[nodiscard]] bool send_auth_failure_error() const noexcept { return m_in->send_auth_failure_error(); }
    [[nodiscard]] result<void> authorize_request(identity id, const ticket_policy& tp) const noexcept
        requires roles::kms_policy<Inner>
    {
        return m_in->authorize_request(id, tp);
    }
    [[nodiscard]] result<ticket_policy> grant(identity id, const ticket_policy& tp) const noexcept
        requires roles::kms_policy<Inner>
    {
        return m_in->grant(id, tp);
    }
    [[nodiscard]] std::chrono::seconds ticket_lifetime() const noexcept
        requires roles::kms_policy<Inner>
    {
        return m_in->ticket_lifetime();
    }
    [[nodiscard]] std::optional<bytes_view> application_of(identity id) const noexcept
        requires roles::kms_policy<Inner>
    {
        return m_in->application_of(id);
    }
    [[nodiscard]] result<void> accept_granted(const ticket_policy& d, const ticket_policy& g) const noexcept
        requires roles::initiator_policy<Inner>
    {
        return m_in->accept_granted(d, g);
    }
    [[nodiscard]] result<void> accept_ticket(const ticket_policy& p) const noexcept
        requires roles::responder_policy<Inner>
    {
        return m_in->accept_ticket(p);
    }
    [[nodiscard]] result<void> accept_initiator(identity id) const noexcept
        requires roles::responder_policy<Inner>
    {
        return m_in->accept_initiator(id);
    }
    // The optional security-policy hooks (roles/policy.hpp), where Inner has them.
    [[nodiscard]] result<void> accept_security_policy(const sp_view& sp, const roles::algorithm_suite& s) const noexcept
        requires requires(const Inner& i) { i.accept_security_policy(sp, s); }
    {
        return m_in->accept_security_policy(sp, s);
    }
    [[nodiscard]] result<bytes_view> own_security_policy(prot_type prot, const roles::algorithm_suite& s,
                                                         std::size_t key_length, mutable_bytes out) const noexcept
        requires requires(const Inner& i) { i.own_security_policy(prot, s, key_length, out); }
    {
        return m_in->own_security_policy(prot, s, key_length, out);
    }
    [[nodiscard]] result<void> accept_changed_security_policy(const sp_view& sp) const noexcept
        requires requires(const Inner& i) { i.accept_changed_security_policy(sp); }
    {
        return m_in->accept_changed_security_policy(sp);
    }

private:
    const Inner* m_in;
    const Naming* m_naming;
};

}  // namespace mikey::conference
// ---- end mikey/conference/naming.hpp ----
// #include "conference/step.hpp" (inlined)
// ---- begin mikey/conference/step.hpp ----
// mikey-ticket (conference layer): what a factory, focus or participant
// hands back for one input: the messages to send (to the KMS over HTTP, or
// to a peer inside SIP INVITE / REFER / 200 OK bodies), the exchange they
// belong to, and whether it completed. Sans-I/O like the role machines:
// the caller carries the messages and brings the answers back with the
// exchange id.

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

// #include "../core/config.hpp" (inlined above as mikey/core/config.hpp)
// #include "../core/errc.hpp" (inlined above as mikey/core/errc.hpp)
// #include "../core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "../core/rng.hpp" (inlined above as mikey/core/rng.hpp)
// #include "../roles/exchange.hpp" (inlined above as mikey/roles/exchange.hpp)
// #include "../roles/outcome.hpp" (inlined above as mikey/roles/outcome.hpp)
// #include "../ticket/key_store.hpp" (inlined above as mikey/ticket/key_store.hpp)
// #include "record.hpp" (inlined above as mikey/conference/record.hpp)

namespace mikey::conference {

/// Names one pending exchange of a factory, focus or participant (never 0).
using exchange_id = std::uint32_t;

/// Where a message goes.
enum class destination : std::uint8_t {
    kms,   ///< the KMS (REQUEST_INIT_PSK, RESOLVE_INIT_PSK)
    peer,  ///< the identity in `message::peer` (TRANSFER_INIT / TRANSFER_RESP / Error)
};

namespace detail {
/// Memory for the messages of one step: their bytes and peer names, one
/// after another (one allocation for many messages, not two per message).
/// Written only past `used`, so a message's bytes never change once taken.
struct message_block {
    explicit message_block(std::size_t n) : data(std::make_unique_for_overwrite<std::uint8_t[]>(n)), capacity(n) {}
    std::unique_ptr<std::uint8_t[]> data;
    std::size_t used = 0;
    std::size_t capacity;
};
}  // namespace detail

/// One message to send. `peer` and `bytes` are views into `storage`, a
/// block the messages of one step share; each message holds a reference to
/// it, so the views stay valid while the message or any copy of it lives
/// (also after its step is gone, and when moved into another step).
struct message {
    destination to = destination::peer;
    std::string_view peer;  ///< the identity it is for (destination::peer)
    data_type type{};
    bytes_view bytes;       ///< the whole MIKEY message
    std::shared_ptr<const detail::message_block> storage;  ///< keeps `peer` and `bytes` alive
};

/// The result of one input.
struct [[nodiscard]] step {
    errc error = errc::ok;         ///< ok, or why the input was refused
    exchange_id id = 0;            ///< the exchange the input belongs to (0: none)
    std::vector<message> messages; ///< to send, in order (an Error message on some refusals)
    bool done = false;             ///< the exchange completed (member joined, conference created, ...)
    std::string who;               ///< the identity the completed exchange concerns
    std::optional<record> created; ///< factory: the conference a creation made

    [[nodiscard]] bool ok() const noexcept { return error == errc::ok; }
    /// The first message for `peer` (destination::peer), or nullptr.
    [[nodiscard]] const message* to_peer(std::string_view peer) const noexcept {
        for (const auto& m : messages) {
            if (m.to == destination::peer && m.peer == peer) return &m;
        }
        return nullptr;
    }
    explicit operator bool() const noexcept { return ok(); }
    static step refused(errc e, exchange_id id = 0) { return step{e, id, {}, false, {}, {}}; }
};

namespace detail {

/// Scratch for the one message a role machine writes per call (4 KiB; a
/// ticket with 15 keys needs 2). Not zero-filled: the machines write every
/// byte they hand back, and take() copies those into the step before the
/// buffer goes.
using message_buffer = std::array<std::uint8_t, 4096>;

/// Bytes per message block: a focus's CSB updates (about 380 bytes with the
/// member's name, each written where a whole message_buffer fits) fill one
/// block per about 75 members.
inline constexpr std::size_t message_block_size = 32768;

/// Room for one message to `peer` in a step: in the block of the step's
/// last message when it has room for the peer name and `max` bytes, else in
/// a new block. The peer name is written at once; a role machine writes the
/// message straight into out() (no copy), and commit() appends it to the
/// step. Dropped without commit, nothing is kept (a block is written only
/// past `used`).
class message_slot {
public:
    // Inlined: a focus's rekey makes one per member (a call costs about as much as the body).
    MIKEY_ALWAYS_INLINE message_slot(const step& s, std::string_view peer, std::size_t max) : m_peer_size(peer.size()) {
        const std::size_t need = peer.size() + max;
        if (!s.messages.empty() && s.messages.back().storage) {
            // Written only past `used` (see message_block): the messages already taken keep their bytes.
            m_block = std::const_pointer_cast<message_block>(s.messages.back().storage);
            if (m_block->capacity - m_block->used < need) m_block.reset();
        }
        if (!m_block) m_block = std::make_shared<message_block>(std::max(need, message_block_size));
        m_at = m_block->data.get() + m_block->used;
        if (!peer.empty()) std::memcpy(m_at, peer.data(), peer.size());
    }
    /// Where the message goes (at least `max` bytes).
    [[nodiscard]] mutable_bytes out() const noexcept {
        return {m_at + m_peer_size, m_block->capacity - m_block->used - m_peer_size};
    }
    /// Appends `bytes` (written at out(), or copied there) as a message.
    /// Precondition: bytes.size() <= out().size().
    void commit(step& s, destination to, data_type type, bytes_view bytes) {
        const mutable_bytes o = out().first(bytes.size());
        if (bytes.data() != o.data()) copy_bytes(o, bytes);
        m_block->used += m_peer_size + bytes.size();
        s.messages.push_back(message{to, ticket::as_chars(bytes_view(m_at, m_peer_size)), type,
                                     bytes_view(o), std::move(m_block)});
    }

private:
    std::shared_ptr<message_block> m_block;
    std::uint8_t* m_at = nullptr;
    std::size_t m_peer_size;
};

/// Appends the bytes of `o.send` (when any) as a message, with its peer
/// name (a copy, through a message_slot).
inline void take(step& s, const roles::outcome& o, destination to, std::string_view peer) {
    if (o.send.empty()) return;
    message_slot(s, peer, o.send.size()).commit(s, to, o.send_type, o.send);
}

/// `then` with the messages of `first` before its own: one input that ends
/// one exchange and starts (or completes) the next.
inline step followed_by(step first, step then) {
    then.messages.insert(then.messages.begin(), std::make_move_iterator(first.messages.begin()),
                         std::make_move_iterator(first.messages.end()));
    return then;
}

/// A step for a refused outcome: its error and its Error message (to `peer`).
inline step refused(const roles::outcome& o, exchange_id id, std::string_view peer) {
    step s = step::refused(o.error, id);
    take(s, o, destination::peer, peer);
    return s;
}

/// The pending exchanges of a factory, focus or participant by id (ids
/// count up from 1 and skip 0, which names none). `T` holds the role
/// machine(s) of one exchange as unique_ptrs `res` (and `ini`).
template <class T>
class exchange_table {
public:
    using map_type = std::map<exchange_id, std::unique_ptr<T>>;
    using iterator = typename map_type::iterator;

    [[nodiscard]] exchange_id next_id() noexcept { return ++m_last == 0 ? ++m_last : m_last; }
    /// Keeps `x` under a new id; returns it.
    exchange_id add(std::unique_ptr<T> x) {
        const exchange_id id = next_id();
        m_map.emplace(id, std::move(x));
        return id;
    }
    /// Keeps `x` under `id` (an exchange going on under the id of the one it came from).
    void add(exchange_id id, std::unique_ptr<T> x) { m_map[id] = std::move(x); }
    [[nodiscard]] iterator find(exchange_id id) { return m_map.find(id); }
    [[nodiscard]] iterator end() noexcept { return m_map.end(); }
    [[nodiscard]] auto begin() const noexcept { return m_map.begin(); }
    [[nodiscard]] auto end() const noexcept { return m_map.end(); }
    void erase(iterator it) { m_map.erase(it); }
    [[nodiscard]] std::size_t size() const noexcept { return m_map.size(); }
    [[nodiscard]] bool empty() const noexcept { return m_map.empty(); }

    /// After a refused input: the exchange ends unless its machine still
    /// waits for an answer, so that a forged answer cannot end a genuine
    /// exchange. Returns `s`.
    step settle(iterator it, step s) {
        if (!waiting(*it->second)) m_map.erase(it);
        return s;
    }

private:
    static bool waiting(const T& x) noexcept {
        if (x.res) return x.res->current() == std::remove_cvref_t<decltype(*x.res)>::state::awaiting_resolve_resp;
        if constexpr (requires { x.ini; }) {
            using I = std::remove_cvref_t<decltype(*x.ini)>;
            return x.ini && (x.ini->current() == I::state::awaiting_request_resp ||
                             x.ini->current() == I::state::awaiting_transfer_resp);
        }
        return false;
    }

    map_type m_map;
    exchange_id m_last = 0;
};

/// Feeds an initial TRANSFER_INIT (its bytes, or the transfer_init_view
/// the caller parsed them into) to a fresh Responder, which must then ask
/// the KMS: the step holds its RESOLVE_INIT (id 0), or its refusal with the
/// Error message for `peer`. Errors: the Responder's; policy_not_acceptable
/// when it resolved the ticket itself (conference tickets have E = 1: the
/// KMS resolves them, RFC 6043 §6.10).
template <class Responder, class TransferInit, random_generator R>
[[nodiscard]] step start_resolve(Responder& res, const TransferInit& transfer_init, ntp_time now, R& rng,
                                 std::string_view peer, std::string_view kms) {
    message_buffer buf;
    const auto o = res.receive(transfer_init, now, rng, buf);
    if (!o) return refused(o, 0, peer);
    if (res.current() != Responder::state::awaiting_resolve_resp) return step::refused(errc::policy_not_acceptable);
    step s{};
    take(s, o, destination::kms, kms);
    return s;
}

/// The KMS's REQUEST_RESP for a pending Initiator, then its TRANSFER_INIT
/// (with `supplied` keys, L flag) for `peer`. Errors: the Initiator's.
template <class Initiator, random_generator R>
[[nodiscard]] step transfer_with_ticket(Initiator& ini, exchange_id id, bytes_view request_resp, ntp_time now, R& rng,
                                        std::string_view peer, std::span<const roles::supplied_key> supplied = {}) {
    message_buffer buf;
    const auto o = ini.receive(request_resp, now, rng, buf);
    if (!o) return step::refused(o.error, id);
    const auto t = ini.start_transfer(now, rng, buf, supplied);
    if (!t) return step::refused(t.error, id);
    step s{errc::ok, id, {}, false, {}, {}};
    take(s, t, destination::peer, peer);
    return s;
}

/// A refusal decided by the conference layer about the message `origin` was
/// read from: error `e` and, where wire_error gives a code, the Error
/// message to `peer`.
inline step refuse(errc e, exchange_id id, const std::optional<roles::detail::error_origin>& origin, ntp_time now,
                   std::string_view peer) {
    std::array<std::uint8_t, 128> buf{};
    return refused(roles::detail::refuse(failure{e, 0}, origin, now, buf, false), id, peer);
}
/// refuse() about the bytes `offending`.
inline step refuse(errc e, exchange_id id, bytes_view offending, ntp_time now, std::string_view peer) {
    return refuse(e, id, roles::detail::error_origin::of(offending), now, peer);
}

}  // namespace detail
}  // namespace mikey::conference
// ---- end mikey/conference/step.hpp ----
// #include "conference/exchange.hpp" (inlined)
// ---- begin mikey/conference/exchange.hpp ----
// mikey-ticket (conference layer): what every conference block shares: the
// settings of its role machines, the profile of conference tickets (key
// forking always on, seed 000), the unauthenticated early look at a
// TRANSFER_INIT (who claims to send it, whom its ticket names, which crypto
// sessions it proposes), and the focus's supplied media keys.

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// #include "../core/rng.hpp" (inlined above as mikey/core/rng.hpp)
// #include "../core/secret.hpp" (inlined above as mikey/core/secret.hpp)
// #include "../roles/exchange.hpp" (inlined above as mikey/roles/exchange.hpp)
// #include "../roles/outcome.hpp" (inlined above as mikey/roles/outcome.hpp)
// #include "../roles/security_policy.hpp" (inlined above as mikey/roles/security_policy.hpp)
// #include "../ticket/messages.hpp" (inlined above as mikey/ticket/messages.hpp)
// #include "../ticket/policy.hpp" (inlined above as mikey/ticket/policy.hpp)
// #include "record.hpp" (inlined above as mikey/conference/record.hpp)

namespace mikey::conference {

/// Bytes of an identity as a string.
[[nodiscard]] inline std::string id_string(bytes_view b) { return std::string(b.begin(), b.end()); }

/// The SRTP policy of conference media as SP parameters (RFC 3830
/// §6.10.1): AES-256-CM (RFC 6188) with a 32-byte master key, HMAC-SHA-1
/// with a 20-byte key and an 80-bit tag, a 14-byte salt: media as strong as
/// the 256-bit suite, and what roles::default_own_security_policy proposes
/// for 32-byte keys, parameter for parameter.
inline constexpr std::array<std::uint8_t, 18> conference_srtp_policy{
    0, 1, 1,    // Encryption algorithm: AES-CM
    1, 1, 32,   // Session Encr. key length
    2, 1, 1,    // Authentication algorithm: HMAC-SHA-1
    3, 1, 20,   // Session Auth. key length
    4, 1, 14,   // Session Salt key length
    11, 1, 10,  // Authentication tag length
};

/// What the role machines of a conference block use.
struct machine_config {
    std::string_view kms_identity;  ///< IDRkms
    /// The 256-bit suite of RFC 6043 §6 (what policy_settings::strict_3gpp() allows).
    crypto::algorithm_suite suite{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256};
    std::size_t key_length = 32;  ///< bytes of each ticket TGK and supplied TEK
    /// The SRTP policy (SP parameters, copied) its Initiators offer for every
    /// crypto session of TRANSFER_INIT (Policy no 1, RFC 6043 §6.1.1) and its
    /// Responders, through the role policy, pick. Empty: no offer, the
    /// Responder proposes one (roles::default_own_security_policy).
    bytes_view srtp_policy{conference_srtp_policy};
};

/// The offer of SRTP policy `params` (Policy no 1, every crypto session)
/// for an initiator_config (a view of `params`).
[[nodiscard]] inline roles::policy_offer media_offer(bytes_view params MIKEY_LIFETIMEBOUND) noexcept {
    return {sp_builder{1, prot_type::srtp, {}, params}, {}};
}

/// The desired Ticket Policy of every conference ticket: D (the KMS makes
/// it), E and I (key forking, which makes Resolve mandatory: seeds 000 and
/// 004), F (TRANSFER_RESP, the Responder's authentication), G and H
/// (RANDRr, RANDRi in the key derivations), L and M (either end may supply
/// the focus's media keys: M on call-in, L on call-out).
[[nodiscard]] inline ticket_policy conference_ticket_policy(prf_func prf) noexcept {
    ticket_policy p{};
    p.prf = prf;
    p.flags = *ticket::flags_from_letters("DEFGHILM");
    return p;
}

/// What a TRANSFER_INIT claims before anything is authenticated: used only
/// to refuse early (RFC 6043 §4.2.2.2; seed 000 flow 4b: "detecting
/// unauthorized REFERs as early as possible"); every decision is taken again
/// on the authenticated identities. Views of the TRANSFER_INIT it was read
/// from, which the caller parses once and hands to its Responder after
/// (roles::responder::receive of a transfer_init_view).
struct transfer_claims {
    std::string_view initiator;  ///< IDRi of the ticket's TP Data (empty: none)
    inline_list<roles::crypto_session_spec, roles::max_crypto_sessions> sessions;  ///< the GENERIC-ID map
    validated_chain tp;          ///< the ticket's TP Data payloads
    /// The IDRr of the ticket's TP Data (whom it names as responders).
    [[nodiscard]] std::vector<std::string> responders() const { return ticket::responders_of(tp); }
};

/// The claims of `m`. Errors: unknown_ts_type (a TRs / TRe that is no
/// time), bad_crypto_sessions (not a GENERIC-ID map, or more sessions than
/// roles::max_crypto_sessions).
[[nodiscard]] inline result<transfer_claims> claims_of(const ticket::transfer_init_view& m MIKEY_LIFETIMEBOUND) {
    transfer_claims c{.initiator = {}, .sessions = {}, .tp = m.ticket()->tp_payloads()};
    const auto contents = ticket::read_tp_data(c.tp);
    if (!contents) return contents.error_info();
    if (contents->idri) c.initiator = ticket::as_chars(contents->idri->data());
    const auto h = m.header();
    if (h.map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
    for (const auto& b : generic_id_map(h.map_info())) {
        if (!c.sessions.push_back(roles::detail::session_of(b))) return errc::bad_crypto_sessions;
    }
    return c;
}

/// A TEK with salt the focus supplies for its media to a member (crypto
/// session cs_focus_media): the group TEK or an individual one.
struct media_key {
    secret_buffer<64> key{};
    secret_buffer<32> salt{};
    std::array<std::uint8_t, 4> spi{};
    std::uint32_t ssrc = 0;

    /// Draws a fresh key of `length` bytes, a 14-byte salt (RFC 3711 §8.2)
    /// and an SPI. Errors: key_too_short (under 16 bytes, RFC 6043 §12.1),
    /// key_length_mismatch (over 64), those of the RNG.
    template <random_generator R>
    [[nodiscard]] static result<media_key> draw(R& rng, std::size_t length, std::uint32_t ssrc) noexcept {
        media_key k;
        k.ssrc = ssrc;
        if (length < crypto::min_key_bytes) return errc::key_too_short;
        if (auto ok = k.key.resize(length); !ok) return ok.error_info();
        (void)k.salt.resize(14);  // within the capacity of 32
        if (auto ok = rng.fill(k.key.mutable_view()); !ok) return ok.error_info();
        if (auto ok = rng.fill(k.salt.mutable_view()); !ok) return ok.error_info();
        if (auto ok = rng.fill(k.spi); !ok) return ok.error_info();
        return k;
    }
    /// As a supplied key (views into this object).
    [[nodiscard]] roles::supplied_key supplied() const noexcept MIKEY_LIFETIMEBOUND {
        return roles::supplied_key{.cs_id = cs_focus_media, .ssrc = ssrc, .kind = key_data_type::tek_salt,
                                   .key = key.view(), .salt = salt.view(), .spi = spi};
    }
};

/// An established bundle, held by the one of its role machines that made
/// it: the Responder (call-in, call-out received) or the Initiator (join,
/// call-out made).
template <class Initiator, class Responder>
struct bundle_machine {
    std::unique_ptr<Responder> res;
    std::unique_ptr<Initiator> ini;
    /// f(machine) on whichever machine holds the bundle.
    template <class F>
    decltype(auto) with(F&& f) const {
        return res ? f(*res) : f(*ini);
    }
};


}  // namespace mikey::conference
// ---- end mikey/conference/exchange.hpp ----
// #include "conference/factory.hpp" (inlined)
// ---- begin mikey/conference/factory.hpp ----
// mikey-ticket (conference layer): the conference factory (seed 000 flow 1;
// seed 003 G.3.1). A creator's TRANSFER_INIT names the factory; the
// factory allocates a conference URI through the naming hook, resolves the
// ticket *under that URI* (the KMS knows it as a public identity of the
// factory's KMS identity: conference_kms_policy), so the IDRr of the
// TRANSFER_RESP, whose key is forked for it, authenticates the conference
// URI to the creator (flow 1c). It records the creator and the authorized
// set (the ticket's IDRr payloads, which the KMS vouched for) and hands the
// record to the caller, who starts a focus with it.

#include <map>
#include <memory>
#include <string>
#include <vector>

// #include "../roles/responder.hpp" (inlined above as mikey/roles/responder.hpp)
// #include "exchange.hpp" (inlined above as mikey/conference/exchange.hpp)
// #include "naming.hpp" (inlined above as mikey/conference/naming.hpp)
// #include "policy.hpp" (inlined above as mikey/conference/policy.hpp)
// #include "step.hpp" (inlined above as mikey/conference/step.hpp)

namespace mikey::conference {

template <crypto::crypto_backend B, roles::responder_policy P, conference_policy C, conference_naming N>
class factory {
public:
    using responder_type = roles::responder<B, P>;

    /// Backend, policies and naming are used by reference.
    factory(B& backend, const P& role_policy, const C& conf_policy, const N& naming, const machine_config& cfg)
        : m_b(&backend), m_p(&role_policy), m_c(&conf_policy), m_n(&naming), m_kms(cfg.kms_identity),
          m_suite(cfg.suite) {}

    /// Flow 1a-b: a creation TRANSFER_INIT. Refused early when the ticket's
    /// IDRi may not create, or the ticket does not name the factory.
    /// Errors: the TRANSFER_INIT's parse / schema errors, unknown_ts_type (a
    /// TRs / TRe in its ticket that is no time), bad_crypto_sessions (not a
    /// GENERIC-ID map, or more sessions than roles::max_crypto_sessions),
    /// unauthorized_creator, focus_mismatch, the
    /// Responder's errors, policy_not_acceptable (a ticket the factory could
    /// open without the KMS); with an Error message
    /// (seed 000 flow 1b: "an error message to the initiator with an
    /// appropriate failure code").
    template <random_generator R>
    [[nodiscard]] step on_invite(bytes_view transfer_init, ntp_time now, R& rng) {
        const auto m = ticket::transfer_init_view::parse(transfer_init);
        if (!m) return detail::refuse(m.error(), 0, transfer_init, now, {});
        const auto c = claims_of(*m);
        if (!c) return detail::refuse(c.error(), 0, transfer_init, now, {});
        if (auto ok = m_c->may_create(c->initiator); !ok) return detail::refuse(ok.error(), 0, transfer_init, now, c->initiator);
        if (!names_factory(c->responders())) return detail::refuse(errc::focus_mismatch, 0, transfer_init, now, c->initiator);
        auto x = std::make_unique<pending>();
        x->uri = m_n->conference_uri(++m_conferences);
        x->creator = c->initiator;
        x->origin = roles::detail::error_origin::of(m->header());
        x->res = std::make_unique<responder_type>(*m_b, *m_p, roles::responder_config{x->uri, m_kms, m_suite});
        step s = detail::start_resolve(*x->res, *m, now, rng, c->initiator, m_kms);
        if (s) s.id = m_pending.add(std::move(x));
        return s;
    }

    /// Flow 1b: the KMS's RESOLVE_RESP (or Error) for exchange `id`. On
    /// success `created` holds the new conference's record and `messages`
    /// the TRANSFER_RESP. Errors: unknown_exchange, the Responder's errors,
    /// unauthorized_creator (on the authenticated creator).
    template <random_generator R>
    [[nodiscard]] step on_kms(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end()) return step::refused(errc::unknown_exchange, id);
        pending& x = *it->second;
        detail::message_buffer buf;
        const auto o = x.res->receive(in, now, rng, buf);
        if (!o) return m_pending.settle(it, detail::refused(o, id, x.creator));
        const std::string creator = id_string(x.res->peer_identity());
        if (auto ok = m_c->may_create(creator); !ok) {
            step s = detail::refuse(ok.error(), id, x.origin, now, creator);
            m_pending.erase(it);
            return s;
        }
        record r;
        r.uri = x.uri;
        r.creator = creator;
        r.config = m_defaults;
        if (auto ok = draw_focus_ssrc(rng, r); !ok) {
            m_pending.erase(it);
            return step::refused(ok.error(), id);
        }
        for (const auto& a : x.res->ticket_responders()) {
            if (a != m_n->factory_uri() && a != r.uri && a != creator) r.authorized.insert(a);
        }
        step s{errc::ok, id, {}, true, creator, std::move(r)};
        detail::take(s, o, destination::peer, creator);
        m_pending.erase(it);
        return s;
    }

    /// Seed 003 G.3.1: the management interface creates a conference URI
    /// without MIKEY. Errors: unauthorized_creator, the RNG's.
    template <random_generator R>
    [[nodiscard]] result<record> create(std::string_view creator, std::vector<std::string> authorized, const settings& s,
                                        R& rng) {
        if (auto ok = m_c->may_create(creator); !ok) return ok.error_info();
        record r;
        r.creator = std::string(creator);
        r.authorized = {std::make_move_iterator(authorized.begin()), std::make_move_iterator(authorized.end())};
        r.config = s;
        if (auto ok = draw_focus_ssrc(rng, r); !ok) return ok.error_info();
        r.uri = m_n->conference_uri(++m_conferences);
        return r;
    }

    /// The settings of conferences created through MIKEY (flow 1).
    void set_defaults(const settings& s) noexcept { m_defaults = s; }
    [[nodiscard]] std::size_t pending_count() const noexcept { return m_pending.size(); }

private:
    struct pending {
        std::string uri, creator;
        std::optional<roles::detail::error_origin> origin;  ///< of the TRANSFER_INIT, for an Error answering it
        std::unique_ptr<responder_type> res;
    };

    /// The SSRC of the focus's group stream: random, never 0.
    template <random_generator R>
    [[nodiscard]] static result<void> draw_focus_ssrc(R& rng, record& r) noexcept {
        do {
            const auto v = random_u32(rng);
            if (!v) return v.error_info();
            r.focus_ssrc = *v;
        } while (r.focus_ssrc == 0);
        return {};
    }
    [[nodiscard]] bool names_factory(const std::vector<std::string>& named) const noexcept {
        for (const auto& n : named) {
            if (n == m_n->factory_uri()) return true;
        }
        return false;
    }

    B* m_b;
    const P* m_p;
    const C* m_c;
    const N* m_n;
    std::string m_kms;
    crypto::algorithm_suite m_suite;
    settings m_defaults{};
    std::uint64_t m_conferences = 0;
    detail::exchange_table<pending> m_pending;
};

}  // namespace mikey::conference
// ---- end mikey/conference/factory.hpp ----
// #include "conference/focus.hpp" (inlined)
// ---- begin mikey/conference/focus.hpp ----
// mikey-ticket (conference layer): the conference focus of one conference
// (seed 000 flows 2-5, seeds 001-004) over the RFC 6043 role machines:
//
//   call-in (flows 2, 3, 5c)  on_invite(TRANSFER_INIT) -> RESOLVE_INIT to the
//                             KMS; on_kms(RESOLVE_RESP) -> the member is
//                             authenticated and authorized, TRANSFER_RESP
//                             with a KEMAC holding the focus's media TEK (M)
//   call-out (flow 4)         on_refer(TRANSFER_INIT, invitee) authenticates
//                             the referrer first (DoS), checks both
//                             identities, then REQUEST_INIT for the invitee;
//                             on_kms(REQUEST_RESP) -> TRANSFER_INIT with the
//                             media TEK (L) to the invitee; on_peer(
//                             TRANSFER_RESP) authenticates the invitee.
//                             invite() does the same for the management
//                             interface (seed 003: "via the external interface")
//   leave                     the member's keys are dropped
//   rekey                     group model: every join and leave draws a new
//                             group TEK, sent to every other member in a CSB
//                             update (RFC 6043 §5.2) that needs no answer
//   management (seed 003 G.3.1) authorize / revoke / set_authorized /
//                             change_settings, checked by the conference policy
//
// The focus is Responder for call-in and Initiator for call-out: one
// machine per member, all sharing the backend, role policy (key store,
// replay cache) by reference. A refused input changes no conference state.

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

// #include "../core/inline_list.hpp" (inlined above as mikey/core/inline_list.hpp)
// #include "../roles/initiator.hpp" (inlined above as mikey/roles/initiator.hpp)
// #include "../roles/responder.hpp" (inlined above as mikey/roles/responder.hpp)
// #include "exchange.hpp" (inlined above as mikey/conference/exchange.hpp)
// #include "policy.hpp" (inlined above as mikey/conference/policy.hpp)
// #include "step.hpp" (inlined above as mikey/conference/step.hpp)

namespace mikey::conference {

/// A role policy both an Initiator and a Responder can use.
template <class P>
concept focus_role_policy = roles::initiator_policy<P> && roles::responder_policy<P>;

template <crypto::crypto_backend B, focus_role_policy P, conference_policy C>
class focus {
public:
    using initiator_type = roles::initiator<B, P>;
    using responder_type = roles::responder<B, P>;

    /// A focus for the conference `r` (from a factory, or made by hand).
    /// Backend and policies are used by reference.
    focus(B& backend, const P& role_policy, const C& conf_policy, const machine_config& cfg, record r)
        : m_b(&backend), m_p(&role_policy), m_c(&conf_policy), m_kms(cfg.kms_identity), m_suite(cfg.suite),
          m_key_length(cfg.key_length), m_srtp_policy(cfg.srtp_policy.begin(), cfg.srtp_policy.end()),
          m_rec(std::move(r)) {
        for (const auto& m : m_rec.members) index_ssrcs(m, +1);
    }

    [[nodiscard]] const record& conference() const noexcept { return m_rec; }
    /// The keys of a member's bundle (empty when not a member).
    [[nodiscard]] std::span<const roles::session_key> keys_of(std::string_view who) const noexcept {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return {};
        return it->second.with([](const auto& m) { return m.session_keys(); });
    }
    /// The security policy negotiated for crypto session `cs` of a member's
    /// bundle (RFC 6043 §6.1.1; hand it to srtp::policy_from); nullopt when
    /// there is none or `who` is not a member.
    [[nodiscard]] std::optional<sp_view> security_policy_of(std::string_view who, cs_id cs) const noexcept {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return std::nullopt;
        return it->second.with([cs](const auto& m) { return m.security_policy(cs); });
    }
    /// The CSB ID of a member's bundle (0 when not a member).
    [[nodiscard]] csb_id csb_of(std::string_view who) const noexcept {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return csb_id{};
        return it->second.with([](const auto& m) { return m.csb(); });
    }
    /// The current group TEK (group model, once a member joined).
    [[nodiscard]] const std::optional<media_key>& group_key() const noexcept { return m_group; }
    [[nodiscard]] std::size_t pending() const noexcept { return m_pending.size(); }

    /// Call-in: a TRANSFER_INIT sent to the conference URI (flows 2, 3, 5c).
    /// Refused early, before asking the KMS, when the ticket's IDRi may not
    /// join, is a member already, or proposes an SSRC in use.
    /// Errors: the TRANSFER_INIT's parse / schema errors, unknown_ts_type (a
    /// TRs / TRe in its ticket that is no time), bad_crypto_sessions (a
    /// proposed cs_focus_media, a non-GENERIC-ID map, or more sessions than
    /// roles::max_crypto_sessions),
    /// not_authorized_participant, already_member, ssrc_collision, the
    /// Responder's errors; with an Error message where wire_error gives one.
    template <random_generator R>
    [[nodiscard]] step on_invite(bytes_view transfer_init, ntp_time now, R& rng) {
        const auto m = ticket::transfer_init_view::parse(transfer_init);
        if (!m) return detail::refuse(m.error(), 0, transfer_init, now, {});
        const auto c = claims_of(*m);
        if (!c) return detail::refuse(c.error(), 0, transfer_init, now, {});
        if (auto ok = admit(c->initiator, c->sessions.view()); !ok) {
            return detail::refuse(ok.error(), 0, transfer_init, now, c->initiator);
        }
        return start_responder(pending_exchange::kind::call_in, *m, *c, {}, now, rng);
    }

    /// Flow 4b: a REFER carrying a TRANSFER_INIT whose ticket names the focus
    /// and `invitee`. The referrer is authenticated by resolving the ticket
    /// before the focus calls out. Errors: as on_invite, and
    /// unauthorized_referrer, not_authorized_participant (the invitee may not
    /// join or the ticket does not name it), already_member.
    template <random_generator R>
    [[nodiscard]] step on_refer(bytes_view transfer_init, std::string_view invitee, ntp_time now, R& rng) {
        const auto m = ticket::transfer_init_view::parse(transfer_init);
        if (!m) return detail::refuse(m.error(), 0, transfer_init, now, {});
        const auto c = claims_of(*m);
        if (!c) return detail::refuse(c.error(), 0, transfer_init, now, {});
        if (auto ok = may_refer(c->initiator, invitee, c->responders()); !ok) {
            return detail::refuse(ok.error(), 0, transfer_init, now, c->initiator);
        }
        return start_responder(pending_exchange::kind::refer, *m, *c, invitee, now, rng);
    }

    /// The management interface asks the focus to call `invitee` out (seed
    /// 003 G.1: "instructs the conference focus ... via the external
    /// interface"). Errors: unauthorized_referrer / unauthorized_management
    /// (by may not invite), not_authorized_participant, already_member, the
    /// Initiator's errors.
    template <random_generator R>
    [[nodiscard]] step invite(std::string_view by, std::string_view invitee, ntp_time now, R& rng) {
        if (auto ok = m_c->may_invite(m_rec, by, invitee); !ok) return step::refused(ok.error());
        if (is_member(invitee)) return step::refused(errc::already_member);
        auto x = std::make_unique<pending_exchange>();
        x->what = pending_exchange::kind::call_out;
        x->peer = std::string(invitee);
        return start_call_out(std::move(x), m_pending.next_id(), now, rng);
    }

    /// An answer of the KMS (RESOLVE_RESP, REQUEST_RESP or an Error) for
    /// exchange `id`. Errors: unknown_exchange, the role machines' errors,
    /// and the checks taken again on the authenticated identities
    /// (not_authorized_participant, unauthorized_referrer, already_member,
    /// ssrc_collision), stale_timestamp (group model: `now` too far behind
    /// the members' keys to stamp their updates, see may_rekey). A refused answer that leaves the machine waiting
    /// keeps the exchange (a forged answer cannot end a genuine join).
    template <random_generator R>
    [[nodiscard]] step on_kms(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end()) return step::refused(errc::unknown_exchange, id);
        pending_exchange& x = *it->second;
        if (x.res) {
            detail::message_buffer buf;
            const auto o = x.res->receive(in, now, rng, buf);
            if (!o) return m_pending.settle(it, detail::refused(o, id, x.claimed));
            return on_resolved(it, o, now, rng);
        }
        // Flow 4b: the ticket for the invitee; TRANSFER_INIT with the media TEK (L).
        const auto supplied = x.key.supplied();
        return m_pending.settle(it, detail::transfer_with_ticket(*x.ini, id, in, now, rng, x.peer,
                                                                std::span<const roles::supplied_key>(&supplied, 1)));
    }

    /// The invitee's TRANSFER_RESP (or Error) for call-out exchange `id`
    /// (flow 4d). Errors: unknown_exchange, the Initiator's errors,
    /// focus_mismatch (another identity answered), and the checks taken
    /// again on the invitee: already_member, not_authorized_participant
    /// (revoked meanwhile), ssrc_collision; stale_timestamp (as on_kms).
    template <random_generator R>
    [[nodiscard]] step on_peer(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end() || !it->second->ini) return step::refused(errc::unknown_exchange, id);
        pending_exchange& x = *it->second;
        detail::message_buffer buf;
        const auto o = x.ini->receive(in, now, rng, buf);
        if (!o) return m_pending.settle(it, step::refused(o.error, id));
        if (!o.has(roles::event::keys_established)) return step{errc::ok, id, {}, false, {}, {}};
        // Seed 004: forking authenticates the Responder as the identity of its IDRr.
        if (ticket::as_chars(x.ini->peer_identity()) != x.peer) {
            m_pending.erase(it);
            return step::refused(errc::focus_mismatch, id);
        }
        // The invitee is checked once more (the set may have changed while the call-out was pending).
        auto ok = admit(x.peer, x.ini->sessions(), &x);
        if (ok) ok = may_rekey(now);
        if (!ok) {
            m_pending.erase(it);
            return step::refused(ok.error(), id);
        }
        step s{errc::ok, id, {}, false, {}, {}};
        commit(it, live_member{{}, std::move(x.ini)}, std::move(x.peer), true, now, rng, s);
        return s;
    }

    /// A member leaves (SIP BYE): its keys are dropped; in the group model
    /// every other member gets a new group TEK (CSB update), so the member
    /// who left cannot decrypt what follows. Errors: not_a_member,
    /// stale_timestamp (group model: `now` too far behind the members' keys
    /// to stamp their updates, see may_rekey); a refusal changes nothing.
    template <random_generator R>
    [[nodiscard]] step leave(std::string_view who, ntp_time now, R& rng) {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return step::refused(errc::not_a_member);
        step s{errc::ok, 0, {}, true, std::string(who), {}};
        std::optional<media_key> next;
        if (m_rec.config.keys == key_model::group) {
            if (auto ok = may_rekey(now); !ok) return step::refused(ok.error());
            auto k = media_key::draw(rng, m_key_length, m_rec.focus_ssrc);
            if (!k) return step::refused(k.error());
            next = std::move(*k);
        }
        m_members.erase(it);
        if (const auto r = std::find_if(m_rec.members.begin(), m_rec.members.end(),
                                        [&](const member& m) { return m.identity == who; });
            r != m_rec.members.end()) {
            index_ssrcs(*r, -1);
            m_rec.members.erase(r);
        }
        if (next) rekey(std::move(*next), nullptr, now, rng, s);
        return s;
    }

    /// A CSB update answer or Error from member `who` (updates need no
    /// answer; one that comes is checked). Errors: not_a_member,
    /// message_not_for_role (a TRANSFER_INIT), the machine's.
    template <random_generator R>
    [[nodiscard]] step on_member_message(std::string_view who, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return step::refused(errc::not_a_member);
        // Members answer the focus's updates; a TRANSFER_INIT is refused. With a TICKET (ticket
        // reuse, RFC 6043 §5.3) it would move the member's Responder, unauthenticated, to
        // awaiting_resolve_resp, a resolution this path never finishes (no more updates for the
        // member); without one (a CSB update) it can be the focus's own update to the member sent
        // back, which the machine takes as the member's (same keys and MAC inputs both ways).
        if (const auto h = hdr_view::parse(in); h && h->type() == data_type::transfer_init) {
            return step::refused(errc::message_not_for_role);
        }
        detail::message_buffer buf;
        const auto o = it->second.with([&](auto& m) { return m.receive(in, now, rng, buf); });
        if (!o) return detail::refused(o, 0, who);
        step s{errc::ok, 0, {}, true, std::string(who), {}};
        detail::take(s, o, destination::peer, who);
        return s;
    }

    /// Seed 003 G.3.3: may `who` subscribe to the conference event package.
    /// Errors: unauthorized_subscriber.
    [[nodiscard]] result<void> subscribe(std::string_view who) const noexcept { return m_c->may_subscribe(m_rec, who); }

    // --- management interface (seed 003 G.3.1) ---

    /// Adds `id` to the authorized set. Errors: unauthorized_management.
    [[nodiscard]] result<void> authorize(std::string_view by, std::string_view id) {
        if (auto ok = m_c->may_manage(m_rec, by); !ok) return ok;
        if (!m_rec.is_authorized(id)) m_rec.authorized.emplace(id);
        return {};
    }
    /// Removes `id` from the authorized set (a member present stays until
    /// it leaves or is removed with leave()). Errors: unauthorized_management.
    [[nodiscard]] result<void> revoke(std::string_view by, std::string_view id) {
        if (auto ok = m_c->may_manage(m_rec, by); !ok) return ok;
        if (const auto it = m_rec.authorized.find(id); it != m_rec.authorized.end()) m_rec.authorized.erase(it);
        return {};
    }
    /// Replaces the authorized set. Errors: unauthorized_management.
    [[nodiscard]] result<void> set_authorized(std::string_view by, std::vector<std::string> ids) {
        if (auto ok = m_c->may_manage(m_rec, by); !ok) return ok;
        m_rec.authorized = {std::make_move_iterator(ids.begin()), std::make_move_iterator(ids.end())};
        return {};
    }
    /// Changes the settings; they apply to the next joins. The key model
    /// changes only while nobody is present and no join is pending (the
    /// members' bundles, and the TEKs pending joins drew, are the old
    /// model's). Errors: unauthorized_management, unexpected_in_state.
    [[nodiscard]] result<void> change_settings(std::string_view by, const settings& s) {
        if (auto ok = m_c->may_manage(m_rec, by); !ok) return ok;
        if (s.keys != m_rec.config.keys && (!m_rec.members.empty() || !m_pending.empty())) return errc::unexpected_in_state;
        m_rec.config = s;
        return {};
    }

private:
    struct pending_exchange {
        enum class kind : std::uint8_t { call_in, refer, call_out } what = kind::call_in;
        std::unique_ptr<responder_type> res;
        std::unique_ptr<initiator_type> ini;
        std::string claimed;  ///< who the TRANSFER_INIT claims to come from
        std::string peer;     ///< call-out / refer: the invitee
        std::optional<roles::detail::error_origin> origin;  ///< of the TRANSFER_INIT, for an Error answering it
        /// Proposed by the joiner / to the invitee (SSRCs reserved).
        inline_list<roles::crypto_session_spec, roles::max_crypto_sessions> sessions;
        media_key key{};      ///< the TEK this member gets for cs_focus_media
    };
    using live_member = bundle_machine<initiator_type, responder_type>;
    using pending_map = detail::exchange_table<pending_exchange>;


    /// The checks of a joiner: may join, not present, no SSRC of the
    /// conference, no cs_focus_media of its own.
    /// `self`: the joiner's own pending exchange (its reservations do not collide with it).
    [[nodiscard]] result<void> admit(std::string_view who, std::span<const roles::crypto_session_spec> sessions,
                                     const pending_exchange* self = nullptr) const {
        if (auto ok = m_c->may_join(m_rec, who); !ok) return ok;
        if (is_member(who)) return errc::already_member;
        for (const auto& s : sessions) {
            // The focus keys its own media (cs_focus_media); a joiner proposes only its own sessions.
            if (s.cs_id == cs_focus_media) {
                if (self) continue;
                return errc::bad_crypto_sessions;
            }
            if (record::is_media(s.cs_id) && ssrc_taken(s.ssrc, self)) return errc::ssrc_collision;
        }
        return {};
    }
    [[nodiscard]] result<void> may_refer(std::string_view by, std::string_view invitee,
                                         const std::vector<std::string>& named) const {
        if (auto ok = m_c->may_invite(m_rec, by, invitee); !ok) return ok;
        // Seed 000 flow 4b: "checks that the initiator and the additional legitimate user of the TICKET are authorized".
        if (std::find(named.begin(), named.end(), invitee) == named.end()) return errc::not_authorized_participant;
        if (is_member(invitee)) return errc::already_member;
        return {};
    }
    [[nodiscard]] bool is_member(std::string_view who) const noexcept { return m_members.find(who) != m_members.end(); }
    /// An SSRC of the conference or of a pending exchange.
    [[nodiscard]] bool ssrc_taken(std::uint32_t ssrc, const pending_exchange* self = nullptr) const noexcept {
        // record::ssrc_in_use, from the index (O(log n) instead of a walk over every member's sessions).
        if (m_rec.config.keys == key_model::group && ssrc == m_rec.focus_ssrc) return true;
        if (m_media_ssrcs.find(ssrc) != m_media_ssrcs.end()) return true;
        for (const auto& [id, x] : m_pending) {
            if (x.get() == self) continue;
            if (x->key.ssrc == ssrc && x->what != pending_exchange::kind::refer) return true;
            for (const auto& s : x->sessions) {
                if (record::is_media(s.cs_id) && s.ssrc == ssrc) return true;
            }
        }
        return false;
    }
    template <random_generator R>
    [[nodiscard]] result<std::uint32_t> fresh_ssrc(R& rng) const noexcept {
        for (int i = 0; i < 64; ++i) {
            const auto v = random_u32(rng);
            if (!v) return v.error_info();
            if (*v != 0 && !ssrc_taken(*v)) return *v;
        }
        return errc::ssrc_collision;
    }

    /// The TEK of cs_focus_media for a joiner: the next group TEK (group
    /// model; it becomes the group key when this join completes), or its own.
    template <random_generator R>
    [[nodiscard]] result<media_key> joiner_key(R& rng) {
        std::uint32_t ssrc = m_rec.focus_ssrc;
        if (m_rec.config.keys == key_model::group && ssrc == 0) return errc::invalid_argument;
        if (m_rec.config.keys == key_model::individual) {
            const auto s = fresh_ssrc(rng);
            if (!s) return s.error_info();
            ssrc = *s;
        }
        return media_key::draw(rng, m_key_length, ssrc);
    }

    template <random_generator R>
    [[nodiscard]] step start_responder(typename pending_exchange::kind what, const ticket::transfer_init_view& ti,
                                       const transfer_claims& c, std::string_view invitee, ntp_time now, R& rng) {
        auto x = std::make_unique<pending_exchange>();
        x->what = what;
        x->claimed = c.initiator;
        x->peer = std::string(invitee);
        x->origin = roles::detail::error_origin::of(ti.header());
        x->res = std::make_unique<responder_type>(*m_b, *m_p, roles::responder_config{m_rec.uri, m_kms, m_suite});
        if (what == pending_exchange::kind::call_in) {
            auto k = joiner_key(rng);
            if (!k) return step::refused(k.error());
            x->key = std::move(*k);
            const auto supplied = x->key.supplied();
            if (auto ok = x->res->set_response_keys(std::span<const roles::supplied_key>(&supplied, 1)); !ok) {
                return step::refused(ok.error());
            }
            x->sessions = c.sessions;
        }
        step s = detail::start_resolve(*x->res, ti, now, rng, c.initiator, m_kms);
        if (s) s.id = m_pending.add(std::move(x));
        return s;
    }

    template <random_generator R>
    [[nodiscard]] step on_resolved(typename pending_map::iterator it, const roles::outcome& o, ntp_time now, R& rng) {
        pending_exchange& x = *it->second;
        const exchange_id id = it->first;
        std::string who = id_string(x.res->peer_identity());
        if (x.what == pending_exchange::kind::refer) {
            // Flow 4b, on the authenticated referrer and the ticket the KMS vouched for.
            if (auto ok = may_refer(who, x.peer, x.res->ticket_responders()); !ok) {
                step s = refuse_transfer(ok.error(), id, x, now, who);  // before the erase: x is the exchange's
                m_pending.erase(it);
                return s;
            }
            step s{errc::ok, id, {}, false, {}, {}};
            detail::take(s, o, destination::peer, who);  // TRANSFER_RESP to the referrer (F)
            auto next = std::make_unique<pending_exchange>();
            next->what = pending_exchange::kind::call_out;
            next->peer = x.peer;
            m_pending.erase(it);
            return detail::followed_by(std::move(s), start_call_out(std::move(next), id, now, rng));
        }
        auto ok = admit(who, x.res->sessions(), &x);
        if (ok) ok = may_rekey(now);
        if (!ok) {
            step s = refuse_transfer(ok.error(), id, x, now, who);  // before the erase: x is the exchange's
            m_pending.erase(it);
            return s;
        }
        // Flow 2a: the creator "may update the group of participants allowed" with its ticket.
        if (m_c->may_manage(m_rec, who)) {
            for (const auto& r : x.res->ticket_responders()) {
                if (r != m_rec.uri && !m_rec.is_authorized(r)) m_rec.authorized.insert(r);
            }
        }
        step s{errc::ok, id, {}, false, {}, {}};
        // TRANSFER_RESP with the media TEK (M), then (group model) an update to every other member.
        s.messages.reserve(m_rec.config.keys == key_model::group ? 1 + m_members.size() : 1);
        detail::take(s, o, destination::peer, who);
        commit(it, live_member{std::move(x.res), {}}, std::move(who), false, now, rng, s);
        return s;
    }

    step refuse_transfer(errc e, exchange_id id, const pending_exchange& x, ntp_time now, std::string_view who) const {
        return detail::refuse(e, id, x.origin, now, who);
    }

    template <random_generator R>
    [[nodiscard]] step start_call_out(std::unique_ptr<pending_exchange> x, exchange_id id, ntp_time now, R& rng) {
        const auto media = fresh_ssrc(rng);
        if (!media) return step::refused(media.error(), id);
        static_assert(roles::max_crypto_sessions >= 3, "each push_back below fits");
        (void)x->sessions.push_back({cs_member_media, *media});
        if (m_rec.config.bfcp) (void)x->sessions.push_back({cs_bfcp, 0});
        if (m_rec.config.event_package) (void)x->sessions.push_back({cs_event_package, 0});
        auto k = joiner_key(rng);
        if (!k) return step::refused(k.error(), id);
        x->key = std::move(*k);
        const roles::policy_offer offer[] = {media_offer(m_srtp_policy)};
        x->ini = std::make_unique<initiator_type>(
            *m_b, *m_p,
            roles::initiator_config{.identity = m_rec.uri,
                                    .kms_identity = m_kms,
                                    .responder = x->peer,
                                    .desired = conference_ticket_policy(m_suite.prf),
                                    .key_kind = key_data_type::tgk,
                                    .key_length = m_key_length,
                                    .sessions = x->sessions.view(),
                                    .suite = m_suite,
                                    .security_policies = std::span(offer).first(m_srtp_policy.empty() ? 0u : 1u)});
        detail::message_buffer buf;
        const auto o = x->ini->start_request(now, rng, buf);
        if (!o) return step::refused(o.error, id);
        step s{errc::ok, id, {}, false, {}, {}};
        detail::take(s, o, destination::kms, m_kms);
        m_pending.add(id, std::move(x));
        return s;
    }

    /// The joiner `who` (its authenticated identity) becomes a member; in the
    /// group model its TEK becomes the group TEK and every other member gets
    /// it in a CSB update, appended to `s` (after what `s` holds: the answer
    /// to the joiner), which completes.
    template <random_generator R>
    void commit(typename pending_map::iterator it, live_member live, std::string who, bool called_out, ntp_time now, R& rng,
                step& s) {
        pending_exchange& x = *it->second;
        const auto sessions = live.with([](const auto& m) { return m.sessions(); });
        media_key key = std::move(x.key);
        m_pending.erase(it);
        m_rec.members.push_back(member{who, {sessions.begin(), sessions.end()}, called_out});
        index_ssrcs(m_rec.members.back(), +1);
        const auto joined = m_members.emplace(who, std::move(live)).first;
        m_latest = std::max(m_latest, joined->second.with([](const auto& m) { return m.last_timestamp(); }));
        if (m_rec.config.keys == key_model::group) rekey(std::move(key), &joined->second, now, rng, s);
        s.done = true;
        s.who = std::move(who);
    }

    /// Group model: `key` becomes the group TEK; every member but `except`
    /// (the one just joined, or none) gets it in a CSB update without answer
    /// (RFC 6043 §5.2; the keys take effect at once on both ends).
    template <random_generator R>
    void rekey(media_key key, const live_member* except, ntp_time now, R& rng, step& s) {
        m_group = std::move(key);
        ++m_rec.epoch;
        const auto supplied = m_group->supplied();
        s.messages.reserve(s.messages.size() + m_members.size() - (except ? 1 : 0));
        for (auto& [who, m] : m_members) {
            if (&m == except) continue;
            // Written straight into the step's message block (room for what a message_buffer holds).
            detail::message_slot slot(s, who, std::tuple_size_v<detail::message_buffer>);
            const auto o = m.with([&](auto& x) {
                const auto sessions = x.sessions();
                const ntp_time t = update_time(x.last_timestamp(), now);
                if (now < t) m_latest = std::max(m_latest, t);  // stamped later than `now` (rare)
                return x.start_update(t, rng, slot.out(), sessions.view(), false, false, {&supplied, 1});
            });
            if (!o) {
                s.error = o.error;
                continue;
            }
            slot.commit(s, destination::peer, o.send_type, o.send);  // an accepted update always sends its TRANSFER_INIT
        }
        m_latest = std::max(m_latest, now);  // the T of every update not stamped later
    }

    /// The T of a member's CSB update at `now`. RFC 6043 §5.2: an update
    /// "MUST use new timestamps" under the member's keys (the KEMAC's IV
    /// repeats with an old T). `now` is not after the member's last T when
    /// the caller's clock has not moved since the last rekey (a coarse clock,
    /// two departures at once) or the member's own last message ran ahead
    /// (its clock, within the window): the update is then stamped just after
    /// that T, as long as that stays within the clock window of `now` (which
    /// the member checks; may_rekey refuses a rekey where it would not).
    [[nodiscard]] ntp_time update_time(ntp_time last, ntp_time now) const noexcept {
        if (last < now) return now;
        const ntp_time next = last.next_tick();
        return distance(next, now) <= m_p->clock_window() ? next : now;
    }
    /// Whether every member's update can be stamped at `now` (update_time
    /// newer than its last T): false when `now` is more than the clock
    /// window behind the latest T under a member's keys (the caller's clock
    /// stepped back). m_latest bounds every member's last T, so one
    /// comparison answers for all. Errors: stale_timestamp.
    [[nodiscard]] result<void> may_rekey(ntp_time now) const noexcept {
        if (m_rec.config.keys != key_model::group || m_latest < update_time(m_latest, now)) return {};
        return errc::stale_timestamp;
    }

    /// Adds (+1) or removes (-1) the media SSRCs of `m` in m_media_ssrcs.
    void index_ssrcs(const member& m, int sign) {
        for (const auto& x : m.sessions) {
            if (!record::is_media(x.cs_id)) continue;
            if (sign > 0) {
                m_media_ssrcs.insert(x.ssrc);
            } else if (const auto it = m_media_ssrcs.find(x.ssrc); it != m_media_ssrcs.end()) {
                m_media_ssrcs.erase(it);
            }
        }
    }

    B* m_b;
    const P* m_p;
    const C* m_c;
    std::string m_kms;
    crypto::algorithm_suite m_suite;
    std::size_t m_key_length;
    std::vector<std::uint8_t> m_srtp_policy;  ///< machine_config::srtp_policy
    record m_rec;
    pending_map m_pending;
    std::map<std::string, live_member, std::less<>> m_members;
    /// The media SSRCs of the members' sessions (one entry per session: in the group model
    /// every member's cs_focus_media has the focus's SSRC), kept with m_rec.members.
    std::multiset<std::uint32_t> m_media_ssrcs;
    std::optional<media_key> m_group;
    /// The latest T under any member's keys: the last of each joiner's
    /// initial exchange and every update stamped (may_rekey).
    ntp_time m_latest{};
};

}  // namespace mikey::conference
// ---- end mikey/conference/focus.hpp ----
// #include "conference/participant.hpp" (inlined)
// ---- begin mikey/conference/participant.hpp ----
// mikey-ticket (conference layer): a conference participant (user agent),
// seed 000 flows 1-5 over the RFC 6043 role machines:
//
//   create (flow 1)       ticket for the factory and every intended
//                         participant; TRANSFER_INIT to the factory; the
//                         TRANSFER_RESP must come from a conference URI of
//                         that factory (flow 1c), which it then names
//   join (flows 2, 3, 5c) ticket for the conference URI (plus, for the
//                         creator, whom it allows: flow 2a); TRANSFER_INIT to
//                         the focus; the TRANSFER_RESP must come from that URI
//   refer_to_focus (4a)   ticket for focus and invitee, TRANSFER_INIT in a REFER
//                         to the focus
//   refer_to_user (5a)    ticket for the user and the focus, TRANSFER_INIT in a
//                         REFER to the user
//   on_call_out (4c)      the focus's TRANSFER_INIT: resolved; the ticket's
//                         requester must be the focus the caller expects
//   on_refer (5b)         the referrer's TRANSFER_INIT: resolved; the ticket
//                         must name the focus the REFER names; then join
//
// Key forking is always on (seed 000), so every TRANSFER_RESP and every
// resolved ticket authenticates its sender. Once in a conference, the
// focus's CSB updates (new group TEKs) go to on_update.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// #include "../roles/initiator.hpp" (inlined above as mikey/roles/initiator.hpp)
// #include "../roles/responder.hpp" (inlined above as mikey/roles/responder.hpp)
// #include "exchange.hpp" (inlined above as mikey/conference/exchange.hpp)
// #include "naming.hpp" (inlined above as mikey/conference/naming.hpp)
// #include "step.hpp" (inlined above as mikey/conference/step.hpp)

namespace mikey::conference {

/// What a participant is.
struct participant_config {
    std::string_view identity;      ///< its public user identity (IDRi / IDRr)
    machine_config machines{};
    std::uint32_t media_ssrc = 0;   ///< the SSRC of its media to the focus
    bool bfcp = false;              ///< propose a BFCP crypto session
    bool event_package = false;     ///< propose an event-package crypto session
};

template <crypto::crypto_backend B, class P>
    requires roles::initiator_policy<P> && roles::responder_policy<P>
class participant {
public:
    using initiator_type = roles::initiator<B, P>;
    using responder_type = roles::responder<B, P>;

    participant(B& backend, const P& role_policy, const participant_config& cfg)
        : m_b(&backend), m_p(&role_policy), m_id(cfg.identity), m_kms(cfg.machines.kms_identity),
          m_suite(cfg.machines.suite), m_key_length(cfg.machines.key_length),
          m_srtp_policy(cfg.machines.srtp_policy.begin(), cfg.machines.srtp_policy.end()) {
        m_sessions.push_back({cs_member_media, cfg.media_ssrc});
        if (cfg.bfcp) m_sessions.push_back({cs_bfcp, 0});
        if (cfg.event_package) m_sessions.push_back({cs_event_package, 0});
    }

    [[nodiscard]] const std::string& identity_name() const noexcept { return m_id; }
    /// The keys of the conference `uri` (empty when not in it).
    [[nodiscard]] std::span<const roles::session_key> keys_of(std::string_view uri) const noexcept {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return {};
        return it->second.with([](const auto& m) { return m.session_keys(); });
    }
    /// The security policy negotiated for crypto session `cs` with the focus
    /// of conference `uri` (RFC 6043 §6.1.1; hand it to srtp::policy_from);
    /// nullopt when there is none or it is not in the conference.
    [[nodiscard]] std::optional<sp_view> security_policy_of(std::string_view uri, cs_id cs) const noexcept {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return std::nullopt;
        return it->second.with([cs](const auto& m) { return m.security_policy(cs); });
    }
    /// The CSB ID of the bundle with the focus of conference `uri` (e.g.
    /// for conference::tls_psk_of); 0 when not in it.
    [[nodiscard]] csb_id csb_of(std::string_view uri) const noexcept {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return csb_id{};
        return it->second.with([](const auto& m) { return m.csb(); });
    }
    [[nodiscard]] bool in_conference(std::string_view uri) const noexcept { return m_in.find(uri) != m_in.end(); }

    // create, join, refer_to_focus, refer_to_user start an exchange with
    // REQUEST_INIT_PSK for the KMS (step::messages) under a new exchange id.
    // Errors: those of initiator::start_request (unknown_peer: no PSK with
    // the KMS; the policy's suite errors; invalid_argument; buffer_too_small;
    // crypto_backend_failure).

    /// Flow 1a: REQUEST_INIT for a ticket naming the factory of `naming` and
    /// `invited` (`naming` is copied). Completed by on_peer with `who` = the
    /// conference URI.
    template <random_generator R>
    [[nodiscard]] step create(const seed000_naming& naming, std::span<const std::string_view> invited, ntp_time now, R& rng) {
        std::vector<std::string> named{std::string(naming.factory_uri())};
        for (const auto i : invited) named.emplace_back(i);
        return request(kind::create, std::string(naming.factory_uri()), std::move(named), naming, now, rng);
    }
    /// Flows 2a / 3a: REQUEST_INIT for a ticket naming the conference URI
    /// (and, the creator's way of updating the authorized set, `allow`).
    template <random_generator R>
    [[nodiscard]] step join(std::string_view conference_uri, std::span<const std::string_view> allow, ntp_time now, R& rng) {
        std::vector<std::string> named{std::string(conference_uri)};
        for (const auto a : allow) named.emplace_back(a);
        return request(kind::join, std::string(conference_uri), std::move(named), std::nullopt, now, rng);
    }
    /// Flow 4a: a ticket naming the focus and `invitee`, for a REFER to the focus.
    template <random_generator R>
    [[nodiscard]] step refer_to_focus(std::string_view conference_uri, std::string_view invitee, ntp_time now, R& rng) {
        return request(kind::refer, std::string(conference_uri), {std::string(conference_uri), std::string(invitee)},
                       std::nullopt, now, rng);
    }
    /// Flow 5a: a ticket naming `user` and the focus, for a REFER to the user.
    template <random_generator R>
    [[nodiscard]] step refer_to_user(std::string_view conference_uri, std::string_view user, ntp_time now, R& rng) {
        return request(kind::refer, std::string(user), {std::string(user), std::string(conference_uri)}, std::nullopt,
                       now, rng);
    }

    /// Flow 4c: the focus calls out; `expected_focus` is the conference URI
    /// the call comes from (SIP From). Errors: the Responder's errors,
    /// already_member; focus_mismatch (after resolving) when the ticket's
    /// requester is not `expected_focus`.
    template <random_generator R>
    [[nodiscard]] step on_call_out(bytes_view transfer_init, std::string_view expected_focus, ntp_time now, R& rng) {
        if (in_conference(expected_focus)) return step::refused(errc::already_member);
        return resolve(kind::call_out, transfer_init, std::string(expected_focus), now, rng);
    }
    /// Flow 5b: a REFER from a member naming the focus `named_focus`.
    /// Errors: the Responder's errors, focus_mismatch (the resolved ticket
    /// does not name `named_focus`: the referrer did not define that focus).
    template <random_generator R>
    [[nodiscard]] step on_refer(bytes_view transfer_init, std::string_view named_focus, ntp_time now, R& rng) {
        return resolve(kind::referred, transfer_init, std::string(named_focus), now, rng);
    }

    /// The KMS's answer for exchange `id`: REQUEST_RESP (-> TRANSFER_INIT to
    /// the peer) or RESOLVE_RESP (-> TRANSFER_RESP; flow 5b then starts the
    /// join: REQUEST_INIT in the same step, under a new exchange id in
    /// `step::id`). Errors: unknown_exchange, the machines' errors,
    /// focus_mismatch.
    template <random_generator R>
    [[nodiscard]] step on_kms(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end()) return step::refused(errc::unknown_exchange, id);
        exchange& x = *it->second;
        if (x.ini) return m_pending.settle(it, detail::transfer_with_ticket(*x.ini, id, in, now, rng, x.peer));
        detail::message_buffer buf;
        const auto o = x.res->receive(in, now, rng, buf);
        if (!o) return m_pending.settle(it, detail::refused(o, id, x.peer));
        const std::string from = id_string(x.res->peer_identity());
        step s{errc::ok, id, {}, true, from, {}};
        if (x.what == kind::call_out) {
            // Seed 004: the ticket's requester (IDRi, vouched for by the KMS) is the focus.
            if (from != x.peer) {
                m_pending.erase(it);
                return step::refused(errc::focus_mismatch, id);
            }
            detail::take(s, o, destination::peer, from);
            m_in[x.peer] = conference_keys{std::move(x.res), {}};
            m_pending.erase(it);
            return s;
        }
        // Flow 5b: "verifies that the conference focus was defined by the conference owner/creator".
        const auto& named = x.res->ticket_responders();
        if (std::find(named.begin(), named.end(), x.peer) == named.end()) {
            m_pending.erase(it);
            return step::refused(errc::focus_mismatch, id);
        }
        detail::take(s, o, destination::peer, from);  // TRANSFER_RESP to the referrer
        const std::string focus_uri = x.peer;
        m_pending.erase(it);
        return detail::followed_by(std::move(s), join(focus_uri, {}, now, rng));
    }

    /// The peer's TRANSFER_RESP (or Error) for exchange `id`. Flow 1c: from
    /// a conference URI of the factory (`who` names it); flows 2c, 3c: from
    /// the conference URI (the participant is in the conference); flows 4a,
    /// 5a: from the focus / user referred to. Errors: unknown_exchange, the
    /// Initiator's errors, focus_mismatch.
    template <random_generator R>
    [[nodiscard]] step on_peer(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end() || !it->second->ini) return step::refused(errc::unknown_exchange, id);
        exchange& x = *it->second;
        detail::message_buffer buf;
        const auto o = x.ini->receive(in, now, rng, buf);
        if (!o) return m_pending.settle(it, step::refused(o.error, id));
        if (!o.has(roles::event::keys_established)) return step{errc::ok, id, {}, false, {}, {}};
        const std::string answered = id_string(x.ini->peer_identity());
        // Flow 1c: "The conference URI is authenticated as it is the identity used as IDRr";
        // flows 2c-5c: the focus / user the participant called answered.
        const bool right = x.naming ? x.naming->is_conference_of(answered) : answered == x.peer;
        if (!right) {
            m_pending.erase(it);
            return step::refused(errc::focus_mismatch, id);
        }
        step s{errc::ok, id, {}, true, answered, {}};
        if (x.what == kind::join) m_in[answered] = conference_keys{{}, std::move(x.ini)};
        m_pending.erase(it);
        return s;
    }

    /// A CSB update (or other message) from the focus of conference `uri`
    /// (RFC 6043 §5.2: a new group TEK). Errors: not_a_member,
    /// message_not_for_role (a message carrying a TICKET), the machine's.
    template <random_generator R>
    [[nodiscard]] step on_update(std::string_view uri, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return step::refused(errc::not_a_member);
        // The focus sends CSB updates only: a TRANSFER_INIT with a TICKET (a new or replayed
        // initial message) would send a called-out member's Responder back to resolving.
        if (const auto m = message_view::parse(in); m && m->count(payload_type::ticket) != 0) {
            return step::refused(errc::message_not_for_role);
        }
        detail::message_buffer buf;
        const auto o = it->second.with([&](auto& m) { return m.receive(in, now, rng, buf); });
        if (!o) return detail::refused(o, 0, uri);
        step s{errc::ok, 0, {}, true, std::string(uri), {}};
        detail::take(s, o, destination::peer, uri);
        return s;
    }
    /// Leaves conference `uri` (its keys are dropped). Errors: not_a_member.
    [[nodiscard]] result<void> leave(std::string_view uri) {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return errc::not_a_member;
        m_in.erase(it);
        return {};
    }

private:
    enum class kind : std::uint8_t { create, join, refer, call_out, referred };
    struct exchange {
        kind what = kind::join;
        std::string peer;  ///< whom it calls / expects
        std::optional<seed000_naming> naming;  ///< creation: the factory whose conference must answer
        std::unique_ptr<initiator_type> ini;
        std::unique_ptr<responder_type> res;
    };
    using conference_keys = bundle_machine<initiator_type, responder_type>;

    template <random_generator R>
    [[nodiscard]] step request(kind what, std::string peer, std::vector<std::string> named,
                               std::optional<seed000_naming> naming, ntp_time now, R& rng) {
        auto x = std::make_unique<exchange>();
        x->what = what;
        x->peer = std::move(peer);
        x->naming = std::move(naming);
        std::vector<std::string_view> views(named.begin(), named.end());
        const roles::policy_offer offer[] = {media_offer(m_srtp_policy)};
        x->ini = std::make_unique<initiator_type>(
            *m_b, *m_p,
            roles::initiator_config{.identity = m_id,
                                    .kms_identity = m_kms,
                                    .responder = x->peer,
                                    .authorized_responders = views,
                                    .desired = conference_ticket_policy(m_suite.prf),
                                    .key_kind = key_data_type::tgk,
                                    .key_length = m_key_length,
                                    .sessions = m_sessions,
                                    .suite = m_suite,
                                    .security_policies = std::span(offer).first(m_srtp_policy.empty() ? 0u : 1u)});
        detail::message_buffer buf;
        const auto o = x->ini->start_request(now, rng, buf);
        if (!o) return step::refused(o.error);
        step s{errc::ok, m_pending.add(std::move(x)), {}, false, {}, {}};
        detail::take(s, o, destination::kms, m_kms);
        return s;
    }

    template <random_generator R>
    [[nodiscard]] step resolve(kind what, bytes_view ti, std::string expected, ntp_time now, R& rng) {
        auto x = std::make_unique<exchange>();
        x->what = what;
        x->peer = std::move(expected);
        x->res = std::make_unique<responder_type>(*m_b, *m_p, roles::responder_config{m_id, m_kms, m_suite});
        step s = detail::start_resolve(*x->res, ti, now, rng, x->peer, m_kms);
        if (s) s.id = m_pending.add(std::move(x));
        return s;
    }


    B* m_b;
    const P* m_p;
    std::string m_id, m_kms;
    crypto::algorithm_suite m_suite;
    std::size_t m_key_length;
    std::vector<std::uint8_t> m_srtp_policy;  ///< machine_config::srtp_policy
    std::vector<roles::crypto_session_spec> m_sessions;
    detail::exchange_table<exchange> m_pending;
    std::map<std::string, conference_keys, std::less<>> m_in;
};

}  // namespace mikey::conference
// ---- end mikey/conference/participant.hpp ----
// #include "srtp.hpp" (inlined)
// ---- begin mikey/srtp.hpp ----
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

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

// #include "core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "core/errc.hpp" (inlined above as mikey/core/errc.hpp)
// #include "core/registry.hpp" (inlined above as mikey/core/registry.hpp)
// #include "core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "core/secret.hpp" (inlined above as mikey/core/secret.hpp)
// #include "core/strong_types.hpp" (inlined above as mikey/core/strong_types.hpp)
// #include "crypto/backend.hpp" (inlined above as mikey/crypto/backend.hpp)
// #include "crypto/derive.hpp" (inlined above as mikey/crypto/derive.hpp)
// #include "message.hpp" (inlined above as mikey/message.hpp)
// #include "payload/hdr.hpp" (inlined above as mikey/payload/hdr.hpp)
// #include "payload/sp.hpp" (inlined above as mikey/payload/sp.hpp)
// #include "roles/outcome.hpp" (inlined above as mikey/roles/outcome.hpp)

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
// ---- end mikey/srtp.hpp ----
#ifndef MIKEY_NO_BOTAN  // parse-only use without Botan: see core/config.hpp
// #include "crypto/botan_backend.hpp" (inlined)
// ---- begin mikey/crypto/botan_backend.hpp ----
// mikey-ticket: the Botan crypto backend. This is the only crypto header of
// the library that includes Botan (the other Botan includer is sdp.hpp, for
// base64 through Botan's C FFI); everything else uses the crypto_backend
// concept (backend.hpp), so another backend (Botan 3, OpenSSL, ...) is one
// more header like this one.
//
// Botan versions: written against Botan 2.19 (Debian libbotan-2-dev) using
// only calls that exist unchanged in Botan 3 (create(), set_key(), update(),
// final(), set_iv(), cipher(), encrypt()/decrypt(), constant_time_compare()
// on pointers, secure_scrub_memory(), the FFI RNG). Nothing here depends on
// a version switch.
//
// Exceptions: Botan reports errors by throwing. With exceptions enabled
// (MIKEY_EXCEPTIONS) every Botan call runs inside a try block and any
// exception becomes errc::crypto_backend_failure. With -fno-exceptions the
// library is still the one Botan compiled with exceptions, so a throw would
// terminate the program: the backend therefore checks every documented
// precondition before calling (key lengths: the HMAC limits read once,
// the AES object chosen by the key's size; IV lengths, keyed state, object
// creation through create(), which returns nullptr instead of throwing),
// which leaves only allocation failure inside Botan (first use of an
// object) as a way to terminate. The default RNG goes through Botan's C FFI
// (botan_rng_init "user" = AutoSeeded_RNG) because <botan/rng.h> cannot be
// included under -fno-exceptions (Botan 2's Null_RNG has an inline throw)
// and because the FFI never throws.

#include <botan/block_cipher.h>
#include <botan/ffi.h>
#include <botan/mac.h>
#include <botan/mem_ops.h>
#include <botan/stream_cipher.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

// #include "../core/config.hpp" (inlined above as mikey/core/config.hpp)
// #include "../core/rng.hpp" (inlined above as mikey/core/rng.hpp)
// #include "backend.hpp" (inlined above as mikey/crypto/backend.hpp)

namespace mikey::crypto {

/// A replaceable random source: fill(context, out, n) writes n random bytes
/// and returns true, or returns false on failure. Deterministic sources make
/// tests and fuzzing reproducible; the default is Botan's AutoSeeded_RNG.
struct random_source {
    void* context = nullptr;
    bool (*fill)(void* context, std::uint8_t* out, std::size_t n) noexcept = nullptr;
};

namespace detail {

/// Runs f (a Botan call sequence); maps any exception to crypto_backend_failure.
template <class F>
[[nodiscard]] inline result<void> botan_guard(F&& f) noexcept {
#if MIKEY_EXCEPTIONS
    try {
        return std::forward<F>(f)();
    } catch (...) {
        return errc::crypto_backend_failure;
    }
#else
    return std::forward<F>(f)();
#endif
}

struct ffi_rng_deleter {
    void operator()(void* rng) const noexcept { botan_rng_destroy(static_cast<botan_rng_t>(rng)); }
};

}  // namespace detail

/// crypto_backend on Botan. Holds one HMAC object per hash, AES block
/// ciphers and AES-CTR stream ciphers, created once by create(); the
/// operations reuse them, so after the first use of each object no call
/// allocates. Not thread-safe: use one backend per thread.
class botan_backend {
public:
    /// Creates the Botan objects and the RNG (`rng`, or Botan's AutoSeeded_RNG
    /// when rng.fill is null).
    /// Errors: unsupported_algorithm (Botan built without HMAC / SHA-1 /
    /// SHA-256 / AES / CTR), crypto_backend_failure (RNG could not be seeded,
    /// or Botan threw).
    [[nodiscard]] static result<botan_backend> create(random_source rng = {}) noexcept {
        botan_backend b;
        b.m_rng = rng;
        auto made = detail::botan_guard([&]() -> result<void> {
            b.m_hmac[0] = Botan::MessageAuthenticationCode::create("HMAC(SHA-1)");
            b.m_hmac[1] = Botan::MessageAuthenticationCode::create("HMAC(SHA-256)");
            b.m_aes[0] = Botan::BlockCipher::create("AES-128");
            b.m_aes[1] = Botan::BlockCipher::create("AES-192");
            b.m_aes[2] = Botan::BlockCipher::create("AES-256");
            b.m_ctr[0] = Botan::StreamCipher::create("CTR-BE(AES-128)");
            b.m_ctr[1] = Botan::StreamCipher::create("CTR-BE(AES-192)");
            b.m_ctr[2] = Botan::StreamCipher::create("CTR-BE(AES-256)");
            for (std::size_t i = 0; i < b.m_hmac.size(); ++i) {
                if (!b.m_hmac[i]) return errc::unsupported_algorithm;
                // Read once: hmac_set_key checks every key against these
                // without a virtual key_spec() call per key.
                const auto spec = b.m_hmac[i]->key_spec();
                b.m_hmac_keys[i] = key_limits{spec.minimum_keylength(), spec.maximum_keylength(),
                                              spec.keylength_multiple()};
                if (b.m_hmac[i]->output_length() != hmac_size(i == 0 ? hmac_hash::sha_1 : hmac_hash::sha_256)) {
                    return errc::unsupported_algorithm;
                }
            }
            for (const auto& c : b.m_aes) {
                if (!c) return errc::unsupported_algorithm;
            }
            for (const auto& c : b.m_ctr) {
                if (!c || !c->valid_iv_length(aes_block_size)) return errc::unsupported_algorithm;
            }
            if (b.m_rng.fill == nullptr) {
                botan_rng_t r = nullptr;
                if (botan_rng_init(&r, "user") != 0 || r == nullptr) {
                    return errc::crypto_backend_failure;
                }
                b.m_ffi_rng.reset(r);
            }
            return {};
        });
        if (!made) {
            return made.error();
        }
        return b;
    }

    botan_backend(botan_backend&&) noexcept = default;
    botan_backend& operator=(botan_backend&&) noexcept = default;
    botan_backend(const botan_backend&) = delete;
    botan_backend& operator=(const botan_backend&) = delete;
    ~botan_backend() = default;

    /// Replaces the random source (fill == nullptr restores Botan's RNG if
    /// the backend was created with it).
    void set_random_source(random_source rng) noexcept { m_rng = rng; }

    // --- HMAC (RFC 2104) -------------------------------------------------

    /// Keys the HMAC state of `h`. Errors: crypto_backend_failure.
    [[nodiscard]] result<void> hmac_set_key(hmac_hash h, bytes_view key) noexcept {
        auto& m = mac(h);
        m_keyed[index(h)] = false;
        // HMAC takes keys of any length (RFC 2104 §2); checked anyway so that
        // Botan never throws Invalid_Key_Length.
        if (!m_hmac_keys[index(h)].valid(key.size())) {
            return errc::key_length_mismatch;
        }
        auto r = detail::botan_guard([&]() -> result<void> {
            m.set_key(key.data(), key.size());
            return {};
        });
        m_keyed[index(h)] = r.has_value();
        return r;
    }

    /// Absorbs bytes into the keyed state of `h` (ignored when not keyed;
    /// hmac_final then reports invalid_argument).
    void hmac_update(hmac_hash h, bytes_view data) noexcept {
        if (!m_keyed[index(h)] || data.empty()) {
            return;
        }
        auto& m = mac(h);
        (void)detail::botan_guard([&]() -> result<void> {
            m.update(data.data(), data.size());
            return {};
        });
    }

    /// Writes the tag and leaves the state keyed for the next message.
    /// Errors: invalid_argument (out.size() != hmac_size(h), or no key set),
    /// crypto_backend_failure.
    [[nodiscard]] result<void> hmac_final(hmac_hash h, mutable_bytes out) noexcept {
        auto& m = mac(h);
        // hmac_size(h) is the object's output_length() (checked by create()).
        if (!m_keyed[index(h)] || out.size() != hmac_size(h)) {
            return errc::invalid_argument;
        }
        return detail::botan_guard([&]() -> result<void> {
            m.final(out.data());
            return {};
        });
    }

    // --- AES-CTR (RFC 3711 AES-CM) ---------------------------------------

    /// AES in counter mode, 128-bit big-endian counter starting at `iv`.
    /// Errors: key_length_mismatch (key not 16/24/32 bytes), invalid_argument
    /// (iv not 16 bytes, out.size() != in.size()), crypto_backend_failure.
    [[nodiscard]] result<void> aes_ctr(bytes_view key, bytes_view iv, bytes_view in, mutable_bytes out) noexcept {
        // One object per AES key size (create() made them): the size picks it.
        Botan::StreamCipher* c = ctr_for(key.size());
        if (c == nullptr) {
            return errc::key_length_mismatch;
        }
        if (iv.size() != aes_block_size || out.size() != in.size()) {
            return errc::invalid_argument;
        }
        return detail::botan_guard([&]() -> result<void> {
            c->set_key(key.data(), key.size());
            c->set_iv(iv.data(), iv.size());
            if (!in.empty()) {
                c->cipher(in.data(), out.data(), in.size());
            }
            return {};
        });
    }

    // --- RFC 3394 key wrap with a caller IV --------------------------------
    //
    // Botan's rfc3394_keywrap / nist_key_wrap fix the initial value to
    // A6A6A6A6A6A6A6A6 and offer no way to pass another one, while RFC 3830
    // §4.2.3 sets it to the derived 64-bit salt. So the RFC 3394 §2.2.1 /
    // §2.2.2 index loop is written out here; every AES block operation is
    // Botan's (BlockCipher::encrypt / decrypt). The tests check it against
    // the RFC 3394 §4 vectors and against Botan's nist_key_wrap for the
    // default IV.

    /// RFC 3394 §2.2.1 wrap. Errors: key_length_mismatch (kek not 16/24/32
    /// bytes), invalid_argument (iv not 8 bytes; in not a multiple of 8 bytes
    /// or shorter than 16; out.size() != in.size() + 8), crypto_backend_failure.
    [[nodiscard]] result<void> aes_key_wrap(bytes_view kek, bytes_view iv, bytes_view in,
                                            mutable_bytes out) noexcept {
        Botan::BlockCipher* c = aes_for(kek.size());
        if (c == nullptr) {
            return errc::key_length_mismatch;
        }
        // RFC 3394 §2: n >= 2 64-bit blocks of plaintext.
        if (iv.size() != key_wrap_iv_size || in.size() % 8 != 0 || in.size() < 16 ||
            out.size() != in.size() + 8) {
            return errc::invalid_argument;
        }
        return detail::botan_guard([&]() -> result<void> {
            c->set_key(kek.data(), kek.size());
            const std::size_t n = in.size() / 8;
            std::uint8_t a[8];
            std::uint8_t blk[aes_block_size];
            std::memcpy(a, iv.data(), 8);
            std::memmove(out.data() + 8, in.data(), in.size());
            for (std::size_t j = 0; j <= 5; ++j) {
                for (std::size_t i = 1; i <= n; ++i) {
                    std::uint8_t* r = out.data() + 8 * i;
                    std::memcpy(blk, a, 8);
                    std::memcpy(blk + 8, r, 8);
                    c->encrypt(blk, blk);
                    const std::uint64_t t = n * j + i;
                    for (std::size_t k = 0; k < 8; ++k) {
                        a[k] = static_cast<std::uint8_t>(blk[k] ^ static_cast<std::uint8_t>(t >> (56 - 8 * k)));
                    }
                    std::memcpy(r, blk + 8, 8);
                }
            }
            std::memcpy(out.data(), a, 8);
            Botan::secure_scrub_memory(blk, sizeof blk);
            Botan::secure_scrub_memory(a, sizeof a);
            return {};
        });
    }

    /// RFC 3394 §2.2.2 unwrap with integrity check against `iv`.
    /// Errors: key_length_mismatch, invalid_argument (iv not 8 bytes, out
    /// size), key_unwrap_failure (in not a multiple of 8 bytes or shorter
    /// than 24, or the recovered A differs from iv; out is wiped),
    /// crypto_backend_failure.
    [[nodiscard]] result<void> aes_key_unwrap(bytes_view kek, bytes_view iv, bytes_view in,
                                              mutable_bytes out) noexcept {
        Botan::BlockCipher* c = aes_for(kek.size());
        if (c == nullptr) {
            return errc::key_length_mismatch;
        }
        if (iv.size() != key_wrap_iv_size) {
            return errc::invalid_argument;
        }
        // RFC 3394 §2.2.2: input is n + 1 64-bit blocks, n >= 2.
        if (in.size() % 8 != 0 || in.size() < 24) {
            return errc::key_unwrap_failure;
        }
        if (out.size() != in.size() - 8) {
            return errc::invalid_argument;
        }
        auto r = detail::botan_guard([&]() -> result<void> {
            c->set_key(kek.data(), kek.size());
            const std::size_t n = in.size() / 8 - 1;
            std::uint8_t a[8];
            std::uint8_t blk[aes_block_size];
            std::memcpy(a, in.data(), 8);
            std::memmove(out.data(), in.data() + 8, out.size());
            for (std::size_t j = 6; j-- > 0;) {
                for (std::size_t i = n; i >= 1; --i) {
                    std::uint8_t* rr = out.data() + 8 * (i - 1);
                    const std::uint64_t t = n * j + i;
                    for (std::size_t k = 0; k < 8; ++k) {
                        blk[k] = static_cast<std::uint8_t>(a[k] ^ static_cast<std::uint8_t>(t >> (56 - 8 * k)));
                    }
                    std::memcpy(blk + 8, rr, 8);
                    c->decrypt(blk, blk);
                    std::memcpy(a, blk, 8);
                    std::memcpy(rr, blk + 8, 8);
                }
            }
            // RFC 3394 §2.2.3: the unwrap succeeds only if A equals the IV.
            const bool ok = Botan::constant_time_compare(a, iv.data(), 8);
            Botan::secure_scrub_memory(blk, sizeof blk);
            Botan::secure_scrub_memory(a, sizeof a);
            if (!ok) {
                return errc::key_unwrap_failure;
            }
            return {};
        });
        if (!r) {
            Botan::secure_scrub_memory(out.data(), out.size());
        }
        return r;
    }

    /// Overwrites the key-dependent state the Botan objects keep after use
    /// (HMAC pads, AES key schedules) by keying them with zero keys, without
    /// freeing (so the next call still does not allocate). Call when a
    /// backend outlives the keys it last used. Errors: crypto_backend_failure.
    [[nodiscard]] result<void> forget_keys() noexcept {
        static constexpr std::array<std::uint8_t, 32> zero{};
        m_keyed = {};
        return detail::botan_guard([&]() -> result<void> {
            for (auto& m : m_hmac) m->set_key(zero.data(), 0);
            m_aes[0]->set_key(zero.data(), 16);
            m_aes[1]->set_key(zero.data(), 24);
            m_aes[2]->set_key(zero.data(), 32);
            m_ctr[0]->set_key(zero.data(), 16);
            m_ctr[1]->set_key(zero.data(), 24);
            m_ctr[2]->set_key(zero.data(), 32);
            return {};
        });
    }

    // --- RNG, compare, wipe -------------------------------------------------

    /// Fills `out` with random bytes. Errors: crypto_backend_failure.
    [[nodiscard]] result<void> random(mutable_bytes out) noexcept {
        if (out.empty()) {
            return {};
        }
        if (m_rng.fill != nullptr) {
            return m_rng.fill(m_rng.context, out.data(), out.size()) ? result<void>{}
                                                                     : result<void>{errc::crypto_backend_failure};
        }
        if (!m_ffi_rng || botan_rng_get(static_cast<botan_rng_t>(m_ffi_rng.get()), out.data(), out.size()) != 0) {
            return errc::crypto_backend_failure;
        }
        return {};
    }

    /// Constant-time equality (Botan::constant_time_compare); false when the
    /// lengths differ.
    [[nodiscard]] bool equal(bytes_view a, bytes_view b) const noexcept {
        if (a.size() != b.size()) {
            return false;
        }
        if (a.empty()) {
            return true;
        }
        return Botan::constant_time_compare(a.data(), b.data(), a.size());
    }

    /// Botan::secure_scrub_memory over `b`.
    void wipe(mutable_bytes b) const noexcept {
        if (!b.empty()) {
            Botan::secure_scrub_memory(b.data(), b.size());
        }
    }

private:
    botan_backend() noexcept = default;

    static constexpr std::size_t index(hmac_hash h) noexcept { return h == hmac_hash::sha_1 ? 0 : 1; }
    Botan::MessageAuthenticationCode& mac(hmac_hash h) noexcept { return *m_hmac[index(h)]; }
    Botan::BlockCipher* aes_for(std::size_t key_size) noexcept {
        switch (key_size) {
            case 16: return m_aes[0].get();
            case 24: return m_aes[1].get();
            case 32: return m_aes[2].get();
            default: return nullptr;
        }
    }
    Botan::StreamCipher* ctr_for(std::size_t key_size) noexcept {
        switch (key_size) {
            case 16: return m_ctr[0].get();
            case 24: return m_ctr[1].get();
            case 32: return m_ctr[2].get();
            default: return nullptr;
        }
    }

    /// An HMAC object's Key_Length_Specification, copied by create().
    struct key_limits {
        std::size_t min = 0, max = 0, multiple = 1;
        [[nodiscard]] bool valid(std::size_t n) const noexcept {
            return n >= min && n <= max && (multiple == 1 || (multiple != 0 && n % multiple == 0));
        }
    };

    std::array<std::unique_ptr<Botan::MessageAuthenticationCode>, 2> m_hmac{};
    std::array<key_limits, 2> m_hmac_keys{};
    std::array<bool, 2> m_keyed{};
    std::array<std::unique_ptr<Botan::BlockCipher>, 3> m_aes{};
    std::array<std::unique_ptr<Botan::StreamCipher>, 3> m_ctr{};
    random_source m_rng{};
    std::unique_ptr<void, detail::ffi_rng_deleter> m_ffi_rng{};
};

static_assert(crypto_backend<botan_backend>);

/// The operating system's random generator through Botan (the FFI "system"
/// RNG, which never throws): the random_generator to give role machines in
/// production. Not thread-safe: one per thread.
class botan_system_rng {
public:
    /// Errors: crypto_backend_failure (no system RNG).
    [[nodiscard]] static result<botan_system_rng> create() noexcept {
        botan_rng_t r = nullptr;
        if (botan_rng_init(&r, "system") != 0 || r == nullptr) {
            return errc::crypto_backend_failure;
        }
        botan_system_rng g;
        g.m_rng.reset(r);
        return g;
    }
    /// Errors: crypto_backend_failure.
    [[nodiscard]] result<void> fill(mutable_bytes out) noexcept {
        if (out.empty()) {
            return {};
        }
        if (botan_rng_get(static_cast<botan_rng_t>(m_rng.get()), out.data(), out.size()) != 0) {
            return errc::crypto_backend_failure;
        }
        return {};
    }

private:
    botan_system_rng() noexcept = default;
    std::unique_ptr<void, detail::ffi_rng_deleter> m_rng{};
};

}  // namespace mikey::crypto
// ---- end mikey/crypto/botan_backend.hpp ----
// #include "sdp.hpp" (inlined)
// ---- begin mikey/sdp.hpp ----
// mikey-ticket (integration layer): MIKEY carried in SDP and RTSP (RFC 4567).
//
//   base64_decoded_size, base64_decode,   strict RFC 4648 §4 base64 (Botan's C FFI
//   base64_encoded_size, base64_encode    does the coding; this header does the checks)
//   key_mgmt_view                         the a=key-mgmt attributes of an SDP body, by
//                                         level and media section (RFC 4567 §3.1)
//   parse_key_mgmt_line                   one a=key-mgmt attribute line
//   key_mgmt_line_builder                 "a=key-mgmt:mikey <base64>" into a caller buffer
//   parse_rtsp_key_mgmt                   the RTSP KeyMgmt header (RFC 4567 §3.2)
//   rtsp_key_mgmt_builder                 "prot=mikey; uri=\"...\"; data=\"...\""
//   cs_ids_for_media                      the two CS IDs of an m= line (RFC 4567 §7)
//
// Everything is a view over the caller's text: nothing allocates on the parse
// path, nothing does I/O. Text goes in as std::string_view and comes out as
// views into it; MIKEY bytes go in and out as byte spans in caller buffers,
// exact sizes first (base64_decoded_size, key_mgmt_line_builder::size(), ...).
//
// Protocol identifiers: RFC 4567 §3 makes KMPID case-sensitive with
// lowercase registrations; this header emits "mikey" and accepts any case on
// receipt (as deployed RTSP stacks send "MIKEY": ../notes and
// shared/spec/sdp-key-mgmt.md §1).
//
// Botan: the base64 coding calls botan_base64_encode / botan_base64_decode
// of <botan/ffi.h>, which return error codes and never throw, so this header
// works with -fno-exceptions. It is therefore the second Botan includer and,
// like crypto/botan_backend.hpp, left out of <mikey/mikey.hpp> under
// MIKEY_NO_BOTAN.

#include <botan/ffi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

// #include "core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "core/config.hpp" (inlined above as mikey/core/config.hpp)
// #include "core/errc.hpp" (inlined above as mikey/core/errc.hpp)
// #include "core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "core/strong_types.hpp" (inlined above as mikey/core/strong_types.hpp)

namespace mikey::sdp {

/// The key management protocol identifier of MIKEY (RFC 4567 §9.3), as emitted.
inline constexpr std::string_view mikey_protocol = "mikey";

namespace detail {

/// The value of a character of the RFC 4648 §4 alphabet, or -1.
[[nodiscard]] constexpr int base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

[[nodiscard]] constexpr bool is_alnum(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

/// KMPID = 1*(ALPHA / DIGIT) (RFC 4567 §3).
[[nodiscard]] constexpr bool is_kmpid(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (const char c : s) {
        if (!is_alnum(c)) return false;
    }
    return true;
}

/// Copies text into a char span (constexpr-friendly memcpy).
constexpr void put(std::span<char> out, std::size_t& pos, std::string_view s) noexcept {
    for (const char c : s) {
        out[pos++] = c;
    }
}

}  // namespace detail

/// True when `protocol` names MIKEY: "mikey" in any case (RFC 4567 §3
/// registers it lowercase; received ids are compared case-insensitively).
[[nodiscard]] constexpr bool is_mikey(std::string_view protocol) noexcept {
    return detail::iequals(protocol, mikey_protocol);
}

// ---------------------------------------------------------------- base64

/// The exact length of the RFC 4648 §4 encoding (with padding) of n bytes.
[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

/// Checks that `text` is strict base64 (RFC 4648 §4, the alphabet SDP's
/// base64 rule uses, RFC 4566 §9) and returns the exact number of bytes it
/// decodes to. Strict means: only the 64 alphabet characters; the length a
/// multiple of 4; "=" only as the last one or two characters; the unused
/// bits before the padding zero (RFC 4648 §3.5, canonical encoding); no
/// whitespace or line breaks (RFC 4648 §3.3: "Implementations MUST reject
/// the encoded data if it contains characters outside the base alphabet").
/// The empty text is valid and decodes to 0 bytes.
/// Errors: base64_invalid, at the offset of the first offending character
/// (text.size() when the last quantum is incomplete).
[[nodiscard]] constexpr result<std::size_t> base64_decoded_size(std::string_view text) noexcept {
    const std::size_t n = text.size();
    std::size_t pad = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = text[i];
        if (c == '=') {
            // RFC 4648 §4: padding only completes the final quantum: "xx==" or "xxx=".
            if (n % 4 != 0 || i + 2 < n || (i + 2 == n && text[n - 1] != '=')) {
                return failure{errc::base64_invalid, i};
            }
            pad = n - i;
            break;
        }
        if (detail::base64_value(c) < 0) {
            return failure{errc::base64_invalid, i};
        }
    }
    if (n % 4 != 0) {
        return failure{errc::base64_invalid, n};
    }
    // RFC 4648 §3.5: the pad bits of the last character before "=" are zero.
    if (pad == 1 && (detail::base64_value(text[n - 2]) & 0x03) != 0) {
        return failure{errc::base64_invalid, n - 2};
    }
    if (pad == 2 && (detail::base64_value(text[n - 3]) & 0x0F) != 0) {
        return failure{errc::base64_invalid, n - 3};
    }
    return n / 4 * 3 - pad;
}

/// Decodes strict base64 into `out`, which needs base64_decoded_size(text)
/// bytes (no more). Returns the decoded bytes (a prefix of `out`).
/// Errors: base64_invalid (as base64_decoded_size); buffer_too_small;
/// crypto_backend_failure (Botan's FFI refused what the check accepted:
/// not expected).
[[nodiscard]] inline result<bytes_view> base64_decode(std::string_view text, mutable_bytes out) noexcept {
    const auto size = base64_decoded_size(text);
    if (!size) {
        return size.error_info();
    }
    if (out.size() < *size) {
        return errc::buffer_too_small;
    }
    if (*size == 0) {
        return bytes_view{};
    }
    // Botan wants room for the longest output a text length can give; the
    // last quantum (which may hold padding) is decoded through a 3-byte
    // buffer so that `out` need only have the exact size.
    const std::size_t bulk_chars = text.size() - 4;
    const std::size_t bulk_bytes = bulk_chars / 4 * 3;
    if (bulk_chars != 0) {
        std::size_t len = bulk_bytes;
        if (botan_base64_decode(text.data(), bulk_chars, out.data(), &len) != 0 || len != bulk_bytes) {
            return errc::crypto_backend_failure;
        }
    }
    std::array<std::uint8_t, 3> last{};
    std::size_t last_len = last.size();
    if (botan_base64_decode(text.data() + bulk_chars, 4, last.data(), &last_len) != 0 ||
        last_len != *size - bulk_bytes) {
        return errc::crypto_backend_failure;
    }
    std::memcpy(out.data() + bulk_bytes, last.data(), last_len);
    return bytes_view{out.data(), *size};
}

/// Encodes `in` as base64 with padding (RFC 4648 §4) into `out`, which needs
/// base64_encoded_size(in.size()) characters (no terminator is written).
/// Returns the text (a prefix of `out`).
/// Errors: buffer_too_small; crypto_backend_failure (Botan's FFI failed).
[[nodiscard]] inline result<std::string_view> base64_encode(bytes_view in, std::span<char> out) noexcept {
    const std::size_t need = base64_encoded_size(in.size());
    if (out.size() < need) {
        return errc::buffer_too_small;
    }
    // Botan writes a NUL after the text: encode in chunks through a stack
    // buffer so that `out` need only have the exact size.
    constexpr std::size_t chunk = 48;  // bytes in, 64 characters out
    std::array<char, base64_encoded_size(chunk) + 1> text{};
    std::size_t written = 0;
    for (std::size_t pos = 0; pos < in.size(); pos += chunk) {
        const std::size_t len = in.size() - pos < chunk ? in.size() - pos : chunk;
        std::size_t text_len = text.size();
        if (botan_base64_encode(in.data() + pos, len, text.data(), &text_len) != 0 ||
            text_len != base64_encoded_size(len) + 1) {
            return errc::crypto_backend_failure;
        }
        std::memcpy(out.data() + written, text.data(), text_len - 1);
        written += text_len - 1;
    }
    return std::string_view{out.data(), written};
}

// ---------------------------------------------------------------- SDP (RFC 4567 §3.1)

/// Where an a=key-mgmt attribute stands in an SDP body.
enum class sdp_level : std::uint8_t {
    session,  ///< before the first m= line
    media,    ///< inside the media section of an m= line
};

/// One a=key-mgmt attribute (RFC 4567 §3.1), as views into the SDP text.
struct key_mgmt_attribute {
    sdp_level level = sdp_level::session;
    std::size_t media_index = 0;  ///< the m= line's index (from 0) when level is media; 0 otherwise
    std::string_view protocol{};  ///< prtcl-id as written (KMPID, RFC 4567 §3)
    std::string_view data{};      ///< keymgmt-data: strict base64, validated
    std::size_t offset = 0;       ///< byte offset of the "a=" in the body (0 for a lone line)

    [[nodiscard]] constexpr bool is_mikey() const noexcept { return sdp::is_mikey(protocol); }
    /// The size of the decoded key-management message.
    /// 0 when `data` is not strict base64 (not for a parsed attribute).
    [[nodiscard]] constexpr std::size_t decoded_size() const noexcept {
        const auto n = base64_decoded_size(data);
        return n ? *n : 0;
    }
    /// Decodes the key-management message into `out` (decoded_size() bytes).
    /// Errors: buffer_too_small, crypto_backend_failure.
    [[nodiscard]] result<bytes_view> decode(mutable_bytes out) const noexcept { return base64_decode(data, out); }
};

/// Parses one SDP attribute line `a=key-mgmt:[SP]prtcl-id SP keymgmt-data`
/// (RFC 4567 §3.1), without its line terminator. level, media_index and
/// offset of the result are left at their defaults (key_mgmt_view fills them).
/// Errors (offsets from the start of `line`): sdp_bad_attribute (not an
/// a=key-mgmt line, no ":" value, a prtcl-id that is not 1*(ALPHA / DIGIT),
/// no single SP before the data, empty data); base64_invalid (data not strict
/// base64, e.g. trailing whitespace).
[[nodiscard]] constexpr result<key_mgmt_attribute> parse_key_mgmt_line(std::string_view line) noexcept {
    constexpr std::string_view head = "a=key-mgmt:";
    // RFC 4567 §3.1: key-mgmt-attribute = key-mgmt-att-field ":" key-mgmt-att-value
    // (the property form "a=key-mgmt" has no value and is not allowed).
    if (line.substr(0, head.size()) != head) {
        std::size_t at = 0;
        while (at < line.size() && at < head.size() && line[at] == head[at]) ++at;
        return failure{errc::sdp_bad_attribute, at};
    }
    std::size_t pos = head.size();
    // key-mgmt-att-value = 0*1SP prtcl-id SP keymgmt-data
    if (pos < line.size() && line[pos] == ' ') ++pos;
    const std::size_t id_at = pos;
    while (pos < line.size() && detail::is_alnum(line[pos])) ++pos;
    if (pos == id_at || pos == line.size() || line[pos] != ' ') {
        return failure{errc::sdp_bad_attribute, pos};
    }
    key_mgmt_attribute a;
    a.protocol = line.substr(id_at, pos - id_at);
    ++pos;
    a.data = line.substr(pos);
    if (a.data.empty()) {
        return failure{errc::sdp_bad_attribute, pos};
    }
    if (const auto size = base64_decoded_size(a.data); !size) {
        return shifted(size.error_info(), pos);
    }
    return a;
}

namespace detail {

/// Walks the lines of an SDP body (LF or CRLF terminated, mixed allowed:
/// RFC 4566 §5 asks parsers to accept a lone LF), checks each is
/// `<type>=<value>`, counts m= lines and calls f(attribute) for every
/// a=key-mgmt attribute; f returns result<void> and may stop the walk.
/// Returns the number of m= lines.
/// Errors: sdp_bad_line; parse_key_mgmt_line's; f's.
template <class F>
[[nodiscard]] constexpr result<std::size_t> scan_sdp(std::string_view body, F&& f) noexcept {
    std::size_t pos = 0;
    std::size_t media = 0;
    std::optional<std::size_t> empty_line_at;
    if (body.empty()) {
        return failure{errc::sdp_bad_line, 0};
    }
    while (pos < body.size()) {
        const std::size_t start = pos;
        std::size_t end = body.find('\n', pos);
        if (end == std::string_view::npos) {
            end = body.size();
            pos = end;
        } else {
            pos = end + 1;
        }
        std::string_view line = body.substr(start, end - start);
        if (!line.empty() && line.back() == '\r' && end < body.size()) {
            line.remove_suffix(1);
        }
        // RFC 4566 §5: text fields hold no NUL, CR or LF (byte-string, RFC 4566 §9).
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (line[i] == '\r' || line[i] == '\0') {
                return failure{errc::sdp_bad_line, start + i};
            }
        }
        // Empty lines are tolerated only at the end of the body (after the
        // last record's terminator).
        if (line.empty()) {
            if (!empty_line_at) empty_line_at = start;
            continue;
        }
        if (empty_line_at) {
            return failure{errc::sdp_bad_line, *empty_line_at};
        }
        // RFC 4566 §5: "<type>=<value>", <type> exactly one case-significant character.
        if (line.size() < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=') {
            return failure{errc::sdp_bad_line, start};
        }
        if (line[0] == 'm') {
            ++media;
            continue;
        }
        constexpr std::string_view field = "a=key-mgmt";
        if (line.substr(0, field.size()) != field || (line.size() > field.size() && line[field.size()] != ':')) {
            continue;
        }
        auto a = parse_key_mgmt_line(line);
        if (!a) {
            return shifted(a.error_info(), start);
        }
        a->level = media == 0 ? sdp_level::session : sdp_level::media;
        a->media_index = media == 0 ? 0 : media - 1;
        a->offset = start;
        if (auto r = f(std::as_const(*a)); !r) {
            return r.error_info();
        }
    }
    return media;
}

}  // namespace detail

/// The a=key-mgmt attributes of an SDP body (RFC 4567 §3.1): a view over
/// the caller's text, validated once by parse(). Lookups walk the text
/// again (SDP bodies are small); they allocate nothing.
///
/// Override rule (RFC 4567 §3.1): "if the media-level attribute is present,
/// the session level attribute MUST be ignored for this media". This view
/// applies it per attribute, whatever its protocol: a media section with an
/// a=key-mgmt of another protocol only is not covered by a session-level
/// MIKEY attribute (for_media() then reports unknown_key_mgmt_protocol).
class key_mgmt_view {
public:
    /// Validates the body: every line is `<type>=<value>` (LF or CRLF line
    /// ends, mixed allowed; empty lines only at the end), every a=key-mgmt
    /// line follows RFC 4567 §3.1 with strict base64 data, and no protocol
    /// is offered twice at one level ("one a=key-mgmt per protocol", RFC 4567
    /// §4.1.2; protocols compared case-insensitively). The body need not hold
    /// a MIKEY attribute (the lookups say so). Other lines are not checked
    /// further (the v= / o= / s= order of RFC 4566 is the SDP stack's job).
    /// Errors (offset in the body): sdp_bad_line (also for an empty body);
    /// sdp_bad_attribute; base64_invalid; key_mgmt_duplicate (at the second).
    [[nodiscard]] static constexpr result<key_mgmt_view> parse(std::string_view body MIKEY_LIFETIMEBOUND) noexcept {
        const auto media = detail::scan_sdp(body, [body](const key_mgmt_attribute& a) -> result<void> {
            // RFC 4567 §4.1.2: several protocols may be offered, one attribute each.
            const auto before = detail::scan_sdp(body.substr(0, a.offset), [&a](const key_mgmt_attribute& b) -> result<void> {
                if (b.level == a.level && b.media_index == a.media_index && detail::iequals(b.protocol, a.protocol)) {
                    return failure{errc::key_mgmt_duplicate, a.offset};
                }
                return {};
            });
            if (!before && before.error() == errc::key_mgmt_duplicate) {
                return before.error_info();
            }
            return {};
        });
        if (!media) {
            return media.error_info();
        }
        return key_mgmt_view(body, *media);
    }
    /// A view keeps the text: parsing a temporary std::string does not compile.
    template <class C>
        requires ::mikey::detail::owning_temporary<C>
    static result<key_mgmt_view> parse(C&&) = delete;

    [[nodiscard]] constexpr std::string_view body() const noexcept { return m_body; }
    /// The number of media sections (m= lines).
    [[nodiscard]] constexpr std::size_t media_count() const noexcept { return m_media; }

    /// The MIKEY attribute at session level.
    /// Errors: sdp_no_key_mgmt (no a=key-mgmt at session level),
    /// unknown_key_mgmt_protocol (only other protocols there).
    [[nodiscard]] constexpr result<key_mgmt_attribute> session() const noexcept { return pick(sdp_level::session, 0); }

    /// The MIKEY attribute in media section `m` itself (no session fallback).
    /// Errors: invalid_argument (m >= media_count()); sdp_no_key_mgmt;
    /// unknown_key_mgmt_protocol.
    [[nodiscard]] constexpr result<key_mgmt_attribute> media(std::size_t m) const noexcept {
        if (m >= m_media) {
            return errc::invalid_argument;
        }
        return pick(sdp_level::media, m);
    }

    /// The MIKEY attribute that applies to media section `m`: its own if it
    /// has any a=key-mgmt attribute, else the session-level one (RFC 4567 §3.1).
    /// Errors: invalid_argument (m >= media_count()); sdp_no_key_mgmt (none
    /// at either level); unknown_key_mgmt_protocol (the applicable level has
    /// key-mgmt attributes of other protocols only).
    [[nodiscard]] constexpr result<key_mgmt_attribute> for_media(std::size_t m) const noexcept {
        auto own = media(m);
        if (own || own.error() != errc::sdp_no_key_mgmt) {
            return own;
        }
        return session();
    }

    /// Calls f(const key_mgmt_attribute&) for every a=key-mgmt attribute, any
    /// protocol, in body order.
    template <class F>
    constexpr void for_each(F&& f) const noexcept {
        (void)detail::scan_sdp(m_body, [&f](const key_mgmt_attribute& a) -> result<void> {
            f(a);
            return {};
        });
    }

private:
    constexpr key_mgmt_view(std::string_view body, std::size_t media) noexcept : m_body(body), m_media(media) {}

    [[nodiscard]] constexpr result<key_mgmt_attribute> pick(sdp_level level, std::size_t m) const noexcept {
        std::optional<key_mgmt_attribute> mikey;
        bool any = false;
        for_each([&](const key_mgmt_attribute& a) {
            if (a.level == level && a.media_index == m) {
                any = true;
                if (!mikey && a.is_mikey()) mikey = a;
            }
        });
        if (mikey) return *mikey;
        return any ? errc::unknown_key_mgmt_protocol : errc::sdp_no_key_mgmt;
    }

    std::string_view m_body;
    std::size_t m_media = 0;
};

/// How a built SDP line ends.
enum class line_ending : std::uint8_t { crlf, lf, none };

/// Builds the SDP attribute line `a=key-mgmt:mikey <base64 of message>`
/// (RFC 4567 §3.1, §4.1.1: "the key management data is base64 encoded") with
/// the chosen line ending, into a caller buffer of exactly size() characters.
struct key_mgmt_line_builder {
    bytes_view message{};  ///< the complete MIKEY message
    line_ending ending = line_ending::crlf;

    [[nodiscard]] constexpr std::size_t size() const noexcept {
        return prefix.size() + base64_encoded_size(message.size()) + terminator().size();
    }
    /// Writes the line; returns it (a prefix of `out`).
    /// Errors: invalid_argument (empty message); buffer_too_small;
    /// crypto_backend_failure.
    [[nodiscard]] result<std::string_view> write(std::span<char> out) const noexcept {
        if (message.empty()) return errc::invalid_argument;
        if (out.size() < size()) return errc::buffer_too_small;
        std::size_t pos = 0;
        detail::put(out, pos, prefix);
        const auto b64 = base64_encode(message, out.subspan(pos));
        if (!b64) return b64.error_info();
        pos += b64->size();
        detail::put(out, pos, terminator());
        return std::string_view{out.data(), pos};
    }

private:
    static constexpr std::string_view prefix = "a=key-mgmt:mikey ";
    [[nodiscard]] constexpr std::string_view terminator() const noexcept {
        return ending == line_ending::crlf ? "\r\n" : ending == line_ending::lf ? "\n" : "";
    }
};

/// RFC 4567 §7: MIKEY at session level "SHALL allocate two consecutive
/// numbers for the related Crypto Session indexes": CS IDs 2m+1 and 2m+2 for
/// the m= line of index m (from 0). Which direction takes which of the two
/// the RFC does not say (the caller's convention, e.g. the offerer's
/// sending stream first).
/// Errors: invalid_argument (m > 126: CS IDs are 8 bits).
[[nodiscard]] constexpr result<std::pair<cs_id, cs_id>> cs_ids_for_media(std::size_t m) noexcept {
    if (m > 126) return errc::invalid_argument;
    return std::pair{cs_id{static_cast<std::uint8_t>(2 * m + 1)}, cs_id{static_cast<std::uint8_t>(2 * m + 2)}};
}

// ---------------------------------------------------------------- RTSP (RFC 4567 §3.2)

/// The MIKEY key-mgmt-spec of an RTSP KeyMgmt header, as views into it.
struct rtsp_key_mgmt {
    std::string_view protocol{};  ///< prot as written ("mikey" in some case)
    std::optional<std::string_view> uri{};  ///< uri without quotes; absent: the request URI applies (§3.2)
    std::string_view data{};      ///< data without quotes: strict base64, validated
    std::size_t offset = 0;       ///< where the spec starts in the input

    /// 0 when `data` is not strict base64 (not for a parsed header).
    [[nodiscard]] constexpr std::size_t decoded_size() const noexcept {
        const auto n = base64_decoded_size(data);
        return n ? *n : 0;
    }
    /// Decodes the MIKEY message into `out` (decoded_size() bytes).
    /// Errors: buffer_too_small, crypto_backend_failure.
    [[nodiscard]] result<bytes_view> decode(mutable_bytes out) const noexcept { return base64_decode(data, out); }
};

namespace detail {

/// A cursor over an RTSP header value: linear white space is SP / HT and
/// line folding (CRLF or LF followed by SP / HT, RFC 2326 §4.2 / RFC 2616 §2.2).
struct rtsp_cursor {
    std::string_view s;
    std::size_t pos = 0;

    [[nodiscard]] constexpr bool done() const noexcept { return pos >= s.size(); }
    [[nodiscard]] constexpr char peek() const noexcept { return done() ? '\0' : s[pos]; }
    constexpr void skip_lws() noexcept {
        while (!done()) {
            const char c = s[pos];
            if (c == ' ' || c == '\t') {
                ++pos;
                continue;
            }
            const std::size_t nl = (c == '\r' && pos + 1 < s.size() && s[pos + 1] == '\n') ? 2 : (c == '\n' ? 1 : 0);
            if (nl == 0) return;
            // A fold continues on the next line; a final line end closes the header.
            if (pos + nl == s.size()) {
                pos += nl;
                return;
            }
            const char next = s[pos + nl];
            if (next != ' ' && next != '\t') return;
            pos += nl;
        }
    }
};

/// token: RFC 2326 §15.1 tchar, minus the separators this header uses.
[[nodiscard]] constexpr bool is_token_char(char c) noexcept {
    if (c <= ' ' || c >= 0x7F) return false;
    switch (c) {
        case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '\\':
        case '"': case '/': case '[': case ']': case '?': case '=': case '{': case '}':
            return false;
        default: return true;
    }
}

/// A parameter value: quoted-string (no escapes; none of URI or base64
/// needs one) or 1*(any character but LWS, ";", ",", DQUOTE, CTL).
[[nodiscard]] constexpr std::optional<std::string_view> rtsp_value(rtsp_cursor& c) noexcept {
    if (c.peek() == '"') {
        const std::size_t open = c.pos;
        std::size_t i = open + 1;
        while (i < c.s.size() && c.s[i] != '"') {
            const char ch = c.s[i];
            if (ch == '\r' || ch == '\n' || ch == '\0') return std::nullopt;
            ++i;
        }
        if (i >= c.s.size()) return std::nullopt;
        c.pos = i + 1;
        return c.s.substr(open + 1, i - open - 1);
    }
    const std::size_t start = c.pos;
    while (!c.done()) {
        const char ch = c.peek();
        if (ch <= ' ' || ch == 0x7F || ch == ';' || ch == ',' || ch == '"') break;
        ++c.pos;
    }
    if (c.pos == start) return std::nullopt;
    return c.s.substr(start, c.pos - start);
}

}  // namespace detail

/// Parses an RTSP KeyMgmt header (RFC 4567 §3.2), the field value or the
/// whole header line ("KeyMgmt:" in any case, then the value), and returns
/// its MIKEY key-mgmt-spec:
///   KeyMgmt = "KeyMgmt" ":" key-mgmt-spec 0*("," key-mgmt-spec)
///   key-mgmt-spec = "prot" "=" KMPID ";" ["uri" "=" DQUOTE URI DQUOTE ";"] "data" "=" ...
/// The printed ABNF omits the `data` parameter that RFC 4567 §4.2 and every
/// example use (shared/spec/sdp-key-mgmt.md §4.1); it is required here for
/// MIKEY. Parameters may come in any order, separated by ";" with optional
/// linear white space (a trailing ";" is allowed); names are compared
/// case-insensitively; values may be quoted or bare; unknown parameters are
/// skipped. Specs of other protocols are checked for syntax only.
/// Errors (offsets in the input): rtsp_bad_key_mgmt (syntax; a spec without
/// prot or with a prot that is not a KMPID; a parameter given twice in one
/// spec; the MIKEY spec without data); base64_invalid (MIKEY data);
/// key_mgmt_duplicate (two MIKEY specs, RFC 4567 §4.1.2 logic: one spec per
/// protocol); unknown_key_mgmt_protocol (no MIKEY spec).
[[nodiscard]] constexpr result<rtsp_key_mgmt> parse_rtsp_key_mgmt(std::string_view header) noexcept {
    detail::rtsp_cursor c{header};
    c.skip_lws();
    constexpr std::string_view name = "keymgmt";
    if (detail::iequals(header.substr(c.pos, name.size()), name)) {
        const std::size_t save = c.pos;
        c.pos += name.size();
        c.skip_lws();
        if (c.peek() == ':') {
            ++c.pos;
        } else {
            c.pos = save;
        }
    }
    std::optional<rtsp_key_mgmt> found;
    for (;;) {
        c.skip_lws();
        const std::size_t spec_at = c.pos;
        std::optional<std::string_view> prot, uri, data;
        std::size_t data_at = 0;
        while (true) {
            c.skip_lws();
            if (c.done() || c.peek() == ',') break;
            const std::size_t name_at = c.pos;
            while (!c.done() && detail::is_token_char(c.peek())) ++c.pos;
            const std::string_view pname = header.substr(name_at, c.pos - name_at);
            if (pname.empty()) return failure{errc::rtsp_bad_key_mgmt, c.pos};
            c.skip_lws();
            if (c.peek() != '=') return failure{errc::rtsp_bad_key_mgmt, c.pos};
            ++c.pos;
            c.skip_lws();
            const std::size_t value_at = c.pos;
            const auto value = detail::rtsp_value(c);
            if (!value) return failure{errc::rtsp_bad_key_mgmt, value_at};
            std::optional<std::string_view>* slot = nullptr;
            if (detail::iequals(pname, "prot")) slot = &prot;
            if (detail::iequals(pname, "uri")) slot = &uri;
            if (detail::iequals(pname, "data")) {
                slot = &data;
                data_at = value_at + (header[value_at] == '"' ? 1 : 0);
            }
            if (slot != nullptr) {
                if (slot->has_value()) return failure{errc::rtsp_bad_key_mgmt, name_at};
                *slot = *value;
            }
            c.skip_lws();
            if (c.peek() == ';') {
                ++c.pos;
                continue;
            }
            if (!c.done() && c.peek() != ',') return failure{errc::rtsp_bad_key_mgmt, c.pos};
        }
        // RFC 4567 §3.2: key-mgmt-spec = "prot" "=" KMPID ...
        if (!prot || !detail::is_kmpid(*prot)) {
            return failure{errc::rtsp_bad_key_mgmt, spec_at};
        }
        if (data) {
            if (const auto size = base64_decoded_size(*data); !size) {
                return shifted(size.error_info(), data_at);
            }
        }
        if (is_mikey(*prot)) {
            if (found) return failure{errc::key_mgmt_duplicate, spec_at};
            // RFC 4567 §4.2: the MIKEY message goes in the "data" field.
            if (!data || data->empty()) return failure{errc::rtsp_bad_key_mgmt, spec_at};
            found = rtsp_key_mgmt{*prot, uri, *data, spec_at};
        }
        if (c.done()) break;
        ++c.pos;  // ','
    }
    if (!found) return errc::unknown_key_mgmt_protocol;
    return *found;
}

/// Builds the KeyMgmt header value `prot=mikey; uri="<uri>"; data="<base64>"`
/// (RFC 4567 §3.2, §4.2; `uri` part left out when uri is empty), optionally
/// preceded by "KeyMgmt: ", into a caller buffer of exactly size() characters.
/// No line terminator.
struct rtsp_key_mgmt_builder {
    bytes_view message{};    ///< the complete MIKEY message
    std::string_view uri{};  ///< the session or media control URI (§3.2), or empty
    bool with_header_name = false;

    [[nodiscard]] constexpr std::size_t size() const noexcept {
        return (with_header_name ? header_name.size() : 0) + prot.size() +
               (uri.empty() ? 0 : uri_open.size() + uri.size() + uri_close.size()) + data_open.size() +
               base64_encoded_size(message.size()) + 1;
    }
    /// Writes the value; returns it (a prefix of `out`).
    /// Errors: invalid_argument (empty message; a uri with a character
    /// outside 0x21-0x7E or a DQUOTE, which a quoted URI cannot hold,
    /// RFC 3986 §2); buffer_too_small; crypto_backend_failure.
    [[nodiscard]] result<std::string_view> write(std::span<char> out) const noexcept {
        if (message.empty()) return errc::invalid_argument;
        for (const char ch : uri) {
            if (ch <= ' ' || ch >= 0x7F || ch == '"') return errc::invalid_argument;
        }
        if (out.size() < size()) return errc::buffer_too_small;
        std::size_t pos = 0;
        if (with_header_name) detail::put(out, pos, header_name);
        detail::put(out, pos, prot);
        if (!uri.empty()) {
            detail::put(out, pos, uri_open);
            detail::put(out, pos, uri);
            detail::put(out, pos, uri_close);
        }
        detail::put(out, pos, data_open);
        const auto b64 = base64_encode(message, out.subspan(pos));
        if (!b64) return b64.error_info();
        pos += b64->size();
        detail::put(out, pos, "\"");
        return std::string_view{out.data(), pos};
    }

private:
    static constexpr std::string_view header_name = "KeyMgmt: ";
    static constexpr std::string_view prot = "prot=mikey; ";
    static constexpr std::string_view uri_open = "uri=\"";
    static constexpr std::string_view uri_close = "\"; ";
    static constexpr std::string_view data_open = "data=\"";
};

}  // namespace mikey::sdp
// ---- end mikey/sdp.hpp ----
// #include "conference/non_media.hpp" (inlined)
// ---- begin mikey/conference/non_media.hpp ----
// mikey-ticket (conference layer): keys for the non-media traffic of a
// secure conference keyed by MIKEY-TICKET (seed 003, TR 33.829 Annex G.3):
//
//   tls_psk_of, tls_psk_identity    BFCP over TLS (G.3.2; TS 23.333 §6.2.19 as
//                                   digested in shared/spec/3gpp-kms-
//                                   conferencing.md §2): the TLS pre-shared key
//                                   (RFC 4279) is the TEK of the BFCP crypto
//                                   session; a PSK identity built from CSB ID,
//                                   CS ID and SPI
//   notify_key, notify_key_of       the AES-GCM key and salt of the event
//                                   package crypto session
//   notify_nonce, notify_aad_size,  the nonce and associated data of one
//   write_notify_aad                protected NOTIFY body (building blocks,
//                                   public so that tests and other stacks can
//                                   check them)
//   notify_sealer, notify_opener    conference event package (RFC 4575) NOTIFY
//                                   body protection (G.3.3): AES-GCM (RFC 5116)
//                                   with a 64-bit sequence number, a sender
//                                   that never wraps, a receiver with a
//                                   64-entry sliding replay window
//
// Readings (notes/conference.md, "Non-media keys", says why):
//
// BFCP over TLS. TS 23.333 §6.2.19 (quoting TS 33.328 Annex H.3) confirms:
// one crypto session whose protocol type is TLS, and "the PSK used by TLS"
// is the TEK of that crypto session. The PSK identity format of TS 33.328
// Annex H is NOT known here (the body text was not available). This library
// uses a stable, non-secret ASCII identity that both ends can build from
// what the MIKEY-TICKET exchange gave them:
//     "mikey-ticket:" <CSB ID, 8 lowercase hex digits> ":" <CS ID, decimal>
//     [":" <SPI, lowercase hex, 2 digits per byte>]       (SPI only when set)
// e.g. "mikey-ticket:0a1b2c3d:1:01020304". It reveals nothing about the key
// (the CSB ID and the GENERIC-ID SPI travel in clear in the HDR, RFC 6043
// §6.1.1), is unique per crypto session and key, and fits RFC 4279 §5.1
// (printable UTF-8, here at most max_psk_identity_size bytes). An
// implementation of TS 33.328 Annex H may need another format.
//
// Event package NOTIFY protection. Seed 003 G.3.3 asks for "the pre-shared
// key variant of S/MIME as described in Annex X", and Annex X is empty
// ("will be filled with text later"). Instead of inventing an S/MIME
// profile, this header uses a standard AEAD over the NOTIFY body:
//     algorithm  AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 5116 §5.1, §5.2),
//                picked by the TEK length (16 or 32 bytes), 16-byte tag
//     key        the TEK of the event package crypto session
//     nonce      12 bytes: the first 12 bytes of the crypto session's salt
//                XOR (0x00000000 || sequence number, 8 bytes big-endian),
//                the shape of RFC 7714 §8.1's IV (salt XOR packet index)
//     AAD        u16 len || conference URI || u16 len || content type ||
//                u64 sequence number (all big-endian; the lengths make the
//                encoding unambiguous)
//     wire       sequence number (8 bytes, big-endian) || ciphertext ||
//                tag (16 bytes); notify_overhead = 24 bytes
// Replay: a sliding window of 64 sequence numbers (as RFC 4303 §3.4.3 and
// RFC 3711 §3.3.2), because NOTIFYs of one subscription are separate SIP
// transactions and may arrive out of order (RFC 4575's conference-info has a
// version attribute for that reason).
// One sender per key: the notification service seals, subscribers only open.
// Two sealers with one key (or a subscriber sealing) would reuse nonces,
// which breaks AES-GCM; a sealer restarted with the same key must resume at
// the persisted next_sequence().
//
// Crypto: Botan's C FFI (<botan/ffi.h>, botan_cipher_*), which returns error
// codes and never throws, so this header compiles and works with
// -fno-exceptions. Like sdp.hpp it is left out of <mikey/mikey.hpp> under
// MIKEY_NO_BOTAN. Nothing here does I/O, reads a clock or draws randomness.

#include <botan/ffi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

// #include "../core/bytes.hpp" (inlined above as mikey/core/bytes.hpp)
// #include "../core/config.hpp" (inlined above as mikey/core/config.hpp)
// #include "../core/errc.hpp" (inlined above as mikey/core/errc.hpp)
// #include "../core/result.hpp" (inlined above as mikey/core/result.hpp)
// #include "../core/secret.hpp" (inlined above as mikey/core/secret.hpp)
// #include "../core/strong_types.hpp" (inlined above as mikey/core/strong_types.hpp)
// #include "../roles/outcome.hpp" (inlined above as mikey/roles/outcome.hpp)

namespace mikey::conference {

// ================================================================ BFCP over TLS-PSK

/// Longest PSK identity tls_psk_identity writes: "mikey-ticket:" (13) +
/// 8 hex digits + ":" + 3 decimal digits + ":" + 16 hex digits (an 8-byte SPI).
inline constexpr std::size_t max_psk_identity_size = 13 + 8 + 1 + 3 + 1 + 16;

/// The prefix of every PSK identity this library builds.
inline constexpr std::string_view psk_identity_prefix = "mikey-ticket:";

/// A PSK identity (RFC 4279 §5.1: sent in clear in the ClientKeyExchange),
/// stored inline. Not secret.
struct psk_identity {
    std::array<char, max_psk_identity_size> text{};
    std::uint8_t size = 0;
    /// The identity as text (a view into this object).
    [[nodiscard]] constexpr std::string_view view() const noexcept MIKEY_LIFETIMEBOUND {
        return {text.data(), size};
    }
};

/// The PSK identity of crypto session `cs` of bundle `csb`, whose key is
/// named by `spi` (empty: no SPI part). The format is this library's reading
/// (TS 33.328 Annex H's own is not known here):
///   "mikey-ticket:" <csb as 8 lowercase hex digits> ":" <cs in decimal>
///   [":" <spi as lowercase hex>]
/// Errors: field_too_long (spi longer than 8 bytes, RFC 6043 §6.2.1's KV
/// SPI as roles::session_key holds it).
[[nodiscard]] constexpr result<psk_identity> tls_psk_identity(csb_id csb, cs_id cs, bytes_view spi) noexcept {
    if (spi.size() > 8) return errc::field_too_long;
    constexpr char hex[] = "0123456789abcdef";
    psk_identity id;
    std::size_t n = 0;
    const auto put = [&](char c) { id.text[n++] = c; };
    for (const char c : psk_identity_prefix) put(c);
    for (int shift = 28; shift >= 0; shift -= 4) put(hex[(csb.get() >> shift) & 0x0Fu]);
    put(':');
    const unsigned v = cs.get();
    if (v >= 100) put(static_cast<char>('0' + v / 100));
    if (v >= 10) put(static_cast<char>('0' + (v / 10) % 10));
    put(static_cast<char>('0' + v % 10));
    if (!spi.empty()) {
        put(':');
        for (const std::uint8_t b : spi) {
            put(hex[b >> 4]);
            put(hex[b & 0x0Fu]);
        }
    }
    id.size = static_cast<std::uint8_t>(n);
    return id;
}

/// What TLS needs to run RFC 4279 PSK key exchange for BFCP (or MSRP).
struct tls_psk {
    secret_buffer<64> key{};  ///< the PSK: the crypto session's TEK (wiped on destruction)
    psk_identity identity{};  ///< see tls_psk_identity
};

/// The TLS pre-shared key and PSK identity of the BFCP crypto session `k`
/// (seed 003 G.3.2: "BFCP traffic shall be protected in the same way as
/// MSRP traffic, i.e. using a TLS tunnel established with MIKEY-TICKET";
/// TS 23.333 §6.2.19: the PSK is "the TEK associated with that crypto
/// session"). The PSK is k.tek as the role machine established it: the TEK
/// carried in the KEMAC, or derived from the TGK / TGK' with D4 (RFC 6043
/// §5.1.3) with the crypto session's CS ID. The identity is
/// tls_psk_identity(csb, k.cs, k.spi_view()).
/// Both ends get the same value from the same exchange: the Initiator and
/// the Responder (with forking, the Responder's TGK' is what both hold).
/// Errors: missing_key (k holds no TEK); key_too_short (a TEK under 16
/// bytes: RFC 6043 §12.1 wants at least 128-bit keys); field_too_long (an
/// SPI over 8 bytes, which a session_key cannot hold).
[[nodiscard]] inline result<tls_psk> tls_psk_of(const roles::session_key& k, csb_id csb) noexcept {
    if (k.tek.empty()) return errc::missing_key;
    // RFC 6043 §12.1: keys of at least 128 bits.
    if (k.tek.size() < 16) return errc::key_too_short;
    auto id = tls_psk_identity(csb, k.cs, k.spi_view());
    if (!id) return id.error_info();
    auto key = secret_buffer<64>::from(k.tek.view());
    if (!key) return key.error_info();
    tls_psk out;
    out.key = std::move(*key);
    out.identity = *id;
    return out;
}

// ================================================================ event package NOTIFY protection

/// The content type of conference event package bodies (RFC 4575 §4).
inline constexpr std::string_view conference_info_content_type = "application/conference-info+xml";

inline constexpr std::size_t notify_seq_size = 8;    ///< big-endian sequence number in front
inline constexpr std::size_t notify_tag_size = 16;   ///< AES-GCM tag (RFC 5116 §5.1, §5.2)
inline constexpr std::size_t notify_nonce_size = 12; ///< RFC 5116 §3.2's recommended nonce length
inline constexpr std::size_t notify_salt_size = 12;  ///< the salt bytes the nonce takes
/// Bytes a protected body adds to its plaintext.
inline constexpr std::size_t notify_overhead = notify_seq_size + notify_tag_size;
/// Longest conference URI and content type accepted into the AAD (it is
/// built on the stack; SIP URIs are far shorter; RFC 6838 §4.2 limits type
/// and subtype names to 127 characters each).
inline constexpr std::size_t max_conference_uri_size = 2048;
inline constexpr std::size_t max_content_type_size = 255;
/// The replay window of notify_opener, in sequence numbers.
inline constexpr std::size_t notify_replay_window = 64;

/// Size of a protected body for a plaintext of `plain` bytes.
[[nodiscard]] constexpr std::size_t notify_protected_size(std::size_t plain) noexcept {
    return plain + notify_overhead;
}

/// The AES-GCM key and nonce salt of the event package crypto session.
struct notify_key {
    secret_buffer<32> key{};   ///< the TEK: 16 (AES-128-GCM) or 32 bytes (AES-256-GCM)
    secret_buffer<12> salt{};  ///< the first 12 bytes of the crypto session's salt
};

/// The NOTIFY protection key of crypto session `k`: its TEK (16 or 32 bytes)
/// and the first 12 bytes of its salt (the D4 salt key, 14 bytes, or the Key
/// data's carried salt: roles::session_key).
/// Errors: key_length_mismatch (a TEK of neither 16 nor 32 bytes: no
/// AEAD_AES_*_GCM of RFC 5116 takes it); missing_key (no TEK, or a salt
/// under 12 bytes).
[[nodiscard]] inline result<notify_key> notify_key_of(const roles::session_key& k) noexcept {
    if (k.tek.empty()) return errc::missing_key;
    if (k.tek.size() != 16 && k.tek.size() != 32) return errc::key_length_mismatch;
    if (k.salt.size() < notify_salt_size) return errc::missing_key;
    notify_key out;
    auto key = secret_buffer<32>::from(k.tek.view());
    if (!key) return key.error_info();
    auto salt = secret_buffer<12>::from(k.salt.view().first(notify_salt_size));
    if (!salt) return salt.error_info();
    out.key = std::move(*key);
    out.salt = std::move(*salt);
    return out;
}

/// The nonce of sequence number `seq`: salt (12 bytes) XOR
/// (0x00 0x00 0x00 0x00 || seq as 8 bytes big-endian), RFC 7714 §8.1's
/// construction with the sequence number in place of SSRC/ROC/SEQ.
/// Precondition: salt.size() == notify_salt_size (shorter salts are padded
/// with zeros, longer ones cut).
[[nodiscard]] constexpr std::array<std::uint8_t, notify_nonce_size> notify_nonce(bytes_view salt,
                                                                                 std::uint64_t seq) noexcept {
    std::array<std::uint8_t, notify_nonce_size> n{};
    for (std::size_t i = 0; i < n.size() && i < salt.size(); ++i) n[i] = salt[i];
    for (std::size_t i = 0; i < 8; ++i) {
        n[4 + i] = static_cast<std::uint8_t>(n[4 + i] ^ static_cast<std::uint8_t>(seq >> (56 - 8 * i)));
    }
    return n;
}

/// Size of the associated data for this URI and content type.
[[nodiscard]] constexpr std::size_t notify_aad_size(std::string_view conference_uri,
                                                    std::string_view content_type) noexcept {
    return 2 + conference_uri.size() + 2 + content_type.size() + 8;
}

/// Writes the associated data of one protected body into `out`:
///   u16 len || conference URI || u16 len || content type || u64 seq
/// (big-endian). Returns the written prefix of `out`.
/// Errors: field_too_long (URI over max_conference_uri_size or content type
/// over max_content_type_size); buffer_too_small.
[[nodiscard]] constexpr result<bytes_view> write_notify_aad(std::string_view conference_uri,
                                                            std::string_view content_type, std::uint64_t seq,
                                                            mutable_bytes out) noexcept {
    if (conference_uri.size() > max_conference_uri_size || content_type.size() > max_content_type_size) {
        return errc::field_too_long;
    }
    const std::size_t size = notify_aad_size(conference_uri, content_type);
    if (out.size() < size) return errc::buffer_too_small;
    std::size_t n = 0;
    const auto text = [&](std::string_view s) {
        out[n++] = static_cast<std::uint8_t>(s.size() >> 8);
        out[n++] = static_cast<std::uint8_t>(s.size());
        for (const char c : s) out[n++] = static_cast<std::uint8_t>(c);
    };
    text(conference_uri);
    text(content_type);
    for (int shift = 56; shift >= 0; shift -= 8) out[n++] = static_cast<std::uint8_t>(seq >> shift);
    return bytes_view{out.data(), size};
}

namespace detail {

/// Owns one botan_cipher_t.
class ffi_cipher {
public:
    ffi_cipher() noexcept = default;
    ffi_cipher(const ffi_cipher&) = delete;
    ffi_cipher& operator=(const ffi_cipher&) = delete;
    ~ffi_cipher() {
        if (m_obj != nullptr) botan_cipher_destroy(m_obj);
    }
    botan_cipher_t* out() noexcept { return &m_obj; }
    botan_cipher_t get() const noexcept { return m_obj; }

private:
    botan_cipher_t m_obj = nullptr;
};

/// One AES-GCM operation through Botan's FFI: `in` (plaintext, or
/// ciphertext || tag) into `out` (exactly in.size() + 16 bytes to encrypt,
/// in.size() - 16 to decrypt).
/// Errors: auth_failure (decryption: the tag does not verify,
/// BOTAN_FFI_ERROR_BAD_MAC); crypto_backend_failure (any other FFI error).
[[nodiscard]] inline result<void> aes_gcm(bool encrypt, const notify_key& k, bytes_view nonce, bytes_view aad,
                                         bytes_view in, mutable_bytes out) noexcept {
    ffi_cipher c;
    const char* name = k.key.size() == 32 ? "AES-256/GCM" : "AES-128/GCM";
    const std::uint32_t dir = encrypt ? BOTAN_CIPHER_INIT_FLAG_ENCRYPT : BOTAN_CIPHER_INIT_FLAG_DECRYPT;
    if (botan_cipher_init(c.out(), name, dir) != 0) return errc::crypto_backend_failure;
    if (botan_cipher_set_key(c.get(), k.key.view().data(), k.key.size()) != 0) return errc::crypto_backend_failure;
    if (botan_cipher_set_associated_data(c.get(), aad.data(), aad.size()) != 0) {
        return errc::crypto_backend_failure;
    }
    if (botan_cipher_start(c.get(), nonce.data(), nonce.size()) != 0) return errc::crypto_backend_failure;
    // An empty span may have a null data(); Botan's FFI refuses null pointers.
    std::uint8_t dummy_in = 0;
    std::uint8_t dummy_out = 0;
    const std::uint8_t* in_ptr = in.empty() ? &dummy_in : in.data();
    std::uint8_t* out_ptr = out.empty() ? &dummy_out : out.data();
    std::size_t written = 0;
    std::size_t consumed = 0;
    const int rc = botan_cipher_update(c.get(), BOTAN_CIPHER_UPDATE_FLAG_FINAL, out_ptr, out.size(), &written,
                                       in_ptr, in.size(), &consumed);
    if (rc == BOTAN_FFI_ERROR_BAD_MAC) {
        secure_wipe(out);
        return errc::auth_failure;
    }
    if (rc != 0 || written != out.size() || consumed != in.size()) {
        secure_wipe(out);
        return errc::crypto_backend_failure;
    }
    return {};
}

}  // namespace detail

/// The sending side of event package NOTIFY protection (seed 003 G.3.3;
/// this library's AES-GCM reading, see the top of this header): seals
/// bodies with sequence numbers first, first + 1, ... up to 2^64 - 1, then
/// refuses (sequence_exhausted) instead of wrapping, which would reuse a
/// nonce. Exactly one sealer may exist per key (the notification service's,
/// per subscriber's crypto session); to restart with the same key, persist
/// next_sequence() and pass it as `first`.
class notify_sealer {
public:
    /// A sealer for crypto session `k` (notify_key_of) whose first body gets
    /// sequence number `first`.
    /// Errors: those of notify_key_of.
    [[nodiscard]] static result<notify_sealer> make(const roles::session_key& k, std::uint64_t first = 0) noexcept {
        auto key = notify_key_of(k);
        if (!key) return key.error_info();
        return notify_sealer(std::move(*key), first);
    }

    /// Protects `body` (of content type `content_type`, e.g.
    /// conference_info_content_type) of the conference `conference_uri` into
    /// `out`: seq (8 bytes) || ciphertext || tag (16 bytes), exactly
    /// notify_protected_size(body.size()) bytes. Returns that prefix of
    /// `out` and advances the sequence number; a refused call changes
    /// nothing and leaves `out` unspecified.
    /// Errors: sequence_exhausted (2^64 - 1 was used); field_too_long (URI or
    /// content type too long for the AAD, see write_notify_aad);
    /// buffer_too_small; crypto_backend_failure.
    [[nodiscard]] result<bytes_view> seal(std::string_view conference_uri, std::string_view content_type,
                                          bytes_view body, mutable_bytes out) noexcept {
        if (m_exhausted) return errc::sequence_exhausted;
        const std::size_t size = notify_protected_size(body.size());
        if (out.size() < size) return errc::buffer_too_small;
        const std::uint64_t seq = m_next;
        std::array<std::uint8_t, 2 + max_conference_uri_size + 2 + max_content_type_size + 8> aad_buf{};
        const auto aad = write_notify_aad(conference_uri, content_type, seq, aad_buf);
        if (!aad) return aad.error_info();
        for (std::size_t i = 0; i < notify_seq_size; ++i) {
            out[i] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
        }
        const auto nonce = notify_nonce(m_key.salt.view(), seq);
        if (auto r = detail::aes_gcm(true, m_key, nonce, *aad, body, out.subspan(notify_seq_size, size - notify_seq_size));
            !r) {
            return r.error_info();
        }
        if (seq == std::numeric_limits<std::uint64_t>::max()) {
            m_exhausted = true;
        } else {
            ++m_next;
        }
        return bytes_view{out.data(), size};
    }

    /// The sequence number the next seal() uses (meaningless once exhausted()).
    [[nodiscard]] std::uint64_t next_sequence() const noexcept { return m_next; }
    /// True when every sequence number has been used: seal() refuses.
    [[nodiscard]] bool exhausted() const noexcept { return m_exhausted; }

private:
    notify_sealer(notify_key k, std::uint64_t first) noexcept : m_key(std::move(k)), m_next(first) {}

    notify_key m_key;
    std::uint64_t m_next = 0;
    bool m_exhausted = false;
};

/// A body notify_opener::open accepted.
struct opened_notify {
    std::uint64_t sequence = 0;  ///< its sequence number
    bytes_view body{};           ///< the plaintext: a view into the caller's `out`
};

/// The receiving side of event package NOTIFY protection (a subscriber):
/// checks size, replay window, then the AES-GCM tag, and only then moves
/// the window. Replay protection is a sliding window of
/// notify_replay_window (64) sequence numbers anchored at the highest
/// accepted one (RFC 4303 §3.4.3, RFC 3711 §3.3.2): a newer number moves it,
/// one inside it is accepted once, one below it is refused. The first body
/// may have any sequence number.
class notify_opener {
public:
    /// An opener for crypto session `k` (notify_key_of).
    /// Errors: those of notify_key_of.
    [[nodiscard]] static result<notify_opener> make(const roles::session_key& k) noexcept {
        auto key = notify_key_of(k);
        if (!key) return key.error_info();
        return notify_opener(std::move(*key));
    }

    /// Opens `protected_body` (seal()'s output) of conference
    /// `conference_uri` with content type `content_type` into `out`
    /// (protected_body.size() - notify_overhead bytes). A refused body
    /// changes nothing (the window moves only for authentic bodies) and
    /// leaves no plaintext in `out`.
    /// Errors: truncated (shorter than notify_overhead); buffer_too_small;
    /// field_too_long (URI or content type too long for the AAD);
    /// replayed_message (a sequence number inside the window already
    /// accepted); sequence_too_old (below the window); auth_failure (the
    /// tag does not verify: tampered body, sequence number, URI or content
    /// type, or another key); crypto_backend_failure.
    [[nodiscard]] result<opened_notify> open(std::string_view conference_uri, std::string_view content_type,
                                             bytes_view protected_body, mutable_bytes out) noexcept {
        if (protected_body.size() < notify_overhead) return errc::truncated;
        const std::size_t plain = protected_body.size() - notify_overhead;
        if (out.size() < plain) return errc::buffer_too_small;
        std::uint64_t seq = 0;
        for (std::size_t i = 0; i < notify_seq_size; ++i) seq = (seq << 8) | protected_body[i];
        if (auto r = check_window(seq); !r) return r.error_info();
        std::array<std::uint8_t, 2 + max_conference_uri_size + 2 + max_content_type_size + 8> aad_buf{};
        const auto aad = write_notify_aad(conference_uri, content_type, seq, aad_buf);
        if (!aad) return aad.error_info();
        const auto nonce = notify_nonce(m_key.salt.view(), seq);
        if (auto r = detail::aes_gcm(false, m_key, nonce, *aad, protected_body.subspan(notify_seq_size),
                                     out.first(plain));
            !r) {
            return r.error_info();
        }
        accept(seq);
        return opened_notify{seq, bytes_view{out.data(), plain}};
    }

    /// The highest sequence number accepted so far (nullopt: none yet).
    [[nodiscard]] std::optional<std::uint64_t> highest() const noexcept {
        return m_any ? std::optional<std::uint64_t>{m_highest} : std::nullopt;
    }

private:
    explicit notify_opener(notify_key k) noexcept : m_key(std::move(k)) {}

    /// Errors: replayed_message, sequence_too_old.
    [[nodiscard]] result<void> check_window(std::uint64_t seq) const noexcept {
        if (!m_any || seq > m_highest) return {};
        const std::uint64_t age = m_highest - seq;
        if (age >= notify_replay_window) return errc::sequence_too_old;
        if ((m_seen >> age) & 1u) return errc::replayed_message;
        return {};
    }

    /// Records an authentic seq (check_window passed).
    void accept(std::uint64_t seq) noexcept {
        if (!m_any) {
            m_any = true;
            m_highest = seq;
            m_seen = 1;
            return;
        }
        if (seq > m_highest) {
            const std::uint64_t shift = seq - m_highest;
            m_seen = shift >= notify_replay_window ? 0 : m_seen << shift;
            m_seen |= 1;
            m_highest = seq;
            return;
        }
        m_seen |= std::uint64_t{1} << (m_highest - seq);
    }

    notify_key m_key;
    std::uint64_t m_highest = 0;
    std::uint64_t m_seen = 0;  ///< bit i: m_highest - i was accepted
    bool m_any = false;
};

}  // namespace mikey::conference
// ---- end mikey/conference/non_media.hpp ----
#endif
// ---- end mikey/mikey.hpp ----

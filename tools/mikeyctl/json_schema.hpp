// mikeyctl decode / encode: the JSON form of a MIKEY message, shared by both
// directions. Field names live here and nowhere else; decode.cpp turns views
// into this form, encode.cpp turns it back into builders.
//
// One object per message; key order as printed by decode. Enum fields print
// the registry name (name_of) and print a number when the value has none
// (private use); encode takes either. Byte fields are lowercase hex strings.
// Where a field is printed both raw and decoded (marked "both"), encode
// rebuilds the bytes from the decoded form and, when the raw form is also
// given, requires the two to agree (drop one of them to edit the other).
//
//   top level   header {..}, payloads [..], schema {..} (decode only; ignored by encode)
//   schema      name, conforms (bool), error (errc name), offset  (lenient check_schema;
//               error/offset only when it does not conform)
//   header      version, data_type, v (bool), prf_func, csb_id, cs_count,
//               cs_id_map_type, cs_id_map [..]   (encode also takes cs_id_map_info: hex)
//     SRTP-ID     cs_id_map: [{policy_no, ssrc, roc}]
//     GENERIC-ID  cs_id_map: [{cs_id, prot_type, s (bool), policies [numbers],
//                              session_data: {ssrc[, roc, seq]} (SRTP) | hex, spi}]
//     EMPTY       cs_id_map: []
//   payload     type (payload registry name: KEMAC, PKE, DH, SIGN, T, ID, CERT, CHASH,
//               V, SP, RAND, ERR, TR, IDR, RANDR, TP, TICKET, EXT) and per type:
//     KEMAC       encr_alg, encr_data, mac_alg, mac; with encr_alg NULL when the data is
//                 a Key data chain, also ("both" with encr_data) id {ID payload} (PK_INIT
//                 only: RFC 3830 §3.2) and key_data [{type, kv, key, salt (+SALT types),
//                 spi (kv SPI) | valid_from, valid_to (kv INTERVAL)}]; with encr_alg
//                 NULL when it is not, key_data_error {error (errc name), offset (in
//                 encr_data)} instead (decode only; ignored by encode, like schema)
//     PKE         cache, data
//     DH          dh_group, value, kv, spi | valid_from, valid_to
//     SIGN        sign_type, signature
//     T           ts_type, ts_value, ntp_seconds (NTP types; encode: checked against
//                 ts_value, or builds ts_value from it with a zero fraction)
//     TR          role, ts_type, ts_value, ntp_seconds
//     ID          id_type, data, text ("both": printable ASCII data only)
//     IDR         role, id_type, data, text
//     CERT        cert_type, data, text
//     EXT         ext_type, data, text; KEY_ID: key_ids [{type, id}] ("both" with data)
//     CHASH       hash_func, hash
//     V           mac_alg, mac
//     SP          policy_no, prot_type, params [{type (srtp_param name or number),
//                 value (number for a 1-byte value, hex otherwise)}]
//     RAND        rand
//     RANDR       role, rand
//     ERR         error_no
//     TP          ticket_type, subtype, version, prf_func, flags {d e f g h i j k l m n o},
//                 tp_data [payloads] (encode also takes hex)
//     TICKET      as TP, plus ticket_data: {thdr_data, thdr_text, payloads [..]} for the
//                 MIKEY base ticket (type 1, subtype 1, version 1), hex otherwise;
//                 with a base-ticket policy but Ticket Data that is no base ticket,
//                 hex and ticket_data_error {error, offset (in ticket_data)} (decode
//                 only; ignored by encode); initiator_data [payloads] (encode also
//                 takes hex)
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <mikey/mikey.hpp>

#include "../common/json.hpp"

namespace mikeyctl::js {

/// Insertion-ordered, so decode prints header before payloads and type first.
using tools::json;

/// Exit codes of decode and encode (see commands.hpp).
inline constexpr int exit_ok = 0;
inline constexpr int exit_usage = 1;
inline constexpr int exit_malformed = 2;

/// Every JSON field name (see the table above).
namespace key {
// top level
inline constexpr char header[] = "header";
inline constexpr char payloads[] = "payloads";
inline constexpr char schema[] = "schema";
// schema
inline constexpr char name[] = "name";
inline constexpr char conforms[] = "conforms";
inline constexpr char error[] = "error";
inline constexpr char offset[] = "offset";
// header
inline constexpr char version[] = "version";
inline constexpr char data_type[] = "data_type";
inline constexpr char v[] = "v";
inline constexpr char prf_func[] = "prf_func";
inline constexpr char csb_id[] = "csb_id";
inline constexpr char cs_count[] = "cs_count";
inline constexpr char cs_id_map_type[] = "cs_id_map_type";
inline constexpr char cs_id_map[] = "cs_id_map";
inline constexpr char cs_id_map_info[] = "cs_id_map_info";
inline constexpr char policy_no[] = "policy_no";
inline constexpr char ssrc[] = "ssrc";
inline constexpr char roc[] = "roc";
inline constexpr char seq[] = "seq";
inline constexpr char cs_id[] = "cs_id";
inline constexpr char prot_type[] = "prot_type";
inline constexpr char s[] = "s";
inline constexpr char policies[] = "policies";
inline constexpr char session_data[] = "session_data";
inline constexpr char spi[] = "spi";
// payloads
inline constexpr char type[] = "type";
inline constexpr char encr_alg[] = "encr_alg";
inline constexpr char encr_data[] = "encr_data";
inline constexpr char mac_alg[] = "mac_alg";
inline constexpr char mac[] = "mac";
inline constexpr char id[] = "id";
inline constexpr char key_data[] = "key_data";
inline constexpr char key_data_error[] = "key_data_error";
inline constexpr char kv[] = "kv";
inline constexpr char key[] = "key";
inline constexpr char salt[] = "salt";
inline constexpr char valid_from[] = "valid_from";
inline constexpr char valid_to[] = "valid_to";
inline constexpr char cache[] = "cache";
inline constexpr char data[] = "data";
inline constexpr char text[] = "text";
inline constexpr char dh_group[] = "dh_group";
inline constexpr char value[] = "value";
inline constexpr char sign_type[] = "sign_type";
inline constexpr char signature[] = "signature";
inline constexpr char ts_type[] = "ts_type";
inline constexpr char ts_value[] = "ts_value";
inline constexpr char ntp_seconds[] = "ntp_seconds";
inline constexpr char role[] = "role";
inline constexpr char id_type[] = "id_type";
inline constexpr char cert_type[] = "cert_type";
inline constexpr char ext_type[] = "ext_type";
inline constexpr char key_ids[] = "key_ids";
inline constexpr char hash_func[] = "hash_func";
inline constexpr char hash[] = "hash";
inline constexpr char params[] = "params";
inline constexpr char rand[] = "rand";
inline constexpr char error_no[] = "error_no";
inline constexpr char ticket_type[] = "ticket_type";
inline constexpr char subtype[] = "subtype";
inline constexpr char flags[] = "flags";
inline constexpr char tp_data[] = "tp_data";
inline constexpr char ticket_data[] = "ticket_data";
inline constexpr char ticket_data_error[] = "ticket_data_error";
inline constexpr char thdr_data[] = "thdr_data";
inline constexpr char thdr_text[] = "thdr_text";
inline constexpr char initiator_data[] = "initiator_data";
}  // namespace key

// ---------------------------------------------------------------------------
// Enums: registry name, or the number when the value has no name.
// ---------------------------------------------------------------------------

template <class E>
[[nodiscard]] inline json enum_to_json(E v) {
    const std::string_view n = mikey::name_of(v);
    if (!n.empty()) {
        return std::string(n);
    }
    return static_cast<std::uint64_t>(v);
}

/// The errc for a value of name space E that names nothing (encode's report
/// of an unknown name; the same codes the parsers use for unknown values).
template <class E>
[[nodiscard]] constexpr mikey::errc unknown_value_errc() noexcept {
    using mikey::errc;
    if constexpr (std::is_same_v<E, mikey::payload_type>) return errc::unknown_payload_type;
    else if constexpr (std::is_same_v<E, mikey::data_type>) return errc::unknown_data_type;
    else if constexpr (std::is_same_v<E, mikey::prf_func>) return errc::unknown_prf_func;
    else if constexpr (std::is_same_v<E, mikey::cs_id_map_type>) return errc::unknown_cs_id_map_type;
    else if constexpr (std::is_same_v<E, mikey::encr_alg>) return errc::unknown_encr_alg;
    else if constexpr (std::is_same_v<E, mikey::mac_alg>) return errc::unknown_mac_alg;
    else if constexpr (std::is_same_v<E, mikey::pke_cache>) return errc::unknown_pke_cache;
    else if constexpr (std::is_same_v<E, mikey::dh_group>) return errc::unknown_dh_group;
    else if constexpr (std::is_same_v<E, mikey::sign_type>) return errc::unknown_sign_type;
    else if constexpr (std::is_same_v<E, mikey::ts_type>) return errc::unknown_ts_type;
    else if constexpr (std::is_same_v<E, mikey::id_type>) return errc::unknown_id_type;
    else if constexpr (std::is_same_v<E, mikey::cert_type>) return errc::unknown_cert_type;
    else if constexpr (std::is_same_v<E, mikey::hash_func>) return errc::unknown_hash_func;
    else if constexpr (std::is_same_v<E, mikey::prot_type>) return errc::unknown_prot_type;
    else if constexpr (std::is_same_v<E, mikey::srtp_param>) return errc::unknown_srtp_param;
    else if constexpr (std::is_same_v<E, mikey::error_no>) return errc::unknown_error_no;
    else if constexpr (std::is_same_v<E, mikey::key_data_type>) return errc::unknown_key_data_type;
    else if constexpr (std::is_same_v<E, mikey::kv_type>) return errc::unknown_kv_type;
    else if constexpr (std::is_same_v<E, mikey::extension_type>) return errc::unknown_extension_type;
    else if constexpr (std::is_same_v<E, mikey::key_id_type>) return errc::unknown_key_id_type;
    else if constexpr (std::is_same_v<E, mikey::ts_role>) return errc::unknown_ts_role;
    else if constexpr (std::is_same_v<E, mikey::id_role>) return errc::unknown_id_role;
    else if constexpr (std::is_same_v<E, mikey::rand_role>) return errc::unknown_rand_role;
    else if constexpr (std::is_same_v<E, mikey::ticket_type>) return errc::unknown_ticket_type;
    else return errc::invalid_argument;
}

/// The value named by a registry name or given as a number that fits the
/// enum's underlying type; nullopt otherwise.
template <class E>
[[nodiscard]] inline std::optional<E> enum_from_json(const json& j) {
    if (j.is_string()) {
        return mikey::from_name<E>(j.get_ref<const std::string&>());
    }
    if (j.is_number_unsigned()) {
        const auto n = j.get<std::uint64_t>();
        if (n <= std::numeric_limits<std::underlying_type_t<E>>::max()) {
            return static_cast<E>(n);
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------
// Bytes (hex: tools/common/hex.hpp).
// ---------------------------------------------------------------------------

/// True when the bytes read as text: non-empty printable ASCII.
[[nodiscard]] inline bool printable(mikey::bytes_view b) noexcept {
    if (b.empty()) {
        return false;
    }
    for (const auto x : b) {
        if (x < 0x20 || x > 0x7E) {
            return false;
        }
    }
    return true;
}

[[nodiscard]] inline std::string as_text(mikey::bytes_view b) { return std::string(b.begin(), b.end()); }

/// Seconds of an NTP-format TS value (RFC 3830 §6.6, RFC 6043 §6.3), or
/// nullopt for COUNTER (and unregistered types).
[[nodiscard]] inline std::optional<std::uint64_t> ntp_seconds(mikey::ts_type t, mikey::bytes_view value) noexcept {
    if (t != mikey::ts_type::ntp_utc && t != mikey::ts_type::ntp && t != mikey::ts_type::ntp_utc_32) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < 4 && i < value.size(); ++i) {
        n = n << 8 | value[i];
    }
    return n;
}

/// The longest user-given name (a field, an enum name, a duplicate key) an
/// error message repeats; longer ones are cut.
inline constexpr std::size_t max_shown_name = 64;

/// A user-given name as an error message shows it: its first max_shown_name
/// bytes (cut back to a UTF-8 character boundary) and "..." when it is
/// longer, control characters as \xNN, so the message stays one short line.
[[nodiscard]] inline std::string shown_name(std::string_view name) {
    std::size_t n = name.size();
    if (n > max_shown_name) {
        n = max_shown_name;
        while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) {
            --n;  // name[n] continues the character that starts before it
        }
    }
    std::string out;
    for (const char c : name.substr(0, n)) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7F) {
            constexpr char digits[] = "0123456789abcdef";
            out += "\\x";
            out += digits[b >> 4];
            out += digits[b & 0x0F];
        } else {
            out += c;
        }
    }
    if (n < name.size()) {
        out += "...";
    }
    return out;
}

// ---------------------------------------------------------------------------
// Input.
// ---------------------------------------------------------------------------

/// The whole of FILE, or of stdin when `path` is empty or "-"; nullopt (with
/// a message on stderr) when it cannot be read.
[[nodiscard]] inline std::optional<std::string> read_input(std::string_view path) {
    const bool use_stdin = path.empty() || path == "-";
    const std::string p(path);
    std::FILE* f = use_stdin ? stdin : std::fopen(p.c_str(), "rb");
    if (f == nullptr) {
        std::fprintf(stderr, "error: cannot open %s\n", p.c_str());
        return std::nullopt;
    }
    std::string out;
    char buf[65536];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        out.append(buf, n);
    }
    const bool bad = std::ferror(f) != 0;
    if (!use_stdin) {
        std::fclose(f);
    }
    if (bad) {
        std::fprintf(stderr, "error: cannot read %s\n", use_stdin ? "standard input" : p.c_str());
        return std::nullopt;
    }
    return out;
}

}  // namespace mikeyctl::js

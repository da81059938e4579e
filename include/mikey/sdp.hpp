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
#pragma once

#include <botan/ffi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "core/bytes.hpp"
#include "core/config.hpp"
#include "core/errc.hpp"
#include "core/result.hpp"
#include "core/strong_types.hpp"

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

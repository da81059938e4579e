// mikey-ticket: Common Header (RFC 3830 §6.1) and its CS ID maps: SRTP-ID
// (RFC 3830 §6.1.1), Empty map (RFC 4563 §5), GENERIC-ID (RFC 6043 §6.1.1).
#pragma once

#include <span>
#include <variant>

#include "../core/strong_types.hpp"
#include "common.hpp"

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

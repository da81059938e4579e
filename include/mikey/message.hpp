// mikey-ticket: a whole MIKEY message: HDR followed by a validated payload
// chain (RFC 3830 §6), with typed lookup, iteration, the byte ranges its MAC
// covers, and a builder that links the Next Payload fields itself.
#pragma once

#include <array>
#include <optional>

#include "payload/hdr.hpp"
#include "payload/ticket.hpp"

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
    MIKEY_REFUSE_TEMPORARIES(message_view);
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

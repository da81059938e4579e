// mikey-ticket: payload chains. A chain is a sequence of payloads linked by
// their Next Payload fields and ended by Last payload (0) or by SIGN
// (RFC 3830 §6). The same walker validates a message after its HDR, the TP
// Data and Initiator Data of a TICKET (RFC 6043 §6.10), and the Ticket Data
// of the MIKEY base ticket (RFC 6043 App. A); the same writer builds them.
#pragma once

#include <array>
#include <optional>
#include <span>

#include "dh.hpp"
#include "err.hpp"
#include "general_extension.hpp"
#include "id.hpp"
#include "kemac.hpp"
#include "pke.hpp"
#include "rand.hpp"
#include "sign.hpp"
#include "sp.hpp"
#include "timestamp.hpp"
#include "verification.hpp"

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

// mikey-ticket: a whole MIKEY message: HDR followed by a validated payload
// chain (RFC 3830 §6), with typed lookup, iteration, the byte ranges its MAC
// covers, and a builder that links the Next Payload fields itself.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

#include "payload/hdr.hpp"
#include "payload/ticket.hpp"

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

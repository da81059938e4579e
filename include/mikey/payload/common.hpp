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
#pragma once

#include <concepts>
#include <cstddef>
#include <ranges>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "../core/bytes.hpp"
#include "../core/config.hpp"
#include "../core/errc.hpp"
#include "../core/reader.hpp"
#include "../core/registry.hpp"
#include "../core/result.hpp"
#include "../core/writer.hpp"

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

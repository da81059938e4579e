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
#pragma once

#include <array>
#include <optional>
#include <type_traits>

#include "../message.hpp"
#include "schemas.hpp"

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

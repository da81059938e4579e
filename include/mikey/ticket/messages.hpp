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

#include <optional>
#include <type_traits>

#include "../message.hpp"
#include "schemas.hpp"

namespace mikey::ticket {

/// The payloads an RFC 6043 message may carry, by role; the first of each
/// counts (later duplicates are refused by the schema where it matters).
struct message_fields {
    // A field added here is added to moved_to() too (tests/messages.cpp compares every one).
    std::optional<t_view> t{};
    std::optional<randr_view> randri{}, randrr{}, randrkms{};
    std::optional<idr_view> idri{}, idrr{}, idrkms{}, idrpsk{};
    std::optional<tp_view> tp{};
    std::optional<ticket_view> ticket{};
    std::optional<kemac_view> kemac{};
    std::optional<v_view> v{};  ///< the closing V (last payload)
    std::optional<err_view> err{};

    /// Takes payload `e` into its slot when that slot is still empty.
    constexpr void take(const chain_entry& e) noexcept {
        const auto first = [](auto& slot, const auto& view) {
            if (!slot) slot.emplace(view);
        };
        switch (e.type) {
            case payload_type::t: first(t, e.as<t_view>()); break;
            case payload_type::randr: {
                const auto r = e.as<randr_view>();
                if (r.role() == rand_role::randri) first(randri, r);
                if (r.role() == rand_role::randrr) first(randrr, r);
                if (r.role() == rand_role::randrkms) first(randrkms, r);
                break;
            }
            case payload_type::idr: {
                const auto r = e.as<idr_view>();
                if (r.role() == id_role::idri) first(idri, r);
                if (r.role() == id_role::idrr) first(idrr, r);
                if (r.role() == id_role::idrkms) first(idrkms, r);
                if (r.role() == id_role::idrpsk) first(idrpsk, r);
                break;
            }
            case payload_type::tp: first(tp, e.as<tp_view>()); break;
            case payload_type::ticket: first(ticket, e.as<ticket_view>()); break;
            case payload_type::kemac: first(kemac, e.as<kemac_view>()); break;
            case payload_type::err: first(err, e.as<err_view>()); break;
            default: break;
        }
    }
    /// Takes the closing V of `m` (after the payloads were taken).
    constexpr void take_closing(const message_view& m) noexcept {
        const auto last = m.last_payload();
        if (last && last->type == payload_type::v) v.emplace(last->as<v_view>());
    }

    /// check_schema's visitor that takes each payload into `*fields`: one
    /// type for every message, so one check_schema serves them all.
    struct taker {
        message_fields* fields;
        constexpr void operator()(const chain_entry& e) const noexcept { fields->take(e); }
    };

    /// These fields over `to`, a byte-identical copy of the message `from`
    /// they were taken from: each present view made again at its offset,
    /// without a walk over the message.
    [[nodiscard]] constexpr message_fields moved_to(bytes_view from, bytes_view to) const noexcept {
        message_fields f;
        const auto move = [&](auto& out, const auto& in) {
            using V = typename std::remove_cvref_t<decltype(in)>::value_type;
            if (!in) return;
            const auto at = static_cast<std::size_t>(in->bytes().data() - from.data());
            out.emplace(chain_entry{V::type, at, to.subspan(at, in->bytes().size())}.template as<V>());
        };
        move(f.t, t);
        move(f.randri, randri);
        move(f.randrr, randrr);
        move(f.randrkms, randrkms);
        move(f.idri, idri);
        move(f.idrr, idrr);
        move(f.idrkms, idrkms);
        move(f.idrpsk, idrpsk);
        move(f.tp, tp);
        move(f.ticket, ticket);
        move(f.kemac, kemac);
        move(f.v, v);
        move(f.err, err);
        return f;
    }

    /// One pass over a validated message.
    static constexpr message_fields of(const message_view& m) noexcept {
        message_fields f;
        for (const auto& e : m.payloads_in_place()) f.take(e);
        f.take_closing(m);
        return f;
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
    /// Errors: those of message_view::parse and check_schema (lenient).
    [[nodiscard]] static constexpr result<ticket_message> parse(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        const auto m = message_view::parse(in);
        if (!m) return m.error_info();
        // One walk checks the composition and fills the fields. From here
        // every path returns `out`, built in place: a ticket_message is large.
        result<ticket_message> out(std::in_place, passkey{}, *m, message_fields{});
        message_fields& f = out->m_fields;
        if (auto ok = check_schema(*m, Schema, schema_index, schema_check::lenient, message_fields::taker{&f}); !ok) {
            out = ok.error_info();
            return out;
        }
        f.take_closing(*m);
        return out;
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
        return result<ticket_message>(std::in_place, passkey{}, *m, m_fields.moved_to(bytes(), copy));
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
    constexpr ticket_message(passkey, const message_view& m, const message_fields& f) noexcept
        : m_msg(m), m_fields(f) {}

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

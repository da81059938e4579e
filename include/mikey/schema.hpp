// mikey-ticket: message schemas as constexpr tables: which payloads a message
// of each type carries, in which order, mandatory, optional or one of
// alternatives, and the check that a message conforms. This header has the
// machinery and RFC 3830's compositions (§3, §5.1.2); RFC 6043's eight
// messages, their CSB-update and Error forms are in ticket/schemas.hpp,
// which also has schema_for() over all of them.
#pragma once

#include <array>
#include <bit>
#include <span>
#include <string_view>
#include <utility>

#include "message.hpp"

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

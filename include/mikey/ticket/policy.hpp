// mikey-ticket (ticket layer): the Ticket Policy (RFC 6043 §6.10) as a
// value: its twelve flags (their meaning is documented on ticket_flags in
// payload/ticket.hpp), the flag dependencies, the
// rule that ties F to forking with a TGK, flags written as letters
// ("DEFGHI") for configuration files, and the Initiator's check of what the
// KMS granted against what it desired (K flag, §4.2.1.6).
//
// The flag bits themselves, their wire positions and the six dependency
// rules live with the TP / TICKET payloads (payload/ticket.hpp:
// ticket_flags, ticket_flag_bits, check_ticket_flags); this header adds
// what needs to know about keys and exchanges.
#pragma once

#include <string>
#include <vector>

#include <array>
#include <optional>
#include <string_view>

#include "../core/ntp_time.hpp"
#include "../payload/ticket.hpp"

namespace mikey::ticket {

using mikey::check_ticket_flags;
using mikey::ticket_flags;
using mikey::ticket_policy;

/// Flags from letters ("DEFGHIO": each letter present is a set flag; case
/// insensitive). Errors: invalid_argument (a character that names no flag,
/// or a letter twice).
[[nodiscard]] constexpr result<ticket_flags> flags_from_letters(std::string_view letters) noexcept {
    ticket_flags f;
    for (std::size_t i = 0; i < letters.size(); ++i) {
        const char c = letters[i] >= 'a' && letters[i] <= 'z' ? static_cast<char>(letters[i] - 'a' + 'A') : letters[i];
        bool found = false;
        for (const auto& bit : ticket_flag_bits) {
            if (bit.letter == c) {
                if (f.*bit.member) return failure{errc::invalid_argument, i};
                f.*bit.member = true;
                found = true;
            }
        }
        if (!found) return failure{errc::invalid_argument, i};
    }
    return f;
}

/// The set flags as letters, in D..O order (at most 12 characters).
struct flag_letters {
    std::array<char, 12> chars{};
    std::size_t size = 0;
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars.data(), size}; }
};
[[nodiscard]] constexpr flag_letters to_letters(const ticket_flags& f) noexcept {
    flag_letters out;
    for (const auto& bit : ticket_flag_bits) {
        if (f.*bit.member) out.chars[out.size++] = bit.letter;
    }
    return out;
}
static_assert(to_letters(*flags_from_letters("dEfGhI")).view() == "DEFGHI");

/// The whole rule set of RFC 6043 §6.10 for a policy that will carry (or
/// carries) the given session keys: the six flag dependencies
/// (check_ticket_flags), then "The F flag SHALL be set to '1' when the I flag
/// (key forking) is set to '1' and a TGK is encoded in the ticket".
/// `granted`: a TICKET's policy (K implies D is checked there only).
/// Errors: the flag_* codes of check_ticket_flags; flag_f_required_by_i.
[[nodiscard]] constexpr result<void> check_policy_rules(const ticket_flags& f, bool granted, bool has_tgk) noexcept {
    if (auto r = check_ticket_flags(f, granted); !r) return r;
    // RFC 6043 §6.10: F = 1 when I = 1 and a TGK is encoded in the ticket.
    if (f.i && has_tgk && !f.f) return errc::flag_f_required_by_i;
    return {};
}

/// The Initiator's view of a granted policy against the desired one
/// (RFC 6043 §4.2.1.6: "Before using the received ticket, the Initiator
/// MUST check that the granted Ticket Policy is acceptable"): which flags the
/// KMS turned on and off. The role policy decides whether that is
/// acceptable.
struct policy_change {
    ticket_flags turned_on{};
    ticket_flags turned_off{};
    bool prf_changed = false;
    bool type_changed = false;
    [[nodiscard]] constexpr bool any() const noexcept {
        return turned_on != ticket_flags{} || turned_off != ticket_flags{} || prf_changed || type_changed;
    }
};
/// K is not compared: the Initiator sends 0 and the KMS sets it to report a
/// change (RFC 6043 §6.10).
[[nodiscard]] constexpr policy_change compare_policies(const ticket_policy& desired,
                                                       const ticket_policy& granted) noexcept {
    policy_change c;
    for (const auto& bit : ticket_flag_bits) {
        if (bit.letter == 'K') continue;
        const bool d = desired.flags.*bit.member;
        const bool g = granted.flags.*bit.member;
        if (g && !d) c.turned_on.*bit.member = true;
        if (d && !g) c.turned_off.*bit.member = true;
    }
    c.prf_changed = desired.prf != granted.prf;
    c.type_changed = desired.kind != granted.kind || desired.subtype != granted.subtype ||
                     desired.version != granted.version;
    return c;
}

/// What TP Data says (RFC 6043 §6.10): TP Data = First Payload, [IDRkms],
/// [IDRi], [TRs], [TRe], [TRr], [KEMAC], {IDRapp}, (IDRr). Views into the
/// TP / TICKET payload; the first of each single item counts.
struct tp_contents {
    std::optional<idr_view> idrkms{};  ///< a KMS able to resolve the ticket
    std::optional<idr_view> idri{};    ///< the peer that requested or created the ticket
    std::optional<ntp_time> trs{};     ///< start of validity (absent: no defined beginning)
    std::optional<ntp_time> tre{};     ///< end of validity (absent: no defined end)
    std::optional<kemac_view> kemac{}; ///< desired keys (TP only)
    std::size_t responders = 0;        ///< IDRr payloads
    std::size_t applications = 0;      ///< IDRapp payloads
};

/// Reads validated TP Data (tp_view / ticket_view::tp_payloads()).
/// Errors: unknown_ts_type (a TRs / TRe whose TS type is not a time: COUNTER).
template <class Range>
[[nodiscard]] constexpr result<tp_contents> read_tp_data(const Range& payloads) noexcept {
    tp_contents c;
    for (const auto& e : payloads) {
        switch (e.type) {
            case payload_type::idr: {
                const auto v = e.template as<idr_view>();
                if (v.role() == id_role::idrkms && !c.idrkms) c.idrkms = v;
                if (v.role() == id_role::idri && !c.idri) c.idri = v;
                c.responders += v.role() == id_role::idrr ? 1 : 0;
                c.applications += v.role() == id_role::idrapp ? 1 : 0;
                break;
            }
            case payload_type::tr: {
                const auto v = e.template as<tr_view>();
                if (v.role() != ts_role::trs && v.role() != ts_role::tre) break;
                // RFC 6043 §6.10: TRs / TRe are times "in the range 1968-2104" (RFC 4330).
                const auto t = ntp_time::from_payload(v.kind(), v.value());
                if (!t) return failure{errc::unknown_ts_type, e.offset};
                auto& slot = v.role() == ts_role::trs ? c.trs : c.tre;
                if (!slot) slot = *t;
                break;
            }
            case payload_type::kemac:
                if (!c.kemac) c.kemac = e.template as<kemac_view>();
                break;
            default: break;
        }
    }
    return c;
}

/// The first IDRi of validated TP Data: "the peer that requested or
/// created the ticket" (RFC 6043 §6.10), as read_tp_data's `idri`, without
/// reading the payloads after it.
template <class Range>
[[nodiscard]] constexpr std::optional<idr_view> initiator_of(const Range& payloads) noexcept {
    for (const auto& e : payloads) {
        if (e.type != payload_type::idr) continue;
        const auto v = e.template as<idr_view>();
        if (v.role() == id_role::idri) return v;
    }
    return std::nullopt;
}

/// The identities of the IDRr payloads of validated TP Data: "the
/// responders that are authorized to resolve the ticket" (RFC 6043 §6.10),
/// in order. Allocates.
template <class Range>
[[nodiscard]] std::vector<std::string> responders_of(const Range& payloads) {
    std::vector<std::string> out;
    for (const auto& e : payloads) {
        if (e.type != payload_type::idr) continue;
        const auto v = e.template as<idr_view>();
        if (v.role() == id_role::idrr) out.emplace_back(v.data().begin(), v.data().end());
    }
    return out;
}

/// RFC 6043 §6.10: the validity period TRs..TRe (either end may be open).
/// Errors: ticket_not_yet_valid, ticket_expired.
[[nodiscard]] constexpr result<void> check_validity(const tp_contents& c, ntp_time now) noexcept {
    if (c.trs && now < *c.trs) return errc::ticket_not_yet_valid;
    if (c.tre && *c.tre < now) return errc::ticket_expired;
    return {};
}

}  // namespace mikey::ticket

// mikey-ticket: message schemas as constexpr tables: which payloads a message
// of each type carries, in which order, mandatory or optional (RFC 3830 §3,
// §5.1.2; RFC 6043 §4.2, §5.2, §5.4), and the check that a message conforms.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "message.hpp"

namespace mikey {

/// How often a schema item may occur: X, [X], {X}, (X) in the RFCs' notation.
enum class occurs : std::uint8_t { once, optional, any, at_least_once };

/// One payload of a schema. `role` restricts IDR (id_role), RANDR (rand_role)
/// and TR (ts_role) items; 0 accepts any role.
struct schema_item {
    payload_type type;
    occurs occ;
    std::uint8_t role = 0;
};

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
    /// "[V|SIGN]", i.e. Error messages).
    bool closing_payload = true;
};

namespace schema_detail {
constexpr std::uint8_t r(id_role x) { return static_cast<std::uint8_t>(x); }
constexpr std::uint8_t r(rand_role x) { return static_cast<std::uint8_t>(x); }
using enum occurs;
using P = payload_type;

// RFC 3830 §3.1: I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, KEMAC
inline constexpr schema_item psk_init[] = {{P::t, once}, {P::rand, once}, {P::id, optional}, {P::id, optional},
                                           {P::sp, any}, {P::kemac, once}};
// RFC 3830 §3.1: R_MESSAGE = HDR, T, [IDr], V
inline constexpr schema_item psk_verification[] = {{P::t, once}, {P::id, optional}, {P::v, once}};
// RFC 3830 §3.2: I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, KEMAC, [CHASH], PKE, SIGNi
// ([IDi|CERTi] is checked as [ID], {CERT}: a certificate chain is one CERT per certificate.)
inline constexpr schema_item pk_init[] = {{P::t, once},     {P::rand, once},   {P::id, optional},
                                          {P::cert, any},   {P::id, optional}, {P::sp, any},
                                          {P::kemac, once}, {P::chash, optional}, {P::pke, once},
                                          {P::sign, once}};
// RFC 3830 §3.2: R_MESSAGE = HDR, T, [IDr], V
inline constexpr schema_item pk_verification[] = {{P::t, once}, {P::id, optional}, {P::v, once}};
// RFC 3830 §3.3: I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, DHi, SIGNi
inline constexpr schema_item dh_init[] = {{P::t, once},  {P::rand, once}, {P::id, optional}, {P::cert, any},
                                          {P::id, optional}, {P::sp, any}, {P::dh, once},   {P::sign, once}};
// RFC 3830 §3.3: R_MESSAGE = HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr
// (checked as {CERT}, (ID): IDi alone, or IDr then IDi, or CERTr then IDi.)
inline constexpr schema_item dh_response[] = {{P::t, once},  {P::cert, any}, {P::id, at_least_once},
                                              {P::dh, once}, {P::dh, once},  {P::sign, once}};
// RFC 3830 §5.1.2: Error message = HDR, T, {ERR}, {SP}, [V|SIGNr]
inline constexpr schema_item error[] = {{P::t, once}, {P::err, any}, {P::sp, any}, {P::v, optional},
                                        {P::sign, optional}};
// RFC 6043 §5.4: HDR, T, (ERR), [V|SIGNx] and HDR, T, (ERR), {SP}, [V]
inline constexpr schema_item ticket_error[] = {{P::t, once}, {P::err, at_least_once}, {P::sp, any},
                                               {P::v, optional}, {P::sign, optional}};
// RFC 6043 §4.2.1: HDR, T, RANDRi, [IDRi], [IDRkms], TP, [IDRpsk], V
inline constexpr schema_item request_init_psk[] = {
    {P::t, once},           {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)},
    {P::idr, optional, r(id_role::idrkms)}, {P::tp, once}, {P::idr, optional, r(id_role::idrpsk)}, {P::v, once}};
// RFC 6043 §4.2.1: HDR, T, RANDRi, [IDRi], {CERTi}, [IDRkms], TP, [CHASH], PKE, SIGNi
inline constexpr schema_item request_init_pk[] = {
    {P::t, once},      {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)}, {P::cert, any},
    {P::idr, optional, r(id_role::idrkms)}, {P::tp, once}, {P::chash, optional}, {P::pke, once}, {P::sign, once}};
// RFC 6043 §4.2.1: HDR, T, [IDRkms], TICKET, KEMAC, V
inline constexpr schema_item request_resp[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idrkms)}, {P::ticket, once}, {P::kemac, once}, {P::v, once}};
// RFC 6043 §4.2.2: HDR, T, RANDRi, [IDRi], [IDRr], {SP}, TICKET, [KEMAC], V
inline constexpr schema_item transfer_init[] = {
    {P::t, once},  {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)},
    {P::idr, optional, r(id_role::idrr)}, {P::sp, any}, {P::ticket, once}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §4.2.2: HDR, T, [RANDRr], [IDRr], [RANDRkms], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp[] = {
    {P::t, once},  {P::randr, optional, r(rand_role::randrr)}, {P::idr, optional, r(id_role::idrr)},
    {P::randr, optional, r(rand_role::randrkms)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §5.2 (update by I): HDR, T, [IDRi], [IDRr], {SP}, [KEMAC], V
inline constexpr schema_item transfer_init_update[] = {{P::t, once},
                                                       {P::idr, optional, r(id_role::idri)},
                                                       {P::idr, optional, r(id_role::idrr)},
                                                       {P::sp, any},
                                                       {P::kemac, optional},
                                                       {P::v, once}};
// RFC 6043 §5.2 (update by R): HDR, T, [IDRr], [IDRi], {SP}, [KEMAC], V
inline constexpr schema_item transfer_init_update_by_responder[] = {{P::t, once},
                                                                    {P::idr, optional, r(id_role::idrr)},
                                                                    {P::idr, optional, r(id_role::idri)},
                                                                    {P::sp, any},
                                                                    {P::kemac, optional},
                                                                    {P::v, once}};
// RFC 6043 §5.2 (update by I): HDR, T, [IDRr], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp_update[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idrr)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §5.2 (update by R): HDR, T, [IDRi], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp_update_by_responder[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idri)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §4.2.3: HDR, T, RANDRr, [IDRr], [IDRkms], TICKET, [IDRpsk], V
inline constexpr schema_item resolve_init_psk[] = {
    {P::t, once},  {P::randr, once, r(rand_role::randrr)}, {P::idr, optional, r(id_role::idrr)},
    {P::idr, optional, r(id_role::idrkms)}, {P::ticket, once}, {P::idr, optional, r(id_role::idrpsk)}, {P::v, once}};
// RFC 6043 §4.2.3: HDR, T, RANDRr, [IDRr], {CERTr}, [IDRkms], TICKET, [CHASH], PKE, SIGNr
inline constexpr schema_item resolve_init_pk[] = {{P::t, once},
                                                  {P::randr, once, r(rand_role::randrr)},
                                                  {P::idr, optional, r(id_role::idrr)},
                                                  {P::cert, any},
                                                  {P::idr, optional, r(id_role::idrkms)},
                                                  {P::ticket, once},
                                                  {P::chash, optional},
                                                  {P::pke, once},
                                                  {P::sign, once}};
// RFC 6043 §4.2.3: HDR, T, [IDRkms], KEMAC, [IDRr], [RANDRkms], V
inline constexpr schema_item resolve_resp[] = {{P::t, once},
                                               {P::idr, optional, r(id_role::idrkms)},
                                               {P::kemac, once},
                                               {P::idr, optional, r(id_role::idrr)},
                                               {P::randr, optional, r(rand_role::randrkms)},
                                               {P::v, once}};
}  // namespace schema_detail

/// The message schemas. Each names its RFC composition.
namespace schemas {
using D = data_type;
inline constexpr message_schema psk_init{"PSK I_MESSAGE", D::psk_init, schema_detail::psk_init};
inline constexpr message_schema psk_verification{"PSK R_MESSAGE", D::psk_verification,
                                                 schema_detail::psk_verification};
inline constexpr message_schema pk_init{"PK I_MESSAGE", D::pk_init, schema_detail::pk_init};
inline constexpr message_schema pk_verification{"PK R_MESSAGE", D::pk_verification, schema_detail::pk_verification};
inline constexpr message_schema dh_init{"DH I_MESSAGE", D::dh_init, schema_detail::dh_init};
inline constexpr message_schema dh_response{"DH R_MESSAGE", D::dh_response, schema_detail::dh_response};
inline constexpr message_schema error{"Error", D::error, schema_detail::error, false, false, false, false};
inline constexpr message_schema ticket_error{"MIKEY-TICKET Error", D::error, schema_detail::ticket_error,
                                             false,       false,   false,
                                             false};
inline constexpr message_schema request_init_psk{"REQUEST_INIT_PSK", D::request_init_psk,
                                                 schema_detail::request_init_psk, true};
inline constexpr message_schema request_init_pk{"REQUEST_INIT_PK", D::request_init_pk,
                                                schema_detail::request_init_pk, true};
inline constexpr message_schema request_resp{"REQUEST_RESP", D::request_resp, schema_detail::request_resp, true};
inline constexpr message_schema transfer_init{"TRANSFER_INIT", D::transfer_init, schema_detail::transfer_init,
                                              false, true, true};
inline constexpr message_schema transfer_resp{"TRANSFER_RESP", D::transfer_resp, schema_detail::transfer_resp,
                                              false, true};
inline constexpr message_schema transfer_init_update{"TRANSFER_INIT (CSB update by I)", D::transfer_init,
                                                     schema_detail::transfer_init_update, false, true};
inline constexpr message_schema transfer_init_update_by_responder{
    "TRANSFER_INIT (CSB update by R)", D::transfer_init, schema_detail::transfer_init_update_by_responder, false,
    true};
inline constexpr message_schema transfer_resp_update{"TRANSFER_RESP (CSB update by I)", D::transfer_resp,
                                                     schema_detail::transfer_resp_update, false, true};
inline constexpr message_schema transfer_resp_update_by_responder{
    "TRANSFER_RESP (CSB update by R)", D::transfer_resp, schema_detail::transfer_resp_update_by_responder, false,
    true};
inline constexpr message_schema resolve_init_psk{"RESOLVE_INIT_PSK", D::resolve_init_psk,
                                                 schema_detail::resolve_init_psk, true, false, true};
inline constexpr message_schema resolve_init_pk{"RESOLVE_INIT_PK", D::resolve_init_pk,
                                                schema_detail::resolve_init_pk, true, false, true};
inline constexpr message_schema resolve_resp{"RESOLVE_RESP", D::resolve_resp, schema_detail::resolve_resp, true};
}  // namespace schemas

namespace detail {
/// A schema is unambiguous for greedy matching when no optional item comes
/// before a mandatory item that accepts the same payloads.
constexpr bool unambiguous(const message_schema& s) noexcept {
    for (std::size_t a = 0; a < s.items.size(); ++a) {
        for (std::size_t b = a + 1; b < s.items.size(); ++b) {
            const auto& x = s.items[a];
            const auto& y = s.items[b];
            const bool same = x.type == y.type && (x.role == 0 || y.role == 0 || x.role == y.role);
            const bool x_optional = x.occ == occurs::optional || x.occ == occurs::any;
            const bool y_mandatory = y.occ == occurs::once || y.occ == occurs::at_least_once;
            if (same && x_optional && y_mandatory) {
                return false;
            }
        }
    }
    return s.items.size() <= 16;
}
}  // namespace detail

static_assert(detail::unambiguous(schemas::psk_init) && detail::unambiguous(schemas::psk_verification) &&
              detail::unambiguous(schemas::pk_init) && detail::unambiguous(schemas::pk_verification) &&
              detail::unambiguous(schemas::dh_init) && detail::unambiguous(schemas::dh_response) &&
              detail::unambiguous(schemas::error) && detail::unambiguous(schemas::ticket_error) &&
              detail::unambiguous(schemas::request_init_psk) && detail::unambiguous(schemas::request_init_pk) &&
              detail::unambiguous(schemas::request_resp) && detail::unambiguous(schemas::transfer_init) &&
              detail::unambiguous(schemas::transfer_resp) && detail::unambiguous(schemas::transfer_init_update) &&
              detail::unambiguous(schemas::transfer_init_update_by_responder) &&
              detail::unambiguous(schemas::transfer_resp_update) &&
              detail::unambiguous(schemas::transfer_resp_update_by_responder) &&
              detail::unambiguous(schemas::resolve_init_psk) && detail::unambiguous(schemas::resolve_init_pk) &&
              detail::unambiguous(schemas::resolve_resp),
              "a schema has an optional item before a mandatory one that takes the same payloads");

/// The schema of the initial exchange for a data type, or nullptr for data
/// types this library has no schema for.
[[nodiscard]] constexpr const message_schema* schema_for(data_type t) noexcept {
    switch (t) {
        case data_type::psk_init: return &schemas::psk_init;
        case data_type::psk_verification: return &schemas::psk_verification;
        case data_type::pk_init: return &schemas::pk_init;
        case data_type::pk_verification: return &schemas::pk_verification;
        case data_type::dh_init: return &schemas::dh_init;
        case data_type::dh_response: return &schemas::dh_response;
        case data_type::error: return &schemas::error;
        case data_type::request_init_psk: return &schemas::request_init_psk;
        case data_type::request_init_pk: return &schemas::request_init_pk;
        case data_type::request_resp: return &schemas::request_resp;
        case data_type::transfer_init: return &schemas::transfer_init;
        case data_type::transfer_resp: return &schemas::transfer_resp;
        case data_type::resolve_init_psk: return &schemas::resolve_init_psk;
        case data_type::resolve_init_pk: return &schemas::resolve_init_pk;
        case data_type::resolve_resp: return &schemas::resolve_resp;
        default: return nullptr;
    }
}

/// strict: payloads in the RFC's order, none the schema does not list.
/// lenient: any order, unexpected payloads ignored (the receivers' SHOULD of
/// RFC 6043 §4.2.1.4, §4.2.2.2, ...); mandatory, duplicate and closing
/// payload rules still apply.
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
[[nodiscard]] constexpr bool matches(const schema_item& it, const chain_entry& e, std::uint8_t role) noexcept {
    return it.type == e.type && (it.role == 0 || it.role == role);
}
[[nodiscard]] constexpr bool full(const schema_item& it, std::size_t seen) noexcept {
    return seen > 0 && (it.occ == occurs::once || it.occ == occurs::optional);
}
[[nodiscard]] constexpr bool mandatory(const schema_item& it) noexcept {
    return it.occ == occurs::once || it.occ == occurs::at_least_once;
}
}  // namespace detail

/// Checks that `m` has the composition `s` describes. General Extension
/// payloads are allowed anywhere (RFC 3830 §6.15).
/// Errors: wrong_message_type; bad_crypto_sessions; missing_payload;
/// unexpected_payload and payload_order (strict only); duplicate_payload;
/// wrong_last_payload; initiator_data_missing. Offsets point at the payload
/// concerned (the message end for a missing one).
[[nodiscard]] constexpr result<void> check_schema(const message_view& m, const message_schema& s,
                                                  schema_check mode = schema_check::strict) noexcept {
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
    std::array<std::size_t, 16> seen{};
    std::size_t at = 0;
    for (const auto& e : m.payloads()) {
        if (e.type == payload_type::general_extension) {
            continue;
        }
        const std::uint8_t role = detail::role_of_entry(e);
        std::size_t j = mode == schema_check::strict ? at : 0;
        bool full_match = false;
        for (; j < s.items.size(); ++j) {
            if (detail::matches(s.items[j], e, role)) {
                if (!detail::full(s.items[j], seen[j])) {
                    break;
                }
                full_match = true;
            }
        }
        // In any order, an unsatisfied mandatory item takes the payload before an optional one.
        if (mode == schema_check::lenient) {
            for (std::size_t k = 0; k < s.items.size(); ++k) {
                if (detail::matches(s.items[k], e, role) && detail::mandatory(s.items[k]) && seen[k] == 0) {
                    j = k;
                    break;
                }
            }
        }
        if (j == s.items.size()) {
            if (full_match) {
                return failure{errc::duplicate_payload, e.offset};
            }
            if (mode == schema_check::lenient) {
                continue;
            }
            for (std::size_t k = 0; k < at; ++k) {
                if (detail::matches(s.items[k], e, role)) {
                    return failure{errc::payload_order, e.offset};
                }
            }
            return failure{errc::unexpected_payload, e.offset};
        }
        if (mode == schema_check::strict) {
            for (std::size_t k = at; k < j; ++k) {
                if (detail::mandatory(s.items[k]) && seen[k] == 0) {
                    return failure{errc::missing_payload, e.offset};
                }
            }
            at = j;
        }
        ++seen[j];
        if (s.initiator_data_if_forking && e.type == payload_type::ticket) {
            const auto t = e.as<ticket_view>();
            // RFC 6043 §6.10: Initiator Data "SHALL be inserted by the Initiator if and only if key
            // forking is used (I flag)".
            if (t.flags().i && t.initiator_data().empty()) {
                return failure{errc::initiator_data_missing, e.offset + t.initiator_data_length_offset()};
            }
        }
    }
    for (std::size_t k = 0; k < s.items.size(); ++k) {
        if (detail::mandatory(s.items[k]) && seen[k] == 0) {
            return failure{errc::missing_payload, m.bytes().size()};
        }
    }
    // RFC 6043 §4.2: "The last payload SHALL be a Verification payload (V)" (or SIGN);
    // RFC 3830 §5.2: the MAC / signature payload is the last payload.
    if (s.closing_payload) {
        const auto last = m.last_payload();
        if (!last || last->type != s.items.back().type) {
            return failure{errc::wrong_last_payload, last ? last->offset : m.bytes().size()};
        }
    }
    return {};
}

}  // namespace mikey

// mikey-ticket (ticket layer): the compositions of the RFC 6043 messages
// as constexpr schema tables (RFC 6043 §4.2, §5.2, §5.4): the eight
// messages, the CSB-update forms of TRANSFER_INIT / TRANSFER_RESP, the two
// Error forms; schemas::all (with RFC 3830's, schema.hpp) and schema_for().
#pragma once

#include "../schema.hpp"

namespace mikey {

namespace schema_detail {
// RFC 6043 §5.4, Ticket Request and Ticket Resolve: Error message = HDR, T, (ERR), [V|SIGNx]
inline constexpr schema_item request_resolve_error[] = {
    {P::t, once}, {P::err, at_least_once}, {P::v, optional, any_role, alt}, {P::sign, optional, any_role, alt}};
// RFC 6043 §5.4, Ticket Transfer: Error message = HDR, T, (ERR), {SP}, [V]
inline constexpr schema_item transfer_error[] = {{P::t, once}, {P::err, at_least_once}, {P::sp, any},
                                                 {P::v, optional}};
// RFC 6043 §4.2.1: REQUEST_INIT_PSK = HDR, T, RANDRi, [IDRi], [IDRkms], TP, [IDRpsk], V
inline constexpr schema_item request_init_psk[] = {
    {P::t, once},           {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)},
    {P::idr, optional, r(id_role::idrkms)}, {P::tp, once}, {P::idr, optional, r(id_role::idrpsk)}, {P::v, once}};
// RFC 6043 §4.2.1: REQUEST_INIT_PK = HDR, T, RANDRi, [IDRi], {CERTi}, [IDRkms], TP, [CHASH], PKE, SIGNi
// (IDRi and CERTi are not alternatives here: both SHOULD be included, §4.2.1.3.)
inline constexpr schema_item request_init_pk[] = {
    {P::t, once},      {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)}, {P::cert, any},
    {P::idr, optional, r(id_role::idrkms)}, {P::tp, once}, {P::chash, optional}, {P::pke, once}, {P::sign, once}};
// RFC 6043 §4.2.1: REQUEST_RESP = HDR, T, [IDRkms], TICKET, KEMAC, V
inline constexpr schema_item request_resp[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idrkms)}, {P::ticket, once}, {P::kemac, once}, {P::v, once}};
// RFC 6043 §4.2.2: TRANSFER_INIT = HDR, T, RANDRi, [IDRi], [IDRr], {SP}, TICKET, [KEMAC], V
inline constexpr schema_item transfer_init[] = {
    {P::t, once},  {P::randr, once, r(rand_role::randri)}, {P::idr, optional, r(id_role::idri)},
    {P::idr, optional, r(id_role::idrr)}, {P::sp, any}, {P::ticket, once}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §4.2.2: TRANSFER_RESP = HDR, T, [RANDRr], [IDRr], [RANDRkms], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp[] = {
    {P::t, once},  {P::randr, optional, r(rand_role::randrr)}, {P::idr, optional, r(id_role::idrr)},
    {P::randr, optional, r(rand_role::randrkms)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §5.2 (update by I): TRANSFER_INIT = HDR, T, [IDRi], [IDRr], {SP}, [KEMAC], V
inline constexpr schema_item transfer_init_update[] = {{P::t, once},
                                                       {P::idr, optional, r(id_role::idri)},
                                                       {P::idr, optional, r(id_role::idrr)},
                                                       {P::sp, any},
                                                       {P::kemac, optional},
                                                       {P::v, once}};
// RFC 6043 §5.2 (update by R): TRANSFER_INIT = HDR, T, [IDRr], [IDRi], {SP}, [KEMAC], V
inline constexpr schema_item transfer_init_update_by_responder[] = {{P::t, once},
                                                                    {P::idr, optional, r(id_role::idrr)},
                                                                    {P::idr, optional, r(id_role::idri)},
                                                                    {P::sp, any},
                                                                    {P::kemac, optional},
                                                                    {P::v, once}};
// RFC 6043 §5.2 (update by I): TRANSFER_RESP = HDR, T, [IDRr], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp_update[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idrr)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §5.2 (update by R): TRANSFER_RESP = HDR, T, [IDRi], {SP}, [KEMAC], V
inline constexpr schema_item transfer_resp_update_by_responder[] = {
    {P::t, once}, {P::idr, optional, r(id_role::idri)}, {P::sp, any}, {P::kemac, optional}, {P::v, once}};
// RFC 6043 §4.2.3: RESOLVE_INIT_PSK = HDR, T, RANDRr, [IDRr], [IDRkms], TICKET, [IDRpsk], V
inline constexpr schema_item resolve_init_psk[] = {
    {P::t, once},  {P::randr, once, r(rand_role::randrr)}, {P::idr, optional, r(id_role::idrr)},
    {P::idr, optional, r(id_role::idrkms)}, {P::ticket, once}, {P::idr, optional, r(id_role::idrpsk)}, {P::v, once}};
// RFC 6043 §4.2.3: RESOLVE_INIT_PK = HDR, T, RANDRr, [IDRr], {CERTr}, [IDRkms], TICKET, [CHASH], PKE, SIGNr
// (IDRr and CERTr are not alternatives here: both SHOULD be included, §4.2.3.3.)
inline constexpr schema_item resolve_init_pk[] = {{P::t, once},
                                                  {P::randr, once, r(rand_role::randrr)},
                                                  {P::idr, optional, r(id_role::idrr)},
                                                  {P::cert, any},
                                                  {P::idr, optional, r(id_role::idrkms)},
                                                  {P::ticket, once},
                                                  {P::chash, optional},
                                                  {P::pke, once},
                                                  {P::sign, once}};
// RFC 6043 §4.2.3: RESOLVE_RESP = HDR, T, [IDRkms], KEMAC, [IDRr], [RANDRkms], V
inline constexpr schema_item resolve_resp[] = {{P::t, once},
                                               {P::idr, optional, r(id_role::idrkms)},
                                               {P::kemac, once},
                                               {P::idr, optional, r(id_role::idrr)},
                                               {P::randr, optional, r(rand_role::randrkms)},
                                               {P::v, once}};
}  // namespace schema_detail

namespace schemas {
/// RFC 6043 §5.4, Error message in the Ticket Request and Ticket Resolve
/// exchanges: at least one ERR, V or SIGNx (not both), no SP.
inline constexpr message_schema request_resolve_error{
    .name = "MIKEY-TICKET Error (Request / Resolve)",
    .type = D::error,
    .items = schema_detail::request_resolve_error,
    .closing_payload = false};
/// RFC 6043 §5.4, Error message in the Ticket Transfer exchange: at least one
/// ERR, SP payloads, V (never SIGN).
inline constexpr message_schema transfer_error{
    .name = "MIKEY-TICKET Error (Transfer)",
    .type = D::error,
    .items = schema_detail::transfer_error,
    .closing_payload = false};
/// RFC 6043 §4.2.1.
inline constexpr message_schema request_init_psk{
    .name = "REQUEST_INIT_PSK",
    .type = D::request_init_psk,
    .items = schema_detail::request_init_psk,
    .no_crypto_sessions = true};
/// RFC 6043 §4.2.1.
inline constexpr message_schema request_init_pk{
    .name = "REQUEST_INIT_PK",
    .type = D::request_init_pk,
    .items = schema_detail::request_init_pk,
    .no_crypto_sessions = true};
/// RFC 6043 §4.2.1.
inline constexpr message_schema request_resp{
    .name = "REQUEST_RESP",
    .type = D::request_resp,
    .items = schema_detail::request_resp,
    .no_crypto_sessions = true};
/// RFC 6043 §4.2.2.
inline constexpr message_schema transfer_init{
    .name = "TRANSFER_INIT",
    .type = D::transfer_init,
    .items = schema_detail::transfer_init,
    .no_srtp_id_map = true,
    .initiator_data_if_forking = true};
/// RFC 6043 §4.2.2.
inline constexpr message_schema transfer_resp{
    .name = "TRANSFER_RESP",
    .type = D::transfer_resp,
    .items = schema_detail::transfer_resp,
    .no_srtp_id_map = true};
/// RFC 6043 §5.2, CSB update started by the Initiator.
inline constexpr message_schema transfer_init_update{
    .name = "TRANSFER_INIT (CSB update by I)",
    .type = D::transfer_init,
    .items = schema_detail::transfer_init_update,
    .no_srtp_id_map = true};
/// RFC 6043 §5.2, CSB update started by the Responder.
inline constexpr message_schema transfer_init_update_by_responder{
    .name = "TRANSFER_INIT (CSB update by R)",
    .type = D::transfer_init,
    .items = schema_detail::transfer_init_update_by_responder,
    .no_srtp_id_map = true};
/// RFC 6043 §5.2, CSB update started by the Initiator.
inline constexpr message_schema transfer_resp_update{
    .name = "TRANSFER_RESP (CSB update by I)",
    .type = D::transfer_resp,
    .items = schema_detail::transfer_resp_update,
    .no_srtp_id_map = true};
/// RFC 6043 §5.2, CSB update started by the Responder.
inline constexpr message_schema transfer_resp_update_by_responder{
    .name = "TRANSFER_RESP (CSB update by R)",
    .type = D::transfer_resp,
    .items = schema_detail::transfer_resp_update_by_responder,
    .no_srtp_id_map = true};
/// RFC 6043 §4.2.3.
inline constexpr message_schema resolve_init_psk{
    .name = "RESOLVE_INIT_PSK",
    .type = D::resolve_init_psk,
    .items = schema_detail::resolve_init_psk,
    .no_crypto_sessions = true,
    .initiator_data_if_forking = true};
/// RFC 6043 §4.2.3.
inline constexpr message_schema resolve_init_pk{
    .name = "RESOLVE_INIT_PK",
    .type = D::resolve_init_pk,
    .items = schema_detail::resolve_init_pk,
    .no_crypto_sessions = true,
    .initiator_data_if_forking = true};
/// RFC 6043 §4.2.3.
inline constexpr message_schema resolve_resp{
    .name = "RESOLVE_RESP",
    .type = D::resolve_resp,
    .items = schema_detail::resolve_resp,
    .no_crypto_sessions = true};

/// Every schema above.
inline constexpr const message_schema* all[] = {
    &psk_init,         &psk_verification,     &pk_init,
    &pk_verification,  &dh_init,              &dh_response,
    &error,            &request_resolve_error, &transfer_error,
    &request_init_psk, &request_init_pk,      &request_resp,
    &transfer_init,    &transfer_resp,        &transfer_init_update,
    &transfer_init_update_by_responder,       &transfer_resp_update,
    &transfer_resp_update_by_responder,       &resolve_init_psk,
    &resolve_init_pk,  &resolve_resp,
};
}  // namespace schemas

static_assert(detail::all_unambiguous(schemas::all),
              "a schema table cannot be checked without looking ahead (see detail::unambiguous)");

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


}  // namespace mikey

// mikey-ticket: the one error enum, its names, its fatality and the MIKEY ERR
// code each error maps to.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "registry.hpp"

namespace mikey {

/// Every error the library reports. Errors are values: no function uses
/// exceptions to report them. `to_string` gives the stable name printed by
/// tools; `is_fatal` and `wire_error` say what a protocol engine does next.
enum class errc : std::uint8_t {
    ok = 0,

    // --- framing (payload and message parsing) ---
    truncated,             ///< the message ends inside a field or before a declared length is reached
    length_out_of_bounds,  ///< a length field inside a container points past the container's end
    trailing_bytes,        ///< bytes follow the last payload, or a container is longer than its content
    unknown_payload_type,  ///< a Next Payload value names no payload this library can frame
    misplaced_payload,     ///< a known payload type where the chain does not allow it (e.g. Key data outside KEMAC)
    unsupported_version,   ///< HDR version is not 1 (RFC 3830 §6.1)
    reserved_bits_set,     ///< a reserved field or bit is not zero
    empty_chain,           ///< a chain that must hold payloads is empty (e.g. TP Data without IDRr)

    // --- unknown values in name spaces (each field its own code) ---
    unknown_data_type,
    unknown_prf_func,
    unknown_cs_id_map_type,
    unknown_encr_alg,
    unknown_mac_alg,
    unknown_pke_cache,
    unknown_dh_group,
    unknown_sign_type,
    unknown_ts_type,
    unknown_id_type,
    unknown_cert_type,
    unknown_hash_func,
    unknown_prot_type,
    unknown_srtp_param,
    unknown_error_no,
    unknown_key_data_type,
    unknown_kv_type,
    unknown_extension_type,
    unknown_key_id_type,
    unknown_ts_role,
    unknown_id_role,
    unknown_rand_role,
    unknown_ticket_type,

    // --- structural rules of single payloads ---
    map_info_mismatch,       ///< CS ID map info disagrees with #CS or its own lengths
    ticket_data_unparsed,    ///< the ticket type's Ticket Data is not a payload chain this library knows
    tp_kemac_not_null,       ///< KEMAC in TP Data without NULL encryption and NULL MAC (RFC 6043 §6.10)
    kemac_in_granted_policy, ///< KEMAC in a TICKET's (granted) TP Data (RFC 6043 §6.10)
    trr_not_ntp_utc_32,      ///< TRr with a TS type other than NTP-UTC-32 (RFC 6043 §6.10)
    session_data_mismatch,   ///< GENERIC-ID SRTP Session Data length disagrees with the S flag (RFC 6043 §6.1.1)
    key_without_spi,         ///< a key in an RFC 6043 KEMAC without KV type SPI (RFC 6043 §6.2.1)

    // --- RFC 6043 §6.10 Ticket Policy flag dependencies ---
    flag_l_required_without_d,  ///< NOT D implies L
    flag_f_required_by_g,       ///< G implies F
    flag_g_or_h_required,       ///< NOT G implies H (and NOT H implies G)
    flag_e_required_by_i,       ///< I implies E
    flag_d_required_by_k,       ///< K implies D (granted policy only)
    flag_f_required_by_m,       ///< M implies F
    flag_f_required_by_i,       ///< F = 1 when I = 1 and a TGK is encoded in the ticket
    initiator_data_without_i,   ///< Initiator Data present although the I flag is 0 (RFC 6043 §6.10)
    initiator_data_missing,     ///< I flag set but Initiator Data empty (RFC 6043 §6.10)

    // --- message schemas (RFC 3830 §3, RFC 6043 §4.2) ---
    wrong_message_type,    ///< the data type is not the one the schema describes
    missing_payload,       ///< a mandatory payload is absent
    unexpected_payload,    ///< a payload the message type does not allow
    duplicate_payload,     ///< a payload that may appear once appears again
    conflicting_alternatives, ///< both branches of an "[A|B]" (IDi and CERTi, V and SIGN; RFC 3830 §3.2, §5.1.2)
    payload_order,         ///< payloads out of the order the RFC gives (strict check only)
    wrong_last_payload,    ///< the message does not end with its V / SIGN / KEMAC
    sp_with_empty_map,     ///< SP payload with the Empty map (RFC 4563 §5)
    bad_crypto_sessions,   ///< #CS / map type not allowed for the message type (RFC 6043 §4.2.1.1, §6.1)

    // --- building ---
    buffer_too_small,      ///< the caller's output buffer is smaller than the exact size
    field_too_long,        ///< a value does not fit its length field
    invalid_argument,      ///< a builder argument violates the payload's own rules

    // --- crypto (RFC 3830 §4, RFC 6043 §5, §12.1) ---
    auth_failure,          ///< a MAC or V check failed
    key_unwrap_failure,    ///< RFC 3394 integrity check failed on unwrap
    key_too_short,         ///< a key below 128 bits (RFC 6043 §12.1)
    key_length_mismatch,   ///< a key length the algorithm does not take
    algorithm_mix,         ///< 256-bit and 128-bit algorithms mixed (RFC 6043 §12.1)
    rand_too_short,        ///< RAND lengths below the RFC 6043 §12.1 bounds
    unsupported_algorithm, ///< a registered algorithm this backend does not implement
    crypto_backend_failure,///< the crypto backend reported an internal failure
    algorithm_too_weak,    ///< 128-bit algorithms with session keys longer than 128 bits (RFC 6043 §12.1)

    // --- RFC 6043 exchanges: ticket and role layers ---
    timestamp_out_of_window, ///< T outside the allowed clock skew (RFC 3830 §5.4, RFC 6043 §12.4)
    replayed_message,        ///< a message already seen within its timestamp window (RFC 6043 §12.4)
    replay_cache_full,       ///< the replay cache has no room and nothing has expired: refused, fail closed
    ticket_expired,          ///< now is after the ticket's TRe (RFC 6043 §6.10)
    ticket_not_yet_valid,    ///< now is before the ticket's TRs (RFC 6043 §6.10)
    unknown_peer,            ///< no pre-shared key for the peer's identity / IDRpsk
    unknown_ticket_key,      ///< no Ticket Protection Key for this ticket (RFC 6043 App. A)
    unauthorized_requester,  ///< the policy refuses this Initiator a ticket (RFC 6043 §4.2.1.4)
    unauthorized_responder,  ///< the Responder is not among the ticket's authorized responders (RFC 6043 §4.2.3)
    unauthorized_application,///< the ticket lists IDRapp and the Responder's application is not among them (RFC 6043 §6.10)
    wrong_kms,               ///< IDRkms names another KMS (RFC 6043 §6.10)
    policy_not_acceptable,   ///< a desired / granted Ticket Policy the policy refuses (RFC 6043 §4.2.1.6, §4.2.2.2)
    prf_not_allowed,         ///< the policy refuses this PRF func
    encr_not_allowed,        ///< the policy refuses this KEMAC Encr alg
    mac_not_allowed,         ///< the policy refuses this MAC / Auth alg
    vi_mismatch,             ///< V of TRANSFER_INIT differs from Vi (RFC 6043 §4.2.3.6)
    vr_mismatch,             ///< Vr does not verify with MPKr (RFC 6043 §4.2.3.4, §6.10)
    header_mismatch,         ///< a response HDR does not copy the initial message's fields (RFC 6043 §4.2.1.5, ...)
    identity_mismatch,       ///< an identity differs from the one the exchange fixed (RFC 6043 §4.2.2.3)
    missing_key,             ///< a KEMAC lacks a key the exchange needs (MPKi, MPKr, a session key)
    ticket_reuse_forbidden,  ///< the ticket was used before and its J flag forbids reuse (RFC 6043 §5.3)
    message_not_for_role,    ///< a message type this role never receives
    unexpected_in_state,     ///< a message this role may receive, but not in its current state
    pk_not_supported,        ///< REQUEST_INIT_PK / RESOLVE_INIT_PK: the public-key variants are not implemented
    error_received,          ///< the peer sent an Error message (never answered with an Error, RFC 6043 §5.4)
    sp_not_acceptable,       ///< no security policy (SP) offered for a crypto session is acceptable (RFC 6043 §4.2.2.2)
    sp_count_not_one,        ///< a response's GENERIC-ID block with #P other than 1 (RFC 6043 §6.1.1)
    sp_not_found,            ///< a Policy_no that names no SP payload of the exchange (RFC 6043 §6.1.1)
    sp_prot_mismatch,        ///< an SP whose Prot type is not its crypto session's (RFC 6043 §6.1.1)
    sp_changed,              ///< the Responder chose a security policy the Initiator did not offer (RFC 6043 §6.1.1)

    // --- integration: SDP / RTSP carriage (RFC 4567) and SRTP keys (RFC 3711) ---
    sdp_bad_line,              ///< an SDP line that is not `<type>=<value>` (RFC 4566 §5), or holds a NUL or a bare CR
    sdp_no_key_mgmt,           ///< no a=key-mgmt attribute applies where one was looked for (RFC 4567 §3.1)
    sdp_bad_attribute,         ///< an a=key-mgmt attribute off the RFC 4567 §3.1 grammar
    key_mgmt_duplicate,        ///< one key-management protocol offered twice at one level / in one header (RFC 4567 §4.1.2)
    unknown_key_mgmt_protocol, ///< key-management data present, but none for MIKEY (RFC 4567 §4.1.1)
    base64_invalid,            ///< not strict RFC 4648 §4 base64 (alphabet, padding, canonical pad bits, no whitespace)
    rtsp_bad_key_mgmt,         ///< a KeyMgmt header off the RFC 4567 §3.2 grammar (or without `data` for MIKEY)
    srtp_policy_unsupported,   ///< SRTP policy parameters (RFC 3830 §6.10.1) that libsrtp2 / RFC 3711 cannot run
    not_an_srtp_session,       ///< the crypto session or SP payload is not for Prot type SRTP

    // --- conference layer (seeds 000-004: factory, focus, participant) ---
    unauthorized_creator,       ///< the conference policy refuses this creator a conference (seed 000 flow 1b)
    not_authorized_participant, ///< the identity is not in the conference's authorized set (seed 000 flows 2-5, seed 003 G.3.2)
    unauthorized_referrer,      ///< a REFER from an identity that may not invite (seed 000 flow 4b)
    focus_mismatch,             ///< the focus / factory that answered, or that a ticket names, is not the one expected (seed 000 flows 1c, 5b)
    ssrc_collision,             ///< an SSRC already used by another stream of the conference (seeds 001, 002)
    already_member,             ///< the identity is a member already
    not_a_member,               ///< the identity is not a member of the conference
    unauthorized_subscriber,    ///< a SUBSCRIBE to the event package from outside the authorized set (seed 003 G.3.3)
    unauthorized_management,    ///< a management change by an identity the policy does not allow (seed 003 G.3.1)
    unknown_exchange,           ///< an exchange id that names no pending exchange
    stale_timestamp,            ///< a CSB update whose T is not newer than the last message under the same keys (RFC 6043 §5.2)
    // --- conference: non-media keys (conference/non_media.hpp: event package NOTIFY protection) ---
    sequence_exhausted,  ///< a NOTIFY sealer has used sequence number 2^64 - 1: it never wraps (nonce reuse); rekey
    sequence_too_old,    ///< a protected NOTIFY's sequence number is below the opener's replay window
};

/// Stable lower-case name of an error (as printed by mikeyctl and tests).
[[nodiscard]] constexpr std::string_view to_string(errc e) noexcept {
    switch (e) {
        case errc::ok: return "ok";
        case errc::truncated: return "truncated";
        case errc::length_out_of_bounds: return "length_out_of_bounds";
        case errc::trailing_bytes: return "trailing_bytes";
        case errc::unknown_payload_type: return "unknown_payload_type";
        case errc::misplaced_payload: return "misplaced_payload";
        case errc::unsupported_version: return "unsupported_version";
        case errc::reserved_bits_set: return "reserved_bits_set";
        case errc::empty_chain: return "empty_chain";
        case errc::unknown_data_type: return "unknown_data_type";
        case errc::unknown_prf_func: return "unknown_prf_func";
        case errc::unknown_cs_id_map_type: return "unknown_cs_id_map_type";
        case errc::unknown_encr_alg: return "unknown_encr_alg";
        case errc::unknown_mac_alg: return "unknown_mac_alg";
        case errc::unknown_pke_cache: return "unknown_pke_cache";
        case errc::unknown_dh_group: return "unknown_dh_group";
        case errc::unknown_sign_type: return "unknown_sign_type";
        case errc::unknown_ts_type: return "unknown_ts_type";
        case errc::unknown_id_type: return "unknown_id_type";
        case errc::unknown_cert_type: return "unknown_cert_type";
        case errc::unknown_hash_func: return "unknown_hash_func";
        case errc::unknown_prot_type: return "unknown_prot_type";
        case errc::unknown_srtp_param: return "unknown_srtp_param";
        case errc::unknown_error_no: return "unknown_error_no";
        case errc::unknown_key_data_type: return "unknown_key_data_type";
        case errc::unknown_kv_type: return "unknown_kv_type";
        case errc::unknown_extension_type: return "unknown_extension_type";
        case errc::unknown_key_id_type: return "unknown_key_id_type";
        case errc::unknown_ts_role: return "unknown_ts_role";
        case errc::unknown_id_role: return "unknown_id_role";
        case errc::unknown_rand_role: return "unknown_rand_role";
        case errc::unknown_ticket_type: return "unknown_ticket_type";
        case errc::map_info_mismatch: return "map_info_mismatch";
        case errc::ticket_data_unparsed: return "ticket_data_unparsed";
        case errc::tp_kemac_not_null: return "tp_kemac_not_null";
        case errc::kemac_in_granted_policy: return "kemac_in_granted_policy";
        case errc::trr_not_ntp_utc_32: return "trr_not_ntp_utc_32";
        case errc::session_data_mismatch: return "session_data_mismatch";
        case errc::key_without_spi: return "key_without_spi";
        case errc::flag_l_required_without_d: return "flag_l_required_without_d";
        case errc::flag_f_required_by_g: return "flag_f_required_by_g";
        case errc::flag_g_or_h_required: return "flag_g_or_h_required";
        case errc::flag_e_required_by_i: return "flag_e_required_by_i";
        case errc::flag_d_required_by_k: return "flag_d_required_by_k";
        case errc::flag_f_required_by_m: return "flag_f_required_by_m";
        case errc::flag_f_required_by_i: return "flag_f_required_by_i";
        case errc::initiator_data_without_i: return "initiator_data_without_i";
        case errc::initiator_data_missing: return "initiator_data_missing";
        case errc::wrong_message_type: return "wrong_message_type";
        case errc::missing_payload: return "missing_payload";
        case errc::unexpected_payload: return "unexpected_payload";
        case errc::duplicate_payload: return "duplicate_payload";
        case errc::conflicting_alternatives: return "conflicting_alternatives";
        case errc::payload_order: return "payload_order";
        case errc::wrong_last_payload: return "wrong_last_payload";
        case errc::sp_with_empty_map: return "sp_with_empty_map";
        case errc::bad_crypto_sessions: return "bad_crypto_sessions";
        case errc::buffer_too_small: return "buffer_too_small";
        case errc::field_too_long: return "field_too_long";
        case errc::invalid_argument: return "invalid_argument";
        case errc::auth_failure: return "auth_failure";
        case errc::key_unwrap_failure: return "key_unwrap_failure";
        case errc::key_too_short: return "key_too_short";
        case errc::key_length_mismatch: return "key_length_mismatch";
        case errc::algorithm_mix: return "algorithm_mix";
        case errc::rand_too_short: return "rand_too_short";
        case errc::unsupported_algorithm: return "unsupported_algorithm";
        case errc::crypto_backend_failure: return "crypto_backend_failure";
        case errc::algorithm_too_weak: return "algorithm_too_weak";
        case errc::timestamp_out_of_window: return "timestamp_out_of_window";
        case errc::replayed_message: return "replayed_message";
        case errc::replay_cache_full: return "replay_cache_full";
        case errc::ticket_expired: return "ticket_expired";
        case errc::ticket_not_yet_valid: return "ticket_not_yet_valid";
        case errc::unknown_peer: return "unknown_peer";
        case errc::unknown_ticket_key: return "unknown_ticket_key";
        case errc::unauthorized_requester: return "unauthorized_requester";
        case errc::unauthorized_responder: return "unauthorized_responder";
        case errc::unauthorized_application: return "unauthorized_application";
        case errc::wrong_kms: return "wrong_kms";
        case errc::policy_not_acceptable: return "policy_not_acceptable";
        case errc::prf_not_allowed: return "prf_not_allowed";
        case errc::encr_not_allowed: return "encr_not_allowed";
        case errc::mac_not_allowed: return "mac_not_allowed";
        case errc::vi_mismatch: return "vi_mismatch";
        case errc::vr_mismatch: return "vr_mismatch";
        case errc::header_mismatch: return "header_mismatch";
        case errc::identity_mismatch: return "identity_mismatch";
        case errc::missing_key: return "missing_key";
        case errc::ticket_reuse_forbidden: return "ticket_reuse_forbidden";
        case errc::message_not_for_role: return "message_not_for_role";
        case errc::unexpected_in_state: return "unexpected_in_state";
        case errc::pk_not_supported: return "pk_not_supported";
        case errc::error_received: return "error_received";
        case errc::sp_not_acceptable: return "sp_not_acceptable";
        case errc::sp_count_not_one: return "sp_count_not_one";
        case errc::sp_not_found: return "sp_not_found";
        case errc::sp_prot_mismatch: return "sp_prot_mismatch";
        case errc::sp_changed: return "sp_changed";
        case errc::sdp_bad_line: return "sdp_bad_line";
        case errc::sdp_no_key_mgmt: return "sdp_no_key_mgmt";
        case errc::sdp_bad_attribute: return "sdp_bad_attribute";
        case errc::key_mgmt_duplicate: return "key_mgmt_duplicate";
        case errc::unknown_key_mgmt_protocol: return "unknown_key_mgmt_protocol";
        case errc::base64_invalid: return "base64_invalid";
        case errc::rtsp_bad_key_mgmt: return "rtsp_bad_key_mgmt";
        case errc::srtp_policy_unsupported: return "srtp_policy_unsupported";
        case errc::not_an_srtp_session: return "not_an_srtp_session";
        case errc::unauthorized_creator: return "unauthorized_creator";
        case errc::not_authorized_participant: return "not_authorized_participant";
        case errc::unauthorized_referrer: return "unauthorized_referrer";
        case errc::focus_mismatch: return "focus_mismatch";
        case errc::ssrc_collision: return "ssrc_collision";
        case errc::already_member: return "already_member";
        case errc::not_a_member: return "not_a_member";
        case errc::unauthorized_subscriber: return "unauthorized_subscriber";
        case errc::unauthorized_management: return "unauthorized_management";
        case errc::unknown_exchange: return "unknown_exchange";
        case errc::stale_timestamp: return "stale_timestamp";
        case errc::sequence_exhausted: return "sequence_exhausted";
        case errc::sequence_too_old: return "sequence_too_old";
    }
    return "unknown_errc";
}

/// True when the message that produced `e` must be discarded and its exchange
/// aborted (RFC 3830 §5.1.1, RFC 6043 §5.4). False only for the caller's own
/// recoverable mistakes (output buffer too small, an argument that does not
/// fit), after which the same call may be retried.
[[nodiscard]] constexpr bool is_fatal(errc e) noexcept {
    switch (e) {
        case errc::ok:
        case errc::buffer_too_small:
        case errc::field_too_long:
        case errc::invalid_argument:
            return false;
        default:
            return true;
    }
}

/// The MIKEY Error no to send in an Error message for `e` (RFC 3830 §5.1.2,
/// §6.12; RFC 6043 §5.4, §6.9), or nullopt when nothing is to be sent: the
/// error is the caller's own, or the RFCs make the reply pointless or
/// harmful. Authentication failures map to Auth failure (0); RFC 6043 §5.4
/// makes that reply OPTIONAL and the role layer's policy decides whether to
/// send it.
[[nodiscard]] constexpr std::optional<error_no> wire_error(errc e) noexcept {
    switch (e) {
        case errc::ok:
        case errc::buffer_too_small:
        case errc::field_too_long:
        case errc::invalid_argument:
        case errc::crypto_backend_failure:
        // A replay gets no answer (answering would let a replayed message
        // draw traffic); nor does an Error (RFC 6043 §5.4: errors are not
        // reported in Error messages) or a message arriving out of order.
        case errc::replayed_message:
        case errc::error_received:
        case errc::unexpected_in_state:
        // Failures of the SDP / RTSP carriage: there is no MIKEY message to
        // answer yet; the session protocol reports them (RFC 4567 §4.1.2:
        // SIP 488 Not Acceptable Here; §3.2, §4.2: RTSP 463 Key management
        // failure, or 403 when the header is missing).
        case errc::sdp_bad_line:
        case errc::sdp_no_key_mgmt:
        case errc::sdp_bad_attribute:
        case errc::key_mgmt_duplicate:
        case errc::unknown_key_mgmt_protocol:
        case errc::base64_invalid:
        case errc::rtsp_bad_key_mgmt:
        // Conference decisions travel in the session protocol (SIP 403 / 488),
        // the management interface or the event package, not as MIKEY Errors;
        // a refused SSRC is the one the Error of the focus names (below).
        case errc::unauthorized_subscriber:
        case errc::unauthorized_management:
        case errc::unknown_exchange:
        case errc::stale_timestamp:  // like a replay: no answer
        case errc::already_member:
        case errc::not_a_member:
        // Protection of conference event package NOTIFY bodies: no MIKEY
        // message is involved, so no MIKEY Error is sent; the SIP layer
        // decides (e.g. discard the NOTIFY, refresh the subscription).
        case errc::sequence_exhausted:
        case errc::sequence_too_old:
            return std::nullopt;
        // Seed 000 flow 1b: "the conference factory returns an error message to
        // the initiator with an appropriate failure code".
        case errc::unauthorized_creator:
        case errc::not_authorized_participant:
        case errc::unauthorized_referrer:
        case errc::focus_mismatch: return error_no::invalid_id;
        case errc::ssrc_collision: return error_no::invalid_sp;
        case errc::auth_failure:
        case errc::key_unwrap_failure:
        case errc::vi_mismatch:
        case errc::vr_mismatch:
            return error_no::auth_failure;
        case errc::timestamp_out_of_window: return error_no::invalid_ts;
        case errc::prf_not_allowed: return error_no::invalid_prf;
        case errc::mac_not_allowed: return error_no::invalid_mac;
        case errc::encr_not_allowed: return error_no::invalid_ea;
        case errc::unknown_peer:
        case errc::wrong_kms: return error_no::invalid_id;
        case errc::message_not_for_role:
        case errc::pk_not_supported: return error_no::unsupported_message_type;
        case errc::unknown_ticket_key: return error_no::invalid_ticket;
        case errc::policy_not_acceptable: return error_no::invalid_tppar;
        case errc::unknown_ts_type: return error_no::invalid_ts;
        case errc::unknown_prf_func: return error_no::invalid_prf;
        case errc::unknown_mac_alg: return error_no::invalid_mac;
        case errc::unknown_encr_alg: return error_no::invalid_ea;
        case errc::unknown_hash_func: return error_no::invalid_ha;
        case errc::unknown_dh_group: return error_no::invalid_dh;
        case errc::unknown_id_type:
        case errc::unknown_id_role: return error_no::invalid_id;
        case errc::unknown_cert_type: return error_no::invalid_cert;
        case errc::unknown_prot_type: return error_no::invalid_sp;
        case errc::unknown_srtp_param:
        case errc::srtp_policy_unsupported: return error_no::invalid_sppar;
        case errc::not_an_srtp_session: return error_no::invalid_sp;
        // RFC 3830 §6.12: Invalid SP (9) "SP type not supported", Invalid SPpar
        // (10) "SP parameters not supported" (RFC 6043 Table 6.14's 15, Invalid
        // TPpar, is for Ticket Policy parameters).
        case errc::sp_count_not_one:
        case errc::sp_not_found:
        case errc::sp_prot_mismatch: return error_no::invalid_sp;
        case errc::sp_not_acceptable:
        case errc::sp_changed: return error_no::invalid_sppar;
        case errc::unknown_data_type: return error_no::invalid_dt;
        case errc::unknown_ticket_type:
        case errc::ticket_data_unparsed: return error_no::invalid_ticket;
        case errc::tp_kemac_not_null:
        case errc::kemac_in_granted_policy:
        case errc::trr_not_ntp_utc_32: return error_no::invalid_tppar;
        case errc::flag_l_required_without_d:
        case errc::flag_f_required_by_g:
        case errc::flag_g_or_h_required:
        case errc::flag_e_required_by_i:
        case errc::flag_d_required_by_k:
        case errc::flag_f_required_by_m:
        case errc::flag_f_required_by_i:
        case errc::initiator_data_without_i:
        case errc::initiator_data_missing: return error_no::invalid_tppar;
        // Everything else, among it a message that breaks its composition
        // (missing, unexpected, duplicate payloads, conflicting alternatives,
        // order, last payload): RFC 3830 §6.12 has no code for it but
        // Unspecified error.
        default: return error_no::unspecified;
    }
}

}  // namespace mikey

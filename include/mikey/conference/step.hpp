// mikey-ticket (conference layer): what a factory, focus or participant
// hands back for one input: the messages to send (to the KMS over HTTP, or
// to a peer inside SIP INVITE / REFER / 200 OK bodies), the exchange they
// belong to, and whether it completed. Sans-I/O like the role machines:
// the caller carries the messages and brings the answers back with the
// exchange id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../core/errc.hpp"
#include "../core/registry.hpp"
#include "../roles/exchange.hpp"
#include "../roles/outcome.hpp"
#include "record.hpp"

namespace mikey::conference {

/// Names one pending exchange of a factory, focus or participant (never 0).
using exchange_id = std::uint32_t;

/// Where a message goes.
enum class destination : std::uint8_t {
    kms,   ///< the KMS (REQUEST_INIT_PSK, RESOLVE_INIT_PSK)
    peer,  ///< the identity in `message::peer` (TRANSFER_INIT / TRANSFER_RESP / Error)
};

/// One message to send.
struct message {
    destination to = destination::peer;
    std::string peer;  ///< the identity it is for (destination::peer)
    data_type type{};
    std::vector<std::uint8_t> bytes;
};

/// The result of one input.
struct [[nodiscard]] step {
    errc error = errc::ok;         ///< ok, or why the input was refused
    exchange_id id = 0;            ///< the exchange the input belongs to (0: none)
    std::vector<message> messages; ///< to send, in order (an Error message on some refusals)
    bool done = false;             ///< the exchange completed (member joined, conference created, ...)
    std::string who;               ///< the identity the completed exchange concerns
    std::optional<record> created; ///< factory: the conference a creation made

    [[nodiscard]] bool ok() const noexcept { return error == errc::ok; }
    explicit operator bool() const noexcept { return ok(); }
    static step refused(errc e, exchange_id id = 0) { return step{e, id, {}, false, {}, {}}; }
};

namespace detail {

/// Appends the bytes of `o.send` (when any) as a message.
inline void take(step& s, const roles::outcome& o, destination to, std::string_view peer) {
    if (o.send.empty()) return;
    s.messages.push_back(message{to, std::string(peer), o.send_type, {o.send.begin(), o.send.end()}});
}

/// A step for a refused outcome: its error and its Error message (to `peer`).
inline step refused(const roles::outcome& o, exchange_id id, std::string_view peer) {
    step s = step::refused(o.error, id);
    take(s, o, destination::peer, peer);
    return s;
}

/// Whether the machine of a pending exchange still waits for an answer (a
/// refused input left it so): the exchange then stays, so that a forged
/// answer cannot end a genuine exchange.
template <class Initiator, class Responder>
[[nodiscard]] bool still_waiting(const Initiator* ini, const Responder* res) noexcept {
    if (res) return res->current() == Responder::state::awaiting_resolve_resp;
    return ini->current() == Initiator::state::awaiting_request_resp ||
           ini->current() == Initiator::state::awaiting_transfer_resp;
}

/// A refusal decided by the conference layer about the message `offending`:
/// error `e` and, where wire_error gives a code, the Error message to `peer`.
inline step refuse(errc e, exchange_id id, bytes_view offending, ntp_time now, std::string_view peer) {
    std::array<std::uint8_t, 128> buf{};
    return refused(roles::detail::refuse(failure{e, 0}, offending, now, buf, false), id, peer);
}

}  // namespace detail
}  // namespace mikey::conference

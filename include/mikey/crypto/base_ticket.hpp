// mikey-ticket: the MIKEY base ticket's own protection (RFC 6043 App. A):
// the V inside its Ticket Data, keyed from the TPK (D6), and the KEMAC
// cipher inputs (CSB ID 0xFFFFFFFF, T from the Ticket Data).
#pragma once

#include <array>
#include <cstddef>

#include "../payload/ticket.hpp"
#include "backend.hpp"
#include "kemac_cipher.hpp"
#include "mac.hpp"

namespace mikey::crypto {

namespace detail {
/// RFC 6043 App. A.1: the MAC is "calculated over the entire TICKET payload
/// except the Next Payload field (in the TICKET payload), the Initiator Data
/// length field, the Initiator Data field, and the MAC field itself".
struct base_ticket_coverage {
    std::array<bytes_view, 2> parts{};
    std::size_t mac_at = 0;  ///< offset of V's MAC field in the TICKET payload
    mac_alg alg = mac_alg::null;
};
[[nodiscard]] constexpr result<base_ticket_coverage> base_ticket_mac_input(const ticket_view& t) noexcept {
    const auto bt = t.base_ticket();
    if (!bt) return bt.error_info();
    const bytes_view all = t.bytes();
    const auto td_at = static_cast<std::size_t>(t.ticket_data().data() - all.data());
    base_ticket_coverage c;
    c.alg = bt->v().kind();
    c.mac_at = td_at + bt->mac_offset();
    const std::size_t mac_end = c.mac_at + mac_size(c.alg);
    const std::size_t init_len_at = t.initiator_data_length_offset();
    c.parts[0] = all.subspan(1, c.mac_at - 1);
    c.parts[1] = all.subspan(mac_end, init_len_at - mac_end);
    return c;
}
}  // namespace detail

/// Computes the base ticket's V MAC with `auth_key` (D6 auth key from the
/// TPK) and writes it into the V payload of the TICKET payload `ticket`, in
/// place. Errors: the parse errors of ticket_view; ticket_data_unparsed (not
/// a MIKEY base ticket); key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> fill_base_ticket_mac(B& b, mutable_bytes ticket, bytes_view auth_key) noexcept {
    const auto t = ticket_view::parse(ticket);
    if (!t) return t.error_info();
    const auto c = detail::base_ticket_mac_input(*t);
    if (!c) return c.error_info();
    return compute_mac(b, c->alg, auth_key, c->parts, ticket.subspan(c->mac_at, mac_size(c->alg)));
}

/// Verifies the base ticket's V (RFC 6043 App. A.1) in constant time.
/// `expected` is the Auth alg the resolver's policy requires.
/// Errors: auth_failure; ticket_data_unparsed; key_length_mismatch;
/// crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> verify_base_ticket_mac(B& b, const ticket_view& t, mac_alg expected,
                                                  bytes_view auth_key) noexcept {
    const auto c = detail::base_ticket_mac_input(t);
    if (!c) return c.error_info();
    if (c->alg != expected) return errc::auth_failure;
    return verify_mac(b, c->alg, auth_key, c->parts, t.bytes().subspan(c->mac_at, mac_size(c->alg)));
}

/// The KEMAC cipher inputs of a base ticket: D6 encr / salt keys, CSB ID
/// 0xFFFFFFFF ("If CSB ID is needed in the IV creation it SHALL be set to
/// '0xFFFFFFFF'", App. A.1) and the Ticket Data's T ("MAY be used in the IV
/// formation").
/// Errors: invalid_argument (a T value whose length does not match its type
/// cannot happen in a parsed view; kept for safety).
[[nodiscard]] constexpr result<kemac_cipher_keys> base_ticket_cipher_keys(const base_ticket_view& bt,
                                                                          bytes_view encr_key,
                                                                          bytes_view salt_key) noexcept {
    const auto t = bt.t();
    const auto t64 = iv_timestamp(t.kind(), t.value());
    if (!t64) return errc::invalid_argument;
    return kemac_cipher_keys{encr_key, salt_key, csb_id{0xFFFFFFFFu}, *t64};
}

}  // namespace mikey::crypto

// mikey-ticket (ticket layer): the MIKEY base ticket (RFC 6043 App. A,
// Ticket Type 1, Subtype 1, Version 1): its creation with a Ticket
// Protection Key (by the KMS in modes 1 and 2, by the Initiator in modes 3
// and 4, §4.1.1) and its opening by whoever holds the TPK (the KMS on
// RESOLVE_INIT, the Responder itself in modes 2 and 4).
//
//   Ticket Data = THDR, T, RAND, KEMAC, [IDRpsk], V          (App. A)
//   KEMAC       = E(encr_key, MPK || {TEK|TGK|GTGK}), MAC alg NULL
//   encr_key, auth_key, salt_key = D6(TPK, RAND), PRF = the Ticket Policy's
//   KEMAC IV: CSB ID 0xFFFFFFFF, T = the Ticket Data's T (App. A.1)
//   V: over the whole TICKET payload except its Next Payload byte, the
//      Initiator Data length, the Initiator Data and the MAC field (App. A.1)
//
// The checks a resolver makes on top (authorization of the Responder,
// validity window, IDRkms, Vr) are the role layer's: see roles/kms.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <span>

#include "../core/inline_list.hpp"
#include "../core/ntp_time.hpp"
#include "../core/rng.hpp"
#include "../crypto/backend.hpp"
#include "../crypto/kemac.hpp"
#include "../crypto/kemac_cipher.hpp"
#include "../crypto/mac.hpp"
#include "../crypto/protection_keys.hpp"
#include "../payload/ticket.hpp"
#include "seal.hpp"

namespace mikey::ticket {

using crypto::crypto_backend;
using crypto::kemac_cipher_keys;

namespace detail {
/// RFC 6043 App. A.1: the MAC is "calculated over the entire TICKET payload
/// except the Next Payload field (in the TICKET payload), the Initiator Data
/// length field, the Initiator Data field, and the MAC field itself".
struct base_ticket_coverage {
    std::array<bytes_view, 2> parts{};
    std::size_t mac_at = 0;  ///< offset of V's MAC field in the TICKET payload
    mac_alg alg = mac_alg::null;
};
/// `bt` is t.base_ticket() (parsed once by the caller).
[[nodiscard]] constexpr base_ticket_coverage base_ticket_mac_input(const ticket_view& t,
                                                                 const base_ticket_view& bt) noexcept {
    const bytes_view all = t.bytes();
    const auto td_at = static_cast<std::size_t>(t.ticket_data().data() - all.data());
    base_ticket_coverage c;
    c.alg = bt.v().kind();
    c.mac_at = td_at + bt.mac_offset();
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
    const auto bt = t->base_ticket();
    if (!bt) return bt.error_info();
    const auto c = detail::base_ticket_mac_input(*t, *bt);
    return crypto::compute_mac(b, c.alg, auth_key, c.parts, ticket.subspan(c.mac_at, mac_size(c.alg)));
}

/// Verifies the base ticket's V (RFC 6043 App. A.1) in constant time.
/// `expected` is the Auth alg the resolver's policy requires; `bt` is
/// t.base_ticket() (parsed once by the caller).
/// Errors: auth_failure; key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> verify_base_ticket_mac(B& b, const ticket_view& t, const base_ticket_view& bt, mac_alg expected,
                                                  bytes_view auth_key) noexcept {
    const auto c = detail::base_ticket_mac_input(t, bt);
    if (c.alg != expected) return errc::auth_failure;
    return crypto::verify_mac(b, c.alg, auth_key, c.parts, t.bytes().subspan(c.mac_at, mac_size(c.alg)));
}
/// The same, parsing t.base_ticket() itself. Errors: ticket_data_unparsed
/// (not a MIKEY base ticket), then as above.
template <crypto_backend B>
[[nodiscard]] result<void> verify_base_ticket_mac(B& b, const ticket_view& t, mac_alg expected,
                                                  bytes_view auth_key) noexcept {
    const auto bt = t.base_ticket();
    if (!bt) return bt.error_info();
    return verify_base_ticket_mac(b, t, *bt, expected, auth_key);
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
    const auto t64 = crypto::iv_timestamp(t.kind(), t.value());
    if (!t64) return errc::invalid_argument;
    return kemac_cipher_keys{encr_key, salt_key, crypto::base_ticket_csb_id, *t64};
}

/// Everything a MIKEY base ticket is made of, except the TPK and the
/// randomness.
struct base_ticket_spec {
    ticket_policy policy{};    ///< granted policy: Type 1 / Subtype 1 / Version 1, flags, PRF (D6, D7, D3)
    bytes_view tp_data{};      ///< TP Data of the granted policy (build_payload_chain; no KEMAC)
    bytes_view mpk{};          ///< MPK, >= 128 bits (RFC 6043 §12.1)
    std::span<const key_data_builder> session_keys{};  ///< {TEK | TGK | GTGK}
    encr_alg encr = encr_alg::aes_cm_128;  ///< KEMAC Encr alg
    mac_alg mac = mac_alg::hmac_sha_1_160;  ///< V Auth alg
    std::optional<identity> idrpsk{};  ///< names the TPK for the resolver (App. A: "MAY be omitted")
    ntp_time now{};                   ///< the Ticket Data's T (time of issue, NTP-UTC)
};

/// Largest TICKET payload create_base_ticket writes into its own scratch.
inline constexpr std::size_t max_ticket_data = 2048;

/// What create_base_ticket wrote: the TICKET payload and, inside it, the
/// base ticket's RAND value (the input of MPKi / MPKr, App. A.2.2), so that
/// the creator need not frame its own output again.
struct created_ticket {
    bytes_view payload;  ///< the whole TICKET payload (Next Payload 0, empty Initiator Data)
    bytes_view rand;     ///< the RAND value of its Ticket Data (a view into `payload`)
};

/// Creates a MIKEY base ticket (RFC 6043 App. A) and writes the whole TICKET
/// payload (Next Payload 0, empty Initiator Data) into `out`.
/// The base ticket's RAND is drawn from `rng` with length max(TPK, MPK, 16)
/// ("at least as long as the longest of the TPK and the MPK", §12.1).
/// Errors: key_too_short (TPK or MPK under 128 bits); invalid_argument (the
/// policy is not the base ticket type, or its flags break §6.10);
/// flag_* codes; unsupported_algorithm; buffer_too_small; field_too_long;
/// crypto_backend_failure.
template <crypto_backend B, random_generator R>
[[nodiscard]] result<created_ticket> create_base_ticket(B& b, R& rng, const base_ticket_spec& s, bytes_view tpk,
                                                        mutable_bytes out) noexcept {
    if (!s.policy.is_base_ticket()) return errc::invalid_argument;
    // RFC 6043 §12.1: all keys, "including keys used to protect the ticket", >= 128 bits.
    if (tpk.size() < crypto::min_key_bytes || s.mpk.size() < crypto::min_key_bytes) return errc::key_too_short;
    std::array<std::uint8_t, 255> rand_bytes;  // filled up to rand_len by rng
    const std::size_t rand_len = std::max<std::size_t>({tpk.size(), s.mpk.size(), 16});
    if (rand_len > rand_bytes.size()) return errc::field_too_long;
    const mutable_bytes rnd(rand_bytes.data(), rand_len);
    if (auto r = rng.fill(rnd); !r) return r.error_info();
    const crypto::algorithm_suite suite{s.policy.prf, s.encr, s.mac};
    const auto keys = crypto::derive_ticket_protection_keys(b, suite, tpk, rand_value(rnd));
    if (!keys) return keys.error_info();

    std::array<std::uint8_t, 8> ts{};
    const std::uint64_t now64 = s.now.ntp64();
    for (std::size_t i = 0; i < 8; ++i) ts[i] = static_cast<std::uint8_t>(now64 >> (56 - 8 * i));
    // The MPK first, then the session keys (App. A: KEMAC = E(encr_key, MPK || {TEK|TGK|GTGK})).
    inline_list<key_data_builder, 17> all;
    if (s.session_keys.size() + 1 > all.capacity()) return errc::invalid_argument;
    (void)all.push_back(key_data_builder{key_data_type::mpk, s.mpk, {}, {}});
    for (const auto& k : s.session_keys) (void)all.push_back(k);
    detail::encrypted_kemac kemac;
    const kemac_cipher_keys cipher{keys->encr_key.view(), keys->salt_key.view(), crypto::base_ticket_csb_id, now64};
    if (auto r = kemac.build(b, s.encr, cipher, all.view()); !r) {
        return r.error_info();
    }
    static constexpr std::array<std::uint8_t, 32> zeros{};
    const std::size_t m = mac_size(s.mac);
    std::array<std::uint8_t, max_ticket_data> td_buf;  // written before read
    std::optional<idr_builder> idrpsk;
    if (s.idrpsk) idrpsk = idr_builder{id_role::idrpsk, id_type::byte_string, s.idrpsk->get()};
    const thdr_builder thdr{};
    const t_builder t_issued{.kind = ts_type::ntp_utc, .value = ts};
    const auto td = build_base_ticket_data(td_buf, thdr, t_issued, rand_builder{.value = bytes_view(rnd)},
                                           kemac.builder(), idrpsk,
                                           v_builder{.kind = s.mac, .value = bytes_view(zeros.data(), m)});
    if (!td) return td.error_info();
    // RAND follows THDR and T in the Ticket Data (App. A): their size, counted.
    byte_writer head;
    thdr.write(head);
    t_issued.write(head);
    const std::size_t rand_at = head.size();
    byte_writer w(out);
    ticket_builder{s.policy, s.tp_data, *td, {}}.write(w);
    if (w.failed()) return w.error();
    const mutable_bytes t = out.first(w.size());
    // The TICKET payload: Next (1), fixed policy fields (7), TP Data length (2) and TP Data,
    // Ticket Data length (2) and Ticket Data (ending with V's MAC), Initiator Data length (2).
    const std::size_t td_at = 10 + s.tp_data.size() + 2;
    const std::size_t mac_at = td_at + td->size() - m;
    const std::array<bytes_view, 1> parts{bytes_view(t).subspan(1, mac_at - 1)};
    if (auto r = crypto::compute_mac(b, s.mac, keys->auth_key.view(), parts, t.subspan(mac_at, m)); !r) {
        return r.error_info();
    }
    return created_ticket{bytes_view(t), rand_view::from_validated(bytes_view(t).subspan(td_at + rand_at)).value()};
}

/// What open_base_ticket recovered: MPK and the session keys, as views into
/// the caller's plaintext buffer (key material: the caller wipes it).
struct opened_ticket {
    key_data_view mpk;
    key_data_list keys;  ///< every Key data of the KEMAC, MPK first
};

/// Opens a MIKEY base ticket (RFC 6043 App. A): derives the D6 keys from
/// `tpk` with the ticket's RAND and the Ticket Policy's PRF, verifies V
/// (requiring Auth alg `expected_mac`), decrypts the KEMAC into `plain_out`
/// (>= the Encr data size) and checks that it starts with the MPK.
/// Errors: auth_failure (wrong TPK, tampered ticket, other Auth alg); missing_key
/// (no MPK first); key_too_short; unsupported_algorithm; buffer_too_small;
/// key_unwrap_failure; the Key data chain's parse errors;
/// crypto_backend_failure. On error plain_out is wiped.
/// `bt` is t.base_ticket() (parsed once by the caller).
template <crypto_backend B>
[[nodiscard]] result<opened_ticket> open_base_ticket(B& b, const ticket_view& t, const base_ticket_view& bt,
                                                     mac_alg expected_mac, bytes_view tpk,
                                                     mutable_bytes plain_out) noexcept {
    const crypto::algorithm_suite suite{t.policy().prf, bt.kemac().encryption(), bt.v().kind()};
    const auto keys = crypto::derive_ticket_protection_keys(b, suite, tpk, rand_value(bt.rand().value()));
    if (!keys) return keys.error_info();
    if (auto r = verify_base_ticket_mac(b, t, bt, expected_mac, keys->auth_key.view()); !r) return r.error_info();
    const auto cipher = base_ticket_cipher_keys(bt, keys->encr_key.view(), keys->salt_key.view());
    if (!cipher) return cipher.error_info();
    auto list = crypto::open_kemac(b, bt.kemac(), *cipher, plain_out);
    if (!list) return list.error_info();
    // RFC 6043 App. A: the KEMAC holds "MPK || {TEK|TGK|GTGK}".
    if (list->size() == 0 || (*list->begin()).kind() != key_data_type::mpk) {
        b.wipe(plain_out);
        return errc::missing_key;
    }
    return opened_ticket{*list->begin(), *list};
}
/// The same, parsing t.base_ticket() itself. Errors: ticket_data_unparsed
/// (not a MIKEY base ticket), then as above.
template <crypto_backend B>
[[nodiscard]] result<opened_ticket> open_base_ticket(B& b, const ticket_view& t, mac_alg expected_mac, bytes_view tpk,
                                                     mutable_bytes plain_out) noexcept {
    const auto bt = t.base_ticket();
    if (!bt) return bt.error_info();
    return open_base_ticket(b, t, *bt, expected_mac, tpk, plain_out);
}

}  // namespace mikey::ticket

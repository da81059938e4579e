// mikey-ticket (ticket layer): V payloads (and the RFC 3830 PSK KEMAC MAC) over exactly the
// bytes the RFCs name, and Vi / Vr of the TICKET's Initiator Data.
//
// MAC input = the message's own coverage (message_view::mac_input(): every
// byte before the MAC field; for TRANSFER_INIT without the TICKET's
// Initiator Data length and Initiator Data) followed by what the RFC appends:
//
//   message                 appended (RFC 6043 §5.5 Table 5.2, RFC 3830 §5.2)
//   REQUEST_INIT_PSK        Identity_i || Identity_kms
//   TRANSFER_INIT           Identity_i || Identity_r
//   RESOLVE_INIT_PSK        Identity_r || Identity_kms
//   REQUEST_RESP            the complete REQUEST_INIT (incl. its MAC/signature)
//   TRANSFER_RESP           the complete TRANSFER_INIT as received
//   RESOLVE_RESP            the complete RESOLVE_INIT
//   Error (6)               nothing
//   PSK_INIT (0)            nothing: its KEMAC MAC covers the message (RFC 3830 §3.1, §6.2)
//   PSK_VERIFICATION (1),   Identity_i || Identity_r || Timestamp (RFC 3830 §5.2)
//   PK_VERIFICATION (3)
//
// "Identity" is the ID Data field only, not the whole ID / IDR payload
// (RFC 6043 §5.5 "the identities (not whole payloads)"); for RFC 3830 the
// same reading is applied (see notes/crypto.md).
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "../crypto/backend.hpp"
#include "../crypto/mac.hpp"
#include "../message.hpp"

namespace mikey::ticket {

using crypto::compute_mac;
using crypto::crypto_backend;
using crypto::max_hmac_size;
using crypto::verify_mac;

/// What may be appended to a MAC input; which fields are read depends on the
/// message type (table above).
struct v_inputs {
    identity identity_i{};
    identity identity_r{};
    identity identity_kms{};
    bytes_view initial_message{};  ///< for the three *_RESP messages
    bytes_view timestamp{};        ///< TS value of the Initiator's T (RFC 3830 PSK_VERIFICATION)
};

/// The appended ranges for a message type.
struct mac_appendix {
    std::array<bytes_view, 3> parts{};
    std::size_t count = 0;
    [[nodiscard]] constexpr std::span<const bytes_view> view() const noexcept { return {parts.data(), count}; }
};

/// Errors: invalid_argument (a *_RESP without initial_message, or a data
/// type this table does not cover: PK / DH / RSA-R / IBAKE / SAKKE messages
/// are signed or use other rules).
[[nodiscard]] constexpr result<mac_appendix> appendix_for(data_type t, const v_inputs& in) noexcept {
    mac_appendix a;
    auto add = [&](bytes_view v) { a.parts[a.count++] = v; };
    switch (t) {
        // RFC 6043 §5.5: "For initial messages, the identities (not whole payloads) of the parties
        // involved MUST directly follow the MIKEY message".
        case data_type::request_init_psk:
        case data_type::request_init_pk:
            add(in.identity_i.get());
            add(in.identity_kms.get());
            break;
        case data_type::transfer_init:
            add(in.identity_i.get());
            add(in.identity_r.get());
            break;
        case data_type::resolve_init_psk:
        case data_type::resolve_init_pk:
            add(in.identity_r.get());
            add(in.identity_kms.get());
            break;
        // RFC 6043 §5.5: "For response messages, the entire initial message (including the
        // MAC/Signature field) MUST directly follow the MIKEY message".
        case data_type::request_resp:
        case data_type::transfer_resp:
        case data_type::resolve_resp:
            if (in.initial_message.empty()) return errc::invalid_argument;
            add(in.initial_message);
            break;
        // RFC 6043 §5.4: the Error message MAC "covers the entire Error message".
        case data_type::error:
        // RFC 3830 §6.2: the PSK KEMAC MAC covers the entire message.
        case data_type::psk_init: break;
        // RFC 3830 §5.2: "the Identity_i || Identity_r || Timestamp MUST directly follow the MIKEY
        // message in the Verification MAC calculation".
        case data_type::psk_verification:
        case data_type::pk_verification:  // RFC 3830 §3.2: the same V as in §3.1
            add(in.identity_i.get());
            add(in.identity_r.get());
            add(in.timestamp);
            break;
        default: return errc::invalid_argument;
    }
    return a;
}

namespace detail {
/// The MAC algorithm named by the message's last payload (V Auth alg or
/// KEMAC Mac alg).
[[nodiscard]] constexpr result<mac_alg> closing_mac_alg(const message_view& m) noexcept {
    const auto last = m.last_payload();
    if (last && last->type == payload_type::v) return last->as<v_view>().kind();
    if (last && last->type == payload_type::kemac) return last->as<kemac_view>().mac_algorithm();
    return errc::wrong_last_payload;
}

template <crypto_backend B>
[[nodiscard]] result<void> message_mac(B& b, const message_view& m, bytes_view auth_key, const v_inputs& in,
                                       mutable_bytes out, mac_coverage& cov) noexcept {
    const auto c = m.mac_input();
    if (!c) return c.error_info();
    cov = *c;
    const auto alg = closing_mac_alg(m);
    if (!alg) return alg.error_info();
    const auto app = appendix_for(m.type(), in);
    if (!app) return app.error_info();
    if (out.size() != mac_size(*alg) || cov.mac_field.size() != mac_size(*alg)) return errc::invalid_argument;
    std::array<bytes_view, 5> parts{};
    std::size_t n = 0;
    for (const bytes_view p : cov.covered()) parts[n++] = p;
    for (const bytes_view p : app->view()) parts[n++] = p;
    return compute_mac(b, *alg, auth_key, std::span<const bytes_view>(parts.data(), n), out);
}
}  // namespace detail

/// Computes the closing MAC (V Ver data, or the PSK KEMAC MAC) of a built
/// message and writes it into the message's MAC field, in place.
/// `message` holds the complete message with the MAC field present (any
/// content). Errors: the parse errors of message_view; wrong_last_payload;
/// invalid_argument (appendix_for); key_length_mismatch (auth_key not the
/// algorithm's size); crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> fill_message_mac(B& b, mutable_bytes message, bytes_view auth_key,
                                            const v_inputs& in) noexcept {
    const auto m = message_view::parse(message);
    if (!m) return m.error_info();
    std::array<std::uint8_t, max_hmac_size> tag{};
    mac_coverage cov;
    const auto alg = detail::closing_mac_alg(*m);
    if (!alg) return alg.error_info();
    const mutable_bytes t{tag.data(), mac_size(*alg)};
    if (auto r = detail::message_mac(b, *m, auth_key, in, t, cov); !r) return r;
    const std::size_t at = static_cast<std::size_t>(cov.mac_field.data() - message.data());
    for (std::size_t i = 0; i < t.size(); ++i) message[at + i] = t[i];
    return {};
}

/// Verifies the closing MAC of a received message (V payload of every
/// RFC 6043 PSK / MPK-protected message and of RFC 3830 PSK_VERIFICATION;
/// the KEMAC MAC of RFC 3830 PSK_INIT) in constant time.
/// `expected` is the Auth / MAC alg the receiver's policy requires; a message
/// naming another one fails (no downgrade to NULL).
/// Errors: auth_failure; wrong_last_payload; invalid_argument;
/// key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> verify_message_mac(B& b, const message_view& m, mac_alg expected, bytes_view auth_key,
                                              const v_inputs& in) noexcept {
    const auto alg = detail::closing_mac_alg(m);
    if (!alg) return alg.error_info();
    if (*alg != expected) return errc::auth_failure;
    std::array<std::uint8_t, max_hmac_size> tag{};
    const mutable_bytes t{tag.data(), mac_size(*alg)};
    mac_coverage cov;
    if (auto r = detail::message_mac(b, m, auth_key, in, t, cov); !r) return r;
    const bool ok = b.equal(t, cov.mac_field);
    b.wipe(tag);
    if (!ok) return errc::auth_failure;
    return {};
}

// ---------------------------------------------------------------- Vi, Vr

namespace detail {
struct initiator_vs {
    bytes_view data{};                ///< Initiator Data (with its First Payload byte)
    std::size_t data_offset = 0;      ///< in the message
    chain_entry vi{};                 ///< offsets relative to data
    chain_entry vr{};
};
[[nodiscard]] constexpr result<initiator_vs> find_initiator_vs(const message_view& m) noexcept {
    for (const auto& e : m.payloads_in_place()) {
        if (e.type != payload_type::ticket) continue;
        const auto t = e.as<ticket_view>();
        initiator_vs out;
        out.data = t.initiator_data();
        if (out.data.empty()) return errc::initiator_data_missing;
        out.data_offset = e.offset + t.initiator_data_length_offset() + 2;
        // RFC 6043 §6.10: Initiator Data = First Payload, Vi, Vr; Vr is the last payload.
        std::size_t vs = 0;
        for (const auto& p : t.initiator_payloads()) {
            if (p.type != payload_type::v) continue;
            if (vs == 0) out.vi = p;
            out.vr = p;
            ++vs;
        }
        if (vs < 2) return errc::missing_payload;
        return out;
    }
    return errc::missing_payload;
}
}  // namespace detail

/// Completes the Initiator Data of a built TRANSFER_INIT in place
/// (RFC 6043 §6.10): Vi := the MAC of the message's V payload ("The Vi
/// payload SHALL be identical to the V payload in the TRANSFER_INIT
/// message"), then Vr := MAC(vr_auth_key, Initiator Data up to Vr's MAC
/// field) with Vi's algorithm. Call after fill_message_mac: V does not
/// cover the Initiator Data (RFC 6043 §5.5), so the order is free of cycles.
/// vr_auth_key comes from derive_vr_auth_key (D5).
/// Errors: the parse errors of message_view; missing_payload (no TICKET, or
/// fewer than two V in the Initiator Data); initiator_data_missing;
/// auth_failure (Vi / Vr / V algorithms differ: "The authentication
/// algorithm SHALL be the same as used for the Vi payload");
/// key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> fill_initiator_data(B& b, mutable_bytes transfer_init, bytes_view vr_auth_key) noexcept {
    const auto m = message_view::parse(transfer_init);
    if (!m) return m.error_info();
    const auto ivs = detail::find_initiator_vs(*m);
    if (!ivs) return ivs.error_info();
    const auto last = m->last_payload();
    if (!last || last->type != payload_type::v) return errc::wrong_last_payload;
    const auto v = last->as<v_view>();
    const auto vi = ivs->vi.as<v_view>();
    const auto vr = ivs->vr.as<v_view>();
    if (vi.kind() != v.kind() || vr.kind() != vi.kind()) return errc::auth_failure;
    const std::size_t base = ivs->data_offset;
    const std::size_t vi_mac_at = base + ivs->vi.offset + vi.value_offset();
    for (std::size_t i = 0; i < v.value().size(); ++i) transfer_init[vi_mac_at + i] = v.value()[i];
    const std::size_t vr_mac_rel = ivs->vr.offset + vr.value_offset();
    const std::array<bytes_view, 1> parts{bytes_view(transfer_init).subspan(base, vr_mac_rel)};
    return compute_mac(b, vr.kind(), vr_auth_key, parts, transfer_init.subspan(base + vr_mac_rel, vr.value().size()));
}

/// RFC 6043 §4.2.3.6: with key forking the Responder "SHALL also verify that
/// the MAC field in the V payload in the TRANSFER_INIT message is identical
/// to the MAC field in the Vi payload". Constant time.
/// Errors: auth_failure; missing_payload; initiator_data_missing; wrong_last_payload.
template <crypto_backend B>
[[nodiscard]] result<void> verify_vi(B& b, const message_view& transfer_init) noexcept {
    const auto ivs = detail::find_initiator_vs(transfer_init);
    if (!ivs) return ivs.error_info();
    const auto last = transfer_init.last_payload();
    if (!last || last->type != payload_type::v) return errc::wrong_last_payload;
    const auto v = last->as<v_view>();
    const auto vi = ivs->vi.as<v_view>();
    if (vi.kind() != v.kind() || !b.equal(vi.value(), v.value())) return errc::auth_failure;
    return {};
}

/// RFC 6043 §6.10 / §4.2.3.4: verifies Vr over the Initiator Data (the KMS,
/// holding MPKr, does this when resolving). `initiator_data` is the TICKET's
/// Initiator Data field (ticket_view::initiator_data()).
/// `expected`: the Auth alg policy requires (Vi's and Vr's must both be it).
/// Errors: auth_failure (mismatch, or Vr's algorithm differs from Vi's);
/// initiator_data_missing (empty); the Initiator Data chain's own errors
/// (length_out_of_bounds, missing_payload, wrong_last_payload, ...);
/// key_length_mismatch; crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> verify_vr(B& b, bytes_view initiator_data, mac_alg expected,
                                     bytes_view vr_auth_key) noexcept {
    // The field may come from anywhere: validate the chain before walking it.
    if (initiator_data.empty()) return errc::initiator_data_missing;
    if (auto ok = mikey::detail::check_initiator_data(initiator_data); !ok) return ok.error_info();
    std::size_t vs = 0;
    chain_entry vi_e{};
    chain_entry vr_e{};
    for (const auto& p : mikey::detail::first_byte_chain(initiator_data)) {
        if (p.type != payload_type::v) continue;
        if (vs == 0) vi_e = p;
        vr_e = p;
        ++vs;
    }
    if (vs < 2) return errc::missing_payload;
    const auto vi = vi_e.as<v_view>();
    const auto vr = vr_e.as<v_view>();
    if (vi.kind() != vr.kind() || vr.kind() != expected) return errc::auth_failure;
    const std::array<bytes_view, 1> parts{initiator_data.first(vr_e.offset + vr.value_offset())};
    return verify_mac(b, vr.kind(), vr_auth_key, parts, vr.value());
}

}  // namespace mikey::ticket

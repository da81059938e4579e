// mikey-ticket (conference layer): what every conference block shares: the
// settings of its role machines, the profile of conference tickets (key
// forking always on, seed 000), the unauthenticated early look at a
// TRANSFER_INIT (who claims to send it, whom its ticket names, which crypto
// sessions it proposes), and the focus's supplied media keys.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../core/rng.hpp"
#include "../core/secret.hpp"
#include "../roles/exchange.hpp"
#include "../roles/outcome.hpp"
#include "../roles/security_policy.hpp"
#include "../ticket/messages.hpp"
#include "../ticket/policy.hpp"
#include "record.hpp"

namespace mikey::conference {

/// Bytes of an identity as a string.
[[nodiscard]] inline std::string id_string(bytes_view b) { return std::string(b.begin(), b.end()); }

/// The SRTP policy of conference media as SP parameters (RFC 3830
/// §6.10.1): AES-256-CM (RFC 6188) with a 32-byte master key, HMAC-SHA-1
/// with a 20-byte key and an 80-bit tag, a 14-byte salt: media as strong as
/// the 256-bit suite, and what roles::default_own_security_policy proposes
/// for 32-byte keys, parameter for parameter.
inline constexpr std::array<std::uint8_t, 18> conference_srtp_policy{
    0, 1, 1,    // Encryption algorithm: AES-CM
    1, 1, 32,   // Session Encr. key length
    2, 1, 1,    // Authentication algorithm: HMAC-SHA-1
    3, 1, 20,   // Session Auth. key length
    4, 1, 14,   // Session Salt key length
    11, 1, 10,  // Authentication tag length
};

/// What the role machines of a conference block use.
struct machine_config {
    std::string_view kms_identity;  ///< IDRkms
    /// The 256-bit suite of RFC 6043 §6 (what policy_settings::strict_3gpp() allows).
    crypto::algorithm_suite suite{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256};
    std::size_t key_length = 32;  ///< bytes of each ticket TGK and supplied TEK
    /// The SRTP policy (SP parameters, copied) its Initiators offer for every
    /// crypto session of TRANSFER_INIT (Policy no 1, RFC 6043 §6.1.1) and its
    /// Responders, through the role policy, pick. Empty: no offer, the
    /// Responder proposes one (roles::default_own_security_policy).
    bytes_view srtp_policy{conference_srtp_policy};
};

/// The offer of SRTP policy `params` (Policy no 1, every crypto session)
/// for an initiator_config (a view of `params`).
[[nodiscard]] inline roles::policy_offer media_offer(bytes_view params MIKEY_LIFETIMEBOUND) noexcept {
    return {sp_builder{1, prot_type::srtp, {}, params}, {}};
}

/// The desired Ticket Policy of every conference ticket: D (the KMS makes
/// it), E and I (key forking, which makes Resolve mandatory: seeds 000 and
/// 004), F (TRANSFER_RESP, the Responder's authentication), G and H
/// (RANDRr, RANDRi in the key derivations), L and M (either end may supply
/// the focus's media keys: M on call-in, L on call-out).
[[nodiscard]] inline ticket_policy conference_ticket_policy(prf_func prf) noexcept {
    ticket_policy p{};
    p.prf = prf;
    p.flags = *ticket::flags_from_letters("DEFGHILM");
    return p;
}

/// What a TRANSFER_INIT claims before anything is authenticated: used only
/// to refuse early (RFC 6043 §4.2.2.2; seed 000 flow 4b: "detecting
/// unauthorized REFERs as early as possible"); every decision is taken again
/// on the authenticated identities. Views of the TRANSFER_INIT it was read
/// from, which the caller parses once and hands to its Responder after
/// (roles::responder::receive of a transfer_init_view).
struct transfer_claims {
    std::string_view initiator;  ///< IDRi of the ticket's TP Data (empty: none)
    inline_list<roles::crypto_session_spec, roles::max_crypto_sessions> sessions;  ///< the GENERIC-ID map
    validated_chain tp;          ///< the ticket's TP Data payloads
    /// The IDRr of the ticket's TP Data (whom it names as responders).
    [[nodiscard]] std::vector<std::string> responders() const { return ticket::responders_of(tp); }
};

/// The claims of `m`. Errors: unknown_ts_type (a TRs / TRe that is no
/// time), bad_crypto_sessions (not a GENERIC-ID map, or more sessions than
/// roles::max_crypto_sessions).
[[nodiscard]] inline result<transfer_claims> claims_of(const ticket::transfer_init_view& m MIKEY_LIFETIMEBOUND) {
    transfer_claims c{.initiator = {}, .sessions = {}, .tp = m.ticket()->tp_payloads()};
    const auto contents = ticket::read_tp_data(c.tp);
    if (!contents) return contents.error_info();
    if (contents->idri) c.initiator = ticket::as_chars(contents->idri->data());
    const auto h = m.header();
    if (h.map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
    for (const auto& b : generic_id_map(h.map_info())) {
        if (!c.sessions.push_back(roles::detail::session_of(b))) return errc::bad_crypto_sessions;
    }
    return c;
}

/// A TEK with salt the focus supplies for its media to a member (crypto
/// session cs_focus_media): the group TEK or an individual one.
struct media_key {
    secret_buffer<64> key{};
    secret_buffer<32> salt{};
    std::array<std::uint8_t, 4> spi{};
    std::uint32_t ssrc = 0;

    /// Draws a fresh key of `length` bytes, a 14-byte salt (RFC 3711 §8.2)
    /// and an SPI. Errors: key_too_short (under 16 bytes, RFC 6043 §12.1),
    /// key_length_mismatch (over 64), those of the RNG.
    template <random_generator R>
    [[nodiscard]] static result<media_key> draw(R& rng, std::size_t length, std::uint32_t ssrc) noexcept {
        media_key k;
        k.ssrc = ssrc;
        if (length < crypto::min_key_bytes) return errc::key_too_short;
        if (auto ok = k.key.resize(length); !ok) return ok.error_info();
        (void)k.salt.resize(14);  // within the capacity of 32
        if (auto ok = rng.fill(k.key.mutable_view()); !ok) return ok.error_info();
        if (auto ok = rng.fill(k.salt.mutable_view()); !ok) return ok.error_info();
        if (auto ok = rng.fill(k.spi); !ok) return ok.error_info();
        return k;
    }
    /// As a supplied key (views into this object).
    [[nodiscard]] roles::supplied_key supplied() const noexcept MIKEY_LIFETIMEBOUND {
        return roles::supplied_key{.cs_id = cs_focus_media, .ssrc = ssrc, .kind = key_data_type::tek_salt,
                                   .key = key.view(), .salt = salt.view(), .spi = spi};
    }
};

/// An established bundle, held by the one of its role machines that made
/// it: the Responder (call-in, call-out received) or the Initiator (join,
/// call-out made).
template <class Initiator, class Responder>
struct bundle_machine {
    std::unique_ptr<Responder> res;
    std::unique_ptr<Initiator> ini;
    /// f(machine) on whichever machine holds the bundle.
    template <class F>
    decltype(auto) with(F&& f) const {
        return res ? f(*res) : f(*ini);
    }
};


}  // namespace mikey::conference

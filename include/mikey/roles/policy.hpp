// mikey-ticket (roles layer): the role policy. Each role machine is a
// template over a policy type: a plain class whose const member functions
// (hooks) the machine calls to decide what the RFC leaves to the deployment:
// algorithms, keys, authorization, clocks, replay, optional Error messages.
// The concepts below say which hooks each role needs; basic_policy is the
// documented default, with two presets (policy_settings::rfc6043_defaults()
// and policy_settings::strict_3gpp()).
//
// Next to each hook: its default, and the risk of loosening it.
#pragma once

#include <chrono>
#include <concepts>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../core/ntp_time.hpp"
#include "../crypto/algorithms.hpp"
#include "../payload/sp.hpp"
#include "../ticket/key_store.hpp"
#include "../ticket/policy.hpp"
#include "../ticket/replay_cache.hpp"

namespace mikey::roles {

using crypto::algorithm_suite;
using ticket::replay_verdict;

/// Hooks every role uses.
///   check_suite(s)          may this PRF / Encr alg / MAC alg be used
///                           (errors: prf_not_allowed, encr_not_allowed,
///                           mac_not_allowed, algorithm_mix, algorithm_too_weak)
///   clock_window()          largest |T - now| accepted (RFC 3830 §5.4)
///   remember(key, exp, now) the replay cache's insert_if_absent
///   anticipate(key)         optional: a hint that remember(key, ...) follows
///                           (ticket::prefetching_replay_cache); the roles
///                           give it through detail::anticipate_fresh
///   psk_for(id), tpk_for(id) key lookups (ticket::key_store)
///   send_auth_failure_error()  send the OPTIONAL Error on an authentication
///                           failure (RFC 6043 §5.4)
///   kemac_encr(mac)         the Encr alg of the KEMACs this party sends in an
///                           exchange whose messages use Auth alg `mac`
template <class P>
concept common_policy = requires(const P& p, const algorithm_suite& s, bytes_view key, ntp_time t, identity id,
                                 mac_alg mac) {
    { p.kemac_encr(mac) } noexcept -> std::same_as<encr_alg>;
    { p.check_suite(s) } noexcept -> std::same_as<result<void>>;
    { p.clock_window() } noexcept -> std::same_as<std::chrono::seconds>;
    { p.remember(key, t, t) } noexcept -> std::same_as<replay_verdict>;
    { p.psk_for(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
    { p.tpk_for(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
    { p.send_auth_failure_error() } noexcept -> std::same_as<bool>;
};

/// Optional hooks of the Ticket Transfer exchange's security policies (SP
/// payloads, RFC 6043 §4.2.2, §6.1.1). A policy without them gets the free
/// functions below (what basic_policy does too); roles/security_policy.hpp
/// calls them.
///   accept_security_policy(sp, suite)   Initiator and Responder: may a crypto
///                           session run under this SP in an exchange of this
///                           suite (error: sp_not_acceptable). The Responder
///                           asks once per offer and exchange, on receipt of
///                           TRANSFER_INIT (§4.2.2.2), and answers with that choice;
///                           both ask it of the policies a CSB update lists
///                           and of a policy an answer to our update names
///                           for a crypto session that had none (§5.2)
///   own_security_policy(prot, suite, key_length, out)  Responder: the SP
///                           parameters it proposes itself for a crypto
///                           session the Initiator offered none for (#P = 0),
///                           written into `out`; returns them. Either end
///                           answering a CSB update asks it for a crypto
///                           session without a policy that the update lists
///                           none for (e.g. one it adds)
///   accept_changed_security_policy(sp)  Initiator: may the Responder answer
///                           with a policy it was not offered ("If needed ...
///                           the suggested policies MAY be changed", §6.1.1)
///                           (error: sp_changed); either end: may the answer
///                           to its CSB update name another policy than the
///                           one a crypto session runs under

/// Default of accept_security_policy: an SRTP policy (Prot type SRTP) that
/// keeps encryption and authentication on (RFC 3830 §6.10.1: Encryption
/// algorithm not NULL; SRTP / SRTCP encryption and SRTP authentication not
/// off; Authentication algorithm not NULL unless the AEAD AES-GCM, RFC 7714
/// §14.3), with a session encryption key of 16 bytes or more (absent:
/// SRTP's default, 16; RFC 6043 §12.1's 128-bit floor). The suite is not
/// consulted: a 256-bit exchange may carry 128-bit session keys, and the
/// SRTP key cannot be longer than the session key (srtp::master_key_from);
/// a deployment that wants AES-256 media only checks the key length against
/// `s` in its own hook. Whether libsrtp2 runs the policy is
/// srtp::policy_from's to say (the integration layer, above this one).
/// Risk of loosening: a peer talks the media down to NULL encryption or
/// authentication, or to keys under 128 bits.
[[nodiscard]] constexpr result<void> default_accept_security_policy(const sp_view& sp,
                                                                    const algorithm_suite&) noexcept {
    if (sp.protocol() != prot_type::srtp) return errc::sp_not_acceptable;
    // An absent parameter takes SRTP's default (RFC 3830 §6.10.1); one that is present must be readable.
    const auto value = [&sp](srtp_param p, std::uint64_t absent) -> std::optional<std::uint64_t> {
        if (!sp.srtp(p)) return absent;
        return sp.srtp_value(p);
    };
    constexpr std::uint64_t null = 0, aes_gcm = 6;
    const auto encr = value(srtp_param::encryption_algorithm, 1);
    const auto auth = value(srtp_param::authentication_algorithm, 1);
    const auto key = value(srtp_param::session_encryption_key_length, 16);
    if (!encr || !auth || !key || *encr == null || (*auth == null && *encr != aes_gcm)) return errc::sp_not_acceptable;
    for (const auto p : {srtp_param::srtp_encryption, srtp_param::srtcp_encryption, srtp_param::srtp_authentication}) {
        const auto on = value(p, 1);
        if (!on || *on == 0) return errc::sp_not_acceptable;
    }
    if (*key < 16) return errc::sp_not_acceptable;
    return {};
}

/// Default of own_security_policy: for SRTP, AES-CM with the crypto
/// session's key length as master key length (16, 24 or 32 bytes, RFC 3711
/// §4.1.1, RFC 6188; a TEK carrying its salt, key || salt, 14 bytes less;
/// any other length 16), a 14-byte salt, HMAC-SHA-1 with a 20-byte key
/// and an 80-bit tag (RFC 3711 §5.2): the parameters written out in full
/// rather than left to SRTP's defaults. Other Prot types: sp_not_acceptable.
/// Risk: none of loosening; a deployment wanting AES-GCM or 32-bit tags
/// (RFC 3711 §7.5) says so here.
/// Errors: sp_not_acceptable, buffer_too_small (under 18 bytes).
[[nodiscard]] constexpr result<bytes_view> default_own_security_policy(prot_type prot, const algorithm_suite&,
                                                                       std::size_t key_length,
                                                                       mutable_bytes out) noexcept {
    if (prot != prot_type::srtp) return errc::sp_not_acceptable;
    const auto aes = [](std::size_t n) { return n == 16 || n == 24 || n == 32; };
    const std::size_t len = aes(key_length) ? key_length : aes(key_length - 14) ? key_length - 14 : 16;
    const std::uint8_t params[][2] = {
        {static_cast<std::uint8_t>(srtp_param::encryption_algorithm), 1},  // AES-CM
        {static_cast<std::uint8_t>(srtp_param::session_encryption_key_length), static_cast<std::uint8_t>(len)},
        {static_cast<std::uint8_t>(srtp_param::authentication_algorithm), 1},  // HMAC-SHA-1
        {static_cast<std::uint8_t>(srtp_param::session_authentication_key_length), 20},
        {static_cast<std::uint8_t>(srtp_param::session_salt_key_length), 14},
        {static_cast<std::uint8_t>(srtp_param::authentication_tag_length), 10},
    };
    if (out.size() < 3 * std::size(params)) return errc::buffer_too_small;
    std::size_t n = 0;
    for (const auto& p : params) {
        out[n++] = p[0];
        out[n++] = 1;  // Length
        out[n++] = p[1];
    }
    return bytes_view(out.data(), n);
}

/// Default of accept_changed_security_policy: refuse (sp_changed). Risk of
/// loosening: the Responder picks a policy the Initiator never offered;
/// accept_security_policy still applies to it.
[[nodiscard]] constexpr result<void> default_accept_changed_security_policy(const sp_view&) noexcept {
    return errc::sp_changed;
}

/// Hooks of a KMS (RFC 6043 §4.2.1.4, §4.2.3.4).
///   authorize_request(initiator, desired)  may this Initiator get a ticket
///                           with this desired policy (errors: unauthorized_requester,
///                           policy_not_acceptable)
///   grant(initiator, desired)  the policy to grant (the KMS sets K when it
///                           differs, §6.10)
///   ticket_lifetime()       validity granted when the desired TRe is absent or later
///   is_member(responder, group)  responder identity belongs to the group
///                           identity named by an IDRr of the ticket
///   application_of(responder)  the application identity (IDRapp ID Data)
///                           the responder runs, checked against a ticket's
///                           IDRapp list ("If no IDRapp payloads are supplied,
///                           all application IDs are authorized", §6.10)
template <class P>
concept kms_policy = common_policy<P> && requires(const P& p, identity id, const ticket_policy& tp) {
    { p.authorize_request(id, tp) } noexcept -> std::same_as<result<void>>;
    { p.grant(id, tp) } noexcept -> std::same_as<result<ticket_policy>>;
    { p.ticket_lifetime() } noexcept -> std::same_as<std::chrono::seconds>;
    { p.is_member(id, id) } noexcept -> std::same_as<bool>;
    { p.application_of(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
};

/// Hooks of an Initiator (RFC 6043 §4.2.1.6, §4.2.2.4).
///   accept_granted(desired, granted)  is the granted Ticket Policy acceptable
///                           (error: policy_not_acceptable)
template <class P>
concept initiator_policy = common_policy<P> && requires(const P& p, const ticket_policy& tp) {
    { p.accept_granted(tp, tp) } noexcept -> std::same_as<result<void>>;
};

/// Hooks of a Responder (RFC 6043 §4.2.2.2 early reject).
///   accept_ticket(policy)   is the Ticket Policy of a received ticket
///                           acceptable (error: policy_not_acceptable)
///   accept_initiator(id)    may this Initiator (IDRi of the ticket) reach us
template <class P>
concept responder_policy = common_policy<P> && requires(const P& p, const ticket_policy& tp, identity id) {
    { p.accept_ticket(tp) } noexcept -> std::same_as<result<void>>;
    { p.accept_initiator(id) } noexcept -> std::same_as<result<void>>;
};

/// The Encr alg of a KEMAC in an exchange using Auth alg `m`: AES-CM-256 with
/// HMAC-SHA-256-256, AES-CM-128 otherwise (RFC 6043 §12.1 keeps the strength
/// of the algorithms of one exchange equal).
[[nodiscard]] constexpr encr_alg default_kemac_encr(mac_alg m) noexcept {
    return m == mac_alg::hmac_sha_256_256 ? encr_alg::aes_cm_256 : encr_alg::aes_cm_128;
}

/// The settings of basic_policy. Two presets; start from one and change
/// what your deployment decides otherwise.
struct policy_settings {
    /// Allowed PRF funcs / Encr algs / MAC algs, as bit masks over their
    /// registry values. Default: both PRFs, AES-CM-128 and AES-CM-256, both
    /// HMACs. Left out: NULL encryption (session keys and MPKs in the clear;
    /// RFC 3830 §4.2.3 allows it only where the transport protects them),
    /// NULL MAC, and AES-KW-128 (RFC 3394 wraps multiples of 8 bytes and RFC
    /// 3830 defines no padding for a Key data chain: notes/crypto.md). The
    /// strict preset keeps only the 256-bit set.
    std::uint32_t prfs = 0b11, encrs = 0b1010, macs = 0b110;
    /// The Encr alg of the KEMACs this party sends (KMS: tickets,
    /// REQUEST_RESP, RESOLVE_RESP; Initiator / Responder: Transfer KEMACs).
    /// Default (nullopt): AES-CM with the strength of the exchange's MAC alg
    /// (AES-CM-256 with HMAC-SHA-256-256, else AES-CM-128), RFC 6043 §12.1.
    std::optional<encr_alg> kemac_encr{};
    /// Largest |T - now|. Default 5 minutes. Risk: a wider window makes the
    /// replay cache hold entries longer (capacity) and accepts staler messages.
    std::chrono::seconds clock_window{300};
    /// Require key forking (I flag) in every ticket: KMS grants it, Initiator
    /// and Responder refuse tickets without it. Default false (RFC 6043
    /// leaves it to the Ticket Policy; §12.4 RECOMMENDS it). Risk of false:
    /// every party able to resolve the ticket gets the session keys and
    /// TRANSFER_RESP does not authenticate the Responder (seed 004).
    bool require_forking = false;
    /// Refuse tickets that may be reused (J = 1). Default false.
    bool forbid_reuse = false;
    /// Send the OPTIONAL Error on authentication failures (RFC 6043 §5.4).
    /// Default false: RFC 3830 §5.1.2 warns that such Errors help attackers
    /// (DoS, probing). Risk of true: an unauthenticated peer learns that
    /// its MAC failed and draws a reply for every forged message.
    bool send_auth_failure_error = false;
    /// Ticket validity the KMS grants at most. Default 24 h.
    std::chrono::seconds ticket_lifetime{24 * 3600};

    /// RFC 6043 as written: every algorithm, forking as the Initiator asks.
    [[nodiscard]] static policy_settings rfc6043_defaults() noexcept { return {}; }
    /// 3GPP conferencing (TS 33.328, seeds 000 and 004): key forking on every
    /// ticket, only the 256-bit algorithms of RFC 6043 §6 (PRF-HMAC-SHA-256,
    /// AES-CM-256, HMAC-SHA-256-256), a 30 s clock window, no ticket reuse.
    [[nodiscard]] static policy_settings strict_3gpp() noexcept {
        policy_settings s;
        s.prfs = 1u << static_cast<unsigned>(prf_func::prf_hmac_sha_256);
        s.encrs = 1u << static_cast<unsigned>(encr_alg::aes_cm_256);
        s.macs = 1u << static_cast<unsigned>(mac_alg::hmac_sha_256_256);
        s.clock_window = std::chrono::seconds(30);
        s.require_forking = true;
        s.forbid_reuse = true;
        return s;
    }
};

/// The default policy of every role: settings, a key store and a replay
/// cache (both by reference, so that several machines share them: a focus
/// is Initiator and Responder at once), and group membership for the KMS.
template <ticket::key_store Store, ticket::replay_cache Cache>
class basic_policy {
public:
    basic_policy(const Store& store, Cache& cache, policy_settings s = policy_settings::rfc6043_defaults()) noexcept
        : m_store(&store), m_cache(&cache), m_settings(s) {}

    [[nodiscard]] const policy_settings& settings() const noexcept { return m_settings; }

    /// Default: the algorithms allowed by the settings, combined as RFC 6043
    /// §12.1 requires (no mixing of 128-bit and 256-bit algorithms).
    [[nodiscard]] result<void> check_suite(const algorithm_suite& s) const noexcept {
        // The values come from the wire (up to 255): a value past the mask is simply not allowed.
        const auto allowed = [](std::uint32_t mask, unsigned v) { return v < 32 && ((mask >> v) & 1u) != 0; };
        if (!allowed(m_settings.prfs, static_cast<unsigned>(s.prf))) return errc::prf_not_allowed;
        if (!allowed(m_settings.encrs, static_cast<unsigned>(s.encr))) return errc::encr_not_allowed;
        if (!allowed(m_settings.macs, static_cast<unsigned>(s.mac))) return errc::mac_not_allowed;
        return crypto::check_algorithm_suite(s, 0);
    }
    [[nodiscard]] std::chrono::seconds clock_window() const noexcept { return m_settings.clock_window; }
    [[nodiscard]] replay_verdict remember(bytes_view key, ntp_time expires, ntp_time now) const noexcept {
        return m_cache->insert_if_absent(key, expires, now);
    }
    /// The cache's prefetch(key) when it has one (a hint; nothing otherwise).
    MIKEY_ALWAYS_INLINE void anticipate(bytes_view key) const noexcept {
        if constexpr (ticket::prefetching_replay_cache<Cache>) m_cache->prefetch(key);
    }
    [[nodiscard]] std::optional<bytes_view> psk_for(identity id) const noexcept { return m_store->psk_for(id); }
    [[nodiscard]] std::optional<bytes_view> tpk_for(identity id) const noexcept { return m_store->tpk_for(id); }
    [[nodiscard]] bool send_auth_failure_error() const noexcept { return m_settings.send_auth_failure_error; }
    [[nodiscard]] encr_alg kemac_encr(mac_alg mac) const noexcept {
        return m_settings.kemac_encr.value_or(default_kemac_encr(mac));
    }

    /// Default: any Initiator the KMS shares a PSK with (it authenticated)
    /// may request a ticket for any responder. Risk: this is the place for
    /// an ACL of who may talk to whom; the default has none.
    [[nodiscard]] result<void> authorize_request(identity, const ticket_policy& desired) const noexcept {
        if (!desired.is_base_ticket()) return errc::policy_not_acceptable;
        return {};
    }
    /// Default: the desired policy with D = 1 (the KMS generates the
    /// ticket); with require_forking also I, E and F (I implies E; F with a
    /// TGK); with forbid_reuse J = 0; K = 1 when anything changed (§6.10).
    [[nodiscard]] result<ticket_policy> grant(identity, const ticket_policy& desired) const noexcept {
        ticket_policy g = desired;
        g.flags.k = false;
        g.flags.d = true;
        if (m_settings.require_forking) g.flags.i = g.flags.e = g.flags.f = true;
        if (m_settings.forbid_reuse) g.flags.j = false;
        ticket_policy d = desired;
        d.flags.k = false;
        g.flags.k = g != d;
        return g;
    }
    [[nodiscard]] std::chrono::seconds ticket_lifetime() const noexcept { return m_settings.ticket_lifetime; }
    /// Default: the groups added with add_member. Risk: membership decides
    /// who may resolve a ticket issued to a group identity (RFC 6043 §6.10).
    [[nodiscard]] bool is_member(identity member, identity group) const noexcept {
        for (const auto& [m, g] : m_members) {
            if (equal_bytes(ticket::as_bytes(m), member.get()) && equal_bytes(ticket::as_bytes(g), group.get())) return true;
        }
        return false;
    }
    /// Records that `member` belongs to `group` (allocates).
    void add_member(std::string member, std::string group) { m_members.emplace_back(std::move(member), std::move(group)); }
    /// Default: the applications added with add_application; none known
    /// means a ticket that lists IDRapp is refused (fail closed). Risk: a
    /// KMS that answers "any" here ignores the ticket's application limits.
    [[nodiscard]] std::optional<bytes_view> application_of(identity responder) const noexcept {
        for (const auto& [r, a] : m_apps) {
            if (equal_bytes(ticket::as_bytes(r), responder.get())) return ticket::as_bytes(a);
        }
        return std::nullopt;
    }
    /// Records the application `responder` runs (allocates).
    void add_application(std::string responder, std::string app) { m_apps.emplace_back(std::move(responder), std::move(app)); }

    /// Default: refuse a granted policy that drops key forking or the
    /// Resolve exchange the Initiator asked for, changes the PRF or the
    /// Ticket Type, or (with require_forking / forbid_reuse) breaks those.
    /// Risk of loosening: a KMS (or an attacker able to change the KMS's
    /// answer, which the V prevents) downgrades the protection.
    [[nodiscard]] result<void> accept_granted(const ticket_policy& desired, const ticket_policy& granted) const noexcept {
        const auto c = ticket::compare_policies(desired, granted);
        if (c.turned_off.i || c.turned_off.e || c.prf_changed || c.type_changed) return errc::policy_not_acceptable;
        return accept_ticket(granted);
    }
    /// Default: the MIKEY base ticket only, with the settings' forking and
    /// reuse rules. Risk of loosening: see require_forking.
    [[nodiscard]] result<void> accept_ticket(const ticket_policy& p) const noexcept {
        if (!p.is_base_ticket()) return errc::policy_not_acceptable;
        if (m_settings.require_forking && !p.flags.i) return errc::policy_not_acceptable;
        if (m_settings.forbid_reuse && p.flags.j) return errc::policy_not_acceptable;
        return {};
    }
    /// Default: any Initiator (the ticket's IDRi, vouched for by the KMS).
    [[nodiscard]] result<void> accept_initiator(identity) const noexcept { return {}; }

    /// Default: default_accept_security_policy (encryption and
    /// authentication on, keys of 128 bits or more); see there for the risk.
    [[nodiscard]] result<void> accept_security_policy(const sp_view& sp, const algorithm_suite& s) const noexcept {
        return default_accept_security_policy(sp, s);
    }
    /// Default: default_own_security_policy (AES-CM with the session key
    /// length, HMAC-SHA-1 80-bit tag).
    [[nodiscard]] result<bytes_view> own_security_policy(prot_type prot, const algorithm_suite& s, std::size_t key_length,
                                                         mutable_bytes out) const noexcept {
        return default_own_security_policy(prot, s, key_length, out);
    }
    /// Default: refuse a policy the Initiator did not offer (sp_changed).
    [[nodiscard]] result<void> accept_changed_security_policy(const sp_view& sp) const noexcept {
        return default_accept_changed_security_policy(sp);
    }

private:
    const Store* m_store;
    Cache* m_cache;
    policy_settings m_settings;
    std::vector<std::pair<std::string, std::string>> m_members;
    std::vector<std::pair<std::string, std::string>> m_apps;
};

}  // namespace mikey::roles

// mikey-ticket fuzzing: what the three role-machine targets share
// (fuzz_kms, fuzz_initiator, fuzz_responder). Each target is
//
//     static void fuzz_one(mikey::bytes_view in) { mikey_fuzz::roles_fuzz::run(in, role::kms); }
//
// The input is read as choices (provider.hpp), in this order:
//
//   header (17 bytes, see `layout`):
//     u32  seed of the deterministic RNG every machine draws from
//     u8   scenario: mode (bits 0-1, + 1), forking (2), 256-bit suite (3),
//          group ticket (4: the ticket names a group the Responder is a member
//          of), reuse (5: J), F = 0 (6), one session (7)
//     u8   key kind (TEK, TGK, GTGK, TEK+SALT, TGK+SALT: bits 0-2 % 5),
//          IDRapp listed (3), sessions (bits 4-5: one to three), the
//          Initiator supplies a key in TRANSFER_INIT (6: L), the Responder
//          one in TRANSFER_RESP (7: M)
//     u8   flag toggles of the desired Ticket Policy (G, H, E, M, N, L, O, D)
//     10 x u8  the decisions of the machine under test (`decisions`: 0 is
//          the documented default of basic_policy everywhere; the KMS's
//          application_of shares the last byte); the other two
//          machines run with the defaults and a one-hour clock window
//   then up to max_actions actions, each a byte (`action` = byte % 8) and
//   its parameters:
//     advance   deliver the genuine message in flight to the target; when
//               none is for the target: the Initiator's next call (target
//               Initiator), or a new flow (the others)
//     mutate    a genuine message (in flight, or one of the earlier ones)
//               with 1-4 edits: bit flip, truncation, overwrite, splice of
//               another message, insertion of input bytes, erasure
//     replay    an earlier message (any sender, any receiver)
//     raw       a byte string of the input
//     time      `now` jumps (forward, or back)
//     call      Initiator: start_request / create_ticket / start_transfer /
//               abandon / start_update (CSB update, RFC 6043 §5.2), or the
//               helper Responder's CSB update; Responder: abandon or
//               start_update, or the helper Initiator's CSB update or
//               ticket reuse; KMS: a new flow. A CSB update (update_request)
//               may add a session, rekey, ask for an answer, and offer a
//               security policy (§6.1.1)
//     restart   a new flow: new helper machines, the first message sent
//
// Messages between the two helper machines, and from the target to a
// helper, are delivered as they are (the helpers make the flow go on).
//
// After every input to the machine under test (MIKEY_FUZZ_CHECK aborts):
//   - a refusal's errc is never ok, crypto_backend_failure,
//     invalid_argument or buffer_too_small, its offset is inside the input,
//     it reports no event, and the machine's observable
//     state (current(), session_keys(), peer identities, MPKs, ticket,
//     policies, each session's security policy) is unchanged: for the Responder except the documented
//     abandonment of an exchange, allowed only on a RESOLVE_RESP the KMS
//     made (a genuine one) and only back to idle / established;
//   - a refusal sends nothing or an Error (never another message); an Error
//     parses (request_resolve_error_view / transfer_error_view), copies the
//     offending CSB ID and carries ERR = wire_error(error); no Error for an
//     authentication failure unless the policy asks for it; an input that is
//     an Error is refused and never answered;
//   - an accepted input is byte-identical to a message one of the machines
//     made (a mutated or raw input is never accepted as authentic), except
//     a TRANSFER_INIT the Responder takes for resolution by the KMS (modes 1
//     and 3, or E = 1: it cannot verify it before the ticket is resolved),
//     which must not change its keys; and the same bytes are never accepted twice (replay
//     protection) while time has not gone back;
//   - when the Initiator and the Responder both hold keys from the same
//     TRANSFER_INITs (the initial exchange's and every CSB update since,
//     whichever end started it), their crypto-session keys (TEK, salt,
//     TGK') are equal, and each session runs under the same security policy.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <mikey/crypto/botan_backend.hpp>
#include <mikey/crypto/deterministic_rng.hpp>
#include <mikey/roles/initiator.hpp>
#include <mikey/roles/kms.hpp>
#include <mikey/roles/responder.hpp>
#include <mikey/ticket/messages.hpp>

#include "fuzz_main.hpp"
#include "provider.hpp"

#ifdef MIKEY_FUZZ_TRACE
#include <cstdio>
#endif

namespace mikey_fuzz::roles_fuzz {

using namespace mikey;
using bytes = std::vector<std::uint8_t>;
using B = crypto::botan_backend;
using cache = ticket::memory_replay_cache<1024>;
using base_policy = roles::basic_policy<ticket::memory_key_store, cache>;
using crypto::algorithm_suite;
using ticket::replay_verdict;

enum class role : std::uint8_t { initiator, responder, kms };

/// Where things are in an input (the seed generator writes inputs by it).
struct layout {
    static constexpr std::size_t seed = 0;       ///< u32
    static constexpr std::size_t scenario = 4;   ///< u8
    static constexpr std::size_t kind = 5;       ///< u8
    static constexpr std::size_t toggles = 6;    ///< u8
    static constexpr std::size_t decisions = 7;  ///< 10 x u8
    static constexpr std::size_t actions = 17;
};
inline constexpr std::size_t max_actions = 40;

enum class action : std::uint8_t { advance, mutate, replay, raw, time, call, restart, advance2 };

// ------------------------------------------------------------------ policy

/// The policy decisions of one machine, each a byte; 0 is basic_policy's default.
struct decisions {
    std::uint8_t suite = 0;             ///< % 8: default, no HMAC-SHA-1, no PRF-HMAC-SHA-256, no AES-CM-256, none, 256-bit only, RFC 6043 §12.1 only, default
    std::uint8_t clock = 0;             ///< % 8: window 300 s, 0, 1, 30, 3600, 1 day, 1 week, 120 s
    std::uint8_t authorize = 0;         ///< % 4: default, unauthorized_requester, policy_not_acceptable, anything
    std::uint8_t grant = 0;             ///< % 8: default, J toggled, forking forced, G cleared, PRF changed, refused, forking dropped, as desired
    std::uint8_t accept_granted = 0;    ///< % 3: default, refused, anything
    std::uint8_t accept_ticket = 0;     ///< % 3: default, refused, anything
    std::uint8_t accept_initiator = 0;  ///< bit 0: default (anyone), refused; bits 1-2 (% 4): the security-policy hooks:
                                        ///< default, every SP refused, every SP (and change) accepted, own SP with NULL encryption
    std::uint8_t member = 0;            ///< % 3: default (the scenario's group), never, always
    std::uint8_t lifetime = 0;          ///< % 6: ticket lifetime 24 h, 0, 1 s, 60 s, 1 h, 30 days
    std::uint8_t auth_error = 0;        ///< bit 0: send_auth_failure_error; bits 1-2 (% 4): application_of default, none, "app-a", "app-b"

    static decisions read(provider& p) noexcept {
        decisions d;
        d.suite = p.u8();
        d.clock = p.u8();
        d.authorize = p.u8();
        d.grant = p.u8();
        d.accept_granted = p.u8();
        d.accept_ticket = p.u8();
        d.accept_initiator = p.u8();
        d.member = p.u8();
        d.lifetime = p.u8();
        d.auth_error = p.u8();
        return d;
    }
    /// The helpers: defaults with a one-hour clock window (time jumps meant
    /// for the target should not stop the flow at once).
    static decisions helper() noexcept {
        decisions d;
        d.clock = 4;
        return d;
    }
};

/// A role policy whose hooks answer from fuzzed decisions, falling back to
/// basic_policy (the key store, the replay cache and the group membership
/// are basic_policy's). One type for the three roles.
class fuzz_policy {
public:
    fuzz_policy(const ticket::memory_key_store& ks, cache& c, decisions d) : m_base(ks, c), m_d(d) {}

    void add_member(std::string member, std::string group) { m_base.add_member(std::move(member), std::move(group)); }
    void add_application(std::string responder, std::string app) {
        m_base.add_application(std::move(responder), std::move(app));
    }

    [[nodiscard]] result<void> check_suite(const algorithm_suite& s) const noexcept {
        switch (m_d.suite % 8) {
            case 1:
                if (s.mac == mac_alg::hmac_sha_1_160) return errc::mac_not_allowed;
                break;
            case 2:
                if (s.prf == prf_func::prf_hmac_sha_256) return errc::prf_not_allowed;
                break;
            case 3:
                if (s.encr == encr_alg::aes_cm_256) return errc::encr_not_allowed;
                break;
            case 4: return errc::algorithm_too_weak;
            case 5:
                if (s.prf != prf_func::prf_hmac_sha_256) return errc::prf_not_allowed;
                if (s.mac != mac_alg::hmac_sha_256_256) return errc::mac_not_allowed;
                break;
            case 6:
                // Whatever RFC 6043 §12.1 allows, without the settings' masks; the
                // NULL MAC stays refused (it would make anything "authentic").
                if (s.mac == mac_alg::null) return errc::mac_not_allowed;
                return crypto::check_algorithm_suite(s, 0);
            default: break;
        }
        return m_base.check_suite(s);
    }
    [[nodiscard]] std::chrono::seconds clock_window() const noexcept {
        static constexpr std::array<long, 8> w = {300, 0, 1, 30, 3600, 86400, 7 * 86400, 120};
        return std::chrono::seconds(w[m_d.clock % 8]);
    }
    [[nodiscard]] replay_verdict remember(bytes_view key, ntp_time expires, ntp_time now) const noexcept {
        return m_base.remember(key, expires, now);
    }
    [[nodiscard]] std::optional<bytes_view> psk_for(identity id) const noexcept { return m_base.psk_for(id); }
    [[nodiscard]] std::optional<bytes_view> tpk_for(identity id) const noexcept { return m_base.tpk_for(id); }
    [[nodiscard]] bool send_auth_failure_error() const noexcept { return (m_d.auth_error & 1) != 0; }
    [[nodiscard]] encr_alg kemac_encr(mac_alg mac) const noexcept { return m_base.kemac_encr(mac); }

    [[nodiscard]] result<void> authorize_request(identity id, const ticket_policy& desired) const noexcept {
        switch (m_d.authorize % 4) {
            case 1: return errc::unauthorized_requester;
            case 2: return errc::policy_not_acceptable;
            case 3: return {};
            default: return m_base.authorize_request(id, desired);
        }
    }
    [[nodiscard]] result<ticket_policy> grant(identity id, const ticket_policy& desired) const noexcept {
        auto g = m_base.grant(id, desired);
        if (!g) return g;
        switch (m_d.grant % 8) {
            case 1: g->flags.j = !g->flags.j; break;
            case 2: g->flags.i = g->flags.e = g->flags.f = true; break;
            case 3: g->flags.g = false; break;
            case 4:
                g->prf = g->prf == prf_func::mikey_1 ? prf_func::prf_hmac_sha_256 : prf_func::mikey_1;
                break;
            case 5: return errc::policy_not_acceptable;
            case 6: g->flags.i = g->flags.e = false; break;
            case 7: g = desired; break;
            default: return g;
        }
        // RFC 6043 §6.10: K reports a change.
        ticket_policy d = desired;
        d.flags.k = false;
        g->flags.k = false;
        g->flags.k = *g != d;
        return g;
    }
    [[nodiscard]] std::chrono::seconds ticket_lifetime() const noexcept {
        static constexpr std::array<long, 6> t = {86400, 0, 1, 60, 3600, 30 * 86400};
        return std::chrono::seconds(t[m_d.lifetime % 6]);
    }
    [[nodiscard]] bool is_member(identity member, identity group) const noexcept {
        switch (m_d.member % 3) {
            case 1: return false;
            case 2: return true;
            default: return m_base.is_member(member, group);
        }
    }
    [[nodiscard]] std::optional<bytes_view> application_of(identity responder) const noexcept {
        switch (m_d.auth_error >> 1 & 3) {
            case 1: return std::nullopt;
            case 2: return ticket::as_bytes("app-a");
            case 3: return ticket::as_bytes("app-b");
            default: return m_base.application_of(responder);
        }
    }
    [[nodiscard]] result<void> accept_granted(const ticket_policy& desired, const ticket_policy& granted) const noexcept {
        switch (m_d.accept_granted % 3) {
            case 1: return errc::policy_not_acceptable;
            case 2: return {};
            default: return m_base.accept_granted(desired, granted);
        }
    }
    [[nodiscard]] result<void> accept_ticket(const ticket_policy& p) const noexcept {
        switch (m_d.accept_ticket % 3) {
            case 1: return errc::policy_not_acceptable;
            case 2: return {};
            default: return m_base.accept_ticket(p);
        }
    }
    [[nodiscard]] result<void> accept_initiator(identity id) const noexcept {
        if (m_d.accept_initiator % 2 == 1) return errc::unauthorized_requester;
        return m_base.accept_initiator(id);
    }
    [[nodiscard]] result<void> accept_security_policy(const sp_view& sp, const algorithm_suite& s) const noexcept {
        switch (sp_mode()) {
            case 1: return errc::sp_not_acceptable;
            case 2: return {};
            default: return m_base.accept_security_policy(sp, s);
        }
    }
    [[nodiscard]] result<bytes_view> own_security_policy(prot_type prot, const algorithm_suite& s, std::size_t key_length,
                                                         mutable_bytes out) const noexcept {
        if (sp_mode() == 3 && out.size() >= 3) {
            // SRTP with the NULL Encryption algorithm: the peer's default accept_security_policy refuses it.
            out[0] = static_cast<std::uint8_t>(srtp_param::encryption_algorithm);
            out[1] = 1;
            out[2] = 0;
            return bytes_view(out.data(), 3);
        }
        return m_base.own_security_policy(prot, s, key_length, out);
    }
    [[nodiscard]] result<void> accept_changed_security_policy(const sp_view& sp) const noexcept {
        if (sp_mode() == 2) return {};
        return m_base.accept_changed_security_policy(sp);
    }

private:
    [[nodiscard]] unsigned sp_mode() const noexcept { return (m_d.accept_initiator >> 1) & 3u; }
    base_policy m_base;
    decisions m_d;
};

static_assert(roles::kms_policy<fuzz_policy>);
static_assert(roles::initiator_policy<fuzz_policy>);
static_assert(roles::responder_policy<fuzz_policy>);

// ---------------------------------------------------------------- scenario

inline constexpr key_data_type key_kinds[] = {key_data_type::tek, key_data_type::tgk, key_data_type::gtgk,
                                              key_data_type::tek_salt, key_data_type::tgk_salt};

/// What one input runs: RFC 6043 §4.1.1 mode, forking, keys, suite, flags.
struct scenario {
    std::uint32_t seed = 1;
    int mode = 1;
    bool forking = false, strong = false, group = false, reuse = false, no_f = false;
    bool apps = false;          ///< the TP lists IDRapp "app-a" (RFC 6043 §6.10)
    bool supply = false;        ///< the Initiator supplies a session key in TRANSFER_INIT (L)
    bool respond_keys = false;  ///< the Responder supplies one in TRANSFER_RESP (M)
    key_data_type kind = key_data_type::tgk;
    std::size_t sessions = 1;
    std::uint8_t toggles = 0;

    static scenario read(provider& p) noexcept {
        scenario s;
        s.seed = p.u32();
        const auto m = p.u8();
        s.mode = (m & 3) + 1;
        s.forking = (m >> 2 & 1) != 0;
        s.strong = (m >> 3 & 1) != 0;
        s.group = (m >> 4 & 1) != 0;
        s.reuse = (m >> 5 & 1) != 0;
        s.no_f = (m >> 6 & 1) != 0;
        const auto k = p.u8();
        s.kind = key_kinds[(k & 7) % 5];
        s.apps = (k >> 3 & 1) != 0;
        s.supply = (k >> 6 & 1) != 0;
        s.respond_keys = (k >> 7 & 1) != 0;
        s.sessions = (m >> 7 & 1) != 0 ? 1 : 1 + (k >> 4 & 3) % 3;
        s.toggles = p.u8();
        return s;
    }
    [[nodiscard]] algorithm_suite suite() const noexcept {
        return strong ? algorithm_suite{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256}
                      : algorithm_suite{prf_func::mikey_1, encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160};
    }
    /// The desired Ticket Policy: as tests/flow_harness.hpp makes it, then the toggles.
    [[nodiscard]] ticket_policy desired() const noexcept {
        std::string letters = mode <= 2 ? "DFGHO" : "FGHLO";
        if (forking) letters += "EI";
        if (reuse) letters += "J";
        ticket_policy d{};
        d.prf = suite().prf;
        d.flags = *ticket::flags_from_letters(letters);
        if (no_f) d.flags.f = false;
        if (supply) d.flags.l = true;
        if (respond_keys) d.flags.m = true;
        auto& f = d.flags;
        bool* const bits[] = {&f.g, &f.h, &f.e, &f.m, &f.n, &f.l, &f.o, &f.d};
        for (std::size_t i = 0; i < 8; ++i) {
            if ((toggles >> i & 1) != 0) *bits[i] = !*bits[i];
        }
        return d;
    }
};

inline const ntp_time base_now = ntp_time::from_unix(1796169600);  // 2026-12-02T00:00:00Z
inline constexpr std::string_view alice = "sip:alice@example.org", bob = "sip:bob@example.org",
                                  team = "sip:team@example.org", kms_name = "kms.example.org";

/// The one Botan backend (made once: it holds no state between calls).
inline B& backend() {
    static const std::unique_ptr<B> b = [] {
        auto r = B::create();
        MIKEY_FUZZ_CHECK(r.has_value());
        return std::make_unique<B>(std::move(*r));
    }();
    return *b;
}

// ------------------------------------------------------------------- world

using kms_t = roles::kms<B, fuzz_policy>;
using initiator_t = roles::initiator<B, fuzz_policy>;
using responder_t = roles::responder<B, fuzz_policy>;

/// Three machines with their key stores, replay caches and policies (the
/// keys placed as the mode says, RFC 6043 §4.1.1), one deterministic RNG.
/// The helpers can be made anew (a new flow); the target never is.
struct world {
    scenario s;
    role target;
    ticket::memory_key_store ks_kms, ks_i, ks_r;
    std::unique_ptr<cache> c_kms = std::make_unique<cache>(), c_i = std::make_unique<cache>(),
                           c_r = std::make_unique<cache>();
    std::optional<fuzz_policy> p_kms, p_i, p_r;
    crypto::deterministic_rng<B> rng;
    std::vector<roles::crypto_session_spec> cs;
    std::array<std::string_view, 1> authorized{};
    std::array<std::string_view, 1> apps{"app-a"};
    bytes supplied_key_bytes = bytes(32, 0x5A), supplied_salt = bytes(14, 0x5B), response_key_bytes = bytes(32, 0x6A),
          response_salt = bytes(14, 0x6B);
    std::array<std::uint8_t, 4> supplied_spi{0xA1, 0xA2, 0xA3, 0xA4}, response_spi{0xB1, 0xB2, 0xB3, 0xB4},
        update_answer_spi{0xC1, 0xC2, 0xC3, 0xC4};
    std::optional<kms_t> kms;
    std::optional<initiator_t> ini;
    std::optional<responder_t> res;

    world(const scenario& sc, role t, const decisions& d) : s(sc), target(t), rng(backend(), sc.seed) {
        const bytes psk_i(32, 0x11), psk_r(32, 0x22), tpk(32, 0x33);
        const auto id = [](std::string_view x) { return ticket::as_bytes(x); };
        bool ok = ks_kms.add_psk(id(alice), psk_i) && ks_kms.add_psk(id(bob), psk_r) && ks_i.add_psk(id(alice), psk_i) &&
                  ks_r.add_psk(id(bob), psk_r);
        if (s.mode <= 3) ok = ok && ks_kms.add_tpk({}, tpk);
        if (s.mode == 2 || s.mode == 4) ok = ok && ks_r.add_tpk({}, tpk);
        if (s.mode >= 3) ok = ok && ks_i.add_tpk({}, tpk);
        MIKEY_FUZZ_CHECK(ok);
        p_kms.emplace(ks_kms, *c_kms, t == role::kms ? d : decisions::helper());
        p_i.emplace(ks_i, *c_i, t == role::initiator ? d : decisions::helper());
        p_r.emplace(ks_r, *c_r, t == role::responder ? d : decisions::helper());
        if (s.group) p_kms->add_member(std::string(bob), std::string(team));
        p_kms->add_application(std::string(bob), "app-a");
        for (std::size_t i = 0; i < s.sessions; ++i) {
            cs.push_back({static_cast<std::uint8_t>(i + 1), static_cast<std::uint32_t>(0x1000 + i)});
        }
        authorized[0] = s.group ? team : bob;
        kms.emplace(backend(), *p_kms, roles::kms_config{kms_name, {}});
        make_initiator();
        make_responder();
    }
    void make_initiator() {
        ini.emplace(backend(), *p_i,
                    roles::initiator_config{.identity = alice,
                                            .kms_identity = kms_name,
                                            .responder = bob,
                                            .authorized_responders = authorized,
                                            .applications = s.apps ? std::span<const std::string_view>(apps)
                                                                   : std::span<const std::string_view>(),
                                            .desired = s.desired(),
                                            .key_kind = s.kind,
                                            .key_length = s.strong ? 32u : 16u,
                                            .sessions = cs,
                                            .suite = s.suite()});
    }
    void make_responder() {
        res.emplace(backend(), *p_r, roles::responder_config{.identity = bob, .kms_identity = kms_name, .suite = s.suite()});
        if (s.respond_keys) {
            const roles::supplied_key k{10, 0x6666, key_data_type::tek_salt, bytes_view(response_key_bytes).first(s.strong ? 32 : 16),
                                        response_salt, response_spi};
            MIKEY_FUZZ_CHECK(res->set_response_keys(std::span<const roles::supplied_key>(&k, 1)).has_value());
        }
    }
    /// The session key the Initiator supplies (L), crypto session 9.
    [[nodiscard]] roles::supplied_key supplied() const noexcept {
        return {9, 0x9999, key_data_type::tek_salt, bytes_view(supplied_key_bytes).first(s.strong ? 32 : 16),
                supplied_salt, supplied_spi};
    }
};

// ------------------------------------------------------------- snapshots

inline void put(bytes& out, bytes_view v) {
    out.push_back(static_cast<std::uint8_t>(v.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(v.size()));
    out.insert(out.end(), v.begin(), v.end());
}
inline void put(bytes& out, const ticket_policy& p) {
    out.push_back(static_cast<std::uint8_t>(p.kind));
    out.push_back(p.subtype);
    out.push_back(p.version);
    out.push_back(static_cast<std::uint8_t>(p.prf));
    const auto l = ticket::to_letters(p.flags);
    put(out, ticket::as_bytes(l.view()));
}
inline void put(bytes& out, std::span<const roles::session_key> keys) {
    out.push_back(static_cast<std::uint8_t>(keys.size()));
    for (const auto& k : keys) {
        out.push_back(k.cs.get());
        out.push_back(static_cast<std::uint8_t>(k.kind));
        put(out, k.key.view());
        put(out, k.tek.view());
        put(out, k.salt.view());
        put(out, k.spi_view());
    }
}

/// What can be observed of a machine from outside: its state and the rest.
struct snapshot {
    int state = 0;
    bytes rest;
    friend bool operator==(const snapshot&, const snapshot&) = default;
};
/// The security policy of each crypto session of `m` (RFC 6043 §6.1.1): Prot type and parameters, or none.
template <class Machine>
void put_policies(bytes& out, const Machine& m) {
    for (const auto& k : m.session_keys()) {
        const auto sp = m.security_policy(k.cs);
        out.push_back(sp ? static_cast<std::uint8_t>(sp->protocol()) : 0xFF);
        if (sp) put(out, sp->param_bytes());
    }
}
inline snapshot observe(const kms_t& k) {
    snapshot s;
    put(s.rest, ticket::as_bytes(k.identity_name()));
    return s;
}
inline snapshot observe(const initiator_t& m) {
    snapshot s;
    s.state = static_cast<int>(m.current());
    put(s.rest, m.granted());
    put(s.rest, m.ticket());
    put(s.rest, m.mpki());
    put(s.rest, m.mpkr());
    put(s.rest, m.mpkr_forked());
    put(s.rest, m.peer_identity());
    put(s.rest, m.session_keys());
    put_policies(s.rest, m);
    return s;
}
inline snapshot observe(const responder_t& m) {
    snapshot s;
    s.state = static_cast<int>(m.current());
    put(s.rest, m.peer_identity());
    put(s.rest, m.answering_identity());
    put(s.rest, m.policy());
    put(s.rest, m.mpki());
    put(s.rest, m.mpkr_forked());
    put(s.rest, m.session_keys());
    put_policies(s.rest, m);
    return s;
}

/// Errors that would mean a refusal was not understood: never expected for hostile input.
[[nodiscard]] inline bool generic(errc e) noexcept {
    return e == errc::ok || e == errc::crypto_backend_failure || e == errc::invalid_argument ||
           e == errc::buffer_too_small;
}

/// Who receives a message of type `t` from `from`. The CSB update the
/// Responder starts goes to the Initiator, and its answer back (RFC 6043
/// §5.2: "The CSB updating can also be started by the Responder").
[[nodiscard]] inline role receiver_of(data_type t, role from) noexcept {
    switch (t) {
        case data_type::request_init_psk:
        case data_type::resolve_init_psk: return role::kms;
        case data_type::transfer_init: return from == role::responder ? role::initiator : role::responder;
        case data_type::request_resp: return role::initiator;
        case data_type::transfer_resp: return from == role::initiator ? role::responder : role::initiator;
        default: return role::responder;
    }
}

// ------------------------------------------------------------------ CSB updates

/// A CSB update as the fuzz input asks for it (RFC 6043 §5.2), by either
/// end: the bundle's crypto sessions, maybe one more, maybe new keys for all
/// (`rekey`), maybe an answer, maybe keys in that answer (the Initiator's
/// update only), maybe one security policy offered (§6.1.1) for one of its
/// sessions or for all, with SRTP parameters from a table or raw (often
/// malformed: then invalid_argument, nothing sent). Views itself: not copied.
struct update_request {
    update_request(provider& p, const std::vector<roles::crypto_session_spec>& cs, const scenario& s) : sessions(cs) {
        const auto how = p.u8();
        rekey = (how & 2) != 0;
        want_response = (how & 4) == 0;
        answer_keys = (how & 8) != 0;
        // Growing a TEK bundle needs new keys (a TEK is never shared): invalid_argument otherwise.
        if ((how & 1) != 0 && (rekey || !(s.kind == key_data_type::tek || s.kind == key_data_type::tek_salt))) {
            sessions.push_back({5, 0x5555});
        }
        if ((how & 16) != 0 && !sessions.empty()) {
            static constexpr std::uint8_t known[2][6] = {{0, 1, 1, 1, 1, 16}, {0, 1, 0, 1, 1, 16}};
            const std::uint8_t no = p.u8(), pick = p.u8();
            m_cs = sessions[p.u8() % sessions.size()].cs_id;
            raw_offer = pick >= 2;
            const bytes_view params = raw_offer ? p.take(pick % 13) : bytes_view(known[pick]);
            m_offer = {sp_builder{no, prot_type::srtp, {}, params}, (how & 32) != 0 ? bytes_view{} : bytes_view(&m_cs, 1)};
            m_has_offer = true;
        }
    }
    update_request(const update_request&) = delete;
    update_request& operator=(const update_request&) = delete;

    [[nodiscard]] std::span<const roles::policy_offer> offers() const noexcept {
        return m_has_offer ? std::span<const roles::policy_offer>(&m_offer, 1) : std::span<const roles::policy_offer>();
    }

    std::vector<roles::crypto_session_spec> sessions;
    bool rekey = false, want_response = true, answer_keys = false;
    bool raw_offer = false;  ///< offered raw SP parameters: invalid_argument is the answer to bad ones

private:
    std::uint8_t m_cs = 0;
    roles::policy_offer m_offer{};
    bool m_has_offer = false;
};

// ------------------------------------------------------------------ driver

/// One message some machine made.
struct message {
    bytes wire;
    role from{}, to{};
    data_type type{};
};

class driver {
public:
    driver(bytes_view in, role target)
        : m_p(in), m_s(scenario::read(m_p)), m_w(m_s, target, decisions::read(m_p)), m_target(target) {}

    void run() {
        begin_flow();
        for (std::size_t i = 0; i < max_actions && m_p.remaining() > 0; ++i) {
            pump();
            if (m_p.remaining() == 0) break;
            step(static_cast<action>(m_p.u8() % 8));
        }
        pump();
    }

private:
    static constexpr std::size_t max_history = 48;

    provider m_p;
    scenario m_s;
    world m_w;
    role m_target;
    ntp_time m_now = base_now;
    bool m_time_went_back = false;
    std::vector<message> m_history;      ///< every message a machine made, in order (the genuine ones)
    std::optional<message> m_pending;    ///< the genuine message in flight
    std::set<bytes> m_accepted;          ///< inputs the target accepted as authentic
    /// Where each end's keys come from: the TRANSFER_INIT of the initial
    /// exchange, then every CSB update (RFC 6043 §5.2) applied since; keys
    /// are compared when both ends went the same way (an update one end
    /// missed legitimately makes them differ).
    std::vector<bytes> m_ini_lineage, m_res_lineage;
    bytes m_ini_last_ti;     ///< the Initiator's last TRANSFER_INIT
    bytes m_res_pending_ti;  ///< the TRANSFER_INIT the Responder is having resolved
    bytes m_res_last_update;  ///< the Responder's last CSB update (RFC 6043 §5.2)
    std::array<std::uint8_t, 8192> m_out{};

    // ----------------------------------------------------------- flows

    /// Sends the first message of the mode (RFC 6043 §4.1.1): REQUEST_INIT
    /// (modes 1, 2) or, with a ticket made by the Initiator, TRANSFER_INIT.
    void begin_flow() {
        if (m_w.ini->current() != initiator_t::state::idle) return;
        if (m_s.mode <= 2) {
            initiator_call(0);
        } else if (initiator_call(1)) {
            initiator_call(2);
        }
    }
    /// A new flow: new helper machines, then the first message.
    void restart() {
        m_pending.reset();
        if (m_target != role::initiator) {
            m_w.make_initiator();
            m_ini_last_ti.clear();
            m_ini_lineage.clear();
        }
        if (m_target != role::responder) {
            m_w.make_responder();
            m_res_pending_ti.clear();
            m_res_last_update.clear();
            m_res_lineage.clear();
        } else if (m_w.res->current() == responder_t::state::awaiting_resolve_resp) {
            responder_abandon();  // the Resolve of the last flow timed out
        }
        begin_flow();
    }

    void step(action a) {
        switch (a) {
            case action::advance:
            case action::advance2: advance(); break;
            case action::mutate: {
                const message* base = pick(m_p.flag());
                if (base != nullptr) deliver_to_target(mutate(base->wire));
                break;
            }
            case action::replay:
                if (!m_history.empty()) deliver_to_target(bytes(m_history[m_p.below(static_cast<unsigned>(m_history.size()))].wire));
                break;
            case action::raw: {
                const auto f = m_p.field();
                deliver_to_target(bytes(f.begin(), f.end()));
                break;
            }
            case action::time: jump(); break;
            case action::call:
                if (m_target == role::initiator) {
                    // One of its calls, or the helper Responder's CSB update.
                    const unsigned which = m_p.u8() % 6;
                    if (which < 5) {
                        initiator_call(which);
                    } else {
                        responder_update();
                    }
                } else if (m_target == role::responder) {
                    // abandon() or its CSB update, or the helper Initiator's CSB update or ticket reuse.
                    switch (m_p.u8() % 4) {
                        case 0: responder_abandon(); break;
                        case 1: initiator_call(4); break;
                        case 2: initiator_call(2); break;
                        default: responder_update(); break;
                    }
                } else {
                    restart();
                }
                break;
            case action::restart: restart(); break;
        }
    }

    /// The Responder's CSB update (RFC 6043 §5.2: "The CSB updating can also
    /// be started by the Responder"), checked like an input when the
    /// Responder is the target: a refusal sends nothing and changes nothing.
    void responder_update() {
        if (!m_w.res) return;
        auto& res = *m_w.res;
        const update_request u(m_p, m_w.cs, m_s);
        const auto before = observe(res);
        const auto o = res.start_update(m_now, m_w.rng, m_out, u.sessions, u.rekey, u.want_response, {}, u.offers());
        trace("start_update", role::responder, {}, o);
        if (m_target == role::responder) {
            if (!o.ok()) {
                MIKEY_FUZZ_CHECK(!generic(o.error) || (u.raw_offer && o.error == errc::invalid_argument));
                MIKEY_FUZZ_CHECK(o.send.empty());
                MIKEY_FUZZ_CHECK(observe(res) == before);
            } else {
                MIKEY_FUZZ_CHECK(o.send_type == data_type::transfer_init && !o.send.empty());
            }
        }
        track(role::responder, {}, o);
        if (o.ok()) record(role::responder, o, std::nullopt);
    }

    /// The Responder gives up a pending Resolve (the caller's timeout).
    void responder_abandon() {
        const auto before = observe(*m_w.res);
        m_w.res->abandon();
        const auto after = observe(*m_w.res);
        // abandon() drops the pending exchange only.
        MIKEY_FUZZ_CHECK(after.rest == before.rest);
        MIKEY_FUZZ_CHECK(after.state == static_cast<int>(m_w.res->session_keys().empty() ? responder_t::state::idle
                                                                                           : responder_t::state::established));
        m_res_pending_ti.clear();
        if (m_pending && m_pending->to == role::responder && m_pending->type == data_type::resolve_resp) m_pending.reset();
    }

    /// The genuine message in flight to the target, or the Initiator's next call, or a new flow.
    void advance() {
        if (m_pending && m_pending->to == m_target) {
            const bytes wire = m_pending->wire;
            deliver_to_target(wire);
            return;
        }
        if (m_target == role::initiator) {
            switch (m_w.ini->current()) {
                case initiator_t::state::idle: begin_flow(); break;
                case initiator_t::state::ticket_ready:
                case initiator_t::state::established:
                    if (m_w.res->current() == responder_t::state::awaiting_resolve_resp) m_w.res->abandon();
                    initiator_call(2);
                    break;
                default: break;
            }
            return;
        }
        restart();
    }

    /// A message to start from: the one in flight to the target (unless
    /// `earlier`), else an earlier one.
    const message* pick(bool earlier) {
        if (!earlier && m_pending && m_pending->to == m_target) return &*m_pending;
        if (m_history.empty()) return nullptr;
        return &m_history[m_p.below(static_cast<unsigned>(m_history.size()))];
    }

    void jump() {
        static constexpr std::array<long, 16> d = {1,     10,  29,    31,     119,  121,    299,   301,
                                                   3599, 3601, 86401, 604801, -1,  -31,    -301,  -3601};
        const long s = d[m_p.u8() % d.size()];
        if (s < 0) m_time_went_back = true;
        m_now = m_now + std::chrono::seconds(s);
    }

    bytes mutate(bytes m) {
        const unsigned edits = 1 + m_p.below(4);
        for (unsigned i = 0; i < edits; ++i) {
            const unsigned op = m_p.u8() % 6;
            const std::size_t pos = m.empty() ? 0 : m_p.u16() % m.size();
            switch (op) {
                case 0:
                    if (!m.empty()) m[pos] = static_cast<std::uint8_t>(m[pos] ^ (1u << (m_p.u8() % 8)));
                    break;
                case 1: m.resize(m.empty() ? 0 : m_p.u16() % m.size()); break;
                case 2:
                    if (!m.empty()) m[pos] = m_p.u8();
                    break;
                case 3: {
                    // A splice: the same stretch of another message (e.g. another run's payload).
                    if (m_history.empty() || m.empty()) break;
                    const bytes& o = m_history[m_p.below(static_cast<unsigned>(m_history.size()))].wire;
                    const std::size_t len = m_p.u8();
                    for (std::size_t j = pos; j < std::min({m.size(), o.size(), pos + len}); ++j) m[j] = o[j];
                    break;
                }
                case 4: {
                    const auto f = m_p.field();
                    m.insert(m.begin() + static_cast<std::ptrdiff_t>(pos), f.begin(), f.end());
                    break;
                }
                case 5: {
                    const std::size_t len = std::min<std::size_t>(m_p.u8() % 16 + 1, m.size() - pos);
                    m.erase(m.begin() + static_cast<std::ptrdiff_t>(pos), m.begin() + static_cast<std::ptrdiff_t>(pos + len));
                    break;
                }
                default: break;
            }
        }
        return m;
    }

    // ------------------------------------------------------- deliveries

    [[nodiscard]] bool made_by_a_machine(const bytes& in, std::optional<role> from = std::nullopt) const {
        for (const auto& m : m_history) {
            if (m.wire == in && (!from || m.from == *from)) return true;
        }
        return false;
    }

    void record(role from, const roles::outcome& o, std::optional<role> error_to) {
        if (o.send.empty()) return;
        message m{bytes(o.send.begin(), o.send.end()), from, role::kms, o.send_type};
        if (o.send_type == data_type::error) {
            if (!error_to) return;
            m.to = *error_to;
        } else {
            m.to = receiver_of(o.send_type, from);
        }
        if (m_history.size() == max_history) m_history.erase(m_history.begin());
        m_history.push_back(m);
        m_pending = std::move(m);
    }

    /// Keys of the two ends made from the same TRANSFER_INIT are equal (RFC 6043 §5.1).
    void check_keys() const {
        if (m_ini_lineage.empty() || m_ini_lineage != m_res_lineage) return;
        const auto a = m_w.ini->session_keys();
        const auto b = m_w.res->session_keys();
        MIKEY_FUZZ_CHECK(a.size() == b.size());
        MIKEY_FUZZ_CHECK(!a.empty());
        for (const auto& x : a) {
            const auto y = std::find_if(b.begin(), b.end(), [&](const roles::session_key& k) { return k.cs == x.cs; });
            MIKEY_FUZZ_CHECK(y != b.end());
            MIKEY_FUZZ_CHECK(x.tek.size() >= 16);
            MIKEY_FUZZ_CHECK(equal_bytes(x.tek.view(), y->tek.view()));
            MIKEY_FUZZ_CHECK(equal_bytes(x.salt.view(), y->salt.view()));
            MIKEY_FUZZ_CHECK(equal_bytes(x.key.view(), y->key.view()));
            // RFC 6043 §6.1.1 (and §5.2 for updates): both ends run each crypto session under one policy.
            const auto pi = m_w.ini->security_policy(x.cs), pr = m_w.res->security_policy(x.cs);
            MIKEY_FUZZ_CHECK(pi.has_value() == pr.has_value());
            if (pi && pr) {
                MIKEY_FUZZ_CHECK(pi->protocol() == pr->protocol());
                MIKEY_FUZZ_CHECK(equal_bytes(pi->param_bytes(), pr->param_bytes()));
            }
        }
        MIKEY_FUZZ_CHECK(equal_bytes(m_w.ini->mpki(), m_w.res->mpki()));
#ifdef MIKEY_FUZZ_TRACE
        std::fprintf(stderr, "  keys     %zu crypto sessions, equal at both ends\n", a.size());
#endif
    }

    /// A TRANSFER_INIT with a TICKET starts an exchange; without, it is a CSB update (RFC 6043 §5.2).
    static bool carries_ticket(const bytes& ti) {
        const auto m = message_view::parse(ti);
        return m && m->first<ticket_view>().has_value();
    }
    static void extend(std::vector<bytes>& lineage, const bytes& ti) {
        if (carries_ticket(ti)) lineage.clear();
        lineage.push_back(ti);
    }

    /// Follows which TRANSFER_INITs each end's keys come from.
    void track(role r, const bytes& in, const roles::outcome& o) {
        if (!o.ok()) {
            // The Responder abandoned the exchange (a RESOLVE_RESP exposed its TRANSFER_INIT).
            if (r == role::responder && m_w.res->current() != responder_t::state::awaiting_resolve_resp) m_res_pending_ti.clear();
            return;
        }
        const auto h = hdr_view::parse(in);
        const bool ti = h && h->type() == data_type::transfer_init;  // received: the peer's TRANSFER_INIT
        if (r == role::initiator) {
            if (o.send_type == data_type::transfer_init && !o.send.empty()) m_ini_last_ti.assign(o.send.begin(), o.send.end());
            // Its own TRANSFER_INIT (answered or not), or the Responder's CSB update.
            if (o.has(roles::event::keys_established)) extend(m_ini_lineage, ti ? in : m_ini_last_ti);
        }
        if (r == role::responder) {
            if (ti && o.send_type == data_type::resolve_init_psk && !o.send.empty()) m_res_pending_ti = in;
            if (o.send_type == data_type::transfer_init && !o.send.empty()) m_res_last_update.assign(o.send.begin(), o.send.end());
            if (o.has(roles::event::keys_established)) {
                // The Initiator's TRANSFER_INIT; its own CSB update, taken at once (no input) or with the
                // answer (a TRANSFER_RESP); else the TRANSFER_INIT a RESOLVE_RESP resolved.
                const bool own_update = in.empty() || (h && h->type() == data_type::transfer_resp);
                extend(m_res_lineage, ti ? in : own_update ? m_res_last_update : m_res_pending_ti);
                if (!own_update) m_res_pending_ti.clear();
            }
        }
        check_keys();
    }

    static void trace([[maybe_unused]] const char* what, [[maybe_unused]] role r,
                      [[maybe_unused]] const bytes& in, [[maybe_unused]] const roles::outcome& o) {
#ifdef MIKEY_FUZZ_TRACE
        static constexpr const char* names[] = {"initiator", "responder", "kms"};
        const auto h = hdr_view::parse(in);
        std::fprintf(stderr, "  %-8s %-9s %-18s %4zu bytes -> %s%s%s (events %u)\n", what, names[static_cast<int>(r)],
                     h ? std::string(name_of(h->type())).c_str() : "-", in.size(),
                     std::string(to_string(o.error)).c_str(), o.send.empty() ? "" : ", sends ",
                     o.send.empty() ? "" : std::string(name_of(o.send_type)).c_str(), unsigned{o.events});
#endif
    }

    roles::outcome receive(role r, const bytes& in) {
        switch (r) {
            case role::kms: return m_w.kms->receive(in, m_now, m_w.rng, m_out);
            case role::initiator: return m_w.ini->receive(in, m_now, m_w.rng, m_out);
            case role::responder: return m_w.res->receive(in, m_now, m_w.rng, m_out);
        }
        return {};
    }
    [[nodiscard]] snapshot observe_target() const {
        switch (m_target) {
            case role::kms: return observe(*m_w.kms);
            case role::initiator: return observe(*m_w.ini);
            case role::responder: return observe(*m_w.res);
        }
        return {};
    }

    /// Delivers the messages in flight between helpers (and from the target
    /// to a helper) until one is for the target or the flow stops.
    void pump() {
        for (int n = 0; n < 16 && m_pending && m_pending->to != m_target; ++n) {
            const message m = *m_pending;
            m_pending.reset();
            const auto o = receive(m.to, m.wire);
            trace("helper", m.to, m.wire, o);
            track(m.to, m.wire, o);
            record(m.to, o, m.from);
            // A helper Initiator that got its ticket goes on with TRANSFER_INIT.
            if (o.ok() && m.to == role::initiator && o.has(roles::event::ticket_granted)) initiator_call(2);
        }
    }

    void deliver_to_target(const bytes& in) {
        const auto before = observe_target();
        const auto o = receive(m_target, in);
        trace("target", m_target, in, o);
        const auto after = observe_target();
        const auto h = hdr_view::parse(in);
        const bool is_error = h && h->type() == data_type::error;
        // RFC 6043 §5.4: an Error is never answered with an Error (nor with anything).
        if (is_error) {
            MIKEY_FUZZ_CHECK(!o.ok());
            MIKEY_FUZZ_CHECK(o.send.empty());
        }
        if (!o.ok()) {
            MIKEY_FUZZ_CHECK(!generic(o.error));
            MIKEY_FUZZ_CHECK(o.events == 0);
            MIKEY_FUZZ_CHECK(o.error_offset <= in.size());
            if (after != before) {
                // responder.hpp: the one state change a refusal may make. An authentic
                // RESOLVE_RESP (made by the KMS) exposed the TRANSFER_INIT being resolved:
                // the exchange is abandoned, nothing else changes.
                MIKEY_FUZZ_CHECK(m_target == role::responder);
                MIKEY_FUZZ_CHECK(h && h->type() == data_type::resolve_resp);
                MIKEY_FUZZ_CHECK(made_by_a_machine(in, role::kms));
                MIKEY_FUZZ_CHECK(before.state == static_cast<int>(responder_t::state::awaiting_resolve_resp));
                MIKEY_FUZZ_CHECK(after.state == static_cast<int>(m_w.res->session_keys().empty()
                                                                     ? responder_t::state::idle
                                                                     : responder_t::state::established));
                MIKEY_FUZZ_CHECK(after.rest == before.rest);
            }
            if (!o.send.empty()) {
                MIKEY_FUZZ_CHECK(o.send_type == data_type::error);
                const auto code = wire_error(o.error);
                MIKEY_FUZZ_CHECK(code.has_value());
                const bytes_view e = o.send;
                const auto rr = ticket::request_resolve_error_view::parse(e);
                const auto te = ticket::transfer_error_view::parse(e);
                MIKEY_FUZZ_CHECK(rr || te);
                const auto err = rr ? rr->fields().err : te->fields().err;
                MIKEY_FUZZ_CHECK(err && err->code() == *code);
                // RFC 3830 §5.1.2 / RFC 6043 §5.4: the OPTIONAL Error on an authentication failure only when asked for.
                MIKEY_FUZZ_CHECK(*code != error_no::auth_failure || target_policy().send_auth_failure_error());
                // RFC 6043 §5.4: the CSB ID of the offending message.
                MIKEY_FUZZ_CHECK(h && (rr ? rr->header() : te->header()).csb() == h->csb());
            }
        } else {
            MIKEY_FUZZ_CHECK(o.send.empty() || o.send_type != data_type::error);
            const bool deferred = m_target == role::responder && o.send_type == data_type::resolve_init_psk &&
                                  !o.has(roles::event::keys_established);
            if (deferred) {
                // RFC 6043 §4.2.2.2: taken for resolution, not yet authenticated: no keys change.
                MIKEY_FUZZ_CHECK(after.state == static_cast<int>(responder_t::state::awaiting_resolve_resp));
                MIKEY_FUZZ_CHECK(after.rest == before.rest);
                MIKEY_FUZZ_CHECK(o.events == 0);
            } else {
                if (m_target == role::kms) {
                    MIKEY_FUZZ_CHECK(!o.send.empty());
                    MIKEY_FUZZ_CHECK(o.has(roles::event::request_answered) || o.has(roles::event::resolve_answered));
                }
                // Accepted as authentic: only what a machine made, and only once.
                MIKEY_FUZZ_CHECK(made_by_a_machine(in));
                const bool first = m_accepted.insert(in).second;
                MIKEY_FUZZ_CHECK(first || m_time_went_back);
            }
        }
        track(m_target, in, o);
        if (o.ok()) {
            m_pending.reset();
            record(m_target, o, std::nullopt);
            return;
        }
        // The genuine message in flight was refused (policy, state, time): this flow is over.
        if (m_pending && m_pending->to == m_target && m_pending->wire == in) m_pending.reset();
        if (!o.send.empty()) {
            // The Error goes back to whoever sent the input: kept for replays; the flow goes on.
            message m{bytes(o.send.begin(), o.send.end()), m_target, m_target, o.send_type};
            if (m_history.size() == max_history) m_history.erase(m_history.begin());
            m_history.push_back(std::move(m));
        }
    }

    [[nodiscard]] const fuzz_policy& target_policy() const {
        switch (m_target) {
            case role::kms: return *m_w.p_kms;
            case role::initiator: return *m_w.p_i;
            case role::responder: return *m_w.p_r;
        }
        return *m_w.p_kms;
    }

    /// An Initiator call (0 start_request, 1 create_ticket, 2 start_transfer,
    /// 3 abandon, 4 start_update), checked like an input when the Initiator
    /// is the target.
    bool initiator_call(unsigned which) {
        auto& ini = *m_w.ini;
        const auto before = observe(ini);
        roles::outcome o;
        bool raw_offer = false;  // start_update offered raw SP parameters: invalid_argument is its answer to bad ones
        switch (which) {
            case 0: o = ini.start_request(m_now, m_w.rng, m_out); break;
            case 1: o = ini.create_ticket(m_now, m_w.rng); break;
            case 2: {
                const auto k = m_w.supplied();
                o = ini.start_transfer(m_now, m_w.rng, m_out,
                                       m_s.supply ? std::span<const roles::supplied_key>(&k, 1)
                                                  : std::span<const roles::supplied_key>());
                break;
            }
            case 4: {
                update_request u(m_p, m_w.cs, m_s);
                if (u.answer_keys && m_w.res && !m_w.cs.empty()) {
                    // The Responder answers with a new key for the first session (RFC 6043 §5.2: [KEMAC]
                    // in TRANSFER_RESP; refused without M when the update asks for an answer).
                    const roles::supplied_key k{m_w.cs[0].cs_id, m_w.cs[0].ssrc, key_data_type::tek_salt,
                                                bytes_view(m_w.response_key_bytes).first(m_s.strong ? 32 : 16),
                                                m_w.response_salt, m_w.update_answer_spi};
                    MIKEY_FUZZ_CHECK(m_w.res->set_update_response_keys(std::span<const roles::supplied_key>(&k, 1)).has_value());
                }
                raw_offer = u.raw_offer;
                o = ini.start_update(m_now, m_w.rng, m_out, u.sessions, u.rekey, u.want_response, {}, u.offers());
                break;
            }
            default: {
                ini.abandon();
                const auto after = observe(ini);
                MIKEY_FUZZ_CHECK(after.rest == before.rest);
                return true;
            }
        }
        trace(which == 0 ? "start_request" : which == 1 ? "create_ticket" : which == 2 ? "start_transfer" : "start_update",
              role::initiator, {}, o);
        if (m_target == role::initiator) {
            if (!o.ok()) {
                MIKEY_FUZZ_CHECK(!generic(o.error) || (raw_offer && o.error == errc::invalid_argument));
                MIKEY_FUZZ_CHECK(o.send.empty());
                MIKEY_FUZZ_CHECK(observe(ini) == before);
            } else {
                MIKEY_FUZZ_CHECK(o.send.empty() || o.send_type != data_type::error);
            }
        }
        track(role::initiator, {}, o);
        if (o.ok()) record(role::initiator, o, std::nullopt);
        return o.ok();
    }
};

/// The whole run of one input against the machine `target`.
inline void run(bytes_view in, role target) {
    driver d(in, target);
    d.run();
}

// ----------------------------------------------------------------- seeds

/// One seed input: a header, then the actions (as bytes).
inline bytes seed_input(std::uint32_t seed, int mode, bool forking, bool strong, unsigned kind, unsigned sessions,
                        const decisions& d, std::initializer_list<std::uint8_t> actions, std::uint8_t flags = 0,
                        std::uint8_t toggles = 0, std::uint8_t extras = 0) {
    bytes b;
    for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(seed >> (8 * i)));
    b.push_back(static_cast<std::uint8_t>((mode - 1) | (forking ? 4 : 0) | (strong ? 8 : 0) | flags));
    b.push_back(static_cast<std::uint8_t>(kind % 5 | ((sessions - 1) % 3) << 4 | extras));
    b.push_back(toggles);
    for (const auto x : {d.suite, d.clock, d.authorize, d.grant, d.accept_granted, d.accept_ticket, d.accept_initiator,
                         d.member, d.lifetime, d.auth_error}) {
        b.push_back(x);
    }
    b.insert(b.end(), actions.begin(), actions.end());
    return b;
}


/// Action bytes for seed inputs.
namespace act {
inline constexpr std::uint8_t advance = 0, mutate = 1, replay = 2, raw = 3, time = 4, call = 5, restart = 6;
}

/// The seed corpus of a target (written by seed_corpus): every mode with
/// and without forking, with 128- and 256-bit suites; a group ticket,
/// ticket reuse, F = 0; tampered, truncated, replayed and raw deliveries,
/// clock jumps; and each policy decision the target has, one at a time.
inline std::vector<std::pair<std::string, bytes>> seed_inputs(role target) {
    std::vector<std::pair<std::string, bytes>> out;
    const auto adv = {act::advance, act::advance, act::advance, act::advance, act::advance, act::advance,
                      act::advance, act::advance, act::advance, act::advance};
    std::uint32_t seed = 1;
    for (int mode = 1; mode <= 4; ++mode) {
        for (const bool forking : {false, true}) {
            for (const bool strong : {false, true}) {
                const unsigned kind = seed % 5, sessions = 1 + seed % 3;
                out.emplace_back("seed-mode" + std::to_string(mode) + (forking ? "-fork" : "-nofork") +
                                     (strong ? "-256" : "-128"),
                                 seed_input(seed++, mode, forking, strong, kind, sessions, {}, adv));
            }
        }
    }
    // Scenario bits: 0x10 group ticket, 0x20 reuse (J), 0x40 F = 0 (with G toggled off).
    out.emplace_back("seed-group", seed_input(seed++, 1, true, true, 1, 2, {}, adv, 0x10));
    out.emplace_back("seed-reuse", seed_input(seed++, 1, true, true, 1, 1, {},
                                              {act::advance, act::advance, act::advance, act::advance, act::advance,
                                               act::advance, act::advance, act::call, 2, act::advance, act::advance,
                                               act::advance, act::advance, act::advance, act::advance},
                                              0x20));
    out.emplace_back("seed-reuse-mode4", seed_input(seed++, 4, false, false, 0, 2, {}, {act::advance, act::advance, act::advance, act::advance, act::call, 2, act::advance, act::advance, act::advance}, 0x20));
    out.emplace_back("seed-no-f-mode1", seed_input(seed++, 1, false, false, 1, 1, {}, adv, 0x40, 0x01));
    out.emplace_back("seed-no-f-mode4", seed_input(seed++, 4, false, true, 1, 1, {}, adv, 0x40, 0x01));
    // Kind-byte extras: 0x08 IDRapp listed, 0x40 the Initiator supplies a key (L), 0x80 the Responder (M).
    out.emplace_back("seed-apps", seed_input(seed++, 1, true, true, 1, 1, {}, adv, 0, 0, 0x08));
    out.emplace_back("seed-supply-mode1", seed_input(seed++, 1, true, true, 1, 1, {}, adv, 0, 0, 0x40));
    out.emplace_back("seed-supply-mode3", seed_input(seed++, 3, false, false, 3, 2, {}, adv, 0, 0, 0x40));
    out.emplace_back("seed-respond-keys", seed_input(seed++, 1, true, true, 4, 1, {}, adv, 0, 0, 0x80));
    out.emplace_back("seed-both-keys-mode4", seed_input(seed++, 4, false, true, 0, 2, {}, adv, 0, 0, 0xC0));
    // CSB updates (RFC 6043 §5.2) after the flow: grown / rekeyed, with and without a response.
    for (const std::uint8_t how : {0, 1, 2, 3, 4, 7}) {
        const std::uint8_t call = target == role::initiator ? 4 : 1;
        out.emplace_back("seed-update-" + std::to_string(how),
                         seed_input(seed++, how % 2 == 0 ? 1 : 4, how % 2 == 0, how < 4, 1 + how % 2, 1 + how % 2, {},
                                    {act::advance, act::advance, act::advance, act::advance, act::advance, act::advance,
                                     act::call, call, how, act::advance, act::advance, act::advance, act::call, call,
                                     how, act::advance, act::advance},
                                    0, 0, how >= 2 ? 0x40 : 0));
    }
    // Deliveries that must be refused without a trace, each followed by the genuine message.
    for (const int mode : {1, 2, 3, 4}) {
        const bool fork = mode == 1 || mode == 3;
        const std::string m = "-mode" + std::to_string(mode);
        out.emplace_back("seed-bitflip" + m,
                         seed_input(seed++, mode, fork, true, 1, 1, {},
                                    {act::mutate, 0, 0, 0, 0x00, 0x30, 3, act::advance, act::mutate, 0, 0, 0, 0x00,
                                     0x10, 0, act::advance, act::mutate, 0, 0, 0, 0x00, 0x50, 5, act::advance,
                                     act::advance, act::advance, act::advance}));
        out.emplace_back("seed-truncate" + m,
                         seed_input(seed++, mode, fork, false, 1, 2, {},
                                    {act::mutate, 0, 0, 1, 0x00, 0x00, 0x00, 0x40, act::advance, act::mutate, 0, 0, 1,
                                     0x00, 0x00, 0x00, 0x08, act::advance, act::advance, act::advance, act::advance}));
        out.emplace_back("seed-replay" + m,
                         seed_input(seed++, mode, fork, true, 3, 1, {},
                                    {act::advance, act::replay, 0, act::advance, act::replay, 1, act::advance,
                                     act::replay, 2, act::advance, act::replay, 3, act::advance, act::replay, 4}));
        out.emplace_back("seed-time" + m,
                         seed_input(seed++, mode, fork, false, 4, 1, {},
                                    {act::time, 7, act::advance, act::advance, act::time, 12, act::advance,
                                     act::time, 15, act::advance, act::advance, act::advance}));
    }
    out.emplace_back("seed-raw", seed_input(seed++, 1, true, true, 1, 1, {},
                                            {act::raw, 8, 1, 6, 1, 0, 0, 0, 0, 7, act::advance, act::raw, 0,
                                             act::advance, act::advance, act::advance}));
    out.emplace_back("seed-splice", seed_input(seed++, 1, true, true, 1, 1, {},
                                               {act::advance, act::mutate, 0, 1, 3, 0x00, 0x20, 0, 40, 4, 0x00,
                                                0x08, 3, 1, 2, 3, act::advance, act::advance, act::advance,
                                                act::advance}));
    // The target's policy decisions, one at a time (decisions: 0 is the default).
    const auto with = [](std::uint8_t decisions::*field, std::uint8_t v) {
        decisions d;
        d.*field = v;
        return d;
    };
    struct choice {
        const char* name;
        std::uint8_t decisions::*field;
        unsigned values;
        bool kms, ini, res;
    };
    const choice choices[] = {
        {"suite", &decisions::suite, 7, true, true, true},
        {"clock", &decisions::clock, 8, true, true, true},
        {"authorize", &decisions::authorize, 4, true, false, false},
        {"grant", &decisions::grant, 8, true, true, false},
        {"accept-granted", &decisions::accept_granted, 3, false, true, false},
        {"accept-ticket", &decisions::accept_ticket, 3, false, false, true},
        {"accept-initiator", &decisions::accept_initiator, 2, false, false, true},
        {"member", &decisions::member, 3, true, false, false},
        {"lifetime", &decisions::lifetime, 6, true, false, true},
    };
    for (const auto& c : choices) {
        if (!(target == role::kms ? c.kms : target == role::initiator ? c.ini : c.res)) continue;
        for (unsigned v = 1; v < c.values; ++v) {
            // Mode 1 with forking (group ticket for membership); a second run at +1 h for lifetimes.
            const bool group = c.field == &decisions::member;
            out.emplace_back(std::string("seed-") + c.name + "-" + std::to_string(v),
                             seed_input(seed++, v % 2 == 0 ? 3 : 1, true, v % 3 != 0, v % 5, 1,
                                        with(c.field, static_cast<std::uint8_t>(v)),
                                        {act::advance, act::advance, act::advance, act::time, 9, act::advance,
                                         act::advance, act::restart, act::advance, act::advance, act::advance},
                                        group ? 0x10 : 0));
        }
    }
    if (target == role::kms) {
        for (std::uint8_t v = 1; v < 4; ++v) {
            out.emplace_back("seed-application-of-" + std::to_string(v),
                             seed_input(seed++, 1, true, true, 1, 1, with(&decisions::auth_error, static_cast<std::uint8_t>(v << 1)),
                                        adv, 0, 0, 0x08));
        }
    }
    // The OPTIONAL Error on an authentication failure, asked for.
    out.emplace_back("seed-auth-error", seed_input(seed++, 1, true, true, 1, 1, with(&decisions::auth_error, 1),
                                                   {act::mutate, 0, 0, 0, 0x00, 0x30, 3, act::advance, act::mutate, 0,
                                                    0, 0, 0x00, 0x60, 1, act::advance, act::advance, act::advance}));
    return out;
}

}  // namespace mikey_fuzz::roles_fuzz

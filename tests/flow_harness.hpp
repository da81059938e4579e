// A small in-memory network for RFC 6043 flows: three role machines with
// their own key stores, replay caches and policies, one deterministic RNG,
// and a runner that delivers each message to its receiver, records it, and
// can tamper with, truncate or replay one message on the way.
#pragma once

#if !(defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)) && \
    !defined(DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS)
#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#endif
#include <doctest/doctest.h>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mikey/crypto/botan_backend.hpp>
#include <mikey/crypto/deterministic_rng.hpp>
#include <mikey/roles/initiator.hpp>
#include <mikey/roles/kms.hpp>
#include <mikey/roles/responder.hpp>

namespace flow_test {

using namespace mikey;
using bytes = std::vector<std::uint8_t>;
using B = crypto::botan_backend;
using cache = ticket::memory_replay_cache<1024>;
using policy = roles::basic_policy<ticket::memory_key_store, cache>;

enum class role : std::uint8_t { initiator, responder, kms };
inline const char* role_name(role r) {
    return r == role::initiator ? "initiator" : r == role::responder ? "responder" : "kms";
}

/// What a flow runs with.
struct scenario {
    int mode = 1;
    bool forking = true;
    key_data_type kind = key_data_type::tgk;
    std::size_t key_length = 16;
    crypto::algorithm_suite suite{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256};
    std::string flags;  ///< desired flags; empty: derived from mode and forking
    std::size_t sessions = 2;
    std::uint64_t seed = 1;
    roles::policy_settings settings = roles::policy_settings::rfc6043_defaults();
    std::optional<roles::policy_settings> responder_settings{};  ///< the Responder's own (default: settings)
    std::string responder_in_ticket = "sip:bob@example.org";  ///< IDRr of the TP
    std::string responder_identity = "sip:bob@example.org";   ///< who actually answers
    std::span<const roles::policy_offer> offers{};  ///< security policies the Initiator offers (views: keep alive)
};

inline std::string default_flags(const scenario& s) {
    std::string f = s.mode <= 2 ? "DFGHO" : "FGHLO";
    if (s.forking) f += "EI";
    return f;
}

/// The desired Ticket Policy of a scenario.
inline ticket_policy desired_policy(const scenario& s) {
    ticket_policy d{};
    d.prf = s.suite.prf;
    d.flags = *ticket::flags_from_letters(s.flags.empty() ? default_flags(s) : s.flags);
    return d;
}

inline const ntp_time base_now = ntp_time::from_unix(1796169600);  // 2026-12-02T00:00:00Z

/// One message of a flow.
struct message {
    data_type type{};
    role from{}, to{};
    bytes wire;
};

inline role receiver_of(data_type t) {
    switch (t) {
        case data_type::request_init_psk:
        case data_type::resolve_init_psk: return role::kms;
        case data_type::request_resp:
        case data_type::transfer_resp: return role::initiator;
        default: return role::responder;
    }
}

/// Three parties, each with its own keys; the PSKs and TPK placed as the mode says (RFC 6043 §4.1.1).
/// Each has its own replay cache of type Cache.
template <class Cache>
struct basic_parties {
    using policy = roles::basic_policy<ticket::memory_key_store, Cache>;
    std::unique_ptr<B> backend = std::make_unique<B>(*B::create());
    ticket::memory_key_store ks_kms, ks_i, ks_r;
    std::unique_ptr<Cache> c_kms = std::make_unique<Cache>(), c_i = std::make_unique<Cache>(),
                           c_r = std::make_unique<Cache>();
    std::optional<policy> p_kms, p_i, p_r;
    std::optional<crypto::deterministic_rng<B>> rng;
    std::optional<roles::kms<B, policy>> kms;
    std::optional<roles::initiator<B, policy>> ini;
    std::optional<roles::responder<B, policy>> res;
    std::vector<roles::crypto_session_spec> cs;
    std::string authorized;
    std::array<std::string_view, 1> authorized_view{};

    explicit basic_parties(const scenario& s) {
        const bytes psk_i(32, 0x11), psk_r(32, 0x22), tpk(32, 0x33);
        const auto id = [](const std::string& x) { return ticket::as_bytes(x); };
        REQUIRE(ks_kms.add_psk(id("sip:alice@example.org"), psk_i));
        REQUIRE(ks_kms.add_psk(id(s.responder_identity), psk_r));
        REQUIRE(ks_i.add_psk(id("sip:alice@example.org"), psk_i));
        REQUIRE(ks_r.add_psk(id(s.responder_identity), psk_r));
        if (s.mode == 1 || s.mode == 2 || s.mode == 3) REQUIRE(ks_kms.add_tpk({}, tpk));
        if (s.mode == 2 || s.mode == 4) REQUIRE(ks_r.add_tpk({}, tpk));
        if (s.mode == 3 || s.mode == 4) REQUIRE(ks_i.add_tpk({}, tpk));
        p_kms.emplace(ks_kms, *c_kms, s.settings);
        p_i.emplace(ks_i, *c_i, s.settings);
        p_r.emplace(ks_r, *c_r, s.responder_settings.value_or(s.settings));
        rng.emplace(*backend, s.seed);
        for (std::size_t i = 0; i < s.sessions; ++i) {
            cs.push_back({static_cast<std::uint8_t>(i + 1), static_cast<std::uint32_t>(0x1000 + i)});
        }
        authorized = s.responder_in_ticket;
        authorized_view[0] = authorized;
        const ticket_policy desired = desired_policy(s);
        kms.emplace(*backend, *p_kms, roles::kms_config{"kms.example.org", {}});
        ini.emplace(*backend, *p_i,
                    roles::initiator_config{.identity = "sip:alice@example.org",
                                            .kms_identity = "kms.example.org",
                                            .responder = s.responder_in_ticket,
                                            .authorized_responders = authorized_view,
                                            .desired = desired,
                                            .key_kind = s.kind,
                                            .key_length = s.key_length,
                                            .sessions = cs,
                                            .suite = s.suite,
                                            .security_policies = s.offers});
        res.emplace(*backend, *p_r,
                    roles::responder_config{.identity = s.responder_identity, .kms_identity = "kms.example.org",
                                            .suite = s.suite});
    }
};

using parties = basic_parties<cache>;

/// How a run ended.
struct run_result {
    std::vector<message> messages;
    errc error = errc::ok;       ///< first refusal
    int failed_at = -1;          ///< index of the refused message (-1: the start call)
    bool established = false;    ///< both ends hold keys
};

/// A change to one message on its way: gets the genuine bytes, returns what is delivered.
using mutation = std::function<bytes(const bytes&)>;

/// Delivers `wire` to its receiver; returns the outcome.
template <class Cache>
roles::outcome deliver(basic_parties<Cache>& p, role to, const bytes& wire, ntp_time now, std::array<std::uint8_t, 8192>& out) {
    switch (to) {
        case role::kms: return p.kms->receive(wire, now, *p.rng, out);
        case role::initiator: return p.ini->receive(wire, now, *p.rng, out);
        case role::responder: return p.res->receive(wire, now, *p.rng, out);
    }
    return {};
}

/// Runs the flow of the scenario's mode. When `at` names a message index,
/// `change` is applied to it; the outcome of the changed message is
/// recorded, and (retry_genuine) the genuine message is then delivered to
/// the same receiver, so that the rest of the flow shows whether the
/// refused input changed any state.
template <class Cache>
run_result run(basic_parties<Cache>& p, const scenario& s, int at = -1, const mutation& change = {},
                      bool retry_genuine = false, ntp_time now = base_now, errc* changed_error = nullptr) {
    run_result r;
    std::array<std::uint8_t, 8192> out{};
    roles::outcome o;
    if (s.mode <= 2) {
        o = p.ini->start_request(now, *p.rng, out);
    } else {
        o = p.ini->create_ticket(now, *p.rng);
        if (o) o = p.ini->start_transfer(now, *p.rng, out);
    }
    if (!o) {
        r.error = o.error;
        return r;
    }
    bytes cur(o.send.begin(), o.send.end());
    data_type type = o.send_type;
    role from = role::initiator;
    for (int i = 0; !cur.empty(); ++i) {
        const role to = receiver_of(type);
        r.messages.push_back({type, from, to, cur});
        if (i == at && change) {
            const bytes changed = change(cur);
            const auto bad = deliver(p, to, changed, now, out);
            if (changed_error) *changed_error = bad.error;
            if (!bad && retry_genuine) {
                o = deliver(p, to, cur, now, out);
            } else {
                o = bad;
            }
        } else {
            o = deliver(p, to, cur, now, out);
        }
        if (!o) {
            r.error = o.error;
            r.failed_at = i;
            return r;
        }
        if (o.send.empty() && to == role::initiator && type == data_type::request_resp) {
            o = p.ini->start_transfer(now, *p.rng, out);
            if (!o) {
                r.error = o.error;
                r.failed_at = i;
                return r;
            }
        }
        cur.assign(o.send.begin(), o.send.end());
        type = o.send_type;
        from = to;
    }
    r.established = p.ini->session_keys().size() == s.sessions && p.res->session_keys().size() == s.sessions;
    return r;
}

/// The TEKs / salts of both ends are equal, crypto session by crypto session.
inline void check_same_keys(const parties& p) {
    const auto a = p.ini->session_keys();
    const auto b = p.res->session_keys();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].cs == b[i].cs);
        CHECK(equal_bytes(a[i].tek.view(), b[i].tek.view()));
        CHECK(equal_bytes(a[i].salt.view(), b[i].salt.view()));
        CHECK(equal_bytes(a[i].key.view(), b[i].key.view()));
        CHECK(a[i].tek.size() >= 16);
    }
}

}  // namespace flow_test

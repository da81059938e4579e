// A small in-memory conference world for tests, the fuzz target and the
// benchmarks: one KMS, a factory and its foci (one server, one KMS
// identity), and users with their own key stores; a deterministic RNG and
// a clock the test owns. Messages to the KMS are answered at once
// (kms_round); messages between users and the server are routed by the
// caller, who sees each one.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mikey/conference/factory.hpp>
#include <mikey/conference/focus.hpp>
#include <mikey/conference/participant.hpp>
#include <mikey/crypto/botan_backend.hpp>
#include <mikey/crypto/deterministic_rng.hpp>
#include <mikey/roles/kms.hpp>

namespace conference_test {

using namespace mikey;
using bytes = std::vector<std::uint8_t>;
/// A copy of a message's bytes (conference::message::bytes is a view).
inline bytes as_vector(bytes_view b) { return {b.begin(), b.end()}; }
using B = crypto::botan_backend;
using cache = ticket::memory_replay_cache<4096>;
using inner_policy = roles::basic_policy<ticket::memory_key_store, cache>;
using naming = conference::seed000_naming;
using alias_policy = conference::conference_identity_policy<inner_policy, naming>;
using kms_type = roles::kms<B, alias_policy>;
using factory_type = conference::factory<B, alias_policy, conference::basic_conference_policy, naming>;
using focus_type = conference::focus<B, alias_policy, conference::basic_conference_policy>;
using user_type = conference::participant<B, inner_policy>;

inline const ntp_time t0 = ntp_time::from_unix(1796169600);  // 2026-12-02T00:00:00Z
inline const std::string factory_uri = "sip:factory.conference1@operator.example";
inline const std::string kms_uri = "kms.operator.example";

inline bytes psk_of(std::string_view who) {
    bytes k(32);
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 7 + who.size() * 13 + who.back());
    return k;
}

/// The world's clock: every reading is 1 ms later than the one before, as
/// on a real machine (RFC 6043 §5.2: each CSB update "MUST use new
/// timestamps"; a machine refuses a T not newer than the last one).
struct ticking_clock {
    ntp_time t;
    operator ntp_time() noexcept {  // NOLINT: reads advance the clock on purpose
        t = ntp_time::from_ntp64(t.ntp64() + (std::uint64_t{1} << 32) / 1000);
        return t;
    }
    ticking_clock& operator=(ntp_time v) noexcept {
        t = v;
        return *this;
    }
};

/// One user: key store with its PSK, replay cache, policy, participant.
struct user {
    std::string uri;
    ticket::memory_key_store ks;
    std::unique_ptr<cache> c = std::make_unique<cache>();
    std::optional<inner_policy> p;
    std::optional<user_type> agent;
};

struct world {
    std::unique_ptr<B> backend = std::make_unique<B>(*B::create());
    std::optional<crypto::deterministic_rng<B>> rng;
    naming names{factory_uri};
    ticket::memory_key_store ks_kms, ks_server;
    std::unique_ptr<cache> c_kms = std::make_unique<cache>(), c_server = std::make_unique<cache>();
    std::optional<inner_policy> p_kms_inner, p_server_inner;
    std::optional<alias_policy> p_kms, p_server;
    std::optional<kms_type> kms;
    conference::basic_conference_policy conf_policy{};
    conference::machine_config machines{kms_uri};
    std::optional<factory_type> factory;
    std::map<std::string, std::unique_ptr<user>> users;
    ticking_clock now{t0};

    explicit world(std::uint64_t seed = 1, std::vector<std::string> names_of_users = {"sip:alice@example.org",
                                                                                        "sip:bob@example.org",
                                                                                        "sip:carol@example.org",
                                                                                        "sip:dave@example.org",
                                                                                        "sip:erin@example.org",
                                                                                        "sip:mallory@example.org"}) {
        rng.emplace(*backend, seed);
        const auto s = roles::policy_settings::strict_3gpp();
        (void)ks_kms.add_tpk({}, bytes(32, 0x77));
        (void)ks_kms.add_psk(ticket::as_bytes(factory_uri), psk_of(factory_uri));
        (void)ks_server.add_psk(ticket::as_bytes(factory_uri), psk_of(factory_uri));
        p_kms_inner.emplace(ks_kms, *c_kms, s);
        p_server_inner.emplace(ks_server, *c_server, s);
        p_kms.emplace(*p_kms_inner, names);
        p_server.emplace(*p_server_inner, names);
        kms.emplace(*backend, *p_kms, roles::kms_config{kms_uri, {}});
        factory.emplace(*backend, *p_server, conf_policy, names, machines);
        std::uint32_t ssrc = 0x1000;
        for (const auto& n : names_of_users) add_user(n, ssrc++);
    }

    user& add_user(const std::string& n, std::uint32_t ssrc, bool bfcp = true, bool events = true) {
        auto u = std::make_unique<user>();
        u->uri = n;
        (void)ks_kms.add_psk(ticket::as_bytes(n), psk_of(n));
        (void)u->ks.add_psk(ticket::as_bytes(n), psk_of(n));
        u->p.emplace(u->ks, *u->c, roles::policy_settings::strict_3gpp());
        u->agent.emplace(*backend, *u->p,
                         conference::participant_config{.identity = u->uri, .machines = machines, .media_ssrc = ssrc,
                                                        .bfcp = bfcp, .event_package = events});
        auto& ref = *u;
        users[n] = std::move(u);
        return ref;
    }
    user_type& agent(std::string_view n) { return *users.at(std::string(n))->agent; }

    /// Answers every message of `s` addressed to the KMS through `on_kms` of
    /// the agent that produced it, until a step sends nothing to the KMS;
    /// returns that step (whose messages go to peers).
    template <class Agent>
    conference::step kms_round(Agent& a, conference::step s) {
        for (int guard = 0; guard < 8 && s.ok(); ++guard) {
            const conference::message* to_kms = nullptr;
            for (const auto& m : s.messages) {
                if (m.to == conference::destination::kms) to_kms = &m;
            }
            if (!to_kms) return s;
            std::vector<std::uint8_t> buf(4096);
            const auto o = kms->receive(to_kms->bytes, now, *rng, buf);
            if (!o.ok()) return conference::step::refused(o.error, s.id);
            conference::step next = a.on_kms(s.id, o.send, now, *rng);
            // Messages to peers produced before the KMS answered stay in order.
            for (auto& m : s.messages) {
                if (m.to == conference::destination::peer) next.messages.insert(next.messages.begin(), std::move(m));
            }
            s = std::move(next);
        }
        return s;
    }
};

}  // namespace conference_test

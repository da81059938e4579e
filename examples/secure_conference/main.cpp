// secure_conference: a KMS-based secure conference (3GPP TR 33.829 seeds,
// RFC 6043 MIKEY-TICKET) in one process, with real SRTP and TLS-PSK.
//
// A KMS, a conference factory / focus (one KMS identity, seed 000) and the
// users run seed 000's flows 1 to 5: Alice creates the conference through
// the factory (1) and joins it (2), Bob joins knowing the URI (3), Alice
// REFERs the focus to Carol, whom the focus calls out (4), Alice REFERs Dave,
// who joins (5); further users join as in flow 3. Every MIKEY message
// between users and the server travels in an SDP body (RFC 4567
// a=key-mgmt:mikey, base64) as it would in SIP INVITE / REFER / 200 OK; the
// KMS exchanges are raw MIKEY (HTTP in TS 33.328). Then the derived keys
// drive libsrtp2 (each member's stream to the focus, the focus's stream to
// each member), a Botan TLS-PSK handshake carrying a BFCP FloorRequest, and
// an AES-GCM-protected conference-event NOTIFY. Mallory, outside the
// authorized set, is refused; after Bob leaves and the conference rekeys,
// Bob cannot decrypt new packets. Exit status 0 only when every check holds.
//
//   secure_conference [--key-model group|individual] [--users N] [--seed S] [--dump FILE]
#include <botan/hash.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <mikey/conference/factory.hpp>
#include <mikey/conference/focus.hpp>
#include <mikey/conference/non_media.hpp>
#include <mikey/conference/participant.hpp>
#include <mikey/crypto/botan_backend.hpp>
#include <mikey/crypto/deterministic_rng.hpp>
#include <mikey/roles/kms.hpp>
#include <mikey/sdp.hpp>

#include "srtp_media.hpp"
#include "tls_psk.hpp"

namespace {

using namespace mikey;
using bytes = std::vector<std::uint8_t>;
using B = crypto::botan_backend;
using rng_type = crypto::deterministic_rng<B>;
using cache = ticket::memory_replay_cache<8192>;
using inner_policy = roles::basic_policy<ticket::memory_key_store, cache>;
using naming = conference::seed000_naming;
using alias_policy = conference::conference_identity_policy<inner_policy, naming>;
using kms_type = roles::kms<B, alias_policy>;
using factory_type = conference::factory<B, alias_policy, conference::basic_conference_policy, naming>;
using focus_type = conference::focus<B, alias_policy, conference::basic_conference_policy>;
using user_type = conference::participant<B, inner_policy>;
using conference::destination;
using conference::step;

const std::string factory_uri = "sip:factory.conference1@operator.example";
const std::string kms_uri = "kms.operator.example";

std::string hex(bytes_view b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (const auto c : b) {
        s += d[c >> 4];
        s += d[c & 15];
    }
    return s;
}
/// A key fingerprint: the first 8 bytes of SHA-256(key), never the key.
std::string fingerprint(bytes_view key) {
    const auto h = Botan::HashFunction::create_or_throw("SHA-256");
    h->update(key.data(), key.size());
    const auto d = h->final();
    return hex(bytes_view(d.data(), 8));
}
std::string short_name(std::string_view uri) {
    const auto colon = uri.find(':');
    const auto at = uri.find('@');
    return std::string(uri.substr(colon + 1, (at == std::string::npos ? uri.size() : at) - colon - 1));
}

/// Counts the checks; prints each.
struct checks {
    int passed = 0, failed = 0;
    void expect(bool ok, const std::string& what) {
        (ok ? passed : failed)++;
        std::printf("  %s %s\n", ok ? "[ok]  " : "[FAIL]", what.c_str());
    }
};

/// The demo's SIP / HTTP stand-in: carries messages, prints the trace,
/// records every MIKEY message for --dump with its exchange id.
struct network {
    struct record {
        int exchange;
        std::string name, from, to, hex;
    };
    std::vector<record> log;
    int exchanges = 0;
    std::map<std::pair<std::string, std::string>, int> open_transfer;  ///< (initiator, responder) -> exchange
    int open_kms = 0;

    int exchange_of(data_type t, const std::string& from, const std::string& to) {
        switch (t) {
            case data_type::request_init_psk:
            case data_type::resolve_init_psk: return open_kms = ++exchanges;
            case data_type::request_resp:
            case data_type::resolve_resp: return open_kms;
            case data_type::transfer_init: return open_transfer[{from, to}] = ++exchanges;
            default: {  // TRANSFER_RESP or Error: answers the open exchange of the pair
                const auto it = open_transfer.find({to, from});
                if (it != open_transfer.end()) return it->second;
                // The factory answers under the conference URI it allocated (flow 1b):
                // the newest transfer the addressee opened.
                int newest = 0;
                for (const auto& [pair, x] : open_transfer) {
                    if (pair.first == to && x > newest) newest = x;
                }
                return newest != 0 ? newest : open_kms;
            }
        }
    }
    void note(data_type t, std::string_view from_view, std::string_view to_view, bytes_view b) {
        const std::string from(from_view), to(to_view);
        log.push_back({exchange_of(t, from, to), std::string(name_of(t)), from, to, hex(b)});
    }

    /// Raw MIKEY over HTTP to / from the KMS.
    void http(data_type t, std::string_view from, std::string_view to, bytes_view b) {
        note(t, from, to, b);
        std::printf("    %-20s -> %-20s HTTP   %-17s %4zu bytes\n", short_name(from).c_str(), short_name(to).c_str(),
                    std::string(name_of(t)).c_str(), b.size());
    }

    /// A MIKEY message in the SDP body of a SIP request / response: built
    /// with a=key-mgmt:mikey at session level, parsed back on the far side;
    /// returns what the receiver decoded.
    bytes sip(const char* method, data_type t, std::string_view from, std::string_view to, bytes_view b) {
        note(t, from, to, b);
        const sdp::key_mgmt_line_builder line{b, sdp::line_ending::crlf};
        std::string attr(line.size(), '\0');
        const auto written = line.write(attr);
        if (!written) return {};
        const std::string body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n" +
                                 std::string(*written) + "m=audio 49170 RTP/SAVP 96\r\n";
        const auto view = sdp::key_mgmt_view::parse(std::string_view(body));
        if (!view) return {};
        const auto attr_in = view->session();
        if (!attr_in) return {};
        bytes out(b.size() + 4);
        const auto decoded = sdp::base64_decode(attr_in->data, out);
        if (!decoded) return {};
        std::printf("    %-20s -> %-20s %-6s %-17s %4zu bytes (SDP body %zu bytes)\n", short_name(from).c_str(),
                    short_name(to).c_str(), method, std::string(name_of(t)).c_str(), b.size(), body.size());
        return bytes(decoded->begin(), decoded->end());
    }
};

struct user {
    std::string uri;
    ticket::memory_key_store ks;
    std::unique_ptr<cache> c = std::make_unique<cache>();
    std::optional<inner_policy> p;
    std::optional<user_type> agent;
    bytes psk;
};

struct options {
    conference::key_model model = conference::key_model::group;
    int users = 4;
    std::optional<std::uint64_t> seed;
    std::string dump;
};

class demo {
public:
    explicit demo(const options& o) : m_opt(o) {
        m_seed = o.seed ? *o.seed : std::random_device{}() * 0x100000001ull + std::random_device{}();
        m_now = o.seed ? ntp_time::from_unix(1796169600) : ntp_time::from(std::chrono::system_clock::now());
        m_backend = std::make_unique<B>(*B::create());
        m_rng.emplace(*m_backend, m_seed);
        m_tpk = draw(32);
        m_factory_psk = draw(32);
        (void)m_ks_kms.add_tpk({}, m_tpk);
        (void)m_ks_kms.add_psk(ticket::as_bytes(factory_uri), m_factory_psk);
        (void)m_ks_server.add_psk(ticket::as_bytes(factory_uri), m_factory_psk);
        const auto s = roles::policy_settings::strict_3gpp();
        m_p_kms_inner.emplace(m_ks_kms, *m_c_kms, s);
        m_p_server_inner.emplace(m_ks_server, *m_c_server, s);
        m_p_kms.emplace(*m_p_kms_inner, m_names);
        m_p_server.emplace(*m_p_server_inner, m_names);
        m_kms.emplace(*m_backend, *m_p_kms, roles::kms_config{kms_uri, {}});
        m_factory.emplace(*m_backend, *m_p_server, m_conf_policy, m_names, m_machines);
        const char* names[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"};
        for (int i = 0; i < o.users; ++i) {
            const std::string n = i < 10 ? names[i] : "user" + std::to_string(i);
            add_user("sip:" + n + "@example.org", 0x10000u + static_cast<std::uint32_t>(i) * 0x101u);
        }
        add_user("sip:mallory@example.org", 0x0BAD0000u);
    }

    int run() {
        std::printf("secure conference: key model %s, %d users, seed %llu\n",
                    m_opt.model == conference::key_model::group ? "group" : "individual", m_opt.users,
                    static_cast<unsigned long long>(m_seed));
        std::printf("KMS %s; factory %s (one KMS identity with every focusX.conference1@operator.example)\n\n",
                    kms_uri.c_str(), factory_uri.c_str());
        const std::string A = uri(0), Bo = uri(1), C = uri(2), D = uri(3);
        flow1(A, {Bo, C, D});
        if (!m_focus) return finish();
        // Flow 2a: with her new ticket the creator also allows the fifth user (when there is one).
        std::vector<std::string_view> allow;
        if (m_opt.users > 4) allow.push_back(uri(4));
        section("flow 2: the creator joins her conference");
        call_in(A, allow);
        if (m_opt.users > 4) {
            check(m_focus->conference().is_authorized(uri(4)),
                  "the creator's ticket added " + short_name(uri(4)) + " to the authorized set (flow 2a)");
        }
        section("flow 3: Bob joins knowing the conference URI");
        call_in(Bo, {});
        section("flow 4: Alice REFERs the focus to Carol; the focus calls Carol out");
        flow4(A, C);
        section("flow 5: Alice REFERs Dave to the conference; Dave joins");
        flow5(A, D);
        for (int i = 4; i < m_opt.users; ++i) {
            if (i > 4) {
                check(m_focus->authorize(A, uri(i)).has_value(), "management interface: Alice authorizes " + uri(i));
            }
            section("flow 3: " + short_name(uri(i)) + " joins");
            call_in(uri(i), {});
        }
        section("an identity outside the authorized set");
        refused_join("sip:mallory@example.org");
        check(m_focus->subscribe("sip:mallory@example.org").error() == errc::unauthorized_subscriber,
              "event package: Mallory's SUBSCRIBE refused (unauthorized_subscriber)");
        check(m_focus->authorize(Bo, "sip:mallory@example.org").error() == errc::unauthorized_management,
              "management interface: Bob may not authorize Mallory (unauthorized_management)");
        print_keys();
        section("SRTP (libsrtp2) with the derived keys");
        media("before Bob leaves", "");
        section("BFCP over TLS-PSK (Botan TLS), PSK from the BFCP crypto session");
        bfcp(A, Bo);
        section("conference event package: one protected NOTIFY");
        notify(A, Bo);
        section("Bob leaves");
        leave(Bo);
        media("after Bob left", Bo);
        if (!m_opt.dump.empty()) write_dump();
        return finish();
    }

private:
    /// The demo's clock: each reading 1 ms after the previous (RFC 6043 §5.2:
    /// every CSB update "MUST use new timestamps"); a fixed start with --seed.
    ntp_time now() {
        m_now = ntp_time::from_ntp64(m_now.ntp64() + (std::uint64_t{1} << 32) / 1000);
        return m_now;
    }

    // ---- set-up ----
    bytes draw(std::size_t n) {
        bytes b(n);
        (void)m_rng->fill(b);
        return b;
    }
    void add_user(const std::string& n, std::uint32_t ssrc) {
        auto u = std::make_unique<user>();
        u->uri = n;
        u->psk = draw(32);
        (void)m_ks_kms.add_psk(ticket::as_bytes(n), u->psk);
        (void)u->ks.add_psk(ticket::as_bytes(n), u->psk);
        u->p.emplace(u->ks, *u->c, roles::policy_settings::strict_3gpp());
        u->agent.emplace(*m_backend, *u->p,
                         conference::participant_config{.identity = u->uri, .machines = m_machines, .media_ssrc = ssrc,
                                                        .bfcp = true, .event_package = true});
        m_order.push_back(n);
        m_users[n] = std::move(u);
    }
    const std::string& uri(int i) const { return m_order.at(static_cast<std::size_t>(i)); }
    user_type& agent(std::string_view n) { return *m_users.at(std::string(n))->agent; }
    void section(const std::string& s) { std::printf("\n%s\n", s.c_str()); }
    void check(bool ok, const std::string& what) { m_checks.expect(ok, what); }
    int finish() {
        std::printf("\n%d checks passed, %d failed\n", m_checks.passed, m_checks.failed);
        return m_checks.failed == 0 ? 0 : 1;
    }

    /// Carries the KMS exchanges of `s` (agent `who`) until only messages to
    /// peers remain.
    template <class Agent>
    step kms_round(Agent& a, const std::string& who, step s) {
        for (int guard = 0; guard < 8 && s.ok(); ++guard) {
            const conference::message* to_kms = nullptr;
            for (const auto& m : s.messages) {
                if (m.to == destination::kms) to_kms = &m;
            }
            if (!to_kms) return s;
            m_net.http(to_kms->type, who, kms_uri, to_kms->bytes);
            bytes buf(4096);
            const auto o = m_kms->receive(to_kms->bytes, now(), *m_rng, buf);
            if (!o.ok()) return step::refused(o.error, s.id);
            m_net.http(o.send_type, kms_uri, who, o.send);
            step next = a.on_kms(s.id, o.send, now(), *m_rng);
            for (auto& m : s.messages) {
                if (m.to == destination::peer) next.messages.insert(next.messages.begin(), std::move(m));
            }
            s = std::move(next);
        }
        return s;
    }
    /// Carries the CSB updates of a focus step to the members (re-INVITEs).
    void deliver_updates(const step& f, const std::string& except) {
        for (const auto& m : f.messages) {
            if (m.to != destination::peer || m.peer == except || m.type != data_type::transfer_init) continue;
            const auto got = m_net.sip("reINV", m.type, m_conf, m.peer, m.bytes);
            const auto r = agent(m.peer).on_update(m_conf, got, now(), *m_rng);
            check(r.ok(), short_name(m.peer) + " takes the new group TEK (epoch " +
                              std::to_string(m_focus->conference().epoch) + ") from the focus's CSB update");
        }
    }

    // ---- the flows ----
    void flow1(const std::string& creator, std::vector<std::string> invited) {
        section("flow 1: Alice creates a conference through the factory");
        conference::settings cfg{};
        cfg.keys = m_opt.model;
        cfg.bfcp = cfg.event_package = true;
        m_factory->set_defaults(cfg);
        auto& a = agent(creator);
        std::vector<std::string_view> inv(invited.begin(), invited.end());
        auto s = kms_round(a, creator, a.create(m_names, inv, now(), *m_rng));
        const auto* ti = s.to_peer(factory_uri);
        if (!s.ok() || !ti) return check(false, "Alice's creation ticket and TRANSFER_INIT");
        const auto got = m_net.sip("INVITE", ti->type, creator, factory_uri, ti->bytes);
        auto f = kms_round(*m_factory, factory_uri, m_factory->on_invite(got, now(), *m_rng));
        const auto* resp = f.to_peer(creator);
        if (!f.ok() || !f.created || !resp) return check(false, "factory creates the conference: " + std::string(to_string(f.error)));
        m_conf = f.created->uri;
        check(true, "factory resolved the ticket as " + m_conf + ": Alice authenticated (ticket's IDRi, Vr)");
        const auto back = m_net.sip("200 OK", resp->type, m_conf, creator, resp->bytes);
        const auto r = a.on_peer(s.id, back, now(), *m_rng);
        check(r.ok() && r.who == m_conf, "Alice authenticated the conference URI " + r.who +
                                             " (TRANSFER_RESP's IDRr, MAC with MPKr' forked for it)");
        std::string list;
        for (const auto& x : f.created->authorized) list += " " + short_name(x);
        std::printf("  conference %s: creator %s, authorized:%s\n", m_conf.c_str(), short_name(creator).c_str(),
                    list.c_str());
        m_focus.emplace(*m_backend, *m_p_server, m_conf_policy, m_machines, std::move(*f.created));
    }

    bool call_in(const std::string& who, std::span<const std::string_view> allow) {
        auto& u = agent(who);
        auto s = kms_round(u, who, u.join(m_conf, allow, now(), *m_rng));
        const auto* ti = s.to_peer(m_conf);
        if (!s.ok() || !ti) {
            check(false, short_name(who) + "'s ticket for the conference");
            return false;
        }
        const auto got = m_net.sip("INVITE", ti->type, who, m_conf, ti->bytes);
        auto f = kms_round(*m_focus, m_conf, m_focus->on_invite(got, now(), *m_rng));
        const auto* resp = f.to_peer(who);
        if (!f.ok() || !resp) {
            check(false, "focus admits " + short_name(who) + ": " + std::string(to_string(f.error)));
            return false;
        }
        check(f.done && f.who == who, "focus authenticated " + who + " (resolved ticket) and checked it is authorized");
        const auto back = m_net.sip("200 OK", resp->type, m_conf, who, resp->bytes);
        const auto r = u.on_peer(s.id, back, now(), *m_rng);
        check(r.ok() && r.who == m_conf, short_name(who) + " authenticated the focus " + m_conf);
        deliver_updates(f, who);
        return r.ok();
    }

    void refused_join(const std::string& who) {
        auto& u = agent(who);
        auto s = kms_round(u, who, u.join(m_conf, {}, now(), *m_rng));
        const auto* ti = s.to_peer(m_conf);
        if (!ti) return check(false, "Mallory's ticket");
        const auto before = m_focus->conference().members.size();
        const auto got = m_net.sip("INVITE", ti->type, who, m_conf, ti->bytes);
        const auto f = m_focus->on_invite(got, now(), *m_rng);
        const auto* err = f.to_peer(who);
        if (err) (void)m_net.sip("403", err->type, m_conf, who, err->bytes);
        check(f.error == errc::not_authorized_participant && m_focus->conference().members.size() == before,
              "Mallory refused before any KMS round trip (not_authorized_participant), conference unchanged");
    }

    void flow4(const std::string& referrer, const std::string& invitee) {
        auto& a = agent(referrer);
        auto s = kms_round(a, referrer, a.refer_to_focus(m_conf, invitee, now(), *m_rng));
        const auto* ti = s.to_peer(m_conf);
        if (!ti) return check(false, "Alice's REFER ticket");
        const auto got = m_net.sip("REFER", ti->type, referrer, m_conf, ti->bytes);
        auto f = kms_round(*m_focus, m_conf, m_focus->on_refer(got, invitee, now(), *m_rng));
        const auto* to_ref = f.to_peer(referrer);
        const auto* to_inv = f.to_peer(invitee);
        if (!f.ok() || !to_ref || !to_inv) return check(false, "focus handles the REFER: " + std::string(to_string(f.error)));
        check(true, "focus authenticated the referrer " + referrer + " before calling out (limits DoS)");
        const auto back = m_net.sip("202", to_ref->type, m_conf, referrer, to_ref->bytes);
        const auto ra = a.on_peer(s.id, back, now(), *m_rng);
        check(ra.ok() && ra.who == m_conf, "Alice authenticated the focus that accepted her REFER");
        auto& c = agent(invitee);
        const auto inv = m_net.sip("INVITE", to_inv->type, m_conf, invitee, to_inv->bytes);
        auto cs = kms_round(c, invitee, c.on_call_out(inv, m_conf, now(), *m_rng));
        const auto* ans = cs.to_peer(m_conf);
        if (!cs.ok() || !ans) return check(false, "Carol accepts the call-out: " + std::string(to_string(cs.error)));
        check(true, short_name(invitee) + " resolved the ticket: the caller is the focus " + m_conf);
        const auto ok200 = m_net.sip("200 OK", ans->type, invitee, m_conf, ans->bytes);
        const auto fd = m_focus->on_peer(f.id, ok200, now(), *m_rng);
        check(fd.ok() && fd.who == invitee, "focus authenticated " + invitee + " (TRANSFER_RESP under MPKr')");
        deliver_updates(fd, invitee);
    }

    void flow5(const std::string& referrer, const std::string& user) {
        auto& a = agent(referrer);
        auto& d = agent(user);
        auto s = kms_round(a, referrer, a.refer_to_user(m_conf, user, now(), *m_rng));
        const auto* ti = s.to_peer(user);
        if (!ti) return check(false, "Alice's REFER ticket for Dave");
        const auto got = m_net.sip("REFER", ti->type, referrer, user, ti->bytes);
        auto e = kms_round(d, user, d.on_refer(got, m_conf, now(), *m_rng));
        const auto* to_ref = e.to_peer(referrer);
        const auto* join = e.to_peer(m_conf);
        if (!e.ok() || !to_ref || !join) return check(false, "Dave acts on the REFER: " + std::string(to_string(e.error)));
        check(true, short_name(user) + " authenticated Alice and checked she named the focus " + m_conf);
        const auto back = m_net.sip("202", to_ref->type, user, referrer, to_ref->bytes);
        const auto ra = a.on_peer(s.id, back, now(), *m_rng);
        check(ra.ok() && ra.who == user, "Alice authenticated " + user);
        const auto inv = m_net.sip("INVITE", join->type, user, m_conf, join->bytes);
        auto f = kms_round(*m_focus, m_conf, m_focus->on_invite(inv, now(), *m_rng));
        const auto* resp = f.to_peer(user);
        if (!f.ok() || !resp) return check(false, "focus admits Dave: " + std::string(to_string(f.error)));
        const auto ok200 = m_net.sip("200 OK", resp->type, m_conf, user, resp->bytes);
        const auto r = d.on_peer(e.id, ok200, now(), *m_rng);
        check(r.ok() && r.who == m_conf, short_name(user) + " authenticated the focus and joined");
        deliver_updates(f, user);
    }

    void leave(const std::string& who) {
        const auto f = m_focus->leave(who, now(), *m_rng);
        check(f.ok(), short_name(who) + " left (BYE); keys dropped by the focus");
        if (m_opt.model == conference::key_model::group) {
            deliver_updates(f, who);
        } else {
            check(f.messages.empty(), "individual keys: nobody else held Bob's keys, no rekey needed");
        }
    }

    // ---- keys and media ----
    static const roles::session_key* key(std::span<const roles::session_key> ks, std::uint8_t cs) {
        for (const auto& k : ks) {
            if (k.cs.get() == cs) return &k;
        }
        return nullptr;
    }
    void print_keys() {
        section("keys each member holds (fingerprints: SHA-256 of the TEK, first 8 bytes)");
        for (const auto& m : m_focus->conference().members) {
            const auto mine = agent(m.identity).keys_of(m_conf);
            const auto theirs = m_focus->keys_of(m.identity);
            bool same = mine.size() == theirs.size();
            for (std::size_t i = 0; same && i < mine.size(); ++i) {
                same = equal_bytes(mine[i].tek.view(), theirs[i].tek.view()) &&
                       equal_bytes(mine[i].salt.view(), theirs[i].salt.view());
            }
            std::printf("  %-6s", short_name(m.identity).c_str());
            for (const auto& k : mine) {
                std::printf(" cs%u:%s", k.cs.get(), fingerprint(k.tek.view()).c_str());
            }
            std::printf("%s\n", m.called_out ? "  (called out)" : "");
            check(same, short_name(m.identity) + " and the focus hold the same keys");
        }
    }

    /// The SRTP policy the focus and `who` negotiated for crypto session
    /// `cs` (RFC 6043 §6.1.1: the member offered conference_srtp_policy,
    /// AES-256-CM with HMAC-SHA1-80, and the focus chose it; or the other
    /// way round on call-out). Checks that both ends hold the same one.
    std::optional<sp_view> srtp_policy(const std::string& who, std::uint8_t cs) {
        const auto theirs = agent(who).security_policy_of(m_conf, cs_id(cs));
        const auto ours = m_focus->security_policy_of(who, cs_id(cs));
        if (!theirs || !ours || !equal_bytes(theirs->bytes(), ours->bytes())) {
            check(false, "the negotiated SRTP policy of " + short_name(who) + " (cs " + std::to_string(cs) + ")");
            return std::nullopt;
        }
        return ours;
    }

    /// Sends one RTP packet from `tx` and checks which receivers decrypt it.
    bool try_open(const roles::session_key& rx_key, std::uint32_t ssrc, const bytes& packet, const bytes& payload,
                  const std::optional<sp_view>& sp) {
        auto rx = secure_conference::srtp_endpoint::receiver(rx_key, ssrc, sp);
        bytes got;
        return rx && rx->unprotect(packet, got) && got == payload;
    }

    void media(const std::string& when, const std::string& departed) {
        std::uint16_t seq = static_cast<std::uint16_t>(m_seq += 10);
        // Each member's stream to the focus (cs 1, its own SSRC, its TGK'-derived TEK).
        const auto& members = m_focus->conference().members;
        for (std::size_t i = 0; i < members.size(); ++i) {
            const auto& who = members[i].identity;
            const auto* k = key(agent(who).keys_of(m_conf), conference::cs_member_media);
            const auto* fk = key(m_focus->keys_of(who), conference::cs_member_media);
            if (!k || !fk) return check(false, "keys of " + who);
            const auto sp = srtp_policy(who, conference::cs_member_media);
            if (!sp) return;
            auto tx = secure_conference::srtp_endpoint::sender(*k, k->ssrc, sp);
            bytes packet;
            const bytes payload = {'v', 'o', 'i', 'c', 'e', static_cast<std::uint8_t>(i)};
            if (!tx || !tx->protect(seq, 160u * seq, payload, packet)) return check(false, "SRTP protect for " + who);
            const bool ok = try_open(*fk, k->ssrc, packet, payload, sp);
            const auto& other = members[(i + 1) % members.size()].identity;
            const auto* wrong = key(m_focus->keys_of(other), conference::cs_member_media);
            const bool other_fails = other == who || !try_open(*wrong, k->ssrc, packet, payload, sp);
            check(ok && other_fails, when + ": focus decrypts " + short_name(who) + "'s SRTP (ssrc " +
                                         std::to_string(k->ssrc) + "); " + short_name(other) + "'s keys do not");
        }
        // The focus's stream(s) to the members (cs 2).
        for (const auto& m : members) {
            const auto* fk = key(m_focus->keys_of(m.identity), conference::cs_focus_media);
            const auto* mk = key(agent(m.identity).keys_of(m_conf), conference::cs_focus_media);
            if (!fk || !mk) return check(false, "focus media keys of " + m.identity);
            const auto sp = srtp_policy(m.identity, conference::cs_focus_media);
            if (!sp) return;
            auto tx = secure_conference::srtp_endpoint::sender(*fk, fk->ssrc, sp);
            bytes packet;
            const bytes payload = {'m', 'i', 'x'};
            if (!tx || !tx->protect(seq, 160u * seq, payload, packet)) return check(false, "SRTP protect by the focus");
            const bool ok = try_open(*mk, fk->ssrc, packet, payload, sp);
            std::string others_ok;
            bool others_as_model = true;
            for (const auto& o : members) {
                if (o.identity == m.identity) continue;
                const auto* ok2 = key(agent(o.identity).keys_of(m_conf), conference::cs_focus_media);
                const bool opens = ok2 && try_open(*ok2, fk->ssrc, packet, payload, sp);
                // Group keys: every member opens the focus's stream; individual keys: only its addressee.
                others_as_model = others_as_model && opens == (m_opt.model == conference::key_model::group);
            }
            check(ok && others_as_model,
                  when + ": " + short_name(m.identity) + " decrypts the focus's SRTP (ssrc " + std::to_string(fk->ssrc) +
                      "); other members " +
                      (m_opt.model == conference::key_model::group ? "share the group key" : "cannot (individual keys)"));
            if (!departed.empty()) {
                const auto* dk = key(agent(departed).keys_of(m_conf), conference::cs_focus_media);
                check(dk && !try_open(*dk, fk->ssrc, packet, payload, sp),
                      when + ": " + short_name(departed) + " cannot decrypt the focus's new packets to " +
                          short_name(m.identity));
            }
        }
    }

    void bfcp(const std::string& who, const std::string& other) {
        const auto* uk = key(agent(who).keys_of(m_conf), conference::cs_bfcp);
        const auto* fk = key(m_focus->keys_of(who), conference::cs_bfcp);
        const auto* ok = key(agent(other).keys_of(m_conf), conference::cs_bfcp);
        if (!uk || !fk || !ok) return check(false, "BFCP crypto sessions");
        const auto client = conference::tls_psk_of(*uk, agent(who).csb_of(m_conf));
        const auto server = conference::tls_psk_of(*fk, m_focus->csb_of(who));
        auto wrong = conference::tls_psk_of(*ok, agent(who).csb_of(m_conf));
        if (!client || !server || !wrong) return check(false, "TLS PSKs");
        wrong->identity = client->identity;  // Alice's PSK identity with Bob's BFCP TEK
        const auto r = secure_conference::run_bfcp_floor_request(*client, *server);
        std::printf("  PSK identity %s, PSK fingerprint %s\n", std::string(client->identity.view()).c_str(),
                    fingerprint(client->key.view()).c_str());
        check(r.ok(), "TLS-PSK handshake " + r.suite + ", BFCP FloorRequest granted" +
                          (r.failure.empty() ? "" : " (" + r.failure + ")"));
        const auto bad = secure_conference::run_bfcp_floor_request(*wrong, *server);
        check(!bad.handshake_ok, "the handshake fails with another member's key (" + bad.failure + ")");
    }

    void notify(const std::string& who, const std::string& other) {
        check(m_focus->subscribe(who).has_value(), short_name(who) + "'s SUBSCRIBE accepted (authorized participant)");
        const auto* fk = key(m_focus->keys_of(who), conference::cs_event_package);
        const auto* uk = key(agent(who).keys_of(m_conf), conference::cs_event_package);
        const auto* ok = key(agent(other).keys_of(m_conf), conference::cs_event_package);
        if (!fk || !uk || !ok) return check(false, "event-package crypto sessions");
        auto sealer = conference::notify_sealer::make(*fk);
        auto opener = conference::notify_opener::make(*uk);
        auto stranger = conference::notify_opener::make(*ok);
        if (!sealer || !opener || !stranger) return check(false, "NOTIFY keys");
        const std::string body = "<conference-info entity=\"" + m_conf + "\" state=\"partial\" version=\"2\"/>";
        const auto ctype = conference::conference_info_content_type;
        bytes sealed(conference::notify_protected_size(body.size()));
        const auto s = sealer->seal(m_conf, ctype, bytes_view(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()), sealed);
        if (!s) return check(false, "NOTIFY seal");
        bytes plain(body.size());
        const auto o = opener->open(m_conf, ctype, *s, plain);
        check(o && std::string(o->body.begin(), o->body.end()) == body,
              short_name(who) + " opens the protected NOTIFY (AES-GCM, " + std::to_string(s->size()) + " bytes)");
        check(!stranger->open(m_conf, ctype, *s, plain), short_name(other) + "'s key does not open it");
        check(opener->open(m_conf, ctype, *s, plain).error() == errc::replayed_message, "a replayed NOTIFY is refused");
    }

    void write_dump() {
        std::ofstream f(m_opt.dump);
        f << "{\n  \"format\": \"mikey-ticket secure_conference dump 1\",\n";
        f << "  \"seed\": " << m_seed << ",\n  \"key_model\": \""
          << (m_opt.model == conference::key_model::group ? "group" : "individual") << "\",\n";
        f << "  \"kms\": {\"identity\": \"" << kms_uri << "\", \"tpk\": \"" << hex(m_tpk) << "\"},\n";
        f << "  \"factory\": {\"identity\": \"" << factory_uri << "\", \"psk\": \"" << hex(m_factory_psk)
          << "\", \"conference\": \"" << m_conf << "\"},\n";
        f << "  \"suite\": {\"prf\": \"PRF-HMAC-SHA-256\", \"encr\": \"AES-CM-256\", \"mac\": \"HMAC-SHA-256-256\"},\n";
        f << "  \"users\": [";
        bool first = true;
        for (const auto& n : m_order) {
            f << (first ? "\n" : ",\n") << "    {\"identity\": \"" << n << "\", \"psk\": \"" << hex(m_users[n]->psk)
              << "\"}";
            first = false;
        }
        f << "\n  ],\n  \"messages\": [";
        first = true;
        for (const auto& m : m_net.log) {
            f << (first ? "\n" : ",\n") << "    {\"exchange\": " << m.exchange << ", \"name\": \"" << m.name
              << "\", \"from\": \"" << m.from << "\", \"to\": \"" << m.to << "\", \"hex\": \"" << m.hex << "\"}";
            first = false;
        }
        f << "\n  ]\n}\n";
        check(f.good(), "wrote " + std::to_string(m_net.log.size()) + " MIKEY messages in " +
                            std::to_string(m_net.exchanges) + " exchanges to " + m_opt.dump);
    }

    options m_opt;
    std::uint64_t m_seed = 0;
    ntp_time m_now{};
    std::unique_ptr<B> m_backend;
    std::optional<rng_type> m_rng;
    naming m_names{factory_uri};
    bytes m_tpk, m_factory_psk;
    ticket::memory_key_store m_ks_kms, m_ks_server;
    std::unique_ptr<cache> m_c_kms = std::make_unique<cache>(), m_c_server = std::make_unique<cache>();
    std::optional<inner_policy> m_p_kms_inner, m_p_server_inner;
    std::optional<alias_policy> m_p_kms, m_p_server;
    std::optional<kms_type> m_kms;
    conference::basic_conference_policy m_conf_policy{};
    conference::machine_config m_machines{kms_uri};
    std::optional<factory_type> m_factory;
    std::optional<focus_type> m_focus;
    std::map<std::string, std::unique_ptr<user>> m_users;
    std::vector<std::string> m_order;
    std::string m_conf;
    network m_net;
    checks m_checks;
    unsigned m_seq = 0;
};

int usage() {
    std::fprintf(stderr,
                 "usage: secure_conference [--key-model group|individual] [--users N (4..200)] [--seed S] "
                 "[--dump FILE]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--key-model" && has_value) {
            const std::string v = argv[++i];
            if (v == "group") {
                o.model = conference::key_model::group;
            } else if (v == "individual") {
                o.model = conference::key_model::individual;
            } else {
                return usage();
            }
        } else if (a == "--users" && has_value) {
            const std::string v = argv[++i];
            const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), o.users);
            if (ec != std::errc{} || p != v.data() + v.size() || o.users < 4 || o.users > 200) return usage();
        } else if (a == "--seed" && has_value) {
            const std::string v = argv[++i];
            std::uint64_t s = 0;
            const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
            if (ec != std::errc{} || p != v.data() + v.size()) return usage();
            o.seed = s;
        } else if (a == "--dump" && has_value) {
            o.dump = argv[++i];
        } else {
            return usage();
        }
    }
    try {
        demo d(o);
        return d.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "secure_conference: %s\n", e.what());
        return 1;
    }
}

// mikey-ticket fuzzing: the conference focus (include/mikey/conference/
// focus.hpp) driven by a program of joins, REFERs, call-outs, leaves,
// management changes and forged deliveries over the in-memory conference
// world of tests/conference_world.hpp (one KMS, the factory, users with
// participant agents). fuzz_focus.cpp is the target; seed_corpus writes
// seed_inputs() to fuzz/corpus/focus/.
//
// The input is read as choices (provider.hpp):
//
//   header (5 bytes, `layout`)
//     u8  seed of the deterministic RNG
//     u8  creator: one of the six users (% 6)
//     u8  invited: bit i names user i in the creation ticket (flow 1)
//     u8  settings: bit 0 individual key model, 1 BFCP, 2 event package,
//         3 members may NOT invite, 4 members may manage
//     u8  reserved
//   then the conference is created through flow 1 (factory, KMS, creator)
//   and up to max_ops operations, each a byte (`op` = byte % 12) and its
//   parameters:
//     join      user, allow mask (flow 2a: names added by the creator's
//               ticket), how the TRANSFER_INIT is delivered (`variant`),
//               how many stages run now (`run` % 6: 0 all, 1-4, 5 none)
//     refer     referrer, invitee, named invitee (bit 7: another user than
//               the ticket names), variant, run (flow 4: REFER to the focus)
//     invite    by (any identity), invitee, run (management call-out)
//     advance   a held exchange: its next stage (each stage reads a variant)
//     leave     an identity; bit: the participant leaves too
//     manage    authorize / revoke / set_authorized / change_settings by
//               any identity
//     subscribe an identity
//     raw       bytes (raw / mutated / replayed) to on_kms, on_peer,
//               on_member_message, on_invite or on_refer with a held or
//               fuzzed exchange id
//     updates   the CSB updates queued for a user, delivered (first a
//               mutated copy when the variant says so)
//     clock     now advances (1 s ... days)
//     user      a new user (at most max_users) with a chosen SSRC (0x1000
//               range, the focus's group SSRC, any)
//     member    a member sends bytes to the focus (on_member_message)
//
//   An exchange runs in stages: call-in (focus's RESOLVE_INIT to the KMS
//   and its answer to on_kms; the TRANSFER_RESP to the joiner), REFER
//   (RESOLVE_INIT / on_kms, then call-out), call-out (REQUEST_INIT /
//   on_kms; the TRANSFER_INIT to the invitee, who resolves it; its
//   TRANSFER_RESP to on_peer). At each stage the variant can deliver a
//   mutated (XOR, truncated, raw, replayed) message first, then the genuine
//   one. Held exchanges (at most max_held) wait for `advance`.
//
// Invariants, after every focus call and every operation (MIKEY_FUZZ_CHECK):
//   - no two media streams of the conference share an SSRC (members'
//     media sessions; the focus's group stream counts once, in the group
//     model only, and no member stream uses its SSRC);
//   - a member appears only if it was authorized (before the step) or is
//     the creator; identities in the record are unique;
//   - record membership and non-empty focus.keys_of() agree;
//   - the authorized set equals a model kept here (management calls,
//     flow 2a additions by the creator's ticket), the settings likewise,
//     and management / subscribe outcomes are what the default
//     conference policy decides;
//   - a refused focus call changes neither authorized set, members, epoch
//     nor settings;
//   - a mutated message is never accepted by on_kms / on_peer (forgery),
//     and an exchange started by a mutated TRANSFER_INIT never completes;
//   - a member whose genuine CSB updates were all delivered (and the
//     participant side of its join completed) holds the keys the focus
//     has for it (keys_of): CS, SSRC, TEK, salt.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "conference_world.hpp"
#include "fuzz_main.hpp"
#include "provider.hpp"

#ifdef MIKEY_FUZZ_TRACE
#include <cstdio>
#define FOCUS_TRACE(...) std::fprintf(stderr, __VA_ARGS__)
#else
#define FOCUS_TRACE(...) static_cast<void>(0)
#endif

namespace mikey_fuzz::focus_fuzz {

using namespace conference_test;
using conference::destination;
using conference::exchange_id;
using conference::key_model;
using conference::step;

struct layout {
    static constexpr std::size_t seed = 0, creator = 1, invited = 2, settings = 3, reserved = 4, ops = 5;
};
inline constexpr std::size_t max_ops = 64;
inline constexpr std::size_t max_users = 10;
inline constexpr std::size_t max_held = 8;
inline constexpr std::size_t max_history = 48;

/// The operations (an op byte % op::count).
namespace op {
enum : std::uint8_t { join, refer, invite, advance, leave, manage, subscribe, raw, updates, clock, user, member, count };
}

/// What a refusal must leave unchanged.
struct snapshot {
    std::set<std::string, std::less<>> authorized;
    std::vector<std::string> members;
    std::uint32_t epoch = 0;
    conference::settings config{};
    bool operator==(const snapshot&) const = default;
};

inline const std::string conf_uri = "sip:focus1.conference1@operator.example";

class driver {
public:
    explicit driver(provider& p) : m_p(p) {}

    void run() {
        const std::uint8_t seed = m_p.u8();
        const std::size_t creator = m_p.u8() % 6;
        const std::uint8_t invited = m_p.u8();
        const std::uint8_t set = m_p.u8();
        (void)m_p.u8();
        m_w.emplace(seed);
        m_w->conf_policy.members_may_invite = (set & 8) == 0;
        m_w->conf_policy.members_may_manage = (set & 16) != 0;
        for (const auto& [name, u] : m_w->users) m_names.push_back(name);
        std::sort(m_names.begin(), m_names.end());  // alice bob carol dave erin mallory
        m_state.resize(m_names.size());
        conference::settings cfg{};
        cfg.keys = (set & 1) ? key_model::individual : key_model::group;
        cfg.bfcp = (set & 2) != 0;
        cfg.event_package = (set & 4) != 0;
        if (!create(creator, invited, cfg)) return;
        for (std::size_t i = 0; i < max_ops && m_p.remaining() > 0; ++i) {
            one_op();
            check_all();
        }
    }

private:
    struct flight {
        int tag = 0;
        enum class kind : std::uint8_t { call_in, refer, call_out } what = kind::call_in;
        enum class stage : std::uint8_t { focus_kms, joiner_resp, invitee_ti, focus_peer, over } st = stage::focus_kms;
        exchange_id fid = 0;
        bytes msg;
        std::size_t user = 0;      ///< joiner / invitee
        std::size_t referrer = 0;  ///< refer: the referrer (its participant exchange in pid)
        exchange_id pid = 0;       ///< the participant's exchange (joiner, or referrer)
        bool tainted = false;      ///< started by a mutated TRANSFER_INIT
        bool loose = false;        ///< started by an earlier genuine message: followed no further once taken
        std::vector<std::string> allow;  ///< call-in: the names the joiner's ticket adds (flow 2a, the creator)
    };
    struct user_state {
        int p_tag = -1;  ///< the exchange whose keys the participant holds (-1: none)
        int f_tag = -1;  ///< the exchange that made it a member of the focus (-1: not a member, -2: unknown)
        std::deque<bytes> queue;  ///< CSB updates from the focus, not yet delivered
        bool lost = false;        ///< an update of this membership was not taken
    };

    provider& m_p;
    std::optional<world> m_w;
    std::optional<focus_type> m_f;
    std::vector<std::string> m_names;  ///< users, by index
    std::vector<user_state> m_state;
    std::set<std::string, std::less<>> m_auth;  ///< model of the authorized set
    conference::settings m_config{};
    std::vector<flight> m_held;
    std::vector<bytes> m_history;
    int m_tags = 0;
    std::uint32_t m_epoch = 0;

    // ------------------------------------------------------------ helpers

    focus_type& f() { return *m_f; }
    user_type& agent(std::size_t i) { return m_w->agent(m_names[i]); }
    std::size_t user_index(std::string_view who) const {
        for (std::size_t i = 0; i < m_names.size(); ++i) {
            if (m_names[i] == who) return i;
        }
        return m_names.size();
    }
    /// Any identity: a user, the conference, the factory, a stranger.
    std::string identity(std::uint8_t b) const {
        const std::size_t n = m_names.size() + 3;
        const std::size_t i = b % n;
        if (i < m_names.size()) return m_names[i];
        if (i == m_names.size()) return conf_uri;
        if (i == m_names.size() + 1) return factory_uri;
        return "sip:nobody@example.org";
    }
    void remember(bytes_view b) {
        if (m_history.size() >= max_history) m_history.erase(m_history.begin());
        m_history.emplace_back(b.begin(), b.end());
    }
    static snapshot snap(const conference::record& r) {
        snapshot s{r.authorized, {}, r.epoch, r.config};
        for (const auto& m : r.members) s.members.push_back(m.identity);
        return s;
    }

    /// What to deliver before (or instead of) a genuine message.
    /// How to deliver a message: read from the input before the message
    /// exists (so an op reads the same bytes whatever happens), applied to it later.
    struct spec {
        std::uint8_t how = 0;   ///< % 8: 0-3 genuine only, 4 XOR, 5 truncate, 6 raw, 7 an earlier message
        std::uint16_t at = 0;   ///< XOR offset / truncation length / history index
        bytes data;             ///< XOR bytes / raw bytes
    };
    spec read_spec() {
        spec v;
        v.how = m_p.u8() % 8;
        if (v.how >= 4) v.at = v.how == 7 ? m_p.u8() : m_p.u16();
        if (v.how == 4) {
            const auto x = m_p.take(1 + m_p.u8() % 4);
            v.data.assign(x.begin(), x.end());
        }
        if (v.how == 6) {
            const auto r = m_p.field();
            v.data.assign(r.begin(), r.end());
        }
        return v;
    }
    /// What to deliver before (or instead of) a genuine message.
    struct other {
        std::optional<bytes> b;  ///< nothing: the genuine message only
        bool forged = false;     ///< made from input bytes (not a message any machine made)
        bool differs = false;    ///< b is not the genuine message
    };
    other apply(const spec& v, bytes_view genuine) const {
        other o;
        switch (v.how) {
            case 4:  // input bytes XORed in at an offset
                if (!genuine.empty()) {
                    bytes b(genuine.begin(), genuine.end());
                    const std::size_t at = v.at % b.size();
                    for (std::size_t i = 0; i < v.data.size() && at + i < b.size(); ++i) b[at + i] ^= v.data[i];
                    o.b = std::move(b);
                }
                break;
            case 5:  // truncated
                if (!genuine.empty()) o.b = bytes(genuine.begin(), genuine.begin() + static_cast<std::ptrdiff_t>(v.at % genuine.size()));
                break;
            case 6: o.b = v.data; break;  // replaced by input bytes
            case 7:                       // an earlier message
                if (!m_history.empty()) o.b = m_history[v.at % m_history.size()];
                break;
            default: break;
        }
        o.differs = o.b && !same(o.b, genuine);
        o.forged = o.differs && v.how >= 4 && v.how <= 6;
        return o;
    }
    other variant(bytes_view genuine) { return apply(read_spec(), genuine); }
    static bool same(const std::optional<bytes>& m, bytes_view genuine) {
        return m && m->size() == genuine.size() && std::equal(m->begin(), m->end(), genuine.begin());
    }

    /// Calls the focus through `fn` with the refusal / new member checks.
    template <class Fn>
    step call(Fn&& fn) {
        const auto before = snap(f().conference());
        step s = fn();
        const auto after = snap(f().conference());
        FOCUS_TRACE("  focus: %s id=%u done=%d who=%s msgs=%zu\n", std::string(to_string(s.error)).c_str(), s.id, s.done,
                    s.who.c_str(), s.messages.size());
        if (!s.ok()) MIKEY_FUZZ_CHECK(before == after);
        MIKEY_FUZZ_CHECK(after.epoch >= before.epoch);
        // Members who appeared: authorized before this step, or the creator.
        for (const auto& m : after.members) {
            if (std::find(before.members.begin(), before.members.end(), m) != before.members.end()) continue;
            const bool was = m == f().conference().creator ||
                             before.authorized.find(m) != before.authorized.end();
            MIKEY_FUZZ_CHECK(was);
            const auto i = user_index(m);
            MIKEY_FUZZ_CHECK(i < m_names.size());
            m_state[i].f_tag = -2;  // the caller names the exchange
            m_state[i].queue.clear();
            m_state[i].lost = false;
        }
        for (const auto& m : before.members) {
            if (std::find(after.members.begin(), after.members.end(), m) != after.members.end()) continue;
            const auto i = user_index(m);
            m_state[i].f_tag = -1;
            m_state[i].queue.clear();
        }
        m_epoch = after.epoch;
        check_record();
        return s;
    }

    /// Queues the CSB updates of a focus step (TRANSFER_INITs to members),
    /// except `call_out_to` (the call-out's own TRANSFER_INIT).
    void route_updates(const step& s, std::string_view call_out_to = {}) {
        for (const auto& m : s.messages) {
            remember(m.bytes);
            if (m.to != destination::peer || m.type != data_type::transfer_init || m.peer == call_out_to) continue;
            const auto i = user_index(m.peer);
            MIKEY_FUZZ_CHECK(i < m_names.size());
            MIKEY_FUZZ_CHECK(!f().keys_of(m.peer).empty());
            m_state[i].queue.emplace_back(m.bytes.begin(), m.bytes.end());
        }
    }
    static const conference::message* find(const step& s, destination to, std::string_view peer, data_type t) {
        for (const auto& m : s.messages) {
            if (m.to == to && (to == destination::kms || m.peer == peer) && m.type == t) return &m;
        }
        return nullptr;
    }
    static const conference::message* to_kms(const step& s) {
        for (const auto& m : s.messages) {
            if (m.to == destination::kms) return &m;
        }
        return nullptr;
    }

    void check_keys(std::size_t i) {
        const auto& st = m_state[i];
        if (st.p_tag < 0 || st.p_tag != st.f_tag || !st.queue.empty() || st.lost) return;
        const auto mine = agent(i).keys_of(conf_uri);
        const auto theirs = f().keys_of(m_names[i]);
        FOCUS_TRACE("  keys of %s compared (%zu sessions)\n", m_names[i].c_str(), mine.size());
        MIKEY_FUZZ_CHECK(!theirs.empty());
        MIKEY_FUZZ_CHECK(mine.size() == theirs.size());
        for (std::size_t k = 0; k < mine.size(); ++k) {
            MIKEY_FUZZ_CHECK(mine[k].cs == theirs[k].cs);
            MIKEY_FUZZ_CHECK(mine[k].ssrc == theirs[k].ssrc);
            MIKEY_FUZZ_CHECK(equal_bytes(mine[k].tek.view(), theirs[k].tek.view()));
            MIKEY_FUZZ_CHECK(equal_bytes(mine[k].salt.view(), theirs[k].salt.view()));
        }
    }

    void check_record() {
        const auto& r = f().conference();
        // SSRC uniqueness.
        std::set<std::uint32_t> seen;
        const bool group = r.config.keys == key_model::group;
        for (const auto& m : r.members) {
            for (const auto& s : m.sessions) {
                if (!conference::record::is_media(s.cs_id)) continue;
                if (group && s.cs_id == conference::cs_focus_media && s.ssrc == r.focus_ssrc) continue;  // the group stream
                MIKEY_FUZZ_CHECK(!(group && s.ssrc == r.focus_ssrc));
                MIKEY_FUZZ_CHECK(seen.insert(s.ssrc).second);
            }
        }
        // Unique members, each with keys; every user with keys a member.
        std::set<std::string> ids;
        for (const auto& m : r.members) {
            MIKEY_FUZZ_CHECK(ids.insert(m.identity).second);
            MIKEY_FUZZ_CHECK(!f().keys_of(m.identity).empty());
        }
        for (const auto& n : m_names) MIKEY_FUZZ_CHECK((r.find(n) != nullptr) == !f().keys_of(n).empty());
        MIKEY_FUZZ_CHECK(f().keys_of(conf_uri).empty());
        MIKEY_FUZZ_CHECK(f().keys_of("sip:nobody@example.org").empty());
    }

    void check_all() {
        check_record();
        const auto& r = f().conference();
        MIKEY_FUZZ_CHECK(r.authorized == m_auth);
        MIKEY_FUZZ_CHECK(r.config == m_config);
        MIKEY_FUZZ_CHECK(r.epoch == m_epoch);
        for (std::size_t i = 0; i < m_names.size(); ++i) check_keys(i);
    }

    // ------------------------------------------------------------ flow 1

    bool create(std::size_t creator, std::uint8_t invited, const conference::settings& cfg) {
        auto& w = *m_w;
        auto& c = agent(creator);
        std::vector<std::string_view> named;
        for (std::size_t i = 0; i < 6; ++i) {
            if (i != creator && (invited >> i & 1)) named.push_back(m_names[i]);
        }
        w.factory->set_defaults(cfg);
        auto s = w.kms_round(c, c.create(w.names, named, w.now, *w.rng));
        MIKEY_FUZZ_CHECK(s.ok());
        const auto* ti = s.to_peer(factory_uri);
        MIKEY_FUZZ_CHECK(ti);
        auto fs = w.kms_round(*w.factory, w.factory->on_invite(ti->bytes, w.now, *w.rng));
        MIKEY_FUZZ_CHECK(fs.ok() && fs.created);
        const auto* resp = fs.to_peer(m_names[creator]);
        MIKEY_FUZZ_CHECK(resp);
        MIKEY_FUZZ_CHECK(c.on_peer(s.id, resp->bytes, w.now, *w.rng).ok());
        MIKEY_FUZZ_CHECK(fs.created->uri == conf_uri);
        m_auth = fs.created->authorized;
        m_config = fs.created->config;
        MIKEY_FUZZ_CHECK(m_config == cfg);
        m_f.emplace(*w.backend, *w.p_server, w.conf_policy, w.machines, std::move(*fs.created));
        remember(ti->bytes);
        remember(resp->bytes);
        return true;
    }

    // ------------------------------------------------------------ exchanges

    flight start(typename flight::kind what, exchange_id fid, bytes_view to_kms, std::size_t user, std::size_t referrer,
                 exchange_id pid) {
        flight x;
        x.tag = ++m_tags;
        x.what = what;
        x.fid = fid;
        x.msg.assign(to_kms.begin(), to_kms.end());
        x.user = user;
        x.referrer = referrer;
        x.pid = pid;
        return x;
    }

    /// Runs `n` stages of `x` (0: until it ends, 5: none); holds it when it is not over.
    void drive(flight x, unsigned n) {
        for (unsigned k = 0; n != 5 && (n == 0 || k < n) && x.st != flight::stage::over; ++k) stage(x);
        if (x.st == flight::stage::over) return;
        if (m_held.size() >= max_held) m_held.erase(m_held.begin());
        m_held.push_back(std::move(x));
    }

    void stage(flight& x) {
        auto& w = *m_w;
        switch (x.st) {
            case flight::stage::focus_kms: {
                const spec sp = read_spec();
                std::vector<std::uint8_t> buf(4096);
                const auto o = w.kms->receive(x.msg, w.now, *w.rng, buf);
                const bytes answer(o.send.begin(), o.send.end());
                remember(answer);
                if (const auto v = apply(sp, answer); v.differs) {
                    const auto s = call([&] { return f().on_kms(x.fid, *v.b, w.now, *w.rng); });
                    if (v.forged) MIKEY_FUZZ_CHECK(!s.ok());  // a forged KMS answer is never taken
                    if (s.ok()) return loose(x, s);       // an earlier genuine message was taken instead
                }
                const auto s = call([&] { return f().on_kms(x.fid, answer, w.now, *w.rng); });
                if (!s.ok()) {
                    route_updates(s);
                    x.st = flight::stage::over;
                    return;
                }
                MIKEY_FUZZ_CHECK(!x.tainted);  // the ticket / MAC of a mutated TRANSFER_INIT never verify
                if (x.loose) return loose(x, s);
                if (x.what == flight::kind::call_in) {
                    route_updates(s);
                    MIKEY_FUZZ_CHECK(s.done && s.who == m_names[x.user]);
                    m_state[x.user].f_tag = x.tag;
                    // Flow 2a: the creator's ticket names whom it allows too.
                    if (m_names[x.user] == f().conference().creator) {
                        for (const auto& a : x.allow) {
                            if (a != f().conference().creator) m_auth.insert(a);
                        }
                    }
                    const auto* resp = find(s, destination::peer, m_names[x.user], data_type::transfer_resp);
                    MIKEY_FUZZ_CHECK(resp);
                    x.msg.assign(resp->bytes.begin(), resp->bytes.end());
                    x.st = flight::stage::joiner_resp;
                    return;
                }
                if (x.what == flight::kind::refer) {
                    route_updates(s);
                    // TRANSFER_RESP to the referrer (it authenticates the focus, flow 4a).
                    if (const auto* r = find(s, destination::peer, m_names[x.referrer], data_type::transfer_resp)) {
                        (void)agent(x.referrer).on_peer(x.pid, r->bytes, w.now, *w.rng);
                    }
                    const auto* k = to_kms(s);
                    MIKEY_FUZZ_CHECK(k);
                    x.what = flight::kind::call_out;
                    x.fid = s.id;
                    x.msg.assign(k->bytes.begin(), k->bytes.end());
                    x.st = flight::stage::focus_kms;
                    return;
                }
                // Call-out: the TRANSFER_INIT for the invitee.
                route_updates(s, m_names[x.user]);
                const auto* ti = find(s, destination::peer, m_names[x.user], data_type::transfer_init);
                MIKEY_FUZZ_CHECK(ti);
                x.msg.assign(ti->bytes.begin(), ti->bytes.end());
                x.st = flight::stage::invitee_ti;
                return;
            }
            case flight::stage::joiner_resp: {
                auto& u = agent(x.user);
                if (const auto v = variant(x.msg); v.forged) {
                    MIKEY_FUZZ_CHECK(!u.on_peer(x.pid, *v.b, w.now, *w.rng).ok());
                }
                const auto r = u.on_peer(x.pid, x.msg, w.now, *w.rng);
                FOCUS_TRACE("  %s: TRANSFER_RESP %s\n", m_names[x.user].c_str(), std::string(to_string(r.error)).c_str());
                if (r.ok() && r.done) {
                    MIKEY_FUZZ_CHECK(r.who == conf_uri);
                    m_state[x.user].p_tag = x.tag;
                }
                x.st = flight::stage::over;
                return;
            }
            case flight::stage::invitee_ti: {
                auto& u = agent(x.user);
                const auto d = w.kms_round(u, u.on_call_out(x.msg, conf_uri, w.now, *w.rng));
                FOCUS_TRACE("  %s: call-out %s\n", m_names[x.user].c_str(), std::string(to_string(d.error)).c_str());
                const auto* back = d.ok() ? d.to_peer(conf_uri) : nullptr;
                if (!back) {
                    x.st = flight::stage::over;
                    return;
                }
                m_state[x.user].p_tag = x.tag;
                x.msg.assign(back->bytes.begin(), back->bytes.end());
                remember(x.msg);
                x.st = flight::stage::focus_peer;
                return;
            }
            case flight::stage::focus_peer: {
                if (const auto v = variant(x.msg); v.differs) {
                    const auto s = call([&] { return f().on_peer(x.fid, *v.b, w.now, *w.rng); });
                    if (v.forged) MIKEY_FUZZ_CHECK(!s.ok());
                    if (s.ok()) return loose(x, s);
                }
                const auto s = call([&] { return f().on_peer(x.fid, x.msg, w.now, *w.rng); });
                route_updates(s);
                if (s.ok() && s.done) {
                    MIKEY_FUZZ_CHECK(s.who == m_names[x.user]);
                    m_state[x.user].f_tag = x.tag;
                }
                x.st = flight::stage::over;
                return;
            }
            case flight::stage::over: return;
        }
    }

    // ------------------------------------------------------------ operations

    void one_op() {
        auto& w = *m_w;
        const std::uint8_t o = m_p.u8() % op::count;
        FOCUS_TRACE("op %u\n", o);
        switch (o) {
            case op::join: {
                const std::size_t i = m_p.u8() % m_names.size();
                const std::uint8_t mask = m_p.u8();
                const spec sp = read_spec();
                const unsigned n = m_p.u8() % 6;
                std::vector<std::string_view> allow;
                for (std::size_t k = 0; k < m_names.size() && k < 8; ++k) {
                    if (mask >> k & 1) allow.push_back(m_names[k]);
                }
                auto& u = agent(i);
                auto s = w.kms_round(u, u.join(conf_uri, allow, w.now, *w.rng));
                const auto* ti = s.ok() ? s.to_peer(conf_uri) : nullptr;
                if (!ti) return;
                remember(ti->bytes);
                const auto v = apply(sp, ti->bytes);
                const bytes msg = v.differs ? *v.b : bytes(ti->bytes.begin(), ti->bytes.end());
                const auto fs = call([&] { return f().on_invite(msg, w.now, *w.rng); });
                const auto* k = fs.ok() ? to_kms(fs) : nullptr;
                if (!k) return;
                flight x = start(flight::kind::call_in, fs.id, k->bytes, i, 0, s.id);
                x.tainted = v.forged;
                x.loose = v.differs && !v.forged;  // an earlier TRANSFER_INIT: whose, is not known here
                x.allow.assign(allow.begin(), allow.end());
                drive(std::move(x), n);
                return;
            }
            case op::refer: {
                const std::size_t r = m_p.u8() % m_names.size();
                const std::size_t j = m_p.u8() % m_names.size();
                const std::uint8_t nb = m_p.u8();
                const std::string named = (nb & 0x80) ? m_names[nb % m_names.size()] : m_names[j];
                const spec sp = read_spec();
                const unsigned n = m_p.u8() % 6;
                auto& u = agent(r);
                auto s = w.kms_round(u, u.refer_to_focus(conf_uri, m_names[j], w.now, *w.rng));
                const auto* ti = s.ok() ? s.to_peer(conf_uri) : nullptr;
                if (!ti) return;
                remember(ti->bytes);
                const auto v = apply(sp, ti->bytes);
                const bytes msg = v.differs ? *v.b : bytes(ti->bytes.begin(), ti->bytes.end());
                const auto fs = call([&] { return f().on_refer(msg, named, w.now, *w.rng); });
                const auto* k = fs.ok() ? to_kms(fs) : nullptr;
                if (!k) return;
                flight x = start(flight::kind::refer, fs.id, k->bytes, user_index(named), r, s.id);
                x.tainted = v.forged;
                x.loose = v.differs && !v.forged;
                drive(std::move(x), n);
                return;
            }
            case op::invite: {
                const std::string by = identity(m_p.u8());
                const std::size_t j = m_p.u8() % m_names.size();
                const unsigned n = m_p.u8() % 6;
                const auto fs = call([&] { return f().invite(by, m_names[j], w.now, *w.rng); });
                const auto* k = fs.ok() ? to_kms(fs) : nullptr;
                if (!k) return;
                flight x = start(flight::kind::call_out, fs.id, k->bytes, j, 0, 0);
                drive(std::move(x), n);
                return;
            }
            case op::advance: {
                const std::uint8_t b = m_p.u8();
                if (m_held.empty()) return;
                const std::size_t k = b % m_held.size();
                flight x = std::move(m_held[k]);
                m_held.erase(m_held.begin() + static_cast<std::ptrdiff_t>(k));
                drive(std::move(x), 1);
                return;
            }
            case op::leave: {
                const std::string who = identity(m_p.u8());
                const bool both = m_p.flag();
                const bool member = f().conference().find(who) != nullptr;
                const auto s = call([&] { return f().leave(who, w.now, *w.rng); });
                MIKEY_FUZZ_CHECK(s.ok() == member);
                MIKEY_FUZZ_CHECK(s.ok() ? s.error == errc::ok : s.error == errc::not_a_member);
                route_updates(s);
                if (s.ok()) MIKEY_FUZZ_CHECK(!find(s, destination::peer, who, data_type::transfer_init));
                const auto i = user_index(who);
                if (both && i < m_names.size() && agent(i).leave(conf_uri)) m_state[i].p_tag = -1;
                return;
            }
            case op::manage: {
                const std::uint8_t kind = m_p.u8() % 4;
                const std::string by = identity(m_p.u8());
                const std::uint8_t arg = m_p.u8();
                const auto& r = f().conference();
                const bool allowed = by == r.creator || (m_w->conf_policy.members_may_manage && r.find(by));
                const auto before = snap(r);
                result<void> res;
                switch (kind) {
                    case 0: {
                        const std::string id = identity(arg);
                        res = f().authorize(by, id);
                        if (res && id != r.creator) m_auth.insert(id);
                        break;
                    }
                    case 1: {
                        const std::string id = identity(arg);
                        res = f().revoke(by, id);
                        if (res) m_auth.erase(id);
                        break;
                    }
                    case 2: {
                        std::vector<std::string> ids;
                        for (std::size_t k = 0; k < 8; ++k) {
                            if (arg >> k & 1) ids.push_back(identity(static_cast<std::uint8_t>(k + (arg & 1) * 3)));
                        }
                        res = f().set_authorized(by, ids);
                        if (res) m_auth = {ids.begin(), ids.end()};
                        break;
                    }
                    default: {
                        conference::settings s{};
                        s.keys = (arg & 1) ? key_model::individual : key_model::group;
                        s.bfcp = (arg & 2) != 0;
                        s.event_package = (arg & 4) != 0;
                        const bool model_change = s.keys != r.config.keys && (!r.members.empty() || f().pending() != 0);
                        res = f().change_settings(by, s);
                        MIKEY_FUZZ_CHECK(res.has_value() == (allowed && !model_change));
                        if (res) m_config = s;
                        break;
                    }
                }
                if (kind != 3) MIKEY_FUZZ_CHECK(res.has_value() == allowed);
                if (!allowed) MIKEY_FUZZ_CHECK(res.error() == errc::unauthorized_management);
                if (!res) MIKEY_FUZZ_CHECK(snap(f().conference()) == before);
                return;
            }
            case op::subscribe: {
                const std::string who = identity(m_p.u8());
                const auto s = f().subscribe(who);
                MIKEY_FUZZ_CHECK(s.has_value() == f().conference().is_authorized(who));
                return;
            }
            case op::raw: {
                const std::uint8_t entry = m_p.u8() % 5;
                const std::uint8_t sel = m_p.u8();
                exchange_id id = sel;
                if (sel < 0x80 && !m_held.empty()) id = m_held[sel % m_held.size()].fid;
                const std::uint8_t h = m_p.u8();
                const bytes base = m_history.empty() ? bytes{} : m_history[h % m_history.size()];
                const auto v = variant(base);
                const bytes msg = v.b ? *v.b : base;
                const std::string who = identity(m_p.u8());
                FOCUS_TRACE("  raw to entry %u id %u who %s: %zu bytes (type %d, history %u of %zu, forged %d)\n", entry, id,
                            who.c_str(), msg.size(), msg.size() > 1 ? msg[1] : -1, h, m_history.size(), v.forged);
                step s;
                switch (entry) {
                    case 0: s = call([&] { return f().on_kms(id, msg, w.now, *w.rng); }); break;
                    case 1: s = call([&] { return f().on_peer(id, msg, w.now, *w.rng); }); break;
                    case 2: s = call([&] { return f().on_member_message(who, msg, w.now, *w.rng); }); break;
                    case 3: s = call([&] { return f().on_invite(msg, w.now, *w.rng); }); break;
                    default: s = call([&] { return f().on_refer(msg, who, w.now, *w.rng); }); break;
                }
                // What this did to a held exchange is unknown now: let it go.
                if (s.ok() && s.id != 0) std::erase_if(m_held, [&](const flight& x) { return x.fid == s.id; });
                route_updates_loose(s);
                if (s.ok()) m_auth = f().conference().authorized;  // a replayed creator's join (flow 2a)
                return;
            }
            case op::updates: {
                const std::size_t i = m_p.u8() % m_names.size();
                const spec sp = read_spec();
                auto& st = m_state[i];
                if (st.queue.empty()) return;
                if (const auto v = apply(sp, st.queue.front()); v.forged) {
                    const std::size_t n = agent(i).keys_of(conf_uri).size();
                    MIKEY_FUZZ_CHECK(!agent(i).on_update(conf_uri, *v.b, w.now, *w.rng).ok());
                    MIKEY_FUZZ_CHECK(agent(i).keys_of(conf_uri).size() == n);
                }
                while (!st.queue.empty()) {
                    const bytes u = std::move(st.queue.front());
                    st.queue.pop_front();
                    const auto r = agent(i).on_update(conf_uri, u, w.now, *w.rng);
                    FOCUS_TRACE("  %s: update %s\n", m_names[i].c_str(), std::string(to_string(r.error)).c_str());
                    if (!r.ok()) st.lost = true;
                    else MIKEY_FUZZ_CHECK(r.messages.empty());  // no V flag: no answer
                }
                return;
            }
            case op::clock: {
                const std::uint8_t b = m_p.u8();
                const std::int64_t secs[] = {1, 10, 60, 299, 301, 3600, 86400, 7 * 86400};
                w.now = ntp_time(w.now) + std::chrono::seconds(secs[b % 8]);
                return;
            }
            case op::user: {
                const std::uint8_t how = m_p.u8();
                const std::uint32_t val = m_p.u32();
                if (m_names.size() >= max_users) return;
                std::uint32_t ssrc = 0;
                switch (how % 4) {
                    case 0: ssrc = 0x1000 + val % 12; break;
                    case 1: ssrc = f().conference().focus_ssrc; break;
                    case 2: ssrc = val; break;
                    default: ssrc = 0x2000 + static_cast<std::uint32_t>(m_names.size()); break;
                }
                const std::string n = "sip:user" + std::to_string(m_names.size()) + "@example.org";
                w.add_user(n, ssrc, (how & 4) != 0, (how & 8) != 0);
                m_names.push_back(n);
                m_state.emplace_back();
                return;
            }
            case op::member: {
                const std::size_t i = m_p.u8() % m_names.size();
                const std::uint8_t h = m_p.u8();
                const bytes base = m_history.empty() ? bytes{} : m_history[h % m_history.size()];
                const auto v = variant(base);
                const bytes msg = v.b ? *v.b : base;
                FOCUS_TRACE("  member %s sends %zu bytes (type %d, history %u of %zu, spec %u)\n", m_names[i].c_str(), msg.size(),
                            msg.size() > 1 ? msg[1] : -1, h, m_history.size(), v.forged);
                const auto s = call([&] { return f().on_member_message(m_names[i], msg, w.now, *w.rng); });
                route_updates_loose(s);
                return;
            }
            default: return;
        }
    }

    /// Routes a step whose exchange is not tracked: CSB updates are queued.
    void route_updates_loose(const step& s) {
        for (const auto& m : s.messages) {
            remember(m.bytes);
            if (m.to != destination::peer || m.type != data_type::transfer_init) continue;
            const auto i = user_index(m.peer);
            if (i < m_names.size() && !f().keys_of(m.peer).empty()) m_state[i].queue.emplace_back(m.bytes.begin(), m.bytes.end());
        }
    }

    /// A focus step taken on a message this harness does not follow (an
    /// earlier genuine one): its updates are queued, the authorized set
    /// taken as it is now, the exchange followed no further.
    void loose(flight& x, const step& s) {
        route_updates_loose(s);
        m_auth = f().conference().authorized;
        x.st = flight::stage::over;
    }
};

/// The seed inputs seed_corpus writes to fuzz/corpus/focus/ (name, bytes).
/// Users by index: 0 alice, 1 bob, 2 carol, 3 dave, 4 erin, 5 mallory, 6.. added
/// ones; identities: the users, then the conference URI, the factory, a stranger.
/// Ops (then their bytes; a variant byte 0 delivers the genuine message):
///   join 0 user allow-mask variant run [stage variants: KMS answer, TRANSFER_RESP]
///   refer 1 referrer invitee named variant run [KMS answer, KMS answer, TRANSFER_RESP]
///   invite 2 by invitee run [KMS answer, TRANSFER_RESP]
///   advance 3 k [variant]; leave 4 who both; manage 5 kind by arg; subscribe 6 who
///   raw 7 entry id-sel history variant... who; updates 8 user variant; clock 9 b
///   user 10 how u32; member 11 user history variant...
inline std::vector<std::pair<std::string, std::vector<std::uint8_t>>> seed_inputs() {
    using v = std::vector<std::uint8_t>;
    const auto cat = [](std::initializer_list<v> parts) {
        v out;
        for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
        return out;
    };
    const auto join = [](std::uint8_t u, std::uint8_t mask = 0) { return v{op::join, u, mask, 0, 0, 0, 0}; };
    const auto join_no = [](std::uint8_t u) { return v{op::join, u, 0, 0, 0}; };  // refused at once
    const auto upd = [](std::uint8_t u) { return v{op::updates, u, 0}; };
    const v all_updates = {op::updates, 0, 0, op::updates, 1, 0, op::updates, 2, 0,
                           op::updates, 3, 0, op::updates, 4, 0, op::updates, 5, 0};
    const auto flows = [&](std::uint8_t seed, std::uint8_t set) {
        return cat({{seed, 0, 0x0E, set, 0},
                    join(0, 0x10), all_updates,                     // flow 2: alice, allowing erin
                    join(1), all_updates,                           // flow 3: bob
                    {op::refer, 0, 3, 0, 0, 0, 0, 0, 0}, all_updates,  // flow 4: alice refers dave
                    join(4), all_updates,                           // erin, allowed by alice's ticket
                    {op::subscribe, 5, op::subscribe, 4},
                    {op::leave, 1, 1}, all_updates,                 // bob leaves
                    {op::leave, 1, 1}, join(1), all_updates});      // and comes back
    };
    std::vector<std::pair<std::string, v>> out;
    out.emplace_back("seed-flows-group", flows(1, 0x06));
    out.emplace_back("seed-flows-individual", flows(2, 0x07));
    out.emplace_back("seed-flows-plain", flows(3, 0x00));
    // The management interface calls out (seed 003), and someone not allowed to.
    out.emplace_back("seed-invite", cat({{4, 0, 0x06, 0x06, 0},
                                         join(0), {op::invite, 0, 1, 0, 0, 0}, all_updates,
                                         {op::invite, 5, 2, 0}, {op::invite, 1, 2, 0, 0, 0}, all_updates,
                                         {op::invite, 0, 5, 0}, {op::invite, 0, 1, 0}}));
    // Management changes by the creator and by others; settings with and without members.
    out.emplace_back("seed-manage", cat({{5, 0, 0x02, 0x00, 0},
                                         {op::manage, 0, 1, 5, op::manage, 0, 0, 5, op::manage, 1, 0, 1},
                                         {op::manage, 3, 0, 0x07, op::manage, 3, 2, 0x00},
                                         join(5), join(1), all_updates,
                                         {op::manage, 3, 0, 0x00, op::manage, 3, 0, 0x05},
                                         {op::manage, 2, 0, 0x2A, op::manage, 2, 3, 0x01},
                                         {op::subscribe, 1, op::subscribe, 3, op::subscribe, 7},
                                         join(3), join(2), all_updates}));
    // Members may manage, may not invite (bob creates and joins, carol joins and manages).
    out.emplace_back("seed-members-manage", cat({{6, 1, 0x3F, 0x18, 0},
                                                 join(1), join(2), all_updates,
                                                 {op::manage, 0, 2, 8, op::manage, 1, 2, 3, op::manage, 0, 4, 5},
                                                 {op::refer, 2, 3, 0, 0, 0}, {op::invite, 2, 3, 0},
                                                 {op::invite, 1, 3, 0, 0, 0}, {op::invite, 1, 4, 0, 0, 0}, all_updates}));
    // Forged deliveries: a TRANSFER_INIT with bytes XORed in, a truncated
    // KMS answer, a raw TRANSFER_INIT, raw and replayed messages, a replayed
    // TRANSFER_INIT, a forged CSB update; each followed by genuine ones.
    out.emplace_back("seed-forged", cat({{7, 0, 0x06, 0x06, 0},
                                         join(0),
                                         {op::join, 1, 0, 4, 0x00, 0x30, 1, 0x5A, 0xA5, 0, 0},
                                         {op::join, 1, 0, 0, 0, 5, 0x00, 0x20, 0},
                                         {op::join, 2, 0, 6, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0},
                                         {op::raw, 0, 0x80, 3, 0, 0},
                                         {op::raw, 2, 0x80, 1, 4, 0, 4, 0, 9, 0},
                                         {op::member, 0, 2, 5, 0x00, 0x10},
                                         {op::join, 3, 0, 7, 1, 0, 0, 0},
                                         {op::updates, 0, 4, 0x00, 0x40, 0, 0x01}, all_updates}));
    // Held exchanges: joins and a call-out waiting while others go on.
    out.emplace_back("seed-held", cat({{8, 0, 0x1E, 0x06, 0},
                                       join(0),
                                       {op::join, 1, 0, 0, 1, 0, op::join, 2, 0, 0, 1, 0},
                                       {op::invite, 0, 3, 1, 0},
                                       {op::join, 3, 0, 0, 1, 0},
                                       {op::advance, 0, 0, op::advance, 2, 0, op::advance, 0, 0},
                                       {op::manage, 1, 0, 2}, {op::advance, 0, 0, op::advance, 0, 0},
                                       {op::raw, 1, 0x00, 0, 0, 0, op::advance, 0, 0},
                                       all_updates, {op::leave, 0, 1}, all_updates}));
    // SSRCs: users proposing a member's SSRC and the focus's group SSRC
    // (refused), then in the individual model (the group SSRC is free).
    out.emplace_back("seed-ssrc", cat({{9, 0, 0x0E, 0x00, 0},
                                       join(0), join(1), all_updates,
                                       {op::user, 0, 0, 0, 0, 1, op::manage, 0, 0, 6}, join_no(6), upd(6),
                                       {op::user, 1, 0, 0, 0, 0, op::manage, 0, 0, 7}, join_no(7),
                                       {op::user, 3, 0, 0, 0, 0, op::manage, 0, 0, 8}, join(8), all_updates, upd(8),
                                       {op::manage, 3, 0, 1}, {op::leave, 0, 1, op::leave, 1, 1, op::leave, 8, 1},
                                       {op::manage, 3, 0, 1}, join(7), join(6), upd(6), upd(7)}));
    // The clock: updates delivered after hours, joins after a week.
    out.emplace_back("seed-clock", cat({{10, 0, 0x0E, 0x00, 0},
                                        join(0), join(1), {op::clock, 5}, all_updates,
                                        {op::clock, 7}, join(2), all_updates, {op::clock, 0}, {op::leave, 2, 0},
                                        all_updates}));
    // REFER negatives (a non-member refers; the invitee is not the one the
    // ticket names; the invitee may not join), then a REFER held while the
    // invitee joins by itself, whose call-out the invitee then refuses.
    out.emplace_back("seed-refer", cat({{11, 0, 0x0E, 0x00, 0},
                                        join(0), {op::refer, 5, 1, 0, 0, 0},
                                        {op::refer, 0, 1, 0x82, 0, 0},
                                        {op::refer, 0, 5, 0, 0, 0},
                                        {op::refer, 0, 1, 0, 0, 1, 0}, join(1),
                                        {op::advance, 0, 0, op::advance, 0}, all_updates}));
    // Joins pending at the focus (before the KMS answered) while the key
    // model changes (nobody present yet), then completed.
    out.emplace_back("seed-model-change-pending", cat({{12, 0, 0x0E, 0x00, 0},
                                                       {op::join, 1, 0, 0, 5, op::join, 2, 0, 0, 5},
                                                       {op::manage, 3, 0, 1},
                                                       {op::advance, 0, 0, op::advance, 0, 0, op::advance, 0, 0,
                                                        op::advance, 0, 0},
                                                       join(3), upd(1), upd(2), upd(3),
                                                       {op::join, 4, 0, 0, 5, op::leave, 1, 1, op::leave, 2, 1,
                                                        op::leave, 3, 1, op::manage, 3, 0, 0, op::advance, 0, 0,
                                                        op::advance, 0, 0},
                                                       join(0), upd(0), upd(4)}));
    return out;
}

inline void run(mikey::bytes_view in) {
    provider p(in);
    driver d(p);
    d.run();
}

}  // namespace mikey_fuzz::focus_fuzz

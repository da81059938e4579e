// mikeyctl run / play: one role of a scenario on the library's role
// machines (scenario.hpp). The only file of the tool that includes them.
#include <array>
#include <variant>

#include <mikey/crypto/deterministic_rng.hpp>
#include <mikey/roles/initiator.hpp>
#include <mikey/roles/kms.hpp>
#include <mikey/roles/responder.hpp>

#include "scenario.hpp"

namespace mikeyctl::flow {

using namespace mikey;
using backend = crypto::botan_backend;
using store = ticket::memory_key_store;
using cache = ticket::memory_replay_cache<>;
using policy = roles::basic_policy<store, cache>;

static_assert(max_sessions == roles::max_crypto_sessions);

// ---------------------------------------------------------------------------
// RNG
// ---------------------------------------------------------------------------

struct any_rng::impl {
    std::variant<crypto::deterministic_rng<backend>, crypto::botan_system_rng> g;
};

any_rng::any_rng() = default;
any_rng::any_rng(any_rng&&) noexcept = default;
any_rng& any_rng::operator=(any_rng&&) noexcept = default;
any_rng::~any_rng() = default;

result<any_rng> any_rng::create(backend& b, std::optional<std::uint64_t> seed) {
    any_rng r;
    if (seed) {
        r.m = std::make_unique<impl>(impl{crypto::deterministic_rng<backend>(b, *seed)});
        return r;
    }
    auto sys = crypto::botan_system_rng::create();
    if (!sys) return sys.error_info();
    r.m = std::make_unique<impl>(impl{std::move(*sys)});
    return r;
}

result<void> any_rng::fill(mutable_bytes out) noexcept {
    return std::visit([&](auto& g) { return g.fill(out); }, m->g);
}

static_assert(random_generator<any_rng>);

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

std::string message_name(data_type t) {
    const std::string_view n = name_of(t);
    return n.empty() ? std::to_string(static_cast<unsigned>(t)) : std::string(n);
}

json event_names(std::uint8_t events) {
    static constexpr std::pair<roles::event, const char*> names[] = {
        {roles::event::request_answered, "request_answered"},
        {roles::event::resolve_answered, "resolve_answered"},
        {roles::event::ticket_granted, "ticket_granted"},
        {roles::event::peer_authenticated, "peer_authenticated"},
        {roles::event::keys_established, "keys_established"},
        {roles::event::ticket_resolved, "ticket_resolved"},
    };
    json out = json::array();
    for (const auto& [e, n] : names) {
        if ((events & static_cast<std::uint8_t>(e)) != 0) out.push_back(n);
    }
    return out;
}

// ---------------------------------------------------------------------------
// Player
// ---------------------------------------------------------------------------

namespace {

/// A role's key store, replay cache and policy (the policy holds the other
/// two by reference: built in place, never moved).
struct party {
    store keys;
    std::unique_ptr<cache> replay = std::make_unique<cache>();
    policy pol;
    explicit party(const roles::policy_settings& s) : keys(), pol(keys, *replay, s) {}
};

roles::policy_settings settings_of(const scenario& s) {
    auto p = roles::policy_settings::rfc6043_defaults();
    p.clock_window = s.clock_window;
    return p;
}

json session_keys_json(std::span<const roles::session_key> keys) {
    return tools::json_array(keys, [](const roles::session_key& k) {
        json e = json::object();
        e["cs_id"] = k.cs.get();
        e["kind"] = std::string(name_of(k.kind));
        e["key"] = reveal_hex(k.key);
        e["tek"] = reveal_hex(k.tek);
        e["salt"] = reveal_hex(k.salt);
        e["spi"] = tools::to_hex(k.spi_view());
        return e;
    });
}

}  // namespace

struct player::impl {
    role who;
    scenario sc;
    backend* b;
    any_rng* rng;
    party p;
    std::vector<roles::crypto_session_spec> sessions;
    std::optional<roles::kms<backend, policy>> kms;
    std::optional<roles::initiator<backend, policy>> ini;
    std::optional<roles::responder<backend, policy>> res;
    std::size_t requests = 0, resolves = 0;
    std::array<std::uint8_t, 16384> out{};

    impl(role w, const scenario& s, backend& be, any_rng& r) : who(w), sc(s), b(&be), rng(&r), p(settings_of(s)) {
        const auto add_psk = [&](const std::string& id, const std::optional<std::vector<std::uint8_t>>& k) {
            if (k) (void)p.keys.add_psk(ticket::as_bytes(id), *k);
        };
        // RFC 6043 §4.1.1: the TPK is the KMS's in modes 1-3, the Responder's in 2 and 4,
        // the Initiator's in 3 and 4; each PSK is shared by its party and the KMS.
        const bool holds_tpk = who == role::kms ? sc.mode <= 3 : who == role::responder ? sc.mode % 2 == 0 : sc.mode >= 3;
        if (holds_tpk) (void)p.keys.add_tpk({}, sc.tpk);
        if (who != role::responder) add_psk(sc.initiator, sc.psk_initiator);
        if (who != role::initiator) add_psk(sc.responder, sc.psk_responder);
        const roles::algorithm_suite suite{sc.prf, sc.encr, sc.mac};
        switch (who) {
            case role::kms: kms.emplace(*b, p.pol, roles::kms_config{.identity = sc.kms}); break;
            case role::responder:
                res.emplace(*b, p.pol,
                            roles::responder_config{.identity = sc.responder, .kms_identity = sc.kms, .suite = suite});
                break;
            case role::initiator: {
                for (const auto& c : sc.sessions) sessions.push_back({c.cs_id, c.ssrc});
                ticket_policy desired{};
                desired.prf = sc.prf;
                desired.flags = sc.flags;
                ini.emplace(*b, p.pol,
                            roles::initiator_config{.identity = sc.initiator,
                                                    .kms_identity = sc.kms,
                                                    .responder = sc.responder,
                                                    .desired = desired,
                                                    .key_kind = sc.key_kind,
                                                    .key_length = sc.key_length,
                                                    .sessions = sessions,
                                                    .suite = suite});
                break;
            }
        }
    }

    /// A step from a machine's outcome: `at` names the message refused or built.
    step from(const roles::outcome& o, std::string at) const {
        step s;
        s.error = o.error;
        s.at = std::move(at);
        s.events = o.events;
        s.keys_established = o.has(roles::event::keys_established);
        s.sent.assign(o.send.begin(), o.send.end());
        if (!o.send.empty()) s.sent_type = o.send_type;
        return s;
    }

    step transfer(step s) {
        const auto t = ini->start_transfer(sc.time(), *rng, out);
        step next = from(t, message_name(data_type::transfer_init));
        next.received = s.received;
        next.events = static_cast<std::uint8_t>(next.events | s.events);
        next.keys_established = next.keys_established || s.keys_established;
        return next;
    }
};

player::player(role who, const scenario& s, backend& b, any_rng& rng) : m(std::make_unique<impl>(who, s, b, rng)) {}
player::~player() = default;

role player::who() const noexcept { return m->who; }

std::optional<step> player::start() {
    if (m->who != role::initiator) return std::nullopt;
    if (m->sc.mode <= 2) {
        return m->from(m->ini->start_request(m->sc.time(), *m->rng, m->out), message_name(data_type::request_init_psk));
    }
    // Modes 3 and 4: the Initiator makes the ticket (D = 0) and sends it at once.
    const auto made = m->ini->create_ticket(m->sc.time(), *m->rng);
    if (!made) return m->from(made, message_name(data_type::transfer_init));
    return m->transfer(m->from(made, {}));
}

step player::receive(bytes_view in) {
    const auto h = hdr_view::parse(in);
    const std::string name = h ? message_name(h->type()) : std::string("(no MIKEY header)");
    const ntp_time now = m->sc.time();
    roles::outcome o;
    switch (m->who) {
        case role::kms: o = m->kms->receive(in, now, *m->rng, m->out); break;
        case role::responder: o = m->res->receive(in, now, *m->rng, m->out); break;
        case role::initiator: o = m->ini->receive(in, now, *m->rng, m->out); break;
    }
    step s = m->from(o, name);
    if (h) s.received = h->type();
    if (o.has(roles::event::request_answered)) ++m->requests;
    if (o.has(roles::event::resolve_answered)) ++m->resolves;
    // RFC 6043 §4.2.2: with its ticket, the Initiator sends TRANSFER_INIT.
    if (m->who == role::initiator && o.ok() && o.has(roles::event::ticket_granted)) return m->transfer(std::move(s));
    return s;
}

bool player::done() const noexcept {
    switch (m->who) {
        case role::initiator: return m->ini->current() == roles::initiator<backend, policy>::state::established;
        case role::responder: return m->res->current() == roles::responder<backend, policy>::state::established;
        case role::kms: return (m->sc.mode > 2 || m->requests > 0) && (m->sc.mode % 2 == 0 || m->resolves > 0);
    }
    return false;
}

json player::keys() const {
    json j = json::object();
    switch (m->who) {
        case role::initiator: {
            const auto& ini = *m->ini;
            if (ini.session_keys().empty()) return nullptr;
            j["mpki"] = tools::to_hex(ini.mpki());
            if (ini.granted().flags.i) {
                j["mpkr"] = tools::to_hex(ini.mpkr());
                j["mpkr_forked"] = tools::to_hex(ini.mpkr_forked());
            }
            j["crypto_sessions"] = session_keys_json(ini.session_keys());
            return j;
        }
        case role::responder: {
            const auto& res = *m->res;
            if (res.session_keys().empty()) return nullptr;
            j["mpki"] = tools::to_hex(res.mpki());
            if (res.policy().flags.i) j["mpkr_forked"] = tools::to_hex(res.mpkr_forked());
            j["crypto_sessions"] = session_keys_json(res.session_keys());
            return j;
        }
        case role::kms: return nullptr;  // the KMS machine keeps no keys between messages
    }
    return nullptr;
}

}  // namespace mikeyctl::flow

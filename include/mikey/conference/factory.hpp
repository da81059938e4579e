// mikey-ticket (conference layer): the conference factory (seed 000 flow 1;
// seed 003 G.3.1). A creator's TRANSFER_INIT names the factory; the
// factory allocates a conference URI through the naming hook, resolves the
// ticket *under that URI* (the KMS knows it as a public identity of the
// factory's KMS identity: conference_kms_policy), so the IDRr of the
// TRANSFER_RESP, whose key is forked for it, authenticates the conference
// URI to the creator (flow 1c). It records the creator and the authorized
// set (the ticket's IDRr payloads, which the KMS vouched for) and hands the
// record to the caller, who starts a focus with it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../roles/responder.hpp"
#include "exchange.hpp"
#include "naming.hpp"
#include "policy.hpp"
#include "step.hpp"

namespace mikey::conference {

template <crypto::crypto_backend B, roles::responder_policy P, conference_policy C, conference_naming N>
class factory {
public:
    using responder_type = roles::responder<B, P>;

    /// Backend, policies and naming are used by reference.
    factory(B& backend, const P& role_policy, const C& conf_policy, const N& naming, const machine_config& cfg)
        : m_b(&backend), m_p(&role_policy), m_c(&conf_policy), m_n(&naming), m_kms(cfg.kms_identity),
          m_suite(cfg.suite) {}

    /// Flow 1a-b: a creation TRANSFER_INIT. Refused early when the ticket's
    /// IDRi may not create, or the ticket does not name the factory.
    /// Errors: the TRANSFER_INIT's parse / schema errors, unknown_ts_type (a
    /// TRs / TRe in its ticket that is no time), bad_crypto_sessions (not a
    /// GENERIC-ID map, or more sessions than roles::max_crypto_sessions),
    /// unauthorized_creator, focus_mismatch, the
    /// Responder's errors, policy_not_acceptable (a ticket the factory could
    /// open without the KMS); with an Error message
    /// (seed 000 flow 1b: "an error message to the initiator with an
    /// appropriate failure code").
    template <random_generator R>
    [[nodiscard]] step on_invite(bytes_view transfer_init, ntp_time now, R& rng) {
        const auto m = ticket::transfer_init_view::parse(transfer_init);
        if (!m) return detail::refuse(m.error(), 0, transfer_init, now, {});
        const auto c = claims_of(*m);
        if (!c) return detail::refuse(c.error(), 0, transfer_init, now, {});
        if (auto ok = m_c->may_create(c->initiator); !ok) return detail::refuse(ok.error(), 0, transfer_init, now, c->initiator);
        if (!names_factory(c->responders())) return detail::refuse(errc::focus_mismatch, 0, transfer_init, now, c->initiator);
        auto x = std::make_unique<pending>();
        x->uri = m_n->conference_uri(++m_conferences);
        x->creator = c->initiator;
        x->origin = roles::detail::error_origin::of(m->header());
        x->res = std::make_unique<responder_type>(*m_b, *m_p, roles::responder_config{x->uri, m_kms, m_suite});
        step s = detail::start_resolve(*x->res, *m, now, rng, c->initiator, m_kms);
        if (s) s.id = m_pending.add(std::move(x));
        return s;
    }

    /// Flow 1b: the KMS's RESOLVE_RESP (or Error) for exchange `id`. On
    /// success `created` holds the new conference's record and `messages`
    /// the TRANSFER_RESP. Errors: unknown_exchange, the Responder's errors,
    /// unauthorized_creator (on the authenticated creator).
    template <random_generator R>
    [[nodiscard]] step on_kms(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end()) return step::refused(errc::unknown_exchange, id);
        pending& x = *it->second;
        detail::message_buffer buf;
        const auto o = x.res->receive(in, now, rng, buf);
        if (!o) return m_pending.settle(it, detail::refused(o, id, x.creator));
        const std::string creator = id_string(x.res->peer_identity());
        if (auto ok = m_c->may_create(creator); !ok) {
            step s = detail::refuse(ok.error(), id, x.origin, now, creator);
            m_pending.erase(it);
            return s;
        }
        record r;
        r.uri = x.uri;
        r.creator = creator;
        r.config = m_defaults;
        if (auto ok = draw_focus_ssrc(rng, r); !ok) {
            m_pending.erase(it);
            return step::refused(ok.error(), id);
        }
        for (const auto& a : x.res->ticket_responders()) {
            if (a != m_n->factory_uri() && a != r.uri && a != creator) r.authorized.insert(a);
        }
        step s{errc::ok, id, {}, true, creator, std::move(r)};
        detail::take(s, o, destination::peer, creator);
        m_pending.erase(it);
        return s;
    }

    /// Seed 003 G.3.1: the management interface creates a conference URI
    /// without MIKEY. Errors: unauthorized_creator, the RNG's.
    template <random_generator R>
    [[nodiscard]] result<record> create(std::string_view creator, std::vector<std::string> authorized, const settings& s,
                                        R& rng) {
        if (auto ok = m_c->may_create(creator); !ok) return ok.error_info();
        record r;
        r.creator = std::string(creator);
        r.authorized = {std::make_move_iterator(authorized.begin()), std::make_move_iterator(authorized.end())};
        r.config = s;
        if (auto ok = draw_focus_ssrc(rng, r); !ok) return ok.error_info();
        r.uri = m_n->conference_uri(++m_conferences);
        return r;
    }

    /// The settings of conferences created through MIKEY (flow 1).
    void set_defaults(const settings& s) noexcept { m_defaults = s; }
    [[nodiscard]] std::size_t pending_count() const noexcept { return m_pending.size(); }

private:
    struct pending {
        std::string uri, creator;
        std::optional<roles::detail::error_origin> origin;  ///< of the TRANSFER_INIT, for an Error answering it
        std::unique_ptr<responder_type> res;
    };

    /// The SSRC of the focus's group stream: random, never 0.
    template <random_generator R>
    [[nodiscard]] static result<void> draw_focus_ssrc(R& rng, record& r) noexcept {
        do {
            const auto v = random_u32(rng);
            if (!v) return v.error_info();
            r.focus_ssrc = *v;
        } while (r.focus_ssrc == 0);
        return {};
    }
    [[nodiscard]] bool names_factory(const std::vector<std::string>& named) const noexcept {
        for (const auto& n : named) {
            if (n == m_n->factory_uri()) return true;
        }
        return false;
    }

    B* m_b;
    const P* m_p;
    const C* m_c;
    const N* m_n;
    std::string m_kms;
    crypto::algorithm_suite m_suite;
    settings m_defaults{};
    std::uint64_t m_conferences = 0;
    detail::exchange_table<pending> m_pending;
};

}  // namespace mikey::conference

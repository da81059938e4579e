// mikey-ticket (conference layer): a conference participant (user agent),
// seed 000 flows 1-5 over the RFC 6043 role machines:
//
//   create (flow 1)       ticket for the factory and every intended
//                         participant; TRANSFER_INIT to the factory; the
//                         TRANSFER_RESP must come from a conference URI of
//                         that factory (flow 1c), which it then names
//   join (flows 2, 3, 5c) ticket for the conference URI (plus, for the
//                         creator, whom it allows: flow 2a); TRANSFER_INIT to
//                         the focus; the TRANSFER_RESP must come from that URI
//   refer_to_focus (4a)   ticket for focus and invitee, TRANSFER_INIT in a REFER
//                         to the focus
//   refer_to_user (5a)    ticket for the user and the focus, TRANSFER_INIT in a
//                         REFER to the user
//   on_call_out (4c)      the focus's TRANSFER_INIT: resolved; the ticket's
//                         requester must be the focus the caller expects
//   on_refer (5b)         the referrer's TRANSFER_INIT: resolved; the ticket
//                         must name the focus the REFER names; then join
//
// Key forking is always on (seed 000), so every TRANSFER_RESP and every
// resolved ticket authenticates its sender. Once in a conference, the
// focus's CSB updates (new group TEKs) go to on_update.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../roles/initiator.hpp"
#include "../roles/responder.hpp"
#include "exchange.hpp"
#include "naming.hpp"
#include "step.hpp"

namespace mikey::conference {

/// What a participant is.
struct participant_config {
    std::string_view identity;      ///< its public user identity (IDRi / IDRr)
    machine_config machines{};
    std::uint32_t media_ssrc = 0;   ///< the SSRC of its media to the focus
    bool bfcp = false;              ///< propose a BFCP crypto session
    bool event_package = false;     ///< propose an event-package crypto session
};

template <crypto::crypto_backend B, class P>
    requires roles::initiator_policy<P> && roles::responder_policy<P>
class participant {
public:
    using initiator_type = roles::initiator<B, P>;
    using responder_type = roles::responder<B, P>;

    participant(B& backend, const P& role_policy, const participant_config& cfg)
        : m_b(&backend), m_p(&role_policy), m_id(cfg.identity), m_kms(cfg.machines.kms_identity),
          m_suite(cfg.machines.suite), m_key_length(cfg.machines.key_length),
          m_srtp_policy(cfg.machines.srtp_policy.begin(), cfg.machines.srtp_policy.end()) {
        m_sessions.push_back({cs_member_media, cfg.media_ssrc});
        if (cfg.bfcp) m_sessions.push_back({cs_bfcp, 0});
        if (cfg.event_package) m_sessions.push_back({cs_event_package, 0});
    }

    [[nodiscard]] const std::string& identity_name() const noexcept { return m_id; }
    /// The keys of the conference `uri` (empty when not in it).
    [[nodiscard]] std::span<const roles::session_key> keys_of(std::string_view uri) const noexcept {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return {};
        return it->second.with([](const auto& m) { return m.session_keys(); });
    }
    /// The security policy negotiated for crypto session `cs` with the focus
    /// of conference `uri` (RFC 6043 §6.1.1; hand it to srtp::policy_from);
    /// nullopt when there is none or it is not in the conference.
    [[nodiscard]] std::optional<sp_view> security_policy_of(std::string_view uri, cs_id cs) const noexcept {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return std::nullopt;
        return it->second.with([cs](const auto& m) { return m.security_policy(cs); });
    }
    /// The CSB ID of the bundle with the focus of conference `uri` (e.g.
    /// for conference::tls_psk_of); 0 when not in it.
    [[nodiscard]] csb_id csb_of(std::string_view uri) const noexcept {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return csb_id{};
        return it->second.with([](const auto& m) { return m.csb(); });
    }
    [[nodiscard]] bool in_conference(std::string_view uri) const noexcept { return m_in.find(uri) != m_in.end(); }

    // create, join, refer_to_focus, refer_to_user start an exchange with
    // REQUEST_INIT_PSK for the KMS (step::messages) under a new exchange id.
    // Errors: those of initiator::start_request (unknown_peer: no PSK with
    // the KMS; the policy's suite errors; invalid_argument; buffer_too_small;
    // crypto_backend_failure).

    /// Flow 1a: REQUEST_INIT for a ticket naming the factory of `naming` and
    /// `invited` (`naming` is copied). Completed by on_peer with `who` = the
    /// conference URI.
    template <random_generator R>
    [[nodiscard]] step create(const seed000_naming& naming, std::span<const std::string_view> invited, ntp_time now, R& rng) {
        std::vector<std::string> named{std::string(naming.factory_uri())};
        for (const auto i : invited) named.emplace_back(i);
        return request(kind::create, std::string(naming.factory_uri()), std::move(named), naming, now, rng);
    }
    /// Flows 2a / 3a: REQUEST_INIT for a ticket naming the conference URI
    /// (and, the creator's way of updating the authorized set, `allow`).
    template <random_generator R>
    [[nodiscard]] step join(std::string_view conference_uri, std::span<const std::string_view> allow, ntp_time now, R& rng) {
        std::vector<std::string> named{std::string(conference_uri)};
        for (const auto a : allow) named.emplace_back(a);
        return request(kind::join, std::string(conference_uri), std::move(named), std::nullopt, now, rng);
    }
    /// Flow 4a: a ticket naming the focus and `invitee`, for a REFER to the focus.
    template <random_generator R>
    [[nodiscard]] step refer_to_focus(std::string_view conference_uri, std::string_view invitee, ntp_time now, R& rng) {
        return request(kind::refer, std::string(conference_uri), {std::string(conference_uri), std::string(invitee)},
                       std::nullopt, now, rng);
    }
    /// Flow 5a: a ticket naming `user` and the focus, for a REFER to the user.
    template <random_generator R>
    [[nodiscard]] step refer_to_user(std::string_view conference_uri, std::string_view user, ntp_time now, R& rng) {
        return request(kind::refer, std::string(user), {std::string(user), std::string(conference_uri)}, std::nullopt,
                       now, rng);
    }

    /// Flow 4c: the focus calls out; `expected_focus` is the conference URI
    /// the call comes from (SIP From). Errors: the Responder's errors,
    /// already_member; focus_mismatch (after resolving) when the ticket's
    /// requester is not `expected_focus`.
    template <random_generator R>
    [[nodiscard]] step on_call_out(bytes_view transfer_init, std::string_view expected_focus, ntp_time now, R& rng) {
        if (in_conference(expected_focus)) return step::refused(errc::already_member);
        return resolve(kind::call_out, transfer_init, std::string(expected_focus), now, rng);
    }
    /// Flow 5b: a REFER from a member naming the focus `named_focus`.
    /// Errors: the Responder's errors, focus_mismatch (the resolved ticket
    /// does not name `named_focus`: the referrer did not define that focus).
    template <random_generator R>
    [[nodiscard]] step on_refer(bytes_view transfer_init, std::string_view named_focus, ntp_time now, R& rng) {
        return resolve(kind::referred, transfer_init, std::string(named_focus), now, rng);
    }

    /// The KMS's answer for exchange `id`: REQUEST_RESP (-> TRANSFER_INIT to
    /// the peer) or RESOLVE_RESP (-> TRANSFER_RESP; flow 5b then starts the
    /// join: REQUEST_INIT in the same step, under a new exchange id in
    /// `step::id`). Errors: unknown_exchange, the machines' errors,
    /// focus_mismatch.
    template <random_generator R>
    [[nodiscard]] step on_kms(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end()) return step::refused(errc::unknown_exchange, id);
        exchange& x = *it->second;
        if (x.ini) return m_pending.settle(it, detail::transfer_with_ticket(*x.ini, id, in, now, rng, x.peer));
        detail::message_buffer buf;
        const auto o = x.res->receive(in, now, rng, buf);
        if (!o) return m_pending.settle(it, detail::refused(o, id, x.peer));
        const std::string from = id_string(x.res->peer_identity());
        step s{errc::ok, id, {}, true, from, {}};
        if (x.what == kind::call_out) {
            // Seed 004: the ticket's requester (IDRi, vouched for by the KMS) is the focus.
            if (from != x.peer) {
                m_pending.erase(it);
                return step::refused(errc::focus_mismatch, id);
            }
            detail::take(s, o, destination::peer, from);
            m_in[x.peer] = conference_keys{std::move(x.res), {}};
            m_pending.erase(it);
            return s;
        }
        // Flow 5b: "verifies that the conference focus was defined by the conference owner/creator".
        const auto& named = x.res->ticket_responders();
        if (std::find(named.begin(), named.end(), x.peer) == named.end()) {
            m_pending.erase(it);
            return step::refused(errc::focus_mismatch, id);
        }
        detail::take(s, o, destination::peer, from);  // TRANSFER_RESP to the referrer
        const std::string focus_uri = x.peer;
        m_pending.erase(it);
        return detail::followed_by(std::move(s), join(focus_uri, {}, now, rng));
    }

    /// The peer's TRANSFER_RESP (or Error) for exchange `id`. Flow 1c: from
    /// a conference URI of the factory (`who` names it); flows 2c, 3c: from
    /// the conference URI (the participant is in the conference); flows 4a,
    /// 5a: from the focus / user referred to. Errors: unknown_exchange, the
    /// Initiator's errors, focus_mismatch.
    template <random_generator R>
    [[nodiscard]] step on_peer(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end() || !it->second->ini) return step::refused(errc::unknown_exchange, id);
        exchange& x = *it->second;
        detail::message_buffer buf;
        const auto o = x.ini->receive(in, now, rng, buf);
        if (!o) return m_pending.settle(it, step::refused(o.error, id));
        if (!o.has(roles::event::keys_established)) return step{errc::ok, id, {}, false, {}, {}};
        const std::string answered = id_string(x.ini->peer_identity());
        // Flow 1c: "The conference URI is authenticated as it is the identity used as IDRr";
        // flows 2c-5c: the focus / user the participant called answered.
        const bool right = x.naming ? x.naming->is_conference_of(answered) : answered == x.peer;
        if (!right) {
            m_pending.erase(it);
            return step::refused(errc::focus_mismatch, id);
        }
        step s{errc::ok, id, {}, true, answered, {}};
        if (x.what == kind::join) m_in[answered] = conference_keys{{}, std::move(x.ini)};
        m_pending.erase(it);
        return s;
    }

    /// A CSB update (or other message) from the focus of conference `uri`
    /// (RFC 6043 §5.2: a new group TEK). Errors: not_a_member,
    /// message_not_for_role (a message carrying a TICKET), the machine's.
    template <random_generator R>
    [[nodiscard]] step on_update(std::string_view uri, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return step::refused(errc::not_a_member);
        // The focus sends CSB updates only: a TRANSFER_INIT with a TICKET (a new or replayed
        // initial message) would send a called-out member's Responder back to resolving.
        if (const auto m = message_view::parse(in); m && m->count(payload_type::ticket) != 0) {
            return step::refused(errc::message_not_for_role);
        }
        detail::message_buffer buf;
        const auto o = it->second.with([&](auto& m) { return m.receive(in, now, rng, buf); });
        if (!o) return detail::refused(o, 0, uri);
        step s{errc::ok, 0, {}, true, std::string(uri), {}};
        detail::take(s, o, destination::peer, uri);
        return s;
    }
    /// Leaves conference `uri` (its keys are dropped). Errors: not_a_member.
    [[nodiscard]] result<void> leave(std::string_view uri) {
        const auto it = m_in.find(uri);
        if (it == m_in.end()) return errc::not_a_member;
        m_in.erase(it);
        return {};
    }

private:
    enum class kind : std::uint8_t { create, join, refer, call_out, referred };
    struct exchange {
        kind what = kind::join;
        std::string peer;  ///< whom it calls / expects
        std::optional<seed000_naming> naming;  ///< creation: the factory whose conference must answer
        std::unique_ptr<initiator_type> ini;
        std::unique_ptr<responder_type> res;
    };
    using conference_keys = bundle_machine<initiator_type, responder_type>;

    template <random_generator R>
    [[nodiscard]] step request(kind what, std::string peer, std::vector<std::string> named,
                               std::optional<seed000_naming> naming, ntp_time now, R& rng) {
        auto x = std::make_unique<exchange>();
        x->what = what;
        x->peer = std::move(peer);
        x->naming = std::move(naming);
        std::vector<std::string_view> views(named.begin(), named.end());
        const roles::policy_offer offer[] = {media_offer(m_srtp_policy)};
        x->ini = std::make_unique<initiator_type>(
            *m_b, *m_p,
            roles::initiator_config{.identity = m_id,
                                    .kms_identity = m_kms,
                                    .responder = x->peer,
                                    .authorized_responders = views,
                                    .desired = conference_ticket_policy(m_suite.prf),
                                    .key_kind = key_data_type::tgk,
                                    .key_length = m_key_length,
                                    .sessions = m_sessions,
                                    .suite = m_suite,
                                    .security_policies = std::span(offer).first(m_srtp_policy.empty() ? 0u : 1u)});
        detail::message_buffer buf;
        const auto o = x->ini->start_request(now, rng, buf);
        if (!o) return step::refused(o.error);
        step s{errc::ok, m_pending.add(std::move(x)), {}, false, {}, {}};
        detail::take(s, o, destination::kms, m_kms);
        return s;
    }

    template <random_generator R>
    [[nodiscard]] step resolve(kind what, bytes_view ti, std::string expected, ntp_time now, R& rng) {
        auto x = std::make_unique<exchange>();
        x->what = what;
        x->peer = std::move(expected);
        x->res = std::make_unique<responder_type>(*m_b, *m_p, roles::responder_config{m_id, m_kms, m_suite});
        step s = detail::start_resolve(*x->res, ti, now, rng, x->peer, m_kms);
        if (s) s.id = m_pending.add(std::move(x));
        return s;
    }


    B* m_b;
    const P* m_p;
    std::string m_id, m_kms;
    crypto::algorithm_suite m_suite;
    std::size_t m_key_length;
    std::vector<std::uint8_t> m_srtp_policy;  ///< machine_config::srtp_policy
    std::vector<roles::crypto_session_spec> m_sessions;
    detail::exchange_table<exchange> m_pending;
    std::map<std::string, conference_keys, std::less<>> m_in;
};

}  // namespace mikey::conference

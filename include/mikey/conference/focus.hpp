// mikey-ticket (conference layer): the conference focus of one conference
// (seed 000 flows 2-5, seeds 001-004) over the RFC 6043 role machines:
//
//   call-in (flows 2, 3, 5c)  on_invite(TRANSFER_INIT) -> RESOLVE_INIT to the
//                             KMS; on_kms(RESOLVE_RESP) -> the member is
//                             authenticated and authorized, TRANSFER_RESP
//                             with a KEMAC holding the focus's media TEK (M)
//   call-out (flow 4)         on_refer(TRANSFER_INIT, invitee) authenticates
//                             the referrer first (DoS), checks both
//                             identities, then REQUEST_INIT for the invitee;
//                             on_kms(REQUEST_RESP) -> TRANSFER_INIT with the
//                             media TEK (L) to the invitee; on_peer(
//                             TRANSFER_RESP) authenticates the invitee.
//                             invite() does the same for the management
//                             interface (seed 003: "via the external interface")
//   leave                     the member's keys are dropped
//   rekey                     group model: every join and leave draws a new
//                             group TEK, sent to every other member in a CSB
//                             update (RFC 6043 §5.2) that needs no answer
//   management (seed 003 G.3.1) authorize / revoke / set_authorized /
//                             change_settings, checked by the conference policy
//
// The focus is Responder for call-in and Initiator for call-out: one
// machine per member, all sharing the backend, role policy (key store,
// replay cache) by reference. A refused input changes no conference state.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "../core/inline_list.hpp"
#include "../roles/initiator.hpp"
#include "../roles/responder.hpp"
#include "exchange.hpp"
#include "policy.hpp"
#include "step.hpp"

namespace mikey::conference {

/// A role policy both an Initiator and a Responder can use.
template <class P>
concept focus_role_policy = roles::initiator_policy<P> && roles::responder_policy<P>;

template <crypto::crypto_backend B, focus_role_policy P, conference_policy C>
class focus {
public:
    using initiator_type = roles::initiator<B, P>;
    using responder_type = roles::responder<B, P>;

    /// A focus for the conference `r` (from a factory, or made by hand).
    /// Backend and policies are used by reference.
    focus(B& backend, const P& role_policy, const C& conf_policy, const machine_config& cfg, record r)
        : m_b(&backend), m_p(&role_policy), m_c(&conf_policy), m_kms(cfg.kms_identity), m_suite(cfg.suite),
          m_key_length(cfg.key_length), m_srtp_policy(cfg.srtp_policy.begin(), cfg.srtp_policy.end()),
          m_rec(std::move(r)) {
        for (const auto& m : m_rec.members) index_ssrcs(m, +1);
    }

    [[nodiscard]] const record& conference() const noexcept { return m_rec; }
    /// The keys of a member's bundle (empty when not a member).
    [[nodiscard]] std::span<const roles::session_key> keys_of(std::string_view who) const noexcept {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return {};
        return it->second.with([](const auto& m) { return m.session_keys(); });
    }
    /// The security policy negotiated for crypto session `cs` of a member's
    /// bundle (RFC 6043 §6.1.1; hand it to srtp::policy_from); nullopt when
    /// there is none or `who` is not a member.
    [[nodiscard]] std::optional<sp_view> security_policy_of(std::string_view who, cs_id cs) const noexcept {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return std::nullopt;
        return it->second.with([cs](const auto& m) { return m.security_policy(cs); });
    }
    /// The CSB ID of a member's bundle (0 when not a member).
    [[nodiscard]] csb_id csb_of(std::string_view who) const noexcept {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return csb_id{};
        return it->second.with([](const auto& m) { return m.csb(); });
    }
    /// The current group TEK (group model, once a member joined).
    [[nodiscard]] const std::optional<media_key>& group_key() const noexcept { return m_group; }
    [[nodiscard]] std::size_t pending() const noexcept { return m_pending.size(); }

    /// Call-in: a TRANSFER_INIT sent to the conference URI (flows 2, 3, 5c).
    /// Refused early, before asking the KMS, when the ticket's IDRi may not
    /// join, is a member already, or proposes an SSRC in use.
    /// Errors: the TRANSFER_INIT's parse / schema errors, unknown_ts_type (a
    /// TRs / TRe in its ticket that is no time), bad_crypto_sessions (a
    /// proposed cs_focus_media, a non-GENERIC-ID map, or more sessions than
    /// roles::max_crypto_sessions),
    /// not_authorized_participant, already_member, ssrc_collision, the
    /// Responder's errors; with an Error message where wire_error gives one.
    template <random_generator R>
    [[nodiscard]] step on_invite(bytes_view transfer_init, ntp_time now, R& rng) {
        const auto m = ticket::transfer_init_view::parse(transfer_init);
        if (!m) return detail::refuse(m.error(), 0, transfer_init, now, {});
        const auto c = claims_of(*m);
        if (!c) return detail::refuse(c.error(), 0, transfer_init, now, {});
        if (auto ok = admit(c->initiator, c->sessions.view()); !ok) {
            return detail::refuse(ok.error(), 0, transfer_init, now, c->initiator);
        }
        return start_responder(pending_exchange::kind::call_in, *m, *c, {}, now, rng);
    }

    /// Flow 4b: a REFER carrying a TRANSFER_INIT whose ticket names the focus
    /// and `invitee`. The referrer is authenticated by resolving the ticket
    /// before the focus calls out. Errors: as on_invite, and
    /// unauthorized_referrer, not_authorized_participant (the invitee may not
    /// join or the ticket does not name it), already_member.
    template <random_generator R>
    [[nodiscard]] step on_refer(bytes_view transfer_init, std::string_view invitee, ntp_time now, R& rng) {
        const auto m = ticket::transfer_init_view::parse(transfer_init);
        if (!m) return detail::refuse(m.error(), 0, transfer_init, now, {});
        const auto c = claims_of(*m);
        if (!c) return detail::refuse(c.error(), 0, transfer_init, now, {});
        if (auto ok = may_refer(c->initiator, invitee, c->responders()); !ok) {
            return detail::refuse(ok.error(), 0, transfer_init, now, c->initiator);
        }
        return start_responder(pending_exchange::kind::refer, *m, *c, invitee, now, rng);
    }

    /// The management interface asks the focus to call `invitee` out (seed
    /// 003 G.1: "instructs the conference focus ... via the external
    /// interface"). Errors: unauthorized_referrer / unauthorized_management
    /// (by may not invite), not_authorized_participant, already_member, the
    /// Initiator's errors.
    template <random_generator R>
    [[nodiscard]] step invite(std::string_view by, std::string_view invitee, ntp_time now, R& rng) {
        if (auto ok = m_c->may_invite(m_rec, by, invitee); !ok) return step::refused(ok.error());
        if (is_member(invitee)) return step::refused(errc::already_member);
        auto x = std::make_unique<pending_exchange>();
        x->what = pending_exchange::kind::call_out;
        x->peer = std::string(invitee);
        return start_call_out(std::move(x), m_pending.next_id(), now, rng);
    }

    /// An answer of the KMS (RESOLVE_RESP, REQUEST_RESP or an Error) for
    /// exchange `id`. Errors: unknown_exchange, the role machines' errors,
    /// and the checks taken again on the authenticated identities
    /// (not_authorized_participant, unauthorized_referrer, already_member,
    /// ssrc_collision), stale_timestamp (group model: `now` too far behind
    /// the members' keys to stamp their updates, see may_rekey). A refused answer that leaves the machine waiting
    /// keeps the exchange (a forged answer cannot end a genuine join).
    template <random_generator R>
    [[nodiscard]] step on_kms(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end()) return step::refused(errc::unknown_exchange, id);
        pending_exchange& x = *it->second;
        if (x.res) {
            detail::message_buffer buf;
            const auto o = x.res->receive(in, now, rng, buf);
            if (!o) return m_pending.settle(it, detail::refused(o, id, x.claimed));
            return on_resolved(it, o, now, rng);
        }
        // Flow 4b: the ticket for the invitee; TRANSFER_INIT with the media TEK (L).
        const auto supplied = x.key.supplied();
        return m_pending.settle(it, detail::transfer_with_ticket(*x.ini, id, in, now, rng, x.peer,
                                                                std::span<const roles::supplied_key>(&supplied, 1)));
    }

    /// The invitee's TRANSFER_RESP (or Error) for call-out exchange `id`
    /// (flow 4d). Errors: unknown_exchange, the Initiator's errors,
    /// focus_mismatch (another identity answered), and the checks taken
    /// again on the invitee: already_member, not_authorized_participant
    /// (revoked meanwhile), ssrc_collision; stale_timestamp (as on_kms).
    template <random_generator R>
    [[nodiscard]] step on_peer(exchange_id id, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end() || !it->second->ini) return step::refused(errc::unknown_exchange, id);
        pending_exchange& x = *it->second;
        detail::message_buffer buf;
        const auto o = x.ini->receive(in, now, rng, buf);
        if (!o) return m_pending.settle(it, step::refused(o.error, id));
        if (!o.has(roles::event::keys_established)) return step{errc::ok, id, {}, false, {}, {}};
        // Seed 004: forking authenticates the Responder as the identity of its IDRr.
        if (ticket::as_chars(x.ini->peer_identity()) != x.peer) {
            m_pending.erase(it);
            return step::refused(errc::focus_mismatch, id);
        }
        // The invitee is checked once more (the set may have changed while the call-out was pending).
        auto ok = admit(x.peer, x.ini->sessions(), &x);
        if (ok) ok = may_rekey(now);
        if (!ok) {
            m_pending.erase(it);
            return step::refused(ok.error(), id);
        }
        step s{errc::ok, id, {}, false, {}, {}};
        commit(it, live_member{{}, std::move(x.ini)}, std::move(x.peer), true, now, rng, s);
        return s;
    }

    /// A member leaves (SIP BYE): its keys are dropped; in the group model
    /// every other member gets a new group TEK (CSB update), so the member
    /// who left cannot decrypt what follows. Errors: not_a_member,
    /// stale_timestamp (group model: `now` too far behind the members' keys
    /// to stamp their updates, see may_rekey); a refusal changes nothing.
    template <random_generator R>
    [[nodiscard]] step leave(std::string_view who, ntp_time now, R& rng) {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return step::refused(errc::not_a_member);
        step s{errc::ok, 0, {}, true, std::string(who), {}};
        std::optional<media_key> next;
        if (m_rec.config.keys == key_model::group) {
            if (auto ok = may_rekey(now); !ok) return step::refused(ok.error());
            auto k = media_key::draw(rng, m_key_length, m_rec.focus_ssrc);
            if (!k) return step::refused(k.error());
            next = std::move(*k);
        }
        m_members.erase(it);
        if (const auto r = std::find_if(m_rec.members.begin(), m_rec.members.end(),
                                        [&](const member& m) { return m.identity == who; });
            r != m_rec.members.end()) {
            index_ssrcs(*r, -1);
            m_rec.members.erase(r);
        }
        if (next) rekey(std::move(*next), nullptr, now, rng, s);
        return s;
    }

    /// A CSB update answer or Error from member `who` (updates need no
    /// answer; one that comes is checked). Errors: not_a_member,
    /// message_not_for_role (a TRANSFER_INIT), the machine's.
    template <random_generator R>
    [[nodiscard]] step on_member_message(std::string_view who, bytes_view in, ntp_time now, R& rng) {
        const auto it = m_members.find(who);
        if (it == m_members.end()) return step::refused(errc::not_a_member);
        // Members answer the focus's updates; a TRANSFER_INIT is refused. With a TICKET (ticket
        // reuse, RFC 6043 §5.3) it would move the member's Responder, unauthenticated, to
        // awaiting_resolve_resp, a resolution this path never finishes (no more updates for the
        // member); without one (a CSB update) it can be the focus's own update to the member sent
        // back, which the machine takes as the member's (same keys and MAC inputs both ways).
        if (const auto h = hdr_view::parse(in); h && h->type() == data_type::transfer_init) {
            return step::refused(errc::message_not_for_role);
        }
        detail::message_buffer buf;
        const auto o = it->second.with([&](auto& m) { return m.receive(in, now, rng, buf); });
        if (!o) return detail::refused(o, 0, who);
        step s{errc::ok, 0, {}, true, std::string(who), {}};
        detail::take(s, o, destination::peer, who);
        return s;
    }

    /// Seed 003 G.3.3: may `who` subscribe to the conference event package.
    /// Errors: unauthorized_subscriber.
    [[nodiscard]] result<void> subscribe(std::string_view who) const noexcept { return m_c->may_subscribe(m_rec, who); }

    // --- management interface (seed 003 G.3.1) ---

    /// Adds `id` to the authorized set. Errors: unauthorized_management.
    [[nodiscard]] result<void> authorize(std::string_view by, std::string_view id) {
        if (auto ok = m_c->may_manage(m_rec, by); !ok) return ok;
        if (!m_rec.is_authorized(id)) m_rec.authorized.emplace(id);
        return {};
    }
    /// Removes `id` from the authorized set (a member present stays until
    /// it leaves or is removed with leave()). Errors: unauthorized_management.
    [[nodiscard]] result<void> revoke(std::string_view by, std::string_view id) {
        if (auto ok = m_c->may_manage(m_rec, by); !ok) return ok;
        if (const auto it = m_rec.authorized.find(id); it != m_rec.authorized.end()) m_rec.authorized.erase(it);
        return {};
    }
    /// Replaces the authorized set. Errors: unauthorized_management.
    [[nodiscard]] result<void> set_authorized(std::string_view by, std::vector<std::string> ids) {
        if (auto ok = m_c->may_manage(m_rec, by); !ok) return ok;
        m_rec.authorized = {std::make_move_iterator(ids.begin()), std::make_move_iterator(ids.end())};
        return {};
    }
    /// Changes the settings; they apply to the next joins. The key model
    /// changes only while nobody is present and no join is pending (the
    /// members' bundles, and the TEKs pending joins drew, are the old
    /// model's). Errors: unauthorized_management, unexpected_in_state.
    [[nodiscard]] result<void> change_settings(std::string_view by, const settings& s) {
        if (auto ok = m_c->may_manage(m_rec, by); !ok) return ok;
        if (s.keys != m_rec.config.keys && (!m_rec.members.empty() || !m_pending.empty())) return errc::unexpected_in_state;
        m_rec.config = s;
        return {};
    }

private:
    struct pending_exchange {
        enum class kind : std::uint8_t { call_in, refer, call_out } what = kind::call_in;
        std::unique_ptr<responder_type> res;
        std::unique_ptr<initiator_type> ini;
        std::string claimed;  ///< who the TRANSFER_INIT claims to come from
        std::string peer;     ///< call-out / refer: the invitee
        std::optional<roles::detail::error_origin> origin;  ///< of the TRANSFER_INIT, for an Error answering it
        /// Proposed by the joiner / to the invitee (SSRCs reserved).
        inline_list<roles::crypto_session_spec, roles::max_crypto_sessions> sessions;
        media_key key{};      ///< the TEK this member gets for cs_focus_media
    };
    using live_member = bundle_machine<initiator_type, responder_type>;
    using pending_map = detail::exchange_table<pending_exchange>;


    /// The checks of a joiner: may join, not present, no SSRC of the
    /// conference, no cs_focus_media of its own.
    /// `self`: the joiner's own pending exchange (its reservations do not collide with it).
    [[nodiscard]] result<void> admit(std::string_view who, std::span<const roles::crypto_session_spec> sessions,
                                     const pending_exchange* self = nullptr) const {
        if (auto ok = m_c->may_join(m_rec, who); !ok) return ok;
        if (is_member(who)) return errc::already_member;
        for (const auto& s : sessions) {
            // The focus keys its own media (cs_focus_media); a joiner proposes only its own sessions.
            if (s.cs_id == cs_focus_media) {
                if (self) continue;
                return errc::bad_crypto_sessions;
            }
            if (record::is_media(s.cs_id) && ssrc_taken(s.ssrc, self)) return errc::ssrc_collision;
        }
        return {};
    }
    [[nodiscard]] result<void> may_refer(std::string_view by, std::string_view invitee,
                                         const std::vector<std::string>& named) const {
        if (auto ok = m_c->may_invite(m_rec, by, invitee); !ok) return ok;
        // Seed 000 flow 4b: "checks that the initiator and the additional legitimate user of the TICKET are authorized".
        if (std::find(named.begin(), named.end(), invitee) == named.end()) return errc::not_authorized_participant;
        if (is_member(invitee)) return errc::already_member;
        return {};
    }
    [[nodiscard]] bool is_member(std::string_view who) const noexcept { return m_members.find(who) != m_members.end(); }
    /// An SSRC of the conference or of a pending exchange.
    [[nodiscard]] bool ssrc_taken(std::uint32_t ssrc, const pending_exchange* self = nullptr) const noexcept {
        // record::ssrc_in_use, from the index (O(log n) instead of a walk over every member's sessions).
        if (m_rec.config.keys == key_model::group && ssrc == m_rec.focus_ssrc) return true;
        if (m_media_ssrcs.find(ssrc) != m_media_ssrcs.end()) return true;
        for (const auto& [id, x] : m_pending) {
            if (x.get() == self) continue;
            if (x->key.ssrc == ssrc && x->what != pending_exchange::kind::refer) return true;
            for (const auto& s : x->sessions) {
                if (record::is_media(s.cs_id) && s.ssrc == ssrc) return true;
            }
        }
        return false;
    }
    template <random_generator R>
    [[nodiscard]] result<std::uint32_t> fresh_ssrc(R& rng) const noexcept {
        for (int i = 0; i < 64; ++i) {
            const auto v = random_u32(rng);
            if (!v) return v.error_info();
            if (*v != 0 && !ssrc_taken(*v)) return *v;
        }
        return errc::ssrc_collision;
    }

    /// The TEK of cs_focus_media for a joiner: the next group TEK (group
    /// model; it becomes the group key when this join completes), or its own.
    template <random_generator R>
    [[nodiscard]] result<media_key> joiner_key(R& rng) {
        std::uint32_t ssrc = m_rec.focus_ssrc;
        if (m_rec.config.keys == key_model::group && ssrc == 0) return errc::invalid_argument;
        if (m_rec.config.keys == key_model::individual) {
            const auto s = fresh_ssrc(rng);
            if (!s) return s.error_info();
            ssrc = *s;
        }
        return media_key::draw(rng, m_key_length, ssrc);
    }

    template <random_generator R>
    [[nodiscard]] step start_responder(typename pending_exchange::kind what, const ticket::transfer_init_view& ti,
                                       const transfer_claims& c, std::string_view invitee, ntp_time now, R& rng) {
        auto x = std::make_unique<pending_exchange>();
        x->what = what;
        x->claimed = c.initiator;
        x->peer = std::string(invitee);
        x->origin = roles::detail::error_origin::of(ti.header());
        x->res = std::make_unique<responder_type>(*m_b, *m_p, roles::responder_config{m_rec.uri, m_kms, m_suite});
        if (what == pending_exchange::kind::call_in) {
            auto k = joiner_key(rng);
            if (!k) return step::refused(k.error());
            x->key = std::move(*k);
            const auto supplied = x->key.supplied();
            if (auto ok = x->res->set_response_keys(std::span<const roles::supplied_key>(&supplied, 1)); !ok) {
                return step::refused(ok.error());
            }
            x->sessions = c.sessions;
        }
        step s = detail::start_resolve(*x->res, ti, now, rng, c.initiator, m_kms);
        if (s) s.id = m_pending.add(std::move(x));
        return s;
    }

    template <random_generator R>
    [[nodiscard]] step on_resolved(typename pending_map::iterator it, const roles::outcome& o, ntp_time now, R& rng) {
        pending_exchange& x = *it->second;
        const exchange_id id = it->first;
        std::string who = id_string(x.res->peer_identity());
        if (x.what == pending_exchange::kind::refer) {
            // Flow 4b, on the authenticated referrer and the ticket the KMS vouched for.
            if (auto ok = may_refer(who, x.peer, x.res->ticket_responders()); !ok) {
                step s = refuse_transfer(ok.error(), id, x, now, who);  // before the erase: x is the exchange's
                m_pending.erase(it);
                return s;
            }
            step s{errc::ok, id, {}, false, {}, {}};
            detail::take(s, o, destination::peer, who);  // TRANSFER_RESP to the referrer (F)
            auto next = std::make_unique<pending_exchange>();
            next->what = pending_exchange::kind::call_out;
            next->peer = x.peer;
            m_pending.erase(it);
            return detail::followed_by(std::move(s), start_call_out(std::move(next), id, now, rng));
        }
        auto ok = admit(who, x.res->sessions(), &x);
        if (ok) ok = may_rekey(now);
        if (!ok) {
            step s = refuse_transfer(ok.error(), id, x, now, who);  // before the erase: x is the exchange's
            m_pending.erase(it);
            return s;
        }
        // Flow 2a: the creator "may update the group of participants allowed" with its ticket.
        if (m_c->may_manage(m_rec, who)) {
            for (const auto& r : x.res->ticket_responders()) {
                if (r != m_rec.uri && !m_rec.is_authorized(r)) m_rec.authorized.insert(r);
            }
        }
        step s{errc::ok, id, {}, false, {}, {}};
        // TRANSFER_RESP with the media TEK (M), then (group model) an update to every other member.
        s.messages.reserve(m_rec.config.keys == key_model::group ? 1 + m_members.size() : 1);
        detail::take(s, o, destination::peer, who);
        commit(it, live_member{std::move(x.res), {}}, std::move(who), false, now, rng, s);
        return s;
    }

    step refuse_transfer(errc e, exchange_id id, const pending_exchange& x, ntp_time now, std::string_view who) const {
        return detail::refuse(e, id, x.origin, now, who);
    }

    template <random_generator R>
    [[nodiscard]] step start_call_out(std::unique_ptr<pending_exchange> x, exchange_id id, ntp_time now, R& rng) {
        const auto media = fresh_ssrc(rng);
        if (!media) return step::refused(media.error(), id);
        static_assert(roles::max_crypto_sessions >= 3, "each push_back below fits");
        (void)x->sessions.push_back({cs_member_media, *media});
        if (m_rec.config.bfcp) (void)x->sessions.push_back({cs_bfcp, 0});
        if (m_rec.config.event_package) (void)x->sessions.push_back({cs_event_package, 0});
        auto k = joiner_key(rng);
        if (!k) return step::refused(k.error(), id);
        x->key = std::move(*k);
        const roles::policy_offer offer[] = {media_offer(m_srtp_policy)};
        x->ini = std::make_unique<initiator_type>(
            *m_b, *m_p,
            roles::initiator_config{.identity = m_rec.uri,
                                    .kms_identity = m_kms,
                                    .responder = x->peer,
                                    .desired = conference_ticket_policy(m_suite.prf),
                                    .key_kind = key_data_type::tgk,
                                    .key_length = m_key_length,
                                    .sessions = x->sessions.view(),
                                    .suite = m_suite,
                                    .security_policies = std::span(offer).first(m_srtp_policy.empty() ? 0u : 1u)});
        detail::message_buffer buf;
        const auto o = x->ini->start_request(now, rng, buf);
        if (!o) return step::refused(o.error, id);
        step s{errc::ok, id, {}, false, {}, {}};
        detail::take(s, o, destination::kms, m_kms);
        m_pending.add(id, std::move(x));
        return s;
    }

    /// The joiner `who` (its authenticated identity) becomes a member; in the
    /// group model its TEK becomes the group TEK and every other member gets
    /// it in a CSB update, appended to `s` (after what `s` holds: the answer
    /// to the joiner), which completes.
    template <random_generator R>
    void commit(typename pending_map::iterator it, live_member live, std::string who, bool called_out, ntp_time now, R& rng,
                step& s) {
        pending_exchange& x = *it->second;
        const auto sessions = live.with([](const auto& m) { return m.sessions(); });
        media_key key = std::move(x.key);
        m_pending.erase(it);
        m_rec.members.push_back(member{who, {sessions.begin(), sessions.end()}, called_out});
        index_ssrcs(m_rec.members.back(), +1);
        const auto joined = m_members.emplace(who, std::move(live)).first;
        m_latest = std::max(m_latest, joined->second.with([](const auto& m) { return m.last_timestamp(); }));
        if (m_rec.config.keys == key_model::group) rekey(std::move(key), &joined->second, now, rng, s);
        s.done = true;
        s.who = std::move(who);
    }

    /// Group model: `key` becomes the group TEK; every member but `except`
    /// (the one just joined, or none) gets it in a CSB update without answer
    /// (RFC 6043 §5.2; the keys take effect at once on both ends).
    template <random_generator R>
    void rekey(media_key key, const live_member* except, ntp_time now, R& rng, step& s) {
        m_group = std::move(key);
        ++m_rec.epoch;
        const auto supplied = m_group->supplied();
        s.messages.reserve(s.messages.size() + m_members.size() - (except ? 1 : 0));
        for (auto& [who, m] : m_members) {
            if (&m == except) continue;
            // Written straight into the step's message block (room for what a message_buffer holds).
            detail::message_slot slot(s, who, std::tuple_size_v<detail::message_buffer>);
            const auto o = m.with([&](auto& x) {
                const auto sessions = x.sessions();
                const ntp_time t = update_time(x.last_timestamp(), now);
                if (now < t) m_latest = std::max(m_latest, t);  // stamped later than `now` (rare)
                return x.start_update(t, rng, slot.out(), sessions.view(), false, false, {&supplied, 1});
            });
            if (!o) {
                s.error = o.error;
                continue;
            }
            slot.commit(s, destination::peer, o.send_type, o.send);  // an accepted update always sends its TRANSFER_INIT
        }
        m_latest = std::max(m_latest, now);  // the T of every update not stamped later
    }

    /// The T of a member's CSB update at `now`. RFC 6043 §5.2: an update
    /// "MUST use new timestamps" under the member's keys (the KEMAC's IV
    /// repeats with an old T). `now` is not after the member's last T when
    /// the caller's clock has not moved since the last rekey (a coarse clock,
    /// two departures at once) or the member's own last message ran ahead
    /// (its clock, within the window): the update is then stamped just after
    /// that T, as long as that stays within the clock window of `now` (which
    /// the member checks; may_rekey refuses a rekey where it would not).
    [[nodiscard]] ntp_time update_time(ntp_time last, ntp_time now) const noexcept {
        if (last < now) return now;
        const ntp_time next = last.next_tick();
        return distance(next, now) <= m_p->clock_window() ? next : now;
    }
    /// Whether every member's update can be stamped at `now` (update_time
    /// newer than its last T): false when `now` is more than the clock
    /// window behind the latest T under a member's keys (the caller's clock
    /// stepped back). m_latest bounds every member's last T, so one
    /// comparison answers for all. Errors: stale_timestamp.
    [[nodiscard]] result<void> may_rekey(ntp_time now) const noexcept {
        if (m_rec.config.keys != key_model::group || m_latest < update_time(m_latest, now)) return {};
        return errc::stale_timestamp;
    }

    /// Adds (+1) or removes (-1) the media SSRCs of `m` in m_media_ssrcs.
    void index_ssrcs(const member& m, int sign) {
        for (const auto& x : m.sessions) {
            if (!record::is_media(x.cs_id)) continue;
            if (sign > 0) {
                m_media_ssrcs.insert(x.ssrc);
            } else if (const auto it = m_media_ssrcs.find(x.ssrc); it != m_media_ssrcs.end()) {
                m_media_ssrcs.erase(it);
            }
        }
    }

    B* m_b;
    const P* m_p;
    const C* m_c;
    std::string m_kms;
    crypto::algorithm_suite m_suite;
    std::size_t m_key_length;
    std::vector<std::uint8_t> m_srtp_policy;  ///< machine_config::srtp_policy
    record m_rec;
    pending_map m_pending;
    std::map<std::string, live_member, std::less<>> m_members;
    /// The media SSRCs of the members' sessions (one entry per session: in the group model
    /// every member's cs_focus_media has the focus's SSRC), kept with m_rec.members.
    std::multiset<std::uint32_t> m_media_ssrcs;
    std::optional<media_key> m_group;
    /// The latest T under any member's keys: the last of each joiner's
    /// initial exchange and every update stamped (may_rekey).
    ntp_time m_latest{};
};

}  // namespace mikey::conference

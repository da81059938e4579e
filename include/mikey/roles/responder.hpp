// mikey-ticket (roles layer): the Responder of RFC 6043 as a sans-I/O
// machine. It receives TRANSFER_INIT, rejects early what its policy will
// not accept (§4.2.2.2), has the ticket resolved (RESOLVE_INIT_PSK /
// RESOLVE_RESP with the KMS, modes 1 and 3; or opens it itself with a TPK
// it shares, modes 2 and 4, never when the E flag makes Resolve mandatory),
// verifies TRANSFER_INIT with MPKi (and V = Vi when forking, §4.2.3.6), and
// answers with TRANSFER_RESP when the F flag asks for it.
//
//   idle --TRANSFER_INIT--> awaiting_resolve_resp --RESOLVE_RESP--> established
//   idle --TRANSFER_INIT (resolves itself)--> established
//   established --TRANSFER_INIT--> ... (ticket reuse, J = 1, §5.3)
//   established --TRANSFER_INIT without TICKET--> established (CSB update, §5.2)
//   awaiting_resolve_resp --abandon()--> idle (the caller's timeout)
//
// A refused input changes no state, with one exception the protocol forces:
// in modes 1 and 3 the Responder cannot authenticate TRANSFER_INIT before
// the KMS resolved its ticket (§4.2.2.2), so a forged TRANSFER_INIT moves it
// to awaiting_resolve_resp; when the authentic RESOLVE_RESP then shows that
// TRANSFER_INIT to be forged, the exchange is abandoned (back to idle).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../crypto/derive.hpp"
#include "../crypto/kemac.hpp"
#include "../ticket/base_ticket.hpp"
#include "../ticket/mac_coverage.hpp"
#include "../ticket/messages.hpp"
#include "../ticket/policy.hpp"
#include "../ticket/seal.hpp"
#include "csb_update.hpp"
#include "exchange.hpp"
#include "outcome.hpp"
#include "policy.hpp"
#include "security_policy.hpp"

namespace mikey::roles {

/// What a Responder is.
struct responder_config {
    std::string_view identity;      ///< IDRr (URI) it sends in RESOLVE_INIT and TRANSFER_RESP
    std::string_view kms_identity;  ///< IDRkms of the KMS it resolves with
    algorithm_suite suite{};        ///< HDR PRF and V Auth alg of RESOLVE_INIT
};

template <crypto::crypto_backend B, responder_policy P>
class responder : public detail::bundle_party {
public:
    enum class state : std::uint8_t { idle, awaiting_resolve_resp, established, awaiting_update_resp };

    responder(B& backend, const P& policy, const responder_config& cfg)
        : m_b(&backend), m_policy(&policy), m_id(cfg.identity), m_kms(cfg.kms_identity), m_suite(cfg.suite) {}

    [[nodiscard]] state current() const noexcept { return m_state; }
    /// Gives up a pending Resolve (the caller's timeout: the KMS never
    /// answered): back to idle, or to established when an earlier exchange
    /// completed. The only state change that is not an answer to an input.
    void abandon() noexcept {
        m_resolving.reset();
        drop_update();
        m_state = m_key_count != 0 ? state::established : state::idle;
    }
    /// The Initiator, as the resolved ticket names it (IDRi of its TP Data).
    [[nodiscard]] bytes_view peer_identity() const noexcept { return ticket::as_bytes(m_peer); }
    /// The identity the KMS forked for (IDRr of RESOLVE_RESP), or its own.
    [[nodiscard]] bytes_view answering_identity() const noexcept { return ticket::as_bytes(m_answering); }
    [[nodiscard]] const ticket_policy& policy() const noexcept { return m_ticket_policy; }
    [[nodiscard]] bytes_view mpki() const noexcept { return m_mpki.view(); }
    [[nodiscard]] bytes_view mpkr_forked() const noexcept { return m_mpkr_forked.view(); }
    /// The security policy of crypto session `cs` (from established on): the
    /// SP this Responder chose for it (one the Initiator offered, or its own
    /// from own_security_policy), or with F = 0 the first one offered;
    /// after a CSB update, the one its answer named, or that an Initiator's
    /// update without answer listed first (RFC 6043 §5.2, "handled as in
    /// the initial exchange"); nullopt when there is none (SRTP's defaults
    /// apply, RFC 3830 §6.10.1). A view of bytes this machine owns, valid
    /// until its next exchange or update; srtp::policy_from turns it into
    /// an SRTP policy.
    [[nodiscard]] std::optional<sp_view> security_policy(cs_id cs) const noexcept MIKEY_LIFETIMEBOUND {
        return m_policies.for_session(cs.get());
    }
    /// The CSB ID of the bundle (from established on).
    [[nodiscard]] csb_id csb() const noexcept { return m_bundle.csb; }
    /// The responders the resolved ticket authorizes (the IDRr payloads of
    /// its TP Data, whose integrity the KMS vouched for, RFC 6043 §4.2.3):
    /// e.g. the participants a conference creator allowed. Read from the
    /// ticket's TP Data, which the machine keeps, when asked. Allocates.
    [[nodiscard]] std::vector<std::string> ticket_responders() const {
        return ticket::responders_of(::mikey::detail::first_byte_chain(m_ticket_tp_data));
    }

    /// CSB update started by the Responder (RFC 6043 §5.2: "The CSB updating
    /// can also be started by the Responder"): TRANSFER_INIT = HDR, T, [IDRr],
    /// [IDRi], {SP}, [KEMAC], V, protected with the keys of the last message
    /// of the initial exchange. `sessions`, `supplied`, `rekey`,
    /// `want_response` and `offers` (security policies offered in SP
    /// payloads) as for initiator::start_update; new keys need the M flag. The keys take effect when the Initiator's TRANSFER_RESP
    /// verifies, or at once without one (e.g. a focus rekeying its group
    /// TEK for every member).
    /// Errors: unexpected_in_state (not established), invalid_argument (as
    /// initiator::start_update's), key_too_short, missing_key, stale_timestamp (`now` not newer than the
    /// last message under the bundle's keys), policy_not_acceptable (new
    /// keys with M = 0), buffer_too_small, crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome start_update(ntp_time now, R& rng, mutable_bytes out,
                                       std::span<const crypto_session_spec> sessions, bool rekey,
                                       bool want_response, std::span<const supplied_key> supplied = {},
                                       std::span<const policy_offer> offers = {}) noexcept {
        if (m_state != state::established) return outcome::refused({errc::unexpected_in_state, 0});
        auto r = send_update(*m_b, rng, now, out, update_context(), sessions, supplied, rekey, want_response, offers);
        if (!r) return outcome::refused(r.error_info());
        if (want_response) m_state = state::awaiting_update_resp;
        return *r;
    }

    /// Session keys this Responder supplies in its next TRANSFER_RESP (M flag,
    /// RFC 6043 §4.2.2.3; e.g. a conference focus's group TEKs for its
    /// outgoing media): each keys crypto session `cs_id`, added to the CS ID
    /// map when TRANSFER_INIT lacks it. A ticket without M (or F) then makes
    /// the exchange fail with policy_not_acceptable instead of dropping them.
    /// Errors: invalid_argument (also more than max_crypto_sessions keys),
    /// key_too_short (see supplied_key). On error the keys set before stay.
    [[nodiscard]] result<void> set_response_keys(std::span<const supplied_key> keys) {
        // finish() holds them with TRANSFER_INIT's KEMAC keys in 2 * max_crypto_sessions candidates.
        if (keys.size() > max_crypto_sessions) return errc::invalid_argument;
        return detail::take_supplied(keys, m_response_keys);
    }

    /// Handles TRANSFER_INIT (initial, ticket reuse, or a CSB update of the
    /// Initiator's, answered with the keys of set_update_response_keys),
    /// RESOLVE_RESP, the TRANSFER_RESP answering our CSB update (whose KEMAC
    /// keys take effect), or an Error (error_received).
    /// Errors (besides parse / schema errors): message_not_for_role,
    /// unexpected_in_state, policy_not_acceptable (early reject),
    /// sp_not_acceptable, sp_not_found, sp_prot_mismatch (the offered
    /// security policies, early reject, and those an Initiator's CSB update
    /// lists), sp_count_not_one, sp_changed (the security policies of the
    /// answer to our CSB update, detail::check_answer),
    /// flag_f_required_by_i, bad_crypto_sessions, timestamp_out_of_window,
    /// unknown_peer, unknown_ticket_key, header_mismatch, wrong_kms, suite
    /// errors, auth_failure, vi_mismatch, replayed_message,
    /// replay_cache_full, missing_key, key_length_mismatch (an MPK over 64
    /// bytes in RESOLVE_RESP, a session key over 64 or its SPI over 8),
    /// missing_payload, ticket_expired,
    /// ticket_not_yet_valid, unauthorized_responder (self-resolve),
    /// ticket_reuse_forbidden, identity_mismatch (TRANSFER_INIT's IDRi is not
    /// the ticket's, or an update's IDRs not the bundle's), stale_timestamp
    /// (an update's T not newer than the last message under the bundle's
    /// keys, or the answer to our update carrying keys with a T not after
    /// the update's), unexpected_payload (a KEMAC without L, RANDs in a CSB
    /// update), mac_not_allowed, key_without_spi, key_unwrap_failure,
    /// policy_not_acceptable, bad_crypto_sessions, invalid_argument
    /// (set_update_response_keys that an update asking for an answer cannot
    /// carry), buffer_too_small, crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome receive(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto h = hdr_view::parse(in);
        if (!h) return outcome::refused(h.error_info());
        result<outcome> r = errc::message_not_for_role;
        switch (h->type()) {
            case data_type::transfer_init:
                if (m_state == state::awaiting_resolve_resp || m_state == state::awaiting_update_resp) {
                    r = failure{errc::unexpected_in_state, 1};
                } else if (m_state == state::established && !carries_ticket(in)) {
                    // RFC 6043 §5.2: a CSB update carries no TICKET.
                    r = take_update(*m_b, *m_policy, in, now, out, update_context());
                } else {
                    r = on_transfer_init(in, now, rng, out);
                }
                break;
            case data_type::resolve_resp:
                r = m_state == state::awaiting_resolve_resp ? on_resolve_resp(in, now, rng, out)
                                                            : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::transfer_resp:
                r = m_state == state::awaiting_update_resp ? on_update_resp(in, now)
                                                           : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::error: return outcome::refused(failure{errc::error_received, 1});
            default: r = failure{errc::message_not_for_role, 1}; break;
        }
        if (r) return *r;
        return detail::refuse(r.error_info(), in, now, out, m_policy->send_auth_failure_error());
    }
    /// receive() of a TRANSFER_INIT carrying a ticket that the caller parsed
    /// already (to look at what it claims first, as a conference focus
    /// does): the same checks and answer without parsing it again. `m`'s
    /// bytes are copied when kept. Errors: receive's.
    template <random_generator R>
    [[nodiscard]] outcome receive(const ticket::transfer_init_view& m, ntp_time now, R& rng, mutable_bytes out) noexcept {
        result<outcome> r = failure{errc::unexpected_in_state, 1};
        if (m_state != state::awaiting_resolve_resp && m_state != state::awaiting_update_resp) {
            r = on_transfer_init(m, now, rng, out);
        }
        if (r) return *r;
        return detail::refuse(r.error_info(), m.bytes(), now, out, m_policy->send_auth_failure_error());
    }

private:
    [[nodiscard]] identity me() const noexcept { return identity(ticket::as_bytes(m_id)); }
    [[nodiscard]] identity kms_id() const noexcept { return identity(ticket::as_bytes(m_kms)); }

    template <random_generator R>
    [[nodiscard]] result<outcome> on_transfer_init(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto m = ticket::transfer_init_view::parse(in);
        if (!m) return m.error_info();
        return on_transfer_init(*m, now, rng, out);
    }
    template <random_generator R>
    [[nodiscard]] result<outcome> on_transfer_init(const ticket::transfer_init_view& m, ntp_time now, R& rng,
                                                   mutable_bytes out) noexcept {
        const ticket_view tv = *m.ticket();
        const ticket_policy tp = tv.policy();
        // RFC 6043 §4.2.2.2: "The Responder SHALL however check that both the Ticket Policy and the
        // security policies are acceptable. If they are not, the Responder SHALL reject without
        // contacting the KMS."
        if (auto ok = m_policy->accept_ticket(tp); !ok) return ok.error_info();
        const algorithm_suite suite{m.header().prf(), m_policy->kemac_encr(m.v()->kind()), m.v()->kind()};
        if (auto ok = m_policy->check_suite(suite); !ok) return ok.error_info();
        const auto offers = detail::offered_choice::of(*m_policy, m.message(), suite, !tp.flags.f);
        if (!offers) return offers.error_info();
        if (auto ok = detail::in_window(*m_policy, m.t(), now); !ok) return ok.error_info();
        // RFC 6043 §4.2.2.3: the Responder may add crypto sessions ("the #CS SHALL be updated"); a
        // Transfer that lists none and gets none of ours would end in a bundle without keys.
        if (m.header().cs_count() == 0 && m_response_keys.empty()) return errc::bad_crypto_sessions;
        const auto bt = tv.base_ticket();
        if (!bt) return bt.error_info();
        // RFC 6043 §5.3: "If the Ticket Policy forbids reuse (J flag), the ticket MUST NOT be reused."
        const bytes_view tmac = bt->v().value();
        if (!tp.flags.j) {
            for (const auto& seen : m_seen_tickets) {
                if (equal_bytes(seen.view().subspan(1), tmac)) return errc::ticket_reuse_forbidden;
            }
        }
        const auto tpk = m_policy->tpk_for(bt->idrpsk() ? identity(bt->idrpsk()->data()) : identity{});
        if (!tpk) return send_resolve(m, now, rng, out, tmac, *offers);
        if (tp.flags.e) {
            // RFC 6043 §6.10: E = 1 makes the Resolve exchange MANDATORY. Holding the TPK we can
            // still check the ticket's integrity first (an early reject, §4.2.2.2): a flipped
            // flag must not send us to the KMS.
            std::array<std::uint8_t, ticket::max_kemac_plain> plain;
            const auto opened = ticket::open_base_ticket(*m_b, tv, *bt, bt->v().kind(), *tpk, plain);
            m_b->wipe(plain);
            if (!opened) return opened.error_info();
            return send_resolve(m, now, rng, out, tmac, *offers);
        }
        // Modes 2 and 4: resolve the ticket ourselves (App. A).
        resolution res;
        if (auto ok = resolve_self(tv, *bt, *tpk, now, res); !ok) return ok.error_info();
        auto o = finish(m, now, rng, out, std::move(res), tmac, *offers);
        if (o) o->with(event::ticket_resolved);
        return o;
    }

    template <random_generator R>
    [[nodiscard]] result<outcome> send_resolve(const ticket::transfer_init_view& m, ntp_time now, R& rng,
                                               mutable_bytes out, bytes_view tmac,
                                               const detail::offered_choice& offers) noexcept {
        const auto psk = m_policy->psk_for(me());
        if (!psk) return errc::unknown_peer;
        const auto csb = random_u32(rng);
        if (!csb) return csb.error_info();
        auto randrr = detail::random_bytes::draw(rng, detail::rand_length(psk->size()));
        if (!randrr) return randrr.error_info();
        const auto k1 = detail::protection(*m_b, detail::direction::initial, detail::needs::auth_key, m_suite, *psk, csb_id(*csb), {},
                                           randrr->view());
        if (!k1) return k1.error_info();
        const detail::timestamp t(now);
        ticket::sealed_message_builder sb(out);
        // RFC 6043 §4.2.3.1: V flag 1, #CS 0, Empty map; the TICKET as received (Initiator Data included).
        sb.header(hdr_builder{data_type::resolve_init_psk, true, m_suite.prf, csb_id(*csb), empty_map{}, 1})
            .add(t.builder())
            .add(randr_builder{rand_role::randrr, randrr->view()})
            .add(idr_builder{id_role::idrr, id_type::uri, me().get()})
            .add(idr_builder{id_role::idrkms, id_type::uri, kms_id().get()})
            .add(m.ticket()->to_builder());
        // RFC 6043 §5.5: RESOLVE_INIT || Identity_r || Identity_kms.
        const auto sealed = sb.seal(*m_b, m_suite.mac, k1->auth_key.view(), {me().get(), kms_id().get()});
        if (!sealed) return sealed.error_info();
        // Commit: our RESOLVE_INIT and the TRANSFER_INIT (with its validated view) until RESOLVE_RESP.
        auto p = std::make_unique<pending_resolve>();
        p->bytes.reserve(m.bytes().size() + sealed->size());
        p->bytes.assign(m.bytes().begin(), m.bytes().end());
        p->bytes.insert(p->bytes.end(), sealed->begin(), sealed->end());
        p->resolve_size = sealed->size();
        p->ticket_mac_at = static_cast<std::size_t>(tmac.data() - m.bytes().data());
        p->ticket_mac_size = tmac.size();
        auto ti = m.rebased(p->transfer_bytes());
        if (!ti) return ti.error_info();
        p->transfer.emplace(*ti);
        p->randrr = *randrr;
        p->offers = offers;
        m_resolving = std::move(p);
        m_state = state::awaiting_resolve_resp;
        return outcome{errc::ok, 0, *sealed, data_type::resolve_init_psk, 0};
    }

    /// A TRANSFER_INIT without TICKET is a CSB update (RFC 6043 §5.2).
    static bool carries_ticket(bytes_view in) noexcept {
        const auto m = message_view::parse(in);
        return !m || m->count(payload_type::ticket) != 0;
    }

    /// What a CSB update needs of the initial exchange (RFC 6043 §5.2).
    [[nodiscard]] detail::update_context update_context() const noexcept {
        const auto& f = m_ticket_policy.flags;
        return detail::update_context{.self = party::responder,
                                      .csb = m_bundle.csb,
                                      .prf = m_bundle.suite.prf,
                                      .mac = m_bundle.suite.mac,
                                      .kemac_encr = m_bundle.suite.encr,
                                      .id_i = ticket::as_bytes(m_peer),
                                      .id_r = ticket::as_bytes(m_bundle.answered ? m_answering : m_bundle.id_r),
                                      .last = &m_last,
                                      .rands = crypto::d4_rands{rand_value(m_last.randri.view()), rand_value(m_last.randrr.view()),
                                                                f.h, f.g},
                                      .flags = f,
                                      .keys = {m_keys.data(), m_key_count},
                                      .policies = &m_policies};
    }

    /// The Initiator's answer to our CSB update.
    [[nodiscard]] result<outcome> on_update_resp(bytes_view in, ntp_time now) noexcept {
        auto r = verify_update_answer(*m_b, *m_policy, in, now, update_context());
        if (r) m_state = state::established;
        return r;
    }

    /// Everything taken from a resolved ticket, committed only on success.
    struct resolution {
        secret_buffer<64> mpki{}, mpkr_forked{};
        std::array<detail::owned_key, max_crypto_sessions> held{};
        std::size_t held_count = 0;
        std::string peer, answering;
        detail::random_bytes randrkms{};
    };

    /// Copies MPKi, [MPKr'] and the session keys of a key list (RFC 6043
    /// §4.2.3.5: MPKi || [MPKr'] || {TEK|TGK|GTGK}; for a ticket opened
    /// ourselves: MPK || keys, with mpki already derived). Errors: missing_key,
    /// owned_key::received's (key_without_spi, key_length_mismatch), key_length_mismatch
    /// (an MPK over 64 bytes).
    [[nodiscard]] static result<void> take(const key_data_list& list, bool from_kms, bool forking,
                                           resolution& res) noexcept {
        std::size_t mpks = 0;
        for (const auto& k : list) {
            if (k.kind() == key_data_type::mpk) {
                // An MPK longer than the 64 bytes held is refused (key_length_mismatch).
                if (from_kms && mpks == 0) {
                    if (auto r = res.mpki.assign(k.key()); !r) return r;
                } else if (from_kms && mpks == 1 && forking) {
                    if (auto r = res.mpkr_forked.assign(k.key()); !r) return r;
                }
                ++mpks;
                continue;
            }
            if (!detail::is_session_key(k.kind()) || res.held_count == res.held.size()) return errc::missing_key;
            auto h = detail::owned_key::received(k);
            if (!h) return h.error_info();
            res.held[res.held_count++] = std::move(*h);
        }
        // RFC 6043 §4.2.3.5: MPKi always, MPKr' with forking; a session key to use.
        if (mpks < (from_kms ? (forking ? 2u : 1u) : 1u) || res.held_count == 0) return errc::missing_key;
        return {};
    }

    /// Modes 2 and 4: open the ticket with our TPK and check what a KMS
    /// would: validity, and that we are one of its authorized responders
    /// (by identity: group membership is the KMS's knowledge). `bt` is
    /// tv.base_ticket().
    [[nodiscard]] result<void> resolve_self(const ticket_view& tv, const base_ticket_view& bt, bytes_view tpk,
                                            ntp_time now, resolution& res) noexcept {
        const ticket_policy tp = tv.policy();
        const algorithm_suite ts{tp.prf, bt.kemac().encryption(), bt.v().kind()};
        if (auto ok = m_policy->check_suite(ts); !ok) return ok;
        const auto tpc = ticket::read_tp_data(tv.tp_payloads());
        if (!tpc) return tpc.error_info();
        if (auto ok = ticket::check_validity(*tpc, now); !ok) return ok;
        bool listed = false;
        for (const auto& e : tv.tp_payloads()) {
            if (e.type == payload_type::idr && e.as<idr_view>().role() == id_role::idrr &&
                equal_bytes(e.as<idr_view>().data(), me().get())) {
                listed = true;
            }
        }
        // RFC 6043 §6.10: only the ticket's authorized responders may resolve it.
        if (!listed) return errc::unauthorized_responder;
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto opened = ticket::open_base_ticket(*m_b, tv, bt, ts.mac, tpk, plain);
        if (!opened) return opened.error_info();
        const bytes_view mpk = opened->mpk.key();
        // RFC 6043 App. A.2.2: MPKi from the MPK and the ticket's RAND (an MPK over the 64 bytes
        // held: key_length_mismatch).
        auto r = res.mpki.resize(mpk.size());
        if (r) r = crypto::derive_mpki(*m_b, tp.prf, mpk, rand_value(bt.rand().value()), res.mpki.mutable_view());
        if (r) r = take(opened->keys, false, false, res);
        m_b->wipe(plain);
        if (!r) return r;
        if (tpc->idri) res.peer.assign(ticket::as_chars(tpc->idri->data()));
        res.answering = m_id;
        return {};
    }

    template <random_generator R>
    [[nodiscard]] result<outcome> on_resolve_resp(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto m = ticket::resolve_resp_view::parse(in);
        if (!m) return m.error_info();
        detail::anticipate_fresh(*m_policy, m->message(), m->mac());  // the replay check after the MAC
        const pending_resolve& pr = *m_resolving;
        const bytes_view resolve_init = pr.resolve_bytes();
        const auto req = hdr_view::parse(resolve_init);
        const auto hdr = m->header();
        // RFC 6043 §4.2.3.5: version, PRF func, CSB ID copied from RESOLVE_INIT.
        if (hdr.version() != req->version() || hdr.prf() != req->prf() || hdr.csb() != req->csb()) {
            return failure{errc::header_mismatch, 3};
        }
        if (m->idrkms() && !equal_bytes(m->idrkms()->data(), kms_id().get())) return errc::wrong_kms;
        const auto psk = m_policy->psk_for(me());
        if (!psk) return errc::unknown_peer;
        const algorithm_suite s{hdr.prf(), m->kemac()->encryption(), m->v()->kind()};
        if (s.mac != m_suite.mac) return errc::mac_not_allowed;
        if (auto ok = m_policy->check_suite(s); !ok) return ok.error_info();
        const auto k2 = detail::protection(*m_b, detail::direction::response, detail::needs::all_keys, s, *psk, hdr.csb(), {},
                                           pr.randrr.view());
        if (!k2) return k2.error_info();
        // RFC 6043 §5.5: RESOLVE_RESP || RESOLVE_INIT.
        if (auto ok = ticket::verify_message_mac(*m_b, m->message(), s.mac, k2->auth_key.view(),
                                                 ticket::v_inputs{.initial_message = resolve_init});
            !ok) {
            return ok.error_info();
        }
        if (auto ok = detail::fresh(*m_policy, m->message(), m->t(), m->mac(), now); !ok) return ok.error_info();
        // RFC 6043 §4.2.3.5: the KEMAC "SHALL use the NULL authentication algorithm".
        if (m->kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
        // Our copy of the TRANSFER_INIT that passed transfer_init_view::parse on receipt.
        const ticket::transfer_init_view& ti = *pr.transfer;
        const ticket_view tv = *ti.ticket();
        const bool forking = tv.flags().i;
        resolution res;
        if (forking) {
            // RFC 6043 §4.2.3.5: the modifier "SHALL be included in the IDRr and RANDRkms payloads".
            if (!m->idrr() || !m->randrkms()) return errc::missing_payload;
            res.answering.assign(ticket::as_chars(m->idrr()->data()));
            res.randrkms.assign(m->randrkms()->value());
        } else {
            res.answering = m->idrr() ? std::string(m->idrr()->data().begin(), m->idrr()->data().end()) : m_id;
        }
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto list = crypto::open_kemac(*m_b, *m->kemac(), k2->cipher(hdr.csb(), detail::iv_time(m->t())), plain);
        if (!list) return list.error_info();
        auto r = take(*list, true, forking, res);
        m_b->wipe(plain);
        if (!r) return r.error_info();
        // The KMS vouches for the ticket's IDRi: the Initiator's identity.
        if (const auto idri = ticket::initiator_of(tv.tp_payloads())) res.peer.assign(ticket::as_chars(idri->data()));
        auto o = finish(ti, now, rng, out, std::move(res), pr.ticket_mac(), pr.offers);
        if (!o) {
            // The RESOLVE_RESP was authentic but the TRANSFER_INIT it resolved does not verify
            // (tampered, replayed, V != Vi): that exchange is over, the machine is idle again.
            abandon();
            return o;
        }
        o->with(event::ticket_resolved);
        return o;
    }

    /// After the ticket is resolved: "the Responder MUST verify the
    /// TRANSFER_INIT message with the MPKi" and, with forking, V = Vi
    /// (RFC 6043 §4.2.3.6); then the session keys, TRANSFER_RESP when F, and
    /// the commit of the new state.
    template <random_generator R>
    [[nodiscard]] result<outcome> finish(const ticket::transfer_init_view& ti, ntp_time now, R& rng,
                                         mutable_bytes out, resolution&& res, bytes_view tmac,
                                         const detail::offered_choice& offers) noexcept {
        detail::anticipate_fresh(*m_policy, ti.message(), ti.mac());  // the replay check after the MAC
        const auto hdr = ti.header();
        const ticket_policy tp = ti.ticket()->policy();
        const auto& f = tp.flags;
        const algorithm_suite s{hdr.prf(), m_policy->kemac_encr(ti.v()->kind()), ti.v()->kind()};
        // The encr / salt keys only to open the Initiator's KEMAC, for the Encr alg it names.
        algorithm_suite s_ti = s;
        if (ti.kemac()) {
            s_ti.encr = ti.kemac()->encryption();
            if (auto ok = m_policy->check_suite(s_ti); !ok) return ok.error_info();
        }
        auto k1 = detail::protection(*m_b, detail::direction::initial, detail::needs_if(ti.kemac().has_value()), s_ti,
                                     res.mpki.view(), hdr.csb(),
                                     ti.randri()->value(), {});
        if (!k1) return k1.error_info();
        // RFC 6043 §5.5: TRANSFER_INIT (without Initiator Data) || Identity_i || Identity_r.
        const identity id_i(ti.idri() ? ti.idri()->data() : ticket::as_bytes(res.peer));
        const identity id_r(ti.idrr() ? ti.idrr()->data() : me().get());
        if (auto ok = ticket::verify_message_mac(*m_b, ti.message(), s.mac, k1->auth_key.view(),
                                                 ticket::v_inputs{.identity_i = id_i, .identity_r = id_r});
            !ok) {
            return ok.error_info();
        }
        // RFC 6043 §4.2.3.6: "the MAC field in the V payload ... is identical to the MAC field in the Vi payload".
        if (f.i) {
            if (auto ok = ticket::verify_vi(*m_b, ti.message()); !ok) {
                return ok.error() == errc::auth_failure ? result<outcome>(errc::vi_mismatch) : ok.error_info();
            }
        }
        if (auto ok = detail::fresh(*m_policy, ti.message(), ti.t(), ti.mac(), now); !ok) return ok.error_info();
        // The Initiator named in TRANSFER_INIT is the one the ticket names.
        if (ti.idri() && !res.peer.empty() && !equal_bytes(ti.idri()->data(), ticket::as_bytes(res.peer))) {
            return errc::identity_mismatch;
        }
        if (res.peer.empty() && ti.idri()) res.peer.assign(ticket::as_chars(ti.idri()->data()));
        if (auto ok = m_policy->accept_initiator(identity(ticket::as_bytes(res.peer))); !ok) return ok.error_info();
        // RFC 6043 §4.2.2.1: a KEMAC in TRANSFER_INIT only with L; its encr_key from MPKi (D1).
        if (ti.kemac() && !f.l) return errc::unexpected_payload;
        // RFC 6043 §4.2.2.3: "If indicated by the Ticket Policy (M flag), a KEMAC payload SHALL NOT be
        // included"; and without F there is no TRANSFER_RESP to carry our keys.
        if (!m_response_keys.empty() && (!f.m || !f.f)) return errc::policy_not_acceptable;
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const detail::wipe_on_exit<B> wipe_plain{m_b, plain};
        std::array<detail::candidate, 2 * max_crypto_sessions> kemac;  // [0, nk) written below
        std::size_t nk = 0;
        for (const auto& k : m_response_keys) kemac[nk++] = k.view(false);
        if (ti.kemac()) {
            if (ti.kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
            const auto list = crypto::open_kemac(*m_b, *ti.kemac(), k1->cipher(hdr.csb(), detail::iv_time(ti.t())), plain);
            if (!list) return list.error_info();
            const auto n = detail::kemac_candidates(*list, std::span<detail::candidate>(kemac).subspan(nk, max_crypto_sessions));
            if (!n) return n.error_info();
            nk += *n;
        }
        // RFC 6043 §4.2.2.3: "If indicated by the Ticket Policy (G flag), the Responder SHALL
        // generate a fresh (pseudo-)random byte string RANDRr."
        detail::random_bytes randrr;
        if (f.g) {
            std::size_t longest = res.mpki.size();
            for (std::size_t j = 0; j < res.held_count; ++j) longest = std::max(longest, res.held[j].key.size());
            auto r = detail::random_bytes::draw(rng, detail::rand_length(longest));
            if (!r) return r.error_info();
            randrr = *r;
        }
        // The crypto sessions after this exchange: TRANSFER_INIT's (the SPI of a session we key
        // ourselves replaced), and those our supplied keys add ("If the Responder adds crypto
        // sessions, the #CS SHALL be updated", §4.2.2.3).
        detail::cs_map map;
        if (hdr.map_type() == cs_id_map_type::generic_id) {
            for (const auto& b : generic_id_map(hdr.map_info())) {
                if (!map.add(b)) return errc::bad_crypto_sessions;
            }
        } else if (hdr.map_type() != cs_id_map_type::empty) {
            // RFC 6043 §6.1: "The map type SRTP-ID SHALL NOT be used" (the schema refuses it first).
            return errc::bad_crypto_sessions;
        }
        for (const auto& k : m_response_keys) {
            if (auto* b = map.find(k.cs_id)) {
                b->spi = k.view(false).spi;
            } else if (!map.add_srtp(k.cs_id, k.ssrc, k.view(false).spi)) {
                return errc::bad_crypto_sessions;
            }
        }
        const std::size_t nb = map.size();
        if (nb == 0) return errc::bad_crypto_sessions;  // no session listed, none of ours (keys dropped meanwhile)
        const auto& blocks = map.blocks;
        // RFC 6043 §5.1.3: each crypto session's TEK from its key with RANDRi (H) and RANDRr (G).
        std::array<detail::candidate, max_crypto_sessions> tickets;  // [0, held_count) written below
        for (std::size_t j = 0; j < res.held_count; ++j) tickets[j] = res.held[j].view(false);  // forked by the KMS already
        const crypto::d4_rands rands{rand_value(ti.randri()->value()), rand_value(randrr.view()), f.h, f.g};
        std::array<session_key, max_crypto_sessions> keys;
        for (std::size_t i = 0; i < nb; ++i) {
            const auto c = detail::pick(std::span<const detail::candidate>(kemac.data(), nk),
                                        std::span<const detail::candidate>(tickets.data(), res.held_count), blocks[i].spi, i);
            if (!c) return errc::missing_key;
            if (auto ok = detail::make_session_key(*m_b, hdr.prf(), detail::session_of(blocks[i]), c->kind, c->key, c->salt,
                                                   c->spi, rands, keys[i]);
                !ok) {
                return ok.error_info();
            }
        }
        const std::size_t count = nb;
        // RFC 6043 §4.2.2.3: "The Responder SHALL update the CS ID map info so that each crypto session
        // has exactly one security policy indicated" (detail::response_policies); without TRANSFER_RESP
        // (F = 0) each crypto session keeps the first one offered.
        detail::response_policies sps;
        if (auto ok = sps.choose(*m_policy, ti.message(), map.view(), [&keys](std::size_t i) { return keys[i].tek.size(); },
                                 s, f.f, offers);
            !ok) {
            return ok.error_info();
        }
        if (f.f) sps.name_in(map.blocks.mutable_view());

        outcome o{};
        std::optional<detail::last_message_keys> last;
        if (f.f) {
            // RFC 6043 §4.2.2.3: TRANSFER_RESP, protected with MPKr' (forking) or MPKi, D2 with RANDRi and RANDRr (G).
            const bytes_view inkey = f.i ? res.mpkr_forked.view() : res.mpki.view();
            auto k2 = detail::protection(*m_b, detail::direction::response, detail::needs_if(!m_response_keys.empty()),
                                         s, inkey, hdr.csb(), ti.randri()->value(),
                                         randrr.view());
            if (!k2) return k2.error_info();
            const detail::timestamp t(now);
            std::optional<randr_builder> rr, rk;
            if (f.g) rr = randr_builder{rand_role::randrr, randrr.view()};
            if (f.i) rk = randr_builder{rand_role::randrkms, res.randrkms.view()};
            inline_list<key_data_builder, max_crypto_sessions> kb;
            for (const auto& k : m_response_keys) {
                const auto c = k.view(false);
                if (!kb.push_back(key_data_builder{c.kind, c.key, c.salt, kv_data{kv_type::spi, c.spi, {}, {}}})) {
                    return errc::invalid_argument;
                }
            }
            ticket::sealed_message_builder sb(out);
            sb.header(hdr_builder{data_type::transfer_resp, false, hdr.prf(), hdr.csb(),
                                  map.view(), hdr.version()})
                .add(t.builder())
                .add(rr)
                // RFC 6043 §4.2.2.3: the IDRr of RESOLVE_RESP "MUST be sent in an IDRr payload".
                .add(idr_builder{id_role::idrr, id_type::uri, ticket::as_bytes(res.answering)})
                .add(rk)
                .add(sps.own());
            if (!m_response_keys.empty()) {
                // RFC 6043 §4.2.2.3, §5.2: KEMAC = E(encr_key, (TEK|TGK|GTGK)), NULL MAC, the keys of this message.
                sb.add_kemac(*m_b, s.encr, k2->cipher(hdr.csb(), t.iv()), kb.view());
            }
            // RFC 6043 §5.5: TRANSFER_RESP || TRANSFER_INIT.
            const auto sealed = sb.seal(*m_b, s.mac, k2->auth_key.view(), {ti.bytes()});
            if (!sealed) return sealed.error_info();
            o.send = *sealed;
            o.send_type = data_type::transfer_resp;
            last = detail::last_message_keys::of(detail::direction::response, s, inkey, hdr.csb(), ti.randri()->value(),
                                                 randrr.view(), *k2, s.encr);
        } else {
            // No TRANSFER_RESP: no RANDRr either (G implies F, RFC 6043 §6.10), so the RANDs kept
            // here are also the D4 RANDs of the bundle's session keys.
            last = detail::last_message_keys::of(detail::direction::initial, s, res.mpki.view(), hdr.csb(),
                                                 ti.randri()->value(), {}, *k1, s_ti.encr);
        }
        // Commit.
        // RFC 6043 §5.2: CSB updates use the keys of the last message of the initial exchange.
        m_last = std::move(*last);
        // The T of the last message: our TRANSFER_RESP (`now`), else TRANSFER_INIT's.
        m_last.t = f.f ? now : ntp_time::from_payload(ti.t().kind(), ti.t().value()).value_or(now);
        // The Responder's identity for updates: the IDRr of its TRANSFER_RESP when it sent one
        // (RFC 6043 §5.5: it "MAY differ from that appearing in TRANSFER_INIT"), else TRANSFER_INIT's.
        // Identity_i is m_peer (TRANSFER_INIT's IDRi equals the ticket's, checked above).
        m_bundle = bundle{hdr.csb(), s, f.f, f.f ? std::string{} : std::string(id_r.get().begin(), id_r.get().end())};
        m_ticket_tp_data.assign(ti.ticket()->tp_data().begin(), ti.ticket()->tp_data().end());
        for (std::size_t i = 0; i < count; ++i) m_keys[i] = std::move(keys[i]);
        m_key_count = count;
        m_mpki = std::move(res.mpki);
        m_mpkr_forked = std::move(res.mpkr_forked);
        m_peer = std::move(res.peer);
        m_answering = std::move(res.answering);
        m_ticket_policy = tp;
        m_policies = std::move(sps.negotiated);
        if (!f.j) m_seen_tickets.push_back(ticket::replay_key(0, tmac));
        m_resolving.reset();
        m_state = state::established;
        o.with(event::keys_established).with(event::peer_authenticated);
        return o;
    }

    B* m_b;
    const P* m_policy;
    std::string m_id, m_kms;
    algorithm_suite m_suite;
    state m_state = state::idle;
    /// While a Resolve is pending: the TRANSFER_INIT and our RESOLVE_INIT
    /// (one buffer), the view of the TRANSFER_INIT validated on receipt, and
    /// RANDRr. Out of line: a conference focus holds one Responder per member.
    struct pending_resolve {
        std::vector<std::uint8_t> bytes;  ///< TRANSFER_INIT || RESOLVE_INIT; never resized once filled
        std::size_t resolve_size = 0;
        std::size_t ticket_mac_at = 0, ticket_mac_size = 0;  ///< the ticket's V MAC within transfer_bytes()
        std::optional<ticket::transfer_init_view> transfer;  ///< over transfer_bytes()
        detail::random_bytes randrr{};
        detail::offered_choice offers{};  ///< the early check's choice of security policies (§4.2.2.2)
        [[nodiscard]] bytes_view transfer_bytes() const noexcept {
            return bytes_view(bytes).first(bytes.size() - resolve_size);
        }
        [[nodiscard]] bytes_view resolve_bytes() const noexcept { return bytes_view(bytes).last(resolve_size); }
        /// The MAC of the ticket's own V (what identifies the ticket for the J check, §5.3).
        [[nodiscard]] bytes_view ticket_mac() const noexcept {
            return transfer_bytes().subspan(ticket_mac_at, ticket_mac_size);
        }
    };
    std::unique_ptr<pending_resolve> m_resolving;
    secret_buffer<64> m_mpki{}, m_mpkr_forked{};
    std::string m_peer, m_answering;
    ticket_policy m_ticket_policy{};
    /// The V MACs of the tickets used with J = 0 (RFC 6043 §5.3), as replay keys of type 0.
    std::vector<ticket::replay_key> m_seen_tickets;
    std::vector<detail::owned_key> m_response_keys;
    /// What CSB updates need of the initial exchange (RFC 6043 §5.2).
    /// Identity_i is m_peer; Identity_r is m_answering when this end sent
    /// TRANSFER_RESP (its IDRr, RFC 6043 §5.5: it "MAY differ from that
    /// appearing in TRANSFER_INIT"), else `id_r`, TRANSFER_INIT's.
    struct bundle {
        csb_id csb{};
        algorithm_suite suite{};
        bool answered = false;
        std::string id_r;
    };
    bundle m_bundle{};
    std::vector<std::uint8_t> m_ticket_tp_data;  ///< the resolved ticket's TP Data (First Payload byte first)
};

}  // namespace mikey::roles

// mikey-ticket (roles layer): the Initiator of RFC 6043 as a sans-I/O
// machine. It obtains a ticket (Ticket Request with the KMS, modes 1 and 2;
// or makes one itself with a TPK it shares, modes 3 and 4, §4.1.1), sends
// it to a Responder (TRANSFER_INIT, with Initiator Data when forking) and
// verifies the TRANSFER_RESP (with MPKr' when forking, which authenticates
// the Responder as the identity the KMS forked for).
//
//   idle --start_request--> awaiting_request_resp --REQUEST_RESP--> ticket_ready
//   idle --create_ticket--> ticket_ready
//   ticket_ready --start_transfer--> awaiting_transfer_resp --TRANSFER_RESP--> established
//                                  (F = 0: established at once)
//   established --start_transfer--> ... (ticket reuse, only with J = 1, §5.3)
//   established --start_update--> awaiting_update_resp --TRANSFER_RESP--> established
//                               (CSB update, §5.2; without a response: established at once)
//
// A refused input changes no state.
#pragma once

#include <array>
#include <bitset>
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
#include "config_storage.hpp"
#include "csb_update.hpp"
#include "exchange.hpp"
#include "outcome.hpp"
#include "policy.hpp"
#include "security_policy.hpp"

namespace mikey::roles {

/// What an Initiator is and what it asks for.
struct initiator_config {
    std::string_view identity;                    ///< IDRi (URI)
    std::string_view kms_identity;                ///< IDRkms (URI)
    std::string_view responder;                   ///< IDRr of TRANSFER_INIT: whom it calls
    std::span<const std::string_view> authorized_responders{};  ///< IDRr of the TP (default: `responder`)
    std::span<const std::string_view> applications{};  ///< IDRapp of the TP (none: every application, §6.10)
    ticket_policy desired{};                      ///< desired Ticket Policy (K is sent as 0)
    key_data_type key_kind = key_data_type::tgk;  ///< TEK, TGK or GTGK (with or without +SALT)
    std::size_t key_length = 16;                  ///< bytes of each session key: 16 to 32
    std::span<const crypto_session_spec> sessions{};  ///< one session key each
    algorithm_suite suite{};                      ///< HDR PRF, KEMAC Encr alg, V Auth alg
    std::chrono::seconds validity{3600};          ///< desired TRe - now
    std::string_view ticket_key_id{};             ///< modes 3 / 4: IDRpsk naming its TPK (empty: default)
    /// Security policies offered in TRANSFER_INIT (RFC 6043 §4.2.2.1, §6.1.1),
    /// at most max_policy_offers, in order of preference, as
    /// detail::take_offers takes them (Prot type SRTP, unique Policy nos, CS
    /// IDs of `sessions`). Default none: each block has #P = 0 and the
    /// Responder proposes one (security_policy.hpp).
    std::span<const policy_offer> security_policies{};
};

template <crypto::crypto_backend B, initiator_policy P>
class initiator : public detail::bundle_party {
public:
    enum class state : std::uint8_t {
        idle,
        awaiting_request_resp,
        ticket_ready,
        awaiting_transfer_resp,
        established,
        awaiting_update_resp,
    };

    /// Copies the config (its identities and lists into one block). Errors
    /// are reported by the first call (invalid_argument for no crypto
    /// session or more than max_crypto_sessions, security policies that
    /// take_offers refuses, or a key_length over max_session_key_bytes;
    /// key_too_short for one under 16 bytes).
    initiator(B& backend, const P& policy, const initiator_config& cfg)
        : m_b(&backend), m_policy(&policy), m_cfg(cfg) {
        const std::string_view callee_only[1] = {cfg.responder};
        if (m_cfg.authorized_responders.empty()) m_cfg.authorized_responders = callee_only;
        m_offers_ok = detail::take_offers(cfg.security_policies, cfg.sessions, m_offers).has_value();
        m_cfg.security_policies = {};  // taken into m_offers
        m_cfg.desired.flags.k = false;
        m_storage.own([this](detail::config_storage& s) {
            s.take(m_cfg.identity);
            s.take(m_cfg.kms_identity);
            s.take(m_cfg.responder);
            s.take(m_cfg.ticket_key_id);
            s.take(m_cfg.authorized_responders);
            s.take(m_cfg.applications);
            s.take(m_cfg.sessions);
        });
    }

    [[nodiscard]] state current() const noexcept { return m_state; }
    /// Gives up the pending exchange (the caller's timeout): awaiting a
    /// REQUEST_RESP goes back to idle, awaiting a TRANSFER_RESP back to
    /// ticket_ready (or established when an earlier transfer completed).
    void abandon() noexcept {
        if (m_state == state::awaiting_request_resp) m_state = state::idle;
        if (m_state == state::awaiting_transfer_resp) m_state = m_key_count != 0 ? state::established : state::ticket_ready;
        if (m_state == state::awaiting_update_resp) {
            drop_update();
            m_state = state::established;
        }
    }
    /// The granted Ticket Policy (valid from ticket_ready on).
    [[nodiscard]] const ticket_policy& granted() const noexcept { return m_granted; }
    /// The TICKET payload held (without Initiator Data).
    [[nodiscard]] bytes_view ticket() const noexcept { return m_ticket; }
    [[nodiscard]] bytes_view mpki() const noexcept { return m_mpki.view(); }
    [[nodiscard]] bytes_view mpkr() const noexcept { return m_mpkr.view(); }
    /// MPKr' (forking; from established on).
    [[nodiscard]] bytes_view mpkr_forked() const noexcept { return m_mpkr_forked.view(); }
    /// The Responder authenticated by TRANSFER_RESP (forking) or named by it.
    [[nodiscard]] bytes_view peer_identity() const noexcept { return ticket::as_bytes(m_peer); }
    /// The security policy of crypto session `cs` (from established on): the
    /// SP the Responder chose in TRANSFER_RESP (one of ours, or its own), or
    /// with F = 0 the first one we offered for it; after a CSB update, the
    /// one its answer named, or that a Responder's update without answer
    /// listed first (RFC 6043 §5.2, "handled as in the initial exchange");
    /// nullopt when there is none (SRTP's defaults apply, RFC 3830
    /// §6.10.1). A view of bytes this machine owns, valid until its next
    /// exchange or update; srtp::policy_from turns it into an SRTP policy.
    [[nodiscard]] std::optional<sp_view> security_policy(cs_id cs) const noexcept MIKEY_LIFETIMEBOUND {
        return m_policies.for_session(cs.get());
    }

    /// The CSB ID of the bundle (from awaiting_transfer_resp on; 0 before).
    [[nodiscard]] csb_id csb() const noexcept {
        const auto h = hdr_view::parse(m_transfer);
        return h ? h->csb() : csb_id{};
    }

    /// Modes 1 and 2: builds REQUEST_INIT_PSK (RFC 6043 §4.2.1) into `out`.
    /// Errors: unexpected_in_state (not idle), invalid_argument and
    /// key_too_short (config), unknown_peer (no PSK shared with the KMS),
    /// the policy's suite errors,
    /// buffer_too_small, crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome start_request(ntp_time now, R& rng, mutable_bytes out) noexcept {
        if (m_state != state::idle) return outcome::refused({errc::unexpected_in_state, 0});
        auto r = build_request(now, rng, out);
        if (!r) return outcome::refused(r.error_info());
        return *r;
    }

    /// Modes 3 and 4: makes the ticket itself with the TPK it shares with the
    /// KMS or the Responder (D = 0, which requires L, RFC 6043 §6.10).
    /// Errors: unexpected_in_state, invalid_argument and key_too_short
    /// (config), unknown_ticket_key, the flag_* codes,
    /// policy_not_acceptable, crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome create_ticket(ntp_time now, R& rng) noexcept {
        if (m_state != state::idle) return outcome::refused({errc::unexpected_in_state, 0});
        auto r = make_own_ticket(now, rng);
        if (!r) return outcome::refused(r.error_info());
        m_state = state::ticket_ready;
        return outcome{}.with(event::ticket_granted);
    }

    /// Builds TRANSFER_INIT (RFC 6043 §4.2.2) with the ticket held, and a
    /// KEMAC of `supplied` session keys when given (L flag, §4.2.2.1).
    /// Errors: unexpected_in_state, ticket_reuse_forbidden (a second transfer
    /// with J = 0, §5.3), policy_not_acceptable (supplied keys with L = 0),
    /// invalid_argument / key_too_short (a supplied key), buffer_too_small,
    /// crypto_backend_failure.
    template <random_generator R>
    [[nodiscard]] outcome start_transfer(ntp_time now, R& rng, mutable_bytes out,
                                         std::span<const supplied_key> supplied = {}) noexcept {
        if (m_state != state::ticket_ready && m_state != state::established) {
            return outcome::refused({errc::unexpected_in_state, 0});
        }
        // RFC 6043 §5.3: "If the Ticket Policy forbids reuse (J flag), the ticket MUST NOT be reused."
        if (m_transfers > 0 && !m_granted.flags.j) return outcome::refused({errc::ticket_reuse_forbidden, 0});
        auto r = build_transfer(now, rng, out, supplied);
        if (!r) return outcome::refused(r.error_info());
        return *r;
    }

    /// CSB update started by the Initiator (RFC 6043 §5.2): rekeying and
    /// adding crypto sessions. `sessions` is the bundle after the update
    /// (same CSB ID; a CS ID not in it before is added). `supplied` are new
    /// keys for some sessions (e.g. a conference focus's fresh group TEK);
    /// with `rekey` every other session gets a fresh random key of its kind
    /// and length. New keys travel in a KEMAC (allowed only with the L flag;
    /// "If a new TGK is exchanged, it SHALL NOT be forked"); a session
    /// without a new key keeps its key, and an added one derives its key from
    /// the key of the session listed first (TGK / GTGK only: a TEK is never
    /// shared by two crypto sessions). The message is protected with the
    /// keys of the last message of the initial exchange and carries no RAND
    /// and no TICKET ("New RANDs or TICKETs MUST NOT be included"); its V
    /// flag asks for a TRANSFER_RESP when `want_response`. The new keys take
    /// effect when the response verifies, or at once without one.
    /// `offers` are security policies the update offers in SP payloads
    /// ("The crypto sessions negotiation (#CS field, CS ID map info field,
    /// and SP payloads) are handled as in the initial exchange"), in order
    /// of preference, each for some of `sessions` (empty cs_ids: all), Prot
    /// type SRTP, unique Policy nos; a session offered none has #P = 0. The
    /// answer names one policy per session: one offered for it, or the one
    /// in force, is taken; another passes accept_changed_security_policy
    /// (sp_changed otherwise) and accept_security_policy. Without an answer
    /// each session runs under the first policy offered for it (the peer
    /// refuses the update when that one is not acceptable to it) and keeps
    /// its policy when offered none. security_policy(cs) tells the result.
    /// Errors: unexpected_in_state (not established), invalid_argument (no
    /// session, too many, a bad supplied key, a repeated SPI, more than
    /// max_policy_offers offers, two with one Policy no, one of another Prot
    /// type than SRTP or for a CS ID the update does not list), key_too_short,
    /// missing_key (an added TEK session without a key), stale_timestamp
    /// (`now` not newer than the last message under the bundle's keys),
    /// policy_not_acceptable (new keys with L = 0), buffer_too_small,
    /// crypto_backend_failure.
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

    /// Handles REQUEST_RESP, TRANSFER_RESP (also the answer to our CSB
    /// update, whose KEMAC keys take effect), the TRANSFER_INIT of a CSB
    /// update the Responder started (answered with TRANSFER_RESP when its V
    /// flag asks, carrying the keys of set_update_response_keys;
    /// identity_mismatch when its IDRs are not the bundle's), or an Error
    /// (reported as error_received and never answered).
    /// Errors (besides parse / schema errors): message_not_for_role,
    /// unexpected_in_state, header_mismatch, wrong_kms, suite errors,
    /// auth_failure, timestamp_out_of_window, replayed_message,
    /// replay_cache_full, missing_key, missing_payload, unexpected_payload,
    /// policy_not_acceptable, flag_f_required_by_i, rand_too_short,
    /// unknown_peer, mac_not_allowed (a KEMAC with a MAC, another Auth alg),
    /// key_without_spi, key_length_mismatch (an MPK over 64 bytes in
    /// REQUEST_RESP, a session key over 64 or its SPI over 8 bytes),
    /// bad_crypto_sessions, key_unwrap_failure,
    /// identity_mismatch, stale_timestamp (an update's T not newer than the
    /// last message under the bundle's keys, or the answer to our update
    /// carrying keys with a T not after the update's), policy_not_acceptable,
    /// bad_crypto_sessions and invalid_argument (also: keys of
    /// set_update_response_keys that the update cannot carry),
    /// sp_count_not_one, sp_not_found,
    /// sp_prot_mismatch, sp_changed, sp_not_acceptable (the security
    /// policies of TRANSFER_RESP, also of the answer to our CSB update,
    /// detail::check_answer; and those a Responder's update lists),
    /// buffer_too_small,
    /// crypto_backend_failure. On refusal `send` may hold an Error message.
    template <random_generator R>
    [[nodiscard]] outcome receive(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        (void)rng;
        const auto h = hdr_view::parse(in);
        if (!h) return outcome::refused(h.error_info());
        result<outcome> r = errc::message_not_for_role;
        switch (h->type()) {
            case data_type::request_resp:
                r = m_state == state::awaiting_request_resp ? on_request_resp(in, now)
                                                            : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::transfer_resp:
                r = m_state == state::awaiting_transfer_resp  ? on_transfer_resp(in, now)
                    : m_state == state::awaiting_update_resp ? on_update_resp(in, now)
                                                              : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::transfer_init:
                // RFC 6043 §5.2: "The CSB updating can also be started by the Responder."
                r = m_state == state::established ? take_update(*m_b, *m_policy, in, now, out, update_context())
                                                  : result<outcome>(failure{errc::unexpected_in_state, 1});
                break;
            case data_type::error: return outcome::refused(failure{errc::error_received, 1});
            default: r = failure{errc::message_not_for_role, 1}; break;
        }
        if (r) return *r;
        return detail::refuse(r.error_info(), in, now, out, m_policy->send_auth_failure_error());
    }

private:
    [[nodiscard]] identity me() const noexcept { return identity(ticket::as_bytes(m_cfg.identity)); }
    [[nodiscard]] identity kms_id() const noexcept { return identity(ticket::as_bytes(m_cfg.kms_identity)); }
    [[nodiscard]] identity callee() const noexcept { return identity(ticket::as_bytes(m_cfg.responder)); }

    [[nodiscard]] result<void> check_config() const noexcept {
        if (m_cfg.sessions.empty() || m_cfg.sessions.size() > max_crypto_sessions || m_cfg.identity.empty()) {
            return errc::invalid_argument;
        }
        if (!m_offers_ok) return errc::invalid_argument;
        if (!detail::is_session_key(m_cfg.key_kind)) return errc::invalid_argument;
        // RFC 6043 §12.1: keys of 128 bits or more; at most max_session_key_bytes here.
        if (m_cfg.key_length < crypto::min_key_bytes) return errc::key_too_short;
        if (m_cfg.key_length > detail::max_session_key_bytes) return errc::invalid_argument;
        return m_policy->check_suite(m_cfg.suite);
    }

    /// The TP Data of the desired policy: [IDRkms], IDRi, TRs, TRe, KEMAC (the
    /// keys asked for, NULL-encrypted, zero, RFC 6043 §6.10), {IDRapp}, (IDRr).
    [[nodiscard]] result<bytes_view> desired_tp_data(ntp_time now, mutable_bytes buf, bool with_kemac) const noexcept {
        const detail::timestamp ts(now), te(now + m_cfg.validity);
        static constexpr std::array<std::uint8_t, detail::max_session_key_bytes> zeros{};
        static constexpr std::array<std::uint8_t, 4> no_spi{};
        inline_list<key_data_builder, max_crypto_sessions> want;
        std::array<std::uint8_t, 512> kemac_plain;
        byte_writer w(buf);
        w.u8(0);
        chain_writer c(w, std::size_t{0});
        if (!m_cfg.kms_identity.empty()) c.add(idr_builder{id_role::idrkms, id_type::uri, kms_id().get()});
        c.add(idr_builder{id_role::idri, id_type::uri, me().get()});
        c.add(tr_builder{.role = ts_role::trs, .kind = ts_type::ntp_utc, .value = ts.bytes});
        c.add(tr_builder{.role = ts_role::tre, .kind = ts_type::ntp_utc, .value = te.bytes});
        if (with_kemac) {
            for (std::size_t i = 0; i < m_cfg.sessions.size(); ++i) {
                if (!want.push_back(key_data_builder{m_cfg.key_kind,
                                                     bytes_view(zeros.data(), m_cfg.key_length),  // check_config: <= 32
                                                     has_salt(m_cfg.key_kind) ? bytes_view(zeros.data(), 14) : bytes_view{},
                                                     kv_data{kv_type::spi, no_spi, {}, {}}})) {
                    return errc::invalid_argument;
                }
            }
            byte_writer pw(kemac_plain);
            chain_writer pc(pw, std::nullopt);
            pc.add(want.view());
            if (pw.failed()) return pw.error();
            c.add(kemac_builder{encr_alg::null, pw.written(), mac_alg::null, {}});
        }
        for (const auto a : m_cfg.applications) c.add(idr_builder{id_role::idrapp, id_type::uri, ticket::as_bytes(a)});
        for (const auto r : m_cfg.authorized_responders) c.add(idr_builder{id_role::idrr, id_type::uri, ticket::as_bytes(r)});
        if (w.failed()) return w.error();
        return w.written();
    }

    template <random_generator R>
    [[nodiscard]] result<outcome> build_request(ntp_time now, R& rng, mutable_bytes out) noexcept {
        if (auto ok = check_config(); !ok) return ok.error_info();
        const auto psk = m_policy->psk_for(me());
        if (!psk) return errc::unknown_peer;
        const auto csb = random_u32(rng);
        if (!csb) return csb.error_info();
        auto randri = detail::random_bytes::draw(rng, detail::rand_length(std::max(psk->size(), m_cfg.key_length)));
        if (!randri) return randri.error_info();
        std::array<std::uint8_t, 1024> tp_buf;
        const auto tp_data = desired_tp_data(now, tp_buf, true);
        if (!tp_data) return tp_data.error_info();
        const auto k1 = detail::protection(*m_b, detail::direction::initial, detail::needs::auth_key, m_cfg.suite, *psk, csb_id(*csb),
                                           randri->view(), {});
        if (!k1) return k1.error_info();
        const detail::timestamp t(now);
        ticket::sealed_message_builder sb(out);
        // RFC 6043 §4.2.1.1: V flag 1, #CS 0, Empty map.
        sb.header(hdr_builder{data_type::request_init_psk, true, m_cfg.suite.prf, csb_id(*csb), empty_map{}, 1})
            .add(t.builder())
            .add(randr_builder{rand_role::randri, randri->view()})
            .add(idr_builder{id_role::idri, id_type::uri, me().get()})
            .add(idr_builder{id_role::idrkms, id_type::uri, kms_id().get()})
            .add(tp_builder{m_cfg.desired, *tp_data, {}, {}});
        // RFC 6043 §5.5: REQUEST_INIT || Identity_i || Identity_kms.
        const auto sealed = sb.seal(*m_b, m_cfg.suite.mac, k1->auth_key.view(), {me().get(), kms_id().get()});
        if (!sealed) return sealed.error_info();
        // Commit: keep what the response is checked against.
        m_request.assign(sealed->begin(), sealed->end());
        m_randri = *randri;
        m_state = state::awaiting_request_resp;
        return outcome{errc::ok, 0, *sealed, data_type::request_init_psk, 0};
    }

    [[nodiscard]] result<outcome> on_request_resp(bytes_view in, ntp_time now) noexcept {
        const auto m = ticket::request_resp_view::parse(in);
        if (!m) return m.error_info();
        detail::anticipate_fresh(*m_policy, m->message(), m->mac());  // the replay check after the MAC
        const auto req = hdr_view::parse(m_request);
        const auto hdr = m->header();
        // RFC 6043 §4.2.1.5: version, PRF func, CSB ID (and #CS, map type) copied from REQUEST_INIT.
        if (hdr.version() != req->version() || hdr.prf() != req->prf() || hdr.csb() != req->csb()) {
            return failure{errc::header_mismatch, 3};
        }
        if (m->idrkms() && !equal_bytes(m->idrkms()->data(), kms_id().get())) return errc::wrong_kms;
        const auto psk = m_policy->psk_for(me());
        if (!psk) return errc::unknown_peer;
        const algorithm_suite s{hdr.prf(), m->kemac()->encryption(), m->v()->kind()};
        if (auto ok = m_policy->check_suite(s); !ok) return ok.error_info();
        const auto k2 = detail::protection(*m_b, detail::direction::response, detail::needs::all_keys, s, *psk, hdr.csb(),
                                           m_randri.view(), {});
        if (!k2) return k2.error_info();
        // RFC 6043 §5.5: REQUEST_RESP || REQUEST_INIT.
        if (auto ok = ticket::verify_message_mac(*m_b, m->message(), s.mac, k2->auth_key.view(),
                                                 ticket::v_inputs{.initial_message = m_request});
            !ok) {
            return ok.error_info();
        }
        if (auto ok = detail::fresh(*m_policy, m->message(), m->t(), m->mac(), now); !ok) return ok.error_info();
        // RFC 6043 §4.2.1.5: the KEMAC "SHALL use the NULL authentication algorithm".
        if (m->kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
        const ticket_view tv = *m->ticket();
        const ticket_policy granted = tv.policy();
        // RFC 6043 §4.2.1.6: "the Initiator MUST check that the granted Ticket Policy is acceptable".
        if (auto ok = m_policy->accept_granted(m_cfg.desired, granted); !ok) return ok.error_info();
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto list = crypto::open_kemac(*m_b, *m->kemac(), k2->cipher(hdr.csb(), detail::iv_time(m->t())), plain);
        if (!list) return list.error_info();
        auto r = take_keys(*list, granted, tv.bytes());
        m_b->wipe(plain);
        if (!r) return r.error_info();
        return outcome{}.with(event::ticket_granted);
    }

    /// Takes MPKi, [MPKr] and the session keys of a verified KEMAC
    /// (RFC 6043 §4.2.1.5) and commits them with the ticket. Errors:
    /// missing_key, the flag dependency errors, owned_key::received's
    /// (key_without_spi, key_length_mismatch),
    /// key_length_mismatch (an MPK over 64 bytes). Precondition: `ticket_bytes`
    /// is a TICKET that ticket_view::parse accepted (build_transfer reads it
    /// back with from_validated).
    [[nodiscard]] result<void> take_keys(const key_data_list& list, const ticket_policy& granted,
                                         bytes_view ticket_bytes) noexcept {
        std::size_t n = 0;
        std::optional<key_data_view> mpki, mpkr;
        inline_list<key_data_view, max_crypto_sessions> sk;
        bool has_tgk = false;
        for (const auto& k : list) {
            if (k.kind() == key_data_type::mpk) {
                if (!mpki) mpki = k;
                else if (!mpkr) mpkr = k;
                continue;
            }
            if (!detail::is_session_key(k.kind()) || !sk.push_back(k)) return errc::missing_key;
            has_tgk = has_tgk || detail::is_tgk(k.kind());
            ++n;
        }
        // RFC 6043 §4.2.1.5: MPKi always; MPKr iff key forking; at least one session key.
        if (!mpki || (granted.flags.i && !mpkr) || n == 0) return errc::missing_key;
        if (auto ok = ticket::check_policy_rules(granted.flags, true, has_tgk); !ok) return ok;
        std::vector<detail::owned_key> held;
        held.reserve(n);
        for (const auto& k : sk) {
            auto h = detail::owned_key::received(k);
            if (!h) return h.error_info();
            held.push_back(std::move(*h));
        }
        // MPKi / MPKr are held in 64-byte buffers (RFC 6043 sets no MPK length).
        if (mpki->key().size() > m_mpki.capacity || (granted.flags.i && mpkr->key().size() > m_mpkr.capacity)) {
            return errc::key_length_mismatch;
        }
        // Commit (the sizes fit: the assigns cannot fail).
        (void)m_mpki.assign(mpki->key());
        if (granted.flags.i) {
            (void)m_mpkr.assign(mpkr->key());
        } else {
            m_mpkr.wipe();
        }
        m_ticket_keys = std::move(held);
        m_ticket.assign(ticket_bytes.begin(), ticket_bytes.end());
        m_granted = granted;
        m_state = state::ticket_ready;
        return {};
    }

    template <random_generator R>
    [[nodiscard]] result<void> make_own_ticket(ntp_time now, R& rng) noexcept {
        if (auto ok = check_config(); !ok) return ok;
        const auto tpk = m_policy->tpk_for(identity(ticket::as_bytes(m_cfg.ticket_key_id)));
        if (!tpk) return errc::unknown_ticket_key;
        ticket_policy p = m_cfg.desired;
        // RFC 6043 §6.10: D = 0, the Initiator generated the ticket; NOT D implies L; K is the KMS's.
        p.flags.d = false;
        p.flags.k = false;
        if (auto ok = m_policy->accept_ticket(p); !ok) return ok;
        std::array<std::uint8_t, 1024> tp_buf;
        const auto tp_data = desired_tp_data(now, tp_buf, false);
        if (!tp_data) return tp_data.error_info();
        // Fresh MPK and session keys, as a KMS would make them.
        secret_buffer<64> mpk(std::max<std::size_t>(m_cfg.key_length, 16));
        if (auto ok = rng.fill(mpk.mutable_view()); !ok) return ok;
        std::array<secret_buffer<32>, max_crypto_sessions> keys{}, salts{};
        std::array<std::array<std::uint8_t, 4>, max_crypto_sessions> spis{};
        std::array<key_data_builder, max_crypto_sessions> kb{};
        bool has_tgk = false;
        for (std::size_t i = 0; i < m_cfg.sessions.size(); ++i) {
            (void)keys[i].resize(m_cfg.key_length);
            (void)salts[i].resize(has_salt(m_cfg.key_kind) ? 14 : 0);
            if (auto ok = rng.fill(keys[i].mutable_view()); !ok) return ok;
            if (auto ok = rng.fill(salts[i].mutable_view()); !ok) return ok;
            if (auto ok = rng.fill(spis[i]); !ok) return ok;
            kb[i] = key_data_builder{m_cfg.key_kind, keys[i].view(), salts[i].view(), kv_data{kv_type::spi, spis[i], {}, {}}};
            has_tgk = has_tgk || detail::is_tgk(m_cfg.key_kind);
        }
        if (auto ok = ticket::check_policy_rules(p.flags, true, has_tgk); !ok) return ok;
        if (auto ok = crypto::check_algorithm_suite(m_cfg.suite, m_cfg.key_length); !ok) return ok;
        std::array<std::uint8_t, ticket::max_ticket_data + 1024> ticket_buf;
        std::optional<identity> idrpsk;
        if (!m_cfg.ticket_key_id.empty()) idrpsk = identity(ticket::as_bytes(m_cfg.ticket_key_id));
        const auto tb = ticket::create_base_ticket(
            *m_b, rng,
            ticket::base_ticket_spec{p, *tp_data, mpk.view(), std::span<const key_data_builder>(kb.data(), m_cfg.sessions.size()),
                                     m_cfg.suite.encr, m_cfg.suite.mac, idrpsk, now},
            *tpk, ticket_buf);
        if (!tb) return tb.error_info();
        const auto tv = ticket_view::parse(tb->payload);
        if (!tv) return tv.error_info();
        const auto bt = tv->base_ticket();
        if (!bt) return bt.error_info();
        // RFC 6043 App. A.2.2: MPKi / MPKr from the MPK.
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto opened = ticket::open_base_ticket(*m_b, *tv, *bt, m_cfg.suite.mac, *tpk, plain);
        if (!opened) return opened.error_info();
        const bytes_view trand = bt->rand().value();
        secret_buffer<64> mpki(mpk.size()), mpkr(mpk.size());
        if (auto ok = crypto::derive_mpki(*m_b, p.prf, mpk.view(), rand_value(trand), mpki.mutable_view()); !ok) return ok;
        if (auto ok = crypto::derive_mpkr(*m_b, p.prf, mpk.view(), rand_value(trand), mpkr.mutable_view()); !ok) return ok;
        // Hand the keys over as a KEMAC list would: MPKi, [MPKr], session keys.
        std::array<key_data_builder, 2 + max_crypto_sessions> all{};
        std::size_t n = 0;
        all[n++] = key_data_builder{key_data_type::mpk, mpki.view(), {}, {}};
        if (p.flags.i) all[n++] = key_data_builder{key_data_type::mpk, mpkr.view(), {}, {}};
        for (std::size_t i = 0; i < m_cfg.sessions.size(); ++i) all[n++] = kb[i];
        std::array<std::uint8_t, ticket::max_kemac_plain> chain;
        byte_writer w(chain);
        chain_writer c(w, std::nullopt);
        c.add(std::span<const key_data_builder>(all.data(), n));
        if (w.failed()) return w.error();
        const auto list = key_data_list::parse(w.written());
        auto r = list ? take_keys(*list, p, tb->payload) : result<void>(list.error_info());
        m_b->wipe(plain);
        m_b->wipe(chain);
        return r;
    }

    template <random_generator R>
    [[nodiscard]] result<outcome> build_transfer(ntp_time now, R& rng, mutable_bytes out,
                                                 std::span<const supplied_key> supplied) noexcept {
        std::vector<detail::owned_key> own;
        if (auto ok = detail::take_supplied(supplied, own); !ok) return ok.error_info();
        // RFC 6043 §4.2.2.1: "If indicated by the Ticket Policy (L flag), a KEMAC payload SHALL NOT be included."
        if (!own.empty() && !m_granted.flags.l) return errc::policy_not_acceptable;
        const auto csb = random_u32(rng);
        if (!csb) return csb.error_info();
        std::size_t longest = m_mpki.size();
        for (const auto& k : m_ticket_keys) longest = std::max(longest, k.key.size());
        auto randri = detail::random_bytes::draw(rng, detail::rand_length(longest));
        if (!randri) return randri.error_info();
        // m_ticket is a TICKET ticket_view::parse accepted (take_keys' precondition).
        const auto tv = ticket_view::from_validated(m_ticket);
        // GENERIC-ID map (RFC 6043 §6.1.1; "SRTP-ID SHALL NOT be used"): one block per crypto
        // session, SRTP, SSRC as Session Data, the SPI of the session's key (a supplied one, or the
        // ticket's); supplied keys for other CS IDs add crypto sessions.
        detail::cs_map map;
        const auto supplied_for = [&](std::uint8_t cs) -> const detail::owned_key* {
            for (const auto& k : own) {
                if (k.cs_id == cs) return &k;
            }
            return nullptr;
        };
        for (std::size_t i = 0; i < m_cfg.sessions.size(); ++i) {
            const auto* sk = supplied_for(m_cfg.sessions[i].cs_id);
            const auto& tk = m_ticket_keys[std::min(i, m_ticket_keys.size() - 1)];
            if (!map.add_srtp(m_cfg.sessions[i].cs_id, m_cfg.sessions[i].ssrc, sk ? sk->view(false).spi : tk.view(true).spi)) {
                return errc::invalid_argument;
            }
        }
        for (const auto& k : own) {
            if (map.find(k.cs_id) == nullptr && !map.add_srtp(k.cs_id, k.ssrc, k.view(false).spi)) {
                return errc::invalid_argument;
            }
        }
        // RFC 6043 §4.2.2.1, §6.1.1: the offered SP payloads; each block lists the Policy_no of
        // those offered for its crypto session (#P = 0 without offers).
        detail::offer_listing offered(m_offers);
        offered.list_in(map.blocks);
        // The encr / salt keys only for a KEMAC (a CSB update derives its own, §5.2).
        auto k1 = detail::protection(*m_b, detail::direction::initial,
                                     detail::needs_if(!own.empty()), m_cfg.suite,
                                     m_mpki.view(), csb_id(*csb),
                                     randri->view(), {});
        if (!k1) return k1.error_info();
        secret_buffer<32> vr_key;
        if (m_granted.flags.i) {
            // RFC 6043 §6.10: Vr's auth_key from MPKr (not forked) with D5, PRF of the Ticket Policy (notes/ticket.md).
            (void)vr_key.resize(*crypto::auth_key_size(m_cfg.suite.mac));
            if (auto ok = crypto::derive_vr_auth_key(*m_b, m_granted.prf, m_mpkr.view(), vr_key.mutable_view()); !ok) {
                return ok.error_info();
            }
        }
        const detail::timestamp t(now);
        std::array<key_data_builder, max_crypto_sessions> kb{};
        for (std::size_t i = 0; i < own.size() && i < kb.size(); ++i) {
            const auto c = own[i].view(false);
            kb[i] = key_data_builder{c.kind, c.key, c.salt, kv_data{kv_type::spi, c.spi, {}, {}}};
        }
        ticket::sealed_message_builder sb(out);
        // RFC 6043 §4.2.2.1: "The value of the V flag SHALL agree with the F flag".
        sb.header(hdr_builder{data_type::transfer_init, m_granted.flags.f, m_cfg.suite.prf, csb_id(*csb),
                              map.view(), 1})
            .add(t.builder())
            .add(randr_builder{rand_role::randri, randri->view()})
            .add(idr_builder{id_role::idri, id_type::uri, me().get()})
            .add(idr_builder{id_role::idrr, id_type::uri, callee().get()})
            .add(offered.sps())
            .add_ticket(tv, m_granted.flags.i ? std::optional<mac_alg>(m_cfg.suite.mac) : std::nullopt);
        if (!own.empty()) {
            // RFC 6043 §4.2.2.1: the KEMAC as in a CSB update, "but its encr_key is always derived from MPKi".
            sb.add_kemac(*m_b, m_cfg.suite.encr, k1->cipher(csb_id(*csb), t.iv()),
                         std::span<const key_data_builder>(kb.data(), own.size()));
        }
        // RFC 6043 §5.5: TRANSFER_INIT (without Initiator Data) || Identity_i || Identity_r.
        const auto sealed = sb.seal(*m_b, m_cfg.suite.mac, k1->auth_key.view(), {me().get(), callee().get()}, vr_key.view());
        if (!sealed) return sealed.error_info();
        outcome o{errc::ok, 0, *sealed, data_type::transfer_init, 0};
        if (m_granted.flags.f) {
            // Commit; the keys come with the TRANSFER_RESP.
            m_transfer.assign(sealed->begin(), sealed->end());
            m_randri_transfer = *randri;
            m_supplied = std::move(own);
            ++m_transfers;
            m_state = state::awaiting_transfer_resp;
            return o;
        }
        // RFC 6043 §4.2.2.3: no TRANSFER_RESP with F = 0: the keys are ready now (no RANDRr, G = 0).
        const auto sent = hdr_view::parse(*sealed);
        std::array<session_key, max_crypto_sessions> keys;
        const auto count = derive_keys(*sent, {}, own, randri->view(), {}, {}, {}, keys);
        if (!count) return count.error_info();
        // Without an answer each crypto session runs under the first policy offered for it.
        detail::policy_list first;
        for (std::size_t i = 0; i < map.size(); ++i) {
            if (const auto sp = m_offers.for_session(map.blocks[i].cs_id)) {
                first.add(map.blocks[i].cs_id, *sp);
            }
        }
        // Commit. RFC 6043 §5.2: CSB updates use the keys of the last message of the initial exchange.
        m_transfer.assign(sealed->begin(), sealed->end());
        m_randri_transfer = *randri;
        m_supplied = std::move(own);
        ++m_transfers;
        commit_keys(keys, *count);
        m_last = detail::last_message_keys::of(detail::direction::initial, m_cfg.suite, m_mpki.view(), csb_id(*csb),
                                               randri->view(), {}, *k1, m_cfg.suite.encr);
        m_last.t = now;  // the T of this TRANSFER_INIT
        m_randrr = {};
        m_peer = m_cfg.responder;
        m_policies = std::move(first);
        m_state = state::established;
        return o.with(event::keys_established);
    }

    [[nodiscard]] result<outcome> on_transfer_resp(bytes_view in, ntp_time now) noexcept {
        const auto m = ticket::transfer_resp_view::parse(in);
        if (!m) return m.error_info();
        detail::anticipate_fresh(*m_policy, m->message(), m->mac());  // the replay check after the MAC
        const auto init = hdr_view::parse(m_transfer);
        const auto hdr = m->header();
        // RFC 6043 §4.2.2.3: version, PRF func and CSB ID copied from TRANSFER_INIT.
        if (hdr.version() != init->version() || hdr.prf() != init->prf() || hdr.csb() != init->csb()) {
            return failure{errc::header_mismatch, 3};
        }
        const auto& f = m_granted.flags;
        // RFC 6043 §4.2.2.3: RANDRr iff G.
        if (f.g && !m->randrr()) return errc::missing_payload;
        if (!f.g && m->randrr()) return errc::unexpected_payload;
        // RFC 6043 §4.2.2.3: "If indicated by the Ticket Policy (M flag), a KEMAC payload SHALL NOT be included."
        if (m->kemac() && !f.m) return errc::unexpected_payload;
        const bytes_view randrr = f.g ? m->randrr()->value() : bytes_view{};
        secret_buffer<64> mpkr_forked;
        bytes_view inkey = m_mpki.view();
        if (f.i) {
            // RFC 6043 §4.2.2.3: the modifier (IDRr, RANDRkms) of RESOLVE_RESP is echoed.
            if (!m->idrr() || !m->randrkms()) return errc::missing_payload;
            if (auto ok = crypto::check_randrkms(m->randrkms()->value().size(), m_mpkr.size()); !ok) return ok.error_info();
            (void)mpkr_forked.resize(m_mpkr.size());
            if (auto ok = crypto::derive_forked_mpkr(*m_b, m_granted.prf, m_mpkr.view(), identity(m->idrr()->data()),
                                                     rand_value(m->randrkms()->value()), mpkr_forked.mutable_view());
                !ok) {
                return ok.error_info();
            }
            inkey = mpkr_forked.view();
        }
        // A KEMAC's keys are derived for the Encr alg it names (RFC 3830 §4.2.3), if the policy allows it.
        const algorithm_suite s{hdr.prf(), m->kemac() ? m->kemac()->encryption() : m_cfg.suite.encr, m->v()->kind()};
        if (s.mac != m_cfg.suite.mac) return errc::mac_not_allowed;
        if (m->kemac()) {
            if (auto ok = m_policy->check_suite(s); !ok) return ok.error_info();
        }
        // RFC 6043 §4.2.2.3: V with a key "derived from MPKi or MPKr'"; D2 with RANDRi and RANDRr (G).
        auto k2 = detail::protection(*m_b, detail::direction::response, detail::needs_if(m->kemac().has_value()), s, inkey,
                                     hdr.csb(),
                                     m_randri_transfer.view(), randrr);
        if (!k2) return k2.error_info();
        // RFC 6043 §5.5: TRANSFER_RESP || TRANSFER_INIT.
        if (auto ok = ticket::verify_message_mac(*m_b, m->message(), s.mac, k2->auth_key.view(),
                                                 ticket::v_inputs{.initial_message = m_transfer});
            !ok) {
            return ok.error_info();
        }
        // RFC 6043 §4.2.2.3: "The Responder SHALL update the CS ID map info so that each crypto session
        // has exactly one security policy indicated" (check_answer: #P = 1, an SP of TRANSFER_RESP or of
        // our TRANSFER_INIT, of the block's Prot type, one we offered unless the policy takes a change).
        detail::policy_list chosen;
        if (hdr.map_type() != cs_id_map_type::generic_id) return errc::sp_count_not_one;
        detail::sp_numbers resp_sps(m->message());
        std::bitset<256> answered;  // the CS IDs of the answer's map
        for (const auto& b : generic_id_map(hdr.map_info())) {
            const auto sp = detail::check_answer(*m_policy, resp_sps, b, m_offers, s);
            if (!sp) return sp.error_info();
            chosen.add(b.cs_id, *sp);
            answered.set(b.cs_id);
        }
        // RFC 6043 §4.2.2.3: the Responder updates the map of our crypto sessions and may add some ("the
        // #CS SHALL be updated"); it does not drop one.
        for (const auto& ours : generic_id_map(init->map_info())) {
            if (!answered.test(ours.cs_id)) return errc::bad_crypto_sessions;
        }
        // RFC 6043 §4.2.2.3: a KEMAC "handled exactly as if it was sent in a later CSB update" (§5.2):
        // NULL MAC, encr_key from MPKi or MPKr', session keys that key the crypto sessions naming their SPI.
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        std::array<detail::candidate, max_crypto_sessions> resp_keys;  // [0, n_resp) written below
        std::size_t n_resp = 0;
        if (m->kemac()) {
            if (m->kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
            const auto list = crypto::open_kemac(*m_b, *m->kemac(), k2->cipher(hdr.csb(), detail::iv_time(m->t())), plain);
            if (!list) return list.error_info();
            const auto n = detail::kemac_candidates(*list, resp_keys);
            if (!n) {
                m_b->wipe(plain);
                return n.error_info();
            }
            n_resp = *n;
        }
        if (auto ok = detail::fresh(*m_policy, m->message(), m->t(), m->mac(), now); !ok) {
            m_b->wipe(plain);
            return ok.error_info();
        }
        const bytes_view answering = m->idrr() ? m->idrr()->data() : ticket::as_bytes(m_cfg.responder);
        // RFC 6043 §4.2.2.3: "The Responder SHALL update the CS ID map info": its map, when it sent one.
        const hdr_view map = hdr.map_type() == cs_id_map_type::generic_id ? hdr : *init;
        std::array<session_key, max_crypto_sessions> keys;
        const auto count = derive_keys(map, std::span<const detail::candidate>(resp_keys.data(), n_resp), m_supplied,
                                       m_randri_transfer.view(), randrr, f.i ? m->idrr()->data() : bytes_view{},
                                       f.i ? m->randrkms()->value() : bytes_view{}, keys);
        m_b->wipe(plain);
        if (!count) return count.error_info();
        // Commit.
        commit_keys(keys, *count);
        m_mpkr_forked = std::move(mpkr_forked);
        m_last = detail::last_message_keys::of(detail::direction::response, s, f.i ? m_mpkr_forked.view() : m_mpki.view(),
                                               hdr.csb(), m_randri_transfer.view(), randrr, *k2, s.encr);
        m_last.t = ntp_time::from_payload(m->t().kind(), m->t().value()).value_or(now);
        m_randrr.assign(randrr);
        m_peer.assign(ticket::as_chars(answering));
        m_policies = std::move(chosen);
        m_state = state::established;
        outcome o{};
        o.with(event::keys_established);
        // RFC 6043 §4.2.3 / seed 004: with forking only the Responder the KMS forked for can know MPKr'.
        if (f.i) o.with(event::peer_authenticated);
        return o;
    }

    /// What a CSB update needs of the initial exchange (RFC 6043 §5.2).
    [[nodiscard]] detail::update_context update_context() const noexcept {
        const auto init = hdr_view::parse(m_transfer);
        return detail::update_context{
            .self = party::initiator,
            .csb = init->csb(),
            .prf = init->prf(),
            .mac = m_cfg.suite.mac,
            .kemac_encr = m_cfg.suite.encr,
            .id_i = me().get(),
            .id_r = ticket::as_bytes(m_peer),
            .last = &m_last,
            .rands = crypto::d4_rands{rand_value(m_randri_transfer.view()), rand_value(m_randrr.view()),
                                      m_granted.flags.h, m_granted.flags.g},
            .flags = m_granted.flags,
            .keys = {m_keys.data(), m_key_count},
            .policies = &m_policies};
    }

    [[nodiscard]] result<outcome> on_update_resp(bytes_view in, ntp_time now) noexcept {
        auto r = verify_update_answer(*m_b, *m_policy, in, now, update_context());
        if (r) m_state = state::established;
        return r;
    }

    /// The session keys of every crypto session of a GENERIC-ID map: the key
    /// its SPI names (a KEMAC key of the Responder's, one we supplied, or the
    /// ticket's), a ticket TGK forked into TGK' with the I flag (D3, RFC 6043
    /// §5.1.1), then TEK and salt by D4 (§5.1.3) with RANDRi (H) and RANDRr
    /// (G). Writes `out`; returns the number of crypto sessions.
    /// Errors: bad_crypto_sessions, missing_key, the derivations'.
    [[nodiscard]] result<std::size_t> derive_keys(const hdr_view& map, std::span<const detail::candidate> resp_keys,
                                                  const std::vector<detail::owned_key>& own, bytes_view randri,
                                                  bytes_view randrr, bytes_view idrr, bytes_view randrkms,
                                                  std::array<session_key, max_crypto_sessions>& out) noexcept {
        if (map.map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
        std::array<detail::candidate, 2 * max_crypto_sessions> kemac;  // [0, nk) written below
        std::size_t nk = 0;
        for (const auto& c : resp_keys) kemac[nk++] = c;
        for (const auto& k : own) {
            if (nk < kemac.size()) kemac[nk++] = k.view(false);
        }
        std::array<detail::candidate, max_crypto_sessions> tickets;  // [0, nt) written below
        std::size_t nt = 0;
        for (const auto& k : m_ticket_keys) {
            if (nt < tickets.size()) tickets[nt++] = k.view(true);
        }
        const crypto::d4_rands rands{rand_value(randri), rand_value(randrr), m_granted.flags.h, m_granted.flags.g};
        std::size_t count = 0;
        for (const auto& b : generic_id_map(map.map_info())) {
            if (count == out.size()) return errc::bad_crypto_sessions;
            const auto c = detail::pick(std::span<const detail::candidate>(kemac.data(), nk),
                                        std::span<const detail::candidate>(tickets.data(), nt), b.spi, count);
            if (!c) return errc::missing_key;
            secret_buffer<64> forked;
            bytes_view key = c->key;
            if (c->from_ticket && m_granted.flags.i && detail::is_tgk(c->kind)) {
                (void)forked.resize(key.size());
                if (auto ok = crypto::derive_forked_tgk(*m_b, m_granted.prf, key, identity(idrr), rand_value(randrkms),
                                                        forked.mutable_view());
                    !ok) {
                    return ok.error_info();
                }
                key = forked.view();
            }
            if (auto ok = detail::make_session_key(*m_b, map.prf(), detail::session_of(b), c->kind, key, c->salt, c->spi, rands,
                                                   out[count]);
                !ok) {
                return ok.error_info();
            }
            ++count;
        }
        return count;
    }

    /// Copies the offered security policies (constructor). False when there
    /// are more than max_policy_offers, a Policy no repeats, an offer names a
    /// CS ID that is not among the sessions, or an SP does not build.
    void commit_keys(std::array<session_key, max_crypto_sessions>& keys, std::size_t count) noexcept {
        for (std::size_t i = 0; i < count; ++i) m_keys[i] = std::move(keys[i]);
        m_key_count = count;
    }

    B* m_b;
    const P* m_policy;
    initiator_config m_cfg;           ///< its views point into m_storage (security_policies: into m_offers)
    detail::config_storage m_storage;
    state m_state = state::idle;
    std::vector<std::uint8_t> m_request, m_ticket, m_transfer;
    detail::random_bytes m_randri{}, m_randri_transfer{};
    ticket_policy m_granted{};
    secret_buffer<64> m_mpki{}, m_mpkr{}, m_mpkr_forked{};
    std::vector<detail::owned_key> m_ticket_keys;
    std::vector<detail::owned_key> m_supplied;  ///< keys sent in TRANSFER_INIT (L flag)
    std::size_t m_transfers = 0;
    std::string m_peer;
    detail::random_bytes m_randrr{};
    detail::policy_list m_offers;    ///< the SP payloads of TRANSFER_INIT (config)
    bool m_offers_ok = true;
};

}  // namespace mikey::roles

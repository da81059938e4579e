// mikey-ticket (roles layer): the KMS of RFC 6043 (§4.2.1 Ticket Request,
// §4.2.3 Ticket Resolve) as a sans-I/O machine: REQUEST_INIT_PSK in,
// REQUEST_RESP out (a MIKEY base ticket made with the KMS's TPK); and
// RESOLVE_INIT_PSK in, RESOLVE_RESP out (the ticket opened, the Responder
// authorized, the keys forked when the I flag is set).
//
// The KMS keeps no state between messages but the policy's replay cache,
// so one kms object serves any number of exchanges; it allocates nothing
// per message (keys, tickets and scratch live on the stack and are wiped).
// The public-key variants (REQUEST_INIT_PK, RESOLVE_INIT_PK) are parsed and
// refused with errc::pk_not_supported (Error no 13).
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "../core/inline_list.hpp"
#include "../crypto/derive.hpp"
#include "../crypto/kemac.hpp"
#include "../ticket/base_ticket.hpp"
#include "../ticket/mac_coverage.hpp"
#include "../ticket/messages.hpp"
#include "../ticket/policy.hpp"
#include "../ticket/seal.hpp"
#include "exchange.hpp"
#include "outcome.hpp"
#include "policy.hpp"

namespace mikey::roles {

/// Most session keys one ticket carries.
inline constexpr std::size_t max_ticket_keys = 15;

/// What a KMS is: its identity (IDRkms) and how it names its own TPK.
struct kms_config {
    std::string_view identity;        ///< IDRkms ID Data (URI)
    std::string_view ticket_key_id{}; ///< IDRpsk put in the tickets it makes; empty: none (default TPK)
};

template <crypto::crypto_backend B, kms_policy P>
class kms {
public:
    /// `backend` and `policy` are used by reference (share them between
    /// machines); the config is copied.
    kms(B& backend, const P& policy, const kms_config& cfg)
        : m_b(&backend), m_policy(&policy), m_id(cfg.identity), m_tpk_id(cfg.ticket_key_id) {}

    [[nodiscard]] std::string_view identity_name() const noexcept { return m_id; }

    /// Handles one message received from an Initiator or a Responder and
    /// writes the answer into `out` (2 KiB is enough for a ticket with 15
    /// keys). Receivable: REQUEST_INIT_PSK, RESOLVE_INIT_PSK.
    /// Errors (besides every parse / schema error): message_not_for_role,
    /// pk_not_supported, error_received (never answered), unknown_peer,
    /// wrong_kms, prf_not_allowed / encr_not_allowed / mac_not_allowed,
    /// auth_failure, timestamp_out_of_window, replayed_message,
    /// replay_cache_full, unauthorized_requester, policy_not_acceptable,
    /// the flag_* codes, algorithm_too_weak, unknown_ticket_key,
    /// ticket_data_unparsed (not a MIKEY base ticket: Error no 14),
    /// ticket_expired, ticket_not_yet_valid, unauthorized_responder, unauthorized_application,
    /// vr_mismatch, missing_key, buffer_too_small, crypto_backend_failure.
    /// On a refusal, `send` holds the Error message when RFC 6043 §5.4 says
    /// to send one (see detail::refuse).
    template <random_generator R>
    [[nodiscard]] outcome receive(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto h = hdr_view::parse(in);
        if (!h) return outcome::refused(h.error_info());
        result<outcome> r = errc::message_not_for_role;
        switch (h->type()) {
            case data_type::request_init_psk: r = on_request(in, now, rng, out); break;
            case data_type::resolve_init_psk: r = on_resolve(in, now, rng, out); break;
            // RFC 6043 §5.4: Error messages are never answered with an Error.
            case data_type::error: return outcome::refused(failure{errc::error_received, 1});
            case data_type::request_init_pk:
            case data_type::resolve_init_pk: r = failure{errc::pk_not_supported, 1}; break;
            default: r = failure{errc::message_not_for_role, 1}; break;
        }
        if (r) return *r;
        return detail::refuse(r.error_info(), in, now, out, m_policy->send_auth_failure_error());
    }

private:
    [[nodiscard]] identity me() const noexcept { return identity(ticket::as_bytes(m_id)); }

    /// RFC 6043 §6.10: IDRkms names a KMS that can resolve the ticket / is addressed.
    [[nodiscard]] result<void> check_kms(const std::optional<idr_view>& idrkms) const noexcept {
        if (idrkms && !equal_bytes(idrkms->data(), me().get())) return errc::wrong_kms;
        return {};
    }

    /// The PSK of the sender: by IDRpsk when present, else by its identity
    /// (RFC 6043 §4.2.1.2, §4.2.3.2). Errors: unknown_peer.
    [[nodiscard]] result<bytes_view> psk_of(const std::optional<idr_view>& idrpsk, identity sender) const noexcept {
        const auto k = m_policy->psk_for(idrpsk ? identity(idrpsk->data()) : sender);
        if (!k || sender.size() == 0) return errc::unknown_peer;
        return *k;
    }

    /// Verifies an initial message (REQUEST_INIT_PSK / RESOLVE_INIT_PSK)
    /// with the D1 keys of `psk` and checks time and replay. Returns the
    /// suite of the exchange.
    template <class View>
    [[nodiscard]] result<algorithm_suite> verify_initial(const View& m, bytes_view psk, bytes_view randri,
                                                         bytes_view randrr, const ticket::v_inputs& ids,
                                                         ntp_time now) noexcept {
        detail::anticipate_fresh(*m_policy, m.message(), m.mac());  // the replay check after the MAC
        const auto hdr = m.header();
        const algorithm_suite s{hdr.prf(), m_policy->kemac_encr(m.v()->kind()), m.v()->kind()};
        if (auto ok = m_policy->check_suite(s); !ok) return ok.error_info();
        const auto k = detail::protection(*m_b, detail::direction::initial, detail::needs::auth_key, s, psk, hdr.csb(),
                                          randri, randrr);
        if (!k) return k.error_info();
        if (auto ok = ticket::verify_message_mac(*m_b, m.message(), s.mac, k->auth_key.view(), ids); !ok) {
            return ok.error_info();
        }
        if (auto ok = detail::fresh(*m_policy, m.message(), m.t(), m.mac(), now); !ok) return ok.error_info();
        return s;
    }

    // ------------------------------------------------------------ Request

    template <random_generator R>
    [[nodiscard]] result<outcome> on_request(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto m = ticket::request_init_psk_view::parse(in);
        if (!m) return m.error_info();
        const identity id_i = m->idri() ? identity(m->idri()->data()) : identity{};
        const auto psk = psk_of(m->idrpsk(), id_i);
        if (!psk) return psk.error_info();
        if (auto ok = check_kms(m->idrkms()); !ok) return ok.error_info();
        // RFC 6043 §5.1.2 / §5.5: D1 with RANDRi; MAC over REQUEST_INIT || Identity_i || Identity_kms.
        const ticket::v_inputs ids{.identity_i = id_i, .identity_kms = me()};
        const auto s = verify_initial(*m, *psk, m->randri()->value(), {}, ids, now);
        if (!s) return s.error_info();

        // RFC 6043 §4.2.1.4: "the KMS MUST check the Initiator's authorization".
        const tp_view tp = *m->tp();
        const ticket_policy desired = tp.policy();
        if (auto ok = m_policy->authorize_request(id_i, desired); !ok) return ok.error_info();
        const auto granted = m_policy->grant(id_i, desired);
        if (!granted) return granted.error_info();
        const auto tpc = ticket::read_tp_data(tp.tp_payloads());
        if (!tpc) return shifted(tpc.error_info(), 10);

        // The keys asked for: the TP's KEMAC, or one TGK (RFC 6043 §4.2.1.5 RECOMMENDED default).
        inline_list<key_request, max_ticket_keys> wanted;
        const std::size_t default_len = s->prf == prf_func::prf_hmac_sha_256 ? 32 : 16;
        if (tpc->kemac) {
            const auto list = key_data_list::parse(tpc->kemac->encrypted_data());
            if (!list) return errc::policy_not_acceptable;
            for (const auto& k : *list) {
                if (!detail::is_session_key(k.kind()) ||
                    !wanted.push_back(key_request{k.kind(), k.key().size(), k.salt().size(), k.validity().spi})) {
                    return errc::policy_not_acceptable;
                }
            }
        }
        if (wanted.size() == 0) (void)wanted.push_back(key_request{key_data_type::tgk, default_len, 0, {}});
        std::size_t longest = 0;
        bool has_tgk = false;
        for (const auto& w : wanted) {
            // RFC 6043 §12.1: all keys 128 bits or more.
            if (w.length < crypto::min_key_bytes || w.length > detail::max_session_key_bytes) {
                return errc::policy_not_acceptable;
            }
            longest = std::max(longest, w.length);
            has_tgk = has_tgk || detail::is_tgk(w.kind);
        }
        // RFC 6043 §6.10: the flag dependencies, and F with forking and a TGK.
        if (auto ok = ticket::check_policy_rules(granted->flags, true, has_tgk); !ok) return ok.error_info();
        // RFC 6043 §12.1: no 128-bit algorithm with longer session keys.
        const algorithm_suite ticket_suite{granted->prf, s->encr, s->mac};
        if (auto ok = m_policy->check_suite(ticket_suite); !ok) return ok.error_info();
        if (auto ok = crypto::check_algorithm_suite(ticket_suite, longest); !ok) return ok.error_info();

        // Fresh keys: MPK (as long as the longest session key, RFC 6043 §12.1 sizes), session keys, salts, SPIs.
        key_material km;
        if (auto ok = km.draw(rng, wanted.view(), std::max(longest, default_len)); !ok) {
            return ok.error_info();
        }
        // Granted TP Data: IDRkms, IDRi, TRs, TRe, {IDRapp}, (IDRr) (RFC 6043 §6.10).
        std::array<std::uint8_t, 1024> tp_buf;
        const ntp_time tre = tpc->tre && *tpc->tre < now + m_policy->ticket_lifetime() ? *tpc->tre
                                                                                       : now + m_policy->ticket_lifetime();
        const auto tp_data = granted_tp_data(tp, id_i, now, tre, tp_buf);
        if (!tp_data) return tp_data.error_info();
        const auto tpk = m_policy->tpk_for(identity(ticket::as_bytes(m_tpk_id)));
        if (!tpk) return errc::unknown_ticket_key;
        std::array<std::uint8_t, ticket::max_ticket_data + 1024> ticket_buf;
        std::optional<identity> idrpsk;
        if (!m_tpk_id.empty()) idrpsk = identity(ticket::as_bytes(m_tpk_id));
        const auto ticket_bytes = ticket::create_base_ticket(
            *m_b, rng,
            ticket::base_ticket_spec{*granted, *tp_data, km.mpk.view(), km.builders(), s->encr, s->mac, idrpsk, now},
            *tpk, ticket_buf);
        if (!ticket_bytes) return ticket_bytes.error_info();
        // create_base_ticket wrote a whole TICKET payload from a granted policy, a TP Data it
        // built and a Ticket Data it built: read its layout without validating it again.
        const auto tv = ticket_view::from_validated(ticket_bytes->payload);
        // RFC 6043 App. A.2.2: MPKi, MPKr from the MPK and the ticket's RAND, with the Ticket Policy's PRF.
        const bytes_view trand = ticket_bytes->rand;
        secret_buffer<64> mpki(km.mpk.size()), mpkr(km.mpk.size());
        if (auto ok = crypto::derive_mpki(*m_b, granted->prf, km.mpk.view(), rand_value(trand), mpki.mutable_view()); !ok) {
            return ok.error_info();
        }
        if (auto ok = crypto::derive_mpkr(*m_b, granted->prf, km.mpk.view(), rand_value(trand), mpkr.mutable_view()); !ok) {
            return ok.error_info();
        }
        // RFC 6043 §4.2.1.5: KEMAC = E(encr_key, MPKi || [MPKr] || {TEK|TGK|GTGK}), D2 keys of the PSK.
        inline_list<key_data_builder, max_ticket_keys + 2> keys;
        (void)keys.push_back(key_data_builder{key_data_type::mpk, mpki.view(), {}, {}});
        if (granted->flags.i) (void)keys.push_back(key_data_builder{key_data_type::mpk, mpkr.view(), {}, {}});
        for (const auto& kb : km.builders()) (void)keys.push_back(kb);
        const auto hdr = m->header();
        const auto k2 =
            detail::protection(*m_b, detail::direction::response, detail::needs::all_keys, *s, *psk, hdr.csb(),
                               m->randri()->value(), {});
        if (!k2) return k2.error_info();
        const detail::timestamp t(now);
        ticket::sealed_message_builder sb(out);
        // RFC 6043 §4.2.1.5: version, PRF func, CSB ID, #CS and map type copied; V flag 0.
        sb.header(hdr_builder{data_type::request_resp, false, hdr.prf(), hdr.csb(), empty_map{}, hdr.version()})
            .add(t.builder())
            .add(idr_builder{id_role::idrkms, id_type::uri, me().get()})
            .add_ticket(tv)
            .add_kemac(*m_b, s->encr, k2->cipher(hdr.csb(), t.iv()), keys.view());
        // RFC 6043 §5.5: REQUEST_RESP || REQUEST_INIT.
        const auto sealed = sb.seal(*m_b, s->mac, k2->auth_key.view(), {in});
        if (!sealed) return sealed.error_info();
        return outcome{errc::ok, 0, *sealed, data_type::request_resp, 0}.with(event::request_answered);
    }

    /// One key the Initiator asked for (a TP KEMAC entry) or the default.
    struct key_request {
        key_data_type kind = key_data_type::tgk;
        std::size_t length = 16;
        std::size_t salt = 0;
        bytes_view spi{};
    };
    /// Fresh key material of one ticket, in wiping buffers.
    struct key_material {
        secret_buffer<64> mpk{};
        std::array<secret_buffer<32>, max_ticket_keys> keys{};
        std::array<secret_buffer<32>, max_ticket_keys> salts{};
        std::array<std::array<std::uint8_t, 4>, max_ticket_keys> spis{};
        inline_list<key_data_builder, max_ticket_keys> b;
        std::size_t n = 0;
        template <random_generator R>
        [[nodiscard]] result<void> draw(R& rng, std::span<const key_request> want, std::size_t mpk_len) noexcept {
            if (auto r = mpk.resize(mpk_len); !r) return r;
            if (auto r = rng.fill(mpk.mutable_view()); !r) return r;
            for (const auto& w : want) {
                if (auto r = keys[n].resize(w.length); !r) return r;
                if (auto r = rng.fill(keys[n].mutable_view()); !r) return r;
                const bool salted = has_salt(w.kind);
                if (auto r = salts[n].resize(salted ? (w.salt == 0 ? 14 : std::min<std::size_t>(w.salt, 32)) : 0); !r) return r;
                if (auto r = rng.fill(salts[n].mutable_view()); !r) return r;
                // RFC 6043 §6.2.1: "An SPI (or MKI) MUST be specified for each key": the one the
                // Initiator asked for when it named a nonzero 4-byte SPI no other key of the ticket
                // has, else a random one (an all-zero SPI in the TP KEMAC means "KMS, choose").
                if (auto r = rng.fill(spis[n]); !r) return r;
                if (w.spi.size() == 4 && !all_zero(w.spi) && !spi_taken(w.spi)) {
                    std::copy(w.spi.begin(), w.spi.end(), spis[n].begin());
                }
                while (spi_taken(spis[n])) {
                    if (auto r = rng.fill(spis[n]); !r) return r;
                }
                (void)b.push_back(key_data_builder{w.kind, keys[n].view(), salts[n].view(), kv_data{kv_type::spi, spis[n], {}, {}}});
                ++n;
            }
            return {};
        }
        [[nodiscard]] std::span<const key_data_builder> builders() const noexcept { return b.view(); }
        [[nodiscard]] bool spi_taken(bytes_view spi) const noexcept {
            for (std::size_t i = 0; i < n; ++i) {
                if (equal_bytes(spis[i], spi)) return true;
            }
            return false;
        }
        static bool all_zero(bytes_view v) noexcept {
            for (const auto x : v) {
                if (x != 0) return false;
            }
            return true;
        }
    };

    [[nodiscard]] result<bytes_view> granted_tp_data(const tp_view& desired, identity id_i, ntp_time trs, ntp_time tre,
                                                     mutable_bytes buf) const noexcept {
        const detail::timestamp ts(trs), te(tre);
        byte_writer w(buf);
        w.u8(0);
        chain_writer c(w, std::size_t{0});
        c.add(idr_builder{id_role::idrkms, id_type::uri, me().get()});
        if (id_i.size() != 0) c.add(idr_builder{id_role::idri, id_type::uri, id_i.get()});
        c.add(tr_builder{.role = ts_role::trs, .kind = ts_type::ntp_utc, .value = ts.bytes});
        c.add(tr_builder{.role = ts_role::tre, .kind = ts_type::ntp_utc, .value = te.bytes});
        for (const auto& e : desired.tp_payloads()) {
            if (e.type != payload_type::idr) continue;
            const auto v = e.as<idr_view>();
            if (v.role() == id_role::idrapp || v.role() == id_role::idrr) c.add(v.to_builder());
        }
        if (w.failed()) return w.error();
        return w.written();
    }

    // ------------------------------------------------------------ Resolve

    template <random_generator R>
    [[nodiscard]] result<outcome> on_resolve(bytes_view in, ntp_time now, R& rng, mutable_bytes out) noexcept {
        const auto m = ticket::resolve_init_psk_view::parse(in);
        if (!m) return m.error_info();
        const identity id_r = m->idrr() ? identity(m->idrr()->data()) : identity{};
        const auto psk = psk_of(m->idrpsk(), id_r);
        if (!psk) return psk.error_info();
        if (auto ok = check_kms(m->idrkms()); !ok) return ok.error_info();
        // RFC 6043 §5.1.2: D1 with RANDRr (Resolve carries no RANDRi); MAC over RESOLVE_INIT || Identity_r || Identity_kms.
        const ticket::v_inputs ids{.identity_r = id_r, .identity_kms = me()};
        const auto s = verify_initial(*m, *psk, {}, m->randrr()->value(), ids, now);
        if (!s) return s.error_info();

        const ticket_view tv = *m->ticket();
        const ticket_policy tp = tv.policy();
        // RFC 6043 §5.4 / §6.9: a Ticket Type this KMS cannot resolve is Error no 14.
        if (!tp.is_base_ticket()) return errc::ticket_data_unparsed;
        const auto tpc = ticket::read_tp_data(tv.tp_payloads());
        if (!tpc) return tpc.error_info();
        if (auto ok = check_kms(tpc->idrkms); !ok) return ok.error_info();
        if (auto ok = ticket::check_validity(*tpc, now); !ok) return ok.error_info();
        // RFC 6043 §4.2.3: "the KMS verifies that the Responder is authorized to resolve the
        // ticket": its identity is an IDRr of the ticket, or a member of a group one names.
        if (!authorized(tv, id_r)) return errc::unauthorized_responder;
        // RFC 6043 §6.10: "If no IDRapp payloads are supplied, all application IDs are authorized."
        if (tpc->applications != 0 && !application_listed(tv, m_policy->application_of(id_r))) {
            return errc::unauthorized_application;
        }
        // RFC 6043 App. A: the TPK is found by the ticket's IDRpsk (or the default one).
        const auto bt = tv.base_ticket();
        if (!bt) return bt.error_info();
        const auto tpk = m_policy->tpk_for(bt->idrpsk() ? identity(bt->idrpsk()->data()) : identity{});
        if (!tpk) return errc::unknown_ticket_key;
        const algorithm_suite ticket_suite{tp.prf, bt->kemac().encryption(), bt->v().kind()};
        if (auto ok = m_policy->check_suite(ticket_suite); !ok) return ok.error_info();
        std::array<std::uint8_t, ticket::max_kemac_plain> plain;
        const auto opened = ticket::open_base_ticket(*m_b, tv, *bt, ticket_suite.mac, *tpk, plain);
        if (!opened) return opened.error_info();
        const detail::wipe_on_exit<B> wipe_plain{m_b, plain};
        const bytes_view mpk = opened->mpk.key();
        const bytes_view trand = bt->rand().value();
        secret_buffer<64> mpki(mpk.size()), mpkr(mpk.size()), mpkr_forked(mpk.size());
        if (auto ok = crypto::derive_mpki(*m_b, tp.prf, mpk, rand_value(trand), mpki.mutable_view()); !ok) return ok.error_info();
        if (auto ok = crypto::derive_mpkr(*m_b, tp.prf, mpk, rand_value(trand), mpkr.mutable_view()); !ok) return ok.error_info();

        inline_list<key_data_builder, max_ticket_keys + 2> keys;
        std::array<secret_buffer<64>, max_ticket_keys> forked{};
        (void)keys.push_back(key_data_builder{key_data_type::mpk, mpki.view(), {}, {}});
        detail::random_bytes randrkms;
        if (tp.flags.i) {
            // RFC 6043 §4.2.3.4: "If key forking is used (I flag), the KMS SHALL also verify the
            // integrity of the Initiator Data field"; Vr's key is D5 from MPKr (§6.10).
            secret_buffer<32> vr_key(*crypto::auth_key_size(ticket_suite.mac));
            if (auto ok = crypto::derive_vr_auth_key(*m_b, tp.prf, mpkr.view(), vr_key.mutable_view()); !ok) {
                return ok.error_info();
            }
            if (auto ok = ticket::verify_vr(*m_b, tv.initiator_data(), ticket_suite.mac, vr_key.view()); !ok) {
                return ok.error() == errc::auth_failure ? result<outcome>(errc::vr_mismatch) : ok.error_info();
            }
            // RFC 6043 §12.1: RANDRkms at least as long as the longest MPKr / TGK.
            std::size_t longest = mpk.size();
            for (const auto& e : opened->keys) longest = std::max(longest, e.key().size());
            auto r = detail::random_bytes::draw(rng, detail::rand_length(longest));
            if (!r) return r.error_info();
            randrkms = *r;
            // RFC 6043 §5.1.1: MPKr' and every TGK' from the modifier (IDRr, RANDRkms).
            if (auto ok = crypto::derive_forked_mpkr(*m_b, tp.prf, mpkr.view(), id_r, rand_value(randrkms.view()),
                                                     mpkr_forked.mutable_view());
                !ok) {
                return ok.error_info();
            }
            (void)keys.push_back(key_data_builder{key_data_type::mpk, mpkr_forked.view(), {}, {}});
        }
        std::size_t j = 0;
        bool first = true;
        for (const auto& e : opened->keys) {
            if (first) {  // the MPK
                first = false;
                continue;
            }
            if (j == forked.size()) return errc::missing_key;
            auto kb = e.to_builder();
            if (tp.flags.i && detail::is_tgk(e.kind())) {
                if (auto r = forked[j].resize(e.key().size()); !r) return r.error_info();
                if (auto ok = crypto::derive_forked_tgk(*m_b, tp.prf, e.key(), id_r, rand_value(randrkms.view()),
                                                        forked[j].mutable_view());
                    !ok) {
                    return ok.error_info();
                }
                kb.key = forked[j].view();
            }
            if (!keys.push_back(kb)) return errc::missing_key;
            ++j;
        }
        // RFC 6043 §4.2.3.5: KEMAC = E(encr_key, MPKi || [MPKr'] || {TEK|TGK|GTGK}), D2 keys of the PSK.
        const auto hdr = m->header();
        const auto k2 =
            detail::protection(*m_b, detail::direction::response, detail::needs::all_keys, *s, *psk, hdr.csb(), {},
                               m->randrr()->value());
        if (!k2) return k2.error_info();
        const detail::timestamp t(now);
        std::optional<idr_builder> idrr;
        std::optional<randr_builder> rk;
        if (tp.flags.i) {
            idrr = idr_builder{id_role::idrr, m->idrr()->kind(), id_r.get()};
            rk = randr_builder{rand_role::randrkms, randrkms.view()};
        }
        ticket::sealed_message_builder sb(out);
        sb.header(hdr_builder{data_type::resolve_resp, false, hdr.prf(), hdr.csb(), empty_map{}, hdr.version()})
            .add(t.builder())
            .add(idr_builder{id_role::idrkms, id_type::uri, me().get()})
            .add_kemac(*m_b, s->encr, k2->cipher(hdr.csb(), t.iv()), keys.view())
            .add(idrr)
            .add(rk);
        // RFC 6043 §5.5: RESOLVE_RESP || RESOLVE_INIT.
        const auto sealed = sb.seal(*m_b, s->mac, k2->auth_key.view(), {in});
        if (!sealed) return sealed.error_info();
        return outcome{errc::ok, 0, *sealed, data_type::resolve_resp, 0}.with(event::resolve_answered);
    }

    /// RFC 6043 §6.10: "IDRr is the identity of a responder or a group of
    /// responders that are authorized to resolve the ticket".
    [[nodiscard]] bool authorized(const ticket_view& tv, identity id_r) const noexcept {
        if (id_r.size() == 0) return false;
        for (const auto& e : tv.tp_payloads()) {
            if (e.type != payload_type::idr) continue;
            const auto v = e.as<idr_view>();
            if (v.role() != id_role::idrr) continue;
            if (equal_bytes(v.data(), id_r.get()) || m_policy->is_member(id_r, identity(v.data()))) return true;
        }
        return false;
    }

    /// The application is one of the ticket's IDRapp.
    [[nodiscard]] static bool application_listed(const ticket_view& tv, std::optional<bytes_view> app) noexcept {
        if (!app) return false;
        for (const auto& e : tv.tp_payloads()) {
            if (e.type == payload_type::idr && e.as<idr_view>().role() == id_role::idrapp &&
                equal_bytes(e.as<idr_view>().data(), *app)) {
                return true;
            }
        }
        return false;
    }

    B* m_b;
    const P* m_policy;
    std::string m_id;
    std::string m_tpk_id;
};

}  // namespace mikey::roles

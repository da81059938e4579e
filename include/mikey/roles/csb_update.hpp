// mikey-ticket (roles layer): the CSB update of RFC 6043 §5.2, shared by
// the Initiator and the Responder, since either end of a completed Ticket
// Transfer exchange may start one:
//
//   started by the Initiator:  TRANSFER_INIT = HDR, T, [IDRi], [IDRr], {SP}, [KEMAC], V
//                              TRANSFER_RESP = HDR, T, [IDRr], {SP}, [KEMAC], V
//   started by the Responder:  TRANSFER_INIT = HDR, T, [IDRr], [IDRi], {SP}, [KEMAC], V
//                              TRANSFER_RESP = HDR, T, [IDRi], {SP}, [KEMAC], V
//
// Both messages are protected with the keys of the last message of the
// initial exchange; same CSB ID, new timestamps, no RANDs, no TICKET; the
// V flag of TRANSFER_INIT asks for the response. A KEMAC in the update is
// allowed when the Ticket Policy lets its sender send keys (L for the
// Initiator, M for the Responder; §6.10).
//
// Reading (notes/ticket.md): "TRANSFER_INIT || Identity_i || Identity_r"
// (§5.5) keeps the roles of the initial exchange whoever starts the update,
// as the IDR payloads do (IDRi is always the Initiator's identity).
//
// Security policies ("handled as in the initial exchange", §5.2; §6.1.1):
// an update offers the policies its starter passes (none: #P = 0), and the
// answer names one per crypto session (#P = 1): the first acceptable one
// offered for it, else the policy the session has; the starter takes one it
// offered or the policy in force as it is, and another one as a changed
// policy (check_answer). Without an answer the first offered must be
// acceptable to the receiver, and takes effect at both ends
// (security_policy.hpp, response_policies; policies_without_answer).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <bitset>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "../core/inline_list.hpp"
#include "../crypto/kemac.hpp"
#include "../ticket/mac_coverage.hpp"
#include "../ticket/messages.hpp"
#include "../ticket/seal.hpp"
#include "exchange.hpp"
#include "outcome.hpp"
#include "policy.hpp"
#include "security_policy.hpp"

namespace mikey::roles {

/// The end of the initial Ticket Transfer exchange a machine was.
enum class party : std::uint8_t { initiator, responder };

namespace detail {

/// The session keys of one bundle after an update (at most
/// max_crypto_sessions): slot i is the i-th crypto session of the update's
/// map, with SSRC ssrc[i] and either a new key in key(i) (kept[i] ==
/// made_here), the key of slot kept[i] of the keys in force, left where it
/// is (kept[i] >= 0), or, with borrow_supplied, the supplied TEK given[i]
/// (kept[i] == borrowed), which the bundle copies when the set takes effect.
/// A slot's key is made only when first used: an update that sends one new
/// key of a 4-session bundle builds and wipes one key, not 4 (nor 16), and
/// one that sends a supplied TEK without awaiting an answer builds none.
class key_set {
public:
    key_set() noexcept {}
    key_set(const key_set&) = delete;
    key_set& operator=(const key_set&) = delete;
    ~key_set() { clear(); }
    /// Takes `o`'s keys (`o` keeps none).
    key_set& operator=(key_set&& o) noexcept {
        clear();
        for (std::size_t i = 0; i < max_crypto_sessions; ++i) {
            if (o.made(i)) key(i) = std::move(o.m_slots[i].key);
        }
        // Only the slots below count are set (the arrays are not zero-filled).
        std::copy_n(o.kept.begin(), o.count, kept.begin());
        std::copy_n(o.given.begin(), o.count, given.begin());
        std::copy_n(o.ssrc.begin(), o.count, ssrc.begin());
        borrow_supplied = o.borrow_supplied;
        count = o.count;
        t = o.t;
        policies = std::move(o.policies);
        o.policies.reset();
        o.clear();
        return *this;
    }
    /// Slot `i`'s key (i < max_crypto_sessions), made (empty) on first use.
    [[nodiscard]] session_key& key(std::size_t i) noexcept {
        if (!made(i)) {
            std::construct_at(&m_slots[i].key);
            m_made |= std::uint32_t{1} << i;
        }
        return m_slots[i].key;
    }
    /// Slot `i`'s key, made before (kept[i] == made_here).
    [[nodiscard]] const session_key& key(std::size_t i) const noexcept { return m_slots[i].key; }

    static constexpr std::int8_t made_here = -1;  ///< kept[i]: the key is key(i)
    static constexpr std::int8_t borrowed = -2;   ///< kept[i]: the key is the supplied TEK given[i]
    std::array<std::int8_t, max_crypto_sessions> kept;  ///< set for each slot below count
    std::array<const supplied_key*, max_crypto_sessions> given;  ///< set for each borrowed slot
    /// plan_update leaves a supplied TEK (no derivation) where it is instead
    /// of copying it into key(i): for a set that takes effect before the
    /// supplied keys go (an update that awaits no answer).
    bool borrow_supplied = false;
    std::array<std::uint32_t, max_crypto_sessions> ssrc;  ///< set for each slot below count
    std::size_t count = 0;
    ntp_time t{};  ///< the T of the update that set them
    /// The security policy of each crypto session after the update, when the
    /// update chose them (nullopt: those in force stay, RFC 6043 §6.1.1).
    std::optional<policy_list> policies;

private:
    static_assert(max_crypto_sessions <= 32, "m_made has a bit per slot");
    [[nodiscard]] bool made(std::size_t i) const noexcept { return ((m_made >> i) & 1U) != 0; }
    void clear() noexcept {
        for (; m_made != 0; m_made &= m_made - 1) std::destroy_at(&m_slots[static_cast<std::size_t>(std::countr_zero(m_made))].key);
    }
    union slot {
        slot() noexcept {}
        ~slot() {}
        session_key key;
    };
    std::array<slot, max_crypto_sessions> m_slots;
    std::uint32_t m_made = 0;  ///< bit i: slot i's key is made
};

/// What a CSB update needs of the initial exchange, as one machine holds it.
struct update_context {
    party self = party::initiator;
    csb_id csb{};
    prf_func prf{};
    mac_alg mac{};
    encr_alg kemac_encr{};  ///< Encr alg of a KEMAC this end sends
    bytes_view id_i{}, id_r{};  ///< identities of the initial exchange
    const last_message_keys* last = nullptr;
    crypto::d4_rands rands{};
    ticket_flags flags{};
    std::span<const session_key> keys{};  ///< the keys in force
    const policy_list* policies = nullptr;  ///< the security policies in force (none: no SP negotiated)

    /// The algorithms of the exchange (the policy hooks judge SPs with them).
    [[nodiscard]] algorithm_suite suite() const noexcept { return {prf, kemac_encr, mac}; }

    /// RFC 6043 §5.2: "If indicated by the Ticket Policy (L and M flags), KEMAC payloads SHALL NOT be included."
    [[nodiscard]] bool may_send_kemac(party sender) const noexcept {
        return sender == party::initiator ? flags.l : flags.m;
    }
    /// Where crypto session `cs` is among the keys in force, looked up at
    /// `hint` first (an update that keeps the bundle's order).
    [[nodiscard]] std::optional<std::size_t> index_of(std::uint8_t cs, std::size_t hint = 0) const noexcept {
        if (hint < keys.size() && keys[hint].cs.get() == cs) return hint;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (keys[i].cs.get() == cs) return i;
        }
        return std::nullopt;
    }
    [[nodiscard]] const session_key* key_of(std::uint8_t cs) const noexcept {
        const auto i = index_of(cs);
        return i ? &keys[*i] : nullptr;
    }
};

/// Slot `i` of `next` for an added crypto session `s`: a key derived from
/// the first session's TGK / GTGK (a TEK is never shared by two crypto
/// sessions). Errors: missing_key.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> added_session_key(B& b, const update_context& c, const crypto_session_spec& s, key_set& next,
                                             std::size_t i) noexcept {
    next.kept[i] = key_set::made_here;
    if (c.keys.empty() || is_tek(c.keys[0].kind)) {
        return errc::missing_key;
    }
    const session_key& base = c.keys[0];
    return make_session_key(b, c.prf, s, base.kind, base.key.view(), has_salt(base.kind) ? base.salt.view() : bytes_view{},
                            base.spi_view(), c.rands, next.key(i));
}

/// Slot `i` of `next` for crypto session `s` when the update sends no key
/// for it: the key the session has, kept where it is (its D4 inputs, the
/// key, CS ID, CSB ID and RANDs, are those of the initial exchange, since an
/// update carries no RAND, RFC 6043 §5.2), or, for an added session,
/// added_session_key. Errors: missing_key.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> kept_key(B& b, const update_context& c, const crypto_session_spec& s, key_set& next,
                                    std::size_t i) noexcept {
    next.ssrc[i] = s.ssrc;
    if (const auto k = c.index_of(s.cs_id, i)) {
        next.kept[i] = static_cast<std::int8_t>(*k);
        return {};
    }
    return added_session_key(b, c, s, next, i);
}

/// Slot `i` of `next` for session `s` keyed by supplied key `sk` (its
/// sizes checked): with borrow_supplied a TEK stays where it is
/// (key_set::borrowed), else the key is made (make_session_key: a TGK /
/// GTGK runs D4). Errors: make_session_key's.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> supplied_slot(B& b, const update_context& c, const crypto_session_spec& s,
                                         const supplied_key& sk, key_set& next, std::size_t i) noexcept {
    next.ssrc[i] = s.ssrc;
    if (next.borrow_supplied && is_tek(sk.kind)) {
        next.kept[i] = key_set::borrowed;  // its sizes are checked: set_as_sent cannot fail on it
        next.given[i] = &sk;
        return {};
    }
    next.kept[i] = key_set::made_here;
    return make_session_key(b, c.prf, s, sk.kind, sk.key, sk.salt, sk.spi, c.rands, next.key(i));
}

/// The SPI of slot `i` of `next` (kept, borrowed or new).
[[nodiscard]] inline bytes_view spi_of(const update_context& c, const key_set& next, std::size_t i) noexcept {
    if (next.kept[i] >= 0) return c.keys[static_cast<std::size_t>(next.kept[i])].spi_view();
    return next.kept[i] == key_set::borrowed ? next.given[i]->spi : next.key(i).spi_view();
}

/// What a CSB update sends: its crypto sessions (the bundle after the
/// update) and the Key data its KEMAC carries, as views of the supplied
/// keys or of keys drawn for it, which it holds until the update is sealed.
struct update_plan {
    inline_list<crypto_session_spec, max_crypto_sessions> sessions;
    inline_list<key_data_builder, max_crypto_sessions> keys;

    /// Fresh keys for `rekey_all`, made on the heap only then (an update that
    /// sends supplied keys, a focus's rekey, neither builds nor wipes 32 key
    /// buffers).
    struct drawn_keys {
        std::array<secret_buffer<64>, max_crypto_sessions> keys{};
        std::array<secret_buffer<32>, max_crypto_sessions> salts{};
        std::array<std::array<std::uint8_t, 4>, max_crypto_sessions> spis;  // written by the RNG before use
    };
    std::unique_ptr<drawn_keys> drawn;
};

/// RFC 6043 §5.2: the update "MUST use new timestamps"; with the same keys,
/// an old T would repeat the KEMAC keystream (RFC 3830 §4.2.3 IV). Sets
/// next.t = now. Errors: stale_timestamp (`now` not after the bundle's last T).
[[nodiscard]] inline result<void> stamp_update(const update_context& c, ntp_time now, key_set& next) noexcept {
    if (!(c.last->t < now)) return errc::stale_timestamp;
    next.t = now;
    return {};
}

/// Appends to `keys` the Key data of a key the update sends, KV = its SPI.
/// Errors: invalid_argument (an SPI another of the update's keys has, or
/// more keys than a KEMAC of the update holds).
[[nodiscard]] inline result<void> add_key_data(inline_list<key_data_builder, max_crypto_sessions>& keys,
                                               key_data_type kind, bytes_view key, bytes_view salt,
                                               bytes_view spi) noexcept {
    // RFC 6043 §6.2.1: the SPI names the key; two keys of one bundle never share one.
    for (const auto& other : keys) {
        if (equal_bytes(other.validity.spi, spi)) return errc::invalid_argument;
    }
    if (!keys.push_back(key_data_builder{kind, key, salt, kv_data{kv_type::spi, spi, {}, {}}})) {
        return errc::invalid_argument;
    }
    return {};
}

/// The last step of a plan of `n` sessions. Errors: policy_not_acceptable
/// (keys to send without the sender's L / M flag).
[[nodiscard]] inline result<void> close_plan(const update_context& c, const update_plan& plan, std::size_t n,
                                             key_set& next) noexcept {
    next.count = n;
    if (plan.keys.size() != 0 && !c.may_send_kemac(c.self)) return errc::policy_not_acceptable;
    return {};
}

/// The first half of build_update: the update's sessions and the keys it
/// sends into `plan`, the keys it sets into `next`. Errors: build_update's
/// but buffer_too_small.
template <crypto::crypto_backend B, random_generator R>
[[nodiscard]] result<void> plan_update(B& b, R& rng, ntp_time now, const update_context& c,
                                       std::span<const crypto_session_spec> sessions,
                                       std::span<const supplied_key> supplied, bool rekey_all, update_plan& plan,
                                       key_set& next) noexcept {
    auto& all = plan.sessions;
    for (const auto& s : sessions) {
        if (!all.push_back(s)) return errc::invalid_argument;
    }
    // The supplied key of each slot (a supplied key's session is added when not listed); two for
    // one session are refused.
    std::array<const supplied_key*, max_crypto_sessions> supplied_for{};
    for (const auto& k : supplied) {
        std::size_t slot = 0;
        while (slot < all.size() && all[slot].cs_id != k.cs_id) ++slot;
        if (slot == all.size() && !all.push_back({k.cs_id, k.ssrc})) return errc::invalid_argument;
        if (supplied_for[slot]) return errc::invalid_argument;
        supplied_for[slot] = &k;
    }
    const std::size_t n = all.size();
    if (n == 0 || c.keys.empty()) return errc::invalid_argument;
    if (auto ok = stamp_update(c, now, next); !ok) return ok;
    if (rekey_all) plan.drawn = std::make_unique<update_plan::drawn_keys>();
    for (std::size_t i = 0; i < n; ++i) {
        const supplied_key* sk = supplied_for[i];
        key_data_type kind{};
        bytes_view key, salt, spi;
        if (sk) {
            if (!is_session_key(sk->kind) || has_salt(sk->kind) != !sk->salt.empty()) return errc::invalid_argument;
            if (sk->key.size() < crypto::min_key_bytes) return errc::key_too_short;
            if (sk->key.size() > 64 || sk->salt.size() > 32 || sk->spi.empty() || sk->spi.size() > 8) {
                return errc::invalid_argument;
            }
            kind = sk->kind;
            key = sk->key;
            salt = sk->salt;
            spi = sk->spi;
        } else if (rekey_all) {
            const session_key* old = c.key_of(all[i].cs_id);
            const session_key& base = old ? *old : c.keys[0];
            kind = base.kind;
            auto& d = *plan.drawn;
            (void)d.keys[i].resize(base.key.size());
            (void)d.salts[i].resize(has_salt(base.kind) ? 14 : 0);
            if (auto ok = rng.fill(d.keys[i].mutable_view()); !ok) return ok.error_info();
            if (auto ok = rng.fill(d.salts[i].mutable_view()); !ok) return ok.error_info();
            if (auto ok = rng.fill(d.spis[i]); !ok) return ok.error_info();
            key = d.keys[i].view();
            salt = d.salts[i].view();
            spi = d.spis[i];
        } else {
            if (auto ok = kept_key(b, c, all[i], next, i); !ok) return ok.error_info();
            continue;
        }
        if (auto ok = add_key_data(plan.keys, kind, key, salt, spi); !ok) return ok;
        if (sk) {
            if (auto ok = supplied_slot(b, c, all[i], *sk, next, i); !ok) return ok.error_info();
            continue;
        }
        next.ssrc[i] = all[i].ssrc;
        next.kept[i] = key_set::made_here;
        if (auto ok = make_session_key(b, c.prf, all[i], kind, key, salt, spi, c.rands, next.key(i)); !ok) {
            return ok.error_info();
        }
    }
    return close_plan(c, plan, n, next);
}

/// The second half: seals the TRANSFER_INIT of `plan` (V flag
/// `want_response`, T = next.t) into `out`, with the SP payloads of
/// `offered` (take_offers' list; RFC 6043 §5.2, §6.1.1: each block lists
/// the Policy nos offered for its crypto session, #P = 0 where none is).
/// Errors: invalid_argument, buffer_too_small, field_too_long,
/// key_length_mismatch and unsupported_algorithm (the held keys against
/// the suite), crypto_backend_failure.
template <crypto::crypto_backend B>
[[nodiscard]] result<bytes_view> seal_update(B& b, mutable_bytes out, const update_context& c, const update_plan& plan,
                                             const key_set& next, bool want_response,
                                             const policy_list& offered = {}) noexcept {
    cs_map map;
    for (std::size_t i = 0; i < plan.sessions.size(); ++i) {
        const auto& s = plan.sessions[i];
        if (!map.add_srtp(s.cs_id, s.ssrc, spi_of(c, next, i))) return errc::invalid_argument;
    }
    offer_listing listing(offered);
    listing.list_in(map.blocks);
    const timestamp t(next.t);
    ticket::sealed_message_builder sb(out);
    // RFC 6043 §5.2: same CSB ID, new timestamp, V flag = response wanted; no RANDs, no TICKET;
    // the sender's identity first.
    sb.header(hdr_builder{data_type::transfer_init, want_response, c.prf, c.csb, map.view(), 1}).add(t.builder());
    const idr_builder idri{id_role::idri, id_type::uri, c.id_i}, idrr{id_role::idrr, id_type::uri, c.id_r};
    if (c.self == party::initiator) {
        sb.add(idri).add(idrr);
    } else {
        sb.add(idrr).add(idri);
    }
    sb.add(listing.sps());
    if (plan.keys.size() != 0) {
        // RFC 6043 §5.2: KEMAC = E(encr_key, (TEK|TGK|GTGK)) with the keys of the last message.
        crypto::protection_keys derived;
        const auto ck = c.last->cipher_keys(b, c.kemac_encr, c.csb, t.iv(), derived);
        if (!ck) return ck.error_info();
        sb.add_kemac(b, c.kemac_encr, *ck, plan.keys.view());
    }
    // RFC 6043 §5.5: TRANSFER_INIT || Identity_i || Identity_r.
    return sb.seal(b, c.mac, c.last->auth_key.view(), {c.id_i, c.id_r});
}

/// A CSB update this end sealed, kept so that the next update of the same
/// shape is made by patching a copy of its bytes instead of building the
/// message again (a conference focus sends every member an update of one
/// shape on each join and leave). Two updates of one shape (same update
/// context, V flag, crypto sessions with the sizes of their SPIs, and KEMAC
/// Key data of the same kinds and key, salt and SPI sizes) differ only in
/// T, the SPIs of the CS ID map, the keys in the KEMAC's plaintext, its
/// Encr data and the V MAC, which patch() writes again; the result is byte
/// for byte seal_update's (tests/ticket_units.cpp). Holds no secret: the
/// kept message stops before its MAC, its Encr data are zeroed, and the
/// kept plaintext is written with zero keys and salts. The identities the
/// MAC covers after the message are kept right after it, so that patch()
/// lays the MAC input out in one copy.
class update_template {
public:
    /// Whether the update of `plan` under `c` has the kept update's shape.
    [[nodiscard]] bool matches(const update_context& c, const update_plan& plan, const key_set& next,
                               bool want_response) const noexcept {
        if (!same_context(c, want_response)) return false;
        if (plan.sessions.size() != m_session_count || plan.keys.size() != m_key_count) return false;
        for (std::size_t i = 0; i < m_session_count; ++i) {
            const auto& s = plan.sessions[i];
            const auto& t = m_sessions[i];
            if (s.cs_id != t.session.cs_id || s.ssrc != t.session.ssrc || spi_of(c, next, i).size() != t.spi.size) return false;
        }
        for (std::size_t j = 0; j < m_key_count; ++j) {
            const auto& k = plan.keys[j];
            if (!m_keys[j].fits(k.kind, k.key, k.salt, k.validity.spi)) return false;
        }
        return true;
    }

    /// Plans a repeat of the update kept (the request note_request saw: the
    /// same sessions and SSRCs, supplied keys for the same sessions with
    /// the same kinds and sizes, V flag, context; no rekey_all) on keys in
    /// force that hold those sessions in place, with the SPI sizes kept:
    /// into `plan` (its keys only: patch() reads no more) and `next`
    /// exactly as plan_update would, without its search, and of the kept
    /// shape. Returns false, changing nothing, when it is no such repeat.
    /// A repeated request's supplied keys have the sizes plan_update
    /// accepted. Errors: plan_update's that a repeat can meet
    /// (stale_timestamp, invalid_argument for two supplied keys with one
    /// SPI, make_session_key's, policy_not_acceptable), in its order.
    template <crypto::crypto_backend B>
    [[nodiscard]] result<bool> replan(B& b, ntp_time now, const update_context& c,
                                      std::span<const crypto_session_spec> sessions,
                                      std::span<const supplied_key> supplied, bool rekey_all, bool want_response,
                                      update_plan& plan, key_set& next) const noexcept {
        const std::size_t n = m_session_count;
        if (!m_repeatable || rekey_all || sessions.size() != n || c.keys.size() != n || supplied.size() != m_key_count) {
            return false;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const auto& s = sessions[i];
            const auto& t = m_sessions[i];
            if (s.cs_id != t.session.cs_id || s.ssrc != t.session.ssrc || c.keys[i].cs.get() != s.cs_id) return false;
            if (!supplied_at(i) && c.keys[i].spi_size != t.spi.size) return false;
        }
        for (std::size_t j = 0; j < m_key_count; ++j) {
            const supplied_key& k = supplied[m_supplied_from[j]];
            if (k.cs_id != sessions[m_supplied_slot[j]].cs_id || !m_keys[j].fits(k.kind, k.key, k.salt, k.spi)) return false;
        }
        if (!same_context(c, want_response)) return false;
        // From here on plan_update's steps, in its order (its searches done by the note).
        if (auto ok = stamp_update(c, now, next); !ok) return ok.error_info();
        for (std::size_t i = 0; i < n; ++i) {
            if (supplied_at(i)) continue;
            next.ssrc[i] = sessions[i].ssrc;
            next.kept[i] = static_cast<std::int8_t>(i);
        }
        for (std::size_t j = 0; j < m_key_count; ++j) {  // in session order
            const supplied_key& k = supplied[m_supplied_from[j]];
            const std::size_t i = m_supplied_slot[j];
            if (auto ok = add_key_data(plan.keys, k.kind, k.key, k.salt, k.spi); !ok) return ok.error_info();
            if (auto ok = supplied_slot(b, c, sessions[i], k, next, i); !ok) return ok.error_info();
        }
        if (auto ok = close_plan(c, plan, n, next); !ok) return ok.error_info();
        return true;
    }

    /// Notes the request plan_update planned into `plan`, just built or
    /// patched as the kept shape, as the one replan() repeats: when its
    /// sessions (none added) are the keys in force, in place, and it draws
    /// no keys.
    void note_request(const update_context& c, std::span<const crypto_session_spec> sessions,
                      std::span<const supplied_key> supplied, bool rekey_all, const update_plan& plan) noexcept {
        m_repeatable = false;
        const std::size_t n = sessions.size();
        if (m_bytes.empty() || rekey_all || plan.sessions.size() != n || c.keys.size() != n) return;
        // No session added: each supplied key keys a listed session, one each (plan_update refuses
        // two for one), so the KEMAC's Key data are the supplied keys in session order.
        std::size_t j = 0;
        m_supplied_mask = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (c.keys[i].cs.get() != sessions[i].cs_id) return;
            for (std::size_t p = 0; p < supplied.size(); ++p) {
                if (supplied[p].cs_id != sessions[i].cs_id) continue;
                m_supplied_from[j] = static_cast<std::uint8_t>(p);
                m_supplied_slot[j++] = static_cast<std::uint8_t>(i);
                m_supplied_mask |= std::uint32_t{1} << i;
                break;
            }
        }
        m_repeatable = true;
    }

    /// The update of `plan` (matches() is true) into `out`. Bytes of `out`
    /// past the message may be used as scratch for the MAC input (they hold
    /// no secret). Errors: buffer_too_small, key_length_mismatch,
    /// unsupported_algorithm, crypto_backend_failure.
    template <crypto::crypto_backend B>
    [[nodiscard]] result<bytes_view> patch(B& b, mutable_bytes out, const update_context& c, const update_plan& plan,
                                           const key_set& next) const noexcept {
        if (out.size() < m_message_size) return errc::buffer_too_small;
        const mutable_bytes msg = out.first(m_message_size);
        const std::size_t head = m_v.at;  // the message up to its MAC field
        // The identities the V MAC covers after the message go along, where `out` has room.
        const std::size_t ids = std::size_t{m_id_i.size} + m_id_r.size;
        const bool room = out.size() - head >= ids;
        const std::size_t copied = room ? head + ids : head;
        copy_bytes(out.first(copied), bytes_view(m_bytes).first(copied));
        const timestamp t(next.t);
        put(msg, m_t, t.bytes);
        for (std::size_t i = 0; i < m_session_count; ++i) put(msg, m_sessions[i].spi, spi_of(c, next, i));
        if (m_encr.size != 0) {
            // RFC 6043 §5.2: KEMAC = E(encr_key, (TEK|TGK|GTGK)) with the keys of the last message.
            crypto::protection_keys derived;
            const auto ck = c.last->cipher_keys(b, c.kemac_encr, c.csb, t.iv(), derived);
            if (!ck) return ck.error_info();
            std::array<std::uint8_t, ticket::max_kemac_plain> scratch;
            const bytes_view kept_plain = bytes_view(m_bytes).subspan(head + ids);
            const mutable_bytes plain(scratch.data(), kept_plain.size());
            copy_bytes(plain, kept_plain);
            for (std::size_t j = 0; j < m_key_count; ++j) {
                put(plain, m_keys[j].key, plan.keys[j].key);
                put(plain, m_keys[j].salt, plan.keys[j].salt);
                put(plain, m_keys[j].spi, plan.keys[j].validity.spi);
            }
            const auto encrypted = crypto::kemac_encrypt(b, c.kemac_encr, *ck, plain, msg.subspan(m_encr.at, m_encr.size));
            b.wipe(plain);
            if (!encrypted) return encrypted.error_info();
        }
        // RFC 6043 §5.5: TRANSFER_INIT || Identity_i || Identity_r (the kept IDR data, which
        // same_context found equal to the context's). With room, one piece (one HMAC update): the
        // tag goes over the copied identities once the input is absorbed (crypto_backend's
        // hmac_update).
        const std::array<bytes_view, 1> joined{bytes_view(out.first(head + ids))};
        const std::array<bytes_view, 3> apart{bytes_view(msg.first(head)), c.id_i, c.id_r};
        const auto input = room ? std::span<const bytes_view>(joined) : std::span<const bytes_view>(apart);
        if (auto r = crypto::compute_mac(b, c.mac, c.last->auth_key.view(), input, msg.subspan(head, m_v.size)); !r) {
            return r.error_info();
        }
        return bytes_view(msg);
    }

    /// Keeps `sealed`, seal_update's output for `plan`, as the template (none
    /// when it does not parse as the update `c.self` sends, or is over 64 KiB).
    void keep(bytes_view sealed, const update_context& c, const update_plan& plan, bool want_response) {
        m_bytes.clear();
        m_repeatable = false;
        if (c.self == party::initiator) {
            keep_as<ticket::transfer_init_update_view>(sealed, c, plan, want_response);
        } else {
            keep_as<ticket::transfer_init_update_by_responder_view>(sealed, c, plan, want_response);
        }
    }

private:
    /// Where a field lies in the kept message or plaintext.
    struct span_at {
        std::uint16_t at = 0, size = 0;
    };
    struct session_at {
        crypto_session_spec session;
        span_at spi;  ///< its SPI in the map
    };
    /// One Key data of the KEMAC: its kind, and where its key, salt and SPI lie in the plaintext.
    struct key_at {
        key_data_type kind{};
        span_at key, salt, spi;
        /// Whether a key of `k` with this key, salt and SPI has this entry's shape.
        [[nodiscard]] bool fits(key_data_type k, bytes_view key_, bytes_view salt_, bytes_view spi_) const noexcept {
            return k == kind && key_.size() == key.size && salt_.size() == salt.size && spi_.size() == spi.size;
        }
    };
    /// The kept update's context: the same end, CSB, algorithms, V flag and identities.
    [[nodiscard]] bool same_context(const update_context& c, bool want_response) const noexcept {
        return !m_bytes.empty() && c.self == m_self && c.csb == m_csb && c.prf == m_prf && c.mac == m_mac &&
               c.kemac_encr == m_kemac_encr && want_response == m_want_response && equal_bytes(field(m_id_i), c.id_i) &&
               equal_bytes(field(m_id_r), c.id_r);
    }
    [[nodiscard]] bool supplied_at(std::size_t i) const noexcept { return ((m_supplied_mask >> i) & 1U) != 0; }
    [[nodiscard]] bytes_view field(span_at f) const noexcept { return bytes_view(m_bytes).subspan(f.at, f.size); }
    /// Writes `v` (f.size bytes) at f.at; a 4-byte SPI and an 8-byte T as one store each.
    static void put(mutable_bytes to, span_at f, bytes_view v) noexcept {
        std::uint8_t* at = to.data() + f.at;
        switch (f.size) {
            case 4: std::memcpy(at, v.data(), 4); break;
            case 8: std::memcpy(at, v.data(), 8); break;
            default: copy_bytes(mutable_bytes(at, f.size), v);
        }
    }
    static span_at at(bytes_view whole, bytes_view part) noexcept {
        if (part.empty()) return {};
        return {static_cast<std::uint16_t>(part.data() - whole.data()), static_cast<std::uint16_t>(part.size())};
    }

    template <class View>
    void keep_as(bytes_view sealed, const update_context& c, const update_plan& plan, bool want_response) {
        if (sealed.size() > 0xFFFF) return;
        const auto m = View::parse(sealed);
        if (!m || !m->idri() || !m->idrr()) return;
        std::size_t n = 0;
        for (const auto& blk : generic_id_map(m->header().map_info())) {
            if (n == plan.sessions.size()) return;
            m_sessions[n] = {plan.sessions[n], at(sealed, blk.spi)};
            ++n;
        }
        if (n != plan.sessions.size()) return;
        // The KEMAC's plaintext as build_protected_kemac writes it, with zero keys and salts of
        // the same sizes in place of the real ones: the layout without the secrets.
        static constexpr std::array<std::uint8_t, 64> zeros{};
        inline_list<key_data_builder, max_crypto_sessions> blank;
        for (const auto& k : plan.keys) {
            (void)blank.push_back({k.kind, bytes_view(zeros).first(k.key.size()), bytes_view(zeros).first(k.salt.size()),
                                   k.validity});
        }
        std::array<std::uint8_t, ticket::max_kemac_plain> scratch;
        byte_writer pw(scratch);
        chain_writer cw(pw, std::nullopt);
        cw.add(blank.view());
        if (pw.failed()) return;
        const bytes_view plain(scratch.data(), pw.size());
        const auto list = key_data_list::parse(plain);
        if (!list) return;
        std::size_t k = 0;
        for (const auto& d : *list) m_keys[k++] = {d.kind(), at(plain, d.key()), at(plain, d.salt()), at(plain, d.validity().spi)};
        m_self = c.self;
        m_csb = c.csb;
        m_prf = c.prf;
        m_mac = c.mac;
        m_kemac_encr = c.kemac_encr;
        m_want_response = want_response;
        m_session_count = static_cast<std::uint8_t>(n);
        m_key_count = static_cast<std::uint8_t>(k);
        m_message_size = static_cast<std::uint16_t>(sealed.size());
        m_t = at(sealed, m->t().value());
        m_id_i = at(sealed, m->idri()->data());
        m_id_r = at(sealed, m->idrr()->data());
        m_encr = m->kemac() ? at(sealed, m->kemac()->encrypted_data()) : span_at{};
        m_v = at(sealed, m->v()->value());
        // The V MAC ends the message (the view's schema closes with V, whose MAC is its last
        // field): the message up to it, its IDRi and IDRr data (the identities its MAC covers
        // after it), then the plaintext.
        static_assert(View::schema.closing_payload, "an update's V closes it");
        const bytes_view id_i = m->idri()->data(), id_r = m->idrr()->data();
        m_bytes.reserve(m_v.at + id_i.size() + id_r.size() + plain.size());
        m_bytes.assign(sealed.begin(), sealed.begin() + m_v.at);
        m_bytes.insert(m_bytes.end(), id_i.begin(), id_i.end());
        m_bytes.insert(m_bytes.end(), id_r.begin(), id_r.end());
        m_bytes.insert(m_bytes.end(), plain.begin(), plain.end());
        // The Encr data (the plaintext under Encr alg NULL) is zeroed.
        std::fill_n(m_bytes.begin() + m_encr.at, m_encr.size, 0);
    }

    // The fields matches() and patch() read first, together.
    /// The message up to its V MAC field, the identities the MAC covers
    /// after it (its IDRi and IDRr data again), then the KEMAC's plaintext;
    /// empty: no template.
    std::vector<std::uint8_t> m_bytes;
    party m_self{};
    prf_func m_prf{};
    mac_alg m_mac{};
    encr_alg m_kemac_encr{};
    bool m_want_response = false;
    std::uint8_t m_session_count = 0, m_key_count = 0;
    std::uint16_t m_message_size = 0;
    csb_id m_csb{};
    span_at m_t, m_id_i, m_id_r, m_encr, m_v;  ///< T value, IDRi / IDRr data, KEMAC Encr data, V MAC
    std::array<session_at, max_crypto_sessions> m_sessions;
    std::array<key_at, max_crypto_sessions> m_keys;
    // The request note_request saw: KEMAC entry j is supplied[m_supplied_from[j]], for session
    // m_supplied_slot[j]; bit i of m_supplied_mask: session i has a supplied key.
    bool m_repeatable = false;
    static_assert(max_crypto_sessions <= 32, "m_supplied_mask has a bit per session");
    std::uint32_t m_supplied_mask = 0;
    std::array<std::uint8_t, max_crypto_sessions> m_supplied_from, m_supplied_slot;
};

/// The security policy of each crypto session of `plan` once an update
/// without answer offering `offered` takes effect (RFC 6043 §5.2, §6.1.1,
/// as open_update_as reads such an update at the other end): the first
/// policy offered for it, else the one in force (of its Prot type), else
/// none.
[[nodiscard]] inline policy_list policies_without_answer(const update_context& c, const update_plan& plan,
                                                         const policy_list& offered) {
    policy_list after;
    for (const auto& s : plan.sessions) {
        auto sp = offered.for_session(s.cs_id);
        if (!sp) sp = policy_in_force(c.policies, generic_id_block{s.cs_id, prot_type::srtp, false, {}, {}, {}});
        if (sp) after.add(s.cs_id, *sp);
    }
    return after;
}

/// Builds the TRANSFER_INIT of a CSB update started by `c.self` into `out`
/// and the keys it sets in `next` (plan_update, then seal_update). `sessions`
/// is the bundle after the update (a CS ID not in force is added);
/// `supplied` are new keys for some of them (a supplied key's session is
/// added when `sessions` lacks it); with `rekey_all` every session without
/// a supplied key gets a fresh random key of its kind and length. New keys
/// travel in a KEMAC. `offers` are security policies the update offers in
/// SP payloads (RFC 6043 §5.2: "handled as in the initial exchange";
/// take_offers' rules, CS IDs of the update's sessions); the answer names
/// one per session (check_answer_map), and without an answer each session
/// runs under the first offered for it (policies_without_answer, into
/// next.policies). With `tpl`, an update without offers of the shape `tpl`
/// holds is patched from it, and any other becomes its new template; a
/// repeat of the request `tpl` last saw (a focus rekeying a member again)
/// is planned by update_template::replan, without plan_update's search. An
/// update with offers is built in full and leaves `tpl` as it was.
/// Errors: invalid_argument (no session, too many, a supplied key of
/// another kind than a session key, a salt that does not fit the kind, an
/// empty or repeated SPI, offers take_offers refuses), key_too_short,
/// missing_key (an added TEK session without a key), policy_not_acceptable
/// (keys to send without the sender's L / M flag), stale_timestamp (`now`
/// not after the bundle's last T), buffer_too_small, field_too_long,
/// key_length_mismatch and unsupported_algorithm (the held keys against the
/// suite), crypto_backend_failure.
template <crypto::crypto_backend B, random_generator R>
[[nodiscard]] result<bytes_view> build_update(B& b, R& rng, ntp_time now, mutable_bytes out, const update_context& c,
                                              std::span<const crypto_session_spec> sessions,
                                              std::span<const supplied_key> supplied, bool rekey_all,
                                              bool want_response, key_set& next, update_template* tpl = nullptr,
                                              std::span<const policy_offer> offers = {}) noexcept {
    update_plan plan;
    if (!offers.empty()) {
        if (auto ok = plan_update(b, rng, now, c, sessions, supplied, rekey_all, plan, next); !ok) return ok.error_info();
        policy_list offered;
        if (auto ok = take_offers(offers, plan.sessions.view(), offered); !ok) return ok.error_info();
        if (!want_response) next.policies = policies_without_answer(c, plan, offered);
        return seal_update(b, out, c, plan, next, want_response, offered);
    }
    if (tpl) {
        const auto repeat = tpl->replan(b, now, c, sessions, supplied, rekey_all, want_response, plan, next);
        if (!repeat) return repeat.error_info();
        if (*repeat) return tpl->patch(b, out, c, plan, next);
    }
    if (auto ok = plan_update(b, rng, now, c, sessions, supplied, rekey_all, plan, next); !ok) return ok.error_info();
    if (!tpl) return seal_update(b, out, c, plan, next, want_response);
    const bool patched = tpl->matches(c, plan, next, want_response);
    const auto sealed = patched ? tpl->patch(b, out, c, plan, next) : seal_update(b, out, c, plan, next, want_response);
    if (!sealed) return sealed;
    if (!patched) tpl->keep(*sealed, c, plan, want_response);
    tpl->note_request(c, sessions, supplied, rekey_all, plan);
    return sealed;
}

/// The Key data of a received update's KEMAC that crypto session `blk`
/// names by its SPI (RFC 6043 §6.2.1), or nullopt. Errors: missing_key (the
/// named Key data is not a session key).
[[nodiscard]] inline result<std::optional<key_data_view>> named_key(const std::optional<key_data_list>& fresh_keys,
                                                                    const generic_id_block& blk) noexcept {
    if (fresh_keys && !blk.spi.empty()) {
        for (const auto& k : *fresh_keys) {
            if (!equal_bytes(k.validity().spi, blk.spi)) continue;
            if (!is_session_key(k.kind())) return errc::missing_key;
            return std::optional<key_data_view>(k);
        }
    }
    return std::optional<key_data_view>{};
}

/// Session key `out` of crypto session `blk` from Key data `k` of an
/// update's KEMAC (D4 for a TGK / GTGK with the bundle's RANDs, §5.1.3).
template <crypto::crypto_backend B>
[[nodiscard]] result<void> key_from_update(B& b, const update_context& c, const generic_id_block& blk,
                                           const key_data_view& k, session_key& out) noexcept {
    return make_session_key(b, c.prf, session_of(blk), k.kind(), k.key(), k.salt(), k.validity().spi, c.rands, out);
}

/// Slot `i` of `next` for crypto session `blk` after a received update:
/// the KEMAC key its SPI names, else the key it kept (kept_key). Errors:
/// missing_key (RFC 6043 §6.1.1: the block names "the SPI (or MKI)
/// corresponding to the session key"; an SPI that neither a KEMAC key nor
/// the key the session keeps, or for an added session the key it is derived
/// from, has names no key), kept_key's.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> received_key(B& b, const update_context& c, const generic_id_block& blk,
                                        const std::optional<key_data_list>& fresh_keys, key_set& next,
                                        std::size_t i) noexcept {
    const auto k = named_key(fresh_keys, blk);
    if (!k) return k.error_info();
    if (!*k) {
        if (!blk.spi.empty() && !c.keys.empty()) {
            const auto at = c.index_of(blk.cs_id, i);
            if (!equal_bytes(c.keys[at ? *at : 0].spi_view(), blk.spi)) return errc::missing_key;
        }
        return kept_key(b, c, session_of(blk), next, i);
    }
    next.kept[i] = key_set::made_here;
    next.ssrc[i] = session_of(blk).ssrc;
    return key_from_update(b, c, blk, **k, next.key(i));
}

/// The T of the TRANSFER_RESP answering an update of T `update_t` at `now`:
/// `now`, or just after `update_t` when `now` is not after it. An answer
/// carrying a KEMAC is encrypted with the same keys as the update (RFC 6043
/// §5.2), and its T feeds the IV (RFC 3830 §4.2.3): an equal T would repeat
/// the update's key stream.
[[nodiscard]] inline ntp_time answer_time(ntp_time update_t, ntp_time now) noexcept {
    return update_t < now ? now : update_t.next_tick();
}

/// Checks the header and identities of an update message against the
/// bundle. Errors: header_mismatch, unexpected_payload (a RAND),
/// mac_not_allowed, identity_mismatch.
template <class View>
[[nodiscard]] result<void> check_update_fields(const View& m, const update_context& c) noexcept {
    const auto hdr = m.header();
    // RFC 6043 §5.2: "The new message exchange MUST use the same CSB ID as the initial exchange".
    if (hdr.csb() != c.csb || hdr.prf() != c.prf) return failure{errc::header_mismatch, 4};
    // RFC 6043 §5.2: "New RANDs or TICKETs MUST NOT be included."
    if (m.message().count(payload_type::randr) != 0) return errc::unexpected_payload;
    if (m.v()->kind() != c.mac) return errc::mac_not_allowed;
    if (m.idri() && !equal_bytes(m.idri()->data(), c.id_i)) return errc::identity_mismatch;
    if (m.idrr() && !equal_bytes(m.idrr()->data(), c.id_r)) return errc::identity_mismatch;
    return {};
}

/// Checks the keys this end sends in its answer to update `hdr` (RFC 6043
/// §5.2, [KEMAC] in TRANSFER_RESP): each names a crypto session of the
/// update, and no other session of it has the key's SPI (the peer finds
/// each key by its SPI). Errors: policy_not_acceptable (without this end's
/// L / M flag), bad_crypto_sessions (a session the update does not list),
/// invalid_argument (an SPI another session of the update has).
[[nodiscard]] inline result<void> check_answer_keys(const update_context& c, const hdr_view& hdr,
                                                    std::span<const owned_key> answer_keys) noexcept {
    if (answer_keys.empty() || !hdr.v_flag()) return {};
    if (!c.may_send_kemac(c.self)) return errc::policy_not_acceptable;
    if (hdr.map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
    for (const auto& k : answer_keys) {
        bool listed = false;
        for (const auto& blk : generic_id_map(hdr.map_info())) {
            if (blk.cs_id == k.cs_id) {
                listed = true;
            } else if (equal_bytes(blk.spi, k.view(false).spi)) {
                return errc::invalid_argument;
            }
        }
        if (!listed) return errc::bad_crypto_sessions;
    }
    return {};
}

/// The length of the session key of slot `i` of `next`, a received
/// update's (kept or new; it borrows no supplied key).
[[nodiscard]] inline std::size_t key_length_of(const update_context& c, const key_set& next, std::size_t i) noexcept {
    return next.kept[i] >= 0 ? c.keys[static_cast<std::size_t>(next.kept[i])].tek.size() : next.key(i).tek.size();
}

/// Takes the keys this end sends in its answer to an update (checked by
/// check_answer_keys) into `next`, each for the block of `map` (the
/// update's) of its crypto session, which then names the key's SPI (RFC
/// 6043 §5.2, as TRANSFER_RESP's KEMAC keys do, §4.2.2.3). Errors:
/// bad_crypto_sessions, the key derivation's.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> take_answer_keys(B& b, const update_context& c, std::span<const owned_key> answer_keys,
                                            cs_map& map, key_set& next) noexcept {
    for (const auto& k : answer_keys) {
        const auto key = k.view(false);
        generic_id_block* blk = map.find(k.cs_id);
        if (!blk) return errc::bad_crypto_sessions;  // check_answer_keys refuses it first
        blk->spi = key.spi;
        const auto i = static_cast<std::size_t>(blk - map.blocks.mutable_view().data());
        next.kept[i] = key_set::made_here;
        if (auto ok = make_session_key(b, c.prf, session_of(*blk), key.kind, key.key, key.salt, key.spi, c.rands,
                                       next.key(i));
            !ok) {
            return ok;
        }
    }
    return {};
}

/// Seals the TRANSFER_RESP answering update `update` (header `hdr`) into
/// `out`. RFC 6043 §5.2: HDR, T, [IDRr] (to the Initiator's update) or
/// [IDRi] (to the Responder's), {SP}, [KEMAC], V, with the keys of the last
/// message of the initial exchange. `map` is the update's, each block
/// naming its one security policy (#P = 1, §6.1.1) and the SPI of its key;
/// `own_sps` the SP payloads those numbers name that the update does not
/// carry. With `answer_keys` (taken into `next` by take_answer_keys) the
/// KEMAC carries them and T is answer_time (next.t then). Errors:
/// invalid_argument, buffer_too_small, field_too_long,
/// crypto_backend_failure.
template <crypto::crypto_backend B>
[[nodiscard]] result<bytes_view> seal_update_answer(B& b, ntp_time now, mutable_bytes out, const update_context& c,
                                                    const hdr_view& hdr, const cs_map& map,
                                                    std::span<const sp_builder> own_sps, bytes_view update,
                                                    std::span<const owned_key> answer_keys, key_set& next) noexcept {
    const ntp_time at = answer_keys.empty() ? now : answer_time(next.t, now);
    const timestamp t(at);
    inline_list<key_data_builder, max_crypto_sessions> kb;
    for (const auto& k : answer_keys) {
        const auto key = k.view(false);
        if (auto ok = add_key_data(kb, key.kind, key.key, key.salt, key.spi); !ok) return ok.error_info();
    }
    if (!answer_keys.empty()) next.t = at;
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::transfer_resp, false, hdr.prf(), hdr.csb(), map.view(), hdr.version()})
        .add(t.builder())
        .add(c.self == party::responder ? idr_builder{id_role::idrr, id_type::uri, c.id_r}
                                        : idr_builder{id_role::idri, id_type::uri, c.id_i})
        .add(own_sps);
    if (!answer_keys.empty()) {
        // RFC 6043 §5.2: KEMAC = E(encr_key, (TEK|TGK|GTGK)), NULL MAC, with the keys of the last message.
        crypto::protection_keys derived;
        const auto ck = c.last->cipher_keys(b, c.kemac_encr, c.csb, t.iv(), derived);
        if (!ck) return ck.error_info();
        sb.add_kemac(b, c.kemac_encr, *ck, kb.view());
    }
    // RFC 6043 §5.5: TRANSFER_RESP || TRANSFER_INIT.
    return sb.seal(b, c.mac, c.last->auth_key.view(), {update});
}

/// Handles the TRANSFER_INIT of a CSB update the peer of `c.self` started:
/// verifies it, takes its keys into `next`, chooses the security policy of
/// each crypto session (response_policies::choose with the policies in
/// force, RFC 6043 §5.2 "handled as in the initial exchange") into
/// `next.policies` and, when its V flag asks for one, writes the
/// TRANSFER_RESP into `out` (returned; empty otherwise), carrying
/// `answer_keys` in a KEMAC when there are any (seal_update_answer). The
/// replay check comes last: a refused update leaves no trace.
/// Errors: the parse / schema errors, header_mismatch, unexpected_payload
/// (a RAND, or a KEMAC its sender may not send), mac_not_allowed,
/// identity_mismatch, auth_failure, check_answer_keys' errors, the policy's
/// suite errors, key_unwrap_failure, bad_crypto_sessions, missing_key,
/// sp_not_found, sp_prot_mismatch, sp_not_acceptable (or what the policy
/// hooks return), timestamp_out_of_window, replayed_message,
/// replay_cache_full, stale_timestamp (T not newer than the last message
/// under the bundle's keys), buffer_too_small, crypto_backend_failure.
template <crypto::crypto_backend B, common_policy P, class View>
[[nodiscard]] result<bytes_view> open_update_as(B& b, const P& policy, bytes_view in, ntp_time now, mutable_bytes out,
                                                const update_context& c, std::span<const owned_key> answer_keys,
                                                key_set& next) noexcept {
    const auto m = View::parse(in);
    if (!m) return m.error_info();
    anticipate_fresh(policy, m->message(), m->mac());  // the replay check after the MAC
    if (auto ok = check_update_fields(*m, c); !ok) return ok.error_info();
    // RFC 6043 §5.5: TRANSFER_INIT || Identity_i || Identity_r, with the keys of §5.2.
    if (auto ok = ticket::verify_message_mac(b, m->message(), c.mac, c.last->auth_key.view(),
                                             ticket::v_inputs{.identity_i = identity(c.id_i), .identity_r = identity(c.id_r)});
        !ok) {
        return ok.error_info();
    }
    // RFC 6043 §5.2: an update's crypto sessions are "handled as in the initial exchange", in the
    // GENERIC-ID map the Ticket Transfer exchange uses (§6.1; the Empty map is for Request and
    // Resolve messages without crypto sessions, §4.2.1.1, §4.2.3.1).
    if (m->header().map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
    if (auto ok = check_answer_keys(c, m->header(), answer_keys); !ok) return ok.error_info();
    const auto sent_t = ntp_time::from_payload(m->t().kind(), m->t().value());
    if (!sent_t) return errc::stale_timestamp;
    next.t = *sent_t;
    const party sender = c.self == party::initiator ? party::responder : party::initiator;
    if (m->kemac() && !c.may_send_kemac(sender)) return errc::unexpected_payload;
    const auto hdr = m->header();
    std::array<std::uint8_t, ticket::max_kemac_plain> plain{};
    wipe_on_exit<B> wipe_plain(&b, plain);
    std::optional<key_data_list> fresh_keys;
    if (m->kemac()) {
        if (m->kemac()->mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
        if (auto ok = policy.check_suite(algorithm_suite{c.prf, m->kemac()->encryption(), c.mac}); !ok) {
            return ok.error_info();
        }
        crypto::protection_keys derived;
        const auto ck = c.last->cipher_keys(b, m->kemac()->encryption(), hdr.csb(), iv_time(m->t()), derived);
        if (!ck) return ck.error_info();
        auto list = crypto::open_kemac(b, *m->kemac(), *ck, plain);
        if (!list) return list.error_info();
        fresh_keys.emplace(*list);
    }
    cs_map map;  // the update's crypto sessions, as the answer names them
    for (const auto& blk : generic_id_map(hdr.map_info())) {
        if (!map.add(blk)) return errc::bad_crypto_sessions;
        if (auto ok = received_key(b, c, blk, fresh_keys, next, map.size() - 1); !ok) return ok.error_info();
    }
    if (map.size() == 0) return errc::bad_crypto_sessions;
    next.count = map.size();
    if (hdr.v_flag()) {
        if (auto ok = take_answer_keys(b, c, answer_keys, map, next); !ok) return ok.error_info();
    }
    // RFC 6043 §5.2: "The crypto sessions negotiation (#CS field, CS ID map info field, and SP payloads)
    // are handled as in the initial exchange"; §6.1.1: "In response messages, #P SHALL always be exactly 1."
    response_policies sps;
    if (auto ok = sps.choose(policy, m->message(), map.view(), [&](std::size_t i) { return key_length_of(c, next, i); },
                             c.suite(), hdr.v_flag(), offered_choice{}, c.policies);
        !ok) {
        return ok.error_info();
    }
    next.policies = std::move(sps.negotiated);
    if (auto ok = fresh(policy, m->message(), m->t(), m->mac(), now); !ok) return ok.error_info();
    // RFC 6043 §5.2: "MUST use new timestamps": newer than every message under these keys.
    if (!(c.last->t < *sent_t)) return errc::stale_timestamp;
    if (!hdr.v_flag()) return bytes_view{};
    sps.name_in(map.blocks.mutable_view());
    return seal_update_answer(b, now, out, c, hdr, map, sps.own(), in, answer_keys, next);
}

/// open_update_as with the composition the peer of `c.self` sends.
template <crypto::crypto_backend B, common_policy P>
[[nodiscard]] result<bytes_view> open_update(B& b, const P& policy, bytes_view in, ntp_time now, mutable_bytes out,
                                             const update_context& c, std::span<const owned_key> answer_keys,
                                             key_set& next) noexcept {
    if (c.self == party::responder) {
        return open_update_as<B, P, ticket::transfer_init_update_view>(b, policy, in, now, out, c, answer_keys, next);
    }
    return open_update_as<B, P, ticket::transfer_init_update_by_responder_view>(b, policy, in, now, out, c, answer_keys,
                                                                                next);
}

/// The keys of the KEMAC in the answer `m` to our update `sent`, taken into
/// `keys` (slot i: the i-th crypto session of the update) for the sessions
/// whose SPI names one (RFC 6043 §5.2, handled as in the initial exchange's
/// TRANSFER_RESP, §4.2.2.3); bit i of the result set for each. The answer's
/// CS ID map lists the update's crypto sessions in its order
/// (check_answer_map); a session it does not key names the update's SPI
/// (or none).
/// Errors: mac_not_allowed, the policy's suite errors,
/// stale_timestamp (T not after the update's `sent_t`: the same keys and T
/// would repeat its key stream), key_unwrap_failure, missing_key,
/// crypto_backend_failure.
template <crypto::crypto_backend B, common_policy P, class View>
[[nodiscard]] result<std::uint32_t> answer_keys_of(B& b, const P& policy, const View& m, const hdr_view& sent,
                                                   ntp_time sent_t, const update_context& c,
                                                   std::array<session_key, max_crypto_sessions>& keys) noexcept {
    const kemac_view& kemac = *m.kemac();
    const auto hdr = m.header();
    if (kemac.mac_algorithm() != mac_alg::null) return errc::mac_not_allowed;
    if (auto ok = policy.check_suite(algorithm_suite{c.prf, kemac.encryption(), c.mac}); !ok) return ok.error_info();
    const auto t = ntp_time::from_payload(m.t().kind(), m.t().value());
    if (!t || !(sent_t < *t)) return errc::stale_timestamp;
    crypto::protection_keys derived;
    const auto ck = c.last->cipher_keys(b, kemac.encryption(), hdr.csb(), iv_time(m.t()), derived);
    if (!ck) return ck.error_info();
    std::array<std::uint8_t, ticket::max_kemac_plain> plain{};
    wipe_on_exit<B> wipe_plain(&b, plain);
    const auto list = crypto::open_kemac(b, kemac, *ck, plain);
    if (!list) return list.error_info();
    const std::optional<key_data_list> fresh_keys(*list);
    // The maps pair one to one (check_answer_map), and `sent` is our own update (seal_update): at most
    // max_crypto_sessions blocks, so `keys` is indexed in range.
    std::uint32_t taken = 0;
    std::size_t i = 0;
    auto ours = generic_id_map(sent.map_info()).begin();
    for (const auto& blk : generic_id_map(hdr.map_info())) {
        const auto k = named_key(fresh_keys, blk);
        if (!k) return k.error_info();
        if (*k) {
            if (auto ok = key_from_update(b, c, blk, **k, keys[i]); !ok) return ok.error_info();
            taken |= std::uint32_t{1} << i;
        } else if (!blk.spi.empty() && !equal_bytes(blk.spi, ours->spi)) {
            return errc::missing_key;  // RFC 6043 §6.1.1: an SPI no key has (neither the update's nor a KEMAC's)
        }
        ++ours;
        ++i;
    }
    return taken;
}

/// The security policies our update `sent` (seal_update's, so well formed)
/// offered: for each crypto session, the SP payloads its block lists, in
/// its order (none when no block lists one).
[[nodiscard]] inline policy_list offers_of(bytes_view sent, const hdr_view& sent_hdr) {
    policy_list offered;
    const auto blocks = generic_id_map(sent_hdr.map_info());
    if (std::none_of(blocks.begin(), blocks.end(), [](const auto& blk) { return !blk.policies.empty(); })) return offered;
    const auto m = message_view::parse(sent);
    if (!m) return offered;
    for (const auto& blk : blocks) {
        for (const std::uint8_t no : blk.policies) {
            if (const auto sp = sp_numbered(*m, no)) offered.add(blk.cs_id, *sp);
        }
    }
    return offered;
}

/// Checks the CS ID map of the answer `m` to our update `sent` (RFC 6043
/// §5.2, "handled as in the initial exchange"): a GENERIC-ID map listing the
/// update's crypto sessions, in its order, with their SSRCs, each block
/// naming one security policy (check_answer against the update's offers:
/// one offered for the session is taken, the session's policy in force is
/// taken as it is, another one is a changed policy), which go into
/// `chosen`. `offered` are the update's offers (offers_of). Errors:
/// bad_crypto_sessions, check_answer's.
template <common_policy P>
[[nodiscard]] result<void> check_answer_map(const P& policy, const message_view& m, const hdr_view& sent,
                                            const policy_list& offered, const update_context& c,
                                            policy_list& chosen) noexcept {
    const auto hdr = m.header();
    if (hdr.map_type() != cs_id_map_type::generic_id) return errc::bad_crypto_sessions;
    sp_numbers resp_sps(m);
    auto ours = generic_id_map(sent.map_info()).begin();
    const auto ours_end = generic_id_map(sent.map_info()).end();
    for (const auto& blk : generic_id_map(hdr.map_info())) {
        if (ours == ours_end) return errc::bad_crypto_sessions;
        const auto mine = session_of(*ours), theirs = session_of(blk);
        if (mine.cs_id != theirs.cs_id || mine.ssrc != theirs.ssrc) return errc::bad_crypto_sessions;
        const auto sp = check_answer(policy, resp_sps, blk, offered, c.suite(), policy_in_force(c.policies, blk));
        if (!sp) return sp.error_info();
        chosen.add(blk.cs_id, *sp);
        ++ours;
    }
    if (ours != ours_end) return errc::bad_crypto_sessions;
    return {};
}

/// Verifies the TRANSFER_RESP answering the update `sent` that `c.self`
/// started; the security policies it names (check_answer_map) become
/// `next.policies`, keys its KEMAC carries replace those of `next` (the
/// update's keys, answer_keys_of), and `next.t` becomes its T. Nothing
/// changes on error. Errors: check_answer_map's, answer_keys_of's, and the
/// parse / schema errors, header_mismatch, unexpected_payload (a KEMAC the
/// answering end may not send), mac_not_allowed, identity_mismatch,
/// auth_failure, timestamp_out_of_window, replayed_message,
/// replay_cache_full.
template <crypto::crypto_backend B, common_policy P, class View>
[[nodiscard]] result<void> verify_update_resp_as(B& b, const P& policy, bytes_view in, ntp_time now,
                                                 const update_context& c, bytes_view sent, key_set& next) noexcept {
    const auto m = View::parse(in);
    if (!m) return m.error_info();
    anticipate_fresh(policy, m->message(), m->mac());  // the replay check after the MAC
    const auto init = hdr_view::parse(sent);
    if (!init || m->header().version() != init->version()) return failure{errc::header_mismatch, 3};
    if (auto ok = check_update_fields(*m, c); !ok) return ok.error_info();
    // RFC 6043 §5.2: "If indicated by the Ticket Policy (L and M flags), KEMAC payloads SHALL NOT be included."
    const party answering = c.self == party::initiator ? party::responder : party::initiator;
    if (m->kemac() && !c.may_send_kemac(answering)) return errc::unexpected_payload;
    // RFC 6043 §5.2: "Both messages SHALL be protected with the same keys"; §5.5: || TRANSFER_INIT.
    if (auto ok = ticket::verify_message_mac(b, m->message(), c.mac, c.last->auth_key.view(),
                                             ticket::v_inputs{.initial_message = sent});
        !ok) {
        return ok.error_info();
    }
    policy_list chosen;
    if (auto ok = check_answer_map(policy, m->message(), *init, offers_of(sent, *init), c, chosen); !ok) {
        return ok.error_info();
    }
    std::array<session_key, max_crypto_sessions> keys;
    std::uint32_t taken = 0;
    if (m->kemac()) {
        const auto k = answer_keys_of(b, policy, *m, *init, next.t, c, keys);
        if (!k) return k.error_info();
        taken = *k;
    }
    if (auto ok = fresh(policy, m->message(), m->t(), m->mac(), now); !ok) return ok.error_info();
    // Commit: the answer's keys take the slots they key; its T is the latest under the bundle's keys.
    if (taken != 0) next.t = *ntp_time::from_payload(m->t().kind(), m->t().value());
    for (; taken != 0; taken &= taken - 1) {
        const auto i = static_cast<std::size_t>(std::countr_zero(taken));
        next.kept[i] = key_set::made_here;
        next.key(i) = std::move(keys[i]);
    }
    next.policies = std::move(chosen);
    return {};
}

/// Verifies the TRANSFER_RESP answering the update `sent` that `c.self`
/// started (verify_update_resp_as with the composition the peer sends).
template <crypto::crypto_backend B, common_policy P>
[[nodiscard]] result<void> verify_update_resp(B& b, const P& policy, bytes_view in, ntp_time now,
                                              const update_context& c, bytes_view sent, key_set& next) noexcept {
    if (c.self == party::initiator) {
        return verify_update_resp_as<B, P, ticket::transfer_resp_update_view>(b, policy, in, now, c, sent, next);
    }
    return verify_update_resp_as<B, P, ticket::transfer_resp_update_by_responder_view>(b, policy, in, now, c, sent,
                                                                                       next);
}

/// What both ends of an established bundle keep for CSB updates (RFC 6043
/// §5.2): the keys in force, the keys of the last message of the initial
/// exchange, and keys of an update waiting for its TRANSFER_RESP. The base
/// of initiator and responder, which give the update_context.
class bundle_party {
public:
    /// The keys of each crypto session (from established on).
    [[nodiscard]] std::span<const session_key> session_keys() const noexcept { return {m_keys.data(), m_key_count}; }
    /// The crypto sessions in force (CS ID and SSRC each), e.g. the
    /// `sessions` of a CSB update that only changes keys.
    [[nodiscard]] inline_list<crypto_session_spec, max_crypto_sessions> sessions() const noexcept {
        inline_list<crypto_session_spec, max_crypto_sessions> v;
        for (const auto& k : session_keys()) (void)v.push_back({k.cs.get(), k.ssrc});
        return v;
    }
    /// The T of the last message under the bundle's keys (the initial
    /// exchange's last message, raised by each update sent or taken): a CSB
    /// update is stamped after it (RFC 6043 §5.2, "MUST use new timestamps"),
    /// else refused with stale_timestamp.
    [[nodiscard]] ntp_time last_timestamp() const noexcept { return m_last.t; }

    /// Session keys this end sends in its TRANSFER_RESP to the peer's next
    /// CSB update that asks for an answer (RFC 6043 §5.2: "New keying
    /// material MAY be sent in a KEMAC payload", in either message). Each
    /// keys crypto session `cs_id` of that update, whose block in the
    /// answer's CS ID map then names the key's SPI; both ends take them as
    /// they take an update's keys (a TEK as it is, a TGK / GTGK through D4).
    /// Used by that one answer, then dropped; an empty span drops keys set
    /// before. An update that cannot take them is refused and the keys stay:
    /// policy_not_acceptable (the Ticket Policy's L flag for the Initiator,
    /// M for the Responder, is 0), bad_crypto_sessions (a session the update
    /// does not list), invalid_argument (an SPI another of its sessions has).
    /// Errors: invalid_argument (more than max_crypto_sessions keys, a kind
    /// other than TEK / TGK / GTGK, a salt with a TGK or without a TEK, two
    /// keys for one session or with one SPI, an empty SPI), key_too_short.
    /// On error the keys set before stay.
    [[nodiscard]] result<void> set_update_response_keys(std::span<const supplied_key> keys) {
        if (keys.size() > max_crypto_sessions) return errc::invalid_argument;
        return take_supplied(keys, m_update_response_keys);
    }

protected:
    /// Our update (build_update's errors), offering `offers`. With
    /// `want_response` its keys wait for verify_update_answer; without, they
    /// (and the policies it offers first) take effect at once.
    template <crypto::crypto_backend B, random_generator R>
    [[nodiscard]] result<outcome> send_update(B& b, R& rng, ntp_time now, mutable_bytes out, const update_context& c,
                                              std::span<const crypto_session_spec> sessions,
                                              std::span<const supplied_key> supplied, bool rekey, bool want_response,
                                              std::span<const policy_offer> offers) noexcept {
        key_set next;
        next.borrow_supplied = !want_response;  // applied below, while `supplied` lives
        const auto sealed =
            build_update(b, rng, now, out, c, sessions, supplied, rekey, want_response, next, &m_template, offers);
        if (!sealed) return sealed.error_info();
        // Its T is spent under these keys once sent, answered or not (a later update, even after
        // drop_update, must be newer: RFC 3830 §4.2.3 IV).
        m_last.t = next.t;
        outcome o{errc::ok, 0, *sealed, data_type::transfer_init, 0};
        if (want_response) {
            m_pending = std::make_unique<pending_update>();
            m_pending->keys = std::move(next);
            m_pending->sent.assign(sealed->begin(), sealed->end());
            return o;
        }
        apply(next);
        return o.with(event::keys_established);
    }
    /// The peer's update (open_update's errors): its keys take effect, its
    /// answer (when its V flag asks for one, with the keys of
    /// set_update_response_keys) is in `send`.
    template <crypto::crypto_backend B, common_policy P>
    [[nodiscard]] result<outcome> take_update(B& b, const P& policy, bytes_view in, ntp_time now, mutable_bytes out,
                                              const update_context& c) noexcept {
        key_set next;
        const auto resp = open_update(b, policy, in, now, out, c, m_update_response_keys, next);
        if (!resp) return resp.error_info();
        apply(next);
        drop_update();
        if (!resp->empty()) m_update_response_keys.clear();  // sent (or none were set)
        outcome o{};
        if (!resp->empty()) {
            o.send = *resp;
            o.send_type = data_type::transfer_resp;
        }
        return o.with(event::keys_established);
    }
    /// The answer to our update (verify_update_resp's errors): its keys, and
    /// those its KEMAC carries, take effect.
    template <crypto::crypto_backend B, common_policy P>
    [[nodiscard]] result<outcome> verify_update_answer(B& b, const P& policy, bytes_view in, ntp_time now,
                                                       const update_context& c) noexcept {
        if (!m_pending) return errc::unexpected_in_state;
        if (auto ok = verify_update_resp(b, policy, in, now, c, m_pending->sent, m_pending->keys); !ok) {
            return ok.error_info();
        }
        apply(m_pending->keys);
        drop_update();
        return outcome{}.with(event::keys_established);
    }
    /// Gives up our update waiting for its answer.
    void drop_update() noexcept { m_pending.reset(); }

    std::array<session_key, max_crypto_sessions> m_keys{};
    std::size_t m_key_count = 0;
    last_message_keys m_last{};  ///< of the last message of the initial exchange, T raised by each update
    policy_list m_policies;      ///< the security policy of each crypto session (RFC 6043 §6.1.1)

private:
    /// The keys of `next` take effect. A kept key stays in its slot (no
    /// copy); one the update moves to another slot is copied out first; a
    /// borrowed TEK is copied into its slot.
    void apply(key_set& next) noexcept {
        m_last.t = next.t;
        const std::size_t n = next.count;
        std::bitset<256> before, after;  // the CS IDs in force before and after
        for (const auto& k : session_keys()) before.set(k.cs.get());
        for (std::size_t i = 0; i < n; ++i) {
            const auto k = next.kept[i];
            if (k < 0 || static_cast<std::size_t>(k) == i) continue;
            next.key(i) = m_keys[static_cast<std::size_t>(k)].clone();
            next.kept[i] = key_set::made_here;
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (next.kept[i] == key_set::made_here) {
                m_keys[i] = std::move(next.key(i));
            } else if (next.kept[i] == key_set::borrowed) {
                const supplied_key& k = *next.given[i];
                // Sizes checked by plan_update (key <= 64, salt <= 32 bytes): cannot fail.
                (void)set_as_sent(m_keys[i], {k.cs_id, next.ssrc[i]}, k.kind, k.key, k.salt, k.spi);
            }
            m_keys[i].ssrc = next.ssrc[i];
        }
        for (std::size_t i = n; i < m_key_count; ++i) m_keys[i] = session_key{};  // wipes a dropped session's keys
        m_key_count = n;
        if (next.policies) {
            m_policies = std::move(*next.policies);
            return;
        }
        // Those in force stay, for the crypto sessions that stay (a focus's rekey drops none: no walk).
        for (const auto& k : session_keys()) after.set(k.cs.get());
        if ((before & ~after).any()) m_policies.erase_unless([&after](std::uint8_t cs) { return after.test(cs); });
    }

    /// Our update awaiting its TRANSFER_RESP: its keys and bytes. Held out
    /// of line, only while one waits (a conference focus holds one machine
    /// per member, and rekeys without answers).
    struct pending_update {
        key_set keys;
        std::vector<std::uint8_t> sent;
    };
    std::unique_ptr<pending_update> m_pending;
    update_template m_template;  ///< of our last update
    std::vector<owned_key> m_update_response_keys;  ///< set_update_response_keys
};

}  // namespace detail
}  // namespace mikey::roles

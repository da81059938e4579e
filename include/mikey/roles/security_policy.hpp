// mikey-ticket (roles layer): the security policies (SP payloads, RFC 3830
// §6.10) of the Ticket Transfer exchange, as RFC 6043 negotiates them in
// the GENERIC-ID map (§6.1.1):
//   - the Initiator may offer policies: SP payloads in TRANSFER_INIT, each
//     crypto session's block listing the Policy_no of those it may run
//     (#P > 0; "Multiple SP payloads MAY be used both to indicate supported
//     security policies for a specific crypto session ... and to specify
//     security policies for different crypto sessions", §4.2.2.1);
//   - the Responder answers with exactly one per crypto session ("In
//     response messages, #P SHALL always be exactly 1"): one of the offered
//     ones, named by its Policy_no without resending the SP (§4.2.2.3
//     "SHOULD NOT resend"), or, where none was offered (#P = 0), an SP
//     payload of its own in TRANSFER_RESP;
//   - the Initiator checks that answer.
// With F = 0 there is no answer: a crypto session runs under the first
// policy its block lists, or SRTP's defaults without one (RFC 3830
// §6.10.1). A CSB update negotiates again "as in the initial exchange"
// (§5.2): its answer names one policy per crypto session, the one the
// session has where the update lists none.
//
//   policy_offer            what an Initiator offers (initiator_config)
//   detail::policy_list     SP payloads a machine owns, per crypto session
//   detail::policy_in_force the policy a crypto session runs under (CSB updates)
//   detail::accept_sp, own_sp, accept_changed_sp   the optional policy hooks
//   detail::sp_numbers      the SP payloads of a message by Policy no (one walk at most)
//   detail::sp_verdicts     the policy's verdict on each SP, asked once per message
//   detail::choose_offered  the Responder's choice for one block
//   detail::response_policies  the Responder's choices for one TRANSFER_RESP
//   detail::check_answer    the Initiator's check of one TRANSFER_RESP block (and
//                           either end's of an answer to its CSB update)
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "../core/inline_list.hpp"
#include "../message.hpp"
#include "../payload/hdr.hpp"
#include "../payload/sp.hpp"
#include "outcome.hpp"
#include "policy.hpp"

namespace mikey::roles {

/// Most security policies an Initiator offers.
inline constexpr std::size_t max_policy_offers = 16;

/// A security policy offered in a message that starts an exchange: by the
/// Initiator in TRANSFER_INIT (initiator_config::security_policies), or by
/// either machine in a CSB update (start_update's `offers`, RFC 6043 §5.2).
/// An SP payload (Policy no unique among the offers; Prot type SRTP;
/// parameters, as views the caller keeps alive for the call that takes
/// them, which copies them) and the crypto sessions it is offered for
/// (their CS IDs, each one of the message's sessions; empty: every crypto
/// session of the message). The order of the offers is the order of
/// preference in each block (take_offers).
struct policy_offer {
    sp_builder policy{};
    std::span<const std::uint8_t> cs_ids{};
};

namespace detail {

/// SP payloads a machine owns, each with the crypto sessions it applies to
/// (none listed: every one): the offers of an Initiator, the negotiated
/// policy of each crypto session. One byte vector: entries of
/// count(8) | CS IDs | SP payload (wire encoding, Next Payload 0).
class policy_list {
public:
    /// Appends `sp` for crypto sessions `cs_ids` (allocates).
    /// Errors: invalid_argument (more than 255 CS IDs), the builder's.
    [[nodiscard]] result<void> add(std::span<const std::uint8_t> cs_ids, const sp_builder& sp) {
        if (cs_ids.size() > 0xFF) return errc::invalid_argument;
        const std::size_t at = m_bytes.size();
        const mutable_bytes dst = entry(cs_ids, exact_size(sp));
        const auto w = write_payload(sp, dst);
        if (!w || !sp_view::parse(*w)) {
            m_bytes.resize(at);
            return w ? result<void>(errc::invalid_argument) : result<void>(w.error_info());
        }
        return {};
    }
    /// Appends `sp` for crypto session `cs`.
    [[nodiscard]] result<void> add(std::uint8_t cs, const sp_builder& sp) {
        return add(std::span<const std::uint8_t>(&cs, 1), sp);
    }
    /// Appends the SP `sp` (parsed, so valid: its bytes as they are, but
    /// Next Payload 0) for crypto session `cs`.
    void add(std::uint8_t cs, const sp_view& sp) {
        const mutable_bytes dst = entry(std::span<const std::uint8_t>(&cs, 1), sp.size());
        copy_bytes(dst, sp.bytes());
        dst[0] = 0;
    }
    void clear() noexcept { m_bytes.clear(); }
    [[nodiscard]] bool empty() const noexcept { return m_bytes.empty(); }

    /// f(cs_ids, sp) for each entry, in order.
    template <class F>
    void each(F&& f) const noexcept {
        std::size_t at = 0;
        while (at < m_bytes.size()) {
            const std::size_t n = m_bytes[at];
            const bytes_view ids(m_bytes.data() + at + 1, n);
            const bytes_view rest = bytes_view(m_bytes).subspan(at + 1 + n);
            const auto sp = sp_view::from_validated(rest);  // parsed by add()
            f(ids, sp);
            at += 1 + n + sp.size();
        }
    }
    /// The first entry applying to crypto session `cs`.
    [[nodiscard]] std::optional<sp_view> for_session(std::uint8_t cs) const noexcept MIKEY_LIFETIMEBOUND {
        std::optional<sp_view> out;
        each([&](bytes_view ids, const sp_view& sp) {
            if (!out && (ids.empty() || std::find(ids.begin(), ids.end(), cs) != ids.end())) out.emplace(sp);
        });
        return out;
    }
    /// The entry whose Policy no is `no`.
    [[nodiscard]] std::optional<sp_view> with_no(std::uint8_t no) const noexcept MIKEY_LIFETIMEBOUND {
        std::optional<sp_view> out;
        each([&](bytes_view, const sp_view& sp) {
            if (!out && sp.policy_no() == no) out.emplace(sp);
        });
        return out;
    }
    /// Drops the entries for crypto sessions `keep(cs)` refuses (an entry for
    /// several stays while it keeps one of them; one for every session stays).
    template <class Keep>
    void erase_unless(Keep&& keep) noexcept {
        std::size_t at = 0, to = 0;
        while (at < m_bytes.size()) {
            const std::size_t n = m_bytes[at];
            const std::size_t len = 1 + n + sp_view::from_validated(bytes_view(m_bytes).subspan(at + 1 + n)).size();
            const auto ids = bytes_view(m_bytes).subspan(at + 1, n);
            if (ids.empty() || std::any_of(ids.begin(), ids.end(), keep)) {
                if (to != at) std::memmove(m_bytes.data() + to, m_bytes.data() + at, len);
                to += len;
            }
            at += len;
        }
        m_bytes.resize(to);
    }
    /// The Policy nos of the entries applying to `cs`, in order, into `out`.
    [[nodiscard]] bytes_view nos_for(std::uint8_t cs, std::span<std::uint8_t> out) const noexcept {
        std::size_t n = 0;
        each([&](bytes_view ids, const sp_view& sp) {
            if (n < out.size() && (ids.empty() || std::find(ids.begin(), ids.end(), cs) != ids.end())) {
                out[n++] = sp.policy_no();
            }
        });
        return {out.data(), n};
    }

private:
    /// Appends an entry's count and `cs_ids`, and room for an SP payload of
    /// `n` bytes (returned).
    mutable_bytes entry(std::span<const std::uint8_t> cs_ids, std::size_t n) {
        const std::size_t at = m_bytes.size();
        // One block for the usual lists (up to four entries like the first; a conference
        // focus keeps one list per member, so not more).
        if (m_bytes.capacity() == 0) m_bytes.reserve(4 * (1 + cs_ids.size() + n));
        m_bytes.resize(at + 1 + cs_ids.size() + n);
        m_bytes[at] = static_cast<std::uint8_t>(cs_ids.size());
        std::copy(cs_ids.begin(), cs_ids.end(), m_bytes.begin() + static_cast<std::ptrdiff_t>(at + 1));
        return mutable_bytes(m_bytes).subspan(at + 1 + cs_ids.size());
    }
    std::vector<std::uint8_t> m_bytes;
};

/// Takes security policies a machine offers (in its TRANSFER_INIT, RFC
/// 6043 §4.2.2.1, or in a CSB update, §5.2) into `into`, in order of
/// preference: at most max_policy_offers, each Policy no unique among them
/// (RFC 3830 §6.10: it names one SP payload of the message), each of Prot
/// type SRTP (the type of the crypto sessions our CS ID maps list, RFC 6043
/// §6.1.1: the peer refuses another with sp_prot_mismatch), each for
/// crypto sessions among `sessions`, the message's (an empty list: all of
/// them). Errors: invalid_argument (then `into` is left as it was), the SP
/// builder's.
[[nodiscard]] inline result<void> take_offers(std::span<const policy_offer> offers,
                                              std::span<const crypto_session_spec> sessions, policy_list& into) {
    const auto listed = [sessions](std::uint8_t cs) {
        return std::any_of(sessions.begin(), sessions.end(), [cs](const crypto_session_spec& s) { return s.cs_id == cs; });
    };
    if (offers.size() > max_policy_offers) return errc::invalid_argument;
    policy_list taken;
    for (std::size_t i = 0; i < offers.size(); ++i) {
        const auto& o = offers[i];
        if (o.policy.protocol != prot_type::srtp) return errc::invalid_argument;
        for (std::size_t j = 0; j < i; ++j) {
            if (offers[j].policy.policy_no == o.policy.policy_no) return errc::invalid_argument;
        }
        if (!std::all_of(o.cs_ids.begin(), o.cs_ids.end(), listed)) return errc::invalid_argument;
        if (auto ok = taken.add(o.cs_ids, o.policy); !ok) return ok;
    }
    into = std::move(taken);
    return {};
}

/// What a message that starts an exchange (TRANSFER_INIT, or a CSB update)
/// carries of the offers `offers` (take_offers' list): their SP payloads,
/// and in each GENERIC-ID block the Policy nos offered for its crypto
/// session, in order (RFC 6043 §4.2.2.1, §6.1.1; #P = 0 where none is).
/// Views `offers` and its own bytes: not copyable.
class offer_listing {
public:
    explicit offer_listing(const policy_list& offers) noexcept : m_offers(&offers) {
        offers.each([&](bytes_view, const sp_view& sp) { (void)m_sps.push_back(sp.to_builder()); });
    }
    offer_listing(const offer_listing&) = delete;
    offer_listing& operator=(const offer_listing&) = delete;

    /// Points each block (a CS ID map's) at the Policy nos offered for its
    /// crypto session.
    void list_in(inline_list<generic_id_block, max_crypto_sessions>& blocks) noexcept {
        for (std::size_t i = 0; i < blocks.size(); ++i) blocks[i].policies = m_offers->nos_for(blocks[i].cs_id, m_nos[i]);
    }
    /// The SP payloads, for the message's {SP}.
    [[nodiscard]] std::span<const sp_builder> sps() const noexcept MIKEY_LIFETIMEBOUND { return m_sps.view(); }

private:
    const policy_list* m_offers;
    std::array<std::array<std::uint8_t, max_policy_offers>, max_crypto_sessions> m_nos;
    inline_list<sp_builder, max_policy_offers> m_sps;
};

/// The policy in force in `in_force` (none: nullptr) for the crypto session
/// of block `b`, when it is of the block's Prot type (a CSB update that
/// changes a session's Prot type starts it without one).
[[nodiscard]] inline std::optional<sp_view> policy_in_force(const policy_list* in_force, const generic_id_block& b) noexcept {
    auto sp = in_force ? in_force->for_session(b.cs_id) : std::nullopt;
    if (sp && sp->protocol() != b.prot) sp.reset();
    return sp;
}

/// The policy's accept_security_policy, or default_accept_security_policy.
template <class P>
[[nodiscard]] result<void> accept_sp(const P& p, const sp_view& sp, const algorithm_suite& s) noexcept {
    if constexpr (requires {
                      { p.accept_security_policy(sp, s) } noexcept -> std::same_as<result<void>>;
                  }) {
        return p.accept_security_policy(sp, s);
    } else {
        return default_accept_security_policy(sp, s);
    }
}

/// The policy's own_security_policy, or default_own_security_policy.
template <class P>
[[nodiscard]] result<bytes_view> own_sp(const P& p, prot_type prot, const algorithm_suite& s, std::size_t key_length,
                                        mutable_bytes out) noexcept {
    if constexpr (requires {
                      { p.own_security_policy(prot, s, key_length, out) } noexcept -> std::same_as<result<bytes_view>>;
                  }) {
        return p.own_security_policy(prot, s, key_length, out);
    } else {
        return default_own_security_policy(prot, s, key_length, out);
    }
}

/// The policy's accept_changed_security_policy, or its default (refuse).
template <class P>
[[nodiscard]] result<void> accept_changed_sp(const P& p, const sp_view& sp) noexcept {
    if constexpr (requires {
                      { p.accept_changed_security_policy(sp) } noexcept -> std::same_as<result<void>>;
                  }) {
        return p.accept_changed_security_policy(sp);
    } else {
        return default_accept_changed_security_policy(sp);
    }
}

/// The SP payload of `m` whose Policy no is `no` (the first, in message order).
[[nodiscard]] inline std::optional<sp_view> sp_numbered(const message_view& m, std::uint8_t no) noexcept {
    return m.find<sp_view>([no](const sp_view& v) { return v.policy_no() == no; });
}

/// The SP payloads of one message by Policy no: sp_numbered's answers, with
/// the message walked at most once in all and only as far as the lookups
/// need (a TRANSFER_INIT's blocks name their policies one by one). The SPs
/// passed are kept, up to max_indexed of them; in a message with more, a
/// lookup that misses those walks the message again. Views `m`, which must
/// outlive it.
class sp_numbers {
public:
    static constexpr std::size_t max_indexed = 16;

    explicit sp_numbers(const message_view& m MIKEY_LIFETIMEBOUND) noexcept : m_msg(&m), m_next(&m, 0) {}
    /// sp_numbered(m, no).
    [[nodiscard]] std::optional<sp_view> operator()(std::uint8_t no) noexcept {
        for (const auto& sp : m_sps) {
            if (sp.policy_no() == no) return sp;
        }
        if (m_full) return sp_numbered(*m_msg, no);
        while (m_next.position() < m_msg->payload_count()) {
            const chain_entry e = m_next.current();
            m_next.advance();
            if (e.type != payload_type::sp) continue;
            const auto sp = e.as<sp_view>();
            if (!m_sps.push_back(sp)) {
                m_full = true;
                return sp_numbered(*m_msg, no);
            }
            if (sp.policy_no() == no) return sp;
        }
        return std::nullopt;
    }

private:
    const message_view* m_msg;
    message_view::payload_cursor m_next;  ///< the first payload not walked yet
    inline_list<sp_view, max_indexed> m_sps;
    bool m_full = false;  ///< an SP past the max_indexed kept was met
};

/// accept_sp's verdicts on the SP payloads of one message by Policy no, each
/// asked once however many blocks list it (the verdict depends on the SP
/// and the suite only).
class sp_verdicts {
public:
    /// accept_sp(policy, sp, s), asked of the policy the first time `sp`'s number comes up.
    template <class P>
    [[nodiscard]] bool accepted(const P& policy, const sp_view& sp, const algorithm_suite& s) noexcept {
        const std::size_t no = sp.policy_no();
        const std::uint64_t bit = std::uint64_t{1} << (no % 64);
        if ((m_judged[no / 64] & bit) == 0) {
            m_judged[no / 64] |= bit;
            if (accept_sp(policy, sp, s)) m_accepted[no / 64] |= bit;
        }
        return (m_accepted[no / 64] & bit) != 0;
    }

private:
    std::array<std::uint64_t, 4> m_judged{}, m_accepted{};
};

/// The Responder's choice for GENERIC-ID block `b` of TRANSFER_INIT `ti`:
/// the first of the policies it lists that the policy accepts (with
/// `first_only`, F = 0: the first listed, which must be acceptable);
/// nullopt when it lists none (#P = 0).
/// Errors: sp_not_found (a Policy_no no SP payload of TRANSFER_INIT
/// carries), sp_prot_mismatch, sp_not_acceptable.
/// `sps` are the SP payloads of TRANSFER_INIT; `verdicts` the policy's
/// verdicts so far on them (for the blocks of one message).
template <class P>
[[nodiscard]] result<std::optional<sp_view>> choose_offered(const P& policy, sp_numbers& sps,
                                                            const generic_id_block& b, const algorithm_suite& s,
                                                            bool first_only, sp_verdicts& verdicts) noexcept {
    if (b.policies.empty()) return std::optional<sp_view>{};
    for (const std::uint8_t no : b.policies) {
        // RFC 6043 §6.1.1: "Policy_no_i (8 bits): indicates the security policy payload used for the
        // crypto session".
        const auto sp = sps(no);
        if (!sp) return errc::sp_not_found;
        if (sp->protocol() != b.prot) return errc::sp_prot_mismatch;
        if (verdicts.accepted(policy, *sp, s)) return std::optional<sp_view>(*sp);
        if (first_only) break;
    }
    return errc::sp_not_acceptable;
}

/// The Responder's choice among the offers of the GENERIC-ID blocks of one
/// TRANSFER_INIT, in block order (choose_offered's for each): made by the
/// early check of RFC 6043 §4.2.2.2 and kept for the answer, so that no
/// offer is judged twice. Only the first max_crypto_sessions blocks are kept
/// (a map with more is refused when the answer is built).
struct offered_choice {
    /// Block i: the Policy_no taken, nullopt where the block lists none (#P = 0).
    inline_list<std::optional<std::uint8_t>, max_crypto_sessions> chosen;

    /// Errors: those of choose_offered, for the first block that has them.
    template <class P>
    [[nodiscard]] static result<offered_choice> of(const P& policy, const message_view& ti, const algorithm_suite& s,
                                                   bool first_only) noexcept {
        offered_choice c;
        const auto h = ti.header();
        if (h.map_type() != cs_id_map_type::generic_id) return c;
        sp_numbers sps(ti);
        sp_verdicts verdicts;
        for (const auto& b : generic_id_map(h.map_info())) {
            const auto sp = choose_offered(policy, sps, b, s, first_only, verdicts);
            if (!sp) return sp.error_info();
            if (c.chosen.full()) continue;
            (void)c.chosen.push_back(*sp ? std::optional<std::uint8_t>((*sp)->policy_no()) : std::nullopt);
        }
        return c;
    }
};

/// A Policy no for an SP of the Responder's own: one no SP of TRANSFER_INIT
/// and none of `taken` uses. nullopt when all 256 are used.
[[nodiscard]] inline std::optional<std::uint8_t> fresh_policy_no(sp_numbers& ti_sps, bytes_view taken) noexcept {
    for (unsigned no = 0; no <= 0xFF; ++no) {
        const auto n = static_cast<std::uint8_t>(no);
        if (!ti_sps(n) && std::find(taken.begin(), taken.end(), n) == taken.end()) return n;
    }
    return std::nullopt;
}

/// The Responder's security policies for one TRANSFER_RESP (RFC 6043
/// §4.2.2.3, §6.1.1): per GENERIC-ID block the one Policy_no it names and
/// the SP payloads of its own it sends, and the negotiated SP of each
/// crypto session. Its builders view its own bytes: not copyable.
class response_policies {
public:
    response_policies() noexcept = default;
    response_policies(const response_policies&) = delete;
    response_policies& operator=(const response_policies&) = delete;

    /// Chooses for each block of the Responder's map (`blocks`, the key of
    /// block i `key_length(i)` bytes long) of an exchange with TRANSFER_INIT
    /// `ti`: the first offer the policy accepts (choose_offered; with
    /// `answered` false, F = 0, the first offer; for the first
    /// `early.chosen.size()` blocks, which are TRANSFER_INIT's, the choice
    /// `early` made of the same offers with the same suite and F); where
    /// none was offered, the crypto session's policy in `current` (a CSB
    /// update, RFC 6043 §5.2: the policies in force; one of another Prot
    /// type than the block's does not count), kept as it is without an
    /// answer; else, when `answered`, a policy of its own (own_security_policy
    /// for the key's length). A policy not offered is named by the number of
    /// an SP of TRANSFER_INIT with the same parameters, else sent in an SP
    /// payload of its own (one per distinct policy) with a fresh Policy_no.
    /// Errors: those of choose_offered and own_security_policy;
    /// sp_not_acceptable (no Policy_no left); sp_not_found (`early` names a
    /// Policy_no no SP of `ti` carries: a choice made of another message).
    template <class P, class KeyLength>
    [[nodiscard]] result<void> choose(const P& policy, const message_view& ti, std::span<const generic_id_block> blocks,
                                      KeyLength&& key_length, const algorithm_suite& s, bool answered,
                                      const offered_choice& early, const policy_list* current = nullptr) {
        sp_numbers sps(ti);
        sp_verdicts verdicts;
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            const auto& b = blocks[i];
            std::optional<sp_view> sp;
            if (i < early.chosen.size()) {
                if (const auto no = early.chosen[i]) {
                    sp = sps(*no);
                    if (!sp) return errc::sp_not_found;
                }
            } else {
                const auto offered = choose_offered(policy, sps, b, s, !answered, verdicts);
                if (!offered) return offered.error_info();
                sp = *offered;
            }
            if (!sp) {
                const auto kept = policy_in_force(current, b);
                if (!answered) {
                    if (kept) negotiated.add(b.cs_id, *kept);
                    continue;
                }
                const auto params = kept ? result<bytes_view>(kept->param_bytes())
                                         : own_sp(policy, b.prot, s, key_length(i), m_params[m_own.size()]);
                if (!params) return params.error_info();
                sp = ti.find<sp_view>([&](const sp_view& v) { return v.protocol() == b.prot && equal_bytes(v.param_bytes(), *params); });
                if (!sp) {
                    const auto no = own_number(sps, b.prot, *params);
                    if (!no) return no.error_info();
                    m_chosen[i] = *no;
                    if (auto ok = negotiated.add(b.cs_id, sp_builder{*no, b.prot, {}, *params}); !ok) return ok;
                    continue;
                }
            }
            m_chosen[i] = sp->policy_no();
            negotiated.add(b.cs_id, *sp);
        }
        return {};
    }
    /// Points each block at its one Policy_no (#P = 1; views of this object).
    void name_in(std::span<generic_id_block> blocks) const noexcept {
        for (std::size_t i = 0; i < blocks.size(); ++i) blocks[i].policies = bytes_view(&m_chosen[i], 1);
    }
    /// The SP payloads of its own, for TRANSFER_RESP's {SP}.
    [[nodiscard]] std::span<const sp_builder> own() const noexcept MIKEY_LIFETIMEBOUND { return m_own.view(); }

    policy_list negotiated;  ///< the SP of each crypto session (to commit)

private:
    /// The number of own policy `params` (the same SP as one already chosen,
    /// else a new one). Errors: sp_not_acceptable (all 256 numbers used).
    [[nodiscard]] result<std::uint8_t> own_number(sp_numbers& ti_sps, prot_type prot, bytes_view params) noexcept {
        std::array<std::uint8_t, max_crypto_sessions> taken{};
        for (std::size_t j = 0; j < m_own.size(); ++j) {
            if (m_own[j].protocol == prot && equal_bytes(m_own[j].raw_params, params)) return m_own[j].policy_no;
            taken[j] = m_own[j].policy_no;
        }
        const auto no = fresh_policy_no(ti_sps, bytes_view(taken.data(), m_own.size()));
        if (!no || !m_own.push_back(sp_builder{*no, prot, {}, params})) return errc::sp_not_acceptable;
        return *no;
    }

    std::array<std::uint8_t, max_crypto_sessions> m_chosen{};
    /// Own parameters, [0, m_own.size()] written: the next slot is scratch for own_security_policy.
    std::array<std::array<std::uint8_t, 64>, max_crypto_sessions + 1> m_params;
    inline_list<sp_builder, max_crypto_sessions> m_own;
};

/// The Initiator's check of GENERIC-ID block `b` of TRANSFER_RESP `resp`,
/// against its `offers` (the SP payloads of its TRANSFER_INIT). The Policy
/// no names an SP payload of TRANSFER_RESP or, failing that, one of the
/// offers ("In response messages, the policy_no may refer to a SP payload
/// in the initial message", §6.1.1). An SP the Responder resends under the
/// number of one of ours counts as ours when its bytes are the same (a
/// resend the RFC advises against, harmless), else as a changed policy.
/// When the Initiator offered policies for the crypto session, the chosen
/// one must be one of them unless accept_changed_security_policy takes it;
/// a policy it did not offer (changed, or the Responder's own where none
/// was offered) must pass accept_security_policy. In the answer to a CSB
/// update (RFC 6043 §5.2), `current` is the crypto session's policy in
/// force: the same policy (Prot type and parameters) is taken as it is,
/// another one is a changed policy.
/// Errors: sp_count_not_one, sp_not_found, sp_prot_mismatch, sp_changed,
/// sp_not_acceptable (or what the hooks return).
/// `resp_sps` are the SP payloads of TRANSFER_RESP.
template <class P>
[[nodiscard]] result<sp_view> check_answer(const P& policy, sp_numbers& resp_sps, const generic_id_block& b,
                                           const policy_list& offers, const algorithm_suite& s,
                                           const std::optional<sp_view>& current = std::nullopt) noexcept {
    // RFC 6043 §6.1.1: "In response messages, #P SHALL always be exactly 1."
    if (b.policies.size() != 1) return errc::sp_count_not_one;
    const std::uint8_t no = b.policies[0];
    const auto theirs = resp_sps(no);
    const auto ours = offers.with_no(no);
    if (!theirs && !ours) return errc::sp_not_found;
    const bool is_ours =
        ours && (!theirs || (equal_bytes(theirs->param_bytes(), ours->param_bytes()) && theirs->protocol() == ours->protocol()));
    const sp_view sp = theirs ? *theirs : *ours;
    // RFC 6043 §6.1.1: the SP is that of the block's crypto session, of its Prot type.
    if (sp.protocol() != b.prot) return errc::sp_prot_mismatch;
    std::array<std::uint8_t, max_policy_offers> buf{};
    const bytes_view offered = offers.nos_for(b.cs_id, buf);
    if (is_ours && (offered.empty() || std::find(offered.begin(), offered.end(), no) != offered.end())) return sp;
    const bool same_as_current =
        current && current->protocol() == sp.protocol() && equal_bytes(current->param_bytes(), sp.param_bytes());
    if (same_as_current) return sp;
    if (!offered.empty() || current) {
        // RFC 6043 §6.1.1: "If #P > 0, one of the suggested policies SHOULD be chosen in the response
        // message. If needed ..., the suggested policies MAY be changed." An update's answer naming
        // another policy than the one in force changes it too (§5.2: "as in the initial exchange").
        if (auto ok = accept_changed_sp(policy, sp); !ok) return ok.error_info();
    }
    if (auto ok = accept_sp(policy, sp, s); !ok) return ok.error_info();
    return sp;
}

}  // namespace detail
}  // namespace mikey::roles

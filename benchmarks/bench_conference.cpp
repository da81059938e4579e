// Cost of a conference focus in the group key model (issue 9): joins per
// second with 10, 100 and 1000 members, the rekey each join triggers (a fresh
// group TEK sent to every other member in an RFC 6043 §5.2 CSB update that
// needs no answer), next to the bare Botan crypto the same work needs, and
// the focus's heap bytes per member.
//
//   BM_focus_join/lib/N         the focus's whole cost of one more join into a
//                               conference of N members: on_invite(TRANSFER_INIT)
//                               -> RESOLVE_INIT_PSK, then on_kms(RESOLVE_RESP) ->
//                               TRANSFER_RESP + N CSB updates (TRANSFER_INIT with
//                               KEMAC, no V flag). Only these two calls are
//                               timed (manual time, below): the joiner's
//                               REQUEST_INIT / TRANSFER_INIT and the KMS's
//                               RESOLVE_RESP are made outside them, and the
//                               joiner leaves again outside them (leave rekeys
//                               too), so every join finds exactly N members.
//   BM_focus_join/botan_ref/N   the crypto of that whole join: the join's own
//                               exchange (recorded, replayed: below) + N times
//                               one member's update (below).
//   BM_focus_join_paired/lib/N  the lib join and the botan_ref replay paired in
//                               every iteration, each timed on its own (row time:
//                               the join's); the replay runs in turn where
//                               on_invite runs and right after on_kms. Counters
//                               paired_ratio (join / replay time over the run) and
//                               ref_us: whether the separate rows flatter the
//                               reference (its tight loop against the join between
//                               the harness's calls).
//   BM_rekey/lib/N              focus.leave() of one member of a conference of
//                               N + 1: exactly N CSB updates (the group TEK drawn,
//                               the member's map entry and record entry dropped);
//                               the member joins again untimed.
//   BM_rekey/botan_ref/N        N times one member's update: the reference the
//                               target (<= 1.3x, linear in N) is about.
//   BM_rekey_split/N            the same leave as BM_rekey/lib/N over the
//                               counting backend (log off), its time split in
//                               one run: the ticks (TSC) spent inside Botan
//                               (botan_ticks_per_member) and the rest, the
//                               library's own work (own_ticks_per_member,
//                               own_share). The row's time is the leave's wall
//                               clock only (manual time). Two tick readings per
//                               backend call are added to both sides; the split
//                               shows where the ratio's overhead lies without
//                               a second run on another backend.
//
// One member's update (the per-member reference) is what build_update
// (include/mikey/roles/csb_update.hpp) computes for a member that called in
// with the four crypto sessions of a conference bundle (cs 1 member media:
// the ticket's TGK forked by the KMS, cs 2 focus media: the supplied group
// TEK + salt, cs 3 BFCP and cs 4 event package: the same TGK), 256-bit suite
// (PRF-HMAC-SHA-256, AES-CM-256, HMAC-SHA-256-256), 32-byte TGK and MPKr'.
// The kept sessions keep their keys (same TGK, same RANDs: no D4 run), and
// the bundle keeps the keys of the last message of its initial exchange
// (the focus's TRANSFER_RESP, which carried a KEMAC): the held auth_key signs
// V and the held encr_key / salt_key encrypt the KEMAC (RFC 6043 §5.2: the
// same keys; no D2 run):
//
//   KEMAC (§5.2): AES-CM-256 of one Key data sub-payload
//   (group TEK + salt, KV = SPI), 57 bytes                     1 AES-CTR call
//   V (§5.5): HMAC-SHA-256 over TRANSFER_INIT || IDi || IDr
//   (282 bytes with this benchmark's names)                    1 HMAC
//
// Per member: 1 HMAC keying, 1 HMAC computation, 1 AES-CTR call. From a
// bundle's second update on, the update is patched from the template of its
// last one (roles::detail::update_template); the first one is built in full.
// Both make the same calls (the V MAC input in one piece: one HMAC update), so
// the join's record splits the same way whichever members were just added. The
// botan_ref rows check that the recorded update makes exactly that (no PRF
// run) and fail otherwise (SkipWithError): a library that derives kept keys
// again is caught there. (Until session 7 the library derived the KEMAC's
// encr_key and salt_key for every update: 2 PRF runs more per member, which
// this reference then counted as needed crypto.)
//
// The per-member count is not only read off the code: a focus over a counting
// crypto_backend (botan_replay.hpp, shared with bench_roles) records every
// call one leave() rekey of two members makes; both members' updates must
// have the same shape, and the reference is built from the first one's
// recorded inputs (CTR key / IV / plaintext, MAC key / data), computed on its
// own Botan::MessageAuthenticationCode "HMAC(SHA-256)" and
// Botan::StreamCipher "CTR-BE(AES-256)", and checked once to give the
// recorded outputs (key stream, V tag). Counters macs (each one HMAC keying
// and one computation), ctr_calls, ctr_bytes, mac_bytes (per member);
// lib_wipes counts the library's backend wipes, not in the reference.
// It is repeated N times per iteration on the same data (cost does not depend
// on the bytes).
//
// The join's own crypto (join rows): recorded once per N through a focus over
// the counting backend with N members taking one more member (on_invite, the
// KMS's answer, on_kms). The record must end with N parts of the per-member
// update's shape (the rekey; else SkipWithError), which are cut off; the rest
// is replayed with bare_calls (botan_replay.hpp: the same HMAC set_key /
// update / final, AES-CTR and constant-time compare calls on bare Botan
// objects over one arena, checked once to give the recorded tags and key
// streams). It is, in order: building RESOLVE_INIT_PSK (D1 auth_key from the
// focus's PSK, MAC over the message, which carries the TRANSFER_INIT),
// verifying RESOLVE_RESP (D2 encr / auth / salt key from the PSK, MAC,
// compare, AES-CM of its KEMAC), verifying the joiner's TRANSFER_INIT (D1
// auth_key from MPKi, MAC, compare; Vi = V compare, forking), the bundle's
// keys (D4 TEK and salt for the 3 TGK sessions), building TRANSFER_RESP (D2
// encr / auth / salt key from MPKr', AES-CM of the KEMAC with the group TEK,
// MAC): 14 PRF runs, 4 MACs,
// 2 AES-CTR calls, 3 compares (counters join_hmac_keys, join_hmac_finals,
// join_ctr_calls, join_equals, ...; join_wipes not replayed). Being recorded,
// it accepts as "needed" whatever crypto the library's exchange makes.
//
// Member names have one length (sip:userNNNNNNN@example.org), so every
// member's update makes the same calls on the same byte counts at any N.
//
// Randomness: the timed focus calls draw from botan_replay::bench_rng
// (splitmix64, as in bench_roles), so that neither side pays for an RNG: the
// references replay recorded backend calls, which hold no draw. A join draws
// the group TEK (32 + 14 + 4 bytes) and the RANDs of its messages, a leave
// the group TEK. Until session 14 the lib rows drew them from the world's
// deterministic_rng (AES-256-CTR over the Botan backend), a cost charged to
// the library alone: about 0.25 us of a join (perf, 0.9% of its samples).
// The harness's untimed work (the joiner's side, the KMS) still uses the
// world's generator.
//
// Instructions of the focus's own work: the lib rows' timed calls are
// bracketed by timed_region() (callgrind's collection toggle), so
// `valgrind --tool=callgrind --collect-atstart=no build-prof/benchmarks/bench_conference
// --benchmark_filter='BM_focus_join/lib/10/' --benchmark_min_time=0.000001`
// profiles exactly one join (one iteration, the focus's calls only; call
// counts in the profile include uncollected calls, costs do not). Botan's
// share read off such a profile is too large: valgrind does not emulate the
// SHA extensions, and Botan runs its portable SHA-256 there; the library's
// instructions are exact (libc's include Botan's memcpy / memset). Session 16,
// instructions outside Botan (library, libc, libstdc++): a join into 10
// members 81.8k (library 61.5k), into 100 members 316k (library 232k), so
// about 2.6k per member update and 56k for the join's own exchange; a leave
// of 100 members 269k (library 192k).
//
// Timing of the lib rows: manual time, the focus's calls alone timed with
// std::chrono::steady_clock (two clock reads per call, a vDSO read of 25 ns
// on the development VM), as the reference rows time nothing but their
// crypto. Until session 11 they paused the timer around the harness's work
// (state.PauseTiming / ResumeTiming), and those pairs' own cost fell partly
// inside the measured time: Google Benchmark reads the process CPU-time
// clock there, a system call on the development VM. Measured in one run
// with both timings side by side: a join into 10 members 33.6 us paused vs
// 28.8 us manual, into 100 members 126 us vs 120 us.
//
// Memory (counters of BM_focus_join/lib/N): focus_bytes_per_member is the
// growth of the live heap (glibc mallinfo2, in-use bytes) measured around the
// focus's calls only (on_invite, on_kms, the returned steps dropped) while
// the conference grows from 0 to N, divided by N (amortized: includes the
// map nodes, the std::vector<member> of the record at its capacity, the
// Responder machine per member). grow_bytes_per_member is the same measured
// growing from N to N + k (k = max(8, N / 10)) once the conference is built.
// sizeof_* give the fixed sizes of the per-member objects.
//
// Replay caches: every join runs 61 s after the previous one (strict_3gpp
// window 30 s), so the focus's and the KMS's memory_replay_cache<4096>
// entries expire and never fill.
//
// MIKEY_BENCH_CALLS=1 prints the recorded lists (the per-member update, the
// join's own exchange) to stderr.
#include <benchmark/benchmark.h>

#include <botan/mac.h>
#include <botan/stream_cipher.h>
#include <malloc.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "alloc_counter.hpp"
#include "botan_replay.hpp"
#include "conference_world.hpp"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define MIKEY_BENCH_CALLGRIND 1
#endif

namespace {

using namespace conference_test;
using conference::destination;
using conference::exchange_id;
using conference::step;
using botan_b = crypto::botan_backend;
// The recording machinery shared with bench_roles (botan_replay.hpp).
using botan_replay::bare_calls;
using botan_replay::call;
using botan_replay::call_log;
using botan_replay::counting_backend;
using botan_replay::describe;
using botan_replay::op;
using botan_replay::same_shape;

/// Marks the start and the end of a lib row's timed focus call for callgrind
/// (CALLGRIND_TOGGLE_COLLECT, a few instructions and no effect outside
/// valgrind; nothing without valgrind's header): run under
/// `valgrind --tool=callgrind --collect-atstart=no`, a profile holds the
/// focus's calls alone, not the harness's work between them. See the top comment.
inline void timed_region() noexcept {
#ifdef MIKEY_BENCH_CALLGRIND
    CALLGRIND_TOGGLE_COLLECT;
#endif
}

// ---------------------------------------------------------------------------
// A conference of N members around a focus over backend BK.
// ---------------------------------------------------------------------------
const std::string creator = "sip:alice@example.org";
const std::string conf_uri = "sip:focus1.conference1@operator.example";
constexpr std::chrono::seconds step_time{61};

/// The focus's live heap bytes (glibc: in-use bytes of the arenas + mmapped chunks).
long long live_heap() {
    const auto m = mallinfo2();
    return static_cast<long long>(m.uordblks + m.hblkhd);
}

/// A joiner made ready outside the timed calls: its TRANSFER_INIT to the focus.
struct joiner {
    std::string name;
    conference::exchange_id user_exchange = 0;
    bytes transfer_init;
};

template <class BK>
struct conference_fixture {
    using focus_t = conference::focus<BK, alias_policy, conference::basic_conference_policy>;

    world w{9, {creator}};
    call_log log{{}, false};  ///< counting_backend only: off until a caller records
    std::optional<counting_backend> cb;
    std::optional<focus_t> focus;
    std::size_t next_user = 0;
    botan_replay::bench_rng timed_rng;  ///< what the timed focus calls draw from (see the top comment)
    long long focus_bytes = 0;  ///< live heap growth inside focus calls while building
    long long grow_bytes = 0;   ///< the same growing from N to N + grow_k, once built
    std::size_t grow_k = 0;
    bool checked = false, check_ok = false;
    bool ok = true;
    bytes buf = bytes(4096);

    explicit conference_fixture(std::size_t n) {
        BK* b = nullptr;
        if constexpr (std::is_same_v<BK, botan_b>) {
            b = w.backend.get();
        } else {
            cb.emplace(*w.backend, log);
            b = &*cb;
        }
        auto rec = create();
        if (!rec) {
            ok = false;
            return;
        }
        focus.emplace(*b, *w.p_server, w.conf_policy, w.machines, std::move(*rec));
        for (std::size_t i = 0; i < n && ok; ++i) {
            const joiner j = prepare();
            ok = join(j, i, &focus_bytes) && ok;
            w.users.erase(j.name);  // the member's own agent is not the focus's memory
        }
        ok = ok && focus->conference().members.size() == n;
    }

    /// Flow 1: the creator makes the conference (group model, BFCP and event package sessions).
    std::optional<conference::record> create() {
        auto& alice = w.agent(creator);
        conference::settings cfg{};
        cfg.keys = conference::key_model::group;
        cfg.bfcp = cfg.event_package = true;
        w.factory->set_defaults(cfg);
        auto s = w.kms_round(alice, alice.create(w.names, {}, w.now, *w.rng));
        const auto* ti = s.ok() ? s.to_peer(factory_uri) : nullptr;
        if (!ti) return std::nullopt;
        auto f = w.kms_round(*w.factory, w.factory->on_invite(ti->bytes, w.now, *w.rng));
        if (!f.ok() || !f.created || f.created->uri != conf_uri) return std::nullopt;
        return *f.created;
    }

    /// A fresh user, authorized by the creator, with its ticket and TRANSFER_INIT (61 s later).
    joiner prepare() {
        joiner j;
        // Names of one length (7 digits): every member's CSB update (its V covers IDr)
        // then makes the same calls on the same byte counts, whatever N.
        char name[48];
        std::snprintf(name, sizeof name, "sip:user%07zu@example.org", next_user);
        j.name = name;
        w.now = ntp_time(w.now) + step_time;
        w.add_user(j.name, static_cast<std::uint32_t>(0x10000 + 2 * next_user), true, true);
        ++next_user;
        if (!focus->authorize(creator, j.name)) ok = false;
        auto& u = w.agent(j.name);
        auto s = w.kms_round(u, u.join(conf_uri, {}, w.now, *w.rng));
        const auto* ti = s.ok() ? s.to_peer(conf_uri) : nullptr;
        if (!ti) {
            ok = false;
            return j;
        }
        j.transfer_init.assign(ti->bytes.begin(), ti->bytes.end());
        j.user_exchange = s.id;
        return j;
    }

    /// The KMS's answer to the focus's RESOLVE_INIT in `s` (empty when none).
    bytes kms_answer(const step& s) {
        for (const auto& m : s.messages) {
            if (m.to != destination::kms) continue;
            const auto o = w.kms->receive(m.bytes, w.now, *w.rng, buf);
            if (!o.ok()) return {};
            return bytes(o.send.begin(), o.send.end());
        }
        return {};
    }

    /// The whole join of `j` through the focus (the KMS answers in between);
    /// `members` = the members besides the joiner (each must get a CSB update);
    /// `heap` adds the live heap growth of the focus's calls (the KMS's excluded).
    /// `out` keeps the focus's last step (TRANSFER_RESP and the updates).
    bool join(const joiner& j, std::size_t members, long long* heap = nullptr, step* out = nullptr) {
        const long long before = heap ? live_heap() : 0;
        step f = focus->on_invite(j.transfer_init, w.now, *w.rng);
        const long long m1 = heap ? live_heap() : 0;
        const bytes resp = kms_answer(f);
        const long long m2 = heap ? live_heap() : 0;
        const exchange_id id = f.id;
        const bool sent = f.ok();
        f = {};
        step g = focus->on_kms(id, resp, w.now, *w.rng);
        const bool good = sent && g.ok() && g.done && g.who == j.name && g.messages.size() == members + 1;
        if (out) *out = std::move(g);
        g = {};
        if (heap) *heap += (m1 - before) + (live_heap() - m2);
        return good;
    }

    /// The joiner leaves again and is no longer authorized (the authorized
    /// list, searched on every join, stays at the members plus a few).
    bool remove(const std::string& name) {
        const bool left = focus->leave(name, w.now, *w.rng).ok();
        const bool revoked = focus->revoke(creator, name).has_value();
        w.users.erase(name);
        // The KMS forgets the user too: its key store stays at the members plus a few, as the
        // authorized list does (the harness's untimed work must not grow with the run's length).
        (void)w.ks_kms.remove_psk(ticket::as_bytes(name));
        return left && revoked;
    }

    /// Once: a join gives the joiner the focus's keys, and an existing member
    /// accepts the update and gets the new group TEK.
    bool check(std::size_t n) {
        // (each step right after the previous one: a message is fresh for 30 s, and prepare() moves 61 s on)
        const joiner j1 = prepare();
        step s1, s2;
        bool good = join(j1, n, nullptr, &s1);
        auto& a1 = w.agent(j1.name);
        const auto* r1 = s1.to_peer(j1.name);
        good = good && r1 && a1.on_peer(j1.user_exchange, r1->bytes, w.now, *w.rng).ok() && a1.in_conference(conf_uri);
        const joiner j2 = prepare();
        good = join(j2, n + 1, nullptr, &s2) && good;
        const auto* u2 = s2.to_peer(j1.name);
        good = good && u2 && a1.on_update(conf_uri, u2->bytes, w.now, *w.rng).ok();
        const auto mine = a1.keys_of(conf_uri);
        const auto theirs = focus->keys_of(j1.name);
        good = good && mine.size() == 4 && theirs.size() == 4;
        for (std::size_t i = 0; good && i < 4; ++i) {
            good = mine[i].cs == theirs[i].cs && equal_bytes(mine[i].tek.view(), theirs[i].tek.view()) &&
                   equal_bytes(mine[i].salt.view(), theirs[i].salt.view());
            if (mine[i].cs.get() == conference::cs_focus_media) {
                good = good && equal_bytes(mine[i].tek.view(), focus->group_key()->key.view());
            }
        }
        good = remove(j2.name) && remove(j1.name) && good;
        return good && focus->conference().members.size() == n;
    }
};

constexpr std::size_t sizes[] = {10, 100, 1000};

/// One conference per size and backend, built once per run. Never destroyed:
/// at exit Botan's own statics may be gone before a function-local static map
/// (the program crashed in its exit handlers with a destroyed fixture).
template <class BK>
conference_fixture<BK>& fixture(std::size_t n) {
    static auto* all = new std::map<std::size_t, std::unique_ptr<conference_fixture<BK>>>;
    auto& p = (*all)[n];
    if (!p) p = std::make_unique<conference_fixture<BK>>(n);
    return *p;
}

void report_allocs(benchmark::State& state, std::size_t before) {
    state.counters["allocs"] = benchmark::Counter(
        static_cast<double>(g_allocs.load(std::memory_order_relaxed) - before), benchmark::Counter::kAvgIterations);
}

// ---------------------------------------------------------------------------
// The per-member reference: one member's CSB update crypto (the KEMAC's
// AES-CTR, the V MAC) on bare Botan objects, from the recorded inputs.
// ---------------------------------------------------------------------------
class bare_update {
public:
    /// Per member: MACs (one HMAC keying and one computation each), AES-CTR
    /// calls and their bytes, MAC'd bytes, and the library's backend wipes.
    struct totals {
        std::size_t macs = 0, ctr_calls = 0, ctr_bytes = 0, mac_bytes = 0, lib_wipes = 0;
    };

    /// From the calls of one member's update (recorded by counting_backend).
    explicit bare_update(const std::vector<call>& calls) {
        m_mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
        m_ctr = Botan::StreamCipher::create_or_throw("CTR-BE(AES-256)");
        for (std::size_t i = 0; i < calls.size(); ++i) {
            const call& c = calls[i];
            if (c.kind == op::wipe) {
                ++m_lib_wipes;
                continue;
            }
            if (c.kind == op::aes_ctr) {
                if (c.a.size() != 32 || c.b.size() != 16) m_bad = true;
                m_ctrs.push_back({c.a, c.b, c.c, c.d, bytes(c.c.size())});
                continue;
            }
            if (c.kind == op::hmac_update || c.kind == op::hmac_final) continue;  // taken with their keying
            if (c.kind != op::hmac_key || c.index != 1) {  // a compare, a key wrap, backend random, SHA-1
                m_bad = true;
                continue;
            }
            // Everything up to the next keying belongs to this key: a MAC is updates then one
            // final (a PRF run, with a final in the middle, is not one).
            mac_run m{c.a, {}, {}, bytes(32)};
            for (std::size_t j = i + 1; j < calls.size() && calls[j].kind != op::hmac_key; ++j) {
                if (calls[j].kind == op::hmac_update) {
                    if (!m.expect.empty()) m_bad = true;
                    m.data.insert(m.data.end(), calls[j].b.begin(), calls[j].b.end());
                } else if (calls[j].kind == op::hmac_final) {
                    if (!m.expect.empty()) m_bad = true;
                    m.expect = calls[j].c;
                }
            }
            if (m.expect.empty()) m_bad = true;
            m_macs.push_back(std::move(m));
        }
    }

    /// One member's update crypto.
    void run() {
        for (auto& c : m_ctrs) {
            m_ctr->set_key(c.key.data(), c.key.size());
            m_ctr->set_iv(c.iv.data(), c.iv.size());
            m_ctr->cipher(c.in.data(), c.out.data(), c.in.size());
        }
        for (auto& m : m_macs) {
            m_mac->set_key(m.key.data(), m.key.size());
            m_mac->update(m.data.data(), m.data.size());
            m_mac->final(m.out.data());
        }
    }

    /// Every recorded call was understood and every output is the recorded one.
    [[nodiscard]] bool outputs_match() const {
        if (m_bad || m_macs.empty() || m_ctrs.empty()) return false;
        for (const auto& c : m_ctrs) {
            if (c.out != c.expect) return false;
        }
        for (const auto& m : m_macs) {
            if (m.out != m.expect) return false;
        }
        return true;
    }
    /// The least an update needs, and what the library makes since it keeps
    /// the kept sessions' keys and the last message's auth_key, encr_key and
    /// salt_key: 1 AES-CTR (the KEMAC), 1 MAC (V), no PRF run. A library
    /// that derives kept keys again fails this.
    [[nodiscard]] bool minimal_set() const { return !m_bad && m_ctrs.size() == 1 && m_macs.size() == 1; }
    [[nodiscard]] totals count() const noexcept {
        totals t{m_macs.size(), m_ctrs.size(), 0, 0, m_lib_wipes};
        for (const auto& c : m_ctrs) t.ctr_bytes += c.in.size();
        for (const auto& m : m_macs) t.mac_bytes += m.data.size();
        return t;
    }

private:
    struct ctr_run {
        bytes key, iv, in, expect, out;
    };
    struct mac_run {
        bytes key, data, expect, out;
    };
    std::unique_ptr<Botan::MessageAuthenticationCode> m_mac;
    std::unique_ptr<Botan::StreamCipher> m_ctr;
    std::vector<ctr_run> m_ctrs;
    std::vector<mac_run> m_macs;
    std::size_t m_lib_wipes = 0;
    bool m_bad = false;
};

/// The calls of one member's CSB update: a conference of 3 members, one leaves,
/// the other two get an update each; both must have the same shape.
const std::vector<call>& update_calls() {
    static const std::vector<call> calls = [] {
        conference_fixture<counting_backend> f(3);
        if (!f.ok) return std::vector<call>{};
        const auto& members = f.focus->conference().members;
        const std::string leaving = members.back().identity;
        f.log.calls.clear();
        f.log.on = true;
        const step s = f.focus->leave(leaving, f.w.now, *f.w.rng);
        f.log.on = false;
        if (!s.ok() || s.messages.size() != 2) return std::vector<call>{};
        const std::span<const call> all = f.log.calls;
        // Split after the V MACs: an update ends with the keying of its auth_key, updates, one
        // final (and the wipes after it).
        std::vector<std::size_t> ends;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (all[i].kind != op::hmac_final) continue;
            std::size_t k = i;
            while (k > 0 && all[k - 1].kind == op::hmac_update) --k;
            if (k == 0 || all[k - 1].kind != op::hmac_key) continue;
            if (i + 1 < all.size() && all[i + 1].kind == op::hmac_update) continue;  // A_1 of a PRF run
            std::size_t j = i + 1;
            while (j < all.size() && all[j].kind == op::wipe) ++j;
            ends.push_back(j);
        }
        if (ends.size() != 2 || ends[1] != all.size() || ends[1] - ends[0] != ends[0] ||
            !same_shape(all.subspan(0, ends[0]), all.subspan(ends[0]))) {
            std::fprintf(stderr, "bench_conference: the two members' updates do not make the same calls\n");
            return std::vector<call>{};
        }
        describe("one member's CSB update (leave of 1 of 3 members)", all.subspan(0, ends[0]));
        return std::vector<call>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(ends[0]));
    }();
    return calls;
}

/// The calls of the join's own exchange at size N: a focus over the counting
/// backend with N members takes one more (on_invite, the KMS's answer,
/// on_kms); of what it records, the last N parts must be N CSB updates of the
/// shape of update_calls() (the rekey), and the rest is the join's own crypto
/// (verify TRANSFER_INIT, build RESOLVE_INIT_PSK, verify RESOLVE_RESP, derive
/// the keys, build TRANSFER_RESP with its KEMAC), kept. Recorded once per N;
/// empty when the split is not clean (or the rest differs in shape from the
/// one recorded at another N).
const std::vector<call>& join_calls(std::size_t n) {
    static auto* all = new std::map<std::size_t, std::vector<call>>;
    if (const auto it = all->find(n); it != all->end()) return it->second;
    std::vector<call>& head = (*all)[n];
    const auto& update = update_calls();
    if (update.empty()) return head;
    conference_fixture<counting_backend> f(n);  // log off while the conference is built
    if (!f.ok) return head;
    const joiner j = f.prepare();
    f.log.calls.clear();
    f.log.on = true;
    const bool joined = f.join(j, n);
    f.log.on = false;
    std::vector<call>& rec = f.log.calls;
    const std::size_t per = update.size();
    if (!joined || rec.size() <= n * per) return head;
    const std::size_t own = rec.size() - n * per;
    for (std::size_t i = 0; i < n; ++i) {
        if (!same_shape(std::span<const call>(rec).subspan(own + i * per, per), update)) {
            std::fprintf(stderr, "bench_conference: the join at N = %zu does not end with N updates like the recorded one\n", n);
            return head;
        }
    }
    rec.resize(own);
    // The join's own exchange does not depend on N: a head of another shape at another N
    // means the split is not where it should be.
    for (const auto& [m, other] : *all) {
        if (m != n && !other.empty() && !same_shape(other, rec)) {
            std::fprintf(stderr, "bench_conference: the join's own calls differ between N = %zu and N = %zu\n", m, n);
            return head;
        }
    }
    head = std::move(rec);
    describe("the join's own exchange (without the N updates)", head);
    return head;
}

void report_totals(benchmark::State& state, const bare_update::totals& t) {
    state.counters["macs"] = static_cast<double>(t.macs);
    state.counters["ctr_calls"] = static_cast<double>(t.ctr_calls);
    state.counters["ctr_bytes"] = static_cast<double>(t.ctr_bytes);
    state.counters["mac_bytes"] = static_cast<double>(t.mac_bytes);
    state.counters["lib_wipes"] = static_cast<double>(t.lib_wipes);
}

/// The bare Botan crypto of N members' updates and (join rows) of the join's
/// own exchange, replayed by run(): what the botan_ref rows time per
/// iteration and BM_focus_join_paired times next to each join.
class join_reference {
public:
    join_reference(std::size_t n, const std::vector<call>* join)
        : m_n(n), m_bare(update_calls()), m_own(join ? *join : none()), m_join(join) {}

    /// Replays everything once and checks it: nullptr, or why this is no reference.
    [[nodiscard]] const char* check() {
        m_bare.run();
        if (update_calls().empty() || !m_bare.outputs_match()) {
            return "no stable per-member call list, or the bare Botan crypto does not give the recorded outputs";
        }
        if (!m_bare.minimal_set()) return "a member's update does not make exactly 1 AES-CTR and 1 MAC (and no PRF run)";
        if (m_join) {
            m_own.run();
            if (m_join->empty() || !m_own.outputs_match()) {
                return "the recorded join does not split into its own exchange and N updates, or its replay "
                       "does not give the recorded tags and key streams";
            }
        }
        return nullptr;
    }
    void run() {
        m_own.run();
        for (std::size_t i = 0; i < m_n; ++i) m_bare.run();
    }
    void report(benchmark::State& state) const {
        report_totals(state, m_bare.count());
        if (m_join) botan_replay::report_calls(state, m_own.count(), "join_");
    }

private:
    static const std::vector<call>& none() {
        static const std::vector<call> empty;
        return empty;
    }
    std::size_t m_n;
    bare_update m_bare;
    bare_calls m_own;
    const std::vector<call>* m_join;
};

/// botan_ref rows: per iteration, the join's own crypto replayed (join
/// rows: `join` given) and N members' update crypto.
void run_reference(benchmark::State& state, std::size_t n, const std::vector<call>* join) {
    join_reference ref(n, join);
    if (const char* why = ref.check()) {
        state.SkipWithError(why);
        return;
    }
    const std::size_t before = g_allocs.load(std::memory_order_relaxed);
    for (auto _ : state) {
        ref.run();
        benchmark::ClobberMemory();
    }
    report_allocs(state, before);
    ref.report(state);
    state.counters["members"] = static_cast<double>(n);
    state.counters["ns_per_member"] = benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// ---------------------------------------------------------------------------
// BM_focus_join
// ---------------------------------------------------------------------------
/// The lib rows' fixture at N members, checked once (each joiner gets the
/// focus's keys, each member accepts its update) and its memory growth
/// measured; false (the row skipped) when any check failed.
bool join_fixture_ready(benchmark::State& state, conference_fixture<botan_b>& f, std::size_t n) {
    if (!f.ok) {
        state.SkipWithError("could not build the conference");
        return false;
    }
    if (!f.checked) {
        f.checked = true;
        f.check_ok = f.check(n);
        // Memory: grow N -> N + k, the focus's calls only, then back to N.
        f.grow_k = std::max<std::size_t>(8, n / 10);
        std::vector<std::string> added;
        for (std::size_t i = 0; i < f.grow_k; ++i) {
            const joiner j = f.prepare();
            f.check_ok = f.join(j, n + i, &f.grow_bytes) && f.check_ok;
            added.push_back(j.name);
        }
        for (const auto& a : added) f.check_ok = f.remove(a) && f.check_ok;
    }
    if (!f.check_ok || f.focus->conference().members.size() != n) {
        state.SkipWithError("a join did not give the joiner the focus's keys, or a member did not accept its update");
        return false;
    }
    return true;
}

/// One iteration of a lib join row: the previous joiner (`last`) removed and
/// a new one prepared (untimed), `before_timed()` called, then the focus's
/// two calls timed (the KMS's answer between them untimed). Returns the
/// time of the two calls; `ok` turns false when the join fails.
template <class F>
std::chrono::steady_clock::duration timed_join(conference_fixture<botan_b>& f, std::size_t n, std::string& last, bool& ok,
                                               std::size_t& allocs, F&& before_timed) {
    if (!last.empty()) ok = f.remove(last) && ok;
    const joiner j = f.prepare();
    last = j.name;
    before_timed();
    // Timed: the focus's two calls (their steps dropped), not the harness's work between them.
    const std::size_t a0 = g_allocs.load(std::memory_order_relaxed);
    const auto t0 = std::chrono::steady_clock::now();
    timed_region();
    step s = f.focus->on_invite(j.transfer_init, f.w.now, f.timed_rng);
    timed_region();
    const auto t1 = std::chrono::steady_clock::now();
    const std::size_t a1 = g_allocs.load(std::memory_order_relaxed);
    const bytes resp = f.kms_answer(s);
    const exchange_id id = s.id;
    s = {};
    const std::size_t a2 = g_allocs.load(std::memory_order_relaxed);
    const auto t2 = std::chrono::steady_clock::now();
    timed_region();
    step g = f.focus->on_kms(id, resp, f.w.now, f.timed_rng);
    ok = ok && g.ok() && g.messages.size() == n + 1;
    g = {};
    timed_region();
    const auto t3 = std::chrono::steady_clock::now();
    allocs += (a1 - a0) + (g_allocs.load(std::memory_order_relaxed) - a2);
    return (t1 - t0) + (t3 - t2);
}

void BM_focus_join(benchmark::State& state, std::string_view impl) {
    const auto n = static_cast<std::size_t>(state.range(0));
    if (impl != "lib") {
        run_reference(state, n, &join_calls(n));
        state.counters["joins_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
        return;
    }
    auto& f = fixture<botan_b>(n);
    if (!join_fixture_ready(state, f, n)) return;
    bool ok = true;
    std::size_t allocs = 0;
    std::string last;  // the previous iteration's joiner, removed in this one's untimed part
    for (auto _ : state) {
        const auto t = timed_join(f, n, last, ok, allocs, [] {});
        state.SetIterationTime(std::chrono::duration<double>(t).count());
    }
    if (!last.empty()) ok = f.remove(last) && ok;
    if (!ok) {
        state.SkipWithError("a join inside the timed loop failed");
        return;
    }
    state.counters["allocs"] = benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
    state.counters["joins_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["members"] = static_cast<double>(n);
    state.counters["ns_per_member"] = benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.counters["focus_bytes_per_member"] = static_cast<double>(f.focus_bytes) / static_cast<double>(n);
    state.counters["grow_bytes_per_member"] = static_cast<double>(f.grow_bytes) / static_cast<double>(f.grow_k);
    state.counters["sizeof_responder"] = static_cast<double>(sizeof(focus_type::responder_type));
    state.counters["sizeof_record_member"] = static_cast<double>(sizeof(conference::member));
}

/// BM_focus_join_paired/lib/N: lib and reference paired in every iteration. The
/// join of the lib row and the botan_ref row's replay, each timed on its own
/// (the row's time is the join's, manual), the replay placed in turn where
/// the focus's first call runs (after the harness's untimed work) and right
/// after its second; paired_ratio = join time / replay time over the run.
/// Both sides see the same machine moments and the same cache disturbance
/// between them, which the separate rows (the reference in a tight loop of
/// its own, the join between the harness's untimed calls) do not.
void BM_focus_join_paired(benchmark::State& state, std::string_view /*impl: lib*/) {
    const auto n = static_cast<std::size_t>(state.range(0));
    auto& f = fixture<botan_b>(n);
    if (!join_fixture_ready(state, f, n)) return;
    join_reference ref(n, &join_calls(n));
    if (const char* why = ref.check()) {
        state.SkipWithError(why);
        return;
    }
    bool ok = true;
    std::size_t allocs = 0, k = 0;
    std::string last;
    std::chrono::steady_clock::duration lib{}, bare{};
    const auto replay = [&] {
        const auto t0 = std::chrono::steady_clock::now();
        ref.run();
        benchmark::ClobberMemory();
        bare += std::chrono::steady_clock::now() - t0;
    };
    for (auto _ : state) {
        const bool replay_first = (k++ & 1) == 0;
        const auto t = timed_join(f, n, last, ok, allocs, [&] {
            if (replay_first) replay();
        });
        if (!replay_first) replay();
        lib += t;
        state.SetIterationTime(std::chrono::duration<double>(t).count());
    }
    if (!last.empty()) ok = f.remove(last) && ok;
    if (!ok) {
        state.SkipWithError("a join inside the timed loop failed");
        return;
    }
    state.counters["allocs"] = benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
    state.counters["members"] = static_cast<double>(n);
    state.counters["ref_us"] = std::chrono::duration<double, std::micro>(bare).count() / static_cast<double>(state.iterations());
    state.counters["paired_ratio"] = std::chrono::duration<double>(lib) / std::chrono::duration<double>(bare);
}

// ---------------------------------------------------------------------------
// BM_rekey_split: where a rekey's time goes, measured inside one run.
// ---------------------------------------------------------------------------
void BM_rekey_split(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    auto& f = fixture<counting_backend>(n);  // its log stays off: calls are only timed
    if (!f.ok) {
        state.SkipWithError("could not build the conference");
        return;
    }
    bool ok = true;
    std::uint64_t total = 0, in_botan = 0;
    for (auto _ : state) {
        const joiner j = f.prepare();
        ok = f.join(j, n) && ok;
        f.w.users.erase(j.name);
        f.w.now = ntp_time(f.w.now) + step_time;
        const auto b0 = botan_replay::backend_ticks;
        const auto c0 = std::chrono::steady_clock::now();
        const auto t0 = botan_replay::ticks();
        step s = f.focus->leave(j.name, f.w.now, f.timed_rng);
        ok = ok && s.ok() && s.messages.size() == n;
        s = {};
        total += botan_replay::ticks() - t0;
        state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count());
        in_botan += botan_replay::backend_ticks - b0;
        ok = f.focus->revoke(creator, j.name).has_value() && ok;
    }
    if (!ok || total == 0) {
        state.SkipWithError("a leave did not send N updates");
        return;
    }
    const double per_member = static_cast<double>(state.iterations()) * static_cast<double>(n);
    state.counters["members"] = static_cast<double>(n);
    state.counters["ticks_per_member"] = static_cast<double>(total) / per_member;
    state.counters["botan_ticks_per_member"] = static_cast<double>(in_botan) / per_member;
    state.counters["own_ticks_per_member"] = static_cast<double>(total - in_botan) / per_member;
    state.counters["own_share"] = static_cast<double>(total - in_botan) / static_cast<double>(total);
}

// ---------------------------------------------------------------------------
// BM_rekey: focus.leave() of one member of N + 1 = N CSB updates.
// ---------------------------------------------------------------------------
void BM_rekey(benchmark::State& state, std::string_view impl) {
    const auto n = static_cast<std::size_t>(state.range(0));
    if (impl != "lib") {
        run_reference(state, n, nullptr);
        return;
    }
    auto& f = fixture<botan_b>(n);
    if (!f.ok) {
        state.SkipWithError("could not build the conference");
        return;
    }
    bool ok = true;
    std::size_t allocs = 0;
    std::string last;  // the previous iteration's leaver, revoked in this one's untimed part
    for (auto _ : state) {
        if (!last.empty()) ok = f.focus->revoke(creator, last).has_value() && ok;
        const joiner j = f.prepare();
        last = j.name;
        ok = f.join(j, n) && ok;
        f.w.users.erase(j.name);
        f.w.now = ntp_time(f.w.now) + step_time;
        // Timed: the leave (its step dropped).
        const std::size_t a0 = g_allocs.load(std::memory_order_relaxed);
        const auto t0 = std::chrono::steady_clock::now();
        timed_region();
        step s = f.focus->leave(j.name, f.w.now, f.timed_rng);
        ok = ok && s.ok() && s.messages.size() == n;
        s = {};
        timed_region();
        const auto t1 = std::chrono::steady_clock::now();
        allocs += g_allocs.load(std::memory_order_relaxed) - a0;
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    }
    if (!last.empty()) ok = f.focus->revoke(creator, last).has_value() && ok;
    if (!ok || f.focus->conference().members.size() != n) {
        state.SkipWithError("a leave inside the timed loop did not send N updates");
        return;
    }
    state.counters["allocs"] = benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
    state.counters["members"] = static_cast<double>(n);
    state.counters["ns_per_member"] = benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void sizes_arg(benchmark::internal::Benchmark* b) {
    for (const auto n : sizes) b->Arg(static_cast<std::int64_t>(n));
    b->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK_CAPTURE(BM_focus_join, lib, "lib")->Apply(sizes_arg)->UseManualTime();
BENCHMARK_CAPTURE(BM_focus_join, botan_ref, "botan_ref")->Apply(sizes_arg);
BENCHMARK_CAPTURE(BM_focus_join_paired, lib, "lib")->Apply(sizes_arg)->UseManualTime();
BENCHMARK_CAPTURE(BM_rekey, lib, "lib")->Apply(sizes_arg)->UseManualTime();
BENCHMARK_CAPTURE(BM_rekey, botan_ref, "botan_ref")->Apply(sizes_arg);
BENCHMARK(BM_rekey_split)->Apply(sizes_arg)->UseManualTime();

BENCHMARK_MAIN();

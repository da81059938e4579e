// Cost of the role machines (issue 8): a whole RFC 6043 mode-1 flow with key
// forking through the KMS, Initiator and Responder machines, and the KMS
// answering one REQUEST_INIT_PSK, each next to the bare Botan calls it needs.
//
//   BM_mode1_forking_flow/lib          REQUEST_INIT_PSK, REQUEST_RESP, TRANSFER_INIT,
//                                      RESOLVE_INIT_PSK, RESOLVE_RESP, TRANSFER_RESP:
//                                      all six built, all verified, keys at both ends
//   BM_mode1_forking_flow/botan_calls  the same HMAC set_key / update / final calls
//                                      (same hash, same byte counts, same bytes),
//                                      AES-CTR calls and constant-time compares,
//                                      straight on Botan objects over pre-laid-out
//                                      buffers
//   BM_kms_request/lib                 kms::receive(REQUEST_INIT_PSK) -> REQUEST_RESP
//   BM_kms_request/botan_calls         its Botan calls, as above
//   BM_mode1_forking_flow/lib_only,    the same over a backend without crypto
//   BM_kms_request/lib_only            (null_backend): the library's own work
//
// The call lists are not written by hand: a counting crypto_backend
// (counting_backend in botan_replay.hpp, shared with bench_conference: a model
// of mikey::crypto::crypto_backend that forwards to botan_backend) records
// every call the machines make, with its bytes, during one flow (one KMS
// request); the reference (bare_calls, botan_replay.hpp) replays that list
// on its own Botan objects and is checked once to give the same HMAC tags and
// key streams. A second flow (request) is recorded too and must make the same
// calls on the same byte counts, so one list stands for every timed one. The library's wipes through the backend (secure_scrub_memory
// of scratch buffers) are not in the reference: they count as library
// overhead (their number and bytes are reported as counters).
//
// Setting: 256-bit suite (PRF-HMAC-SHA-256, AES-CM-256, HMAC-SHA-256-256),
// 32-byte PSKs and TPK, desired flags DFGHOEI (forking), policy preset
// strict_3gpp (30 s clock window), TGKs of 32 bytes, two crypto sessions.
// The Initiator machine asks for one session key per crypto session (its TP
// KEMAC, initiator.hpp desired_tp_data), so the ticket carries two TGKs and
// the KMS and the Initiator fork both.
//
// Replay caches: every flow (every KMS request) runs at its own `now`, 61 s
// after the previous one, so the entries of the previous iteration are
// expired (expiry = T + 30 s) and the memory_replay_cache<1024> of each party
// never fills (its insert reuses the first expired slot it probes). The KMS
// benchmark feeds a pool of requests made beforehand at those times and
// resets the KMS's cache (timing paused) when the pool wraps around.
//
// Randomness: a splitmix64 generator (not cryptographic, not through the
// backend) so that neither side pays for an RNG; the machines draw the same
// number of bytes from it as from a real one.
//
// Allocations: this program replaces malloc & co (as bench_wire does), so the
// counter `allocs` sees every heap allocation, Botan's included. Fresh
// Initiator and Responder machines are made for every flow (their
// construction copies the config: strings, vectors); the KMS is one object.
#include <benchmark/benchmark.h>

#include <botan/mac.h>
#include <botan/mem_ops.h>
#include <botan/stream_cipher.h>

#include <array>
#include <bit>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <mikey/crypto/botan_backend.hpp>
#include <mikey/roles/initiator.hpp>
#include <mikey/roles/kms.hpp>
#include <mikey/roles/responder.hpp>

#include "alloc_counter.hpp"
#include "botan_replay.hpp"

namespace {

using namespace mikey;
using botan_b = crypto::botan_backend;
using cache = ticket::memory_replay_cache<1024>;
using policy = roles::basic_policy<ticket::memory_key_store, cache>;
using bytes = std::vector<std::uint8_t>;
// The recording machinery shared with bench_conference (botan_replay.hpp).
using botan_replay::bare_calls;
using botan_replay::call;
using botan_replay::call_log;
using botan_replay::counting_backend;
using botan_replay::describe;
using botan_replay::same_shape;
using botan_replay::bench_rng;

botan_b& backend() {
    static botan_b b = std::move(*botan_b::create());
    return b;
}


// ---------------------------------------------------------------------------
// A crypto_backend without crypto, for the lib_only rows: every HMAC tag is
// zeros, AES-CTR copies, so MACs "verify" and KEMACs "decrypt" and the
// machines run every other step of the flow. Its time is the library's own
// cost (parsing, building, checks, state, wipes), with no Botan call at all.
// ---------------------------------------------------------------------------
class null_backend {
public:
    [[nodiscard]] result<void> hmac_set_key(crypto::hmac_hash, bytes_view) noexcept { return {}; }
    void hmac_update(crypto::hmac_hash, bytes_view data) noexcept { benchmark::DoNotOptimize(data.data()); }
    [[nodiscard]] result<void> hmac_final(crypto::hmac_hash h, mutable_bytes out) noexcept {
        if (out.size() != crypto::hmac_size(h)) return errc::invalid_argument;
        std::memset(out.data(), 0, out.size());
        return {};
    }
    [[nodiscard]] result<void> aes_ctr(bytes_view, bytes_view, bytes_view in, mutable_bytes out) noexcept {
        if (in.size() != out.size()) return errc::invalid_argument;
        if (!in.empty() && in.data() != out.data()) std::memmove(out.data(), in.data(), in.size());
        return {};
    }
    [[nodiscard]] result<void> aes_key_wrap(bytes_view, bytes_view, bytes_view, mutable_bytes) noexcept {
        return errc::unsupported_algorithm;
    }
    [[nodiscard]] result<void> aes_key_unwrap(bytes_view, bytes_view, bytes_view, mutable_bytes) noexcept {
        return errc::unsupported_algorithm;
    }
    [[nodiscard]] result<void> random(mutable_bytes out) noexcept {
        std::memset(out.data(), 0x5a, out.size());
        return {};
    }
    [[nodiscard]] bool equal(bytes_view a, bytes_view b) const noexcept {
        return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
    }
    void wipe(mutable_bytes b) const noexcept { secure_wipe(b); }
};
static_assert(crypto::crypto_backend<null_backend>);

// ---------------------------------------------------------------------------
// The three parties.
// ---------------------------------------------------------------------------
constexpr std::string_view alice = "sip:alice@example.org";
constexpr std::string_view bob = "sip:bob@example.org";
constexpr std::string_view kms_name = "kms.example.org";
const ntp_time base_now = ntp_time::from_unix(1796169600);  // 2026-12-02T00:00:00Z
/// Time between two flows: more than the strict_3gpp clock window (30 s), so
/// the replay entries of the previous flow have expired.
constexpr std::chrono::seconds step{61};

const crypto::algorithm_suite suite256{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256};

template <class BK>
struct world {
    BK* b;
    ticket::memory_key_store ks_kms, ks_i, ks_r;
    std::unique_ptr<cache> c_kms = std::make_unique<cache>(), c_i = std::make_unique<cache>(),
                           c_r = std::make_unique<cache>();
    roles::policy_settings settings = roles::policy_settings::strict_3gpp();
    policy p_kms{ks_kms, *c_kms, settings}, p_i{ks_i, *c_i, settings}, p_r{ks_r, *c_r, settings};
    std::array<roles::crypto_session_spec, 2> cs{{{1, 0x1000}, {2, 0x1001}}};
    std::array<std::string_view, 1> authorized{bob};
    roles::initiator_config ini_cfg{};
    roles::responder_config res_cfg{bob, kms_name, suite256};
    std::optional<roles::kms<BK, policy>> kms;
    std::optional<roles::initiator<BK, policy>> ini;
    std::optional<roles::responder<BK, policy>> res;
    std::array<std::array<std::uint8_t, 4096>, 6> buf{};

    explicit world(BK& backend) : b(&backend) {
        const bytes psk_i(32, 0x11), psk_r(32, 0x22), tpk(32, 0x33);
        const auto id = [](std::string_view x) { return ticket::as_bytes(x); };
        bool ok = ks_kms.add_psk(id(alice), psk_i) && ks_kms.add_psk(id(bob), psk_r) && ks_kms.add_tpk({}, tpk) &&
                  ks_i.add_psk(id(alice), psk_i) && ks_r.add_psk(id(bob), psk_r);
        if (!ok) std::abort();
        ticket_policy desired{};
        desired.prf = prf_func::prf_hmac_sha_256;
        desired.flags = *ticket::flags_from_letters("DFGHOEI");
        ini_cfg = roles::initiator_config{.identity = alice,
                                          .kms_identity = kms_name,
                                          .responder = bob,
                                          .authorized_responders = authorized,
                                          .desired = desired,
                                          .key_kind = key_data_type::tgk,
                                          .key_length = 32,
                                          .sessions = cs,
                                          .suite = suite256};
        kms.emplace(*b, p_kms, roles::kms_config{kms_name, {}});
    }

    void fresh_ends() {
        ini.emplace(*b, p_i, ini_cfg);
        res.emplace(*b, p_r, res_cfg);
    }

    /// One whole mode-1 flow with forking; true when both ends hold keys.
    bool flow(ntp_time now, bench_rng& rng) {
        fresh_ends();
        auto o = ini->start_request(now, rng, buf[0]);  // REQUEST_INIT_PSK
        if (!o || o.send_type != data_type::request_init_psk) return false;
        o = kms->receive(o.send, now, rng, buf[1]);  // REQUEST_RESP
        if (!o || o.send_type != data_type::request_resp) return false;
        o = ini->receive(o.send, now, rng, buf[2]);
        if (!o || !o.has(roles::event::ticket_granted)) return false;
        o = ini->start_transfer(now, rng, buf[2]);  // TRANSFER_INIT
        if (!o || o.send_type != data_type::transfer_init) return false;
        o = res->receive(o.send, now, rng, buf[3]);  // RESOLVE_INIT_PSK
        if (!o || o.send_type != data_type::resolve_init_psk) return false;
        o = kms->receive(o.send, now, rng, buf[4]);  // RESOLVE_RESP
        if (!o || o.send_type != data_type::resolve_resp) return false;
        o = res->receive(o.send, now, rng, buf[5]);  // TRANSFER_RESP
        if (!o || o.send_type != data_type::transfer_resp) return false;
        o = ini->receive(o.send, now, rng, buf[0]);
        return o && o.has(roles::event::keys_established) && o.has(roles::event::peer_authenticated) &&
               ini->session_keys().size() == 2 && res->session_keys().size() == 2;
    }

    /// Both ends hold the same TEKs and salts, and the TGKs were forked.
    [[nodiscard]] bool same_keys() const {
        const auto a = ini->session_keys();
        const auto r = res->session_keys();
        if (a.size() != 2 || r.size() != 2) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (a[i].cs != r[i].cs || !equal_bytes(a[i].tek.view(), r[i].tek.view()) ||
                !equal_bytes(a[i].salt.view(), r[i].salt.view()) || a[i].tek.size() != 32 || a[i].salt.size() != 14) {
                return false;
            }
        }
        return !ini->mpkr_forked().empty() && equal_bytes(ini->mpkr_forked(), res->mpkr_forked());
    }
};

void report_allocs(benchmark::State& state, std::size_t before) {
    state.counters["allocs"] = benchmark::Counter(
        static_cast<double>(g_allocs.load(std::memory_order_relaxed) - before), benchmark::Counter::kAvgIterations);
}

const std::vector<call>& flow_calls() {
    static const std::vector<call> calls = [] {
        call_log log;
        counting_backend cb(backend(), log);
        world<counting_backend> w(cb);
        bench_rng rng;
        log.calls.clear();
        if (!w.flow(base_now, rng) || !w.same_keys()) return std::vector<call>{};
        std::vector<call> first = std::move(log.calls);
        log.calls.clear();
        if (!w.flow(base_now + step, rng) || !same_shape(first, log.calls)) return std::vector<call>{};
        describe("mode-1 forking flow", first);
        return first;
    }();
    return calls;
}

// ---------------------------------------------------------------------------
// BM_mode1_forking_flow
// ---------------------------------------------------------------------------
void BM_mode1_forking_flow(benchmark::State& state, std::string_view impl) {
    if (impl == "lib_only") {
        null_backend nb;
        world<null_backend> w(nb);
        bench_rng rng;
        ntp_time now = base_now;
        bool ok = w.flow(now, rng);
        for (auto _ : state) {
            now = now + step;
            ok = w.flow(now, rng) && ok;
            benchmark::ClobberMemory();
        }
        if (!ok) state.SkipWithError("the flow fails over the null backend");
        return;
    }
    if (impl == "lib") {
        world<botan_b> w(backend());
        bench_rng rng;
        ntp_time now = base_now;
        if (!w.flow(now, rng) || !w.same_keys()) {
            state.SkipWithError("the mode-1 forking flow does not establish the same keys at both ends");
            return;
        }
        bool ok = true;
        const std::size_t before = g_allocs.load(std::memory_order_relaxed);
        for (auto _ : state) {
            now = now + step;
            ok = w.flow(now, rng) && ok;
            benchmark::ClobberMemory();
        }
        report_allocs(state, before);
        // One thread: flows per second of CPU time = flows/s per core.
        state.counters["flows_per_s"] =
            benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
        if (!ok) state.SkipWithError("a flow failed inside the timed loop (replay cache?)");
        return;
    }
    const auto& calls = flow_calls();
    bare_calls bare(calls);
    bare.run();
    if (calls.empty() || !bare.outputs_match()) {
        state.SkipWithError("no stable call list, or the replayed Botan calls do not give the flow's tags and key streams");
        return;
    }
    const std::size_t before = g_allocs.load(std::memory_order_relaxed);
    for (auto _ : state) {
        bare.run();
        benchmark::ClobberMemory();
    }
    report_allocs(state, before);
    botan_replay::report_calls(state, bare.count());
}

// ---------------------------------------------------------------------------
// BM_kms_request
// ---------------------------------------------------------------------------
/// REQUEST_INIT_PSKs made by fresh Initiators over backend `BK`, one per `step`.
template <class BK>
std::vector<bytes> request_pool(BK& be, std::size_t n) {
    world<BK> w(be);
    bench_rng rng{0x1234};
    std::vector<bytes> pool;
    ntp_time now = base_now;
    for (std::size_t i = 0; i < n; ++i, now = now + step) {
        w.fresh_ends();
        const auto o = w.ini->start_request(now, rng, w.buf[0]);
        if (!o) return {};
        pool.emplace_back(o.send.begin(), o.send.end());
    }
    return pool;
}

constexpr std::size_t pool_size = 512;

const std::vector<bytes>& requests() {
    static const std::vector<bytes> pool = request_pool(backend(), pool_size);
    return pool;
}

/// The null backend the KMS lib_only row and its pool share.
null_backend& null_be() {
    static null_backend nb;
    return nb;
}

/// The same over the null backend (zero MACs), for BM_kms_request/lib_only.
const std::vector<bytes>& null_requests() {
    static const std::vector<bytes> pool = request_pool(null_be(), pool_size);
    return pool;
}

/// The Botan calls of the KMS answering the first request of the pool.
const std::vector<call>& kms_calls() {
    static const std::vector<call> calls = [] {
        call_log log;
        counting_backend cb(backend(), log);
        world<counting_backend> w(cb);
        bench_rng rng;
        log.calls.clear();
        std::array<std::uint8_t, 4096> out{};
        const auto o = w.kms->receive(requests()[0], base_now, rng, out);
        if (!o || o.send_type != data_type::request_resp) return std::vector<call>{};
        std::vector<call> first = std::move(log.calls);
        log.calls.clear();
        const auto o2 = w.kms->receive(requests()[1], base_now + step, rng, out);
        if (!o2 || !same_shape(first, log.calls)) return std::vector<call>{};
        describe("KMS request", first);
        return first;
    }();
    return calls;
}

/// The KMS of a world over `be` answering `pool` in a loop (see BM_kms_request).
template <class BK>
void kms_loop(benchmark::State& state, BK& be, const std::vector<bytes>& pool) {
    world<BK> w(be);
    bench_rng rng{77};
    std::array<std::uint8_t, 4096> out{};
    bool ok = true;
    std::size_t i = 0;
    ntp_time now = base_now;
    const std::size_t before = g_allocs.load(std::memory_order_relaxed);
    for (auto _ : state) {
        if (i == pool.size()) {  // wrap around: forget the requests of the previous round
            state.PauseTiming();
            *w.c_kms = cache{};
            i = 0;
            now = base_now;
            state.ResumeTiming();
        }
        const auto o = w.kms->receive(pool[i], now, rng, out);
        ok = ok && o && o.send_type == data_type::request_resp;
        benchmark::DoNotOptimize(o.send.data());
        benchmark::ClobberMemory();
        ++i;
        now = now + step;
    }
    report_allocs(state, before);
    state.counters["requests_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    if (!ok) state.SkipWithError("a request was refused inside the timed loop");
}

void BM_kms_request(benchmark::State& state, std::string_view impl) {
    if (impl == "lib_only") {
        const auto& pool = null_requests();
        if (pool.size() != pool_size) {
            state.SkipWithError("could not make the REQUEST_INIT_PSKs over the null backend");
            return;
        }
        kms_loop(state, null_be(), pool);
        return;
    }
    const auto& pool = requests();
    if (pool.size() != pool_size) {
        state.SkipWithError("could not make the REQUEST_INIT_PSKs");
        return;
    }
    if (impl == "lib") {
        // Correctness first: the answer is a REQUEST_RESP the Initiator that asked accepts.
        {
            world<botan_b> check(backend());
            bench_rng r2{0x1234}, rng{77};
            std::array<std::uint8_t, 4096> out{};
            check.fresh_ends();
            const auto req = check.ini->start_request(base_now, r2, check.buf[0]);
            const auto resp = req ? check.kms->receive(req.send, base_now, rng, out) : req;
            const auto got = resp ? check.ini->receive(resp.send, base_now, rng, check.buf[1]) : resp;
            if (!got || !got.has(roles::event::ticket_granted)) {
                state.SkipWithError("the KMS answer is not accepted by the Initiator");
                return;
            }
        }
        kms_loop(state, backend(), pool);
        return;
    }
    const auto& calls = kms_calls();
    bare_calls bare(calls);
    bare.run();
    if (calls.empty() || !bare.outputs_match()) {
        state.SkipWithError("no stable call list, or the replayed Botan calls do not give the KMS's tags and key streams");
        return;
    }
    const std::size_t before = g_allocs.load(std::memory_order_relaxed);
    for (auto _ : state) {
        bare.run();
        benchmark::ClobberMemory();
    }
    report_allocs(state, before);
    botan_replay::report_calls(state, bare.count());
}

}  // namespace

BENCHMARK_CAPTURE(BM_mode1_forking_flow, lib, "lib");
BENCHMARK_CAPTURE(BM_mode1_forking_flow, botan_calls, "botan_calls");
BENCHMARK_CAPTURE(BM_mode1_forking_flow, lib_only, "lib_only");
BENCHMARK_CAPTURE(BM_kms_request, lib, "lib");
BENCHMARK_CAPTURE(BM_kms_request, botan_calls, "botan_calls");
BENCHMARK_CAPTURE(BM_kms_request, lib_only, "lib_only");

BENCHMARK_MAIN();

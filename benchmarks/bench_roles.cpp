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
//
// The call lists are not written by hand: a counting crypto_backend
// (counting_backend below, a model of mikey::crypto::crypto_backend that
// forwards to botan_backend) records every call the machines make, with its
// bytes, during one flow (one KMS request); the reference replays that list
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

namespace {

using namespace mikey;
using botan_b = crypto::botan_backend;
using cache = ticket::memory_replay_cache<1024>;
using policy = roles::basic_policy<ticket::memory_key_store, cache>;
using bytes = std::vector<std::uint8_t>;

botan_b& backend() {
    static botan_b b = std::move(*botan_b::create());
    return b;
}

/// splitmix64: cheap, deterministic, enough for benchmark RANDs and keys.
struct bench_rng {
    std::uint64_t s = 0x9E3779B97F4A7C15ull;
    [[nodiscard]] result<void> fill(mutable_bytes out) noexcept {
        std::size_t i = 0;
        while (i < out.size()) {
            std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            z ^= z >> 31;
            // Little-endian bytes of z; 8 at a time where they fit (the RNG is the
            // harness's, not the library's: kept cheap so the lib rows measure the machines).
            if (out.size() - i >= 8 && std::endian::native == std::endian::little) {
                std::memcpy(out.data() + i, &z, 8);
                i += 8;
                continue;
            }
            for (std::size_t k = 0; k < 8 && i < out.size(); ++k) out[i++] = static_cast<std::uint8_t>(z >> (8 * k));
        }
        return {};
    }
};
static_assert(random_generator<bench_rng>);

// ---------------------------------------------------------------------------
// A counting crypto_backend: forwards to botan_backend and records each call
// that reaches Botan, with its bytes.
// ---------------------------------------------------------------------------
enum class op : std::uint8_t { hmac_key, hmac_update, hmac_final, aes_ctr, key_wrap, key_unwrap, equal, wipe };

struct call {
    op kind{};
    std::uint8_t index = 0;  ///< HMAC: 0 SHA-1, 1 SHA-256; AES-CTR: 0/1/2 for 128/192/256
    bytes a, b, c, d;        ///< key / data / out (hmac); key, iv, in, out (ctr); a, b (equal); size of a (wipe)
};

struct call_log {
    std::vector<call> calls;
    bool on = true;
    void add(call c) {
        if (on) calls.push_back(std::move(c));
    }
};

class counting_backend {
public:
    counting_backend(botan_b& inner, call_log& log) noexcept : m_b(&inner), m_log(&log) {}

    [[nodiscard]] result<void> hmac_set_key(crypto::hmac_hash h, bytes_view key) noexcept {
        m_log->add({op::hmac_key, idx(h), bytes(key.begin(), key.end()), {}, {}, {}});
        return m_b->hmac_set_key(h, key);
    }
    void hmac_update(crypto::hmac_hash h, bytes_view data) noexcept {
        if (!data.empty()) m_log->add({op::hmac_update, idx(h), {}, bytes(data.begin(), data.end()), {}, {}});
        m_b->hmac_update(h, data);
    }
    [[nodiscard]] result<void> hmac_final(crypto::hmac_hash h, mutable_bytes out) noexcept {
        auto r = m_b->hmac_final(h, out);
        m_log->add({op::hmac_final, idx(h), {}, {}, bytes(out.begin(), out.end()), {}});
        return r;
    }
    [[nodiscard]] result<void> aes_ctr(bytes_view key, bytes_view iv, bytes_view in, mutable_bytes out) noexcept {
        call c{op::aes_ctr, static_cast<std::uint8_t>(key.size() / 8 - 2), bytes(key.begin(), key.end()),
               bytes(iv.begin(), iv.end()), bytes(in.begin(), in.end()), {}};
        auto r = m_b->aes_ctr(key, iv, in, out);
        c.d.assign(out.begin(), out.end());
        m_log->add(std::move(c));
        return r;
    }
    [[nodiscard]] result<void> aes_key_wrap(bytes_view kek, bytes_view iv, bytes_view in, mutable_bytes out) noexcept {
        m_log->add({op::key_wrap, 0, {}, {}, {}, {}});
        return m_b->aes_key_wrap(kek, iv, in, out);
    }
    [[nodiscard]] result<void> aes_key_unwrap(bytes_view kek, bytes_view iv, bytes_view in, mutable_bytes out) noexcept {
        m_log->add({op::key_unwrap, 0, {}, {}, {}, {}});
        return m_b->aes_key_unwrap(kek, iv, in, out);
    }
    [[nodiscard]] result<void> random(mutable_bytes out) noexcept { return m_b->random(out); }
    [[nodiscard]] bool equal(bytes_view a, bytes_view b) const noexcept {
        if (a.size() == b.size() && !a.empty()) m_log->add({op::equal, 0, bytes(a.begin(), a.end()), bytes(b.begin(), b.end()), {}, {}});
        return m_b->equal(a, b);
    }
    void wipe(mutable_bytes b) const noexcept {
        if (!b.empty()) m_log->add({op::wipe, 0, bytes(b.size()), {}, {}, {}});
        m_b->wipe(b);
    }

private:
    static std::uint8_t idx(crypto::hmac_hash h) noexcept { return h == crypto::hmac_hash::sha_1 ? 0 : 1; }
    botan_b* m_b;
    call_log* m_log;
};
static_assert(crypto::crypto_backend<counting_backend>);

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
// The reference: the recorded calls straight on Botan objects.
// ---------------------------------------------------------------------------
class bare_calls {
public:
    struct totals {
        std::size_t hmac_keys = 0, hmac_updates = 0, hmac_finals = 0, hmac_bytes = 0, ctr = 0, ctr_bytes = 0,
                    equals = 0, wipes = 0, wipe_bytes = 0, others = 0;
    };

    /// Lays out every call's bytes in one arena (wipes excluded, see the top).
    explicit bare_calls(const std::vector<call>& calls) {
        m_mac[0] = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-1)");
        m_mac[1] = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
        m_ctr[0] = Botan::StreamCipher::create_or_throw("CTR-BE(AES-128)");
        m_ctr[1] = Botan::StreamCipher::create_or_throw("CTR-BE(AES-192)");
        m_ctr[2] = Botan::StreamCipher::create_or_throw("CTR-BE(AES-256)");
        std::size_t total = 0;
        for (const auto& c : calls) total += c.a.size() + c.b.size() + c.c.size() + c.d.size() + 64;
        m_arena.resize(total);
        std::size_t at = 0;
        const auto place = [&](const bytes& v) {
            std::uint8_t* p = m_arena.data() + at;
            if (!v.empty()) std::memcpy(p, v.data(), v.size());
            at += v.size();
            at = (at + 15) & ~std::size_t{15};
            return p;
        };
        for (const auto& c : calls) {
            step s{};
            s.kind = c.kind;
            s.index = c.index;
            switch (c.kind) {
                case op::hmac_key:
                    s.in = place(c.a), s.n = c.a.size();
                    ++m_totals.hmac_keys;
                    break;
                case op::hmac_update:
                    s.in = place(c.b), s.n = c.b.size();
                    ++m_totals.hmac_updates;
                    m_totals.hmac_bytes += c.b.size();
                    break;
                case op::hmac_final:
                    s.out = place(bytes(c.c.size())), s.n = c.c.size();
                    m_expect.push_back({s.out, c.c});
                    ++m_totals.hmac_finals;
                    break;
                case op::aes_ctr:
                    s.key = place(c.a), s.key_n = c.a.size(), s.iv = place(c.b), s.in = place(c.c),
                    s.out = place(bytes(c.d.size())), s.n = c.c.size();
                    m_expect.push_back({s.out, c.d});
                    ++m_totals.ctr;
                    m_totals.ctr_bytes += c.c.size();
                    break;
                case op::equal:
                    s.in = place(c.a), s.out = place(c.b), s.n = c.a.size();
                    ++m_totals.equals;
                    break;
                case op::wipe:
                    ++m_totals.wipes;
                    m_totals.wipe_bytes += c.a.size();
                    continue;
                default: ++m_totals.others; continue;
            }
            m_steps.push_back(s);
        }
    }

    void run() {
        for (const step& s : m_steps) {
            switch (s.kind) {
                case op::hmac_key: m_mac[s.index]->set_key(s.in, s.n); break;
                case op::hmac_update: m_mac[s.index]->update(s.in, s.n); break;
                case op::hmac_final: m_mac[s.index]->final(s.out); break;
                case op::aes_ctr: {
                    auto& c = *m_ctr[s.index];
                    c.set_key(s.key, s.key_n);
                    c.set_iv(s.iv, 16);
                    c.cipher(s.in, s.out, s.n);
                    break;
                }
                case op::equal: benchmark::DoNotOptimize(Botan::constant_time_compare(s.in, s.out, s.n)); break;
                default: break;
            }
        }
    }

    /// Every HMAC tag and key stream the replay wrote is the recorded one.
    [[nodiscard]] bool outputs_match() const {
        for (const auto& [p, v] : m_expect) {
            if (std::memcmp(p, v.data(), v.size()) != 0) return false;
        }
        return !m_expect.empty() && m_totals.others == 0;
    }
    [[nodiscard]] const totals& count() const noexcept { return m_totals; }

private:
    struct step {
        op kind{};
        std::uint8_t index = 0;
        std::size_t n = 0, key_n = 0;
        const std::uint8_t* in = nullptr;
        const std::uint8_t* key = nullptr;
        const std::uint8_t* iv = nullptr;
        std::uint8_t* out = nullptr;
    };
    std::array<std::unique_ptr<Botan::MessageAuthenticationCode>, 2> m_mac;
    std::array<std::unique_ptr<Botan::StreamCipher>, 3> m_ctr;
    std::vector<std::uint8_t> m_arena;
    std::vector<step> m_steps;
    std::vector<std::pair<const std::uint8_t*, bytes>> m_expect;
    totals m_totals;
};

/// What a recorded call list does, for a reader (MIKEY_BENCH_CALLS=1 prints
/// it to stderr): each HMAC keying names a PRF run by its label constant and
/// RFC 6043 purpose byte (D1 = 1 ... D7 = 6, D3 = 0), or a MAC by the data
/// type of the message it covers.
void describe(const char* what, const std::vector<call>& calls) {
    if (std::getenv("MIKEY_BENCH_CALLS") == nullptr) return;
    struct name {
        std::uint32_t c;
        const char* n;
    };
    static constexpr name names[] = {
        {crypto::label_constant::tek, "TEK"},           {crypto::label_constant::tgk_salt, "TGK salt"},
        {crypto::label_constant::encr_key, "encr_key"}, {crypto::label_constant::auth_key, "auth_key"},
        {crypto::label_constant::salt_key, "salt_key"}, {crypto::label_constant::mpkr_fork, "MPKr'"},
        {crypto::label_constant::tgk_fork, "TGK'"},     {crypto::label_constant::mpki, "MPKi"},
        {crypto::label_constant::mpkr, "MPKr"}};
    std::fprintf(stderr, "%s: %zu backend calls\n", what, calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
        if (calls[i].kind == op::aes_ctr) std::fprintf(stderr, "  AES-CTR %zu bytes\n", calls[i].c.size());
        if (calls[i].kind != op::hmac_key || i + 1 >= calls.size() || calls[i + 1].kind != op::hmac_update) continue;
        const bytes& u = calls[i + 1].b;
        std::size_t finals = 0;
        for (std::size_t j = i + 1; j < calls.size() && calls[j].kind != op::hmac_key; ++j) finals += calls[j].kind == op::hmac_final;
        const std::uint32_t c = u.size() >= 4 ? std::uint32_t(u[0]) << 24 | std::uint32_t(u[1]) << 16 | std::uint32_t(u[2]) << 8 | u[3] : 0;
        const char* n = nullptr;
        for (const auto& x : names) {
            if (x.c == c) n = x.n;
        }
        if (n != nullptr) {
            const int purpose = u.size() > 9 ? u[9] : -1;
            std::fprintf(stderr, "  PRF %-8s purpose %d  inkey %zu  label %zu  finals %zu\n", n, purpose, calls[i].a.size(), u.size(), finals);
        } else {
            std::fprintf(stderr, "  MAC over %zu+ bytes (data type %d)  finals %zu\n", u.size(), u.size() > 1 ? u[1] : -1, finals);
        }
    }
}

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

void report_totals(benchmark::State& state, const bare_calls::totals& t) {
    state.counters["hmac_keys"] = static_cast<double>(t.hmac_keys);
    state.counters["hmac_updates"] = static_cast<double>(t.hmac_updates);
    state.counters["hmac_finals"] = static_cast<double>(t.hmac_finals);
    state.counters["hmac_bytes"] = static_cast<double>(t.hmac_bytes);
    state.counters["ctr_calls"] = static_cast<double>(t.ctr);
    state.counters["ctr_bytes"] = static_cast<double>(t.ctr_bytes);
    state.counters["equals"] = static_cast<double>(t.equals);
    state.counters["wipes"] = static_cast<double>(t.wipes);
    state.counters["wipe_bytes"] = static_cast<double>(t.wipe_bytes);
}

/// Same operations on the same byte counts (the bytes themselves differ).
bool same_shape(const std::vector<call>& x, const std::vector<call>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i].kind != y[i].kind || x[i].index != y[i].index || x[i].a.size() != y[i].a.size() ||
            x[i].b.size() != y[i].b.size() || x[i].c.size() != y[i].c.size() || x[i].d.size() != y[i].d.size()) {
            return false;
        }
    }
    return true;
}

/// The call list of one flow, recorded through counting_backend; a second
/// flow (later `now`, other random values) must make the same calls on the
/// same byte counts, so that one list stands for every timed flow.
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
    report_totals(state, bare.count());
}

// ---------------------------------------------------------------------------
// BM_kms_request
// ---------------------------------------------------------------------------
/// REQUEST_INIT_PSKs made by fresh Initiators, one per `step`.
std::vector<bytes> request_pool(std::size_t n) {
    world<botan_b> w(backend());
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
    static const std::vector<bytes> pool = request_pool(pool_size);
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

void BM_kms_request(benchmark::State& state, std::string_view impl) {
    const auto& pool = requests();
    if (pool.size() != pool_size) {
        state.SkipWithError("could not make the REQUEST_INIT_PSKs");
        return;
    }
    if (impl == "lib") {
        world<botan_b> w(backend());
        bench_rng rng{77};
        std::array<std::uint8_t, 4096> out{};
        // Correctness first: the answer is a REQUEST_RESP the Initiator that asked accepts.
        {
            world<botan_b> check(backend());
            bench_rng r2{0x1234};
            check.fresh_ends();
            const auto req = check.ini->start_request(base_now, r2, check.buf[0]);
            const auto resp = req ? check.kms->receive(req.send, base_now, rng, out) : req;
            const auto got = resp ? check.ini->receive(resp.send, base_now, rng, check.buf[1]) : resp;
            if (!got || !got.has(roles::event::ticket_granted)) {
                state.SkipWithError("the KMS answer is not accepted by the Initiator");
                return;
            }
        }
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
    report_totals(state, bare.count());
}

}  // namespace

BENCHMARK_CAPTURE(BM_mode1_forking_flow, lib, "lib");
BENCHMARK_CAPTURE(BM_mode1_forking_flow, botan_calls, "botan_calls");
BENCHMARK_CAPTURE(BM_mode1_forking_flow, lib_only, "lib_only");
BENCHMARK_CAPTURE(BM_kms_request, lib, "lib");
BENCHMARK_CAPTURE(BM_kms_request, botan_calls, "botan_calls");

BENCHMARK_MAIN();

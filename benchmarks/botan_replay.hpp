// The benchmarks' crypto references from recorded calls (bench_roles,
// bench_conference): a counting crypto_backend records every call the
// library makes through mikey::crypto::crypto_backend, with its bytes, while
// forwarding to botan_backend; bare_calls replays such a list straight on
// Botan objects over one pre-laid-out arena and checks once that it gives
// the recorded HMAC tags and key streams. See benchmarks/README.md.
//
//   call / op        one recorded backend call and its bytes
//   call_log         the list; `on` switches recording (off: nothing is copied)
//   counting_backend a model of crypto_backend over botan_backend that records
//                    (and adds the ticks spent in Botan to backend_ticks)
//   same_shape       two lists make the same calls on the same byte counts
//   bare_calls       the replay (HMAC set_key / update / final with the same
//                    hash, AES-CTR set_key / set_iv / cipher, constant-time
//                    compares); wipes are counted, not replayed (library
//                    overhead); anything else (key wrap, backend random) makes
//                    outputs_match() false: it has no replay here
//   report_calls     a bare_calls::totals as benchmark counters
//   describe         MIKEY_BENCH_CALLS=1: a list, readable, on stderr
//   bench_rng        the randomness the lib rows give the library (splitmix64):
//                    not cryptographic and nearly free, so that neither side of a
//                    comparison pays for an RNG (the references replay no draw)
#pragma once

#include <benchmark/benchmark.h>

#include <botan/mac.h>
#include <botan/mem_ops.h>
#include <botan/stream_cipher.h>

#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <mikey/crypto/botan_backend.hpp>
#include <mikey/core/rng.hpp>
#include <mikey/crypto/labels.hpp>

namespace botan_replay {

using bytes = std::vector<std::uint8_t>;

enum class op : std::uint8_t { hmac_key, hmac_update, hmac_final, aes_ctr, key_wrap, key_unwrap, random, equal, wipe };

struct call {
    op kind{};
    std::uint8_t index = 0;  ///< HMAC: 0 SHA-1, 1 SHA-256; AES-CTR: 0/1/2 for 128/192/256
    bytes a, b, c, d;        ///< key / data / out (hmac); key, iv, in, out (ctr); a, b (equal); size of a (wipe, random)
};

struct call_log {
    std::vector<call> calls;
    bool on = true;
    void add(call c) {
        if (on) calls.push_back(std::move(c));
    }
};

/// splitmix64: cheap, deterministic, enough for benchmark RANDs and keys. The
/// lib rows draw from it in their timed calls; the references replay
/// recorded backend calls, which hold no draw, so an RNG that cost anything
/// would be charged to the library alone.
struct bench_rng {
    std::uint64_t s = 0x9E3779B97F4A7C15ull;
    [[nodiscard]] mikey::result<void> fill(mikey::mutable_bytes out) noexcept {
        std::size_t i = 0;
        while (i < out.size()) {
            std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            z ^= z >> 31;
            // Little-endian bytes of z; 8 at a time where they fit.
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
static_assert(mikey::random_generator<bench_rng>);

/// A cheap tick count: the TSC on x86-64, steady_clock nanoseconds elsewhere.
inline std::uint64_t ticks() noexcept {
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

/// Ticks spent inside Botan by every counting_backend call so far (the
/// reading brackets the forwarded call only, not the recording).
inline std::uint64_t backend_ticks = 0;

/// Adds the ticks of its scope to backend_ticks.
struct in_backend {
    std::uint64_t t0 = ticks();
    in_backend() = default;
    in_backend(const in_backend&) = delete;
    in_backend& operator=(const in_backend&) = delete;
    ~in_backend() { backend_ticks += ticks() - t0; }
};

/// Forwards to botan_backend and records each call that reaches Botan, with
/// its bytes (nothing is copied while the log is off).
class counting_backend {
public:
    using botan_b = mikey::crypto::botan_backend;
    using hmac_hash = mikey::crypto::hmac_hash;

    counting_backend(botan_b& inner, call_log& log) noexcept : m_b(&inner), m_log(&log) {}

    [[nodiscard]] mikey::result<void> hmac_set_key(hmac_hash h, mikey::bytes_view key) noexcept {
        if (m_log->on) m_log->add({op::hmac_key, idx(h), bytes(key.begin(), key.end()), {}, {}, {}});
        const in_backend timed;
        return m_b->hmac_set_key(h, key);
    }
    void hmac_update(hmac_hash h, mikey::bytes_view data) noexcept {
        if (m_log->on && !data.empty()) m_log->add({op::hmac_update, idx(h), {}, bytes(data.begin(), data.end()), {}, {}});
        const in_backend timed;
        m_b->hmac_update(h, data);
    }
    [[nodiscard]] mikey::result<void> hmac_final(hmac_hash h, mikey::mutable_bytes out) noexcept {
        auto r = [&] {
            const in_backend timed;
            return m_b->hmac_final(h, out);
        }();
        if (m_log->on) m_log->add({op::hmac_final, idx(h), {}, {}, bytes(out.begin(), out.end()), {}});
        return r;
    }
    [[nodiscard]] mikey::result<void> aes_ctr(mikey::bytes_view key, mikey::bytes_view iv, mikey::bytes_view in,
                                              mikey::mutable_bytes out) noexcept {
        if (!m_log->on) {
            const in_backend timed;
            return m_b->aes_ctr(key, iv, in, out);
        }
        call c{op::aes_ctr, static_cast<std::uint8_t>(key.size() / 8 - 2), bytes(key.begin(), key.end()),
               bytes(iv.begin(), iv.end()), bytes(in.begin(), in.end()), {}};
        auto r = m_b->aes_ctr(key, iv, in, out);
        c.d.assign(out.begin(), out.end());
        m_log->add(std::move(c));
        return r;
    }
    [[nodiscard]] mikey::result<void> aes_key_wrap(mikey::bytes_view kek, mikey::bytes_view iv, mikey::bytes_view in,
                                                   mikey::mutable_bytes out) noexcept {
        if (m_log->on) m_log->add({op::key_wrap, 0, {}, {}, {}, {}});
        const in_backend timed;
        return m_b->aes_key_wrap(kek, iv, in, out);
    }
    [[nodiscard]] mikey::result<void> aes_key_unwrap(mikey::bytes_view kek, mikey::bytes_view iv, mikey::bytes_view in,
                                                     mikey::mutable_bytes out) noexcept {
        if (m_log->on) m_log->add({op::key_unwrap, 0, {}, {}, {}, {}});
        const in_backend timed;
        return m_b->aes_key_unwrap(kek, iv, in, out);
    }
    [[nodiscard]] mikey::result<void> random(mikey::mutable_bytes out) noexcept {
        if (m_log->on) m_log->add({op::random, 0, bytes(out.size()), {}, {}, {}});
        const in_backend timed;
        return m_b->random(out);
    }
    [[nodiscard]] bool equal(mikey::bytes_view a, mikey::bytes_view b) const noexcept {
        if (m_log->on && a.size() == b.size() && !a.empty()) {
            m_log->add({op::equal, 0, bytes(a.begin(), a.end()), bytes(b.begin(), b.end()), {}, {}});
        }
        const in_backend timed;
        return m_b->equal(a, b);
    }
    void wipe(mikey::mutable_bytes b) const noexcept {
        if (m_log->on && !b.empty()) m_log->add({op::wipe, 0, bytes(b.size()), {}, {}, {}});
        const in_backend timed;
        m_b->wipe(b);
    }

private:
    static std::uint8_t idx(hmac_hash h) noexcept { return h == hmac_hash::sha_1 ? 0 : 1; }
    botan_b* m_b;
    call_log* m_log;
};
static_assert(mikey::crypto::crypto_backend<counting_backend>);

/// Same operations on the same byte counts (the bytes themselves differ).
inline bool same_shape(std::span<const call> x, std::span<const call> y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i].kind != y[i].kind || x[i].index != y[i].index || x[i].a.size() != y[i].a.size() ||
            x[i].b.size() != y[i].b.size() || x[i].c.size() != y[i].c.size() || x[i].d.size() != y[i].d.size()) {
            return false;
        }
    }
    return true;
}

/// The recorded calls straight on Botan objects.
class bare_calls {
public:
    struct totals {
        std::size_t hmac_keys = 0, hmac_updates = 0, hmac_finals = 0, hmac_bytes = 0, ctr = 0, ctr_bytes = 0,
                    equals = 0, wipes = 0, wipe_bytes = 0, others = 0;
    };

    /// Lays out every call's bytes in one arena (wipes excluded: library overhead).
    explicit bare_calls(std::span<const call> calls) {
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

    /// Every HMAC tag and key stream the replay wrote is the recorded one,
    /// and every recorded call was replayed (or is a wipe).
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

/// The counts of a replayed list as counters, each name after `prefix`.
inline void report_calls(benchmark::State& state, const bare_calls::totals& t, std::string_view prefix = {}) {
    const auto set = [&](const char* name, std::size_t v) {
        state.counters[std::string(prefix) + name] = static_cast<double>(v);
    };
    set("hmac_keys", t.hmac_keys);
    set("hmac_updates", t.hmac_updates);
    set("hmac_finals", t.hmac_finals);
    set("hmac_bytes", t.hmac_bytes);
    set("ctr_calls", t.ctr);
    set("ctr_bytes", t.ctr_bytes);
    set("equals", t.equals);
    set("wipes", t.wipes);
    set("wipe_bytes", t.wipe_bytes);
}

/// What a recorded call list does, for a reader (MIKEY_BENCH_CALLS=1 prints
/// it to stderr): each HMAC keying names a PRF run by its label constant and
/// RFC 6043 purpose byte (D1 = 1 ... D7 = 6, D3 = 0), or a MAC by the data
/// type of the message it covers.
inline void describe(const char* what, std::span<const call> calls) {
    if (std::getenv("MIKEY_BENCH_CALLS") == nullptr) return;
    namespace lc = mikey::crypto::label_constant;
    struct name {
        std::uint32_t c;
        const char* n;
    };
    static constexpr name names[] = {{lc::tek, "TEK"},           {lc::tgk_salt, "TGK salt"}, {lc::encr_key, "encr_key"},
                                     {lc::auth_key, "auth_key"}, {lc::salt_key, "salt_key"}, {lc::mpkr_fork, "MPKr'"},
                                     {lc::tgk_fork, "TGK'"},     {lc::mpki, "MPKi"},         {lc::mpkr, "MPKr"}};
    std::fprintf(stderr, "%s: %zu backend calls\n", what, calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
        if (calls[i].kind == op::aes_ctr) std::fprintf(stderr, "  AES-CTR %zu bytes\n", calls[i].c.size());
        if (calls[i].kind == op::equal) std::fprintf(stderr, "  equal %zu bytes\n", calls[i].a.size());
        if (calls[i].kind == op::key_wrap || calls[i].kind == op::key_unwrap || calls[i].kind == op::random) {
            std::fprintf(stderr, "  %s (not replayed)\n", calls[i].kind == op::random ? "random" : "key wrap");
        }
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

}  // namespace botan_replay

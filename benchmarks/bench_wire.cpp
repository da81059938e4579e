// Wire-layer benchmarks (issue 2): parse+validate and build of a
// TRANSFER_INIT carrying a MIKEY base ticket and of a REQUEST_RESP; the same
// RFC 3830 PSK I_MESSAGE parsed by the library and by GStreamer's gstmikey
// (gst_mikey_message_new_from_data + unref) side by side; memcpy of the same
// bytes as the floor. Names follow benchmarks/README.md: BM_<op>/lib is the
// library, BM_<op>/gstreamer and BM_<op>/memcpy the references.
//
// Targets (issue 2): parse >= 20x faster than GStreamer's on the same
// message, 0 allocations, parse throughput >= 1 GB/s of message bytes
// (bytes_per_second, from SetBytesProcessed).
//
// Allocations: this program replaces malloc / calloc / realloc / the aligned
// forms (forwarding to glibc's), so the counter `allocs` sees operator new
// (which calls malloc) and GLib's g_malloc alike; G_SLICE=always-malloc is set
// before GLib starts so that GStreamer's slice allocations are counted too.
#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "../tests/samples.hpp"

#if MIKEY_BENCH_GSTREAMER
#include <gst/gst.h>
#include <gst/sdp/gstmikey.h>
#endif

// ---------------------------------------------------------------------------
// Allocation counter: every heap allocation of the process goes through here.
// ---------------------------------------------------------------------------
namespace {
std::atomic<std::size_t> g_allocs{0};
}

extern "C" {
void* __libc_malloc(std::size_t n);
void* __libc_calloc(std::size_t n, std::size_t m);
void* __libc_realloc(void* p, std::size_t n);
void* __libc_memalign(std::size_t a, std::size_t n);
void __libc_free(void* p);

void* malloc(std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t m) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
void* memalign(std::size_t a, std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(a, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(a, n);
}
int posix_memalign(void** out, std::size_t a, std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    void* p = __libc_memalign(a, n);
    if (p == nullptr) {
        return 12;  // ENOMEM
    }
    *out = p;
    return 0;
}
}

namespace {

using samples::bytes;

const samples::sample& sample(std::string_view name) {
    static const std::vector<samples::sample> all = samples::all();
    for (const auto& s : all) {
        if (s.name == name) {
            return s;
        }
    }
    std::abort();
}

/// An RFC 3830 PSK I_MESSAGE made only of payloads GStreamer's parser
/// handles: HDR (SRTP-ID, 2 crypto sessions), T, RAND, SP, KEMAC with NULL
/// encryption holding TGK+SALT (KV SPI) and TEK+SALT (KV interval).
const bytes& psk_message() {
    static const bytes wire = [] {
        using namespace mikey;
        static const bytes key = samples::filled(16, 0x30);
        static const bytes salt = samples::filled(14, 0x40);
        static const bytes spi = {0x00, 0x07};
        static const bytes from = {0, 0, 0, 0, 0, 0};
        static const bytes to = {0, 0, 0xFF, 0xFF, 0xFF, 0xFF};
        static const srtp_id_entry map[] = {{0, 0x11223344u, 0}, {0, 0x55667788u, 7}};
        static const bytes keys = [] {
            const key_data_builder k1{key_data_type::tgk_salt, key, salt, {kv_type::spi, spi, {}, {}}};
            const key_data_builder k2{key_data_type::tek_salt, key, salt, {kv_type::interval, {}, from, to}};
            bytes out(exact_size(k1) + exact_size(k2));
            byte_writer w(out);
            chain_writer c(w, std::nullopt);
            c.add(k1).add(k2);
            return out;
        }();
        const kemac_builder kemac{encr_alg::null, keys, mac_alg::null, {}};
        return samples::build([&](auto& b) {
            b.header(hdr_builder{data_type::psk_init, true, prf_func::mikey_1, csb_id{0xCAFEBABEu},
                                 std::span<const srtp_id_entry>(map)})
                .add(samples::t())
                .add(rand_builder{{}, samples::rand_i})
                .add(samples::sp())
                .add(kemac);
        });
    }();
    return wire;
}

template <class F>
void count_allocs(benchmark::State& state, std::size_t bytes_per_iteration, F&& body) {
    const std::size_t before = g_allocs.load(std::memory_order_relaxed);
    for (auto _ : state) {
        body();
    }
    const std::size_t allocs = g_allocs.load(std::memory_order_relaxed) - before;
    state.counters["allocs"] = benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(bytes_per_iteration));
}

/// The "memcpy" row of every comparison: copying the message's bytes once,
/// the floor no parse or build can beat.
void copy_baseline(benchmark::State& state, mikey::bytes_view src, mikey::mutable_bytes dst) {
    count_allocs(state, src.size(), [&] {
        benchmark::DoNotOptimize(src.data());
        std::memcpy(dst.data(), src.data(), src.size());
        benchmark::ClobberMemory();
    });
}

// --- parse, and parse + validate --------------------------------------------

/// Parse: message_view::parse, which validates the header, every payload's
/// own rules and the nested chains (the TICKET's TP Data, base-ticket Ticket
/// Data and Initiator Data).
bool parse_only(mikey::bytes_view wire, std::size_t& payloads) {
    const auto m = mikey::message_view::parse(wire);
    payloads = m ? m->payload_count() : 0;
    return static_cast<bool>(m);
}

/// Parse + validate: what a receiver does before touching keys: the parse,
/// the message's composition (check_schema) and the MAC input (mac_input).
bool parse_validate(mikey::bytes_view wire, const mikey::message_schema& schema, std::size_t& payloads) {
    const auto m = mikey::message_view::parse(wire);
    if (!m || !mikey::check_schema(*m, schema)) {
        return false;
    }
    const auto mac = m->mac_input();
    payloads = m->payload_count();
    return static_cast<bool>(mac);
}

void BM_parse(benchmark::State& state, std::string_view impl, std::string_view name,
              const mikey::message_schema* schema, std::size_t expected_payloads) {
    const auto& wire = sample(name).wire;
    std::size_t payloads = 0;
    if (wire.empty() || !parse_validate(wire, *schema, payloads) || payloads != expected_payloads) {
        state.SkipWithError("the sample does not parse and validate to its payloads");
        return;
    }
    if (impl == "lib") {
        count_allocs(state, wire.size(), [&] {
            benchmark::DoNotOptimize(wire.data());
            std::size_t n = 0;
            const bool ok = parse_only(wire, n);
            benchmark::DoNotOptimize(ok);
            benchmark::DoNotOptimize(n);
        });
    } else if (impl == "lib_validate") {
        count_allocs(state, wire.size(), [&] {
            benchmark::DoNotOptimize(wire.data());
            std::size_t n = 0;
            const bool ok = parse_validate(wire, *schema, n);
            benchmark::DoNotOptimize(ok);
            benchmark::DoNotOptimize(n);
        });
    } else {
        std::vector<std::uint8_t> dst(wire.size());
        copy_baseline(state, wire, dst);
    }
}

void BM_parse_transfer_init(benchmark::State& state, std::string_view impl) {
    BM_parse(state, impl, "transfer_init", &mikey::schemas::transfer_init, 7);
}
void BM_parse_request_resp(benchmark::State& state, std::string_view impl) {
    BM_parse(state, impl, "request_resp", &mikey::schemas::request_resp, 5);
}
void BM_parse_validate_transfer_init(benchmark::State& state, std::string_view impl) {
    BM_parse(state, impl == "lib" ? "lib_validate" : impl, "transfer_init", &mikey::schemas::transfer_init, 7);
}
void BM_parse_validate_request_resp(benchmark::State& state, std::string_view impl) {
    BM_parse(state, impl == "lib" ? "lib_validate" : impl, "request_resp", &mikey::schemas::request_resp, 5);
}

// --- build ------------------------------------------------------------------

/// The TRANSFER_INIT of tests/samples.hpp, built from its field values
/// (TP Data, Ticket Data and Initiator Data are ready-made byte strings, as
/// an Initiator holds them after REQUEST_RESP).
mikey::result<mikey::bytes_view> build_transfer_init(mikey::mutable_bytes out) {
    using namespace mikey;
    static const generic_id_block block = samples::cs_block;
    static const ticket_builder ticket = samples::ticket(true);
    message_builder b(out);
    b.header(samples::hdr(data_type::transfer_init, true, std::span<const generic_id_block>(&block, 1)))
        .add(samples::t())
        .add(samples::randr(rand_role::randri, samples::rand_i))
        .add(samples::idr(id_role::idri, "sip:alice@example.org"))
        .add(samples::idr(id_role::idrr, "sip:conf-factory@example.org"))
        .add(samples::sp())
        .add(ticket)
        .add(samples::v());
    return b.finish();
}

/// The REQUEST_RESP of tests/samples.hpp (the KMS's answer).
mikey::result<mikey::bytes_view> build_request_resp(mikey::mutable_bytes out) {
    using namespace mikey;
    static const ticket_builder ticket = samples::ticket(false);
    const kemac_builder kemac{encr_alg::aes_cm_256, samples::encrypted, mac_alg::null, {}};
    message_builder b(out);
    b.header(samples::hdr(data_type::request_resp))
        .add(samples::t())
        .add(samples::idr(id_role::idrkms, "sip:kms@example.org"))
        .add(ticket)
        .add(kemac)
        .add(samples::v());
    return b.finish();
}

template <class Build>
void BM_build(benchmark::State& state, std::string_view impl, std::string_view name, Build build) {
    const auto& expected = sample(name).wire;
    std::array<std::uint8_t, 2048> out{};
    const auto r = build(out);
    if (!r || !std::equal(r->begin(), r->end(), expected.begin(), expected.end())) {
        state.SkipWithError("the build does not give the sample's bytes");
        return;
    }
    if (impl == "lib") {
        count_allocs(state, expected.size(), [&] {
            const auto w = build(out);
            benchmark::DoNotOptimize(w);
            benchmark::ClobberMemory();
        });
    } else {
        copy_baseline(state, expected, out);
    }
}

void BM_build_transfer_init(benchmark::State& state, std::string_view impl) {
    BM_build(state, impl, "transfer_init", build_transfer_init);
}
void BM_build_request_resp(benchmark::State& state, std::string_view impl) {
    BM_build(state, impl, "request_resp", build_request_resp);
}

// --- the same RFC 3830 PSK message: library vs GStreamer ---------------------

/// Library side of what gst_mikey_message_new_from_data does: the whole
/// message, plus the Key data sub-payloads of the NULL-encrypted KEMAC
/// (GStreamer parses them into objects too); `validate` adds the schema check
/// (GStreamer has none).
bool lib_parse_psk(mikey::bytes_view wire, std::size_t& keys, std::uint32_t& csb, bool validate) {
    const auto m = mikey::message_view::parse(wire);
    if (!m || (validate && !mikey::check_schema(*m, mikey::schemas::psk_init))) {
        return false;
    }
    const auto kemac = m->first<mikey::kemac_view>();
    if (!kemac) {
        return false;
    }
    const auto list = mikey::key_data_list::parse(kemac->encrypted_data());
    if (!list) {
        return false;
    }
    keys = list->size();
    csb = m->header().csb().get();
    return true;
}

void BM_parse_psk_init(benchmark::State& state, std::string_view impl) {
    const bytes& wire = psk_message();
    std::size_t keys = 0;
    std::uint32_t csb = 0;
    if (wire.empty() || !lib_parse_psk(wire, keys, csb, true) || keys != 2 || csb != 0xCAFEBABEu) {
        state.SkipWithError("the library does not parse the PSK message as built");
        return;
    }
    if (impl == "lib" || impl == "lib_validate") {
        const bool validate = impl == "lib_validate";
        count_allocs(state, wire.size(), [&] {
            benchmark::DoNotOptimize(wire.data());
            std::size_t k = 0;
            std::uint32_t c = 0;
            const bool ok = lib_parse_psk(wire, k, c, validate);
            benchmark::DoNotOptimize(ok);
            benchmark::DoNotOptimize(k);
        });
    } else if (impl == "gstreamer") {
#if MIKEY_BENCH_GSTREAMER
        GstMIKEYMessage* g = gst_mikey_message_new_from_data(wire.data(), wire.size(), nullptr, nullptr);
        const GstMIKEYPayload* kemac = g ? gst_mikey_message_find_payload(g, GST_MIKEY_PT_KEMAC, 0) : nullptr;
        const bool same = g && g->CSB_id == 0xCAFEBABEu && gst_mikey_message_get_n_payloads(g) == 4 &&
                          gst_mikey_message_get_n_cs(g) == 2 && kemac &&
                          gst_mikey_payload_kemac_get_n_sub(kemac) == 2;
        if (g) {
            gst_mikey_message_unref(g);
        }
        if (!same) {
            state.SkipWithError("GStreamer does not parse the PSK message to the same fields");
            return;
        }
        count_allocs(state, wire.size(), [&] {
            benchmark::DoNotOptimize(wire.data());
            GstMIKEYMessage* m = gst_mikey_message_new_from_data(wire.data(), wire.size(), nullptr, nullptr);
            benchmark::DoNotOptimize(m);
            gst_mikey_message_unref(m);
        });
#else
        state.SkipWithError("built without gstreamer-sdp-1.0");
#endif
    } else {
        std::vector<std::uint8_t> dst(wire.size());
        copy_baseline(state, wire, dst);
    }
}

void BM_parse_validate_psk_init(benchmark::State& state, std::string_view impl) {
    BM_parse_psk_init(state, impl == "lib" ? "lib_validate" : impl);
}

}  // namespace

BENCHMARK_CAPTURE(BM_parse_transfer_init, lib, "lib");
BENCHMARK_CAPTURE(BM_parse_transfer_init, memcpy, "memcpy");
BENCHMARK_CAPTURE(BM_parse_request_resp, lib, "lib");
BENCHMARK_CAPTURE(BM_parse_request_resp, memcpy, "memcpy");
BENCHMARK_CAPTURE(BM_parse_validate_transfer_init, lib, "lib");
BENCHMARK_CAPTURE(BM_parse_validate_transfer_init, memcpy, "memcpy");
BENCHMARK_CAPTURE(BM_parse_validate_request_resp, lib, "lib");
BENCHMARK_CAPTURE(BM_parse_validate_request_resp, memcpy, "memcpy");
BENCHMARK_CAPTURE(BM_build_transfer_init, lib, "lib");
BENCHMARK_CAPTURE(BM_build_transfer_init, memcpy, "memcpy");
BENCHMARK_CAPTURE(BM_build_request_resp, lib, "lib");
BENCHMARK_CAPTURE(BM_build_request_resp, memcpy, "memcpy");
BENCHMARK_CAPTURE(BM_parse_psk_init, lib, "lib");
BENCHMARK_CAPTURE(BM_parse_psk_init, gstreamer, "gstreamer");
BENCHMARK_CAPTURE(BM_parse_psk_init, memcpy, "memcpy");
BENCHMARK_CAPTURE(BM_parse_validate_psk_init, lib, "lib");
BENCHMARK_CAPTURE(BM_parse_validate_psk_init, gstreamer, "gstreamer");

int main(int argc, char** argv) {
    // Before GLib's first allocation: slices through malloc, so they are counted.
    setenv("G_SLICE", "always-malloc", 1);
#if MIKEY_BENCH_GSTREAMER
    gst_init(nullptr, nullptr);
#endif
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

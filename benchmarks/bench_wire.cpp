// Wire-layer benchmarks (issue 2): parse+validate and build of a
// TRANSFER_INIT carrying a MIKEY base ticket and of a REQUEST_RESP; the same
// RFC 3830 PSK I_MESSAGE parsed by the library and by GStreamer's gstmikey
// (gst_mikey_message_new_from_data + unref) side by side, and built by the
// library's builders and by GStreamer's GstMIKEYMessage API +
// gst_mikey_message_to_bytes (issue 8), byte-identical; memcpy of the same
// bytes as the floor. Names follow benchmarks/README.md: BM_<op>/lib is the
// library, BM_<op>/gstreamer and BM_<op>/memcpy the references.
//
// Targets (issue 2): parse >= 20x faster than GStreamer's on the same
// message, 0 allocations, parse throughput >= 1 GB/s of message bytes
// (bytes_per_second, from SetBytesProcessed). Build of the PSK message
// (issue 8): >= 5x faster than GStreamer's.
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

#include "alloc_counter.hpp"

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

// --- building the same RFC 3830 PSK message: library vs GStreamer -----------

/// The fields of psk_message(), as a sender holds them.
namespace psk_fields {
const bytes key = samples::filled(16, 0x30);
const bytes salt = samples::filled(14, 0x40);
const bytes spi = {0x00, 0x07};
const bytes from = {0, 0, 0, 0, 0, 0};
const bytes to = {0, 0, 0xFF, 0xFF, 0xFF, 0xFF};
}  // namespace psk_fields

/// Library: the Key data chain into a stack buffer, then the message (HDR
/// with the SRTP-ID map, T, RAND, SP, KEMAC with NULL encryption around the
/// chain) into the caller's buffer: what psk_message() builds, every
/// iteration from the field values.
mikey::result<mikey::bytes_view> build_psk_init(mikey::mutable_bytes out) {
    using namespace mikey;
    using namespace psk_fields;
    static constexpr srtp_id_entry map[] = {{0, 0x11223344u, 0}, {0, 0x55667788u, 7}};
    const key_data_builder k1{key_data_type::tgk_salt, key, salt, {kv_type::spi, spi, {}, {}}};
    const key_data_builder k2{key_data_type::tek_salt, key, salt, {kv_type::interval, {}, from, to}};
    std::array<std::uint8_t, 128> chain{};
    byte_writer w(chain);
    chain_writer c(w, std::nullopt);
    c.add(k1).add(k2);
    if (w.failed()) {
        return w.error();
    }
    message_builder b(out);
    b.header(hdr_builder{data_type::psk_init, true, prf_func::mikey_1, csb_id{0xCAFEBABEu},
                         std::span<const srtp_id_entry>(map)})
        .add(samples::t())
        .add(rand_builder{{}, samples::rand_i})
        .add(samples::sp())
        .add(kemac_builder{encr_alg::null, w.written(), mac_alg::null, {}});
    return b.finish();
}

#if MIKEY_BENCH_GSTREAMER
/// GStreamer: the same message with the GstMIKEYMessage API (as
/// tests/interop/gst_peer.c builds one) and gst_mikey_message_to_bytes.
/// GStreamer writes a Key data with a salt as Type TGK+SALT / TEK+SALT,
/// which is what the library's tgk_salt / tek_salt give.
GBytes* gst_build_psk_init() {
    using namespace psk_fields;
    static const guint8 one = 1, sixteen = 16, ten = 10;
    static const GstMIKEYMapSRTP cs1 = {0, 0x11223344u, 0}, cs2 = {0, 0x55667788u, 7};
    GstMIKEYMessage* m = gst_mikey_message_new();
    gst_mikey_message_set_info(m, GST_MIKEY_VERSION, GST_MIKEY_TYPE_PSK_INIT, TRUE, GST_MIKEY_PRF_MIKEY_1,
                               0xCAFEBABEu, GST_MIKEY_MAP_TYPE_SRTP);
    gst_mikey_message_insert_cs_srtp(m, -1, &cs1);
    gst_mikey_message_insert_cs_srtp(m, -1, &cs2);
    gst_mikey_message_add_t(m, GST_MIKEY_TS_TYPE_NTP_UTC, samples::ntp.data());
    gst_mikey_message_add_rand(m, static_cast<guint8>(samples::rand_i.size()), samples::rand_i.data());
    // samples::sp(): SRTP policy 0, the parameters in the same order.
    GstMIKEYPayload* sp = gst_mikey_payload_new(GST_MIKEY_PT_SP);
    gst_mikey_payload_sp_set(sp, 0, GST_MIKEY_SEC_PROTO_SRTP);
    gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_ENC_ALG, 1, &one);
    gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_ENC_KEY_LEN, 1, &sixteen);
    gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_AUTH_ALG, 1, &one);
    gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_AUTH_TAG_LEN, 1, &ten);
    gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_SRTP_ENC, 1, &one);
    gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_SRTCP_ENC, 1, &one);
    gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_SRTP_AUTH, 1, &one);
    gst_mikey_message_add_payload(m, sp);
    GstMIKEYPayload* kemac = gst_mikey_payload_new(GST_MIKEY_PT_KEMAC);
    gst_mikey_payload_kemac_set(kemac, GST_MIKEY_ENC_NULL, GST_MIKEY_MAC_NULL);
    GstMIKEYPayload* kd = gst_mikey_payload_new(GST_MIKEY_PT_KEY_DATA);
    gst_mikey_payload_key_data_set_key(kd, GST_MIKEY_KD_TGK, static_cast<guint16>(key.size()), key.data());
    gst_mikey_payload_key_data_set_salt(kd, static_cast<guint16>(salt.size()), salt.data());
    gst_mikey_payload_key_data_set_spi(kd, static_cast<guint8>(spi.size()), spi.data());
    gst_mikey_payload_kemac_add_sub(kemac, kd);
    kd = gst_mikey_payload_new(GST_MIKEY_PT_KEY_DATA);
    gst_mikey_payload_key_data_set_key(kd, GST_MIKEY_KD_TEK, static_cast<guint16>(key.size()), key.data());
    gst_mikey_payload_key_data_set_salt(kd, static_cast<guint16>(salt.size()), salt.data());
    gst_mikey_payload_key_data_set_interval(kd, static_cast<guint8>(from.size()), from.data(),
                                            static_cast<guint8>(to.size()), to.data());
    gst_mikey_payload_kemac_add_sub(kemac, kd);
    gst_mikey_message_add_payload(m, kemac);
    GBytes* out = gst_mikey_message_to_bytes(m, nullptr, nullptr);
    gst_mikey_message_unref(m);
    return out;
}
#endif

void BM_build_psk_init(benchmark::State& state, std::string_view impl) {
    const bytes& expected = psk_message();
    std::array<std::uint8_t, 512> out{};
    const auto r = build_psk_init(out);
    if (expected.empty() || !r || !std::equal(r->begin(), r->end(), expected.begin(), expected.end())) {
        state.SkipWithError("the library's build does not give the PSK message's bytes");
        return;
    }
    if (impl == "lib") {
        count_allocs(state, expected.size(), [&] {
            const auto w = build_psk_init(out);
            benchmark::DoNotOptimize(w);
            benchmark::ClobberMemory();
        });
    } else if (impl == "gstreamer") {
#if MIKEY_BENCH_GSTREAMER
        GBytes* g = gst_build_psk_init();
        gsize size = 0;
        const auto* data = g ? static_cast<const std::uint8_t*>(g_bytes_get_data(g, &size)) : nullptr;
        const bool same = data && size == expected.size() && std::equal(data, data + size, expected.begin());
        if (g) {
            g_bytes_unref(g);
        }
        if (!same) {
            state.SkipWithError("GStreamer does not build the PSK message's bytes");
            return;
        }
        count_allocs(state, expected.size(), [&] {
            GBytes* b = gst_build_psk_init();
            benchmark::DoNotOptimize(b);
            g_bytes_unref(b);
        });
#else
        state.SkipWithError("built without gstreamer-sdp-1.0");
#endif
    } else {
        copy_baseline(state, expected, out);
    }
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
BENCHMARK_CAPTURE(BM_build_psk_init, lib, "lib");
BENCHMARK_CAPTURE(BM_build_psk_init, gstreamer, "gstreamer");
BENCHMARK_CAPTURE(BM_build_psk_init, memcpy, "memcpy");

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

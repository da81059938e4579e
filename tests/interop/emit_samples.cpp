// Interop checks, library side. Prints messages built by the library and what
// the library's views say about them, for tshark_check.py and gst_check.py.
//
//   emit_samples list          JSON array: every sample of tests/samples.hpp
//                              plus the interop messages below and one
//                              captured real-world message, each as
//                              {"name", "hex", "gst", "fields"}
//   emit_samples parse HEX     the library's fields of one message (JSON)
//   emit_samples rebuild HEX   parse, then build again from the views'
//                              to_builder(): the bytes as hex
//
// "gst" is true for messages made only of payloads GStreamer's parser
// handles (HDR, T, RAND, SP, PKE, KEMAC with NULL encryption): GStreamer
// loops forever on the others (see notes/interop.md).
#include <cstdio>
#include <string>
#include <vector>

#include "../samples.hpp"
#include "fields.hpp"

namespace {

using samples::bytes;

/// RFC 3830 PSK I_MESSAGEs in the forms GStreamer reads and writes.
std::vector<samples::sample> interop_messages() {
    using namespace mikey;
    static const bytes key16 = samples::filled(16, 0x30);
    static const bytes salt14 = samples::filled(14, 0x40);
    static const bytes key_salt30 = samples::filled(30, 0x50);
    static const bytes rand16 = samples::filled(16, 0xA0);
    static const bytes spi = {0x00, 0x07};
    static const bytes index_from = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    static const bytes index_to = {0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF};
    static const bytes counter = {0x00, 0x00, 0x01, 0x00};
    static const srtp_id_entry two[] = {{0, 0x11223344u, 0}, {0, 0x55667788u, 7}};
    static const srtp_id_entry one[] = {{0, 0x958C2327u, 0}};
    static const bytes one_b = {1};
    static const bytes sixteen = {16};
    static const bytes ten = {10};
    static const bytes twenty = {20};
    static const bytes fourteen = {14};
    // RFC 3830 §6.10.1: auth key length (type 3) is the key length, 20.
    static const sp_param rfc_params[] = {{0, one_b}, {1, sixteen}, {2, one_b}, {3, twenty}, {4, fourteen},
                                          {7, one_b}, {8, one_b},   {10, one_b}, {11, ten}};
    // GStreamer's gst_mikey_message_new_from_caps: type 3 carries 10, the tag length (quirk 1).
    static const sp_param gst_params[] = {{0, one_b}, {1, sixteen}, {2, one_b}, {3, ten},
                                          {7, one_b}, {8, one_b},   {10, one_b}};
    static const bytes rfc_keys = [] {
        const key_data_builder k1{key_data_type::tgk_salt, key16, salt14, {kv_type::spi, spi, {}, {}}};
        const key_data_builder k2{key_data_type::tek_salt, key16, salt14, {kv_type::interval, {}, index_from, index_to}};
        const key_data_builder k3{key_data_type::tgk, key16, {}, {}};
        bytes out(exact_size(k1) + exact_size(k2) + exact_size(k3));
        byte_writer w(out);
        chain_writer c(w, std::nullopt);
        c.add(k1).add(k2).add(k3);
        return out;
    }();
    // De-facto form (rfc3830-core.md §3.2): TEK holding key || salt, no Salt field.
    static const bytes defacto_key = samples::payload(key_data_builder{key_data_type::tek, key_salt30, {}, {}});

    const std::span<const srtp_id_entry> map2(two);
    const std::span<const srtp_id_entry> map1(one);
    const t_builder t{{}, ts_type::ntp_utc, samples::ntp};
    const t_builder t_counter{{}, ts_type::counter, counter};
    const rand_builder rand{{}, rand16};
    const sp_builder sp_rfc{0, prot_type::srtp, rfc_params, {}};
    const sp_builder sp_gst{0, prot_type::srtp, gst_params, {}};
    const kemac_builder kemac_rfc{encr_alg::null, rfc_keys, mac_alg::null, {}};
    const kemac_builder kemac_defacto{encr_alg::null, defacto_key, mac_alg::null, {}};
    const pke_builder pke{pke_cache::cache, samples::envelope};
    auto hdr = [](bool v, std::span<const srtp_id_entry> m) {
        return hdr_builder{data_type::psk_init, v, prf_func::mikey_1, csb_id{0xCAFEBABEu}, m};
    };

    std::vector<samples::sample> out;
    auto add = [&](const char* name, auto&& f) { out.push_back({name, data_type::psk_init, samples::build(f)}); };
    add("interop_psk_rfc", [&](auto& b) { b.header(hdr(true, map2)).add(t).add(rand).add(sp_rfc).add(kemac_rfc); });
    add("interop_psk_defacto",
        [&](auto& b) { b.header(hdr(false, map1)).add(t).add(rand).add(sp_gst).add(kemac_defacto); });
    add("interop_psk_counter_pke",
        [&](auto& b) { b.header(hdr(true, map1)).add(t_counter).add(rand).add(pke).add(kemac_rfc); });
    return out;
}

/// A self-signed X.509 certificate (DER, ECDSA P-256, CN=alice.example.org):
/// Wireshark dissects CERT data as X.509 and flags anything else as malformed.
const char* const x509_der_hex =
    "3082018d30820133a00302010202146daa0bc97adfbc7d594f8504f7b90d"
    "e7c1f8606c300a06082a8648ce3d040302301c311a301806035504030c11"
    "616c6963652e6578616d706c652e6f7267301e170d323631313233303231"
    "3331395a170d3336313132303032313331395a301c311a30180603550403"
    "0c11616c6963652e6578616d706c652e6f72673059301306072a8648ce3d"
    "020106082a8648ce3d03010703420004017844e4f9d8dfde60fb8bd046f8"
    "4ced34515f450884fd928f9c0379d92e089767069de9412edffb8559ca7d"
    "66a9c2712ab655194dabc3d5e28d24e8034772c6a3533051301d0603551d"
    "0e04160414b05767321d9b38703332867c13b247cf7a458ee9301f060355"
    "1d23041830168014b05767321d9b38703332867c13b247cf7a458ee9300f"
    "0603551d130101ff040530030101ff300a06082a8648ce3d040302034800"
    "3045022054262c33313e2c7b6e57d8e7009324254683ecd8a1693869c03e"
    "b2f534aee03b022100fd9dd7249567ec45a5913d379caa8c63d671021644"
    "9202d6db18051f0193a5c7";

/// Messages made only of what Wireshark 4.0's MIKEY dissector knows (every
/// payload, map and algorithm), so that every field can be compared and the
/// dissection must be clean: tshark_check.py.
std::vector<samples::sample> wireshark_messages() {
    using namespace mikey;
    static const bytes cert = tools::from_hex(x509_der_hex, false).value_or(bytes{});
    static const srtp_id_entry one[] = {{1, 0x0A0B0C0Du, 0x10u}};
    static const bytes sdp_ids = {'a', '=', 'm', 'i', 'd'};
    const std::span<const srtp_id_entry> map1(one);
    const std::span<const srtp_id_entry> map0{};
    const t_builder t{{}, ts_type::ntp, samples::ntp};
    const rand_builder rand{{}, samples::rand_i};
    const cert_builder certi{{}, cert_type::x509v3_sign, cert};
    const id_builder idr_plain{{}, id_type::nai, samples::text("bob@example.org")};
    const kemac_builder kemac{encr_alg::aes_cm_128, samples::encrypted, mac_alg::hmac_sha_1_160, samples::mac20};
    const kemac_builder kemac_null_mac{encr_alg::aes_kw_128, samples::encrypted, mac_alg::null, {}};
    const pke_builder pke{pke_cache::cache_for_csb, samples::envelope};
    const sign_builder sign{sign_type::rsa_pss, samples::signature};
    const v_builder v1{{}, mac_alg::hmac_sha_1_160, samples::mac20};
    const general_extension_builder sdp{{}, extension_type::sdp_ids, sdp_ids};
    auto hdr = [](data_type d, bool v, cs_id_map m) {
        return hdr_builder{d, v, prf_func::mikey_1, csb_id{0x01020304u}, m};
    };

    std::vector<samples::sample> out;
    auto add = [&](const char* name, data_type d, auto&& f) { out.push_back({name, d, samples::build(f)}); };
    add("wireshark_pk_init", data_type::pk_init, [&](auto& b) {
        b.header(hdr(data_type::pk_init, true, map1)).add(t).add(rand).add(certi).add(idr_plain).add(samples::sp())
            .add(kemac).add(pke).add(sign);
    });
    add("wireshark_error", data_type::error, [&](auto& b) {
        b.header(hdr(data_type::error, false, map0)).add(t).add(err_builder{error_no::auth_failure})
            .add(err_builder{error_no::invalid_sppar}).add(samples::sp()).add(sdp).add(v1);
    });
    add("wireshark_resolve_resp", data_type::resolve_resp, [&](auto& b) {
        b.header(hdr(data_type::resolve_resp, false, empty_map{})).add(t)
            .add(samples::idr(id_role::idrkms, "sip:kms@example.org")).add(kemac_null_mac)
            .add(samples::idr(id_role::idrr, "sip:focus@example.org")).add(v1);
    });
    return out;
}

/// A real message (not built by the library): the PSK I_MESSAGE of
/// rfc3830-core.md §8, from gortsplib's test data (an RTSP camera's
/// key-mgmt, GStreamer style: TEK = key || salt, SP type 3 = 10, NULL KEMAC).
const char* const captured_hex =
    "010005007a23295e010000958c2327000000000b00ebf99d4cb05ea24c0a106c"
    "1c02e3ebc63ebf7a7c9bf80dbeacd7010000001500010101011002010103010a"
    "0701010801010a0101000000220020001e5fc5ef382cc8321d094ce5a2bd62f1"
    "11f953512a757e38f68bcc46ec3f4300";

/// True when every payload is one GStreamer 1.22's parser handles.
bool gst_handles(mikey::bytes_view wire) {
    using mikey::payload_type;
    const auto m = mikey::message_view::parse(wire);
    if (!m) {
        return false;
    }
    for (const auto& e : m->payloads()) {
        switch (e.type) {
            case payload_type::t:
            case payload_type::rand:
            case payload_type::sp:
            case payload_type::pke: break;
            case payload_type::kemac:
                if (e.as<mikey::kemac_view>().encryption() != mikey::encr_alg::null) {
                    return false;
                }
                break;
            default: return false;
        }
    }
    return m->header().map_type() != mikey::cs_id_map_type::generic_id;
}

/// Rebuilds a message from its views (message_builder + to_builder()).
std::string rebuild(mikey::bytes_view wire) {
    using namespace mikey;
    const auto m = message_view::parse(wire);
    if (!m) {
        return {};
    }
    auto fill = [&](message_builder& b) {
        b.header(m->header().to_builder());
        for (const auto& e : m->payloads()) {
            visit_payload(e, [&](const auto& v) { b.add(v.to_builder()); });
        }
    };
    return tools::to_hex(samples::build(fill));
}

int usage() {
    std::fputs("usage: emit_samples list | parse HEX | rebuild HEX\n", stderr);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        return usage();
    }
    const std::string mode = argv[1];
    if (mode == "list") {
        auto all = samples::all();
        for (auto& s : interop_messages()) {
            all.push_back(std::move(s));
        }
        for (auto& s : wireshark_messages()) {
            all.push_back(std::move(s));
        }
        if (auto captured = tools::from_hex(captured_hex, false)) {
            all.push_back({"captured_rtsp_camera", mikey::data_type::psk_init, std::move(*captured)});
        }
        interop::json items = interop::json::array();
        for (const auto& s : all) {
            if (s.wire.empty()) {
                std::fprintf(stderr, "sample %s did not build\n", s.name.c_str());
                return 1;
            }
            interop::json item;
            item["name"] = s.name;
            item["hex"] = tools::to_hex(s.wire);
            item["gst"] = gst_handles(s.wire);
            item["fields"] = interop::message_json(s.wire);
            items.push_back(std::move(item));
        }
        std::printf("%s\n", tools::dump(items).c_str());
        return 0;
    }
    if ((mode == "parse" || mode == "rebuild") && argc == 3) {
        const auto wire = tools::from_hex(argv[2], false);
        if (!wire) {
            std::fputs("bad hex\n", stderr);
            return 2;
        }
        if (mode == "parse") {
            std::printf("%s\n", tools::dump(interop::message_json(*wire)).c_str());
        } else {
            std::printf("%s\n", rebuild(*wire).c_str());
        }
        return 0;
    }
    return usage();
}

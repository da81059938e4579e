// Sample messages of every type the library knows, built with the library's
// builders. Shared by the tests, the fuzz seed corpus and examples/data
// (written by tests/make_samples) and the benchmarks. MAC, signature and
// encrypted fields hold fixed filler bytes: these are wire-layer samples, not
// cryptographically valid messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <mikey/mikey.hpp>

namespace samples {

using bytes = std::vector<std::uint8_t>;

inline bytes filled(std::size_t n, std::uint8_t start) {
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) {
        b[i] = static_cast<std::uint8_t>(start + i);
    }
    return b;
}

inline mikey::bytes_view text(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Runs `f` on a counting builder, then on a buffer of exactly that size.
template <class F>
inline bytes build(F&& f) {
    mikey::message_builder counter;
    f(counter);
    bytes out(counter.size());
    mikey::message_builder b(out);
    f(b);
    const auto r = b.finish();
    return r && r->size() == out.size() ? out : bytes{};
}

template <class... Bs>
inline bytes chain(const Bs&... ps) {
    bytes out(mikey::payload_chain_size(ps...));
    return mikey::build_payload_chain(out, ps...) ? out : bytes{};
}

template <class B>
inline bytes payload(const B& b) {
    bytes out(mikey::exact_size(b));
    return mikey::write_payload(b, out) ? out : bytes{};
}

// Field values shared by the samples (static storage: builders keep spans).
inline const bytes rand_i = filled(16, 0xA0);
inline const bytes rand_r = filled(16, 0xB0);
inline const bytes rand_kms = filled(16, 0xC0);
inline const bytes ticket_rand = filled(32, 0xD0);
inline const bytes encrypted = filled(44, 0x10);  // stands for an encrypted key-data chain
inline const bytes mac20 = filled(20, 0x55);
inline const bytes mac32 = filled(32, 0x66);
inline const bytes ntp = {0xEB, 0xF9, 0x9D, 0x4C, 0xB0, 0x5E, 0xA2, 0x4C};
inline const bytes ntp32_start = {0xEB, 0xF9, 0x9D, 0x4C};
inline const bytes ntp32_end = {0xEC, 0x00, 0x00, 0x00};
inline const bytes spi = {0x00, 0x01};
inline const bytes tgk = filled(16, 0x30);
inline const bytes salt = filled(14, 0x40);
inline const bytes ssrc = {0x12, 0x34, 0x56, 0x78};
inline const bytes policies = {0x00};
inline const bytes cert = filled(64, 0x70);
inline const bytes signature = filled(128, 0x80);
inline const bytes envelope = filled(128, 0x90);
inline const bytes dh_value = filled(192, 0x01);
inline const bytes key_ids = {0x01, 0x03, 0xAA, 0xBB, 0xCC, 0x02, 0x02, 0x11, 0x22};

inline constexpr mikey::csb_id csb{0x12345678u};

inline mikey::hdr_builder hdr(mikey::data_type t, bool v = false, mikey::cs_id_map map = mikey::empty_map{}) {
    return mikey::hdr_builder{t, v, mikey::prf_func::prf_hmac_sha_256, csb, map};
}

inline const mikey::generic_id_block cs_block{1, mikey::prot_type::srtp, false, policies, ssrc, spi};

inline mikey::t_builder t() { return {{}, mikey::ts_type::ntp_utc, ntp}; }
inline mikey::v_builder v() { return {{}, mikey::mac_alg::hmac_sha_256_256, mac32}; }
inline mikey::idr_builder idr(mikey::id_role role, std::string_view id) {
    return {role, mikey::id_type::uri, text(id)};
}
inline mikey::randr_builder randr(mikey::rand_role role, const bytes& r) { return {role, r}; }

/// SRTP policy 0: AES-CM, 16-byte key, HMAC-SHA-1, 10-byte tag (RFC 3830 §6.10.1).
inline mikey::sp_builder sp() {
    static const bytes one = {1};
    static const bytes sixteen = {16};
    static const bytes ten = {10};
    static const mikey::sp_param params[] = {
        {0, one}, {1, sixteen}, {2, one}, {11, ten}, {7, one}, {8, one}, {10, one}};
    return {0, mikey::prot_type::srtp, params, {}};
}

/// TP Data: IDRkms, IDRi, TRs, TRe, [KEMAC], IDRapp, IDRr (RFC 6043 §6.10).
inline bytes tp_data(bool desired) {
    using namespace mikey;
    static const bytes zero_key(16, 0);
    static const bytes requested = payload(key_data_builder{key_data_type::tgk, zero_key, {}, {kv_type::spi, spi}});
    const tr_builder trs{ts_role::trs, ts_type::ntp_utc_32, ntp32_start};
    const tr_builder tre{ts_role::tre, ts_type::ntp_utc_32, ntp32_end};
    const idr_builder app{id_role::idrapp, id_type::byte_string, text("conference")};
    const auto kms = idr(id_role::idrkms, "sip:kms@example.org");
    const auto idri = idr(id_role::idri, "sip:alice@example.org");
    const auto idrr = idr(id_role::idrr, "sip:conf-factory@example.org");
    if (desired) {
        const kemac_builder kemac{encr_alg::null, requested, mac_alg::null, {}};
        return chain(kms, idri, trs, tre, kemac, app, idrr);
    }
    return chain(kms, idri, trs, tre, app, idrr);
}

inline mikey::ticket_policy policy(bool forking) {
    mikey::ticket_policy p;
    p.prf = mikey::prf_func::prf_hmac_sha_256;
    p.flags = {.d = true, .e = forking, .f = true, .g = true, .h = true, .i = forking, .j = false, .k = false,
               .l = true, .m = false, .n = true, .o = true};
    return p;
}

/// Base-ticket Ticket Data: THDR, T, RAND, KEMAC, IDRpsk, V (RFC 6043 App. A).
inline bytes base_ticket_data() {
    using namespace mikey;
    const thdr_builder thdr{text("mikey-ticket sample")};
    const rand_builder rand{{}, ticket_rand};
    const kemac_builder kemac{encr_alg::aes_cm_256, encrypted, mac_alg::null, {}};
    const idr_builder psk{id_role::idrpsk, id_type::byte_string, text("tpk-1")};
    bytes out(512);
    const auto r = build_base_ticket_data(out, thdr, t(), rand, kemac, psk, v());
    if (!r) {
        return {};
    }
    out.resize(r->size());
    return out;
}

/// Initiator Data: Vi, Vr (RFC 6043 §6.10).
inline bytes initiator_data() { return chain(v(), mikey::v_builder{{}, mikey::mac_alg::hmac_sha_256_256, mac32}); }

inline mikey::ticket_builder ticket(bool forking) {
    static const bytes tp = tp_data(false);
    static const bytes td = base_ticket_data();
    static const bytes id = initiator_data();
    return {policy(forking), tp, td, forking ? mikey::bytes_view(id) : mikey::bytes_view{}};
}


/// One named sample message.
struct sample {
    std::string name;
    mikey::data_type type;
    bytes wire;
};

/// One message of every type, covering every payload the library frames.
inline std::vector<sample> all() {
    using namespace mikey;
    using R = id_role;
    static const bytes plain_keys = [] {
        const key_data_builder k1{key_data_type::tgk_salt, tgk, salt, {kv_type::spi, spi}};
        const key_data_builder k2{key_data_type::tek, tgk, {}, {kv_type::interval, {}, ntp32_start, ntp32_end}};
        bytes out(exact_size(k1) + exact_size(k2));
        byte_writer w(out);
        chain_writer c(w, std::nullopt);
        c.add(k1).add(k2);
        return out;
    }();
    static const srtp_id_entry srtp_map[] = {{0, 0x958C2327u, 0}};
    const std::span<const srtp_id_entry> srtp(srtp_map);
    const std::span<const generic_id_block> generic(&cs_block, 1);
    const kemac_builder null_kemac{encr_alg::null, plain_keys, mac_alg::null, {}};
    const kemac_builder psk_kemac{encr_alg::aes_cm_128, encrypted, mac_alg::hmac_sha_1_160, mac20};
    const kemac_builder ticket_kemac{encr_alg::aes_cm_256, encrypted, mac_alg::null, {}};
    const rand_builder rand{{}, rand_i};
    const id_builder idi{{}, id_type::uri, text("sip:alice@example.org")};
    const id_builder idr_plain{{}, id_type::uri, text("sip:bob@example.org")};
    const cert_builder certi{{}, cert_type::x509v3, cert};
    const chash_builder chash{{}, hash_func::sha_256, mac32};
    const pke_builder pke{pke_cache::no_cache, envelope};
    const sign_builder sign{sign_type::rsa_pkcs1_v1_5, signature};
    const dh_builder dh{dh_group::oakley_5, dh_value, {}};
    const general_extension_builder keyid{{}, extension_type::key_id, key_ids};
    const general_extension_builder vendor{{}, extension_type::vendor_id, text("mikey-ticket")};
    static const bytes tp_desired = tp_data(true);
    const tp_builder tp{policy(true), tp_desired, {}, {}};
    const v_builder v1{{}, mac_alg::hmac_sha_1_160, mac20};
    const auto kms = idr(R::idrkms, "sip:kms@example.org");
    const auto alice = idr(R::idri, "sip:alice@example.org");
    const auto factory = idr(R::idrr, "sip:conf-factory@example.org");
    const auto psk_id = idr_builder{R::idrpsk, id_type::byte_string, text("psk-1")};
    using D = data_type;

    std::vector<sample> out;
    auto add = [&](const char* name, data_type type, auto&& f) { out.push_back({name, type, build(f)}); };
    add("psk_init", D::psk_init, [&](auto& b) {
        b.header(hdr(D::psk_init, true, srtp)).add(t()).add(rand).add(idi).add(idr_plain).add(sp()).add(vendor)
            .add(null_kemac);
    });
    add("psk_init_aes", D::psk_init, [&](auto& b) {
        b.header(hdr(D::psk_init, true, srtp)).add(t()).add(rand).add(idi).add(sp()).add(psk_kemac);
    });
    add("psk_verification", D::psk_verification,
        [&](auto& b) { b.header(hdr(D::psk_verification, false, srtp)).add(t()).add(idr_plain).add(v1); });
    add("pk_init", D::pk_init, [&](auto& b) {
        b.header(hdr(D::pk_init, true, srtp)).add(t()).add(rand).add(certi).add(idr_plain).add(sp()).add(psk_kemac)
            .add(chash).add(pke).add(sign);
    });
    add("dh_init", D::dh_init, [&](auto& b) {
        b.header(hdr(D::dh_init, true, srtp)).add(t()).add(rand).add(idi).add(keyid).add(dh).add(sign);
    });
    add("error", D::error, [&](auto& b) {
        b.header(hdr(D::error)).add(t()).add(err_builder{error_no::invalid_ticket})
            .add(err_builder{error_no::invalid_tppar}).add(v());
    });
    add("request_init_psk", D::request_init_psk, [&](auto& b) {
        b.header(hdr(D::request_init_psk, true)).add(t()).add(randr(rand_role::randri, rand_i)).add(alice).add(kms)
            .add(tp).add(psk_id).add(v());
    });
    add("request_init_pk", D::request_init_pk, [&](auto& b) {
        b.header(hdr(D::request_init_pk, true)).add(t()).add(randr(rand_role::randri, rand_i)).add(alice).add(certi)
            .add(kms).add(tp).add(chash).add(pke).add(sign);
    });
    add("request_resp", D::request_resp, [&](auto& b) {
        b.header(hdr(D::request_resp)).add(t()).add(kms).add(ticket(false)).add(ticket_kemac).add(v());
    });
    add("transfer_init", D::transfer_init, [&](auto& b) {
        b.header(hdr(D::transfer_init, true, generic)).add(t()).add(randr(rand_role::randri, rand_i)).add(alice)
            .add(factory).add(sp()).add(ticket(true)).add(v());
    });
    add("transfer_resp", D::transfer_resp, [&](auto& b) {
        b.header(hdr(D::transfer_resp, false, generic)).add(t()).add(randr(rand_role::randrr, rand_r))
            .add(idr(R::idrr, "sip:focus@example.org")).add(randr(rand_role::randrkms, rand_kms)).add(v());
    });
    add("resolve_init_psk", D::resolve_init_psk, [&](auto& b) {
        b.header(hdr(D::resolve_init_psk, true)).add(t()).add(randr(rand_role::randrr, rand_r)).add(factory).add(kms)
            .add(ticket(true)).add(psk_id).add(v());
    });
    add("resolve_init_pk", D::resolve_init_pk, [&](auto& b) {
        b.header(hdr(D::resolve_init_pk, true)).add(t()).add(randr(rand_role::randrr, rand_r)).add(factory)
            .add(certi).add(kms).add(ticket(true)).add(chash).add(pke).add(sign);
    });
    add("resolve_resp", D::resolve_resp, [&](auto& b) {
        b.header(hdr(D::resolve_resp)).add(t()).add(kms).add(ticket_kemac)
            .add(idr(R::idrr, "sip:focus@example.org")).add(randr(rand_role::randrkms, rand_kms)).add(v());
    });
    return out;
}

}  // namespace samples

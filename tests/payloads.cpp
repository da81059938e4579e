// Every payload: builder -> bytes -> view -> builder -> identical bytes; every
// truncated prefix; every unknown or reserved value with its own errc.
#include "wire_helpers.hpp"

#include <string>

using namespace mikey;
using wire_test::parse_with;
using wire_test::round_trip;
using samples::bytes;
using samples::text;

TEST_CASE("HDR with each CS ID map type round-trips") {
    SUBCASE("SRTP-ID (RFC 3830 §6.1.1)") {
        const srtp_id_entry entries[] = {{0, 0x11223344u, 7}, {1, 0x55667788u, 0}};
        const hdr_builder b{data_type::psk_init, true, prf_func::mikey_1, csb_id{0xCAFEBABEu},
                            std::span<const srtp_id_entry>(entries)};
        const bytes wire = samples::payload(b);
        REQUIRE(wire.size() == 10 + 18);
        const auto h = hdr_view::parse(wire);
        REQUIRE(h);
        CHECK(h->version() == 1);
        CHECK(h->type() == data_type::psk_init);
        CHECK(h->v_flag());
        CHECK(h->prf() == prf_func::mikey_1);
        CHECK(h->csb() == csb_id{0xCAFEBABEu});
        CHECK(h->cs_count() == 2);
        CHECK(h->map_type() == cs_id_map_type::srtp_id);
        CHECK(h->srtp_id(0) == entries[0]);
        CHECK(h->srtp_id(1) == entries[1]);
        CHECK(samples::payload(h->to_builder()) == wire);
        for (std::size_t n = 0; n < wire.size(); ++n) {
            CHECK(hdr_view::parse(bytes_view(wire.data(), n)).error() == errc::truncated);
        }
    }
    SUBCASE("Empty map (RFC 4563 §5) has no map info") {
        const hdr_builder b{data_type::request_init_psk, true, prf_func::prf_hmac_sha_256, csb_id{1}, empty_map{}};
        const bytes wire = samples::payload(b);
        CHECK(wire.size() == 10);
        const auto h = hdr_view::parse(wire);
        REQUIRE(h);
        CHECK(h->map_type() == cs_id_map_type::empty);
        CHECK(h->cs_count() == 0);
        CHECK(h->map_info().empty());
    }
    SUBCASE("GENERIC-ID (RFC 6043 §6.1.1) with and without ROC/SEQ") {
        const bytes pol = {1, 2};
        const bytes sd_short = {0, 0, 0, 9};
        const bytes sd_long = {0, 0, 0, 9, 0, 0, 0, 1, 0x12, 0x34};
        const bytes spi = {0xAB};
        const generic_id_block blocks[] = {{1, prot_type::srtp, false, pol, sd_short, spi},
                                           {2, prot_type::srtp, true, {}, sd_long, {}},
                                           {3, prot_type::srtp, false, {}, {}, {}}};
        const hdr_builder b{data_type::transfer_init, false, prf_func::prf_hmac_sha_256, csb_id{2},
                            std::span<const generic_id_block>(blocks)};
        const bytes wire = samples::payload(b);
        const auto h = hdr_view::parse(wire);
        REQUIRE(h);
        CHECK(h->cs_count() == 3);
        int i = 0;
        for (const auto blk : h->generic_id()) {
            CHECK(blk.cs_id == blocks[i].cs_id);
            CHECK(blk.s_flag == blocks[i].s_flag);
            CHECK(equal_bytes(blk.policies, blocks[i].policies));
            CHECK(equal_bytes(blk.session_data, blocks[i].session_data));
            CHECK(equal_bytes(blk.spi, blocks[i].spi));
            ++i;
        }
        CHECK(i == 3);
        CHECK(samples::payload(h->to_builder()) == wire);
        for (std::size_t n = 0; n < wire.size(); ++n) {
            CHECK(hdr_view::parse(bytes_view(wire.data(), n)).error() == errc::truncated);
        }
    }
}

TEST_CASE("HDR rejects unknown values, each with its own error") {
    const bytes pol = {1};
    const bytes sd = {0, 0, 0, 9};
    const generic_id_block block{1, prot_type::srtp, false, pol, sd, {}};
    const bytes wire = samples::payload(hdr_builder{data_type::transfer_init, false, prf_func::mikey_1, csb_id{1},
                                                    std::span<const generic_id_block>(&block, 1)});
    REQUIRE(hdr_view::parse(wire));
    // RFC 3830 §6.1: version 1 only.
    CHECK(parse_with<hdr_view>(wire, 0, 2) == failure{errc::unsupported_version, 0});
    CHECK(parse_with<hdr_view>(wire, 1, 27) == failure{errc::unknown_data_type, 1});
    CHECK(parse_with<hdr_view>(wire, 1, 241) == failure{});  // private use
    CHECK(parse_with<hdr_view>(wire, 3, 2) == failure{errc::unknown_prf_func, 3});
    CHECK(parse_with<hdr_view>(wire, 3, 0x80 | 112) == failure{});  // V=1, private-use PRF
    CHECK(parse_with<hdr_view>(wire, 9, 3) == failure{errc::unknown_cs_id_map_type, 9});
    CHECK(parse_with<hdr_view>(wire, 11, 2) == failure{errc::unknown_prot_type, 11});
    // RFC 6043 §6.1.1: SSRC alone (S = 0) or SSRC, ROC, SEQ (S = 1).
    CHECK(parse_with<hdr_view>(wire, 12, 0x81) == failure{errc::session_data_mismatch, 14});
}

TEST_CASE("T and TR: the TS type fixes the value's length") {
    const bytes ntp(8, 0x42);
    const bytes counter = {0, 0, 0, 5};
    const auto w1 = round_trip<t_view>(t_builder{{}, ts_type::ntp_utc, ntp});
    CHECK(w1.size() == 10);
    const auto w2 = round_trip<t_view>(t_builder{{}, ts_type::counter, counter});
    CHECK(w2.size() == 6);
    CHECK(ts_value_64(ts_type::counter, counter) == 5);
    // RFC 6043 §6.3: NTP-UTC-32 padded with a zero fraction.
    CHECK(ts_value_64(ts_type::ntp_utc_32, counter) == (std::uint64_t{5} << 32));
    const auto w3 = round_trip<tr_view>(tr_builder{ts_role::trr, ts_type::ntp_utc_32, counter});
    const auto tr = tr_view::parse(w3);
    REQUIRE(tr);
    CHECK(tr->role() == ts_role::trr);
    CHECK(tr->kind() == ts_type::ntp_utc_32);
    CHECK(equal_bytes(tr->value(), counter));
    CHECK(parse_with<t_view>(w1, 1, 4) == failure{errc::unknown_ts_type, 1});
    CHECK(parse_with<tr_view>(w3, 1, 0) == failure{errc::unknown_ts_role, 1});
    CHECK(parse_with<tr_view>(w3, 1, 255) == failure{errc::unknown_ts_role, 1});
    CHECK(parse_with<tr_view>(w3, 1, 240) == failure{});  // private use
    CHECK(parse_with<tr_view>(w3, 2, 9) == failure{errc::unknown_ts_type, 2});
    // A builder whose value does not have the implied length.
    byte_writer w;
    t_builder{{}, ts_type::ntp, counter}.write(w);
    CHECK(w.error() == errc::invalid_argument);
}

TEST_CASE("ID, CERT, IDR") {
    const auto id = round_trip<id_view>(id_builder{{}, id_type::nai, text("alice@example.org")});
    CHECK(id_view::parse(id)->kind() == id_type::nai);
    CHECK(equal_bytes(id_view::parse(id)->data(), text("alice@example.org")));
    CHECK(parse_with<id_view>(id, 1, 3) == failure{errc::unknown_id_type, 1});
    const auto cert = round_trip<cert_view>(cert_builder{{}, cert_type::x509v3_sign, samples::cert});
    CHECK(cert_view::parse(cert)->kind() == cert_type::x509v3_sign);
    CHECK(parse_with<cert_view>(cert, 1, 4) == failure{errc::unknown_cert_type, 1});
    const auto idr = round_trip<idr_view>(idr_builder{id_role::idrkms, id_type::uri, text("sip:kms@x")});
    const auto v = idr_view::parse(idr);
    CHECK(v->role() == id_role::idrkms);
    CHECK(v->kind() == id_type::uri);
    CHECK(v->next() == payload_type::last);
    CHECK(parse_with<idr_view>(idr, 1, 0) == failure{errc::unknown_id_role, 1});
    CHECK(parse_with<idr_view>(idr, 1, 255) == failure{errc::unknown_id_role, 1});
    CHECK(parse_with<idr_view>(idr, 1, 100) == failure{errc::unknown_id_role, 1});
    CHECK(parse_with<idr_view>(idr, 2, 3) == failure{errc::unknown_id_type, 2});
    // An ID Data longer than its 16-bit length field.
    const bytes huge(70000, 0);
    byte_writer w;
    id_builder{{}, id_type::byte_string, huge}.write(w);
    CHECK(w.error() == errc::field_too_long);
}

TEST_CASE("RAND and RANDR") {
    const auto r = round_trip<rand_view>(rand_builder{{}, samples::rand_i});
    CHECK(equal_bytes(rand_view::parse(r)->value(), samples::rand_i));
    const auto rr = round_trip<randr_view>(randr_builder{rand_role::randrkms, samples::rand_kms});
    CHECK(randr_view::parse(rr)->role() == rand_role::randrkms);
    CHECK(parse_with<randr_view>(rr, 1, 4) == failure{errc::unknown_rand_role, 1});
    CHECK(parse_with<randr_view>(rr, 1, 0) == failure{errc::unknown_rand_role, 1});
    byte_writer w;
    rand_builder{{}, bytes(256, 1)}.write(w);
    CHECK(w.error() == errc::field_too_long);
}

TEST_CASE("V and CHASH: the algorithm fixes the value's length") {
    const auto v = round_trip<v_view>(v_builder{{}, mac_alg::hmac_sha_1_160, samples::mac20});
    CHECK(v.size() == 22);
    CHECK(v_view::parse(v)->value_offset() == 2);
    const auto vn = round_trip<v_view>(v_builder{{}, mac_alg::null, {}});
    CHECK(vn.size() == 2);
    CHECK(parse_with<v_view>(v, 1, 3) == failure{errc::unknown_mac_alg, 1});
    const auto c = round_trip<chash_view>(chash_builder{{}, hash_func::md5, bytes(16, 9)});
    CHECK(c.size() == 18);
    CHECK(parse_with<chash_view>(c, 1, 3) == failure{errc::unknown_hash_func, 1});
}

TEST_CASE("KEMAC and Key data") {
    const bytes salt(14, 3);
    const bytes spi = {1, 2, 3, 4};
    const key_data_builder kd{key_data_type::gtgk_salt, samples::tgk, salt, {kv_type::spi, spi}};
    const auto kwire = round_trip<key_data_view>(kd);
    const auto k = key_data_view::parse(kwire);
    CHECK(k->kind() == key_data_type::gtgk_salt);
    CHECK(equal_bytes(k->key(), samples::tgk));
    CHECK(equal_bytes(k->salt(), salt));
    CHECK(k->validity().kind == kv_type::spi);
    CHECK(equal_bytes(k->validity().spi, spi));
    CHECK(parse_with<key_data_view>(kwire, 1, 0x81) == failure{errc::unknown_key_data_type, 1});
    CHECK(parse_with<key_data_view>(kwire, 1, 0x53) == failure{errc::unknown_kv_type, 1});
    const bytes vf(6, 1);
    const bytes vt(6, 2);
    const auto iwire = round_trip<key_data_view>(
        key_data_builder{key_data_type::tek, samples::tgk, {}, {kv_type::interval, {}, vf, vt}});
    CHECK(equal_bytes(key_data_view::parse(iwire)->validity().valid_to, vt));
    // A salt on a type without +SALT, and KV fields the KV type does not carry.
    byte_writer w1;
    key_data_builder{key_data_type::tgk, samples::tgk, salt, {}}.write(w1);
    CHECK(w1.error() == errc::invalid_argument);
    byte_writer w2;
    key_data_builder{key_data_type::tgk, samples::tgk, {}, {kv_type::null, spi}}.write(w2);
    CHECK(w2.error() == errc::invalid_argument);

    const auto kem = round_trip<kemac_view>(kemac_builder{encr_alg::aes_cm_128, samples::encrypted,
                                                          mac_alg::hmac_sha_256_256, samples::mac32});
    const auto kv = kemac_view::parse(kem);
    CHECK(kv->encryption() == encr_alg::aes_cm_128);
    CHECK(equal_bytes(kv->encrypted_data(), samples::encrypted));
    CHECK(kv->mac_algorithm() == mac_alg::hmac_sha_256_256);
    CHECK(equal_bytes(kv->mac(), samples::mac32));
    CHECK(kv->mac_offset() + 32 == kem.size());
    CHECK(parse_with<kemac_view>(kem, 1, 4) == failure{errc::unknown_encr_alg, 1});
    CHECK(parse_with<kemac_view>(kem, 4 + samples::encrypted.size(), 3) ==
          failure{errc::unknown_mac_alg, 4 + samples::encrypted.size()});
    byte_writer w3;
    kemac_builder{encr_alg::null, {}, mac_alg::hmac_sha_1_160, samples::mac32}.write(w3);
    CHECK(w3.error() == errc::invalid_argument);
    const bytes too_long(65536, 1);
    byte_writer w4;
    kemac_builder{encr_alg::null, too_long, mac_alg::null, {}}.write(w4);
    CHECK(w4.error() == errc::field_too_long);
    // The largest Encr data fits, its length field all ones.
    const bytes longest(65535, 1);
    const auto kl = round_trip<kemac_view>(kemac_builder{encr_alg::null, longest, mac_alg::null, {}});
    CHECK(kl.size() == *kemac_payload_size(65535, mac_alg::null));
    CHECK(kemac_payload_size(65536, mac_alg::null).error() == errc::field_too_long);
    CHECK((kl[2] == 0xFF && kl[3] == 0xFF));
}

TEST_CASE("key_data_list walks the KEMAC plaintext chain") {
    // Builders hold views: the key bytes must outlive them.
    const bytes mpk(16, 1);
    const bytes tgk(32, 2);
    const bytes tgk3(16, 3);
    const key_data_builder a{key_data_type::mpk, mpk, {}, {kv_type::spi, samples::spi}};
    const key_data_builder b{key_data_type::tgk, tgk, {}, {kv_type::spi, samples::spi}};
    bytes plain(exact_size(a) + exact_size(b));
    byte_writer w(plain);
    chain_writer(w, std::nullopt).add(a).add(b);
    REQUIRE_FALSE(w.failed());
    const auto list = key_data_list::parse(plain);
    REQUIRE(list);
    CHECK(list->size() == 2);
    std::vector<key_data_type> kinds;
    for (const auto& k : *list) {
        kinds.push_back(k.kind());
    }
    CHECK(kinds == std::vector<key_data_type>{key_data_type::mpk, key_data_type::tgk});
    CHECK(key_data_list::parse(bytes_view{})->size() == 0);  // CSB update: no keys (RFC 3830 §4.5)
    CHECK(list->require_spi());
    const key_data_builder no_spi{key_data_type::tgk, tgk3, {}, {}};
    bytes mixed(exact_size(a) + exact_size(no_spi));
    byte_writer wm(mixed);
    chain_writer(wm, std::nullopt).add(a).add(no_spi);
    CHECK(key_data_list::parse(mixed)->require_spi().error_info() == failure{errc::key_without_spi, exact_size(a)});
    for (std::size_t n = 1; n < plain.size(); ++n) {
        CHECK(key_data_list::parse(bytes_view(plain.data(), n)).error() == errc::length_out_of_bounds);
    }
    bytes trailing = plain;
    trailing.push_back(0);
    CHECK(key_data_list::parse(trailing).error_info() == failure{errc::trailing_bytes, plain.size()});
    bytes wrong_next = plain;
    wrong_next[0] = 5;  // first Key data says a T follows
    CHECK(key_data_list::parse(wrong_next).error_info() == failure{errc::misplaced_payload, exact_size(a)});
    // PK method: IDi first (RFC 3830 §3.2).
    const id_builder idi{{}, id_type::uri, text("sip:a@x")};
    bytes pk(exact_size(idi) + exact_size(a));
    byte_writer w2(pk);
    chain_writer(w2, std::nullopt).add(idi).add(a);
    const auto pk_list = key_data_list::parse(pk, true);
    REQUIRE(pk_list);
    CHECK(pk_list->size() == 1);
    REQUIRE(pk_list->id());
    CHECK(equal_bytes(pk_list->id()->data(), text("sip:a@x")));

    // The data type decides whether IDi leads: PK_INIT only (RFC 3830 §3.2, §6.2).
    const auto by_type = key_data_list::parse(pk, data_type::pk_init);
    REQUIRE(by_type);
    CHECK(by_type->size() == 1);
    CHECK(equal_bytes(by_type->id()->data(), text("sip:a@x")));
    // Elsewhere the URI ID reads as a TGK with KV SPI (key "sip:a@x", SPI length
    // 0 from the next Next byte) and the following "sub-payload" starts one byte
    // into the MPK one: its Key data len (0x1001) points past the end, found
    // where its key would start (12 + 4).
    CHECK(key_data_list::parse(pk, data_type::psk_init).error_info() == failure{errc::length_out_of_bounds, 16});
    // An NAI ID (type 0) reads as a TGK with KV NULL: a valid chain of two keys.
    const id_builder nai{{}, id_type::nai, text("a@x")};
    bytes nai_plain(exact_size(nai) + exact_size(a));
    byte_writer w3(nai_plain);
    chain_writer(w3, std::nullopt).add(nai).add(a);
    const auto as_keys = key_data_list::parse(nai_plain, data_type::transfer_init);
    REQUIRE(as_keys);
    CHECK(as_keys->size() == 2);
    CHECK(as_keys->id().error() == errc::missing_payload);
}

TEST_CASE("kemac_view::plain_key_data reads a NULL KEMAC's Key data chain or says why not") {
    const bytes mpk(16, 1);
    const key_data_builder a{key_data_type::mpk, mpk, {}, {kv_type::spi, samples::spi}};
    const id_builder idi{{}, id_type::uri, text("sip:a@x")};
    bytes pk(exact_size(idi) + exact_size(a));
    byte_writer w(pk);
    chain_writer(w, std::nullopt).add(idi).add(a);
    REQUIRE_FALSE(w.failed());

    const auto wire = round_trip<kemac_view>(kemac_builder{encr_alg::null, pk, mac_alg::null, {}});
    const auto k = kemac_view::parse(wire);
    REQUIRE(k);
    const auto in_pk = k->plain_key_data(data_type::pk_init);
    REQUIRE(in_pk);
    CHECK(in_pk->size() == 1);
    CHECK(equal_bytes(in_pk->id()->data(), text("sip:a@x")));
    CHECK(equal_bytes(in_pk->begin()->key(), mpk));
    // Not a PK message: no leading ID, and the bytes are no Key data chain
    // (see key_data_list above); the error's offset is in encrypted_data().
    CHECK(k->plain_key_data(data_type::request_init_pk).error_info() == failure{errc::length_out_of_bounds, 16});
    CHECK(k->plain_key_data(false).error_info() == failure{errc::length_out_of_bounds, 16});

    // RFC 3830 §6.2: the last Key data sub-payload ends the data.
    bytes trailing(exact_size(a));
    byte_writer wt(trailing);
    a.write(wt);
    trailing.push_back(0);
    const auto twire = round_trip<kemac_view>(kemac_builder{encr_alg::null, trailing, mac_alg::null, {}});
    CHECK(kemac_view::parse(twire)->plain_key_data(data_type::psk_init).error_info() ==
          failure{errc::trailing_bytes, exact_size(a)});

    // Encrypted data is no plaintext: crypto::open_kemac reads it.
    const auto enc = round_trip<kemac_view>(kemac_builder{encr_alg::aes_cm_128, pk, mac_alg::null, {}});
    CHECK(kemac_view::parse(enc)->plain_key_data(data_type::pk_init).error_info() ==
          failure{errc::invalid_argument, 0});
}

TEST_CASE("PKE, DH, SIGN") {
    const auto p = round_trip<pke_view>(pke_builder{pke_cache::cache_for_csb, samples::envelope});
    CHECK(pke_view::parse(p)->cache() == pke_cache::cache_for_csb);
    CHECK(equal_bytes(pke_view::parse(p)->data(), samples::envelope));
    CHECK(parse_with<pke_view>(p, 1, 0xC0) == failure{errc::unknown_pke_cache, 1});

    const auto d = round_trip<dh_view>(dh_builder{dh_group::oakley_2, bytes(128, 7), {kv_type::spi, samples::spi}});
    CHECK(dh_view::parse(d)->group() == dh_group::oakley_2);
    CHECK(dh_view::parse(d)->value().size() == 128);
    CHECK(parse_with<dh_view>(d, 1, 3) == failure{errc::unknown_dh_group, 1});
    CHECK(parse_with<dh_view>(d, 130, 0x11) == failure{errc::reserved_bits_set, 130});
    CHECK(parse_with<dh_view>(d, 130, 0x03) == failure{errc::unknown_kv_type, 130});
    byte_writer w;
    dh_builder{dh_group::oakley_5, bytes(128, 7), {}}.write(w);
    CHECK(w.error() == errc::invalid_argument);

    const auto s = round_trip<sign_view>(sign_builder{sign_type::eccsi, samples::signature});
    CHECK(sign_view::parse(s)->kind() == sign_type::eccsi);
    CHECK(sign_view::parse(s)->next() == payload_type::last);
    CHECK(equal_bytes(sign_view::parse(s)->signature(), samples::signature));
    CHECK(parse_with<sign_view>(s, 0, 0x30) == failure{errc::unknown_sign_type, 0});
}

TEST_CASE("SP with SRTP parameters by name") {
    const auto wire = round_trip<sp_view>(samples::sp());
    const auto sp = sp_view::parse(wire);
    CHECK(sp->protocol() == prot_type::srtp);
    CHECK(sp->srtp_value(srtp_param::session_encryption_key_length) == 16);
    CHECK(sp->srtp_value(srtp_param::authentication_tag_length) == 10);
    CHECK_FALSE(sp->srtp(srtp_param::srtp_prf).has_value());  // absent: SRTP default applies
    CHECK(parse_with<sp_view>(wire, 2, 2) == failure{errc::unknown_prot_type, 2});
    CHECK(parse_with<sp_view>(wire, 5, 21) == failure{errc::unknown_srtp_param, 5});
    CHECK(parse_with<sp_view>(wire, 6, 200) == failure{errc::length_out_of_bounds, 7});  // at the value
    // A parameter cut after its Type byte: the missing Length field is the error.
    static const samples::bytes type_only = {0};
    const auto cut_param = samples::payload(sp_builder{0, prot_type::srtp, {}, type_only});
    CHECK(sp_view::parse(cut_param).error_info() == failure{errc::length_out_of_bounds, 6});
    // TESLA parameters are not SRTP parameter types.
    const bytes v1 = {1};
    const sp_param tesla[] = {{50, v1}};
    round_trip<sp_view>(sp_builder{3, prot_type::tesla, tesla, {}});
    byte_writer w;
    sp_builder{0, prot_type::srtp, tesla, v1}.write(w);
    CHECK(w.error() == errc::invalid_argument);
}

TEST_CASE("ERR and General Extension (Key ID, RFC 4563)") {
    const auto e = round_trip<err_view>(err_builder{error_no::invalid_tppar});
    CHECK(err_view::parse(e)->code() == error_no::invalid_tppar);
    CHECK(parse_with<err_view>(e, 1, 16) == failure{errc::unknown_error_no, 1});
    CHECK(parse_with<err_view>(e, 3, 1) == failure{errc::reserved_bits_set, 2});

    const auto x = round_trip<general_extension_view>(
        general_extension_builder{{}, extension_type::key_id, samples::key_ids});
    const auto ext = general_extension_view::parse(x);
    std::vector<key_id_type> kinds;
    for (const auto id : key_id_list(ext->data())) {
        kinds.push_back(id.kind);
    }
    CHECK(kinds == std::vector<key_id_type>{key_id_type::mbms_msk_id, key_id_type::mbms_mtk_id});
    CHECK(parse_with<general_extension_view>(x, 1, 8) == failure{errc::unknown_extension_type, 1});
    CHECK(parse_with<general_extension_view>(x, 4, 9) == failure{errc::unknown_key_id_type, 4});
    CHECK(parse_with<general_extension_view>(x, 5, 9) == failure{errc::length_out_of_bounds, 6});
    const auto empty = samples::payload(general_extension_builder{{}, extension_type::key_id, {}});
    CHECK(general_extension_view::parse(empty).error_info() == failure{errc::empty_chain, 4});
    round_trip<general_extension_view>(general_extension_builder{{}, extension_type::vendor_id, text("v")});
}

namespace {
bytes tp_payload(const ticket_policy& p, bytes_view tp_data) { return samples::payload(tp_builder{p, tp_data, {}, {}}); }
failure tp_error(const ticket_policy& p, bytes_view tp_data) {
    const bytes wire = tp_payload(p, tp_data);
    const auto v = tp_view::parse(wire);
    return v ? failure{} : v.error_info();
}
}  // namespace

TEST_CASE("TP: desired Ticket Policy") {
    const bytes tp_data = samples::tp_data(true);
    const auto wire = round_trip<tp_view>(tp_builder{samples::policy(true), tp_data, {}, {}});
    const auto tp = tp_view::parse(wire);
    CHECK(tp->policy() == samples::policy(true));
    CHECK(tp->policy().is_base_ticket());
    std::vector<payload_type> types;
    for (const auto& e : tp->tp_payloads()) {
        types.push_back(e.type);
    }
    CHECK(types == std::vector<payload_type>{payload_type::idr, payload_type::idr, payload_type::tr, payload_type::tr,
                                             payload_type::kemac, payload_type::idr, payload_type::idr});
    CHECK(parse_with<tp_view>(wire, 1, 0) == failure{});                          // type 0x00xx ...
    CHECK(parse_with<tp_view>(wire, 2, 0) == failure{errc::unknown_ticket_type, 1});  // ... 0 is reserved
    CHECK(parse_with<tp_view>(wire, 7, 0x21) == failure{errc::reserved_bits_set, 7});
    CHECK(parse_with<tp_view>(wire, 5, 0x05) == failure{errc::unknown_prf_func, 5});
}

TEST_CASE("Ticket Policy flag rules (RFC 6043 §6.10), each its own error") {
    const bytes tp_data = samples::tp_data(false);
    auto with = [&](auto edit) {
        ticket_policy p = samples::policy(false);
        edit(p.flags);
        return p;
    };
    struct rule {
        errc code;
        ticket_policy p;
    };
    const rule rules[] = {
        {errc::flag_l_required_without_d, with([](ticket_flags& f) { f.d = false; f.l = false; })},
        {errc::flag_f_required_by_g, with([](ticket_flags& f) { f.f = false; })},
        {errc::flag_g_or_h_required, with([](ticket_flags& f) { f.g = false; f.h = false; })},
        {errc::flag_e_required_by_i, with([](ticket_flags& f) { f.i = true; f.e = false; })},
        {errc::flag_f_required_by_m, with([](ticket_flags& f) { f.m = true; f.f = false; f.g = false; })},
    };
    for (const auto& r : rules) {
        CAPTURE(to_string(r.code));
        CHECK(check_ticket_flags(r.p.flags, false).error() == r.code);
        // The builder refuses, and so does the parser on hand-made bytes.
        byte_writer w;
        tp_builder{r.p, tp_data, {}, {}}.write(w);
        CHECK(w.error() == r.code);
        bytes wire = tp_payload(samples::policy(false), tp_data);
        const auto& f = r.p.flags;
        wire[5] = static_cast<std::uint8_t>((wire[5] & 0xFE) | (f.d ? 1 : 0));
        wire[6] = static_cast<std::uint8_t>((f.e ? 0x80 : 0) | (f.f ? 0x40 : 0) | (f.g ? 0x20 : 0) | (f.h ? 0x10 : 0) |
                                            (f.i ? 0x08 : 0) | (f.j ? 0x04 : 0) | (f.k ? 0x02 : 0) | (f.l ? 0x01 : 0));
        wire[7] = static_cast<std::uint8_t>((f.m ? 0x80 : 0) | (f.n ? 0x40 : 0) | (f.o ? 0x20 : 0));
        CHECK(tp_view::parse(wire).error_info() == failure{r.code, 5});
    }
    // K implies D: checked in the granted policy; the TP's K is ignored (RFC 6043 §6.10).
    const auto k_without_d = with([](ticket_flags& f) { f.k = true; f.d = false; f.l = true; });
    CHECK(check_ticket_flags(k_without_d.flags, true).error() == errc::flag_d_required_by_k);
    CHECK(check_ticket_flags(k_without_d.flags, false));
}

TEST_CASE("TP Data rules (RFC 6043 §6.10)") {
    const auto p = samples::policy(false);
    const auto idrr = samples::idr(id_role::idrr, "sip:b@x");
    SUBCASE("at least one IDRr") {
        const bytes only_kms = samples::chain(samples::idr(id_role::idrkms, "sip:kms@x"));
        CHECK(tp_error(p, only_kms).code == errc::missing_payload);
        CHECK(tp_error(p, {}).code == errc::missing_payload);
    }
    SUBCASE("KEMAC in TP uses NULL encryption and NULL MAC") {
        const bytes d = samples::chain(kemac_builder{encr_alg::aes_cm_128, {}, mac_alg::null, {}}, idrr);
        CHECK(tp_error(p, d) == failure{errc::tp_kemac_not_null, 11});
    }
    SUBCASE("TRr is NTP-UTC-32") {
        const bytes d = samples::chain(tr_builder{ts_role::trr, ts_type::ntp_utc, samples::ntp}, idrr);
        CHECK(tp_error(p, d) == failure{errc::trr_not_ntp_utc_32, 11});
    }
    SUBCASE("Key data outside a KEMAC is misplaced") {
        const bytes d = samples::chain(key_data_builder{key_data_type::tgk, samples::tgk, {}, {}}, idrr);
        CHECK(tp_error(p, d) == failure{errc::misplaced_payload, 11});
    }
    SUBCASE("a length inside TP Data past its end") {
        bytes d = samples::chain(idrr);
        d[5] = 0xFF;  // IDR ID len low byte
        CHECK(tp_error(p, d) == failure{errc::length_out_of_bounds, 16});
    }
    SUBCASE("bytes after the last TP Data payload") {
        bytes d = samples::chain(idrr);
        d.push_back(0);
        CHECK(tp_error(p, d) == failure{errc::trailing_bytes, 10 + d.size() - 1});
    }
}

TEST_CASE("TICKET with a MIKEY base ticket and Initiator Data") {
    const auto b = samples::ticket(true);
    const auto wire = round_trip<ticket_view>(b);
    const auto t = ticket_view::parse(wire);
    CHECK(t->flags().i);
    CHECK(equal_bytes(t->ticket_data(), b.ticket_data));
    CHECK(equal_bytes(t->initiator_data(), b.initiator_data));
    CHECK(t->initiator_data_length_offset() == wire.size() - b.initiator_data.size() - 2);
    int vs = 0;
    for (const auto& e : t->initiator_payloads()) {
        vs += e.type == payload_type::v ? 1 : 0;
    }
    CHECK(vs == 2);
    const auto bt = t->base_ticket();
    REQUIRE(bt);
    CHECK(equal_bytes(bt->thdr().data(), text("mikey-ticket sample")));
    CHECK(bt->t().kind() == ts_type::ntp_utc);
    CHECK(equal_bytes(bt->rand().value(), samples::ticket_rand));
    CHECK(bt->kemac().encryption() == encr_alg::aes_cm_256);
    REQUIRE(bt->idrpsk());
    CHECK(equal_bytes(bt->idrpsk()->data(), text("tpk-1")));
    CHECK(bt->v().kind() == mac_alg::hmac_sha_256_256);
    CHECK(bt->mac_offset() + 32 == bt->bytes().size());
    // with_initiator_data: the same TICKET with other Initiator Data, everything before it
    // copied byte for byte; it writes what the re-encoding builder writes.
    const auto idata = samples::ticket(true).initiator_data;
    for (const bytes_view other : {bytes_view{}, bytes_view(idata)}) {
        auto rebuilt = t->to_builder();
        rebuilt.initiator_data = other;
        std::array<std::uint8_t, 1024> a{}, c{};
        const auto copied = write_payload(t->with_initiator_data(other), a);
        const auto encoded = write_payload(rebuilt, c);
        REQUIRE(copied);
        REQUIRE(encoded);
        CHECK(equal_bytes(*copied, *encoded));
        const auto again = ticket_view::parse(*copied);
        REQUIRE(again);
        CHECK(equal_bytes(again->initiator_data(), other));
        CHECK(equal_bytes(again->bytes().first(again->initiator_data_length_offset()),
                          t->bytes().first(t->initiator_data_length_offset())));
    }
}

TEST_CASE("TICKET rules") {
    const bytes tp = samples::tp_data(false);
    const bytes td = samples::base_ticket_data();
    const bytes id = samples::initiator_data();
    SUBCASE("Initiator Data only with key forking") {
        const auto w = samples::payload(ticket_builder{samples::policy(false), tp, td, {}});
        bytes bad(w.begin(), w.end() - 2);
        bad.push_back(0);
        bad.push_back(static_cast<std::uint8_t>(id.size()));
        bad.insert(bad.end(), id.begin(), id.end());
        CHECK(ticket_view::parse(bad).error_info() == failure{errc::initiator_data_without_i, w.size() - 2});
    }
    SUBCASE("no KEMAC in the granted policy") {
        const bytes d = samples::tp_data(true);
        const auto w = samples::payload(ticket_builder{samples::policy(false), d, td, {}});
        CHECK(ticket_view::parse(w).error() == errc::kemac_in_granted_policy);
    }
    SUBCASE("Initiator Data: Vi, Vr with Vr last") {
        const bytes one_v = samples::chain(samples::v());
        const auto w = samples::payload(ticket_builder{samples::policy(true), tp, td, one_v});
        CHECK(ticket_view::parse(w).error() == errc::missing_payload);
        const bytes v_then_rand = samples::chain(samples::v(), samples::v(), rand_builder{{}, samples::rand_i});
        const auto w2 = samples::payload(ticket_builder{samples::policy(true), tp, td, v_then_rand});
        CHECK(ticket_view::parse(w2).error() == errc::wrong_last_payload);
    }
    SUBCASE("base ticket: THDR, T, RAND, KEMAC, [IDRpsk], V") {
        bytes no_rand(256);
        const thdr_builder thdr{};
        const kemac_builder kemac{encr_alg::null, {}, mac_alg::null, {}};
        const auto r = build_base_ticket_data(no_rand, thdr, samples::t(), kemac, samples::v());
        REQUIRE(r);
        no_rand.resize(r->size());
        // parse() leaves Ticket Data opaque (RFC 6043 §3: for the resolving party); base_ticket()
        // validates it, its offsets from the start of the TICKET payload.
        const auto w = samples::payload(ticket_builder{samples::policy(false), tp, no_rand, {}});
        const auto t = ticket_view::parse(w);
        REQUIRE(t);
        // Ticket Data follows the 8 fixed bytes, TP Data's length and data, and its own length.
        const std::size_t td_at = 8 + 2 + tp.size() + 2;
        CHECK(t->ticket_data_offset() == td_at);
        CHECK(equal_bytes(t->ticket_data(), no_rand));
        CHECK(t->base_ticket().error_info() == failure{errc::missing_payload, td_at + no_rand.size()});
        bytes v_not_last(256);
        const auto r2 = build_base_ticket_data(v_not_last, thdr, samples::t(), rand_builder{{}, samples::rand_i},
                                               kemac, samples::v(), samples::idr(id_role::idrpsk, "p"));
        REQUIRE(r2);
        v_not_last.resize(r2->size());
        const auto w2 = samples::payload(ticket_builder{samples::policy(false), tp, v_not_last, {}});
        const auto t2 = ticket_view::parse(w2);
        REQUIRE(t2);
        // The error is at the last payload, IDRpsk, which starts where the V before it ends.
        const std::size_t idrpsk_at = v_not_last.size() - samples::payload(samples::idr(id_role::idrpsk, "p")).size();
        CHECK(t2->base_ticket().error_info() == failure{errc::wrong_last_payload, td_at + idrpsk_at});
        // Ticket Data cut inside THDR: framing error, at the THDR's length field.
        const bytes short_thdr = {0, 0};
        const auto w3 = samples::payload(ticket_builder{samples::policy(false), tp, short_thdr, {}});
        const auto t3 = ticket_view::parse(w3);
        REQUIRE(t3);
        CHECK(t3->base_ticket().error_info() == failure{errc::length_out_of_bounds, td_at + 1});
    }
    SUBCASE("other ticket types carry opaque Ticket Data") {
        ticket_policy p = samples::policy(false);
        p.kind = ticket_type::base_ticket_3gpp;
        const bytes opaque = {1, 2, 3};
        const auto w = round_trip<ticket_view>(ticket_builder{p, tp, opaque, {}});
        CHECK(ticket_view::parse(w)->base_ticket().error() == errc::ticket_data_unparsed);
    }
}

TEST_CASE("builders report short buffers") {
    std::array<std::uint8_t, 5> small{};
    CHECK(write_payload(samples::t(), small).error() == errc::buffer_too_small);
    std::array<std::uint8_t, 10> exact{};
    CHECK(write_payload(samples::t(), exact));
}

static_assert(payload_view<id_view> && payload_view<idr_view> && payload_view<kemac_view> &&
              payload_view<ticket_view> && payload_view<sign_view>);
static_assert(payload_builder<id_builder> && payload_builder<ticket_builder> && payload_builder<sign_builder>);
static_assert(noexcept(std::declval<const idr_view&>().data()));
static_assert(noexcept(std::declval<const ticket_view&>().flags()));
static_assert(noexcept(idr_view::parse(bytes_view{})));
static_assert(noexcept(message_view::parse(bytes_view{})));

// Views cannot be parsed from temporaries (they would dangle); lvalues and spans are fine.
template <class V, class C>
concept parses_from = requires(C&& c) { V::parse(std::forward<C>(c)); };
using owned = std::vector<std::uint8_t>;
static_assert(!parses_from<message_view, owned>);
static_assert(!parses_from<hdr_view, owned>);
static_assert(!parses_from<idr_view, owned>);
static_assert(!parses_from<randr_view, std::array<std::uint8_t, 8>>);
static_assert(!parses_from<t_view, owned>);
static_assert(!parses_from<kemac_view, owned>);
static_assert(!parses_from<key_data_list, owned>);
static_assert(!parses_from<ticket_view, owned>);
static_assert(!parses_from<base_ticket_view, owned>);
static_assert(!parses_from<sign_view, std::string>);
static_assert(parses_from<message_view, owned&>);
static_assert(parses_from<message_view, const owned&>);
static_assert(parses_from<idr_view, bytes_view>);
static_assert(parses_from<ticket_view, std::span<const std::uint8_t>>);

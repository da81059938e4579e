// KEMAC protect / open for every Encr alg x MAC alg, one-bit changes, and V
// / Vi / Vr over the MAC coverage of RFC 6043 §5.5 Table 5.2 and RFC 3830 §5.2.
#include <mikey/ticket/base_ticket.hpp>
#include <mikey/crypto/derive.hpp>
#include <mikey/crypto/kemac.hpp>
#include <mikey/ticket/mac_coverage.hpp>
#include <mikey/ticket/seal.hpp>

#include "crypto_helpers.hpp"
#include "samples.hpp"

using namespace crypto_test;
using namespace mikey::crypto;
using namespace mikey::ticket;
using mikey::encr_alg;
using mikey::errc;
using mikey::mac_alg;

namespace {

struct kemac_case {
    encr_alg encr;
    mac_alg mac;
    bytes encr_key, salt_key, auth_key;
    std::vector<mikey::key_data_builder> entries;
    bytes tgk, tgk_salt, mpk, spi1, spi2;
};

kemac_case make_case(encr_alg e, mac_alg m) {
    kemac_case c;
    c.encr = e;
    c.mac = m;
    c.encr_key = bytes(*encr_key_size(e), 0x11);
    c.salt_key = bytes(*salt_key_size(e), 0x22);
    c.auth_key = bytes(*auth_key_size(m), 0x33);
    c.tgk = samples::filled(16, 0x40);
    c.tgk_salt = samples::filled(14, 0x60);
    c.spi1 = {0x01};
    c.spi2 = {0x02, 0x03};
    // TGK+SALT (38 bytes with its SPI) then MPK sized so that AES-KW's
    // plaintext is a multiple of 8 bytes (RFC 3394 §2).
    std::size_t mpk_len = 16;
    while ((38 + 4 + mpk_len + 3) % 8 != 0) ++mpk_len;
    c.mpk = samples::filled(mpk_len, 0x80);
    c.entries = {{mikey::key_data_type::tgk_salt, c.tgk, c.tgk_salt, {mikey::kv_type::spi, c.spi1}},
                 {mikey::key_data_type::mpk, c.mpk, {}, {mikey::kv_type::spi, c.spi2}}};
    return c;
}

kemac_protection protection(const kemac_case& c) {
    return {c.encr, c.mac, {c.encr_key, c.salt_key, mikey::csb_id{0x12345678}, 0xEBF99D4CB05EA24Cull}, c.auth_key,
            kemac_mac_scope::kemac_only};
}

}  // namespace

TEST_CASE("KEMAC: every Encr alg x MAC alg protects and opens; one-bit changes fail") {
    auto& b = backend();
    for (const encr_alg e : {encr_alg::null, encr_alg::aes_cm_128, encr_alg::aes_cm_256, encr_alg::aes_kw_128}) {
        for (const mac_alg m : {mac_alg::null, mac_alg::hmac_sha_1_160, mac_alg::hmac_sha_256_256}) {
            CAPTURE(static_cast<int>(e));
            CAPTURE(static_cast<int>(m));
            const auto c = make_case(e, m);
            const auto p = protection(c);
            const auto sz = kemac_size(p, c.entries);
            REQUIRE(sz);
            bytes plain(sz->plain), wire(sz->kemac);
            const auto built = build_protected_kemac(b, p, c.entries, plain, wire);
            REQUIRE_MESSAGE(built, mikey::to_string(built.error()));
            CHECK(plain == bytes(plain.size(), 0));  // scratch wiped
            const auto view = mikey::kemac_view::parse(wire);
            REQUIRE(view);
            REQUIRE(verify_kemac_mac(b, *view, m, c.auth_key));
            bytes opened(view->encrypted_data().size());
            const auto list = open_kemac(b, *view, p.cipher, opened);
            REQUIRE_MESSAGE(list, mikey::to_string(list.error()));
            REQUIRE(list->size() == 2);
            auto it = list->begin();
            CHECK((*it).kind() == mikey::key_data_type::tgk_salt);
            CHECK(hex((*it).key()) == hex(c.tgk));
            CHECK(hex((*it).salt()) == hex(c.tgk_salt));
            ++it;
            CHECK((*it).kind() == mikey::key_data_type::mpk);
            CHECK(hex((*it).key()) == hex(c.mpk));
            if (e != encr_alg::null) {
                CHECK(hex(view->encrypted_data()).find(hex(c.tgk)) == std::string::npos);
            }
            // A downgrade of the MAC alg is refused.
            if (m != mac_alg::null) {
                CHECK(verify_kemac_mac(b, *view, mac_alg::null, c.auth_key).error() == errc::auth_failure);
            }
            // One-bit changes anywhere after the Next payload byte (which the
            // PK-method MAC does not cover, RFC 3830 §6.2).
            const bool detectable = m != mac_alg::null || e == encr_alg::aes_kw_128;
            if (!detectable) continue;
            for (std::size_t i = 1; i < wire.size(); ++i) {
                for (int bit = 0; bit < 8; ++bit) {
                    bytes bad = wire;
                    bad[i] ^= static_cast<std::uint8_t>(1u << bit);
                    const auto v = mikey::kemac_view::parse(bad);
                    if (!v) {
                        CHECK(v.error() != errc::ok);  // framing catches it (its own parse errc)
                        continue;
                    }
                    if (m != mac_alg::null) {
                        const auto r = verify_kemac_mac(b, *v, m, c.auth_key);
                        CHECK_MESSAGE(r.error() == errc::auth_failure, "byte " << i << " bit " << bit);
                    } else {
                        bytes o(v->encrypted_data().size() + 8);
                        const auto r = open_kemac(b, *v, p.cipher, o);
                        CHECK_MESSAGE(!r, "byte " << i << " bit " << bit);
                        if (i >= 4 && i < 4 + v->encrypted_data().size()) {
                            CHECK(r.error() == errc::key_unwrap_failure);
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE("KEMAC: wrong keys and algorithm misuse") {
    auto& b = backend();
    auto c = make_case(encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160);
    auto p = protection(c);
    bytes plain(256), wire(256);
    const bytes k32(32, 1);
    p.cipher.encr_key = k32;
    CHECK(build_protected_kemac(b, p, c.entries, plain, wire).error() == errc::key_length_mismatch);
    p = protection(c);
    p.auth_key = k32;
    CHECK(build_protected_kemac(b, p, c.entries, plain, wire).error() == errc::key_length_mismatch);
    p = protection(c);
    bytes tiny(4);
    CHECK(build_protected_kemac(b, p, c.entries, plain, tiny).error() == errc::buffer_too_small);
    {
        // Encr data longer than its 16-bit length field (RFC 3830 §6.2): refused, never written
        // with a wrapped length. Two 40000-byte keys make an 80 kB plaintext.
        const bytes big(40000, 7), spi_a{1}, spi_b{2};
        const std::vector<mikey::key_data_builder> two{{mikey::key_data_type::tek, big, {}, {mikey::kv_type::spi, spi_a}},
                                                       {mikey::key_data_type::tek, big, {}, {mikey::kv_type::spi, spi_b}}};
        bytes big_plain(90000), big_wire(90000, 0xEE);
        CHECK(build_protected_kemac(b, p, two, big_plain, big_wire).error() == errc::field_too_long);
        CHECK(big_plain == bytes(big_plain.size(), 0));  // the plaintext written was wiped
        const std::vector<mikey::key_data_builder> one{two.front()};
        const auto sz = kemac_size(p, one);
        REQUIRE(sz);
        const auto built = build_protected_kemac(b, p, one, big_plain, big_wire);
        REQUIRE(built);
        CHECK(built->size() == sz->kemac);
        CHECK(kemac_size(p, two).error() == errc::field_too_long);  // the size agrees with the build
    }
    // AES-KW needs a multiple of 8 bytes
    auto kw = make_case(encr_alg::aes_kw_128, mac_alg::null);
    const bytes odd_key(17, 5);
    kw.entries[1].key = odd_key;
    CHECK(build_protected_kemac(b, protection(kw), kw.entries, plain, wire).error() == errc::invalid_argument);
    // AES-KW unwrap with the wrong salt (IV) fails its integrity check
    kw = make_case(encr_alg::aes_kw_128, mac_alg::null);
    const auto sz = kemac_size(protection(kw), kw.entries);
    bytes w2(sz->kemac);
    REQUIRE(build_protected_kemac(b, protection(kw), kw.entries, plain, w2));
    const auto v = mikey::kemac_view::parse(w2);
    auto keys = protection(kw).cipher;
    const bytes other_salt(8, 0x23);
    keys.salt_key = other_salt;
    bytes o(w2.size());
    CHECK(open_kemac(b, *v, keys, o).error() == errc::key_unwrap_failure);
    CHECK(o == bytes(o.size(), 0));
}

namespace {

struct v_case {
    const char* name;
    mikey::ticket::v_inputs in;
};

const samples::sample& sample_named(const std::vector<samples::sample>& all, const char* n) {
    for (const auto& s : all) {
        if (s.name == n) return s;
    }
    FAIL("no sample " << n);
    return all.front();
}

}  // namespace

TEST_CASE("V over the RFC 6043 Table 5.2 / RFC 3830 §5.2 coverage, one-bit changes fail") {
    auto& b = backend();
    const auto all = samples::all();
    const bytes id_i = ascii("sip:alice@example.org"), id_r = ascii("sip:conf-factory@example.org"),
                id_kms = ascii("sip:kms@example.org");
    const auto& request_init = sample_named(all, "request_init_psk").wire;
    const auto& transfer_init = sample_named(all, "transfer_init").wire;
    const auto& resolve_init = sample_named(all, "resolve_init_psk").wire;
    const mikey::identity I{id_i}, R{id_r}, K{id_kms};
    const std::pair<const char*, v_inputs> cases[] = {
        {"request_init_psk", {I, {}, K, {}, {}}},
        {"request_resp", {{}, {}, {}, request_init, {}}},
        {"transfer_init", {I, R, {}, {}, {}}},
        {"transfer_resp", {{}, {}, {}, transfer_init, {}}},
        {"resolve_init_psk", {{}, R, K, {}, {}}},
        {"resolve_resp", {{}, {}, {}, resolve_init, {}}},
        {"error", {}},
        {"psk_verification", {I, R, {}, {}, samples::ntp}},
        {"psk_init_aes", {}},
    };
    for (const auto& one_case : cases) {
        const char* const name = one_case.first;
        const v_inputs& in = one_case.second;
        CAPTURE(name);
        bytes msg = sample_named(all, name).wire;
        REQUIRE(!msg.empty());
        const auto m0 = mikey::message_view::parse(msg);
        REQUIRE(m0);
        const auto alg = *mikey::ticket::detail::closing_mac_alg(*m0);
        const bytes key(*auth_key_size(alg), 0x5A);
        REQUIRE(fill_message_mac(b, msg, key, in));
        const auto m = mikey::message_view::parse(msg);
        REQUIRE(m);
        REQUIRE(verify_message_mac(b, *m, alg, key, in));
        // other key, other appended identity / initial message, downgrade
        const bytes other(key.size(), 0x5B);
        CHECK(verify_message_mac(b, *m, alg, other, in).error() == errc::auth_failure);
        CHECK(verify_message_mac(b, *m, mac_alg::null, key, in).error() == errc::auth_failure);
        v_inputs changed = in;
        const bytes other_id = ascii("sip:mallory@example.org");
        const bytes other_init = ascii("another initial message");
        changed.identity_i = mikey::identity{other_id};
        changed.identity_r = mikey::identity{other_id};
        changed.identity_kms = mikey::identity{other_id};
        changed.initial_message = other_init;
        const bool appends = std::string(name) != "error" && std::string(name) != "psk_init_aes";
        if (appends) {
            CHECK(verify_message_mac(b, *m, alg, key, changed).error() == errc::auth_failure);
        }
        // every covered bit, except TRANSFER_INIT's Initiator Data (cut out, RFC 6043 §5.5)
        const auto cov = *m->mac_input();
        std::size_t flips = 0;
        for (std::size_t part = 0; part < cov.part_count; ++part) {
            const std::size_t start = static_cast<std::size_t>(cov.parts[part].data() - msg.data());
            for (std::size_t i = start; i < start + cov.parts[part].size(); ++i) {
                for (int bit = 0; bit < 8; bit += 3) {
                    bytes bad = msg;
                    bad[i] ^= static_cast<std::uint8_t>(1u << bit);
                    const auto bm = mikey::message_view::parse(bad);
                    ++flips;
                    if (!bm) continue;  // a framing error of its own
                    const auto r = verify_message_mac(b, *bm, alg, key, in);
                    CHECK_MESSAGE(!r, "byte " << i << " bit " << bit);
                }
            }
        }
        CHECK(flips > 0);
        // and the MAC field itself
        bytes bad = msg;
        bad[msg.size() - 1] ^= 0x80;
        CHECK(verify_message_mac(b, *mikey::message_view::parse(bad), alg, key, in).error() == errc::auth_failure);
    }
}

TEST_CASE("TRANSFER_INIT: Initiator Data is outside the V MAC; Vi equals V; Vr keyed from MPKr (D5)") {
    auto& b = backend();
    const auto all = samples::all();
    bytes msg = sample_named(all, "transfer_init").wire;
    const bytes id_i = ascii("sip:alice@example.org"), id_r = ascii("sip:conf-factory@example.org");
    const v_inputs in{mikey::identity{id_i}, mikey::identity{id_r}, {}, {}, {}};
    const bytes mpki(32, 0x01), mpkr(32, 0x02);
    const bytes randri = samples::rand_i;
    std::array<std::uint8_t, 32> auth{}, vr_key{};
    REQUIRE(derive_initial_message_key(b, mikey::prf_func::prf_hmac_sha_256, mpki, message_key::auth,
                                       samples::csb, mikey::rand_value{randri}, {}, auth));
    REQUIRE(derive_vr_auth_key(b, mikey::prf_func::prf_hmac_sha_256, mpkr, vr_key));
    REQUIRE(fill_message_mac(b, msg, auth, in));
    REQUIRE(fill_initiator_data(b, msg, vr_key));
    const auto m = mikey::message_view::parse(msg);
    REQUIRE(m);
    CHECK(verify_message_mac(b, *m, mac_alg::hmac_sha_256_256, auth, in));
    CHECK(verify_vi(b, *m));
    const auto ticket = m->first<mikey::ticket_view>();
    REQUIRE(ticket);
    CHECK(verify_vr(b, ticket->initiator_data(), mac_alg::hmac_sha_256_256, vr_key));
    CHECK(verify_vr(b, ticket->initiator_data(), mac_alg::hmac_sha_256_256, auth).error() == errc::auth_failure);
    // A change inside the Initiator Data leaves V valid but breaks Vi or Vr.
    const std::size_t id_at = static_cast<std::size_t>(ticket->initiator_data().data() - msg.data());
    for (std::size_t i = id_at + 1; i < id_at + ticket->initiator_data().size(); ++i) {
        bytes bad = msg;
        bad[i] ^= 0x01;
        const auto bm = mikey::message_view::parse(bad);
        if (!bm) continue;
        CHECK(verify_message_mac(b, *bm, mac_alg::hmac_sha_256_256, auth, in));
        const auto bt = bm->first<mikey::ticket_view>();
        const bool vi_ok = verify_vi(b, *bm).has_value();
        const bool vr_ok = verify_vr(b, bt->initiator_data(), mac_alg::hmac_sha_256_256, vr_key).has_value();
        CHECK_MESSAGE(!(vi_ok && vr_ok), "byte " << i);
    }
}

TEST_CASE("Vi and Vr need a TICKET with Initiator Data: a message without one is refused, unchanged") {
    auto& b = backend();
    const auto all = samples::all();
    const std::array<std::uint8_t, 32> vr_key{};
    // TRANSFER_RESP carries no TICKET (RFC 6043 §4.2.3.6: Vi is checked in TRANSFER_INIT only).
    bytes msg = sample_named(all, "transfer_resp").wire;
    const bytes before = msg;
    const auto m = mikey::message_view::parse(msg);
    REQUIRE(m);
    REQUIRE_FALSE(m->first<mikey::ticket_view>());
    CHECK(verify_vi(b, *m).error() == errc::missing_payload);
    CHECK(fill_initiator_data(b, msg, vr_key).error() == errc::missing_payload);
    CHECK(msg == before);
}

TEST_CASE("KEMAC, PK method: IDi encrypted ahead of the Key data (RFC 3830 §6.2)") {
    auto& b = backend();
    auto c = make_case(encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160);
    auto p = protection(c);
    const bytes idi = ascii("sip:alice@example.org");
    p.initiator_id = mikey::id_builder{{}, mikey::id_type::uri, idi};
    const auto sz = kemac_size(p, c.entries);
    REQUIRE(sz);
    bytes plain(sz->plain), wire(sz->kemac);
    REQUIRE(build_protected_kemac(b, p, c.entries, plain, wire));
    const auto v = mikey::kemac_view::parse(wire);
    REQUIRE(v);
    REQUIRE(verify_kemac_mac(b, *v, mac_alg::hmac_sha_1_160, c.auth_key));
    bytes opened(v->encrypted_data().size());
    const auto list = open_kemac(b, *v, p.cipher, opened, true);
    REQUIRE(list);
    CHECK(list->size() == 2);
    REQUIRE(list->id());
    CHECK(hex(list->id()->bytes()).find(hex(idi)) != std::string::npos);
    // without id_first the ID is read as a Key data sub-payload and does not frame
    bytes opened2(v->encrypted_data().size());
    CHECK_FALSE(open_kemac(b, *v, p.cipher, opened2));
    CHECK(opened2 == bytes(opened2.size(), 0));  // wiped
}

TEST_CASE("appendix_for: what each message type appends to its MAC input") {
    const bytes i = ascii("i"), r = ascii("r"), k = ascii("k"), init = ascii("init"), ts = ascii("tttttttt");
    const v_inputs in{mikey::identity{i}, mikey::identity{r}, mikey::identity{k}, init, ts};
    auto joined = [&](mikey::data_type t) {
        const auto a = appendix_for(t, in);
        std::string s;
        if (!a) return std::string(mikey::to_string(a.error()));
        for (const auto p : a->view()) s += std::string(p.begin(), p.end()) + "|";
        return s;
    };
    using D = mikey::data_type;
    CHECK(joined(D::request_init_psk) == "i|k|");
    CHECK(joined(D::transfer_init) == "i|r|");
    CHECK(joined(D::resolve_init_psk) == "r|k|");
    CHECK(joined(D::request_resp) == "init|");
    CHECK(joined(D::transfer_resp) == "init|");
    CHECK(joined(D::resolve_resp) == "init|");
    CHECK(joined(D::error) == "");
    CHECK(joined(D::psk_init) == "");
    CHECK(joined(D::psk_verification) == "i|r|tttttttt|");
    CHECK(joined(D::pk_verification) == "i|r|tttttttt|");
    CHECK(joined(D::dh_init) == "invalid_argument");
    v_inputs no_init = in;
    no_init.initial_message = {};
    CHECK(appendix_for(D::transfer_resp, no_init).error() == errc::invalid_argument);
}

TEST_CASE("MIKEY base ticket: V over the TICKET payload minus Next, Initiator Data and MAC (RFC 6043 App. A.1)") {
    auto& b = backend();
    bytes t = samples::payload(samples::ticket(true));  // with Initiator Data (key forking)
    REQUIRE(!t.empty());
    const bytes tpk(32, 0x42);
    std::array<std::uint8_t, 32> auth{}, encr{};
    std::array<std::uint8_t, 14> salt{};
    const mikey::rand_value trand{samples::ticket_rand};
    REQUIRE(derive_ticket_key(b, mikey::prf_func::prf_hmac_sha_256, tpk, message_key::auth, trand, auth));
    REQUIRE(derive_ticket_key(b, mikey::prf_func::prf_hmac_sha_256, tpk, message_key::encr, trand, encr));
    REQUIRE(derive_ticket_key(b, mikey::prf_func::prf_hmac_sha_256, tpk, message_key::salt, trand, salt));
    REQUIRE(fill_base_ticket_mac(b, t, auth));
    const auto v = mikey::ticket_view::parse(t);
    REQUIRE(v);
    CHECK(verify_base_ticket_mac(b, *v, mac_alg::hmac_sha_256_256, auth));
    CHECK(verify_base_ticket_mac(b, *v, mac_alg::hmac_sha_1_160, auth).error() == errc::auth_failure);
    const bytes wrong(32, 0x43);
    CHECK(verify_base_ticket_mac(b, *v, mac_alg::hmac_sha_256_256, wrong).error() == errc::auth_failure);
    // KEMAC inputs: CSB ID 0xFFFFFFFF and the Ticket Data's T
    const auto bt = v->base_ticket();
    REQUIRE(bt);
    const auto keys = base_ticket_cipher_keys(*bt, encr, salt);
    REQUIRE(keys);
    CHECK(keys->csb.get() == 0xFFFFFFFFu);
    CHECK(keys->t == 0xEBF99D4CB05EA24Cull);
    // one-bit changes: the Next Payload byte and the Initiator Data are not covered
    const std::size_t init_len_at = v->initiator_data_length_offset();
    std::size_t covered_checked = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        bytes bad = t;
        bad[i] ^= 0x01;
        const auto bv = mikey::ticket_view::parse(bad);
        if (!bv) continue;
        const auto r = verify_base_ticket_mac(b, *bv, mac_alg::hmac_sha_256_256, auth);
        if (i == 0 || i >= init_len_at) {
            CHECK_MESSAGE(r, "byte " << i);
        } else {
            CHECK_MESSAGE(!r, "byte " << i);
            ++covered_checked;
        }
    }
    CHECK(covered_checked > 50);
}

TEST_CASE("random KEMAC payloads and Initiator Data: errors, never a crash") {
    auto& b = backend();
    std::uint32_t seed = 0x12345678u;
    auto next = [&] {
        seed = seed * 1664525u + 1013904223u;
        return static_cast<std::uint8_t>(seed >> 24);
    };
    const bytes k16(16, 1), k32(32, 2), s14(14, 3), s8(8, 4);
    std::size_t opened = 0;
    for (int n = 0; n < 4000; ++n) {
        const std::size_t len = 4 + next() % 60;
        bytes in(5 + len + 32);
        for (auto& x : in) x = next();
        in[1] = static_cast<std::uint8_t>(next() % 4);  // a known Encr alg
        in[2] = 0;
        in[3] = static_cast<std::uint8_t>(len);
        in[4 + len] = static_cast<std::uint8_t>(next() % 3);  // a known MAC alg
        in.resize(5 + len + mikey::mac_size(static_cast<mac_alg>(in[4 + len])));
        const auto v = mikey::kemac_view::parse(in);
        REQUIRE(v);
        const bool wide = v->encryption() == encr_alg::aes_cm_256;
        const bool kw = v->encryption() == encr_alg::aes_kw_128;
        const kemac_cipher_keys keys{v->encryption() == encr_alg::null ? mikey::bytes_view{} : (wide ? k32 : k16),
                                     v->encryption() == encr_alg::null ? mikey::bytes_view{} : (kw ? s8 : s14),
                                     mikey::csb_id{1}, 2};
        bytes plain(in.size());
        const auto r = open_kemac(b, *v, keys, plain);
        opened += r ? 1 : 0;
        if (!r) CHECK(plain == bytes(plain.size(), 0));  // wiped on every error
        (void)verify_kemac_mac(b, *v, v->mac_algorithm(), v->mac_algorithm() == mac_alg::hmac_sha_1_160 ? bytes(20, 5)
                                                                : v->mac_algorithm() == mac_alg::null ? bytes{} : bytes(32, 5));
        bytes junk(1 + next() % 40);
        for (auto& x : junk) x = next();
        junk[0] = 9;  // First Payload = V
        (void)verify_vr(b, junk, mac_alg::hmac_sha_256_256, k32);
    }
    CHECK(opened < 4000);
}

TEST_CASE("sealing builder: a KEMAC that cannot be built fails seal() with its own error (the first error wins)") {
    auto& b = backend();
    const auto c = make_case(encr_alg::aes_cm_128, mac_alg::null);
    const bytes auth(32, 0x33);
    const auto seal_with = [&](const kemac_cipher_keys& cipher, std::span<const mikey::key_data_builder> keys) {
        bytes out(4096);
        sealed_message_builder sb(out);
        sb.header(samples::hdr(mikey::data_type::transfer_resp))
            .add(samples::t())
            .add_kemac(b, encr_alg::aes_cm_128, cipher, keys)
            .add(samples::t());
        return sb.seal(b, mac_alg::hmac_sha_256_256, auth, {});
    };
    const kemac_cipher_keys good{c.encr_key, c.salt_key, mikey::csb_id{0x12345678}, 0xEBF99D4CB05EA24Cull};
    REQUIRE(seal_with(good, c.entries));
    // An encryption key of the wrong size (RFC 3830 §4.1.4: AES-CM-128 takes 16 bytes).
    const bytes short_key(10, 0x11);
    CHECK(seal_with({short_key, c.salt_key, good.csb, good.t}, c.entries).error() == errc::key_length_mismatch);
    // A salt of the wrong size.
    const bytes long_salt(16, 0x22);
    CHECK(seal_with({c.encr_key, long_salt, good.csb, good.t}, c.entries).error() == errc::key_length_mismatch);
    // Key data over max_kemac_plain bytes of plaintext.
    const bytes big(max_kemac_plain, 0x44);
    const std::array<mikey::key_data_builder, 1> too_much{{{mikey::key_data_type::tgk, big, {}, {}}}};
    CHECK(seal_with(good, too_much).error() == errc::buffer_too_small);
}

TEST_CASE("base ticket: an authentic ticket whose KEMAC does not start with the MPK is refused (missing_key), its "
          "plaintext wiped") {
    // RFC 6043 App. A: the KEMAC holds "MPK || {TEK|TGK|GTGK}". create_base_ticket always writes the MPK
    // first, so the test makes a ticket another KMS could send: AES-CM is a stream cipher, so flipping
    // the first Key data's Type bits in the Encr data turns MPK into TGK; the TPK holder then MACs it again.
    auto& b = backend();
    mikey::crypto::deterministic_rng<botan_backend> rng(b, 5);
    const bytes tpk(32, 0x33), mpk(32, 0x44), tgk(32, 0x55);
    std::array<std::uint8_t, 256> tp_buf{};
    const auto tp_data = mikey::build_payload_chain(
        tp_buf, mikey::idr_builder{mikey::id_role::idrr, mikey::id_type::uri, as_bytes("sip:bob@x")});
    REQUIRE(tp_data);
    const mikey::key_data_builder keys[] = {{mikey::key_data_type::tgk, tgk, {}, {}}};
    mikey::ticket_policy p{};
    p.prf = mikey::prf_func::prf_hmac_sha_256;
    p.flags = *flags_from_letters("DFGH");
    std::array<std::uint8_t, 2048> out{};
    const auto t = create_base_ticket(b, rng,
                                      {p, *tp_data, mpk, keys, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256,
                                       std::nullopt, mikey::ntp_time::from_unix(1796169600)},
                                      tpk, out);
    REQUIRE(t);
    bytes wire(t->payload.begin(), t->payload.end());
    const auto at = [&](mikey::bytes_view part) { return static_cast<std::size_t>(part.data() - t->payload.data()); };
    const auto tv = mikey::ticket_view::parse(t->payload);
    REQUIRE(tv);
    const auto bt = tv->base_ticket();
    REQUIRE(bt);
    // The first Key data's Type|KV byte is the second byte of the KEMAC's plaintext.
    wire[at(bt->kemac().encrypted_data()) + 1] ^=
        static_cast<std::uint8_t>((static_cast<unsigned>(mikey::key_data_type::mpk) ^
                                   static_cast<unsigned>(mikey::key_data_type::tgk)) << 4);
    bytes auth(32);
    REQUIRE(derive_ticket_key(b, p.prf, tpk, message_key::auth, mikey::rand_value(bt->rand().value()), auth));
    const std::size_t mac_at = at(bt->v().value());
    const std::array<mikey::bytes_view, 1> covered{mikey::bytes_view(wire).subspan(1, mac_at - 1)};
    REQUIRE(compute_mac(b, mac_alg::hmac_sha_256_256, auth, covered, mikey::mutable_bytes(wire).subspan(mac_at, 32)));
    const auto forged = mikey::ticket_view::parse(wire);
    REQUIRE(forged);
    REQUIRE(verify_base_ticket_mac(b, *forged, mac_alg::hmac_sha_256_256, auth));  // authentic under the TPK
    std::array<std::uint8_t, 1024> plain{};
    plain.fill(0xA5);
    CHECK(open_base_ticket(b, *forged, mac_alg::hmac_sha_256_256, tpk, plain).error() == errc::missing_key);
    CHECK(std::all_of(plain.begin(), plain.end(), [](std::uint8_t x) { return x == 0; }));
    // The genuine ticket opens, its MPK first.
    const auto opened = open_base_ticket(b, *tv, mac_alg::hmac_sha_256_256, tpk, plain);
    REQUIRE(opened);
    CHECK(mikey::equal_bytes(opened->mpk.key(), mpk));
}

TEST_CASE("Vi / Vr: one Auth alg for V, Vi and Vr; a TRANSFER_INIT not ending in V (RFC 6043 §6.10)") {
    auto& b = backend();
    const std::array<std::uint8_t, 32> vr_key{};
    const mikey::v_builder v256 = samples::v();
    const mikey::v_builder v160{{}, mac_alg::hmac_sha_1_160, samples::mac20};
    const bytes tp = samples::tp_data(false), td = samples::base_ticket_data();
    const auto transfer_init = [&](const bytes& idata, bool closing_v) {
        return samples::build([&](auto& m) {
            m.header(samples::hdr(mikey::data_type::transfer_init))
                .add(samples::t())
                .add(mikey::ticket_builder{samples::policy(true), tp, td, idata});
            if (closing_v) m.add(samples::v());
        });
    };
    // "The authentication algorithm SHALL be the same as used for the Vi payload": each mismatch is auth_failure.
    struct mismatch {
        const char* what;
        bytes idata;
        bool vi_as_v;  // Vi has V's alg (verify_vi compares the MACs then)
    };
    const mismatch cases[] = {{"Vi and Vr HMAC-SHA-1, V HMAC-SHA-256", samples::chain(v160, v160), false},
                              {"Vi HMAC-SHA-256, Vr HMAC-SHA-1", samples::chain(v256, v160), true}};
    for (const auto& c : cases) {
        CAPTURE(c.what);
        bytes msg = transfer_init(c.idata, true);
        const bytes before = msg;
        CHECK(fill_initiator_data(b, msg, vr_key).error() == errc::auth_failure);
        CHECK(msg == before);
        const auto m = mikey::message_view::parse(msg);
        REQUIRE(m);
        const auto ticket = m->first<mikey::ticket_view>();
        REQUIRE(ticket);
        // Vr against the alg the verifier expects (V's): refused whenever Vr or Vi differ from it.
        CHECK(verify_vr(b, ticket->initiator_data(), mac_alg::hmac_sha_256_256, vr_key).error() == errc::auth_failure);
        if (!c.vi_as_v) CHECK(verify_vi(b, *m).error() == errc::auth_failure);
    }
    // Vi and Vr alike but not the alg the verifier expects.
    const bytes sha1_both = transfer_init(samples::chain(v160, v160), true);
    const auto t1 = mikey::message_view::parse(sha1_both)->first<mikey::ticket_view>();
    REQUIRE(t1);
    CHECK(verify_vr(b, t1->initiator_data(), mac_alg::hmac_sha_256_256, vr_key).error() == errc::auth_failure);
    // A message whose last payload is not V: Vi has no V to equal.
    bytes open_end = transfer_init(samples::chain(v256, v256), false);
    const bytes before = open_end;
    const auto m = mikey::message_view::parse(open_end);
    REQUIRE(m);
    CHECK(verify_vi(b, *m).error() == errc::wrong_last_payload);
    CHECK(fill_initiator_data(b, open_end, vr_key).error() == errc::wrong_last_payload);
    CHECK(open_end == before);
}

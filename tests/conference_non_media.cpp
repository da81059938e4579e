// conference/non_media.hpp: keys for BFCP over TLS-PSK (seed 003 G.3.2) and
// the protection of conference event package NOTIFY bodies (G.3.3, read as
// AES-GCM, RFC 5116). The AES-GCM known answers are computed independently
// by tests/vectors/event_package_vector.py (Python `cryptography` AESGCM);
// the meson test event_package_vector_regenerate checks that the literals
// below are exactly what that script prints.
#include "flow_harness.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <mikey/conference/non_media.hpp>
#include <mikey/message.hpp>

#include "crypto_helpers.hpp"

using namespace mikey;
using crypto_test::unhex;
using bytes = std::vector<std::uint8_t>;
namespace conf = mikey::conference;

namespace {

/// A crypto session's keys as a role machine hands them over.
roles::session_key make_key(std::string_view tek_hex, std::string_view salt_hex, std::uint8_t cs = 1,
                            bytes spi = {}) {
    roles::session_key k;
    k.cs = cs_id{cs};
    k.kind = key_data_type::tek_salt;
    auto tek = secret_buffer<64>::from(unhex(tek_hex));
    auto salt = secret_buffer<32>::from(unhex(salt_hex));
    REQUIRE(tek.has_value());
    REQUIRE(salt.has_value());
    k.tek = std::move(*tek);
    k.salt = std::move(*salt);
    REQUIRE(spi.size() <= k.spi.size());
    std::copy(spi.begin(), spi.end(), k.spi.begin());
    k.spi_size = static_cast<std::uint8_t>(spi.size());
    return k;
}

std::string hex(bytes_view b) { return detail::hex_of(b); }

bytes as_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

constexpr std::string_view uri = "sip:conf-4711@focus.example.com";
constexpr std::string_view ctype = conf::conference_info_content_type;

const std::string body_text =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" "
    "entity=\"sip:conf-4711@focus.example.com\" state=\"full\" version=\"1\"/>\n";

// The inputs of tests/vectors/event_package_vector.py.
constexpr std::string_view v1_tek = "6f1b2a9c3d4e5f60718293a4b5c6d7e8";
constexpr std::string_view v1_salt = "0f1e2d3c4b5a69788796a5b4c3d2";

/// seal() of one body into a fresh vector.
bytes seal(conf::notify_sealer& s, bytes_view body, std::string_view u = uri, std::string_view c = ctype) {
    bytes out(conf::notify_protected_size(body.size()));
    const auto r = s.seal(u, c, body, out);
    REQUIRE(r.has_value());
    CHECK(r->size() == out.size());
    return out;
}

/// open() into a fresh buffer: the error, or ok with the body in `got`.
errc try_open(conf::notify_opener& o, bytes_view wire, bytes* got = nullptr, std::string_view u = uri,
          std::string_view c = ctype) {
    bytes out(wire.size() >= conf::notify_overhead ? wire.size() - conf::notify_overhead : 0);
    const auto r = o.open(u, c, wire, out);
    if (!r) return r.error();
    if (got != nullptr) got->assign(r->body.begin(), r->body.end());
    return errc::ok;
}

}  // namespace

// ================================================================ BFCP over TLS-PSK

TEST_CASE("BFCP TLS-PSK: the PSK is the TEK, the identity is mikey-ticket:<csb hex>:<cs>[:<spi hex>]") {
    const auto k = make_key("000102030405060708090a0b0c0d0e0f", "", 3, {0x01, 0x02, 0x03, 0x04});
    const auto p = conf::tls_psk_of(k, csb_id{0x0a0b0c0du});
    REQUIRE(p.has_value());
    CHECK(reveal_hex(p->key) == "000102030405060708090a0b0c0d0e0f");
    CHECK(p->identity.view() == "mikey-ticket:0a0b0c0d:3:01020304");
    CHECK(to_string(p->key) == "<secret 16 bytes>");

    // Without an SPI: no SPI part. CS IDs in decimal, CSB IDs with leading zeros.
    const auto k2 = make_key("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf", "", 10);
    const auto p2 = conf::tls_psk_of(k2, csb_id{0x00000001u});
    REQUIRE(p2.has_value());
    CHECK(p2->identity.view() == "mikey-ticket:00000001:10");
    CHECK(reveal_hex(p2->key) == "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");

    // The longest identity fits exactly.
    const auto id = conf::tls_psk_identity(csb_id{0xFFFFFFFFu}, cs_id{255},
                                           unhex("f0e1d2c3b4a59687"));
    REQUIRE(id.has_value());
    CHECK(id->view() == "mikey-ticket:ffffffff:255:f0e1d2c3b4a59687");
    CHECK(id->view().size() == conf::max_psk_identity_size);
    CHECK(conf::tls_psk_identity(csb_id{0}, cs_id{0}, {})->view() == "mikey-ticket:00000000:0");
    CHECK(conf::tls_psk_identity(csb_id{0}, cs_id{99}, {})->view() == "mikey-ticket:00000000:99");
    CHECK(conf::tls_psk_identity(csb_id{0}, cs_id{100}, {})->view() == "mikey-ticket:00000000:100");
    CHECK(conf::tls_psk_identity(csb_id{0}, cs_id{1}, unhex("000102030405060708")).error() == errc::field_too_long);
    static_assert(conf::tls_psk_identity(csb_id{0xDEADBEEFu}, cs_id{7}, {})->view() == "mikey-ticket:deadbeef:7");
}

TEST_CASE("BFCP TLS-PSK: no TEK, a TEK under 128 bits") {
    CHECK(conf::tls_psk_of(make_key("", "0102"), csb_id{1}).error() == errc::missing_key);
    CHECK(conf::tls_psk_of(make_key("000102030405060708090a0b0c0d0e", ""), csb_id{1}).error() ==
          errc::key_too_short);
}

TEST_CASE("BFCP TLS-PSK from an RFC 6043 mode-1 flow: both ends get the same PSK and identity, each CS its own") {
    flow_test::scenario s;
    s.mode = 1;
    s.forking = true;
    s.kind = key_data_type::tgk;
    s.key_length = 16;
    flow_test::parties p(s);
    const auto r = flow_test::run(p, s);
    REQUIRE(r.error == errc::ok);
    REQUIRE(r.established);
    const flow_test::message* ti = nullptr;
    for (const auto& m : r.messages) {
        if (m.type == data_type::transfer_init) ti = &m;
    }
    REQUIRE(ti != nullptr);
    const auto msg = message_view::parse(ti->wire);
    REQUIRE(msg.has_value());
    const csb_id csb = msg->header().csb();
    REQUIRE(p.ini->session_keys().size() == 2);
    REQUIRE(p.res->session_keys().size() == 2);
    std::vector<std::string> ids;
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < 2; ++i) {
        const auto a = conf::tls_psk_of(p.ini->session_keys()[i], csb);
        const auto b = conf::tls_psk_of(p.res->session_keys()[i], csb);
        REQUIRE(a.has_value());
        REQUIRE(b.has_value());
        CHECK(reveal_hex(a->key) == reveal_hex(b->key));
        CHECK(a->identity.view() == b->identity.view());
        CHECK(reveal_hex(a->key) == reveal_hex(p.ini->session_keys()[i].tek));  // PSK = TEK
        ids.emplace_back(a->identity.view());
        keys.push_back(reveal_hex(a->key));
    }
    CHECK(ids[0] != ids[1]);
    CHECK(keys[0] != keys[1]);
    CHECK(ids[0].rfind("mikey-ticket:", 0) == 0);

    // NOTIFY protection with the same flow's keys: the Initiator seals, the Responder opens.
    auto sealer = conf::notify_sealer::make(p.ini->session_keys()[1]);
    auto opener = conf::notify_opener::make(p.res->session_keys()[1]);
    REQUIRE(sealer.has_value());
    REQUIRE(opener.has_value());
    const bytes body = as_bytes(body_text);
    bytes got;
    CHECK(try_open(*opener, seal(*sealer, body), &got) == errc::ok);
    CHECK(got == body);
    // The other crypto session's key does not open it.
    auto other = conf::notify_opener::make(p.res->session_keys()[0]);
    REQUIRE(other.has_value());
    CHECK(try_open(*other, seal(*sealer, body)) == errc::auth_failure);
}

// ================================================================ event package NOTIFY protection

TEST_CASE("NOTIFY: nonce and associated data are the documented layout") {
    const bytes salt = unhex("0f1e2d3c4b5a69788796a5b4");
    const auto n = conf::notify_nonce(salt, 0x0000000100000002u);
    CHECK(hex(n) == "0f1e2d3c4b5a69798796a5b6");  // salt XOR 00000000 00000001 00000002
    CHECK(hex(conf::notify_nonce(salt, 0)) == hex(salt));
    std::array<std::uint8_t, 64> buf{};
    const auto aad = conf::write_notify_aad("sips:c@x", "text/plain", 0x0102030405060708u, buf);
    REQUIRE(aad.has_value());
    CHECK(aad->size() == conf::notify_aad_size("sips:c@x", "text/plain"));
    CHECK(hex(*aad) == "0008" "736970733a634078" "000a" "746578742f706c61696e" "0102030405060708");
    std::array<std::uint8_t, 10> small{};
    CHECK(conf::write_notify_aad("sips:c@x", "text/plain", 0, small).error() == errc::buffer_too_small);
    const std::string long_uri(conf::max_conference_uri_size + 1, 'u');
    CHECK(conf::write_notify_aad(long_uri, "text/plain", 0, buf).error() == errc::field_too_long);
}

TEST_CASE("NOTIFY: known answers from tests/vectors/event_package_vector.py (Python cryptography AESGCM)") {
    struct vec {
        std::string_view tek, salt;
        std::uint64_t seq;
        std::string_view uri, ctype;
        std::string body;
        std::string_view expected;
    };
    // The expected hex is what `python3 tests/vectors/event_package_vector.py` prints.
    const vec vectors[] = {
        {v1_tek, v1_salt, 0x0000000100000002u, uri, ctype, body_text,
         "0000000100000002f4a9fe062328e250306d13801af15a4dd9bc4d3313a057ed1b4c14c97ba61e8d9bc5226a16d6d7b0c6256d7eb21dc71185fd0e99c6be732f8210ad4543d568e8aabdf6273d06e59d47a296182a14f043e3cb3e04c40e29535cd3be3a6e00276fa8f86d10bbf37e60cf50f3d50fb37eb9520a8bd60f260da83b7206bfcefff5f1e153749387576094606201a2a5bb1519bbbfbccd7b24a043665be2775221336052d58a05a3d8a3d83cdbc3c479dacd1eb54e6556cf7079b453b42b"},
        {"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", "fedcba98765432100123456789ab",
         0xFFFFFFFFFFFFFFFEu, uri, ctype, body_text,
         "fffffffffffffffe01c8220d0824fd8e2de1843e562584568995483314783abd6c3e4a6de4d871bba2b01fb761b7612f3fb6a7e3ae6e96c9725f224f66f4ba9c2622242f101413658e97cd54a283bc9d987fdaa00f606d9d47e4afce25d7249e952476050a2dfd52fe28d5c1f56da0c93f41fb591e188e80d9bb6297c95c4f2ef91f428f7a9829e9e840d1a78900143d0cb0da5d2c0f95c278c7b10c0da6648b78ee35055e2c081255f5d099f1481c41dc8a068eef15f633c68891a2883ab08b86ec14"},
        {"000102030405060708090a0b0c0d0e0f", "101112131415161718191a1b1c1d", 0, "sips:c@x", "text/plain", "",
         "000000000000000019870437fa24fef38713e76ba34c56bd"},
    };
    for (const auto& v : vectors) {
        CAPTURE(v.seq);
        const auto k = make_key(v.tek, v.salt);
        auto s = conf::notify_sealer::make(k, v.seq);
        REQUIRE(s.has_value());
        const bytes body = as_bytes(v.body);
        const bytes wire = seal(*s, body, v.uri, v.ctype);
        CHECK(hex(wire) == v.expected);
        auto o = conf::notify_opener::make(k);
        REQUIRE(o.has_value());
        bytes got{0x55};
        CHECK(try_open(*o, unhex(v.expected), &got, v.uri, v.ctype) == errc::ok);
        CHECK(got == body);
        CHECK(o->highest() == v.seq);
    }
}

TEST_CASE("NOTIFY: round trip of a sequence of bodies; the sealer counts") {
    const auto k = make_key(v1_tek, v1_salt);
    auto s = conf::notify_sealer::make(k);
    auto o = conf::notify_opener::make(k);
    REQUIRE(s.has_value());
    REQUIRE(o.has_value());
    CHECK(s->next_sequence() == 0);
    CHECK_FALSE(o->highest().has_value());
    for (std::uint64_t i = 0; i < 5; ++i) {
        const bytes body = as_bytes(body_text + std::to_string(i));
        const bytes wire = seal(*s, body);
        CHECK(s->next_sequence() == i + 1);
        CHECK(wire[7] == i);
        bytes got;
        REQUIRE(try_open(*o, wire, &got) == errc::ok);
        CHECK(got == body);
        CHECK(o->highest() == i);
    }
    // Same body, next sequence number: another ciphertext.
    const bytes body = as_bytes(body_text);
    CHECK(seal(*s, body) != seal(*s, body));
}

TEST_CASE("NOTIFY: every single-byte tamper fails with auth_failure, so do another URI or content type") {
    const auto k = make_key(v1_tek, v1_salt);
    auto s = conf::notify_sealer::make(k, 1000);
    auto o = conf::notify_opener::make(k);
    REQUIRE(s.has_value());
    REQUIRE(o.has_value());
    const bytes wire = seal(*s, as_bytes(body_text));
    for (std::size_t i = 0; i < wire.size(); ++i) {
        for (const std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xFF}}) {
            bytes t = wire;
            t[i] ^= mask;
            CAPTURE(i);
            CAPTURE(int{mask});
            CHECK(try_open(*o, t) == errc::auth_failure);
        }
    }
    CHECK(try_open(*o, wire, nullptr, "sip:conf-4712@focus.example.com") == errc::auth_failure);
    CHECK(try_open(*o, wire, nullptr, uri, "application/xml") == errc::auth_failure);
    bytes longer = wire;
    longer.push_back(0);
    CHECK(try_open(*o, longer) == errc::auth_failure);
    // Nothing refused moved the window: the genuine body still opens.
    CHECK_FALSE(o->highest().has_value());
    CHECK(try_open(*o, wire) == errc::ok);
}

TEST_CASE("NOTIFY: every truncated prefix fails (truncated below 24 bytes, auth_failure from there)") {
    const auto k = make_key(v1_tek, v1_salt);
    auto s = conf::notify_sealer::make(k);
    auto o = conf::notify_opener::make(k);
    REQUIRE(s.has_value());
    REQUIRE(o.has_value());
    for (const std::size_t body_size : {std::size_t{0}, std::size_t{1}, body_text.size()}) {
        const bytes wire = seal(*s, as_bytes(body_text.substr(0, body_size)));
        for (std::size_t n = 0; n < wire.size(); ++n) {
            CAPTURE(n);
            const errc want = n < conf::notify_overhead ? errc::truncated : errc::auth_failure;
            CHECK(try_open(*o, bytes_view(wire).first(n)) == want);
        }
        CHECK(try_open(*o, wire) == errc::ok);
    }
}

TEST_CASE("NOTIFY: replays are refused; a 64-wide window takes reordering once; older is sequence_too_old") {
    const auto k = make_key(v1_tek, v1_salt);
    auto s = conf::notify_sealer::make(k, 10);
    auto o = conf::notify_opener::make(k);
    REQUIRE(s.has_value());
    REQUIRE(o.has_value());
    std::vector<bytes> w;
    for (int i = 0; i < 100; ++i) w.push_back(seal(*s, as_bytes(body_text)));  // sequence 10 .. 109

    CHECK(try_open(*o, w[5]) == errc::ok);                 // 15
    CHECK(try_open(*o, w[5]) == errc::replayed_message);
    CHECK(try_open(*o, w[2]) == errc::ok);                 // 12: older, inside the window, first time
    CHECK(try_open(*o, w[2]) == errc::replayed_message);
    CHECK(try_open(*o, w[0]) == errc::ok);                 // 10
    CHECK(try_open(*o, w[70]) == errc::ok);                // 80: the window is now 17 .. 80
    CHECK(try_open(*o, w[5]) == errc::sequence_too_old);   // 15
    CHECK(try_open(*o, w[6]) == errc::sequence_too_old);   // 16 = 80 - 64
    CHECK(try_open(*o, w[7]) == errc::ok);                 // 17 = 80 - 63: the oldest still inside
    CHECK(try_open(*o, w[7]) == errc::replayed_message);
    CHECK(try_open(*o, w[70]) == errc::replayed_message);
    CHECK(try_open(*o, w[69]) == errc::ok);                // 79
    CHECK(try_open(*o, w[71]) == errc::ok);                // 81
    CHECK(o->highest() == 81u);
    // A replayed body that was also tampered with: the window answers first.
    bytes t = w[71];
    t.back() ^= 1;
    CHECK(try_open(*o, t) == errc::replayed_message);
    // A jump beyond the window forgets everything below it.
    CHECK(try_open(*o, w[99]) == errc::ok);                // 109
    CHECK(try_open(*o, w[35]) == errc::sequence_too_old);  // 45 = 109 - 64
    CHECK(try_open(*o, w[36]) == errc::ok);                // 46 = 109 - 63, never seen
    CHECK(try_open(*o, w[50]) == errc::ok);                // 60, never seen
    CHECK(try_open(*o, w[71]) == errc::replayed_message);  // 81 still remembered
}

TEST_CASE("NOTIFY: another key or another salt fails with auth_failure") {
    const auto k = make_key(v1_tek, v1_salt);
    auto s = conf::notify_sealer::make(k);
    REQUIRE(s.has_value());
    const bytes wire = seal(*s, as_bytes(body_text));
    // Another member's key: one bit of the TEK differs.
    auto other_key = conf::notify_opener::make(make_key("6f1b2a9c3d4e5f60718293a4b5c6d7e9", v1_salt));
    auto other_salt = conf::notify_opener::make(make_key(v1_tek, "0f1e2d3c4b5a69788796a5b4c3d3"));  // beyond byte 12: same nonce
    auto other_salt12 = conf::notify_opener::make(make_key(v1_tek, "0f1e2d3c4b5a69788796a5b5c3d2"));
    auto aes256 = conf::notify_opener::make(make_key(std::string(v1_tek) + std::string(v1_tek), v1_salt));
    REQUIRE(other_key.has_value());
    REQUIRE(other_salt.has_value());
    REQUIRE(other_salt12.has_value());
    REQUIRE(aes256.has_value());
    CHECK(try_open(*other_key, wire) == errc::auth_failure);
    CHECK(try_open(*other_salt12, wire) == errc::auth_failure);
    CHECK(try_open(*aes256, wire) == errc::auth_failure);
    CHECK(try_open(*other_salt, wire) == errc::ok);  // only the first 12 salt bytes are used (documented)
}

TEST_CASE("NOTIFY: the sealer never wraps: 2^64 - 1 is the last sequence number") {
    const auto k = make_key(v1_tek, v1_salt);
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    auto s = conf::notify_sealer::make(k, max - 1);
    auto o = conf::notify_opener::make(k);
    REQUIRE(s.has_value());
    REQUIRE(o.has_value());
    const bytes body = as_bytes(body_text);
    const bytes a = seal(*s, body);
    CHECK_FALSE(s->exhausted());
    const bytes b = seal(*s, body);
    CHECK(s->exhausted());
    bytes out(conf::notify_protected_size(body.size()));
    CHECK(s->seal(uri, ctype, body, out).error() == errc::sequence_exhausted);
    CHECK(s->seal(uri, ctype, body, out).error() == errc::sequence_exhausted);
    CHECK(try_open(*o, a) == errc::ok);
    CHECK(try_open(*o, b) == errc::ok);
    CHECK(o->highest() == max);
    CHECK(try_open(*o, b) == errc::replayed_message);
}

TEST_CASE("NOTIFY: key errors, buffer sizes, AAD limits; a refused call changes nothing") {
    CHECK(conf::notify_key_of(make_key("", v1_salt)).error() == errc::missing_key);
    CHECK(conf::notify_key_of(make_key("000102030405060708090a0b0c0d0e0f1011121314151617", v1_salt)).error() ==
          errc::key_length_mismatch);  // 24 bytes: no AEAD_AES_192_GCM in RFC 5116
    CHECK(conf::notify_key_of(make_key(v1_tek, "0f1e2d3c4b5a69788796a5")).error() == errc::missing_key);  // 11-byte salt
    CHECK(conf::notify_sealer::make(make_key(v1_tek, "")).error() == errc::missing_key);
    CHECK(conf::notify_opener::make(make_key("0001", v1_salt)).error() == errc::key_length_mismatch);
    const auto nk = conf::notify_key_of(make_key(v1_tek, v1_salt));
    REQUIRE(nk.has_value());
    CHECK(reveal_hex(nk->key) == v1_tek);
    CHECK(reveal_hex(nk->salt) == v1_salt.substr(0, 24));

    const auto k = make_key(v1_tek, v1_salt);
    auto s = conf::notify_sealer::make(k);
    auto o = conf::notify_opener::make(k);
    REQUIRE(s.has_value());
    REQUIRE(o.has_value());
    const bytes body = as_bytes(body_text);
    bytes small(conf::notify_protected_size(body.size()) - 1);
    CHECK(s->seal(uri, ctype, body, small).error() == errc::buffer_too_small);
    const std::string long_uri(conf::max_conference_uri_size + 1, 'u');
    bytes out(conf::notify_protected_size(body.size()));
    CHECK(s->seal(long_uri, ctype, body, out).error() == errc::field_too_long);
    CHECK(s->seal(uri, std::string(conf::max_content_type_size + 1, 't'), body, out).error() ==
          errc::field_too_long);
    CHECK(s->next_sequence() == 0);  // nothing refused used a sequence number
    // The longest URI and content type are accepted.
    const std::string max_uri(conf::max_conference_uri_size, 'u');
    const std::string max_ct(conf::max_content_type_size, 't');
    const bytes w = seal(*s, body, max_uri, max_ct);
    CHECK(try_open(*o, w, nullptr, max_uri, max_ct) == errc::ok);

    const bytes wire = seal(*s, body);
    bytes tiny(body.size() - 1);
    CHECK(o->open(uri, ctype, wire, tiny).error() == errc::buffer_too_small);
    bytes plain(body.size());
    CHECK(o->open(long_uri, ctype, wire, plain).error() == errc::field_too_long);
    CHECK(try_open(*o, wire) == errc::ok);  // still fresh: the refusals did not move the window
}

TEST_CASE("errc: the non-media codes have names, are fatal and send no MIKEY Error") {
    for (const errc e : {errc::sequence_exhausted, errc::sequence_too_old}) {
        CHECK(to_string(e) != "unknown_errc");
        CHECK(is_fatal(e));
        CHECK_FALSE(wire_error(e).has_value());
        for (int a = 0; a < static_cast<int>(e); ++a) CHECK(to_string(static_cast<errc>(a)) != to_string(e));
    }
    CHECK(to_string(errc::sequence_exhausted) == "sequence_exhausted");
    CHECK(to_string(errc::sequence_too_old) == "sequence_too_old");
}

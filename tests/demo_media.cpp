// The secure_conference demo's plumbing (examples/secure_conference/):
//   srtp_media.hpp  libsrtp2 endpoints keyed by srtp.hpp from a session key:
//                   the sender's keys decrypt, another member's keys fail;
//   tls_psk.hpp     Botan TLS 1.2 PSK handshake in memory with the PSK and
//                   identity of conference::tls_psk_of, then a BFCP
//                   FloorRequest / FloorRequestStatus: the same PSK gets the
//                   floor, another PSK or another identity fails the
//                   handshake (reported, not thrown).
// Its own executable, built only where libsrtp2 is found (like
// srtp_integration) and with exceptions (Botan's TLS module throws).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../examples/secure_conference/srtp_media.hpp"
#include "../examples/secure_conference/tls_psk.hpp"
#include "crypto_helpers.hpp"

using namespace mikey;
using crypto_test::unhex;
using bytes = std::vector<std::uint8_t>;
using secure_conference::srtp_endpoint;

namespace {

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
    std::copy(spi.begin(), spi.end(), k.spi.begin());
    k.spi_size = static_cast<std::uint8_t>(spi.size());
    return k;
}

// Two members' media keys (crypto sessions of two bilateral exchanges with the focus).
constexpr std::string_view alice_tek = "e1f97a0d3e018be0d64fa32c06de4167";
constexpr std::string_view alice_salt = "0ec675ad498afeebb6960b3aabe6";
constexpr std::string_view bob_tek = "4c8e5d1a2b3f607182939a4b5c6d7e8f";
constexpr std::string_view bob_salt = "1a2b3c4d5e6f708192a3b4c5d6e7";

bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

}  // namespace

TEST_CASE("demo SRTP: the receiver with the sender's keys gets the payload; another member's keys fail") {
    const auto alice = make_key(alice_tek, alice_salt);
    const auto bob = make_key(bob_tek, bob_salt);
    constexpr std::uint32_t ssrc = 0x5EC0DE01u;
    std::string why;
    auto tx = srtp_endpoint::sender(alice, ssrc, std::nullopt, &why);
    REQUIRE_MESSAGE(tx.has_value(), why);
    auto rx = srtp_endpoint::receiver(alice, ssrc);
    auto eve = srtp_endpoint::receiver(bob, ssrc);
    REQUIRE(rx.has_value());
    REQUIRE(eve.has_value());

    for (std::uint16_t seq = 1000; seq < 1004; ++seq) {
        const bytes payload = text("Gallia est omnis divisa in partes tres " + std::to_string(seq));
        bytes wire;
        REQUIRE(tx->protect(seq, 160u * seq, payload, wire));
        CHECK(wire.size() == secure_conference::rtp_header_size + payload.size() + 10);  // HMAC-SHA1-80 tag
        CHECK(bytes(wire.begin() + 12, wire.begin() + 12 + static_cast<std::ptrdiff_t>(payload.size())) != payload);
        CHECK(wire[8] == 0x5E);  // the SSRC in clear (RFC 3711 §3.1)
        bytes got;
        REQUIRE(rx->unprotect(wire, got));
        CHECK(got == payload);
        bytes stolen{1};
        CHECK_FALSE(eve->unprotect(wire, stolen));
        CHECK(eve->last_status() == srtp_err_status_auth_fail);
        CHECK(stolen.empty());
        // The same packet again: libsrtp2's replay check.
        CHECK_FALSE(rx->unprotect(wire, got));
        CHECK(rx->last_status() == srtp_err_status_replay_fail);
        // One flipped payload bit: authentication fails.
        bytes t = wire;
        t[14] ^= 0x01;
        auto rx2 = srtp_endpoint::receiver(alice, ssrc);
        REQUIRE(rx2.has_value());
        CHECK_FALSE(rx2->unprotect(t, got));
    }
    // Roles are not interchangeable.
    bytes out;
    CHECK_FALSE(rx->protect(1, 1, text("x"), out));
    CHECK_FALSE(tx->unprotect(text("0123456789abcdef"), out));
}

TEST_CASE("demo SRTP: a policy from an SP payload (AES-256-CM) and a key that does not fit it") {
    const bytes sp_bytes = [] {
        const bytes len32{32};  // sp_param holds a view: keep the value alive
        const std::vector<sp_param> ps = {{static_cast<std::uint8_t>(srtp_param::session_encryption_key_length),
                                           len32}};
        const sp_builder b{0, prot_type::srtp, ps, {}};
        bytes w(exact_size(b));
        REQUIRE(write_payload(b, w).has_value());
        return w;
    }();
    const auto sp = sp_view::parse(sp_bytes);
    REQUIRE(sp.has_value());
    const auto k256 = make_key("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", alice_salt);
    std::string why;
    auto tx = srtp_endpoint::sender(k256, 7, *sp, &why);
    auto rx = srtp_endpoint::receiver(k256, 7, *sp);
    REQUIRE_MESSAGE(tx.has_value(), why);
    REQUIRE(rx.has_value());
    bytes wire, got;
    REQUIRE(tx->protect(1, 2, text("payload"), wire));
    REQUIRE(rx->unprotect(wire, got));
    CHECK(got == text("payload"));
    // A 16-byte TEK for a 32-byte master key: master_key_from refuses.
    CHECK_FALSE(srtp_endpoint::sender(make_key(alice_tek, alice_salt), 7, *sp, &why).has_value());
    CHECK(why.find("key_length_mismatch") != std::string::npos);
}

TEST_CASE("demo TLS-PSK: same PSK -> handshake and floor granted; another PSK or identity fails") {
    const csb_id csb{0x0a0b0c0du};
    // The BFCP crypto session (CS 3) as the participant and the focus hold it.
    const auto participant = conference::tls_psk_of(make_key(alice_tek, "", 3, {0xB0, 0x0C}), csb);
    const auto focus = conference::tls_psk_of(make_key(alice_tek, "", 3, {0xB0, 0x0C}), csb);
    REQUIRE(participant.has_value());
    REQUIRE(focus.has_value());
    CHECK(participant->identity.view() == "mikey-ticket:0a0b0c0d:3:b00c");

    SUBCASE("same PSK: ECDHE_PSK or PSK") {
        const auto r = secure_conference::run_bfcp_floor_request(*participant, *focus);
        CAPTURE(r.failure);
        CHECK(r.handshake_ok);
        CHECK(r.floor_granted);
        CHECK(r.ok());
        CHECK(r.failure.empty());
        CHECK(r.suite.find("PSK") != std::string::npos);
        MESSAGE("negotiated " << r.suite);
    }
    SUBCASE("same PSK, plain RFC 4279 PSK only") {
        const secure_conference::psk_only_policy plain({"PSK"});
        const auto r = secure_conference::run_bfcp_floor_request(*participant, *focus, {0x1234u, 42, 9, 5}, plain);
        CAPTURE(r.failure);
        CHECK(r.ok());
        CHECK(r.suite.rfind("PSK_WITH_", 0) == 0);  // Botan's name: no ECDHE_ prefix
        MESSAGE("negotiated " << r.suite);
    }
    SUBCASE("another member's PSK under the same identity: the handshake fails") {
        const auto other = conference::tls_psk_of(make_key(bob_tek, "", 3, {0xB0, 0x0C}), csb);
        REQUIRE(other.has_value());
        CHECK(other->identity.view() == focus->identity.view());
        const auto r = secure_conference::run_bfcp_floor_request(*other, *focus);
        MESSAGE("failure: " << r.failure);
        CHECK_FALSE(r.handshake_ok);
        CHECK_FALSE(r.floor_granted);
        CHECK_FALSE(r.failure.empty());
    }
    SUBCASE("another identity (another CSB) with the right key: the handshake fails") {
        const auto other = conference::tls_psk_of(make_key(alice_tek, "", 3, {0xB0, 0x0C}), csb_id{0x0a0b0c0eu});
        REQUIRE(other.has_value());
        const auto r = secure_conference::run_bfcp_floor_request(*other, *focus);
        MESSAGE("failure: " << r.failure);
        CHECK_FALSE(r.handshake_ok);
        CHECK_FALSE(r.floor_granted);
        CHECK(r.failure.find("unknown PSK identity") != std::string::npos);
    }
}

TEST_CASE("demo BFCP: FloorRequest and FloorRequestStatus layout (RFC 8855 §5.1, §5.2, §5.3)") {
    namespace bfcp = secure_conference::bfcp;
    const auto req = bfcp::encode_floor_request({0x01020304u, 0x0506, 0x0708, 0x090A});
    CHECK(req ==
          unhex("20 01 0001 01020304 0506 0708"  // Ver 1, FloorRequest, 1 word, conf, txn, user
                "05 04 090a"));                  // FLOOR-ID (type 2, M), length 4
    std::size_t used = 0;
    const auto m = bfcp::decode(req, used);
    REQUIRE(m.has_value());
    CHECK(used == req.size());
    CHECK(bfcp::floor_id_of(*m) == std::uint16_t{0x090A});
    const auto resp = bfcp::encode_floor_request_status(*m, 0x090A, 1, bfcp::request_status::granted);
    CHECK(resp ==
          unhex("30 04 0005 01020304 0506 0708"  // R flag, FloorRequestStatus, 5 words
                "1f 14 0001"                     // FLOOR-REQUEST-INFORMATION (15), 20 bytes, request 1
                "25 08 0001 0b 04 03 00"         // OVERALL-REQUEST-STATUS (18): REQUEST-STATUS Granted
                "23 08 090a 0b 04 03 00"));      // FLOOR-REQUEST-STATUS (17), floor 0x090a: Granted
    const auto a = bfcp::decode(resp, used);
    REQUIRE(a.has_value());
    CHECK(bfcp::status_of(*a, 0x0506, 0x090A) == bfcp::request_status::granted);
    CHECK_FALSE(bfcp::status_of(*a, 0x0507, 0x090A).has_value());  // another transaction
    CHECK_FALSE(bfcp::status_of(*a, 0x0506, 0x090B).has_value());  // another floor
    // Every truncation is "not a whole message yet".
    for (std::size_t n = 0; n < resp.size(); ++n) {
        CHECK_FALSE(bfcp::decode(bytes(resp.begin(), resp.begin() + static_cast<std::ptrdiff_t>(n)), used).has_value());
    }
}

// Known-answer tests of the Botan backend against independent published
// vectors: RFC 2202 (HMAC-SHA-1), RFC 4231 (HMAC-SHA-256), RFC 3394 §4 (AES
// key wrap), RFC 3711 App. B.2 (AES-CM key stream).
#include <array>

#include "crypto_helpers.hpp"

using namespace crypto_test;
using mikey::crypto::hmac_hash;

namespace {

std::string run_hmac(hmac_hash h, const bytes& key, const bytes& data) {
    auto& b = backend();
    std::array<std::uint8_t, 32> out{};
    const mikey::mutable_bytes o{out.data(), mikey::crypto::hmac_size(h)};
    REQUIRE(mikey::crypto::hmac(b, h, key, {mikey::bytes_view(data)}, o));
    return hex(o);
}

struct hmac_case {
    const char* source;
    bytes key;
    bytes data;
    const char* sha1;    // RFC 2202
    const char* sha256;  // RFC 4231
};

}  // namespace

TEST_CASE("HMAC-SHA-1 (RFC 2202 §3) and HMAC-SHA-256 (RFC 4231 §4) test cases") {
    const bytes key25 = unhex("0102030405060708090a0b0c0d0e0f10111213141516171819");
    const hmac_case cases[] = {
        {"case 1", bytes(20, 0x0b), ascii("Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"case 2", ascii("Jefe"), ascii("what do ya want for nothing?"), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {"case 3", bytes(20, 0xaa), bytes(50, 0xdd), "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {"case 4", key25, bytes(50, 0xcd), "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.source);
        CHECK(run_hmac(hmac_hash::sha_1, c.key, c.data) == c.sha1);
        CHECK(run_hmac(hmac_hash::sha_256, c.key, c.data) == c.sha256);
    }
    // RFC 2202 cases 6 and 7: an 80-byte key (longer than the SHA-1 block).
    CHECK(run_hmac(hmac_hash::sha_1, bytes(80, 0xaa), ascii("Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "aa4ae5e15272d00e95705637ce8a3b55ed402112");
    CHECK(run_hmac(hmac_hash::sha_1, bytes(80, 0xaa),
                   ascii("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data")) ==
          "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
    // RFC 4231 cases 6 and 7: a 131-byte key.
    CHECK(run_hmac(hmac_hash::sha_256, bytes(131, 0xaa),
                   ascii("Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    CHECK(run_hmac(hmac_hash::sha_256, bytes(131, 0xaa),
                   ascii("This is a test using a larger than block-size key and a larger than block-size data. The key "
                         "needs to be hashed before being used by the HMAC algorithm.")) ==
          "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("HMAC state stays keyed across messages") {
    auto& b = backend();
    REQUIRE(b.hmac_set_key(hmac_hash::sha_1, bytes(20, 0x0b)));
    std::array<std::uint8_t, 20> t{};
    for (int i = 0; i < 3; ++i) {
        const auto d = ascii("Hi There");
        b.hmac_update(hmac_hash::sha_1, d);
        REQUIRE(b.hmac_final(hmac_hash::sha_1, t));
        CHECK(hex(t) == "b617318655057264e28bc0b6fb378c8ef146be00");
    }
    std::array<std::uint8_t, 19> short_out{};
    CHECK(b.hmac_final(hmac_hash::sha_1, short_out).error() == mikey::errc::invalid_argument);
}

TEST_CASE("RFC 3394 §4 key wrap vectors (default IV A6A6A6A6A6A6A6A6)") {
    struct kw {
        const char* section;
        const char* kek;
        const char* data;
        const char* ct;
    };
    const kw cases[] = {
        {"4.1", "000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
         "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"},
        {"4.2", "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF",
         "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D"},
        {"4.3", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF",
         "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7"},
        {"4.4", "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF0001020304050607",
         "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2"},
        {"4.5", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
         "00112233445566778899AABBCCDDEEFF0001020304050607",
         "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1"},
        {"4.6", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
         "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
         "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21"},
    };
    auto& b = backend();
    const bytes iv = unhex("A6A6A6A6A6A6A6A6");
    for (const auto& c : cases) {
        CAPTURE(c.section);
        const bytes kek = unhex(c.kek), data = unhex(c.data), ct = unhex(c.ct);
        bytes out(data.size() + 8);
        REQUIRE(b.aes_key_wrap(kek, iv, data, out));
        CHECK(hex(out) == hex(ct));
        bytes back(data.size());
        REQUIRE(b.aes_key_unwrap(kek, iv, ct, back));
        CHECK(back == data);
        // RFC 3394 §2.2.3: a wrong IV (or any changed bit) fails the integrity check.
        bytes bad = ct;
        bad[bad.size() - 1] ^= 1;
        CHECK(b.aes_key_unwrap(kek, iv, bad, back).error() == mikey::errc::key_unwrap_failure);
        CHECK(back == bytes(back.size(), 0));  // wiped
        const bytes other_iv = unhex("A6A6A6A6A6A6A6A7");
        CHECK(b.aes_key_unwrap(kek, other_iv, ct, back).error() == mikey::errc::key_unwrap_failure);
    }
    bytes out(24), o23(23), o16(16), o12(12);
    CHECK(b.aes_key_wrap(bytes(16), iv, bytes(15), o23).error() == mikey::errc::invalid_argument);
    CHECK(b.aes_key_wrap(bytes(16), iv, bytes(8), o16).error() == mikey::errc::invalid_argument);
    CHECK(b.aes_key_wrap(bytes(15), iv, bytes(16), out).error() == mikey::errc::key_length_mismatch);
    CHECK(b.aes_key_unwrap(bytes(16), iv, bytes(20), o12).error() == mikey::errc::key_unwrap_failure);
}

TEST_CASE("RFC 3711 App. B.2 AES-CM key stream") {
    auto& b = backend();
    const bytes key = unhex("2B7E151628AED2A6ABF7158809CF4F3C");
    const bytes iv = unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
    // 65282 blocks of key stream (the B.2 segment): encrypt zeros.
    const std::size_t blocks = 65282;
    bytes zeros(blocks * 16), ks(blocks * 16);
    REQUIRE(b.aes_ctr(key, iv, zeros, ks));
    auto block = [&](std::size_t i) { return hex(mikey::bytes_view(ks).subspan(16 * i, 16)); };
    CHECK(block(0) == "e03ead0935c95e80e166b16dd92b4eb4");
    CHECK(block(1) == "d23513162b02d0f72a43a2fe4a5f97ab");
    CHECK(block(2) == "41e95b3bb0a2e8dd477901e4fca894c0");
    CHECK(block(0xFEFF) == "ec8cdf7398607cb0f2d21675ea9ea1e4");
    CHECK(block(0xFF00) == "362b7c3c6773516318a077d7fc5073ae");
    CHECK(block(0xFF01) == "6a2cc3787889374fbeb4c81b17ba6c44");
    CHECK(b.aes_ctr(bytes(17), iv, zeros, ks).error() == mikey::errc::key_length_mismatch);
    CHECK(b.aes_ctr(key, bytes(12), zeros, ks).error() == mikey::errc::invalid_argument);
}

TEST_CASE("constant-time compare, random, wipe") {
    auto& b = backend();
    const bytes x = unhex("00112233"), y = unhex("00112234");
    CHECK(b.equal(x, x));
    CHECK_FALSE(b.equal(x, y));
    CHECK_FALSE(b.equal(x, unhex("001122")));
    bytes r1(32), r2(32);
    REQUIRE(b.random(r1));
    REQUIRE(b.random(r2));
    CHECK(r1 != r2);
    b.wipe(r1);
    CHECK(r1 == bytes(32, 0));
    // A replaced RNG (deterministic, as for fuzzing).
    auto made = mikey::crypto::botan_backend::create(
        {nullptr, [](void*, std::uint8_t* out, std::size_t n) noexcept {
             for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i);
             return true;
         }});
    REQUIRE(made);
    bytes d(4);
    REQUIRE(made->random(d));
    CHECK(hex(d) == "00010203");
}

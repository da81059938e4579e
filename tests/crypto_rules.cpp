// Algorithm rules (RFC 6043 §12.1), derivation argument checks, secret buffers.
#include <type_traits>

#include <mikey/core/secret.hpp>
#include <mikey/crypto/algorithms.hpp>
#include <mikey/crypto/derive.hpp>
#include <mikey/crypto/protection_keys.hpp>

#include "crypto_helpers.hpp"

using namespace crypto_test;
using namespace mikey::crypto;
using mikey::errc;
using mikey::prf_func;
using mikey::encr_alg;
using mikey::mac_alg;

TEST_CASE("RFC 6043 §12.1 algorithm suite rules, each violation its own errc") {
    // the two coherent suites
    CHECK(check_algorithm_suite({prf_func::mikey_1, encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160}, 16));
    CHECK(check_algorithm_suite({prf_func::mikey_1, encr_alg::aes_kw_128, mac_alg::hmac_sha_1_160}, 16));
    CHECK(check_algorithm_suite({prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256}, 32));
    CHECK(check_algorithm_suite({prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::null}, 32));
    // mixing 256-bit with 128-bit algorithms, in each position
    CHECK(check_algorithm_suite({prf_func::prf_hmac_sha_256, encr_alg::aes_cm_128, mac_alg::hmac_sha_256_256}, 16)
              .error() == errc::algorithm_mix);
    CHECK(check_algorithm_suite({prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_1_160}, 16)
              .error() == errc::algorithm_mix);
    CHECK(check_algorithm_suite({prf_func::mikey_1, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256}, 16).error() ==
          errc::algorithm_mix);
    CHECK(check_algorithm_suite({prf_func::prf_hmac_sha_256, encr_alg::aes_kw_128, mac_alg::hmac_sha_256_256}, 16)
              .error() == errc::algorithm_mix);
    // session keys above 128 bits with 128-bit algorithms
    CHECK(check_algorithm_suite({prf_func::mikey_1, encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160}, 17).error() ==
          errc::algorithm_too_weak);
    CHECK(check_algorithm_suite({prf_func::mikey_1, encr_alg::null, mac_alg::null}, 32).error() ==
          errc::algorithm_too_weak);
    // algorithms this library lacks
    CHECK(check_algorithm_suite({prf_func::mikey_1, static_cast<encr_alg>(250), mac_alg::hmac_sha_1_160}, 16).error() ==
          errc::unsupported_algorithm);
}

TEST_CASE("RFC 6043 §12.1 key and RAND length rules") {
    CHECK(check_key_length(16));
    CHECK(check_key_length(15).error() == errc::key_too_short);
    CHECK(check_randri_randrr(16, 0, 16));
    CHECK(check_randri_randrr(8, 8, 16));
    CHECK(check_randri_randrr(8, 7, 16).error() == errc::rand_too_short);
    CHECK(check_randrkms(32, 32));
    CHECK(check_randrkms(16, 32).error() == errc::rand_too_short);
    CHECK(check_ticket_rand(32, 16, 32));
    CHECK(check_ticket_rand(16, 32, 16).error() == errc::rand_too_short);
    CHECK(check_ticket_rand(16, 16, 32).error() == errc::rand_too_short);
    CHECK(check_encr_key(encr_alg::aes_cm_256, 16).error() == errc::key_length_mismatch);
    CHECK(check_auth_key(mac_alg::hmac_sha_256_256, 20).error() == errc::key_length_mismatch);
}

TEST_CASE("derivations reject what RFC 6043 forbids, each with its own errc") {
    auto& b = backend();
    const bytes k16(16, 1), k15(15, 1), r16(16, 2), r256(256, 3);
    bytes out(16), out32(32);
    const mikey::rand_value none{}, ri{r16}, huge{r256};
    const auto csb = mikey::csb_id{1};
    // keys < 128 bits
    CHECK(derive_initial_message_key(b, prf_func::mikey_1, k15, message_key::auth, csb, ri, none, out).error() ==
          errc::key_too_short);
    CHECK(derive_response_message_key(b, prf_func::mikey_1, k15, message_key::auth, csb, ri, none, out).error() ==
          errc::key_too_short);
    CHECK(derive_forked_mpkr(b, prf_func::mikey_1, k15, mikey::identity{r16}, ri, out).error() == errc::key_too_short);
    CHECK(derive_session_key(b, prf_func::mikey_1, k15, tgk_key::tek, mikey::cs_id{1}, {ri, none, true, false}, out)
              .error() == errc::key_too_short);
    CHECK(derive_vr_auth_key(b, prf_func::mikey_1, k15, out).error() == errc::key_too_short);
    CHECK(derive_ticket_key(b, prf_func::mikey_1, k15, message_key::encr, ri, out).error() == errc::key_too_short);
    CHECK(derive_mpki(b, prf_func::mikey_1, k15, ri, out).error() == errc::key_too_short);
    // RANDs
    CHECK(derive_initial_message_key(b, prf_func::mikey_1, k16, message_key::auth, csb, none, none, out).error() ==
          errc::rand_too_short);
    CHECK(derive_initial_message_key(b, prf_func::mikey_1, k16, message_key::auth, csb, huge, none, out).error() ==
          errc::field_too_long);
    CHECK(derive_session_key(b, prf_func::mikey_1, k16, tgk_key::tek, mikey::cs_id{1}, {ri, ri, false, false}, out)
              .error() == errc::flag_g_or_h_required);
    CHECK(derive_session_key(b, prf_func::mikey_1, k16, tgk_key::tek, mikey::cs_id{1}, {none, ri, true, false}, out)
              .error() == errc::rand_too_short);
    // outkey_len SHALL equal inkey_len (D3, D7)
    CHECK(derive_forked_tgk(b, prf_func::mikey_1, k16, mikey::identity{r16}, ri, out32).error() ==
          errc::key_length_mismatch);
    CHECK(derive_mpkr(b, prf_func::mikey_1, k16, ri, out32).error() == errc::key_length_mismatch);
    // unknown PRF
    CHECK(derive_mpkr(b, static_cast<prf_func>(5), k16, ri, out).error() == errc::unknown_prf_func);
    // H only / G only are fine and differ
    bytes a(16), c(16);
    REQUIRE(derive_session_key(b, prf_func::mikey_1, k16, tgk_key::tek, mikey::cs_id{1}, {ri, ri, true, false}, a));
    REQUIRE(derive_session_key(b, prf_func::mikey_1, k16, tgk_key::tek, mikey::cs_id{1}, {ri, ri, false, true}, c));
    CHECK(a != c);
}

TEST_CASE("PRF: empty inputs are rejected and out is wiped") {
    auto& b = backend();
    bytes out(8, 0xEE);
    const bytes k(16, 1);
    CHECK(prf(b, prf_func::mikey_1, mikey::bytes_view{}, raw_label(k), out).error() == errc::invalid_argument);
    CHECK(prf_hmac_calls(mikey_1_prf, 100, 100) == 2 * 5 * 4);
}

TEST_CASE("secret buffers: no implicit copies, wipe, no printing") {
    using S = mikey::secret_buffer<32>;
    static_assert(!std::is_copy_constructible_v<S> && !std::is_copy_assignable_v<S>);
    static_assert(std::is_nothrow_move_constructible_v<S>);
    static_assert(!std::is_copy_constructible_v<mikey::secret_bytes>);
    const bytes key = unhex("000102030405060708090a0b0c0d0e0f");
    auto s = S::from(key);
    REQUIRE(s);
    CHECK(mikey::to_string(*s) == "<secret 16 bytes>");
    CHECK(mikey::reveal_hex(*s) == "000102030405060708090a0b0c0d0e0f");
    S moved = std::move(*s);
    CHECK(s->size() == 0);
    CHECK(moved.size() == 16);
    const S copy = moved.clone();
    CHECK(hex(copy.view()) == hex(key));
    CHECK(S::from(bytes(33)).error() == errc::key_length_mismatch);
    // assign: a copy of the new bytes (of any length up to the capacity); a longer key is
    // refused and changes nothing.
    S a;
    REQUIRE(a.assign(key));
    CHECK(hex(a.view()) == hex(key));
    const bytes shorter = unhex("aabbcc");
    REQUIRE(a.assign(shorter));
    CHECK(hex(a.view()) == "aabbcc");
    CHECK(a.size() == 3);
    CHECK(a.assign(bytes(33, 1)).error() == errc::key_length_mismatch);
    CHECK(hex(a.view()) == "aabbcc");
    REQUIRE(a.assign({}));
    CHECK(a.empty());
    // move-assign: the new bytes overwrite the old ones, the old ones past the new size are
    // wiped (read through the buffer's own array), and the source is wiped and emptied.
    S longer;
    REQUIRE(longer.assign(key));
    const std::uint8_t* raw = longer.view().data();
    auto three = S::from(shorter);
    REQUIRE(three);
    longer = std::move(*three);
    CHECK(hex(longer.view()) == "aabbcc");
    CHECK(three->empty());
    CHECK(bytes(raw + 3, raw + 16) == bytes(13, 0));
    moved.wipe();
    CHECK(moved.empty());
    auto d = mikey::secret_bytes::from(key);
    CHECK(mikey::to_string(d) == "<secret 16 bytes>");
    CHECK(mikey::reveal_hex(d) == hex(key));
    // the wipe really writes zeros
    bytes buf = key;
    mikey::secure_wipe(buf);
    CHECK(buf == bytes(16, 0));
}

TEST_CASE("protection keys: sizes follow the suite, values equal the single derivations") {
    auto& b = backend();
    const bytes mpki(32, 7), ri(16, 8), rr(16, 9);
    const algorithm_suite wide{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256};
    const auto k = derive_initial_protection_keys(b, wide, mpki, mikey::csb_id{5}, mikey::rand_value{ri},
                                                  mikey::rand_value{rr});
    REQUIRE(k);
    CHECK(k->encr_key.size() == 32);
    CHECK(k->auth_key.size() == 32);
    CHECK(k->salt_key.size() == 14);
    bytes auth(32);
    REQUIRE(derive_initial_message_key(b, prf_func::prf_hmac_sha_256, mpki, message_key::auth, mikey::csb_id{5},
                                       mikey::rand_value{ri}, mikey::rand_value{rr}, auth));
    CHECK(hex(k->auth_key.view()) == hex(auth));
    const algorithm_suite kw{prf_func::mikey_1, encr_alg::aes_kw_128, mac_alg::null};
    const auto t = derive_ticket_protection_keys(b, kw, mpki, mikey::rand_value{ri});
    REQUIRE(t);
    CHECK(t->encr_key.size() == 16);
    CHECK(t->auth_key.size() == 0);
    CHECK(t->salt_key.size() == 8);
    const auto r = derive_response_protection_keys(b, wide, bytes(8, 1), mikey::csb_id{5}, mikey::rand_value{ri}, {});
    CHECK(r.error() == errc::key_too_short);
    const auto p = derive_psk_protection_keys(b, {prf_func::mikey_1, encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160},
                                              bytes(20, 0x20), mikey::csb_id{1}, mikey::rand_value{ri});
    REQUIRE(p);
    CHECK(p->cipher(mikey::csb_id{1}, 0).encr_key.size() == 16);
    REQUIRE(b.forget_keys());
}

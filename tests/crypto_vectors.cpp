// The PRFs, every derivation and the KEMAC ciphers against
// tests/data/crypto_vectors.vec, produced by the independent Python
// implementation tests/vectors/crypto_vectors.py (hmac/hashlib and the
// `cryptography` package; no code shared with the library). Covers inkeys
// longer than 256 bits (up to 100 bytes = 4 pieces) and outkeys longer than
// one HMAC block (up to 100 bytes).
#include <mikey/crypto/derive.hpp>
#include <mikey/crypto/kemac_cipher.hpp>

#include "crypto_helpers.hpp"

using namespace crypto_test;
using namespace mikey::crypto;
using mikey::prf_func;

namespace {

prf_func pf(const record& r, const char* k = "prf") { return static_cast<prf_func>(r.n(k)); }

message_key mk(const std::string& s) {
    if (s == "encr") return message_key::encr;
    if (s == "auth") return message_key::auth;
    return message_key::salt;
}
tgk_key tk(const std::string& s) {
    if (s == "tek") return tgk_key::tek;
    if (s == "auth") return tgk_key::auth;
    if (s == "encr") return tgk_key::encr;
    return tgk_key::salt;
}

}  // namespace

TEST_CASE("PRF, RFC 3830 and RFC 6043 derivations, KEMAC ciphers: independent vectors") {
    auto& b = backend();
    const auto recs = load_vectors("crypto_vectors.vec");
    REQUIRE(recs.size() > 300);
    std::map<std::string, int> seen;
    for (const auto& r : recs) {
        const std::string line = r.kind + " " + (r.f.count("inkey") ? r.s("inkey") : "") + " -> " +
                                 (r.f.count("out") ? r.s("out") : "");
        CAPTURE(line);
        const bytes want = r.h("out");
        bytes out(want.size());
        mikey::result<void> res{};
        if (r.kind == "prf") {
            const bytes label = r.h("label");
            res = prf(b, static_cast<prf_func>(r.n("func")), r.h("inkey"), raw_label(label), out);
        } else if (r.kind == "tgk_key") {
            res = derive_tgk_key(b, pf(r), r.h("inkey"), tk(r.s("key")), mikey::cs_id{static_cast<std::uint8_t>(r.n("cs"))},
                                 mikey::csb_id{static_cast<std::uint32_t>(r.n("csb"))},
                                 mikey::rand_value{mikey::bytes_view(r.h("rand"))}, out);
        } else if (r.kind == "msg_key") {
            const bytes rand = r.h("rand");
            res = derive_message_key(b, pf(r), r.h("inkey"), mk(r.s("key")),
                                     mikey::csb_id{static_cast<std::uint32_t>(r.n("csb"))}, mikey::rand_value{rand}, out);
        } else if (r.kind == "d1" || r.kind == "d2") {
            const bytes ri = r.h("randri"), rr = r.h("randrr");
            const auto csb = mikey::csb_id{static_cast<std::uint32_t>(r.n("csb"))};
            res = r.kind == "d1" ? derive_initial_message_key(b, pf(r), r.h("inkey"), mk(r.s("key")), csb,
                                                              mikey::rand_value{ri}, mikey::rand_value{rr}, out)
                                 : derive_response_message_key(b, pf(r), r.h("inkey"), mk(r.s("key")), csb,
                                                               mikey::rand_value{ri}, mikey::rand_value{rr}, out);
        } else if (r.kind == "d3") {
            const bytes id = r.h("id"), rk = r.h("randrkms");
            res = r.s("key") == "mpkr"
                      ? derive_forked_mpkr(b, pf(r), r.h("inkey"), mikey::identity{id}, mikey::rand_value{rk}, out)
                      : derive_forked_tgk(b, pf(r), r.h("inkey"), mikey::identity{id}, mikey::rand_value{rk}, out);
        } else if (r.kind == "d4") {
            const bytes ri = r.h("randri"), rr = r.h("randrr");
            const d4_rands rs{mikey::rand_value{ri}, mikey::rand_value{rr}, r.n("h") == 1, r.n("g") == 1};
            res = derive_session_key(b, pf(r), r.h("inkey"), tk(r.s("key")),
                                     mikey::cs_id{static_cast<std::uint8_t>(r.n("cs"))}, rs, out);
        } else if (r.kind == "d5") {
            res = derive_vr_auth_key(b, pf(r), r.h("inkey"), out, mk(r.s("key")));
        } else if (r.kind == "d6") {
            const bytes rand = r.h("rand");
            res = derive_ticket_key(b, pf(r), r.h("inkey"), mk(r.s("key")), mikey::rand_value{rand}, out);
        } else if (r.kind == "d7") {
            const bytes rand = r.h("rand");
            res = r.s("key") == "mpki" ? derive_mpki(b, pf(r), r.h("inkey"), mikey::rand_value{rand}, out)
                                       : derive_mpkr(b, pf(r), r.h("inkey"), mikey::rand_value{rand}, out);
        } else if (r.kind == "aes_cm") {
            const bytes key = r.h("key"), salt = r.h("salt");
            const kemac_cipher_keys k{key, salt, mikey::csb_id{static_cast<std::uint32_t>(r.n("csb"))}, r.n("t")};
            CHECK(hex(aes_cm_iv(salt, k.csb, k.t)) == r.s("iv"));
            const auto alg = key.size() == 16 ? mikey::encr_alg::aes_cm_128 : mikey::encr_alg::aes_cm_256;
            res = kemac_encrypt(b, alg, k, r.h("plain"), out);
            bytes back(out.size());
            REQUIRE(kemac_decrypt(b, alg, k, want, back));
            CHECK(back == r.h("plain"));
        } else if (r.kind == "aes_kw") {
            const bytes key = r.h("key"), iv = r.h("iv");
            const kemac_cipher_keys k{key, iv, mikey::csb_id{0}, 0};
            res = kemac_encrypt(b, mikey::encr_alg::aes_kw_128, k, r.h("plain"), out);
            bytes back(out.size() - 8);
            REQUIRE(kemac_decrypt(b, mikey::encr_alg::aes_kw_128, k, want, back));
            CHECK(back == r.h("plain"));
        } else {
            FAIL("unknown record kind " << r.kind);
        }
        REQUIRE_MESSAGE(res.has_value(), mikey::to_string(res.error()));
        CHECK(hex(out) == hex(want));
        seen[r.kind]++;
    }
    for (const char* k : {"prf", "tgk_key", "msg_key", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "aes_cm", "aes_kw"}) {
        CAPTURE(k);
        CHECK(seen[k] > 0);
    }
}

TEST_CASE("RFC 3830 digest §4.4 reference values") {
    // Also in the vector file; repeated here so a reader sees them.
    auto& b = backend();
    const bytes tgk = unhex("000102030405060708090a0b0c0d0e0f"), rand = unhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    bytes tek(16), salt(14);
    REQUIRE(derive_tgk_key(b, prf_func::mikey_1, tgk, tgk_key::tek, mikey::cs_id{1}, mikey::csb_id{0x12345678},
                           mikey::rand_value{rand}, tek));
    REQUIRE(derive_tgk_key(b, prf_func::mikey_1, tgk, tgk_key::salt, mikey::cs_id{1}, mikey::csb_id{0x12345678},
                           mikey::rand_value{rand}, salt));
    CHECK(hex(tek) == "9ba4f67e6a85e7e7e9aa57681ca1f27d");
    CHECK(hex(salt) == "c19bd30c0f756df5cb26cb343639");
}

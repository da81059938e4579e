// srtp.hpp: SP payload -> SRTP policy (RFC 3830 §6.10.1, RFC 4771 §4,
// RFC 6188, RFC 7714), each refusal with srtp_policy_unsupported; the CS ID
// maps' stream data (SSRC, ROC, SEQ, SPI); master key and salt from session
// keys and from a TGK, against tests/data/srtp_vectors.vec, computed by the
// independent tests/vectors/srtp_vectors.py (Python hmac/hashlib only).
#include "crypto_helpers.hpp"

#include <array>
#include <initializer_list>
#include <utility>

#include <mikey/message.hpp>
#include <mikey/payload/kemac.hpp>
#include <mikey/srtp.hpp>

using namespace mikey;
using crypto_test::bytes;
using crypto_test::unhex;

namespace {

using P = srtp_param;
using param_list = std::initializer_list<std::pair<P, bytes>>;

/// The SP payload bytes for these parameters.
bytes sp_wire(param_list params, prot_type prot = prot_type::srtp, std::uint8_t policy_no = 0) {
    std::vector<sp_param> ps;
    for (const auto& [k, v] : params) ps.push_back({static_cast<std::uint8_t>(k), v});
    const sp_builder b{policy_no, prot, ps, {}};
    bytes out(exact_size(b));
    REQUIRE(write_payload(b, out).has_value());
    return out;
}

result<srtp::policy> policy_of(param_list params, prot_type prot = prot_type::srtp) {
    const bytes wire = sp_wire(params, prot);
    const auto sp = sp_view::parse(wire);
    REQUIRE(sp.has_value());
    return srtp::policy_from(*sp);
}

bytes one(std::uint8_t v) { return bytes{v}; }

// The gortsplib / GStreamer-style PSK message (shared/spec/sdp-key-mgmt.md §2):
// SRTP-ID map (SSRC 0x958c2327, ROC 0, policy 0), SP with type 3 = 10, and a
// TEK of 30 bytes = master key || master salt in a NULL KEMAC.
const bytes gst_message = unhex(
    "010005007a23295e010000958c2327000000000b00ebf99d4cb05ea24c0a106c1c02e3ebc63ebf7a7c9bf80dbeacd7010000001500010101"
    "011002010103010a0701010801010a0101000000220020001e5fc5ef382cc8321d094ce5a2bd62f111f953512a757e38f68bcc46ec3f4300");

roles::session_key session_key_of(key_data_type kind, bytes_view key, bytes_view tek, bytes_view salt,
                                  std::uint8_t cs = 1) {
    roles::session_key k;
    k.cs = cs_id{cs};
    k.kind = kind;
    k.key = std::move(*secret_buffer<64>::from(key));
    k.tek = std::move(*secret_buffer<64>::from(tek));
    k.salt = std::move(*secret_buffer<32>::from(salt));
    return k;
}

}  // namespace

TEST_CASE("SRTP policy: defaults (RFC 3830 §6.10.1 -> RFC 3711 §5, §8.2)") {
    constexpr auto d = srtp::default_policy();
    static_assert(d.master_key_len == 16 && d.master_salt_len == 14 && d.key_derivation_rate == 0);
    static_assert(d.rtp.profile == srtp::suite::aes_cm_128_hmac_sha1_80 && d.rtp.cipher_key_len == 30);
    static_assert(d.rtp.auth_key_len == 20 && d.rtp.auth_tag_len == 10 && d.rtp.encrypt && d.rtp.authenticate);
    static_assert(d.rtcp == d.rtp);
    static_assert(srtp::policy_from(std::optional<sp_view>{}).has_value());
    CHECK(*srtp::policy_from(std::optional<sp_view>{}) == d);
    CHECK(*policy_of({}) == d);  // an SP without parameters
    CHECK(srtp::to_string(srtp::suite::aes_gcm_256_16_auth) == "aes_gcm_256_16_auth");
}

TEST_CASE("SRTP policy: suites libsrtp2 knows") {
    // RFC 3830 §6.10.1 with all the usual parameters written out
    auto p = policy_of({{P::encryption_algorithm, one(1)}, {P::session_encryption_key_length, one(16)},
                        {P::authentication_algorithm, one(1)}, {P::session_authentication_key_length, one(20)},
                        {P::session_salt_key_length, one(14)}, {P::srtp_prf, one(0)},
                        {P::key_derivation_rate, one(0)}, {P::srtp_encryption, one(1)}, {P::srtcp_encryption, one(1)},
                        {P::fec_order, one(0)}, {P::srtp_authentication, one(1)},
                        {P::authentication_tag_length, one(10)}, {P::srtp_prefix_length, one(0)}});
    REQUIRE(p.has_value());
    CHECK(*p == srtp::default_policy());
    // 32-bit tag: SRTP only; SRTCP keeps 80 bits (RFC 3711 §5.2)
    p = policy_of({{P::authentication_tag_length, one(4)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.profile == srtp::suite::aes_cm_128_hmac_sha1_32);
    CHECK(p->rtp.auth_tag_len == 4);
    CHECK(p->rtcp.profile == srtp::suite::aes_cm_128_hmac_sha1_80);
    CHECK(p->rtcp.auth_tag_len == 10);
    // RFC 6188: AES-192 / AES-256 counter mode, 112-bit salt
    p = policy_of({{P::session_encryption_key_length, one(32)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.profile == srtp::suite::aes_cm_256_hmac_sha1_80);
    CHECK(p->rtp.cipher_key_len == 46);
    CHECK(p->master_key_len == 32);
    p = policy_of({{P::session_encryption_key_length, one(24)}, {P::authentication_tag_length, one(4)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.profile == srtp::suite::aes_cm_192_hmac_sha1_32);
    CHECK(p->rtcp.profile == srtp::suite::aes_cm_192_hmac_sha1_80);
    // RFC 7714 §15: AES-GCM, key length decides, 96-bit salt, 16-octet tag
    p = policy_of({{P::encryption_algorithm, one(6)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.profile == srtp::suite::aes_gcm_128_16_auth);
    CHECK(p->rtp.cipher_key_len == 28);
    CHECK(p->master_salt_len == 12);
    CHECK(p->rtp.auth_tag_len == 16);
    CHECK(p->rtp.auth_type == srtp::auth::null);
    CHECK(p->rtcp.profile == srtp::suite::aes_gcm_128_16_auth);
    p = policy_of({{P::encryption_algorithm, one(6)}, {P::session_encryption_key_length, one(32)},
                   {P::session_salt_key_length, one(12)}, {P::aead_auth_tag_length, one(16)},
                   {P::authentication_algorithm, one(4)}});  // AEAD: auth params ignored (RFC 7714 §14.3)
    REQUIRE(p.has_value());
    CHECK(p->rtp.profile == srtp::suite::aes_gcm_256_16_auth);
    CHECK(p->rtp.cipher_key_len == 44);
    // NULL cipher
    p = policy_of({{P::encryption_algorithm, one(0)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.profile == srtp::suite::null_cipher_hmac_sha1_80);
    CHECK_FALSE(p->rtp.encrypt);
    CHECK_FALSE(p->rtcp.encrypt);
    // switches: encryption off keeps the suite, turns off the service
    p = policy_of({{P::srtp_encryption, one(0)}, {P::srtcp_encryption, one(0)}, {P::srtp_authentication, one(0)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.profile == srtp::suite::aes_cm_128_null_auth);
    CHECK(p->rtp.auth_tag_len == 0);
    CHECK_FALSE(p->rtp.encrypt);
    CHECK_FALSE(p->rtp.authenticate);
    CHECK_FALSE(p->rtcp.encrypt);
    CHECK(p->rtcp.authenticate);  // RFC 3711 §3.4: mandatory for SRTCP
    // RFC 4771 §4: the specific parameter wins over the general one
    p = policy_of({{P::authentication_tag_length, one(4)}, {P::srtp_auth_tag_length, one(10)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.auth_tag_len == 10);
    p = policy_of({{P::srtp_auth_algorithm, one(0)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.profile == srtp::suite::aes_cm_128_null_auth);
    CHECK_FALSE(p->rtp.authenticate);
    CHECK(p->rtcp.profile == srtp::suite::aes_cm_128_hmac_sha1_80);
    p = policy_of({{P::srtp_auth_algorithm, one(0)}, {P::encryption_algorithm, one(0)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.profile == srtp::suite::null_cipher_hmac_null);
    // GStreamer's type 3 = tag length (shared/spec/rfc3830-core.md §9 #1)
    p = policy_of({{P::session_authentication_key_length, one(4)}});
    REQUIRE(p.has_value());
    CHECK(p->rtp.auth_tag_len == 4);
    CHECK(p->rtp.auth_key_len == 20);
    // key derivation rate: powers of two up to 2^24 (RFC 3711 §3.2.1)
    p = policy_of({{P::key_derivation_rate, bytes{0x01, 0x00, 0x00, 0x00}}});
    REQUIRE(p.has_value());
    CHECK(p->key_derivation_rate == (1u << 24));
    CHECK(policy_of({{P::key_derivation_rate, one(1)}})->key_derivation_rate == 1);
    CHECK(policy_of({{P::roc_transmission_rate, bytes{0, 1}}}).has_value());
}

TEST_CASE("SRTP policy: each unsupported or contradictory parameter is refused") {
    const auto refused = [](param_list params) {
        const auto p = policy_of(params);
        CHECK(p.error() == errc::srtp_policy_unsupported);
    };
    refused({{P::encryption_algorithm, one(2)}});        // AES-F8: not in libsrtp2
    refused({{P::encryption_algorithm, one(3)}});        // SEED
    refused({{P::encryption_algorithm, one(7)}});        // ARIA
    refused({{P::session_encryption_key_length, one(20)}});
    refused({{P::encryption_algorithm, one(6)}, {P::session_encryption_key_length, one(24)}});
    refused({{P::encryption_algorithm, one(0)}, {P::session_encryption_key_length, one(32)}});
    refused({{P::session_salt_key_length, one(12)}});    // AES-CM: 112-bit salt
    refused({{P::encryption_algorithm, one(6)}, {P::session_salt_key_length, one(14)}});  // GCM: 96 bits
    refused({{P::srtp_prf, one(1)}});
    refused({{P::key_derivation_rate, one(3)}});
    refused({{P::key_derivation_rate, bytes{0x02, 0x00, 0x00, 0x00}}});  // 2^25
    refused({{P::srtp_encryption, one(2)}});
    refused({{P::srtcp_encryption, one(2)}});
    refused({{P::srtp_authentication, one(9)}});
    refused({{P::fec_order, one(1)}});
    refused({{P::srtp_prefix_length, one(4)}});
    refused({{P::roc_transmission_rate, bytes{0, 0}}});  // RFC 4771 §4: non-zero
    refused({{P::authentication_algorithm, one(2)}});    // RCCm1 (RFC 4771): not in libsrtp2
    refused({{P::authentication_algorithm, one(0)}});    // SRTCP unauthenticated (RFC 3711 §3.4)
    refused({{P::srtcp_auth_algorithm, one(0)}});
    refused({{P::session_authentication_key_length, one(16)}});
    refused({{P::authentication_tag_length, one(8)}});
    refused({{P::srtcp_auth_tag_length, one(4)}});       // RFC 3711 §5.2: SRTCP n_tag >= 80
    refused({{P::encryption_algorithm, one(0)}, {P::authentication_tag_length, one(4)}});  // no such suite
    refused({{P::encryption_algorithm, one(6)}, {P::aead_auth_tag_length, one(8)}});
    refused({{P::encryption_algorithm, one(6)}, {P::srtp_encryption, one(0)}});
    refused({{P::encryption_algorithm, one(6)}, {P::srtp_authentication, one(0)}});
    refused({{P::encryption_algorithm, one(6)}, {P::srtcp_encryption, one(0)}});  // RFC 7714: AEAD encrypts SRTCP
    // An authentication parameter that does not read (twice, empty, over 8 bytes): general, SRTP, SRTCP.
    refused({{P::authentication_algorithm, one(1)}, {P::authentication_algorithm, one(1)}});
    refused({{P::srtp_auth_algorithm, bytes{}}});
    refused({{P::srtcp_session_auth_key_length, bytes(9, 0)}});
    refused({{P::srtp_auth_tag_length, one(10)}, {P::srtp_auth_tag_length, one(10)}});
    refused({{P::encryption_algorithm, one(1)}, {P::encryption_algorithm, one(1)}});  // twice
    refused({{P::encryption_algorithm, bytes{}}});                                     // empty value
    refused({{P::key_derivation_rate, bytes(9, 0)}});                                  // over 8 bytes
    CHECK(policy_of({}, prot_type::tesla).error() == errc::not_an_srtp_session);
}

TEST_CASE("CS ID maps: SSRC, ROC, SEQ, policies, SPI of a crypto session") {
    // SRTP-ID (RFC 3830 §6.1.1)
    const auto msg = message_view::parse(gst_message);
    REQUIRE(msg.has_value());
    const auto s = srtp::stream_of(msg->header(), cs_id{1});
    REQUIRE(s.has_value());
    CHECK(s->ssrc == 0x958c2327u);
    CHECK(s->roc == 0u);
    CHECK_FALSE(s->seq.has_value());
    CHECK(s->policies.size() == 1);
    CHECK(s->policies[0] == 0);
    CHECK(srtp::stream_of(msg->header(), cs_id{0}).error() == errc::invalid_argument);
    CHECK(srtp::stream_of(msg->header(), cs_id{2}).error() == errc::invalid_argument);
    const auto sp = srtp::find_policy(*msg, *s);
    REQUIRE(sp.has_value());
    const auto pol = srtp::policy_from(sp);
    REQUIRE(pol.has_value());
    CHECK(*pol == srtp::default_policy());  // AES-CM 128, HMAC-SHA1 80 (type 3 = 10 read as the tag)

    // GENERIC-ID (RFC 6043 §6.1.1): S = 1 with ROC and SEQ; S = 0; no Session Data; TESLA
    const bytes sd1 = {0x11, 0x22, 0x33, 0x44, 0, 0, 0, 5, 0x12, 0x34};
    const bytes sd2 = {0xAA, 0xBB, 0xCC, 0xDD};
    const bytes pol_a = {7, 3};
    const bytes pol_b = {9};
    const bytes spi = {0xDE, 0xAD};
    const generic_id_block blocks[] = {
        {1, prot_type::srtp, true, pol_a, sd1, spi},
        {2, prot_type::srtp, false, pol_b, sd2, {}},
        {4, prot_type::srtp, false, {}, {}, {}},
        {5, prot_type::tesla, false, {}, {}, {}},
    };
    const bytes sp3 = sp_wire({{P::authentication_tag_length, one(4)}}, prot_type::srtp, 3);
    const bytes sp9 = sp_wire({{P::session_encryption_key_length, one(32)}}, prot_type::srtp, 9);
    std::array<std::uint8_t, 256> buf{};
    const hdr_builder h{data_type::psk_init, false, prf_func::mikey_1, csb_id{1}, std::span<const generic_id_block>(blocks)};
    const auto wire = build_message(buf, h, sp_builder{3, prot_type::srtp, {}, bytes_view(sp3).subspan(5)},
                                    sp_builder{9, prot_type::srtp, {}, bytes_view(sp9).subspan(5)});
    REQUIRE(wire.has_value());
    const auto g = message_view::parse(*wire);
    REQUIRE(g.has_value());
    const auto g1 = srtp::stream_of(g->header(), cs_id{1});
    REQUIRE(g1.has_value());
    CHECK(g1->ssrc == 0x11223344u);
    CHECK(g1->roc == 5u);
    CHECK(g1->seq == std::uint16_t{0x1234});
    CHECK(equal_bytes(g1->spi, spi));
    CHECK(equal_bytes(g1->policies, pol_a));
    // policy 7 is not in the message, 3 is
    const auto sp_g1 = srtp::find_policy(*g, *g1);
    REQUIRE(sp_g1.has_value());
    CHECK(sp_g1->policy_no() == 3);
    CHECK(srtp::policy_from(sp_g1)->rtp.auth_tag_len == 4);
    const auto g2 = srtp::stream_of(g->header(), cs_id{2});
    REQUIRE(g2.has_value());
    CHECK(g2->ssrc == 0xAABBCCDDu);
    CHECK_FALSE(g2->roc.has_value());
    CHECK_FALSE(g2->seq.has_value());
    CHECK(srtp::policy_from(srtp::find_policy(*g, *g2))->master_key_len == 32);
    const auto g4 = srtp::stream_of(g->header(), cs_id{4});
    REQUIRE(g4.has_value());
    CHECK_FALSE(g4->ssrc.has_value());
    CHECK_FALSE(srtp::find_policy(*g, *g4).has_value());  // no policy listed: defaults
    CHECK(srtp::stream_of(g->header(), cs_id{3}).error() == errc::invalid_argument);
    CHECK(srtp::stream_of(g->header(), cs_id{5}).error() == errc::not_an_srtp_session);

    // Empty map (RFC 4563 §5)
    const hdr_builder e{data_type::psk_init, false, prf_func::mikey_1, csb_id{1}, empty_map{2}};
    const auto ew = build_message(buf, e, sp_builder{0, prot_type::srtp, {}, {}});
    REQUIRE(ew.has_value());
    // (an SP with the Empty map is refused by message_view; the header alone suffices here)
    const auto eh = hdr_view::parse(*ew);
    REQUIRE(eh.has_value());
    CHECK(srtp::stream_of(*eh, cs_id{2}).has_value());
    CHECK_FALSE(srtp::stream_of(*eh, cs_id{2})->ssrc.has_value());
    CHECK(srtp::stream_of(*eh, cs_id{3}).error() == errc::invalid_argument);
}

TEST_CASE("master key and salt from session keys") {
    const auto d = srtp::default_policy();
    // TEK of 30 bytes without salt (GStreamer / gortsplib): split into key || salt
    const auto msg = message_view::parse(gst_message);
    REQUIRE(msg.has_value());
    const auto kemac = msg->first<kemac_view>();
    REQUIRE(kemac.has_value());
    const auto keys = key_data_list::parse(kemac->encrypted_data());
    REQUIRE(keys.has_value());
    const auto kd = *keys->begin();
    REQUIRE(kd.key().size() == 30);
    const auto gst = session_key_of(key_data_type::tek, kd.key(), kd.key(), {});
    const auto m = srtp::master_key_from(gst, d);
    REQUIRE(m.has_value());
    CHECK(equal_bytes(m->key.view(), kd.key().first(16)));
    CHECK(equal_bytes(m->salt.view(), kd.key().subspan(16)));
    std::array<std::uint8_t, 30> ks{};
    REQUIRE(m->write_key_salt(ks).has_value());
    CHECK(equal_bytes(ks, kd.key()));
    std::array<std::uint8_t, 29> small{};
    CHECK(m->write_key_salt(small).error() == errc::buffer_too_small);
    // the whole session: stream, policy, keys, no MKI (no SPI)
    const auto s = srtp::session_from(gst, *msg, *msg);
    REQUIRE(s.has_value());
    CHECK(s->stream.ssrc == 0x958c2327u);
    CHECK(s->policy == d);
    CHECK(s->mki.empty());

    const bytes k16(16, 0x11), k32(32, 0x22), s14(14, 0x33), s12(12, 0x44);
    // TEK+SALT: used as they are; lengths must match the policy
    CHECK(srtp::master_key_from(session_key_of(key_data_type::tek_salt, k16, k16, s14), d).has_value());
    CHECK(srtp::master_key_from(session_key_of(key_data_type::tek_salt, k32, k32, s14), d).error() ==
          errc::key_length_mismatch);
    CHECK(srtp::master_key_from(session_key_of(key_data_type::tek_salt, k16, k16, s12), d).error() ==
          errc::key_length_mismatch);
    CHECK(srtp::master_key_from(session_key_of(key_data_type::tek, k16, k16, {}), d).error() == errc::missing_key);
    CHECK(srtp::master_key_from(session_key_of(key_data_type::mpk, k16, k16, s14), d).error() == errc::missing_key);
    // TGK: the role layer's TEK / salt are prefixes of longer derivations
    const auto tgk = session_key_of(key_data_type::tgk, k32, k32, s14);
    auto gcm = srtp::default_policy();
    gcm.master_key_len = 16;
    gcm.master_salt_len = 12;
    const auto mg = srtp::master_key_from(tgk, gcm);
    REQUIRE(mg.has_value());
    CHECK(equal_bytes(mg->key.view(), bytes_view(k32).first(16)));
    CHECK(equal_bytes(mg->salt.view(), bytes_view(s14).first(12)));
    auto aes256 = srtp::default_policy();
    aes256.master_key_len = 32;
    CHECK(srtp::master_key_from(session_key_of(key_data_type::tgk, k16, k16, s14), aes256).error() ==
          errc::key_length_mismatch);
    // TGK+SALT: the carried salt, exact length
    CHECK(srtp::master_key_from(session_key_of(key_data_type::tgk_salt, k16, k16, s14), d).has_value());
    CHECK(srtp::master_key_from(session_key_of(key_data_type::gtgk_salt, k16, k16, s14), gcm).error() ==
          errc::key_length_mismatch);
    // MKI: the SPI by default
    auto with_spi = session_key_of(key_data_type::tgk, k16, k16, s14);
    with_spi.spi = {1, 2, 3, 4};
    with_spi.spi_size = 4;
    CHECK(srtp::mki_of(with_spi).size() == 4);
    CHECK(srtp::mki_of(with_spi, srtp::mki_use::none).empty());
}

TEST_CASE("master key and salt from a TGK: independent vectors (RFC 6043 §5.1.3, RFC 3830 §4.1.3)") {
    auto& b = crypto_test::backend();
    const auto recs = crypto_test::load_vectors("srtp_vectors.vec");
    REQUIRE(recs.size() == 80);
    for (const auto& r : recs) {
        CAPTURE(r.kind);
        CAPTURE(r.s("key"));
        srtp::policy p = srtp::default_policy();
        p.master_key_len = static_cast<std::uint8_t>(r.n("key_len"));
        p.master_salt_len = static_cast<std::uint8_t>(r.n("salt_len"));
        const auto f = static_cast<prf_func>(r.n("prf"));
        const bytes tgk = r.h("tgk");
        const cs_id cs{static_cast<std::uint8_t>(r.n("cs"))};
        result<srtp::master_key> m = errc::invalid_argument;
        if (r.kind == "d4") {
            const bytes ri = r.h("randri"), rr = r.h("randrr");
            const crypto::d4_rands rands{rand_value(ri), rand_value(rr), r.n("h") == 1, r.n("g") == 1};
            m = srtp::derive_master_key(b, f, tgk, cs, rands, {}, p);
            // A carried salt (+SALT kinds) replaces the derived one, at the policy's length only.
            const bytes carried(p.master_salt_len, 0x5A);
            const auto with_salt = srtp::derive_master_key(b, f, tgk, cs, rands, carried, p);
            REQUIRE(with_salt.has_value());
            CHECK(equal_bytes(with_salt->salt.view(), carried));
            const bytes wrong(p.master_salt_len + 1u, 0x5A);
            CHECK(srtp::derive_master_key(b, f, tgk, cs, rands, wrong, p).error() == errc::key_length_mismatch);
            // The role layer's session_key (TEK as long as the TGK, 14-byte salt) gives the
            // same keys where the lengths allow (PRF outputs are prefixes of longer ones).
            roles::session_key k;
            k.cs = cs;
            k.kind = key_data_type::tgk;
            REQUIRE(k.tek.resize(tgk.size()).has_value());
            REQUIRE(k.salt.resize(14).has_value());
            REQUIRE(crypto::derive_session_key(b, f, tgk, crypto::tgk_key::tek, cs, rands, k.tek.mutable_view()));
            REQUIRE(crypto::derive_session_key(b, f, tgk, crypto::tgk_key::salt, cs, rands, k.salt.mutable_view()));
            const auto from_role = srtp::master_key_from(k, p);
            if (tgk.size() >= p.master_key_len) {
                REQUIRE(from_role.has_value());
                CHECK(crypto_test::hex(from_role->key.view()) == r.s("key"));
                CHECK(crypto_test::hex(from_role->salt.view()) == r.s("salt"));
            } else {
                CHECK(from_role.error() == errc::key_length_mismatch);
            }
        } else {
            const bytes rand = r.h("rand");
            const srtp::rfc3830_inputs in{csb_id{static_cast<std::uint32_t>(r.n("csb"))}, rand_value(rand)};
            m = srtp::derive_master_key(b, f, tgk, cs, in, {}, p);
        }
        REQUIRE(m.has_value());
        CHECK(crypto_test::hex(m->key.view()) == r.s("key"));
        CHECK(crypto_test::hex(m->salt.view()) == r.s("salt"));
    }
}

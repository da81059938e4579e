// srtp.hpp's output driving libsrtp2: an RFC 6043 mode-1 flow (forking, TGK)
// gives Initiator and Responder the same crypto-session keys; each end turns
// them into an SRTP master key / salt and policy with srtp.hpp, the
// Initiator protects RTP and RTCP with libsrtp2, the Responder unprotects
// them; a receiver with another key (or another ROC) fails. For every suite
// srtp.hpp maps, plus MKI (the SPI) and ROC (the GENERIC-ID map).
//
// Its own executable, linked to libsrtp2 (Debian libsrtp2-dev); not built
// when libsrtp2 is missing. The library itself never includes libsrtp2.
#include "flow_harness.hpp"

#include <srtp2/srtp.h>

#include <cstring>
#include <initializer_list>
#include <utility>

#include <mikey/srtp.hpp>

using namespace flow_test;
using bytes = std::vector<std::uint8_t>;

namespace {

/// libsrtp2 is initialised once per process.
void init_libsrtp() {
    static const bool ok = srtp_init() == srtp_err_status_ok;
    REQUIRE(ok);
}

/// libsrtp2's crypto policy for srtp.hpp's: the named suite, then sec_serv.
/// srtp::to_string names the suite by its libsrtp2 setter's suffix: checked
/// here against the setter each suite calls.
#define MIKEY_TEST_SRTP_SUITE(name)                   \
    case srtp::suite::name:                           \
        srtp_crypto_policy_set_##name(&c);            \
        CHECK(srtp::to_string(p.profile) == #name); \
        break;
void set_crypto(srtp_crypto_policy_t& c, const srtp::crypto_policy& p) {
    switch (p.profile) {
        MIKEY_TEST_SRTP_SUITE(aes_cm_128_hmac_sha1_80)
        MIKEY_TEST_SRTP_SUITE(aes_cm_128_hmac_sha1_32)
        MIKEY_TEST_SRTP_SUITE(aes_cm_128_null_auth)
        MIKEY_TEST_SRTP_SUITE(aes_cm_192_hmac_sha1_80)
        MIKEY_TEST_SRTP_SUITE(aes_cm_192_hmac_sha1_32)
        MIKEY_TEST_SRTP_SUITE(aes_cm_192_null_auth)
        MIKEY_TEST_SRTP_SUITE(aes_cm_256_hmac_sha1_80)
        MIKEY_TEST_SRTP_SUITE(aes_cm_256_hmac_sha1_32)
        MIKEY_TEST_SRTP_SUITE(aes_cm_256_null_auth)
        MIKEY_TEST_SRTP_SUITE(null_cipher_hmac_sha1_80)
        MIKEY_TEST_SRTP_SUITE(null_cipher_hmac_null)
        MIKEY_TEST_SRTP_SUITE(aes_gcm_128_16_auth)
        MIKEY_TEST_SRTP_SUITE(aes_gcm_256_16_auth)
    }
    // srtp.hpp's description of the suite is what libsrtp2's setter sets.
    CAPTURE(srtp::to_string(p.profile));
    if (p.cipher_type != srtp::cipher::null) CHECK(c.cipher_key_len == p.cipher_key_len);
    CHECK(c.auth_key_len == p.auth_key_len);
    CHECK(c.auth_tag_len == p.auth_tag_len);
    c.sec_serv = static_cast<srtp_sec_serv_t>((p.encrypt ? sec_serv_conf : 0) | (p.authenticate ? sec_serv_auth : 0));
}
#undef MIKEY_TEST_SRTP_SUITE

/// One libsrtp2 session with one stream, keyed by srtp.hpp's output.
class endpoint {
public:
    endpoint(const srtp::policy& pol, const srtp::master_key& keys, std::uint32_t ssrc, mikey::bytes_view mki,
             std::optional<std::uint32_t> roc) {
        init_libsrtp();
        m_key.resize(keys.key.size() + keys.salt.size());
        REQUIRE(keys.write_key_salt(m_key).has_value());
        m_mki.assign(mki.begin(), mki.end());
        srtp_policy_t p{};
        set_crypto(p.rtp, pol.rtp);
        set_crypto(p.rtcp, pol.rtcp);
        p.ssrc.type = ssrc_specific;
        p.ssrc.value = ssrc;
        p.window_size = 128;
        if (m_mki.empty()) {
            p.key = m_key.data();
        } else {
            // RFC 3830 §6.13 / RFC 6043 §6.1.1: the SPI names the key as the MKI.
            m_master = {m_key.data(), m_mki.data(), static_cast<unsigned>(m_mki.size())};
            m_masters[0] = &m_master;
            p.keys = m_masters;
            p.num_master_keys = 1;
        }
        REQUIRE(srtp_create(&m_ctx, &p) == srtp_err_status_ok);
        if (roc) REQUIRE(srtp_set_stream_roc(m_ctx, ssrc, *roc) == srtp_err_status_ok);
    }
    endpoint(const endpoint&) = delete;
    endpoint& operator=(const endpoint&) = delete;
    ~endpoint() {
        if (m_ctx != nullptr) srtp_dealloc(m_ctx);
        mikey::secure_wipe(mikey::mutable_bytes(m_key));
    }

    bytes protect(bytes pkt, bool rtcp) {
        const std::size_t plain = pkt.size();
        pkt.resize(plain + SRTP_MAX_TRAILER_LEN + 16);
        int len = static_cast<int>(plain);
        const unsigned use_mki = m_mki.empty() ? 0 : 1;
        const auto st = rtcp ? srtp_protect_rtcp_mki(m_ctx, pkt.data(), &len, use_mki, 0)
                             : srtp_protect_mki(m_ctx, pkt.data(), &len, use_mki, 0);
        REQUIRE(st == srtp_err_status_ok);
        pkt.resize(static_cast<std::size_t>(len));
        return pkt;
    }
    srtp_err_status_t unprotect(bytes& pkt, bool rtcp) {
        int len = static_cast<int>(pkt.size());
        const unsigned use_mki = m_mki.empty() ? 0 : 1;
        const auto st = rtcp ? srtp_unprotect_rtcp_mki(m_ctx, pkt.data(), &len, use_mki)
                             : srtp_unprotect_mki(m_ctx, pkt.data(), &len, use_mki);
        if (st == srtp_err_status_ok) pkt.resize(static_cast<std::size_t>(len));
        return st;
    }

private:
    srtp_t m_ctx = nullptr;
    bytes m_key;
    bytes m_mki;
    srtp_master_key_t m_master{};
    srtp_master_key_t* m_masters[1]{};
};

bytes rtp_packet(std::uint32_t ssrc, std::uint16_t seq) {
    bytes p = {0x80, 0x00, static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq), 0, 0, 0x10, 0x00,
               static_cast<std::uint8_t>(ssrc >> 24), static_cast<std::uint8_t>(ssrc >> 16),
               static_cast<std::uint8_t>(ssrc >> 8), static_cast<std::uint8_t>(ssrc)};
    const char* text = "Gallia est omnis divisa in partes tres";
    p.insert(p.end(), text, text + std::strlen(text));
    return p;
}

bytes rtcp_packet(std::uint32_t ssrc) {
    // RTCP receiver report with no report blocks (RFC 3550 §6.4.2)
    return {0x80, 201, 0x00, 0x01, static_cast<std::uint8_t>(ssrc >> 24), static_cast<std::uint8_t>(ssrc >> 16),
            static_cast<std::uint8_t>(ssrc >> 8), static_cast<std::uint8_t>(ssrc)};
}

/// The SP payload bytes of these SRTP parameters.
bytes sp_wire(std::initializer_list<std::pair<srtp_param, bytes>> params) {
    std::vector<sp_param> ps;
    for (const auto& [k, v] : params) ps.push_back({static_cast<std::uint8_t>(k), v});
    const sp_builder b{0, prot_type::srtp, ps, {}};
    bytes out(exact_size(b));
    REQUIRE(write_payload(b, out).has_value());
    return out;
}

/// Alice (the Initiator) sends, Bob (the Responder) receives, with keys each
/// made from their own session key; Eve's key differs in one bit.
void round_trip(const srtp::policy& pol, const roles::session_key& alice, const roles::session_key& bob,
                std::uint32_t ssrc, mikey::bytes_view mki, std::optional<std::uint32_t> roc = {}) {
    const auto ka = srtp::master_key_from(alice, pol);
    const auto kb = srtp::master_key_from(bob, pol);
    REQUIRE(ka.has_value());
    REQUIRE(kb.has_value());
    endpoint tx(pol, *ka, ssrc, mki, roc);
    endpoint rx(pol, *kb, ssrc, mki, roc);
    auto ke = srtp::master_key_from(bob, pol);
    ke->key.mutable_view()[0] ^= 0x01;
    endpoint eve(pol, *ke, ssrc, mki, roc);
    endpoint late(pol, *kb, ssrc, mki, roc ? std::optional<std::uint32_t>(*roc + 1) : std::nullopt);

    for (std::uint16_t seq : {std::uint16_t{1000}, std::uint16_t{1001}}) {
        const bytes plain = rtp_packet(ssrc, seq);
        const bytes wire = tx.protect(plain, false);
        CHECK(wire.size() == plain.size() + pol.rtp.auth_tag_len * (pol.rtp.authenticate ? 1u : 0u) + mki.size());
        if (pol.rtp.encrypt) CHECK(wire != plain);
        bytes got = wire;
        REQUIRE(rx.unprotect(got, false) == srtp_err_status_ok);
        CHECK(got == plain);
        bytes forged = wire;
        const auto st = eve.unprotect(forged, false);
        if (pol.rtp.authenticate) {
            CHECK(st == srtp_err_status_auth_fail);
        } else if (pol.rtp.encrypt) {
            CHECK((st != srtp_err_status_ok || forged != plain));  // no tag: garbage at best
        }
        if (roc) {
            bytes other = wire;
            CHECK(late.unprotect(other, false) == srtp_err_status_auth_fail);  // the ROC is authenticated
        }
    }
    const bytes plain = rtcp_packet(ssrc);
    const bytes wire = tx.protect(plain, true);
    bytes got = wire;
    REQUIRE(rx.unprotect(got, true) == srtp_err_status_ok);
    CHECK(got == plain);
    bytes forged = wire;
    CHECK(eve.unprotect(forged, true) == srtp_err_status_auth_fail);  // SRTCP is always authenticated
}

struct flow_keys {
    parties p;
    run_result r;
    explicit flow_keys(const scenario& s) : p(s), r(run(p, s)) {}
};

scenario tgk_scenario(std::size_t key_length) {
    scenario s;
    s.mode = 1;
    s.forking = true;
    s.kind = key_data_type::tgk;
    s.key_length = key_length;
    return s;
}

}  // namespace

TEST_CASE("libsrtp2: keys from an RFC 6043 flow protect at one end and unprotect at the other") {
    flow_keys f(tgk_scenario(32));
    REQUIRE(f.r.error == errc::ok);
    REQUIRE(f.r.established);
    const auto& alice = f.p.ini->session_keys()[0];
    const auto& bob = f.p.res->session_keys()[0];
    // The CS ID map of TRANSFER_INIT names the stream (SSRC, SPI) of each crypto session.
    const flow_test::message* ti = nullptr;
    for (const auto& m : f.r.messages) {
        if (m.type == data_type::transfer_init) ti = &m;
    }
    REQUIRE(ti != nullptr);
    const auto msg = message_view::parse(ti->wire);
    REQUIRE(msg.has_value());
    const auto sa = srtp::session_from(alice, *msg, *msg);
    const auto sb = srtp::session_from(bob, *msg, *msg);
    REQUIRE(sa.has_value());
    REQUIRE(sb.has_value());
    CHECK(sa->policy == srtp::default_policy());  // no SP in TRANSFER_INIT
    CHECK(equal_bytes(sa->keys.key.view(), sb->keys.key.view()));
    CHECK(equal_bytes(sa->mki, alice.spi_view()));
    CHECK(equal_bytes(sa->stream.spi, alice.spi_view()));  // the map's SPI is the key's
    REQUIRE(sa->stream.ssrc.has_value());
    const std::uint32_t ssrc = *sa->stream.ssrc != 0 ? *sa->stream.ssrc : 0x5EC0DE01u;

    SUBCASE("default policy, no MKI") { round_trip(sa->policy, alice, bob, ssrc, {}); }
    SUBCASE("default policy, the SPI as MKI") {
        REQUIRE_FALSE(sa->mki.empty());
        round_trip(sa->policy, alice, bob, ssrc, sa->mki);
    }
    SUBCASE("every suite srtp.hpp maps") {
        using P = srtp_param;
        const bytes b0{0}, b1{1}, b4{4}, b6{6}, b16{16}, b24{24}, b32{32};
        const std::vector<bytes> sps = {
            sp_wire({{P::authentication_tag_length, b4}}),
            sp_wire({{P::session_encryption_key_length, b24}}),
            sp_wire({{P::session_encryption_key_length, b24}, {P::authentication_tag_length, b4}}),
            sp_wire({{P::session_encryption_key_length, b32}}),
            sp_wire({{P::session_encryption_key_length, b32}, {P::authentication_tag_length, b4}}),
            sp_wire({{P::srtp_auth_algorithm, b0}}),
            sp_wire({{P::srtp_auth_algorithm, b0}, {P::session_encryption_key_length, b24}}),
            sp_wire({{P::srtp_auth_algorithm, b0}, {P::session_encryption_key_length, b32}}),
            sp_wire({{P::encryption_algorithm, b0}}),
            sp_wire({{P::encryption_algorithm, b0}, {P::srtp_auth_algorithm, b0}}),
            sp_wire({{P::encryption_algorithm, b6}}),
            sp_wire({{P::encryption_algorithm, b6}, {P::session_encryption_key_length, b32}}),
            sp_wire({{P::srtp_encryption, b0}, {P::srtcp_encryption, b0}}),
            sp_wire({{P::srtp_authentication, b0}}),
            sp_wire({{P::encryption_algorithm, b1}, {P::session_encryption_key_length, b16}}),
        };
        for (const auto& w : sps) {
            const auto sp = sp_view::parse(w);
            REQUIRE(sp.has_value());
            const auto pol = srtp::policy_from(*sp);
            REQUIRE(pol.has_value());
            CAPTURE(srtp::to_string(pol->rtp.profile));
            CAPTURE(pol->rtp.encrypt);
            CAPTURE(pol->rtp.authenticate);
            round_trip(*pol, alice, bob, ssrc, {});
            // libsrtp2 (2.5.0) answers srtp_err_status_bad_mki to SRTCP with an MKI when the
            // SRTP and SRTCP tag lengths differ (the _32 suites): it looks for the SRTCP MKI
            // with the SRTP tag length. Observed here; a libsrtp2 limit, not a key problem.
            if (pol->rtp.auth_tag_len == pol->rtcp.auth_tag_len) round_trip(*pol, alice, bob, ssrc, sa->mki);
        }
    }
    SUBCASE("a ROC from a GENERIC-ID map (RFC 6043 §6.1.1, S = 1)") {
        const bytes sd = {0x5E, 0xC0, 0xDE, 0x02, 0, 0, 0, 7, 0x03, 0xE8};
        const generic_id_block block{alice.cs.get(), prot_type::srtp, true, {}, sd, alice.spi_view()};
        std::array<std::uint8_t, 64> buf{};
        const auto hdr = build_message(buf, hdr_builder{data_type::transfer_init, true, prf_func::mikey_1, csb_id{1},
                                                        std::span<const generic_id_block>(&block, 1)});
        REQUIRE(hdr.has_value());
        const auto h = hdr_view::parse(*hdr);
        REQUIRE(h.has_value());
        const auto st = srtp::stream_of(*h, alice.cs);
        REQUIRE(st.has_value());
        CHECK(st->roc == 7u);
        CHECK(st->seq == std::uint16_t{1000});
        round_trip(srtp::default_policy(), alice, bob, *st->ssrc, {}, st->roc);
    }
}

TEST_CASE("libsrtp2: 128-bit TGKs (MIKEY-1 suite) give AES-128 keys; AES-256 needs a TGK derivation") {
    auto s = tgk_scenario(16);
    s.suite = {prf_func::mikey_1, encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160};
    flow_keys f(s);
    REQUIRE(f.r.established);
    const auto& alice = f.p.ini->session_keys()[1];
    const auto& bob = f.p.res->session_keys()[1];
    round_trip(srtp::default_policy(), alice, bob, 0x0BADCAFE, alice.spi_view());
    auto aes256 = srtp::default_policy();
    aes256.master_key_len = 32;
    CHECK(srtp::master_key_from(alice, aes256).error() == errc::key_length_mismatch);
}

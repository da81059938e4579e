// The ticket layer's parts on their own: NTP time, the replay cache, the
// deterministic RNG, the key store, the base ticket, the sealing builder
// (checked against the message_view-based MAC functions, a separate code
// path that parses the message).
#include "flow_harness.hpp"
#include "samples.hpp"

#include "../tools/common/hex.hpp"

#include <mikey/ticket/base_ticket.hpp>
#include <mikey/ticket/mac_coverage.hpp>
#include <mikey/ticket/messages.hpp>
#include <mikey/ticket/seal.hpp>

using namespace flow_test;

TEST_CASE("ntp_time: Unix and system_clock conversions, RFC 4330 eras, payload values") {
    const auto t = ntp_time::from_unix(1796169600, 0x80000000u);  // 2026-12-02T00:00:00.5Z
    CHECK(t.ntp32() == 1796169600u + 2208988800u);
    CHECK(t.fraction() == 0x80000000u);
    CHECK(ntp_time::from(t.to_system_clock()) == t);
    CHECK(ntp_time::from_ntp64(t.ntp64()) == t);
    // 2036-02-07T06:28:16Z wraps the 32-bit seconds to 0: still after 2036 (era 1).
    const auto wrap = ntp_time::from_unix(2085978496 + 10);
    CHECK(wrap.ntp32() == 10u);
    CHECK(ntp_time::from_ntp32(10) == wrap);
    CHECK(t < wrap);
    CHECK(distance(t, t + std::chrono::seconds(7)) == std::chrono::seconds(7));
    const std::uint8_t v64[8] = {0xEB, 0xF9, 0x9D, 0x4C, 0, 0, 0, 0};
    const std::uint8_t v32[4] = {0xEB, 0xF9, 0x9D, 0x4C};
    CHECK(*ntp_time::from_payload(ts_type::ntp_utc, v64) == *ntp_time::from_payload(ts_type::ntp_utc_32, v32));
    CHECK(!ntp_time::from_payload(ts_type::counter, v32));
    CHECK(!ntp_time::from_payload(ts_type::ntp_utc, v32));
}

TEST_CASE("memory_replay_cache: insert-if-absent with expiry, full means refuse") {
    ticket::memory_replay_cache<32> c;
    const auto now = base_now;
    const std::uint8_t k1[] = {14, 1, 2, 3};
    const std::uint8_t k2[] = {14, 1, 2, 4};
    CHECK(c.insert_if_absent(k1, now + std::chrono::seconds(10), now) == ticket::replay_verdict::fresh);
    CHECK(c.insert_if_absent(k1, now + std::chrono::seconds(10), now) == ticket::replay_verdict::replayed);
    CHECK(c.insert_if_absent(k2, now + std::chrono::seconds(10), now) == ticket::replay_verdict::fresh);
    // Expired entries count as absent.
    CHECK(c.insert_if_absent(k1, now + std::chrono::seconds(30), now + std::chrono::seconds(11)) ==
          ticket::replay_verdict::fresh);
    // 32 live entries fill the table (one bucket): the 33rd is refused, never an eviction of a live one.
    ticket::memory_replay_cache<32> full;
    int fresh = 0;
    for (std::uint8_t i = 0; i < 33; ++i) {
        const std::uint8_t k[] = {15, i};
        fresh += full.insert_if_absent(k, now + std::chrono::seconds(10), now) == ticket::replay_verdict::fresh;
    }
    CHECK(fresh == 32);
    const std::uint8_t k32[] = {15, 32};
    CHECK(full.insert_if_absent(k32, now + std::chrono::seconds(10), now) == ticket::replay_verdict::full);
    const std::uint8_t k0[] = {15, 0};
    CHECK(full.insert_if_absent(k0, now + std::chrono::seconds(10), now) == ticket::replay_verdict::replayed);
    CHECK(full.insert_if_absent(k32, now + std::chrono::seconds(20), now + std::chrono::seconds(11)) ==
          ticket::replay_verdict::fresh);
}

TEST_CASE("memory_replay_cache: buckets of 32 slots; a full bucket refuses, the others and every live key still answer") {
    // 4 buckets of 32: keys go to the bucket their hash picks, so the first `full` comes after at
    // least 32 and at most 128 fresh keys.
    static_assert(ticket::memory_replay_cache<128>::slots_per_bucket == 32);
    ticket::memory_replay_cache<128> c;
    const auto now = base_now;
    const auto until = now + std::chrono::seconds(10);
    std::vector<std::array<std::uint8_t, 3>> inserted, refused;
    for (std::uint16_t i = 0; i < 400 && refused.size() < 8; ++i) {
        const std::array<std::uint8_t, 3> k{14, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
        const auto v = c.insert_if_absent(k, until, now);
        REQUIRE(v != ticket::replay_verdict::replayed);
        (v == ticket::replay_verdict::fresh ? inserted : refused).push_back(k);
    }
    CHECK(inserted.size() >= 32);
    CHECK(inserted.size() <= 128);
    CHECK(refused.size() == 8);
    // A full bucket never forgets a live key: each inserted one is a replay, each refused one still refused.
    for (const auto& k : inserted) CHECK(c.insert_if_absent(k, until, now) == ticket::replay_verdict::replayed);
    for (const auto& k : refused) CHECK(c.insert_if_absent(k, until, now) == ticket::replay_verdict::full);
    // Once the entries expire, every key is fresh again (their slots are reused).
    const auto later = until + std::chrono::seconds(1);
    for (const auto& k : refused) CHECK(c.insert_if_absent(k, later + std::chrono::seconds(10), later) == ticket::replay_verdict::fresh);
    for (const auto& k : refused) CHECK(c.insert_if_absent(k, later + std::chrono::seconds(10), later) == ticket::replay_verdict::replayed);
    // Keys of other lengths with the same first bytes are other keys.
    const std::uint8_t longer[] = {14, inserted[0][1], inserted[0][2], 0};
    CHECK(c.insert_if_absent(longer, later + std::chrono::seconds(10), later) == ticket::replay_verdict::fresh);
    // A key longer than any replay key is refused, not truncated.
    const std::array<std::uint8_t, ticket::max_replay_key + 1> too_long{};
    CHECK(c.insert_if_absent(too_long, until, now) == ticket::replay_verdict::full);
    // An empty key has no slot either (it could never be told from an unused one): refused.
    CHECK(c.insert_if_absent(bytes_view{}, until, now) == ticket::replay_verdict::full);
    CHECK(c.insert_if_absent(bytes_view{}, until, now) == ticket::replay_verdict::full);
}

TEST_CASE("deterministic_rng: same seed, same stream; fills of any size continue the stream") {
    auto b = *B::create();
    crypto::deterministic_rng<B> a(b, 42), c(b, 42), d(b, 43);
    bytes x(37), y(37), z(37);
    REQUIRE(a.fill(x));
    REQUIRE(c.fill(y));
    REQUIRE(d.fill(z));
    CHECK(x == y);
    CHECK(x != z);
    REQUIRE(a.fill(x));
    CHECK(x != y);  // the stream moved on
    static_assert(random_generator<crypto::deterministic_rng<B>>);
    static_assert(random_generator<crypto::botan_system_rng>);
    auto sys = *crypto::botan_system_rng::create();
    bytes s1(32), s2(32);
    REQUIRE(sys.fill(s1));
    REQUIRE(sys.fill(s2));
    CHECK(s1 != s2);
}

TEST_CASE("deterministic_rng: its stream is the AES-256-CTR key stream, each fill from a block start, across its pool") {
    auto b = *B::create();
    crypto::deterministic_rng<B> rng(b, 7);
    // The key: HMAC-SHA-256("mikey-ticket deterministic_rng", seed as 8 bytes big-endian).
    const std::string label = "mikey-ticket deterministic_rng";
    const bytes seed{0, 0, 0, 0, 0, 0, 0, 7};
    bytes key(32);
    REQUIRE(crypto::hmac(b, crypto::hmac_hash::sha_256, ticket::as_bytes(label), {bytes_view(seed)}, key));
    // The whole key stream from counter block 0, made in one call.
    const std::size_t blocks = 3 * crypto::deterministic_rng<B>::pool_blocks + 5;
    const bytes zeros(16 * blocks, 0);
    bytes stream(zeros.size());
    const std::array<std::uint8_t, 16> iv0{};
    REQUIRE(b.aes_ctr(key, iv0, zeros, stream));
    // Fills of sizes that end inside a block, on a block boundary, and cross the pool's end.
    std::size_t at = 0;
    for (const std::size_t n : {1u, 16u, 17u, 500u, 31u, 513u, 3u, 64u, 200u}) {
        CAPTURE(n);
        bytes got(n);
        REQUIRE(rng.fill(got));
        REQUIRE(at + n <= stream.size());
        CHECK(got == bytes(stream.begin() + static_cast<std::ptrdiff_t>(at), stream.begin() + static_cast<std::ptrdiff_t>(at + n)));
        at += (n + 15) / 16 * 16;
    }
    bytes none;
    REQUIRE(rng.fill(none));  // an empty fill takes no block
    bytes next(16);
    REQUIRE(rng.fill(next));
    CHECK(next == bytes(stream.begin() + static_cast<std::ptrdiff_t>(at), stream.begin() + static_cast<std::ptrdiff_t>(at + 16)));
}

TEST_CASE("memory_key_store: keys under 128 bits refused; lookups by name") {
    ticket::memory_key_store ks;
    CHECK(ks.add_psk(ticket::as_bytes("a"), bytes(15, 1)).error() == errc::key_too_short);
    REQUIRE(ks.add_psk(ticket::as_bytes("a"), bytes(16, 1)));
    REQUIRE(ks.add_psk(ticket::as_bytes("a"), bytes(16, 2)));  // replaces
    CHECK(ks.psk_for(identity(ticket::as_bytes("a")))->front() == 2);
    CHECK(!ks.psk_for(identity(ticket::as_bytes("b"))));
    CHECK(!ks.tpk_for(identity{}));
    // Many users: each found under its own name (names that share prefixes, of several lengths,
    // and one that is a prefix of another), then removed one by one.
    std::vector<std::string> names;
    for (int i = 0; i < 300; ++i) names.push_back("sip:user" + std::to_string(i) + "@example.org");
    names.push_back("sip:user1@example.or");
    for (std::size_t i = 0; i < names.size(); ++i) {
        REQUIRE(ks.add_psk(ticket::as_bytes(names[i]), bytes(16, static_cast<std::uint8_t>(i))));
    }
    CHECK(ks.psk_count() == names.size() + 1);
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto k = ks.psk_for(identity(ticket::as_bytes(names[i])));
        REQUIRE(k);
        CHECK(k->size() == 16);
        CHECK(k->front() == static_cast<std::uint8_t>(i));
    }
    CHECK(!ks.psk_for(identity(ticket::as_bytes("sip:user1@example.orgX"))));
    CHECK(ks.remove_psk(ticket::as_bytes("sip:user7@example.org")));
    CHECK(!ks.remove_psk(ticket::as_bytes("sip:user7@example.org")));  // already gone
    CHECK(!ks.psk_for(identity(ticket::as_bytes("sip:user7@example.org"))));
    CHECK(ks.psk_for(identity(ticket::as_bytes("sip:user70@example.org"))));
    CHECK(ks.psk_count() == names.size());
    // TPKs live apart from PSKs.
    REQUIRE(ks.add_tpk({}, bytes(32, 9)));
    CHECK(ks.tpk_for(identity{})->front() == 9);
    CHECK(!ks.psk_for(identity{}));
    CHECK(ks.remove_tpk({}));
    CHECK(!ks.tpk_for(identity{}));
}

TEST_CASE("base ticket: created, opened, and refused when the TPK or a byte is wrong") {
    auto b = *B::create();
    crypto::deterministic_rng<B> rng(b, 3);
    const bytes tpk(32, 0x33), mpk(32, 0x44), tgk(32, 0x55), spi{1, 2, 3, 4};
    std::array<std::uint8_t, 256> tp_buf{};
    const auto tp_data = build_payload_chain(tp_buf, idr_builder{id_role::idrr, id_type::uri, ticket::as_bytes("sip:bob@x")});
    REQUIRE(tp_data);
    const key_data_builder keys[] = {{key_data_type::tgk, tgk, {}, {kv_type::spi, spi, {}, {}}}};
    ticket_policy p{};
    p.prf = prf_func::prf_hmac_sha_256;
    p.flags = *ticket::flags_from_letters("DFGH");
    std::array<std::uint8_t, 2048> out{};
    const auto t = ticket::create_base_ticket(
        b, rng, {p, *tp_data, mpk, keys, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256, std::nullopt, base_now}, tpk, out);
    REQUIRE(t);
    const bytes wire(t->payload.begin(), t->payload.end());
    const auto tv = ticket_view::parse(wire);
    REQUIRE(tv);
    CHECK(tv->policy() == p);
    // The base ticket's RAND is as long as the longest of TPK and MPK (RFC 6043 §12.1).
    CHECK(tv->base_ticket()->rand().value().size() == 32);
    // The RAND create_base_ticket reports is the one a parse of its output finds, in place.
    const auto parsed_in_place = ticket_view::parse(t->payload);
    REQUIRE(parsed_in_place);
    CHECK(t->rand.data() == parsed_in_place->base_ticket()->rand().value().data());
    CHECK(t->rand.size() == 32);
    // Its V verifies with the MAC function that parses the ticket (a separate code path).
    bytes auth(32);
    REQUIRE(crypto::derive_ticket_key(b, p.prf, tpk, crypto::message_key::auth, rand_value(tv->base_ticket()->rand().value()), auth));
    CHECK(ticket::verify_base_ticket_mac(b, *tv, mac_alg::hmac_sha_256_256, auth));
    std::array<std::uint8_t, 1024> plain{};
    const auto opened = ticket::open_base_ticket(b, *tv, mac_alg::hmac_sha_256_256, tpk, plain);
    REQUIRE(opened);
    CHECK(equal_bytes(opened->mpk.key(), mpk));
    CHECK(opened->keys.size() == 2);
    CHECK(ticket::open_base_ticket(b, *tv, mac_alg::hmac_sha_256_256, bytes(32, 0x34), plain).error() == errc::auth_failure);
    CHECK(ticket::open_base_ticket(b, *tv, mac_alg::hmac_sha_1_160, tpk, plain).error() == errc::auth_failure);
    // Every byte after the Next Payload byte is covered.
    for (std::size_t i = 1; i < wire.size(); ++i) {
        bytes bad = wire;
        bad[i] ^= 0x01;
        const auto bv = ticket_view::parse(bad);
        if (!bv) continue;
        CAPTURE(i);
        CHECK(!ticket::open_base_ticket(b, *bv, mac_alg::hmac_sha_256_256, tpk, plain));
    }
    CHECK(ticket::create_base_ticket(b, rng, {p, *tp_data, mpk, keys, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256,
                                              std::nullopt, base_now},
                                     bytes(15, 1), out)
              .error() == errc::key_too_short);
}

TEST_CASE("the sealing builder's MACs verify with the parsing MAC functions (V, Vi, Vr); an unknown Vi / Vr alg is refused") {
    const auto s = flow_test::scenario{};
    parties p(s);
    const auto r = run(p, s);
    REQUIRE(r.established);
    // TRANSFER_INIT, sealed by the Initiator: V with MPKi (D1), Vi = V, Vr with D5(MPKr).
    const auto ti = ticket::transfer_init_view::parse(r.messages[2].wire);
    REQUIRE(ti);
    const auto k1 = roles::detail::protection(*p.backend, roles::detail::direction::initial, roles::detail::needs::auth_key, s.suite,
                                              p.ini->mpki(),
                                              ti->header().csb(), ti->randri()->value(), {});
    REQUIRE(k1);
    CHECK(ticket::verify_message_mac(*p.backend, ti->message(), mac_alg::hmac_sha_256_256, k1->auth_key.view(),
                                     ticket::v_inputs{.identity_i = identity(ti->idri()->data()),
                                                      .identity_r = identity(ti->idrr()->data())}));
    CHECK(ticket::verify_vi(*p.backend, ti->message()));
    bytes vr_key(32);
    REQUIRE(crypto::derive_vr_auth_key(*p.backend, prf_func::prf_hmac_sha_256, p.ini->mpkr(), vr_key));
    CHECK(ticket::verify_vr(*p.backend, ti->ticket()->initiator_data(), mac_alg::hmac_sha_256_256, vr_key));
    // Vi's Next Payload is V (the chain continues to Vr): see notes/ticket.md.
    CHECK(ti->ticket()->initiator_data()[0] == static_cast<std::uint8_t>(payload_type::v));
    CHECK(ti->ticket()->initiator_data()[1] == static_cast<std::uint8_t>(payload_type::v));
    // Each message's schema holds in strict mode too (we emit the RFC's order).
    for (const auto& m : r.messages) {
        const auto mv = message_view::parse(m.wire);
        REQUIRE(mv);
        CAPTURE(static_cast<int>(m.type));
        CHECK(check_schema(*mv, *schema_for(m.type), schema_check::strict));
    }
    // Initiator Data with an unregistered Auth alg: add_ticket records invalid_argument, seal() reports it.
    bytes out(4096);
    const bytes key(32, 1);
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::transfer_init, true, prf_func::prf_hmac_sha_256, csb_id{1}, empty_map{}, 1})
        .add_ticket(*ti->ticket(), static_cast<mac_alg>(7));
    CHECK(sb.seal(*p.backend, mac_alg::hmac_sha_256_256, key, {}).error() == errc::invalid_argument);
}

TEST_CASE("ticket::initiator_of: the TP Data's first IDRi, whatever else the TP Data holds") {
    const auto kms = samples::idr(id_role::idrkms, "sip:kms@example.org");
    const auto idri = samples::idr(id_role::idri, "sip:alice@example.org");
    const auto idrr = samples::idr(id_role::idrr, "sip:bob@example.org");
    const std::uint8_t counter[4] = {0, 0, 0, 9};
    const tr_builder trs{ts_role::trs, ts_type::counter, counter};  // no time: read_tp_data refuses it
    const auto tp_of = [](const bytes& data) { return samples::payload(tp_builder{samples::policy(false), data, {}, {}}); };
    const bytes with = tp_of(samples::chain(kms, idri, trs, idrr));
    const auto tp = tp_view::parse(with);
    REQUIRE(tp);
    const auto found = ticket::initiator_of(tp->tp_payloads());
    REQUIRE(found);
    CHECK(ticket::as_chars(found->data()) == "sip:alice@example.org");
    CHECK(ticket::read_tp_data(tp->tp_payloads()).error() == errc::unknown_ts_type);
    const bytes without = tp_of(samples::chain(kms, idrr));
    const auto tp2 = tp_view::parse(without);
    REQUIRE(tp2);
    CHECK(!ticket::initiator_of(tp2->tp_payloads()));
    CHECK(!ticket::read_tp_data(tp2->tp_payloads())->idri);
}

namespace {

/// Two ends of one bundle as the CSB-update engine sees them (RFC 6043 §5.2):
/// the same last-message keys, identities, CSB ID and a TGK-keyed session,
/// so that each crafted update carries a correct MAC and only the rule under
/// test can refuse it.
struct update_ends {
    std::unique_ptr<B> backend = std::make_unique<B>(*B::create());
    ticket::memory_key_store ks;
    cache c;
    policy pol{ks, c};
    crypto::deterministic_rng<B> rng{*backend, 3};
    crypto::algorithm_suite suite{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256};
    roles::detail::last_message_keys last;
    std::array<roles::session_key, 1> keys{};
    std::string id_i = "sip:alice@example.org", id_r = "sip:bob@example.org";
    bytes randri = bytes(16, 1), randrr = bytes(16, 2);
    crypto::d4_rands rands{rand_value(randri), rand_value(randrr), true, true};
    /// A new TEK + salt for crypto session 1 (SSRC 0x1000), SPI 07 07.
    std::vector<std::uint8_t> tek = std::vector<std::uint8_t>(32, 0x55), salt = std::vector<std::uint8_t>(14, 0x66),
                              spi{7, 7};
    roles::supplied_key fresh{.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tek_salt, .key = tek, .salt = salt,
                              .spi = spi};

    update_ends() {
        const bytes inkey(32, 0x42), tgk(32, 0x44), spi{9, 9};
        crypto::protection_keys k;  // the auth_key only: the last message carried no KEMAC
        REQUIRE(k.auth_key.resize(32));
        std::fill(k.auth_key.mutable_view().begin(), k.auth_key.mutable_view().end(), std::uint8_t{0x43});
        last = roles::detail::last_message_keys::of(roles::detail::direction::response, suite, inkey, csb_id{0x1234},
                                                    randri, randrr, k, suite.encr);
        last.t = base_now;
        const auto made = roles::detail::make_session_key(*backend, suite.prf, {1, 0x1000}, key_data_type::tgk, tgk, {},
                                                          spi, rands, keys[0]);
        REQUIRE(made.has_value());
    }
    roles::detail::update_context as(roles::party self) const {
        ticket_flags f{};
        f.l = true;
        return {.self = self, .csb = csb_id{0x1234}, .prf = suite.prf, .mac = suite.mac, .kemac_encr = suite.encr,
                .id_i = ticket::as_bytes(id_i), .id_r = ticket::as_bytes(id_r), .last = &last, .rands = rands,
                .flags = f, .keys = keys};
    }
};

}  // namespace

namespace {
/// The Botan backend, counting HMAC keyings (a PRF run keys the HMAC once per
/// 256-bit inkey piece; a MAC once) and HMAC updates.
struct keying_counter {
    B* b;
    std::size_t keyings = 0;
    std::size_t updates = 0;
    result<void> hmac_set_key(crypto::hmac_hash h, bytes_view k) noexcept {
        ++keyings;
        return b->hmac_set_key(h, k);
    }
    void hmac_update(crypto::hmac_hash h, bytes_view d) noexcept {
        ++updates;
        b->hmac_update(h, d);
    }
    result<void> hmac_final(crypto::hmac_hash h, mutable_bytes o) noexcept { return b->hmac_final(h, o); }
    result<void> aes_ctr(bytes_view k, bytes_view iv, bytes_view in, mutable_bytes o) noexcept {
        return b->aes_ctr(k, iv, in, o);
    }
    result<void> aes_key_wrap(bytes_view k, bytes_view iv, bytes_view in, mutable_bytes o) noexcept {
        return b->aes_key_wrap(k, iv, in, o);
    }
    result<void> aes_key_unwrap(bytes_view k, bytes_view iv, bytes_view in, mutable_bytes o) noexcept {
        return b->aes_key_unwrap(k, iv, in, o);
    }
    result<void> random(mutable_bytes o) noexcept { return b->random(o); }
    bool equal(bytes_view x, bytes_view y) const noexcept { return b->equal(x, y); }
    void wipe(mutable_bytes x) const noexcept { b->wipe(x); }
};
static_assert(crypto::crypto_backend<keying_counter>);
}  // namespace

TEST_CASE("CSB update keys: the last message's KEMAC keys are kept, so an update's KEMAC under that Encr alg runs no PRF "
          "(RFC 6043 §5.2: the same keys)") {
    using roles::detail::direction;
    using roles::detail::last_message_keys;
    using roles::detail::needs;
    const auto backend = std::make_unique<B>(*B::create());
    keying_counter kc{backend.get()};
    const crypto::algorithm_suite suite{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256};
    const bytes inkey(32, 0x42), randri(16, 1), randrr(16, 2);
    const csb_id csb{0x1234};
    // The keys of a TRANSFER_RESP with a KEMAC (D2 from MPKr': all three), and of one without (auth_key only).
    const auto with_kemac =
        roles::detail::protection(*backend, direction::response, needs::all_keys, suite, inkey, csb, randri, randrr);
    const auto without =
        roles::detail::protection(*backend, direction::response, needs::auth_key, suite, inkey, csb, randri, randrr);
    REQUIRE(with_kemac);
    REQUIRE(without);
    REQUIRE(without->encr_key.empty());
    const auto kept = last_message_keys::of(direction::response, suite, inkey, csb, randri, randrr, *with_kemac, suite.encr);
    const auto bare = last_message_keys::of(direction::response, suite, inkey, csb, randri, randrr, *without, suite.encr);
    CHECK(equal_bytes(kept.auth_key.view(), with_kemac->auth_key.view()));
    CHECK(bare.encr_key.empty());

    crypto::protection_keys scratch_kept, scratch_bare, scratch_other;
    const auto from_kept = kept.cipher_keys(kc, suite.encr, csb, 77, scratch_kept);
    REQUIRE(from_kept);
    CHECK(kc.keyings == 0);
    // Views of the held keys, not copies; the scratch keys stay empty.
    CHECK(from_kept->encr_key.data() == kept.encr_key.view().data());
    CHECK(from_kept->salt_key.data() == kept.salt_key.view().data());
    CHECK(scratch_kept.encr_key.empty());
    CHECK(from_kept->csb == csb);
    CHECK(from_kept->t == 77);
    const auto derived = bare.cipher_keys(kc, suite.encr, csb, 77, scratch_bare);
    REQUIRE(derived);
    CHECK(kc.keyings == 2);  // D2 encr_key, then salt_key
    CHECK(derived->encr_key.data() == scratch_bare.encr_key.view().data());
    CHECK(scratch_bare.auth_key.empty());  // the held auth_key signs V
    CHECK(from_kept->encr_key.size() == 32);
    CHECK(from_kept->salt_key.size() == 14);
    CHECK(equal_bytes(from_kept->encr_key, derived->encr_key));
    CHECK(equal_bytes(from_kept->salt_key, derived->salt_key));
    CHECK(equal_bytes(from_kept->encr_key, with_kemac->encr_key.view()));
    // Another Encr alg: derived for it, 128-bit.
    const auto other = kept.cipher_keys(kc, encr_alg::aes_cm_128, csb, 77, scratch_other);
    REQUIRE(other);
    CHECK(kc.keyings == 4);
    CHECK(other->encr_key.size() == 16);
    // The same label, so the leftmost 16 bytes of the same PRF output (RFC 3830 §4.1.2).
    CHECK(equal_bytes(other->encr_key, from_kept->encr_key.first(16)));
}

TEST_CASE("CSB update engine: each RFC 6043 §5.2 rule refuses an otherwise authentic update with its own error") {
    update_ends e;
    std::array<std::uint8_t, 2048> out{}, resp{};
    const auto t1 = base_now + std::chrono::seconds(1);
    const roles::crypto_session_spec one[] = {{1, 0x1000}};
    const auto& tek = e.tek;
    const auto& fresh = e.fresh;
    roles::detail::key_set next{};

    SUBCASE("genuine: the Responder takes the Initiator's new key and answers") {
        auto ci = e.as(roles::party::initiator);
        const auto up = roles::detail::build_update(*e.backend, e.rng, t1, out, ci, one, {&fresh, 1}, false, true, next);
        REQUIRE(up);
        roles::detail::key_set got{};
        const auto r = roles::detail::open_update(*e.backend, e.pol, *up, t1, resp, e.as(roles::party::responder), {}, got);
        REQUIRE(r);
        CHECK(!r->empty());  // V = 1: a TRANSFER_RESP
        REQUIRE(got.count == 1);
        CHECK(equal_bytes(got.key(0).tek.view(), tek));
        CHECK(got.t == t1);
    }
    SUBCASE("\"MUST use the same CSB ID as the initial exchange\": header_mismatch") {
        auto ci = e.as(roles::party::initiator);
        ci.csb = csb_id{0x1235};
        const auto up = roles::detail::build_update(*e.backend, e.rng, t1, out, ci, one, {}, false, false, next);
        REQUIRE(up);
        roles::detail::key_set got{};
        CHECK(roles::detail::open_update(*e.backend, e.pol, *up, t1, resp, e.as(roles::party::responder), {}, got).error() ==
              errc::header_mismatch);
    }
    SUBCASE("\"KEMAC payloads SHALL NOT be included\" without the sender's flag: unexpected_payload") {
        const auto up = roles::detail::build_update(*e.backend, e.rng, t1, out, e.as(roles::party::initiator), one,
                                                    {&fresh, 1}, false, false, next);
        REQUIRE(up);
        auto cr = e.as(roles::party::responder);
        cr.flags.l = false;  // the receiver's ticket says the Initiator may not send keys
        roles::detail::key_set got{};
        CHECK(roles::detail::open_update(*e.backend, e.pol, *up, t1, resp, cr, {}, got).error() == errc::unexpected_payload);
        // And the sender refuses to build it at all.
        auto ci = e.as(roles::party::initiator);
        ci.flags.l = false;
        CHECK(roles::detail::build_update(*e.backend, e.rng, t1, out, ci, one, {&fresh, 1}, false, false, next).error() ==
              errc::policy_not_acceptable);
        // The Responder's keys need M.
        CHECK(roles::detail::build_update(*e.backend, e.rng, t1, out, e.as(roles::party::responder), one, {&fresh, 1},
                                          false, false, next)
                  .error() == errc::policy_not_acceptable);
    }
    SUBCASE("an IDR that is not the bundle's: identity_mismatch") {
        auto ci = e.as(roles::party::initiator);
        const std::string eve = "sip:eve@example.org";
        ci.id_i = ticket::as_bytes(eve);
        const auto up = roles::detail::build_update(*e.backend, e.rng, t1, out, ci, one, {}, false, false, next);
        REQUIRE(up);
        roles::detail::key_set got{};
        CHECK(roles::detail::open_update(*e.backend, e.pol, *up, t1, resp, e.as(roles::party::responder), {}, got).error() ==
              errc::identity_mismatch);
    }
    SUBCASE("\"MUST use new timestamps\": stale_timestamp at both ends") {
        CHECK(roles::detail::build_update(*e.backend, e.rng, base_now, out, e.as(roles::party::initiator), one, {}, false,
                                          false, next)
                  .error() == errc::stale_timestamp);
        const auto up = roles::detail::build_update(*e.backend, e.rng, t1, out, e.as(roles::party::initiator), one, {},
                                                    false, false, next);
        REQUIRE(up);
        e.last.t = t1;  // the receiver saw a message at t1 already
        roles::detail::key_set got{};
        CHECK(roles::detail::open_update(*e.backend, e.pol, *up, t1, resp, e.as(roles::party::responder), {}, got).error() ==
              errc::stale_timestamp);
    }
    SUBCASE("\"New RANDs ... MUST NOT be included\": unexpected_payload") {
        // A hand-sealed update with a RANDRi, under the bundle's keys and identities.
        const bytes randri(16, 0x11);
        const roles::detail::timestamp t(t1);
        roles::detail::cs_map map;
        REQUIRE(map.add_srtp(1, 0x1000, e.keys[0].spi_view()));
        ticket::sealed_message_builder sb(out);
        sb.header(hdr_builder{data_type::transfer_init, false, e.suite.prf, csb_id{0x1234}, map.view(), 1})
            .add(t.builder())
            .add(randr_builder{rand_role::randri, randri})
            .add(idr_builder{id_role::idri, id_type::uri, ticket::as_bytes(e.id_i)})
            .add(idr_builder{id_role::idrr, id_type::uri, ticket::as_bytes(e.id_r)});
        const auto up = sb.seal(*e.backend, e.suite.mac, e.last.auth_key.view(),
                                {ticket::as_bytes(e.id_i), ticket::as_bytes(e.id_r)});
        REQUIRE(up);
        REQUIRE(ticket::transfer_init_update_view::parse(*up));  // the lenient schema lets it through: the rule refuses
        roles::detail::key_set got{};
        CHECK(roles::detail::open_update(*e.backend, e.pol, *up, t1, resp, e.as(roles::party::responder), {}, got).error() ==
              errc::unexpected_payload);
    }
}

TEST_CASE("CSB update engine: keys in the answer (RFC 6043 §5.2 [KEMAC] in TRANSFER_RESP) need the answering end's "
          "flag, a T after the update's and the update's crypto sessions") {
    update_ends e;
    std::array<std::uint8_t, 2048> out{}, resp{};
    const auto t1 = base_now + std::chrono::seconds(1);
    const roles::crypto_session_spec one[] = {{1, 0x1000}};
    const auto& tek = e.tek;
    const auto& fresh = e.fresh;
    std::vector<roles::detail::owned_key> answer_keys;
    REQUIRE(roles::detail::take_supplied({&fresh, 1}, answer_keys));
    auto ci = e.as(roles::party::initiator), cr = e.as(roles::party::responder);
    ci.flags.m = cr.flags.m = true;  // the Responder may send keys
    roles::detail::key_set sent_keys{};
    const auto up = roles::detail::build_update(*e.backend, e.rng, t1, out, ci, one, {}, false, true, sent_keys);
    REQUIRE(up);
    const bytes update(up->begin(), up->end());
    const auto update_hdr = hdr_view::parse(update);
    REQUIRE(update_hdr);
    const auto tek_of = [](const roles::detail::key_set& ks) { return bytes(ks.key(0).tek.view().begin(), ks.key(0).tek.view().end()); };
    // An answer sealed by hand over `update` (its MAC input), with the crypto sessions of `h`: the answer
    // keys taken into `got`, each block naming the Responder's own policy (#P = 1, RFC 6043 §6.1.1).
    const auto forge_answer = [&](const hdr_view& h, roles::detail::key_set& got) {
        roles::detail::cs_map map;
        for (const auto& blk : generic_id_map(h.map_info())) REQUIRE(map.add(blk));
        REQUIRE(roles::detail::take_answer_keys(*e.backend, cr, answer_keys, map, got));
        const auto um = message_view::parse(update);
        REQUIRE(um);
        roles::detail::response_policies sps;
        REQUIRE(sps.choose(e.pol, *um, map.view(), [&](std::size_t) { return tek.size(); }, cr.suite(), true,
                           roles::detail::offered_choice{}));
        sps.name_in(map.blocks.mutable_view());
        return roles::detail::seal_update_answer(*e.backend, t1, resp, cr, h, map, sps.own(), update, answer_keys, got);
    };

    SUBCASE("genuine: the answer carries the key, stamped after the update, and both ends take it") {
        roles::detail::key_set got{};
        const auto r = roles::detail::open_update(*e.backend, e.pol, update, t1, resp, cr, answer_keys, got);
        REQUIRE(r);
        const auto am = ticket::transfer_resp_update_view::parse(*r);
        REQUIRE(am);
        REQUIRE(am->kemac());
        CHECK(ntp_time::from_payload(am->t().kind(), am->t().value()) == t1.next_tick());  // `now` is the update's T
        CHECK(got.t == t1.next_tick());
        CHECK(tek_of(got) == bytes(tek.begin(), tek.end()));
        CHECK(sent_keys.kept[0] == 0);  // the update kept the session's key
        REQUIRE(roles::detail::verify_update_resp(*e.backend, e.pol, *r, t1, ci, update, sent_keys));
        CHECK(sent_keys.kept[0] == roles::detail::key_set::made_here);
        CHECK(tek_of(sent_keys) == bytes(tek.begin(), tek.end()));
        CHECK(sent_keys.t == t1.next_tick());
    }
    SUBCASE("\"KEMAC payloads SHALL NOT be included\" without the answering end's flag: refused at both ends") {
        auto cr_without = cr;
        cr_without.flags.m = false;
        roles::detail::key_set got{};
        CHECK(roles::detail::open_update(*e.backend, e.pol, update, t1, resp, cr_without, answer_keys, got).error() ==
              errc::policy_not_acceptable);
        // Refused before the replay check: the same update is then taken once the keys are dropped.
        REQUIRE(roles::detail::open_update(*e.backend, e.pol, update, t1, resp, cr_without, {}, got));
        // A KEMAC sent all the same: the Initiator, whose ticket says M = 0, refuses it and keeps the update's keys.
        roles::detail::key_set got2{};
        got2.count = 1;
        got2.t = t1;
        const auto r = forge_answer(*update_hdr, got2);
        REQUIRE(r);
        auto ci_without = ci;
        ci_without.flags.m = false;
        CHECK(roles::detail::verify_update_resp(*e.backend, e.pol, *r, t1, ci_without, update, sent_keys).error() ==
              errc::unexpected_payload);
        CHECK(sent_keys.kept[0] == 0);
        CHECK(sent_keys.t == t1);
    }
    SUBCASE("an answer with keys whose T is the update's: stale_timestamp (the same key stream), nothing taken") {
        roles::detail::key_set got{};
        got.count = 1;
        got.t = t1 - std::chrono::seconds(1);  // makes the answer's T `now`, the update's T
        const auto r = forge_answer(*update_hdr, got);
        REQUIRE(r);
        CHECK(roles::detail::verify_update_resp(*e.backend, e.pol, *r, t1, ci, update, sent_keys).error() ==
              errc::stale_timestamp);
        CHECK(sent_keys.kept[0] == 0);
        CHECK(sent_keys.t == t1);
    }
    SUBCASE("an answer whose CS ID map is not the update's: bad_crypto_sessions, nothing taken") {
        const roles::crypto_session_spec two[] = {{1, 0x1000}, {2, 0x1001}};
        std::array<std::uint8_t, 2048> other{};
        roles::detail::key_set other_keys{};
        const auto up2 = roles::detail::build_update(*e.backend, e.rng, t1, other, ci, two, {}, false, true, other_keys);
        REQUIRE(up2);
        const auto two_hdr = hdr_view::parse(*up2);
        REQUIRE(two_hdr);
        roles::detail::key_set got{};
        got.count = 2;
        got.t = t1;
        // Sealed over the genuine update (its MAC verifies), with the two-session map.
        const auto r = forge_answer(*two_hdr, got);
        REQUIRE(r);
        CHECK(roles::detail::verify_update_resp(*e.backend, e.pol, *r, t1, ci, update, sent_keys).error() ==
              errc::bad_crypto_sessions);
        CHECK(sent_keys.kept[0] == 0);
    }
    SUBCASE("answer keys the update cannot take: bad_crypto_sessions, invalid_argument") {
        roles::supplied_key elsewhere = fresh;
        elsewhere.cs_id = 2;
        elsewhere.ssrc = 0x1001;
        std::vector<roles::detail::owned_key> ak;
        REQUIRE(roles::detail::take_supplied({&elsewhere, 1}, ak));
        roles::detail::key_set got{};
        CHECK(roles::detail::open_update(*e.backend, e.pol, update, t1, resp, cr, ak, got).error() ==
              errc::bad_crypto_sessions);
        // A second session whose SPI is the answer key's: the peer could not tell them apart.
        const roles::crypto_session_spec two[] = {{1, 0x1000}, {2, 0x1001}};
        std::array<std::uint8_t, 2048> other{};
        roles::detail::key_set other_keys{};
        const auto up2 = roles::detail::build_update(*e.backend, e.rng, t1, other, ci, two, {}, false, true, other_keys);
        REQUIRE(up2);
        const bytes taken_spi(e.keys[0].spi_view().begin(), e.keys[0].spi_view().end());
        roles::supplied_key same_spi = elsewhere;
        same_spi.spi = taken_spi;
        ak.clear();
        REQUIRE(roles::detail::take_supplied({&same_spi, 1}, ak));
        CHECK(roles::detail::open_update(*e.backend, e.pol, *up2, t1, resp, cr, ak, got).error() == errc::invalid_argument);
    }
}

TEST_CASE("V MAC with its appendix: one piece when the buffer has room, the same MAC as in pieces, and never over "
          "an appendix inside the scratch") {
    const auto backend = std::make_unique<B>(*B::create());
    const bytes key(32, 0x31);
    std::vector<std::uint8_t> buf(64);
    for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<std::uint8_t>(i);
    const std::string id_i = "sip:alice@example.org", id_r = "sip:bob@example.org";
    const std::array<bytes_view, 2> ids{ticket::as_bytes(id_i), ticket::as_bytes(id_r)};
    // The expected MAC, computed over the pieces as they are.
    const std::array<bytes_view, 3> pieces{bytes_view(buf).first(20), ids[0], ids[1]};
    std::array<std::uint8_t, 32> want{};
    REQUIRE(crypto::compute_mac(*backend, mac_alg::hmac_sha_256_256, key, pieces, want));
    const std::array<bytes_view, 1> head{bytes_view(buf).first(20)};
    std::array<std::uint8_t, 32> got{};
    // Room after byte 20 (64 - 20 = 44 >= 40): joined (one HMAC update), and buf from 20 on holds the identities.
    keying_counter counted{backend.get()};
    REQUIRE(ticket::detail::mac_with_appendix(counted, mac_alg::hmac_sha_256_256, key, buf, head, 20, ids, got));
    CHECK(got == want);
    CHECK(counted.keyings == 1);
    CHECK(counted.updates == 1);
    CHECK(std::string(buf.begin() + 20, buf.begin() + 20 + static_cast<std::ptrdiff_t>(id_i.size())) == id_i);
    // The tag may go where the appendix is written (a message's MAC field at `end`): written once
    // the input is absorbed.
    std::vector<std::uint8_t> at_end(buf.begin(), buf.begin() + 20);
    at_end.resize(64);
    const std::array<bytes_view, 1> at_end_head{bytes_view(at_end).first(20)};
    REQUIRE(ticket::detail::mac_with_appendix(*backend, mac_alg::hmac_sha_256_256, key, at_end, at_end_head, 20, ids,
                                              mutable_bytes(at_end).subspan(20, 32)));
    CHECK(bytes(at_end.begin() + 20, at_end.begin() + 52) == bytes(want.begin(), want.end()));
    // No room: in pieces, buf untouched past the head.
    std::vector<std::uint8_t> small(buf.begin(), buf.begin() + 30);
    const std::vector<std::uint8_t> small_before = small;
    const std::array<bytes_view, 1> small_head{bytes_view(small).first(20)};
    got = {};
    REQUIRE(ticket::detail::mac_with_appendix(*backend, mac_alg::hmac_sha_256_256, key, small, small_head, 20, ids, got));
    CHECK(got == want);
    CHECK(small == small_before);
    // An appendix that lies in the scratch itself would be overwritten while read: in pieces.
    std::vector<std::uint8_t> shared(100, 0);
    for (std::size_t i = 0; i < 20; ++i) shared[i] = static_cast<std::uint8_t>(i);
    std::copy(id_i.begin(), id_i.end(), shared.begin() + 60);
    const std::array<bytes_view, 1> inside{bytes_view(shared).subspan(60, id_i.size())};
    const std::array<bytes_view, 1> shared_head{bytes_view(shared).first(20)};
    const std::array<bytes_view, 2> expect_pieces{bytes_view(shared).first(20), ticket::as_bytes(id_i)};
    std::array<std::uint8_t, 32> want2{};
    REQUIRE(crypto::compute_mac(*backend, mac_alg::hmac_sha_256_256, key, expect_pieces, want2));
    got = {};
    REQUIRE(ticket::detail::mac_with_appendix(*backend, mac_alg::hmac_sha_256_256, key, shared, shared_head, 20, inside, got));
    CHECK(got == want2);
    // The KEMAC IV's T of an update: the NTP-UTC value of its T payload (RFC 3830 §4.2.3).
    const roles::detail::timestamp t(base_now);
    CHECK(t.iv() == *crypto::iv_timestamp(ts_type::ntp_utc, t.bytes));
}

TEST_CASE("Error messages: an error_origin kept in place of a message answers as the message itself") {
    namespace rd = roles::detail;
    const ntp_time now = base_now;
    std::array<std::uint8_t, 256> m1{}, m2{}, e1{}, e2{};
    const rd::timestamp ts(now);
    const t_builder t = ts.builder();
    // A TRANSFER_INIT header (RFC 6043 §5.4: version, PRF func and CSB ID are copied into the Error).
    const auto ti = build_message(m1, hdr_builder{data_type::transfer_init, true, prf_func::prf_hmac_sha_256,
                                                  csb_id{0x01020304}, empty_map{}, 1},
                                  t);
    REQUIRE(ti);
    const auto origin = rd::error_origin::of(*ti);
    REQUIRE(origin);
    CHECK(origin->version == 1);
    CHECK(origin->prf == prf_func::prf_hmac_sha_256);
    CHECK(origin->csb == csb_id{0x01020304});
    CHECK(!origin->is_error);
    const auto by_bytes = rd::refuse(failure{errc::ssrc_collision, 0}, *ti, now, e1, false);
    const auto by_origin = rd::refuse(failure{errc::ssrc_collision, 0}, origin, now, e2, false);
    REQUIRE(by_bytes.send_type == data_type::error);
    CHECK(by_origin.error == errc::ssrc_collision);
    CHECK(by_origin.send_type == data_type::error);
    CHECK(tools::to_hex(by_origin.send) == tools::to_hex(by_bytes.send));
    const auto h = hdr_view::parse(by_origin.send);
    REQUIRE(h);
    CHECK(h->csb() == csb_id{0x01020304});
    CHECK(h->prf() == prf_func::prf_hmac_sha_256);
    // An Error is never answered, nor are bytes without a header, nor a code without a wire code.
    const auto err = build_message(m2, hdr_builder{data_type::error, false, prf_func::prf_hmac_sha_256, csb_id{7},
                                                   empty_map{}, 1},
                                   t, err_builder{.code = error_no::invalid_sp});
    REQUIRE(err);
    const auto err_origin = rd::error_origin::of(*err);
    REQUIRE(err_origin);
    CHECK(err_origin->is_error);
    CHECK(rd::refuse(failure{errc::ssrc_collision, 0}, err_origin, now, e2, false).send.empty());
    CHECK(!rd::error_origin::of(ti->first(3)));
    CHECK(rd::refuse(failure{errc::ssrc_collision, 0}, std::optional<rd::error_origin>{}, now, e2, false).send.empty());
    const auto no_code = rd::refuse(failure{errc::replayed_message, 0}, origin, now, e2, false);
    CHECK(no_code.error == errc::replayed_message);
    CHECK(no_code.send.empty());
}

TEST_CASE("CSB update template: a patched update is byte for byte the full build, keys included; any change of "
          "shape builds it again") {
    namespace rd = roles::detail;
    update_ends e;
    // A bundle of three sessions in force: cs 1 and 3 keyed by TGKs, cs 2 by a TEK.
    std::array<roles::session_key, 3> in_force{};
    const bytes tgk(32, 0x44), tek0(32, 0x45), spi1{1, 1, 1, 1}, spi2{2, 2, 2, 2}, spi3{3, 3, 3, 3};
    REQUIRE(rd::make_session_key(*e.backend, e.suite.prf, {1, 0x1000}, key_data_type::tgk, tgk, {}, spi1, e.rands, in_force[0]));
    REQUIRE(rd::make_session_key(*e.backend, e.suite.prf, {2, 0x2000}, key_data_type::tek_salt, tek0, bytes(14, 6), spi2,
                                 e.rands, in_force[1]));
    REQUIRE(rd::make_session_key(*e.backend, e.suite.prf, {3, 0x3000}, key_data_type::tgk, tgk, {}, spi3, e.rands, in_force[2]));
    const auto context = [&](roles::party self) {
        auto c = e.as(self);
        c.keys = in_force;
        c.flags.m = true;
        return c;
    };
    const roles::crypto_session_spec bundle[] = {{1, 0x1000}, {2, 0x2000}, {3, 0x3000}};
    rd::update_template tpl;
    auto now = base_now;
    std::uint64_t seed = 100;
    // Builds one update twice, in full and through the template (with the same RNG draws), checks
    // both give the same bytes and the same keys, and returns whether the template's shape matched.
    const auto both = [&](const rd::update_context& c, std::span<const roles::supplied_key> supplied, bool rekey_all,
                          bool want_response, std::size_t out_size = 2048) {
        now = now + std::chrono::seconds(1);
        ++seed;
        crypto::deterministic_rng<B> ra{*e.backend, seed}, rb{*e.backend, seed}, rc{*e.backend, seed};
        std::vector<std::uint8_t> oa(2048), ob(out_size);
        rd::key_set na{}, nb{}, nc{};
        rd::update_plan plan;
        REQUIRE(rd::plan_update(*e.backend, rc, now, c, bundle, supplied, rekey_all, plan, nc));
        const bool hit = tpl.matches(c, plan, nc, want_response);
        const auto full = rd::build_update(*e.backend, ra, now, oa, c, bundle, supplied, rekey_all, want_response, na);
        const auto got = rd::build_update(*e.backend, rb, now, ob, c, bundle, supplied, rekey_all, want_response, nb, &tpl);
        REQUIRE(full);
        REQUIRE(got);
        CHECK(tools::to_hex(*got) == tools::to_hex(*full));
        REQUIRE(nb.count == na.count);
        for (std::size_t i = 0; i < na.count; ++i) {
            CHECK(nb.kept[i] == na.kept[i]);
            CHECK(nb.ssrc[i] == na.ssrc[i]);
            if (na.kept[i] >= 0) continue;
            CHECK(tools::to_hex(nb.key(i).key.view()) == tools::to_hex(na.key(i).key.view()));
            CHECK(tools::to_hex(nb.key(i).tek.view()) == tools::to_hex(na.key(i).tek.view()));
            CHECK(tools::to_hex(nb.key(i).salt.view()) == tools::to_hex(na.key(i).salt.view()));
            CHECK(tools::to_hex(nb.key(i).spi_view()) == tools::to_hex(na.key(i).spi_view()));
        }
        return hit;
    };
    bytes key(32), salt(14, 0x21), spi{9, 9, 9, 9};
    roles::supplied_key group{.cs_id = 2, .ssrc = 0x2000, .kind = key_data_type::tek_salt, .key = key, .salt = salt, .spi = spi};
    const auto fresh_group = [&](std::uint8_t v) {
        std::fill(key.begin(), key.end(), v);
        spi[3] = v;
        group.key = key;
        group.spi = spi;
    };
    const auto ci = context(roles::party::initiator);
    fresh_group(1);
    CHECK(!both(ci, {&group, 1}, false, false));  // the first update is built, and kept
    {
        // RFC 6043 §5.2 "MUST use new timestamps" holds with a template too: checked first.
        std::array<std::uint8_t, 2048> out{};
        rd::key_set n{};
        CHECK(rd::build_update(*e.backend, e.rng, base_now, out, ci, bundle, {&group, 1}, false, false, n, &tpl).error() ==
              errc::stale_timestamp);
    }
    fresh_group(2);
    CHECK(both(ci, {&group, 1}, false, false));  // same shape: patched (new T, key, SPI, KEMAC, MAC)
    fresh_group(3);
    CHECK(both(ci, {&group, 1}, false, false));

    SUBCASE("borrow_supplied: a supplied TEK stays where it is (key_set::borrowed), same bytes; a TGK is still made") {
        fresh_group(6);
        now = now + std::chrono::seconds(1);
        std::array<std::uint8_t, 2048> oa{}, ob{};
        rd::key_set owned{}, borrowing{};
        borrowing.borrow_supplied = true;
        const auto a = rd::build_update(*e.backend, e.rng, now, oa, ci, bundle, {&group, 1}, false, false, owned);
        const auto b = rd::build_update(*e.backend, e.rng, now, ob, ci, bundle, {&group, 1}, false, false, borrowing, &tpl);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(tools::to_hex(*a) == tools::to_hex(*b));
        REQUIRE(borrowing.count == 3);
        CHECK(owned.kept[1] == rd::key_set::made_here);
        CHECK(borrowing.kept[1] == rd::key_set::borrowed);
        CHECK(borrowing.given[1] == &group);
        CHECK(borrowing.kept[0] == 0);
        CHECK(borrowing.kept[2] == 2);
        CHECK(tools::to_hex(rd::spi_of(ci, borrowing, 1)) == tools::to_hex(spi));
        // A supplied TGK needs D4 (RFC 6043 §5.1.3): made in the set, never borrowed.
        rd::key_set tgk_set{};
        tgk_set.borrow_supplied = true;
        roles::supplied_key tgk_key = group;
        tgk_key.kind = key_data_type::tgk;
        tgk_key.salt = {};
        now = now + std::chrono::seconds(1);
        REQUIRE(rd::build_update(*e.backend, e.rng, now, oa, ci, bundle, {&tgk_key, 1}, false, false, tgk_set));
        CHECK(tgk_set.kept[1] == rd::key_set::made_here);
        CHECK(tgk_set.key(1).tek.size() == 32);
        CHECK(tools::to_hex(tgk_set.key(1).tek.view()) != tools::to_hex(key));  // derived, not the TGK itself
    }
    SUBCASE("a repeat of the last request is planned by replan exactly as plan_update plans it; anything else is no "
            "repeat, and a repeat meets plan_update's errors") {
        // Two supplied keys, given in the reverse order of their sessions (the KEMAC lists them in
        // session order): cs 3 (a TEK replacing the TGK) and cs 2.
        bytes key3(32, 0x33), spi3b{7, 7, 7, 7};
        std::array<roles::supplied_key, 2> two{
            roles::supplied_key{.cs_id = 3, .ssrc = 0x3000, .kind = key_data_type::tek, .key = key3, .spi = spi3b}, group};
        // The TEK supplied for cs 3 is in force for it afterwards (a bundle that applied the update).
        std::array<roles::session_key, 3> after{};
        for (std::size_t i = 0; i < 3; ++i) after[i] = in_force[i].clone();
        REQUIRE(rd::set_as_sent(after[2], {3, 0x3000}, key_data_type::tek, key3, {}, spi3b));
        auto ca = ci;
        ca.keys = after;
        fresh_group(7);
        CHECK(!both(ca, two, false, false));  // a new shape: built and kept, the request noted
        for (const bool borrow : {false, true}) {
            CAPTURE(borrow);
            fresh_group(borrow ? 9 : 8);
            std::fill(key3.begin(), key3.end(), borrow ? 0x39 : 0x38);
            now = now + std::chrono::seconds(1);
            rd::update_plan general, repeat;
            rd::key_set ng{}, nr{};
            ng.borrow_supplied = nr.borrow_supplied = borrow;
            crypto::deterministic_rng<B> r{*e.backend, 5};
            REQUIRE(rd::plan_update(*e.backend, r, now, ca, bundle, two, false, general, ng));
            const auto planned = tpl.replan(*e.backend, now, ca, bundle, two, false, false, repeat, nr);
            REQUIRE(planned);
            REQUIRE(*planned);
            CHECK(tpl.matches(ca, general, ng, false));
            REQUIRE(nr.count == ng.count);
            CHECK(nr.t == ng.t);
            for (std::size_t i = 0; i < ng.count; ++i) {
                CAPTURE(i);
                CHECK(nr.kept[i] == ng.kept[i]);
                CHECK(nr.ssrc[i] == ng.ssrc[i]);
                CHECK(tools::to_hex(rd::spi_of(ca, nr, i)) == tools::to_hex(rd::spi_of(ca, ng, i)));
                if (ng.kept[i] == rd::key_set::borrowed) CHECK(nr.given[i] == ng.given[i]);
                if (ng.kept[i] != rd::key_set::made_here) continue;
                CHECK(tools::to_hex(nr.key(i).tek.view()) == tools::to_hex(ng.key(i).tek.view()));
                CHECK(tools::to_hex(nr.key(i).salt.view()) == tools::to_hex(ng.key(i).salt.view()));
            }
            CHECK(nr.kept[0] == 0);
            CHECK(nr.kept[1] == (borrow ? rd::key_set::borrowed : rd::key_set::made_here));
            REQUIRE(repeat.keys.size() == 2);  // in session order: cs 2, then cs 3
            CHECK(tools::to_hex(repeat.keys[0].key) == tools::to_hex(key));
            CHECK(tools::to_hex(repeat.keys[1].key) == tools::to_hex(key3));
            CHECK(tools::to_hex(repeat.keys[1].validity.spi) == tools::to_hex(spi3b));
        }
        // Through build_update: same bytes and keys as the full build (both() checks them).
        fresh_group(10);
        CHECK(both(ca, two, false, false));

        // No repeat (false, nothing planned) when anything differs.
        const auto no_repeat = [&](const rd::update_context& c, std::span<const roles::crypto_session_spec> sessions,
                                   std::span<const roles::supplied_key> supplied, bool rekey_all, bool want_response) {
            rd::update_plan p;
            rd::key_set n{};
            const auto r = tpl.replan(*e.backend, now + std::chrono::seconds(1), c, sessions, supplied, rekey_all,
                                      want_response, p, n);
            REQUIRE(r);
            CHECK(p.keys.size() == 0);
            CHECK(n.count == 0);
            return !*r;
        };
        CHECK(no_repeat(ca, bundle, two, true, false));   // rekey_all
        CHECK(no_repeat(ca, bundle, two, false, true));   // the V flag
        CHECK(no_repeat(ca, bundle, {&group, 1}, false, false));  // one supplied key of two
        const roles::crypto_session_spec other_ssrc[] = {{1, 0x1000}, {2, 0x2000}, {3, 0x3001}};
        CHECK(no_repeat(ca, other_ssrc, two, false, false));
        const roles::crypto_session_spec two_sessions[] = {{1, 0x1000}, {2, 0x2000}};
        CHECK(no_repeat(ca, two_sessions, two, false, false));
        {
            auto swapped = two;  // cs 3's key supplied for cs 1 instead
            swapped[0].cs_id = 1;
            CHECK(no_repeat(ca, bundle, swapped, false, false));
            swapped = two;
            const bytes short_key(16, 1);  // another size
            swapped[0].key = short_key;
            CHECK(no_repeat(ca, bundle, swapped, false, false));
            swapped = two;
            swapped[0].kind = key_data_type::tgk;  // another kind
            CHECK(no_repeat(ca, bundle, swapped, false, false));
        }
        {
            std::array<roles::session_key, 3> moved{};  // keys in force not in place (cs 1 and cs 2 swapped)
            moved[0] = after[1].clone();
            moved[1] = after[0].clone();
            moved[2] = after[2].clone();
            auto cm = ca;
            cm.keys = moved;
            CHECK(no_repeat(cm, bundle, two, false, false));
            moved[0] = after[0].clone();  // in place, but cs 1's kept key has an SPI of another size
            moved[1] = after[1].clone();
            const bytes spi_short{1, 1};
            REQUIRE(rd::set_as_sent(moved[0], {1, 0x1000}, key_data_type::tek, bytes(32, 1), {}, spi_short));
            CHECK(no_repeat(cm, bundle, two, false, false));
            cm.keys = std::span(moved).first(2);  // a session fewer in force
            CHECK(no_repeat(cm, bundle, two, false, false));
        }
        auto eve = ca;  // another context
        const std::string other = "sip:eve@example.org";
        eve.id_r = ticket::as_bytes(other);
        CHECK(no_repeat(eve, bundle, two, false, false));
        CHECK(no_repeat(context(roles::party::responder), bundle, two, false, false));

        // A repeat meets plan_update's errors, in its order.
        {
            rd::update_plan p;
            rd::key_set n{};
            CHECK(tpl.replan(*e.backend, base_now, ca, bundle, two, false, false, p, n).error() == errc::stale_timestamp);
            rd::update_plan p2;
            rd::key_set n2{};
            auto same_spi = two;
            same_spi[0].spi = group.spi;  // two keys named by one SPI (RFC 6043 §6.2.1)
            CHECK(tpl.replan(*e.backend, now + std::chrono::seconds(1), ca, bundle, same_spi, false, false, p2, n2).error() ==
                  errc::invalid_argument);
            rd::key_set n3{};
            CHECK(rd::plan_update(*e.backend, e.rng, now + std::chrono::seconds(1), ca, bundle, same_spi, false, p2, n3)
                      .error() == errc::invalid_argument);
            rd::update_plan p4;
            rd::key_set n4{};
            auto no_m = ca;  // the Initiator's L flag off: it may not send keys (RFC 6043 §5.2)
            no_m.flags.l = false;
            CHECK(tpl.replan(*e.backend, now + std::chrono::seconds(1), no_m, bundle, two, false, false, p4, n4).error() ==
                  errc::policy_not_acceptable);
        }
        // Requests never noted as repeatable: with a session added (a supplied key's session not
        // listed), or on keys in force that do not hold the sessions in place.
        const roles::crypto_session_spec without_cs2[] = {{1, 0x1000}, {3, 0x3000}};
        for (int round = 0; round < 2; ++round) {
            std::array<std::uint8_t, 2048> out{};
            rd::key_set n{};
            now = now + std::chrono::seconds(1);
            REQUIRE(rd::build_update(*e.backend, e.rng, now, out, ca, without_cs2, two, false, false, n, &tpl));
        }
        CHECK(no_repeat(ca, without_cs2, two, false, false));
        auto c2 = ca;
        c2.keys = std::span(after).first(2);  // cs 3 not in force: added by the update
        CHECK(!both(c2, two, false, false));
        CHECK(both(c2, two, false, false));  // the same shape: patched, but no repeat
        CHECK(no_repeat(c2, bundle, two, false, false));
    }
    SUBCASE("the patched update is taken by the other end, with the new key") {
        fresh_group(4);
        std::array<std::uint8_t, 2048> out{}, resp{};
        rd::key_set next{};
        now = now + std::chrono::seconds(1);
        const auto up = rd::build_update(*e.backend, e.rng, now, out, ci, bundle, {&group, 1}, false, false, next, &tpl);
        REQUIRE(up);
        rd::key_set got{};
        REQUIRE(rd::open_update(*e.backend, e.pol, *up, now, resp, context(roles::party::responder), {}, got));
        REQUIRE(got.count == 3);
        CHECK(got.kept[0] == 0);
        CHECK(got.kept[2] == 2);
        CHECK(tools::to_hex(got.key(1).tek.view()) == tools::to_hex(key));
        CHECK(tools::to_hex(got.key(1).spi_view()) == tools::to_hex(spi));
    }
    SUBCASE("an out buffer of exactly the message's size: patched, the MAC input in three pieces") {
        fresh_group(5);
        std::array<std::uint8_t, 2048> probe{};
        rd::key_set n{};
        const auto sized = rd::build_update(*e.backend, e.rng, now + std::chrono::seconds(1), probe, ci, bundle, {&group, 1},
                                            false, false, n);
        REQUIRE(sized);
        CHECK(both(ci, {&group, 1}, false, false, sized->size()));
        // Past the message the identities the MAC covers fit from `head + ids` bytes on: one byte
        // less keeps them apart, exactly that lays them out after the message (one MAC piece).
        const std::size_t head = sized->size() - mac_size(ci.mac);
        const std::size_t ids = ci.id_i.size() + ci.id_r.size();
        REQUIRE(ids > mac_size(ci.mac));  // else the exact-size buffer above had room already
        CHECK(both(ci, {&group, 1}, false, false, head + ids - 1));
        CHECK(both(ci, {&group, 1}, false, false, head + ids));
        std::vector<std::uint8_t> small(sized->size() - 1);
        rd::key_set m{};
        CHECK(rd::build_update(*e.backend, e.rng, now + std::chrono::seconds(1), small, ci, bundle, {&group, 1}, false, false,
                               m, &tpl)
                  .error() == errc::buffer_too_small);
    }
    SUBCASE("each change of shape builds the update again, then patches the new shape") {
        spi = {9, 9};  // an SPI of another length
        group.spi = spi;
        CHECK(!both(ci, {&group, 1}, false, false));
        CHECK(both(ci, {&group, 1}, false, false));
        key.assign(16, 7);  // a shorter key
        group.key = key;
        CHECK(!both(ci, {&group, 1}, false, false));
        CHECK(both(ci, {&group, 1}, false, false));
        CHECK(!both(ci, {&group, 1}, false, true));  // the V flag
        CHECK(both(ci, {&group, 1}, false, true));
        group.kind = key_data_type::tek;  // no salt
        group.salt = {};
        CHECK(!both(ci, {&group, 1}, false, false));
        CHECK(both(ci, {&group, 1}, false, false));
        group.kind = key_data_type::tgk;  // same sizes, another kind: another Key data Type byte
        CHECK(!both(ci, {&group, 1}, false, false));
        CHECK(both(ci, {&group, 1}, false, false));
        auto eve = ci;  // another identity
        const std::string other = "sip:eve@example.org";
        eve.id_i = ticket::as_bytes(other);
        CHECK(!both(eve, {&group, 1}, false, false));
        CHECK(both(eve, {&group, 1}, false, false));
        auto other_csb = ci;
        other_csb.csb = csb_id{0x1235};
        CHECK(!both(other_csb, {&group, 1}, false, false));
        CHECK(!both(ci, {}, true, false));  // fresh random keys for every session
        CHECK(both(ci, {}, true, false));
        CHECK(!both(ci, {}, false, false));  // no KEMAC
        CHECK(both(ci, {}, false, false));
        auto null_encr = ci;  // plaintext keys in the KEMAC: patched from a copy that holds none
        null_encr.kemac_encr = encr_alg::null;
        CHECK(!both(null_encr, {&group, 1}, false, false));
        CHECK(both(null_encr, {&group, 1}, false, false));
        const auto cr = context(roles::party::responder);  // started by the Responder: IDRr first
        CHECK(!both(cr, {&group, 1}, false, false));
        CHECK(both(cr, {&group, 1}, false, false));
    }
}

namespace {

/// A role policy without the security-policy hooks: the defaults apply.
struct no_sp_hooks {};

/// One that takes changed policies and proposes AES-GCM.
struct gcm_policy {
    [[nodiscard]] result<void> accept_changed_security_policy(const sp_view&) const noexcept { return {}; }
    [[nodiscard]] result<bytes_view> own_security_policy(prot_type, const crypto::algorithm_suite&, std::size_t,
                                                         mutable_bytes out) const noexcept {
        static constexpr std::array<std::uint8_t, 6> gcm{0, 1, 6, 1, 1, 16};
        std::copy(gcm.begin(), gcm.end(), out.begin());
        return bytes_view(out.data(), gcm.size());
    }
};

sp_view parsed_sp(bytes& storage, std::uint8_t no, std::initializer_list<std::uint8_t> params, prot_type prot = prot_type::srtp) {
    const bytes raw(params);
    const sp_builder b{no, prot, {}, raw};
    storage.resize(exact_size(b));
    REQUIRE(write_payload(b, storage));
    return *sp_view::parse(storage);
}

}  // namespace

TEST_CASE("security-policy hooks: the defaults of roles/policy.hpp, and optional hooks detected") {
    const crypto::algorithm_suite s{};
    bytes st;
    // default_accept_security_policy: encryption and authentication on, keys of 128 bits or more.
    CHECK(roles::default_accept_security_policy(parsed_sp(st, 1, {0, 1, 1, 1, 1, 16}), s));
    CHECK(roles::default_accept_security_policy(parsed_sp(st, 1, {}), s));  // SRTP's defaults
    CHECK(roles::default_accept_security_policy(parsed_sp(st, 1, {0, 1, 6, 2, 1, 0}), s));  // AES-GCM: NULL auth is fine
    for (const auto& bad : {std::initializer_list<std::uint8_t>{0, 1, 0}, {2, 1, 0}, {1, 1, 8}, {7, 1, 0}, {8, 1, 0},
                            {10, 1, 0}, {1, 0}}) {
        CHECK(roles::default_accept_security_policy(parsed_sp(st, 1, bad), s).error() == errc::sp_not_acceptable);
    }
    CHECK(roles::default_accept_security_policy(parsed_sp(st, 1, {}, prot_type::tesla), s).error() ==
          errc::sp_not_acceptable);
    // default_own_security_policy: AES-CM with the session key length (a TEK with its salt: 14 less).
    for (const auto& c : {std::pair<std::size_t, std::uint8_t>{16, 16}, {24, 24}, {32, 32}, {30, 16}, {46, 32}, {20, 16}}) {
        std::array<std::uint8_t, 64> out{};
        const auto p = roles::default_own_security_policy(prot_type::srtp, s, c.first, out);
        REQUIRE(p);
        CAPTURE(c.first);
        CHECK(bytes(p->begin(), p->end()) == bytes{0, 1, 1, 1, 1, c.second, 2, 1, 1, 3, 1, 20, 4, 1, 14, 11, 1, 10});
    }
    std::array<std::uint8_t, 8> small{};
    CHECK(roles::default_own_security_policy(prot_type::srtp, s, 16, small).error() == errc::buffer_too_small);
    // Hooks are optional: a policy without them gets the defaults; one with them is asked.
    std::array<std::uint8_t, 64> out{};
    CHECK((*roles::detail::own_sp(no_sp_hooks{}, prot_type::srtp, s, 16, out))[2] == 1);  // AES-CM
    CHECK((*roles::detail::own_sp(gcm_policy{}, prot_type::srtp, s, 16, out))[2] == 6);   // AES-GCM
    const auto changed = parsed_sp(st, 7, {0, 1, 1});
    CHECK(roles::detail::accept_changed_sp(no_sp_hooks{}, changed).error() == errc::sp_changed);
    CHECK(roles::detail::accept_changed_sp(gcm_policy{}, changed));
    CHECK(roles::detail::accept_sp(gcm_policy{}, changed, s));  // the default accept
}

TEST_CASE("security-policy lists: the SP payloads a machine owns, per crypto session") {
    roles::detail::policy_list l;
    const std::array<std::uint8_t, 6> p1{0, 1, 1, 1, 1, 16}, p2{0, 1, 1, 1, 1, 32};
    const std::uint8_t only2[] = {2};
    REQUIRE(l.add(std::span<const std::uint8_t>{}, sp_builder{1, prot_type::srtp, {}, p1}));
    REQUIRE(l.add(only2, sp_builder{2, prot_type::srtp, {}, p2}));
    std::array<std::uint8_t, roles::max_policy_offers> buf{};
    CHECK(bytes(l.nos_for(1, buf).begin(), l.nos_for(1, buf).end()) == bytes{1});
    const auto n2 = l.nos_for(2, buf);
    CHECK(bytes(n2.begin(), n2.end()) == bytes{1, 2});
    CHECK(equal_bytes(l.with_no(2)->param_bytes(), p2));
    CHECK(equal_bytes(l.for_session(2)->param_bytes(), p1));  // the first entry that applies
    CHECK(!l.with_no(3));
    // An SP whose parameters are not TLV-framed is refused and leaves the list as it was.
    const std::array<std::uint8_t, 2> broken{0, 5};
    CHECK(!l.add(std::uint8_t{3}, sp_builder{3, prot_type::srtp, {}, broken}));
    CHECK(!l.with_no(3));
    CHECK(l.with_no(2));
    // A parsed SP is kept as it is on the wire, Next Payload 0: the same entry its builder gives.
    std::array<std::uint8_t, 16> wire{};
    const auto w = write_payload(sp_builder{4, prot_type::srtp, {}, p2}, wire);
    REQUIRE(w);
    bytes in_message(w->begin(), w->end());
    in_message[0] = static_cast<std::uint8_t>(payload_type::kemac);  // followed by a KEMAC in its message
    const auto view = sp_view::parse(in_message);
    REQUIRE(view);
    roles::detail::policy_list by_view, by_builder;
    by_view.add(std::uint8_t{5}, *view);
    REQUIRE(by_builder.add(std::uint8_t{5}, view->to_builder()));
    const auto kept = by_view.with_no(4);
    REQUIRE(kept);
    CHECK(tools::to_hex(kept->bytes()) == tools::to_hex(*w));
    CHECK(tools::to_hex(kept->bytes()) == tools::to_hex(by_builder.with_no(4)->bytes()));
    CHECK(by_view.for_session(5)->policy_no() == 4);
    CHECK(!by_view.for_session(6));
}

namespace {
/// Accepts the SPs of odd Policy no and counts how often it is asked.
struct counting_sp_policy {
    mutable int asked = 0;
    [[nodiscard]] result<void> accept_security_policy(const sp_view& sp, const crypto::algorithm_suite&) const noexcept {
        ++asked;
        return sp.policy_no() % 2 == 1 ? result<void>{} : result<void>(errc::sp_not_acceptable);
    }
};
}  // namespace

TEST_CASE("security-policy lookups: SP payloads by Policy no in one walk, past the ones it indexes; each SP judged once") {
    // 20 SPs (more than sp_numbers indexes): numbers 0..17, then 3 and 19 again with other
    // parameters; the first of a number is the one a block names (sp_numbered: message order).
    constexpr std::size_t count = roles::detail::sp_numbers::max_indexed + 4;
    static_assert(count == 20);
    std::vector<bytes> params;
    for (std::size_t i = 0; i < count; ++i) params.push_back({0, 1, 1, 1, 1, static_cast<std::uint8_t>(16 + (i % 3) * 8)});
    const auto no_of = [](std::size_t i) -> std::uint8_t { return i < 18 ? static_cast<std::uint8_t>(i) : i == 18 ? 3 : 19; };
    const std::span<const generic_id_block> map(&samples::cs_block, 1);  // SPs need a crypto session
    const auto wire = samples::build([&](auto& b) {
        b.header(samples::hdr(data_type::transfer_init, true, map)).add(samples::t());
        for (std::size_t i = 0; i < count; ++i) b.add(sp_builder{no_of(i), prot_type::srtp, {}, params[i]});
        b.add(samples::v());
    });
    REQUIRE(!wire.empty());
    const auto m = message_view::parse(wire);
    REQUIRE(m);
    roles::detail::sp_numbers sps(*m);
    for (unsigned no = 0; no <= 0xFF; ++no) {
        CAPTURE(no);
        const auto want = roles::detail::sp_numbered(*m, static_cast<std::uint8_t>(no));
        const auto got = sps(static_cast<std::uint8_t>(no));
        REQUIRE(want.has_value() == got.has_value());
        if (want) CHECK(want->bytes().data() == got->bytes().data());
        CHECK(got.has_value() == (no <= 17 || no == 19));
    }
    // The walk goes only as far as lookups need, in any order of lookups.
    roles::detail::sp_numbers backwards(*m), some(*m);
    for (int no = 0xFF; no >= 0; --no) {
        const auto want = roles::detail::sp_numbered(*m, static_cast<std::uint8_t>(no));
        const auto got = backwards(static_cast<std::uint8_t>(no));
        REQUIRE(want.has_value() == got.has_value());
        if (want) CHECK(want->bytes().data() == got->bytes().data());
    }
    for (const std::uint8_t no : {5, 2, 17, 3, 19, 3, 200, 0}) {
        CAPTURE(no);
        const auto got = some(no);
        REQUIRE(got.has_value() == (no != 200));
        if (got) CHECK(got->bytes().data() == roles::detail::sp_numbered(*m, no)->bytes().data());
    }
    CHECK(equal_bytes(sps(3)->param_bytes(), params[3]));  // not the second SP numbered 3
    CHECK(equal_bytes(sps(19)->param_bytes(), params[19]));  // past the indexed ones

    // Verdicts: asked once per number, the same answer after.
    const counting_sp_policy policy;
    const crypto::algorithm_suite s{};
    roles::detail::sp_verdicts verdicts;
    for (int round = 0; round < 3; ++round) {
        for (const std::uint8_t no : {1, 2, 19, 1}) CHECK(verdicts.accepted(policy, *sps(no), s) == (no % 2 == 1));
    }
    CHECK(policy.asked == 3);

    // choose_offered: the first acceptable of a block's list, errors for an unknown number or
    // another Prot type; the policy asked once for an SP that several blocks list.
    const bytes list_a{2, 4, 5}, list_b{5, 7}, list_c{2}, unknown{200}, none{};
    const counting_sp_policy p2;
    roles::detail::sp_verdicts v2;
    const auto block = [](const bytes& nos, prot_type prot = prot_type::srtp) {
        return generic_id_block{1, prot, false, nos, samples::ssrc, samples::spi};
    };
    const auto a = roles::detail::choose_offered(p2, sps, block(list_a), s, false, v2);
    REQUIRE(a);
    CHECK((*a)->policy_no() == 5);
    const auto b = roles::detail::choose_offered(p2, sps, block(list_b), s, false, v2);
    REQUIRE(b);
    CHECK((*b)->policy_no() == 5);
    CHECK(p2.asked == 3);  // 2, 4, 5: 5 not asked again
    CHECK(roles::detail::choose_offered(p2, sps, block(list_c), s, false, v2).error() == errc::sp_not_acceptable);
    CHECK(roles::detail::choose_offered(p2, sps, block(list_a), s, true, v2).error() == errc::sp_not_acceptable);
    CHECK(roles::detail::choose_offered(p2, sps, block(unknown), s, false, v2).error() == errc::sp_not_found);
    CHECK(roles::detail::choose_offered(p2, sps, block(list_b, prot_type::tesla), s, false, v2).error() ==
          errc::sp_prot_mismatch);
    CHECK(!*roles::detail::choose_offered(p2, sps, block(none), s, false, v2));
    CHECK(p2.asked == 3);
}

TEST_CASE("Initiator config: no crypto session, more than max_crypto_sessions, or no identity is refused by the first "
          "call with invalid_argument; nothing sent, the machine idle") {
    const scenario s;
    parties p(s);
    std::array<std::uint8_t, 8192> out{};
    std::vector<roles::crypto_session_spec> seventeen;
    for (std::uint8_t i = 0; i < 17; ++i) seventeen.push_back({static_cast<std::uint8_t>(i + 1), 0x5000u + i});
    const std::span<const roles::crypto_session_spec> lists[] = {{}, seventeen, p.cs};
    for (std::size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        const std::string_view id = i == 2 ? std::string_view{} : std::string_view{"sip:alice@example.org"};
        roles::initiator<B, policy> ini(*p.backend, *p.p_i,
                                        {.identity = id, .kms_identity = "kms.example.org",
                                         .responder = "sip:bob@example.org", .desired = desired_policy(s),
                                         .sessions = lists[i], .suite = s.suite});
        const auto r = ini.start_request(base_now, *p.rng, out);
        CHECK(r.error == errc::invalid_argument);
        CHECK(r.send.empty());
        CHECK(ini.current() == roles::initiator<B, policy>::state::idle);
        CHECK(ini.create_ticket(base_now, *p.rng).error == errc::invalid_argument);
        CHECK(ini.current() == roles::initiator<B, policy>::state::idle);
        CHECK(ini.ticket().empty());
    }
    // RFC 6043 §12.1: session keys of 128 bits or more; at most 256 bits here (the KMS's bound too).
    // Refused by the config check in every mode, never clamped to what the KMS would take.
    const std::pair<std::size_t, errc> lengths[] = {{8, errc::key_too_short},
                                                   {15, errc::key_too_short},
                                                   {roles::detail::max_session_key_bytes + 1, errc::invalid_argument},
                                                   {48, errc::invalid_argument}};
    for (const auto& entry : lengths) {
        const std::size_t length = entry.first;  // not a structured binding: CAPTURE's lambda (clang 14)
        const errc want = entry.second;
        CAPTURE(length);
        roles::initiator<B, policy> ini(*p.backend, *p.p_i,
                                        {.identity = "sip:alice@example.org", .kms_identity = "kms.example.org",
                                         .responder = "sip:bob@example.org", .desired = desired_policy(s),
                                         .key_length = length, .sessions = p.cs, .suite = s.suite});
        const auto r = ini.start_request(base_now, *p.rng, out);
        CHECK(r.error == want);
        CHECK(r.send.empty());
        CHECK(ini.create_ticket(base_now, *p.rng).error == want);
        CHECK(ini.current() == roles::initiator<B, policy>::state::idle);
        CHECK(ini.ticket().empty());
    }
    // The same key store and policy with a valid config: the request is built.
    CHECK(p.ini->start_request(base_now, *p.rng, out).ok());
}

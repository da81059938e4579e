// Inputs only a foreign peer (another implementation) sends: RFC 6043
// messages this library's own machines never produce, sealed here by hand
// with the keys of the exchange (ticket::sealed_message_builder), so that
// every MAC verifies and each refusal comes from the rule under test:
//   - a REQUEST_RESP whose MPKi / MPKr is longer than the 64 bytes the
//     Initiator holds;
//   - a REQUEST_INIT_PSK carrying crypto sessions (SRTP-ID map with SSRC and
//     ROC, GENERIC-ID map with an SPI, #CS = 1), or SPIs of its own choosing
//     in its TP's KEMAC;
//   - a CSB update with the Empty CS ID map;
//   - Transfer messages carrying 256 SP payloads (every Policy_no) and
//     blocks listing 127 policies (#P at its 7-bit maximum);
//   - KEMAC Key data whose SPI names no crypto session, and GENERIC-ID blocks
//     whose SPI names no key;
//   - CSB updates listing security policies, and answers to our updates
//     naming none, an unknown one or a changed one.
#include "flow_harness.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>

#include <mikey/ticket/seal.hpp>

using namespace flow_test;

namespace {

using ini_state = roles::initiator<B, policy>::state;
using res_state = roles::responder<B, policy>::state;
using roles::detail::direction;
using roles::detail::needs;

const std::string alice = "sip:alice@example.org";
const std::string bob = "sip:bob@example.org";
const std::string kms_name = "kms.example.org";
const bytes psk_alice(32, 0x11);  // the harness's PSK of Alice and the KMS

bytes_view id(const std::string& s) { return ticket::as_bytes(s); }

/// A scenario of `mode` with the harness's 256-bit suite and 32-byte keys.
scenario strong_scenario(int mode, bool forking) {
    scenario s;
    s.mode = mode;
    s.forking = forking;
    s.key_length = 32;
    return s;
}

/// The Error no of an Error message (RFC 6043 §5.4), nullopt for anything else.
std::optional<error_no> error_code(bytes_view msg) {
    if (const auto e = ticket::request_resolve_error_view::parse(msg)) return e->fields().err->code();
    if (const auto e = ticket::transfer_error_view::parse(msg)) return e->fields().err->code();
    return std::nullopt;
}

csb_id csb_of(bytes_view msg) {
    const auto h = hdr_view::parse(msg);
    REQUIRE(h);
    return h->csb();
}

std::vector<generic_id_block> blocks_of(bytes_view msg) {
    const auto h = hdr_view::parse(msg);
    REQUIRE(h);
    REQUIRE(h->map_type() == cs_id_map_type::generic_id);
    std::vector<generic_id_block> v;
    for (const auto& b : h->generic_id()) v.push_back(b);
    return v;
}

/// The SP payloads of `msg`, as builders viewing its bytes.
std::vector<sp_builder> sps_of(bytes_view msg) {
    const auto m = message_view::parse(msg);
    REQUIRE(m);
    std::vector<sp_builder> v;
    for (const auto& e : m->payloads()) {
        if (e.type == payload_type::sp) v.push_back(e.as<sp_view>().to_builder());
    }
    return v;
}

std::size_t sp_count(bytes_view msg) { return message_view::parse(msg)->count(payload_type::sp); }

std::vector<bytes> teks(std::span<const roles::session_key> keys) {
    std::vector<bytes> v;
    for (const auto& k : keys) v.emplace_back(k.tek.view().begin(), k.tek.view().end());
    return v;
}
std::vector<bytes> spis(std::span<const roles::session_key> keys) {
    std::vector<bytes> v;
    for (const auto& k : keys) v.emplace_back(k.spi_view().begin(), k.spi_view().end());
    return v;
}
bool has_spi(std::span<const roles::session_key> keys, bytes_view spi) {
    return std::any_of(keys.begin(), keys.end(), [&](const roles::session_key& k) { return equal_bytes(k.spi_view(), spi); });
}

/// Delivers `first` and each answer to its receiver until nothing is sent; the first refusal, or ok.
errc relay(parties& p, const roles::outcome& first, ntp_time now = base_now) {
    std::array<std::uint8_t, 8192> out{};
    bytes cur(first.send.begin(), first.send.end());
    data_type type = first.send_type;
    while (!cur.empty()) {
        const auto o = deliver(p, receiver_of(type), cur, now, out);
        if (!o) return o.error;
        cur.assign(o.send.begin(), o.send.end());
        type = o.send_type;
    }
    return errc::ok;
}

// SRTP SP parameters (RFC 3830 §6.10.1): Encryption algorithm (type 0), Session Encr. key length (type 1).
constexpr std::array<std::uint8_t, 6> sp_null_encr{0, 1, 0, 1, 1, 16};  // NULL encryption: refused by default
constexpr std::array<std::uint8_t, 6> sp_aes128{0, 1, 1, 1, 1, 16};     // acceptable, not the default proposal
constexpr std::array<std::uint8_t, 6> sp_aes256{0, 1, 1, 1, 1, 32};

sp_builder srtp_sp(std::uint8_t no, bytes_view params) { return sp_builder{no, prot_type::srtp, {}, params}; }

// ------------------------------------------------------------ hand-sealed messages

/// A REQUEST_RESP as a foreign KMS would seal it in answer to `request`
/// (RFC 6043 §4.2.1.5): the genuine answer's T and TICKET, a KEMAC of
/// `keys` under the D2 keys of Alice's PSK with RANDRi, V over
/// REQUEST_RESP || REQUEST_INIT (§5.5).
bytes foreign_request_resp(const parties& p, bytes_view request, bytes_view genuine,
                           std::span<const key_data_builder> keys) {
    const auto req = ticket::request_init_psk_view::parse(request);
    const auto resp = ticket::request_resp_view::parse(genuine);
    REQUIRE(req);
    REQUIRE(resp);
    const auto h = resp->header();
    const crypto::algorithm_suite suite{h.prf(), resp->kemac()->encryption(), resp->v()->kind()};
    const auto k2 = roles::detail::protection(*p.backend, direction::response, needs::all_keys, suite, psk_alice, h.csb(),
                                              req->randri()->value(), {});
    REQUIRE(k2);
    std::array<std::uint8_t, 4096> out{};
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::request_resp, false, h.prf(), h.csb(), empty_map{}, h.version()})
        .add(resp->t().to_builder())
        .add(idr_builder{id_role::idrkms, id_type::uri, id(kms_name)})
        .add(resp->ticket()->to_builder())
        .add_kemac(*p.backend, suite.encr, k2->cipher(h.csb(), roles::detail::iv_time(resp->t())), keys);
    const auto sealed = sb.seal(*p.backend, suite.mac, k2->auth_key.view(), {request});
    REQUIRE(sealed);
    return bytes(sealed->begin(), sealed->end());
}

/// A REQUEST_INIT_PSK as a foreign Initiator would seal it with Alice's PSK
/// (RFC 6043 §4.2.1): HDR with CS ID map `map`, T, RANDRi, IDRi, IDRkms, a TP
/// whose TP Data asks for the keys `wanted` in a NULL KEMAC (none: no KEMAC,
/// §6.10), V with D1 over REQUEST_INIT || Identity_i || Identity_kms (§5.5).
bytes foreign_request(const parties& p, const scenario& s, const cs_id_map& map, std::span<const key_data_builder> wanted,
                      csb_id csb, bytes_view randri, ntp_time now) {
    std::array<std::uint8_t, 1024> plain{};
    byte_writer pw(plain);
    chain_writer(pw, std::nullopt).add(wanted);
    REQUIRE(!pw.failed());
    const roles::detail::timestamp ts(now), te(now + std::chrono::hours(1));
    std::array<std::uint8_t, 2048> tp_buf{};
    byte_writer w(tp_buf);
    w.u8(0);  // TP Data: First Payload, then the chain (initiator.hpp desired_tp_data)
    chain_writer c(w, std::size_t{0});
    c.add(idr_builder{id_role::idrkms, id_type::uri, id(kms_name)})
        .add(idr_builder{id_role::idri, id_type::uri, id(alice)})
        .add(tr_builder{.role = ts_role::trs, .kind = ts_type::ntp_utc, .value = ts.bytes})
        .add(tr_builder{.role = ts_role::tre, .kind = ts_type::ntp_utc, .value = te.bytes});
    if (!wanted.empty()) c.add(kemac_builder{encr_alg::null, pw.written(), mac_alg::null, {}});
    c.add(idr_builder{id_role::idrr, id_type::uri, id(bob)});
    REQUIRE(!w.failed());
    const auto k1 = roles::detail::protection(*p.backend, direction::initial, needs::auth_key, s.suite, psk_alice, csb,
                                              randri, {});
    REQUIRE(k1);
    const roles::detail::timestamp t(now);
    std::array<std::uint8_t, 4096> out{};
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::request_init_psk, true, s.suite.prf, csb, map, 1})
        .add(t.builder())
        .add(randr_builder{rand_role::randri, randri})
        .add(idr_builder{id_role::idri, id_type::uri, id(alice)})
        .add(idr_builder{id_role::idrkms, id_type::uri, id(kms_name)})
        .add(tp_builder{desired_policy(s), w.written(), {}, {}});
    const auto sealed = sb.seal(*p.backend, s.suite.mac, k1->auth_key.view(), {id(alice), id(kms_name)});
    REQUIRE(sealed);
    return bytes(sealed->begin(), sealed->end());
}

/// TRANSFER_INIT `genuine` of a flow without forking (V with D1 from MPKi,
/// RFC 6043 §4.2.2.1) sealed again with GENERIC-ID blocks `blocks`, SP
/// payloads `sps` and, when given, a KEMAC of `keys` (encr_key from MPKi,
/// §4.2.2.1) in place of its own: authentic, so only the rule under test
/// can refuse it.
bytes reseal_transfer_init(const parties& p, const scenario& s, bytes_view genuine, std::span<const generic_id_block> blocks,
                           std::span<const sp_builder> sps, std::span<const key_data_builder> keys = {}) {
    const auto ti = ticket::transfer_init_view::parse(genuine);
    REQUIRE(ti);
    REQUIRE(!ti->ticket()->flags().i);  // no Initiator Data to sign
    const auto h = ti->header();
    const auto k1 = roles::detail::protection(*p.backend, direction::initial, keys.empty() ? needs::auth_key : needs::all_keys,
                                              s.suite, p.ini->mpki(), h.csb(), ti->randri()->value(), {});
    REQUIRE(k1);
    std::vector<std::uint8_t> out(16384);
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::transfer_init, h.v_flag(), h.prf(), h.csb(), blocks, h.version()})
        .add(ti->t().to_builder())
        .add(ti->randri()->to_builder())
        .add(ti->idri()->to_builder())
        .add(ti->idrr()->to_builder())
        .add(sps)
        .add_ticket(*ti->ticket());
    if (!keys.empty()) {
        sb.add_kemac(*p.backend, s.suite.encr, k1->cipher(h.csb(), roles::detail::iv_time(ti->t())), keys);
    }
    const auto sealed = sb.seal(*p.backend, s.suite.mac, k1->auth_key.view(), {id(alice), id(bob)});
    REQUIRE(sealed);
    return bytes(sealed->begin(), sealed->end());
}

/// TRANSFER_RESP `genuine` (mode 3 / 4 without forking: D2 from MPKi with
/// RANDRi and RANDRr, RFC 6043 §4.2.2.3) sealed again with GENERIC-ID blocks
/// `blocks`, SP payloads `sps` and, when given, a KEMAC of `keys` (M flag)
/// in place of its own, V over TRANSFER_RESP || TRANSFER_INIT `ti` (§5.5).
bytes reseal_transfer_resp(const parties& p, const scenario& s, bytes_view ti_bytes, bytes_view genuine,
                           std::span<const generic_id_block> blocks, std::span<const sp_builder> sps,
                           std::span<const key_data_builder> keys = {}) {
    const auto tr = ticket::transfer_resp_view::parse(genuine);
    const auto ti = ticket::transfer_init_view::parse(ti_bytes);
    REQUIRE(tr);
    REQUIRE(ti);
    const auto h = tr->header();
    const auto k2 = roles::detail::protection(*p.backend, direction::response, keys.empty() ? needs::auth_key : needs::all_keys,
                                              s.suite, p.ini->mpki(), h.csb(), ti->randri()->value(),
                                              tr->randrr() ? tr->randrr()->value() : bytes_view{});
    REQUIRE(k2);
    std::vector<std::uint8_t> out(16384);
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::transfer_resp, false, h.prf(), h.csb(), blocks, h.version()}).add(tr->t().to_builder());
    if (tr->randrr()) sb.add(tr->randrr()->to_builder());
    sb.add(tr->idrr()->to_builder()).add(sps);
    if (!keys.empty()) {
        sb.add_kemac(*p.backend, s.suite.encr, k2->cipher(h.csb(), roles::detail::iv_time(tr->t())), keys);
    }
    const auto sealed = sb.seal(*p.backend, s.suite.mac, k2->auth_key.view(), {ti_bytes});
    REQUIRE(sealed);
    return bytes(sealed->begin(), sealed->end());
}

/// The keys that protected the last message of the initial exchange of a
/// mode-3 / 4 flow without forking, its TRANSFER_RESP (F = 1: D2 from MPKi
/// with RANDRi and RANDRr, RFC 6043 §4.2.2.3), which "Both messages" of a
/// CSB update use (§5.2).
crypto::protection_keys bundle_keys(const parties& p, const scenario& s, const run_result& r) {
    REQUIRE(r.messages.size() == 2);
    const auto ti = ticket::transfer_init_view::parse(r.messages[0].wire);
    const auto tr = ticket::transfer_resp_view::parse(r.messages[1].wire);
    REQUIRE(ti);
    REQUIRE(tr);
    REQUIRE(tr->randrr());
    auto k = roles::detail::protection(*p.backend, direction::response, needs::all_keys, s.suite, p.ini->mpki(),
                                       tr->header().csb(), ti->randri()->value(), tr->randrr()->value());
    REQUIRE(k);
    return std::move(*k);
}

/// The GENERIC-ID blocks of a bundle (SRTP, the SSRC and SPI of each of
/// `keys`), over copies this object owns: not copyable.
struct bundle_blocks {
    std::vector<std::array<std::uint8_t, 4>> ssrcs;
    std::vector<bytes> spi_bytes;
    std::vector<generic_id_block> blocks;
    explicit bundle_blocks(std::span<const roles::session_key> keys) {
        ssrcs.reserve(keys.size());
        spi_bytes.reserve(keys.size());
        for (const auto& k : keys) {
            ssrcs.push_back({static_cast<std::uint8_t>(k.ssrc >> 24), static_cast<std::uint8_t>(k.ssrc >> 16),
                             static_cast<std::uint8_t>(k.ssrc >> 8), static_cast<std::uint8_t>(k.ssrc)});
            spi_bytes.emplace_back(k.spi_view().begin(), k.spi_view().end());
            blocks.push_back(generic_id_block{k.cs.get(), prot_type::srtp, false, {}, ssrcs.back(), spi_bytes.back()});
        }
    }
    bundle_blocks(const bundle_blocks&) = delete;
    bundle_blocks& operator=(const bundle_blocks&) = delete;
};

/// A CSB update (RFC 6043 §5.2: TRANSFER_INIT = HDR, T, [IDRi], [IDRr] when
/// the Initiator starts it, [IDRr], [IDRi] when the Responder does, {SP},
/// [KEMAC], V) sealed by hand with the bundle's keys `k`: CSB ID `csb`, T
/// `at`, V flag `want_response`, CS ID map `map`, SP payloads `sps`, a KEMAC
/// of `keys` when given (NULL MAC), V over TRANSFER_INIT || Identity_i ||
/// Identity_r (§5.5).
bytes foreign_update(const parties& p, const scenario& s, const crypto::protection_keys& k, csb_id csb, ntp_time at,
                     roles::party sender, bool want_response, const cs_id_map& map,
                     std::span<const key_data_builder> keys = {}, std::span<const sp_builder> sps = {}) {
    const roles::detail::timestamp t(at);
    std::array<std::uint8_t, 4096> out{};
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::transfer_init, want_response, s.suite.prf, csb, map, 1}).add(t.builder());
    const idr_builder idri{id_role::idri, id_type::uri, id(alice)}, idrr{id_role::idrr, id_type::uri, id(bob)};
    if (sender == roles::party::initiator) {
        sb.add(idri).add(idrr);
    } else {
        sb.add(idrr).add(idri);
    }
    sb.add(sps);
    if (!keys.empty()) sb.add_kemac(*p.backend, s.suite.encr, k.cipher(csb, t.iv()), keys);
    const auto sealed = sb.seal(*p.backend, s.suite.mac, k.auth_key.view(), {id(alice), id(bob)});
    REQUIRE(sealed);
    return bytes(sealed->begin(), sealed->end());
}

/// A mode-4 flow without forking up to the Responder's genuine answer: the
/// Initiator's TRANSFER_INIT (`ti_bytes`) and the TRANSFER_RESP (`genuine`),
/// which the Initiator awaits.
struct answered_transfer {
    parties p;
    bytes ti_bytes, genuine;
    std::array<std::uint8_t, 8192> out{};

    explicit answered_transfer(const scenario& s) : p(s) {
        REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());
        const auto ti = p.ini->start_transfer(base_now, *p.rng, out);
        REQUIRE(ti.ok());
        ti_bytes.assign(ti.send.begin(), ti.send.end());
        const auto tr = p.res->receive(ti_bytes, base_now, *p.rng, out);
        REQUIRE(tr.ok());
        genuine.assign(tr.send.begin(), tr.send.end());
    }
};

/// An established mode-4 bundle without forking (FGHLO: the Initiator may
/// send keys, the Responder may not) for the CSB updates a foreign peer
/// seals: the bundle's keys, CSB ID and an update time 10 s on.
struct established_bundle {
    scenario s = strong_scenario(4, false);
    parties p{s};
    run_result r = run(p, s);
    crypto::protection_keys k = bundle_keys(p, s, r);
    csb_id csb = p.ini->csb();
    ntp_time at = base_now + std::chrono::seconds(10);
    std::array<std::uint8_t, 8192> out{};

    /// The update `sender` seals with V flag 1, map `map`, a KEMAC of
    /// `keys` when given and SP payloads `sps` (foreign_update).
    [[nodiscard]] bytes update(roles::party sender, const cs_id_map& map, std::span<const key_data_builder> keys = {},
                               std::span<const sp_builder> sps = {}) const {
        return foreign_update(p, s, k, csb, at, sender, true, map, keys, sps);
    }
};

}  // namespace

// ============================================================ 1. MPK over 64 bytes in REQUEST_RESP

namespace {
/// A mode-1 Initiator awaiting REQUEST_RESP, its request and the KMS's
/// genuine answer, for REQUEST_RESPs a foreign KMS seals with other keys.
struct awaiting_ticket {
    scenario s;
    parties p;
    bytes request, genuine;
    std::array<std::uint8_t, 8192> out{};

    explicit awaiting_ticket(bool forking) : s(strong_scenario(1, forking)), p(s) {
        const auto req = p.ini->start_request(base_now, *p.rng, out);
        REQUIRE(req.ok());
        request.assign(req.send.begin(), req.send.end());
        const auto g = p.kms->receive(request, base_now, *p.rng, out);
        REQUIRE(g.ok());
        genuine.assign(g.send.begin(), g.send.end());
    }
    /// The Initiator's outcome for a REQUEST_RESP carrying `keys`.
    roles::outcome answer(std::span<const key_data_builder> keys) {
        return p.ini->receive(foreign_request_resp(p, request, genuine, keys), base_now, *p.rng, out);
    }
    /// A REQUEST_RESP carrying `keys` is refused with `e` and an Error
    /// (Unspecified, RFC 6043 §5.4) for the request's CSB; nothing is taken,
    /// and the genuine answer is then taken.
    void refused(std::span<const key_data_builder> keys, errc e) {
        const auto o = answer(keys);
        CHECK(o.error == e);
        REQUIRE(o.send_type == data_type::error);
        CHECK(error_code(o.send) == error_no::unspecified);
        CHECK(csb_of(o.send) == csb_of(request));
        CHECK(p.ini->current() == ini_state::awaiting_request_resp);
        CHECK(p.ini->mpki().empty());
        CHECK(p.ini->mpkr().empty());
        CHECK(p.ini->ticket().empty());
        const auto ok = p.ini->receive(genuine, base_now, *p.rng, out);
        REQUIRE(ok.ok());
        CHECK(ok.has(roles::event::ticket_granted));
    }
};
}  // namespace

// RFC 6043 §4.2.1.5: KEMAC = E(encr_key, MPKi || [MPKr] || {TEK|TGK|GTGK}); §6.2.1: MPK is Key data type 6; §12.1
// bounds key lengths from below only, so 64 bytes is this implementation's limit (initiator.hpp take_keys: the
// MPKs are held in 64-byte buffers), reported as key_length_mismatch; §5.4: "If a fatal error occurs during the
// parsing of a message, the message SHOULD be discarded, and an Error message SHOULD be sent".
TEST_CASE("foreign KMS: a REQUEST_RESP whose MPKi or MPKr is over 64 bytes is refused with key_length_mismatch "
          "(Error: Unspecified); the Initiator still awaits and takes the genuine answer; 64 bytes are taken") {
    const bytes tgk1(32, 0x61), tgk2(32, 0x62), spi1{0xa1, 0, 0, 1}, spi2{0xa1, 0, 0, 2}, mpk32(32, 0x5d);
    const key_data_builder ticket_keys[] = {{key_data_type::tgk, tgk1, {}, kv_data{kv_type::spi, spi1, {}, {}}},
                                            {key_data_type::tgk, tgk2, {}, kv_data{kv_type::spi, spi2, {}, {}}}};
    for (const bool forking : {false, true}) {
        for (const std::size_t len : {std::size_t{65}, std::size_t{128}}) {
            CAPTURE(forking);
            CAPTURE(len);
            awaiting_ticket a(forking);
            // Without forking the long key is MPKi; with forking MPKi is 32 bytes and MPKr the long one.
            const bytes big(len, 0x5c);
            std::vector<key_data_builder> keys;
            keys.push_back({key_data_type::mpk, forking ? bytes_view(mpk32) : bytes_view(big), {}, {}});
            if (forking) keys.push_back({key_data_type::mpk, big, {}, {}});
            keys.insert(keys.end(), std::begin(ticket_keys), std::end(ticket_keys));
            a.refused(keys, errc::key_length_mismatch);
            // The flow then completes.
            CHECK(a.p.ini->mpki().size() == 32);
            const auto ti = a.p.ini->start_transfer(base_now, *a.p.rng, a.out);
            REQUIRE(ti.ok());
            CHECK(relay(a.p, ti) == errc::ok);
            check_same_keys(a.p);
        }
    }
    // The bound itself: 64-byte MPKs are held.
    for (const bool forking : {false, true}) {
        CAPTURE(forking);
        awaiting_ticket a(forking);
        const bytes mpki(64, 0x5a), mpkr(64, 0x5b);
        std::vector<key_data_builder> keys{{key_data_type::mpk, mpki, {}, {}}};
        if (forking) keys.push_back({key_data_type::mpk, mpkr, {}, {}});
        keys.insert(keys.end(), std::begin(ticket_keys), std::end(ticket_keys));
        const auto o = a.answer(keys);
        CHECK(o.error == errc::ok);
        CHECK(o.send.empty());
        CHECK(a.p.ini->current() == ini_state::ticket_ready);
        CHECK(equal_bytes(a.p.ini->mpki(), mpki));
        CHECK(equal_bytes(a.p.ini->mpkr(), forking ? bytes_view(mpkr) : bytes_view{}));
    }
}

// RFC 6043 §4.2.1.5: "MPKi always"; §6.2.1: the MPK has its own Key data type (6). A foreign KMS that sends
// its MPK as a TGK sends no MPK at all: missing_key (Error: Unspecified, §5.4).
TEST_CASE("foreign KMS: a REQUEST_RESP carrying its MPK as a TGK (Key data type 0, not 6) is refused with "
          "missing_key (Error: Unspecified), the Initiator still awaiting") {
    awaiting_ticket a(false);
    const bytes mpk_as_tgk(32, 0x5d), tgk(32, 0x61), spi_a{0xa1, 0, 0, 0}, spi_b{0xa1, 0, 0, 1};
    const key_data_builder keys[] = {{key_data_type::tgk, mpk_as_tgk, {}, kv_data{kv_type::spi, spi_a, {}, {}}},
                                     {key_data_type::tgk, tgk, {}, kv_data{kv_type::spi, spi_b, {}, {}}}};
    a.refused(keys, errc::missing_key);
}

// RFC 6043 §4.2.1.5 (the session keys of REQUEST_RESP's KEMAC), §6.2.1 (each with an SPI). The Initiator holds a
// session key in 64 bytes and an SPI in 8 (detail::owned_key::received); a longer key carries an SPI, so the
// refusal must name the length (key_length_mismatch, as for an MPK over 64 bytes), not key_without_spi ("An SPI
// (or MKI) MUST be specified for each key"). Fixed in session 22 (initiator.hpp take_keys and responder.hpp take,
// through owned_key::received): every failure (key over 64 bytes, salt over 32, SPI over 8 bytes, or no SPI) was
// reported as key_without_spi; only the last is that (the others are the bounds of what a machine holds).
TEST_CASE("foreign KMS: a REQUEST_RESP whose TGK is over 64 bytes, or whose SPI is over 8 bytes, is refused with "
          "key_length_mismatch, not key_without_spi; one without an SPI with key_without_spi") {
    const bytes mpk(32, 0x5d), tgk(32, 0x61), long_tgk(65, 0x61), spi{0xa1, 0, 0, 1}, long_spi(9, 0xa2);
    {
        awaiting_ticket a(false);
        const key_data_builder keys[] = {{key_data_type::mpk, mpk, {}, {}},
                                         {key_data_type::tgk, long_tgk, {}, kv_data{kv_type::spi, spi, {}, {}}}};
        a.refused(keys, errc::key_length_mismatch);
    }
    {
        awaiting_ticket a(false);
        const key_data_builder keys[] = {{key_data_type::mpk, mpk, {}, {}},
                                         {key_data_type::tgk, tgk, {}, kv_data{kv_type::spi, long_spi, {}, {}}}};
        a.refused(keys, errc::key_length_mismatch);
    }
    {
        awaiting_ticket a(false);
        const key_data_builder keys[] = {{key_data_type::mpk, mpk, {}, {}}, {key_data_type::tgk, tgk, {}, {}}};
        a.refused(keys, errc::key_without_spi);
    }
}

// ============================================================ 2. crypto sessions and SPIs in REQUEST_INIT_PSK

// RFC 6043 §4.2.1.1: "As Crypto Sessions (CSs) SHALL NOT be handled, the #CS MUST be set to '0' and the CS ID map
// type SHALL be the "Empty map" as defined in [RFC4563]" (schemas::request_init_psk, no_crypto_sessions); §5.4:
// an Error message SHOULD be sent (no code fits better than Unspecified, 12).
TEST_CASE("foreign Initiator: a REQUEST_INIT_PSK carrying crypto sessions (SRTP-ID map with SSRC and ROC, "
          "GENERIC-ID map with an SPI, or the Empty map with #CS = 1) is refused by the KMS with "
          "bad_crypto_sessions (Error: Unspecified); the same request with the Empty map and #CS = 0 is granted") {
    const auto s = strong_scenario(1, false);
    parties p(s);
    const bytes randri(32, 0x21);
    const srtp_id_entry srtp[] = {{.policy_no = 0, .ssrc = 0x1000, .roc = 7}};
    const std::array<std::uint8_t, 10> session_data{0, 0, 0x10, 0, 0, 0, 0, 7, 0, 1};  // SSRC, ROC 7, SEQ 1 (S = 1)
    const std::array<std::uint8_t, 4> spi{0xde, 0xad, 0xbe, 0xef};
    const generic_id_block generic[] = {{1, prot_type::srtp, true, {}, session_data, spi}};
    struct refused_map {
        const char* what;
        cs_id_map map;
    };
    const refused_map cases[] = {
        {"SRTP-ID: SSRC 0x1000, ROC 7", std::span<const srtp_id_entry>(srtp)},
        {"GENERIC-ID: SSRC, ROC 7, SEQ 1, SPI deadbeef", std::span<const generic_id_block>(generic)},
        {"Empty map, #CS = 1", empty_map{1}},
    };
    std::array<std::uint8_t, 8192> out{};
    int sec = 0;
    for (const auto& c : cases) {
        CAPTURE(c.what);
        const auto at = base_now + std::chrono::seconds(++sec);
        const auto req = foreign_request(p, s, c.map, {}, csb_id(9), randri, at);
        REQUIRE(message_view::parse(req));  // well-formed: only the Request rule refuses it
        const auto o = p.kms->receive(req, at, *p.rng, out);
        CHECK(o.error == errc::bad_crypto_sessions);
        CHECK(o.error_offset == 8);  // #CS
        REQUIRE(o.send_type == data_type::error);
        CHECK(error_code(o.send) == error_no::unspecified);
        CHECK(csb_of(o.send) == csb_id(9));
    }
    // The same request with the Empty map and #CS = 0 is granted: the KMS serves it as before.
    const auto req = foreign_request(p, s, empty_map{}, {}, csb_id(9), randri, base_now + std::chrono::seconds(1));
    const auto o = p.kms->receive(req, base_now + std::chrono::seconds(1), *p.rng, out);
    CHECK(o.error == errc::ok);
    CHECK(o.send_type == data_type::request_resp);
    CHECK(csb_of(o.send) == csb_id(9));
}

// RFC 6043 §6.2.1: "An SPI (or MKI) MUST be specified for each key"; §6.10: the TP's KEMAC says which keys the
// Initiator wants. This library's Initiator leaves each SPI zero ("KMS, choose"); notes/ticket.md item 8: the KMS
// keeps a nonzero 4-byte SPI the Initiator names when no other key of the ticket has it, and draws every other one,
// so each key of the ticket has its own 4-byte SPI.
TEST_CASE("foreign Initiator: a REQUEST_INIT_PSK whose TP KEMAC names SPIs of its own gets a nonzero unused 4-byte "
          "SPI as asked; a repeated, a 2-byte and an all-zero SPI are replaced by distinct 4-byte ones") {
    const auto s = strong_scenario(1, false);
    parties p(s);
    const bytes randri(32, 0x21), zero_key(32, 0);
    const bytes asked{0xde, 0xad, 0xbe, 0xef}, short_spi{0x01, 0x02}, zero_spi(4, 0);
    const key_data_builder wanted[] = {{key_data_type::tgk, zero_key, {}, kv_data{kv_type::spi, asked, {}, {}}},
                                       {key_data_type::tgk, zero_key, {}, kv_data{kv_type::spi, asked, {}, {}}},
                                       {key_data_type::tgk, zero_key, {}, kv_data{kv_type::spi, short_spi, {}, {}}},
                                       {key_data_type::tgk, zero_key, {}, kv_data{kv_type::spi, zero_spi, {}, {}}}};
    const csb_id csb(0x0b0b);
    const auto req = foreign_request(p, s, empty_map{}, wanted, csb, randri, base_now);
    std::array<std::uint8_t, 8192> out{};
    const auto o = p.kms->receive(req, base_now, *p.rng, out);
    REQUIRE(o.ok());
    REQUIRE(o.send_type == data_type::request_resp);
    // Open the KEMAC as the foreign Initiator does: D2 keys of Alice's PSK with RANDRi (RFC 6043 §4.2.1.5).
    const auto resp = ticket::request_resp_view::parse(o.send);
    REQUIRE(resp);
    const crypto::algorithm_suite suite{resp->header().prf(), resp->kemac()->encryption(), resp->v()->kind()};
    const auto k2 = roles::detail::protection(*p.backend, direction::response, needs::all_keys, suite, psk_alice, csb, randri, {});
    REQUIRE(k2);
    std::array<std::uint8_t, ticket::max_kemac_plain> plain{};
    const auto list = crypto::open_kemac(*p.backend, *resp->kemac(), k2->cipher(csb, roles::detail::iv_time(resp->t())), plain);
    REQUIRE(list);
    std::vector<bytes> got;
    for (const auto& k : *list) {
        if (k.kind() == key_data_type::mpk) continue;
        CHECK(k.kind() == key_data_type::tgk);
        CHECK(k.key().size() == 32);
        got.emplace_back(k.validity().spi.begin(), k.validity().spi.end());
    }
    REQUIRE(got.size() == 4);
    CHECK(got[0] == asked);  // kept
    for (std::size_t i = 1; i < 4; ++i) {
        CAPTURE(i);
        CHECK(got[i].size() == 4);
        CHECK(got[i] != asked);
        CHECK(got[i] != zero_spi);
        for (std::size_t j = 0; j < i; ++j) CHECK(got[i] != got[j]);
    }
}

// ============================================================ 3. CSB update with the Empty CS ID map

// RFC 6043 §5.2: in a CSB update "The crypto sessions negotiation (#CS field, CS ID map info field, and SP
// payloads) are handled as in the initial exchange", i.e. by the GENERIC-ID map (§6.1, §6.1.1) whose blocks name
// each crypto session's key by its SPI; the Empty map (RFC 4563 §5) names no crypto session, and "there MUST NOT
// be any Security Policy payload present in the message" with it. §5.4: an Error message SHOULD be sent.
TEST_CASE("foreign peer: a CSB update with the Empty CS ID map is refused with bad_crypto_sessions (Error: "
          "Unspecified) by the Responder and by the Initiator, keys and last T unchanged; with an SP payload it is "
          "sp_with_empty_map; the same update with the bundle's GENERIC-ID map is then taken") {
    established_bundle b;
    auto& p = b.p;
    auto& out = b.out;
    const auto at = b.at;
    REQUIRE(p.res->csb() == b.csb);

    SUBCASE("started by the Initiator, received by the Responder") {
        const auto before = teks(p.res->session_keys());
        const auto before_spis = spis(p.res->session_keys());
        const bytes tek(32, 0x71), spi_new{0xb0, 0, 0, 1};
        const key_data_builder new_key[] = {{key_data_type::tek, tek, {}, kv_data{kv_type::spi, spi_new, {}, {}}}};
        for (const bool with_kemac : {false, true}) {
            CAPTURE(with_kemac);
            const auto up = b.update(roles::party::initiator, empty_map{},
                                           with_kemac ? std::span<const key_data_builder>(new_key) : std::span<const key_data_builder>{});
            REQUIRE(ticket::transfer_init_update_view::parse(up));
            const auto o = p.res->receive(up, at, *p.rng, out);
            CHECK(o.error == errc::bad_crypto_sessions);
            REQUIRE(o.send_type == data_type::error);
            CHECK(error_code(o.send) == error_no::unspecified);
            CHECK(csb_of(o.send) == b.csb);
            CHECK(p.res->current() == res_state::established);
            CHECK(teks(p.res->session_keys()) == before);
            CHECK(spis(p.res->session_keys()) == before_spis);
            CHECK(p.res->last_timestamp() == base_now);
        }
        // Refused before the replay cache (a refusal changes no state): the first message again gets the same
        // error, not replayed_message.
        const auto again = b.update(roles::party::initiator, empty_map{});
        CHECK(p.res->receive(again, at, *p.rng, out).error == errc::bad_crypto_sessions);
        // RFC 4563 §5: an SP payload with the Empty map breaks the message itself.
        const std::array<sp_builder, 1> sp{srtp_sp(1, sp_aes256)};
        const auto with_sp = b.update(roles::party::initiator, empty_map{}, {}, sp);
        const auto o = p.res->receive(with_sp, at, *p.rng, out);
        CHECK(o.error == errc::sp_with_empty_map);
        REQUIRE(o.send_type == data_type::error);
        CHECK(error_code(o.send) == error_no::unspecified);
        CHECK(teks(p.res->session_keys()) == before);
        CHECK(p.res->last_timestamp() == base_now);
        // The same update (same T) with the bundle's GENERIC-ID map, CS 1 naming the new key, is taken.
        bundle_blocks map(p.res->session_keys());
        map.blocks[0].spi = spi_new;
        const auto good = b.update(roles::party::initiator, map.blocks, new_key);
        const auto g = p.res->receive(good, at, *p.rng, out);
        REQUIRE(g.ok());
        CHECK(g.send_type == data_type::transfer_resp);
        const auto keys = p.res->session_keys();
        REQUIRE(keys.size() == 2);
        CHECK(equal_bytes(keys[0].tek.view(), tek));
        CHECK(equal_bytes(keys[0].spi_view(), spi_new));
        CHECK(teks(keys)[1] == before[1]);
        CHECK(p.res->last_timestamp() == at);
    }
    SUBCASE("started by the Responder, received by the Initiator") {
        const auto before = teks(p.ini->session_keys());
        const auto up = b.update(roles::party::responder, empty_map{});
        REQUIRE(ticket::transfer_init_update_by_responder_view::parse(up));
        const auto o = p.ini->receive(up, at, *p.rng, out);
        CHECK(o.error == errc::bad_crypto_sessions);
        REQUIRE(o.send_type == data_type::error);
        CHECK(error_code(o.send) == error_no::unspecified);
        CHECK(csb_of(o.send) == b.csb);
        CHECK(p.ini->current() == ini_state::established);
        CHECK(teks(p.ini->session_keys()) == before);
        CHECK(p.ini->last_timestamp() == base_now);
        // The same update (same T) with the bundle's GENERIC-ID map is taken and answered.
        bundle_blocks map(p.ini->session_keys());
        const auto good = b.update(roles::party::responder, map.blocks);
        const auto g = p.ini->receive(good, at, *p.rng, out);
        REQUIRE(g.ok());
        CHECK(g.send_type == data_type::transfer_resp);
        CHECK(teks(p.ini->session_keys()) == before);
        CHECK(p.ini->last_timestamp() == at);
    }
}

// RFC 6043 §4.2.2.3: "If the Responder adds crypto sessions, the #CS SHALL be updated": a TRANSFER_INIT may
// leave the crypto sessions to the Responder, but one that lists none to a Responder that adds none would end
// in a bundle without keys. §4.2.2.2: what the Responder can refuse on what it has, it refuses "without
// contacting the KMS".
TEST_CASE("foreign Initiator: a TRANSFER_INIT with no crypto session (#CS = 0) to a Responder that adds none is "
          "refused with bad_crypto_sessions before any Resolve; one with a session key of its own resolves and keys it") {
    auto s = strong_scenario(1, false);  // mode 1: the Responder resolves the ticket at the KMS
    s.flags = "DFGHMO";                  // M: the Responder may supply a session key
    std::array<std::uint8_t, 8192> o1{}, o2{};
    // The Initiator's TRANSFER_INIT after its Ticket Request, sealed again without crypto sessions.
    const auto without_sessions = [&](parties& x) {
        const auto req = x.ini->start_request(base_now, *x.rng, o1);
        REQUIRE(req.ok());
        const auto resp = deliver(x, role::kms, bytes(req.send.begin(), req.send.end()), base_now, o2);
        REQUIRE(resp.ok());
        auto ti = deliver(x, role::initiator, bytes(resp.send.begin(), resp.send.end()), base_now, o1);
        REQUIRE(ti.ok());
        if (ti.send.empty()) ti = x.ini->start_transfer(base_now, *x.rng, o1);
        REQUIRE(ti.ok());
        auto none = reseal_transfer_init(x, s, bytes(ti.send.begin(), ti.send.end()), {}, {});
        REQUIRE(hdr_view::parse(none)->cs_count() == 0);
        return none;
    };
    parties p(s);
    const auto none = without_sessions(p);
    const auto o = p.res->receive(none, base_now, *p.rng, o2);
    CHECK(o.error == errc::bad_crypto_sessions);
    CHECK(o.send_type != data_type::resolve_init_psk);
    CHECK(p.res->current() == res_state::idle);
    // With a session key of the Responder's (the crypto session it adds), the same message is resolved and
    // the bundle holds that one session.
    const bytes tek(32, 0x3c), salt(14, 0x3d), spi{0x0d, 0x0e};
    const roles::supplied_key own{.cs_id = 7, .ssrc = 0x7777, .kind = key_data_type::tek_salt, .key = tek,
                                  .salt = salt, .spi = spi};
    REQUIRE(p.res->set_response_keys({&own, 1}));
    const auto ri = p.res->receive(none, base_now, *p.rng, o2);
    REQUIRE(ri.ok());
    REQUIRE(ri.send_type == data_type::resolve_init_psk);
    const auto rr = deliver(p, role::kms, bytes(ri.send.begin(), ri.send.end()), base_now, o1);
    REQUIRE(rr.ok());
    const auto tr = p.res->receive(rr.send, base_now, *p.rng, o2);
    REQUIRE(tr.ok());
    CHECK(tr.send_type == data_type::transfer_resp);
    REQUIRE(p.res->session_keys().size() == 1);
    CHECK(p.res->session_keys()[0].cs.get() == 7);
    CHECK(equal_bytes(p.res->session_keys()[0].tek.view(), tek));
    // The keys dropped while the Resolve runs: the RESOLVE_RESP finds no crypto session to key.
    parties q(s);
    const auto none2 = without_sessions(q);
    REQUIRE(q.res->set_response_keys({&own, 1}));
    const auto ri2 = q.res->receive(none2, base_now, *q.rng, o2);
    REQUIRE(ri2.ok());
    REQUIRE(ri2.send_type == data_type::resolve_init_psk);
    REQUIRE(q.res->set_response_keys({}));
    const auto rr2 = deliver(q, role::kms, bytes(ri2.send.begin(), ri2.send.end()), base_now, o1);
    REQUIRE(rr2.ok());
    const auto late = q.res->receive(rr2.send, base_now, *q.rng, o2);
    CHECK(late.error == errc::bad_crypto_sessions);
    CHECK(late.send_type != data_type::transfer_resp);
    CHECK(q.res->session_keys().empty());
    CHECK(q.res->current() != res_state::established);
}

// ============================================================ 4. 256 SP payloads

// RFC 6043 §6.1.1: Policy_no is 8 bits (256 SP payloads can each have their own), #P is 7 bits (a block lists at
// most 127 policies); "If #P > 0, one of the suggested policies SHOULD be chosen in the response message";
// §4.2.2.3: "each crypto session has exactly one security policy indicated" and the Responder SHOULD NOT resend
// the SP payloads of TRANSFER_INIT.
TEST_CASE("foreign Initiator: a TRANSFER_INIT with 256 SP payloads (every Policy_no) whose blocks each list 127 of "
          "them (#P at its maximum), only the last acceptable: the Responder answers naming that one (#P = 1) and "
          "resends no SP") {
    const auto s = strong_scenario(4, false);
    parties p(s);
    std::array<std::uint8_t, 8192> out{};
    REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());
    const auto ti = p.ini->start_transfer(base_now, *p.rng, out);
    REQUIRE(ti.ok());
    const bytes genuine(ti.send.begin(), ti.send.end());
    std::vector<sp_builder> sps;
    for (unsigned no = 0; no <= 0xFF; ++no) {
        sps.push_back(srtp_sp(static_cast<std::uint8_t>(no), no == 0xFF ? bytes_view(sp_aes256) : bytes_view(sp_null_encr)));
    }
    bytes listed;
    for (unsigned no = 0xFF - 126; no <= 0xFF; ++no) listed.push_back(static_cast<std::uint8_t>(no));
    REQUIRE(listed.size() == 127);
    auto blocks = blocks_of(genuine);
    REQUIRE(blocks.size() == 2);
    for (auto& b : blocks) b.policies = listed;
    const auto forged = reseal_transfer_init(p, s, genuine, blocks, sps);
    REQUIRE(sp_count(forged) == 256);
    const auto o = p.res->receive(forged, base_now, *p.rng, out);
    REQUIRE(o.ok());
    REQUIRE(o.send_type == data_type::transfer_resp);
    CHECK(p.res->current() == res_state::established);
    CHECK(sp_count(o.send) == 0);
    for (const auto& b : blocks_of(o.send)) {
        CAPTURE(b.cs_id);
        REQUIRE(b.policies.size() == 1);
        CHECK(b.policies[0] == 0xFF);
    }
    for (const std::uint8_t cs : {1, 2}) {
        CAPTURE(cs);
        const auto sp = p.res->security_policy(cs_id(cs));
        REQUIRE(sp);
        CHECK(sp->policy_no() == 0xFF);
        CHECK(equal_bytes(sp->param_bytes(), sp_aes256));
    }
}

// RFC 6043 §6.1.1: "if #P = 0 in an initial message, a security profile MUST be provided in the response message";
// the Responder names an SP of its own (own_security_policy) by a Policy_no no SP of TRANSFER_INIT uses
// (security_policy.hpp fresh_policy_no), and there is none when TRANSFER_INIT uses all 256: sp_not_acceptable,
// Error no 10 (Invalid SPpar, RFC 3830 §6.12), before anything is committed.
TEST_CASE("foreign Initiator: a TRANSFER_INIT with 256 SP payloads (every Policy_no, none the Responder's own "
          "proposal) and #P = 0 is refused with sp_not_acceptable (Error: Invalid SPpar), the Responder idle; with 255 "
          "its own SP takes the free number 255") {
    const auto s = strong_scenario(4, false);
    std::array<std::uint8_t, 8192> out{}, o2{};
    const auto with_sps = [](std::size_t n) {
        std::vector<sp_builder> v;
        for (std::size_t no = 0; no < n; ++no) v.push_back(srtp_sp(static_cast<std::uint8_t>(no), sp_aes128));
        return v;
    };
    {
        parties p(s);
        REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());
        const auto ti = p.ini->start_transfer(base_now, *p.rng, out);
        REQUIRE(ti.ok());
        const bytes genuine(ti.send.begin(), ti.send.end());
        const auto blocks = blocks_of(genuine);
        for (const auto& b : blocks) REQUIRE(b.policies.empty());  // no offers: #P = 0
        const auto forged = reseal_transfer_init(p, s, genuine, blocks, with_sps(256));
        REQUIRE(sp_count(forged) == 256);
        const auto o = p.res->receive(forged, base_now, *p.rng, o2);
        CHECK(o.error == errc::sp_not_acceptable);
        REQUIRE(o.send_type == data_type::error);
        CHECK(error_code(o.send) == error_no::invalid_sppar);
        CHECK(csb_of(o.send) == csb_of(genuine));
        CHECK(p.res->current() == res_state::idle);
        CHECK(p.res->session_keys().empty());
        // The genuine TRANSFER_INIT is then taken and the flow completes.
        CHECK(relay(p, ti) == errc::ok);
        CHECK(p.ini->current() == ini_state::established);
        check_same_keys(p);
    }
    {
        parties p(s);
        REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());
        const auto ti = p.ini->start_transfer(base_now, *p.rng, out);
        REQUIRE(ti.ok());
        const bytes genuine(ti.send.begin(), ti.send.end());
        const auto forged = reseal_transfer_init(p, s, genuine, blocks_of(genuine), with_sps(255));
        const auto o = p.res->receive(forged, base_now, *p.rng, o2);
        REQUIRE(o.ok());
        REQUIRE(o.send_type == data_type::transfer_resp);
        const auto own = sps_of(o.send);
        REQUIRE(own.size() == 1);
        CHECK(own[0].policy_no == 0xFF);
        CHECK(!equal_bytes(own[0].raw_params, sp_aes128));
        for (const auto& b : blocks_of(o.send)) {
            REQUIRE(b.policies.size() == 1);
            CHECK(b.policies[0] == 0xFF);
        }
    }
}


// RFC 6043 §6.1.1: "In response messages, #P SHALL always be exactly 1", the Policy_no naming an SP payload; the
// Initiator judges a policy it did not offer with accept_security_policy (notes/ticket.md, "The Initiator's
// check"), here one found past the 16 SP payloads the lookup indexes (security_policy.hpp sp_numbers). §5.4: an
// Error message SHOULD be sent (Invalid SPpar, RFC 3830 §6.12).
TEST_CASE("foreign Responder: a TRANSFER_RESP with 256 SP payloads (every Policy_no) naming the last one is taken "
          "with that policy; naming an unacceptable one (NULL encryption) it is refused with sp_not_acceptable "
          "(Error: Invalid SPpar) and the genuine answer is then taken") {
    const auto s = strong_scenario(4, false);
    std::vector<sp_builder> sps;
    for (unsigned no = 0; no <= 0xFF; ++no) {
        sps.push_back(srtp_sp(static_cast<std::uint8_t>(no), no == 0xFF ? bytes_view(sp_aes256) : bytes_view(sp_null_encr)));
    }
    for (const unsigned named : {0xFFu, 0x80u}) {
        CAPTURE(named);
        answered_transfer a(s);
        auto& p = a.p;
        const bytes& ti_bytes = a.ti_bytes;
        const bytes& genuine = a.genuine;
        std::array<std::uint8_t, 8192> o3{};
        const std::array<std::uint8_t, 1> one{static_cast<std::uint8_t>(named)};
        auto blocks = blocks_of(genuine);
        for (auto& b : blocks) b.policies = one;
        const auto forged = reseal_transfer_resp(p, s, ti_bytes, genuine, blocks, sps);
        REQUIRE(sp_count(forged) == 256);
        const auto o = p.ini->receive(forged, base_now, *p.rng, o3);
        if (named == 0xFF) {
            CHECK(o.error == errc::ok);
            CHECK(o.send.empty());
            CHECK(p.ini->current() == ini_state::established);
            check_same_keys(p);
            for (const std::uint8_t cs : {1, 2}) {
                CAPTURE(cs);
                const auto sp = p.ini->security_policy(cs_id(cs));
                REQUIRE(sp);
                CHECK(sp->policy_no() == 0xFF);
                CHECK(equal_bytes(sp->param_bytes(), sp_aes256));
            }
        } else {
            CHECK(o.error == errc::sp_not_acceptable);
            REQUIRE(o.send_type == data_type::error);
            CHECK(error_code(o.send) == error_no::invalid_sppar);
            CHECK(csb_of(o.send) == csb_of(ti_bytes));
            CHECK(p.ini->current() == ini_state::awaiting_transfer_resp);
            CHECK(p.ini->session_keys().empty());
            REQUIRE(p.ini->receive(genuine, base_now, *p.rng, o3).ok());
            CHECK(p.ini->current() == ini_state::established);
            check_same_keys(p);
        }
    }
}

// ============================================================ 5. SPIs that name nothing

namespace {
const bytes unnamed_spi{0xee, 0xee, 0xee, 0xee};  // no key of any flow here has it
const bytes unnamed_tek(32, 0x72);
const key_data_builder unnamed_key[] = {{key_data_type::tek, unnamed_tek, {}, kv_data{kv_type::spi, unnamed_spi, {}, {}}}};
}  // namespace

// RFC 6043 §6.1.1: a block's SPI names "the session key to (initially) be used for the crypto session. This does
// not exclude other keys to be used. All keys MUST belong to the crypto session bundle"; §5.2: "New keying
// material MAY be sent in a KEMAC payload". A KEMAC key no block names keys no crypto session (csb_update.hpp
// received_key: a session takes the KEMAC key its SPI names, else keeps its own).
TEST_CASE("foreign Initiator: a CSB update whose KEMAC carries a TEK with an SPI no block of its map names is taken "
          "and answered; every crypto session keeps its key and SPI, the unnamed key keys none") {
    established_bundle b;  // L: the Initiator may send keys in an update
    auto& p = b.p;
    const auto at = b.at;
    const auto before = teks(p.res->session_keys());
    const auto before_spis = spis(p.res->session_keys());
    bundle_blocks map(p.res->session_keys());
    const auto up = b.update(roles::party::initiator, map.blocks, unnamed_key);
    REQUIRE(message_view::parse(up)->count(payload_type::kemac) == 1);
    std::array<std::uint8_t, 8192> out{};
    const auto o = p.res->receive(up, at, *p.rng, out);
    CHECK(o.error == errc::ok);
    CHECK(o.has(roles::event::keys_established));
    REQUIRE(o.send_type == data_type::transfer_resp);
    // The answer names the sessions' own SPIs (the update's map, echoed).
    std::vector<bytes> answered;
    for (const auto& b : blocks_of(o.send)) answered.emplace_back(b.spi.begin(), b.spi.end());
    CHECK(answered == before_spis);
    CHECK(teks(p.res->session_keys()) == before);
    CHECK(spis(p.res->session_keys()) == before_spis);
    CHECK(!has_spi(p.res->session_keys(), unnamed_spi));
    CHECK(p.res->last_timestamp() == at);
    CHECK(p.res->current() == res_state::established);
}

// RFC 6043 §4.2.2.3: with the M flag the Responder's KEMAC is "handled exactly as if it was sent in a later CSB
// update"; §6.1.1 as above: a key no block names keys no crypto session (initiator.hpp derive_keys / detail::pick:
// each session takes the key its block's SPI names).
TEST_CASE("foreign Responder: a TRANSFER_RESP whose KEMAC (M flag) carries a TEK with an SPI no block names is "
          "taken; each crypto session is keyed by the ticket key its block names, the same keys as the Responder's") {
    auto s = strong_scenario(4, false);
    s.flags = "FGHLMO";  // M: the Responder may send keys
    answered_transfer a(s);
    auto& p = a.p;
    const bytes& ti_bytes = a.ti_bytes;
    const bytes& genuine = a.genuine;
    std::array<std::uint8_t, 8192> o3{};
    REQUIRE(message_view::parse(genuine)->count(payload_type::kemac) == 0);
    const auto blocks = blocks_of(genuine);
    const auto forged = reseal_transfer_resp(p, s, ti_bytes, genuine, blocks, sps_of(genuine), unnamed_key);
    REQUIRE(message_view::parse(forged)->count(payload_type::kemac) == 1);
    const auto o = p.ini->receive(forged, base_now, *p.rng, o3);
    CHECK(o.error == errc::ok);
    CHECK(p.ini->current() == ini_state::established);
    check_same_keys(p);
    CHECK(!has_spi(p.ini->session_keys(), unnamed_spi));
    std::vector<bytes> named;
    for (const auto& b : blocks) named.emplace_back(b.spi.begin(), b.spi.end());
    CHECK(spis(p.ini->session_keys()) == named);
}

// RFC 6043 §4.2.2.1: with the L flag TRANSFER_INIT may carry a KEMAC, its keys keying the crypto sessions whose
// blocks name their SPIs; §6.1.1 as above. Two flows of one seed give the same ticket, TRANSFER_INIT and RANDRr:
// the KEMAC with a key no block names leaves the Responder's keys exactly as without it.
TEST_CASE("foreign Initiator: a TRANSFER_INIT whose KEMAC (L flag) carries a TEK with an SPI no block names is "
          "taken; the Responder keys each crypto session as it does without that KEMAC") {
    const auto s = strong_scenario(4, false);  // FGHLO
    parties p(s), q(s);
    std::array<std::uint8_t, 8192> o1{}, o2{};
    REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());
    REQUIRE(q.ini->create_ticket(base_now, *q.rng).ok());
    const auto tp = p.ini->start_transfer(base_now, *p.rng, o1);
    REQUIRE(tp.ok());
    const bytes ti_p(tp.send.begin(), tp.send.end());
    const auto tq = q.ini->start_transfer(base_now, *q.rng, o1);
    REQUIRE(tq.ok());
    const bytes ti_q(tq.send.begin(), tq.send.end());
    REQUIRE(ti_p == ti_q);
    const auto forged = reseal_transfer_init(p, s, ti_p, blocks_of(ti_p), {}, unnamed_key);
    REQUIRE(message_view::parse(forged)->count(payload_type::kemac) == 1);
    const auto op = p.res->receive(forged, base_now, *p.rng, o2);
    CHECK(op.error == errc::ok);
    CHECK(op.send_type == data_type::transfer_resp);
    CHECK(p.res->current() == res_state::established);
    REQUIRE(q.res->receive(ti_q, base_now, *q.rng, o2).ok());
    REQUIRE(p.res->session_keys().size() == 2);
    CHECK(teks(p.res->session_keys()) == teks(q.res->session_keys()));
    CHECK(spis(p.res->session_keys()) == spis(q.res->session_keys()));
    CHECK(!has_spi(p.res->session_keys(), unnamed_spi));
}

// RFC 6043 §6.1.1: a block's SPI is "the SPI (or MKI) corresponding to the session key to (initially) be used for
// the crypto session ... All keys MUST belong to the crypto session bundle"; §5.2: an update's crypto sessions are
// negotiated "as in the initial exchange"; §5.4: "If a fatal error occurs during the parsing of a message, the
// message SHOULD be discarded, and an Error message SHOULD be sent". Fixed in session 22 (csb_update.hpp
// received_key): a block whose SPI named no key of the bundle nor of the update's KEMAC kept the session's old
// key without a word, and the TRANSFER_RESP echoed the unknown SPI as the one in use: both ends believed they
// agreed while the peer used another key.
TEST_CASE("foreign Initiator: a CSB update whose block names an SPI no key of the bundle or of its KEMAC has is "
          "refused with missing_key (Error: Unspecified), keys and last T unchanged") {
    established_bundle b;
    auto& p = b.p;
    const auto at = b.at;
    const auto before = teks(p.res->session_keys());
    const auto before_spis = spis(p.res->session_keys());
    bundle_blocks map(p.res->session_keys());
    map.blocks[0].spi = unnamed_spi;
    const auto up = b.update(roles::party::initiator, map.blocks);
    std::array<std::uint8_t, 8192> out{};
    const auto o = p.res->receive(up, at, *p.rng, out);
    CHECK(o.error == errc::missing_key);
    REQUIRE(o.send_type == data_type::error);
    CHECK(error_code(o.send) == error_no::unspecified);
    CHECK(teks(p.res->session_keys()) == before);
    CHECK(spis(p.res->session_keys()) == before_spis);
    CHECK(p.res->last_timestamp() == base_now);
}

// RFC 6043 §4.2.2.3: the Responder "MAY update Session Data and SPI provided by the Initiator"; §6.1.1: the SPI
// names the session key to be used, and "All keys MUST belong to the crypto session bundle"; §5.4 as above.
// Fixed in session 22 (exchange.hpp detail::pick, used by initiator.hpp derive_keys and responder.hpp finish): a
// block whose nonempty SPI named no key fell back to the ticket key in its position, so the Initiator took the
// answer with a key whose SPI was not the one the Responder announced.
TEST_CASE("foreign Responder: a TRANSFER_RESP whose block names an SPI no key of the ticket or of a KEMAC has is "
          "refused with missing_key (Error: Unspecified); the genuine answer is then taken") {
    const auto s = strong_scenario(4, false);
    answered_transfer a(s);
    auto& p = a.p;
    const bytes& ti_bytes = a.ti_bytes;
    const bytes& genuine = a.genuine;
    std::array<std::uint8_t, 8192> o3{};
    auto blocks = blocks_of(genuine);
    blocks[0].spi = unnamed_spi;
    const auto forged = reseal_transfer_resp(p, s, ti_bytes, genuine, blocks, sps_of(genuine));
    const auto o = p.ini->receive(forged, base_now, *p.rng, o3);
    CHECK(o.error == errc::missing_key);
    REQUIRE(o.send_type == data_type::error);
    CHECK(error_code(o.send) == error_no::unspecified);
    CHECK(p.ini->current() == ini_state::awaiting_transfer_resp);
    CHECK(p.ini->session_keys().empty());
    REQUIRE(p.ini->receive(genuine, base_now, *p.rng, o3).ok());
    check_same_keys(p);
}

// RFC 6043 §4.2.2.3: "The Responder SHALL update the CS ID map info so that each crypto session has exactly one
// security policy indicated ... If the Responder adds crypto sessions, the #CS SHALL be updated": it keys the
// Initiator's crypto sessions and may add some; an answer without one of them would leave the Initiator with a
// bundle short of a session it asked for. §5.4 as above.
TEST_CASE("foreign Responder: a TRANSFER_RESP whose map drops one of TRANSFER_INIT's crypto sessions is refused with "
          "bad_crypto_sessions (Error: Unspecified); the genuine answer is then taken") {
    const auto s = strong_scenario(4, false);
    answered_transfer a(s);
    auto blocks = blocks_of(a.genuine);
    REQUIRE(blocks.size() == 2);
    blocks.pop_back();
    const auto forged = reseal_transfer_resp(a.p, s, a.ti_bytes, a.genuine, blocks, sps_of(a.genuine));
    const auto o = a.p.ini->receive(forged, base_now, *a.p.rng, a.out);
    CHECK(o.error == errc::bad_crypto_sessions);
    REQUIRE(o.send_type == data_type::error);
    CHECK(error_code(o.send) == error_no::unspecified);
    CHECK(a.p.ini->current() == ini_state::awaiting_transfer_resp);
    CHECK(a.p.ini->session_keys().empty());
    REQUIRE(a.p.ini->receive(a.genuine, base_now, *a.p.rng, a.out).ok());
    check_same_keys(a.p);
}

// ============================================================ 6. security policies of a CSB update

// RFC 6043 §5.2: in a CSB update "The crypto sessions negotiation (#CS field, CS ID map info field, and SP
// payloads) are handled as in the initial exchange"; §6.1.1: "In response messages, #P SHALL always be exactly 1.
// So if #P = 0 in an initial message, a security profile MUST be provided in the response message. If #P > 0, one
// of the suggested policies SHOULD be chosen". Our own updates list no policy (#P = 0); a foreign one may.

namespace {

/// The security policy of crypto session `cs` at `m` (a machine): its
/// Prot type and parameters.
template <class Machine>
std::pair<prot_type, bytes> policy_of(const Machine& m, std::uint8_t cs) {
    const auto sp = m.security_policy(cs_id(cs));
    REQUIRE(sp);
    return {sp->protocol(), bytes(sp->param_bytes().begin(), sp->param_bytes().end())};
}

/// The SP payload the answer `resp` names for each block, in block order
/// (each block #P = 1; the number names an SP of `resp`, else of `update`).
std::vector<bytes> named_params(bytes_view resp, bytes_view update) {
    const auto rm = message_view::parse(resp);
    const auto um = message_view::parse(update);
    REQUIRE(rm);
    REQUIRE(um);
    std::vector<bytes> v;
    for (const auto& blk : blocks_of(resp)) {
        REQUIRE(blk.policies.size() == 1);
        auto sp = roles::detail::sp_numbered(*rm, blk.policies[0]);
        if (!sp) sp = roles::detail::sp_numbered(*um, blk.policies[0]);
        REQUIRE(sp);
        CHECK(sp->protocol() == blk.prot);
        v.emplace_back(sp->param_bytes().begin(), sp->param_bytes().end());
    }
    return v;
}

/// A TRANSFER_RESP as a foreign Responder would seal it in answer to the
/// Initiator's CSB update `update` (RFC 6043 §5.2: HDR, T, [IDRr], {SP},
/// [KEMAC], V with the bundle's keys `k`, V over TRANSFER_RESP ||
/// TRANSFER_INIT, §5.5): CS ID map `blocks`, SP payloads `sps`, T `at`.
bytes foreign_update_answer(const parties& p, const scenario& s, const crypto::protection_keys& k, bytes_view update,
                            ntp_time at, std::span<const generic_id_block> blocks, std::span<const sp_builder> sps) {
    const auto h = hdr_view::parse(update);
    REQUIRE(h);
    const roles::detail::timestamp t(at);
    std::array<std::uint8_t, 4096> out{};
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::transfer_resp, false, h->prf(), h->csb(), blocks, h->version()})
        .add(t.builder())
        .add(idr_builder{id_role::idrr, id_type::uri, id(bob)})
        .add(sps);
    const auto sealed = sb.seal(*p.backend, s.suite.mac, k.auth_key.view(), {update});
    REQUIRE(sealed);
    return bytes(sealed->begin(), sealed->end());
}

}  // namespace

TEST_CASE("CSB update answers name one security policy per crypto session (RFC 6043 §5.2, §6.1.1 #P = 1): the "
          "policy in force, or the answering end's own for an added session; both ends then agree") {
    established_bundle b;
    auto& p = b.p;
    auto& out = b.out;
    const auto in_force = policy_of(*p.res, 1);
    REQUIRE(policy_of(*p.ini, 1) == in_force);

    SUBCASE("started by the Initiator, adding crypto session 3") {
        auto sessions = p.ini->sessions();
        REQUIRE(sessions.push_back({3, 0x3333}));
        const auto up = p.ini->start_update(b.at, *p.rng, out, sessions.view(), false, true);
        REQUIRE(up.ok());
        const bytes update(up.send.begin(), up.send.end());
        for (const auto& blk : blocks_of(update)) CHECK(blk.policies.empty());  // #P = 0: ours offer none
        const auto resp = p.res->receive(update, b.at, *p.rng, out);
        REQUIRE(resp.ok());
        REQUIRE(resp.send_type == data_type::transfer_resp);
        const bytes answer(resp.send.begin(), resp.send.end());
        const auto named = named_params(answer, update);
        REQUIRE(named.size() == 3);
        CHECK(named[0] == in_force.second);
        CHECK(named[1] == policy_of(*p.res, 2).second);
        // The added session runs under the Responder's own proposal, here the policy in force (32-byte keys).
        CHECK(named[2] == in_force.second);
        CHECK(sp_count(answer) == 1);  // one SP payload for the one distinct policy
        REQUIRE(p.ini->receive(answer, b.at, *p.rng, out).ok());
        for (const std::uint8_t cs : {1, 2, 3}) {
            CAPTURE(cs);
            CHECK(policy_of(*p.ini, cs) == policy_of(*p.res, cs));
        }
        // A later update dropping crypto session 3 drops its policy at both ends.
        const auto down = p.ini->start_update(b.at + std::chrono::seconds(1), *p.rng, out,
                                              std::span(sessions.view().data(), 2), false, true);
        REQUIRE(down.ok());
        REQUIRE(relay(p, down, b.at + std::chrono::seconds(1)) == errc::ok);
        CHECK(!p.ini->security_policy(cs_id(3)));
        CHECK(!p.res->security_policy(cs_id(3)));
        CHECK(policy_of(*p.ini, 1) == in_force);
    }
    SUBCASE("started by the Responder") {
        const auto up = p.res->start_update(b.at, *p.rng, out, p.res->sessions().view(), false, true);
        REQUIRE(up.ok());
        const bytes update(up.send.begin(), up.send.end());
        const auto resp = p.ini->receive(update, b.at, *p.rng, out);
        REQUIRE(resp.ok());
        const bytes answer(resp.send.begin(), resp.send.end());
        const auto named = named_params(answer, update);
        REQUIRE(named.size() == 2);
        CHECK(named[0] == in_force.second);
        REQUIRE(p.res->receive(answer, b.at, *p.rng, out).ok());
        CHECK(policy_of(*p.res, 1) == in_force);
        CHECK(policy_of(*p.ini, 1) == in_force);
    }
    SUBCASE("an update without an answer (V = 0) leaves the policies in force, but of a session it drops") {
        const auto sessions = p.ini->sessions();
        const auto up = p.ini->start_update(b.at, *p.rng, out, sessions.view(), true, false);
        REQUIRE(up.ok());
        REQUIRE(relay(p, up, b.at) == errc::ok);
        CHECK(policy_of(*p.ini, 1) == in_force);
        CHECK(policy_of(*p.res, 1) == in_force);
        CHECK(policy_of(*p.res, 2) == policy_of(*p.ini, 2));
        const auto down = p.ini->start_update(b.at + std::chrono::seconds(1), *p.rng, out,
                                              std::span(sessions.view().data(), 1), true, false);
        REQUIRE(down.ok());
        REQUIRE(relay(p, down, b.at + std::chrono::seconds(1)) == errc::ok);
        CHECK(!p.ini->security_policy(cs_id(2)));
        CHECK(!p.res->security_policy(cs_id(2)));
        CHECK(policy_of(*p.ini, 1) == in_force);
        CHECK(policy_of(*p.res, 1) == in_force);
    }
}

TEST_CASE("foreign Initiator: security policies listed in a CSB update are chosen as in the initial exchange; a "
          "list with nothing acceptable, a Policy_no naming no SP or an SP of another Prot type is refused, Error "
          "sent, nothing changed, and the update is not spent") {
    established_bundle b;
    auto& p = b.p;
    auto& out = b.out;
    const auto in_force = policy_of(*p.res, 1);
    const auto keys_before = teks(p.res->session_keys());
    bundle_blocks map(p.res->session_keys());
    const std::uint8_t p_same = 7, p_other = 9, p_null = 3;
    const std::array<sp_builder, 3> sps{srtp_sp(p_same, in_force.second), srtp_sp(p_other, sp_aes128),
                                        srtp_sp(p_null, sp_null_encr)};
    const auto answer_to = [&](bytes_view update) {
        const auto o = p.res->receive(update, b.at, *p.rng, out);
        REQUIRE(o.ok());
        REQUIRE(o.send_type == data_type::transfer_resp);
        return bytes(o.send.begin(), o.send.end());
    };

    SUBCASE("the policy in force, listed: named by the update's number, not sent again") {
        map.blocks[0].policies = bytes_view(&p_same, 1);
        const auto update = b.update(roles::party::initiator, map.blocks, {}, sps);
        const auto answer = answer_to(update);
        CHECK(blocks_of(answer)[0].policies[0] == p_same);
        CHECK(named_params(answer, update)[0] == in_force.second);
        CHECK(policy_of(*p.res, 1) == in_force);
    }
    SUBCASE("another acceptable policy, listed after a NULL-cipher one: the first acceptable is taken") {
        const std::uint8_t list[] = {p_null, p_other};
        map.blocks[0].policies = list;
        const auto update = b.update(roles::party::initiator, map.blocks, {}, sps);
        const auto answer = answer_to(update);
        CHECK(blocks_of(answer)[0].policies[0] == p_other);
        CHECK(policy_of(*p.res, 1) == std::pair{prot_type::srtp, bytes(sp_aes128.begin(), sp_aes128.end())});
        CHECK(policy_of(*p.res, 2) == policy_of(*p.ini, 2));  // #P = 0: kept
        CHECK(teks(p.res->session_keys()) == keys_before);
    }
    SUBCASE("without an answer (V = 0) the first listed policy is taken, and must be acceptable") {
        map.blocks[0].policies = bytes_view(&p_other, 1);
        const auto update = foreign_update(p, b.s, b.k, b.csb, b.at, roles::party::initiator, false, map.blocks, {}, sps);
        const auto o = p.res->receive(update, b.at, *p.rng, out);
        REQUIRE(o.ok());
        CHECK(o.send.empty());
        CHECK(policy_of(*p.res, 1).second == bytes(sp_aes128.begin(), sp_aes128.end()));
        const std::uint8_t list[] = {p_null, p_other};
        map.blocks[0].policies = list;
        const auto later = foreign_update(p, b.s, b.k, b.csb, b.at + std::chrono::seconds(1), roles::party::initiator,
                                          false, map.blocks, {}, sps);
        const auto refused = p.res->receive(later, b.at + std::chrono::seconds(1), *p.rng, out);
        CHECK(refused.error == errc::sp_not_acceptable);
        CHECK(policy_of(*p.res, 1).second == bytes(sp_aes128.begin(), sp_aes128.end()));
    }
    struct refusal {
        const char* what;
        std::vector<std::uint8_t> listed;
        std::vector<sp_builder> sps;
        errc error;
        error_no code;
    };
    const sp_builder other_prot{p_other, prot_type::tesla, {}, {}};
    const refusal refusals[] = {
        {"only a NULL-cipher policy", {p_null}, {sps.begin(), sps.end()}, errc::sp_not_acceptable, error_no::invalid_sppar},
        {"a Policy_no naming no SP of the update", {42}, {sps.begin(), sps.end()}, errc::sp_not_found, error_no::invalid_sp},
        {"an SP of another Prot type than the block's", {p_other}, {other_prot}, errc::sp_prot_mismatch, error_no::invalid_sp},
    };
    SUBCASE("refusals") {
        for (const auto& r : refusals) {
            CAPTURE(r.what);
            map.blocks[0].policies = r.listed;
            const auto update = b.update(roles::party::initiator, map.blocks, {}, r.sps);
            for (int attempt = 0; attempt < 2; ++attempt) {  // refused again, not replayed_message: nothing recorded
                const auto o = p.res->receive(update, b.at, *p.rng, out);
                CHECK(o.error == r.error);
                REQUIRE(o.send_type == data_type::error);
                CHECK(error_code(o.send) == r.code);
            }
            CHECK(p.res->current() == res_state::established);
            CHECK(teks(p.res->session_keys()) == keys_before);
            CHECK(policy_of(*p.res, 1) == in_force);
            CHECK(p.res->last_timestamp() == base_now);
        }
    }
}

TEST_CASE("foreign Responder: an answer to our CSB update must name one security policy per crypto session, in the "
          "answer, of the block's Prot type, and the policy in force unless the policy takes a change; else refused "
          "with nothing changed, and the genuine answer is then taken") {
    established_bundle b;
    auto& p = b.p;
    auto& out = b.out;
    const auto in_force = policy_of(*p.ini, 1);
    const auto up = p.ini->start_update(b.at, *p.rng, out, p.ini->sessions().view(), false, true);
    REQUIRE(up.ok());
    const bytes update(up.send.begin(), up.send.end());
    const auto keys_before = teks(p.ini->session_keys());
    const std::uint8_t p_same = 5, p_other = 6, none = 77;
    const sp_builder same = srtp_sp(p_same, in_force.second), other = srtp_sp(p_other, sp_aes128);
    const sp_builder other_prot{p_other, prot_type::tesla, {}, {}};
    const auto answer = [&](std::span<const std::uint8_t> per_block, std::span<const sp_builder> sps) {
        bundle_blocks map(p.ini->session_keys());
        for (std::size_t i = 0; i < map.blocks.size(); ++i) {
            map.blocks[i].policies = per_block.empty() ? bytes_view{} : per_block.subspan(i % per_block.size(), 1);
        }
        return foreign_update_answer(p, b.s, b.k, update, b.at, map.blocks, sps);
    };
    struct refusal {
        const char* what;
        std::vector<std::uint8_t> per_block;
        std::vector<sp_builder> sps;
        errc error;
    };
    const refusal refusals[] = {
        {"#P = 0 (no policy named)", {}, {same}, errc::sp_count_not_one},
        {"a Policy_no naming no SP (our update carries none)", {none}, {same}, errc::sp_not_found},
        {"an SP of another Prot type", {p_other}, {other_prot}, errc::sp_prot_mismatch},
        {"another policy than the one in force", {p_same, p_other}, {same, other}, errc::sp_changed},
    };
    for (const auto& r : refusals) {
        CAPTURE(r.what);
        const auto o = p.ini->receive(answer(r.per_block, r.sps), b.at, *p.rng, out);
        CHECK(o.error == r.error);
        CHECK(p.ini->current() == ini_state::awaiting_update_resp);
        CHECK(teks(p.ini->session_keys()) == keys_before);
        CHECK(policy_of(*p.ini, 1) == in_force);
    }
    // The policy in force, named by a number of the answer's own: taken.
    const std::uint8_t both[] = {p_same};
    REQUIRE(p.ini->receive(answer(both, std::array{same}), b.at, *p.rng, out).ok());
    CHECK(p.ini->current() == ini_state::established);
    CHECK(policy_of(*p.ini, 1) == in_force);
    CHECK(policy_of(*p.ini, 2) == policy_of(*p.res, 2));
}

// RFC 6043 §5.2 as above; §6.1.1: "If #P > 0, one of the suggested policies SHOULD be chosen in the response
// message". Until session 24 our own updates could not offer policies (start_update had no place for them); now
// they carry SP payloads and list their numbers per block, and both machines read them back from what they sent
// when the answer comes (csb_update.hpp offers_of).
namespace {
bytes params(bytes_view p) { return bytes(p.begin(), p.end()); }
/// The Policy nos block `i` of `msg` lists.
bytes listed(bytes_view msg, std::size_t i) {
    const auto b = blocks_of(msg);
    REQUIRE(i < b.size());
    return bytes(b[i].policies.begin(), b[i].policies.end());
}
}  // namespace

TEST_CASE("our CSB updates offer security policies (RFC 6043 §5.2, §6.1.1): the answer takes an acceptable offer by "
          "its number, an update without answer runs under the first offered, at both ends; bad offers are refused "
          "before anything is sent") {
    established_bundle b;
    auto& p = b.p;
    auto& out = b.out;
    const auto in_force = policy_of(*p.ini, 1);
    const auto in_force2 = policy_of(*p.ini, 2);
    REQUIRE(in_force.second != params(sp_aes128));
    const std::uint8_t only1[] = {1}, only3[] = {3};

    SUBCASE("the Initiator's update with an answer: the offer for crypto session 1 is taken, session 2 keeps its own") {
        const roles::policy_offer offers[] = {{srtp_sp(4, sp_aes128), only1}};
        const auto up = p.ini->start_update(b.at, *p.rng, out, p.ini->sessions().view(), false, true, {}, offers);
        REQUIRE(up.ok());
        const bytes update(up.send.begin(), up.send.end());
        CHECK(sp_count(update) == 1);
        CHECK(listed(update, 0) == bytes{4});
        CHECK(listed(update, 1).empty());  // #P = 0
        CHECK(policy_of(*p.ini, 1) == in_force);  // not before the answer
        // Every single-byte tamper and every prefix of the update is refused by the Responder, which keeps its policies.
        std::array<std::uint8_t, 8192> o2{};
        for (std::size_t j = 0; j < update.size(); ++j) {
            bytes bad = update;
            bad[j] ^= 0x01;
            CAPTURE(j);
            CHECK(!p.res->receive(bad, b.at, *p.rng, o2).ok());
        }
        for (std::size_t n = 0; n < update.size(); ++n) {
            CHECK(!p.res->receive(bytes(update.begin(), update.begin() + static_cast<std::ptrdiff_t>(n)), b.at, *p.rng, o2)
                       .ok());
        }
        CHECK(policy_of(*p.res, 1) == in_force);
        const auto resp = p.res->receive(update, b.at, *p.rng, out);
        REQUIRE(resp.ok());
        const bytes answer(resp.send.begin(), resp.send.end());
        CHECK(listed(answer, 0) == bytes{4});  // by the update's number, not sent again (§4.2.2.3 "SHOULD NOT resend"):
        CHECK(sp_count(answer) == 1);          // the answer's one SP is session 2's policy in force
        CHECK(!roles::detail::sp_numbered(*message_view::parse(answer), 4));
        CHECK(named_params(answer, update) == std::vector<bytes>{params(sp_aes128), in_force2.second});
        CHECK(policy_of(*p.res, 1).second == params(sp_aes128));
        CHECK(policy_of(*p.res, 2) == in_force2);
        for (std::size_t j = 0; j < answer.size(); ++j) {
            bytes bad = answer;
            bad[j] ^= 0x80;
            CAPTURE(j);
            CHECK(!p.ini->receive(bad, b.at, *p.rng, o2).ok());
        }
        CHECK(p.ini->current() == ini_state::awaiting_update_resp);
        CHECK(policy_of(*p.ini, 1) == in_force);
        REQUIRE(p.ini->receive(answer, b.at, *p.rng, out).ok());
        CHECK(policy_of(*p.ini, 1).second == params(sp_aes128));
        CHECK(policy_of(*p.ini, 2) == in_force2);
    }
    SUBCASE("offers in order of preference: a NULL-cipher one the Responder refuses, then an acceptable one") {
        const roles::policy_offer offers[] = {{srtp_sp(5, sp_null_encr), only1}, {srtp_sp(6, sp_aes128), only1}};
        const auto up = p.ini->start_update(b.at, *p.rng, out, p.ini->sessions().view(), false, true, {}, offers);
        REQUIRE(up.ok());
        const bytes update(up.send.begin(), up.send.end());
        CHECK(listed(update, 0) == bytes{5, 6});
        const auto resp = p.res->receive(update, b.at, *p.rng, out);
        REQUIRE(resp.ok());
        CHECK(listed(bytes_view(resp.send), 0) == bytes{6});
        REQUIRE(p.ini->receive(bytes(resp.send.begin(), resp.send.end()), b.at, *p.rng, out).ok());
        CHECK(policy_of(*p.ini, 1).second == params(sp_aes128));
        CHECK(policy_of(*p.res, 1).second == params(sp_aes128));
    }
    SUBCASE("only an offer the Responder refuses: Error (Invalid SPpar), nothing changes at either end") {
        const roles::policy_offer offers[] = {{srtp_sp(5, sp_null_encr), only1}};
        const auto up = p.ini->start_update(b.at, *p.rng, out, p.ini->sessions().view(), false, true, {}, offers);
        REQUIRE(up.ok());
        const bytes update(up.send.begin(), up.send.end());
        const auto keys = teks(p.res->session_keys());
        const auto o = p.res->receive(update, b.at, *p.rng, out);
        CHECK(o.error == errc::sp_not_acceptable);
        REQUIRE(o.send_type == data_type::error);
        CHECK(error_code(o.send) == error_no::invalid_sppar);
        CHECK(policy_of(*p.res, 1) == in_force);
        CHECK(teks(p.res->session_keys()) == keys);
        CHECK(p.res->last_timestamp() == base_now);
        CHECK(policy_of(*p.ini, 1) == in_force);
        CHECK(p.ini->current() == ini_state::awaiting_update_resp);
    }
    SUBCASE("an update adding crypto session 3 with a policy offered for it") {
        auto sessions = p.ini->sessions();
        REQUIRE(sessions.push_back({3, 0x3333}));
        const roles::policy_offer offers[] = {{srtp_sp(9, sp_aes128), only3}};
        const auto up = p.ini->start_update(b.at, *p.rng, out, sessions.view(), false, true, {}, offers);
        REQUIRE(up.ok());
        CHECK(listed(bytes_view(up.send), 2) == bytes{9});
        REQUIRE(relay(p, up, b.at) == errc::ok);
        CHECK(policy_of(*p.ini, 3).second == params(sp_aes128));
        CHECK(policy_of(*p.res, 3).second == params(sp_aes128));
        CHECK(policy_of(*p.ini, 1) == in_force);
        CHECK(policy_of(*p.res, 1) == in_force);
    }
    SUBCASE("the Responder's update offering one policy for every crypto session (no CS IDs)") {
        const roles::policy_offer offers[] = {{srtp_sp(0, sp_aes128), {}}};
        const auto up = p.res->start_update(b.at, *p.rng, out, p.res->sessions().view(), false, true, {}, offers);
        REQUIRE(up.ok());
        CHECK(listed(bytes_view(up.send), 0) == bytes{0});
        CHECK(listed(bytes_view(up.send), 1) == bytes{0});
        const auto resp = p.ini->receive(bytes(up.send.begin(), up.send.end()), b.at, *p.rng, out);
        REQUIRE(resp.ok());
        CHECK(sp_count(resp.send) == 0);  // both blocks name the update's SP
        REQUIRE(p.res->receive(bytes(resp.send.begin(), resp.send.end()), b.at, *p.rng, out).ok());
        CHECK(p.res->current() == res_state::established);
        for (const std::uint8_t cs : {1, 2}) {
            CAPTURE(cs);
            CHECK(policy_of(*p.ini, cs).second == params(sp_aes128));
            CHECK(policy_of(*p.res, cs).second == params(sp_aes128));
        }
    }
    SUBCASE("without an answer (V = 0) each session runs under the first policy offered for it; a later update "
            "without offers (patched from the template of an earlier one) keeps them and carries no SP") {
        const auto sessions = p.ini->sessions();
        const auto plain = p.ini->start_update(b.at, *p.rng, out, sessions.view(), true, false);  // kept as template
        REQUIRE(plain.ok());
        REQUIRE(relay(p, plain, b.at) == errc::ok);
        const std::uint8_t both[] = {1, 2};
        const roles::policy_offer offers[] = {{srtp_sp(2, sp_aes128), only1}, {srtp_sp(3, sp_aes256), both}};
        const auto t1 = b.at + std::chrono::seconds(1), t2 = b.at + std::chrono::seconds(2);
        const auto up = p.ini->start_update(t1, *p.rng, out, sessions.view(), true, false, {}, offers);
        REQUIRE(up.ok());
        CHECK(listed(bytes_view(up.send), 0) == bytes{2, 3});
        CHECK(listed(bytes_view(up.send), 1) == bytes{3});
        CHECK(policy_of(*p.ini, 1).second == params(sp_aes128));  // at once
        CHECK(policy_of(*p.ini, 2).second == params(sp_aes256));
        REQUIRE(relay(p, up, t1) == errc::ok);
        CHECK(policy_of(*p.res, 1).second == params(sp_aes128));
        CHECK(policy_of(*p.res, 2).second == params(sp_aes256));
        const auto again = p.ini->start_update(t2, *p.rng, out, sessions.view(), true, false);
        REQUIRE(again.ok());
        CHECK(sp_count(again.send) == 0);
        CHECK(listed(bytes_view(again.send), 0).empty());
        REQUIRE(relay(p, again, t2) == errc::ok);
        CHECK(teks(p.ini->session_keys()) == teks(p.res->session_keys()));
        for (const std::uint8_t cs : {1, 2}) {
            CAPTURE(cs);
            CHECK(policy_of(*p.ini, cs) == policy_of(*p.res, cs));
        }
        CHECK(policy_of(*p.res, 1).second == params(sp_aes128));
    }
    SUBCASE("bad offers: invalid_argument, nothing sent, nothing changed") {
        const std::uint8_t nine[] = {9};
        const roles::policy_offer twice[] = {{srtp_sp(1, sp_aes128), only1}, {srtp_sp(1, sp_aes256), only1}};
        const roles::policy_offer unlisted[] = {{srtp_sp(1, sp_aes128), nine}};
        const roles::policy_offer tesla[] = {{sp_builder{1, prot_type::tesla, {}, {}}, only1}};
        std::vector<roles::policy_offer> many;
        for (std::uint8_t no = 0; no <= roles::max_policy_offers; ++no) many.push_back({srtp_sp(no, sp_aes128), only1});
        const std::span<const roles::policy_offer> bad[] = {twice, unlisted, tesla, many};
        const auto keys = teks(p.ini->session_keys());
        for (std::size_t i = 0; i < std::size(bad); ++i) {
            CAPTURE(i);
            for (const bool answer : {true, false}) {
                const auto up = p.ini->start_update(b.at, *p.rng, out, p.ini->sessions().view(), true, answer, {}, bad[i]);
                CHECK(up.error == errc::invalid_argument);
                CHECK(up.send.empty());
                CHECK(p.ini->current() == ini_state::established);
                CHECK(p.ini->last_timestamp() == base_now);
                CHECK(teks(p.ini->session_keys()) == keys);
                CHECK(policy_of(*p.ini, 1) == in_force);
            }
        }
        // The same through the Responder.
        CHECK(p.res->start_update(b.at, *p.rng, out, p.res->sessions().view(), false, true, {}, twice).error ==
              errc::invalid_argument);
        CHECK(p.res->current() == res_state::established);
    }
}

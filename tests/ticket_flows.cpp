// RFC 6043 flows through the three role machines: every mode with and
// without forking and every key kind; the negatives of issue 8 each with its
// own error; every truncated prefix and every single-byte tamper of every
// message of a flow.
#include "flow_harness.hpp"

#include <map>

#include <mikey/srtp.hpp>
#include <mikey/ticket/seal.hpp>

#include "samples.hpp"

using namespace flow_test;

namespace {

/// `n` TEKs `key` for the crypto sessions 3, 4, ... (none of a flow's own two): SSRC
/// ssrc_base + i, SPI {spi_tag, 0, 0, i}. The keys view the SPIs: not copied or moved.
struct new_session_keys {
    std::vector<bytes> spis;
    std::vector<roles::supplied_key> keys;
    new_session_keys(std::uint8_t n, bytes_view key, std::uint8_t spi_tag, std::uint32_t ssrc_base) {
        spis.reserve(n);
        for (std::uint8_t i = 0; i < n; ++i) {
            spis.push_back({spi_tag, 0, 0, i});
            keys.push_back({.cs_id = static_cast<std::uint8_t>(3 + i), .ssrc = ssrc_base + i, .kind = key_data_type::tek,
                            .key = key, .spi = spis.back()});
        }
    }
    new_session_keys(const new_session_keys&) = delete;
    new_session_keys& operator=(const new_session_keys&) = delete;
};

scenario with(int mode, bool forking, key_data_type kind = key_data_type::tgk, bool strong = true) {
    scenario s;
    s.mode = mode;
    s.forking = forking;
    s.kind = kind;
    if (!strong) {
        s.suite = {prf_func::mikey_1, encr_alg::aes_cm_128, mac_alg::hmac_sha_1_160};
        s.key_length = 16;
    } else {
        s.key_length = 32;
    }
    return s;
}

/// Errors that would mean a refusal was not understood: never expected for hostile input.
bool generic(errc e) {
    return e == errc::ok || e == errc::crypto_backend_failure || e == errc::invalid_argument ||
           e == errc::buffer_too_small;
}

}  // namespace

TEST_CASE("every mode, with and without forking, TEK / TGK / GTGK: both ends hold the same crypto-session keys") {
    const key_data_type kinds[] = {key_data_type::tek, key_data_type::tgk, key_data_type::gtgk, key_data_type::tgk_salt,
                                   key_data_type::tek_salt};
    for (int mode = 1; mode <= 4; ++mode) {
        // RFC 6043 §6.10: I implies E (Resolve mandatory): forking needs a KMS that resolves (modes 1, 3).
        for (const bool forking : {false, true}) {
            if (forking && (mode == 2 || mode == 4)) continue;
            for (const auto kind : kinds) {
                for (const bool strong : {true, false}) {
                    CAPTURE(mode);
                    CAPTURE(forking);
                    CAPTURE(static_cast<int>(kind));
                    CAPTURE(strong);
                    const auto s = with(mode, forking, kind, strong);
                    parties p(s);
                    const auto r = run(p, s);
                    REQUIRE(r.error == errc::ok);
                    REQUIRE(r.established);
                    check_same_keys(p);
                    // The messages of RFC 6043 §4.1.1 for the mode, in order.
                    std::vector<data_type> want;
                    if (mode <= 2) want = {data_type::request_init_psk, data_type::request_resp};
                    want.push_back(data_type::transfer_init);
                    if (mode == 1 || mode == 3) want.insert(want.end(), {data_type::resolve_init_psk, data_type::resolve_resp});
                    want.push_back(data_type::transfer_resp);
                    REQUIRE(r.messages.size() == want.size());
                    for (std::size_t i = 0; i < want.size(); ++i) CHECK(r.messages[i].type == want[i]);
                    CHECK(p.ini->current() == roles::initiator<B, policy>::state::established);
                    CHECK(p.res->current() == roles::responder<B, policy>::state::established);
                    // The Responder knows the Initiator from the ticket; with forking the Initiator
                    // knows the Responder (only it can hold MPKr', seed 004).
                    CHECK(equal_bytes(p.res->peer_identity(), ticket::as_bytes("sip:alice@example.org")));
                    CHECK(equal_bytes(p.ini->peer_identity(), ticket::as_bytes("sip:bob@example.org")));
                    CHECK(equal_bytes(p.ini->mpki(), p.res->mpki()));
                    if (forking) {
                        CHECK(equal_bytes(p.ini->mpkr_forked(), p.res->mpkr_forked()));
                        CHECK(!equal_bytes(p.ini->mpkr_forked(), p.ini->mpkr()));
                    }
                    // Keys as long as asked for; TEK kinds are the keys themselves.
                    for (const auto& k : p.ini->session_keys()) {
                        CHECK(k.key.size() == s.key_length);
                        CHECK(k.kind == kind);
                        if (kind == key_data_type::tek) CHECK(equal_bytes(k.key.view(), k.tek.view()));
                        if (kind == key_data_type::tgk || kind == key_data_type::gtgk)
                            CHECK(!equal_bytes(k.key.view(), k.tek.view()));
                    }
                    // Two crypto sessions, two different TEKs.
                    CHECK(!equal_bytes(p.ini->session_keys()[0].tek.view(), p.ini->session_keys()[1].tek.view()));
                }
            }
        }
    }
}

TEST_CASE("the same seed gives the same messages; another seed other keys") {
    const auto s = with(1, true);
    parties a(s), b(s);
    const auto ra = run(a, s), rb = run(b, s);
    REQUIRE(ra.established);
    REQUIRE(ra.messages.size() == rb.messages.size());
    for (std::size_t i = 0; i < ra.messages.size(); ++i) CHECK(ra.messages[i].wire == rb.messages[i].wire);
    auto s2 = s;
    s2.seed = 2;
    parties c(s2);
    REQUIRE(run(c, s2).established);
    CHECK(!equal_bytes(a.ini->session_keys()[0].tek.view(), c.ini->session_keys()[0].tek.view()));
}

TEST_CASE("the Initiator owns its config: views the caller drops or overwrites after construction change nothing") {
    for (const bool default_authorized : {false, true}) {
        CAPTURE(default_authorized);
        const auto s = with(1, true);
        parties a(s), b(s);
        // a's Initiator: an application list (IDRapp in the TP) from views that stay alive.
        const std::string_view apps[] = {"app:conference"};
        a.ini.emplace(*a.backend, *a.p_i,
                      roles::initiator_config{.identity = "sip:alice@example.org",
                                              .kms_identity = "kms.example.org",
                                              .responder = "sip:bob@example.org",
                                              .authorized_responders = a.authorized_view,
                                              .applications = apps,
                                              .desired = desired_policy(s),
                                              .key_kind = s.kind,
                                              .key_length = s.key_length,
                                              .sessions = a.cs,
                                              .suite = s.suite});
        for (auto* p : {&a, &b}) p->p_kms->add_application("sip:bob@example.org", "app:conference");
        const auto ra = run(a, s);
        REQUIRE(ra.established);
        {
            // b's Initiator: the same config from strings and lists that are scribbled over and freed below.
            std::string id = "sip:alice@example.org", kms = "kms.example.org", callee = "sip:bob@example.org";
            std::vector<std::string> names{callee, "app:conference"};
            std::vector<std::string_view> authorized{names[0]}, applications{names[1]};
            std::vector<roles::crypto_session_spec> sessions = b.cs;
            b.ini.emplace(*b.backend, *b.p_i,
                          roles::initiator_config{.identity = id,
                                                  .kms_identity = kms,
                                                  .responder = callee,
                                                  .authorized_responders = default_authorized
                                                                               ? std::span<const std::string_view>{}
                                                                               : std::span<const std::string_view>(authorized),
                                                  .applications = applications,
                                                  .desired = desired_policy(s),
                                                  .key_kind = s.kind,
                                                  .key_length = s.key_length,
                                                  .sessions = sessions,
                                                  .suite = s.suite});
            for (auto* x : {&id, &kms, &callee, &names[0], &names[1]}) std::fill(x->begin(), x->end(), '#');
            for (auto& c : sessions) c = {0x7f, 0xdeadbeef};
            authorized[0] = applications[0] = "sip:mallory@example.org";
        }
        const auto rb = run(b, s);
        REQUIRE(rb.established);
        REQUIRE(ra.messages.size() == rb.messages.size());
        for (std::size_t i = 0; i < ra.messages.size(); ++i) CHECK(ra.messages[i].wire == rb.messages[i].wire);
        CHECK(equal_bytes(b.ini->peer_identity(), ticket::as_bytes(std::string_view("sip:bob@example.org"))));
    }
}

TEST_CASE("F = 0: no TRANSFER_RESP, keys at once (RFC 6043 §4.2.2.3)") {
    auto s = with(1, false);
    s.flags = "DH";  // no F, no G (G implies F): RANDRi only (NOT G implies H)
    parties p(s);
    const auto r = run(p, s);
    REQUIRE(r.error == errc::ok);
    REQUIRE(r.established);
    CHECK(r.messages.back().type == data_type::resolve_resp);
    check_same_keys(p);
}

TEST_CASE("strict 3GPP preset: forking granted even when not asked, 128-bit algorithms refused") {
    auto s = with(1, false);
    s.settings = roles::policy_settings::strict_3gpp();
    s.flags = "DFGHO";  // asks without forking
    {
        parties p(s);
        // The KMS grants I (and E); the Initiator's strict policy requires it too.
        const auto r = run(p, s);
        REQUIRE(r.error == errc::ok);
        CHECK(p.ini->granted().flags.i);
        CHECK(p.ini->granted().flags.k);  // RFC 6043 §6.10: K, the KMS changed the policy
        CHECK(r.messages.size() == 6);
    }
    auto weak = with(1, true, key_data_type::tgk, false);
    weak.settings = roles::policy_settings::strict_3gpp();
    parties p(weak);
    const auto r = run(p, weak);
    CHECK(r.error == errc::prf_not_allowed);
    CHECK(r.messages.empty());
}

TEST_CASE("strict 3GPP preset at the Responder: a ticket without forking (I) or open to reuse (J) is refused on "
          "receipt (policy_not_acceptable), its state unchanged") {
    // The KMS and the Initiator keep RFC 6043's defaults and grant what was asked; the Responder's
    // policy (require_forking, forbid_reuse: roles/policy.hpp accept_ticket) refuses the ticket.
    for (const char* flags : {"DFGHO", "DFGHOEIJ"}) {
        CAPTURE(flags);
        auto s = with(1, false);
        s.flags = flags;
        s.responder_settings = roles::policy_settings::strict_3gpp();
        parties p(s);
        const auto r = run(p, s);
        CHECK(r.error == errc::policy_not_acceptable);
        REQUIRE(r.failed_at >= 0);
        CHECK(r.messages[static_cast<std::size_t>(r.failed_at)].type == data_type::transfer_init);
        CHECK(p.res->current() == roles::responder<B, policy>::state::idle);
        CHECK(p.res->session_keys().empty());
        // A Responder with this policy takes a ticket with I and without J.
        auto ok = with(1, true);
        ok.responder_settings = roles::policy_settings::strict_3gpp();
        parties q(ok);
        CHECK(run(q, ok).established);
    }
}

TEST_CASE("forking: a second Responder reached by the same ticket cannot derive the first one's keys") {
    auto s = with(1, true);
    s.responder_in_ticket = "sip:support@example.org";  // a group identity in the ticket
    s.responder_identity = "sip:bob@example.org";
    parties p(s);
    p.p_kms->add_member("sip:bob@example.org", "sip:support@example.org");
    p.p_kms->add_member("sip:carol@example.org", "sip:support@example.org");
    const bytes psk_c(32, 0x44);
    REQUIRE(p.ks_kms.add_psk(ticket::as_bytes("sip:carol@example.org"), psk_c));
    const auto r = run(p, s);
    REQUIRE(r.error == errc::ok);
    check_same_keys(p);
    // RFC 6043 §4.2.3.5: the KMS forks for the identity that answered; TRANSFER_RESP names it.
    CHECK(equal_bytes(p.ini->peer_identity(), ticket::as_bytes("sip:bob@example.org")));
    CHECK(equal_bytes(p.res->answering_identity(), ticket::as_bytes("sip:bob@example.org")));
    // The ticket's authorized responders, read from the TP Data the Responder kept: the group.
    CHECK(p.res->ticket_responders() == std::vector<std::string>{"sip:support@example.org"});

    // Carol, also in the group, gets the same TRANSFER_INIT (e.g. a forked INVITE).
    ticket::memory_key_store ks_c;
    REQUIRE(ks_c.add_psk(ticket::as_bytes("sip:carol@example.org"), psk_c));
    cache c_c;
    policy p_c(ks_c, c_c);
    roles::responder<B, policy> carol(*p.backend, p_c,
                                      {.identity = "sip:carol@example.org", .kms_identity = "kms.example.org", .suite = s.suite});
    std::array<std::uint8_t, 8192> o1{}, o2{}, o3{};
    const auto ri = carol.receive(r.messages[2].wire, base_now, *p.rng, o1);
    REQUIRE(ri.ok());
    const auto rr = p.kms->receive(ri.send, base_now, *p.rng, o2);
    REQUIRE(rr.ok());
    const auto tr = carol.receive(rr.send, base_now, *p.rng, o3);
    REQUIRE(tr.ok());
    // Carol's keys are forked with her identity and a fresh RANDRkms: none equals Bob's.
    REQUIRE(carol.session_keys().size() == p.res->session_keys().size());
    for (std::size_t i = 0; i < carol.session_keys().size(); ++i) {
        CHECK(!equal_bytes(carol.session_keys()[i].tek.view(), p.res->session_keys()[i].tek.view()));
        CHECK(!equal_bytes(carol.session_keys()[i].key.view(), p.res->session_keys()[i].key.view()));
    }
    CHECK(!equal_bytes(carol.mpkr_forked(), p.res->mpkr_forked()));
    // MPKi is readable by every authorized resolver (RFC 6043 §12.4): the same.
    CHECK(equal_bytes(carol.mpki(), p.res->mpki()));
    // The Initiator, established with Bob, takes no TRANSFER_RESP from Carol.
    std::array<std::uint8_t, 8192> o4{};
    CHECK(p.ini->receive(tr.send, base_now, *p.rng, o4).error == errc::unexpected_in_state);
}

// ---------------------------------------------------------------- negatives

TEST_CASE("wrong PSK: the KMS refuses with auth_failure and sends nothing by default") {
    const auto s = with(1, true);
    parties p(s);
    ticket::memory_key_store other;
    REQUIRE(other.add_psk(ticket::as_bytes("sip:alice@example.org"), bytes(32, 0x99)));
    cache c;
    policy pol(other, c);
    roles::initiator<B, policy> mallory(*p.backend, pol,
                                        {.identity = "sip:alice@example.org", .kms_identity = "kms.example.org",
                                         .responder = "sip:bob@example.org", .desired = desired_policy(s), .sessions = p.cs,
                                         .suite = s.suite});
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto req = mallory.start_request(base_now, *p.rng, o1);
    REQUIRE(req.ok());
    const auto resp = p.kms->receive(req.send, base_now, *p.rng, o2);
    CHECK(resp.error == errc::auth_failure);
    CHECK(resp.send.empty());  // RFC 6043 §5.4: OPTIONAL, off by default
    // With send_auth_failure_error the Error carries Error no 0 (Auth failure).
    auto loud = s;
    loud.settings.send_auth_failure_error = true;
    parties q(loud);
    const auto resp2 = q.kms->receive(req.send, base_now, *q.rng, o2);
    CHECK(resp2.error == errc::auth_failure);
    REQUIRE(resp2.send_type == data_type::error);
    const auto e = ticket::request_resolve_error_view::parse(resp2.send);
    REQUIRE(e);
    CHECK(e->fields().err->code() == error_no::auth_failure);
    // RFC 6043 §5.4: version, PRF func, CSB ID copied from the offending message.
    CHECK(e->header().csb() == message_view::parse(req.send)->header().csb());
}

TEST_CASE("unknown peer, replay, clock window") {
    const auto s = with(1, true);
    parties p(s);
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto req = p.ini->start_request(base_now, *p.rng, o1);
    REQUIRE(req.ok());
    const bytes request(req.send.begin(), req.send.end());
    // Outside the clock window (default 300 s): Error no 1 (Invalid TS).
    auto late = p.kms->receive(request, base_now + std::chrono::seconds(301), *p.rng, o2);
    CHECK(late.error == errc::timestamp_out_of_window);
    REQUIRE(late.send_type == data_type::error);
    CHECK(ticket::request_resolve_error_view::parse(late.send)->fields().err->code() == error_no::invalid_ts);
    CHECK(p.kms->receive(request, base_now - std::chrono::seconds(301), *p.rng, o2).error ==
          errc::timestamp_out_of_window);
    // Within the window: accepted once, then a replay (no answer: RFC 6043 §12.4).
    CHECK(p.kms->receive(request, base_now + std::chrono::seconds(300), *p.rng, o2).ok());
    const auto again = p.kms->receive(request, base_now + std::chrono::seconds(10), *p.rng, o2);
    CHECK(again.error == errc::replayed_message);
    CHECK(again.send.empty());
    // A KMS without a PSK for the Initiator: Error no 7 (Invalid ID).
    ticket::memory_key_store empty;
    cache c;
    policy pol(empty, c);
    roles::kms<B, policy> stranger(*p.backend, pol, {"kms.example.org", {}});
    const auto unknown = stranger.receive(request, base_now, *p.rng, o2);
    CHECK(unknown.error == errc::unknown_peer);
    CHECK(ticket::request_resolve_error_view::parse(unknown.send)->fields().err->code() == error_no::invalid_id);
    // Addressed to another KMS.
    roles::kms<B, policy> other(*p.backend, *p.p_kms, {"kms.other.org", {}});
    CHECK(other.receive(request, base_now, *p.rng, o2).error == errc::wrong_kms);
}

/// A replay cache that keeps the hints it is given (prefetch) and counts
/// the inserts whose key no hint announced before (over the in-memory default).
struct hint_checking_cache {
    ticket::memory_replay_cache<64> table;
    mutable std::array<std::array<std::uint8_t, ticket::max_replay_key>, 8> hinted{};
    mutable std::array<std::size_t, 8> hinted_size{};
    mutable std::size_t hints = 0;
    std::size_t inserts = 0, unhinted = 0;
    void prefetch(bytes_view key) const noexcept {
        if (hints < hinted.size() && key.size() <= ticket::max_replay_key) {
            std::copy(key.begin(), key.end(), hinted[hints].begin());
            hinted_size[hints++] = key.size();
        }
    }
    ticket::replay_verdict insert_if_absent(bytes_view key, ntp_time expires, ntp_time now) noexcept {
        ++inserts;
        bool announced = false;
        for (std::size_t i = 0; i < hints; ++i) {
            announced = announced || equal_bytes(bytes_view(hinted[i].data(), hinted_size[i]), key);
        }
        unhinted += announced ? 0 : 1;
        return table.insert_if_absent(key, expires, now);
    }
};
static_assert(ticket::prefetching_replay_cache<hint_checking_cache>);

/// The same without the hint: a plain replay_cache.
struct hintless_cache {
    ticket::memory_replay_cache<64> table;
    ticket::replay_verdict insert_if_absent(bytes_view key, ntp_time expires, ntp_time now) noexcept {
        return table.insert_if_absent(key, expires, now);
    }
};
static_assert(ticket::replay_cache<hintless_cache> && !ticket::prefetching_replay_cache<hintless_cache>);

TEST_CASE("replay cache hints: each message a party checks for replay is announced to its cache before the check") {
    const auto s = with(1, true);
    basic_parties<hint_checking_cache> p(s);
    const auto r = run(p, s);
    REQUIRE(r.error == errc::ok);
    REQUIRE(r.established);
    // Each party checks the two messages it receives (KMS: REQUEST_INIT_PSK, RESOLVE_INIT_PSK;
    // Initiator: REQUEST_RESP, TRANSFER_RESP; Responder: RESOLVE_RESP, then TRANSFER_INIT),
    // and its cache heard of each key before it was inserted.
    for (const hint_checking_cache* c : {p.c_kms.get(), p.c_i.get(), p.c_r.get()}) {
        CHECK(c->inserts == 2);
        CHECK(c->hints == 2);
        CHECK(c->unhinted == 0);
    }
    // The hints are keys, not entries: a replayed REQUEST_INIT_PSK is still refused.
    const bytes request = r.messages.front().wire;
    std::array<std::uint8_t, 8192> out{};
    CHECK(p.kms->receive(request, base_now, *p.rng, out).error == errc::replayed_message);
    // A cache without the hint: the same flow, the same keys.
    basic_parties<hintless_cache> q(s);
    const auto r2 = run(q, s);
    REQUIRE(r2.error == errc::ok);
    CHECK(r2.established);
    REQUIRE(r2.messages.size() == r.messages.size());
    for (std::size_t i = 0; i < r.messages.size(); ++i) CHECK(r2.messages[i].wire == r.messages[i].wire);
}

TEST_CASE("ticket expired or not yet valid; unauthorized responder") {
    const auto s = with(3, true);
    {
        parties p(s);
        std::array<std::uint8_t, 8192> o1{}, o2{};
        REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());  // TRs = now, TRe = now + 1 h
        const auto later = base_now + std::chrono::seconds(3601);
        const auto ti = p.ini->start_transfer(later, *p.rng, o1);
        REQUIRE(ti.ok());
        const auto ri = p.res->receive(ti.send, later, *p.rng, o2);
        REQUIRE(ri.ok());
        std::array<std::uint8_t, 8192> o3{};
        CHECK(p.kms->receive(ri.send, later, *p.rng, o3).error == errc::ticket_expired);
    }
    {
        parties p(s);
        std::array<std::uint8_t, 8192> o1{}, o2{}, o3{};
        REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());
        const auto earlier = base_now - std::chrono::seconds(60);
        const auto ti = p.ini->start_transfer(earlier, *p.rng, o1);
        const auto ri = p.res->receive(ti.send, earlier, *p.rng, o2);
        REQUIRE(ri.ok());
        CHECK(p.kms->receive(ri.send, earlier, *p.rng, o3).error == errc::ticket_not_yet_valid);
    }
    {
        // The ticket names Bob; Carol (known to the KMS) tries to resolve it.
        auto s2 = s;
        s2.responder_identity = "sip:carol@example.org";
        parties p(s2);
        const auto r = run(p, s2);
        CHECK(r.error == errc::unauthorized_responder);
        CHECK(r.failed_at == 1);
        CHECK(r.messages[1].type == data_type::resolve_init_psk);
        CHECK(p.res->current() == roles::responder<B, policy>::state::awaiting_resolve_resp);
        CHECK(p.res->session_keys().empty());
    }
}

namespace {
/// A KMS policy with an ACL: only Alice may ask for tickets, and not for Mallory.
struct acl_policy : policy {
    using policy::policy;
    [[nodiscard]] result<void> authorize_request(identity who, const ticket_policy& tp) const noexcept {
        if (!equal_bytes(who.get(), ticket::as_bytes("sip:alice@example.org"))) return errc::unauthorized_requester;
        return policy::authorize_request(who, tp);
    }
};
static_assert(roles::kms_policy<acl_policy>);
}  // namespace

TEST_CASE("unauthorized requester (the KMS's authorization hook)") {
    const auto s = with(1, true);
    parties p(s);
    const bytes psk_m(32, 0x55);
    REQUIRE(p.ks_kms.add_psk(ticket::as_bytes("sip:mallory@example.org"), psk_m));
    cache c;
    acl_policy acl(p.ks_kms, c);
    roles::kms<B, acl_policy> kms(*p.backend, acl, {"kms.example.org", {}});
    ticket::memory_key_store ks_m;
    REQUIRE(ks_m.add_psk(ticket::as_bytes("sip:mallory@example.org"), psk_m));
    cache cm;
    policy pm(ks_m, cm);
    roles::initiator<B, policy> mallory(*p.backend, pm,
                                        {.identity = "sip:mallory@example.org", .kms_identity = "kms.example.org",
                                         .responder = "sip:bob@example.org", .desired = desired_policy(s), .sessions = p.cs,
                                         .suite = s.suite});
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto req = mallory.start_request(base_now, *p.rng, o1);
    const auto resp = kms.receive(req.send, base_now, *p.rng, o2);
    CHECK(resp.error == errc::unauthorized_requester);
    CHECK(ticket::request_resolve_error_view::parse(resp.send)->fields().err->code() == error_no::unspecified);
    // Alice passes the same KMS.
    const auto areq = p.ini->start_request(base_now, *p.rng, o1);
    CHECK(kms.receive(areq.send, base_now, *p.rng, o2).ok());
}

TEST_CASE("a ticket of a type the KMS does not resolve: Error no 14; policy parameters not supported: 15") {
    const auto s = with(1, false);
    parties p(s);
    std::array<std::uint8_t, 8192> out{}, o2{};
    // A RESOLVE_INIT_PSK, correctly protected by Bob, carrying a 3GPP base ticket (Ticket Type 2).
    std::array<std::uint8_t, 64> tp_buf{};
    const auto tp_data = build_payload_chain(tp_buf, idr_builder{id_role::idrr, id_type::uri, ticket::as_bytes("sip:bob@example.org")});
    REQUIRE(tp_data);
    ticket_policy tp{};
    tp.kind = ticket_type::base_ticket_3gpp;
    tp.flags = *ticket::flags_from_letters("DFGH");
    const bytes ticket_data(40, 0x77);
    const bytes randrr(32, 0x12);
    const bytes psk_r(32, 0x22);
    const auto k1 = roles::detail::protection(*p.backend, roles::detail::direction::initial, roles::detail::needs::auth_key, s.suite, psk_r, csb_id(7), {}, randrr);
    REQUIRE(k1);
    const roles::detail::timestamp t(base_now);
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::resolve_init_psk, true, s.suite.prf, csb_id(7), empty_map{}, 1})
        .add(t.builder())
        .add(randr_builder{rand_role::randrr, randrr})
        .add(idr_builder{id_role::idrr, id_type::uri, ticket::as_bytes("sip:bob@example.org")})
        .add(ticket_builder{tp, *tp_data, ticket_data, {}});
    const auto msg = sb.seal(*p.backend, s.suite.mac, k1->auth_key.view(),
                             {ticket::as_bytes("sip:bob@example.org"), ticket::as_bytes("kms.example.org")});
    REQUIRE(msg);
    const auto o = p.kms->receive(*msg, base_now, *p.rng, o2);
    CHECK(o.error == errc::ticket_data_unparsed);
    REQUIRE(o.send_type == data_type::error);
    CHECK(ticket::request_resolve_error_view::parse(o.send)->fields().err->code() == error_no::invalid_ticket);

    // Forking with a TGK but F = 0 (RFC 6043 §6.10): Error no 15.
    auto bad = with(1, true);
    bad.flags = "DEIH";
    parties q(bad);
    const auto r = run(q, bad);
    CHECK(r.error == errc::flag_f_required_by_i);
    REQUIRE(r.failed_at == 0);
    std::array<std::uint8_t, 8192> o3{};
    const bytes req = r.messages[0].wire;
    parties q2(bad);
    const auto e = q2.kms->receive(req, base_now, *q2.rng, o3);
    CHECK(e.error == errc::flag_f_required_by_i);
    CHECK(ticket::request_resolve_error_view::parse(e.send)->fields().err->code() == error_no::invalid_tppar);
}

TEST_CASE("each Ticket Policy flag dependency has its own error (RFC 6043 §6.10)") {
    const std::pair<const char*, errc> cases[] = {
        {"FGH", errc::flag_l_required_without_d},  {"DGH", errc::flag_f_required_by_g},
        {"DF", errc::flag_g_or_h_required},       {"DFGHI", errc::flag_e_required_by_i},
        {"FGHLK", errc::flag_d_required_by_k},    {"DGHM", errc::flag_f_required_by_g},
        {"DHM", errc::flag_f_required_by_m},      {"DEIH", errc::flag_f_required_by_i},
    };
    for (const auto& c : cases) {
        const char* letters = c.first;  // not a structured binding: CAPTURE's lambda takes it (clang 14)
        const errc want = c.second;
        CAPTURE(letters);
        CHECK(ticket::check_policy_rules(*ticket::flags_from_letters(letters), true, true).error() == want);
    }
    CHECK(ticket::check_policy_rules(*ticket::flags_from_letters("DEFGHI"), true, true));
    CHECK(ticket::check_policy_rules(*ticket::flags_from_letters("DEIH"), true, false));  // no TGK: F not required
    CHECK(ticket::flags_from_letters("DX").error() == errc::invalid_argument);
    CHECK(ticket::flags_from_letters("DD").error() == errc::invalid_argument);
    // The KMS refuses a desired policy breaking a rule; the Initiator cannot even send one
    // (its TP builder checks the rules: RFC 6043 §6.10 "must be enforced on build").
    auto s = with(1, false);
    s.flags = "DGH";
    parties p(s);
    CHECK(run(p, s).error == errc::flag_f_required_by_g);
}

TEST_CASE("V != Vi and a wrong Vr are their own errors (RFC 6043 §4.2.3.4, §4.2.3.6)") {
    const auto s = with(1, true);
    parties base(s);
    const auto r = run(base, s);
    REQUIRE(r.established);
    const bytes ti = r.messages[2].wire;
    const auto m = message_view::parse(ti);
    REQUIRE(m);
    const auto tv = m->first<ticket_view>();
    REQUIRE(tv);
    const std::size_t idata_at = static_cast<std::size_t>(tv->initiator_data().data() - ti.data());
    const std::size_t vi_mac = idata_at + 3;
    const std::size_t vr_mac = vi_mac + 32 + 2;
    // Vr broken: the KMS refuses.
    {
        parties p(s);
        bytes bad = ti;
        bad[vr_mac + 5] ^= 1;
        const auto rr = run(p, s, 2, [&](const bytes&) { return bad; });
        CHECK(rr.error == errc::vr_mismatch);
        CHECK(rr.messages[rr.failed_at].type == data_type::resolve_init_psk);
    }
    // Vi changed and Vr recomputed with MPKr (only the ticket holder can): the KMS accepts,
    // the Responder refuses V != Vi and is idle again.
    {
        parties p(s);
        bytes bad = ti;
        bad[vi_mac] ^= 1;
        bytes vr_key(32);
        REQUIRE(crypto::derive_vr_auth_key(*p.backend, prf_func::prf_hmac_sha_256, base.ini->mpkr(), vr_key));
        const std::array<bytes_view, 1> parts{bytes_view(bad).subspan(idata_at, vr_mac - idata_at)};
        REQUIRE(crypto::compute_mac(*p.backend, mac_alg::hmac_sha_256_256, vr_key, parts,
                                    mutable_bytes(bad).subspan(vr_mac, 32)));
        const auto rr = run(p, s, 2, [&](const bytes&) { return bad; });
        CHECK(rr.error == errc::vi_mismatch);
        CHECK(rr.messages[rr.failed_at].type == data_type::resolve_resp);
        CHECK(p.res->current() == roles::responder<B, policy>::state::idle);
        CHECK(p.res->session_keys().empty());
    }
}

TEST_CASE("ticket reuse with J = 0 is refused by both ends; with J = 1 a new transfer works") {
    const auto s = with(1, true);
    parties p(s);
    const auto r = run(p, s);
    REQUIRE(r.established);
    std::array<std::uint8_t, 8192> o1{};
    CHECK(p.ini->start_transfer(base_now, *p.rng, o1).error == errc::ticket_reuse_forbidden);
    // The same TRANSFER_INIT again at the Responder (a replay, or reuse by another Initiator).
    CHECK(p.res->receive(r.messages[2].wire, base_now, *p.rng, o1).error == errc::ticket_reuse_forbidden);

    auto sj = with(1, true);
    sj.flags = "DEFGHIJ";
    parties q(sj);
    REQUIRE(run(q, sj).established);
    const auto first = q.ini->session_keys()[0].tek.view();
    const bytes first_tek(first.begin(), first.end());
    // RFC 6043 §5.3: a new Ticket Transfer: new CSB ID, timestamp and RANDs.
    std::array<std::uint8_t, 8192> a{}, b{}, c{}, d{};
    const auto ti = q.ini->start_transfer(base_now + std::chrono::seconds(5), *q.rng, a);
    REQUIRE(ti.ok());
    const auto ri = q.res->receive(ti.send, base_now + std::chrono::seconds(5), *q.rng, b);
    REQUIRE(ri.ok());
    const auto rr = q.kms->receive(ri.send, base_now + std::chrono::seconds(5), *q.rng, c);
    REQUIRE(rr.ok());
    const auto tr = q.res->receive(rr.send, base_now + std::chrono::seconds(5), *q.rng, d);
    REQUIRE(tr.ok());
    REQUIRE(q.ini->receive(tr.send, base_now + std::chrono::seconds(5), *q.rng, a).ok());
    check_same_keys(q);
    CHECK(!equal_bytes(q.ini->session_keys()[0].tek.view(), first_tek));
}

TEST_CASE("a message the role cannot receive, or not in its state; the public-key variants; Errors are not answered") {
    const auto s = with(1, true);
    parties p(s);
    const auto r = run(p, s);
    REQUIRE(r.established);
    std::array<std::uint8_t, 8192> out{};
    CHECK(p.kms->receive(r.messages[2].wire, base_now, *p.rng, out).error == errc::message_not_for_role);
    CHECK(p.ini->receive(r.messages[0].wire, base_now, *p.rng, out).error == errc::message_not_for_role);
    CHECK(p.res->receive(r.messages[1].wire, base_now, *p.rng, out).error == errc::message_not_for_role);
    parties q(s);
    // An Initiator that never asked takes no REQUEST_RESP; a Responder no RESOLVE_RESP.
    CHECK(q.ini->receive(r.messages[1].wire, base_now, *q.rng, out).error == errc::unexpected_in_state);
    CHECK(q.res->receive(r.messages[4].wire, base_now, *q.rng, out).error == errc::unexpected_in_state);
    CHECK(q.ini->current() == roles::initiator<B, policy>::state::idle);
    CHECK(q.ini->start_transfer(base_now, *q.rng, out).error == errc::unexpected_in_state);
    // REQUEST_INIT_PK and RESOLVE_INIT_PK parse and are refused with their own error (Error no 13).
    for (const auto& smp : samples::all()) {
        if (smp.name != "request_init_pk" && smp.name != "resolve_init_pk") continue;
        const auto o = p.kms->receive(smp.wire, base_now, *p.rng, out);
        CHECK(o.error == errc::pk_not_supported);
        REQUIRE(o.send_type == data_type::error);
        CHECK(ticket::request_resolve_error_view::parse(o.send)->fields().err->code() ==
              error_no::unsupported_message_type);
    }
    // An Error message is reported and never answered (RFC 6043 §5.4).
    for (const auto& smp : samples::all()) {
        if (smp.type != data_type::error) continue;
        const auto o = p.kms->receive(smp.wire, base_now, *p.rng, out);
        CHECK(o.error == errc::error_received);
        CHECK(o.send.empty());
    }
}

TEST_CASE("a TRANSFER_INIT the caller parsed: the Responder answers it as it answers its bytes, and refuses it in a "
          "state that cannot take it, changing nothing") {
    const auto s = with(1, true);
    parties p(s);
    const auto r = run(p, s);
    REQUIRE(r.established);
    const auto& transfer_init = r.messages[2].wire;
    const auto view = ticket::transfer_init_view::parse(transfer_init);
    REQUIRE(view);
    using responder_state = roles::responder<B, policy>::state;
    parties a(s), b(s);  // two fresh worlds: the same keys, the same RNG draws
    std::array<std::uint8_t, 8192> oa{}, ob{}, oc{}, od{}, oe{};
    const auto from_bytes = a.res->receive(transfer_init, base_now, *a.rng, oa);
    const auto from_view = b.res->receive(*view, base_now, *b.rng, ob);
    REQUIRE(from_bytes.ok());
    REQUIRE(from_view.ok());
    CHECK(from_view.send_type == data_type::resolve_init_psk);
    CHECK(std::vector<std::uint8_t>(from_view.send.begin(), from_view.send.end()) ==
          std::vector<std::uint8_t>(from_bytes.send.begin(), from_bytes.send.end()));
    CHECK(b.res->current() == responder_state::awaiting_resolve_resp);
    // While its Resolve is pending it takes no other TRANSFER_INIT, parsed or not.
    CHECK(b.res->receive(*view, base_now, *b.rng, oc).error == errc::unexpected_in_state);
    CHECK(b.res->receive(transfer_init, base_now, *b.rng, oc).error == errc::unexpected_in_state);
    CHECK(b.res->current() == responder_state::awaiting_resolve_resp);
    // The pending Resolve is intact: the KMS's answer establishes the keys.
    const auto resolved = b.kms->receive(from_view.send, base_now, *b.rng, od);
    REQUIRE(resolved.ok());
    const auto answer = b.res->receive(resolved.send, base_now, *b.rng, oe);
    REQUIRE(answer.ok());
    CHECK(answer.has(roles::event::keys_established));
    CHECK(b.res->current() == responder_state::established);
    // Established, the parsed TRANSFER_INIT is a ticket reuse the ticket forbids (J = 0).
    CHECK(b.res->receive(*view, base_now, *b.rng, oc).error == errc::ticket_reuse_forbidden);
}

TEST_CASE("a TRANSFER_INIT whose base ticket is malformed is refused by the Responder on receipt, its state unchanged") {
    // RFC 6043 App. A: the base ticket is validated by the party that reads it (notes/ticket.md,
    // reading 17); the Responder reads it on receipt (J check, TPK lookup), before any Resolve.
    const auto s = with(1, true);
    parties base(s);
    const auto ref = run(base, s);
    REQUIRE(ref.established);
    int at = -1;
    for (std::size_t i = 0; i < ref.messages.size(); ++i) {
        if (ref.messages[i].type == data_type::transfer_init) at = static_cast<int>(i);
    }
    REQUIRE(at >= 0);
    const bytes& wire = ref.messages[static_cast<std::size_t>(at)].wire;
    const auto m = ticket::transfer_init_view::parse(wire);
    REQUIRE(m);
    // THDR's Next Payload, the first byte of the Ticket Data: a type no payload has.
    const auto thdr_next = static_cast<std::size_t>(m->ticket()->bytes().data() - wire.data()) + m->ticket()->ticket_data_offset();
    const mutation bad_thdr = [thdr_next](const bytes& b) {
        bytes c = b;
        c[thdr_next] = 0xEE;
        return c;
    };
    const bytes changed = bad_thdr(wire);
    REQUIRE(ticket::transfer_init_view::parse(changed));  // the message itself still parses
    parties p(s);
    errc first = errc::ok;
    const auto r = run(p, s, at, bad_thdr, true, base_now, &first);
    CHECK(first == errc::unknown_payload_type);
    // Refused without a Resolve and without a state change: the genuine one then completes the flow.
    REQUIRE(r.error == errc::ok);
    CHECK(r.established);
    CHECK(r.messages.size() == ref.messages.size());
    check_same_keys(p);
}

// ------------------------------------------- truncation and tamper of every message

namespace {
/// Every prefix and two single-byte tampers of every message of the flow:
/// each refused with a specific error. For every receiver that can verify
/// on receipt, the genuine message is delivered next and the flow must
/// complete with equal keys (the refusal changed no state). The
/// TRANSFER_INIT of modes 1 and 3 cannot be verified before its ticket is
/// resolved (RFC 6043 §4.2.2.2): its tampers must make the flow fail later.
void every_corruption(const scenario& s) {
    parties base(s);
    const auto ref = run(base, s);
    REQUIRE(ref.established);
    std::map<errc, int> seen;
    std::size_t cases = 0;
    for (std::size_t i = 0; i < ref.messages.size(); ++i) {
        const auto& msg = ref.messages[i];
        const bool deferred = msg.type == data_type::transfer_init && (s.mode == 1 || s.mode == 3);
        const auto check = [&](const mutation& change, const char* what, std::size_t where) {
            CAPTURE(i);
            CAPTURE(what);
            CAPTURE(where);
            parties p(s);
            errc first = errc::ok;
            const auto r = run(p, s, static_cast<int>(i), change, true, base_now, &first);
            ++cases;
            if (deferred && first == errc::ok) {
                // Accepted for resolution: the flow must fail before keys exist.
                CHECK(!r.established);
                CHECK(!generic(r.error));
                CHECK(p.ini->session_keys().empty());
                CHECK(p.res->session_keys().empty());
                seen[r.error]++;
                return;
            }
            CHECK(!generic(first));
            seen[first]++;
            REQUIRE(r.error == errc::ok);
            CHECK(r.established);
            check_same_keys(p);
        };
        for (std::size_t n = 0; n < msg.wire.size(); ++n) {
            check([n](const bytes& b) { return bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n)); },
                  "prefix", n);
        }
        for (std::size_t j = 0; j < msg.wire.size(); ++j) {
            for (const std::uint8_t x : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
                check([j, x](const bytes& b) {
                    bytes c = b;
                    c[j] ^= x;
                    return c;
                }, "tamper", j);
            }
        }
    }
    MESSAGE(cases << " corrupted deliveries; errors seen: " << seen.size());
    CHECK(seen.count(errc::auth_failure) == 1);
    CHECK(seen.count(errc::truncated) == 1);
}
}  // namespace

TEST_CASE("mode 1 with forking: every truncated prefix and every single-byte tamper of every message") {
    every_corruption(with(1, true));
}

TEST_CASE("mode 4 (Responder resolves itself): every truncated prefix and every single-byte tamper") {
    every_corruption(with(4, false, key_data_type::tgk, false));
}

TEST_CASE("mode 4 with offered security policies (SP in TRANSFER_INIT): every truncated prefix and every single-byte tamper") {
    static constexpr std::array<std::uint8_t, 6> aes128{0, 1, 1, 1, 1, 16}, null_encr{0, 1, 0, 1, 1, 16};
    const roles::policy_offer offers[] = {{sp_builder{4, prot_type::srtp, {}, null_encr}},
                                          {sp_builder{5, prot_type::srtp, {}, aes128}}};
    auto s = with(4, false, key_data_type::tgk, false);
    s.offers = offers;
    every_corruption(s);
}

// ---------------------------------------------------------------- CSB updates

namespace {
std::vector<bytes> teks(std::span<const roles::session_key> ks) {
    std::vector<bytes> out;
    for (const auto& k : ks) out.emplace_back(k.tek.view().begin(), k.tek.view().end());
    return out;
}
}  // namespace

TEST_CASE("CSB update by the Initiator: add a crypto session, then rekey (RFC 6043 §5.2)") {
    auto s = with(1, true);
    s.flags = "DEFGHIL";  // L: the Initiator may supply session keys
    parties p(s);
    const auto initial = run(p, s);
    REQUIRE(initial.established);
    const auto before = teks(p.ini->session_keys());
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto later = base_now + std::chrono::seconds(20);

    // Add CS 3 on the existing TGK': no KEMAC, keys from D4 with the new CS ID.
    const roles::crypto_session_spec three[] = {{1, 0x1000}, {2, 0x1001}, {3, 0x1002}};
    const auto up = p.ini->start_update(later, *p.rng, o1, three, false, true);
    REQUIRE(up.ok());
    const auto um = message_view::parse(up.send);
    REQUIRE(um);
    // RFC 6043 §5.2: "MUST use the same CSB ID as the initial exchange".
    CHECK(um->header().csb() == message_view::parse(initial.messages[2].wire)->header().csb());
    CHECK(um->count(payload_type::randr) == 0);   // "New RANDs ... MUST NOT be included"
    CHECK(um->count(payload_type::ticket) == 0);
    CHECK(um->count(payload_type::kemac) == 0);
    CHECK(p.ini->session_keys().size() == 2);  // not before the response
    const auto ur = p.res->receive(up.send, later, *p.rng, o2);
    REQUIRE(ur.ok());
    REQUIRE(ur.send_type == data_type::transfer_resp);
    REQUIRE(p.ini->receive(ur.send, later, *p.rng, o1).ok());
    check_same_keys(p);
    const auto after = teks(p.ini->session_keys());
    REQUIRE(after.size() == 3);
    CHECK(after[0] == before[0]);
    CHECK(after[1] == before[1]);
    CHECK(after[2] != before[0]);

    // Rekey: fresh TGKs in a KEMAC; every TEK changes, both ends agree.
    const auto later2 = later + std::chrono::seconds(5);
    const auto rk = p.ini->start_update(later2, *p.rng, o1, three, true, true);
    REQUIRE(rk.ok());
    CHECK(message_view::parse(rk.send)->count(payload_type::kemac) == 1);
    const auto rr = p.res->receive(rk.send, later2, *p.rng, o2);
    REQUIRE(rr.ok());
    REQUIRE(p.ini->receive(rr.send, later2, *p.rng, o1).ok());
    check_same_keys(p);
    const auto rekeyed = teks(p.ini->session_keys());
    for (std::size_t i = 0; i < 3; ++i) CHECK(rekeyed[i] != after[i]);

    // The same update again is a replay; nothing changes.
    CHECK(p.res->receive(rk.send, later2, *p.rng, o2).error == errc::replayed_message);
    CHECK(teks(p.res->session_keys()) == rekeyed);
}

TEST_CASE("CSB update: refused without L, a TEK bundle cannot grow without rekey, every tamper refused") {
    const auto upd_now = base_now + std::chrono::seconds(1);  // RFC 6043 §5.2: "new timestamps"
    {
        const auto s = with(1, true);  // no L
        parties p(s);
        REQUIRE(run(p, s).established);
        std::array<std::uint8_t, 8192> o{};
        const roles::crypto_session_spec two[] = {{1, 0x1000}, {2, 0x1001}};
        CHECK(p.ini->start_update(upd_now, *p.rng, o, two, true, true).error == errc::policy_not_acceptable);
    }
    {
        auto s = with(1, false, key_data_type::tek);
        parties p(s);
        REQUIRE(run(p, s).established);
        std::array<std::uint8_t, 8192> o{};
        const roles::crypto_session_spec three[] = {{1, 0x1000}, {2, 0x1001}, {3, 0x1002}};
        CHECK(p.ini->start_update(upd_now, *p.rng, o, three, false, true).error == errc::missing_key);
    }
    auto s = with(1, true);
    s.flags = "DEFGHIL";
    parties base(s);
    REQUIRE(run(base, s).established);
    std::array<std::uint8_t, 8192> o1{}, o2{};
    {
        // The T of the last message of the initial exchange again: the KEMAC keystream would repeat.
        const roles::crypto_session_spec same[] = {{1, 0x1000}, {2, 0x1001}};
        CHECK(base.ini->start_update(base_now, *base.rng, o1, same, true, true).error == errc::stale_timestamp);
    }
    const roles::crypto_session_spec two[] = {{1, 0x1000}, {2, 0x1001}};
    const auto up = base.ini->start_update(upd_now, *base.rng, o1, two, true, true);
    REQUIRE(up.ok());
    const bytes update(up.send.begin(), up.send.end());
    const auto keys_before = teks(base.res->session_keys());
    std::size_t refused = 0;
    for (std::size_t j = 0; j < update.size(); ++j) {
        bytes bad = update;
        bad[j] ^= 0x01;
        const auto o = base.res->receive(bad, upd_now, *base.rng, o2);
        CAPTURE(j);
        CHECK(!o.ok());
        CHECK(!generic(o.error));
        refused += o.ok() ? 0 : 1;
    }
    for (std::size_t n = 0; n < update.size(); ++n) {
        const auto o = base.res->receive(bytes(update.begin(), update.begin() + static_cast<std::ptrdiff_t>(n)), upd_now,
                                         *base.rng, o2);
        CHECK(!o.ok());
    }
    CHECK(refused == update.size());
    CHECK(teks(base.res->session_keys()) == keys_before);
    // The genuine update still works afterwards, and its response is checked byte by byte too.
    const auto ur = base.res->receive(update, upd_now, *base.rng, o2);
    REQUIRE(ur.ok());
    const bytes resp(ur.send.begin(), ur.send.end());
    for (std::size_t j = 0; j < resp.size(); ++j) {
        bytes bad = resp;
        bad[j] ^= 0x80;
        CHECK(!base.ini->receive(bad, upd_now, *base.rng, o1).ok());
    }
    CHECK(base.ini->current() == roles::initiator<B, policy>::state::awaiting_update_resp);
    REQUIRE(base.ini->receive(resp, upd_now, *base.rng, o1).ok());
    check_same_keys(base);
}

TEST_CASE("CSB update started by the Responder: a new TEK for one session, the others kept; every tamper and prefix refused") {
    auto s = with(1, true);
    s.flags = "DEFGHIM";  // M: the Responder may supply session keys
    parties p(s);
    REQUIRE(run(p, s).established);
    const auto before = teks(p.ini->session_keys());
    REQUIRE(before.size() == 2);
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto later = base_now + std::chrono::seconds(10);
    const std::vector<std::uint8_t> group(32, 0x5a), salt(14, 0x33), spi{0xfe, 0xed};
    const roles::supplied_key fresh_key{.cs_id = 2, .ssrc = 0x1001, .kind = key_data_type::tek_salt,
                                        .key = group, .salt = salt, .spi = spi};
    const auto current = p.res->sessions();
    REQUIRE(current.size() == 2);
    CHECK(current[1].ssrc == 0x1001);

    // Without M the Responder may not send keys (RFC 6043 §5.2).
    {
        auto s2 = with(1, true);
        parties q(s2);
        REQUIRE(run(q, s2).established);
        CHECK(q.res->start_update(later, *q.rng, o1, q.res->sessions(), false, true, {&fresh_key, 1}).error ==
              errc::policy_not_acceptable);
        CHECK(q.res->current() == roles::responder<B, policy>::state::established);
    }

    const auto up = p.res->start_update(later, *p.rng, o1, current, false, true, {&fresh_key, 1});
    REQUIRE(up.ok());
    REQUIRE(up.send_type == data_type::transfer_init);
    const bytes update(up.send.begin(), up.send.end());
    const auto um = message_view::parse(update);
    REQUIRE(um);
    CHECK(um->count(payload_type::kemac) == 1);
    CHECK(um->count(payload_type::randr) == 0);
    // RFC 6043 §5.2 (update by R): HDR, T, [IDRr], [IDRi], ...: the sender's identity first.
    std::vector<id_role> roles_in_order;
    for (const auto& e : um->payloads()) {
        if (e.type == payload_type::idr) roles_in_order.push_back(e.as<idr_view>().role());
    }
    CHECK(roles_in_order == std::vector<id_role>{id_role::idrr, id_role::idri});
    CHECK(p.res->current() == roles::responder<B, policy>::state::awaiting_update_resp);
    CHECK(teks(p.res->session_keys()) == before);  // not before the answer

    const auto keys_i = teks(p.ini->session_keys());
    for (std::size_t j = 0; j < update.size(); ++j) {
        bytes bad = update;
        bad[j] ^= 0x01;
        const auto o = p.ini->receive(bad, later, *p.rng, o2);
        CAPTURE(j);
        CHECK(!o.ok());
        CHECK(o.send_type != data_type::transfer_resp);  // at most an Error message
    }
    for (std::size_t n = 0; n < update.size(); ++n) {
        CHECK(!p.ini->receive(bytes(update.begin(), update.begin() + static_cast<std::ptrdiff_t>(n)), later, *p.rng, o2)
                   .ok());
    }
    CHECK(teks(p.ini->session_keys()) == keys_i);
    CHECK(p.ini->current() == roles::initiator<B, policy>::state::established);

    const auto ir = p.ini->receive(update, later, *p.rng, o2);
    REQUIRE(ir.ok());
    REQUIRE(ir.send_type == data_type::transfer_resp);
    const bytes resp(ir.send.begin(), ir.send.end());
    const auto after = teks(p.ini->session_keys());
    REQUIRE(after.size() == 2);
    CHECK(after[0] == before[0]);                          // CS 1 keeps its TGK'-derived TEK
    CHECK(after[1] == bytes(group.begin(), group.end()));  // CS 2 takes the supplied TEK
    CHECK(p.ini->session_keys()[1].ssrc == 0x1001);
    // The replayed update is refused.
    CHECK(p.ini->receive(update, later, *p.rng, o2).error == errc::replayed_message);

    for (std::size_t j = 0; j < resp.size(); ++j) {
        bytes bad = resp;
        bad[j] ^= 0x80;
        CAPTURE(j);
        CHECK(!p.res->receive(bad, later, *p.rng, o1).ok());
    }
    for (std::size_t n = 0; n < resp.size(); ++n) {
        CHECK(!p.res->receive(bytes(resp.begin(), resp.begin() + static_cast<std::ptrdiff_t>(n)), later, *p.rng, o1).ok());
    }
    CHECK(p.res->current() == roles::responder<B, policy>::state::awaiting_update_resp);
    REQUIRE(p.res->receive(resp, later, *p.rng, o1).ok());
    CHECK(p.res->current() == roles::responder<B, policy>::state::established);
    check_same_keys(p);

    // Without a response wanted the keys take effect at once on both ends. The supplied key is
    // copied into the bundle (from where the update borrowed it: key_set::borrowed): the caller's
    // buffers may go right after the call.
    std::vector<std::uint8_t> group2(32, 0x6b), salt2(14, 0x44), spi2{0x01, 0x02};
    const roles::supplied_key k2{.cs_id = 2, .ssrc = 0x1001, .kind = key_data_type::tek_salt, .key = group2,
                                 .salt = salt2, .spi = spi2};
    const auto later2 = later + std::chrono::seconds(1);
    const auto up2 = p.res->start_update(later2, *p.rng, o1, current, false, false, {&k2, 1});
    REQUIRE(up2.ok());
    CHECK(up2.has(roles::event::keys_established));
    std::fill(group2.begin(), group2.end(), 0);
    std::fill(salt2.begin(), salt2.end(), 0);
    std::fill(spi2.begin(), spi2.end(), 0);
    {
        const auto& held = p.res->session_keys()[1];
        CHECK(held.cs.get() == 2);
        CHECK(held.ssrc == 0x1001);
        CHECK(held.kind == key_data_type::tek_salt);
        const auto as_bytes = [](bytes_view v) { return bytes(v.begin(), v.end()); };
        CHECK(as_bytes(held.key.view()) == bytes(32, 0x6b));
        CHECK(as_bytes(held.tek.view()) == bytes(32, 0x6b));
        CHECK(as_bytes(held.salt.view()) == bytes(14, 0x44));
        CHECK(as_bytes(held.spi_view()) == bytes{0x01, 0x02});
    }
    const auto ir2 = p.ini->receive(up2.send, later2, *p.rng, o2);
    REQUIRE(ir2.ok());
    CHECK(ir2.send.empty());
    check_same_keys(p);
    CHECK(teks(p.ini->session_keys())[1] == bytes(32, 0x6b));
}

TEST_CASE("CSB update answered with new keys (RFC 6043 §5.2: [KEMAC] in TRANSFER_RESP): the Responder's (M) and the "
          "Initiator's (L), used once; every tamper and prefix of the answer refused") {
    const std::vector<std::uint8_t> group(32, 0x5a), salt(14, 0x33), spi{0xfe, 0xed};
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto later = base_now + std::chrono::seconds(10);

    SUBCASE("the Responder answers the Initiator's update with a TEK for CS 2") {
        auto s = with(1, true);
        s.flags = "DEFGHIM";
        parties p(s);
        REQUIRE(run(p, s).established);
        const auto before = teks(p.ini->session_keys());
        const roles::supplied_key k{.cs_id = 2, .ssrc = 0x1001, .kind = key_data_type::tek_salt, .key = group,
                                    .salt = salt, .spi = spi};
        REQUIRE(p.res->set_update_response_keys({&k, 1}));
        const auto up = p.ini->start_update(later, *p.rng, o1, p.ini->sessions(), false, true);
        REQUIRE(up.ok());
        CHECK(message_view::parse(up.send)->count(payload_type::kemac) == 0);
        const bytes update(up.send.begin(), up.send.end());
        // Answered at the update's own T: the answer is stamped just after it (its KEMAC's IV differs).
        const auto rr = p.res->receive(update, later, *p.rng, o2);
        REQUIRE(rr.ok());
        REQUIRE(rr.send_type == data_type::transfer_resp);
        const bytes answer(rr.send.begin(), rr.send.end());
        const auto am = ticket::transfer_resp_update_view::parse(answer);
        REQUIRE(am);
        REQUIRE(am->kemac());
        CHECK(ntp_time::from_payload(am->t().kind(), am->t().value()) == later.next_tick());
        CHECK(p.res->last_timestamp() == later.next_tick());
        {
            // The answer's CS ID map names the new key's SPI for CS 2, the kept key's for CS 1.
            std::vector<bytes> spis;
            for (const auto& b : generic_id_map(am->header().map_info())) spis.emplace_back(b.spi.begin(), b.spi.end());
            REQUIRE(spis.size() == 2);
            CHECK(spis[1] == bytes(spi.begin(), spi.end()));
            CHECK(equal_bytes(spis[0], p.ini->session_keys()[0].spi_view()));
        }
        const auto res_after = teks(p.res->session_keys());
        CHECK(res_after[0] == before[0]);
        CHECK(res_after[1] == bytes(group.begin(), group.end()));
        for (std::size_t j = 0; j < answer.size(); ++j) {
            bytes bad = answer;
            bad[j] ^= 0x01;
            const auto o = p.ini->receive(bad, later, *p.rng, o1);
            CAPTURE(j);
            CHECK(!o.ok());
            CHECK(!generic(o.error));
        }
        for (std::size_t n = 0; n < answer.size(); ++n) {
            CHECK(!p.ini->receive(bytes(answer.begin(), answer.begin() + static_cast<std::ptrdiff_t>(n)), later, *p.rng, o1)
                       .ok());
        }
        CHECK(p.ini->current() == roles::initiator<B, policy>::state::awaiting_update_resp);
        CHECK(teks(p.ini->session_keys()) == before);
        REQUIRE(p.ini->receive(answer, later, *p.rng, o1).ok());
        check_same_keys(p);
        CHECK(p.ini->last_timestamp() == later.next_tick());
        CHECK(teks(p.ini->session_keys())[1] == bytes(group.begin(), group.end()));
        CHECK(p.ini->session_keys()[1].ssrc == 0x1001);
        // Used once: the next answer carries no KEMAC, and the keys stay.
        const auto later2 = later + std::chrono::seconds(1);
        const auto up2 = p.ini->start_update(later2, *p.rng, o1, p.ini->sessions(), false, true);
        REQUIRE(up2.ok());
        const auto rr2 = p.res->receive(up2.send, later2, *p.rng, o2);
        REQUIRE(rr2.ok());
        CHECK(message_view::parse(rr2.send)->count(payload_type::kemac) == 0);
        REQUIRE(p.ini->receive(rr2.send, later2, *p.rng, o1).ok());
        check_same_keys(p);
        CHECK(teks(p.ini->session_keys())[1] == bytes(group.begin(), group.end()));
    }
    SUBCASE("the Initiator answers the Responder's update with a TGK for CS 1 (D4 at both ends)") {
        auto s = with(1, true);
        s.flags = "DEFGHIL";
        parties p(s);
        REQUIRE(run(p, s).established);
        const auto before = teks(p.ini->session_keys());
        const roles::supplied_key k{.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tgk, .key = group, .salt = {},
                                    .spi = spi};
        REQUIRE(p.ini->set_update_response_keys({&k, 1}));
        const auto up = p.res->start_update(later, *p.rng, o1, p.res->sessions(), false, true);
        REQUIRE(up.ok());
        const auto ir = p.ini->receive(up.send, later + std::chrono::seconds(1), *p.rng, o2);
        REQUIRE(ir.ok());
        REQUIRE(ir.send_type == data_type::transfer_resp);
        CHECK(message_view::parse(ir.send)->count(payload_type::kemac) == 1);
        REQUIRE(p.res->receive(ir.send, later + std::chrono::seconds(1), *p.rng, o1).ok());
        check_same_keys(p);
        const auto after = teks(p.ini->session_keys());
        CHECK(after[0] != before[0]);
        CHECK(after[0] != bytes(group.begin(), group.end()));  // a TGK: the TEK comes from D4
        CHECK(after[1] == before[1]);
        CHECK(p.res->last_timestamp() == later + std::chrono::seconds(1));
    }
    SUBCASE("keys the answer cannot carry: the update is refused with its own error and nothing changes") {
        auto s = with(1, true);
        s.flags = "DEFGHIM";
        SUBCASE("without the answering end's flag: policy_not_acceptable") { s.flags = "DEFGHI"; }
        parties p(s);
        REQUIRE(run(p, s).established);
        const auto keys_i = teks(p.ini->session_keys());
        const roles::supplied_key k5{.cs_id = 5, .ssrc = 0x1005, .kind = key_data_type::tek_salt, .key = group,
                                     .salt = salt, .spi = spi};
        const roles::supplied_key k2{.cs_id = 2, .ssrc = 0x1001, .kind = key_data_type::tek_salt, .key = group,
                                     .salt = salt, .spi = spi};
        const bool m = s.flags.find('M') != std::string::npos;
        REQUIRE(p.res->set_update_response_keys(m ? std::span(&k5, 1) : std::span(&k2, 1)));
        const auto up = p.ini->start_update(later, *p.rng, o1, p.ini->sessions(), false, true);
        REQUIRE(up.ok());
        const bytes update(up.send.begin(), up.send.end());
        const auto refused = p.res->receive(update, later, *p.rng, o2);
        CHECK(refused.error == (m ? errc::bad_crypto_sessions : errc::policy_not_acceptable));
        CHECK(refused.send_type != data_type::transfer_resp);
        CHECK(teks(p.res->session_keys()) == keys_i);
        CHECK(p.res->last_timestamp() == base_now);
        // Once the keys are dropped the same update is taken (the refusal came before the replay check).
        REQUIRE(p.res->set_update_response_keys({}));
        const auto rr = p.res->receive(update, later, *p.rng, o2);
        REQUIRE(rr.ok());
        CHECK(message_view::parse(rr.send)->count(payload_type::kemac) == 0);
        REQUIRE(p.ini->receive(rr.send, later, *p.rng, o1).ok());
        check_same_keys(p);
    }
    SUBCASE("set_update_response_keys refuses bad keys and keeps those set before") {
        auto s = with(1, true);
        s.flags = "DEFGHIM";
        parties p(s);
        REQUIRE(run(p, s).established);
        const roles::supplied_key good{.cs_id = 2, .ssrc = 0x1001, .kind = key_data_type::tek_salt, .key = group,
                                       .salt = salt, .spi = spi};
        REQUIRE(p.res->set_update_response_keys({&good, 1}));
        const std::vector<std::uint8_t> short_key(15, 1);
        const roles::supplied_key too_short{.cs_id = 2, .ssrc = 0x1001, .kind = key_data_type::tek_salt,
                                            .key = short_key, .salt = salt, .spi = spi};
        CHECK(p.res->set_update_response_keys({&too_short, 1}).error() == errc::key_too_short);
        const roles::supplied_key no_salt{.cs_id = 2, .ssrc = 0x1001, .kind = key_data_type::tek_salt, .key = group,
                                          .salt = {}, .spi = spi};
        CHECK(p.res->set_update_response_keys({&no_salt, 1}).error() == errc::invalid_argument);
        const roles::supplied_key twice[] = {good, good};
        CHECK(p.res->set_update_response_keys(twice).error() == errc::invalid_argument);
        std::vector<roles::supplied_key> many(roles::max_crypto_sessions + 1, good);
        CHECK(p.res->set_update_response_keys(many).error() == errc::invalid_argument);
        // An update that wants no answer leaves them set; the next answer carries them.
        const auto quiet = p.ini->start_update(later, *p.rng, o1, p.ini->sessions(), false, false);
        REQUIRE(quiet.ok());
        const auto none = p.res->receive(quiet.send, later, *p.rng, o2);
        REQUIRE(none.ok());
        CHECK(none.send.empty());
        const auto later2 = later + std::chrono::seconds(1);
        const auto up = p.ini->start_update(later2, *p.rng, o1, p.ini->sessions(), false, true);
        REQUIRE(up.ok());
        const auto rr = p.res->receive(up.send, later2, *p.rng, o2);
        REQUIRE(rr.ok());
        CHECK(message_view::parse(rr.send)->count(payload_type::kemac) == 1);
        REQUIRE(p.ini->receive(rr.send, later2, *p.rng, o1).ok());
        check_same_keys(p);
        CHECK(teks(p.ini->session_keys())[1] == bytes(group.begin(), group.end()));
    }
}

TEST_CASE("CSB update: a T not newer than the last message under the bundle's keys is refused at both ends") {
    // RFC 6043 §5.2: "MUST use new timestamps"; the KEMAC IV (RFC 3830 §4.2.3) is salt, CSB ID and T
    // under the same keys, so an old T would repeat a keystream.
    auto s = with(1, true);
    s.flags = "DEFGHILM";
    parties p(s);
    REQUIRE(run(p, s).established);
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto at = [](int sec) { return base_now + std::chrono::seconds(sec); };
    const auto sessions = p.ini->sessions();
    // An update of the Initiator's at T = 20, whose answer never comes: abandoned.
    REQUIRE(p.ini->start_update(at(20), *p.rng, o1, sessions, true, true).ok());
    p.ini->abandon();
    CHECK(p.ini->current() == roles::initiator<B, policy>::state::established);
    // Its T was spent: the Initiator refuses to send at T = 20 or before again.
    CHECK(p.ini->start_update(at(20), *p.rng, o1, sessions, true, false).error == errc::stale_timestamp);
    CHECK(p.ini->start_update(at(10), *p.rng, o1, sessions, true, false).error == errc::stale_timestamp);
    // The Responder's update at T = 30 is lost on the way; the Initiator (which never saw it)
    // sends one at T = 25: the Responder refuses it, keys unchanged.
    REQUIRE(p.res->start_update(at(30), *p.rng, o2, p.res->sessions(), true, false).ok());
    const auto keys_r = teks(p.res->session_keys());
    const auto up = p.ini->start_update(at(25), *p.rng, o1, sessions, true, false);
    REQUIRE(up.ok());
    CHECK(p.res->receive(up.send, at(25), *p.rng, o2).error == errc::stale_timestamp);
    CHECK(teks(p.res->session_keys()) == keys_r);
    // A newer one is taken.
    const auto up2 = p.ini->start_update(at(31), *p.rng, o1, sessions, true, false);
    REQUIRE(up2.ok());
    REQUIRE(p.res->receive(up2.send, at(31), *p.rng, o2).ok());
    check_same_keys(p);
}

TEST_CASE("CSB update without new keys in another session order: each kept key moves with its session, unchanged") {
    // RFC 6043 §5.2: an update carries no RAND, so a session it does not rekey keeps its key;
    // the machines keep it in place, or move it (copied) when the update's map reorders the sessions.
    auto s = with(1, true);
    s.flags = "DEFGHILM";
    parties p(s);
    REQUIRE(run(p, s).established);
    const auto before = p.ini->session_keys();
    REQUIRE(before.size() >= 2);
    std::vector<std::pair<std::uint8_t, bytes>> by_cs;
    for (const auto& k : before) by_cs.emplace_back(k.cs.get(), bytes(k.tek.view().begin(), k.tek.view().end()));
    const auto in_force = p.ini->sessions();
    std::vector<roles::crypto_session_spec> reversed(in_force.begin(), in_force.end());
    std::reverse(reversed.begin(), reversed.end());
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto later = base_now + std::chrono::seconds(10);
    const auto up = p.ini->start_update(later, *p.rng, o1, reversed, false, false);
    REQUIRE(up.ok());
    REQUIRE(p.res->receive(up.send, later, *p.rng, o2).ok());
    const auto check = [&](std::span<const roles::session_key> now) {
        REQUIRE(now.size() == by_cs.size());
        for (std::size_t i = 0; i < now.size(); ++i) {
            // Slot i holds the session the reversed map names at i, with its old TEK.
            CHECK(now[i].cs.get() == reversed[i].cs_id);
            const auto old = std::find_if(by_cs.begin(), by_cs.end(), [&](const auto& e) { return e.first == now[i].cs.get(); });
            REQUIRE(old != by_cs.end());
            CHECK(equal_bytes(now[i].tek.view(), old->second));
        }
    };
    check(p.ini->session_keys());
    check(p.res->session_keys());
    check_same_keys(p);
}

TEST_CASE("IDRapp: a ticket limited to applications resolves only for a responder running one of them") {
    for (const char* app : {"app:conference", "app:other", ""}) {
        CAPTURE(app);
        const auto s = with(1, true);
        parties p(s);
        const std::string_view apps[] = {"app:conference"};
        const std::string_view authorized[] = {"sip:bob@example.org"};
        p.ini.emplace(*p.backend, *p.p_i,
                      roles::initiator_config{.identity = "sip:alice@example.org",
                                              .kms_identity = "kms.example.org",
                                              .responder = "sip:bob@example.org",
                                              .authorized_responders = authorized,
                                              .applications = apps,
                                              .desired = desired_policy(s),
                                              .key_length = s.key_length,
                                              .sessions = p.cs,
                                              .suite = s.suite});
        if (*app != '\0') p.p_kms->add_application("sip:bob@example.org", app);
        const auto r = run(p, s);
        if (std::string_view(app) == "app:conference") {
            CHECK(r.established);
        } else {
            CHECK(r.error == errc::unauthorized_application);
            CHECK(r.messages[r.failed_at].type == data_type::resolve_init_psk);
        }
    }
}

TEST_CASE("one party as Initiator and Responder at once: one backend, one key store, one replay cache") {
    // A conference focus: Alice calls in (the focus is Responder), the focus calls Carol out
    // (the focus is Initiator), with one set of credentials shared with the KMS.
    auto b = *B::create();
    crypto::deterministic_rng<B> rng(b, 9);
    const bytes psk_a(32, 0xA1), psk_f(32, 0xF1), psk_c(32, 0xC1), tpk(32, 0x77);
    ticket::memory_key_store kms_keys, a_keys, f_keys, c_keys;
    REQUIRE(kms_keys.add_psk(ticket::as_bytes("sip:alice@example.org"), psk_a));
    REQUIRE(kms_keys.add_psk(ticket::as_bytes("sip:focus@example.org"), psk_f));
    REQUIRE(kms_keys.add_psk(ticket::as_bytes("sip:carol@example.org"), psk_c));
    REQUIRE(kms_keys.add_tpk({}, tpk));
    REQUIRE(a_keys.add_psk(ticket::as_bytes("sip:alice@example.org"), psk_a));
    REQUIRE(f_keys.add_psk(ticket::as_bytes("sip:focus@example.org"), psk_f));
    REQUIRE(c_keys.add_psk(ticket::as_bytes("sip:carol@example.org"), psk_c));
    cache kc, ac, fc, cc;
    const auto strict = roles::policy_settings::strict_3gpp();
    const policy kp(kms_keys, kc, strict), ap(a_keys, ac, strict), fp(f_keys, fc, strict), cp(c_keys, cc, strict);
    const crypto::algorithm_suite suite{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256};
    ticket_policy want{};
    want.prf = prf_func::prf_hmac_sha_256;
    want.flags = *ticket::flags_from_letters("DEFGHI");
    const roles::crypto_session_spec one[] = {{1, 0x10}};
    roles::kms<B, policy> kms(b, kp, {"kms.example.org", {}});
    roles::initiator<B, policy> alice(b, ap, {.identity = "sip:alice@example.org", .kms_identity = "kms.example.org",
                                              .responder = "sip:focus@example.org", .desired = want, .key_length = 32,
                                              .sessions = one, .suite = suite});
    // The focus: both machines share `b` and `fp` (so its key store and replay cache).
    roles::responder<B, policy> focus_in(b, fp, {.identity = "sip:focus@example.org", .kms_identity = "kms.example.org", .suite = suite});
    roles::initiator<B, policy> focus_out(b, fp, {.identity = "sip:focus@example.org", .kms_identity = "kms.example.org",
                                                  .responder = "sip:carol@example.org", .desired = want, .key_length = 32,
                                                  .sessions = one, .suite = suite});
    roles::responder<B, policy> carol(b, cp, {.identity = "sip:carol@example.org", .kms_identity = "kms.example.org", .suite = suite});
    std::array<std::uint8_t, 8192> x{}, y{};
    const auto flow = [&](auto& ini, auto& res) {
        auto o = ini.start_request(base_now, rng, x);
        REQUIRE(o.ok());
        o = kms.receive(o.send, base_now, rng, y);
        REQUIRE(o.ok());
        REQUIRE(ini.receive(o.send, base_now, rng, x).ok());
        o = ini.start_transfer(base_now, rng, x);
        o = res.receive(o.send, base_now, rng, y);
        o = kms.receive(o.send, base_now, rng, x);
        o = res.receive(o.send, base_now, rng, y);
        REQUIRE(o.ok());
        o = ini.receive(o.send, base_now, rng, x);
        REQUIRE(o.has(roles::event::peer_authenticated));
        CHECK(equal_bytes(ini.session_keys()[0].tek.view(), res.session_keys()[0].tek.view()));
    };
    flow(alice, focus_in);
    flow(focus_out, carol);
    CHECK(equal_bytes(alice.peer_identity(), ticket::as_bytes("sip:focus@example.org")));
    CHECK(equal_bytes(carol.peer_identity(), ticket::as_bytes("sip:focus@example.org")));
    CHECK(equal_bytes(focus_out.peer_identity(), ticket::as_bytes("sip:carol@example.org")));
    CHECK(!equal_bytes(focus_in.session_keys()[0].tek.view(), focus_out.session_keys()[0].tek.view()));
}

// ---------------------------------------------------------------- security policies (RFC 6043 §6.1.1)

namespace {

// SRTP SP parameters (RFC 3830 §6.10.1): Encryption algorithm (type 0), Session Encr. key length (type 1).
constexpr std::array<std::uint8_t, 6> sp_null_encr{0, 1, 0, 1, 1, 16};  // NULL encryption: refused by default
constexpr std::array<std::uint8_t, 6> sp_aes128{0, 1, 1, 1, 1, 16};
constexpr std::array<std::uint8_t, 6> sp_aes256{0, 1, 1, 1, 1, 32};

sp_builder srtp_sp(std::uint8_t no, bytes_view params) { return sp_builder{no, prot_type::srtp, {}, params}; }

std::vector<generic_id_block> blocks_of(bytes_view msg) {
    const auto h = hdr_view::parse(msg);
    REQUIRE(h);
    std::vector<generic_id_block> v;
    for (const auto& b : h->generic_id()) v.push_back(b);
    return v;
}

std::size_t sp_count(bytes_view msg) { return message_view::parse(msg)->count(payload_type::sp); }

/// The negotiated policy of `cs` at both ends: the same SP parameters.
bytes policy_at_both(const parties& p, std::uint8_t cs) {
    const auto a = p.ini->security_policy(cs_id(cs));
    const auto b = p.res->security_policy(cs_id(cs));
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->protocol() == b->protocol());
    CHECK(equal_bytes(a->param_bytes(), b->param_bytes()));
    return bytes(a->param_bytes().begin(), a->param_bytes().end());
}

/// TRANSFER_RESP `genuine` (mode 4 without forking: protected with D2 from
/// MPKi) rebuilt with GENERIC-ID blocks `blocks` and SP payloads `sps`
/// instead of its own, and sealed again with the Responder's key: authentic,
/// so that only the security-policy rules can refuse it.
bytes reseal_transfer_resp(const parties& p, const scenario& s, const bytes& ti, const bytes& genuine,
                           std::span<const generic_id_block> blocks, std::span<const sp_builder> sps) {
    const auto tr = ticket::transfer_resp_view::parse(genuine);
    const auto init = ticket::transfer_init_view::parse(ti);
    REQUIRE(tr);
    REQUIRE(init);
    const auto h = tr->header();
    const auto k2 = roles::detail::protection(*p.backend, roles::detail::direction::response,
                                              roles::detail::needs::auth_key, s.suite, p.res->mpki(), h.csb(),
                                              init->randri()->value(), tr->randrr() ? tr->randrr()->value() : bytes_view{});
    REQUIRE(k2);
    std::array<std::uint8_t, 4096> out{};
    ticket::sealed_message_builder sb(out);
    sb.header(hdr_builder{data_type::transfer_resp, false, h.prf(), h.csb(), blocks, h.version()}).add(tr->t().to_builder());
    if (tr->randrr()) sb.add(tr->randrr()->to_builder());
    sb.add(tr->idrr()->to_builder()).add(sps);
    const auto sealed = sb.seal(*p.backend, s.suite.mac, k2->auth_key.view(), {bytes_view(ti)});
    REQUIRE(sealed);
    return bytes(sealed->begin(), sealed->end());
}

}  // namespace

TEST_CASE("security policies: every TRANSFER_RESP names exactly one per crypto session; without offers the Responder's own") {
    for (int mode = 1; mode <= 4; ++mode) {
        for (const bool forking : {false, true}) {
            if (forking && (mode == 2 || mode == 4)) continue;
            for (const bool strong : {true, false}) {
                CAPTURE(mode);
                CAPTURE(forking);
                CAPTURE(strong);
                const auto s = with(mode, forking, key_data_type::tgk, strong);
                parties p(s);
                const auto r = run(p, s);
                REQUIRE(r.established);
                const bytes& ti = r.messages[mode <= 2 ? 2 : 0].wire;
                const bytes& tr = r.messages.back().wire;
                REQUIRE(r.messages.back().type == data_type::transfer_resp);
                // No offers: #P = 0 and no SP in TRANSFER_INIT.
                for (const auto& b : blocks_of(ti)) CHECK(b.policies.empty());
                CHECK(sp_count(ti) == 0);
                // RFC 6043 §6.1.1: "In response messages, #P SHALL always be exactly 1"; with #P = 0 in the
                // initial message "a security profile MUST be provided": one SP of the Responder's for both.
                const auto m = message_view::parse(tr);
                REQUIRE(m);
                CHECK(sp_count(tr) == 1);
                for (const auto& b : blocks_of(tr)) {
                    REQUIRE(b.policies.size() == 1);
                    CHECK(roles::detail::sp_numbered(*m, b.policies[0]));
                }
                // The default: AES-CM with the session key length, HMAC-SHA-1 80-bit tag.
                for (std::uint8_t cs : {1, 2}) {
                    const bytes params = policy_at_both(p, cs);
                    const auto sp = p.ini->security_policy(cs_id(cs));
                    const auto pol = srtp::policy_from(*sp);
                    REQUIRE(pol);
                    CHECK(pol->rtp.profile == (strong ? srtp::suite::aes_cm_256_hmac_sha1_80 : srtp::suite::aes_cm_128_hmac_sha1_80));
                    CHECK(pol->rtcp.profile == pol->rtp.profile);
                    // ... and the keys fit it.
                    CHECK(srtp::master_key_from(p.ini->session_keys()[cs - 1u], *pol));
                }
            }
        }
    }
}

TEST_CASE("security policies: the Responder takes the first acceptable offer and names it without resending it") {
    const std::uint8_t only_cs2[] = {2};
    const roles::policy_offer offers[] = {{srtp_sp(1, sp_null_encr)},  // every session; refused (NULL encryption)
                                          {srtp_sp(3, sp_aes128), only_cs2},
                                          {srtp_sp(2, sp_aes256)}};
    auto s = with(1, true);
    s.offers = offers;
    parties p(s);
    const auto r = run(p, s);
    REQUIRE(r.error == errc::ok);
    REQUIRE(r.established);
    const bytes& ti = r.messages[2].wire;
    const bytes& tr = r.messages.back().wire;
    // TRANSFER_INIT: the three SPs; each block lists those offered for it, in order.
    CHECK(sp_count(ti) == 3);
    const auto bi = blocks_of(ti);
    REQUIRE(bi.size() == 2);
    CHECK(bytes(bi[0].policies.begin(), bi[0].policies.end()) == bytes{1, 2});
    CHECK(bytes(bi[1].policies.begin(), bi[1].policies.end()) == bytes{1, 3, 2});
    // TRANSFER_RESP: #P = 1, the first acceptable, no SP resent (RFC 6043 §4.2.2.3).
    CHECK(sp_count(tr) == 0);
    const auto br = blocks_of(tr);
    REQUIRE(br.size() == 2);
    CHECK(bytes(br[0].policies.begin(), br[0].policies.end()) == bytes{2});
    CHECK(bytes(br[1].policies.begin(), br[1].policies.end()) == bytes{3});
    CHECK(policy_at_both(p, 1) == bytes(sp_aes256.begin(), sp_aes256.end()));
    CHECK(policy_at_both(p, 2) == bytes(sp_aes128.begin(), sp_aes128.end()));
    CHECK(srtp::policy_from(*p.res->security_policy(cs_id(1)))->rtp.profile == srtp::suite::aes_cm_256_hmac_sha1_80);

    SUBCASE("F = 0: no answer; both ends take the first policy offered") {
        auto f0 = with(1, false);
        f0.flags = "DH";
        const roles::policy_offer first_ok[] = {{srtp_sp(4, sp_aes128)}, {srtp_sp(5, sp_aes256)}};
        f0.offers = first_ok;
        parties q(f0);
        REQUIRE(run(q, f0).established);
        CHECK(policy_at_both(q, 1) == bytes(sp_aes128.begin(), sp_aes128.end()));
        CHECK(policy_at_both(q, 2) == bytes(sp_aes128.begin(), sp_aes128.end()));
        // The first one unacceptable: refused even though a later one would do (nobody answers to say which).
        f0.offers = offers;
        parties q2(f0);
        const auto r2 = run(q2, f0);
        CHECK(r2.error == errc::sp_not_acceptable);
    }
    SUBCASE("an Initiator config with a repeated Policy no, an offer for a crypto session it has not, or one of "
            "another Prot type than its sessions' (SRTP; the Responder would refuse it: sp_prot_mismatch): "
            "invalid_argument") {
        const std::uint8_t cs9[] = {9};
        const roles::policy_offer twice[] = {{srtp_sp(1, sp_aes128)}, {srtp_sp(1, sp_aes256)}};
        const roles::policy_offer stray[] = {{srtp_sp(1, sp_aes128), cs9}};
        const roles::policy_offer tesla[] = {{sp_builder{1, prot_type::tesla, {}, {}}}};
        for (const auto bad : {std::span<const roles::policy_offer>(twice), std::span<const roles::policy_offer>(stray),
                               std::span<const roles::policy_offer>(tesla)}) {
            auto b = with(1, true);
            b.offers = bad;
            parties q(b);
            CHECK(run(q, b).error == errc::invalid_argument);
        }
    }
}

namespace {
/// A Responder policy that counts how often an offer is judged.
struct counting_sp_policy : policy {
    using policy::policy;
    mutable int judged = 0;
    [[nodiscard]] result<void> accept_security_policy(const sp_view& sp, const crypto::algorithm_suite& s) const noexcept {
        ++judged;
        return roles::default_accept_security_policy(sp, s);
    }
};
}  // namespace

TEST_CASE("security policies: the Responder judges each offer once per exchange, at the early check, and answers with that choice") {
    const std::uint8_t only_cs2[] = {2};
    const roles::policy_offer offers[] = {{srtp_sp(1, sp_null_encr)},  // refused for both sessions
                                          {srtp_sp(3, sp_aes128), only_cs2},
                                          {srtp_sp(2, sp_aes256)}};
    // Mode 1 resolves through the KMS (the choice kept while the Resolve is pending); mode 4 opens the ticket itself.
    struct run_of {
        int mode;
        bool forking;
    };
    for (const run_of r : {run_of{1, true}, run_of{4, false}}) {
        const int mode = r.mode;  // a plain variable: CAPTURE cannot take a structured binding (clang 14)
        CAPTURE(mode);
        auto s = with(mode, r.forking);
        s.offers = offers;
        parties p(s);
        cache c;
        counting_sp_policy cp(p.ks_r, c, s.settings);
        roles::responder<B, counting_sp_policy> res(*p.backend, cp,
                                                     {.identity = "sip:bob@example.org", .kms_identity = "kms.example.org",
                                                      .suite = s.suite});
        std::array<std::uint8_t, 8192> o1{}, o2{}, o3{}, o4{};
        if (mode == 1) {
            const auto req = p.ini->start_request(base_now, *p.rng, o1);
            const auto rr = p.kms->receive(req.send, base_now, *p.rng, o2);
            REQUIRE(p.ini->receive(rr.send, base_now, *p.rng, o3).ok());
        } else {
            REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());
        }
        const auto ti = p.ini->start_transfer(base_now, *p.rng, o1);
        REQUIRE(ti.ok());
        // Block 1 lists {1, 2} (1 refused, 2 taken), block 2 {1, 3} (3 taken): three SPs, each judged
        // once (SP 1's refusal is not asked again for block 2).
        roles::outcome tr = res.receive(ti.send, base_now, *p.rng, o3);
        REQUIRE(tr.ok());
        CHECK(cp.judged == 3);
        if (mode == 1) {
            REQUIRE(tr.send_type == data_type::resolve_init_psk);
            const auto rs = p.kms->receive(tr.send, base_now, *p.rng, o2);
            REQUIRE(rs.ok());
            tr = res.receive(rs.send, base_now, *p.rng, o4);
            REQUIRE(tr.ok());
            CHECK(cp.judged == 3);  // the answer reuses the early choice
        }
        REQUIRE(tr.has(roles::event::keys_established));
        REQUIRE(tr.send_type == data_type::transfer_resp);
        const auto br = blocks_of(tr.send);
        REQUIRE(br.size() == 2);
        CHECK(bytes(br[0].policies.begin(), br[0].policies.end()) == bytes{2});
        CHECK(bytes(br[1].policies.begin(), br[1].policies.end()) == bytes{3});
        CHECK(p.ini->receive(tr.send, base_now, *p.rng, o2).has(roles::event::keys_established));
        const auto sp1 = res.security_policy(cs_id(1));
        REQUIRE(sp1);
        CHECK(bytes(sp1->param_bytes().begin(), sp1->param_bytes().end()) == bytes(sp_aes256.begin(), sp_aes256.end()));
    }
}

TEST_CASE("security policies: no acceptable offer is refused before the KMS is contacted (Error: Invalid SPpar)") {
    const roles::policy_offer offers[] = {{srtp_sp(1, sp_null_encr)}};
    auto s = with(1, true);
    s.offers = offers;
    parties p(s);
    const auto r = run(p, s);
    CHECK(r.error == errc::sp_not_acceptable);
    // RFC 6043 §4.2.2.2: "the Responder SHALL reject without contacting the KMS": no RESOLVE_INIT.
    REQUIRE(r.failed_at == 2);
    CHECK(r.messages.size() == 3);
    CHECK(p.res->current() == roles::responder<B, policy>::state::idle);
    CHECK(p.res->session_keys().empty());
    CHECK(!p.res->security_policy(cs_id(1)));
    // The Error it sends: RFC 3830 §6.12 Invalid SPpar (10), "SP parameters not supported".
    parties q(s);
    std::array<std::uint8_t, 8192> out{};
    const auto o = q.res->receive(r.messages[2].wire, base_now, *q.rng, out);
    CHECK(o.error == errc::sp_not_acceptable);
    REQUIRE(o.send_type == data_type::error);
    CHECK(message_view::parse(o.send)->first<err_view>()->code() == error_no::invalid_sppar);
    CHECK(q.res->current() == roles::responder<B, policy>::state::idle);
}

TEST_CASE("security policies: the Initiator refuses an authentic TRANSFER_RESP that breaks RFC 6043 §6.1.1, each rule its own error, and changes nothing") {
    const roles::policy_offer offers[] = {{srtp_sp(1, sp_aes256)}};
    auto s = with(4, false);
    s.offers = offers;
    parties base(s);
    const auto genuine = run(base, s);
    REQUIRE(genuine.established);
    const bytes ti = genuine.messages[0].wire;
    REQUIRE(blocks_of(genuine.messages[1].wire).size() == 2);

    const std::array<std::uint8_t, 2> one_and_seven{1, 7};
    const std::array<std::uint8_t, 1> nine{9}, seven{7}, one{1};
    const std::array<sp_builder, 1> sp7_aes256{srtp_sp(7, sp_aes256)}, sp7_tesla{sp_builder{7, prot_type::tesla, {}, {}}},
        sp7_aes128{srtp_sp(7, sp_aes128)}, sp1_same{srtp_sp(1, sp_aes256)}, sp1_other{srtp_sp(1, sp_aes128)},
        sp7_null{srtp_sp(7, sp_null_encr)};
    struct forged {
        const char* what;
        bytes_view policies;
        std::span<const sp_builder> sps;
        errc want;
    };
    const forged cases[] = {
        {"#P = 0", {}, {}, errc::sp_count_not_one},
        {"#P = 2", one_and_seven, sp7_aes256, errc::sp_count_not_one},
        {"a Policy_no no SP carries", nine, {}, errc::sp_not_found},
        {"an SP of another Prot type", seven, sp7_tesla, errc::sp_prot_mismatch},
        {"a policy that was not offered", seven, sp7_aes128, errc::sp_changed},
        {"ours resent with other parameters", one, sp1_other, errc::sp_changed},
        {"ours resent as it was: taken", one, sp1_same, errc::ok},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        parties p(s);
        errc got = errc::ok;
        const auto r = run(
            p, s, 1,
            [&](const bytes& tr) {
                auto blocks = blocks_of(tr);
                for (auto& b : blocks) b.policies = c.policies;
                return reseal_transfer_resp(p, s, ti, tr, blocks, c.sps);
            },
            true, base_now, &got);
        CHECK(got == c.want);
        // The genuine TRANSFER_RESP still completes the exchange: the forged one changed nothing.
        REQUIRE(r.error == errc::ok);
        CHECK(r.established);
        CHECK(policy_at_both(p, 1) == bytes(sp_aes256.begin(), sp_aes256.end()));
    }

    SUBCASE("without offers the Responder's own SP must pass accept_security_policy") {
        auto plain = with(4, false);
        parties p(plain);
        errc got = errc::ok;
        const auto r = run(
            p, plain, 1,
            [&](const bytes& tr) {
                auto blocks = blocks_of(tr);
                for (auto& b : blocks) b.policies = seven;
                parties b0(plain);
                const auto g = run(b0, plain);
                return reseal_transfer_resp(p, plain, g.messages[0].wire, tr, blocks, sp7_null);
            },
            true, base_now, &got);
        CHECK(got == errc::sp_not_acceptable);
        CHECK(r.established);
    }
}

// ------------------------------------------------------------ refusals of the role layer's rarer paths

namespace {

using ini_state = roles::initiator<B, policy>::state;
using res_state = roles::responder<B, policy>::state;

/// How relay() ended: the first refusal (ok: nothing more was sent) and what the refusing party sent.
struct relayed {
    errc error = errc::ok;
    data_type refused{};  ///< the type of the refused message
    bytes answer;         ///< what the refusing party sent (an Error, or nothing)
};

/// Delivers `first` (sent by the Initiator) and each answer to its receiver until nothing is sent.
template <class Cache>
relayed relay(basic_parties<Cache>& p, const roles::outcome& first, ntp_time now = base_now) {
    std::array<std::uint8_t, 8192> out{};
    bytes cur(first.send.begin(), first.send.end());
    data_type type = first.send_type;
    while (!cur.empty()) {
        const auto o = deliver(p, receiver_of(type), cur, now, out);
        if (!o) return {o.error, type, bytes(o.send.begin(), o.send.end())};
        cur.assign(o.send.begin(), o.send.end());
        type = o.send_type;
    }
    return {};
}

/// An RNG whose first `same` fills of 4 bytes (the KMS's SPI draws) all give 5A 5A 5A 5A.
struct colliding_spi_rng {
    crypto::deterministic_rng<B>* inner;
    int same = 2;
    result<void> fill(mutable_bytes out) noexcept {
        if (out.size() == 4 && same > 0) {
            --same;
            std::fill(out.begin(), out.end(), std::uint8_t{0x5a});
            return {};
        }
        return inner->fill(out);
    }
};
static_assert(random_generator<colliding_spi_rng>);

/// An RNG that fails once `budget` bytes have been drawn (a failing entropy source).
struct failing_rng {
    crypto::deterministic_rng<B>* inner;
    std::size_t budget = 0;
    result<void> fill(mutable_bytes out) noexcept {
        if (out.size() > budget) return errc::crypto_backend_failure;
        budget -= out.size();
        return inner->fill(out);
    }
};
static_assert(random_generator<failing_rng>);

/// A replay cache that answers `full` to its next `refuse` inserts (and records nothing for them).
struct refusing_cache {
    ticket::memory_replay_cache<64> table;
    int refuse = 0;
    ticket::replay_verdict insert_if_absent(bytes_view key, ntp_time expires, ntp_time now) noexcept {
        if (refuse > 0) {
            --refuse;
            return ticket::replay_verdict::full;
        }
        return table.insert_if_absent(key, expires, now);
    }
};
static_assert(ticket::replay_cache<refusing_cache>);

/// The Error no of an Error message (RFC 6043 §5.4), nullopt for anything else.
std::optional<error_no> error_code(bytes_view msg) {
    if (const auto e = ticket::request_resolve_error_view::parse(msg)) return e->fields().err->code();
    if (const auto e = ticket::transfer_error_view::parse(msg)) return e->fields().err->code();
    return std::nullopt;
}

}  // namespace

TEST_CASE("start_transfer: supplied keys naming one crypto session or one SPI twice, or more crypto sessions than a map "
          "holds, are refused with nothing sent; the ticket (J = 0) is still unused") {
    const auto s = with(3, true);  // flags FGHLOEI: L, no J
    parties p(s);
    std::array<std::uint8_t, 8192> out{};
    REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());
    const bytes k1(32, 0x41), k2(32, 0x42), spi_a{1, 2, 3, 4}, spi_b{5, 6, 7, 8};
    const roles::supplied_key same_cs[] = {
        {.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tek, .key = k1, .spi = spi_a},
        {.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tek, .key = k2, .spi = spi_b}};
    const roles::supplied_key same_spi[] = {
        {.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tek, .key = k1, .spi = spi_a},
        {.cs_id = 2, .ssrc = 0x1001, .kind = key_data_type::tek, .key = k2, .spi = spi_a}};
    // Keys for 15 new crypto sessions 3..17: with the 2 of the config, 17 blocks > max_crypto_sessions.
    const new_session_keys fifteen(15, k1, 0xa0, 0x2000);
    const std::span<const roles::supplied_key> many = fifteen.keys;
    static_assert(roles::max_crypto_sessions == 16);
    const std::span<const roles::supplied_key> refused[] = {same_cs, same_spi, many};
    for (const auto keys : refused) {
        CAPTURE(keys.size());
        const auto o = p.ini->start_transfer(base_now, *p.rng, out, keys);
        CHECK(o.error == errc::invalid_argument);
        CHECK(o.send.empty());
        CHECK(p.ini->current() == ini_state::ticket_ready);
        CHECK(p.ini->csb() == csb_id{});
    }
    // No transfer was counted: with J = 0 the one legitimate transfer still goes through.
    const auto ti = p.ini->start_transfer(base_now, *p.rng, out);
    REQUIRE(ti.ok());
    CHECK(relay(p, ti).error == errc::ok);
    CHECK(p.ini->current() == ini_state::established);
    CHECK(p.res->current() == res_state::established);
    check_same_keys(p);
}

TEST_CASE("KMS: a Ticket Request asking for more session keys than a ticket holds is refused with Invalid TPpar; the "
          "KMS then serves the next request") {
    const auto s = with(1, true, key_data_type::tgk, false);  // 16-byte keys: 16 of them fit the TP's KEMAC
    parties p(s);
    std::vector<roles::crypto_session_spec> sixteen;
    for (std::uint8_t i = 0; i < 16; ++i) sixteen.push_back({static_cast<std::uint8_t>(i + 1), 0x3000u + i});
    static_assert(roles::max_ticket_keys == 15);
    roles::initiator<B, policy> greedy(*p.backend, *p.p_i,
                                       {.identity = "sip:alice@example.org", .kms_identity = "kms.example.org",
                                        .responder = "sip:bob@example.org", .desired = desired_policy(s),
                                        .key_kind = s.kind, .key_length = s.key_length, .sessions = sixteen,
                                        .suite = s.suite});
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto req = greedy.start_request(base_now, *p.rng, o1);
    REQUIRE(req.ok());
    CHECK(message_view::parse(req.send)->count(payload_type::tp) == 1);
    const auto r = p.kms->receive(req.send, base_now, *p.rng, o2);
    CHECK(r.error == errc::policy_not_acceptable);
    REQUIRE(r.send_type == data_type::error);
    CHECK(ticket::request_resolve_error_view::parse(r.send)->fields().err->code() == error_no::invalid_tppar);
    CHECK(greedy.current() == ini_state::awaiting_request_resp);
    // The same KMS grants the ordinary request and the flow completes.
    const auto ok = run(p, s);
    CHECK(ok.error == errc::ok);
    CHECK(ok.established);
    check_same_keys(p);
}

TEST_CASE("KMS: a Ticket Request asking for session keys under 128 bits or over max_session_key_bytes is refused "
          "with Invalid TPpar (RFC 6043 §12.1)") {
    // This library's Initiator refuses such a config itself, so the request is sealed here by hand as
    // another implementation would send it: Alice's PSK, a TP whose KEMAC asks for one TGK of `length`.
    const auto s = with(1, true);
    parties p(s);
    const std::string alice = "sip:alice@example.org", bob = "sip:bob@example.org", kms = "kms.example.org";
    const bytes psk_i(32, 0x11), randri(32, 0x21);
    const auto request = [&](std::size_t length, mutable_bytes out) {
        static constexpr std::array<std::uint8_t, 64> zeros{};
        static constexpr std::array<std::uint8_t, 4> no_spi{};
        std::array<std::uint8_t, 256> plain{};
        byte_writer pw(plain);
        chain_writer(pw, std::nullopt)
            .add(key_data_builder{key_data_type::tgk, bytes_view(zeros).first(length), {}, kv_data{kv_type::spi, no_spi, {}, {}}});
        const roles::detail::timestamp ts(base_now), te(base_now + std::chrono::hours(1));
        std::array<std::uint8_t, 512> tp_buf{};
        byte_writer w(tp_buf);
        w.u8(0);  // TP Data: First Payload, then the chain (initiator.hpp desired_tp_data)
        chain_writer(w, std::size_t{0})
            .add(idr_builder{id_role::idrkms, id_type::uri, ticket::as_bytes(kms)})
            .add(idr_builder{id_role::idri, id_type::uri, ticket::as_bytes(alice)})
            .add(tr_builder{.role = ts_role::trs, .kind = ts_type::ntp_utc, .value = ts.bytes})
            .add(tr_builder{.role = ts_role::tre, .kind = ts_type::ntp_utc, .value = te.bytes})
            .add(kemac_builder{encr_alg::null, pw.written(), mac_alg::null, {}})
            .add(idr_builder{id_role::idrr, id_type::uri, ticket::as_bytes(bob)});
        REQUIRE(!pw.failed());
        REQUIRE(!w.failed());
        const auto k1 = roles::detail::protection(*p.backend, roles::detail::direction::initial, roles::detail::needs::auth_key,
                                                  s.suite, psk_i, csb_id(9), randri, {});
        REQUIRE(k1);
        const roles::detail::timestamp t(base_now);
        ticket::sealed_message_builder sb(out);
        sb.header(hdr_builder{data_type::request_init_psk, true, s.suite.prf, csb_id(9), empty_map{}, 1})
            .add(t.builder())
            .add(randr_builder{rand_role::randri, randri})
            .add(idr_builder{id_role::idri, id_type::uri, ticket::as_bytes(alice)})
            .add(idr_builder{id_role::idrkms, id_type::uri, ticket::as_bytes(kms)})
            .add(tp_builder{desired_policy(s), w.written(), {}, {}});
        const auto sealed = sb.seal(*p.backend, s.suite.mac, k1->auth_key.view(), {ticket::as_bytes(alice), ticket::as_bytes(kms)});
        REQUIRE(sealed);
        return bytes(sealed->begin(), sealed->end());
    };
    std::array<std::uint8_t, 8192> o1{}, o2{};
    for (const std::size_t length : {std::size_t{8}, std::size_t{15}, roles::detail::max_session_key_bytes + 1, std::size_t{48}}) {
        CAPTURE(length);
        const auto r = p.kms->receive(request(length, o1), base_now, *p.rng, o2);
        CHECK(r.error == errc::policy_not_acceptable);
        REQUIRE(r.send_type == data_type::error);
        CHECK(ticket::request_resolve_error_view::parse(r.send)->fields().err->code() == error_no::invalid_tppar);
    }
    // The same hand-made request at 16 and at 32 bytes is granted (the construction is sound).
    for (const std::size_t length : {std::size_t{16}, roles::detail::max_session_key_bytes}) {
        CAPTURE(length);
        const auto r = p.kms->receive(request(length, o1), base_now + std::chrono::seconds(length), *p.rng, o2);
        CHECK(r.error == errc::ok);
        CHECK(r.send_type == data_type::request_resp);
    }
}

TEST_CASE("KMS: two random SPIs that collide are drawn again, so each key of a ticket has its own SPI") {
    const auto s = with(1, true);
    parties p(s);
    std::array<std::uint8_t, 8192> o1{}, o2{}, o3{};
    const auto req = p.ini->start_request(base_now, *p.rng, o1);
    REQUIRE(req.ok());
    colliding_spi_rng rng{&*p.rng};
    const auto resp = p.kms->receive(req.send, base_now, rng, o2);
    REQUIRE(resp.ok());
    CHECK(rng.same == 0);  // both SPI draws gave 5A5A5A5A
    REQUIRE(p.ini->receive(resp.send, base_now, *p.rng, o3).ok());
    const auto ti = p.ini->start_transfer(base_now, *p.rng, o1);
    REQUIRE(ti.ok());
    CHECK(relay(p, ti).error == errc::ok);
    check_same_keys(p);
    const auto keys = p.ini->session_keys();
    REQUIRE(keys.size() == 2);
    const bytes drawn{0x5a, 0x5a, 0x5a, 0x5a};
    CHECK(equal_bytes(keys[0].spi_view(), drawn));
    CHECK(keys[1].spi_view().size() == 4);
    CHECK(!equal_bytes(keys[1].spi_view(), drawn));
    // The GENERIC-ID blocks of TRANSFER_INIT name the two SPIs.
    const auto blocks = blocks_of(ti.send);
    REQUIRE(blocks.size() == 2);
    CHECK(equal_bytes(blocks[0].spi, drawn));
    CHECK(equal_bytes(blocks[1].spi, keys[1].spi_view()));
}

TEST_CASE("KMS: an RNG that fails while drawing a ticket's keys refuses the request; nothing sent, the KMS unchanged") {
    const auto s = with(1, true);
    parties p(s);
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto req = p.ini->start_request(base_now, *p.rng, o1);
    REQUIRE(req.ok());
    failing_rng dry{&*p.rng, 40};  // the MPK (32 bytes) and then not a whole session key
    const auto r = p.kms->receive(req.send, base_now, dry, o2);
    CHECK(r.error == errc::crypto_backend_failure);
    CHECK(r.send.empty());
    CHECK(p.ini->current() == ini_state::awaiting_request_resp);
    // Another request of the same Initiator is served (the refused one stays recorded as seen).
    p.ini->abandon();
    const auto again = p.ini->start_request(base_now + std::chrono::seconds(1), *p.rng, o1);
    REQUIRE(again.ok());
    CHECK(relay(p, again, base_now + std::chrono::seconds(1)).error == errc::ok);
    check_same_keys(p);
}

TEST_CASE("a replay cache that answers full: each party refuses the message with replay_cache_full (Error: Unspecified), and "
          "takes the same message once the cache has room") {
    const auto s = with(1, true);
    basic_parties<refusing_cache> p(s);
    std::array<std::uint8_t, 8192> out{};
    roles::outcome o = p.ini->start_request(base_now, *p.rng, out);
    REQUIRE(o.ok());
    bytes cur(o.send.begin(), o.send.end());
    data_type type = o.send_type;
    int refused = 0;
    while (!cur.empty()) {
        const role to = receiver_of(type);
        refusing_cache& c = to == role::kms ? *p.c_kms : to == role::initiator ? *p.c_i : *p.c_r;
        CAPTURE(static_cast<int>(type));
        if (type == data_type::transfer_init) {
            // Checked for replay only once its ticket is resolved, with the RESOLVE_RESP (§4.2.2.2).
            o = deliver(p, to, cur, base_now, out);
            REQUIRE(o.ok());
            cur.assign(o.send.begin(), o.send.end());
            type = o.send_type;
            continue;
        }
        const auto ini_before = p.ini->current();
        const auto res_before = p.res->current();
        c.refuse = 1;
        const auto full = deliver(p, to, cur, base_now, out);
        CHECK(full.error == errc::replay_cache_full);
        // Authentic but not taken: answered with Unspecified error (no code fits a full cache).
        CHECK(full.send_type == data_type::error);
        CHECK(error_code(full.send) == error_no::unspecified);
        CHECK(p.ini->current() == ini_before);
        CHECK(p.res->current() == res_before);
        ++refused;
        o = deliver(p, to, cur, base_now, out);
        REQUIRE(o.ok());
        if (o.send.empty() && type == data_type::request_resp) o = p.ini->start_transfer(base_now, *p.rng, out);
        cur.assign(o.send.begin(), o.send.end());
        type = o.send_type;
    }
    CHECK(refused == 5);  // REQUEST_INIT, REQUEST_RESP, RESOLVE_INIT, RESOLVE_RESP (with TRANSFER_INIT), TRANSFER_RESP
    CHECK(p.ini->current() == roles::initiator<B, basic_parties<refusing_cache>::policy>::state::established);
    CHECK(p.res->current() == roles::responder<B, basic_parties<refusing_cache>::policy>::state::established);
    REQUIRE(p.ini->session_keys().size() == 2);
    CHECK(equal_bytes(p.ini->session_keys()[0].tek.view(), p.res->session_keys()[0].tek.view()));
}

TEST_CASE("Responder's own keys (M flag): one replaces a crypto session's key; too many or repeated are refused, the "
          "keys set before kept; keys for more crypto sessions than a map holds refuse the exchange") {
    auto s = with(1, true);
    s.flags = "DEFGHIJM";  // M: the Responder may supply keys; J: the ticket may be used again after a refusal
    parties p(s);
    std::array<std::uint8_t, 8192> out{};
    const bytes k(32, 0x61), spi_r{0xbe, 0xef, 0, 1};
    // Keys for 33 new crypto sessions (the first 15: with TRANSFER_INIT's 2, 17 blocks).
    const new_session_keys thirty_three(33, k, 0xc0, 0x4000);
    const std::span<const roles::supplied_key> many = thirty_three.keys;
    REQUIRE(p.res->set_response_keys(std::span<const roles::supplied_key>(many).first(15)));
    const auto r = run(p, s);
    CHECK(r.error == errc::bad_crypto_sessions);
    CHECK(r.failed_at == 4);  // RESOLVE_RESP: the TRANSFER_INIT it resolved cannot be answered
    CHECK(p.res->current() == res_state::idle);
    CHECK(p.res->session_keys().empty());
    CHECK(p.ini->current() == ini_state::awaiting_transfer_resp);

    // One key for crypto session 1 (TRANSFER_INIT's): it replaces the ticket's key of that session.
    const roles::supplied_key own_one[] = {{.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tek, .key = k, .spi = spi_r}};
    REQUIRE(p.res->set_response_keys(own_one));
    // More than max_crypto_sessions keys, or two for one crypto session: refused, own_one kept.
    CHECK(p.res->set_response_keys(std::span<const roles::supplied_key>(many).first(17)).error() == errc::invalid_argument);
    CHECK(p.res->set_response_keys(many).error() == errc::invalid_argument);  // 33: more than the candidates held
    const roles::supplied_key twice[] = {own_one[0], {.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tek, .key = k,
                                                      .spi = thirty_three.spis[0]}};
    CHECK(p.res->set_response_keys(twice).error() == errc::invalid_argument);

    p.ini->abandon();
    REQUIRE(p.ini->current() == ini_state::ticket_ready);
    const auto ti = p.ini->start_transfer(base_now + std::chrono::seconds(1), *p.rng, out);
    REQUIRE(ti.ok());
    CHECK(relay(p, ti, base_now + std::chrono::seconds(1)).error == errc::ok);
    CHECK(p.res->current() == res_state::established);
    CHECK(p.ini->current() == ini_state::established);
    check_same_keys(p);
    const auto keys = p.ini->session_keys();
    REQUIRE(keys.size() == 2);
    CHECK(keys[0].kind == key_data_type::tek);
    CHECK(equal_bytes(keys[0].key.view(), k));
    CHECK(equal_bytes(keys[0].spi_view(), spi_r));
    CHECK(!equal_bytes(keys[1].key.view(), k));  // CS 2 keeps the ticket's key
}

TEST_CASE("Responder: a TRANSFER_INIT whose IDRi is not the ticket's Initiator is refused with identity_mismatch, "
          "an Error sent, and the genuine one then accepted") {
    const auto s = with(4, false);  // the Responder resolves itself; TRANSFER_INIT protected with MPKi
    parties p(s);
    std::array<std::uint8_t, 8192> o1{}, o2{}, o3{};
    REQUIRE(p.ini->create_ticket(base_now, *p.rng).ok());
    const auto ti = p.ini->start_transfer(base_now, *p.rng, o1);
    REQUIRE(ti.ok());
    const bytes genuine(ti.send.begin(), ti.send.end());
    // Alice (she holds MPKi) names Carol as the Initiator: authentic, but not the ticket's IDRi.
    const auto init = ticket::transfer_init_view::parse(genuine);
    REQUIRE(init);
    const auto h = init->header();
    const auto blocks = blocks_of(genuine);
    const auto k1 = roles::detail::protection(*p.backend, roles::detail::direction::initial,
                                              roles::detail::needs::auth_key, s.suite, p.ini->mpki(), h.csb(),
                                              init->randri()->value(), {});
    REQUIRE(k1);
    const auto carol = ticket::as_bytes("sip:carol@example.org");
    ticket::sealed_message_builder sb(o2);
    sb.header(hdr_builder{data_type::transfer_init, h.v_flag(), h.prf(), h.csb(), blocks, h.version()})
        .add(init->t().to_builder())
        .add(init->randri()->to_builder())
        .add(idr_builder{id_role::idri, id_type::uri, carol})
        .add(init->idrr()->to_builder())
        .add_ticket(*init->ticket(), std::nullopt);
    const auto forged = sb.seal(*p.backend, s.suite.mac, k1->auth_key.view(), {carol, ticket::as_bytes("sip:bob@example.org")});
    REQUIRE(forged);
    const bytes forged_bytes(forged->begin(), forged->end());
    const auto r = p.res->receive(forged_bytes, base_now, *p.rng, o3);
    CHECK(r.error == errc::identity_mismatch);
    REQUIRE(r.send_type == data_type::error);
    CHECK(error_code(r.send) == error_no::unspecified);
    CHECK(p.res->current() == res_state::idle);
    CHECK(p.res->session_keys().empty());
    // The genuine TRANSFER_INIT: answered, both ends keyed.
    const auto answer = p.res->receive(genuine, base_now, *p.rng, o3);
    REQUIRE(answer.ok());
    REQUIRE(answer.send_type == data_type::transfer_resp);
    REQUIRE(p.ini->receive(answer.send, base_now, *p.rng, o1).ok());
    CHECK(equal_bytes(p.res->peer_identity(), ticket::as_bytes("sip:alice@example.org")));
    check_same_keys(p);
}

TEST_CASE("CSB update: a supplied key without an SPI, with an SPI over 8 bytes or a key over 64 bytes is refused with "
          "nothing sent; an update under an Encr alg the receiver's policy refuses is refused there; both ends unchanged") {
    auto s = with(1, true);
    s.flags = "DEFGHIL";  // L: the Initiator may send keys
    s.suite.encr = encr_alg::null;  // the Initiator's update KEMACs: NULL encryption (its policy allows it)
    s.settings.encrs |= 1u << static_cast<unsigned>(encr_alg::null);
    parties p(s);
    // The Responder's policy: the defaults (no NULL encryption), its own suite AES-CM-256.
    auto strong = with(1, true);
    p.p_r.emplace(p.ks_r, *p.c_r, strong.settings);
    p.res.emplace(*p.backend, *p.p_r,
                  roles::responder_config{.identity = "sip:bob@example.org", .kms_identity = "kms.example.org",
                                          .suite = strong.suite});
    REQUIRE(run(p, s).established);
    check_same_keys(p);
    const auto before_i = teks(p.ini->session_keys());
    const auto before_r = teks(p.res->session_keys());
    std::array<std::uint8_t, 8192> o1{}, o2{};
    const auto later = base_now + std::chrono::seconds(5);
    const roles::crypto_session_spec two[] = {{1, 0x1000}, {2, 0x1001}};
    const bytes k16(16, 0x71), k65(65, 0x72), spi9(9, 0x01), spi4{9, 9, 9, 9};
    const roles::supplied_key no_spi[] = {{.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tek, .key = k16}};
    const roles::supplied_key long_spi[] = {{.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tek, .key = k16, .spi = spi9}};
    const roles::supplied_key long_key[] = {{.cs_id = 1, .ssrc = 0x1000, .kind = key_data_type::tek, .key = k65, .spi = spi4}};
    const std::span<const roles::supplied_key> bad[] = {no_spi, long_spi, long_key};
    for (const auto keys : bad) {
        const auto u = p.ini->start_update(later, *p.rng, o1, two, false, true, keys);
        CHECK(u.error == errc::invalid_argument);
        CHECK(u.send.empty());
        CHECK(p.ini->current() == ini_state::established);
        CHECK(teks(p.ini->session_keys()) == before_i);
    }
    // A rekey: its KEMAC is NULL-encrypted, which the Responder's policy does not allow (Error: Invalid EA).
    const auto rekey = p.ini->start_update(later, *p.rng, o1, two, true, true);
    REQUIRE(rekey.ok());
    const auto refused = p.res->receive(rekey.send, later, *p.rng, o2);
    CHECK(refused.error == errc::encr_not_allowed);
    REQUIRE(refused.send_type == data_type::error);
    CHECK(p.res->current() == res_state::established);
    CHECK(teks(p.res->session_keys()) == before_r);
    // Without new keys (no KEMAC) the next update goes through at both ends.
    p.ini->abandon();
    CHECK(teks(p.ini->session_keys()) == before_i);
    const auto again = later + std::chrono::seconds(1);
    const roles::crypto_session_spec three[] = {{1, 0x1000}, {2, 0x1001}, {3, 0x1002}};
    const auto add = p.ini->start_update(again, *p.rng, o1, three, false, true);
    REQUIRE(add.ok());
    const auto ans = p.res->receive(add.send, again, *p.rng, o2);
    REQUIRE(ans.ok());
    REQUIRE(p.ini->receive(ans.send, again, *p.rng, o1).ok());
    check_same_keys(p);
    CHECK(p.ini->session_keys().size() == 3);
}

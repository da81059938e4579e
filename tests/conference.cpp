// The conference layer (seed 000 flows 1-5 step by step, in both key
// models), the negatives of the seeds, the management interface and SSRC
// uniqueness: each refusal has its own error and changes no conference state.
#include "conference_world.hpp"

#if !(defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)) && \
    !defined(DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS)
#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#endif
#include <doctest/doctest.h>
#include <mikey/srtp.hpp>

#include <set>

using namespace conference_test;
using conference::destination;
using conference::key_model;
using conference::step;

namespace {

const std::string A = "sip:alice@example.org", Bo = "sip:bob@example.org", C = "sip:carol@example.org",
                  D = "sip:dave@example.org", E = "sip:erin@example.org", M = "sip:mallory@example.org";
const std::string uri1 = "sip:focus1.conference1@operator.example";

bytes tek_of(std::span<const roles::session_key> keys, std::uint8_t cs) {
    for (const auto& k : keys) {
        if (k.cs.get() == cs) return bytes(k.tek.view().begin(), k.tek.view().end());
    }
    return {};
}

/// What a refusal must leave unchanged.
struct snapshot {
    std::set<std::string, std::less<>> authorized;
    std::vector<std::string> members;
    std::uint32_t epoch = 0;
    conference::settings config{};
    bool operator==(const snapshot&) const = default;
};
snapshot snap(const conference::record& r) {
    snapshot s{r.authorized, {}, r.epoch, r.config};
    for (const auto& m : r.members) s.members.push_back(m.identity);
    return s;
}

/// Flow 1: Alice creates a conference for Bob, Carol and Dave; returns the record.
conference::record create(world& w, key_model model) {
    auto& alice = w.agent(A);
    const std::string_view invited[] = {Bo, C, D};
    conference::settings cfg{};
    cfg.keys = model;
    cfg.bfcp = cfg.event_package = true;
    w.factory->set_defaults(cfg);
    // 1a: ticket for the factory and the intended participants; TRANSFER_INIT to the factory.
    auto s = w.kms_round(alice, alice.create(w.names, invited, w.now, *w.rng));
    REQUIRE(s.ok());
    const auto* ti = s.to_peer(factory_uri);
    REQUIRE(ti);
    CHECK(ti->type == data_type::transfer_init);
    // 1b: the factory allocates focus1, resolves under it, records creator and authorized set.
    auto f = w.kms_round(*w.factory, w.factory->on_invite(ti->bytes, w.now, *w.rng));
    REQUIRE(f.ok());
    REQUIRE(f.created);
    CHECK(f.created->uri == uri1);
    CHECK(f.created->creator == A);
    CHECK(f.created->authorized == std::set<std::string, std::less<>>{Bo, C, D});
    CHECK(f.created->config == cfg);
    const auto* resp = f.to_peer(A);
    REQUIRE(resp);
    CHECK(resp->type == data_type::transfer_resp);
    // 1c: the TRANSFER_RESP authenticates the conference URI (its IDRr, forked key).
    const auto r = alice.on_peer(s.id, resp->bytes, w.now, *w.rng);
    REQUIRE(r.ok());
    CHECK(r.done);
    CHECK(r.who == uri1);
    CHECK(w.factory->pending_count() == 0);
    return *f.created;
}

/// Call-in (flows 2, 3, 5c): `who` joins through the focus; returns the focus's step.
step call_in(world& w, focus_type& focus, const std::string& who, std::span<const std::string_view> allow = {}) {
    auto& u = w.agent(who);
    auto s = w.kms_round(u, u.join(uri1, allow, w.now, *w.rng));
    REQUIRE(s.ok());
    const auto* ti = s.to_peer(uri1);
    REQUIRE(ti);
    auto f = w.kms_round(focus, focus.on_invite(ti->bytes, w.now, *w.rng));
    if (!f.ok()) {
        MESSAGE("call-in of " << who << " refused: " << to_string(f.error));
        return f;
    }
    CHECK(f.done);
    CHECK(f.who == who);
    const auto* resp = f.to_peer(who);
    REQUIRE(resp);
    const auto r = u.on_peer(s.id, resp->bytes, w.now, *w.rng);
    REQUIRE(r.ok());
    CHECK(r.who == uri1);
    CHECK(u.in_conference(uri1));
    return f;
}

/// Delivers the CSB updates of a focus step to the members; checks each answers nothing (no V flag).
void deliver_updates(world& w, const step& f, std::string_view except) {
    for (const auto& m : f.messages) {
        if (m.to != destination::peer || m.peer == except || m.type != data_type::transfer_init) continue;
        const auto r = w.agent(m.peer).on_update(uri1, m.bytes, w.now, *w.rng);
        CAPTURE(m.peer);
        REQUIRE(r.ok());
        CHECK(r.messages.empty());
    }
}

void check_same_keys(world& w, focus_type& focus, const std::string& who) {
    const auto mine = w.agent(who).keys_of(uri1);
    const auto theirs = focus.keys_of(who);
    REQUIRE(mine.size() == theirs.size());
    REQUIRE(!mine.empty());
    for (std::size_t i = 0; i < mine.size(); ++i) {
        CHECK(mine[i].cs == theirs[i].cs);
        CHECK(mine[i].ssrc == theirs[i].ssrc);
        CHECK(equal_bytes(mine[i].tek.view(), theirs[i].tek.view()));
        CHECK(equal_bytes(mine[i].salt.view(), theirs[i].salt.view()));
        // RFC 6043 §6.1.1: one security policy per crypto session, the same at both ends: the
        // conference's AES-256-CM with HMAC-SHA1-80 (offered by the Initiator, named by the Responder).
        const auto a = w.agent(who).security_policy_of(uri1, mine[i].cs);
        const auto b = focus.security_policy_of(who, mine[i].cs);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(equal_bytes(a->param_bytes(), b->param_bytes()));
        CHECK(equal_bytes(a->param_bytes(), conference::conference_srtp_policy));
        const auto pol = srtp::policy_from(*a);
        REQUIRE(pol);
        CHECK(pol->rtp.profile == srtp::suite::aes_cm_256_hmac_sha1_80);
        CHECK(srtp::master_key_from(mine[i], *pol));
    }
}

/// A TRANSFER_INIT for the focus of uri1 that `who` builds with the role layer itself (a peer
/// that is no conference::participant): its own crypto sessions and IDRapp list.
bytes raw_transfer_init(world& w, const std::string& who, std::span<const roles::crypto_session_spec> sessions,
                        std::span<const std::string_view> applications = {}) {
    const roles::policy_offer offer[] = {conference::media_offer(w.machines.srtp_policy)};
    roles::initiator<B, inner_policy> ini(*w.backend, *w.users.at(who)->p,
                                          roles::initiator_config{.identity = who,
                                                                  .kms_identity = kms_uri,
                                                                  .responder = uri1,
                                                                  .applications = applications,
                                                                  .desired = conference::conference_ticket_policy(
                                                                      w.machines.suite.prf),
                                                                  .key_kind = key_data_type::tgk,
                                                                  .key_length = w.machines.key_length,
                                                                  .sessions = sessions,
                                                                  .suite = w.machines.suite,
                                                                  .security_policies = offer});
    std::vector<std::uint8_t> out(4096), kms_out(4096);
    const auto req = ini.start_request(w.now, *w.rng, out);
    REQUIRE(req.ok());
    const auto resp = w.kms->receive(req.send, w.now, *w.rng, kms_out);
    REQUIRE(resp.ok());
    REQUIRE(ini.receive(resp.send, w.now, *w.rng, out).ok());
    const auto ti = ini.start_transfer(w.now, *w.rng, out);
    REQUIRE(ti.ok());
    return as_vector(ti.send);
}

/// The world's RNG, except that every 4-byte draw (random_u32: an SSRC, a CSB ID) fails.
struct u32_failing_rng {
    crypto::deterministic_rng<B>* inner;
    [[nodiscard]] result<void> fill(mutable_bytes out) noexcept {
        if (out.size() == 4) return errc::crypto_backend_failure;
        return inner->fill(out);
    }
};

/// A broken generator that yields only zero bytes.
struct zero_rng {
    [[nodiscard]] result<void> fill(mutable_bytes out) noexcept {
        std::fill(out.begin(), out.end(), std::uint8_t{0});
        return {};
    }
};

bytes group_tek(const focus_type& focus) {
    if (!focus.group_key()) return {};
    return bytes(focus.group_key()->key.view().begin(), focus.group_key()->key.view().end());
}

}  // namespace

TEST_CASE("message_slot: a message written in place is taken without a copy; a slot dropped keeps nothing") {
    using conference::detail::message_slot;
    step s{};
    const bytes first(100, 0x11);
    conference::detail::take(s, roles::outcome{errc::ok, 0, first, data_type::transfer_init, 0}, destination::peer,
                             "sip:a@example.org");
    const auto* block = s.messages.back().storage.get();
    const std::size_t used = block->used;
    {
        // Written into, then dropped: the block's fill does not move, the next message goes there.
        message_slot dropped(s, "sip:b@example.org", 4096);
        CHECK(dropped.out().size() >= 4096);
        std::fill_n(dropped.out().begin(), 50, std::uint8_t{0x22});
    }
    CHECK(block->used == used);
    message_slot slot(s, "sip:c@example.org", 4096);
    const auto out = slot.out();
    CHECK(out.data() == block->data.get() + used + std::string_view("sip:c@example.org").size());
    std::fill_n(out.begin(), 60, std::uint8_t{0x33});
    slot.commit(s, destination::peer, data_type::transfer_init, bytes_view(out.first(60)));
    REQUIRE(s.messages.size() == 2);
    CHECK(s.messages[1].bytes.data() == out.data());  // in place: no copy
    CHECK(as_vector(s.messages[1].bytes) == bytes(60, 0x33));
    CHECK(s.messages[1].peer == "sip:c@example.org");
    CHECK(s.messages[1].storage.get() == block);
    CHECK(as_vector(s.messages[0].bytes) == first);  // the earlier message is untouched
    // Less room left than asked for: a new block.
    message_slot big(s, "sip:d@example.org", block->capacity);
    CHECK(big.out().size() >= block->capacity);
    const bool elsewhere = big.out().data() < block->data.get() || big.out().data() >= block->data.get() + block->capacity;
    CHECK(elsewhere);
}

TEST_CASE("step messages: bytes and peer names live in shared blocks that each message keeps alive") {
    step s{};
    std::vector<bytes> sent;
    std::vector<std::string> peers;
    const auto add = [&](bytes b, std::string peer, destination to) {
        sent.push_back(std::move(b));
        peers.push_back(std::move(peer));
        roles::outcome o{};
        o.send = sent.back();
        o.send_type = data_type::transfer_init;
        conference::detail::take(s, o, to, std::string(peers.back()));  // a temporary: take copies it
    };
    for (std::size_t i = 0; i < 200; ++i) {  // about 64 KiB in all: several blocks
        add(bytes(300 + i % 7, static_cast<std::uint8_t>(i)), "sip:user" + std::to_string(i) + "@example.org",
            destination::peer);
    }
    add(bytes(conference::detail::message_block_size + 5, 0xAB), "sip:big@example.org", destination::peer);
    add(bytes(20, 0xCD), "", destination::kms);  // no peer name
    roles::outcome none{};
    conference::detail::take(s, none, destination::peer, "sip:nobody@example.org");  // nothing to send: no message
    REQUIRE(s.messages.size() == sent.size());
    std::set<const void*> blocks;
    for (std::size_t i = 0; i < sent.size(); ++i) {
        CAPTURE(i);
        CHECK(as_vector(s.messages[i].bytes) == sent[i]);
        CHECK(s.messages[i].peer == peers[i]);
        CHECK(s.messages[i].type == data_type::transfer_init);
        blocks.insert(s.messages[i].storage.get());
    }
    CHECK(s.messages.back().to == destination::kms);
    // A new block starts only when the next message does not fit the last one's block: 200
    // updates of about 330 bytes fill a handful, the oversized message has one of its own
    // (exactly its size), and the last message starts another.
    for (std::size_t i = 0; i + 1 < sent.size(); ++i) {
        CAPTURE(i);
        const auto& block = *s.messages[i].storage;
        const std::size_t next_need = peers[i + 1].size() + sent[i + 1].size();
        // (A block that was left is never written again, so its final fill is the one that
        // did not take the next message.)
        if (s.messages[i + 1].storage != s.messages[i].storage) CHECK(block.capacity - block.used < next_need);
    }
    std::size_t starts = 1;
    for (std::size_t i = 1; i < sent.size(); ++i) starts += s.messages[i].storage != s.messages[i - 1].storage;
    CHECK(blocks.size() == starts);  // a block left is never taken again
    CHECK(blocks.size() <= 2 + (200 * 330) / conference::detail::message_block_size + 1);
    CHECK(s.messages[200].storage->capacity == sent[200].size() + peers[200].size());
    // A copy outlives its step; messages moved into another step keep their bytes.
    const conference::message kept = s.messages[7];
    step later{};
    later.messages.push_back(s.messages[150]);
    s = step{};
    CHECK(as_vector(kept.bytes) == sent[7]);
    CHECK(kept.peer == peers[7]);
    CHECK(as_vector(later.messages[0].bytes) == sent[150]);
    // Appending to a step whose last message shares a block with another step's messages
    // writes past both: neither changes.
    add(bytes(40, 0xEE), "sip:after@example.org", destination::peer);
    CHECK(as_vector(s.messages.back().bytes) == bytes(40, 0xEE));
    conference::detail::take(later, roles::outcome{errc::ok, 0, sent.back(), data_type::transfer_resp, 0},
                             destination::peer, "sip:later@example.org");
    CHECK(later.messages[1].storage == later.messages[0].storage);
    CHECK(as_vector(later.messages[0].bytes) == sent[150]);
    CHECK(as_vector(later.messages[1].bytes) == bytes(40, 0xEE));
    CHECK(later.messages[1].peer == "sip:later@example.org");
    CHECK(as_vector(kept.bytes) == sent[7]);
}

TEST_CASE("conference flows 1-5 step by step, both key models") {
    for (const auto model : {key_model::group, key_model::individual}) {
        CAPTURE(static_cast<int>(model));
        world w(7);
        focus_type focus(*w.backend, *w.p_server, w.conf_policy, w.machines, create(w, model));
        CHECK(focus.conference().uri == uri1);

        // Flow 2: the creator joins, allowing Erin too with its new ticket (2a).
        const std::string_view allow[] = {E};
        const auto f2 = call_in(w, focus, A, allow);
        REQUIRE(f2.ok());
        CHECK(focus.conference().is_authorized(E));
        check_same_keys(w, focus, A);
        const bytes alice_first = tek_of(w.agent(A).keys_of(uri1), conference::cs_focus_media);
        CHECK(alice_first.size() == 32);
        CHECK(tek_of(w.agent(A).keys_of(uri1), conference::cs_bfcp).size() == 32);
        CHECK(tek_of(w.agent(A).keys_of(uri1), conference::cs_event_package).size() == 32);

        // Flow 3: Bob joins knowing the URI. Group model: a new group TEK, sent to Alice too.
        const auto f3 = call_in(w, focus, Bo);
        REQUIRE(f3.ok());
        check_same_keys(w, focus, Bo);
        const bytes bob_focus = tek_of(w.agent(Bo).keys_of(uri1), conference::cs_focus_media);
        if (model == key_model::group) {
            REQUIRE(f3.to_peer(A));
            CHECK(f3.to_peer(A)->type == data_type::transfer_init);
            deliver_updates(w, f3, Bo);
            CHECK(tek_of(w.agent(A).keys_of(uri1), conference::cs_focus_media) == bob_focus);
            CHECK(bob_focus != alice_first);
            CHECK(bytes(focus.group_key()->key.view().begin(), focus.group_key()->key.view().end()) == bob_focus);
            CHECK(focus.conference().epoch == 2);
        } else {
            CHECK(!f3.to_peer(A));  // individual keys: nobody else holds Bob's, no rekey
            CHECK(tek_of(w.agent(A).keys_of(uri1), conference::cs_focus_media) == alice_first);
            CHECK(bob_focus != alice_first);
            CHECK(focus.conference().epoch == 0);
        }
        // Alice's own stream key (TGK' forked for her) differs from Bob's.
        CHECK(tek_of(w.agent(A).keys_of(uri1), conference::cs_member_media) !=
              tek_of(w.agent(Bo).keys_of(uri1), conference::cs_member_media));
        check_same_keys(w, focus, A);

        // Flow 4: Alice REFERs the focus to Dave; the focus authenticates her, calls Dave out.
        {
            auto& alice = w.agent(A);
            auto s = w.kms_round(alice, alice.refer_to_focus(uri1, D, w.now, *w.rng));
            REQUIRE(s.ok());
            const auto* ti = s.to_peer(uri1);
            REQUIRE(ti);
            auto f = w.kms_round(focus, focus.on_refer(ti->bytes, D, w.now, *w.rng));
            REQUIRE(f.ok());
            const auto* to_alice = f.to_peer(A);
            const auto* to_dave = f.to_peer(D);
            REQUIRE(to_alice);
            REQUIRE(to_dave);
            CHECK(to_alice->type == data_type::transfer_resp);
            CHECK(to_dave->type == data_type::transfer_init);
            const auto ra = alice.on_peer(s.id, to_alice->bytes, w.now, *w.rng);
            REQUIRE(ra.ok());
            CHECK(ra.who == uri1);  // 4a: the focus authenticated to the referrer
            // 4c: Dave resolves; the ticket's requester is the focus.
            auto& dave = w.agent(D);
            auto d = w.kms_round(dave, dave.on_call_out(to_dave->bytes, uri1, w.now, *w.rng));
            REQUIRE(d.ok());
            CHECK(d.done);
            CHECK(dave.in_conference(uri1));
            const auto* back = d.to_peer(uri1);
            REQUIRE(back);
            // 4d: the focus authenticates Dave.
            const auto fd = focus.on_peer(f.id, back->bytes, w.now, *w.rng);
            REQUIRE(fd.ok());
            CHECK(fd.done);
            CHECK(fd.who == D);
            CHECK(focus.conference().find(D)->called_out);
            check_same_keys(w, focus, D);
            if (model == key_model::group) {
                deliver_updates(w, fd, D);
                for (const auto& who : {A, Bo}) {
                    CHECK(tek_of(w.agent(who).keys_of(uri1), conference::cs_focus_media) ==
                          tek_of(dave.keys_of(uri1), conference::cs_focus_media));
                }
            }
        }

        // Flow 5: Alice REFERs Erin, who checks the focus Alice named, then joins.
        {
            auto& alice = w.agent(A);
            auto& erin = w.agent(E);
            auto s = w.kms_round(alice, alice.refer_to_user(uri1, E, w.now, *w.rng));
            REQUIRE(s.ok());
            const auto* ti = s.to_peer(E);
            REQUIRE(ti);
            auto e = w.kms_round(erin, erin.on_refer(ti->bytes, uri1, w.now, *w.rng));
            REQUIRE(e.ok());
            const auto* to_alice = e.to_peer(A);
            const auto* join = e.to_peer(uri1);
            REQUIRE(to_alice);
            REQUIRE(join);
            const auto ra = alice.on_peer(s.id, to_alice->bytes, w.now, *w.rng);
            REQUIRE(ra.ok());
            CHECK(ra.who == E);  // 5a: Erin authenticated to Alice
            auto f = w.kms_round(focus, focus.on_invite(join->bytes, w.now, *w.rng));
            REQUIRE(f.ok());
            CHECK(f.who == E);
            const auto r = erin.on_peer(e.id, f.to_peer(E)->bytes, w.now, *w.rng);
            REQUIRE(r.ok());
            CHECK(r.who == uri1);
            check_same_keys(w, focus, E);
            if (model == key_model::group) deliver_updates(w, f, E);
        }
        CHECK(focus.conference().members.size() == 4);
        for (const auto& who : {A, Bo, D, E}) check_same_keys(w, focus, who);
        CHECK(focus.pending() == 0);

        // Leave: Bob goes; the group rekeys and Bob's last key is not the new one.
        const bytes bob_last = tek_of(w.agent(Bo).keys_of(uri1), conference::cs_focus_media);
        const auto fl = focus.leave(Bo, w.now, *w.rng);
        REQUIRE(fl.ok());
        CHECK(focus.keys_of(Bo).empty());
        CHECK(!focus.conference().find(Bo));
        if (model == key_model::group) {
            CHECK(!fl.to_peer(Bo));
            deliver_updates(w, fl, Bo);
            for (const auto& who : {A, D, E}) {
                const bytes now_key = tek_of(w.agent(who).keys_of(uri1), conference::cs_focus_media);
                CHECK(now_key != bob_last);
                CHECK(now_key == bytes(focus.group_key()->key.view().begin(), focus.group_key()->key.view().end()));
            }
        } else {
            CHECK(fl.messages.empty());
        }
        CHECK(focus.leave(Bo, w.now, *w.rng).error == errc::not_a_member);
    }
}

TEST_CASE("conference negatives: each refusal has its own error and changes no conference state") {
    world w(11);
    w.conf_policy.creators = {A};
    focus_type focus(*w.backend, *w.p_server, w.conf_policy, w.machines, create(w, key_model::group));
    REQUIRE(call_in(w, focus, A).ok());
    REQUIRE(call_in(w, focus, Bo).ok());
    const auto before = snap(focus.conference());

    SUBCASE("unauthorized creator: refused before the KMS, with an Error (Invalid ID)") {
        auto& mal = w.agent(M);
        auto s = w.kms_round(mal, mal.create(w.names, {}, w.now, *w.rng));
        REQUIRE(s.ok());
        const auto f = w.factory->on_invite(s.to_peer(factory_uri)->bytes, w.now, *w.rng);
        CHECK(f.error == errc::unauthorized_creator);
        REQUIRE(f.to_peer(M));
        CHECK(f.to_peer(M)->type == data_type::error);
        CHECK(w.factory->pending_count() == 0);
    }
    SUBCASE("a creation ticket that does not name the factory") {
        auto& alice = w.agent(A);
        auto s = w.kms_round(alice, alice.join("sip:factory.other@operator.example", {}, w.now, *w.rng));
        REQUIRE(s.ok());
        const auto f = w.factory->on_invite(s.messages.back().bytes, w.now, *w.rng);
        CHECK(f.error == errc::focus_mismatch);
        CHECK(w.factory->pending_count() == 0);
    }
    SUBCASE("unauthorized joiner: refused early, with an Error") {
        auto& mal = w.agent(M);
        auto s = w.kms_round(mal, mal.join(uri1, {}, w.now, *w.rng));
        REQUIRE(s.ok());
        const auto f = focus.on_invite(s.to_peer(uri1)->bytes, w.now, *w.rng);
        CHECK(f.error == errc::not_authorized_participant);
        REQUIRE(f.to_peer(M));
        CHECK(f.to_peer(M)->type == data_type::error);
        CHECK(focus.pending() == 0);
    }
    SUBCASE("a member joining twice") {
        auto& bob = w.agent(Bo);
        auto s = w.kms_round(bob, bob.join(uri1, {}, w.now, *w.rng));
        CHECK(focus.on_invite(s.to_peer(uri1)->bytes, w.now, *w.rng).error == errc::already_member);
    }
    SUBCASE("REFER from a non-member") {
        auto& mal = w.agent(M);
        auto s = w.kms_round(mal, mal.refer_to_focus(uri1, C, w.now, *w.rng));
        REQUIRE(s.ok());
        CHECK(focus.on_refer(s.to_peer(uri1)->bytes, C, w.now, *w.rng).error == errc::unauthorized_referrer);
        CHECK(focus.pending() == 0);
    }
    SUBCASE("REFER by a member for someone outside the authorized set, or not named in the ticket") {
        auto& bob = w.agent(Bo);
        auto s = w.kms_round(bob, bob.refer_to_focus(uri1, M, w.now, *w.rng));
        CHECK(focus.on_refer(s.to_peer(uri1)->bytes, M, w.now, *w.rng).error == errc::not_authorized_participant);
        auto s2 = w.kms_round(bob, bob.refer_to_focus(uri1, C, w.now, *w.rng));
        CHECK(focus.on_refer(s2.to_peer(uri1)->bytes, D, w.now, *w.rng).error == errc::not_authorized_participant);
    }
    SUBCASE("flow 5: the focus the REFER names is not the one in the referrer's ticket") {
        auto& alice = w.agent(A);
        auto& carol = w.agent(C);
        auto s = w.kms_round(alice, alice.refer_to_user(uri1, C, w.now, *w.rng));
        const auto e = w.kms_round(carol, carol.on_refer(s.to_peer(C)->bytes, "sip:focus9.conference1@operator.example",
                                                         w.now, *w.rng));
        CHECK(e.error == errc::focus_mismatch);
        CHECK(!carol.in_conference(uri1));
    }
    SUBCASE("flow 4c: a call-out whose ticket was requested by someone else than the focus") {
        // Bob (not the focus) sends Carol a TRANSFER_INIT claiming to be the conference calling.
        auto& bob = w.agent(Bo);
        auto& carol = w.agent(C);
        auto s = w.kms_round(bob, bob.refer_to_user(uri1, C, w.now, *w.rng));
        const auto c = w.kms_round(carol, carol.on_call_out(s.to_peer(C)->bytes, uri1, w.now, *w.rng));
        CHECK(c.error == errc::focus_mismatch);
        CHECK(!carol.in_conference(uri1));
    }
    SUBCASE("SSRC collision: a joiner proposing an SSRC in use") {
        auto& frank = w.add_user("sip:frank@example.org", 0x1001);  // Bob's SSRC
        REQUIRE(focus.authorize(A, frank.uri));
        const auto mid = snap(focus.conference());
        auto s = w.kms_round(*frank.agent, frank.agent->join(uri1, {}, w.now, *w.rng));
        const auto f = focus.on_invite(s.to_peer(uri1)->bytes, w.now, *w.rng);
        CHECK(f.error == errc::ssrc_collision);
        REQUIRE(f.to_peer(frank.uri));
        CHECK(f.to_peer(frank.uri)->type == data_type::error);
        CHECK(snap(focus.conference()) == mid);
        // Once Bob has left, his SSRC is free again: Frank's join with it goes through.
        REQUIRE(focus.leave(Bo, w.now, *w.rng).ok());
        w.now = ntp_time(w.now) + std::chrono::seconds(1);
        auto s2 = w.kms_round(*frank.agent, frank.agent->join(uri1, {}, w.now, *w.rng));
        const auto f2 = w.kms_round(focus, focus.on_invite(s2.to_peer(uri1)->bytes, w.now, *w.rng));
        CHECK(f2.ok());
        CHECK(f2.done);
        CHECK(focus.conference().find(frank.uri) != nullptr);
        // And taken again by Frank: a second user with it is refused.
        auto& gina = w.add_user("sip:gina@example.org", 0x1001);
        REQUIRE(focus.authorize(A, gina.uri));
        auto s3 = w.kms_round(*gina.agent, gina.agent->join(uri1, {}, w.now, *w.rng));
        CHECK(focus.on_invite(s3.to_peer(uri1)->bytes, w.now, *w.rng).error == errc::ssrc_collision);
        return;
    }
    SUBCASE("replayed join: the TRANSFER_INIT of a member who left, sent again") {
        auto& carol = w.agent(C);
        auto s = w.kms_round(carol, carol.join(uri1, {}, w.now, *w.rng));
        const bytes ti = as_vector(s.to_peer(uri1)->bytes);
        auto f = w.kms_round(focus, focus.on_invite(ti, w.now, *w.rng));
        REQUIRE(f.ok());
        REQUIRE(focus.leave(C, w.now, *w.rng).ok());
        const auto mid = snap(focus.conference());
        const auto again = w.kms_round(focus, focus.on_invite(ti, w.now, *w.rng));
        CHECK(again.error == errc::replayed_message);
        CHECK(snap(focus.conference()) == mid);
        CHECK(focus.pending() == 0);
        return;
    }
    SUBCASE("departed member: after the rekey its keys are not the group's") {
        const bytes bob_key = tek_of(w.agent(Bo).keys_of(uri1), conference::cs_focus_media);
        const auto l = focus.leave(Bo, w.now, *w.rng);
        REQUIRE(l.ok());
        deliver_updates(w, l, Bo);
        CHECK(tek_of(w.agent(A).keys_of(uri1), conference::cs_focus_media) != bob_key);
        // An update meant for Alice does not open for Bob.
        const auto* to_alice = l.to_peer(A);
        REQUIRE(to_alice);
        CHECK(!w.agent(Bo).on_update(uri1, to_alice->bytes, w.now, *w.rng).ok());
        CHECK(tek_of(w.agent(Bo).keys_of(uri1), conference::cs_focus_media) == bob_key);
        return;
    }
    SUBCASE("unauthorized subscriber") {
        CHECK(focus.subscribe(M).error() == errc::unauthorized_subscriber);
        CHECK(focus.subscribe(Bo).has_value());
        CHECK(focus.subscribe(C).has_value());  // authorized, not yet present
    }
    SUBCASE("management change by someone not allowed; the creator's change is what the focus accepts next") {
        CHECK(focus.authorize(Bo, M).error() == errc::unauthorized_management);
        CHECK(focus.revoke(M, C).error() == errc::unauthorized_management);
        CHECK(focus.set_authorized(Bo, {}).error() == errc::unauthorized_management);
        conference::settings s = focus.conference().config;
        s.bfcp = false;
        CHECK(focus.change_settings(Bo, s).error() == errc::unauthorized_management);
        CHECK(snap(focus.conference()) == before);
        s.keys = key_model::individual;
        CHECK(focus.change_settings(A, s).error() == errc::unexpected_in_state);  // members present
        REQUIRE(focus.authorize(A, M));
        REQUIRE(call_in(w, focus, M).ok());
        REQUIRE(focus.revoke(A, C));
        auto& carol = w.agent(C);
        auto j = w.kms_round(carol, carol.join(uri1, {}, w.now, *w.rng));
        CHECK(focus.on_invite(j.to_peer(uri1)->bytes, w.now, *w.rng).error == errc::not_authorized_participant);
        return;
    }
    SUBCASE("an unknown exchange id") {
        CHECK(focus.on_kms(999, bytes{1, 2, 3}, w.now, *w.rng).error == errc::unknown_exchange);
        CHECK(focus.on_peer(999, bytes{1, 2, 3}, w.now, *w.rng).error == errc::unknown_exchange);
    }
    CHECK(snap(focus.conference()) == before);
}

TEST_CASE("factory: a creator refused on its authenticated identity after the KMS answered gets an Error, no conference") {
    world w(21);
    auto& alice = w.agent(A);
    const std::string_view invited[] = {Bo};
    auto s = w.kms_round(alice, alice.create(w.names, invited, w.now, *w.rng));
    REQUIRE(s.ok());
    const auto* ti = s.to_peer(factory_uri);
    REQUIRE(ti);
    auto f = w.factory->on_invite(ti->bytes, w.now, *w.rng);
    REQUIRE(f.ok());
    const auto id = f.id;
    CHECK(w.factory->pending_count() == 1);
    // The operator withdraws Alice's right to create while the KMS resolves: the factory decides
    // again on the identity the KMS vouched for (the early check saw only the ticket's claim).
    w.conf_policy.creators = {Bo};
    const auto r = w.kms_round(*w.factory, std::move(f));
    CHECK(r.error == errc::unauthorized_creator);
    CHECK(r.id == id);
    CHECK(!r.done);
    CHECK(!r.created);
    // Seed 000 flow 1b: an Error to the initiator, and no TRANSFER_RESP.
    REQUIRE(r.messages.size() == 1);
    CHECK(r.messages[0].to == destination::peer);
    CHECK(r.messages[0].peer == A);
    CHECK(r.messages[0].type == data_type::error);
    CHECK(w.factory->pending_count() == 0);
    CHECK(w.factory->on_kms(id, bytes{1, 2, 3}, w.now, *w.rng).error == errc::unknown_exchange);
    // Alice's creation ends on that Error, without a conference.
    const auto a = alice.on_peer(s.id, r.messages[0].bytes, w.now, *w.rng);
    CHECK(a.error == errc::error_received);
    CHECK(!a.done);
    CHECK(!alice.in_conference(uri1));
}

TEST_CASE("factory: the RNG failing on the focus SSRC after the KMS answered: refused, nothing created or kept") {
    world w(22);
    auto& alice = w.agent(A);
    auto s = w.kms_round(alice, alice.create(w.names, {}, w.now, *w.rng));
    REQUIRE(s.ok());
    auto f = w.factory->on_invite(s.to_peer(factory_uri)->bytes, w.now, *w.rng);
    REQUIRE(f.ok());
    REQUIRE(f.messages.size() == 1);
    REQUIRE(f.messages[0].to == destination::kms);
    std::vector<std::uint8_t> buf(4096);
    const auto resolved = w.kms->receive(f.messages[0].bytes, w.now, *w.rng, buf);
    REQUIRE(resolved.ok());
    u32_failing_rng failing{&*w.rng};
    const auto r = w.factory->on_kms(f.id, resolved.send, w.now, failing);
    CHECK(r.error == errc::crypto_backend_failure);
    CHECK(r.id == f.id);
    CHECK(r.messages.empty());  // no TRANSFER_RESP naming a conference that was not made
    CHECK(!r.done);
    CHECK(!r.created);
    CHECK(w.factory->pending_count() == 0);
}

TEST_CASE("focus call-out to a group identity: the member of the group who answers is not the invitee") {
    world w(23);
    focus_type focus(*w.backend, *w.p_server, w.conf_policy, w.machines, create(w, key_model::group));
    REQUIRE(call_in(w, focus, A).ok());
    const std::string team = "sip:team@example.org";
    // RFC 6043 §6.10: the KMS lets a member of a group identity the ticket names resolve it.
    w.p_kms_inner->add_member(C, team);
    REQUIRE(focus.authorize(A, team));
    const auto before = snap(focus.conference());
    const bytes group_before = group_tek(focus);
    auto f = w.kms_round(focus, focus.invite(A, team, w.now, *w.rng));
    REQUIRE(f.ok());
    const auto* to_team = f.to_peer(team);
    REQUIRE(to_team);
    CHECK(focus.pending() == 1);
    // Carol takes the call for team and resolves the ticket as herself: her TRANSFER_RESP
    // authenticates Carol (IDRr, forked key), whom nobody authorized or invited.
    auto& carol = w.agent(C);
    const auto c = w.kms_round(carol, carol.on_call_out(to_team->bytes, uri1, w.now, *w.rng));
    REQUIRE(c.ok());
    const auto* back = c.to_peer(uri1);
    REQUIRE(back);
    const auto r = focus.on_peer(f.id, back->bytes, w.now, *w.rng);
    CHECK(r.error == errc::focus_mismatch);
    CHECK(r.id == f.id);
    CHECK(!r.done);
    CHECK(r.messages.empty());  // nobody joined: no CSB update to Alice
    CHECK(focus.pending() == 0);
    CHECK(snap(focus.conference()) == before);
    CHECK(!focus.conference().find(C));
    CHECK(!focus.conference().find(team));
    CHECK(focus.keys_of(C).empty());
    CHECK(focus.keys_of(team).empty());
    CHECK(group_tek(focus) == group_before);
    CHECK(focus.on_peer(f.id, back->bytes, w.now, *w.rng).error == errc::unknown_exchange);
}

TEST_CASE("focus: a joiner proposing the focus's own crypto session (cs_focus_media) is refused early, with an Error") {
    world w(24);
    focus_type focus(*w.backend, *w.p_server, w.conf_policy, w.machines, create(w, key_model::group));
    REQUIRE(call_in(w, focus, A).ok());
    const auto before = snap(focus.conference());
    const bytes group_before = group_tek(focus);
    // Carol (authorized) with her own MIKEY stack: she also proposes cs_focus_media, the session
    // whose key the focus supplies (M flag) and whose SSRC is the focus's.
    const roles::crypto_session_spec with_focus[] = {{conference::cs_member_media, 0x2002},
                                                     {conference::cs_focus_media, 0x2003}};
    const auto f = focus.on_invite(raw_transfer_init(w, C, with_focus), w.now, *w.rng);
    CHECK(f.error == errc::bad_crypto_sessions);
    CHECK(!f.done);
    REQUIRE(f.messages.size() == 1);  // the Error, nothing to the KMS
    CHECK(f.messages[0].to == destination::peer);
    CHECK(f.messages[0].peer == C);
    CHECK(f.messages[0].type == data_type::error);
    CHECK(focus.pending() == 0);
    CHECK(snap(focus.conference()) == before);
    CHECK(group_tek(focus) == group_before);
    // The same peer proposing only its own session is admitted: the refusal was for cs_focus_media.
    const roles::crypto_session_spec own[] = {{conference::cs_member_media, 0x2002}};
    const auto ok = w.kms_round(focus, focus.on_invite(raw_transfer_init(w, C, own), w.now, *w.rng));
    CHECK(ok.ok());
    CHECK(ok.done);
    CHECK(ok.who == C);
}

TEST_CASE("focus: an RNG that yields no usable SSRC in 64 draws refuses the call-out (ssrc_collision), nothing sent") {
    world w(25);
    focus_type focus(*w.backend, *w.p_server, w.conf_policy, w.machines, create(w, key_model::group));
    REQUIRE(call_in(w, focus, A).ok());
    const auto before = snap(focus.conference());
    zero_rng zero;  // every draw 0, which is no SSRC
    const auto f = focus.invite(A, C, w.now, zero);
    CHECK(f.error == errc::ssrc_collision);
    CHECK(f.messages.empty());
    CHECK(!f.done);
    CHECK(focus.pending() == 0);
    CHECK(snap(focus.conference()) == before);
    // With a working RNG the same call-out goes to the KMS.
    const auto g = focus.invite(A, C, w.now, *w.rng);
    CHECK(g.ok());
    REQUIRE(g.messages.size() == 1);
    CHECK(g.messages[0].to == destination::kms);
    CHECK(focus.pending() == 1);
}

TEST_CASE("participant: a TRANSFER_RESP from another identity its ticket names is refused (focus_mismatch)") {
    world w(26);
    auto& alice = w.agent(A);
    SUBCASE("join (flow 2c): Erin, whom Alice's ticket allows, answers in the focus's place") {
        auto& erin = w.agent(E);
        const std::string_view allow[] = {E};
        auto s = w.kms_round(alice, alice.join(uri1, allow, w.now, *w.rng));
        REQUIRE(s.ok());
        const auto* ti = s.to_peer(uri1);
        REQUIRE(ti);
        // Erin gets hold of the TRANSFER_INIT: she is an IDRr of its ticket, so the KMS resolves it for her.
        const auto e = w.kms_round(erin, erin.on_call_out(ti->bytes, A, w.now, *w.rng));
        REQUIRE(e.ok());
        const auto* resp = e.to_peer(A);
        REQUIRE(resp);
        CHECK(resp->type == data_type::transfer_resp);
        const auto r = alice.on_peer(s.id, resp->bytes, w.now, *w.rng);
        CHECK(r.error == errc::focus_mismatch);
        CHECK(r.id == s.id);
        CHECK(!r.done);
        CHECK(r.messages.empty());
        CHECK(!alice.in_conference(uri1));
        CHECK(!alice.in_conference(E));
        CHECK(alice.keys_of(E).empty());
        CHECK(alice.on_peer(s.id, resp->bytes, w.now, *w.rng).error == errc::unknown_exchange);
    }
    SUBCASE("create (flow 1c): Bob, an invited participant, answers in the factory's place") {
        auto& bob = w.agent(Bo);
        const std::string_view invited[] = {Bo};
        auto s = w.kms_round(alice, alice.create(w.names, invited, w.now, *w.rng));
        REQUIRE(s.ok());
        const auto* ti = s.to_peer(factory_uri);
        REQUIRE(ti);
        const auto b = w.kms_round(bob, bob.on_call_out(ti->bytes, A, w.now, *w.rng));
        REQUIRE(b.ok());
        const auto* resp = b.to_peer(A);
        REQUIRE(resp);
        // Seed 000 flow 1c: only a conference URI of the factory may answer a creation.
        const auto r = alice.on_peer(s.id, resp->bytes, w.now, *w.rng);
        CHECK(r.error == errc::focus_mismatch);
        CHECK(!r.done);
        CHECK(r.who.empty());
        CHECK(r.messages.empty());
        CHECK(!alice.in_conference(Bo));
        CHECK(alice.on_peer(s.id, resp->bytes, w.now, *w.rng).error == errc::unknown_exchange);
        CHECK(w.factory->pending_count() == 0);
    }
}

TEST_CASE("focus rekey: departures at one `now` (a coarse clock) each rekey every member; a clock stepped back past "
          "the window is refused (stale_timestamp) and changes nothing") {
    world w(27);
    focus_type focus(*w.backend, *w.p_server, w.conf_policy, w.machines, create(w, key_model::group));
    for (const auto& who : {A, Bo, C, D}) REQUIRE(call_in(w, focus, who).ok());
    // RFC 6043 §5.2: an update "MUST use new timestamps" under the member's keys. With the caller's
    // clock unmoved, the focus stamps the second update to Alice and Bob just after the first.
    const ntp_time t = w.now;
    std::uint32_t epoch = focus.conference().epoch;
    for (const auto& gone : {C, D}) {
        CAPTURE(gone);
        const auto l = focus.leave(gone, t, *w.rng);
        REQUIRE(l.ok());
        CHECK(l.done);
        CHECK(focus.conference().epoch == ++epoch);
        REQUIRE(l.to_peer(A));
        REQUIRE(l.to_peer(Bo));
        deliver_updates(w, l, "");  // each member takes its update at `t`
        for (const auto& who : {A, Bo}) {
            CAPTURE(who);
            check_same_keys(w, focus, who);
            CHECK(tek_of(focus.keys_of(who), conference::cs_focus_media) == group_tek(focus));
        }
    }
    // The caller's clock steps back further than the clock window behind the T the members hold:
    // their updates cannot be stamped, so the departure is refused before anything changes.
    const snapshot before = snap(focus.conference());
    const bytes group_before = group_tek(focus);
    const ntp_time back = t - std::chrono::hours(1);
    const auto l3 = focus.leave(Bo, back, *w.rng);
    CHECK(l3.error == errc::stale_timestamp);
    CHECK(l3.messages.empty());
    CHECK(!l3.done);
    CHECK(focus.conference().find(Bo));
    CHECK(group_tek(focus) == group_before);
    CHECK(snap(focus.conference()) == before);
    // So is a join with every clock stepped back (the KMS's too): the focus's last check refuses it
    // (an Error to the joiner), no member added, no update sent.
    w.now = back;
    const auto c = call_in(w, focus, C);
    w.now = t;
    CHECK(c.error == errc::stale_timestamp);
    CHECK(!c.to_peer(A));
    CHECK(!focus.conference().find(C));
    CHECK(group_tek(focus) == group_before);
    CHECK(snap(focus.conference()) == before);
    // And a call-out answered at that time (flow 4d): refused by the focus's last check, nothing kept.
    w.now = back;
    const auto f = w.kms_round(focus, focus.invite(A, D, w.now, *w.rng));
    REQUIRE(f.ok());
    const auto* to_dave = f.to_peer(D);
    REQUIRE(to_dave);
    auto& dave = w.agent(D);
    REQUIRE(dave.leave(uri1));  // Dave's side of his earlier departure
    const auto d = w.kms_round(dave, dave.on_call_out(to_dave->bytes, uri1, w.now, *w.rng));
    REQUIRE(d.ok());
    const auto* answer = d.to_peer(uri1);
    REQUIRE(answer);
    const auto r = focus.on_peer(f.id, answer->bytes, w.now, *w.rng);
    w.now = t;
    CHECK(r.error == errc::stale_timestamp);
    CHECK(r.messages.empty());
    CHECK(!focus.conference().find(D));
    CHECK(focus.pending() == 0);
    CHECK(group_tek(focus) == group_before);
    CHECK(snap(focus.conference()) == before);
    // At a `now` within the window the same departure goes through.
    const auto l4 = focus.leave(Bo, t, *w.rng);
    REQUIRE(l4.ok());
    deliver_updates(w, l4, "");
    check_same_keys(w, focus, A);
}

TEST_CASE("KMS with the conference identity policy: a ticket limited to an application resolves for the focus only with it") {
    world w(28);
    focus_type focus(*w.backend, *w.p_server, w.conf_policy, w.machines, create(w, key_model::group));
    const std::string_view apps[] = {"urn:example:conference-app"};
    const auto before = snap(focus.conference());
    // RFC 6043 §6.10: the KMS resolves a ticket listing IDRapp only for a responder running one of
    // them; application_of is asked (through conference_identity_policy) about the focus's URI.
    const roles::crypto_session_spec first[] = {{conference::cs_member_media, 0x2002}};
    auto f = focus.on_invite(raw_transfer_init(w, C, first, apps), w.now, *w.rng);
    REQUIRE(f.ok());
    const auto r = w.kms_round(focus, std::move(f));
    CHECK(r.error == errc::unauthorized_application);
    CHECK(snap(focus.conference()) == before);
    w.p_kms_inner->add_application(uri1, std::string(apps[0]));
    const roles::crypto_session_spec second[] = {{conference::cs_member_media, 0x2004}};
    const auto r2 = w.kms_round(focus, focus.on_invite(raw_transfer_init(w, C, second, apps), w.now, *w.rng));
    CHECK(r2.ok());
    CHECK(r2.done);
    CHECK(r2.who == C);
    CHECK(focus.conference().find(C));
}

TEST_CASE("conference: every truncated prefix and single-byte tamper of the focus's answer and CSB update is refused") {
    world w(5);
    focus_type focus(*w.backend, *w.p_server, w.conf_policy, w.machines, create(w, key_model::group));
    REQUIRE(call_in(w, focus, A).ok());
    // Bob's join, with the TRANSFER_RESP held back for tampering.
    auto& bob = w.agent(Bo);
    auto s = w.kms_round(bob, bob.join(uri1, {}, w.now, *w.rng));
    auto f = w.kms_round(focus, focus.on_invite(s.to_peer(uri1)->bytes, w.now, *w.rng));
    REQUIRE(f.ok());
    const bytes resp = as_vector(f.to_peer(Bo)->bytes);
    const bytes update = as_vector(f.to_peer(A)->bytes);
    for (std::size_t j = 0; j < resp.size(); ++j) {
        bytes bad = resp;
        bad[j] ^= 0x04;
        CAPTURE(j);
        CHECK(!bob.on_peer(s.id, bad, w.now, *w.rng).ok());
    }
    for (std::size_t n = 0; n < resp.size(); ++n) {
        CHECK(!bob.on_peer(s.id, bytes(resp.begin(), resp.begin() + static_cast<std::ptrdiff_t>(n)), w.now, *w.rng).ok());
    }
    CHECK(!bob.in_conference(uri1));
    REQUIRE(bob.on_peer(s.id, resp, w.now, *w.rng).ok());
    CHECK(bob.in_conference(uri1));

    auto& alice = w.agent(A);
    const bytes alice_before = tek_of(alice.keys_of(uri1), conference::cs_focus_media);
    for (std::size_t j = 0; j < update.size(); ++j) {
        bytes bad = update;
        bad[j] ^= 0x20;
        CAPTURE(j);
        CHECK(!alice.on_update(uri1, bad, w.now, *w.rng).ok());
    }
    for (std::size_t n = 0; n < update.size(); ++n) {
        CHECK(!alice.on_update(uri1, bytes(update.begin(), update.begin() + static_cast<std::ptrdiff_t>(n)), w.now, *w.rng)
                   .ok());
    }
    CHECK(tek_of(alice.keys_of(uri1), conference::cs_focus_media) == alice_before);
    REQUIRE(alice.on_update(uri1, update, w.now, *w.rng).ok());
    CHECK(tek_of(alice.keys_of(uri1), conference::cs_focus_media) ==
          tek_of(bob.keys_of(uri1), conference::cs_focus_media));
    // Replayed update.
    CHECK(alice.on_update(uri1, update, w.now, *w.rng).error == errc::replayed_message);
    // An initial TRANSFER_INIT (with a TICKET) is no update: refused, keys unchanged.
    auto& carol = w.agent(C);
    auto cs = w.kms_round(carol, carol.join(uri1, {}, w.now, *w.rng));
    CHECK(alice.on_update(uri1, cs.to_peer(uri1)->bytes, w.now, *w.rng).error == errc::message_not_for_role);
    CHECK(tek_of(alice.keys_of(uri1), conference::cs_focus_media) ==
          tek_of(bob.keys_of(uri1), conference::cs_focus_media));
}

TEST_CASE("seed 000 naming: factory.conference1@operator -> focusX.conference1@operator") {
    const naming n("sip:factory.conference1@operator");
    REQUIRE(n.valid());
    CHECK(n.conference_uri(7) == "sip:focus7.conference1@operator");
    CHECK(n.is_conference_of("sip:focus7.conference1@operator"));
    CHECK(n.is_conference_of("sip:focus123.conference1@operator"));
    CHECK(!n.is_conference_of("sip:focus.conference1@operator"));
    CHECK(!n.is_conference_of("sip:focusX.conference1@operator"));
    CHECK(!n.is_conference_of("sip:focus7.conference2@operator"));
    CHECK(!n.is_conference_of("focus7.conference1@operator"));
    CHECK(!n.is_conference_of("sip:factory.conference1@operator"));
    CHECK(!n.is_conference_of("sip:focus+7.conference1@operator"));
    CHECK(!naming("sip:alice@example.org").valid());
    CHECK(!naming("sip:alice@example.org").is_conference_of("sip:focus1@example.org"));
}

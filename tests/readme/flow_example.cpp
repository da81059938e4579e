// The README's second example: a mode-1 flow with key forking between three machines.
#include <mikey/mikey.hpp>

#include <array>
#include <cstdio>
#include <vector>

using namespace mikey;
using backend = crypto::botan_backend;
using policy = roles::basic_policy<ticket::memory_key_store, ticket::memory_replay_cache<>>;

int main() {
    auto b = *backend::create();
    auto rng = *crypto::botan_system_rng::create();
    const std::vector<std::uint8_t> psk_a(32, 1), psk_b(32, 2), tpk(32, 3);  // use real keys
    ticket::memory_key_store kms_keys, a_keys, b_keys;  // who shares what (RFC 6043 §4.1.1 mode 1)
    (void)kms_keys.add_psk(ticket::as_bytes("sip:alice@example.org"), psk_a);
    (void)kms_keys.add_psk(ticket::as_bytes("sip:bob@example.org"), psk_b);
    (void)kms_keys.add_tpk({}, tpk);
    (void)a_keys.add_psk(ticket::as_bytes("sip:alice@example.org"), psk_a);
    (void)b_keys.add_psk(ticket::as_bytes("sip:bob@example.org"), psk_b);
    static ticket::memory_replay_cache<> kms_seen, a_seen, b_seen;
    const auto strict = roles::policy_settings::strict_3gpp();  // forking, 256-bit algorithms
    const policy kms_p(kms_keys, kms_seen, strict), a_p(a_keys, a_seen, strict), b_p(b_keys, b_seen, strict);

    const roles::crypto_session_spec audio[] = {{.cs_id = 1, .ssrc = 0x1234}};
    ticket_policy want{.prf = prf_func::prf_hmac_sha_256, .flags = *ticket::flags_from_letters("DEFGHI")};
    const crypto::algorithm_suite suite{prf_func::prf_hmac_sha_256, encr_alg::aes_cm_256, mac_alg::hmac_sha_256_256};
    roles::kms<backend, policy> kms(b, kms_p, {.identity = "kms.example.org"});
    roles::initiator<backend, policy> alice(b, a_p, {.identity = "sip:alice@example.org", .kms_identity = "kms.example.org",
        .responder = "sip:bob@example.org", .desired = want, .key_length = 32, .sessions = audio, .suite = suite});
    roles::responder<backend, policy> bob(b, b_p, {.identity = "sip:bob@example.org", .kms_identity = "kms.example.org", .suite = suite});

    const auto now = ntp_time::from(std::chrono::system_clock::now());
    std::array<std::uint8_t, 4096> x{}, y{};
    auto o = alice.start_request(now, rng, x);               // REQUEST_INIT_PSK
    o = kms.receive(o.send, now, rng, y);                    // REQUEST_RESP
    if (!o || !alice.receive(o.send, now, rng, x)) return 1; // ticket granted
    o = alice.start_transfer(now, rng, x);                   // TRANSFER_INIT (to Bob, e.g. in SIP INVITE)
    o = bob.receive(o.send, now, rng, y);                    // RESOLVE_INIT_PSK
    o = kms.receive(o.send, now, rng, x);                    // RESOLVE_RESP: keys forked for Bob
    o = bob.receive(o.send, now, rng, y);                    // TRANSFER_RESP (e.g. in 200 OK)
    o = alice.receive(o.send, now, rng, x);
    if (!o.has(roles::event::peer_authenticated)) return 1;  // only Bob can hold MPKr'
    const bool same = equal_bytes(alice.session_keys()[0].tek.view(), bob.session_keys()[0].tek.view());
    std::printf("Alice authenticated %.*s; SRTP keys %s\n", int(alice.peer_identity().size()),
                reinterpret_cast<const char*>(alice.peer_identity().data()), same ? "agree" : "differ");
    return same ? 0 : 1;
}

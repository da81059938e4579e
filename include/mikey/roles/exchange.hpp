// mikey-ticket (roles layer): the steps the three role machines share:
// fresh T payloads, RANDs, the timestamp window and replay check, the D1 /
// D2 protection keys of an exchange, session keys from Key data and D4, and
// the Error message of RFC 6043 §5.4.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "../core/inline_list.hpp"
#include "../core/ntp_time.hpp"
#include "../core/rng.hpp"
#include "../crypto/derive.hpp"
#include "../crypto/protection_keys.hpp"
#include "../message.hpp"
#include "../ticket/replay_cache.hpp"
#include "outcome.hpp"
#include "policy.hpp"

namespace mikey::roles::detail {

/// A T payload value: NTP-UTC, 64 bits.
struct timestamp {
    std::array<std::uint8_t, 8> bytes{};
    std::uint64_t value = 0;
    explicit timestamp(ntp_time now) noexcept : value(now.ntp64()) {
        for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
    }
    [[nodiscard]] t_builder builder() const noexcept MIKEY_LIFETIMEBOUND {
        return t_builder{.kind = ts_type::ntp_utc, .value = bytes};
    }
    /// The T of the KEMAC IV (RFC 3830 §4.2.3): an NTP-UTC T is its 64-bit value.
    [[nodiscard]] std::uint64_t iv() const noexcept { return value; }
};

/// A RAND of up to 64 bytes drawn from the caller's RNG.
struct random_bytes {
    std::array<std::uint8_t, 64> bytes{};
    std::uint8_t size = 0;
    [[nodiscard]] bytes_view view() const noexcept MIKEY_LIFETIMEBOUND { return {bytes.data(), size}; }
    template <random_generator R>
    [[nodiscard]] static result<random_bytes> draw(R& rng, std::size_t n) noexcept {
        random_bytes r;
        if (n > r.bytes.size()) return errc::invalid_argument;
        r.size = static_cast<std::uint8_t>(n);
        if (auto ok = rng.fill(mutable_bytes(r.bytes.data(), n)); !ok) return ok.error_info();
        return r;
    }
    void assign(bytes_view v) noexcept {
        size = static_cast<std::uint8_t>(std::min(v.size(), bytes.size()));
        std::copy_n(v.begin(), size, bytes.begin());
    }
};

/// The longest session key (TEK, TGK, GTGK) a ticket carries: 256 bits, the
/// largest AES key and HMAC-SHA-256 output (RFC 6043 §12.1 sets only the
/// lower bound, crypto::min_key_bytes). The KMS refuses longer requests, the
/// Initiator longer configs.
inline constexpr std::size_t max_session_key_bytes = 32;

/// RFC 6043 §12.1: "the sum of the lengths of RANDRi and RANDRr MUST at
/// least be equal to the size of the longest pre-shared key/envelope
/// key/MPK/TGK/GTGK": each party makes its own RAND that long (and at least
/// 16 bytes), so the sum holds whatever the other side sends.
[[nodiscard]] constexpr std::size_t rand_length(std::size_t longest_key) noexcept {
    return std::max<std::size_t>(16, longest_key);
}

/// RFC 3830 §5.4, RFC 6043 §12.4: the timestamp is within the clock window,
/// and the message (data type and MAC) was not accepted before within it.
/// Call after the MAC verified (a forged message must not fill the cache).
/// Errors: timestamp_out_of_window (COUNTER timestamps included: a role
/// machine only accepts time), replayed_message, replay_cache_full.
template <common_policy P>
[[nodiscard]] result<void> fresh(const P& policy, const message_view& m, t_view t, bytes_view mac,
                                 ntp_time now) noexcept {
    const auto sent = ntp_time::from_payload(t.kind(), t.value());
    if (!sent || distance(*sent, now) > policy.clock_window()) return errc::timestamp_out_of_window;
    const ticket::replay_key key(static_cast<std::uint8_t>(m.type()), mac);
    switch (policy.remember(key.view(), *sent + policy.clock_window(), now)) {
        case replay_verdict::fresh: return {};
        case replay_verdict::replayed: return errc::replayed_message;
        case replay_verdict::full: return errc::replay_cache_full;
    }
    return errc::replay_cache_full;
}

/// The hint that fresh(policy, m, t, mac, now) follows (policy.anticipate
/// when the policy has it, e.g. basic_policy over a prefetching cache): the
/// roles give it right after parsing, so that the replay cache's lookup
/// overlaps the key derivation and MAC check before fresh().
template <common_policy P>
MIKEY_ALWAYS_INLINE inline void anticipate_fresh(const P& policy, const message_view& m, bytes_view mac) noexcept {
    if constexpr (requires { policy.anticipate(mac); }) {
        policy.anticipate(ticket::replay_key(static_cast<std::uint8_t>(m.type()), mac).view());
    }
}

/// The same check without recording: for a message whose MAC cannot be
/// verified yet (TRANSFER_INIT before the ticket is resolved, §4.2.2.2).
template <common_policy P>
[[nodiscard]] result<void> in_window(const P& policy, t_view t, ntp_time now) noexcept {
    const auto sent = ntp_time::from_payload(t.kind(), t.value());
    if (!sent || distance(*sent, now) > policy.clock_window()) return errc::timestamp_out_of_window;
    return {};
}

/// Which D1 / D2 direction (RFC 6043 §5.1.2).
enum class direction : std::uint8_t { initial, response };

/// Which of a message's keys are needed: the auth_key alone (the message
/// carries no KEMAC and no later message uses its keys for one), or all three.
enum class needs : std::uint8_t { auth_key, all_keys };

/// The keys protecting one message of an exchange (D1 / D2); with
/// needs::auth_key the encr_key and salt_key are left empty (two PRF runs saved).
template <crypto::crypto_backend B>
[[nodiscard]] result<crypto::protection_keys> protection(B& b, direction d, needs n, const algorithm_suite& s,
                                                         bytes_view inkey, csb_id csb, bytes_view randri,
                                                         bytes_view randrr) noexcept {
    algorithm_suite used = s;
    if (n == needs::auth_key) used.encr = encr_alg::null;
    // Two returns, not `?:`: the keys are built in the caller's result (GCC moves, i.e. copies and
    // wipes, the operand of a conditional expression).
    if (d == direction::initial) {
        return crypto::derive_initial_protection_keys(b, used, inkey, csb, rand_value(randri), rand_value(randrr));
    }
    return crypto::derive_response_protection_keys(b, used, inkey, csb, rand_value(randri), rand_value(randrr));
}
[[nodiscard]] constexpr needs needs_if(bool cipher) noexcept { return cipher ? needs::all_keys : needs::auth_key; }

/// What a CSB update (RFC 6043 §5.2) needs of the last message of the
/// initial exchange: "Both messages SHALL be protected with the same keys
/// (derived from MPKi or MPKr') that protected the last message". The
/// auth_key is kept, and so are the encr / salt keys when the last message
/// carried a KEMAC: an update's KEMAC under the same Encr alg then runs no
/// PRF (D2's labels hold the CSB ID and the RANDs only, so the keys are the
/// same). Under another Encr alg, or when the last message had no KEMAC, an
/// update derives them from the held inkey.
struct last_message_keys {
    direction dir = direction::initial;
    algorithm_suite suite{};
    secret_buffer<64> inkey{};
    csb_id csb{};
    random_bytes randri{}, randrr{};
    secret_buffer<32> auth_key{};
    encr_alg cipher_encr = encr_alg::null;  ///< the Encr alg encr_key / salt_key are for
    secret_buffer<32> encr_key{};           ///< empty unless the last message carried a KEMAC
    secret_buffer<14> salt_key{};
    /// The newest T of a message these keys protected (the last message of
    /// the initial exchange, then each CSB update): the KEMAC IV is salt,
    /// CSB ID and T (RFC 3830 §4.2.3), so a T not newer would repeat the
    /// AES-CM keystream of an earlier KEMAC under the same keys.
    ntp_time t{};

    /// From the keys `k` that protected the last message (derived for Encr
    /// alg `k_encr`; its encr_key is empty when that message had no KEMAC).
    [[nodiscard]] static last_message_keys of(direction d, const algorithm_suite& s, bytes_view inkey, csb_id csb,
                                              bytes_view randri, bytes_view randrr, const crypto::protection_keys& k,
                                              encr_alg k_encr) noexcept {
        last_message_keys l;
        l.dir = d;
        l.suite = s;
        (void)l.inkey.assign(inkey);  // an inkey of at most 64 bytes (MPKi / MPKr' / PSK)
        l.csb = csb;
        l.randri.assign(randri);
        l.randrr.assign(randrr);
        l.auth_key = k.auth_key.clone();
        if (!k.encr_key.empty()) {
            l.cipher_encr = k_encr;
            l.encr_key = k.encr_key.clone();
            l.salt_key = k.salt_key.clone();
        }
        return l;
    }
    /// The KEMAC cipher inputs for Encr alg `encr`, HDR CSB ID `for_csb` and
    /// IV time `t`: views of the held encr_key and salt_key when they are for
    /// `encr` (no copy), else of the keys derived into `derived` (the
    /// auth_key is the one held: no PRF run for it), which must outlive the
    /// result. Errors: those of protection().
    template <crypto::crypto_backend B>
    [[nodiscard]] result<crypto::kemac_cipher_keys> cipher_keys(B& b, encr_alg encr, csb_id for_csb, std::uint64_t t,
                                                                crypto::protection_keys& derived) const noexcept {
        if (encr == cipher_encr && !encr_key.empty()) {
            return crypto::kemac_cipher_keys{encr_key.view(), salt_key.view(), for_csb, t};
        }
        algorithm_suite s = suite;
        s.encr = encr;
        s.mac = mac_alg::null;
        auto k = protection(b, dir, needs::all_keys, s, inkey.view(), csb, randri.view(), randrr.view());
        if (!k) return k.error_info();
        derived = std::move(*k);
        return derived.cipher(for_csb, t);
    }
};

/// The 64-bit T of a T payload for the KEMAC IV (RFC 3830 §4.2.3).
[[nodiscard]] inline std::uint64_t iv_time(t_view t) noexcept {
    return crypto::iv_timestamp(t.kind(), t.value()).value_or(0);
}

/// The CS ID and SSRC of a GENERIC-ID map block (RFC 6043 §6.1.1: the SRTP
/// Session Data starts with the SSRC; 0 when the block carries none).
[[nodiscard]] inline crypto_session_spec session_of(const generic_id_block& b) noexcept {
    std::uint32_t ssrc = 0;
    if (b.prot == prot_type::srtp && b.session_data.size() >= 4) {
        for (std::size_t i = 0; i < 4; ++i) ssrc = (ssrc << 8) | b.session_data[i];
    }
    return {b.cs_id, ssrc};
}

[[nodiscard]] constexpr bool is_tek(key_data_type k) noexcept {
    return k == key_data_type::tek || k == key_data_type::tek_salt;
}
[[nodiscard]] constexpr bool is_tgk(key_data_type k) noexcept {
    return k == key_data_type::tgk || k == key_data_type::tgk_salt;
}
[[nodiscard]] constexpr bool is_session_key(key_data_type k) noexcept {
    return is_tek(k) || is_tgk(k) || k == key_data_type::gtgk || k == key_data_type::gtgk_salt;
}

/// Fills `out` with a Key data entry as sent: `key`, `salt` and `spi` of
/// crypto session `session`, the TEK being the key itself. That is the
/// whole session key of a TEK (or TEK+SALT); make_session_key derives the
/// TEK (and salt) of a TGK / GTGK over it. Errors: key_length_mismatch (a
/// key over 64 bytes, a salt over 32).
[[nodiscard]] inline result<void> set_as_sent(session_key& out, const crypto_session_spec& session, key_data_type kind,
                                              bytes_view key, bytes_view salt, bytes_view spi) noexcept {
    out.cs = cs_id(session.cs_id);
    out.ssrc = session.ssrc;
    out.kind = kind;
    out.spi_size = static_cast<std::uint8_t>(std::min(spi.size(), out.spi.size()));
    std::copy_n(spi.begin(), out.spi_size, out.spi.begin());
    if (auto r = out.key.assign(key); !r) return r;
    if (auto r = out.tek.assign(key); !r) return r;
    return out.salt.assign(salt);
}

/// Fills `out` from a Key data entry holding a TEK / TGK / GTGK and, with
/// `rands`, derives the TEK and salt with D4 (RFC 6043 §5.1.3): TEK and salt
/// keys as long as the key (16 or 32 bytes) and 14 bytes.
/// Errors: missing_key (a key kind that is not a session key),
/// key_length_mismatch (set_as_sent's); the derivation's.
template <crypto::crypto_backend B>
[[nodiscard]] result<void> make_session_key(B& b, prf_func prf, const crypto_session_spec& session, key_data_type kind,
                                            bytes_view key, bytes_view salt, bytes_view spi,
                                            const crypto::d4_rands& rands, session_key& out) noexcept {
    if (!is_session_key(kind)) return errc::missing_key;
    if (auto r = set_as_sent(out, session, kind, key, salt, spi); !r || is_tek(kind)) return r;
    // A TGK / GTGK: D4 gives the TEK (as long as the key) in place of the key itself.
    const cs_id cs(session.cs_id);
    if (auto r = crypto::derive_session_key(b, prf, key, crypto::tgk_key::tek, cs, rands, out.tek.mutable_view()); !r) {
        return r;
    }
    // RFC 6043 §5.1.3: "If a salting key is present in the key data sub-payload, a security
    // protocol in need of a salting key SHALL use this salting key and a new salting key
    // SHALL NOT be derived."
    if (!salt.empty()) return {};
    if (auto r = out.salt.resize(14); !r) return r;
    return crypto::derive_session_key(b, prf, key, crypto::tgk_key::salt, cs, rands, out.salt.mutable_view());
}

/// The GENERIC-ID map a machine sends (RFC 6043 §6.1.1; "SRTP-ID SHALL NOT
/// be used", §6.1): up to max_crypto_sessions blocks; an SRTP stream's block
/// carries its SSRC as Session Data (S = 0) and the SPI of its key. Its
/// blocks view its own SSRC bytes: not copyable.
struct cs_map {
    /// Neither list is zero-filled first (a machine builds a map for every
    /// message it sends): a block and its SSRC bytes are written together.
    inline_list<generic_id_block, max_crypto_sessions> blocks;
    std::array<std::array<std::uint8_t, 4>, max_crypto_sessions> ssrcs;

    cs_map() noexcept {}
    cs_map(const cs_map&) = delete;
    cs_map& operator=(const cs_map&) = delete;

    [[nodiscard]] std::size_t size() const noexcept { return blocks.size(); }
    /// Appends a block as given (e.g. one of a received map). False when full.
    [[nodiscard]] bool add(const generic_id_block& b) noexcept { return blocks.push_back(b); }
    /// Appends the block of an SRTP stream. False when full.
    [[nodiscard]] bool add_srtp(std::uint8_t cs, std::uint32_t ssrc, bytes_view spi) noexcept {
        if (blocks.full()) return false;
        auto& s = ssrcs[blocks.size()];
        for (std::size_t j = 0; j < 4; ++j) s[j] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * j));
        return blocks.push_back(generic_id_block{cs, prot_type::srtp, false, {}, s, spi});
    }
    /// The block of crypto session `cs`, or nullptr.
    [[nodiscard]] generic_id_block* find(std::uint8_t cs) noexcept {
        for (auto& b : blocks.mutable_view()) {
            if (b.cs_id == cs) return &b;
        }
        return nullptr;
    }
    [[nodiscard]] std::span<const generic_id_block> view() const noexcept MIKEY_LIFETIMEBOUND { return blocks.view(); }
};

/// Wipes a scratch buffer that held key material when leaving scope.
template <crypto::crypto_backend B>
struct wipe_on_exit {
    B* b;
    mutable_bytes buf;
    wipe_on_exit(B* backend, mutable_bytes scratch) noexcept : b(backend), buf(scratch) {}
    wipe_on_exit(const wipe_on_exit&) = delete;
    wipe_on_exit& operator=(const wipe_on_exit&) = delete;
    ~wipe_on_exit() { b->wipe(buf); }
};

/// A key a crypto session may use: a session key of the ticket, or one a
/// KEMAC of the Transfer exchange carried (or this end supplies).
/// No default member initialisers: the machines' arrays of 16-32 candidates
/// are filled before they are read and are not zero-filled first (always
/// make one with all five fields).
struct candidate {
    key_data_type kind;
    bytes_view key, salt, spi;
    bool from_ticket;  ///< a ticket TGK is forked with the I flag (RFC 6043 §5.1.1); a KEMAC's never (§5.2)
};

/// RFC 6043 §6.2.1 / §6.1.1: the key of a crypto session is the one whose SPI
/// its GENERIC-ID block names ("the SPI (or MKI) corresponding to the session
/// key"): a KEMAC key first (it replaces the ticket's, §5.2), then a ticket
/// key. A block without an SPI (§4.2.2.3: the Initiator may leave it to the
/// Responder) takes the ticket key in its position (or the last one).
/// nullopt: a block naming an SPI no key has, or no key at all.
[[nodiscard]] inline std::optional<candidate> pick(std::span<const candidate> kemac, std::span<const candidate> ticket,
                                                   bytes_view block_spi, std::size_t position) noexcept {
    if (!block_spi.empty()) {
        for (const auto& c : kemac) {
            if (equal_bytes(c.spi, block_spi)) return c;
        }
        for (const auto& c : ticket) {
            if (equal_bytes(c.spi, block_spi)) return c;
        }
        return std::nullopt;
    }
    if (ticket.empty()) return std::nullopt;
    return ticket[std::min(position, ticket.size() - 1)];
}

/// A session key held by a machine (copied out of a KEMAC or a caller's supplied_key).
struct owned_key {
    /// User-provided: arrays of owned keys do not zero-fill their buffers
    /// (see session_key).
    owned_key() noexcept {}
    key_data_type kind = key_data_type::tgk;
    secret_buffer<64> key{};
    secret_buffer<32> salt{};
    std::array<std::uint8_t, 8> spi{};
    std::uint8_t spi_size = 0;
    std::uint8_t cs_id = 0;  ///< for supplied keys: the crypto session
    std::uint32_t ssrc = 0;
    /// Errors: invalid_argument (a key over 64 bytes, a salt over 32, an SPI over 8 or empty).
    [[nodiscard]] static result<owned_key> of(key_data_type kind, bytes_view key, bytes_view salt, bytes_view spi) noexcept {
        owned_key k;
        k.kind = kind;
        if (key.size() > 64 || salt.size() > 32 || spi.size() > 8 || spi.empty()) return errc::invalid_argument;
        (void)k.key.assign(key);  // sizes checked above
        (void)k.salt.assign(salt);
        k.spi_size = static_cast<std::uint8_t>(spi.size());
        std::copy(spi.begin(), spi.end(), k.spi.begin());
        return k;
    }
    [[nodiscard]] candidate view(bool from_ticket) const noexcept MIKEY_LIFETIMEBOUND {
        return {kind, key.view(), salt.view(), bytes_view(spi.data(), spi_size), from_ticket};
    }
    /// A session key received in a KEMAC (the KMS's or the peer's).
    /// Errors: key_without_spi (RFC 6043 §6.2.1: "An SPI (or MKI) MUST be
    /// specified for each key"), key_length_mismatch (a key over 64 bytes,
    /// a salt over 32 or an SPI over 8: more than a machine holds).
    [[nodiscard]] static result<owned_key> received(const key_data_view& k) noexcept {
        if (k.validity().spi.empty()) return errc::key_without_spi;
        auto h = of(k.kind(), k.key(), k.salt(), k.validity().spi);
        if (!h) return errc::key_length_mismatch;
        return h;
    }
};

/// Copies supplied keys, checking them: a session key kind, 128 bits or
/// more (RFC 6043 §12.1), an SPI, distinct CS IDs and SPIs.
/// Errors: invalid_argument, key_too_short.
[[nodiscard]] inline result<void> take_supplied(std::span<const supplied_key> in, std::vector<owned_key>& out) {
    std::vector<owned_key> keys;
    for (const auto& s : in) {
        if (!is_session_key(s.kind) || (has_salt(s.kind) != !s.salt.empty())) return errc::invalid_argument;
        if (s.key.size() < crypto::min_key_bytes) return errc::key_too_short;
        for (const auto& k : keys) {
            if (k.cs_id == s.cs_id || equal_bytes(bytes_view(k.spi.data(), k.spi_size), s.spi)) return errc::invalid_argument;
        }
        auto k = owned_key::of(s.kind, s.key, s.salt, s.spi);
        if (!k) return k.error_info();
        k->cs_id = s.cs_id;
        k->ssrc = s.ssrc;
        keys.push_back(std::move(*k));
    }
    out = std::move(keys);
    return {};
}

/// Candidates from a decrypted KEMAC key list (session keys only).
/// Errors: missing_key (an MPK or another kind in a Transfer KEMAC, or more
/// than `out` holds).
[[nodiscard]] inline result<std::size_t> kemac_candidates(const key_data_list& list, std::span<candidate> out) noexcept {
    std::size_t n = 0;
    for (const auto& k : list) {
        if (!is_session_key(k.kind()) || n == out.size()) return errc::missing_key;
        out[n++] = candidate{k.kind(), k.key(), k.salt(), k.validity().spi, false};
    }
    return n;
}

/// What an Error message (RFC 6043 §5.4) takes from the message it answers:
/// the HDR's version, PRF func and CSB ID, and whether that message is an
/// Error itself (never answered). Kept instead of the message by a caller
/// that may refuse it later (a conference focus while the Resolve runs).
struct error_origin {
    std::uint8_t version = 0;
    prf_func prf{};
    csb_id csb{};
    bool is_error = false;

    /// Of `offending`; none when it has no parsable header.
    [[nodiscard]] static std::optional<error_origin> of(bytes_view offending) noexcept {
        const auto h = hdr_view::parse(offending);
        if (!h) return std::nullopt;
        return of(*h);
    }
    /// Of the message whose header `h` is (already parsed).
    [[nodiscard]] static error_origin of(const hdr_view& h) noexcept {
        return error_origin{h.version(), h.prf(), h.csb(), h.type() == data_type::error};
    }
};

/// RFC 6043 §5.4: builds the Error message answering the message `origin`
/// was read from (version, PRF func and CSB ID copied, V flag 0, fresh T,
/// one ERR), unauthenticated (the V is OPTIONAL; see notes/ticket.md).
/// Returns an outcome carrying `e` and, when wire_error(e) names a code, the
/// Error to send; nothing is sent in answer to an Error (never answer an
/// Error with an Error) or without an origin (no parsable header).
[[nodiscard]] inline outcome refuse(failure f, const std::optional<error_origin>& origin, ntp_time now,
                                    mutable_bytes out, bool send_auth_failure) noexcept {
    outcome o = outcome::refused(f);
    const auto code = wire_error(f.code);
    if (!code || (*code == error_no::auth_failure && !send_auth_failure)) return o;
    if (!origin || origin->is_error) return o;
    const timestamp t(now);
    const auto msg = build_message(out, hdr_builder{data_type::error, false, origin->prf, origin->csb, empty_map{}, origin->version},
                                   t.builder(), err_builder{.code = *code});
    if (msg) {
        o.send = *msg;
        o.send_type = data_type::error;
    }
    return o;
}

/// refuse() answering the bytes `offending`.
[[nodiscard]] inline outcome refuse(failure f, bytes_view offending, ntp_time now, mutable_bytes out,
                                    bool send_auth_failure) noexcept {
    return refuse(f, error_origin::of(offending), now, out, send_auth_failure);
}

}  // namespace mikey::roles::detail

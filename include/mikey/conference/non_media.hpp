// mikey-ticket (conference layer): keys for the non-media traffic of a
// secure conference keyed by MIKEY-TICKET (seed 003, TR 33.829 Annex G.3):
//
//   tls_psk_of, tls_psk_identity    BFCP over TLS (G.3.2; TS 23.333 §6.2.19 as
//                                   digested in shared/spec/3gpp-kms-
//                                   conferencing.md §2): the TLS pre-shared key
//                                   (RFC 4279) is the TEK of the BFCP crypto
//                                   session; a PSK identity built from CSB ID,
//                                   CS ID and SPI
//   notify_key, notify_key_of       the AES-GCM key and salt of the event
//                                   package crypto session
//   notify_nonce, notify_aad_size,  the nonce and associated data of one
//   write_notify_aad                protected NOTIFY body (building blocks,
//                                   public so that tests and other stacks can
//                                   check them)
//   notify_sealer, notify_opener    conference event package (RFC 4575) NOTIFY
//                                   body protection (G.3.3): AES-GCM (RFC 5116)
//                                   with a 64-bit sequence number, a sender
//                                   that never wraps, a receiver with a
//                                   64-entry sliding replay window
//
// Readings (notes/conference.md, "Non-media keys", says why):
//
// BFCP over TLS. TS 23.333 §6.2.19 (quoting TS 33.328 Annex H.3) confirms:
// one crypto session whose protocol type is TLS, and "the PSK used by TLS"
// is the TEK of that crypto session. The PSK identity format of TS 33.328
// Annex H is NOT known here (the body text was not available). This library
// uses a stable, non-secret ASCII identity that both ends can build from
// what the MIKEY-TICKET exchange gave them:
//     "mikey-ticket:" <CSB ID, 8 lowercase hex digits> ":" <CS ID, decimal>
//     [":" <SPI, lowercase hex, 2 digits per byte>]       (SPI only when set)
// e.g. "mikey-ticket:0a1b2c3d:1:01020304". It reveals nothing about the key
// (the CSB ID and the GENERIC-ID SPI travel in clear in the HDR, RFC 6043
// §6.1.1), is unique per crypto session and key, and fits RFC 4279 §5.1
// (printable UTF-8, here at most max_psk_identity_size bytes). An
// implementation of TS 33.328 Annex H may need another format.
//
// Event package NOTIFY protection. Seed 003 G.3.3 asks for "the pre-shared
// key variant of S/MIME as described in Annex X", and Annex X is empty
// ("will be filled with text later"). Instead of inventing an S/MIME
// profile, this header uses a standard AEAD over the NOTIFY body:
//     algorithm  AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 5116 §5.1, §5.2),
//                picked by the TEK length (16 or 32 bytes), 16-byte tag
//     key        the TEK of the event package crypto session
//     nonce      12 bytes: the first 12 bytes of the crypto session's salt
//                XOR (0x00000000 || sequence number, 8 bytes big-endian),
//                the shape of RFC 7714 §8.1's IV (salt XOR packet index)
//     AAD        u16 len || conference URI || u16 len || content type ||
//                u64 sequence number (all big-endian; the lengths make the
//                encoding unambiguous)
//     wire       sequence number (8 bytes, big-endian) || ciphertext ||
//                tag (16 bytes); notify_overhead = 24 bytes
// Replay: a sliding window of 64 sequence numbers (as RFC 4303 §3.4.3 and
// RFC 3711 §3.3.2), because NOTIFYs of one subscription are separate SIP
// transactions and may arrive out of order (RFC 4575's conference-info has a
// version attribute for that reason).
// One sender per key: the notification service seals, subscribers only open.
// Two sealers with one key (or a subscriber sealing) would reuse nonces,
// which breaks AES-GCM; a sealer restarted with the same key must resume at
// the persisted next_sequence().
//
// Crypto: Botan's C FFI (<botan/ffi.h>, botan_cipher_*), which returns error
// codes and never throws, so this header compiles and works with
// -fno-exceptions. Like sdp.hpp it is left out of <mikey/mikey.hpp> under
// MIKEY_NO_BOTAN. Nothing here does I/O, reads a clock or draws randomness.
#pragma once

#include <botan/ffi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "../core/bytes.hpp"
#include "../core/config.hpp"
#include "../core/errc.hpp"
#include "../core/result.hpp"
#include "../core/secret.hpp"
#include "../core/strong_types.hpp"
#include "../roles/outcome.hpp"

namespace mikey::conference {

// ================================================================ BFCP over TLS-PSK

/// Longest PSK identity tls_psk_identity writes: "mikey-ticket:" (13) +
/// 8 hex digits + ":" + 3 decimal digits + ":" + 16 hex digits (an 8-byte SPI).
inline constexpr std::size_t max_psk_identity_size = 13 + 8 + 1 + 3 + 1 + 16;

/// The prefix of every PSK identity this library builds.
inline constexpr std::string_view psk_identity_prefix = "mikey-ticket:";

/// A PSK identity (RFC 4279 §5.1: sent in clear in the ClientKeyExchange),
/// stored inline. Not secret.
struct psk_identity {
    std::array<char, max_psk_identity_size> text{};
    std::uint8_t size = 0;
    /// The identity as text (a view into this object).
    [[nodiscard]] constexpr std::string_view view() const noexcept MIKEY_LIFETIMEBOUND {
        return {text.data(), size};
    }
};

/// The PSK identity of crypto session `cs` of bundle `csb`, whose key is
/// named by `spi` (empty: no SPI part). The format is this library's reading
/// (TS 33.328 Annex H's own is not known here):
///   "mikey-ticket:" <csb as 8 lowercase hex digits> ":" <cs in decimal>
///   [":" <spi as lowercase hex>]
/// Errors: field_too_long (spi longer than 8 bytes, RFC 6043 §6.2.1's KV
/// SPI as roles::session_key holds it).
[[nodiscard]] constexpr result<psk_identity> tls_psk_identity(csb_id csb, cs_id cs, bytes_view spi) noexcept {
    if (spi.size() > 8) return errc::field_too_long;
    constexpr char hex[] = "0123456789abcdef";
    psk_identity id;
    std::size_t n = 0;
    const auto put = [&](char c) { id.text[n++] = c; };
    for (const char c : psk_identity_prefix) put(c);
    for (int shift = 28; shift >= 0; shift -= 4) put(hex[(csb.get() >> shift) & 0x0Fu]);
    put(':');
    const unsigned v = cs.get();
    if (v >= 100) put(static_cast<char>('0' + v / 100));
    if (v >= 10) put(static_cast<char>('0' + (v / 10) % 10));
    put(static_cast<char>('0' + v % 10));
    if (!spi.empty()) {
        put(':');
        for (const std::uint8_t b : spi) {
            put(hex[b >> 4]);
            put(hex[b & 0x0Fu]);
        }
    }
    id.size = static_cast<std::uint8_t>(n);
    return id;
}

/// What TLS needs to run RFC 4279 PSK key exchange for BFCP (or MSRP).
struct tls_psk {
    secret_buffer<64> key{};  ///< the PSK: the crypto session's TEK (wiped on destruction)
    psk_identity identity{};  ///< see tls_psk_identity
};

/// The TLS pre-shared key and PSK identity of the BFCP crypto session `k`
/// (seed 003 G.3.2: "BFCP traffic shall be protected in the same way as
/// MSRP traffic, i.e. using a TLS tunnel established with MIKEY-TICKET";
/// TS 23.333 §6.2.19: the PSK is "the TEK associated with that crypto
/// session"). The PSK is k.tek as the role machine established it: the TEK
/// carried in the KEMAC, or derived from the TGK / TGK' with D4 (RFC 6043
/// §5.1.3) with the crypto session's CS ID. The identity is
/// tls_psk_identity(csb, k.cs, k.spi_view()).
/// Both ends get the same value from the same exchange: the Initiator and
/// the Responder (with forking, the Responder's TGK' is what both hold).
/// Errors: missing_key (k holds no TEK); key_too_short (a TEK under 16
/// bytes: RFC 6043 §12.1 wants at least 128-bit keys); field_too_long (an
/// SPI over 8 bytes, which a session_key cannot hold).
[[nodiscard]] inline result<tls_psk> tls_psk_of(const roles::session_key& k, csb_id csb) noexcept {
    if (k.tek.empty()) return errc::missing_key;
    // RFC 6043 §12.1: keys of at least 128 bits.
    if (k.tek.size() < 16) return errc::key_too_short;
    auto id = tls_psk_identity(csb, k.cs, k.spi_view());
    if (!id) return id.error_info();
    auto key = secret_buffer<64>::from(k.tek.view());
    if (!key) return key.error_info();
    tls_psk out;
    out.key = std::move(*key);
    out.identity = *id;
    return out;
}

// ================================================================ event package NOTIFY protection

/// The content type of conference event package bodies (RFC 4575 §4).
inline constexpr std::string_view conference_info_content_type = "application/conference-info+xml";

inline constexpr std::size_t notify_seq_size = 8;    ///< big-endian sequence number in front
inline constexpr std::size_t notify_tag_size = 16;   ///< AES-GCM tag (RFC 5116 §5.1, §5.2)
inline constexpr std::size_t notify_nonce_size = 12; ///< RFC 5116 §3.2's recommended nonce length
inline constexpr std::size_t notify_salt_size = 12;  ///< the salt bytes the nonce takes
/// Bytes a protected body adds to its plaintext.
inline constexpr std::size_t notify_overhead = notify_seq_size + notify_tag_size;
/// Longest conference URI and content type accepted into the AAD (it is
/// built on the stack; SIP URIs are far shorter; RFC 6838 §4.2 limits type
/// and subtype names to 127 characters each).
inline constexpr std::size_t max_conference_uri_size = 2048;
inline constexpr std::size_t max_content_type_size = 255;
/// The replay window of notify_opener, in sequence numbers.
inline constexpr std::size_t notify_replay_window = 64;

/// Size of a protected body for a plaintext of `plain` bytes.
[[nodiscard]] constexpr std::size_t notify_protected_size(std::size_t plain) noexcept {
    return plain + notify_overhead;
}

/// The AES-GCM key and nonce salt of the event package crypto session.
struct notify_key {
    secret_buffer<32> key{};   ///< the TEK: 16 (AES-128-GCM) or 32 bytes (AES-256-GCM)
    secret_buffer<12> salt{};  ///< the first 12 bytes of the crypto session's salt
};

/// The NOTIFY protection key of crypto session `k`: its TEK (16 or 32 bytes)
/// and the first 12 bytes of its salt (the D4 salt key, 14 bytes, or the Key
/// data's carried salt: roles::session_key).
/// Errors: key_length_mismatch (a TEK of neither 16 nor 32 bytes: no
/// AEAD_AES_*_GCM of RFC 5116 takes it); missing_key (no TEK, or a salt
/// under 12 bytes).
[[nodiscard]] inline result<notify_key> notify_key_of(const roles::session_key& k) noexcept {
    if (k.tek.empty()) return errc::missing_key;
    if (k.tek.size() != 16 && k.tek.size() != 32) return errc::key_length_mismatch;
    if (k.salt.size() < notify_salt_size) return errc::missing_key;
    notify_key out;
    auto key = secret_buffer<32>::from(k.tek.view());
    if (!key) return key.error_info();
    auto salt = secret_buffer<12>::from(k.salt.view().first(notify_salt_size));
    if (!salt) return salt.error_info();
    out.key = std::move(*key);
    out.salt = std::move(*salt);
    return out;
}

/// The nonce of sequence number `seq`: salt (12 bytes) XOR
/// (0x00 0x00 0x00 0x00 || seq as 8 bytes big-endian), RFC 7714 §8.1's
/// construction with the sequence number in place of SSRC/ROC/SEQ.
/// Precondition: salt.size() == notify_salt_size (shorter salts are padded
/// with zeros, longer ones cut).
[[nodiscard]] constexpr std::array<std::uint8_t, notify_nonce_size> notify_nonce(bytes_view salt,
                                                                                 std::uint64_t seq) noexcept {
    std::array<std::uint8_t, notify_nonce_size> n{};
    for (std::size_t i = 0; i < n.size() && i < salt.size(); ++i) n[i] = salt[i];
    for (std::size_t i = 0; i < 8; ++i) {
        n[4 + i] = static_cast<std::uint8_t>(n[4 + i] ^ static_cast<std::uint8_t>(seq >> (56 - 8 * i)));
    }
    return n;
}

/// Size of the associated data for this URI and content type.
[[nodiscard]] constexpr std::size_t notify_aad_size(std::string_view conference_uri,
                                                    std::string_view content_type) noexcept {
    return 2 + conference_uri.size() + 2 + content_type.size() + 8;
}

/// Writes the associated data of one protected body into `out`:
///   u16 len || conference URI || u16 len || content type || u64 seq
/// (big-endian). Returns the written prefix of `out`.
/// Errors: field_too_long (URI over max_conference_uri_size or content type
/// over max_content_type_size); buffer_too_small.
[[nodiscard]] constexpr result<bytes_view> write_notify_aad(std::string_view conference_uri,
                                                            std::string_view content_type, std::uint64_t seq,
                                                            mutable_bytes out) noexcept {
    if (conference_uri.size() > max_conference_uri_size || content_type.size() > max_content_type_size) {
        return errc::field_too_long;
    }
    const std::size_t size = notify_aad_size(conference_uri, content_type);
    if (out.size() < size) return errc::buffer_too_small;
    std::size_t n = 0;
    const auto text = [&](std::string_view s) {
        out[n++] = static_cast<std::uint8_t>(s.size() >> 8);
        out[n++] = static_cast<std::uint8_t>(s.size());
        for (const char c : s) out[n++] = static_cast<std::uint8_t>(c);
    };
    text(conference_uri);
    text(content_type);
    for (int shift = 56; shift >= 0; shift -= 8) out[n++] = static_cast<std::uint8_t>(seq >> shift);
    return bytes_view{out.data(), size};
}

namespace detail {

/// Owns one botan_cipher_t.
class ffi_cipher {
public:
    ffi_cipher() noexcept = default;
    ffi_cipher(const ffi_cipher&) = delete;
    ffi_cipher& operator=(const ffi_cipher&) = delete;
    ~ffi_cipher() {
        if (m_obj != nullptr) botan_cipher_destroy(m_obj);
    }
    botan_cipher_t* out() noexcept { return &m_obj; }
    botan_cipher_t get() const noexcept { return m_obj; }

private:
    botan_cipher_t m_obj = nullptr;
};

/// One AES-GCM operation through Botan's FFI: `in` (plaintext, or
/// ciphertext || tag) into `out` (exactly in.size() + 16 bytes to encrypt,
/// in.size() - 16 to decrypt).
/// Errors: auth_failure (decryption: the tag does not verify,
/// BOTAN_FFI_ERROR_BAD_MAC); crypto_backend_failure (any other FFI error).
[[nodiscard]] inline result<void> aes_gcm(bool encrypt, const notify_key& k, bytes_view nonce, bytes_view aad,
                                         bytes_view in, mutable_bytes out) noexcept {
    ffi_cipher c;
    const char* name = k.key.size() == 32 ? "AES-256/GCM" : "AES-128/GCM";
    const std::uint32_t dir = encrypt ? BOTAN_CIPHER_INIT_FLAG_ENCRYPT : BOTAN_CIPHER_INIT_FLAG_DECRYPT;
    if (botan_cipher_init(c.out(), name, dir) != 0) return errc::crypto_backend_failure;
    if (botan_cipher_set_key(c.get(), k.key.view().data(), k.key.size()) != 0) return errc::crypto_backend_failure;
    if (botan_cipher_set_associated_data(c.get(), aad.data(), aad.size()) != 0) {
        return errc::crypto_backend_failure;
    }
    if (botan_cipher_start(c.get(), nonce.data(), nonce.size()) != 0) return errc::crypto_backend_failure;
    // An empty span may have a null data(); Botan's FFI refuses null pointers.
    std::uint8_t dummy_in = 0;
    std::uint8_t dummy_out = 0;
    const std::uint8_t* in_ptr = in.empty() ? &dummy_in : in.data();
    std::uint8_t* out_ptr = out.empty() ? &dummy_out : out.data();
    std::size_t written = 0;
    std::size_t consumed = 0;
    const int rc = botan_cipher_update(c.get(), BOTAN_CIPHER_UPDATE_FLAG_FINAL, out_ptr, out.size(), &written,
                                       in_ptr, in.size(), &consumed);
    if (rc == BOTAN_FFI_ERROR_BAD_MAC) {
        secure_wipe(out);
        return errc::auth_failure;
    }
    if (rc != 0 || written != out.size() || consumed != in.size()) {
        secure_wipe(out);
        return errc::crypto_backend_failure;
    }
    return {};
}

}  // namespace detail

/// The sending side of event package NOTIFY protection (seed 003 G.3.3;
/// this library's AES-GCM reading, see the top of this header): seals
/// bodies with sequence numbers first, first + 1, ... up to 2^64 - 1, then
/// refuses (sequence_exhausted) instead of wrapping, which would reuse a
/// nonce. Exactly one sealer may exist per key (the notification service's,
/// per subscriber's crypto session); to restart with the same key, persist
/// next_sequence() and pass it as `first`.
class notify_sealer {
public:
    /// A sealer for crypto session `k` (notify_key_of) whose first body gets
    /// sequence number `first`.
    /// Errors: those of notify_key_of.
    [[nodiscard]] static result<notify_sealer> make(const roles::session_key& k, std::uint64_t first = 0) noexcept {
        auto key = notify_key_of(k);
        if (!key) return key.error_info();
        return notify_sealer(std::move(*key), first);
    }

    /// Protects `body` (of content type `content_type`, e.g.
    /// conference_info_content_type) of the conference `conference_uri` into
    /// `out`: seq (8 bytes) || ciphertext || tag (16 bytes), exactly
    /// notify_protected_size(body.size()) bytes. Returns that prefix of
    /// `out` and advances the sequence number; a refused call changes
    /// nothing and leaves `out` unspecified.
    /// Errors: sequence_exhausted (2^64 - 1 was used); field_too_long (URI or
    /// content type too long for the AAD, see write_notify_aad);
    /// buffer_too_small; crypto_backend_failure.
    [[nodiscard]] result<bytes_view> seal(std::string_view conference_uri, std::string_view content_type,
                                          bytes_view body, mutable_bytes out) noexcept {
        if (m_exhausted) return errc::sequence_exhausted;
        const std::size_t size = notify_protected_size(body.size());
        if (out.size() < size) return errc::buffer_too_small;
        const std::uint64_t seq = m_next;
        std::array<std::uint8_t, 2 + max_conference_uri_size + 2 + max_content_type_size + 8> aad_buf{};
        const auto aad = write_notify_aad(conference_uri, content_type, seq, aad_buf);
        if (!aad) return aad.error_info();
        for (std::size_t i = 0; i < notify_seq_size; ++i) {
            out[i] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
        }
        const auto nonce = notify_nonce(m_key.salt.view(), seq);
        if (auto r = detail::aes_gcm(true, m_key, nonce, *aad, body, out.subspan(notify_seq_size, size - notify_seq_size));
            !r) {
            return r.error_info();
        }
        if (seq == std::numeric_limits<std::uint64_t>::max()) {
            m_exhausted = true;
        } else {
            ++m_next;
        }
        return bytes_view{out.data(), size};
    }

    /// The sequence number the next seal() uses (meaningless once exhausted()).
    [[nodiscard]] std::uint64_t next_sequence() const noexcept { return m_next; }
    /// True when every sequence number has been used: seal() refuses.
    [[nodiscard]] bool exhausted() const noexcept { return m_exhausted; }

private:
    notify_sealer(notify_key k, std::uint64_t first) noexcept : m_key(std::move(k)), m_next(first) {}

    notify_key m_key;
    std::uint64_t m_next = 0;
    bool m_exhausted = false;
};

/// A body notify_opener::open accepted.
struct opened_notify {
    std::uint64_t sequence = 0;  ///< its sequence number
    bytes_view body{};           ///< the plaintext: a view into the caller's `out`
};

/// The receiving side of event package NOTIFY protection (a subscriber):
/// checks size, replay window, then the AES-GCM tag, and only then moves
/// the window. Replay protection is a sliding window of
/// notify_replay_window (64) sequence numbers anchored at the highest
/// accepted one (RFC 4303 §3.4.3, RFC 3711 §3.3.2): a newer number moves it,
/// one inside it is accepted once, one below it is refused. The first body
/// may have any sequence number.
class notify_opener {
public:
    /// An opener for crypto session `k` (notify_key_of).
    /// Errors: those of notify_key_of.
    [[nodiscard]] static result<notify_opener> make(const roles::session_key& k) noexcept {
        auto key = notify_key_of(k);
        if (!key) return key.error_info();
        return notify_opener(std::move(*key));
    }

    /// Opens `protected_body` (seal()'s output) of conference
    /// `conference_uri` with content type `content_type` into `out`
    /// (protected_body.size() - notify_overhead bytes). A refused body
    /// changes nothing (the window moves only for authentic bodies) and
    /// leaves no plaintext in `out`.
    /// Errors: truncated (shorter than notify_overhead); buffer_too_small;
    /// field_too_long (URI or content type too long for the AAD);
    /// replayed_message (a sequence number inside the window already
    /// accepted); sequence_too_old (below the window); auth_failure (the
    /// tag does not verify: tampered body, sequence number, URI or content
    /// type, or another key); crypto_backend_failure.
    [[nodiscard]] result<opened_notify> open(std::string_view conference_uri, std::string_view content_type,
                                             bytes_view protected_body, mutable_bytes out) noexcept {
        if (protected_body.size() < notify_overhead) return errc::truncated;
        const std::size_t plain = protected_body.size() - notify_overhead;
        if (out.size() < plain) return errc::buffer_too_small;
        std::uint64_t seq = 0;
        for (std::size_t i = 0; i < notify_seq_size; ++i) seq = (seq << 8) | protected_body[i];
        if (auto r = check_window(seq); !r) return r.error_info();
        std::array<std::uint8_t, 2 + max_conference_uri_size + 2 + max_content_type_size + 8> aad_buf{};
        const auto aad = write_notify_aad(conference_uri, content_type, seq, aad_buf);
        if (!aad) return aad.error_info();
        const auto nonce = notify_nonce(m_key.salt.view(), seq);
        if (auto r = detail::aes_gcm(false, m_key, nonce, *aad, protected_body.subspan(notify_seq_size),
                                     out.first(plain));
            !r) {
            return r.error_info();
        }
        accept(seq);
        return opened_notify{seq, bytes_view{out.data(), plain}};
    }

    /// The highest sequence number accepted so far (nullopt: none yet).
    [[nodiscard]] std::optional<std::uint64_t> highest() const noexcept {
        return m_any ? std::optional<std::uint64_t>{m_highest} : std::nullopt;
    }

private:
    explicit notify_opener(notify_key k) noexcept : m_key(std::move(k)) {}

    /// Errors: replayed_message, sequence_too_old.
    [[nodiscard]] result<void> check_window(std::uint64_t seq) const noexcept {
        if (!m_any || seq > m_highest) return {};
        const std::uint64_t age = m_highest - seq;
        if (age >= notify_replay_window) return errc::sequence_too_old;
        if ((m_seen >> age) & 1u) return errc::replayed_message;
        return {};
    }

    /// Records an authentic seq (check_window passed).
    void accept(std::uint64_t seq) noexcept {
        if (!m_any) {
            m_any = true;
            m_highest = seq;
            m_seen = 1;
            return;
        }
        if (seq > m_highest) {
            const std::uint64_t shift = seq - m_highest;
            m_seen = shift >= notify_replay_window ? 0 : m_seen << shift;
            m_seen |= 1;
            m_highest = seq;
            return;
        }
        m_seen |= std::uint64_t{1} << (m_highest - seq);
    }

    notify_key m_key;
    std::uint64_t m_highest = 0;
    std::uint64_t m_seen = 0;  ///< bit i: m_highest - i was accepted
    bool m_any = false;
};

}  // namespace mikey::conference

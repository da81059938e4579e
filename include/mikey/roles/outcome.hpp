// mikey-ticket (roles layer): what a role machine hands back for one input,
// and the keys it establishes.
//
// A role machine is sans-I/O: each input (bytes received, or a call that
// starts an exchange) comes with `now` and an RNG, and returns an outcome:
//   - send: the bytes to send (a reply, a new initial message, or an Error
//     message), written into the caller's buffer; empty when nothing is to
//     be sent;
//   - events: what happened (ticket granted, peer authenticated, keys
//     established, ...); details are read from the machine afterwards;
//   - error: why the input was refused. A refused input changes no state.
#pragma once

#include <array>
#include <cstdint>

#include "../core/errc.hpp"
#include "../core/registry.hpp"
#include "../core/secret.hpp"
#include "../core/strong_types.hpp"

namespace mikey::roles {

/// What happened on one input (bits of outcome::events).
enum class event : std::uint8_t {
    request_answered = 1 << 0,    ///< KMS: a REQUEST_INIT was authorized, REQUEST_RESP built
    resolve_answered = 1 << 1,    ///< KMS: a RESOLVE_INIT was authorized, RESOLVE_RESP built
    ticket_granted = 1 << 2,      ///< Initiator: a verified REQUEST_RESP gave it a ticket (or it created one)
    peer_authenticated = 1 << 3,  ///< the peer proved its identity (the machine's peer_identity())
    keys_established = 1 << 4,    ///< crypto-session keys are ready (the machine's session_keys())
    ticket_resolved = 1 << 5,     ///< Responder: the ticket was opened (by the KMS or itself)
};

/// The result of one input to a role machine.
struct [[nodiscard]] outcome {
    errc error = errc::ok;       ///< ok, or why the input was refused (state unchanged)
    std::size_t error_offset = 0;  ///< byte offset in the input, where one applies
    bytes_view send{};           ///< bytes to send now (reply, next message, or Error message)
    data_type send_type{};       ///< the data type of `send`
    std::uint8_t events = 0;     ///< bits of `event`

    [[nodiscard]] constexpr bool ok() const noexcept { return error == errc::ok; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] constexpr bool has(event e) const noexcept { return (events & static_cast<std::uint8_t>(e)) != 0; }
    constexpr outcome& with(event e) noexcept {
        events = static_cast<std::uint8_t>(events | static_cast<std::uint8_t>(e));
        return *this;
    }
    /// A refused input.
    static constexpr outcome refused(failure f) noexcept { return outcome{f.code, f.offset, {}, {}, 0}; }
};

/// Most crypto sessions a machine keeps keys for.
inline constexpr std::size_t max_crypto_sessions = 16;

/// One crypto session of a bundle: its CS ID and the SSRC of its SRTP
/// stream (GENERIC-ID map, RFC 6043 §6.1.1).
struct crypto_session_spec {
    std::uint8_t cs_id = 1;
    std::uint32_t ssrc = 0;
};

/// The keys of one crypto session as a party holds them after the exchange.
///   key:  the TEK, or the TGK / GTGK (with forking: TGK', RFC 6043 §5.1.1);
///   tek:  the TEK: the key itself, or derived from key with D4 (§5.1.3);
///   salt: the Key data's salt when it carries one (+SALT kinds; RFC 6043
///         §5.1.3: "a new salting key SHALL NOT be derived"), else D4's
///         salt key (14 bytes).
struct session_key {
    /// User-provided so that arrays of session keys (16 per machine) do not
    /// zero-fill their key buffers' whole capacity (GCC clears the full
    /// object for an aggregate's `{}`): only the sizes and the SPI are set.
    session_key() noexcept {}
    // The public fields first, in one cache line: a CSB update that keeps a
    // session's key reads only these (a conference focus does it per member).
    cs_id cs{};
    key_data_type kind = key_data_type::tgk;
    std::uint8_t spi_size = 0;
    std::array<std::uint8_t, 8> spi{};  ///< the SPI / MKI naming the key (RFC 6043 §6.2.1)
    std::uint32_t ssrc = 0;  ///< the SSRC the CS ID map gives the crypto session (SRTP Session Data)
    secret_buffer<64> key{};
    secret_buffer<64> tek{};
    secret_buffer<32> salt{};
    [[nodiscard]] bytes_view spi_view() const noexcept { return {spi.data(), spi_size}; }
    /// An explicit copy (the key buffers are not copyable by accident).
    [[nodiscard]] session_key clone() const noexcept {
        session_key k;
        k.cs = cs;
        k.kind = kind;
        k.key = key.clone();
        k.tek = tek.clone();
        k.salt = salt.clone();
        k.spi = spi;
        k.spi_size = spi_size;
        k.ssrc = ssrc;
        return k;
    }
};

/// A session key one end supplies itself in the Ticket Transfer exchange:
/// the Initiator in TRANSFER_INIT (L flag, RFC 6043 §4.2.2.1), the
/// Responder in TRANSFER_RESP (M flag, §4.2.2.3), e.g. for pre-encrypted
/// content (§8) or a conference focus's group keys. It keys crypto session
/// `cs_id` (added to the CS ID map with `ssrc` when the map lacks it) and is
/// named there by `spi` (RFC 6043 §6.2.1: an SPI "MUST be specified for each
/// key"). Views: the caller keeps the bytes alive for the call.
struct supplied_key {
    std::uint8_t cs_id = 1;
    std::uint32_t ssrc = 0;
    key_data_type kind = key_data_type::tek;
    bytes_view key{};
    bytes_view salt{};  ///< only for the +SALT kinds
    bytes_view spi{};   ///< 1 to 8 bytes, unique among the bundle's keys
};

}  // namespace mikey::roles

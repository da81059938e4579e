// mikeyctl run / play: the scenario (one MIKEY-TICKET flow described in
// JSON: mode, algorithms, identities, keys, crypto sessions, policy, time,
// seed) and one role of it played message by message. `run` plays the three
// roles in one process and routes their messages; `play` plays one role
// against stdin / stdout. Both use the same scenario file and the same
// player, so the two commands cannot drift apart.
//
// Scenario fields (notes/mikeyctl.md has the full table and examples):
//   mode 1..4, forking, prf, encr, mac, initiator, responder, kms,
//   psk_initiator, psk_responder, tpk, key_kind, key_length,
//   crypto_sessions [{cs_id, ssrc}], policy (letters), now, clock_window, seed
//
// Keys by mode (RFC 6043 §4.1.1): the TPK is held by the KMS (modes 1, 2, 3),
// the Responder (2, 4) and the Initiator (3, 4); the Initiator's PSK by the
// Initiator and the KMS; the Responder's PSK by the Responder and the KMS.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <mikey/core/ntp_time.hpp>
#include <mikey/mikey.hpp>

#include "../common/json.hpp"

namespace mikeyctl::flow {

using tools::json;

/// The three RFC 6043 roles, as named in the JSON ("initiator", ...).
enum class role : std::uint8_t { initiator, responder, kms };
[[nodiscard]] std::string_view role_name(role r) noexcept;
[[nodiscard]] std::optional<role> role_from_name(std::string_view s) noexcept;

/// Most crypto sessions of a scenario (roles::max_crypto_sessions).
inline constexpr std::size_t max_sessions = 16;

/// One crypto session the Initiator proposes.
struct session_spec {
    std::uint8_t cs_id = 1;
    std::uint32_t ssrc = 0;
};

/// A parsed and checked scenario.
struct scenario {
    std::optional<std::string> description;  ///< free text, echoed
    int mode = 1;
    bool forking = false;
    mikey::prf_func prf = mikey::prf_func::prf_hmac_sha_256;
    mikey::encr_alg encr = mikey::encr_alg::aes_cm_256;
    mikey::mac_alg mac = mikey::mac_alg::hmac_sha_256_256;
    std::string initiator, responder, kms;
    std::optional<std::vector<std::uint8_t>> psk_initiator, psk_responder;
    std::vector<std::uint8_t> tpk;
    mikey::key_data_type key_kind = mikey::key_data_type::tgk;
    std::size_t key_length = 32;
    std::vector<session_spec> sessions;
    mikey::ticket_flags flags{};
    std::optional<mikey::ntp_time> now;  ///< nullopt: the system clock, read at each message
    std::chrono::seconds clock_window{300};
    std::optional<std::uint64_t> seed;   ///< nullopt: the operating system's RNG

    /// The scenario as parsed, every default filled in (policy as letters,
    /// now as RFC 3339 when fixed); it reads back as the same scenario.
    [[nodiscard]] json echo() const;
    /// `now`, or the system clock.
    [[nodiscard]] mikey::ntp_time time() const;
};

/// Checks the scenario in JSON `text`. On failure prints "error: <errc> at
/// <field>: <why>" to stderr and returns nullopt (the commands exit 2).
[[nodiscard]] std::optional<scenario> parse_scenario(std::string_view text);

/// RFC 3339 UTC ("2026-12-02T10:00:00Z") of whole seconds.
[[nodiscard]] std::string rfc3339(mikey::ntp_time t);

/// A random_generator that is either deterministic (a seed) or the system's.
class any_rng {
public:
    /// Errors: crypto_backend_failure (no system RNG).
    [[nodiscard]] static mikey::result<any_rng> create(mikey::crypto::botan_backend& b, std::optional<std::uint64_t> seed);
    [[nodiscard]] mikey::result<void> fill(mikey::mutable_bytes out) noexcept;
    any_rng(any_rng&&) noexcept;
    any_rng& operator=(any_rng&&) noexcept;
    ~any_rng();

private:
    any_rng();
    struct impl;
    std::unique_ptr<impl> m;
};

/// What one input (or the Initiator's own start) did.
struct step {
    mikey::errc error = mikey::errc::ok;
    std::string at;                               ///< message refused or being built (RFC 6043 name)
    std::optional<mikey::data_type> received;     ///< data type of the input, when its header parsed
    std::vector<std::uint8_t> sent;               ///< bytes to send (reply, next message or Error); may be empty
    std::optional<mikey::data_type> sent_type;
    std::uint8_t events = 0;                      ///< bits of mikey::roles::event
    bool keys_established = false;                ///< the keys_established event
    [[nodiscard]] bool ok() const noexcept { return error == mikey::errc::ok; }
};

/// Message names as printed: the registry name ("TRANSFER_INIT"), or the number.
[[nodiscard]] std::string message_name(mikey::data_type t);
/// Event names ("ticket_granted", ...) of an events bit set.
[[nodiscard]] json event_names(std::uint8_t events);

/// One role of a scenario: its key store, replay cache, policy and machine.
class player {
public:
    /// `backend` and `rng` are used by reference (one of each may serve
    /// several players).
    player(role who, const scenario& s, mikey::crypto::botan_backend& backend, any_rng& rng);
    ~player();
    player(const player&) = delete;
    player& operator=(const player&) = delete;

    [[nodiscard]] role who() const noexcept;
    /// The Initiator's first message: REQUEST_INIT_PSK (modes 1, 2), or the
    /// ticket it creates and TRANSFER_INIT (modes 3, 4). nullopt for the others.
    [[nodiscard]] std::optional<step> start();
    /// One message received. After a REQUEST_RESP the Initiator goes on with
    /// its TRANSFER_INIT, which is then `sent`.
    [[nodiscard]] step receive(mikey::bytes_view in);
    /// The role reached its final state: Initiator and Responder
    /// established; the KMS answered the Request (modes 1, 2) and the
    /// Resolve (modes 1, 3) its mode asks of it.
    [[nodiscard]] bool done() const noexcept;
    /// The role's keys (secrets, printed: a debugging tool), or null.
    [[nodiscard]] json keys() const;

private:
    struct impl;
    std::unique_ptr<impl> m;
};

}  // namespace mikeyctl::flow

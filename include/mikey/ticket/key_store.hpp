// mikey-ticket (ticket layer): where long-term keys come from. Role machines
// look keys up through a key_store; the in-memory default holds them in
// wiping buffers. A deployment backs the concept by an HSM, a database or a
// KMS cluster's shared store.
//
//   pre-shared keys (RFC 6043 §4.2.1.2, §4.2.3.2): the key an Initiator or
//     Responder shares with a KMS, found by the peer's identity (IDRi / IDRr)
//     or by IDRpsk when the message carries one;
//   Ticket Protection Keys (RFC 6043 App. A): found by the base ticket's
//     IDRpsk, or the store's default TPK (empty identity) when it has none.
#pragma once

#include <concepts>
#include <optional>
#include <string_view>
#include <vector>

#include "../core/bytes.hpp"
#include "../core/secret.hpp"
#include "../core/strong_types.hpp"

namespace mikey::ticket {

/// A key store. Lookups are const and noexcept; the views they return stay
/// valid while the store is not modified.
///   psk_for(peer)   the PSK shared with the party named `peer` (its IDR ID
///                   Data, or the IDRpsk ID Data), or nullopt;
///   tpk_for(id)     the TPK named by `id` (IDRpsk ID Data; empty: the
///                   default TPK), or nullopt.
template <class K>
concept key_store = requires(const K& k, identity id) {
    { k.psk_for(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
    { k.tpk_for(id) } noexcept -> std::same_as<std::optional<bytes_view>>;
};

/// The in-memory default. Adding keys allocates; lookups do not.
class memory_key_store {
public:
    /// Adds (or replaces) the PSK for `peer`. Errors: key_too_short (under
    /// 128 bits, RFC 6043 §12.1).
    [[nodiscard]] result<void> add_psk(bytes_view peer, bytes_view key) { return add(m_psks, peer, key); }
    /// Adds (or replaces) the TPK named `id` (empty: the default TPK).
    /// Errors: key_too_short.
    [[nodiscard]] result<void> add_tpk(bytes_view id, bytes_view key) { return add(m_tpks, id, key); }

    [[nodiscard]] std::optional<bytes_view> psk_for(identity peer) const noexcept { return find(m_psks, peer.get()); }
    [[nodiscard]] std::optional<bytes_view> tpk_for(identity id) const noexcept { return find(m_tpks, id.get()); }

private:
    struct entry {
        std::vector<std::uint8_t> name;
        secret_bytes key;
    };
    static result<void> add(std::vector<entry>& v, bytes_view name, bytes_view key) {
        // RFC 6043 §12.1: "All keys ... MUST have adequate strength/length, i.e., 128 bits or more."
        if (key.size() < 16) return errc::key_too_short;
        for (auto& e : v) {
            if (equal_bytes(e.name, name)) {
                e.key = secret_bytes::from(key);
                return {};
            }
        }
        v.push_back(entry{std::vector<std::uint8_t>(name.begin(), name.end()), secret_bytes::from(key)});
        return {};
    }
    static std::optional<bytes_view> find(const std::vector<entry>& v, bytes_view name) noexcept {
        for (const auto& e : v) {
            if (equal_bytes(e.name, name)) return e.key.view();
        }
        return std::nullopt;
    }
    std::vector<entry> m_psks;
    std::vector<entry> m_tpks;
};

static_assert(key_store<memory_key_store>);

/// Bytes of a string (identities are ID Data: URIs, NAIs, byte strings).
[[nodiscard]] inline bytes_view as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace mikey::ticket

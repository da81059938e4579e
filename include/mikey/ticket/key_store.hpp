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

#include <algorithm>
#include <concepts>
#include <map>
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

/// The in-memory default: keys by name in an ordered map, so a KMS with many
/// users finds one in O(log n). Adding keys allocates; lookups do not.
class memory_key_store {
public:
    /// Adds (or replaces) the PSK for `peer`. Errors: key_too_short (under
    /// 128 bits, RFC 6043 §12.1).
    [[nodiscard]] result<void> add_psk(bytes_view peer, bytes_view key) { return add(m_psks, peer, key); }
    /// Adds (or replaces) the TPK named `id` (empty: the default TPK).
    /// Errors: key_too_short.
    [[nodiscard]] result<void> add_tpk(bytes_view id, bytes_view key) { return add(m_tpks, id, key); }
    /// Drops the PSK for `peer` (a user removed from the KMS; its key is
    /// wiped). False when there was none.
    bool remove_psk(bytes_view peer) noexcept { return remove(m_psks, peer); }
    /// Drops the TPK named `id`. False when there was none.
    bool remove_tpk(bytes_view id) noexcept { return remove(m_tpks, id); }

    [[nodiscard]] std::optional<bytes_view> psk_for(identity peer) const noexcept { return find(m_psks, peer.get()); }
    [[nodiscard]] std::optional<bytes_view> tpk_for(identity id) const noexcept { return find(m_tpks, id.get()); }
    /// How many PSKs the store holds.
    [[nodiscard]] std::size_t psk_count() const noexcept { return m_psks.size(); }

private:
    /// Byte-wise order of names, comparable with bytes_view (lookups build no key).
    struct name_order {
        using is_transparent = void;
        bool operator()(bytes_view a, bytes_view b) const noexcept {
            return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
        }
    };
    using key_map = std::map<std::vector<std::uint8_t>, secret_bytes, name_order>;

    static result<void> add(key_map& m, bytes_view name, bytes_view key) {
        // RFC 6043 §12.1: "All keys ... MUST have adequate strength/length, i.e., 128 bits or more."
        if (key.size() < 16) return errc::key_too_short;
        if (const auto it = m.find(name); it != m.end()) {
            it->second = secret_bytes::from(key);
            return {};
        }
        m.emplace(std::vector<std::uint8_t>(name.begin(), name.end()), secret_bytes::from(key));
        return {};
    }
    static bool remove(key_map& m, bytes_view name) noexcept {
        const auto it = m.find(name);
        if (it == m.end()) return false;
        m.erase(it);
        return true;
    }
    static std::optional<bytes_view> find(const key_map& m, bytes_view name) noexcept {
        if (const auto it = m.find(name); it != m.end()) return it->second.view();
        return std::nullopt;
    }
    key_map m_psks;
    key_map m_tpks;
};

static_assert(key_store<memory_key_store>);

/// Bytes of a string (identities are ID Data: URIs, NAIs, byte strings).
[[nodiscard]] inline bytes_view as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
/// The other way: ID Data seen as characters (a view of the same bytes).
[[nodiscard]] inline std::string_view as_chars(bytes_view b MIKEY_LIFETIMEBOUND) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace mikey::ticket

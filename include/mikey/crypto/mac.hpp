// mikey-ticket: the KEMAC MAC / V Auth alg functions (RFC 3830 §4.2.4,
// RFC 6043 §6.2) over a list of byte ranges: NULL, HMAC-SHA-1-160,
// HMAC-SHA-256-256. The ranges are whatever the MAC covers (message parts
// with the MAC field and, in TRANSFER_INIT, the Initiator Data cut out, then
// the appended identities / initial message).
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "../core/bytes.hpp"
#include "../core/registry.hpp"
#include "../core/result.hpp"
#include "algorithms.hpp"
#include "backend.hpp"

namespace mikey::crypto {

static_assert(max_mac_size <= max_hmac_size, "every registered MAC fits the HMAC-sized buffers below");

/// Computes the MAC of `parts` (concatenated in order) into `out`
/// (out.size() == mac_size(a); empty for NULL).
/// Errors: unsupported_algorithm, key_length_mismatch (auth_key not the
/// algorithm's key size: 20 bytes for HMAC-SHA-1-160 (RFC 3830 §4.2.4), 32
/// for HMAC-SHA-256-256 (RFC 6043 §6.2), empty for NULL), invalid_argument
/// (out size), crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> compute_mac(B& b, mac_alg a, bytes_view auth_key, std::span<const bytes_view> parts,
                                       mutable_bytes out) noexcept {
    if (auto r = check_auth_key(a, auth_key.size()); !r) return r;
    if (out.size() != mac_size(a)) return errc::invalid_argument;
    const auto h = hash_of(a);
    if (!h) return {};  // NULL: no MAC
    if (auto r = b.hmac_set_key(*h, auth_key); !r) return r;
    for (const bytes_view p : parts) b.hmac_update(*h, p);
    return b.hmac_final(*h, out);
}

/// Recomputes the MAC of `parts` and compares it with `mac` in constant time.
/// Errors: auth_failure (mismatch, or a MAC field of the wrong length), then
/// as compute_mac.
template <crypto_backend B>
[[nodiscard]] result<void> verify_mac(B& b, mac_alg a, bytes_view auth_key, std::span<const bytes_view> parts,
                                      bytes_view mac) noexcept {
    if (mac.size() != mac_size(a)) return errc::auth_failure;
    std::array<std::uint8_t, max_hmac_size> expect{};
    const mutable_bytes e{expect.data(), mac_size(a)};
    if (auto r = compute_mac(b, a, auth_key, parts, e); !r) return r;
    const bool ok = b.equal(e, mac);
    b.wipe(expect);
    if (!ok) return errc::auth_failure;
    return {};
}

}  // namespace mikey::crypto

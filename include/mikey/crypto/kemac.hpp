// mikey-ticket: protected KEMAC payloads (RFC 3830 §6.2, §4.2.3-§4.2.4;
// RFC 6043 §6.2): build one from Key data entries, open one back into views
// of its Key data entries.
//
// MAC coverage depends on the method (RFC 3830 §6.2):
//   PK method (kemac_mac_scope::kemac_only): the KEMAC payload alone, minus
//     the MAC field, with its Next payload byte taken as zero;
//   PSK method (RFC 3830 I_MESSAGE): the whole message up to the MAC field:
//     build the KEMAC with mac_scope::message (the MAC field is left zero),
//     assemble the message, then fill_message_mac() (ticket/mac_coverage.hpp);
//   RFC 6043 messages: MAC alg NULL, the V payload authenticates.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>

#include "../payload/chain.hpp"
#include "backend.hpp"
#include "kemac_cipher.hpp"
#include "mac.hpp"

namespace mikey::crypto {

/// Which bytes the KEMAC's own MAC covers.
enum class kemac_mac_scope : std::uint8_t {
    kemac_only,  ///< PK method: KEMAC payload with Next payload = 0, minus the MAC field
    message      ///< PSK method: the whole message (filled later by fill_message_mac)
};

/// Algorithms and keys of one KEMAC.
struct kemac_protection {
    encr_alg encr = encr_alg::aes_cm_128;
    mac_alg mac = mac_alg::null;
    kemac_cipher_keys cipher{};  ///< encr_key, salt_key, CSB ID, T
    bytes_view auth_key{};       ///< for mac != NULL
    kemac_mac_scope scope = kemac_mac_scope::kemac_only;
    /// PK method: the Initiator's ID payload, encrypted ahead of the Key data
    /// ("adding the ID payload as the first payload", RFC 3830 §6.2).
    std::optional<id_builder> initiator_id{};
};

/// Bytes of the plaintext Key data chain for `entries` (and an optional
/// leading ID payload, PK method) and of the whole KEMAC payload.
/// Errors: the builders' own (invalid_argument, field_too_long), unsupported_algorithm.
struct kemac_sizes {
    std::size_t plain = 0;
    std::size_t kemac = 0;
};
[[nodiscard]] constexpr result<kemac_sizes> kemac_size(const kemac_protection& p,
                                                        std::span<const key_data_builder> entries) noexcept {
    byte_writer w;
    chain_writer c(w, std::nullopt);
    c.add(p.initiator_id);
    c.add(entries);
    if (w.failed()) return w.error();
    const auto enc = encrypted_size(p.encr, w.size());
    if (!enc || !auth_key_size(p.mac)) return errc::unsupported_algorithm;
    const auto kemac = kemac_payload_size(*enc, p.mac);
    if (!kemac) return kemac.error();
    return kemac_sizes{w.size(), *kemac};
}

namespace detail {
/// The KEMAC-only MAC (RFC 3830 §6.2 public-key case): "calculated over the
/// Key data transport payload, except for the MAC field and where the Next
/// payload field has been set to zero".
template <crypto_backend B>
[[nodiscard]] result<void> kemac_only_mac(B& b, mac_alg a, bytes_view auth_key, bytes_view kemac_bytes,
                                          std::size_t mac_offset, mutable_bytes out) noexcept {
    static constexpr std::array<std::uint8_t, 1> zero{0};
    const std::array<bytes_view, 2> parts{bytes_view(zero), kemac_bytes.subspan(1, mac_offset - 1)};
    return compute_mac(b, a, auth_key, parts, out);
}
}  // namespace detail

/// Writes a complete KEMAC payload (Next payload 0) protecting `entries`
/// (chained: Next 20 while another follows, 0 after the last; preceded by
/// p.initiator_id when set) into `out`,
/// which must hold kemac_size().kemac bytes; `plain_scratch` (>= .plain
/// bytes) receives the plaintext chain and is wiped before returning.
/// With scope kemac_only and a non-NULL MAC the MAC is filled; with scope
/// message it is left zero for fill_message_mac().
/// Errors: unsupported_algorithm, key_length_mismatch (encr / salt / auth key
/// sizes), invalid_argument (an entry's own rules, AES-KW plaintext not a
/// multiple of 8 bytes (RFC 3394 §2)), buffer_too_small, field_too_long,
/// crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<bytes_view> build_protected_kemac(B& b, const kemac_protection& p,
                                                       std::span<const key_data_builder> entries,
                                                       mutable_bytes plain_scratch, mutable_bytes out) noexcept {
    if (!encrypted_size(p.encr, 0) || !auth_key_size(p.mac)) return errc::unsupported_algorithm;
    if (auto r = check_auth_key(p.mac, p.auth_key.size()); !r) return r.error();
    // The chain is written straight into the scratch (no counting pass
    // first): a chain that does not fit fails the writer with buffer_too_small.
    byte_writer pw(plain_scratch);
    chain_writer c(pw, std::nullopt);
    c.add(p.initiator_id);
    c.add(entries);
    const mutable_bytes plain = plain_scratch.first(pw.size());
    if (pw.failed()) {
        b.wipe(plain);
        return pw.error();
    }
    const std::size_t enc_len = *encrypted_size(p.encr, plain.size());
    const auto kemac_len = kemac_payload_size(enc_len, p.mac);
    if (!kemac_len || out.size() < *kemac_len) {
        b.wipe(plain);
        return kemac_len ? errc::buffer_too_small : kemac_len.error();
    }
    const mutable_bytes kemac = out.first(*kemac_len);
    const kemac_frame f = put_kemac_frame(kemac, p.encr, enc_len, p.mac);
    auto r = kemac_encrypt(b, p.encr, p.cipher, plain, f.encrypted_data);
    b.wipe(plain);
    if (!r) return r.error();
    for (auto& x : f.mac) x = 0;
    if (p.scope == kemac_mac_scope::kemac_only && p.mac != mac_alg::null) {
        if (auto m = detail::kemac_only_mac(b, p.mac, p.auth_key, kemac, kemac.size() - f.mac.size(), f.mac); !m) {
            return m.error();
        }
    }
    return bytes_view(kemac);
}

/// Verifies a KEMAC's own MAC in the PK method (scope kemac_only).
/// `expected` is the MAC alg the receiver's policy requires: a KEMAC naming
/// another one fails (no downgrade to NULL by flipping the Mac alg byte).
/// An expected NULL MAC verifies trivially: RFC 6043 KEMACs rely on the V
/// payload (ticket/mac_coverage.hpp).
/// Errors: auth_failure, key_length_mismatch, unsupported_algorithm,
/// crypto_backend_failure.
template <crypto_backend B>
[[nodiscard]] result<void> verify_kemac_mac(B& b, const kemac_view& k, mac_alg expected, bytes_view auth_key) noexcept {
    if (k.mac_algorithm() != expected) return errc::auth_failure;
    if (k.mac_algorithm() == mac_alg::null) return {};
    std::array<std::uint8_t, max_hmac_size> expect{};
    const mutable_bytes e{expect.data(), mac_size(k.mac_algorithm())};
    if (auto r = detail::kemac_only_mac(b, k.mac_algorithm(), auth_key, k.bytes(), k.mac_offset(), e); !r) return r;
    const bool ok = b.equal(e, k.mac());
    b.wipe(expect);
    if (!ok) return errc::auth_failure;
    return {};
}

/// Decrypts a KEMAC's Encr data into `plain_out` (>= the plaintext size:
/// decrypted_size(encryption, encrypted_data.size())) and parses it as a Key
/// data chain (with a leading ID payload when `id_first`, PK method). The
/// returned list's views point into plain_out, which holds key material: the
/// caller wipes it (e.g. a secret_buffer / secret_bytes).
/// Does not verify the MAC: call verify_kemac_mac (PK method) or
/// verify_message_mac (PSK method, RFC 6043 messages) first.
/// Errors: unsupported_algorithm, key_length_mismatch, buffer_too_small,
/// key_unwrap_failure (AES-KW integrity), crypto_backend_failure, and the
/// Key data chain's parse errors (length_out_of_bounds, misplaced_payload,
/// unknown_key_data_type, unknown_kv_type, trailing_bytes); on any error
/// plain_out is wiped.
template <crypto_backend B>
[[nodiscard]] result<key_data_list> open_kemac(B& b, const kemac_view& k, const kemac_cipher_keys& keys,
                                               mutable_bytes plain_out, bool id_first = false) noexcept {
    if (!encrypted_size(k.encryption(), 0)) return errc::unsupported_algorithm;
    const auto n = decrypted_size(k.encryption(), k.encrypted_data().size());
    if (!n) return errc::key_unwrap_failure;
    if (plain_out.size() < *n) return errc::buffer_too_small;
    const mutable_bytes plain = plain_out.first(*n);
    if (auto r = kemac_decrypt(b, k.encryption(), keys, k.encrypted_data(), plain); !r) {
        b.wipe(plain_out);
        return r.error_info();
    }
    auto list = key_data_list::parse(plain, id_first);
    if (!list) b.wipe(plain_out);
    return list;
}

}  // namespace mikey::crypto

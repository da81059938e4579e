// mikey-ticket (ticket layer): the sealing builder. One object composes a
// whole protected RFC 6043 message in one pass over a caller buffer:
// header, payloads, KEMAC encryption, a TICKET with Initiator Data
// placeholders, and the closing V; seal() then computes the V MAC over the
// RFC 6043 §5.5 coverage (the TRANSFER_INIT cut around the Initiator Data
// included), and Vi / Vr (§6.10), from the offsets it recorded while
// writing: it never parses its own output back.
//
//     sealed_message_builder s(buf);
//     s.header(hdr).add(t).add(randri).add(idri).add(idrr);
//     s.add_ticket(ticket, mac_alg::hmac_sha_256_256);   // with Initiator Data
//     auto msg = s.seal(backend, mac_alg::hmac_sha_256_256, auth_key, {id_i, id_r}, vr_key);
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>

#include "../crypto/backend.hpp"
#include "../crypto/kemac.hpp"
#include "../crypto/mac.hpp"
#include "../core/secret.hpp"
#include "../message.hpp"

namespace mikey::ticket {

/// Largest KEMAC plaintext the builder encrypts (MPKi, MPKr and 12 session
/// keys with salts and SPIs fit with room to spare).
inline constexpr std::size_t max_kemac_plain = 1024;

namespace detail {
/// A KEMAC with MAC alg NULL (RFC 6043 messages and the base ticket) built
/// into an inline buffer by crypto::build_protected_kemac; builder() hands
/// its fields to a chain. Wipes the plaintext scratch.
/// Neither buffer is zero-filled first: build_protected_kemac writes every
/// byte it hands back, and wipes the part of `plain` it wrote (the plaintext
/// chain) on every path. `bytes` (with Encr alg NULL, plaintext) is wiped
/// up to `size` by the destructor, and whole when a build fails.
struct encrypted_kemac {
    std::array<std::uint8_t, max_kemac_plain + 16> bytes;
    std::size_t size = 0;
    template <crypto::crypto_backend B>
    [[nodiscard]] result<void> build(B& b, encr_alg encr, const crypto::kemac_cipher_keys& cipher,
                                     std::span<const key_data_builder> keys) noexcept {
        std::array<std::uint8_t, max_kemac_plain> plain;
        const crypto::kemac_protection p{encr, mac_alg::null, cipher, {}, crypto::kemac_mac_scope::kemac_only, {}};
        const auto k = crypto::build_protected_kemac(b, p, keys, plain, bytes);
        if (!k) {
            b.wipe(bytes);
            size = 0;
            return k.error();
        }
        size = k->size();
        return {};
    }
    /// The KEMAC built, read back through kemac_view (the layout is the payload layer's).
    [[nodiscard]] kemac_builder builder() const noexcept MIKEY_LIFETIMEBOUND {
        return kemac_view::from_validated(bytes_view(bytes.data(), size)).to_builder();
    }
    ~encrypted_kemac() { secure_wipe(bytes.data(), size); }
};

/// Computes the V MAC over `head` (pieces of `buf`, the last one ending
/// at `end`, where the MAC field starts) followed by `appendix` (RFC 6043
/// §5.5: the identities, or the initial message) into `mac`. When the
/// appendix fits into `buf` from `end` on and does not overlap it, it is
/// written there, so that the last piece and the appendix are one HMAC
/// update (fewer, longer updates: less of the hash's buffering); the bytes
/// of `buf` from `end` on are scratch then. `mac` may lie at `end` (the
/// input is absorbed before the tag is written: crypto_backend's
/// hmac_update).
/// Errors: as crypto::compute_mac, invalid_argument (more than 6 pieces).
template <crypto::crypto_backend B>
[[nodiscard]] result<void> mac_with_appendix(B& b, mac_alg alg, bytes_view auth_key, mutable_bytes buf,
                                             std::span<const bytes_view> head, std::size_t end,
                                             std::span<const bytes_view> appendix, mutable_bytes mac) noexcept {
    std::array<bytes_view, 6> parts{};
    if (head.empty() || head.size() + appendix.size() > parts.size()) return errc::invalid_argument;
    std::size_t extra = 0;
    bool apart = true;
    const std::less<const std::uint8_t*> before;
    const std::uint8_t* scratch = buf.data() + end;
    for (const bytes_view a : appendix) {
        extra += a.size();
        apart = apart && (a.empty() || !before(a.data(), buf.data() + buf.size()) || !before(scratch, a.data() + a.size()));
    }
    std::size_t n = 0;
    for (const bytes_view h : head) parts[n++] = h;
    if (!apart || extra > buf.size() - end) {
        for (const bytes_view a : appendix) parts[n++] = a;
        return crypto::compute_mac(b, alg, auth_key, std::span<const bytes_view>(parts.data(), n), mac);
    }
    std::size_t at = end;
    for (const bytes_view a : appendix) {
        copy_bytes(buf.subspan(at, a.size()), a);
        at += a.size();
    }
    const bytes_view last = parts[n - 1];
    parts[n - 1] = bytes_view(last.data(), last.size() + extra);
    return crypto::compute_mac(b, alg, auth_key, std::span<const bytes_view>(parts.data(), n), mac);
}
}  // namespace detail

class sealed_message_builder {
public:
    explicit sealed_message_builder(mutable_bytes out MIKEY_LIFETIMEBOUND) noexcept : m_out(out), m_b(out) {}
    sealed_message_builder(const sealed_message_builder&) = delete;
    sealed_message_builder& operator=(const sealed_message_builder&) = delete;

    /// Writes the header (first call).
    sealed_message_builder& header(const hdr_builder& h) noexcept {
        m_b.header(h);
        return *this;
    }
    /// Appends a payload (or an optional one, or a span of them).
    template <class B>
    sealed_message_builder& add(const B& b) noexcept {
        m_b.add(b);
        return *this;
    }

    /// Appends an RFC 6043 KEMAC (MAC alg NULL: the V payload authenticates,
    /// RFC 6043 §4.2.1.5, §4.2.3.5, §5.2) holding `keys`, encrypted with
    /// `encr` under `cipher` (encr_key, salt_key, CSB ID, T of this message).
    /// Errors (reported by seal()): buffer_too_small (plaintext over
    /// max_kemac_plain), and those of crypto::kemac_encrypt.
    template <crypto::crypto_backend B>
    sealed_message_builder& add_kemac(B& b, encr_alg encr, const crypto::kemac_cipher_keys& cipher,
                                      std::span<const key_data_builder> keys) noexcept {
        if (m_error != errc::ok) return *this;
        detail::encrypted_kemac k;
        if (auto r = k.build(b, encr, cipher, keys); !r) {
            m_error = r.error();
            return *this;
        }
        m_b.add(k.builder());
        return *this;
    }

    /// Appends `t` as a TICKET payload. With `initiator_data_alg` (key
    /// forking, RFC 6043 §6.10) the Initiator Data is First Payload (V),
    /// Vi, Vr with `initiator_data_alg`, MACs zero until seal() fills them
    /// (Vi's Next Payload is V: see notes/ticket.md); without it the
    /// Initiator Data is empty. Errors (reported by seal()):
    /// invalid_argument (an unregistered `initiator_data_alg`).
    sealed_message_builder& add_ticket(const ticket_view& t,
                                       std::optional<mac_alg> initiator_data_alg = std::nullopt) noexcept {
        if (m_error != errc::ok) return *this;
        m_idata_len = 0;
        if (initiator_data_alg) {
            const v_builder v{{}, *initiator_data_alg, bytes_view(zero_mac.data(), mac_size(*initiator_data_alg))};
            byte_writer w{mutable_bytes(m_idata)};
            w.u8(0);  // First Payload, set to V by the chain writer
            chain_writer(w, std::size_t{0}).add(v).add(v);  // Vi, then Vr (the last payload)
            if (w.failed()) {  // an unregistered Auth alg (v_builder: invalid_argument)
                m_error = w.error();
                return *this;
            }
            m_idata_len = w.size();
            m_idata_alg = *initiator_data_alg;
        }
        m_ticket_at = m_b.size();
        // TICKET: copied up to its Initiator Data length field, then the new Initiator Data.
        m_idata_len_at = m_ticket_at + t.initiator_data_length_offset();
        m_b.add(t.with_initiator_data(bytes_view(m_idata.data(), m_idata_len)));
        m_ticket_end = m_b.size();
        m_has_ticket = true;
        return *this;
    }

    /// Appends V (Auth alg `alg`), then computes its MAC with `auth_key`
    /// over the message (minus the MAC field; for TRANSFER_INIT minus the
    /// TICKET's Initiator Data length and Initiator Data, RFC 6043 §5.5)
    /// followed by `appendix` (the identities of an initial message, or the
    /// complete initial message of a response). When the TICKET carries
    /// Initiator Data, writes Vi (= the V MAC) and Vr (MAC with
    /// `vr_auth_key` over the Initiator Data up to Vr's MAC field). Bytes
    /// of the buffer past the message may be used as scratch for the MAC
    /// input (detail::mac_with_appendix); they hold no secret.
    /// Errors: the first error of any earlier call (buffer_too_small,
    /// field_too_long, invalid_argument, the KEMAC's), key_length_mismatch,
    /// unsupported_algorithm, crypto_backend_failure.
    template <crypto::crypto_backend B>
    [[nodiscard]] result<bytes_view> seal(B& b, mac_alg alg, bytes_view auth_key,
                                          std::initializer_list<bytes_view> appendix,
                                          bytes_view vr_auth_key = {}) noexcept {
        if (m_error != errc::ok) return m_error;
        const std::size_t m = mac_size(alg);
        m_b.add(v_builder{.kind = alg, .value = bytes_view(zero_mac.data(), m)});
        const auto msg = m_b.finish();
        if (!msg) return msg;
        const std::size_t end = msg->size();
        const std::size_t mac_at = end - m;
        const mutable_bytes all = m_out.first(end);
        std::array<bytes_view, 2> head{};
        std::size_t n = 0;
        const bool cut = m_has_ticket && all[1] == static_cast<std::uint8_t>(data_type::transfer_init);
        if (cut) {
            head[n++] = all.first(m_idata_len_at);
            head[n++] = bytes_view(all).subspan(m_ticket_end, mac_at - m_ticket_end);
        } else {
            head[n++] = all.first(mac_at);
        }
        if (auto r = detail::mac_with_appendix(b, alg, auth_key, m_out, std::span<const bytes_view>(head.data(), n), mac_at,
                                       std::span<const bytes_view>(appendix.begin(), appendix.size()),
                                       all.subspan(mac_at, m));
            !r) {
            return r.error_info();
        }
        if (m_has_ticket && m_idata_len != 0) {
            // RFC 6043 §6.10: "The authentication algorithm SHALL be the same as used for the Vi payload".
            if (m_idata_alg != alg) return errc::invalid_argument;
            const std::size_t idata_at = m_idata_len_at + 2;
            const std::size_t vi_mac = idata_at + 3;
            const std::size_t vr_mac = vi_mac + m + 2;
            // RFC 6043 §6.10: "The Vi payload SHALL be identical to the V payload in the TRANSFER_INIT message."
            for (std::size_t i = 0; i < m; ++i) all[vi_mac + i] = all[mac_at + i];
            // RFC 6043 §6.10: Vr's MAC covers "the entire Initiator Data field except the MAC field itself".
            const std::array<bytes_view, 1> vr_parts{bytes_view(all).subspan(idata_at, vr_mac - idata_at)};
            if (auto r = crypto::compute_mac(b, alg, vr_auth_key, vr_parts, all.subspan(vr_mac, m)); !r) {
                return r.error_info();
            }
        }
        return bytes_view(all);
    }

private:
    /// The MAC field of a V before seal() computes it.
    static constexpr std::array<std::uint8_t, max_mac_size> zero_mac{};
    mutable_bytes m_out;
    message_builder m_b;
    errc m_error = errc::ok;
    std::array<std::uint8_t, 1 + 2 * (2 + max_mac_size)> m_idata{};  ///< First Payload, Vi, Vr
    std::size_t m_idata_len = 0;
    mac_alg m_idata_alg = mac_alg::null;
    bool m_has_ticket = false;
    std::size_t m_ticket_at = 0;
    std::size_t m_idata_len_at = 0;
    std::size_t m_ticket_end = 0;
};

}  // namespace mikey::ticket

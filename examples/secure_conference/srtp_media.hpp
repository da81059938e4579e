// secure_conference demo: SRTP media with libsrtp2, keyed by MIKEY-TICKET.
//
// A small RAII wrapper over libsrtp2 (srtp_init once per process,
// srtp_create / srtp_protect / srtp_unprotect / srtp_dealloc) whose
// srtp_policy_t comes from <mikey/srtp.hpp>:
//   policy      srtp::policy_from(SP payload), or srtp::default_policy()
//               without one (RFC 3830 §6.10.1: SRTP's own defaults)
//   key, salt   srtp::master_key_from(session_key, policy)
// One endpoint handles one SSRC in one direction: a sender protects RTP
// packets it builds itself (a minimal RFC 3550 §5.1 header: V=2, no
// padding, no extension, no CSRC, the SSRC, sequence number and timestamp
// given), a receiver unprotects them and hands back the payload.
//
// This is example code, not library code: it allocates, and it reports
// failures as bool / std::optional plus a reason text (never by throwing
// out of its functions). No MKI is used (srtp::mki_use::none); both ends
// must agree on that (srtp.hpp, mki_of). Not thread-safe per endpoint.
#pragma once

#include <srtp2/srtp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mikey/core/secret.hpp>
#include <mikey/payload/sp.hpp>
#include <mikey/roles/outcome.hpp>
#include <mikey/srtp.hpp>

namespace secure_conference {

/// Initialises libsrtp2 once per process (thread-safe: a function-local
/// static). Returns false when srtp_init failed.
inline bool init_libsrtp() noexcept {
    static const bool ok = srtp_init() == srtp_err_status_ok;
    return ok;
}

namespace detail {

/// libsrtp2's crypto policy for one direction kind of srtp.hpp's policy:
/// the named suite's setter, then sec_serv from encrypt / authenticate.
inline void set_crypto(srtp_crypto_policy_t& c, const mikey::srtp::crypto_policy& p) noexcept {
    using mikey::srtp::suite;
    switch (p.profile) {
        case suite::aes_cm_128_hmac_sha1_80: srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&c); break;
        case suite::aes_cm_128_hmac_sha1_32: srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&c); break;
        case suite::aes_cm_128_null_auth: srtp_crypto_policy_set_aes_cm_128_null_auth(&c); break;
        case suite::aes_cm_192_hmac_sha1_80: srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&c); break;
        case suite::aes_cm_192_hmac_sha1_32: srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(&c); break;
        case suite::aes_cm_192_null_auth: srtp_crypto_policy_set_aes_cm_192_null_auth(&c); break;
        case suite::aes_cm_256_hmac_sha1_80: srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&c); break;
        case suite::aes_cm_256_hmac_sha1_32: srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&c); break;
        case suite::aes_cm_256_null_auth: srtp_crypto_policy_set_aes_cm_256_null_auth(&c); break;
        case suite::null_cipher_hmac_sha1_80: srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&c); break;
        case suite::null_cipher_hmac_null: srtp_crypto_policy_set_null_cipher_hmac_null(&c); break;
        case suite::aes_gcm_128_16_auth: srtp_crypto_policy_set_aes_gcm_128_16_auth(&c); break;
        case suite::aes_gcm_256_16_auth: srtp_crypto_policy_set_aes_gcm_256_16_auth(&c); break;
    }
    c.sec_serv = static_cast<srtp_sec_serv_t>((p.encrypt ? sec_serv_conf : 0) | (p.authenticate ? sec_serv_auth : 0));
}

inline std::string status_text(srtp_err_status_t s) { return "libsrtp2 status " + std::to_string(static_cast<int>(s)); }

}  // namespace detail

/// The RTP header this demo writes and reads (RFC 3550 §5.1).
inline constexpr std::size_t rtp_header_size = 12;
/// The dynamic payload type the demo uses (RFC 3551 §3: 96-127 are dynamic).
inline constexpr std::uint8_t demo_payload_type = 96;

/// One libsrtp2 session with one stream (one SSRC, one direction).
class srtp_endpoint {
public:
    enum class role : std::uint8_t { sender, receiver };

    /// An endpoint for crypto session `k` and stream `ssrc`, with the policy
    /// of `sp` (an SP payload of the MIKEY message; none: the defaults).
    /// Returns nullopt, with the reason in `*why` when given, when the SP is
    /// not an SRTP policy libsrtp2 runs, the key does not fit the policy
    /// (srtp::master_key_from's errors), or libsrtp2 refuses.
    [[nodiscard]] static std::optional<srtp_endpoint> make(role r, const mikey::roles::session_key& k,
                                                           std::uint32_t ssrc,
                                                           const std::optional<mikey::sp_view>& sp = std::nullopt,
                                                           std::string* why = nullptr) noexcept {
        const auto fail = [why](std::string reason) noexcept -> std::optional<srtp_endpoint> {
            if (why != nullptr) {
                try {
                    *why = std::move(reason);
                } catch (...) {
                }
            }
            return std::nullopt;
        };
        try {
            if (!init_libsrtp()) return fail("srtp_init failed");
            const auto pol = mikey::srtp::policy_from(sp);
            if (!pol) return fail("SRTP policy: " + std::string(mikey::to_string(pol.error())));
            const auto keys = mikey::srtp::master_key_from(k, *pol);
            if (!keys) return fail("SRTP master key: " + std::string(mikey::to_string(keys.error())));
            // RFC 3711 §8 / libsrtp2: master key || master salt in one buffer.
            mikey::secret_buffer<64> key_salt(keys->key.size() + keys->salt.size());
            if (!keys->write_key_salt(key_salt.mutable_view())) return fail("SRTP key buffer");
            srtp_policy_t p{};
            detail::set_crypto(p.rtp, pol->rtp);
            detail::set_crypto(p.rtcp, pol->rtcp);
            p.ssrc.type = ssrc_specific;
            p.ssrc.value = ssrc;
            p.key = key_salt.mutable_view().data();
            p.window_size = 128;
            p.allow_repeat_tx = 0;
            srtp_t ctx = nullptr;
            const srtp_err_status_t st = srtp_create(&ctx, &p);
            // libsrtp2 derived its session keys during srtp_create; key_salt
            // wipes itself when it goes out of scope.
            if (st != srtp_err_status_ok) return fail("srtp_create: " + detail::status_text(st));
            return srtp_endpoint(ctx, r, ssrc);
        } catch (...) {
            return fail("allocation failure");
        }
    }

    /// make(role::sender, ...).
    [[nodiscard]] static std::optional<srtp_endpoint> sender(const mikey::roles::session_key& k, std::uint32_t ssrc,
                                                             const std::optional<mikey::sp_view>& sp = std::nullopt,
                                                             std::string* why = nullptr) noexcept {
        return make(role::sender, k, ssrc, sp, why);
    }
    /// make(role::receiver, ...).
    [[nodiscard]] static std::optional<srtp_endpoint> receiver(const mikey::roles::session_key& k,
                                                               std::uint32_t ssrc,
                                                               const std::optional<mikey::sp_view>& sp = std::nullopt,
                                                               std::string* why = nullptr) noexcept {
        return make(role::receiver, k, ssrc, sp, why);
    }

    srtp_endpoint(const srtp_endpoint&) = delete;
    srtp_endpoint& operator=(const srtp_endpoint&) = delete;
    srtp_endpoint(srtp_endpoint&& o) noexcept
        : m_ctx(std::exchange(o.m_ctx, nullptr)), m_role(o.m_role), m_ssrc(o.m_ssrc), m_last(o.m_last) {}
    srtp_endpoint& operator=(srtp_endpoint&& o) noexcept {
        if (this != &o) {
            release();
            m_ctx = std::exchange(o.m_ctx, nullptr);
            m_role = o.m_role;
            m_ssrc = o.m_ssrc;
            m_last = o.m_last;
        }
        return *this;
    }
    ~srtp_endpoint() { release(); }

    /// Builds the RTP packet (V=2, PT demo_payload_type, `seq`, `timestamp`,
    /// this endpoint's SSRC, `payload`) and protects it into `out` (SRTP
    /// packet). False (out empty) on a receiver, or when libsrtp2 refuses
    /// (last_status() says why).
    [[nodiscard]] bool protect(std::uint16_t seq, std::uint32_t timestamp, mikey::bytes_view payload,
                               std::vector<std::uint8_t>& out) noexcept {
        try {
            out.clear();
            if (m_role != role::sender || m_ctx == nullptr) return false;
            out.reserve(rtp_header_size + payload.size() + SRTP_MAX_TRAILER_LEN);
            out.push_back(0x80);  // V=2, P=0, X=0, CC=0
            out.push_back(demo_payload_type);  // M=0
            out.push_back(static_cast<std::uint8_t>(seq >> 8));
            out.push_back(static_cast<std::uint8_t>(seq));
            for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(timestamp >> shift));
            for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(m_ssrc >> shift));
            out.insert(out.end(), payload.begin(), payload.end());
            int len = static_cast<int>(out.size());
            out.resize(out.size() + SRTP_MAX_TRAILER_LEN);  // srtp_protect writes its trailer there
            m_last = srtp_protect(m_ctx, out.data(), &len);
            if (m_last != srtp_err_status_ok) {
                out.clear();
                return false;
            }
            out.resize(static_cast<std::size_t>(len));
            return true;
        } catch (...) {
            out.clear();
            return false;
        }
    }

    /// Unprotects the SRTP packet `packet` and writes its RTP payload into
    /// `payload`. False (payload empty) on a sender, when libsrtp2 refuses
    /// (authentication failure, replay, another SSRC: last_status()), or
    /// when the decrypted packet is not RTP version 2 with a consistent
    /// header (CSRCs, extension, padding are skipped per RFC 3550 §5.1, §5.3.1).
    [[nodiscard]] bool unprotect(mikey::bytes_view packet, std::vector<std::uint8_t>& payload) noexcept {
        try {
            payload.clear();
            if (m_role != role::receiver || m_ctx == nullptr) return false;
            std::vector<std::uint8_t> buf(packet.begin(), packet.end());
            int len = static_cast<int>(buf.size());
            m_last = srtp_unprotect(m_ctx, buf.data(), &len);
            if (m_last != srtp_err_status_ok) return false;
            buf.resize(static_cast<std::size_t>(len));
            if (buf.size() < rtp_header_size || (buf[0] >> 6) != 2) return false;
            std::size_t start = rtp_header_size + 4u * (buf[0] & 0x0Fu);
            if ((buf[0] & 0x10u) != 0) {  // header extension (RFC 3550 §5.3.1)
                if (buf.size() < start + 4) return false;
                start += 4 + 4u * ((static_cast<std::size_t>(buf[start + 2]) << 8) | buf[start + 3]);
            }
            std::size_t end = buf.size();
            if ((buf[0] & 0x20u) != 0) {  // padding: the last octet counts it
                if (end == 0 || buf[end - 1] == 0 || buf[end - 1] > end) return false;
                end -= buf[end - 1];
            }
            if (start > end) return false;
            payload.assign(buf.begin() + static_cast<std::ptrdiff_t>(start),
                           buf.begin() + static_cast<std::ptrdiff_t>(end));
            return true;
        } catch (...) {
            payload.clear();
            return false;
        }
    }

    /// libsrtp2's status of the last protect / unprotect.
    [[nodiscard]] srtp_err_status_t last_status() const noexcept { return m_last; }
    [[nodiscard]] std::uint32_t ssrc() const noexcept { return m_ssrc; }

private:
    srtp_endpoint(srtp_t ctx, role r, std::uint32_t ssrc) noexcept : m_ctx(ctx), m_role(r), m_ssrc(ssrc) {}

    void release() noexcept {
        if (m_ctx != nullptr) srtp_dealloc(m_ctx);
        m_ctx = nullptr;
    }

    srtp_t m_ctx = nullptr;
    role m_role = role::sender;
    std::uint32_t m_ssrc = 0;
    srtp_err_status_t m_last = srtp_err_status_ok;
};

}  // namespace secure_conference

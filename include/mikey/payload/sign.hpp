// mikey-ticket: SIGN, the signature payload (RFC 3830 §6.5). It has no Next
// Payload field and always ends the message.
#pragma once

#include "common.hpp"

namespace mikey {

struct sign_builder;

/// SIGN: S type(4) | Signature len(12) | Signature.
class sign_view {
public:
    static constexpr payload_type type = payload_type::sign;

    MIKEY_REFUSE_TEMPORARIES(sign_view);
    /// Errors: underrun; unknown_sign_type.
    [[nodiscard]] static constexpr result<sign_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                           errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        const auto t_len = r.u16();
        (void)r.take(t_len & 0x0FFF);
        if (r.failed()) {
            return r.error();
        }
        if (!is_registered(static_cast<sign_type>(t_len >> 12))) {
            return failure{errc::unknown_sign_type, 0};
        }
        return sign_view(in.first(r.offset()));
    }

    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return m_bytes; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_bytes.size(); }
    /// SIGN has no Next Payload: it is always last (RFC 3830 §6.5).
    [[nodiscard]] constexpr payload_type next() const noexcept { return payload_type::last; }
    [[nodiscard]] constexpr sign_type kind() const noexcept { return static_cast<sign_type>(m_bytes[0] >> 4); }
    /// The Signature field.
    [[nodiscard]] constexpr bytes_view signature() const noexcept { return m_bytes.subspan(2); }
    [[nodiscard]] constexpr sign_builder to_builder() const noexcept;

private:
    constexpr explicit sign_view(bytes_view b) noexcept : m_bytes(b) {}
    bytes_view m_bytes;
};

/// Errors on write: field_too_long (signature above 4095 bytes),
/// invalid_argument (unregistered S type).
struct sign_builder {
    static constexpr payload_type type = payload_type::sign;
    sign_type kind = sign_type::rsa_pkcs1_v1_5;
    bytes_view signature{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(kind)) {
            w.fail(errc::invalid_argument);
            return;
        }
        if (signature.size() > 0x0FFF) {
            w.fail(errc::field_too_long);
            return;
        }
        w.u16(static_cast<unsigned>(kind) << 12 | signature.size());
        w.bytes(signature);
    }
};

constexpr sign_builder sign_view::to_builder() const noexcept { return {kind(), signature()}; }

}  // namespace mikey

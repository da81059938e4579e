// mikey-ticket: ERR, the error payload (RFC 3830 §6.12, RFC 6043 §6.9).
#pragma once

#include "common.hpp"

namespace mikey {

struct err_builder;

/// ERR: Next | Error no | Reserved(16).
class err_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::err;

    MIKEY_REFUSE_TEMPORARIES(err_view);
    /// Errors: underrun; unknown_error_no; reserved_bits_set.
    [[nodiscard]] static constexpr result<err_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                          errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto no = r.u8();
        const auto reserved = r.u16();
        if (r.failed()) {
            return r.error();
        }
        if (!is_acceptable(static_cast<error_no>(no))) {
            return failure{errc::unknown_error_no, 1};
        }
        // RFC 3830 §6.12: Reserved (16 bits): reserved for future use.
        if (reserved != 0) {
            return failure{errc::reserved_bits_set, 2};
        }
        return err_view(in.first(4));
    }

    [[nodiscard]] constexpr error_no code() const noexcept { return static_cast<error_no>(m_bytes[1]); }
    [[nodiscard]] constexpr err_builder to_builder() const noexcept;

private:
    constexpr explicit err_view(bytes_view b) noexcept : payload_bytes(b) {}
};

struct err_builder {
    static constexpr payload_type type = payload_type::err;
    error_no code = error_no::unspecified;

    constexpr void write(byte_writer& w) const noexcept {
        w.u8(0);
        w.u8(static_cast<std::uint8_t>(code));
        w.u16(0);
    }
};

constexpr err_builder err_view::to_builder() const noexcept { return {code()}; }

}  // namespace mikey

// mikey-ticket: PKE, the envelope data payload (RFC 3830 §6.3).
#pragma once

#include "common.hpp"

namespace mikey {

struct pke_builder;

/// PKE: Next | C(2) | Data len(14) | Data (env_key encrypted with the
/// Responder's public key).
class pke_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::pke;

    MIKEY_REFUSE_TEMPORARIES(pke_view);
    /// Errors: underrun; unknown_pke_cache (C = 3).
    [[nodiscard]] static constexpr result<pke_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                          errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto c_len = r.u16();
        const bytes_view data = r.take(c_len & 0x3FFF);
        if (r.failed()) {
            return r.error();
        }
        if (!is_acceptable(static_cast<pke_cache>(c_len >> 14))) {
            return failure{errc::unknown_pke_cache, 1};
        }
        return pke_view(in.first(r.offset()), data);
    }

    [[nodiscard]] constexpr pke_cache cache() const noexcept { return static_cast<pke_cache>(m_bytes[1] >> 6); }
    [[nodiscard]] constexpr bytes_view data() const noexcept { return m_data; }
    [[nodiscard]] constexpr pke_builder to_builder() const noexcept;

private:
    constexpr pke_view(bytes_view b, bytes_view data) noexcept : payload_bytes(b), m_data(data) {}
    bytes_view m_data{};
};

/// Errors on write: field_too_long (data above 16383 bytes), invalid_argument (C = 3).
struct pke_builder {
    static constexpr payload_type type = payload_type::pke;
    pke_cache cache = pke_cache::no_cache;
    bytes_view data{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(cache)) {
            w.fail(errc::invalid_argument);
            return;
        }
        if (data.size() > 0x3FFF) {
            w.fail(errc::field_too_long);
            return;
        }
        w.u8(0);
        w.u16(static_cast<unsigned>(cache) << 14 | data.size());
        w.bytes(data);
    }
};

constexpr pke_builder pke_view::to_builder() const noexcept { return {cache(), m_data}; }

}  // namespace mikey

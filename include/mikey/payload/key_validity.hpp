// mikey-ticket: KV data (RFC 3830 §6.14), shared by the Key data sub-payload
// (§6.13) and the DH payload (§6.4).
#pragma once

#include "common.hpp"

namespace mikey {

/// KV data: nothing (KV Null), SPI Length(8) | SPI (KV SPI), or
/// VF Length(8) | Valid From | VT Length(8) | Valid To (KV Interval).
struct kv_data {
    kv_type kind = kv_type::null;
    bytes_view spi{};
    bytes_view valid_from{};
    bytes_view valid_to{};
};

namespace detail {

/// Reads the KV data of type `kind`; the caller checks r.failed().
[[nodiscard]] MIKEY_ALWAYS_INLINE constexpr kv_data read_kv_data(byte_reader& r, kv_type kind) noexcept {
    kv_data kv{kind, {}, {}, {}};
    if (kind == kv_type::spi) {
        kv.spi = r.take(r.u8());
    } else if (kind == kv_type::interval) {
        kv.valid_from = r.take(r.u8());
        kv.valid_to = r.take(r.u8());
    }
    return kv;
}

/// Writes KV data. Errors: invalid_argument when fields that the KV type does
/// not carry are set; field_too_long above 255 bytes.
constexpr void write_kv_data(byte_writer& w, const kv_data& kv) noexcept {
    const bool spi_ok = kv.kind == kv_type::spi || kv.spi.empty();
    const bool interval_ok = kv.kind == kv_type::interval || (kv.valid_from.empty() && kv.valid_to.empty());
    if (!spi_ok || !interval_ok || !is_registered(kv.kind)) {
        w.fail(errc::invalid_argument);
        return;
    }
    if (kv.kind == kv_type::spi) {
        w.length(kv.spi.size(), 1);
        w.bytes(kv.spi);
    } else if (kv.kind == kv_type::interval) {
        w.length(kv.valid_from.size(), 1);
        w.bytes(kv.valid_from);
        w.length(kv.valid_to.size(), 1);
        w.bytes(kv.valid_to);
    }
}

}  // namespace detail
}  // namespace mikey

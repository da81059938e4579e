// mikey-ticket: DH data payload (RFC 3830 §6.4).
#pragma once

#include "key_validity.hpp"

namespace mikey {

struct dh_builder;

/// DH: Next | DH-Group | DH-value (length by group) | Reserv(4) | KV(4) | KV data.
class dh_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::dh;

    MIKEY_REFUSE_TEMPORARIES(dh_view);
    /// Errors: underrun; unknown_dh_group (the value's length is then
    /// unknown); reserved_bits_set; unknown_kv_type.
    [[nodiscard]] static constexpr result<dh_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                         errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto group = static_cast<dh_group>(r.u8());
        if (r.failed()) {
            return r.error();
        }
        if (!is_registered(group)) {
            return failure{errc::unknown_dh_group, 1};
        }
        const bytes_view value = r.take(dh_value_size(group));
        const std::size_t kv_at = r.offset();
        const auto res_kv = r.u8();
        if (r.failed()) {
            return r.error();
        }
        // RFC 3830 §6.4: Reserv (4 bits), reserved for future use.
        if ((res_kv & 0xF0) != 0) {
            return failure{errc::reserved_bits_set, kv_at};
        }
        const auto kv = static_cast<kv_type>(res_kv);
        if (!is_registered(kv)) {
            return failure{errc::unknown_kv_type, kv_at};
        }
        const kv_data validity = detail::read_kv_data(r, kv);
        if (r.failed()) {
            return r.error();
        }
        return dh_view(in.first(r.offset()), value, validity);
    }

    [[nodiscard]] constexpr dh_group group() const noexcept { return static_cast<dh_group>(m_bytes[1]); }
    [[nodiscard]] constexpr bytes_view value() const noexcept { return m_value; }
    [[nodiscard]] constexpr const kv_data& validity() const noexcept { return m_kv; }
    [[nodiscard]] constexpr dh_builder to_builder() const noexcept;

private:
    constexpr dh_view(bytes_view b, bytes_view value, kv_data kv) noexcept
        : payload_bytes(b), m_value(value), m_kv(kv) {}
    bytes_view m_value{};
    kv_data m_kv{};
};

/// Errors on write: invalid_argument (value length not the group's, KV
/// fields the KV type does not carry), field_too_long.
struct dh_builder {
    static constexpr payload_type type = payload_type::dh;
    dh_group group = dh_group::oakley_5;
    bytes_view value{};
    kv_data validity{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(group) || value.size() != dh_value_size(group)) {
            w.fail(errc::invalid_argument);
            return;
        }
        w.u8(0);
        w.u8(static_cast<std::uint8_t>(group));
        w.bytes(value);
        w.u8(static_cast<std::uint8_t>(validity.kind) & 0x0F);
        detail::write_kv_data(w, validity);
    }
};

constexpr dh_builder dh_view::to_builder() const noexcept { return {group(), m_value, m_kv}; }

}  // namespace mikey

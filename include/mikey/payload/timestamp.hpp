// mikey-ticket: T (RFC 3830 §6.6, RFC 6043 §6.3) and TR (RFC 6043 §6.4).
#pragma once

#include "common.hpp"

namespace mikey {

/// T: Next | TS type | TS value (64 or 32 bits by TS type).
struct timestamp_spec {
    static constexpr payload_type type = payload_type::t;
    using kind_enum = ts_type;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_ts_type;
    static constexpr errc unknown_role = errc::ok;
    static constexpr std::size_t value_size(ts_type t) noexcept { return ts_value_size(t); }
};

/// TR: Next | TS Role | TS Type | TS Value.
struct timestamp_role_spec {
    static constexpr payload_type type = payload_type::tr;
    using kind_enum = ts_type;
    using role_enum = ts_role;
    static constexpr errc unknown_kind = errc::unknown_ts_type;
    static constexpr errc unknown_role = errc::unknown_ts_role;
    static constexpr std::size_t value_size(ts_type t) noexcept { return ts_value_size(t); }
};

using t_view = implied_length_view<timestamp_spec>;
using t_builder = implied_length_builder<timestamp_spec>;
using tr_view = implied_length_view<timestamp_role_spec>;
using tr_builder = implied_length_builder<timestamp_role_spec>;

/// A TS value as the 64-bit quantity the PRF and the AES-CM IV take: 32-bit
/// COUNTER values are zero-extended (RFC 3830 §6.6), NTP-UTC-32 values are
/// padded with a zero fractional part (RFC 6043 §6.3).
[[nodiscard]] constexpr std::uint64_t ts_value_64(ts_type kind, bytes_view value) noexcept {
    std::uint64_t v = 0;
    for (const auto b : value) {
        v = (v << 8) | b;
    }
    return kind == ts_type::ntp_utc_32 ? v << 32 : v;
}

}  // namespace mikey

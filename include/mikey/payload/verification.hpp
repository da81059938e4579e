// mikey-ticket: V (RFC 3830 §6.9) and CHASH (RFC 3830 §6.8, RFC 6043 §6.7):
// an algorithm byte and a value whose length the algorithm implies.
#pragma once

#include "common.hpp"

namespace mikey {

/// V: Next | Auth alg | Ver data (0, 20 or 32 bytes by Auth alg).
struct verification_spec {
    static constexpr payload_type type = payload_type::v;
    using kind_enum = mac_alg;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_mac_alg;
    static constexpr errc unknown_role = errc::ok;
    static constexpr std::size_t value_size(mac_alg a) noexcept { return mac_size(a); }
};

/// CHASH: Next | Hash func | Hash (20, 16 or 32 bytes by Hash func).
struct chash_spec {
    static constexpr payload_type type = payload_type::chash;
    using kind_enum = hash_func;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_hash_func;
    static constexpr errc unknown_role = errc::ok;
    static constexpr std::size_t value_size(hash_func h) noexcept { return hash_size(h); }
};

using v_view = implied_length_view<verification_spec>;
using v_builder = implied_length_builder<verification_spec>;
using chash_view = implied_length_view<chash_spec>;
using chash_builder = implied_length_builder<chash_spec>;

}  // namespace mikey

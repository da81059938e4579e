// mikey-ticket: RAND (RFC 3830 §6.11) and RANDR (RFC 6043 §6.8).
#pragma once

#include "common.hpp"

namespace mikey {

/// RAND: Next | RAND len(8) | RAND.
struct rand_spec {
    static constexpr payload_type type = payload_type::rand;
    using role_enum = void;
    static constexpr errc unknown_role = errc::ok;
};

/// RANDR: Next | RAND Role | RAND length(8) | RAND.
struct randr_spec {
    static constexpr payload_type type = payload_type::randr;
    using role_enum = rand_role;
    static constexpr errc unknown_role = errc::unknown_rand_role;
};

using rand_view = random_view<rand_spec>;
using rand_builder = random_builder<rand_spec>;
using randr_view = random_view<randr_spec>;
using randr_builder = random_builder<randr_spec>;

}  // namespace mikey

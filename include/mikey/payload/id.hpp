// mikey-ticket: ID and CERT (RFC 3830 §6.7) and IDR (RFC 6043 §6.6): the
// typed-data shape, IDR with a role byte.
#pragma once

#include "common.hpp"

namespace mikey {

namespace detail {
struct no_inner_check {
    template <class K>
    static constexpr result<void> check_data(K, bytes_view) noexcept {
        return {};
    }
};
}  // namespace detail

/// ID: Next | ID Type | ID len(16) | ID Data (RFC 3830 §6.7).
struct id_spec : detail::no_inner_check {
    static constexpr payload_type type = payload_type::id;
    using kind_enum = id_type;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_id_type;
    static constexpr errc unknown_role = errc::ok;
};

/// CERT: Next | Cert type | Cert len(16) | Certificate (RFC 3830 §6.7).
struct cert_spec : detail::no_inner_check {
    static constexpr payload_type type = payload_type::cert;
    using kind_enum = cert_type;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_cert_type;
    static constexpr errc unknown_role = errc::ok;
};

/// IDR: Next | ID Role | ID Type | ID len(16) | ID Data (RFC 6043 §6.6).
struct idr_spec : detail::no_inner_check {
    static constexpr payload_type type = payload_type::idr;
    using kind_enum = id_type;
    using role_enum = id_role;
    static constexpr errc unknown_kind = errc::unknown_id_type;
    static constexpr errc unknown_role = errc::unknown_id_role;
};

using id_view = typed_data_view<id_spec>;
using id_builder = typed_data_builder<id_spec>;
using cert_view = typed_data_view<cert_spec>;
using cert_builder = typed_data_builder<cert_spec>;
using idr_view = typed_data_view<idr_spec>;
using idr_builder = typed_data_builder<idr_spec>;

}  // namespace mikey

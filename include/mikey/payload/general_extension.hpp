// mikey-ticket: General Extension payload (RFC 3830 §6.15) and the Key ID
// information it carries with Type 3 (RFC 4563 §4).
#pragma once

#include "common.hpp"

namespace mikey {

/// One Key ID sub-payload: Key ID Type(8) | Key ID Length(8) | Key ID (RFC 4563 §4).
struct key_id_entry {
    key_id_type kind{};
    bytes_view id{};
};

struct key_id_decoder {
    using value_type = key_id_entry;
    static constexpr std::size_t decode_into(bytes_view rest, key_id_entry& out) noexcept {
        return detail::decode_type_length_value(rest, out);
    }
};

/// The Key ID sub-payloads of a validated Key ID extension's data.
class key_id_list : public decoded_range<key_id_decoder> {
public:
    using decoded_range::decoded_range;

    /// Validates a Key ID information field: at least one entry, each complete,
    /// each Key ID Type registered or private use. Errors: empty_chain,
    /// length_out_of_bounds, unknown_key_id_type (offsets relative to `data`).
    [[nodiscard]] static constexpr result<void> check(bytes_view data) noexcept {
        if (data.empty()) {
            return failure{errc::empty_chain, 0};
        }
        return detail::check_type_length_value(data, errc::length_out_of_bounds, errc::unknown_key_id_type,
                                               [](unsigned k) { return detail::acceptable_raw<key_id_type>(k); });
    }
};

/// General Extension: Next | Type | Length(16) | Data (RFC 3830 §6.15).
struct general_extension_spec {
    static constexpr payload_type type = payload_type::general_extension;
    using kind_enum = extension_type;
    using role_enum = void;
    static constexpr errc unknown_kind = errc::unknown_extension_type;
    static constexpr errc unknown_role = errc::ok;
    /// Type 3 (Key ID, RFC 4563 §4) carries a list of Key ID sub-payloads.
    static constexpr result<void> check_data(extension_type kind, bytes_view data) noexcept {
        return kind == extension_type::key_id ? key_id_list::check(data) : result<void>{};
    }
};

using general_extension_view = typed_data_view<general_extension_spec>;
using general_extension_builder = typed_data_builder<general_extension_spec>;

/// Writes Key ID sub-payloads (RFC 4563 §4) as the data of a Key ID extension.
/// Errors on write: field_too_long for a Key ID above 255 bytes.
constexpr void write_key_ids(byte_writer& w, std::span<const key_id_entry> entries) noexcept {
    for (const auto& e : entries) {
        w.u8(static_cast<std::uint8_t>(e.kind));
        w.length(e.id.size(), 1);
        w.bytes(e.id);
    }
}

}  // namespace mikey

// mikey-ticket: SP, the security policy payload (RFC 3830 §6.10), with the
// SRTP policy parameters (RFC 3830 §6.10.1, RFC 4771, RFC 7714) by name.
#pragma once

#include <optional>
#include <span>

#include "common.hpp"

namespace mikey {

/// One policy parameter: Type(8) | Length(8) | Value. For Prot type SRTP the
/// type is a srtp_param value.
struct sp_param {
    std::uint8_t kind = 0;
    bytes_view value{};
};

struct sp_param_decoder {
    using value_type = sp_param;
    static constexpr std::size_t decode_into(bytes_view rest, sp_param& out) noexcept {
        return detail::decode_type_length_value(rest, out);
    }
};

/// The parameters of a validated SP payload.
using sp_param_list = decoded_range<sp_param_decoder>;

struct sp_builder;

/// SP: Next | Policy no | Prot type | Policy param length(16) | parameters.
class sp_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::sp;

    MIKEY_REFUSE_TEMPORARIES(sp_view);
    /// Errors: underrun; unknown_prot_type; length_out_of_bounds (a parameter
    /// running past the policy param length); unknown_srtp_param (Prot type SRTP).
    [[nodiscard]] static constexpr result<sp_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                         errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        (void)r.u8();
        const auto prot = static_cast<prot_type>(r.u8());
        const std::size_t params_at = r.offset() + 2;
        const bytes_view params = r.take(r.u16());
        if (r.failed()) {
            return r.error();
        }
        if (!is_acceptable(prot)) {
            return failure{errc::unknown_prot_type, 2};
        }
        const auto checked = detail::check_type_length_value(
            params, errc::length_out_of_bounds, errc::unknown_srtp_param,
            [prot](unsigned k) { return prot != prot_type::srtp || detail::acceptable_raw<srtp_param>(k); });
        if (!checked) {
            return shifted(checked.error_info(), params_at);
        }
        return sp_view(in.first(r.offset()), params);
    }

    /// The view of an SP payload parse() has already accepted (an entry of a
    /// validated chain, chain_entry::as, or of a list that parsed it when it
    /// took it): reads the layout without checking the Prot type and the
    /// parameters again. Precondition: `in` starts with such a payload.
    [[nodiscard]] static constexpr sp_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        const std::size_t len = static_cast<std::size_t>(in[3]) << 8 | in[4];
        return sp_view(in.first(5 + len), in.subspan(5, len));
    }

    [[nodiscard]] constexpr std::uint8_t policy_no() const noexcept { return m_bytes[1]; }
    [[nodiscard]] constexpr prot_type protocol() const noexcept { return static_cast<prot_type>(m_bytes[2]); }
    /// The raw parameter bytes.
    [[nodiscard]] constexpr bytes_view param_bytes() const noexcept { return m_params; }
    [[nodiscard]] constexpr sp_param_list params() const noexcept { return sp_param_list(m_params); }

    /// The value of SRTP parameter `p` (first occurrence), if present.
    /// Absent parameters take SRTP's defaults (RFC 3830 §6.10.1).
    [[nodiscard]] constexpr std::optional<bytes_view> srtp(srtp_param p) const noexcept {
        for (const auto& e : params()) {
            if (e.kind == static_cast<std::uint8_t>(p)) {
                return e.value;
            }
        }
        return std::nullopt;
    }
    /// The SRTP parameter as a big-endian unsigned integer (up to 8 bytes).
    [[nodiscard]] constexpr std::optional<std::uint64_t> srtp_value(srtp_param p) const noexcept {
        const auto v = srtp(p);
        if (!v || v->size() > 8) {
            return std::nullopt;
        }
        std::uint64_t n = 0;
        for (const auto b : *v) {
            n = (n << 8) | b;
        }
        return n;
    }
    [[nodiscard]] constexpr sp_builder to_builder() const noexcept;

private:
    constexpr sp_view(bytes_view b, bytes_view params) noexcept : payload_bytes(b), m_params(params) {}
    bytes_view m_params{};
};

/// Builds an SP from a list of parameters, or from their raw bytes (set only
/// one of the two). Errors on write: invalid_argument (both set),
/// field_too_long.
struct sp_builder {
    static constexpr payload_type type = payload_type::sp;
    std::uint8_t policy_no = 0;
    prot_type protocol = prot_type::srtp;
    std::span<const sp_param> params{};
    bytes_view raw_params{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!params.empty() && !raw_params.empty()) {
            w.fail(errc::invalid_argument);
            return;
        }
        std::size_t len = raw_params.size();
        for (const auto& p : params) {
            len += 2 + p.value.size();
        }
        w.u8(0);
        w.u8(policy_no);
        w.u8(static_cast<std::uint8_t>(protocol));
        w.length(len, 2);
        w.bytes(raw_params);
        for (const auto& p : params) {
            w.u8(p.kind);
            w.length(p.value.size(), 1);
            w.bytes(p.value);
        }
    }
};

constexpr sp_builder sp_view::to_builder() const noexcept { return {policy_no(), protocol(), {}, m_params}; }

}  // namespace mikey

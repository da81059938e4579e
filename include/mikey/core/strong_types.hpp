// mikey-ticket: strong types for protocol values that must not be swapped by
// accident (a CSB ID is not a CS ID; a RAND is not an identity).
#pragma once

#include <compare>
#include <cstdint>

#include "bytes.hpp"
#include "config.hpp"

namespace mikey {

/// A value of type T tagged with Tag; explicit to construct, explicit to read.
template <class T, class Tag>
class strong {
public:
    constexpr strong() noexcept = default;
    constexpr explicit strong(T v) noexcept : m_value(v) {}
    [[nodiscard]] constexpr const T& get() const noexcept { return m_value; }
    friend constexpr auto operator<=>(const strong&, const strong&) noexcept = default;

private:
    T m_value{};
};

/// A strong byte view (RAND value, identity data): compares by content.
template <class Tag>
class strong_bytes {
public:
    constexpr strong_bytes() noexcept = default;
    constexpr explicit strong_bytes(bytes_view v MIKEY_LIFETIMEBOUND) noexcept : m_value(v) {}
    [[nodiscard]] constexpr bytes_view get() const noexcept { return m_value; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_value.size(); }
    friend constexpr bool operator==(const strong_bytes& a, const strong_bytes& b) noexcept {
        return equal_bytes(a.m_value, b.m_value);
    }

private:
    bytes_view m_value{};
};

struct csb_id_tag;
struct cs_id_tag;
struct rand_tag;
struct identity_tag;

/// Crypto Session Bundle ID, HDR bytes 4-7 (RFC 3830 §6.1).
using csb_id = strong<std::uint32_t, csb_id_tag>;
/// Crypto session number: 1-based index into the SRTP-ID map (RFC 3830
/// §6.1.1) or the CS ID field of a GENERIC-ID block (RFC 6043 §6.1.1).
using cs_id = strong<std::uint8_t, cs_id_tag>;
/// The RAND field of a RAND or RANDR payload (RFC 3830 §6.11, RFC 6043 §6.8).
using rand_value = strong_bytes<rand_tag>;
/// The ID Data field of an ID or IDR payload (RFC 3830 §6.7, RFC 6043 §6.6).
using identity = strong_bytes<identity_tag>;

}  // namespace mikey

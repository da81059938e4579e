// mikey-ticket: exact-size big-endian writer used by every payload builder.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bytes.hpp"
#include "result.hpp"

namespace mikey {

/// Big-endian stores into memory a byte_writer::claim() returned; each
/// returns the byte after the field written.
namespace put {
constexpr std::uint8_t* be(std::uint8_t* p, std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
    return p + n;
}
constexpr std::uint8_t* u8(std::uint8_t* p, std::uint64_t v) noexcept {
    *p = static_cast<std::uint8_t>(v);
    return p + 1;
}
constexpr std::uint8_t* u16(std::uint8_t* p, std::uint64_t v) noexcept { return be(p, v, 2); }
constexpr std::uint8_t* bytes(std::uint8_t* p, bytes_view b) noexcept {
    copy_bytes(mutable_bytes(p, b.size()), b);
    return p + b.size();
}
}  // namespace put

/// Writes big-endian fields into a caller buffer, or only counts them.
///
/// A writer made without a buffer counts: builders run the same write code
/// once to learn their exact size, then again into a buffer of that size, so
/// size and bytes can never disagree. Errors are sticky: errc::buffer_too_small
/// when the buffer is full, errc::field_too_long when a length does not fit
/// its field. After an error nothing more is written.
///
/// Every write takes its bytes with claim(); a builder with a fixed layout of
/// several fields claims it whole (one bounds check) and fills it with put::.
class byte_writer {
public:
    /// A counting writer.
    constexpr byte_writer() noexcept = default;
    /// A writer into `out`.
    constexpr explicit byte_writer(mutable_bytes out) noexcept : m_out(out), m_counting(false) {}

    constexpr void u8(std::uint64_t v) noexcept {
        if (std::uint8_t* p = claim(1)) put::u8(p, v);
    }
    constexpr void u16(std::uint64_t v) noexcept {
        if (std::uint8_t* p = claim(2)) put::u16(p, v);
    }
    constexpr void u32(std::uint64_t v) noexcept {
        if (std::uint8_t* p = claim(4)) put::be(p, v, 4);
    }
    constexpr void u64(std::uint64_t v) noexcept {
        if (std::uint8_t* p = claim(8)) put::be(p, v, 8);
    }
    constexpr void bytes(bytes_view b) noexcept {
        if (std::uint8_t* p = claim(b.size())) put::bytes(p, b);
    }

    /// Takes the next n bytes for the caller to fill in one go: a pointer to
    /// them when writing; nullptr when counting (the n bytes are counted) or
    /// on error (sticky; buffer_too_small when they do not fit). A builder
    /// checks its length fields with fits() first, then claims.
    [[nodiscard]] constexpr std::uint8_t* claim(std::size_t n) noexcept {
        if (failed()) {
            return nullptr;
        }
        if (!m_counting && n > m_out.size() - m_pos) {
            fail(errc::buffer_too_small);
            return nullptr;
        }
        std::uint8_t* p = m_counting ? nullptr : m_out.data() + m_pos;
        m_pos += n;
        return p;
    }

    /// True when n fits an unsigned length field of `width` bytes.
    [[nodiscard]] static constexpr bool fits(std::size_t n, std::size_t width) noexcept {
        return width >= 8 || std::uint64_t{n} <= (std::uint64_t{1} << (8 * width)) - 1;
    }

    /// Writes n as an unsigned length field of `width` bytes, failing with
    /// errc::field_too_long when n does not fit.
    constexpr void length(std::size_t n, std::size_t width) noexcept {
        if (!fits(n, width)) {
            fail(errc::field_too_long);
            return;
        }
        if (std::uint8_t* p = claim(width)) put::be(p, n, width);
    }

    /// Overwrites one byte already written (a Next Payload field).
    constexpr void patch_u8(std::size_t pos, std::uint8_t v) noexcept {
        if (!m_counting && !failed() && pos < m_pos) {
            m_out[pos] = v;
        }
    }

    /// Records an error found by a builder's own checks.
    constexpr void fail(errc e) noexcept {
        if (!failed()) {
            m_error = e;
        }
    }

    [[nodiscard]] constexpr bool failed() const noexcept { return m_error != errc::ok; }
    [[nodiscard]] constexpr errc error() const noexcept { return m_error; }
    /// Bytes written (or counted) so far.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_pos; }
    [[nodiscard]] constexpr bool counting() const noexcept { return m_counting; }
    /// The bytes written so far (empty for a counting writer).
    [[nodiscard]] constexpr bytes_view written() const noexcept {
        return m_counting ? bytes_view{} : bytes_view{m_out.data(), m_pos};
    }

private:
    mutable_bytes m_out{};
    std::size_t m_pos = 0;
    bool m_counting = true;
    errc m_error = errc::ok;
};

}  // namespace mikey

// mikey-ticket: exact-size big-endian writer used by every payload builder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "bytes.hpp"
#include "result.hpp"

namespace mikey {

/// Writes big-endian fields into a caller buffer, or only counts them.
///
/// A writer made without a buffer counts: builders run the same write code
/// once to learn their exact size, then again into a buffer of that size, so
/// size and bytes can never disagree. Errors are sticky: errc::buffer_too_small
/// when the buffer is full, errc::field_too_long when a length does not fit
/// its field. After an error nothing more is written.
class byte_writer {
public:
    /// A counting writer.
    constexpr byte_writer() noexcept = default;
    /// A writer into `out`.
    constexpr explicit byte_writer(mutable_bytes out) noexcept : m_out(out), m_counting(false) {}

    // Fixed widths written without the loop of be() (these are inlined into
    // every builder).
    constexpr void u8(std::uint64_t v) noexcept {
        if (!reserve(1)) {
            return;
        }
        if (!m_counting) {
            m_out[m_pos] = static_cast<std::uint8_t>(v);
        }
        m_pos += 1;
    }
    constexpr void u16(std::uint64_t v) noexcept {
        if (!reserve(2)) {
            return;
        }
        if (!m_counting) {
            m_out[m_pos] = static_cast<std::uint8_t>(v >> 8);
            m_out[m_pos + 1] = static_cast<std::uint8_t>(v);
        }
        m_pos += 2;
    }
    constexpr void u32(std::uint64_t v) noexcept {
        if (!reserve(4)) {
            return;
        }
        if (!m_counting) {
            for (std::size_t i = 0; i < 4; ++i) {
                m_out[m_pos + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
            }
        }
        m_pos += 4;
    }
    constexpr void u64(std::uint64_t v) noexcept { be(v, 8); }

    constexpr void bytes(bytes_view b) noexcept {
        if (!reserve(b.size())) {
            return;
        }
        if (!m_counting) {
            copy_bytes(m_out.subspan(m_pos, b.size()), b);
        }
        m_pos += b.size();
    }

    /// Takes the next n bytes for the caller to fill in one go (one bounds
    /// check for a whole layout of fields): a pointer to them when writing;
    /// nullptr when counting (the n bytes are counted) or on error (sticky;
    /// buffer_too_small when they do not fit). Builders check their length
    /// fields first, then claim.
    [[nodiscard]] constexpr std::uint8_t* claim(std::size_t n) noexcept {
        if (!reserve(n)) {
            return nullptr;
        }
        std::uint8_t* p = m_counting ? nullptr : m_out.data() + m_pos;
        m_pos += n;
        return p;
    }

    /// Writes n as an unsigned length field of `width` bytes, failing with
    /// errc::field_too_long when n does not fit.
    constexpr void length(std::size_t n, std::size_t width) noexcept {
        const std::uint64_t max = width >= 8 ? std::numeric_limits<std::uint64_t>::max()
                                             : (std::uint64_t{1} << (8 * width)) - 1;
        if (n > max) {
            fail(errc::field_too_long);
            return;
        }
        if (width == 1) {
            u8(n);
        } else if (width == 2) {
            u16(n);
        } else {
            be(n, width);
        }
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
    constexpr bool reserve(std::size_t n) noexcept {
        if (failed()) {
            return false;
        }
        if (!m_counting && n > m_out.size() - m_pos) {
            fail(errc::buffer_too_small);
            return false;
        }
        return true;
    }

    constexpr void be(std::uint64_t v, std::size_t n) noexcept {
        if (!reserve(n)) {
            return;
        }
        if (!m_counting) {
            for (std::size_t i = 0; i < n; ++i) {
                m_out[m_pos + i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
            }
        }
        m_pos += n;
    }

    mutable_bytes m_out{};
    std::size_t m_pos = 0;
    bool m_counting = true;
    errc m_error = errc::ok;
};

/// Stores into memory a claim() returned; each returns the byte after the
/// field written.
namespace put {
constexpr std::uint8_t* u8(std::uint8_t* p, std::uint64_t v) noexcept {
    *p = static_cast<std::uint8_t>(v);
    return p + 1;
}
constexpr std::uint8_t* u16(std::uint8_t* p, std::uint64_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
    return p + 2;
}
constexpr std::uint8_t* bytes(std::uint8_t* p, bytes_view b) noexcept {
    if (std::is_constant_evaluated()) {
        for (const auto x : b) *p++ = x;
        return p;
    }
    if (!b.empty()) std::memcpy(p, b.data(), b.size());
    return p + b.size();
}
}  // namespace put

}  // namespace mikey

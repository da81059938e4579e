// mikey-ticket: bounded big-endian reader used by every payload parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "bytes.hpp"
#include "result.hpp"

namespace mikey {

/// Reads big-endian fields from a span without ever reading past its end.
///
/// Errors are sticky: the first read that does not fit records `underrun`
/// (errc::truncated by default; errc::length_out_of_bounds for readers over a
/// length-delimited container) at the offset of the field that did not fit.
/// Every later read returns zero / an empty span (the reader is parked at the
/// end of its input), so a parser reads its fixed fields, checks failed()
/// once, and only then looks at the values it read.
class byte_reader {
public:
    constexpr explicit byte_reader(bytes_view in MIKEY_LIFETIMEBOUND, errc underrun = errc::truncated) noexcept
        : m_in(in), m_underrun(underrun) {}

    /// A reader keeps a view of its input: a temporary buffer (an rvalue
    /// std::vector, std::array, std::string ...) would be destroyed at the end
    /// of the statement, so reading from one does not compile. Spans, and
    /// named buffers, are taken by the constructor above.
    template <class C>
        requires detail::owning_temporary<C>
    explicit byte_reader(C&&, errc = errc::truncated) = delete;

    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr std::uint8_t u8() noexcept { return be<std::uint8_t>(); }
    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr std::uint16_t u16() noexcept { return be<std::uint16_t>(); }
    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr std::uint32_t u32() noexcept { return be<std::uint32_t>(); }
    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr std::uint64_t u64() noexcept { return be<std::uint64_t>(); }

    /// The next n bytes as a subspan of the input (no copy).
    MIKEY_ALWAYS_INLINE [[nodiscard]] constexpr bytes_view take(std::size_t n) noexcept {
        if (!fits(n)) {
            return {};
        }
        const bytes_view out = m_in.subspan(m_pos, n);
        m_pos += n;
        return out;
    }

    /// Everything not yet read.
    [[nodiscard]] constexpr bytes_view take_rest() noexcept { return take(remaining()); }

    [[nodiscard]] constexpr bool failed() const noexcept { return m_failure.code != errc::ok; }
    [[nodiscard]] constexpr failure error() const noexcept { return m_failure; }
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return m_pos; }
    [[nodiscard]] constexpr std::size_t remaining() const noexcept { return m_in.size() - m_pos; }

    /// Success only when nothing failed and every byte was read; otherwise the
    /// sticky error, or errc::trailing_bytes at the first unread byte.
    [[nodiscard]] constexpr result<void> finish() const noexcept {
        if (failed()) {
            return m_failure;
        }
        if (remaining() != 0) {
            return failure{errc::trailing_bytes, m_pos};
        }
        return {};
    }

private:
    /// One comparison on the fast path: after a failure the reader is
    /// parked at the end, so every later non-empty read fails too, and only
    /// the first failure is recorded.
    MIKEY_ALWAYS_INLINE constexpr bool fits(std::size_t n) noexcept {
        if (n > remaining()) [[unlikely]] {
            underrun();
            return false;
        }
        return true;
    }
    constexpr void underrun() noexcept {
        if (!failed()) {
            m_failure = failure{m_underrun, m_pos};
        }
        m_pos = m_in.size();
    }

    /// A big-endian T at the current position. The shifts are written out
    /// per byte with a fold (not a loop), the form compilers turn into one
    /// load and a byte swap.
    template <class T>
    MIKEY_ALWAYS_INLINE constexpr T be() noexcept {
        if (!fits(sizeof(T))) {
            return 0;
        }
        const std::size_t at = m_pos;
        m_pos += sizeof(T);
        return [this, at]<std::size_t... I>(std::index_sequence<I...>) {
            return static_cast<T>(((static_cast<T>(m_in[at + I]) << (8 * (sizeof(T) - 1 - I))) | ...));
        }(std::make_index_sequence<sizeof(T)>{});
    }

    bytes_view m_in;
    std::size_t m_pos = 0;
    errc m_underrun;
    failure m_failure{};
};

}  // namespace mikey

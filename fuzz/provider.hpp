// mikey-ticket fuzzing: turns fuzz input into choices (a small stand-in for
// libFuzzer's FuzzedDataProvider, which gcc builds of the replay programs do
// not have). Everything is read from the front; once the input is used up
// every number is 0 and every byte string empty, so any input is a valid
// sequence of choices and a shorter input is a prefix of the same choices.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include <mikey/core/bytes.hpp>

namespace mikey_fuzz {

class provider {
public:
    explicit provider(mikey::bytes_view in) noexcept : m_in(in) {}

    [[nodiscard]] std::size_t remaining() const noexcept { return m_in.size() - m_pos; }

    std::uint8_t u8() noexcept { return m_pos < m_in.size() ? m_in[m_pos++] : 0; }
    std::uint16_t u16() noexcept {
        const unsigned hi = u8();
        const unsigned lo = u8();
        return static_cast<std::uint16_t>(hi << 8 | lo);
    }
    std::uint32_t u32() noexcept {
        const std::uint32_t hi = u16();
        const std::uint32_t lo = u16();
        return hi << 16 | lo;
    }
    bool flag() noexcept { return (u8() & 1) != 0; }
    /// True about once in n draws.
    bool one_in(unsigned n) noexcept { return u8() % n == 0; }
    /// A number in [0, n).
    unsigned below(unsigned n) noexcept { return n <= 1 ? 0 : (n <= 256 ? u8() % n : u16() % n); }

    /// A field length: mostly short, sometimes up to 255, rarely up to 65535
    /// (so length limits of 8-, 12-, 14- and 16-bit fields get crossed).
    std::size_t length() noexcept {
        const auto k = u8();
        if (k < 0xE0) {
            return k % 40;
        }
        if (k < 0xFC) {
            return u8();
        }
        return u16();
    }
    /// Up to n bytes of the input (fewer when it runs out).
    mikey::bytes_view take(std::size_t n) noexcept {
        n = std::min(n, remaining());
        const auto out = m_in.subspan(m_pos, n);
        m_pos += n;
        return out;
    }
    /// A byte string of length() bytes.
    mikey::bytes_view field() noexcept { return take(length()); }
    /// Exactly n bytes (n <= 256): from the input, or zeros once it runs out.
    mikey::bytes_view exact(std::size_t n) noexcept {
        if (n <= remaining()) {
            return take(n);
        }
        static constexpr std::array<std::uint8_t, 256> zeros{};
        return mikey::bytes_view(zeros).first(std::min(n, zeros.size()));
    }

private:
    mikey::bytes_view m_in;
    std::size_t m_pos = 0;
};

}  // namespace mikey_fuzz

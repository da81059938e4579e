// Hex for the programs around the library: mikeyctl, the interop harness,
// make_samples and the tests. Lowercase out; either case in. Standard
// library only, so every build of the test suite can include it (the
// library's own hex, mikey::reveal_hex, is for secrets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tools {

[[nodiscard]] inline std::string to_hex(std::span<const std::uint8_t> b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * b.size());
    for (const auto x : b) {
        out.push_back(digits[x >> 4]);
        out.push_back(digits[x & 0x0F]);
    }
    return out;
}

/// The value of a hex digit (either case), or -1.
[[nodiscard]] constexpr int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/// The whitespace of the C locale's isspace.
[[nodiscard]] constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// Hex digits (either case) to bytes. With `allow_space`, whitespace between
/// digits is skipped. On failure, `bad_at` is the offset in `s` of the first
/// character that is not a hex digit, or s.size() for an odd digit count.
[[nodiscard]] inline std::optional<std::vector<std::uint8_t>> from_hex(std::string_view s, bool allow_space,
                                                                       std::size_t* bad_at = nullptr) {
    std::vector<std::uint8_t> out;
    out.reserve(s.size() / 2);
    int high = -1;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (allow_space && is_space(s[i])) {
            continue;
        }
        const int d = hex_digit(s[i]);
        if (d < 0) {
            if (bad_at) {
                *bad_at = i;
            }
            return std::nullopt;
        }
        if (high < 0) {
            high = d;
        } else {
            out.push_back(static_cast<std::uint8_t>(high << 4 | d));
            high = -1;
        }
    }
    if (high >= 0) {
        if (bad_at) {
            *bad_at = s.size();
        }
        return std::nullopt;
    }
    return out;
}

}  // namespace tools

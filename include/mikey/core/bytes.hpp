// mikey-ticket: the byte-span vocabulary every layer uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>

#include "config.hpp"

namespace mikey {

/// A read-only view of wire bytes. Views never own; the caller's buffer must
/// outlive every view made from it.
using bytes_view = std::span<const std::uint8_t>;

/// A writable byte span supplied by the caller (output buffers, key outputs).
using mutable_bytes = std::span<std::uint8_t>;

namespace detail {
/// An rvalue of an owning byte container (a temporary std::vector, std::array,
/// std::string ...): anything that keeps a bytes_view into it would dangle.
/// Functions that keep their input take a deleted overload constrained on it
/// (byte_reader's constructor, the views' parse(): MIKEY_REFUSE_TEMPORARIES).
/// Spans and other borrowed ranges are not owning and stay accepted.
template <class C>
concept owning_temporary = !std::is_lvalue_reference_v<C> && std::ranges::contiguous_range<C> &&
                           !std::ranges::borrowed_range<C>;
}  // namespace detail

/// True when both spans hold the same bytes. Not constant time: use the
/// crypto backend's compare for secrets.
/// One memcmp at run time; a byte loop in constant evaluation.
[[nodiscard]] constexpr bool equal_bytes(bytes_view a, bytes_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    if (!std::is_constant_evaluated()) {
        return a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

/// Copies b into out (out.size() == b.size(); they may overlap). One
/// memmove at run time; a byte loop in constant evaluation.
constexpr void copy_bytes(mutable_bytes out, bytes_view b) noexcept {
    if (std::is_constant_evaluated()) {
        for (std::size_t i = 0; i < b.size(); ++i) {
            out[i] = b[i];
        }
    } else if (!b.empty()) {
        std::memmove(out.data(), b.data(), b.size());
    }
}

/// Copies n bytes from `src` to `dst` (not overlapping). Up to 32 bytes (a
/// RAND, a key) inline, as two fixed-size moves that may overlap each other
/// and read or write nothing outside the n bytes; longer copies call memcpy.
MIKEY_ALWAYS_INLINE inline void copy_short(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept {
    if (n >= 16 && n <= 32) {
        std::memcpy(dst, src, 16);
        std::memcpy(dst + n - 16, src + n - 16, 16);
    } else if (n >= 8 && n < 16) {
        std::memcpy(dst, src, 8);
        std::memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n < 8) {
        for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
    } else {
        std::memcpy(dst, src, n);
    }
}

/// The first N bytes of `in` as a big-endian number (N <= 8; precondition:
/// in.size() >= N). Written as one expression of shifted bytes, which
/// compilers turn into a load and a byte swap.
template <std::size_t N>
[[nodiscard]] constexpr std::uint64_t load_be(bytes_view in) noexcept {
    static_assert(N >= 1 && N <= 8, "load_be reads 1 to 8 bytes");
    return [in]<std::size_t... I>(std::index_sequence<I...>) {
        return ((std::uint64_t{in[I]} << (8 * (N - 1 - I))) | ...);
    }(std::make_index_sequence<N>{});
}

/// Writes the low N bytes of `v` big-endian at `p` (N <= 8): a byte swap
/// and a store.
template <std::size_t N>
constexpr void store_be(std::uint8_t* p, std::uint64_t v) noexcept {
    static_assert(N >= 1 && N <= 8, "store_be writes 1 to 8 bytes");
    [p, v]<std::size_t... I>(std::index_sequence<I...>) {
        ((p[I] = static_cast<std::uint8_t>(v >> (8 * (N - 1 - I)))), ...);
    }(std::make_index_sequence<N>{});
}

}  // namespace mikey

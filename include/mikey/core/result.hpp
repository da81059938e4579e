// mikey-ticket: result<T>, a value or an error code with the byte offset
// where parsing failed.
#pragma once

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include "config.hpp"
#include "errc.hpp"

#if MIKEY_EXCEPTIONS
#include <stdexcept>
#include <string>
#endif

namespace mikey {

/// An error with the byte offset (from the start of the input handed to the
/// outermost parse call) at which it was detected; 0 where no offset applies.
struct failure {
    errc code = errc::ok;
    std::size_t offset = 0;
    friend constexpr bool operator==(const failure&, const failure&) = default;
};

#if MIKEY_EXCEPTIONS
/// Thrown only by result::value_or_throw(), for callers who prefer exceptions.
class error : public std::runtime_error {
public:
    explicit error(failure f)
        : std::runtime_error(std::string(to_string(f.code)) + " at byte " + std::to_string(f.offset)),
          m_failure(f) {}
    [[nodiscard]] errc code() const noexcept { return m_failure.code; }
    [[nodiscard]] std::size_t offset() const noexcept { return m_failure.offset; }

private:
    failure m_failure;
};
#endif

/// Either a T or a failure. Accessing the value of a failed result is a
/// precondition violation (unchecked, like std::optional::operator*).
template <class T>
class [[nodiscard]] result {
public:
    constexpr result(T value) noexcept(std::is_nothrow_move_constructible_v<T>) : m_value(std::move(value)) {}
    /// Constructs the value in place (no move of a large value into the result).
    template <class... A>
    constexpr explicit result(std::in_place_t, A&&... a) noexcept(std::is_nothrow_constructible_v<T, A...>)
        : m_value(std::in_place, std::forward<A>(a)...) {}
    constexpr result(errc code, std::size_t offset = 0) noexcept : m_failure{code, offset} {}
    constexpr result(failure f) noexcept : m_failure(f) {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return MIKEY_LIKELY(m_value.has_value()); }
    constexpr explicit operator bool() const noexcept { return has_value(); }

    /// The error code; errc::ok when the result holds a value.
    [[nodiscard]] constexpr errc error() const noexcept { return m_failure.code; }
    /// Byte offset of the error (see failure).
    [[nodiscard]] constexpr std::size_t error_offset() const noexcept { return m_failure.offset; }
    [[nodiscard]] constexpr failure error_info() const noexcept { return m_failure; }

    constexpr T& operator*() & noexcept { return *m_value; }
    constexpr const T& operator*() const& noexcept { return *m_value; }
    constexpr T&& operator*() && noexcept { return std::move(*m_value); }
    constexpr T* operator->() noexcept { return &*m_value; }
    constexpr const T* operator->() const noexcept { return &*m_value; }

#if MIKEY_EXCEPTIONS
    /// The value, or throws mikey::error.
    T& value_or_throw() & {
        if (!has_value()) {
            throw mikey::error(m_failure);
        }
        return *m_value;
    }
#endif

private:
    std::optional<T> m_value;
    failure m_failure{};
};

/// A result with no value: success or a failure.
template <>
class [[nodiscard]] result<void> {
public:
    constexpr result() noexcept = default;
    constexpr result(errc code, std::size_t offset = 0) noexcept : m_failure{code, offset} {}
    constexpr result(failure f) noexcept : m_failure(f) {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return MIKEY_LIKELY(m_failure.code == errc::ok); }
    constexpr explicit operator bool() const noexcept { return has_value(); }
    [[nodiscard]] constexpr errc error() const noexcept { return m_failure.code; }
    [[nodiscard]] constexpr std::size_t error_offset() const noexcept { return m_failure.offset; }
    [[nodiscard]] constexpr failure error_info() const noexcept { return m_failure; }

#if MIKEY_EXCEPTIONS
    void value_or_throw() const {
        if (!has_value()) {
            throw mikey::error(m_failure);
        }
    }
#endif

private:
    failure m_failure{};
};

/// Shifts a failure's offset by `base`: used when a nested parse reports an
/// offset relative to the start of its own sub-span.
[[nodiscard]] constexpr failure shifted(failure f, std::size_t base) noexcept {
    return failure{f.code, f.offset + base};
}

}  // namespace mikey

// mikey-ticket: a fixed-capacity list whose unused slots are never
// initialised, for the short lists of builders the role machines assemble on
// the stack (up to 17 Key data builders, of which a ticket usually uses 3):
// a std::array of them would be zero-filled whole on every message.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>

namespace mikey {

/// Up to N values of T, constructed on push_back only. T must be trivially
/// destructible (views and builders; nothing that owns or holds a secret).
template <class T, std::size_t N>
class inline_list {
    static_assert(std::is_trivially_destructible_v<T>, "inline_list never runs destructors");

public:
    inline_list() noexcept {}
    /// Copies the size() values held (never the unused slots).
    inline_list(const inline_list& o) noexcept : m_size(o.m_size) {
        for (std::size_t i = 0; i < m_size; ++i) std::construct_at(m_items + i, o.m_items[i]);
    }
    inline_list& operator=(const inline_list& o) noexcept {
        if (this != &o) {
            m_size = o.m_size;
            for (std::size_t i = 0; i < m_size; ++i) std::construct_at(m_items + i, o.m_items[i]);
        }
        return *this;
    }

    /// Appends v. False (and nothing appended) when full.
    [[nodiscard]] bool push_back(const T& v) noexcept {
        if (m_size == N) return false;
        std::construct_at(m_items + m_size, v);
        ++m_size;
        return true;
    }
    /// Drops every value.
    void clear() noexcept { m_size = 0; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] static constexpr std::size_t capacity() noexcept { return N; }
    [[nodiscard]] bool full() const noexcept { return m_size == N; }
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return m_items[i]; }
    /// Value i, writable (a field filled in after push_back). i < size().
    [[nodiscard]] T& operator[](std::size_t i) noexcept { return m_items[i]; }
    [[nodiscard]] std::span<const T> view() const noexcept { return {m_items, m_size}; }
    [[nodiscard]] std::span<T> mutable_view() noexcept { return {m_items, m_size}; }
    [[nodiscard]] const T* begin() const noexcept { return m_items; }
    [[nodiscard]] const T* end() const noexcept { return m_items + m_size; }

private:
    union {
        T m_items[N];
    };
    std::size_t m_size = 0;
};

}  // namespace mikey

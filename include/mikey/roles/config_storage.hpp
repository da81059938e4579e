// mikey-ticket (roles layer): the owned copy of a role's config. A config
// names identities and lists by view (std::string_view, std::span); a role
// machine that outlives its config copies what they point to into one
// block and points its copy of the config at it: one allocation per
// machine, however many identities and crypto sessions the config has.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>

namespace mikey::roles::detail {

/// One block holding copies of a config's strings and lists.
///
///     storage.own([&](config_storage& s) { s.take(cfg.identity); s.take(cfg.sessions); });
///
/// own(fn) calls fn twice: once to size the block, once to copy into it and
/// re-point each view taken at its copy. The copies live as long as the
/// storage; moving it keeps them where they are.
class config_storage {
public:
    template <class Fn>
    void own(Fn&& fn) {
        m_block.reset();
        m_copying = false;
        m_used = 0;
        fn(*this);
        const std::size_t units = (m_used + sizeof(unit) - 1) / sizeof(unit);
        if (units != 0) m_block = std::make_unique_for_overwrite<unit[]>(units);
        m_copying = true;
        m_used = 0;
        fn(*this);
    }

    /// Copies the characters of `s` (an empty one becomes a null view).
    void take(std::string_view& s) {
        std::span<const char> chars(s);
        (void)copy_list(chars);
        s = std::string_view(chars.data(), chars.size());
    }
    /// Copies a list of trivially copyable values (not strings: their characters are elsewhere).
    template <class T>
        requires(std::is_trivially_copyable_v<T> && !std::is_same_v<T, std::string_view>)
    void take(std::span<const T>& list) {
        (void)copy_list(list);
    }
    /// Copies a list of strings, then each string.
    void take(std::span<const std::string_view>& list) {
        const auto original = list;
        std::string_view* copy = copy_list(list);
        for (std::size_t i = 0; i < original.size(); ++i) {
            std::string_view s = original[i];
            take(s);
            if (copy != nullptr) copy[i] = s;
        }
    }

private:
    using unit = std::max_align_t;
    /// Copies the elements of `list` and points it at the copy (an empty
    /// list becomes a null span); the copy on the copying pass, nullptr on
    /// the sizing one (which leaves a non-empty `list` as it is). Every
    /// take() goes through it.
    template <class T>
        requires std::is_trivially_copyable_v<T>
    T* copy_list(std::span<const T>& list) {
        static_assert(alignof(T) <= alignof(unit), "the block is aligned for std::max_align_t");
        if (list.empty()) {
            list = {};
            return nullptr;
        }
        auto* p = static_cast<T*>(place(list.size_bytes(), alignof(T)));
        if (p == nullptr) return nullptr;
        std::memcpy(static_cast<void*>(p), list.data(), list.size_bytes());
        list = std::span<const T>(p, list.size());
        return p;
    }
    /// Reserves `size` bytes aligned to `align`; their address on the copying pass, nullptr on the sizing one.
    void* place(std::size_t size, std::size_t align) noexcept {
        m_used = (m_used + align - 1) / align * align;
        void* p = m_copying ? reinterpret_cast<unsigned char*>(m_block.get()) + m_used : nullptr;
        m_used += size;
        return p;
    }
    std::unique_ptr<unit[]> m_block;
    std::size_t m_used = 0;
    bool m_copying = false;
};

}  // namespace mikey::roles::detail

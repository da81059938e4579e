// mikey-ticket: byte buffers for secrets (keys, derived keys, decrypted key
// data) that wipe themselves, are never copied implicitly and never print.
//
// Two shapes:
//   secret_buffer<N>  fixed capacity N, storage inline (no heap): what the
//                     derivations write into; the hot path uses these.
//   secret_bytes      any length, one heap block allocated once: for keys of
//                     lengths only known at run time (tools, opened KEMACs).
//
// Both: copy constructor and copy assignment are deleted (use clone());
// moving copies the bytes and wipes the source; the destructor wipes;
// operator== is deleted (compare secrets with the backend's constant-time
// compare); to_string() prints only the length. The bytes are reachable only
// through view() / mutable_view() and the explicitly named reveal_hex().
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "bytes.hpp"
#include "result.hpp"

namespace mikey {

/// Overwrites n bytes at p with zeros in a way the compiler may not elide
/// (a call through a volatile function pointer, the technique Botan's own
/// portable secure_scrub_memory uses). The core layer may use std only, so
/// it cannot call Botan here; the crypto backend wipes its own state with
/// Botan::secure_scrub_memory.
inline void secure_wipe(void* p, std::size_t n) noexcept {
    static void* (*const volatile wipe_memset)(void*, int, std::size_t) = std::memset;
    if (p != nullptr && n != 0) {
        wipe_memset(p, 0, n);
    }
}

/// Wipes a caller span (e.g. a stack buffer that held key material).
inline void secure_wipe(mutable_bytes b) noexcept { secure_wipe(b.data(), b.size()); }

namespace detail {
inline std::string secret_placeholder(std::size_t n) {
    return "<secret " + std::to_string(n) + " bytes>";
}
inline std::string hex_of(bytes_view b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(2 * b.size());
    for (const std::uint8_t v : b) {
        s.push_back(digits[v >> 4]);
        s.push_back(digits[v & 0x0F]);
    }
    return s;
}
}  // namespace detail

/// A secret of at most Capacity bytes, stored inline.
template <std::size_t Capacity>
class secret_buffer {
public:
    static constexpr std::size_t capacity = Capacity;

    /// An empty secret (size 0). User-provided (not `= default`), so that
    /// `secret_buffer<N> x{}` and arrays of them do not zero-fill the whole
    /// capacity: only the first size() bytes are ever readable or written.
    secret_buffer() noexcept {}

    /// A zero-filled secret of `size` bytes, ready to be written through
    /// mutable_view(). Precondition: size <= Capacity (clamped otherwise).
    explicit secret_buffer(std::size_t size) noexcept : m_size(size <= Capacity ? size : Capacity) {
        if (m_size != 0) std::memset(m_data, 0, m_size);
    }

    /// A secret holding a copy of `key`.
    /// Errors: errc::key_length_mismatch when key.size() > Capacity.
    [[nodiscard]] static result<secret_buffer> from(bytes_view key) noexcept {
        secret_buffer s;
        if (auto r = s.assign(key); !r) {
            return r.error_info();
        }
        return s;
    }

    secret_buffer(const secret_buffer&) = delete;
    secret_buffer& operator=(const secret_buffer&) = delete;

    /// Moves the bytes and wipes the source (which becomes empty).
    secret_buffer(secret_buffer&& o) noexcept : m_size(o.m_size) {
        if (m_size != 0) std::memcpy(m_data, o.m_data, m_size);
        o.wipe();
    }
    /// The old bytes are overwritten by the new ones; those past the new
    /// size are wiped.
    secret_buffer& operator=(secret_buffer&& o) noexcept {
        if (this != &o) {
            if (o.m_size < m_size) secure_wipe(m_data + o.m_size, m_size - o.m_size);
            m_size = o.m_size;
            if (m_size != 0) std::memcpy(m_data, o.m_data, m_size);
            o.wipe();
        }
        return *this;
    }

    /// Wipes the first size() bytes: the only ones that can hold a secret
    /// (mutable_view() reaches no further, and resize() wipes what it cuts).
    ~secret_buffer() { secure_wipe(m_data, m_size); }

    /// An explicit copy.
    [[nodiscard]] secret_buffer clone() const noexcept {
        secret_buffer s;
        s.m_size = m_size;
        if (m_size != 0) std::memcpy(s.m_data, m_data, m_size);
        return s;
    }

    /// Sets the length to n (new bytes are zero; bytes cut off are wiped).
    /// Errors: key_length_mismatch when n > Capacity.
    [[nodiscard]] result<void> resize(std::size_t n) noexcept {
        if (n > Capacity) {
            return errc::key_length_mismatch;
        }
        if (n < m_size) {
            secure_wipe(m_data + n, m_size - n);
        } else if (n > m_size) {
            // From empty, the whole capacity: a fixed-size fill the compiler writes inline (the
            // bytes past n are zeroed too, which holds no secret).
            if (m_size == 0) {
                std::memset(m_data, 0, Capacity);
            } else {
                std::memset(m_data + m_size, 0, n - m_size);
            }
        }
        m_size = n;
        return {};
    }

    /// Replaces the bytes with a copy of `key` (old bytes past key.size()
    /// are wiped). Errors: key_length_mismatch when key.size() > Capacity
    /// (the buffer is unchanged).
    [[nodiscard]] result<void> assign(bytes_view key) noexcept {
        if (key.size() > Capacity) {
            return errc::key_length_mismatch;
        }
        if (key.size() < m_size) {
            secure_wipe(m_data + key.size(), m_size - key.size());
        }
        if (!key.empty()) {
            std::memcpy(m_data, key.data(), key.size());
        }
        m_size = key.size();
        return {};
    }

    /// Wipes the bytes and sets the length to 0.
    void wipe() noexcept {
        secure_wipe(m_data, m_size);
        m_size = 0;
    }

    [[nodiscard]] bytes_view view() const noexcept MIKEY_LIFETIMEBOUND { return {m_data, m_size}; }
    [[nodiscard]] mutable_bytes mutable_view() noexcept MIKEY_LIFETIMEBOUND { return {m_data, m_size}; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] bool empty() const noexcept { return m_size == 0; }

    friend bool operator==(const secret_buffer&, const secret_buffer&) = delete;

private:
    // Invariant: only m_data[0, m_size) has ever been written since the
    // last wipe; bytes past it are never read.
    std::uint8_t m_data[Capacity];
    std::size_t m_size = 0;
};

/// A secret of any length in one heap block (allocated once, never grown).
class secret_bytes {
public:
    secret_bytes() noexcept = default;

    /// A zero-filled secret of n bytes. Errors: none but allocation failure
    /// (which terminates with -fno-exceptions, throws std::bad_alloc otherwise).
    explicit secret_bytes(std::size_t n) : m_data(n ? new std::uint8_t[n]() : nullptr), m_size(n) {}

    /// A secret holding a copy of `key`.
    [[nodiscard]] static secret_bytes from(bytes_view key) {
        secret_bytes s(key.size());
        if (!key.empty()) {
            std::memcpy(s.m_data.get(), key.data(), key.size());
        }
        return s;
    }

    secret_bytes(const secret_bytes&) = delete;
    secret_bytes& operator=(const secret_bytes&) = delete;
    secret_bytes(secret_bytes&& o) noexcept : m_data(std::move(o.m_data)), m_size(o.m_size) { o.m_size = 0; }
    secret_bytes& operator=(secret_bytes&& o) noexcept {
        if (this != &o) {
            wipe();
            m_data = std::move(o.m_data);
            m_size = o.m_size;
            o.m_size = 0;
        }
        return *this;
    }
    ~secret_bytes() { wipe(); }

    /// An explicit copy.
    [[nodiscard]] secret_bytes clone() const { return from(view()); }

    /// Wipes and releases the bytes.
    void wipe() noexcept {
        secure_wipe(m_data.get(), m_size);
        m_data.reset();
        m_size = 0;
    }

    [[nodiscard]] bytes_view view() const noexcept MIKEY_LIFETIMEBOUND { return {m_data.get(), m_size}; }
    [[nodiscard]] mutable_bytes mutable_view() noexcept MIKEY_LIFETIMEBOUND { return {m_data.get(), m_size}; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] bool empty() const noexcept { return m_size == 0; }

    friend bool operator==(const secret_bytes&, const secret_bytes&) = delete;

private:
    std::unique_ptr<std::uint8_t[]> m_data;
    std::size_t m_size = 0;
};

/// "<secret N bytes>": the only text form a secret has by default.
template <std::size_t N>
[[nodiscard]] inline std::string to_string(const secret_buffer<N>& s) {
    return detail::secret_placeholder(s.size());
}
[[nodiscard]] inline std::string to_string(const secret_bytes& s) { return detail::secret_placeholder(s.size()); }

/// The secret's bytes as lowercase hex. Named so that every place that
/// prints key material is explicit and greppable (mikeyctl derive, tests).
template <std::size_t N>
[[nodiscard]] inline std::string reveal_hex(const secret_buffer<N>& s) {
    return detail::hex_of(s.view());
}
[[nodiscard]] inline std::string reveal_hex(const secret_bytes& s) { return detail::hex_of(s.view()); }

}  // namespace mikey

// mikey-ticket: the Botan crypto backend. This is the only crypto header of
// the library that includes Botan (the other Botan includer is sdp.hpp, for
// base64 through Botan's C FFI); everything else uses the crypto_backend
// concept (backend.hpp), so another backend (Botan 3, OpenSSL, ...) is one
// more header like this one.
//
// Botan versions: written against Botan 2.19 (Debian libbotan-2-dev) using
// only calls that exist unchanged in Botan 3 (create(), set_key(), update(),
// final(), set_iv(), cipher(), encrypt()/decrypt(), constant_time_compare()
// on pointers, secure_scrub_memory(), the FFI RNG). Nothing here depends on
// a version switch.
//
// Exceptions: Botan reports errors by throwing. With exceptions enabled
// (MIKEY_EXCEPTIONS) every Botan call runs inside a try block and any
// exception becomes errc::crypto_backend_failure. With -fno-exceptions the
// library is still the one Botan compiled with exceptions, so a throw would
// terminate the program: the backend therefore checks every documented
// precondition before calling (key lengths: the HMAC limits read once,
// the AES object chosen by the key's size; IV lengths, keyed state, object
// creation through create(), which returns nullptr instead of throwing),
// which leaves only allocation failure inside Botan (first use of an
// object) as a way to terminate. The default RNG goes through Botan's C FFI
// (botan_rng_init "user" = AutoSeeded_RNG) because <botan/rng.h> cannot be
// included under -fno-exceptions (Botan 2's Null_RNG has an inline throw)
// and because the FFI never throws.
#pragma once

#include <botan/block_cipher.h>
#include <botan/ffi.h>
#include <botan/mac.h>
#include <botan/mem_ops.h>
#include <botan/stream_cipher.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "../core/config.hpp"
#include "../core/rng.hpp"
#include "backend.hpp"

namespace mikey::crypto {

/// A replaceable random source: fill(context, out, n) writes n random bytes
/// and returns true, or returns false on failure. Deterministic sources make
/// tests and fuzzing reproducible; the default is Botan's AutoSeeded_RNG.
struct random_source {
    void* context = nullptr;
    bool (*fill)(void* context, std::uint8_t* out, std::size_t n) noexcept = nullptr;
};

namespace detail {

/// Runs f (a Botan call sequence); maps any exception to crypto_backend_failure.
template <class F>
[[nodiscard]] inline result<void> botan_guard(F&& f) noexcept {
#if MIKEY_EXCEPTIONS
    try {
        return std::forward<F>(f)();
    } catch (...) {
        return errc::crypto_backend_failure;
    }
#else
    return std::forward<F>(f)();
#endif
}

struct ffi_rng_deleter {
    void operator()(void* rng) const noexcept { botan_rng_destroy(static_cast<botan_rng_t>(rng)); }
};

}  // namespace detail

/// crypto_backend on Botan. Holds one HMAC object per hash, AES block
/// ciphers and AES-CTR stream ciphers, created once by create(); the
/// operations reuse them, so after the first use of each object no call
/// allocates. Not thread-safe: use one backend per thread.
class botan_backend {
public:
    /// Creates the Botan objects and the RNG (`rng`, or Botan's AutoSeeded_RNG
    /// when rng.fill is null).
    /// Errors: unsupported_algorithm (Botan built without HMAC / SHA-1 /
    /// SHA-256 / AES / CTR), crypto_backend_failure (RNG could not be seeded,
    /// or Botan threw).
    [[nodiscard]] static result<botan_backend> create(random_source rng = {}) noexcept {
        botan_backend b;
        b.m_rng = rng;
        auto made = detail::botan_guard([&]() -> result<void> {
            b.m_hmac[0] = Botan::MessageAuthenticationCode::create("HMAC(SHA-1)");
            b.m_hmac[1] = Botan::MessageAuthenticationCode::create("HMAC(SHA-256)");
            b.m_aes[0] = Botan::BlockCipher::create("AES-128");
            b.m_aes[1] = Botan::BlockCipher::create("AES-192");
            b.m_aes[2] = Botan::BlockCipher::create("AES-256");
            b.m_ctr[0] = Botan::StreamCipher::create("CTR-BE(AES-128)");
            b.m_ctr[1] = Botan::StreamCipher::create("CTR-BE(AES-192)");
            b.m_ctr[2] = Botan::StreamCipher::create("CTR-BE(AES-256)");
            for (std::size_t i = 0; i < b.m_hmac.size(); ++i) {
                if (!b.m_hmac[i]) return errc::unsupported_algorithm;
                // Read once: hmac_set_key checks every key against these
                // without a virtual key_spec() call per key.
                const auto spec = b.m_hmac[i]->key_spec();
                b.m_hmac_keys[i] = key_limits{spec.minimum_keylength(), spec.maximum_keylength(),
                                              spec.keylength_multiple()};
                if (b.m_hmac[i]->output_length() != hmac_size(i == 0 ? hmac_hash::sha_1 : hmac_hash::sha_256)) {
                    return errc::unsupported_algorithm;
                }
            }
            for (const auto& c : b.m_aes) {
                if (!c) return errc::unsupported_algorithm;
            }
            for (const auto& c : b.m_ctr) {
                if (!c || !c->valid_iv_length(aes_block_size)) return errc::unsupported_algorithm;
            }
            if (b.m_rng.fill == nullptr) {
                botan_rng_t r = nullptr;
                if (botan_rng_init(&r, "user") != 0 || r == nullptr) {
                    return errc::crypto_backend_failure;
                }
                b.m_ffi_rng.reset(r);
            }
            return {};
        });
        if (!made) {
            return made.error();
        }
        return b;
    }

    botan_backend(botan_backend&&) noexcept = default;
    botan_backend& operator=(botan_backend&&) noexcept = default;
    botan_backend(const botan_backend&) = delete;
    botan_backend& operator=(const botan_backend&) = delete;
    ~botan_backend() = default;

    /// Replaces the random source (fill == nullptr restores Botan's RNG if
    /// the backend was created with it).
    void set_random_source(random_source rng) noexcept { m_rng = rng; }

    // --- HMAC (RFC 2104) -------------------------------------------------

    /// Keys the HMAC state of `h`. Errors: crypto_backend_failure.
    [[nodiscard]] result<void> hmac_set_key(hmac_hash h, bytes_view key) noexcept {
        auto& m = mac(h);
        m_keyed[index(h)] = false;
        // HMAC takes keys of any length (RFC 2104 §2); checked anyway so that
        // Botan never throws Invalid_Key_Length.
        if (!m_hmac_keys[index(h)].valid(key.size())) {
            return errc::key_length_mismatch;
        }
        auto r = detail::botan_guard([&]() -> result<void> {
            m.set_key(key.data(), key.size());
            return {};
        });
        m_keyed[index(h)] = r.has_value();
        return r;
    }

    /// Absorbs bytes into the keyed state of `h` (ignored when not keyed;
    /// hmac_final then reports invalid_argument).
    void hmac_update(hmac_hash h, bytes_view data) noexcept {
        if (!m_keyed[index(h)] || data.empty()) {
            return;
        }
        auto& m = mac(h);
        (void)detail::botan_guard([&]() -> result<void> {
            m.update(data.data(), data.size());
            return {};
        });
    }

    /// Writes the tag and leaves the state keyed for the next message.
    /// Errors: invalid_argument (out.size() != hmac_size(h), or no key set),
    /// crypto_backend_failure.
    [[nodiscard]] result<void> hmac_final(hmac_hash h, mutable_bytes out) noexcept {
        auto& m = mac(h);
        // hmac_size(h) is the object's output_length() (checked by create()).
        if (!m_keyed[index(h)] || out.size() != hmac_size(h)) {
            return errc::invalid_argument;
        }
        return detail::botan_guard([&]() -> result<void> {
            m.final(out.data());
            return {};
        });
    }

    // --- AES-CTR (RFC 3711 AES-CM) ---------------------------------------

    /// AES in counter mode, 128-bit big-endian counter starting at `iv`.
    /// Errors: key_length_mismatch (key not 16/24/32 bytes), invalid_argument
    /// (iv not 16 bytes, out.size() != in.size()), crypto_backend_failure.
    [[nodiscard]] result<void> aes_ctr(bytes_view key, bytes_view iv, bytes_view in, mutable_bytes out) noexcept {
        // One object per AES key size (create() made them): the size picks it.
        Botan::StreamCipher* c = ctr_for(key.size());
        if (c == nullptr) {
            return errc::key_length_mismatch;
        }
        if (iv.size() != aes_block_size || out.size() != in.size()) {
            return errc::invalid_argument;
        }
        return detail::botan_guard([&]() -> result<void> {
            c->set_key(key.data(), key.size());
            c->set_iv(iv.data(), iv.size());
            if (!in.empty()) {
                c->cipher(in.data(), out.data(), in.size());
            }
            return {};
        });
    }

    // --- RFC 3394 key wrap with a caller IV --------------------------------
    //
    // Botan's rfc3394_keywrap / nist_key_wrap fix the initial value to
    // A6A6A6A6A6A6A6A6 and offer no way to pass another one, while RFC 3830
    // §4.2.3 sets it to the derived 64-bit salt. So the RFC 3394 §2.2.1 /
    // §2.2.2 index loop is written out here; every AES block operation is
    // Botan's (BlockCipher::encrypt / decrypt). The tests check it against
    // the RFC 3394 §4 vectors and against Botan's nist_key_wrap for the
    // default IV.

    /// RFC 3394 §2.2.1 wrap. Errors: key_length_mismatch (kek not 16/24/32
    /// bytes), invalid_argument (iv not 8 bytes; in not a multiple of 8 bytes
    /// or shorter than 16; out.size() != in.size() + 8), crypto_backend_failure.
    [[nodiscard]] result<void> aes_key_wrap(bytes_view kek, bytes_view iv, bytes_view in,
                                            mutable_bytes out) noexcept {
        Botan::BlockCipher* c = aes_for(kek.size());
        if (c == nullptr) {
            return errc::key_length_mismatch;
        }
        // RFC 3394 §2: n >= 2 64-bit blocks of plaintext.
        if (iv.size() != key_wrap_iv_size || in.size() % 8 != 0 || in.size() < 16 ||
            out.size() != in.size() + 8) {
            return errc::invalid_argument;
        }
        return detail::botan_guard([&]() -> result<void> {
            c->set_key(kek.data(), kek.size());
            const std::size_t n = in.size() / 8;
            std::uint8_t a[8];
            std::uint8_t blk[aes_block_size];
            std::memcpy(a, iv.data(), 8);
            std::memmove(out.data() + 8, in.data(), in.size());
            for (std::size_t j = 0; j <= 5; ++j) {
                for (std::size_t i = 1; i <= n; ++i) {
                    std::uint8_t* r = out.data() + 8 * i;
                    std::memcpy(blk, a, 8);
                    std::memcpy(blk + 8, r, 8);
                    c->encrypt(blk, blk);
                    const std::uint64_t t = n * j + i;
                    for (std::size_t k = 0; k < 8; ++k) {
                        a[k] = static_cast<std::uint8_t>(blk[k] ^ static_cast<std::uint8_t>(t >> (56 - 8 * k)));
                    }
                    std::memcpy(r, blk + 8, 8);
                }
            }
            std::memcpy(out.data(), a, 8);
            Botan::secure_scrub_memory(blk, sizeof blk);
            Botan::secure_scrub_memory(a, sizeof a);
            return {};
        });
    }

    /// RFC 3394 §2.2.2 unwrap with integrity check against `iv`.
    /// Errors: key_length_mismatch, invalid_argument (iv not 8 bytes, out
    /// size), key_unwrap_failure (in not a multiple of 8 bytes or shorter
    /// than 24, or the recovered A differs from iv; out is wiped),
    /// crypto_backend_failure.
    [[nodiscard]] result<void> aes_key_unwrap(bytes_view kek, bytes_view iv, bytes_view in,
                                              mutable_bytes out) noexcept {
        Botan::BlockCipher* c = aes_for(kek.size());
        if (c == nullptr) {
            return errc::key_length_mismatch;
        }
        if (iv.size() != key_wrap_iv_size) {
            return errc::invalid_argument;
        }
        // RFC 3394 §2.2.2: input is n + 1 64-bit blocks, n >= 2.
        if (in.size() % 8 != 0 || in.size() < 24) {
            return errc::key_unwrap_failure;
        }
        if (out.size() != in.size() - 8) {
            return errc::invalid_argument;
        }
        auto r = detail::botan_guard([&]() -> result<void> {
            c->set_key(kek.data(), kek.size());
            const std::size_t n = in.size() / 8 - 1;
            std::uint8_t a[8];
            std::uint8_t blk[aes_block_size];
            std::memcpy(a, in.data(), 8);
            std::memmove(out.data(), in.data() + 8, out.size());
            for (std::size_t j = 6; j-- > 0;) {
                for (std::size_t i = n; i >= 1; --i) {
                    std::uint8_t* rr = out.data() + 8 * (i - 1);
                    const std::uint64_t t = n * j + i;
                    for (std::size_t k = 0; k < 8; ++k) {
                        blk[k] = static_cast<std::uint8_t>(a[k] ^ static_cast<std::uint8_t>(t >> (56 - 8 * k)));
                    }
                    std::memcpy(blk + 8, rr, 8);
                    c->decrypt(blk, blk);
                    std::memcpy(a, blk, 8);
                    std::memcpy(rr, blk + 8, 8);
                }
            }
            // RFC 3394 §2.2.3: the unwrap succeeds only if A equals the IV.
            const bool ok = Botan::constant_time_compare(a, iv.data(), 8);
            Botan::secure_scrub_memory(blk, sizeof blk);
            Botan::secure_scrub_memory(a, sizeof a);
            if (!ok) {
                return errc::key_unwrap_failure;
            }
            return {};
        });
        if (!r) {
            Botan::secure_scrub_memory(out.data(), out.size());
        }
        return r;
    }

    /// Overwrites the key-dependent state the Botan objects keep after use
    /// (HMAC pads, AES key schedules) by keying them with zero keys, without
    /// freeing (so the next call still does not allocate). Call when a
    /// backend outlives the keys it last used. Errors: crypto_backend_failure.
    [[nodiscard]] result<void> forget_keys() noexcept {
        static constexpr std::array<std::uint8_t, 32> zero{};
        m_keyed = {};
        return detail::botan_guard([&]() -> result<void> {
            for (auto& m : m_hmac) m->set_key(zero.data(), 0);
            m_aes[0]->set_key(zero.data(), 16);
            m_aes[1]->set_key(zero.data(), 24);
            m_aes[2]->set_key(zero.data(), 32);
            m_ctr[0]->set_key(zero.data(), 16);
            m_ctr[1]->set_key(zero.data(), 24);
            m_ctr[2]->set_key(zero.data(), 32);
            return {};
        });
    }

    // --- RNG, compare, wipe -------------------------------------------------

    /// Fills `out` with random bytes. Errors: crypto_backend_failure.
    [[nodiscard]] result<void> random(mutable_bytes out) noexcept {
        if (out.empty()) {
            return {};
        }
        if (m_rng.fill != nullptr) {
            return m_rng.fill(m_rng.context, out.data(), out.size()) ? result<void>{}
                                                                     : result<void>{errc::crypto_backend_failure};
        }
        if (!m_ffi_rng || botan_rng_get(static_cast<botan_rng_t>(m_ffi_rng.get()), out.data(), out.size()) != 0) {
            return errc::crypto_backend_failure;
        }
        return {};
    }

    /// Constant-time equality (Botan::constant_time_compare); false when the
    /// lengths differ.
    [[nodiscard]] bool equal(bytes_view a, bytes_view b) const noexcept {
        if (a.size() != b.size()) {
            return false;
        }
        if (a.empty()) {
            return true;
        }
        return Botan::constant_time_compare(a.data(), b.data(), a.size());
    }

    /// Botan::secure_scrub_memory over `b`.
    void wipe(mutable_bytes b) const noexcept {
        if (!b.empty()) {
            Botan::secure_scrub_memory(b.data(), b.size());
        }
    }

private:
    botan_backend() noexcept = default;

    static constexpr std::size_t index(hmac_hash h) noexcept { return h == hmac_hash::sha_1 ? 0 : 1; }
    Botan::MessageAuthenticationCode& mac(hmac_hash h) noexcept { return *m_hmac[index(h)]; }
    Botan::BlockCipher* aes_for(std::size_t key_size) noexcept {
        switch (key_size) {
            case 16: return m_aes[0].get();
            case 24: return m_aes[1].get();
            case 32: return m_aes[2].get();
            default: return nullptr;
        }
    }
    Botan::StreamCipher* ctr_for(std::size_t key_size) noexcept {
        switch (key_size) {
            case 16: return m_ctr[0].get();
            case 24: return m_ctr[1].get();
            case 32: return m_ctr[2].get();
            default: return nullptr;
        }
    }

    /// An HMAC object's Key_Length_Specification, copied by create().
    struct key_limits {
        std::size_t min = 0, max = 0, multiple = 1;
        [[nodiscard]] bool valid(std::size_t n) const noexcept {
            return n >= min && n <= max && (multiple == 1 || (multiple != 0 && n % multiple == 0));
        }
    };

    std::array<std::unique_ptr<Botan::MessageAuthenticationCode>, 2> m_hmac{};
    std::array<key_limits, 2> m_hmac_keys{};
    std::array<bool, 2> m_keyed{};
    std::array<std::unique_ptr<Botan::BlockCipher>, 3> m_aes{};
    std::array<std::unique_ptr<Botan::StreamCipher>, 3> m_ctr{};
    random_source m_rng{};
    std::unique_ptr<void, detail::ffi_rng_deleter> m_ffi_rng{};
};

static_assert(crypto_backend<botan_backend>);

/// The operating system's random generator through Botan (the FFI "system"
/// RNG, which never throws): the random_generator to give role machines in
/// production. Not thread-safe: one per thread.
class botan_system_rng {
public:
    /// Errors: crypto_backend_failure (no system RNG).
    [[nodiscard]] static result<botan_system_rng> create() noexcept {
        botan_rng_t r = nullptr;
        if (botan_rng_init(&r, "system") != 0 || r == nullptr) {
            return errc::crypto_backend_failure;
        }
        botan_system_rng g;
        g.m_rng.reset(r);
        return g;
    }
    /// Errors: crypto_backend_failure.
    [[nodiscard]] result<void> fill(mutable_bytes out) noexcept {
        if (out.empty()) {
            return {};
        }
        if (botan_rng_get(static_cast<botan_rng_t>(m_rng.get()), out.data(), out.size()) != 0) {
            return errc::crypto_backend_failure;
        }
        return {};
    }

private:
    botan_system_rng() noexcept = default;
    std::unique_ptr<void, detail::ffi_rng_deleter> m_rng{};
};

}  // namespace mikey::crypto

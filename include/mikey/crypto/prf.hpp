// mikey-ticket: the MIKEY PRFs as constexpr descriptors and the one PRF
// routine both share:
//   PRF func 0, MIKEY-1           RFC 3830 §4.1.2 (HMAC-SHA-1, 160-bit blocks)
//   PRF func 1, PRF-HMAC-SHA-256  RFC 6043 §6.1  (RFC 3830 §4.1.2 with
//                                 HMAC-SHA-256 and 256 in place of 160)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "../core/bytes.hpp"
#include "../core/registry.hpp"
#include "../core/result.hpp"
#include "backend.hpp"
#include "labels.hpp"

namespace mikey::crypto {

/// A PRF of RFC 3830 §4.1.2 shape.
struct prf_descriptor {
    prf_func func;
    std::string_view name;
    hmac_hash hash;
    /// inkey is split into pieces of this many bits (RFC 3830 §4.1.2 "256",
    /// half the SHA-1 input block; RFC 6043 §6.1 keeps it: half of SHA-256's
    /// 512-bit block is 256 as well).
    std::size_t inkey_piece_bits;
    /// m = ceil(outkey_len / block_bits) (RFC 3830: 160; RFC 6043 §6.1: 256).
    std::size_t block_bits;
};

inline constexpr prf_descriptor mikey_1_prf{prf_func::mikey_1, "MIKEY-1", hmac_hash::sha_1, 256, 160};
inline constexpr prf_descriptor prf_hmac_sha_256{prf_func::prf_hmac_sha_256, "PRF-HMAC-SHA-256", hmac_hash::sha_256,
                                                 256, 256};

// RFC 3830 §4.1.2: "The values '256' and '160' equals half the input
// block-size and full output hash size, respectively, of the SHA-1 hash".
static_assert(mikey_1_prf.inkey_piece_bits == 256 && mikey_1_prf.block_bits == 160);
static_assert(mikey_1_prf.block_bits == 8 * hmac_size(mikey_1_prf.hash));
// RFC 6043 §6.1: "HMAC-SHA-256 ... SHALL be used instead of HMAC-SHA-1 and
// the value 256 SHALL be used instead of 160".
static_assert(prf_hmac_sha_256.inkey_piece_bits == 256 && prf_hmac_sha_256.block_bits == 256);
static_assert(prf_hmac_sha_256.block_bits == 8 * hmac_size(prf_hmac_sha_256.hash));
static_assert(static_cast<unsigned>(mikey_1_prf.func) == 0 && static_cast<unsigned>(prf_hmac_sha_256.func) == 1);

/// The descriptor of a PRF func value, or nullopt when this library has none
/// (unassigned or private-use values).
[[nodiscard]] constexpr std::optional<prf_descriptor> prf_for(prf_func f) noexcept {
    switch (f) {
        case prf_func::mikey_1: return mikey_1_prf;
        case prf_func::prf_hmac_sha_256: return prf_hmac_sha_256;
    }
    return std::nullopt;
}

/// Number of HMAC calls PRF(inkey, label) makes for these sizes: 2 * m * n
/// (RFC 3830 §4.1.2).
[[nodiscard]] constexpr std::size_t prf_hmac_calls(const prf_descriptor& d, std::size_t inkey_bytes,
                                                   std::size_t outkey_bytes) noexcept {
    const std::size_t piece = d.inkey_piece_bits / 8;
    const std::size_t block = d.block_bits / 8;
    const std::size_t n = (inkey_bytes + piece - 1) / piece;
    const std::size_t m = (outkey_bytes + block - 1) / block;
    return 2 * m * n;
}
static_assert(prf_hmac_calls(mikey_1_prf, 16, 16) == 2);
static_assert(prf_hmac_calls(mikey_1_prf, 64, 30) == 8);
static_assert(prf_hmac_calls(prf_hmac_sha_256, 33, 33) == 8);

namespace detail {
/// The RFC 3830 §4.1.2 loop; feed() absorbs the label into the keyed HMAC.
template <crypto_backend B, class Feed>
[[nodiscard]] MIKEY_ALWAYS_INLINE inline result<void> prf_loop(B& b, const prf_descriptor& d, bytes_view inkey, Feed&& feed,
                                                        mutable_bytes out) noexcept {
    const hmac_hash h = d.hash;
    const std::size_t block = d.block_bits / 8;
    const std::size_t piece = d.inkey_piece_bits / 8;
    // Blocks of 32 (PRF-HMAC-SHA-256) or 20 bytes (MIKEY-1): a shift for
    // the first, no division on the hot path.
    const std::size_t m = block == 32 ? (out.size() + 31) >> 5 : (out.size() + block - 1) / block;
    // A_i and the current block T share one buffer (one wipe at the end).
    // Neither is zero-filled first: hmac_final writes them before they are
    // read; out is written by the first inkey piece, XORed by the others.
    std::array<std::uint8_t, 2 * max_hmac_size> scratch;
    std::uint8_t* const t = scratch.data() + max_hmac_size;
    const mutable_bytes a_span{scratch.data(), block};
    const mutable_bytes t_span{t, block};
    result<void> r{};
    for (std::size_t off = 0; off < inkey.size() && r; off += piece) {
        const bytes_view s = inkey.subspan(off, inkey.size() - off < piece ? inkey.size() - off : piece);
        r = b.hmac_set_key(h, s);
        if (!r) break;
        // A_1 = HMAC(s, A_0 = label)
        feed();
        r = b.hmac_final(h, a_span);
        for (std::size_t i = 0; i < m && r; ++i) {
            // HMAC(s, A_i || label), XORed into block i of the output
            // (copied there for the first piece)
            b.hmac_update(h, a_span);
            feed();
            r = b.hmac_final(h, t_span);
            if (!r) break;
            const std::size_t pos = i * block;
            const std::size_t len = out.size() - pos < block ? out.size() - pos : block;
            std::uint8_t* o = out.data() + pos;
            if (off == 0) {
                if (len == 32) {
                    std::memcpy(o, t, 32);  // a fixed-size copy (the usual SHA-256 block)
                } else {
                    std::memcpy(o, t, len);
                }
            } else {
                std::size_t k = 0;
                for (; k + 8 <= len; k += 8) {
                    std::uint64_t x, y;
                    std::memcpy(&x, o + k, 8);
                    std::memcpy(&y, t + k, 8);
                    x ^= y;
                    std::memcpy(o + k, &x, 8);
                }
                for (; k < len; ++k) o[k] ^= t[k];
            }
            // A_(i+1) = HMAC(s, A_i); not needed after the last block.
            if (i + 1 < m) {
                b.hmac_update(h, a_span);
                r = b.hmac_final(h, a_span);
            }
        }
    }
    b.wipe(scratch);
    if (!r) {
        b.wipe(out);
    }
    return r;
}

/// A label too long for prf()'s stack copy (a long ID Data in D3): fed
/// range by range. Out of line: the common path stays small.
template <crypto_backend B>
[[nodiscard]] MIKEY_NOINLINE result<void> prf_by_ranges(B& b, const prf_descriptor& d, bytes_view inkey,
                                                        const prf_label& label, mutable_bytes out) noexcept {
    return prf_loop(
        b, d, inkey, [&] { label.feed([&](bytes_view part) { b.hmac_update(d.hash, part); }); }, out);
}

/// The loop over a label laid out in one piece (each HMAC absorbs it in
/// one update). Out of line: one copy per backend, whichever label layout
/// its caller wrote.
template <crypto_backend B>
[[nodiscard]] MIKEY_NOINLINE result<void> prf_flat(B& b, const prf_descriptor& d, bytes_view inkey,
                                                   bytes_view flat_label, mutable_bytes out) noexcept {
    return prf_loop(b, d, inkey, [&] { b.hmac_update(d.hash, flat_label); }, out);
}

/// prf()'s body. Inlined where the label is made from a layout known at
/// compile time (derive.hpp), so that the label's bytes are laid out by
/// straight stores rather than through prf_label's general copies.
/// Errors: as prf() below.
template <crypto_backend B>
[[nodiscard]] MIKEY_ALWAYS_INLINE inline result<void> prf_with_label(B& b, const prf_descriptor& d, bytes_view inkey,
                                                                      const prf_label& label,
                                                                      mutable_bytes out) noexcept {
    if (inkey.empty() || out.empty()) {
        return errc::invalid_argument;
    }
    // Labels of the usual sizes are laid out once in a stack buffer, so each
    // HMAC absorbs them in one update (fewer calls into the hash). Labels
    // are public.
    std::array<std::uint8_t, 192> flat;
    if (label.size() + prf_label::flatten_slack > flat.size()) {
        return prf_by_ranges(b, d, inkey, label, out);
    }
    label.flatten(flat.data());
    return prf_flat(b, d, inkey, bytes_view{flat.data(), label.size()}, out);
}

/// The same by PRF func value. Errors: unknown_prf_func, then as above.
template <crypto_backend B>
[[nodiscard]] MIKEY_ALWAYS_INLINE inline result<void> prf_with_label(B& b, prf_func f, bytes_view inkey,
                                                                      const prf_label& label,
                                                                      mutable_bytes out) noexcept {
    const auto d = prf_for(f);
    if (!d) {
        return errc::unknown_prf_func;
    }
    return prf_with_label(b, *d, inkey, label, out);
}
}  // namespace detail

/// outkey = the out.size() leftmost bytes of
///   P(s_1, label, m) XOR ... XOR P(s_n, label, m)          (RFC 3830 §4.1.2)
/// with inkey = s_1 || ... || s_n in 256-bit pieces (last may be shorter),
/// P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label),
/// A_0 = label, A_i = HMAC(s, A_(i-1)).
///
/// Writes into the caller's span, allocates nothing and wipes its
/// intermediate blocks. On error `out` is wiped.
/// Errors: invalid_argument (empty inkey or empty out), plus the backend's
/// (crypto_backend_failure).
template <crypto_backend B>
[[nodiscard]] result<void> prf(B& b, const prf_descriptor& d, bytes_view inkey, const prf_label& label,
                               mutable_bytes out) noexcept {
    return detail::prf_with_label(b, d, inkey, label, out);
}

/// PRF by HDR / Ticket Policy PRF func value.
/// Errors: unknown_prf_func (no descriptor for `f`), then as prf() above.
template <crypto_backend B>
[[nodiscard]] result<void> prf(B& b, prf_func f, bytes_view inkey, const prf_label& label, mutable_bytes out) noexcept {
    return detail::prf_with_label(b, f, inkey, label, out);
}

}  // namespace mikey::crypto

// mikey-ticket: the eleven derivation constants and the label layouts of
// RFC 3830 §4.1.3 / §4.1.4 and RFC 6043 §5.1.1-§5.1.3, §6.10, App. A.2, as
// constexpr data. A label is built without copying its variable parts (RAND,
// ID Data): prf_label holds the few fixed bytes itself and views of the rest,
// so labels of any length cost no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "../core/bytes.hpp"
#include "../core/config.hpp"
#include "../core/strong_types.hpp"

namespace mikey::crypto {

/// The label constants. Each is nine consecutive decimal digits of e
/// (RFC 3830 §4.1.3: "taken from the decimal digits of e"); chunk k below is
/// digits 9(k-1)+1 .. 9k after the decimal point, pinned by static_assert
/// against a compile-time expansion of e.
namespace label_constant {
// RFC 3830 Table 4.1.3 (keys from a TGK; RFC 6043 §5.1.3 reuses them)
inline constexpr std::uint32_t tek = 0x2AD01C64;        ///< chunk 1
inline constexpr std::uint32_t tgk_auth = 0x1B5C7973;   ///< chunk 2: authentication key from a TGK
inline constexpr std::uint32_t tgk_encr = 0x15798CEF;   ///< chunk 3: encryption key from a TGK
// RFC 3830 Table 4.1.4 (keys from a PSK / envelope key; RFC 6043 §5.1.2, §6.10, A.2.1 reuse them)
inline constexpr std::uint32_t encr_key = 0x150533E1;   ///< chunk 4
inline constexpr std::uint32_t auth_key = 0x2D22AC75;   ///< chunk 5
inline constexpr std::uint32_t salt_key = 0x29B88916;   ///< chunk 6
// RFC 3830 Table 4.1.3 again
inline constexpr std::uint32_t tgk_salt = 0x39A2C14B;   ///< chunk 7: salting key from a TGK
// RFC 6043 Table 5.1 (forking)
inline constexpr std::uint32_t mpkr_fork = 0x2B288856;  ///< chunk 8: MPKr'
inline constexpr std::uint32_t tgk_fork = 0x1512B54A;   ///< chunk 9: TGK'
// RFC 6043 Table A.1
inline constexpr std::uint32_t mpki = 0x220E99A2;       ///< chunk 10
inline constexpr std::uint32_t mpkr = 0x1F4D675B;       ///< chunk 11
}  // namespace label_constant

/// All eleven, in digit-chunk order of e.
inline constexpr std::array<std::uint32_t, 11> all_label_constants{
    label_constant::tek,      label_constant::tgk_auth, label_constant::tgk_encr, label_constant::encr_key,
    label_constant::auth_key, label_constant::salt_key, label_constant::tgk_salt, label_constant::mpkr_fork,
    label_constant::tgk_fork, label_constant::mpki,     label_constant::mpkr};

namespace detail {
/// The first `count` nine-digit chunks of the fractional part of e,
/// computed at compile time with the classic spigot (e = sum 1/k!).
template <std::size_t Count>
consteval std::array<std::uint32_t, Count> e_chunks() {
    constexpr std::size_t digits = Count * 9 + 10;
    constexpr std::size_t terms = digits;  // k! grows faster than 10^k; plenty of terms
    std::array<std::uint32_t, terms + 2> a{};
    for (auto& x : a) {
        x = 1;
    }
    std::array<std::uint8_t, digits> d{};
    for (std::size_t n = 0; n < digits; ++n) {
        std::uint32_t carry = 0;
        for (std::size_t k = terms + 1; k >= 2; --k) {
            const std::uint32_t v = a[k] * 10 + carry;
            a[k] = v % static_cast<std::uint32_t>(k);
            carry = v / static_cast<std::uint32_t>(k);
        }
        d[n] = static_cast<std::uint8_t>(carry);
    }
    std::array<std::uint32_t, Count> out{};
    for (std::size_t c = 0; c < Count; ++c) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 9; ++i) {
            v = v * 10 + d[9 * c + i];
        }
        out[c] = v;
    }
    return out;
}
}  // namespace detail

// RFC 3830 §4.1.3: "the first nine decimal digits 718281828 = 0x2AD01C64".
static_assert(detail::e_chunks<1>()[0] == 718281828u);
static_assert(detail::e_chunks<11>() == all_label_constants, "label constants are the digit chunks of e");
static_assert(label_constant::tek == 0x2AD01C64 && label_constant::tgk_auth == 0x1B5C7973 &&
              label_constant::tgk_encr == 0x15798CEF && label_constant::tgk_salt == 0x39A2C14B);  // RFC 3830 T. 4.1.3
static_assert(label_constant::encr_key == 0x150533E1 && label_constant::auth_key == 0x2D22AC75 &&
              label_constant::salt_key == 0x29B88916);  // RFC 3830 Table 4.1.4
static_assert(label_constant::mpkr_fork == 0x2B288856 && label_constant::tgk_fork == 0x1512B54A);  // RFC 6043 T. 5.1
static_assert(label_constant::mpki == 0x220E99A2 && label_constant::mpkr == 0x1F4D675B);  // RFC 6043 Table A.1

/// What follows the fixed head of a label.
enum class label_tail : std::uint8_t {
    rand_raw,         ///< RAND, no length byte (RFC 3830 §4.1.3 / §4.1.4)
    randri_randrr,    ///< len RANDRi(1) || RANDRi || len RANDRr(1) || RANDRr (RFC 6043 §5.1.2, §5.1.3)
    id_randrkms,      ///< len ID Data(2) || ID Data || len RANDRkms(1) || RANDRkms (RFC 6043 §5.1.1)
    none,             ///< nothing (RFC 6043 §6.10, Vr key)
    rand_with_length  ///< len RAND(1) || RAND (RFC 6043 App. A.2.1, A.2.2)
};

/// One label layout:
///   constant(4) || slot5(1) || slot6(4) || [purpose(1)] || tail
/// slot5 is the CS ID (cs_id_slot) or 0xFF; slot6 the CSB ID (csb_id_slot)
/// or 0xFFFFFFFF.
struct label_layout {
    std::string_view name;
    std::string_view source;
    bool cs_id_slot;
    bool csb_id_slot;
    bool has_purpose;
    std::uint8_t purpose;
    label_tail tail;
};

namespace layout {
inline constexpr label_layout rfc3830_tgk{"rfc3830-tgk", "RFC 3830 §4.1.3", true, true, false, 0, label_tail::rand_raw};
inline constexpr label_layout rfc3830_msg{"rfc3830-msg", "RFC 3830 §4.1.4", false, true, false, 0, label_tail::rand_raw};
inline constexpr label_layout d1{"d1", "RFC 6043 §5.1.2 (initial)", false, true, true, 0x01, label_tail::randri_randrr};
inline constexpr label_layout d2{"d2", "RFC 6043 §5.1.2 (response)", false, true, true, 0x02, label_tail::randri_randrr};
inline constexpr label_layout d3{"d3", "RFC 6043 §5.1.1", false, false, true, 0x00, label_tail::id_randrkms};
inline constexpr label_layout d4{"d4", "RFC 6043 §5.1.3", true, false, true, 0x03, label_tail::randri_randrr};
inline constexpr label_layout d5{"d5", "RFC 6043 §6.10", false, false, true, 0x04, label_tail::none};
inline constexpr label_layout d6{"d6", "RFC 6043 App. A.2.1", false, false, true, 0x05, label_tail::rand_with_length};
inline constexpr label_layout d7{"d7", "RFC 6043 App. A.2.2", false, false, true, 0x06, label_tail::rand_with_length};
}  // namespace layout

// The purpose bytes keep every RFC 6043 derivation apart (RFC 6043 §5.1.x).
static_assert(layout::d1.purpose == 0x01 && layout::d2.purpose == 0x02 && layout::d3.purpose == 0x00 &&
              layout::d4.purpose == 0x03 && layout::d5.purpose == 0x04 && layout::d6.purpose == 0x05 &&
              layout::d7.purpose == 0x06);
// D4 keeps the CS ID in slot 5 and puts 0xFFFFFFFF where the CSB ID was (RFC 6043 §5.1.3).
static_assert(layout::d4.cs_id_slot && !layout::d4.csb_id_slot);

/// A label: up to 16 fixed bytes held inline plus up to two external views
/// (RAND / RANDRi / ID Data, RANDRr / RANDRkms), fed to the HMAC in order:
///   fixed[0, split) || ext1 || fixed[split, end) || ext2
/// Copyable (no self-pointers). Built by make_label(); sizes are checked
/// there.
class prf_label {
public:
    constexpr prf_label() noexcept = default;

    /// Feeds the label's byte ranges in order to sink(bytes_view).
    template <class Sink>
    constexpr void feed(Sink&& sink) const noexcept {
        sink(bytes_view{m_fixed.data(), m_split});
        if (!m_ext1.empty()) sink(m_ext1);
        if (m_fixed_len > m_split) sink(bytes_view{m_fixed.data() + m_split, m_fixed_len - m_split});
        if (!m_ext2.empty()) sink(m_ext2);
    }

    /// Total label length in bytes.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_fixed_len + m_ext1.size() + m_ext2.size(); }

    /// Bytes past size() that flatten() may write.
    static constexpr std::size_t flatten_slack = 16;

    /// Writes the label to out[0, size()) (what copy_to does), for the PRF's
    /// hot path: the fixed parts are moved as whole 16-byte blocks, so out
    /// must hold size() + flatten_slack bytes (the bytes past size() are
    /// scratch).
    MIKEY_ALWAYS_INLINE void flatten(std::uint8_t* out) const noexcept {
        std::memcpy(out, m_fixed.data(), m_fixed.size());
        std::size_t pos = m_split;
        if (!m_ext1.empty()) {
            copy_short(out + pos, m_ext1.data(), m_ext1.size());
            pos += m_ext1.size();
        }
        if (m_fixed_len > m_split) {
            std::memcpy(out + pos, m_fixed.data() + m_split, m_fixed.size() - m_split);
            pos += m_fixed_len - m_split;
        }
        if (!m_ext2.empty()) copy_short(out + pos, m_ext2.data(), m_ext2.size());
    }

    /// Copies the label into out (out.size() >= size()); for tests, tools
    /// and compile-time checks.
    constexpr void copy_to(mutable_bytes out) const noexcept {
        std::size_t pos = 0;
        feed([&](bytes_view part) {
            const std::size_t n = part.size() < out.size() - pos ? part.size() : out.size() - pos;
            copy_bytes(out.subspan(pos, n), part.first(n));
            pos += n;
        });
    }

private:
    friend struct label_builder;
    std::array<std::uint8_t, 16> m_fixed{};
    std::size_t m_fixed_len = 0;
    std::size_t m_split = 0;
    bytes_view m_ext1{};
    bytes_view m_ext2{};
};

/// Inputs of a label; which ones are read depends on the layout.
struct label_inputs {
    std::uint32_t constant = 0;
    std::uint8_t cs_id = 0;        ///< slot 5 when layout.cs_id_slot
    std::uint32_t csb_id = 0;      ///< slot 6 when layout.csb_id_slot
    bytes_view first{};            ///< RAND, RANDRi or ID Data
    bytes_view second{};           ///< RANDRr or RANDRkms
};

struct label_builder {
    [[nodiscard]] static constexpr prf_label raw(bytes_view bytes) noexcept {
        prf_label out;
        out.m_ext1 = bytes;
        return out;
    }

    /// Builds the label of `l` from `in`. Precondition (checked by the
    /// derivations, which report errc::field_too_long): 8-bit length fields
    /// hold <= 255, the 16-bit ID Data length <= 65535.
    [[nodiscard]] MIKEY_ALWAYS_INLINE static constexpr prf_label make(const label_layout& l,
                                                                      const label_inputs& in) noexcept {
        prf_label out;
        auto& f = out.m_fixed;
        // constant(32) || cs_id(8) || csb_id(32): plain stores (the layout is often a
        // compile-time constant here, see derive.hpp's run).
        const std::uint32_t csb = l.csb_id_slot ? in.csb_id : 0xFFFFFFFFu;
        f[0] = static_cast<std::uint8_t>(in.constant >> 24);
        f[1] = static_cast<std::uint8_t>(in.constant >> 16);
        f[2] = static_cast<std::uint8_t>(in.constant >> 8);
        f[3] = static_cast<std::uint8_t>(in.constant);
        f[4] = l.cs_id_slot ? in.cs_id : std::uint8_t{0xFF};
        f[5] = static_cast<std::uint8_t>(csb >> 24);
        f[6] = static_cast<std::uint8_t>(csb >> 16);
        f[7] = static_cast<std::uint8_t>(csb >> 8);
        f[8] = static_cast<std::uint8_t>(csb);
        std::size_t n = 9;
        if (l.has_purpose) {
            f[n++] = l.purpose;
        }
        const auto len8 = [](bytes_view v) { return static_cast<std::uint8_t>(v.size()); };
        switch (l.tail) {
            case label_tail::rand_raw:
                out.m_split = n;
                out.m_ext1 = in.first;
                break;
            case label_tail::randri_randrr:
                f[n++] = len8(in.first);
                out.m_split = n;
                out.m_ext1 = in.first;
                f[n++] = len8(in.second);
                out.m_ext2 = in.second;
                break;
            case label_tail::id_randrkms:
                f[n++] = static_cast<std::uint8_t>(in.first.size() >> 8);
                f[n++] = len8(in.first);
                out.m_split = n;
                out.m_ext1 = in.first;
                f[n++] = len8(in.second);
                out.m_ext2 = in.second;
                break;
            case label_tail::none:
                out.m_split = n;
                break;
            case label_tail::rand_with_length:
                f[n++] = len8(in.first);
                out.m_split = n;
                out.m_ext1 = in.first;
                break;
        }
        out.m_fixed_len = n;
        return out;
    }
};

/// A label given as opaque bytes (mikeyctl prf, tests): fed as one range.
[[nodiscard]] constexpr prf_label raw_label(bytes_view bytes) noexcept { return label_builder::raw(bytes); }

/// Shorthand for label_builder::make.
[[nodiscard]] MIKEY_ALWAYS_INLINE constexpr prf_label make_label(const label_layout& l, const label_inputs& in) noexcept {
    return label_builder::make(l, in);
}

namespace detail {
template <std::size_t N>
constexpr bool label_is(const label_layout& l, const label_inputs& in, const std::array<std::uint8_t, N>& want) {
    const prf_label lab = make_label(l, in);
    if (lab.size() != N) return false;
    std::array<std::uint8_t, N> got{};
    lab.copy_to(got);
    return got == want;
}
inline constexpr std::array<std::uint8_t, 3> label_test_r1{0xA1, 0xA2, 0xA3};
inline constexpr std::array<std::uint8_t, 2> label_test_r2{0xB1, 0xB2};
}  // namespace detail

// Byte-exact layouts, pinned at compile time.
// RFC 3830 §4.1.3: constant || cs_id || csb_id || RAND
static_assert(detail::label_is(layout::rfc3830_tgk, {label_constant::tek, 0x01, 0x12345678, detail::label_test_r1, {}},
                               std::array<std::uint8_t, 12>{0x2A, 0xD0, 0x1C, 0x64, 0x01, 0x12, 0x34, 0x56, 0x78, 0xA1,
                                                            0xA2, 0xA3}));
// RFC 3830 §4.1.4: constant || 0xFF || csb_id || RAND
static_assert(detail::label_is(layout::rfc3830_msg, {label_constant::auth_key, 0x07, 0x12345678, detail::label_test_r1, {}},
                               std::array<std::uint8_t, 12>{0x2D, 0x22, 0xAC, 0x75, 0xFF, 0x12, 0x34, 0x56, 0x78, 0xA1,
                                                            0xA2, 0xA3}));
// RFC 6043 §5.1.2: constant || 0xFF || CSB ID || 0x01 || len RANDRi || RANDRi || len RANDRr || RANDRr
static_assert(detail::label_is(layout::d1, {label_constant::encr_key, 0, 0x01020304, detail::label_test_r1, {}},
                               std::array<std::uint8_t, 15>{0x15, 0x05, 0x33, 0xE1, 0xFF, 0x01, 0x02, 0x03, 0x04, 0x01,
                                                            0x03, 0xA1, 0xA2, 0xA3, 0x00}));
static_assert(detail::label_is(layout::d2, {label_constant::salt_key, 0, 0x01020304, {}, detail::label_test_r2},
                               std::array<std::uint8_t, 14>{0x29, 0xB8, 0x89, 0x16, 0xFF, 0x01, 0x02, 0x03, 0x04, 0x02,
                                                            0x00, 0x02, 0xB1, 0xB2}));
// RFC 6043 §5.1.1: constant || 0xFF || 0xFFFFFFFF || 0x00 || len ID(2) || ID || len RANDRkms || RANDRkms
static_assert(detail::label_is(layout::d3, {label_constant::tgk_fork, 0, 0, detail::label_test_r2, detail::label_test_r1},
                               std::array<std::uint8_t, 18>{0x15, 0x12, 0xB5, 0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
                                                            0x00, 0x02, 0xB1, 0xB2, 0x03, 0xA1, 0xA2, 0xA3}));
// RFC 6043 §5.1.3: constant || CS ID || 0xFFFFFFFF || 0x03 || len RANDRi || RANDRi || len RANDRr || RANDRr
static_assert(detail::label_is(layout::d4, {label_constant::tek, 0x02, 0x99999999, detail::label_test_r2, detail::label_test_r2},
                               std::array<std::uint8_t, 16>{0x2A, 0xD0, 0x1C, 0x64, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x03,
                                                            0x02, 0xB1, 0xB2, 0x02, 0xB1, 0xB2}));
// RFC 6043 §6.10: constant || 0xFF || 0xFFFFFFFF || 0x04
static_assert(detail::label_is(layout::d5, {label_constant::auth_key, 0, 0, {}, {}},
                               std::array<std::uint8_t, 10>{0x2D, 0x22, 0xAC, 0x75, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x04}));
// RFC 6043 App. A.2.1 / A.2.2: constant || 0xFF || 0xFFFFFFFF || 0x05/0x06 || len RAND || RAND
static_assert(detail::label_is(layout::d6, {label_constant::encr_key, 0, 0, detail::label_test_r2, {}},
                               std::array<std::uint8_t, 13>{0x15, 0x05, 0x33, 0xE1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x05,
                                                            0x02, 0xB1, 0xB2}));
static_assert(detail::label_is(layout::d7, {label_constant::mpki, 0, 0, detail::label_test_r2, {}},
                               std::array<std::uint8_t, 13>{0x22, 0x0E, 0x99, 0xA2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x06,
                                                            0x02, 0xB1, 0xB2}));

}  // namespace mikey::crypto

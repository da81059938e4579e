// mikey-ticket: time as the protocol sees it. T and TR payloads carry
// NTP-UTC (64-bit: seconds since 1900-01-01 and a 32-bit fraction; RFC 3830
// §6.6) or NTP-UTC-32 (seconds only; RFC 6043 §6.3). The library never reads
// a clock: callers pass `now` as an ntp_time, usually made from
// std::chrono::system_clock.
//
// Era: a 32-bit seconds field wraps in 2036. RFC 6043 §6.4 makes the RFC 4330
// §3 rule MANDATORY ("If bit 0 is set, the UTC time is in the range
// 1968-2036 ... If bit 0 is not set, the time is in the range 2036-2104"),
// so ntp_time keeps era-resolved seconds (up to 2104) and compares them as
// plain numbers.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>

#include "bytes.hpp"
#include "registry.hpp"

namespace mikey {

class ntp_time {
public:
    /// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
    static constexpr std::int64_t unix_epoch_offset = 2208988800;

    constexpr ntp_time() noexcept = default;

    /// From a 64-bit NTP-UTC value as carried on the wire (RFC 4330 era rule).
    [[nodiscard]] static constexpr ntp_time from_ntp64(std::uint64_t wire) noexcept {
        return ntp_time(resolve_era(static_cast<std::uint32_t>(wire >> 32)), static_cast<std::uint32_t>(wire));
    }
    /// From a 32-bit NTP-UTC-32 seconds value (RFC 6043 §6.3; era rule as above).
    [[nodiscard]] static constexpr ntp_time from_ntp32(std::uint32_t seconds) noexcept {
        return ntp_time(resolve_era(seconds), 0);
    }
    /// From seconds (and a binary fraction) since the Unix epoch.
    [[nodiscard]] static constexpr ntp_time from_unix(std::int64_t seconds, std::uint32_t fraction = 0) noexcept {
        return ntp_time(seconds + unix_epoch_offset, fraction);
    }
    /// From a system_clock time point (UTC on every platform C++20 supports).
    [[nodiscard]] static constexpr ntp_time from(std::chrono::system_clock::time_point tp) noexcept {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
        std::int64_t s = ns / 1'000'000'000;
        std::int64_t rest = ns % 1'000'000'000;
        if (rest < 0) {
            rest += 1'000'000'000;
            --s;
        }
        const auto frac = static_cast<std::uint32_t>((static_cast<std::uint64_t>(rest) << 32) / 1'000'000'000u);
        return from_unix(s, frac);
    }
    /// The T or TR value of a payload: NTP-UTC and NTP (8 bytes), NTP-UTC-32
    /// (4 bytes). nullopt for COUNTER (not a time) or a value of the wrong size.
    [[nodiscard]] static constexpr std::optional<ntp_time> from_payload(ts_type kind, bytes_view value) noexcept {
        if (value.size() != ts_value_size(kind)) {
            return std::nullopt;
        }
        std::uint64_t v = 0;
        for (const auto b : value) {
            v = (v << 8) | b;
        }
        switch (kind) {
            case ts_type::ntp_utc:
            case ts_type::ntp: return from_ntp64(v);
            case ts_type::ntp_utc_32: return from_ntp32(static_cast<std::uint32_t>(v));
            case ts_type::counter: return std::nullopt;
        }
        return std::nullopt;
    }

    [[nodiscard]] constexpr std::chrono::system_clock::time_point to_system_clock() const noexcept {
        const auto frac_ns = static_cast<std::int64_t>((static_cast<std::uint64_t>(m_fraction) * 1'000'000'000u) >> 32);
        return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds((m_seconds - unix_epoch_offset) * 1'000'000'000 + frac_ns)));
    }
    /// The 64-bit wire value (seconds modulo 2^32, fraction).
    [[nodiscard]] constexpr std::uint64_t ntp64() const noexcept {
        return static_cast<std::uint64_t>(static_cast<std::uint32_t>(m_seconds)) << 32 | m_fraction;
    }
    /// The 32-bit NTP-UTC-32 wire value (seconds modulo 2^32).
    [[nodiscard]] constexpr std::uint32_t ntp32() const noexcept { return static_cast<std::uint32_t>(m_seconds); }
    /// Seconds since 1900-01-01 (era-resolved).
    [[nodiscard]] constexpr std::int64_t seconds() const noexcept { return m_seconds; }
    [[nodiscard]] constexpr std::uint32_t fraction() const noexcept { return m_fraction; }
    [[nodiscard]] constexpr std::int64_t unix_seconds() const noexcept { return m_seconds - unix_epoch_offset; }

    [[nodiscard]] constexpr ntp_time operator+(std::chrono::seconds d) const noexcept {
        return ntp_time(m_seconds + d.count(), m_fraction);
    }
    [[nodiscard]] constexpr ntp_time operator-(std::chrono::seconds d) const noexcept {
        return ntp_time(m_seconds - d.count(), m_fraction);
    }
    /// The next time the 64-bit NTP format tells apart from this one (2^-32 s later).
    [[nodiscard]] constexpr ntp_time next_tick() const noexcept {
        return m_fraction == UINT32_MAX ? ntp_time(m_seconds + 1, 0) : ntp_time(m_seconds, m_fraction + 1);
    }
    friend constexpr auto operator<=>(const ntp_time&, const ntp_time&) noexcept = default;

private:
    constexpr ntp_time(std::int64_t seconds, std::uint32_t fraction) noexcept : m_seconds(seconds), m_fraction(fraction) {}
    /// RFC 4330 §3: bit 0 clear means the 2036-2104 era.
    static constexpr std::int64_t resolve_era(std::uint32_t s) noexcept {
        return (s & 0x80000000u) != 0 ? std::int64_t{s} : std::int64_t{s} + (std::int64_t{1} << 32);
    }
    std::int64_t m_seconds = 0;
    std::uint32_t m_fraction = 0;
};

// 2026-12-02T00:00:00Z is Unix 1796169600; its 32-bit NTP seconds have bit 0 set (before 2036).
static_assert(ntp_time::from_unix(1796169600).ntp32() == 1796169600u + 2208988800u);
static_assert(ntp_time::from_ntp32(ntp_time::from_unix(1796169600).ntp32()).unix_seconds() == 1796169600);
// RFC 4330 §3: NTP seconds 0 with bit 0 clear is 2036-02-07T06:28:16Z (Unix 2085978496).
static_assert(ntp_time::from_ntp32(0).unix_seconds() == 2085978496);
static_assert(ntp_time::from_ntp64(ntp_time::from_unix(2085978500, 7).ntp64()) == ntp_time::from_unix(2085978500, 7));
static_assert(ntp_time::from_unix(5, 7).next_tick() == ntp_time::from_unix(5, 8));
static_assert(ntp_time::from_unix(5, UINT32_MAX).next_tick() == ntp_time::from_unix(6, 0));

/// The absolute distance between two times, in whole seconds (rounded down).
[[nodiscard]] constexpr std::chrono::seconds distance(const ntp_time& a, const ntp_time& b) noexcept {
    const auto d = a.seconds() - b.seconds();
    return std::chrono::seconds(d < 0 ? -d : d);
}

}  // namespace mikey

// Helpers shared by the wire-layer tests.
#pragma once

#include <doctest/doctest.h>

#include <vector>

#include "samples.hpp"

namespace doctest {
template <>
struct StringMaker<mikey::failure> {
    static String convert(const mikey::failure& f) {
        return String(mikey::to_string(f.code).data(), static_cast<unsigned>(mikey::to_string(f.code).size())) +
               " at " + toString(static_cast<unsigned long long>(f.offset));
    }
};
}  // namespace doctest

namespace wire_test {

using samples::bytes;

/// Writes `b`, parses it as V, checks that the view re-serializes to the same
/// bytes and that every strict prefix fails with `truncated`. Returns the bytes
/// (the view points into them; keep them alive).
template <class V, class B>
bytes round_trip(const B& b) {
    const bytes wire = samples::payload(b);
    REQUIRE_FALSE(wire.empty());
    const auto v = V::parse(wire);
    REQUIRE_MESSAGE(v, "parse failed: ", mikey::to_string(v.error()), " at ", v.error_offset());
    CHECK(v->size() == wire.size());
    CHECK(samples::payload(v->to_builder()) == wire);
    for (std::size_t n = 0; n < wire.size(); ++n) {
        const auto p = V::parse(mikey::bytes_view(wire.data(), n));
        CHECK_MESSAGE(p.error() == mikey::errc::truncated, "prefix ", n, " gave ", mikey::to_string(p.error()));
    }
    return wire;
}

/// Parses `wire` as V after setting byte `at` to `value`; returns the error.
template <class V>
mikey::failure parse_with(bytes wire, std::size_t at, std::uint8_t value) {
    wire.at(at) = value;
    const auto v = V::parse(wire);
    return v ? mikey::failure{} : v.error_info();
}

inline mikey::bytes_view view(const bytes& b) { return b; }

}  // namespace wire_test

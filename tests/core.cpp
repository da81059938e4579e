// Tests of the core layer: reader, writer, result, errc.
#include <doctest/doctest.h>

#include <array>
#include <type_traits>
#include <vector>

#include <mikey/core/errc.hpp>
#include <mikey/core/reader.hpp>
#include <mikey/core/result.hpp>
#include <mikey/core/strong_types.hpp>
#include <mikey/core/writer.hpp>

using namespace mikey;

TEST_CASE("byte_reader reads big-endian fields and stops at the end") {
    const std::array<std::uint8_t, 7> in{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    byte_reader r(in);
    CHECK(r.u8() == 0x01);
    CHECK(r.u16() == 0x0203);
    CHECK(r.u32() == 0x04050607u);
    CHECK(r.remaining() == 0);
    CHECK(r.finish());
    CHECK(r.u8() == 0);
    CHECK(r.failed());
    CHECK(r.error() == failure{errc::truncated, 7});
}

// A reader keeps a view of its input: named buffers and spans, never
// temporaries of owning containers (tests/compile_fail/reader_from_temporary.cpp).
static_assert(std::is_constructible_v<byte_reader, bytes_view>);
static_assert(std::is_constructible_v<byte_reader, const std::vector<std::uint8_t>&>);
static_assert(std::is_constructible_v<byte_reader, std::array<std::uint8_t, 4>&>);
static_assert(!std::is_constructible_v<byte_reader, std::vector<std::uint8_t>>);
static_assert(!std::is_constructible_v<byte_reader, std::array<std::uint8_t, 4>>);

TEST_CASE("byte_reader errors are sticky and keep the first offset") {
    const std::array<std::uint8_t, 3> in{0xAA, 0xBB, 0xCC};
    byte_reader r(in, errc::length_out_of_bounds);
    CHECK(r.u8() == 0xAA);
    CHECK(r.u32() == 0);  // does not fit: fails at offset 1
    CHECK(r.u8() == 0);   // would fit, but the reader has failed
    CHECK(r.take(1).empty());
    CHECK(r.error() == failure{errc::length_out_of_bounds, 1});
    CHECK(r.finish().error() == errc::length_out_of_bounds);
}

TEST_CASE("byte_reader finish reports trailing bytes at the first unread byte") {
    const std::array<std::uint8_t, 3> in{1, 2, 3};
    byte_reader r(in);
    const auto taken = r.take(2);
    CHECK(taken.size() == 2);
    CHECK(taken.data() == in.data());  // zero copy
    const auto f = r.finish();
    CHECK(f.error() == errc::trailing_bytes);
    CHECK(f.error_offset() == 2);
}

TEST_CASE("byte_writer counts, writes, and reports short buffers and long fields") {
    byte_writer counter;
    counter.u8(1);
    counter.u16(2);
    counter.u64(3);
    CHECK(counter.size() == 11);
    CHECK(counter.written().empty());

    std::array<std::uint8_t, 4> out{};
    byte_writer w(out);
    w.u16(0x1234);
    w.u8(0x56);
    CHECK(w.size() == 3);
    w.u16(0x789A);  // one byte short
    CHECK(w.error() == errc::buffer_too_small);
    CHECK(w.size() == 3);
    CHECK(out[0] == 0x12);
    CHECK(out[2] == 0x56);
    CHECK(out[3] == 0x00);

    byte_writer len;
    len.length(256, 1);
    CHECK(len.error() == errc::field_too_long);
    byte_writer len_ok;
    len_ok.length(0xFFFF, 2);
    CHECK_FALSE(len_ok.failed());
}

TEST_CASE("byte_writer patches a byte already written") {
    std::array<std::uint8_t, 2> out{};
    byte_writer w(out);
    w.u8(0);
    w.u8(7);
    w.patch_u8(0, 9);
    CHECK(out[0] == 9);
    CHECK(out[1] == 7);
}

TEST_CASE("result holds a value or a failure with offset") {
    result<int> good(5);
    REQUIRE(good);
    CHECK(*good == 5);
    CHECK(good.error() == errc::ok);
    result<int> bad(errc::truncated, 12);
    CHECK_FALSE(bad);
    CHECK(bad.error() == errc::truncated);
    CHECK(bad.error_offset() == 12);
    CHECK(shifted(bad.error_info(), 3).offset == 15);
    result<void> v;
    CHECK(v);
    result<void> vf(errc::trailing_bytes);
    CHECK_FALSE(vf);
}

TEST_CASE("errc names, fatality and wire mapping") {
    CHECK(to_string(errc::truncated) == "truncated");
    CHECK(to_string(errc::flag_e_required_by_i) == "flag_e_required_by_i");
    CHECK(is_fatal(errc::auth_failure));
    CHECK(is_fatal(errc::truncated));
    CHECK_FALSE(is_fatal(errc::buffer_too_small));
    CHECK(wire_error(errc::unknown_prf_func) == error_no::invalid_prf);
    CHECK(wire_error(errc::unknown_mac_alg) == error_no::invalid_mac);
    CHECK(wire_error(errc::unknown_encr_alg) == error_no::invalid_ea);
    CHECK(wire_error(errc::unknown_ts_type) == error_no::invalid_ts);
    CHECK(wire_error(errc::unknown_data_type) == error_no::invalid_dt);
    CHECK(wire_error(errc::unknown_ticket_type) == error_no::invalid_ticket);
    CHECK(wire_error(errc::flag_g_or_h_required) == error_no::invalid_tppar);
    CHECK(wire_error(errc::auth_failure) == error_no::auth_failure);
    CHECK(wire_error(errc::truncated) == error_no::unspecified);
    CHECK_FALSE(wire_error(errc::buffer_too_small).has_value());
    CHECK(to_string(errc::conflicting_alternatives) == "conflicting_alternatives");
    CHECK(is_fatal(errc::conflicting_alternatives));
    CHECK(wire_error(errc::conflicting_alternatives) == error_no::unspecified);
    CHECK(wire_error(errc::duplicate_payload) == error_no::unspecified);
    // Every code has a distinct name (sequence_too_old is the last).
    for (int a = 0; a <= static_cast<int>(errc::sequence_too_old); ++a) {
        CHECK(to_string(static_cast<errc>(a)) != "unknown_errc");
        for (int b = a + 1; b <= static_cast<int>(errc::sequence_too_old); ++b) {
            CHECK(to_string(static_cast<errc>(a)) != to_string(static_cast<errc>(b)));
        }
    }
}

TEST_CASE("strong types do not mix and compare by value") {
    const csb_id a{0x12345678u};
    const csb_id b{0x12345678u};
    CHECK(a == b);
    static_assert(!std::is_convertible_v<std::uint32_t, csb_id>);
    static_assert(!std::is_convertible_v<cs_id, csb_id>);
    const std::array<std::uint8_t, 2> x{1, 2};
    const std::array<std::uint8_t, 2> y{1, 2};
    CHECK(rand_value{x} == rand_value{y});
    static_assert(!std::is_convertible_v<rand_value, identity>);
}

TEST_CASE("copy_short: every length from 0 to 40 copies exactly its bytes, nothing around them") {
    std::array<std::uint8_t, 48> src{};
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<std::uint8_t>(0xA0 + i);
    for (std::size_t n = 0; n <= 40; ++n) {
        CAPTURE(n);
        std::array<std::uint8_t, 48> dst{};
        dst.fill(0x11);
        mikey::copy_short(dst.data() + 4, src.data() + 3, n);
        for (std::size_t i = 0; i < dst.size(); ++i) {
            const bool inside = i >= 4 && i < 4 + n;
            CHECK(dst[i] == (inside ? src[i - 1] : 0x11));
        }
    }
}

// The README's usage example: parse a MIKEY message; errors are values.
#include <mikey/mikey.hpp>

#include <array>
#include <cstdint>
#include <cstdio>

int main() {
    // A Common Header alone: version 1, PSK init (0), no payload, PRF 0,
    // CSB ID 0x01020304, no crypto session, SRTP-ID map.
    const std::array<std::uint8_t, 10> wire{1, 0, 0, 0, 1, 2, 3, 4, 0, 0};
    const mikey::result<mikey::message_view> msg = mikey::message_view::parse(wire);
    if (!msg || msg->type() != mikey::data_type::psk_init) {
        return 1;
    }
    std::printf("CSB ID %#x, %zu payloads\n", unsigned(msg->header().csb().get()), msg->payload_count());

    // The same bytes cut short: an error code and the offset where it was found.
    const auto cut = mikey::message_view::parse(std::span(wire).first(7));
    const std::string_view why = mikey::to_string(cut.error());
    std::printf("cut: %.*s at byte %zu\n", int(why.size()), why.data(), cut.error_offset());
    return cut.error() == mikey::errc::truncated ? 0 : 1;
}

// A tiny program consuming an installed (or subproject) mikey-ticket: CI
// builds it through meson's subproject, CMake's find_package and plain
// pkg-config, then runs it. It includes only the umbrella header and uses
// Botan directly to prove the dependency carries Botan's flags and libraries.
#include <mikey/mikey.hpp>

#include <botan/hex.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

int main() {
    // A Common Header alone: version 1, PSK init, CSB ID 0x01020304, SRTP-ID map.
    const std::array<std::uint8_t, 10> wire{1, 0, 0, 0, 1, 2, 3, 4, 0, 0};
    const auto msg = mikey::message_view::parse(wire);
    const auto cut = mikey::message_view::parse(std::span(wire).first(7));
    const std::string hex = Botan::hex_encode(wire.data(), wire.size());
    std::printf("consumer: %s -> %zu payloads; first 7 bytes -> %s at byte %zu\n", hex.c_str(),
                msg ? msg->payload_count() : 99, std::string(mikey::to_string(cut.error())).c_str(),
                cut.error_offset());
    return msg && msg->header().csb().get() == 0x01020304 && cut.error() == mikey::errc::truncated &&
                   hex == "01000000010203040000"
               ? 0
               : 1;
}

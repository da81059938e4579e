// A tiny program consuming an installed (or subproject) mikey-ticket: CI
// builds it through meson's subproject, CMake's find_package and plain
// pkg-config, then runs it. It includes only the umbrella header and uses
// Botan directly to prove the dependency carries Botan's flags and libraries.
#include <mikey/mikey.hpp>

#include <botan/hex.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

int main() {
    // Two bytes where a u8 and a u32 need five: errc::truncated at byte 1.
    const std::array<std::uint8_t, 2> wire{0x01, 0x1a};
    mikey::byte_reader in(wire);
    (void)in.u8();
    (void)in.u32();
    const mikey::result<void> r = in.finish();
    const std::string hex = Botan::hex_encode(wire.data(), wire.size());
    std::printf("consumer: %s -> %s at byte %zu\n", hex.c_str(),
                std::string(mikey::to_string(r.error())).c_str(), r.error_offset());
    return r.error() == mikey::errc::truncated && hex == "011A" ? 0 : 1;
}

// The README's usage example: errors are values, offsets say where.
#include <mikey/mikey.hpp>

#include <array>
#include <cstdint>
#include <cstdio>

int main() {
    // A Common Header starts with version (1 byte) and data type (1 byte);
    // here the buffer ends after the version.
    const std::array<std::uint8_t, 1> wire{0x01};
    mikey::byte_reader in(wire);
    const unsigned version = in.u8();
    const unsigned data_type = in.u8();
    if (const mikey::result<void> r = in.finish(); !r) {
        const std::string_view why = mikey::to_string(r.error());
        std::printf("rejected: %.*s at byte %zu\n", int(why.size()), why.data(), r.error_offset());
        return r.error() == mikey::errc::truncated && r.error_offset() == 1 ? 0 : 1;
    }
    std::printf("version %u, data type %u\n", version, data_type);
    return 1;
}

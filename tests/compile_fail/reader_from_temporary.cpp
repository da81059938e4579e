// A byte_reader cannot be built over a temporary buffer: it keeps a view of
// its input, and a std::vector returned by value is destroyed at the end of
// the statement. The deleted constructor for owning rvalue ranges rejects it
// (with or without clang's lifetimebound warning).
// expect-error: (deleted|use of deleted function)
#include <mikey/core/reader.hpp>

#include <cstdint>
#include <vector>

// A 16-bit length and a byte, as read from the wire.
static std::vector<std::uint8_t> receive() { return {0, 1, 0x2A}; }

int main() {
#if MIKEY_COMPILE_FAIL
    mikey::byte_reader r(receive());
#else
    const std::vector<std::uint8_t> buffer = receive();
    mikey::byte_reader r(buffer);
#endif
    const auto length = r.u16();
    const auto value = r.u8();
    return r.finish() && length == 1 && value == 0x2A ? 0 : 1;
}

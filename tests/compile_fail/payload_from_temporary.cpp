// A payload view cannot be parsed out of a temporary buffer (here a
// std::array returned by value): the deleted overload for owning rvalue
// ranges rejects it, with or without clang's lifetimebound warning.
// expect-error: (deleted|use of deleted function)
#include <mikey/mikey.hpp>

#include <array>
#include <cstdint>

// An ERR payload: Next Payload 0, Error no 2 (Invalid TS), 2 reserved bytes.
static std::array<std::uint8_t, 4> receive() { return {0, 2, 0, 0}; }

int main() {
#if MIKEY_COMPILE_FAIL
    const auto err = mikey::err_view::parse(receive());
#else
    const std::array<std::uint8_t, 4> buffer = receive();
    const auto err = mikey::err_view::parse(buffer);
#endif
    return err && err->size() == 4 ? 0 : 1;
}

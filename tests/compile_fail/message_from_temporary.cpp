// A message_view cannot be parsed out of a temporary buffer: the view would
// point into memory freed at the end of the full expression.
// expect-error: (deleted|use of deleted function)
#include <mikey/mikey.hpp>

#include <cstdint>
#include <vector>

// A Common Header alone (version 1, PSK init, CSB ID 0x01020304, SRTP-ID map).
static std::vector<std::uint8_t> receive() { return {1, 0, 0, 0, 1, 2, 3, 4, 0, 0}; }

int main() {
#if MIKEY_COMPILE_FAIL
    const auto msg = mikey::message_view::parse(receive());
#else
    const std::vector<std::uint8_t> buffer = receive();
    const auto msg = mikey::message_view::parse(buffer);
#endif
    return msg && msg->payload_count() == 0 ? 0 : 1;
}

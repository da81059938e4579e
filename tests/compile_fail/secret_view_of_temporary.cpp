// A view of a secret that dies at the end of the statement: clang's
// [[clang::lifetimebound]] on secret_bytes::view() turns this into a
// -Wdangling warning, an error under -Werror. (gcc has no such analysis.)
// compiler: clang++
// expect-error: (-Wdangling|will be destroyed at the end of the full-expression)
#include <mikey/core/secret.hpp>

#include <array>
#include <cstdint>

int main() {
    const std::array<std::uint8_t, 16> key{};
#if MIKEY_COMPILE_FAIL
    const mikey::bytes_view view = mikey::secret_bytes::from(key).view();
#else
    const mikey::secret_bytes secret = mikey::secret_bytes::from(key);
    const mikey::bytes_view view = secret.view();
#endif
    return view.size() == 16 ? 0 : 1;
}

// A result<T> cannot be dropped on the floor: the type is [[nodiscard]], and
// the suite compiles with -Werror.
// expect-error: (nodiscard|unused-result|unused result)
#include <mikey/mikey.hpp>

static mikey::result<void> check(bool good) {
    if (!good) {
        return mikey::errc::truncated;
    }
    return {};
}

int main() {
#if MIKEY_COMPILE_FAIL
    check(false);
    return 0;
#else
    return check(true) ? 0 : 1;
#endif
}

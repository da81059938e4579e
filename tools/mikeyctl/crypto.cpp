// mikeyctl prf / derive: implemented with the crypto layer (in progress).
#include <cstdio>

#include "commands.hpp"

int mikeyctl::cmd_prf(args) {
    std::fputs("mikeyctl prf: not built yet\n", stderr);
    return 1;
}

int mikeyctl::cmd_derive(args) {
    std::fputs("mikeyctl derive: not built yet\n", stderr);
    return 1;
}

// mikeyctl encode: implemented with the payload layer (in progress).
#include <cstdio>

#include "commands.hpp"

int mikeyctl::cmd_encode(args) {
    std::fputs("mikeyctl encode: not built yet\n", stderr);
    return 1;
}

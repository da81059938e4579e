// mikeyctl decode: implemented with the payload layer (in progress).
#include <cstdio>

#include "commands.hpp"

int mikeyctl::cmd_decode(args) {
    std::fputs("mikeyctl decode: not built yet\n", stderr);
    return 1;
}

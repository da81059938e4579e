// mikeyctl: inspect, encode and derive MIKEY / MIKEY-TICKET messages; run
// and play MIKEY-TICKET flows.
#include <cstdio>
#include <string_view>
#include <vector>

#include "commands.hpp"

namespace {

struct command {
    std::string_view name;
    int (*run)(mikeyctl::args);
    std::string_view usage;
};

constexpr command commands[] = {
    {"decode", mikeyctl::cmd_decode, "decode [--hex|--base64|--sdp] [FILE]   print a message as JSON"},
    {"encode", mikeyctl::cmd_encode, "encode [FILE]                          JSON (as printed by decode) to hex"},
    {"prf", mikeyctl::cmd_prf, "prf --func 0|1 --inkey HEX --label HEX --bits N"},
    {"derive", mikeyctl::cmd_derive, "derive <name> ...                      run one RFC 3830 / RFC 6043 derivation"},
    {"run", mikeyctl::cmd_run, "run SCENARIO.json                      a whole MIKEY-TICKET flow, messages and keys as JSON"},
    {"play", mikeyctl::cmd_play, "play kms|initiator|responder CONFIG    one role, hex lines on stdin / stdout"},
};

int usage() {
    std::fputs("usage: mikeyctl <command> [args]\n", stderr);
    for (const auto& c : commands) {
        std::fprintf(stderr, "  mikeyctl %.*s\n", static_cast<int>(c.usage.size()), c.usage.data());
    }
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        return usage();
    }
    const std::string_view name = argv[1];
    std::vector<std::string_view> rest(argv + 2, argv + argc);
    for (const auto& c : commands) {
        if (c.name == name) {
            return c.run(rest);
        }
    }
    return usage();
}

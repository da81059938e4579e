// mikeyctl: one function per subcommand. Each returns the process exit code:
// 0 success, 1 usage error, 2 malformed input (errc name and byte offset on
// stderr, nothing on stdout).
#pragma once

#include <span>
#include <string_view>

namespace mikeyctl {

using args = std::span<const std::string_view>;

int cmd_decode(args a);  // decode.cpp
int cmd_encode(args a);  // encode.cpp
int cmd_prf(args a);     // crypto.cpp
int cmd_derive(args a);  // crypto.cpp
int cmd_run(args a);     // run.cpp
int cmd_play(args a);    // play.cpp

}  // namespace mikeyctl

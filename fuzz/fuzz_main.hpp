// mikey-ticket fuzzing: the driver every fuzz target shares.
//
// A target is one .cpp file that includes this header once and says
//
//     static void fuzz_one(mikey::bytes_view in) { ... }
//     MIKEY_FUZZ_TARGET(fuzz_one)
//
// which defines LLVMFuzzerTestOneInput: inputs above max_input bytes are
// ignored (MIKEY messages are small; longer inputs only slow the fuzzer
// down), the rest go to fuzz_one. Inside fuzz_one, MIKEY_FUZZ_CHECK(cond)
// states an invariant; a violation prints where and aborts, which libFuzzer
// and the sanitizers report as a crash with a stack.
//
// Built with -DMIKEY_FUZZ_REPLAY (any compiler, no libFuzzer) the same file
// also gets a main(argc, argv) that feeds every file named on the command
// line, and every regular file below every directory named there, to
// LLVMFuzzerTestOneInput in sorted order. Arguments starting with '-' are
// ignored (libFuzzer options). It fails when a path does not exist or when
// no input was found at all, so a mistyped corpus path cannot pass. Meson
// registers `replay_<target> fuzz/corpus/<target>` as the ordinary test
// fuzz_<target>_replay in every build (see fuzz/meson.build).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <mikey/core/bytes.hpp>

namespace mikey_fuzz {

/// Inputs longer than this are skipped (64 KiB: the largest length field of
/// a MIKEY payload is 16 bits, so nothing interesting needs more).
inline constexpr std::size_t max_input = 64 * 1024;

/// Reports a broken invariant and aborts (a crash for libFuzzer, a failed
/// test for the replay main).
[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) noexcept {
    std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, what);
    std::fflush(stderr);
    std::abort();
}

}  // namespace mikey_fuzz

/// Checks an invariant in every build (unlike assert, NDEBUG does not remove it).
#define MIKEY_FUZZ_CHECK(cond) \
    ((cond) ? static_cast<void>(0) : ::mikey_fuzz::invariant_failed(#cond, __FILE__, __LINE__))

/// Defines LLVMFuzzerTestOneInput over `fn(mikey::bytes_view)`, with the size cap.
#define MIKEY_FUZZ_TARGET(fn)                                                        \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size); \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
        if (size > ::mikey_fuzz::max_input) {                                        \
            return 0;                                                                \
        }                                                                            \
        fn(mikey::bytes_view(data, size));                                           \
        return 0;                                                                    \
    }

#ifdef MIKEY_FUZZ_REPLAY

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace mikey_fuzz {

/// The whole file, or false when it cannot be read.
inline bool read_file(const std::filesystem::path& p, std::vector<std::uint8_t>& out) {
    std::ifstream f(p, std::ios::binary);
    if (!f) {
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return !f.bad();
}

/// Adds `p` (a file) or the regular files below it (a directory) to `files`.
inline bool collect(const std::filesystem::path& p, std::vector<std::filesystem::path>& files) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) {
        files.push_back(p);
        return true;
    }
    if (!std::filesystem::is_directory(p, ec)) {
        std::fprintf(stderr, "replay: %s: no such file or directory\n", p.string().c_str());
        return false;
    }
    std::filesystem::recursive_directory_iterator it(p, ec);
    if (ec) {
        std::fprintf(stderr, "replay: %s: %s\n", p.string().c_str(), ec.message().c_str());
        return false;
    }
    for (const std::filesystem::recursive_directory_iterator end; it != end; it.increment(ec)) {
        if (ec) {
            std::fprintf(stderr, "replay: %s: %s\n", p.string().c_str(), ec.message().c_str());
            return false;
        }
        if (it->is_regular_file(ec) && it->path().filename().string().rfind('.', 0) != 0) {
            files.push_back(it->path());
        }
    }
    return true;
}

}  // namespace mikey_fuzz

int main(int argc, char** argv) {
    std::vector<std::filesystem::path> files;
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        if (argv[i][0] == '-') {
            continue;
        }
        ok = mikey_fuzz::collect(argv[i], files) && ok;
    }
    if (!ok) {
        return 2;
    }
    if (files.empty()) {
        std::fprintf(stderr, "replay: no inputs (usage: %s FILE|DIR...)\n", argc > 0 ? argv[0] : "replay");
        return 2;
    }
    std::sort(files.begin(), files.end());
    std::vector<std::uint8_t> buf;
    for (const auto& f : files) {
        if (!mikey_fuzz::read_file(f, buf)) {
            std::fprintf(stderr, "replay: cannot read %s\n", f.string().c_str());
            return 2;
        }
        // Printed before the run, so the input of a crash is the last line.
        std::fprintf(stderr, "replay: %s (%zu bytes)\n", f.string().c_str(), buf.size());
        // A fresh heap copy of exactly the file's size, so ASan sees reads past the input.
        std::vector<std::uint8_t> exact(buf.begin(), buf.end());
        (void)LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
    }
    std::printf("replay: %zu inputs, no failure\n", files.size());
    return 0;
}

#endif  // MIKEY_FUZZ_REPLAY

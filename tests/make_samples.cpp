// make_samples: writes every sample message of tests/samples.hpp as
//   <ROOT>/examples/data/<name>.hex          one line of lowercase hex
//   <ROOT>/fuzz/corpus/messages/<name>.bin   the raw bytes (fuzz seed corpus)
// ROOT is the first argument (default: the current directory). The committed
// files are checked against a fresh run by tests/mikeyctl_test.py.
#include <cstdio>
#include <filesystem>
#include <string>

#include "samples.hpp"
#include "../tools/common/hex.hpp"

namespace {

bool write_file(const std::filesystem::path& p, const void* data, std::size_t size) {
    std::FILE* f = std::fopen(p.string().c_str(), "wb");
    if (f == nullptr) {
        std::fprintf(stderr, "make_samples: cannot write %s\n", p.string().c_str());
        return false;
    }
    const bool ok = std::fwrite(data, 1, size, f) == size;
    return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
    const std::filesystem::path root = argc > 1 ? argv[1] : ".";
    const auto hex_dir = root / "examples" / "data";
    const auto bin_dir = root / "fuzz" / "corpus" / "messages";
    std::error_code ec;
    std::filesystem::create_directories(hex_dir, ec);
    std::filesystem::create_directories(bin_dir, ec);
    if (ec) {
        std::fprintf(stderr, "make_samples: %s\n", ec.message().c_str());
        return 1;
    }
    for (const auto& s : samples::all()) {
        if (s.wire.empty()) {
            std::fprintf(stderr, "make_samples: sample %s failed to build\n", s.name.c_str());
            return 1;
        }
        const std::string hex = tools::to_hex(s.wire) + '\n';
        if (!write_file(hex_dir / (s.name + ".hex"), hex.data(), hex.size()) ||
            !write_file(bin_dir / (s.name + ".bin"), s.wire.data(), s.wire.size())) {
            return 1;
        }
    }
    return 0;
}

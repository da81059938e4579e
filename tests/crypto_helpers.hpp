// Shared helpers of the tests/crypto_*.cpp files: hex, a backend, the
// vector file.
#pragma once

// The suite also builds with -fno-exceptions (tools/ci.sh noexcept step);
// doctest then needs this to keep REQUIRE usable.
#if !(defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)) && \
    !defined(DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS)
#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#endif
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <mikey/crypto/botan_backend.hpp>

#include "../tools/common/hex.hpp"

namespace crypto_test {

using bytes = std::vector<std::uint8_t>;

/// Hex as the vector files and RFCs write it: every character that is not a
/// hex digit (spaces, line breaks, "-" for empty) is skipped, and an odd last
/// digit is dropped.
inline bytes unhex(std::string_view s) {
    std::string digits;
    for (const char c : s) {
        if (tools::hex_digit(c) >= 0) {
            digits += c;
        }
    }
    digits.resize(digits.size() / 2 * 2);
    return tools::from_hex(digits, false).value_or(bytes{});
}

inline std::string hex(mikey::bytes_view b) { return tools::to_hex(b); }

inline bytes ascii(std::string_view s) { return bytes(s.begin(), s.end()); }

inline mikey::crypto::botan_backend& backend() {
    static auto b = mikey::crypto::botan_backend::create();
    REQUIRE(b.has_value());
    return *b;
}

/// One record of tests/data/crypto_vectors.vec: kind and name=value fields.
struct record {
    std::string kind;
    std::map<std::string, std::string> f;
    bytes h(const std::string& k) const { return unhex(f.at(k)); }
    unsigned long long n(const std::string& k) const { return std::stoull(f.at(k)); }
    std::string s(const std::string& k) const { return f.at(k); }
};

/// Finds tests/data/<name> from the working directory (meson runs tests in
/// the build directory) or from the source file's directory.
inline std::string data_path(const std::string& name) {
    if (const char* env = std::getenv("MIKEY_TEST_DATA")) return std::string(env) + "/" + name;
    const std::string here = __FILE__;
    const std::string dir = here.substr(0, here.find_last_of('/') + 1);
    for (const std::string& c : {dir + "data/" + name, std::string("tests/data/") + name,
                                std::string("../tests/data/") + name, std::string("../../tests/data/") + name}) {
        if (std::ifstream(c).good()) return c;
    }
    return dir + "data/" + name;
}

inline std::vector<record> load_vectors(const std::string& name) {
    std::ifstream in(data_path(name));
    REQUIRE_MESSAGE(in.good(), "cannot open " << data_path(name));
    std::vector<record> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        record r;
        ls >> r.kind;
        std::string kv;
        while (ls >> kv) {
            const auto eq = kv.find('=');
            r.f[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace crypto_test

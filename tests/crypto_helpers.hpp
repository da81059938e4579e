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

namespace crypto_test {

using bytes = std::vector<std::uint8_t>;

inline bytes unhex(std::string_view s) {
    bytes out;
    if (s == "-") return out;
    auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    int hi = -1;
    for (const char c : s) {
        const int v = nib(c);
        if (v < 0) continue;  // spaces in RFC-style hex
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(hi << 4 | v));
            hi = -1;
        }
    }
    return out;
}

inline std::string hex(mikey::bytes_view b) {
    static constexpr char d[] = "0123456789abcdef";
    std::string s;
    for (auto v : b) {
        s.push_back(d[v >> 4]);
        s.push_back(d[v & 15]);
    }
    return s;
}

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

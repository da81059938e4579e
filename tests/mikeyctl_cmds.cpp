// mikeyctl decode / encode in process: the checks that need thousands of
// inputs (every truncated prefix of every sample, a mutation campaign) call
// cmd_decode / cmd_encode directly with stdout and stderr captured, instead
// of starting a process per input (tests/mikeyctl_test.py covers the
// process-level contract).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "../tools/common/hex.hpp"
#include "../tools/mikeyctl/commands.hpp"
#include "samples.hpp"

namespace {

struct captured {
    int rc = -1;
    std::string out;
    std::string err;
};

/// Everything written to `f` since the last call, which empties it.
std::string drain(std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        s.append(buf, n);
    }
    std::rewind(f);
    REQUIRE(::ftruncate(::fileno(f), 0) == 0);
    return s;
}

/// Where the harness keeps its files: tmpfs when there is one, since ext4
/// starts writeback on every close of a file truncated and rewritten
/// (auto_da_alloc), which makes thousands of runs slow on a busy disk.
std::filesystem::path scratch(const char* suffix) {
    std::error_code ec;
    const std::filesystem::path dir =
        std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : std::filesystem::temp_directory_path();
    return dir / ("mikeyctl_cmds_" + std::to_string(::getpid()) + suffix);
}

/// Runs a command on an input file with stdout and stderr redirected to
/// files, and returns what it printed. The files are made once and reused:
/// one run costs a few system calls.
class harness {
public:
    harness()
        : m_path(scratch(".in")),
          m_out_path(scratch(".out")),
          m_err_path(scratch(".err")),
          m_out(std::fopen(m_out_path.c_str(), "w+b")),
          m_err(std::fopen(m_err_path.c_str(), "w+b")) {
        REQUIRE(m_out != nullptr);
        REQUIRE(m_err != nullptr);
    }
    ~harness() {
        std::fclose(m_out);
        std::fclose(m_err);
        std::error_code ec;
        for (const auto& p : {m_path, m_out_path, m_err_path}) {
            std::filesystem::remove(p, ec);
        }
    }
    harness(const harness&) = delete;
    harness& operator=(const harness&) = delete;

    captured run(int (*cmd)(mikeyctl::args), std::string_view input) {
        std::FILE* in = std::fopen(m_path.c_str(), "wb");
        REQUIRE(in != nullptr);
        std::fwrite(input.data(), 1, input.size(), in);
        std::fclose(in);
        std::fflush(stdout);
        std::fflush(stderr);
        const int saved_out = ::dup(1);
        const int saved_err = ::dup(2);
        ::dup2(::fileno(m_out), 1);
        ::dup2(::fileno(m_err), 2);
        const std::string path = m_path.string();
        const std::string_view arg = path;
        captured c;
        c.rc = cmd(mikeyctl::args(&arg, 1));
        std::fflush(stdout);
        std::fflush(stderr);
        ::dup2(saved_out, 1);
        ::dup2(saved_err, 2);
        ::close(saved_out);
        ::close(saved_err);
        c.out = drain(m_out);
        c.err = drain(m_err);
        return c;
    }

private:
    std::filesystem::path m_path;
    std::filesystem::path m_out_path;
    std::filesystem::path m_err_path;
    std::FILE* m_out;
    std::FILE* m_err;
};

using tools::to_hex;

/// decode, then encode what it printed: the round trip must give `wire` back.
void check_round_trip(harness& h, const std::vector<std::uint8_t>& wire, const std::string& what) {
    const auto d = h.run(mikeyctl::cmd_decode, to_hex(wire));
    INFO(what, " ", to_hex(wire), " ", d.err);
    REQUIRE(d.rc == 0);
    CHECK(d.err.empty());
    const auto e = h.run(mikeyctl::cmd_encode, d.out);
    INFO(e.err);
    CHECK(e.rc == 0);
    CHECK(e.out == to_hex(wire) + "\n");
}

struct xorshift {
    std::uint64_t s;
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

}  // namespace

TEST_CASE("mikeyctl: every sample round-trips through decode and encode") {
    harness h;
    for (const auto& s : samples::all()) {
        REQUIRE_FALSE(s.wire.empty());
        check_round_trip(h, s.wire, s.name);
    }
}

TEST_CASE("mikeyctl decode: every truncated prefix of every sample is exit 2, truncated, no output") {
    harness h;
    std::size_t count = 0;
    for (const auto& s : samples::all()) {
        for (std::size_t n = 0; n < s.wire.size(); ++n) {
            const std::vector<std::uint8_t> prefix(s.wire.begin(), s.wire.begin() + static_cast<std::ptrdiff_t>(n));
            const auto d = h.run(mikeyctl::cmd_decode, to_hex(prefix));
            INFO(s.name, " prefix of ", n, " bytes: ", d.err);
            CHECK(d.rc == 2);
            CHECK(d.out.empty());
            REQUIRE(d.err.starts_with("error: truncated at byte "));
            // The offset is in the message bytes: never past the end of the input.
            CHECK(std::stoul(d.err.substr(25)) <= n);
            ++count;
        }
    }
    CHECK(count > 4000);
}

TEST_CASE("mikeyctl: any message decode accepts round-trips (mutated samples)") {
    harness h;
    xorshift rng{0x6043'3830'4567'0001ULL};
    const auto all = samples::all();
    std::size_t accepted = 0;
    std::size_t rejected = 0;
    constexpr std::uint8_t interesting[] = {0, 1, 2, 3, 0x14, 0x7F, 0x80, 0xF0, 0xF5, 0xFF};
    for (int i = 0; i < 3000; ++i) {
        auto m = all[rng.below(all.size())].wire;
        const auto pos = rng.below(m.size());
        const auto value = rng.below(2) ? interesting[rng.below(sizeof interesting)] : rng.below(256);
        switch (rng.below(6)) {
            case 0: m.erase(m.begin() + static_cast<std::ptrdiff_t>(pos)); break;
            case 1: m.insert(m.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<std::uint8_t>(value)); break;
            case 2:  // a 16-bit length-like field
                m[pos] = static_cast<std::uint8_t>(rng.below(2) ? 0 : 0xFF);
                if (pos + 1 < m.size()) {
                    m[pos + 1] = static_cast<std::uint8_t>(value);
                }
                break;
            default:  // one or two bytes replaced
                m[pos] = static_cast<std::uint8_t>(value);
                if (rng.below(3) == 0) {
                    m[rng.below(m.size())] = static_cast<std::uint8_t>(rng.below(256));
                }
                break;
        }
        const auto d = h.run(mikeyctl::cmd_decode, to_hex(m));
        INFO(to_hex(m), " ", d.err);
        REQUIRE((d.rc == 0 || d.rc == 2));
        if (d.rc == 2) {
            CHECK(d.out.empty());
            CHECK(d.err.starts_with("error: "));
            CHECK(d.err.find(" at byte ") != std::string::npos);
            ++rejected;
            continue;
        }
        const auto e = h.run(mikeyctl::cmd_encode, d.out);
        INFO(e.err);
        CHECK(e.rc == 0);
        CHECK(e.out == to_hex(m) + "\n");
        ++accepted;
    }
    MESSAGE(accepted, " mutants decoded and round-tripped, ", rejected, " rejected");
    CHECK(accepted > 500);
    CHECK(rejected > 500);
}

// seed_corpus: writes the seed corpora of the fuzz targets from the sample
// messages of tests/samples.hpp.
//
//     seed_corpus CORPUS_DIR [--messages DIR]
//
// writes CORPUS_DIR/payloads/ (one input per fuzz_payloads selector: the
// selector byte, then a valid payload or structure taken from the samples)
// and CORPUS_DIR/encode/ (a few fixed byte patterns; fuzz_encode reads its
// input as builder choices, so any bytes are valid seeds). With --messages it
// also writes every sample message to DIR/<name>.bin. fuzz/corpus/messages/*.bin
// are written by tests/make_samples, not by this program. It also writes
// CORPUS_DIR/{kms,initiator,responder}/seed-* for the role-machine targets
// (roles_fuzz.hpp's seed_inputs: every mode with and without forking,
// reuse, F = 0, tampered / truncated / replayed / raw deliveries, clock
// jumps, each policy decision of the target) and CORPUS_DIR/focus/seed-*
// for fuzz_focus (focus_fuzz.hpp's seed_inputs: flows 2-5 in both key
// models, call-out by management, management changes, forged and replayed
// deliveries, held exchanges, SSRC collisions, the clock, REFER negatives).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "focus_fuzz.hpp"
#include "roles_fuzz.hpp"
#include "samples.hpp"

namespace {

using samples::bytes;

bool write(const std::filesystem::path& p, const bytes& b) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return static_cast<bool>(f);
}

bytes with_selector(unsigned selector, mikey::bytes_view b) {
    bytes out{static_cast<std::uint8_t>(selector)};
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace mikey;
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR [--messages DIR]\n", argv[0]);
        return 2;
    }
    const std::filesystem::path root = argv[1];
    std::filesystem::path messages_dir;
    if (argc == 4 && std::string(argv[2]) == "--messages") {
        messages_dir = argv[3];
    }
    const auto all = samples::all();
    // Selector -> (name, input); the first sample that has it wins.
    std::map<unsigned, std::pair<std::string, bytes>> payloads;
    auto add = [&](unsigned selector, const std::string& name, bytes_view b) {
        payloads.try_emplace(selector, name, with_selector(selector, b));
    };
    bool ok = true;
    for (const auto& s : all) {
        if (s.wire.empty()) {
            std::fprintf(stderr, "sample %s did not build\n", s.name.c_str());
            ok = false;
            continue;
        }
        if (!messages_dir.empty()) {
            std::filesystem::create_directories(messages_dir);
            ok = write(messages_dir / (s.name + ".bin"), s.wire) && ok;
        }
        const auto m = message_view::parse(s.wire);
        if (!m) {
            std::fprintf(stderr, "sample %s does not parse: %s\n", s.name.c_str(), std::string(to_string(m.error())).c_str());
            ok = false;
            continue;
        }
        // One header per CS ID map type (selector 0 is shared: keep them under extra names).
        const auto map = std::string(name_of(m->header().map_type()));
        payloads.try_emplace(0x100 | static_cast<unsigned>(m->header().map_type()), "hdr-" + map,
                             with_selector(0, m->header().bytes()));
        for (const auto& e : m->payloads()) {
            const auto t = static_cast<unsigned>(e.type);
            add(t, std::string(name_of(e.type)) + "-" + s.name, e.bytes);
            if (e.type == payload_type::tp) {
                for (const auto& inner : e.as<tp_view>().tp_payloads()) {
                    add(static_cast<unsigned>(inner.type), std::string(name_of(inner.type)) + "-tp-data", inner.bytes);
                }
            }
            if (e.type == payload_type::ticket) {
                const auto ticket = e.as<ticket_view>();
                if (const auto bt = ticket.base_ticket()) {
                    add(18, "thdr", bt->thdr().bytes());
                    add(19, "base-ticket", bt->bytes());
                }
            }
            if (e.type == payload_type::kemac) {
                const auto k = e.as<kemac_view>();
                if (k.encryption() == encr_alg::null && !k.encrypted_data().empty()) {
                    if (const auto l = key_data_list::parse(k.encrypted_data())) {
                        add(22, "key-data-list", k.encrypted_data());
                        for (const auto& kd : *l) {
                            add(20, "key-data", kd.bytes());
                        }
                    }
                }
            }
            if (e.type == payload_type::general_extension) {
                const auto x = e.as<general_extension_view>();
                if (x.kind() == extension_type::key_id) {
                    add(24, "key-id-list", x.data());
                }
            }
        }
    }
    // Key data list of the PK method: IDi first, then Key data.
    {
        const id_builder idi{{}, id_type::uri, samples::text("sip:alice@example.org")};
        const key_data_builder k{key_data_type::tek_salt, samples::tgk, samples::salt, {kv_type::null, {}, {}, {}}};
        bytes plain(exact_size(idi) + exact_size(k));
        byte_writer w(plain);
        chain_writer c(w, std::nullopt);
        c.add(idi).add(k);
        if (!w.failed() && key_data_list::parse(plain, true)) {
            add(23, "key-data-list-pk", plain);
        } else {
            std::fprintf(stderr, "PK key data list did not build\n");
            ok = false;
        }
    }
    std::filesystem::create_directories(root / "payloads");
    for (const auto& [key, entry] : payloads) {
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "%02u-", static_cast<unsigned>(entry.second[0]));
        ok = write(root / "payloads" / (prefix + entry.first), entry.second) && ok;
    }
    // fuzz_encode: fixed patterns (a counter, all zeros, all 0xFF, a xorshift stream).
    std::filesystem::create_directories(root / "encode");
    bytes counter(512), zeros(256, 0), ones(256, 0xFF), noise(1024);
    for (std::size_t i = 0; i < counter.size(); ++i) {
        counter[i] = static_cast<std::uint8_t>(i);
    }
    std::uint32_t x = 0x12345678u;
    for (auto& b : noise) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b = static_cast<std::uint8_t>(x);
    }
    ok = write(root / "encode" / "seed-counter", counter) && ok;
    ok = write(root / "encode" / "seed-zeros", zeros) && ok;
    ok = write(root / "encode" / "seed-ones", ones) && ok;
    ok = write(root / "encode" / "seed-noise", noise) && ok;
    // The role-machine targets: inputs read as choices (roles_fuzz.hpp).
    std::size_t role_seeds = 0;
    using mikey_fuzz::roles_fuzz::role;
    for (const auto& [target, dir] : {std::pair{role::kms, "kms"}, std::pair{role::initiator, "initiator"},
                                      std::pair{role::responder, "responder"}}) {
        std::filesystem::create_directories(root / dir);
        for (const auto& [name, input] : mikey_fuzz::roles_fuzz::seed_inputs(target)) {
            ok = write(root / dir / name, input) && ok;
            ++role_seeds;
        }
    }
    // The conference focus: programs of operations (focus_fuzz.hpp).
    std::filesystem::create_directories(root / "focus");
    std::size_t focus_seeds = 0;
    for (const auto& [name, input] : mikey_fuzz::focus_fuzz::seed_inputs()) {
        ok = write(root / "focus" / name, input) && ok;
        ++focus_seeds;
    }
    std::printf("seed_corpus: %zu payload seeds, 4 encode seeds, %zu role seeds, %zu focus seeds%s\n", payloads.size(),
                role_seeds, focus_seeds, messages_dir.empty() ? "" : ", sample messages");
    return ok ? 0 : 1;
}

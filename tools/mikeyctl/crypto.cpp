// mikeyctl prf / derive: run the MIKEY PRFs and every RFC 3830 / RFC 6043
// key derivation on hex input, so the library can be checked against any
// other implementation. Key material is printed on purpose here (this is
// the tool's job): through reveal_hex, the library's explicit way out.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <mikey/core/secret.hpp>
#include <mikey/crypto/botan_backend.hpp>
#include <mikey/crypto/derive.hpp>

#include "../common/json.hpp"
#include "commands.hpp"

namespace {

using namespace mikey;
using namespace mikey::crypto;
using tools::json;

constexpr char prf_usage[] =
    "usage: mikeyctl prf --func 0|1 --inkey HEX --label HEX --bits N [--json]\n"
    "\n"
    "PRF(inkey, label) with outkey_len N bits: func 0 = MIKEY-1 (RFC 3830 §4.1.2,\n"
    "HMAC-SHA-1), 1 = PRF-HMAC-SHA-256 (RFC 6043 §6.1). Prints the output key as\n"
    "lowercase hex (N not a multiple of 8: the last byte keeps its N mod 8 leading\n"
    "bits, the rest are zero).\n"
    "\n"
    "Exit codes: 0 ok; 1 usage error; 2 rejected input ('error: <errc name>' on\n"
    "standard error, nothing on standard output).\n";

constexpr char derive_usage[] =
    "usage: mikeyctl derive <name> --prf 0|1 --inkey HEX [options] [--json]\n"
    "\n"
    "  tgk-key  RFC 3830 §4.1.3  --key tek|auth|encr|salt --cs N --csb N --rand HEX --bits N\n"
    "  msg-key  RFC 3830 §4.1.4  [--key encr|auth|salt] --csb N --rand HEX [--bits N]\n"
    "  d1       RFC 6043 §5.1.2 initial   [--key encr|auth|salt] --csb N [--randri HEX] [--randrr HEX] [--bits N]\n"
    "  d2       RFC 6043 §5.1.2 response  (same options as d1)\n"
    "  d3       RFC 6043 §5.1.1 forking   --key mpkr|tgk --id HEX --randrkms HEX   (outkey_len = inkey_len)\n"
    "  d4       RFC 6043 §5.1.3           --key tek|auth|encr|salt --cs N [--randri HEX] [--randrr HEX]\n"
    "                                     --h 0|1 --g 0|1 --bits N\n"
    "  d5       RFC 6043 §6.10 Vr key     [--key auth|encr|salt] [--bits N]\n"
    "  d6       RFC 6043 App. A.2.1       [--key encr|auth|salt] --rand HEX [--bits N]\n"
    "  d7       RFC 6043 App. A.2.2       --key mpki|mpkr --rand HEX   (outkey_len = inkey_len)\n"
    "\n"
    "--inkey is the PSK / envelope key / MPKi / MPKr' (msg-key, d1, d2), TGK (tgk-key,\n"
    "d4: TGK, TGK' or GTGK), MPKr or TGK (d3), MPKr (d5), TPK (d6), MPK (d7).\n"
    "--csb accepts decimal or 0x-prefixed hex. --id is the IDRr ID Data in hex.\n"
    "Without --key, msg-key / d1 / d2 / d5 / d6 print all three of encr, auth, salt\n"
    "with the sizes of the PRF's algorithm suite (func 0: 128/160/112 bits, func 1:\n"
    "256/256/112 bits) unless --bits is given. Output: one 'name hex' line per key\n"
    "(just the hex when one key); --json prints {derivation, prf, keys}.\n"
    "\n"
    "Exit codes: 0 ok; 1 usage error; 2 rejected input ('error: <errc name>' on\n"
    "standard error, nothing on standard output).\n";

struct options {
    std::map<std::string, std::string, std::less<>> values;
    bool json = false;
    std::string error;

    [[nodiscard]] bool has(std::string_view k) const { return values.find(k) != values.end(); }
    [[nodiscard]] std::string get(std::string_view k) const {
        const auto it = values.find(k);
        return it == values.end() ? std::string{} : it->second;
    }
};

options parse_options(mikeyctl::args a) {
    options o;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string_view s = a[i];
        if (s == "--json") {
            o.json = true;
            continue;
        }
        if (s.size() < 3 || s.substr(0, 2) != "--" || i + 1 >= a.size()) {
            o.error = "unexpected argument '" + std::string(s) + "'";
            return o;
        }
        o.values[std::string(s.substr(2))] = std::string(a[++i]);
    }
    return o;
}

/// A hex argument; "-" is the empty string.
std::optional<std::vector<std::uint8_t>> unhex(std::string_view s) {
    if (s == "-") return std::vector<std::uint8_t>{};
    return tools::from_hex(s, false);
}

std::optional<unsigned long long> number(std::string_view s, unsigned long long max) {
    if (s.empty()) return std::nullopt;
    const std::string t(s);
    char* end = nullptr;
    const int base = (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) ? 16 : 10;
    const unsigned long long v = std::strtoull(t.c_str(), &end, base);
    if (end == nullptr || *end != '\0' || v > max) return std::nullopt;
    return v;
}

int usage_error(const char* usage, const std::string& why) {
    std::fprintf(stderr, "mikeyctl: %s\n\n%s", why.c_str(), usage);
    return 1;
}

int rejected(errc e) {
    std::fprintf(stderr, "error: %.*s\n", static_cast<int>(to_string(e).size()), to_string(e).data());
    return 2;
}

/// Keeps the leading `bits` of `key` (zeroes the rest of the last byte).
void truncate_bits(secret_bytes& key, unsigned long long bits) {
    if (bits % 8 != 0 && key.size() > 0) {
        key.mutable_view()[key.size() - 1] &= static_cast<std::uint8_t>(0xFF << (8 - bits % 8));
    }
}

std::optional<botan_backend> make_backend() {
    auto b = botan_backend::create();
    if (!b) {
        rejected(b.error());
        return std::nullopt;
    }
    return std::move(*b);
}

}  // namespace

int mikeyctl::cmd_prf(args a) {
    const options o = parse_options(a);
    if (!o.error.empty()) return usage_error(prf_usage, o.error);
    for (const char* k : {"func", "inkey", "label", "bits"}) {
        if (!o.has(k)) return usage_error(prf_usage, std::string("missing --") + k);
    }
    const auto func = number(o.get("func"), 127);
    const auto inkey = unhex(o.get("inkey"));
    const auto label = unhex(o.get("label"));
    const auto bits = number(o.get("bits"), 8ull * 65535);
    if (!func || !inkey || !label || !bits || *bits == 0) {
        return usage_error(prf_usage, "bad --func, --inkey, --label or --bits value");
    }
    auto b = make_backend();
    if (!b) return 2;
    secret_bytes out((*bits + 7) / 8);
    if (auto r = prf(*b, static_cast<prf_func>(*func), *inkey, raw_label(*label), out.mutable_view()); !r) {
        return rejected(r.error());
    }
    truncate_bits(out, *bits);
    if (o.json) {
        json j;
        j["prf"] = std::string(name_of(static_cast<prf_func>(*func)));
        j["inkey_bits"] = inkey->size() * 8;
        j["label"] = tools::to_hex(*label);
        j["outkey_bits"] = *bits;
        j["outkey"] = reveal_hex(out);
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%s\n", reveal_hex(out).c_str());
    }
    return 0;
}

namespace {

struct derived {
    std::string name;
    secret_bytes key;
};

std::optional<message_key> msg_key_of(const std::string& s) {
    if (s == "encr") return message_key::encr;
    if (s == "auth") return message_key::auth;
    if (s == "salt") return message_key::salt;
    return std::nullopt;
}
std::optional<tgk_key> tgk_key_of(const std::string& s) {
    if (s == "tek") return tgk_key::tek;
    if (s == "auth") return tgk_key::auth;
    if (s == "encr") return tgk_key::encr;
    if (s == "salt") return tgk_key::salt;
    return std::nullopt;
}

/// Default key size (bytes) of a message-protection key for a PRF's suite.
std::size_t suite_size(prf_func f, message_key k) {
    const bool wide = f == prf_func::prf_hmac_sha_256;
    switch (k) {
        case message_key::encr: return wide ? 32 : 16;
        case message_key::auth: return wide ? 32 : 20;
        case message_key::salt: return 14;
    }
    return 16;
}

const char* name_of_key(message_key k) {
    switch (k) {
        case message_key::encr: return "encr_key";
        case message_key::auth: return "auth_key";
        case message_key::salt: return "salt_key";
    }
    return "key";
}

}  // namespace

int mikeyctl::cmd_derive(args a) {
    if (a.empty()) return usage_error(derive_usage, "missing derivation name");
    const std::string which(a[0]);
    const options o = parse_options(a.subspan(1));
    if (!o.error.empty()) return usage_error(derive_usage, o.error);
    const auto f_raw = number(o.get("prf"), 127);
    const auto inkey = unhex(o.get("inkey"));
    if (!o.has("prf") || !f_raw) return usage_error(derive_usage, "missing or bad --prf");
    if (!o.has("inkey") || !inkey) return usage_error(derive_usage, "missing or bad --inkey");
    const auto f = static_cast<prf_func>(*f_raw);

    // Optional hex / number arguments (absent = empty / nullopt).
    auto hex_arg = [&](const char* k, bool required, std::vector<std::uint8_t>& out) -> bool {
        if (!o.has(k)) return !required;
        const auto v = unhex(o.get(k));
        if (!v) return false;
        out = *v;
        return true;
    };
    std::vector<std::uint8_t> rand, randri, randrr, id, randrkms;
    std::optional<unsigned long long> bits;
    if (o.has("bits")) {
        bits = number(o.get("bits"), 8ull * 65535);
        if (!bits || *bits == 0) return usage_error(derive_usage, "bad --bits");
    }
    const auto csb = number(o.get("csb"), 0xFFFFFFFFull);
    const auto cs = number(o.get("cs"), 0xFF);

    auto b = make_backend();
    if (!b) return 2;
    std::vector<derived> keys;
    errc failed = errc::ok;

    auto out_bytes = [&](std::size_t dflt) { return bits ? static_cast<std::size_t>((*bits + 7) / 8) : dflt; };
    // Runs one derivation, `run(out)`, into a new key: kept, or its error noted.
    auto one_key = [&](std::string name, std::size_t size, auto&& run) {
        derived d{std::move(name), secret_bytes(size)};
        if (auto r = run(d.key.mutable_view()); !r) {
            failed = r.error();
            return false;
        }
        keys.push_back(std::move(d));
        return true;
    };
    // Runs one message-key derivation per requested key (one, or all three).
    auto per_msg_key = [&](auto&& run) {
        std::vector<message_key> ks;
        if (o.has("key")) {
            const auto k = msg_key_of(o.get("key"));
            if (!k) return false;
            ks.push_back(*k);
        } else {
            ks = {message_key::encr, message_key::auth, message_key::salt};
        }
        for (const auto k : ks) {
            if (!one_key(name_of_key(k), out_bytes(suite_size(f, k)), [&](mutable_bytes out) { return run(k, out); })) {
                break;
            }
        }
        return true;
    };

    bool ok = true;
    if (which == "tgk-key") {
        const auto k = tgk_key_of(o.get("key"));
        ok = k && cs && csb && bits && hex_arg("rand", true, rand);
        if (ok) {
            one_key(o.get("key"), out_bytes(16), [&](mutable_bytes out) {
                return derive_tgk_key(*b, f, *inkey, *k, cs_id{static_cast<std::uint8_t>(*cs)},
                                      csb_id{static_cast<std::uint32_t>(*csb)}, rand_value{rand}, out);
            });
        }
    } else if (which == "msg-key") {
        ok = csb && hex_arg("rand", true, rand) && per_msg_key([&](message_key k, mutable_bytes out) {
                 return derive_message_key(*b, f, *inkey, k, csb_id{static_cast<std::uint32_t>(*csb)}, rand_value{rand},
                                           out);
             });
    } else if (which == "d1" || which == "d2") {
        ok = csb && hex_arg("randri", false, randri) && hex_arg("randrr", false, randrr) &&
             per_msg_key([&](message_key k, mutable_bytes out) {
                 const csb_id c{static_cast<std::uint32_t>(*csb)};
                 return which == "d1"
                            ? derive_initial_message_key(*b, f, *inkey, k, c, rand_value{randri}, rand_value{randrr}, out)
                            : derive_response_message_key(*b, f, *inkey, k, c, rand_value{randri}, rand_value{randrr},
                                                          out);
             });
    } else if (which == "d3") {
        const std::string k = o.get("key");
        ok = (k == "mpkr" || k == "tgk") && hex_arg("id", true, id) && hex_arg("randrkms", true, randrkms);
        if (ok) {
            one_key(k == "mpkr" ? "mpkr_prime" : "tgk_prime", inkey->size(), [&](mutable_bytes out) {
                return k == "mpkr" ? derive_forked_mpkr(*b, f, *inkey, identity{id}, rand_value{randrkms}, out)
                                   : derive_forked_tgk(*b, f, *inkey, identity{id}, rand_value{randrkms}, out);
            });
        }
    } else if (which == "d4") {
        const auto k = tgk_key_of(o.get("key"));
        const auto h = number(o.get("h"), 1);
        const auto g = number(o.get("g"), 1);
        ok = k && cs && h && g && bits && hex_arg("randri", false, randri) && hex_arg("randrr", false, randrr);
        if (ok) {
            const d4_rands rs{rand_value{randri}, rand_value{randrr}, *h == 1, *g == 1};
            one_key(o.get("key"), out_bytes(16), [&](mutable_bytes out) {
                return derive_session_key(*b, f, *inkey, *k, cs_id{static_cast<std::uint8_t>(*cs)}, rs, out);
            });
        }
    } else if (which == "d5") {
        ok = per_msg_key([&](message_key k, mutable_bytes out) { return derive_vr_auth_key(*b, f, *inkey, out, k); });
    } else if (which == "d6") {
        ok = hex_arg("rand", true, rand) && per_msg_key([&](message_key k, mutable_bytes out) {
                 return derive_ticket_key(*b, f, *inkey, k, rand_value{rand}, out);
             });
    } else if (which == "d7") {
        const std::string k = o.get("key");
        ok = (k == "mpki" || k == "mpkr") && hex_arg("rand", true, rand);
        if (ok) {
            one_key(k, inkey->size(), [&](mutable_bytes out) {
                return k == "mpki" ? derive_mpki(*b, f, *inkey, rand_value{rand}, out)
                                   : derive_mpkr(*b, f, *inkey, rand_value{rand}, out);
            });
        }
    } else {
        return usage_error(derive_usage, "unknown derivation '" + which + "'");
    }
    if (!ok) return usage_error(derive_usage, "missing or bad options for '" + which + "'");
    if (failed != errc::ok) return rejected(failed);
    if (bits) {
        for (auto& d : keys) truncate_bits(d.key, *bits);
    }

    if (o.json) {
        json j;
        j["derivation"] = which;
        j["prf"] = std::string(name_of(f));
        json ks = json::object();
        for (const auto& d : keys) ks[d.name] = reveal_hex(d.key);
        j["keys"] = ks;
        std::printf("%s\n", j.dump(2).c_str());
    } else if (keys.size() == 1) {
        std::printf("%s\n", reveal_hex(keys[0].key).c_str());
    } else {
        for (const auto& d : keys) std::printf("%s %s\n", d.name.c_str(), reveal_hex(d.key).c_str());
    }
    return 0;
}

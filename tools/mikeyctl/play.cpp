// mikeyctl play: one role of a scenario (scenario.hpp) against another
// implementation, one hex message per line on stdin and stdout, verdicts and
// keys as JSON lines on stderr.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "commands.hpp"
#include "json_schema.hpp"
#include "scenario.hpp"

namespace {

using namespace mikey;
using namespace mikeyctl::flow;
namespace js = mikeyctl::js;

constexpr char usage_text[] =
    "usage: mikeyctl play ROLE CONFIG.json      ROLE: kms | initiator | responder\n"
    "\n"
    "Plays one RFC 6043 role of the scenario in CONFIG.json (the file `mikeyctl run`\n"
    "takes) against another implementation. Reads one hex message per line on\n"
    "standard input (empty lines are skipped) and writes each reply as one line of hex\n"
    "on standard output: an empty line when the role sends nothing. The initiator\n"
    "starts: it writes its first message (REQUEST_INIT_PSK in modes 1 and 2,\n"
    "TRANSFER_INIT in modes 3 and 4) before reading, and its TRANSFER_INIT as the\n"
    "reply to a REQUEST_RESP.\n"
    "\n"
    "Standard error gets one JSON line per input,\n"
    "  {\"received\": NAME, \"ok\": BOOL, \"errc\": NAME, \"events\": [...], \"sent\": NAME}\n"
    "(received null for the initiator's own start or a line that is not hex; sent\n"
    "null when nothing is sent), and {\"keys\": {ROLE: {...}}} once keys are\n"
    "established (in the clear: a debugging tool). Without \"now\" in CONFIG the\n"
    "system clock is read at each message; with \"seed\" the role draws from a\n"
    "deterministic generator seeded with seed + 0 / 1 / 2 (initiator / responder / kms).\n"
    "\n"
    "Exit codes: 0 the role reached its final state (initiator and responder: keys\n"
    "established; kms: answered the Request and / or Resolve its mode asks for);\n"
    "1 usage error, unreadable file, the initiator could not start, or standard input\n"
    "ended first; 2 a bad CONFIG.\n";

int usage_error(const char* what) {
    std::fprintf(stderr, "mikeyctl play: %s\n%s", what, usage_text);
    return js::exit_usage;
}

void line(std::FILE* f, const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), f);
    std::fputc('\n', f);
    std::fflush(f);
}

/// The verdict line on stderr, the reply line on stdout, the keys line.
void report(const step& s, const player& p) {
    json v = json::object();
    v["received"] = s.received ? json(message_name(*s.received)) : json(nullptr);
    v["ok"] = s.ok();
    v["errc"] = std::string(to_string(s.error));
    if (!s.ok()) v["at"] = s.at;
    v["events"] = event_names(s.events);
    v["sent"] = s.sent_type ? json(message_name(*s.sent_type)) : json(nullptr);
    line(stderr, tools::dump(v));
    line(stdout, tools::to_hex(s.sent));
    if (s.keys_established) {
        json k = json::object();
        k[std::string(role_name(p.who()))] = p.keys();
        json l = json::object();
        l["keys"] = std::move(k);
        line(stderr, tools::dump(l));
    }
}

}  // namespace

int mikeyctl::cmd_play(args a) {
    std::optional<std::string_view> role_arg, file;
    for (const auto arg : a) {
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage_text, stdout);
            return js::exit_ok;
        }
        if (arg.starts_with("-") && arg != "-") return usage_error("unknown option");
        if (!role_arg) {
            role_arg = arg;
        } else if (!file) {
            file = arg;
        } else {
            return usage_error("too many arguments");
        }
    }
    if (!file) return usage_error("expected ROLE and CONFIG");
    const auto who = role_from_name(*role_arg);
    if (!who) return usage_error("ROLE is one of kms, initiator, responder");
    if (*file == "-") return usage_error("CONFIG cannot be standard input (it carries the messages)");
    const auto text = js::read_input(*file);
    if (!text) return js::exit_usage;
    const auto sc = parse_scenario(*text);
    if (!sc) return js::exit_malformed;

    auto b = crypto::botan_backend::create();
    if (!b) {
        std::fprintf(stderr, "error: %s: no crypto backend\n", std::string(to_string(b.error())).c_str());
        return js::exit_usage;
    }
    // Each role its own stream: three processes of one seed must not draw the same RANDs.
    const auto seed = sc->seed ? std::optional<std::uint64_t>(*sc->seed + static_cast<std::uint64_t>(*who)) : std::nullopt;
    auto rng = any_rng::create(*b, seed);
    if (!rng) {
        std::fprintf(stderr, "error: %s: no random generator\n", std::string(to_string(rng.error())).c_str());
        return js::exit_usage;
    }
    player p(*who, *sc, *b, *rng);
    if (const auto first = p.start()) {
        report(*first, p);
        if (!first->ok()) return js::exit_usage;  // an Initiator that could not start has nothing to answer
    }
    std::string in;
    while (!p.done() && std::getline(std::cin, in)) {
        std::size_t bad = 0;
        const auto bytes = tools::from_hex(in, true, &bad);
        if (!bytes) {
            step s;
            s.error = errc::invalid_argument;
            s.at = bad == in.size() ? "an odd number of hex digits" : "not hex at offset " + std::to_string(bad);
            report(s, p);
            continue;
        }
        if (bytes->empty()) continue;
        report(p.receive(*bytes), p);
    }
    return p.done() ? js::exit_ok : js::exit_usage;
}

// mikeyctl run: a whole MIKEY-TICKET flow in one process. The three roles
// of a scenario (scenario.hpp) exchange their messages in memory; the
// messages, in the order sent, and every party's keys are printed as JSON.
#include <array>
#include <cstdio>
#include <optional>
#include <string>

#include "commands.hpp"
#include "json_schema.hpp"
#include "scenario.hpp"

namespace {

using namespace mikey;
using namespace mikeyctl::flow;
namespace js = mikeyctl::js;

/// Exit code of a flow a party refused (the same number as a usage error).
constexpr int exit_refused = 1;

constexpr char usage_text[] =
    "usage: mikeyctl run SCENARIO.json\n"
    "\n"
    "Runs the MIKEY-TICKET flow a scenario describes (RFC 6043 mode 1 to 4, with or\n"
    "without key forking) through the library's KMS, Initiator and Responder\n"
    "machines in one process, and prints one JSON object:\n"
    "  {\"scenario\": {...as parsed, defaults filled in},\n"
    "   \"messages\": [{\"name\", \"from\", \"to\", \"hex\"}, ...in the order sent],\n"
    "   \"keys\": {\"initiator\": {...}, \"responder\": {...}}}\n"
    "The keys are printed in the clear: this is a debugging tool. With \"seed\" the\n"
    "run is deterministic (byte-identical output for the same scenario).\n"
    "SCENARIO '-' reads standard input. The fields are listed in notes/mikeyctl.md.\n"
    "\n"
    "Exit codes: 0 every party reached its final state; 1 usage error, unreadable\n"
    "file, or a party refused a message (the JSON so far, with \"error\": {\"at\",\n"
    "\"role\", \"errc\"}); 2 a bad scenario ('error: <errc> at <field>: <why>' on\n"
    "standard error, nothing on standard output).\n";

/// Where a message goes (RFC 6043 §4.1: who sends what to whom).
std::optional<role> destination(data_type t) {
    switch (t) {
        case data_type::request_init_psk:
        case data_type::resolve_init_psk: return role::kms;
        case data_type::request_resp:
        case data_type::transfer_resp: return role::initiator;
        case data_type::transfer_init:
        case data_type::resolve_resp: return role::responder;
        default: return std::nullopt;
    }
}

json message_json(const step& s, role from, role to) {
    json m = json::object();
    m["name"] = message_name(*s.sent_type);
    m["from"] = std::string(role_name(from));
    m["to"] = std::string(role_name(to));
    m["hex"] = tools::to_hex(s.sent);
    return m;
}

json error_json(const std::string& at, role who, errc e) {
    json j = json::object();
    j["at"] = at;
    j["role"] = std::string(role_name(who));
    j["errc"] = std::string(to_string(e));
    return j;
}

int usage_error(const char* what) {
    std::fprintf(stderr, "mikeyctl run: %s\n%s", what, usage_text);
    return js::exit_usage;
}

}  // namespace

int mikeyctl::cmd_run(args a) {
    std::optional<std::string_view> file;
    for (const auto arg : a) {
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage_text, stdout);
            return js::exit_ok;
        }
        if (arg.starts_with("-") && arg != "-") return usage_error("unknown option");
        if (file) return usage_error("more than one SCENARIO");
        file = arg;
    }
    if (!file) return usage_error("no SCENARIO");
    const auto text = js::read_input(*file);
    if (!text) return js::exit_usage;
    auto sc = parse_scenario(*text);
    if (!sc) return js::exit_malformed;
    // One time for the whole run: every message of the flow is sent "now".
    if (!sc->now) sc->now = sc->time();

    auto b = crypto::botan_backend::create();
    if (!b) {
        std::fprintf(stderr, "error: %s: no crypto backend\n", std::string(to_string(b.error())).c_str());
        return js::exit_usage;
    }
    auto rng = any_rng::create(*b, sc->seed);
    if (!rng) {
        std::fprintf(stderr, "error: %s: no random generator\n", std::string(to_string(rng.error())).c_str());
        return js::exit_usage;
    }
    std::array<player, 3> players{player(role::initiator, *sc, *b, *rng), player(role::responder, *sc, *b, *rng),
                                  player(role::kms, *sc, *b, *rng)};
    const auto of = [&](role r) -> player& { return players[static_cast<std::size_t>(r)]; };

    json out = json::object();
    out["scenario"] = sc->echo();
    json messages = json::array();
    std::optional<json> error;

    // The Initiator starts; each message goes to the role RFC 6043 sends it
    // to, whose answer (if any) goes on, until nobody has anything to send.
    step cur = *of(role::initiator).start();
    role from = role::initiator;
    if (!cur.ok()) error = error_json(cur.at, from, cur.error);
    while (!error && !cur.sent.empty()) {
        const auto to = destination(*cur.sent_type);
        if (!to) {  // the machines send nothing else on success
            error = error_json(message_name(*cur.sent_type), from, errc::message_not_for_role);
            break;
        }
        messages.push_back(message_json(cur, from, *to));
        step next = of(*to).receive(cur.sent);
        if (!next.ok()) {
            // An Error message (RFC 6043 §5.4) goes back to the sender.
            if (!next.sent.empty()) messages.push_back(message_json(next, *to, from));
            error = error_json(next.at, *to, next.error);
            break;
        }
        from = *to;
        cur = std::move(next);
    }
    if (!error && !(of(role::initiator).done() && of(role::responder).done())) {
        // Nothing more to send, yet a party waits: not an outcome the machines give.
        error = error_json(messages.empty() ? std::string("-") : messages.back()["name"].get<std::string>(),
                           of(role::initiator).done() ? role::responder : role::initiator, errc::unexpected_in_state);
    }
    out["messages"] = std::move(messages);
    if (error) {
        out["error"] = *error;
    } else {
        json keys = json::object();
        for (auto& p : players) {
            if (auto k = p.keys(); !k.is_null()) keys[std::string(role_name(p.who()))] = std::move(k);
        }
        out["keys"] = std::move(keys);
    }
    const std::string text_out = tools::dump(out, 2);
    std::fwrite(text_out.data(), 1, text_out.size(), stdout);
    std::fputc('\n', stdout);
    return error ? exit_refused : js::exit_ok;
}

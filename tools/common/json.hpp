// JSON for the programs that print what the library's views say: mikeyctl
// (tools/mikeyctl/json_schema.hpp) and the interop harness
// (tests/interop/fields.hpp). Each keeps its own field names (mikeyctl's
// schema; Wireshark's and GStreamer's for interop); what they share is here:
// the JSON type, hex (hex.hpp), and the Ticket Policy flags by letter.
#pragma once

#include <nlohmann/json.hpp>

#include <mikey/mikey.hpp>

#include "hex.hpp"

namespace tools {

/// Insertion-ordered, so objects print their fields in the order written.
using json = nlohmann::ordered_json;

/// `f(x)` for each x of `range`, as a JSON array.
template <class Range, class F>
[[nodiscard]] json json_array(const Range& range, F&& f) {
    json out = json::array();
    for (const auto& x : range) {
        out.push_back(f(x));
    }
    return out;
}

/// `j` as text (indent -1: one line, no spaces), bytes that are not UTF-8
/// replaced rather than reported.
[[nodiscard]] inline std::string dump(const json& j, int indent = -1) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

/// The Ticket Policy flags by letter, in wire order (RFC 6043 §6.10: D to
/// O), with their members.
struct flag_field {
    char letter[2];
    bool mikey::ticket_flags::*member;
};
inline constexpr flag_field ticket_flag_fields[] = {
    {"d", &mikey::ticket_flags::d}, {"e", &mikey::ticket_flags::e}, {"f", &mikey::ticket_flags::f},
    {"g", &mikey::ticket_flags::g}, {"h", &mikey::ticket_flags::h}, {"i", &mikey::ticket_flags::i},
    {"j", &mikey::ticket_flags::j}, {"k", &mikey::ticket_flags::k}, {"l", &mikey::ticket_flags::l},
    {"m", &mikey::ticket_flags::m}, {"n", &mikey::ticket_flags::n}, {"o", &mikey::ticket_flags::o},
};

}  // namespace tools

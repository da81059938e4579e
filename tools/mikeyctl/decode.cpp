// mikeyctl decode: one MIKEY message (hex, base64, or an SDP body with
// a=key-mgmt:mikey) to JSON, every field of every payload (json_schema.hpp).
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <botan/base64.h>

#include "commands.hpp"
#include "json_schema.hpp"

namespace {

using namespace mikey;
using mikeyctl::js::json;
namespace js = mikeyctl::js;
namespace k = mikeyctl::js::key;

constexpr char usage_text[] =
    "usage: mikeyctl decode [--hex|--base64|--sdp] [FILE]\n"
    "\n"
    "Reads one MIKEY message from FILE (standard input when FILE is absent or '-')\n"
    "and prints every field as JSON (indent 2) on standard output.\n"
    "\n"
    "  --hex      hex digits, whitespace allowed\n"
    "  --base64   base64, whitespace allowed\n"
    "  --sdp      an SDP body: the first a=key-mgmt:mikey line (session or media level)\n"
    "  (none)     recognize the form: SDP when a line starts with a=key-mgmt: or v=0,\n"
    "             else hex when only hex digits and whitespace (even count), else base64\n"
    "\n"
    "Exit codes: 0 decoded; 1 usage error or unreadable FILE; 2 malformed input, with\n"
    "'error: <errc name> at byte <offset>' on standard error (offset in the message\n"
    "bytes; for input that is not valid hex / base64 / SDP, the offset in the text)\n"
    "and nothing on standard output.\n"
    "\n"
    "After the message parses, its schema (when the library has one for its data\n"
    "type) is checked leniently and reported as \"schema\": {name, conforms, error,\n"
    "offset}. A message that breaks its schema is still decoded: exit code 0.\n"
    "\n"
    "A NULL-encrypted KEMAC's data is shown as its Key data chain (RFC 3830 §6.2;\n"
    "IDi first in PK_INIT only): \"id\" and \"key_data\". When the data is not such a\n"
    "chain, \"key_data_error\": {error, offset} takes their place (offset in\n"
    "encr_data); exit code 0.\n"
    "\n"
    "A TICKET's Ticket Data is read as a MIKEY base ticket when its policy names one\n"
    "(RFC 6043 App. A). When it is not one, ticket_data is its hex and\n"
    "\"ticket_data_error\": {error, offset} says why (offset in ticket_data); exit\n"
    "code 0: parsing leaves Ticket Data to the party that resolves the ticket.\n";

enum class form { any, hex, base64, sdp };

// ---------------------------------------------------------------------------
// Input forms.
// ---------------------------------------------------------------------------

struct text_error {
    std::size_t offset = 0;
    std::string what;
};

struct decoded_input {
    std::vector<std::uint8_t> bytes;
    std::optional<text_error> error;
};

decoded_input input_error(std::size_t at, std::string what) { return {{}, text_error{at, std::move(what)}}; }

/// Lines of `text` (LF or CRLF), each with its offset.
template <class F>
void for_each_line(std::string_view text, F&& f) {
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (f(line, pos)) {
            return;
        }
        pos = end + 1;
    }
}

bool looks_like_sdp(std::string_view text) {
    bool found = false;
    for_each_line(text, [&](std::string_view line, std::size_t) {
        found = line.starts_with("a=key-mgmt:") || line.starts_with("v=0");
        return found;
    });
    return found;
}

bool looks_like_hex(std::string_view text) {
    std::size_t digits = 0;
    for (const char c : text) {
        if (tools::hex_digit(c) >= 0) {
            ++digits;
        } else if (!tools::is_space(c)) {
            return false;
        }
    }
    return digits % 2 == 0;
}

decoded_input decode_hex(std::string_view text) {
    std::size_t bad = 0;
    auto b = tools::from_hex(text, true, &bad);
    if (!b) {
        return input_error(bad, bad == text.size() ? "odd number of hex digits" : "not a hex digit");
    }
    return {std::move(*b), std::nullopt};
}

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/// Base64 (RFC 4648 alphabet, '=' padding, whitespace ignored), decoded by
/// Botan. The text is checked first so that Botan never has to reject it.
decoded_input decode_base64(std::string_view text, std::size_t base = 0) {
    std::size_t chars = 0;
    std::size_t pad = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (tools::is_space(c)) {
            continue;
        }
        if (c == '=') {
            ++pad;
        } else if (!is_base64_char(c) || pad != 0) {
            return input_error(base + i, "not base64");
        }
        ++chars;
    }
    if (pad > 2 || chars % 4 == 1 || (pad != 0 && chars % 4 != 0)) {
        return input_error(base + text.size(), "base64 of the wrong length or padding");
    }
    std::vector<std::uint8_t> out(Botan::base64_decode_max_output(text.size()));
    std::size_t n = 0;
#if MIKEY_EXCEPTIONS
    try {
#endif
        std::size_t consumed = 0;
        n = Botan::base64_decode(out.data(), text.data(), text.size(), consumed, true, true);
#if MIKEY_EXCEPTIONS
    } catch (const std::exception& e) {
        return input_error(base, std::string("not base64: ") + e.what());
    }
#endif
    out.resize(n);
    return {std::move(out), std::nullopt};
}

/// The message of the first a=key-mgmt line whose protocol is mikey
/// (RFC 4567 §3.1: "a=key-mgmt:" [SP] prtcl-id SP base64), in document order,
/// so a session-level attribute is found before any media-level one.
decoded_input decode_sdp(std::string_view text) {
    std::optional<decoded_input> found;
    for_each_line(text, [&](std::string_view line, std::size_t at) {
        constexpr std::string_view attr = "a=key-mgmt:";
        if (!line.starts_with(attr)) {
            return false;
        }
        std::size_t p = attr.size();
        if (p < line.size() && line[p] == ' ') {
            ++p;
        }
        const std::size_t id_end = line.find(' ', p);
        if (id_end == std::string_view::npos) {
            return false;
        }
        std::string id(line.substr(p, id_end - p));
        for (auto& c : id) {
            c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        // RFC 4567 §3: the identifier is case-sensitive and "mikey" is registered
        // lowercase; other casings are accepted as harmless (see the SDP digest).
        if (id != "mikey") {
            return false;
        }
        found = decode_base64(line.substr(id_end + 1), at + id_end + 1);
        return true;
    });
    if (!found) {
        return input_error(0, "no a=key-mgmt:mikey line in the SDP body");
    }
    return std::move(*found);
}

// ---------------------------------------------------------------------------
// Payloads to JSON.
// ---------------------------------------------------------------------------

/// `leading_id`: a NULL KEMAC's plaintext starts with IDi, as it does in the
/// message's own chain when kemac_has_leading_id(data type) (PK_INIT, RFC 3830
/// §3.2); false in nested chains (TP Data, Ticket Data, Initiator Data), whose
/// KEMACs are RFC 6043 ones.
json payload_json(const chain_entry& e, bool leading_id = false);

template <class Range>
json chain_json(const Range& range, bool leading_id = false) {
    return tools::json_array(range, [leading_id](const chain_entry& e) { return payload_json(e, leading_id); });
}

/// Raw bytes as hex under `data_key`, and as text under `text_key` when printable.
void put_bytes(json& o, const char* data_key, const char* text_key, bytes_view b) {
    o[data_key] = tools::to_hex(b);
    if (js::printable(b)) {
        o[text_key] = js::as_text(b);
    }
}

void put_kv(json& o, const kv_data& kv) {
    o[k::kv] = js::enum_to_json(kv.kind);
    if (kv.kind == kv_type::spi) {
        o[k::spi] = tools::to_hex(kv.spi);
    } else if (kv.kind == kv_type::interval) {
        o[k::valid_from] = tools::to_hex(kv.valid_from);
        o[k::valid_to] = tools::to_hex(kv.valid_to);
    }
}

void put_ts(json& o, ts_type t, bytes_view value) {
    o[k::ts_type] = js::enum_to_json(t);
    o[k::ts_value] = tools::to_hex(value);
    if (const auto s = js::ntp_seconds(t, value)) {
        o[k::ntp_seconds] = *s;
    }
}

json key_data_json(const key_data_view& kd) {
    json o;
    o[k::type] = js::enum_to_json(kd.kind());
    o[k::kv] = js::enum_to_json(kd.validity().kind);
    o[k::key] = tools::to_hex(kd.key());
    if (has_salt(kd.kind())) {
        o[k::salt] = tools::to_hex(kd.salt());
    }
    put_kv(o, kd.validity());
    return o;
}

/// A NULL KEMAC's plaintext Key data chain (RFC 3830 §6.2), with IDi first
/// when `leading_id`. When the chain does not parse, key_data_error
/// {error, offset} says why and where (offset in encr_data) instead.
void put_key_data_chain(json& o, const kemac_view& v, bool leading_id) {
    const auto list = v.plain_key_data(leading_id);
    if (!list) {
        json e;
        e[k::error] = std::string(to_string(list.error()));
        e[k::offset] = list.error_offset();
        o[k::key_data_error] = std::move(e);
        return;
    }
    if (const auto id = list->id()) {
        o[k::id] = payload_json(chain_entry{payload_type::id, 0, id->bytes()});
    }
    o[k::key_data] = tools::json_array(*list, key_data_json);
}

json sp_params_json(const sp_view& sp) {
    return tools::json_array(sp.params(), [&sp](const auto& p) {
        json o;
        if (sp.protocol() == prot_type::srtp) {
            o[k::type] = js::enum_to_json(static_cast<srtp_param>(p.kind));
        } else {
            o[k::type] = p.kind;
        }
        if (p.value.size() == 1) {
            o[k::value] = p.value[0];
        } else {
            o[k::value] = tools::to_hex(p.value);
        }
        return o;
    });
}

/// The MIKEY base ticket's Ticket Data: THDR, then its payloads (RFC 6043 App. A).
json base_ticket_json(const base_ticket_view& bt) {
    json o;
    put_bytes(o, k::thdr_data, k::thdr_text, bt.thdr().data());
    o[k::payloads] = chain_json(bt.payloads());
    return o;
}

template <bool Granted>
void put_ticket(json& o, const basic_ticket_view<Granted>& t) {
    const auto p = t.policy();
    o[k::ticket_type] = js::enum_to_json(p.kind);
    o[k::subtype] = p.subtype;
    o[k::version] = p.version;
    o[k::prf_func] = js::enum_to_json(p.prf);
    json flags;
    for (const auto& f : tools::ticket_flag_fields) {
        flags[f.letter] = p.flags.*f.member;
    }
    o[k::flags] = std::move(flags);
    o[k::tp_data] = chain_json(t.tp_payloads());
    if constexpr (Granted) {
        if (const auto bt = t.base_ticket()) {
            o[k::ticket_data] = base_ticket_json(*bt);
        } else {
            o[k::ticket_data] = tools::to_hex(t.ticket_data());
            // A base-ticket policy whose Ticket Data is no base ticket (parse leaves Ticket Data
            // to the resolving party, RFC 6043 §3): say why, offset in ticket_data.
            if (bt.error() != errc::ticket_data_unparsed) {
                json e;
                e[k::error] = std::string(to_string(bt.error()));
                e[k::offset] = bt.error_offset() - t.ticket_data_offset();
                o[k::ticket_data_error] = std::move(e);
            }
        }
        o[k::initiator_data] = chain_json(t.initiator_payloads());
    }
}

json payload_json(const chain_entry& e, bool leading_id) {
    json o;
    o[k::type] = js::enum_to_json(e.type);
    visit_payload(e, overloaded{
        [&](const kemac_view& v) {
            o[k::encr_alg] = js::enum_to_json(v.encryption());
            o[k::encr_data] = tools::to_hex(v.encrypted_data());
            o[k::mac_alg] = js::enum_to_json(v.mac_algorithm());
            o[k::mac] = tools::to_hex(v.mac());
            if (v.encryption() == encr_alg::null) {
                put_key_data_chain(o, v, leading_id);
            }
        },
        [&](const pke_view& v) {
            o[k::cache] = js::enum_to_json(v.cache());
            o[k::data] = tools::to_hex(v.data());
        },
        [&](const dh_view& v) {
            o[k::dh_group] = js::enum_to_json(v.group());
            o[k::value] = tools::to_hex(v.value());
            put_kv(o, v.validity());
        },
        [&](const sign_view& v) {
            o[k::sign_type] = js::enum_to_json(v.kind());
            o[k::signature] = tools::to_hex(v.signature());
        },
        [&](const t_view& v) { put_ts(o, v.kind(), v.value()); },
        [&](const tr_view& v) {
            o[k::role] = js::enum_to_json(v.role());
            put_ts(o, v.kind(), v.value());
        },
        [&](const id_view& v) {
            o[k::id_type] = js::enum_to_json(v.kind());
            put_bytes(o, k::data, k::text, v.data());
        },
        [&](const idr_view& v) {
            o[k::role] = js::enum_to_json(v.role());
            o[k::id_type] = js::enum_to_json(v.kind());
            put_bytes(o, k::data, k::text, v.data());
        },
        [&](const cert_view& v) {
            o[k::cert_type] = js::enum_to_json(v.kind());
            put_bytes(o, k::data, k::text, v.data());
        },
        [&](const general_extension_view& v) {
            o[k::ext_type] = js::enum_to_json(v.kind());
            put_bytes(o, k::data, k::text, v.data());
            if (v.kind() == extension_type::key_id) {
                o[k::key_ids] = tools::json_array(key_id_list(v.data()), [](const auto& id) {
                    json i;
                    i[k::type] = js::enum_to_json(id.kind);
                    i[k::id] = tools::to_hex(id.id);
                    return i;
                });
            }
        },
        [&](const chash_view& v) {
            o[k::hash_func] = js::enum_to_json(v.kind());
            o[k::hash] = tools::to_hex(v.value());
        },
        [&](const v_view& v) {
            o[k::mac_alg] = js::enum_to_json(v.kind());
            o[k::mac] = tools::to_hex(v.value());
        },
        [&](const sp_view& v) {
            o[k::policy_no] = v.policy_no();
            o[k::prot_type] = js::enum_to_json(v.protocol());
            o[k::params] = sp_params_json(v);
        },
        [&](const rand_view& v) { o[k::rand] = tools::to_hex(v.value()); },
        [&](const randr_view& v) {
            o[k::role] = js::enum_to_json(v.role());
            o[k::rand] = tools::to_hex(v.value());
        },
        [&](const err_view& v) { o[k::error_no] = js::enum_to_json(v.code()); },
        [&](const tp_view& v) { put_ticket(o, v); },
        [&](const ticket_view& v) { put_ticket(o, v); },
    });
    return o;
}

// ---------------------------------------------------------------------------
// Header and message.
// ---------------------------------------------------------------------------

json session_data_json(const generic_id_block& b) {
    if (b.prot != prot_type::srtp || b.session_data.empty()) {
        return tools::to_hex(b.session_data);
    }
    // RFC 6043 §6.1.1: SRTP Session Data is SSRC(32) [ROC(32) SEQ(16) when S = 1]
    // (hdr_view::parse checked the length).
    byte_reader r(b.session_data);
    json o;
    o[k::ssrc] = r.u32();
    if (b.s_flag) {
        o[k::roc] = r.u32();
        o[k::seq] = r.u16();
    }
    return o;
}

json header_json(const hdr_view& h) {
    json o;
    o[k::version] = h.version();
    o[k::data_type] = js::enum_to_json(h.type());
    o[k::v] = h.v_flag();
    o[k::prf_func] = js::enum_to_json(h.prf());
    o[k::csb_id] = h.csb().get();
    o[k::cs_count] = h.cs_count();
    o[k::cs_id_map_type] = js::enum_to_json(h.map_type());
    json map = json::array();
    if (h.map_type() == cs_id_map_type::srtp_id) {
        for (std::size_t i = 0; i < h.cs_count(); ++i) {
            const auto s = h.srtp_id(i);
            json e;
            e[k::policy_no] = s.policy_no;
            e[k::ssrc] = s.ssrc;
            e[k::roc] = s.roc;
            map.push_back(std::move(e));
        }
    } else if (h.map_type() == cs_id_map_type::generic_id) {
        for (const auto& b : h.generic_id()) {
            json e;
            e[k::cs_id] = b.cs_id;
            e[k::prot_type] = js::enum_to_json(b.prot);
            e[k::s] = b.s_flag;
            e[k::policies] = tools::json_array(b.policies, [](std::uint8_t p) { return p; });
            e[k::session_data] = session_data_json(b);
            e[k::spi] = tools::to_hex(b.spi);
            map.push_back(std::move(e));
        }
    }
    o[k::cs_id_map] = std::move(map);
    return o;
}

json message_json(const message_view& m) {
    json o;
    o[k::header] = header_json(m.header());
    o[k::payloads] = chain_json(m.payloads(), kemac_has_leading_id(m.type()));
    if (const auto* s = schema_for(m.type())) {
        json sj;
        sj[k::name] = std::string(s->name);
        const auto ok = check_schema(m, *s, schema_check::lenient);
        sj[k::conforms] = ok.has_value();
        if (!ok) {
            sj[k::error] = std::string(to_string(ok.error()));
            sj[k::offset] = ok.error_offset();
        }
        o[k::schema] = std::move(sj);
    }
    return o;
}

int usage_error(const char* what) {
    std::fprintf(stderr, "mikeyctl decode: %s\n%s", what, usage_text);
    return js::exit_usage;
}

}  // namespace

int mikeyctl::cmd_decode(args a) {
    form f = form::any;
    std::optional<std::string_view> file;
    for (const auto arg : a) {
        form given = form::any;
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage_text, stdout);
            return js::exit_ok;
        }
        if (arg == "--hex") {
            given = form::hex;
        } else if (arg == "--base64") {
            given = form::base64;
        } else if (arg == "--sdp") {
            given = form::sdp;
        } else if (arg.starts_with("--") || (arg.starts_with("-") && arg != "-")) {
            return usage_error("unknown option");
        } else if (file) {
            return usage_error("more than one FILE");
        } else {
            file = arg;
            continue;
        }
        if (f != form::any) {
            return usage_error("give at most one of --hex, --base64, --sdp");
        }
        f = given;
    }

    const auto text = js::read_input(file.value_or(std::string_view{}));
    if (!text) {
        return js::exit_usage;
    }
    if (f == form::any) {
        f = looks_like_sdp(*text) ? form::sdp : looks_like_hex(*text) ? form::hex : form::base64;
    }
    decoded_input in = f == form::sdp ? decode_sdp(*text) : f == form::hex ? decode_hex(*text) : decode_base64(*text);
    if (in.error) {
        std::fprintf(stderr, "error: %s at byte %zu (%s)\n", std::string(to_string(errc::invalid_argument)).c_str(),
                     in.error->offset, in.error->what.c_str());
        return js::exit_malformed;
    }
    const auto m = message_view::parse(bytes_view(in.bytes));
    if (!m) {
        std::fprintf(stderr, "error: %s at byte %zu\n", std::string(to_string(m.error())).c_str(), m.error_offset());
        return js::exit_malformed;
    }
    const std::string out = tools::dump(message_json(*m), 2);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fputc('\n', stdout);
    return js::exit_ok;
}

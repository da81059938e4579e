// mikeyctl encode: the JSON printed by `mikeyctl decode` (json_schema.hpp)
// back to the message, through the library's builders, as one line of hex.
#include <cstdio>
#include <deque>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "commands.hpp"
#include "json_schema.hpp"

namespace {

using namespace mikey;
using mikeyctl::js::json;
namespace js = mikeyctl::js;
namespace k = mikeyctl::js::key;

constexpr char usage_text[] =
    "usage: mikeyctl encode [--no-check] [FILE]\n"
    "\n"
    "Reads the JSON printed by `mikeyctl decode` from FILE (standard input when FILE\n"
    "is absent or '-') and prints the message as one line of lowercase hex. Enum\n"
    "fields take the registry name or a number; nested chains (tp_data, ticket_data,\n"
    "initiator_data, a NULL KEMAC's key_data) are rebuilt from their decoded form, or\n"
    "taken as given when the field holds hex. Decode's reports \"schema\", a\n"
    "KEMAC's \"key_data_error\" and a TICKET's \"ticket_data_error\" are ignored.\n"
    "\n"
    "The message is parsed again before it is printed; --no-check prints it even\n"
    "when it does not parse (to craft malformed test input).\n"
    "\n"
    "Exit codes: 0 encoded; 1 usage error or unreadable FILE; 2 bad JSON, an unknown\n"
    "field or name, a value a builder rejects, or a message that does not parse,\n"
    "with 'error: <errc name> at <where>: <why>' on standard error and nothing on\n"
    "standard output.\n";

/// Every builder that can stand in a payload list.
using any_builder =
    std::variant<kemac_builder, pke_builder, dh_builder, sign_builder, t_builder, tr_builder, id_builder, idr_builder,
                 cert_builder, general_extension_builder, chash_builder, v_builder, sp_builder, rand_builder,
                 randr_builder, err_builder, tp_builder, ticket_builder>;

/// The path of field `key` of the object at `path` (the key as
/// js::shown_name shows it: an unknown field may be any length).
std::string at(const std::string& path, std::string_view key) {
    return path.empty() ? js::shown_name(key) : path + "." + js::shown_name(key);
}
std::string at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

/// A JSON parser that keeps the byte offset of a syntax error, and stops at
/// a key given twice in one object (the DOM parser alone would keep the last
/// value silently) with the path of the second one.
struct locating_parser : nlohmann::detail::json_sax_dom_parser<json> {
    using base = nlohmann::detail::json_sax_dom_parser<json>;
    using base::base;
    std::size_t error_at = 0;
    /// The path of a key given twice (the first one found), e.g. "header.csb_id".
    std::optional<std::string> duplicate;
    /// That key, as js::shown_name shows it.
    std::string duplicate_key;

    template <class Exception>
    bool parse_error(std::size_t position, const std::string&, const Exception&) {
        error_at = position;
        return false;
    }

    // Every value event counts an element of the enclosing array (for paths).
    bool null() { return element() && base::null(); }
    bool boolean(bool v) { return element() && base::boolean(v); }
    bool number_integer(json::number_integer_t v) { return element() && base::number_integer(v); }
    bool number_unsigned(json::number_unsigned_t v) { return element() && base::number_unsigned(v); }
    bool number_float(json::number_float_t v, const json::string_t& s) {
        return element() && base::number_float(v, s);
    }
    bool string(json::string_t& v) { return element() && base::string(v); }
    bool binary(json::binary_t& v) { return element() && base::binary(v); }
    bool start_object(std::size_t n) {
        element();
        m_open.push_back({true, {}, {}, 0});
        return base::start_object(n);
    }
    bool key(json::string_t& k) {
        frame& f = m_open.back();
        if (!f.keys.insert(k).second) {
            duplicate = at(path(), k);
            duplicate_key = js::shown_name(k);
            return false;
        }
        f.key = k;
        return base::key(k);
    }
    bool end_object() {
        m_open.pop_back();
        return base::end_object();
    }
    bool start_array(std::size_t n) {
        element();
        m_open.push_back({false, {}, {}, 0});
        return base::start_array(n);
    }
    bool end_array() {
        m_open.pop_back();
        return base::end_array();
    }

private:
    struct frame {
        bool object = false;
        std::set<std::string> keys;  ///< an object's keys so far
        std::string key;             ///< an object's current key
        std::size_t elements = 0;    ///< an array's elements so far
    };
    bool element() {
        if (!m_open.empty() && !m_open.back().object) {
            ++m_open.back().elements;
        }
        return true;
    }
    /// The path of the innermost open container, in encoder's notation.
    [[nodiscard]] std::string path() const {
        std::string p;
        for (std::size_t i = 0; i + 1 < m_open.size(); ++i) {
            p = m_open[i].object ? at(p, m_open[i].key) : at(p, m_open[i].elements - 1);
        }
        return p;
    }
    std::vector<frame> m_open;
};

/// JSON to bytes. Errors are sticky (like byte_writer): the first one is
/// kept with the path of the field, every later step is skipped by its
/// caller's `failed()` check, and nothing is printed until report().
class encoder {
public:
    std::optional<bytes_view> message(const json& root);

    [[nodiscard]] bool failed() const noexcept { return m_failed; }
    void report() const {
        std::fprintf(stderr, "error: %s at %s: %s\n", std::string(to_string(m_code)).c_str(),
                     m_path.empty() ? "top level" : m_path.c_str(), m_what.c_str());
    }
    bool fail(errc code, const std::string& path, std::string what) {
        if (!m_failed) {
            m_failed = true;
            m_code = code;
            m_path = path;
            m_what = std::move(what);
        }
        return false;
    }

private:
    // --- storage: builders hold spans, so every byte they point to lives here ---
    bytes_view keep(std::vector<std::uint8_t> b) { return m_bytes.emplace_back(std::move(b)); }

    // --- fields ---
    static const json* get(const json& o, const char* key) {
        const auto it = o.find(key);
        return it == o.end() ? nullptr : &*it;
    }
    bool object(const json& o, const std::string& path, std::initializer_list<const char*> keys);
    std::optional<std::uint64_t> number_of(const json& j, const std::string& path, std::uint64_t max);
    std::optional<std::uint64_t> opt_number(const json& o, const char* key, const std::string& path,
                                            std::uint64_t max);
    std::uint64_t number(const json& o, const char* key, const std::string& path, std::uint64_t max,
                         std::optional<std::uint64_t> def = std::nullopt);
    bool boolean(const json& o, const char* key, const std::string& path, bool def);
    std::optional<bytes_view> hex_of(const json& j, const std::string& path);
    std::optional<bytes_view> opt_hex(const json& o, const char* key, const std::string& path);
    bytes_view hex(const json& o, const char* key, const std::string& path);
    bytes_view bytes_or_text(const json& o, const char* data_key, const char* text_key, const std::string& path);
    void agree(std::optional<bytes_view> raw, bytes_view rebuilt, const std::string& path, const char* raw_key,
               const char* rebuilt_key);
    template <class E>
    E enumv(const json& o, const char* key, const std::string& path, std::optional<E> def = std::nullopt);
    template <class E>
    E enum_value(const json& j, const std::string& path);

    // --- building ---
    template <class F>
    bytes_view write_exact(F&& f, const std::string& path);
    template <class B>
    std::optional<any_builder> checked(const B& b, const std::string& path);

    std::optional<any_builder> payload(const json& o, const std::string& path, bool nested);
    std::vector<any_builder> payload_list(const json& list, const std::string& path, bool nested);
    bytes_view first_byte_chain(const json& v, const std::string& path);
    bytes_view base_ticket(const json& v, const std::string& path);
    bytes_view key_data_chain(const json& o, const std::string& path);
    kv_data validity(const json& o, const std::string& path);
    bytes_view ts_value(const json& o, ts_type t, const std::string& path);
    template <bool Granted>
    std::optional<any_builder> ticket(const json& o, const std::string& path);
    std::optional<hdr_builder> header(const json& o, const std::string& path);
    generic_id_block generic_block(const json& o, const std::string& path);

    std::deque<std::vector<std::uint8_t>> m_bytes;
    std::deque<std::vector<sp_param>> m_params;
    std::deque<std::vector<srtp_id_entry>> m_srtp;
    std::deque<std::vector<generic_id_block>> m_blocks;
    bool m_failed = false;
    errc m_code = errc::ok;
    std::string m_path;
    std::string m_what;
};

// ---------------------------------------------------------------------------
// Fields.
// ---------------------------------------------------------------------------

bool encoder::object(const json& o, const std::string& path, std::initializer_list<const char*> keys) {
    if (failed()) {
        return false;
    }
    if (!o.is_object()) {
        return fail(errc::invalid_argument, path, "expected an object");
    }
    for (const auto& [name, value] : o.items()) {
        bool known = false;
        for (const char* k : keys) {
            known = known || name == k;
        }
        if (!known) {
            return fail(errc::invalid_argument, at(path, name), "unknown field");
        }
    }
    return true;
}

std::optional<std::uint64_t> encoder::number_of(const json& j, const std::string& path, std::uint64_t max) {
    if (failed()) {
        return std::nullopt;
    }
    if (!j.is_number_unsigned() || j.get<std::uint64_t>() > max) {
        fail(errc::invalid_argument, path, "expected an integer from 0 to " + std::to_string(max));
        return std::nullopt;
    }
    return j.get<std::uint64_t>();
}

std::optional<std::uint64_t> encoder::opt_number(const json& o, const char* key, const std::string& path,
                                                 std::uint64_t max) {
    const json* j = get(o, key);
    return j == nullptr ? std::nullopt : number_of(*j, at(path, key), max);
}

std::uint64_t encoder::number(const json& o, const char* key, const std::string& path, std::uint64_t max,
                              std::optional<std::uint64_t> def) {
    if (const auto n = opt_number(o, key, path, max)) {
        return *n;
    }
    if (!failed() && !def) {
        fail(errc::invalid_argument, at(path, key), "missing field");
    }
    return def.value_or(0);
}

bool encoder::boolean(const json& o, const char* key, const std::string& path, bool def) {
    const json* j = get(o, key);
    if (j == nullptr || failed()) {
        return def;
    }
    if (!j->is_boolean()) {
        fail(errc::invalid_argument, at(path, key), "expected true or false");
        return def;
    }
    return j->get<bool>();
}

std::optional<bytes_view> encoder::hex_of(const json& j, const std::string& path) {
    if (failed()) {
        return std::nullopt;
    }
    if (!j.is_string()) {
        fail(errc::invalid_argument, path, "expected a hex string");
        return std::nullopt;
    }
    auto b = tools::from_hex(j.get_ref<const std::string&>(), false);
    if (!b) {
        fail(errc::invalid_argument, path, "not an even number of hex digits");
        return std::nullopt;
    }
    return keep(std::move(*b));
}

std::optional<bytes_view> encoder::opt_hex(const json& o, const char* key, const std::string& path) {
    const json* j = get(o, key);
    return j == nullptr ? std::nullopt : hex_of(*j, at(path, key));
}

bytes_view encoder::hex(const json& o, const char* key, const std::string& path) {
    if (const auto b = opt_hex(o, key, path)) {
        return *b;
    }
    if (!failed()) {
        fail(errc::invalid_argument, at(path, key), "missing field");
    }
    return {};
}

/// `data_key` (hex) or `text_key` (the same bytes as text); both must agree.
bytes_view encoder::bytes_or_text(const json& o, const char* data_key, const char* text_key,
                                  const std::string& path) {
    const auto data = opt_hex(o, data_key, path);
    const json* t = get(o, text_key);
    if (failed() || t == nullptr) {
        return data ? *data : hex(o, data_key, path);
    }
    if (!t->is_string()) {
        fail(errc::invalid_argument, at(path, text_key), "expected a string");
        return {};
    }
    const auto& s = t->get_ref<const std::string&>();
    const bytes_view text = keep(std::vector<std::uint8_t>(s.begin(), s.end()));
    agree(data, text, path, data_key, text_key);
    return text;
}

/// A field given both raw and decoded: the raw bytes must be what the decoded
/// form rebuilds.
void encoder::agree(std::optional<bytes_view> raw, bytes_view rebuilt, const std::string& path, const char* raw_key,
                    const char* rebuilt_key) {
    if (!failed() && raw && !equal_bytes(*raw, rebuilt)) {
        fail(errc::invalid_argument, at(path, raw_key),
             std::string("disagrees with ") + rebuilt_key + " (drop one of the two)");
    }
}

template <class E>
E encoder::enum_value(const json& j, const std::string& path) {
    if (const auto v = js::enum_from_json<E>(j)) {
        return *v;
    }
    if (j.is_string()) {
        fail(js::unknown_value_errc<E>(), path,
             "unknown name '" + js::shown_name(j.get_ref<const std::string&>()) + "'");
    } else {
        fail(errc::invalid_argument, path, "expected a registry name or a number that fits the field");
    }
    return E{};
}

template <class E>
E encoder::enumv(const json& o, const char* key, const std::string& path, std::optional<E> def) {
    const json* j = get(o, key);
    if (failed()) {
        return E{};
    }
    if (j == nullptr) {
        if (!def) {
            fail(errc::invalid_argument, at(path, key), "missing field");
        }
        return def.value_or(E{});
    }
    return enum_value<E>(*j, at(path, key));
}

// ---------------------------------------------------------------------------
// Building.
// ---------------------------------------------------------------------------

/// Runs `f(byte_writer&)` on a counting writer, then into a buffer of exactly
/// that size; the builders' errors are reported at `path`.
template <class F>
bytes_view encoder::write_exact(F&& f, const std::string& path) {
    if (failed()) {
        return {};
    }
    byte_writer counter;
    f(counter);
    if (counter.failed()) {
        fail(counter.error(), path, "the builders reject these fields");
        return {};
    }
    std::vector<std::uint8_t> out(counter.size());
    byte_writer w(out);
    f(w);
    if (w.failed()) {
        fail(w.error(), path, "the builders reject these fields");
        return {};
    }
    return keep(std::move(out));
}

/// The builder, once its own checks pass (so errors name the payload).
template <class B>
std::optional<any_builder> encoder::checked(const B& b, const std::string& path) {
    if (failed()) {
        return std::nullopt;
    }
    byte_writer counter;
    b.write(counter);
    if (counter.failed()) {
        fail(counter.error(), path, "the builder rejects these fields");
        return std::nullopt;
    }
    return any_builder(b);
}

kv_data encoder::validity(const json& o, const std::string& path) {
    kv_data kv;
    kv.kind = enumv<kv_type>(o, k::kv, path, kv_type::null);
    kv.spi = opt_hex(o, k::spi, path).value_or(bytes_view{});
    kv.valid_from = opt_hex(o, k::valid_from, path).value_or(bytes_view{});
    kv.valid_to = opt_hex(o, k::valid_to, path).value_or(bytes_view{});
    return kv;
}

/// ts_value, or one built from ntp_seconds (zero fraction); both must agree.
bytes_view encoder::ts_value(const json& o, ts_type t, const std::string& path) {
    const auto value = opt_hex(o, k::ts_value, path);
    const auto secs = opt_number(o, k::ntp_seconds, path, 0xFFFFFFFFu);
    if (failed() || !secs) {
        return value ? *value : hex(o, k::ts_value, path);
    }
    if (!is_registered(t) || !js::ntp_seconds(t, bytes_view{})) {
        fail(errc::invalid_argument, at(path, k::ntp_seconds), "only for the NTP TS types");
        return {};
    }
    std::vector<std::uint8_t> b(ts_value_size(t), 0);
    for (std::size_t i = 0; i < 4; ++i) {
        b[i] = static_cast<std::uint8_t>(*secs >> (24 - 8 * i));
    }
    if (value) {
        if (js::ntp_seconds(t, *value) != secs) {
            fail(errc::invalid_argument, at(path, k::ntp_seconds), "disagrees with ts_value (drop one of the two)");
        }
        return *value;
    }
    return keep(std::move(b));
}

/// A NULL KEMAC's plaintext: [ID], Key data... (RFC 3830 §6.2, §6.13).
bytes_view encoder::key_data_chain(const json& o, const std::string& path) {
    std::optional<id_builder> id;
    if (const json* j = get(o, k::id)) {
        const auto p = payload(*j, at(path, k::id), true);
        if (p && !std::holds_alternative<id_builder>(*p)) {
            fail(errc::misplaced_payload, at(path, k::id), "expected an ID payload");
        }
        if (failed()) {
            return {};
        }
        id = std::get<id_builder>(*p);
    }
    std::vector<key_data_builder> keys;
    if (const json* list = get(o, k::key_data)) {
        const std::string lpath = at(path, k::key_data);
        if (!list->is_array()) {
            fail(errc::invalid_argument, lpath, "expected a list");
            return {};
        }
        for (std::size_t i = 0; i < list->size() && !failed(); ++i) {
            const json& e = (*list)[i];
            const std::string p = at(lpath, i);
            if (!object(e, p, {k::type, k::kv, k::key, k::salt, k::spi, k::valid_from, k::valid_to})) {
                break;
            }
            key_data_builder b;
            b.kind = enumv<key_data_type>(e, k::type, p);
            b.key = hex(e, k::key, p);
            b.salt = opt_hex(e, k::salt, p).value_or(bytes_view{});
            b.validity = validity(e, p);
            byte_writer counter;
            b.write(counter);
            if (!failed() && counter.failed()) {
                fail(counter.error(), p, "the builder rejects these fields");
            }
            keys.push_back(b);
        }
    }
    return write_exact(
        [&](byte_writer& w) {
            chain_writer c(w, std::nullopt);
            c.add(id);
            c.add(std::span<const key_data_builder>(keys));
        },
        path);
}

std::vector<any_builder> encoder::payload_list(const json& list, const std::string& path, bool nested) {
    std::vector<any_builder> out;
    if (failed()) {
        return out;
    }
    if (!list.is_array()) {
        fail(errc::invalid_argument, path, "expected a list of payloads");
        return out;
    }
    for (std::size_t i = 0; i < list.size() && !failed(); ++i) {
        if (auto b = payload(list[i], at(path, i), nested)) {
            out.push_back(std::move(*b));
        }
    }
    return out;
}

void add_all(chain_writer& c, const std::vector<any_builder>& list) {
    for (const auto& b : list) {
        std::visit([&c](const auto& x) { c.add(x); }, b);
    }
}

/// TP Data or Initiator Data: a list (First Payload byte, then the chain;
/// an empty list is an empty field) or hex.
bytes_view encoder::first_byte_chain(const json& v, const std::string& path) {
    if (v.is_string()) {
        return hex_of(v, path).value_or(bytes_view{});
    }
    const auto list = payload_list(v, path, true);
    if (failed() || list.empty()) {
        return {};
    }
    return write_exact(
        [&](byte_writer& w) {
            w.u8(0);
            chain_writer c(w, std::size_t{0});
            add_all(c, list);
        },
        path);
}

/// Ticket Data: the MIKEY base ticket {thdr_data, payloads} (RFC 6043 App. A) or hex.
bytes_view encoder::base_ticket(const json& v, const std::string& path) {
    if (v.is_string()) {
        return hex_of(v, path).value_or(bytes_view{});
    }
    if (!object(v, path, {k::thdr_data, k::thdr_text, k::payloads})) {
        return {};
    }
    const thdr_builder thdr{bytes_or_text(v, k::thdr_data, k::thdr_text, path)};
    const json* list = get(v, k::payloads);
    if (list == nullptr) {
        fail(errc::invalid_argument, at(path, k::payloads), "missing field");
        return {};
    }
    const auto payloads = payload_list(*list, at(path, k::payloads), true);
    return write_exact(
        [&](byte_writer& w) {
            thdr.write(w);
            chain_writer c(w, std::size_t{0});
            add_all(c, payloads);
        },
        path);
}

template <bool Granted>
std::optional<any_builder> encoder::ticket(const json& o, const std::string& path) {
    const bool known_fields =
        Granted ? object(o, path,
                         {k::type, k::ticket_type, k::subtype, k::version, k::prf_func, k::flags, k::tp_data,
                          k::ticket_data, k::ticket_data_error, k::initiator_data})
                : object(o, path, {k::type, k::ticket_type, k::subtype, k::version, k::prf_func, k::flags, k::tp_data});
    if (!known_fields) {
        return std::nullopt;
    }
    basic_ticket_builder<Granted> b;
    b.policy.kind = enumv<ticket_type>(o, k::ticket_type, path);
    b.policy.subtype = static_cast<std::uint8_t>(number(o, k::subtype, path, 0xFF));
    b.policy.version = static_cast<std::uint8_t>(number(o, k::version, path, 0xFF));
    b.policy.prf = enumv<prf_func>(o, k::prf_func, path);
    if (const json* f = get(o, k::flags); f != nullptr && !failed()) {
        const std::string fpath = at(path, k::flags);
        if (!f->is_object()) {
            fail(errc::invalid_argument, fpath, "expected an object of flag letters");
            return std::nullopt;
        }
        for (const auto& [name, value] : f->items()) {
            bool known = false;
            for (const auto& field : tools::ticket_flag_fields) {
                if (name == field.letter) {
                    known = true;
                    b.policy.flags.*field.member = boolean(*f, field.letter, fpath, false);
                }
            }
            if (!known) {
                fail(errc::invalid_argument, at(fpath, name), "unknown flag (d to o)");
            }
        }
    } else if (!failed()) {
        fail(errc::invalid_argument, at(path, k::flags), "missing field");
    }
    const json* tp = get(o, k::tp_data);
    if (tp == nullptr) {
        fail(errc::invalid_argument, at(path, k::tp_data), "missing field");
        return std::nullopt;
    }
    b.tp_data = first_byte_chain(*tp, at(path, k::tp_data));
    if constexpr (Granted) {
        if (const json* td = get(o, k::ticket_data)) {
            b.ticket_data = base_ticket(*td, at(path, k::ticket_data));
        }
        if (const json* id = get(o, k::initiator_data)) {
            b.initiator_data = first_byte_chain(*id, at(path, k::initiator_data));
        }
    }
    return checked(b, path);
}

std::optional<any_builder> encoder::payload(const json& o, const std::string& path, bool nested) {
    if (failed()) {
        return std::nullopt;
    }
    if (!o.is_object()) {
        fail(errc::invalid_argument, path, "expected a payload object");
        return std::nullopt;
    }
    const auto type = enumv<payload_type>(o, k::type, path);
    if (failed()) {
        return std::nullopt;
    }
    switch (type) {
        case payload_type::kemac: {
            // key_data_error is decode's report on encr_data (ignored, like schema).
            if (!object(o, path,
                        {k::type, k::encr_alg, k::encr_data, k::mac_alg, k::mac, k::id, k::key_data,
                         k::key_data_error})) {
                return std::nullopt;
            }
            kemac_builder b;
            b.encryption = enumv<encr_alg>(o, k::encr_alg, path);
            b.mac_algorithm = enumv<mac_alg>(o, k::mac_alg, path);
            b.mac = opt_hex(o, k::mac, path).value_or(bytes_view{});
            const auto raw = opt_hex(o, k::encr_data, path);
            if (get(o, k::key_data) != nullptr || get(o, k::id) != nullptr) {
                b.encrypted_data = key_data_chain(o, path);
                agree(raw, b.encrypted_data, path, k::encr_data, k::key_data);
            } else {
                b.encrypted_data = raw ? *raw : hex(o, k::encr_data, path);
            }
            return checked(b, path);
        }
        case payload_type::pke: {
            if (!object(o, path, {k::type, k::cache, k::data})) {
                return std::nullopt;
            }
            return checked(pke_builder{enumv<pke_cache>(o, k::cache, path), hex(o, k::data, path)}, path);
        }
        case payload_type::dh: {
            if (!object(o, path, {k::type, k::dh_group, k::value, k::kv, k::spi, k::valid_from, k::valid_to})) {
                return std::nullopt;
            }
            return checked(dh_builder{enumv<dh_group>(o, k::dh_group, path), hex(o, k::value, path), validity(o, path)},
                           path);
        }
        case payload_type::sign: {
            if (!object(o, path, {k::type, k::sign_type, k::signature})) {
                return std::nullopt;
            }
            return checked(sign_builder{enumv<sign_type>(o, k::sign_type, path), hex(o, k::signature, path)}, path);
        }
        case payload_type::t: {
            if (!object(o, path, {k::type, k::ts_type, k::ts_value, k::ntp_seconds})) {
                return std::nullopt;
            }
            const auto t = enumv<ts_type>(o, k::ts_type, path);
            return checked(t_builder{{}, t, ts_value(o, t, path)}, path);
        }
        case payload_type::tr: {
            if (!object(o, path, {k::type, k::role, k::ts_type, k::ts_value, k::ntp_seconds})) {
                return std::nullopt;
            }
            const auto role = enumv<ts_role>(o, k::role, path);
            const auto t = enumv<ts_type>(o, k::ts_type, path);
            return checked(tr_builder{role, t, ts_value(o, t, path)}, path);
        }
        case payload_type::id: {
            if (!object(o, path, {k::type, k::id_type, k::data, k::text})) {
                return std::nullopt;
            }
            return checked(id_builder{{}, enumv<id_type>(o, k::id_type, path), bytes_or_text(o, k::data, k::text, path)},
                           path);
        }
        case payload_type::idr: {
            if (!object(o, path, {k::type, k::role, k::id_type, k::data, k::text})) {
                return std::nullopt;
            }
            const auto role = enumv<id_role>(o, k::role, path);
            return checked(idr_builder{role, enumv<id_type>(o, k::id_type, path), bytes_or_text(o, k::data, k::text, path)},
                           path);
        }
        case payload_type::cert: {
            if (!object(o, path, {k::type, k::cert_type, k::data, k::text})) {
                return std::nullopt;
            }
            return checked(
                cert_builder{{}, enumv<cert_type>(o, k::cert_type, path), bytes_or_text(o, k::data, k::text, path)},
                path);
        }
        case payload_type::general_extension: {
            if (!object(o, path, {k::type, k::ext_type, k::data, k::text, k::key_ids})) {
                return std::nullopt;
            }
            general_extension_builder b{{}, enumv<extension_type>(o, k::ext_type, path), {}};
            const json* ids = get(o, k::key_ids);
            if (ids == nullptr) {
                b.data = bytes_or_text(o, k::data, k::text, path);
                return checked(b, path);
            }
            const std::string ipath = at(path, k::key_ids);
            if (!ids->is_array()) {
                fail(errc::invalid_argument, ipath, "expected a list");
                return std::nullopt;
            }
            std::vector<key_id_entry> entries;
            for (std::size_t i = 0; i < ids->size() && !failed(); ++i) {
                const json& e = (*ids)[i];
                if (object(e, at(ipath, i), {k::type, k::id})) {
                    entries.push_back({enumv<key_id_type>(e, k::type, at(ipath, i)), hex(e, k::id, at(ipath, i))});
                }
            }
            b.data = write_exact([&](byte_writer& w) { write_key_ids(w, entries); }, ipath);
            std::optional<bytes_view> raw;
            if (get(o, k::data) != nullptr || get(o, k::text) != nullptr) {
                raw = bytes_or_text(o, k::data, k::text, path);
            }
            agree(raw, b.data, path, k::data, k::key_ids);
            return checked(b, path);
        }
        case payload_type::chash: {
            if (!object(o, path, {k::type, k::hash_func, k::hash})) {
                return std::nullopt;
            }
            return checked(chash_builder{{}, enumv<hash_func>(o, k::hash_func, path), hex(o, k::hash, path)}, path);
        }
        case payload_type::v: {
            if (!object(o, path, {k::type, k::mac_alg, k::mac})) {
                return std::nullopt;
            }
            return checked(
                v_builder{{}, enumv<mac_alg>(o, k::mac_alg, path), opt_hex(o, k::mac, path).value_or(bytes_view{})},
                path);
        }
        case payload_type::sp: {
            if (!object(o, path, {k::type, k::policy_no, k::prot_type, k::params})) {
                return std::nullopt;
            }
            sp_builder b;
            b.policy_no = static_cast<std::uint8_t>(number(o, k::policy_no, path, 0xFF));
            b.protocol = enumv<prot_type>(o, k::prot_type, path);
            auto& params = m_params.emplace_back();
            if (const json* list = get(o, k::params); list != nullptr && !failed()) {
                const std::string lpath = at(path, k::params);
                if (!list->is_array()) {
                    fail(errc::invalid_argument, lpath, "expected a list");
                }
                for (std::size_t i = 0; i < list->size() && !failed(); ++i) {
                    const json& e = (*list)[i];
                    const std::string p = at(lpath, i);
                    if (!object(e, p, {k::type, k::value})) {
                        break;
                    }
                    sp_param param;
                    param.kind = b.protocol == prot_type::srtp
                                     ? static_cast<std::uint8_t>(enumv<srtp_param>(e, k::type, p))
                                     : static_cast<std::uint8_t>(number(e, k::type, p, 0xFF));
                    const json* value = get(e, k::value);
                    if (value != nullptr && value->is_number()) {
                        param.value = keep({static_cast<std::uint8_t>(number(e, k::value, p, 0xFF))});
                    } else {
                        param.value = hex(e, k::value, p);
                    }
                    params.push_back(param);
                }
            }
            b.params = params;
            return checked(b, path);
        }
        case payload_type::rand: {
            if (!object(o, path, {k::type, k::rand})) {
                return std::nullopt;
            }
            return checked(rand_builder{{}, hex(o, k::rand, path)}, path);
        }
        case payload_type::randr: {
            if (!object(o, path, {k::type, k::role, k::rand})) {
                return std::nullopt;
            }
            const auto role = enumv<rand_role>(o, k::role, path);
            return checked(randr_builder{role, hex(o, k::rand, path)}, path);
        }
        case payload_type::err: {
            if (!object(o, path, {k::type, k::error_no})) {
                return std::nullopt;
            }
            return checked(err_builder{enumv<error_no>(o, k::error_no, path)}, path);
        }
        case payload_type::tp:
        case payload_type::ticket:
            // RFC 6043 §6.10: TP Data, Ticket Data and Initiator Data hold plain payloads only.
            if (nested) {
                fail(errc::misplaced_payload, at(path, k::type), "TP / TICKET inside a nested payload list");
                return std::nullopt;
            }
            return type == payload_type::tp ? ticket<false>(o, path) : ticket<true>(o, path);
        case payload_type::key_data:
            // RFC 3830 §6.13: Key data lives only inside a KEMAC (its key_data list).
            fail(errc::misplaced_payload, at(path, k::type), "Key data outside a KEMAC's key_data");
            return std::nullopt;
        default:
            fail(errc::unknown_payload_type, at(path, k::type), "no payload of this type can be built");
            return std::nullopt;
    }
}

// ---------------------------------------------------------------------------
// Header and message.
// ---------------------------------------------------------------------------

generic_id_block encoder::generic_block(const json& o, const std::string& path) {
    generic_id_block b;
    if (!object(o, path, {k::cs_id, k::prot_type, k::s, k::policies, k::session_data, k::spi})) {
        return b;
    }
    b.cs_id = static_cast<std::uint8_t>(number(o, k::cs_id, path, 0xFF));
    b.prot = enumv<prot_type>(o, k::prot_type, path);
    b.s_flag = boolean(o, k::s, path, false);
    std::vector<std::uint8_t> policies;
    if (const json* list = get(o, k::policies); list != nullptr && !failed()) {
        if (!list->is_array()) {
            fail(errc::invalid_argument, at(path, k::policies), "expected a list of policy numbers");
        }
        for (std::size_t i = 0; i < list->size() && !failed(); ++i) {
            const auto n = number_of((*list)[i], at(at(path, k::policies), i), 0xFF);
            policies.push_back(static_cast<std::uint8_t>(n.value_or(0)));
        }
    }
    b.policies = keep(std::move(policies));
    b.spi = opt_hex(o, k::spi, path).value_or(bytes_view{});
    const json* sd = get(o, k::session_data);
    const std::string sdpath = at(path, k::session_data);
    if (sd == nullptr || sd->is_string()) {
        b.session_data = opt_hex(o, k::session_data, path).value_or(bytes_view{});
    } else if (object(*sd, sdpath, {k::ssrc, k::roc, k::seq})) {
        // RFC 6043 §6.1.1: SRTP Session Data is SSRC(32) [ROC(32) SEQ(16)].
        const auto ssrc = number(*sd, k::ssrc, sdpath, 0xFFFFFFFFu);
        const bool long_form = get(*sd, k::roc) != nullptr || get(*sd, k::seq) != nullptr;
        const auto roc = long_form ? number(*sd, k::roc, sdpath, 0xFFFFFFFFu) : 0;
        const auto seq = long_form ? number(*sd, k::seq, sdpath, 0xFFFF) : 0;
        b.session_data = write_exact(
            [&](byte_writer& w) {
                w.u32(ssrc);
                if (long_form) {
                    w.u32(roc);
                    w.u16(seq);
                }
            },
            sdpath);
    }
    return b;
}

std::optional<hdr_builder> encoder::header(const json& o, const std::string& path) {
    if (!object(o, path,
                {k::version, k::data_type, k::v, k::prf_func, k::csb_id, k::cs_count, k::cs_id_map_type, k::cs_id_map,
                 k::cs_id_map_info})) {
        return std::nullopt;
    }
    hdr_builder h;
    h.version = static_cast<std::uint8_t>(number(o, k::version, path, 0xFF, 1));
    h.data = enumv<data_type>(o, k::data_type, path);
    h.v_flag = boolean(o, k::v, path, false);
    h.prf = enumv<prf_func>(o, k::prf_func, path, prf_func::mikey_1);
    h.csb = csb_id{static_cast<std::uint32_t>(number(o, k::csb_id, path, 0xFFFFFFFFu))};
    const auto map_type = enumv<cs_id_map_type>(o, k::cs_id_map_type, path);
    const auto count = opt_number(o, k::cs_count, path, 0xFF);
    const json* map = get(o, k::cs_id_map);
    const std::string mpath = at(path, k::cs_id_map);
    if (failed()) {
        return std::nullopt;
    }
    if (const auto info = opt_hex(o, k::cs_id_map_info, path)) {
        if (map != nullptr) {
            fail(errc::invalid_argument, mpath, "give cs_id_map or cs_id_map_info, not both");
        }
        h.map = raw_map{map_type, static_cast<std::uint8_t>(count.value_or(0)), *info};
    } else if (map != nullptr && !map->is_array()) {
        fail(errc::invalid_argument, mpath, "expected a list");
    } else if (map_type == cs_id_map_type::empty) {
        if (map != nullptr && !map->empty()) {
            fail(errc::map_info_mismatch, mpath, "the Empty map has no entries");
        }
        h.map = empty_map{static_cast<std::uint8_t>(count.value_or(0))};
    } else if (map_type == cs_id_map_type::srtp_id || map_type == cs_id_map_type::generic_id) {
        const std::size_t n = map == nullptr ? 0 : map->size();
        if (count && *count != n) {
            fail(errc::map_info_mismatch, at(path, k::cs_count), "disagrees with the number of cs_id_map entries");
        }
        if (map_type == cs_id_map_type::srtp_id) {
            auto& entries = m_srtp.emplace_back();
            for (std::size_t i = 0; i < n && !failed(); ++i) {
                const json& e = (*map)[i];
                const std::string p = at(mpath, i);
                if (object(e, p, {k::policy_no, k::ssrc, k::roc})) {
                    entries.push_back({static_cast<std::uint8_t>(number(e, k::policy_no, p, 0xFF)),
                                       static_cast<std::uint32_t>(number(e, k::ssrc, p, 0xFFFFFFFFu)),
                                       static_cast<std::uint32_t>(number(e, k::roc, p, 0xFFFFFFFFu))});
                }
            }
            h.map = std::span<const srtp_id_entry>(entries);
        } else {
            auto& blocks = m_blocks.emplace_back();
            for (std::size_t i = 0; i < n && !failed(); ++i) {
                blocks.push_back(generic_block((*map)[i], at(mpath, i)));
            }
            h.map = std::span<const generic_id_block>(blocks);
        }
    } else {
        fail(errc::unknown_cs_id_map_type, at(path, k::cs_id_map_type),
             "a map type without a known layout needs cs_id_map_info (hex)");
    }
    if (failed()) {
        return std::nullopt;
    }
    byte_writer counter;
    h.write(counter);
    if (counter.failed()) {
        fail(counter.error(), path, "the header builder rejects these fields");
        return std::nullopt;
    }
    return h;
}

std::optional<bytes_view> encoder::message(const json& root) {
    if (!object(root, "", {k::header, k::payloads, k::schema})) {
        return std::nullopt;
    }
    const json* h = get(root, k::header);
    const json* p = get(root, k::payloads);
    if (h == nullptr || p == nullptr) {
        fail(errc::invalid_argument, h == nullptr ? k::header : k::payloads, "missing field");
        return std::nullopt;
    }
    const auto hdr = header(*h, k::header);
    const auto payloads = payload_list(*p, k::payloads, false);
    if (failed()) {
        return std::nullopt;
    }
    const auto build = [&](message_builder& b) {
        b.header(*hdr);
        for (const auto& x : payloads) {
            std::visit([&b](const auto& y) { b.add(y); }, x);
        }
    };
    message_builder counter;
    build(counter);
    std::vector<std::uint8_t> out(counter.size());
    message_builder b(out);
    build(b);
    const auto r = b.finish();
    if (!r) {
        fail(r.error(), k::payloads, "the message builder rejects the payload list (nothing may follow SIGN)");
        return std::nullopt;
    }
    return keep(std::move(out));
}

int usage_error(const char* what) {
    std::fprintf(stderr, "mikeyctl encode: %s\n%s", what, usage_text);
    return js::exit_usage;
}

}  // namespace

int mikeyctl::cmd_encode(args a) {
    bool check = true;
    std::optional<std::string_view> file;
    for (const auto arg : a) {
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage_text, stdout);
            return js::exit_ok;
        }
        if (arg == "--no-check") {
            check = false;
        } else if (arg.starts_with("-") && arg != "-") {
            return usage_error("unknown option");
        } else if (file) {
            return usage_error("more than one FILE");
        } else {
            file = arg;
        }
    }
    const auto text = js::read_input(file.value_or(std::string_view{}));
    if (!text) {
        return js::exit_usage;
    }
    json root;
    locating_parser sax(root, false);
    const bool parsed = json::sax_parse(*text, &sax);
    if (!parsed && sax.duplicate) {
        // RFC 8259 §4: "The names within an object SHOULD be unique"; a second
        // value would otherwise replace the first silently.
        std::fprintf(stderr, "error: %s at %s: duplicate key '%s' (give each field once)\n",
                     std::string(to_string(errc::invalid_argument)).c_str(), sax.duplicate->c_str(),
                     sax.duplicate_key.c_str());
        return js::exit_malformed;
    }
    if (!parsed || root.is_discarded()) {
        std::fprintf(stderr, "error: %s at byte %zu: not valid JSON\n",
                     std::string(to_string(errc::invalid_argument)).c_str(), sax.error_at);
        return js::exit_malformed;
    }
    encoder enc;
    const auto bytes = enc.message(root);
    if (!bytes) {
        enc.report();
        return js::exit_malformed;
    }
    if (check) {
        if (const auto m = message_view::parse(*bytes); !m) {
            std::fprintf(stderr,
                         "error: %s at byte %zu: the encoded message does not parse (--no-check prints it anyway)\n",
                         std::string(to_string(m.error())).c_str(), m.error_offset());
            return js::exit_malformed;
        }
    }
    const std::string hex = tools::to_hex(*bytes);
    std::fwrite(hex.data(), 1, hex.size(), stdout);
    std::fputc('\n', stdout);
    return js::exit_ok;
}

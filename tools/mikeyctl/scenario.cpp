// mikeyctl run / play: reading and checking a scenario (scenario.hpp).
#include "scenario.hpp"

#include <cstdio>
#include <initializer_list>
#include <set>

#include <mikey/ticket/policy.hpp>

#include "json_schema.hpp"

namespace mikeyctl::flow {

namespace {

using namespace mikey;
namespace js = mikeyctl::js;

// ---------------------------------------------------------------------------
// Strict JSON: the DOM parser, plus duplicate keys refused with their path.
// ---------------------------------------------------------------------------

class strict_parser {
public:
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    explicit strict_parser(json& root) : m_dom(root, false) {}

    bool null() { return value() && m_dom.null(); }
    bool boolean(bool v) { return value() && m_dom.boolean(v); }
    bool number_integer(number_integer_t v) { return value() && m_dom.number_integer(v); }
    bool number_unsigned(number_unsigned_t v) { return value() && m_dom.number_unsigned(v); }
    bool number_float(number_float_t v, const string_t& s) { return value() && m_dom.number_float(v, s); }
    bool string(string_t& v) { return value() && m_dom.string(v); }
    bool binary(binary_t& v) { return value() && m_dom.binary(v); }
    bool start_object(std::size_t n) {
        value();
        m_frames.push_back(frame{true, {}, {}, 0});
        return m_dom.start_object(n);
    }
    bool key(string_t& k) {
        auto& f = m_frames.back();
        f.key = k;
        if (!f.seen.insert(k).second) {
            duplicate = path();
            return false;
        }
        return m_dom.key(k);
    }
    bool end_object() {
        m_frames.pop_back();
        return m_dom.end_object();
    }
    bool start_array(std::size_t n) {
        value();
        m_frames.push_back(frame{false, {}, {}, 0});
        return m_dom.start_array(n);
    }
    bool end_array() {
        m_frames.pop_back();
        return m_dom.end_array();
    }
    template <class Exception>
    bool parse_error(std::size_t position, const std::string&, const Exception&) {
        error_at = position;
        return false;
    }

    std::size_t error_at = 0;
    std::optional<std::string> duplicate;  ///< path of a key given twice

private:
    struct frame {
        bool object;
        std::set<std::string> seen;
        std::string key;
        std::size_t index;  ///< array: values so far
    };
    bool value() {
        if (!m_frames.empty() && !m_frames.back().object) ++m_frames.back().index;
        return true;
    }
    [[nodiscard]] std::string path() const {
        std::string p;
        for (const auto& f : m_frames) {
            // Appended piece by piece: GCC 12 at -O3 flags "[" + std::to_string(...) with a false
            // -Wrestrict (GCC bug 105329), which -Werror makes a release build failure.
            if (f.object) {
                if (!p.empty()) p += '.';
                p += f.key;
            } else {
                p += '[';
                p += std::to_string(f.index - 1);
                p += ']';
            }
        }
        return p;
    }
    nlohmann::detail::json_sax_dom_parser<json> m_dom;
    std::vector<frame> m_frames;
};

// ---------------------------------------------------------------------------
// Time: RFC 3339 UTC of whole seconds <-> Unix seconds.
// ---------------------------------------------------------------------------

/// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
static_assert(days_from_civil(2026, 12, 2) * 86400 == 1796169600);

constexpr bool leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/// "YYYY-MM-DDTHH:MM:SSZ" ('t', 'z' and "+00:00" too) to Unix seconds.
std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
    const auto digits = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
        if (at + n > s.size()) return std::nullopt;
        unsigned v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
        }
        return v;
    };
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':') {
        return std::nullopt;
    }
    const auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
               se = digits(17, 2);
    const std::string_view zone = s.substr(19);
    if (!y || !mo || !d || !h || !mi || !se || (zone != "Z" && zone != "z" && zone != "+00:00")) return std::nullopt;
    static constexpr unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*mo < 1 || *mo > 12 || *d < 1 || *d > mdays[*mo - 1] + (*mo == 2 && leap(*y) ? 1 : 0) || *h > 23 ||
        *mi > 59 || *se > 59) {
        return std::nullopt;
    }
    return days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + *se;
}

/// Unix seconds of 1970 to 2104 (the NTP eras RFC 6043 §6.4 resolves).
constexpr std::int64_t latest_unix = days_from_civil(2104, 1, 1) * 86400;

std::string cut(std::string_view s) {
    return s.size() <= 64 ? std::string(s) : std::string(s.substr(0, 64)) + "...";
}

// ---------------------------------------------------------------------------
// Fields, with the first error kept (like encode's encoder).
// ---------------------------------------------------------------------------

namespace key {
inline constexpr char description[] = "description";
inline constexpr char mode[] = "mode";
inline constexpr char forking[] = "forking";
inline constexpr char prf[] = "prf";
inline constexpr char encr[] = "encr";
inline constexpr char mac[] = "mac";
inline constexpr char initiator[] = "initiator";
inline constexpr char responder[] = "responder";
inline constexpr char kms[] = "kms";
inline constexpr char psk_initiator[] = "psk_initiator";
inline constexpr char psk_responder[] = "psk_responder";
inline constexpr char tpk[] = "tpk";
inline constexpr char key_kind[] = "key_kind";
inline constexpr char key_length[] = "key_length";
inline constexpr char crypto_sessions[] = "crypto_sessions";
inline constexpr char cs_id[] = "cs_id";
inline constexpr char ssrc[] = "ssrc";
inline constexpr char policy[] = "policy";
inline constexpr char now[] = "now";
inline constexpr char clock_window[] = "clock_window";
inline constexpr char seed[] = "seed";
}  // namespace key

std::string at(const std::string& path, std::string_view k) {
    return path.empty() ? std::string(k) : path + "." + std::string(k);
}

class reader {
public:
    [[nodiscard]] bool failed() const noexcept { return m_failed; }
    void fail(errc code, std::string path, std::string what) {
        if (!m_failed) {
            m_failed = true;
            m_code = code;
            m_path = std::move(path);
            m_what = std::move(what);
        }
    }
    void report() const {
        std::fprintf(stderr, "error: %s at %s: %s\n", std::string(to_string(m_code)).c_str(),
                     m_path.empty() ? "top level" : m_path.c_str(), m_what.c_str());
    }

    static const json* get(const json& o, const char* k) {
        const auto it = o.find(k);
        return it == o.end() ? nullptr : &*it;
    }
    bool object(const json& o, const std::string& path, std::initializer_list<const char*> keys) {
        if (failed()) return false;
        if (!o.is_object()) {
            fail(errc::invalid_argument, path, "expected an object");
            return false;
        }
        for (const auto& [name, v] : o.items()) {
            bool known = false;
            for (const char* k : keys) known = known || name == k;
            if (!known) {
                fail(errc::invalid_argument, at(path, cut(name)), "unknown field");
                return false;
            }
        }
        return true;
    }
    /// Missing (and not required): nullopt without an error.
    std::optional<std::uint64_t> number(const json& o, const char* k, const std::string& path, std::uint64_t lo,
                                        std::uint64_t hi, bool required) {
        const json* j = get(o, k);
        if (failed()) return std::nullopt;
        if (j == nullptr) {
            if (required) fail(errc::invalid_argument, at(path, k), "missing field");
            return std::nullopt;
        }
        if (!j->is_number_unsigned() || j->get<std::uint64_t>() < lo || j->get<std::uint64_t>() > hi) {
            fail(errc::invalid_argument, at(path, k),
                 "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
            return std::nullopt;
        }
        return j->get<std::uint64_t>();
    }
    std::optional<bool> boolean(const json& o, const char* k) {
        const json* j = get(o, k);
        if (failed() || j == nullptr) return std::nullopt;
        if (!j->is_boolean()) {
            fail(errc::invalid_argument, k, "expected true or false");
            return std::nullopt;
        }
        return j->get<bool>();
    }
    std::optional<std::string> text(const json& o, const char* k, bool required) {
        const json* j = get(o, k);
        if (failed()) return std::nullopt;
        if (j == nullptr) {
            if (required) fail(errc::invalid_argument, k, "missing field");
            return std::nullopt;
        }
        if (!j->is_string()) {
            fail(errc::invalid_argument, k, "expected a string");
            return std::nullopt;
        }
        return j->get<std::string>();
    }
    /// An identity: 1 to 255 bytes of text (IDR ID Data).
    std::string identity(const json& o, const char* k) {
        auto s = text(o, k, true);
        if (s && (s->empty() || s->size() > 255)) fail(errc::invalid_argument, k, "expected 1 to 255 characters");
        return s.value_or(std::string{});
    }
    /// A long-term key: 16 to 64 bytes of hex (RFC 6043 §12.1: 128 bits or more).
    std::optional<std::vector<std::uint8_t>> secret(const json& o, const char* k, bool required,
                                                    const char* why_required) {
        const json* j = get(o, k);
        if (failed()) return std::nullopt;
        if (j == nullptr) {
            if (required) fail(errc::invalid_argument, k, std::string("missing field (") + why_required + ")");
            return std::nullopt;
        }
        if (!j->is_string()) {
            fail(errc::invalid_argument, k, "expected a hex string");
            return std::nullopt;
        }
        std::size_t bad = 0;
        auto b = tools::from_hex(j->get_ref<const std::string&>(), false, &bad);
        if (!b) {
            fail(errc::invalid_argument, k,
                 bad == j->get_ref<const std::string&>().size() ? "an odd number of hex digits"
                                                                : "not a hex digit at offset " + std::to_string(bad));
            return std::nullopt;
        }
        if (b->size() < 16) {
            fail(errc::key_too_short, k,
                 std::to_string(b->size()) + " bytes; at least 16 (RFC 6043 §12.1: 128 bits or more)");
            return std::nullopt;
        }
        if (b->size() > 64) {
            fail(errc::invalid_argument, k, std::to_string(b->size()) + " bytes; at most 64");
            return std::nullopt;
        }
        return b;
    }
    template <class E>
    std::optional<E> name(const json& o, const char* k) {
        const auto s = text(o, k, false);
        if (!s) return std::nullopt;
        const auto v = from_name<E>(*s);
        if (!v) fail(js::unknown_value_errc<E>(), k, "unknown name '" + cut(*s) + "'");
        return v;
    }

private:
    bool m_failed = false;
    errc m_code = errc::ok;
    std::string m_path;
    std::string m_what;
};

/// The default Ticket Policy of a mode (notes/mikeyctl.md): the KMS
/// generates the ticket in modes 1, 2 (D), the Initiator in 3, 4 (L);
/// TRANSFER_RESP with RANDRr and RANDRi used (F G H); a plain RFC 6043
/// Responder can process it (O); forking adds I and E (I implies E).
std::string_view default_letters(int mode, bool forking) noexcept {
    if (mode <= 2) return forking ? "DEFGHIO" : "DFGHO";
    return forking ? "EFGHILO" : "FGHLO";
}

std::optional<scenario> check(const json& root) {
    reader r;
    scenario s;
    using namespace key;
    if (!r.object(root, "",
                  {description, mode, forking, prf, encr, mac, initiator, responder, kms, psk_initiator, psk_responder,
                   tpk, key_kind, key_length, crypto_sessions, policy, now, clock_window, seed})) {
        r.report();
        return std::nullopt;
    }
    s.description = r.text(root, description, false);
    s.mode = static_cast<int>(r.number(root, mode, "", 1, 4, true).value_or(1));
    const auto fork = r.boolean(root, forking);
    s.prf = r.name<prf_func>(root, prf).value_or(s.prf);
    s.encr = r.name<encr_alg>(root, encr).value_or(s.encr);
    if (s.encr == encr_alg::aes_kw_128) {
        // RFC 3394 wraps multiples of 8 bytes and RFC 3830 defines no padding for a Key data
        // chain (notes/crypto.md): the role machines' KEMACs use AES-CM or NULL.
        r.fail(errc::invalid_argument, key::encr,
               "AES-KW-128 is not offered for RFC 6043 KEMACs (RFC 3830 defines no padding for Key data chains)");
    }
    s.mac = r.name<mac_alg>(root, mac).value_or(s.mac);
    s.initiator = r.identity(root, initiator);
    s.responder = r.identity(root, responder);
    s.kms = r.identity(root, kms);
    // RFC 6043 §4.1.1: who holds which key in each mode.
    s.psk_initiator = r.secret(root, psk_initiator, s.mode <= 2, "modes 1 and 2: the Initiator's Ticket Request");
    s.psk_responder = r.secret(root, psk_responder, s.mode == 1 || s.mode == 3, "modes 1 and 3: the Ticket Resolve");
    s.tpk = r.secret(root, tpk, true, "every mode protects its ticket with a TPK").value_or(std::vector<std::uint8_t>{});
    if (const auto kind = r.name<key_data_type>(root, key_kind)) {
        if (*kind == key_data_type::mpk || *kind == key_data_type::k_pr) {
            r.fail(errc::invalid_argument, key_kind, "not a session key: TEK, TGK or GTGK (optionally +SALT)");
        }
        s.key_kind = *kind;
    }
    s.key_length = r.number(root, key_length, "", 16, 32, false).value_or(s.prf == prf_func::mikey_1 ? 16 : 32);

    const json* cs = reader::get(root, crypto_sessions);
    if (!r.failed()) {
        if (cs == nullptr) {
            r.fail(errc::invalid_argument, crypto_sessions, "missing field");
        } else if (!cs->is_array() || cs->empty() || cs->size() > max_sessions) {
            r.fail(errc::invalid_argument, crypto_sessions,
                   "expected a list of 1 to " + std::to_string(max_sessions) + " {cs_id, ssrc} objects");
        }
    }
    for (std::size_t i = 0; !r.failed() && i < cs->size(); ++i) {
        const std::string p = std::string(crypto_sessions) + "[" + std::to_string(i) + "]";
        if (!r.object((*cs)[i], p, {cs_id, ssrc})) break;
        session_spec one;
        one.cs_id = static_cast<std::uint8_t>(r.number((*cs)[i], cs_id, p, 0, 255, true).value_or(0));
        one.ssrc = static_cast<std::uint32_t>(r.number((*cs)[i], ssrc, p, 0, 0xFFFFFFFFu, true).value_or(0));
        for (const auto& other : s.sessions) {
            if (!r.failed() && other.cs_id == one.cs_id) r.fail(errc::invalid_argument, at(p, cs_id), "used twice");
        }
        s.sessions.push_back(one);
    }

    const auto letters = r.text(root, policy, false);
    if (!r.failed() && letters) {
        const auto f = ticket::flags_from_letters(*letters);
        if (!f) {
            r.fail(errc::invalid_argument, policy,
                   "'" + cut(letters->substr(f.error_offset(), 1)) + "' at offset " + std::to_string(f.error_offset()) +
                       " names no flag or repeats one (letters D to O, each at most once)");
        } else {
            s.flags = *f;
        }
        if (!r.failed() && fork && *fork != s.flags.i) {
            r.fail(errc::invalid_argument, forking, "disagrees with the I flag of policy");
        }
        s.forking = s.flags.i;
    } else {
        s.forking = fork.value_or(false);
        if (!r.failed()) s.flags = *ticket::flags_from_letters(default_letters(s.mode, s.forking));
    }
    if (!r.failed() && s.forking && (s.mode == 2 || s.mode == 4)) {
        r.fail(errc::invalid_argument, letters ? policy : forking,
               "key forking (I) needs the Resolve exchange (I implies E): modes 1 and 3 only");
    }
    if (!r.failed() && s.flags.e && (s.mode == 2 || s.mode == 4)) {
        r.fail(errc::invalid_argument, policy,
               "E makes the Resolve exchange mandatory; in modes 2 and 4 the Responder resolves the ticket itself");
    }
    if (!r.failed() && s.flags.d && s.mode >= 3) {
        r.fail(errc::invalid_argument, policy,
               "D says the KMS generated the ticket; in modes 3 and 4 the Initiator generates it (D = 0)");
    }

    if (const json* t = reader::get(root, now); t != nullptr && !r.failed()) {
        std::optional<std::int64_t> unix_s;
        if (t->is_string()) {
            unix_s = parse_rfc3339(t->get_ref<const std::string&>());
        } else if (t->is_number_unsigned() && t->get<std::uint64_t>() < static_cast<std::uint64_t>(latest_unix)) {
            unix_s = static_cast<std::int64_t>(t->get<std::uint64_t>());
        }
        if (!unix_s || *unix_s < 0 || *unix_s >= latest_unix) {
            r.fail(errc::invalid_argument, now,
                   "expected RFC 3339 UTC of whole seconds (\"2026-12-02T10:00:00Z\") or Unix seconds, 1970 to 2103");
        } else {
            s.now = ntp_time::from_unix(*unix_s);
        }
    }
    s.clock_window = std::chrono::seconds(r.number(root, clock_window, "", 0, 0x7FFFFFFF, false).value_or(300));
    s.seed = r.number(root, seed, "", 0, ~std::uint64_t{0}, false);
    if (r.failed()) {
        r.report();
        return std::nullopt;
    }
    return s;
}

}  // namespace

// ---------------------------------------------------------------------------

std::string_view role_name(role r) noexcept {
    switch (r) {
        case role::initiator: return "initiator";
        case role::responder: return "responder";
        case role::kms: return "kms";
    }
    return "?";
}

std::optional<role> role_from_name(std::string_view s) noexcept {
    for (const role r : {role::initiator, role::responder, role::kms}) {
        if (role_name(r) == s) return r;
    }
    return std::nullopt;
}

std::string rfc3339(ntp_time t) {
    std::int64_t secs = t.unix_seconds();
    std::int64_t z = secs / 86400 + 719468;
    const std::int64_t sod = secs % 86400;
    // H. Hinnant's civil_from_days.
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                  static_cast<long long>(sod % 60));
    return buf;
}

json scenario::echo() const {
    json j = json::object();
    if (description) j[key::description] = *description;
    j[key::mode] = mode;
    j[key::forking] = forking;
    j[key::prf] = std::string(name_of(prf));
    j[key::encr] = std::string(name_of(encr));
    j[key::mac] = std::string(name_of(mac));
    j[key::initiator] = initiator;
    j[key::responder] = responder;
    j[key::kms] = kms;
    if (psk_initiator) j[key::psk_initiator] = tools::to_hex(*psk_initiator);
    if (psk_responder) j[key::psk_responder] = tools::to_hex(*psk_responder);
    j[key::tpk] = tools::to_hex(tpk);
    j[key::key_kind] = std::string(name_of(key_kind));
    j[key::key_length] = key_length;
    j[key::crypto_sessions] = tools::json_array(sessions, [](const session_spec& c) {
        json e = json::object();
        e[key::cs_id] = c.cs_id;
        e[key::ssrc] = c.ssrc;
        return e;
    });
    j[key::policy] = std::string(ticket::to_letters(flags).view());
    if (now) j[key::now] = rfc3339(*now);
    j[key::clock_window] = clock_window.count();
    if (seed) j[key::seed] = *seed;
    return j;
}

ntp_time scenario::time() const { return now ? *now : ntp_time::from(std::chrono::system_clock::now()); }

std::optional<scenario> parse_scenario(std::string_view text) {
    json root;
    strict_parser sax(root);
    if (!json::sax_parse(text, &sax) || root.is_discarded()) {
        if (sax.duplicate) {
            std::fprintf(stderr, "error: %s at %s: duplicate key\n", std::string(to_string(errc::invalid_argument)).c_str(),
                         sax.duplicate->c_str());
        } else {
            std::fprintf(stderr, "error: %s at byte %zu: not valid JSON\n",
                         std::string(to_string(errc::invalid_argument)).c_str(), sax.error_at);
        }
        return std::nullopt;
    }
    return check(root);
}

}  // namespace mikeyctl::flow

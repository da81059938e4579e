// Interop checks: what the library's views say about a message, as JSON.
//
// One object per message: {"hdr": {...}, "payloads": [{...}, ...]}. Field
// names are the ones tests/interop/*.py compare against Wireshark and
// GStreamer (see notes/interop.md); byte fields are lower-case hex,
// numbers are numbers. Only the library's views produce these values: this
// file reads no byte of the message itself.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <mikey/mikey.hpp>

namespace interop {

inline std::string hex(mikey::bytes_view b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(2 * b.size());
    for (const auto x : b) {
        s += digits[x >> 4];
        s += digits[x & 0x0F];
    }
    return s;
}

inline bool unhex(std::string_view s, std::vector<std::uint8_t>& out) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    };
    if (s.size() % 2 != 0) {
        return false;
    }
    out.clear();
    for (std::size_t i = 0; i < s.size(); i += 2) {
        const int hi = nibble(s[i]);
        const int lo = nibble(s[i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return true;
}

/// A minimal JSON object writer (keys are plain identifiers, strings are hex
/// or names, so no escaping beyond quotes is needed).
class object {
public:
    object& num(std::string_view k, std::uint64_t v) { return raw(k, std::to_string(v)); }
    object& str(std::string_view k, std::string_view v) {
        std::string q;
        q.reserve(v.size() + 2);
        q += '"';
        for (const char c : v) {
            if (c == '"' || c == '\\') {
                q += '\\';
            }
            q += c;
        }
        q += '"';
        return raw(k, q);
    }
    object& bytes(std::string_view k, mikey::bytes_view v) { return str(k, hex(v)); }
    object& raw(std::string_view k, std::string_view json) {
        m_s += m_s.empty() ? "{" : ", ";
        m_s += '"';
        m_s += k;
        m_s += "\": ";
        m_s += json;
        return *this;
    }
    [[nodiscard]] std::string done() const { return m_s.empty() ? "{}" : m_s + "}"; }

private:
    std::string m_s;
};

inline std::string array(const std::vector<std::string>& items) {
    std::string s = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        s += i == 0 ? "" : ", ";
        s += items[i];
    }
    return s + "]";
}

template <class E>
std::uint64_t u(E e) {
    return static_cast<std::uint64_t>(e);
}

inline void kv_fields(object& o, const mikey::kv_data& kv) {
    o.num("kv", u(kv.kind));
    if (kv.kind == mikey::kv_type::spi) {
        o.num("spi_len", kv.spi.size()).bytes("spi", kv.spi);
    } else if (kv.kind == mikey::kv_type::interval) {
        o.num("vf_len", kv.valid_from.size()).bytes("vf", kv.valid_from);
        o.num("vt_len", kv.valid_to.size()).bytes("vt", kv.valid_to);
    }
}

inline std::string key_data_json(const mikey::key_data_view& k) {
    object o;
    o.num("type", u(mikey::payload_type::key_data)).num("next_payload", u(k.next()));
    o.num("key_type", u(k.kind())).num("key_len", k.key().size()).bytes("key", k.key());
    if (mikey::has_salt(k.kind())) {
        o.num("salt_len", k.salt().size()).bytes("salt", k.salt());
    }
    kv_fields(o, k.validity());
    return o.done();
}

inline std::string payload_json(const mikey::chain_entry& e);

/// The payloads of a First-Payload chain (TP Data, Initiator Data).
template <class Range>
std::string chain_json(const Range& r) {
    std::vector<std::string> items;
    for (const auto& e : r) {
        items.push_back(payload_json(e));
    }
    return array(items);
}

template <class V>
void ticket_common(object& o, const V& t) {
    const auto p = t.policy();
    const auto& f = p.flags;
    o.num("ticket_type", u(p.kind)).num("subtype", p.subtype).num("ticket_version", p.version).num("prf_func", u(p.prf));
    const bool bits[] = {f.d, f.e, f.f, f.g, f.h, f.i, f.j, f.k, f.l, f.m, f.n, f.o};
    std::string flags;
    for (std::size_t i = 0; i < 12; ++i) {
        if (bits[i]) {
            flags += static_cast<char>('D' + i);
        }
    }
    o.str("flags", flags).num("tp_data_len", t.tp_data().size()).raw("tp_data", chain_json(t.tp_payloads()));
}

inline std::string payload_json(const mikey::chain_entry& e) {
    using namespace mikey;
    object o;
    o.num("type", u(e.type)).num("offset", e.offset).num("size", e.bytes.size());
    switch (e.type) {
        case payload_type::kemac: {
            const auto k = e.as<kemac_view>();
            o.num("next_payload", u(k.next())).num("encr_alg", u(k.encryption()));
            o.num("encr_data_len", k.encrypted_data().size()).bytes("encr_data", k.encrypted_data());
            o.num("mac_alg", u(k.mac_algorithm())).bytes("mac", k.mac());
            if (k.encryption() == encr_alg::null) {
                // NULL encryption: the sub-payloads are in clear (RFC 3830 §4.2.3).
                const auto list = key_data_list::parse(k.encrypted_data());
                if (list) {
                    std::vector<std::string> keys;
                    for (const auto& kd : *list) {
                        keys.push_back(key_data_json(kd));
                    }
                    o.raw("key_data", array(keys));
                } else {
                    o.str("key_data_error", to_string(list.error()));
                }
            }
            break;
        }
        case payload_type::pke: {
            const auto p = e.as<pke_view>();
            o.num("next_payload", u(p.next())).num("c", u(p.cache())).num("data_len", p.data().size());
            o.bytes("data", p.data());
            break;
        }
        case payload_type::dh: {
            const auto d = e.as<dh_view>();
            o.num("next_payload", u(d.next())).num("dh_group", u(d.group())).bytes("dh_value", d.value());
            kv_fields(o, d.validity());
            break;
        }
        case payload_type::sign: {
            const auto s = e.as<sign_view>();
            o.num("s_type", u(s.kind())).num("sign_len", s.signature().size()).bytes("signature", s.signature());
            break;
        }
        case payload_type::t: {
            const auto t = e.as<t_view>();
            o.num("next_payload", u(t.next())).num("ts_type", u(t.kind())).bytes("ts_value", t.value());
            break;
        }
        case payload_type::tr: {
            const auto t = e.as<tr_view>();
            o.num("next_payload", u(t.next())).num("ts_role", u(t.role())).num("ts_type", u(t.kind()));
            o.bytes("ts_value", t.value());
            break;
        }
        case payload_type::id: {
            const auto v = e.as<id_view>();
            o.num("next_payload", u(v.next())).num("id_type", u(v.kind())).num("id_len", v.data().size());
            o.bytes("id_data", v.data());
            break;
        }
        case payload_type::idr: {
            const auto v = e.as<idr_view>();
            o.num("next_payload", u(v.next())).num("id_role", u(v.role())).num("id_type", u(v.kind()));
            o.num("id_len", v.data().size()).bytes("id_data", v.data());
            break;
        }
        case payload_type::cert: {
            const auto v = e.as<cert_view>();
            o.num("next_payload", u(v.next())).num("cert_type", u(v.kind())).num("cert_len", v.data().size());
            o.bytes("cert", v.data());
            break;
        }
        case payload_type::chash: {
            const auto v = e.as<chash_view>();
            o.num("next_payload", u(v.next())).num("hash_func", u(v.kind())).bytes("hash", v.value());
            break;
        }
        case payload_type::v: {
            const auto v = e.as<v_view>();
            o.num("next_payload", u(v.next())).num("auth_alg", u(v.kind())).bytes("ver_data", v.value());
            break;
        }
        case payload_type::sp: {
            const auto s = e.as<sp_view>();
            o.num("next_payload", u(s.next())).num("policy_no", s.policy_no()).num("prot_type", u(s.protocol()));
            o.num("param_len", s.param_bytes().size());
            std::vector<std::string> params;
            for (const auto& p : s.params()) {
                params.push_back(object{}.num("type", p.kind).num("len", p.value.size()).bytes("value", p.value).done());
            }
            o.raw("params", array(params));
            break;
        }
        case payload_type::rand: {
            const auto r = e.as<rand_view>();
            o.num("next_payload", u(r.next())).num("rand_len", r.value().size()).bytes("rand", r.value());
            break;
        }
        case payload_type::randr: {
            const auto r = e.as<randr_view>();
            o.num("next_payload", u(r.next())).num("rand_role", u(r.role())).num("rand_len", r.value().size());
            o.bytes("rand", r.value());
            break;
        }
        case payload_type::err: {
            const auto r = e.as<err_view>();
            o.num("next_payload", u(r.next())).num("error_no", u(r.code()));
            break;
        }
        case payload_type::general_extension: {
            const auto x = e.as<general_extension_view>();
            o.num("next_payload", u(x.next())).num("ext_type", u(x.kind())).num("ext_len", x.data().size());
            o.bytes("ext_data", x.data());
            break;
        }
        case payload_type::tp: {
            const auto t = e.as<tp_view>();
            o.num("next_payload", u(t.next()));
            ticket_common(o, t);
            break;
        }
        case payload_type::ticket: {
            const auto t = e.as<ticket_view>();
            o.num("next_payload", u(t.next()));
            ticket_common(o, t);
            o.num("ticket_data_len", t.ticket_data().size());
            if (const auto bt = t.base_ticket()) {
                o.str("thdr_data", hex(bt->thdr().data())).raw("ticket_data", chain_json(bt->payloads()));
            } else {
                o.bytes("ticket_data", t.ticket_data());
            }
            o.num("initiator_data_len", t.initiator_data().size()).raw("initiator_data", chain_json(t.initiator_payloads()));
            break;
        }
        default: break;
    }
    return o.done();
}

inline std::string hdr_json(const mikey::hdr_view& h) {
    using namespace mikey;
    object o;
    o.num("version", h.version()).num("data_type", u(h.type())).num("next_payload", u(h.next()));
    o.num("v", h.v_flag() ? 1 : 0).num("prf_func", u(h.prf())).num("csb_id", h.csb().get());
    o.num("cs_count", h.cs_count()).num("cs_id_map_type", u(h.map_type()));
    if (h.map_type() == cs_id_map_type::srtp_id) {
        std::vector<std::string> entries;
        for (std::size_t i = 0; i < h.cs_count(); ++i) {
            const auto s = h.srtp_id(i);
            entries.push_back(object{}.num("policy_no", s.policy_no).num("ssrc", s.ssrc).num("roc", s.roc).done());
        }
        o.raw("srtp_id", array(entries));
    } else if (h.map_type() == cs_id_map_type::generic_id) {
        std::vector<std::string> blocks;
        for (const auto b : h.generic_id()) {
            blocks.push_back(object{}
                                 .num("cs_id", b.cs_id)
                                 .num("prot_type", u(b.prot))
                                 .num("s", b.s_flag ? 1 : 0)
                                 .bytes("policies", b.policies)
                                 .bytes("session_data", b.session_data)
                                 .bytes("spi", b.spi)
                                 .done());
        }
        o.raw("generic_id", array(blocks));
    }
    return o.done();
}

/// The whole message as the library sees it, or {"error": ..., "offset": ...}.
inline std::string message_json(mikey::bytes_view wire) {
    const auto m = mikey::message_view::parse(wire);
    if (!m) {
        return object{}.str("error", to_string(m.error())).num("offset", m.error_offset()).done();
    }
    std::vector<std::string> payloads;
    for (const auto& e : m->payloads()) {
        payloads.push_back(payload_json(e));
    }
    object o;
    o.raw("hdr", hdr_json(m->header())).raw("payloads", array(payloads));
    if (const auto* s = mikey::schema_for(m->type())) {
        const auto ok = mikey::check_schema(*m, *s);
        o.str("schema", ok ? "ok" : to_string(ok.error()));
    }
    return o.done();
}

}  // namespace interop

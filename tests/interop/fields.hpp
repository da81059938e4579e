// Interop checks: what the library's views say about a message, as JSON.
//
// One object per message: {"hdr": {...}, "payloads": [{...}, ...]}. Field
// names are the ones tests/interop/*.py compare against Wireshark and
// GStreamer (see notes/interop.md); byte fields are lower-case hex,
// numbers are numbers. Only the library's views produce these values: this
// file reads no byte of the message itself.
#pragma once

#include <cstdint>
#include <string>

#include <mikey/mikey.hpp>

#include "../../tools/common/json.hpp"

namespace interop {

using tools::json;

template <class E>
std::uint64_t u(E e) {
    return static_cast<std::uint64_t>(e);
}

inline void kv_fields(json& o, const mikey::kv_data& kv) {
    o["kv"] = u(kv.kind);
    if (kv.kind == mikey::kv_type::spi) {
        o["spi_len"] = kv.spi.size();
        o["spi"] = tools::to_hex(kv.spi);
    } else if (kv.kind == mikey::kv_type::interval) {
        o["vf_len"] = kv.valid_from.size();
        o["vf"] = tools::to_hex(kv.valid_from);
        o["vt_len"] = kv.valid_to.size();
        o["vt"] = tools::to_hex(kv.valid_to);
    }
}

inline json key_data_json(const mikey::key_data_view& k) {
    json o;
    o["type"] = u(mikey::payload_type::key_data);
    o["next_payload"] = u(k.next());
    o["key_type"] = u(k.kind());
    o["key_len"] = k.key().size();
    o["key"] = tools::to_hex(k.key());
    if (mikey::has_salt(k.kind())) {
        o["salt_len"] = k.salt().size();
        o["salt"] = tools::to_hex(k.salt());
    }
    kv_fields(o, k.validity());
    return o;
}

inline json payload_json(const mikey::chain_entry& e);

/// The payloads of a First-Payload chain (TP Data, Initiator Data).
template <class Range>
json chain_json(const Range& r) {
    return tools::json_array(r, payload_json);
}

template <class V>
void ticket_common(json& o, const V& t) {
    const auto p = t.policy();
    o["ticket_type"] = u(p.kind);
    o["subtype"] = p.subtype;
    o["ticket_version"] = p.version;
    o["prf_func"] = u(p.prf);
    std::string flags;  // the letters of the flags that are set, upper case
    for (const auto& f : tools::ticket_flag_fields) {
        if (p.flags.*f.member) {
            flags += static_cast<char>(f.letter[0] - 'a' + 'A');
        }
    }
    o["flags"] = flags;
    o["tp_data_len"] = t.tp_data().size();
    o["tp_data"] = chain_json(t.tp_payloads());
}

inline json payload_json(const mikey::chain_entry& e) {
    using namespace mikey;
    using tools::to_hex;
    json o;
    o["type"] = u(e.type);
    o["offset"] = e.offset;
    o["size"] = e.bytes.size();
    visit_payload(e, overloaded{
        [&](const kemac_view& k) {
            o["next_payload"] = u(k.next());
            o["encr_alg"] = u(k.encryption());
            o["encr_data_len"] = k.encrypted_data().size();
            o["encr_data"] = to_hex(k.encrypted_data());
            o["mac_alg"] = u(k.mac_algorithm());
            o["mac"] = to_hex(k.mac());
            if (k.encryption() == encr_alg::null) {
                // NULL encryption: the sub-payloads are in clear (RFC 3830 §4.2.3).
                const auto list = key_data_list::parse(k.encrypted_data());
                if (list) {
                    o["key_data"] = tools::json_array(*list, key_data_json);
                } else {
                    o["key_data_error"] = std::string(to_string(list.error()));
                }
            }
        },
        [&](const pke_view& p) {
            o["next_payload"] = u(p.next());
            o["c"] = u(p.cache());
            o["data_len"] = p.data().size();
            o["data"] = to_hex(p.data());
        },
        [&](const dh_view& d) {
            o["next_payload"] = u(d.next());
            o["dh_group"] = u(d.group());
            o["dh_value"] = to_hex(d.value());
            kv_fields(o, d.validity());
        },
        [&](const sign_view& s) {
            o["s_type"] = u(s.kind());
            o["sign_len"] = s.signature().size();
            o["signature"] = to_hex(s.signature());
        },
        [&](const t_view& t) {
            o["next_payload"] = u(t.next());
            o["ts_type"] = u(t.kind());
            o["ts_value"] = to_hex(t.value());
        },
        [&](const tr_view& t) {
            o["next_payload"] = u(t.next());
            o["ts_role"] = u(t.role());
            o["ts_type"] = u(t.kind());
            o["ts_value"] = to_hex(t.value());
        },
        [&](const id_view& v) {
            o["next_payload"] = u(v.next());
            o["id_type"] = u(v.kind());
            o["id_len"] = v.data().size();
            o["id_data"] = to_hex(v.data());
        },
        [&](const idr_view& v) {
            o["next_payload"] = u(v.next());
            o["id_role"] = u(v.role());
            o["id_type"] = u(v.kind());
            o["id_len"] = v.data().size();
            o["id_data"] = to_hex(v.data());
        },
        [&](const cert_view& v) {
            o["next_payload"] = u(v.next());
            o["cert_type"] = u(v.kind());
            o["cert_len"] = v.data().size();
            o["cert"] = to_hex(v.data());
        },
        [&](const chash_view& v) {
            o["next_payload"] = u(v.next());
            o["hash_func"] = u(v.kind());
            o["hash"] = to_hex(v.value());
        },
        [&](const v_view& v) {
            o["next_payload"] = u(v.next());
            o["auth_alg"] = u(v.kind());
            o["ver_data"] = to_hex(v.value());
        },
        [&](const sp_view& s) {
            o["next_payload"] = u(s.next());
            o["policy_no"] = s.policy_no();
            o["prot_type"] = u(s.protocol());
            o["param_len"] = s.param_bytes().size();
            o["params"] = tools::json_array(s.params(), [](const auto& p) {
                json x;
                x["type"] = p.kind;
                x["len"] = p.value.size();
                x["value"] = to_hex(p.value);
                return x;
            });
        },
        [&](const rand_view& r) {
            o["next_payload"] = u(r.next());
            o["rand_len"] = r.value().size();
            o["rand"] = to_hex(r.value());
        },
        [&](const randr_view& r) {
            o["next_payload"] = u(r.next());
            o["rand_role"] = u(r.role());
            o["rand_len"] = r.value().size();
            o["rand"] = to_hex(r.value());
        },
        [&](const err_view& r) {
            o["next_payload"] = u(r.next());
            o["error_no"] = u(r.code());
        },
        [&](const general_extension_view& x) {
            o["next_payload"] = u(x.next());
            o["ext_type"] = u(x.kind());
            o["ext_len"] = x.data().size();
            o["ext_data"] = to_hex(x.data());
        },
        [&](const tp_view& t) {
            o["next_payload"] = u(t.next());
            ticket_common(o, t);
        },
        [&](const ticket_view& t) {
            o["next_payload"] = u(t.next());
            ticket_common(o, t);
            o["ticket_data_len"] = t.ticket_data().size();
            if (const auto bt = t.base_ticket()) {
                o["thdr_data"] = to_hex(bt->thdr().data());
                o["ticket_data"] = chain_json(bt->payloads());
            } else {
                o["ticket_data"] = to_hex(t.ticket_data());
            }
            o["initiator_data_len"] = t.initiator_data().size();
            o["initiator_data"] = chain_json(t.initiator_payloads());
        },
    });
    return o;
}

inline json hdr_json(const mikey::hdr_view& h) {
    using namespace mikey;
    json o;
    o["version"] = h.version();
    o["data_type"] = u(h.type());
    o["next_payload"] = u(h.next());
    o["v"] = h.v_flag() ? 1 : 0;
    o["prf_func"] = u(h.prf());
    o["csb_id"] = h.csb().get();
    o["cs_count"] = h.cs_count();
    o["cs_id_map_type"] = u(h.map_type());
    if (h.map_type() == cs_id_map_type::srtp_id) {
        json entries = json::array();
        for (std::size_t i = 0; i < h.cs_count(); ++i) {
            const auto s = h.srtp_id(i);
            json x;
            x["policy_no"] = s.policy_no;
            x["ssrc"] = s.ssrc;
            x["roc"] = s.roc;
            entries.push_back(std::move(x));
        }
        o["srtp_id"] = std::move(entries);
    } else if (h.map_type() == cs_id_map_type::generic_id) {
        o["generic_id"] = tools::json_array(h.generic_id(), [](const auto& b) {
            json x;
            x["cs_id"] = b.cs_id;
            x["prot_type"] = u(b.prot);
            x["s"] = b.s_flag ? 1 : 0;
            x["policies"] = tools::to_hex(b.policies);
            x["session_data"] = tools::to_hex(b.session_data);
            x["spi"] = tools::to_hex(b.spi);
            return x;
        });
    }
    return o;
}

/// The whole message as the library sees it, or {"error": ..., "offset": ...}.
inline json message_json(mikey::bytes_view wire) {
    json o;
    const auto m = mikey::message_view::parse(wire);
    if (!m) {
        o["error"] = std::string(to_string(m.error()));
        o["offset"] = m.error_offset();
        return o;
    }
    o["hdr"] = hdr_json(m->header());
    o["payloads"] = tools::json_array(m->payloads(), payload_json);
    if (const auto* s = mikey::schema_for(m->type())) {
        const auto ok = mikey::check_schema(*m, *s);
        o["schema"] = ok ? std::string("ok") : std::string(to_string(ok.error()));
    }
    return o;
}

}  // namespace interop

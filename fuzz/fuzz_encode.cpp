// fuzz_encode: builders against parsers.
//
// The input is a sequence of choices (provider.hpp) that drives the builders:
// a header with any of the three CS ID maps, then up to 12 payloads of any
// type with random field values and lengths, TP / TICKET with nested TP Data,
// base-ticket Ticket Data and Initiator Data chains, KEMACs whose Encr data is
// a Key data chain (with or without a leading ID), Key ID extensions, SP
// parameter lists. Then:
//
//   - the counting run and the writing run of message_builder agree;
//   - a build failure is one of the builder errors (invalid_argument,
//     field_too_long, a Ticket Policy flag rule), never buffer_too_small;
//   - the built message parses, or fails only with an error code of a rule
//     the builders do not enforce AND that this input's choices broke (the
//     `allowed` set below: an unassigned name-space value was chosen, a TP
//     with TP Data that may lack IDRr, an SP with the Empty map, ...);
//   - a message that parses goes through check_message() (every view, write
//     back equal to the bytes) and has the payloads that were added, in order;
//   - a Key data chain or Key ID list the builders wrote parses back.
//
// Corpus: fuzz/corpus/encode/ (fixed patterns from seed_corpus, then what
// fuzzing found).
#include <bitset>
#include <cstdio>
#include <deque>
#include <iterator>
#include <string>
#include <variant>
#include <vector>

#include "check_message.hpp"
#include "provider.hpp"

namespace {

using namespace mikey_fuzz;

using any_builder =
    std::variant<kemac_builder, pke_builder, dh_builder, sign_builder, t_builder, id_builder, cert_builder,
                 chash_builder, v_builder, sp_builder, rand_builder, err_builder, tr_builder, idr_builder,
                 randr_builder, tp_builder, ticket_builder, key_data_builder, general_extension_builder>;

constexpr payload_type kinds[] = {
    payload_type::kemac, payload_type::pke,   payload_type::dh,     payload_type::sign,  payload_type::t,
    payload_type::id,    payload_type::cert,  payload_type::chash,  payload_type::v,     payload_type::sp,
    payload_type::rand,  payload_type::err,   payload_type::tr,     payload_type::idr,   payload_type::randr,
    payload_type::tp,    payload_type::ticket, payload_type::key_data, payload_type::general_extension,
};

using code_set = std::bitset<256>;
constexpr std::size_t idx(errc e) { return static_cast<std::size_t>(e); }

/// The builder errors a build may fail with (the caller's own mistakes).
bool builder_error(errc e) {
    switch (e) {
        case errc::invalid_argument:
        case errc::field_too_long:
        case errc::flag_l_required_without_d:
        case errc::flag_f_required_by_g:
        case errc::flag_g_or_h_required:
        case errc::flag_e_required_by_i:
        case errc::flag_d_required_by_k:
        case errc::flag_f_required_by_m: return true;
        default: return false;
    }
}

enum class place : std::uint8_t { message, nested };

struct session {
    explicit session(bytes_view in) : p(in) {}
    provider p;
    /// Parse errors the choices made so far may cause: rules the builders do
    /// not enforce, each added where a choice breaks (or may break) it.
    code_set allowed;
    bool empty_map = false;
    std::deque<buffer> store;
    std::deque<std::vector<sp_param>> sp_lists;
    std::deque<std::vector<srtp_id_entry>> srtp_lists;
    std::deque<std::vector<generic_id_block>> block_lists;
    std::deque<std::vector<key_id_entry>> key_id_lists;

    void allow(errc e) { allowed.set(idx(e)); }
};

/// A value of name space E: mostly a registered one, sometimes any raw value
/// (then `unknown`, the parser's error for an unassigned value, is allowed).
template <class E>
E pick(session& s, errc unknown) {
    const auto k = s.p.u8();
    const auto& entries = registry<E>::entries;
    if (k < 0xF0) {
        return entries[k % entries.size()].value;
    }
    using U = std::underlying_type_t<E>;
    const auto v = static_cast<E>(sizeof(U) == 1 ? U{s.p.u8()} : static_cast<U>(s.p.u16()));
    if (!is_acceptable(v)) {
        s.allow(unknown);
    }
    return v;
}

/// Runs `write(byte_writer&)` counting, then into a stored buffer of that size.
template <class F>
std::optional<bytes_view> store_written(session& s, F&& write) {
    byte_writer counter;
    write(counter);
    if (counter.failed()) {
        MIKEY_FUZZ_CHECK(builder_error(counter.error()));
        return std::nullopt;
    }
    auto& buf = s.store.emplace_back(counter.size());
    byte_writer w(buf);
    write(w);
    MIKEY_FUZZ_CHECK(!w.failed() && w.size() == buf.size());
    return bytes_view(buf);
}

/// Adds every builder of `items` to a chain writer over `w`.
void add_all(chain_writer& c, const std::vector<any_builder>& items) {
    for (const auto& b : items) {
        std::visit([&](const auto& x) { c.add(x); }, b);
    }
}

kv_data make_kv(session& s) {
    kv_data kv;
    kv.kind = pick<kv_type>(s, errc::unknown_kv_type);
    if (kv.kind == kv_type::spi || s.p.one_in(32)) {
        kv.spi = s.p.field();
    }
    if (kv.kind == kv_type::interval || s.p.one_in(32)) {
        kv.valid_from = s.p.field();
        kv.valid_to = s.p.field();
    }
    return kv;
}

key_data_builder make_key_data(session& s) {
    key_data_builder k;
    k.kind = pick<key_data_type>(s, errc::unknown_key_data_type);
    k.key = s.p.field();
    if (has_salt(k.kind) || s.p.one_in(32)) {
        k.salt = s.p.field();
    }
    k.validity = make_kv(s);
    return k;
}

/// KEMAC Encr data as a plaintext Key data chain; it must parse back.
std::optional<bytes_view> make_key_data_chain(session& s) {
    std::optional<id_builder> id;
    code_set expect;
    if (s.p.flag()) {
        id = id_builder{{}, pick<id_type>(s, errc::unknown_id_type), s.p.field()};
        if (!is_acceptable(id->kind)) {
            expect.set(idx(errc::unknown_id_type));
        }
    }
    std::vector<any_builder> keys;
    for (unsigned n = s.p.below(4); n > 0; --n) {
        keys.emplace_back(make_key_data(s));
    }
    const auto plain = store_written(s, [&](byte_writer& w) {
        chain_writer c(w, std::nullopt);
        if (id) {
            c.add(*id);
        }
        add_all(c, keys);
    });
    if (plain) {
        const auto l = key_data_list::parse(*plain, id.has_value());
        if (!l && !expect.test(idx(l.error()))) {
            std::fprintf(stderr, "built Key data chain does not parse: %s at %zu\n",
                         std::string(to_string(l.error())).c_str(), l.error_offset());
        }
        MIKEY_FUZZ_CHECK(l.has_value() || expect.test(idx(l.error())));
        if (l) {
            MIKEY_FUZZ_CHECK(l->size() == keys.size());
        }
    }
    return plain;
}

kemac_builder make_kemac(session& s) {
    kemac_builder k;
    k.encryption = pick<encr_alg>(s, errc::unknown_encr_alg);
    k.mac_algorithm = pick<mac_alg>(s, errc::unknown_mac_alg);
    k.mac = s.p.one_in(32) ? s.p.field() : s.p.exact(mac_size(k.mac_algorithm));
    std::optional<bytes_view> chain;
    if (s.p.flag()) {
        chain = make_key_data_chain(s);
    }
    k.encrypted_data = chain ? *chain : s.p.field();
    return k;
}

/// Key ID information written from entries; it must pass key_id_list::check.
bytes_view make_key_ids(session& s) {
    auto& entries = s.key_id_lists.emplace_back();
    code_set expect;
    for (unsigned n = s.p.below(5); n > 0; --n) {
        const auto kind = pick<key_id_type>(s, errc::unknown_key_id_type);
        if (!is_acceptable(kind)) {
            expect.set(idx(errc::unknown_key_id_type));
        }
        entries.push_back({kind, s.p.field()});
    }
    if (entries.empty()) {
        s.allow(errc::empty_chain);
        expect.set(idx(errc::empty_chain));
    }
    const auto data = store_written(s, [&](byte_writer& w) { write_key_ids(w, entries); });
    if (!data) {
        // Not written (a Key ID too long): raw bytes instead, any Key ID error.
        s.allow(errc::empty_chain);
        s.allow(errc::length_out_of_bounds);
        s.allow(errc::unknown_key_id_type);
        return s.p.field();
    }
    const auto ok = key_id_list::check(*data);
    MIKEY_FUZZ_CHECK(ok.has_value() || expect.test(idx(ok.error())));
    return *data;
}

sp_builder make_sp(session& s) {
    sp_builder b;
    b.policy_no = s.p.u8();
    b.protocol = pick<prot_type>(s, errc::unknown_prot_type);
    auto& params = s.sp_lists.emplace_back();
    for (unsigned n = s.p.below(7); n > 0; --n) {
        std::uint8_t kind = s.p.u8();
        if (b.protocol == prot_type::srtp) {
            kind = static_cast<std::uint8_t>(pick<srtp_param>(s, errc::unknown_srtp_param));
        }
        params.push_back({kind, s.p.field()});
    }
    b.params = params;
    if (s.p.one_in(4)) {
        // The same parameters as raw bytes (or, rarely, both: invalid_argument).
        const auto raw = store_written(s, [&](byte_writer& w) {
            for (const auto& p : params) {
                w.u8(p.kind);
                w.length(p.value.size(), 1);
                w.bytes(p.value);
            }
        });
        if (raw) {
            b.raw_params = *raw;
            if (!s.p.one_in(32)) {
                b.params = {};
            }
        }
    }
    return b;
}

ticket_flags make_flags(session& s) {
    const auto bits = s.p.u16();
    auto bit = [&](unsigned i) { return (bits >> i & 1u) != 0; };
    ticket_flags f{bit(0), bit(1), bit(2), bit(3), bit(4), bit(5), bit(6), bit(7), bit(8), bit(9), bit(10), bit(11)};
    if (!s.p.one_in(16)) {
        // Repair (RFC 6043 §6.10): K implies D, NOT D implies L, G implies F,
        // NOT G implies H, I implies E, M implies F.
        f.d = f.d || f.k;
        f.l = f.l || !f.d;
        f.f = f.f || f.g || f.m;
        f.h = f.h || !f.g;
        f.e = f.e || f.i;
    }
    return f;
}

std::vector<any_builder> make_items(session& s, int depth, place where, unsigned max);

/// A chain that starts with a First Payload byte (TP Data, Initiator Data).
std::optional<bytes_view> first_byte_chain(session& s, const std::vector<any_builder>& items) {
    return store_written(s, [&](byte_writer& w) {
        w.u8(0);
        chain_writer c(w, std::size_t{0});
        add_all(c, items);
    });
}

any_builder make_payload(session& s, payload_type t, int depth, place where);

/// Base-ticket Ticket Data: mostly THDR, T, RAND, KEMAC, [IDRpsk], V
/// (RFC 6043 App. A), sometimes THDR and any chain.
std::optional<bytes_view> make_base_ticket(session& s, int depth) {
    const thdr_builder thdr{s.p.field()};
    std::vector<any_builder> items;
    if (s.p.one_in(4)) {
        items = make_items(s, depth, place::nested, 8);
    } else {
        for (const auto t : {payload_type::t, payload_type::rand, payload_type::kemac}) {
            items.push_back(make_payload(s, t, depth, place::nested));
        }
        if (s.p.flag()) {
            items.emplace_back(idr_builder{id_role::idrpsk, pick<id_type>(s, errc::unknown_id_type), s.p.field()});
        }
        items.push_back(make_payload(s, payload_type::v, depth, place::nested));
    }
    return store_written(s, [&](byte_writer& w) {
        thdr.write(w);
        chain_writer c(w, std::size_t{0});
        add_all(c, items);
    });
}

template <bool Granted>
basic_ticket_builder<Granted> make_ticket(session& s, int depth) {
    // Rules of TP Data, Initiator Data and the base ticket that the builders
    // leave to the caller (RFC 6043 §6.10, App. A).
    s.allow(errc::missing_payload);
    s.allow(errc::tp_kemac_not_null);
    s.allow(errc::kemac_in_granted_policy);
    s.allow(errc::trr_not_ntp_utc_32);
    s.allow(errc::wrong_last_payload);
    basic_ticket_builder<Granted> b;
    auto& pol = b.policy;
    pol.kind = pick<ticket_type>(s, errc::unknown_ticket_type);
    pol.subtype = s.p.one_in(8) ? s.p.u8() : std::uint8_t{1};
    pol.version = s.p.one_in(8) ? s.p.u8() : std::uint8_t{1};
    pol.prf = pick<prf_func>(s, errc::unknown_prf_func);
    pol.flags = make_flags(s);
    auto tp_items = make_items(s, depth + 1, place::nested, 6);
    if (!s.p.one_in(8)) {
        tp_items.emplace_back(idr_builder{id_role::idrr, pick<id_type>(s, errc::unknown_id_type), s.p.field()});
    }
    const auto tp = first_byte_chain(s, tp_items);
    b.tp_data = tp ? *tp : bytes_view{};
    if constexpr (Granted) {
        std::optional<bytes_view> td;
        if (pol.is_base_ticket()) {
            td = make_base_ticket(s, depth + 1);
            if (!td) {
                pol.subtype = 2;  // no longer a base ticket: Ticket Data is not parsed
            }
        }
        b.ticket_data = td ? *td : s.p.field();
        if (s.p.flag()) {
            std::vector<any_builder> items;
            if (s.p.one_in(4)) {
                items = make_items(s, depth + 1, place::nested, 4);
            } else {
                items.push_back(make_payload(s, payload_type::v, depth + 1, place::nested));
                items.push_back(make_payload(s, payload_type::v, depth + 1, place::nested));
            }
            const auto id = first_byte_chain(s, items);
            b.initiator_data = id ? *id : bytes_view{};
            if (!b.initiator_data.empty() && !pol.flags.i) {
                s.allow(errc::initiator_data_without_i);
            }
        }
    } else if (s.p.one_in(32)) {
        b.ticket_data = s.p.field();  // invalid_argument: TP has no Ticket Data
    }
    return b;
}

any_builder make_payload(session& s, payload_type t, int depth, place where) {
    if (depth >= 2 && (t == payload_type::tp || t == payload_type::ticket)) {
        t = payload_type::v;  // bound the nesting
    }
    if (t == payload_type::key_data || (where == place::nested && (t == payload_type::tp || t == payload_type::ticket))) {
        // Key data lives only in KEMAC, TP / TICKET only in messages (RFC 3830 §6.13, RFC 6043 §6.10).
        s.allow(errc::misplaced_payload);
    }
    auto& p = s.p;
    switch (t) {
        case payload_type::kemac: return make_kemac(s);
        case payload_type::pke: return pke_builder{static_cast<pke_cache>(p.below(4)), p.field()};
        case payload_type::dh: {
            const auto g = pick<dh_group>(s, errc::unknown_dh_group);
            const auto value = p.one_in(32) ? p.field() : p.exact(dh_value_size(g));
            return dh_builder{g, value, make_kv(s)};
        }
        case payload_type::sign: return sign_builder{static_cast<sign_type>(p.below(5)), p.field()};
        case payload_type::t: {
            const auto k = pick<ts_type>(s, errc::unknown_ts_type);
            return t_builder{{}, k, p.one_in(32) ? p.field() : p.exact(ts_value_size(k))};
        }
        case payload_type::tr: {
            const auto role = pick<ts_role>(s, errc::unknown_ts_role);
            const auto k = pick<ts_type>(s, errc::unknown_ts_type);
            return tr_builder{role, k, p.one_in(32) ? p.field() : p.exact(ts_value_size(k))};
        }
        case payload_type::v: {
            const auto k = pick<mac_alg>(s, errc::unknown_mac_alg);
            return v_builder{{}, k, p.one_in(32) ? p.field() : p.exact(mac_size(k))};
        }
        case payload_type::chash: {
            const auto k = pick<hash_func>(s, errc::unknown_hash_func);
            return chash_builder{{}, k, p.one_in(32) ? p.field() : p.exact(hash_size(k))};
        }
        case payload_type::id: return id_builder{{}, pick<id_type>(s, errc::unknown_id_type), p.field()};
        case payload_type::cert: return cert_builder{{}, pick<cert_type>(s, errc::unknown_cert_type), p.field()};
        case payload_type::idr: {
            const auto role = pick<id_role>(s, errc::unknown_id_role);
            return idr_builder{role, pick<id_type>(s, errc::unknown_id_type), p.field()};
        }
        case payload_type::general_extension: {
            const auto kind = pick<extension_type>(s, errc::unknown_extension_type);
            if (kind == extension_type::key_id) {
                return general_extension_builder{{}, kind, make_key_ids(s)};
            }
            return general_extension_builder{{}, kind, p.field()};
        }
        case payload_type::sp:
            if (where == place::message && s.empty_map) {
                s.allow(errc::sp_with_empty_map);  // RFC 4563 §5
            }
            return make_sp(s);
        case payload_type::rand: return rand_builder{{}, p.field()};
        case payload_type::randr: {
            const auto role = pick<rand_role>(s, errc::unknown_rand_role);
            return randr_builder{role, p.field()};
        }
        case payload_type::err: return err_builder{pick<error_no>(s, errc::unknown_error_no)};
        case payload_type::tp: return make_ticket<false>(s, depth);
        case payload_type::ticket: return make_ticket<true>(s, depth);
        case payload_type::key_data: return make_key_data(s);
        case payload_type::last: break;
    }
    return v_builder{{}, mac_alg::null, {}};
}

/// Up to `max` payloads of any type; nothing after SIGN (it ends a chain).
std::vector<any_builder> make_items(session& s, int depth, place where, unsigned max) {
    std::vector<any_builder> items;
    for (unsigned n = s.p.below(max + 1); n > 0; --n) {
        const auto t = kinds[s.p.below(static_cast<unsigned>(std::size(kinds)))];
        items.push_back(make_payload(s, t, depth, where));
        if (t == payload_type::sign) {
            break;
        }
    }
    return items;
}

hdr_builder make_hdr(session& s) {
    hdr_builder h;
    auto& p = s.p;
    h.data = pick<data_type>(s, errc::unknown_data_type);
    h.v_flag = p.flag();
    h.prf = pick<prf_func>(s, errc::unknown_prf_func);
    h.csb = csb_id{p.u32()};
    if (p.one_in(16)) {
        h.version = p.u8();
        if (h.version != 1) {
            s.allow(errc::unsupported_version);
        }
    }
    switch (p.below(3)) {
        case 0:
            h.map = empty_map{p.u8()};
            s.empty_map = true;
            break;
        case 1: {
            auto& entries = s.srtp_lists.emplace_back();
            for (unsigned n = p.one_in(32) ? p.below(300) : p.below(6); n > 0; --n) {
                entries.push_back({p.u8(), p.u32(), p.u32()});
            }
            h.map = std::span<const srtp_id_entry>(entries);
            break;
        }
        default: {
            auto& blocks = s.block_lists.emplace_back();
            for (unsigned n = p.below(5); n > 0; --n) {
                generic_id_block b;
                b.cs_id = p.u8();
                b.prot = pick<prot_type>(s, errc::unknown_prot_type);
                b.s_flag = p.flag();
                b.policies = p.take(p.one_in(32) ? 128 + p.below(8) : p.below(4));
                if (b.prot == prot_type::srtp && !p.one_in(8)) {
                    b.session_data = p.flag() ? p.exact(b.s_flag ? 10 : 4) : bytes_view{};
                } else {
                    b.session_data = p.field();
                }
                // RFC 6043 §6.1.1: SRTP Session Data is SSRC [ROC SEQ]: 0, 4 or 10 bytes by the S flag.
                if (b.prot == prot_type::srtp && !b.session_data.empty() &&
                    b.session_data.size() != (b.s_flag ? 10u : 4u)) {
                    s.allow(errc::session_data_mismatch);
                }
                b.spi = p.field();
                blocks.push_back(b);
            }
            h.map = std::span<const generic_id_block>(blocks);
            break;
        }
    }
    return h;
}

#ifdef MIKEY_FUZZ_STATS
// Built with -DMIKEY_FUZZ_STATS, prints how often builds fail, parses fail
// (by code) and round trips succeed: to see whether the fuzzer reaches the parser.
struct stats {
    std::size_t build_failed = 0, parsed = 0;
    std::array<std::size_t, 256> parse_failed{};
    ~stats() {
        std::fprintf(stderr, "build failed %zu, parsed %zu\n", build_failed, parsed);
        for (std::size_t i = 0; i < parse_failed.size(); ++i) {
            if (parse_failed[i] != 0) {
                std::fprintf(stderr, "  parse failed %-28s %zu\n",
                             std::string(to_string(static_cast<errc>(i))).c_str(), parse_failed[i]);
            }
        }
    }
} g_stats;
#define MIKEY_FUZZ_COUNT(x) (x)
#else
#define MIKEY_FUZZ_COUNT(x) static_cast<void>(0)
#endif

void fuzz_one(bytes_view in) {
    session s(in);
    const hdr_builder hdr = make_hdr(s);
    const auto items = make_items(s, 0, place::message, 12);
    auto build = [&](message_builder& b) {
        b.header(hdr);
        for (const auto& it : items) {
            std::visit([&](const auto& x) { b.add(x); }, it);
        }
    };
    message_builder counter;
    build(counter);
    const auto counted = counter.finish();
    if (!counted) {
        MIKEY_FUZZ_COUNT(++g_stats.build_failed);
        MIKEY_FUZZ_CHECK(builder_error(counted.error()));
        return;
    }
    buffer out(counter.size());
    message_builder writer(out);
    build(writer);
    const auto written = writer.finish();
    MIKEY_FUZZ_CHECK(written.has_value());
    MIKEY_FUZZ_CHECK(written->size() == out.size());

    const auto m = check_message(out);
    if (!m) {
        MIKEY_FUZZ_COUNT(++g_stats.parse_failed[idx(m.error())]);
        if (!s.allowed.test(idx(m.error()))) {
            std::fprintf(stderr, "built message does not parse: %s at byte %zu of %zu\n",
                         std::string(to_string(m.error())).c_str(), m.error_offset(), out.size());
        }
        MIKEY_FUZZ_CHECK(s.allowed.test(idx(m.error())));
        return;
    }
    MIKEY_FUZZ_COUNT(++g_stats.parsed);
    // The payloads that were added, in order.
    MIKEY_FUZZ_CHECK(m->payload_count() == items.size());
    std::size_t i = 0;
    for (const auto& e : m->payloads()) {
        const auto want = std::visit([](const auto& x) { return std::decay_t<decltype(x)>::type; }, items[i]);
        MIKEY_FUZZ_CHECK(e.type == want);
        ++i;
    }
}

}  // namespace

MIKEY_FUZZ_TARGET(fuzz_one)

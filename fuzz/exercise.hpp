// mikey-ticket fuzzing: what the targets do with a view once it parsed.
//
// exercise(view) reads every accessor of a validated view (all bytes of every
// span, so ASan sees any read outside the input), walks the chains and lists
// it holds, and checks that each of them writes back, through the builders
// that to_builder() returns, to exactly the bytes it was parsed from. Any
// disagreement is a library bug and aborts (MIKEY_FUZZ_CHECK).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <type_traits>
#include <vector>

#include <mikey/message.hpp>
#include <mikey/ticket/schemas.hpp>

#include "fuzz_main.hpp"

namespace mikey_fuzz {

using namespace mikey;
using buffer = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------
// Small tools
// ---------------------------------------------------------------------------

/// Written to, so the reads below are not optimised away.
inline volatile std::uint8_t g_sink = 0;

/// Reads every byte of `b`.
inline void touch(bytes_view b) noexcept {
    std::uint8_t x = 0;
    for (const auto c : b) {
        x = static_cast<std::uint8_t>(x ^ c);
    }
    g_sink = x;
}

template <class T>
    requires std::is_integral_v<T> || std::is_enum_v<T>
inline void touch(T v) noexcept {
    g_sink = static_cast<std::uint8_t>(static_cast<std::uint64_t>(v));
}

/// True when `inner` lies inside `outer` (same memory).
inline bool within(bytes_view inner, bytes_view outer) noexcept {
    if (inner.empty()) {
        return true;
    }
    const auto* b = outer.data();
    const auto* e = b + outer.size();
    return inner.data() >= b && inner.data() + inner.size() <= e;
}

/// True when `a` starts where `b` starts and has the same length (the same bytes in memory).
inline bool same_span(bytes_view a, bytes_view b) noexcept {
    return a.size() == b.size() && (a.empty() || a.data() == b.data());
}

/// A failure a parser or check returned: a real error code, not a builder's,
/// with a name and an offset inside the input.
inline void check_failure(failure f, std::size_t input_size) noexcept {
    MIKEY_FUZZ_CHECK(f.code != errc::ok);
    MIKEY_FUZZ_CHECK(f.offset <= input_size);
    MIKEY_FUZZ_CHECK(to_string(f.code) != "unknown_errc");
    // Parse errors are never the caller's recoverable mistakes.
    MIKEY_FUZZ_CHECK(is_fatal(f.code));
    MIKEY_FUZZ_CHECK(f.code != errc::buffer_too_small && f.code != errc::field_too_long &&
                     f.code != errc::invalid_argument);
}

/// Runs b.write() on a counting writer, then into a buffer of that size.
/// Returns the bytes, or nullopt with the builder's error in `err`.
template <class B>
inline std::optional<buffer> write_builder(const B& b, errc* err = nullptr) {
    byte_writer counter;
    b.write(counter);
    if (counter.failed()) {
        if (err != nullptr) {
            *err = counter.error();
        }
        return std::nullopt;
    }
    buffer out(counter.size());
    byte_writer w(out);
    b.write(w);
    // The counting run and the writing run must agree.
    MIKEY_FUZZ_CHECK(!w.failed());
    MIKEY_FUZZ_CHECK(w.size() == out.size());
    return out;
}

/// The builder writes `original` again; byte `next_at` (a Next Payload field,
/// which builders write as 0) is compared as 0. next_at = npos: no such byte.
template <class B>
inline void check_rewrites(const B& b, bytes_view original, std::size_t next_at) {
    errc err = errc::ok;
    const auto out = write_builder(b, &err);
    MIKEY_FUZZ_CHECK(out.has_value());
    MIKEY_FUZZ_CHECK(out->size() == original.size());
    for (std::size_t i = 0; i < original.size(); ++i) {
        const std::uint8_t want = i == next_at ? 0 : original[i];
        MIKEY_FUZZ_CHECK((*out)[i] == want);
    }
}
inline constexpr std::size_t no_next = static_cast<std::size_t>(-1);

// ---------------------------------------------------------------------------
// Dispatch from a payload type to its view type
// ---------------------------------------------------------------------------

/// Parses `bytes` (exactly one payload of type t) with its view type, checks
/// the parse succeeds with exactly that size (the chain was validated), and
/// calls f(view). Key data, TP and TICKET included.
template <class F>
inline void with_view(payload_type t, bytes_view bytes, F&& f) {
    auto go = [&]<class V>(V*) {
        const auto v = V::parse(bytes);
        MIKEY_FUZZ_CHECK(v.has_value());
        MIKEY_FUZZ_CHECK(v->size() == bytes.size());
        MIKEY_FUZZ_CHECK(same_span(v->bytes(), bytes));
        f(*v);
    };
    // Every view of a message payload, and Key data (a KEMAC's plaintext).
    using views = decltype(concat(mikey::detail::message_payload_views{}, mikey::detail::view_list<key_data_view>{}));
    const bool parsed = [&]<class... V>(mikey::detail::view_list<V...>) {
        return ((V::type == t ? (go(static_cast<V*>(nullptr)), true) : false) || ...);
    }(views{});
    // A validated chain holds only payload types the library frames.
    MIKEY_FUZZ_CHECK(parsed && "chain entry of a type no view parses");
}

// ---------------------------------------------------------------------------
// exercise(view): every accessor, every nested structure, and write-back
// ---------------------------------------------------------------------------

// Declared first: the chain walkers call exercise() on any payload view.
inline void exercise(const kv_data& kv);
inline void exercise(const key_data_view& v);
inline void exercise(const kemac_view& v);
inline void exercise(const pke_view& v);
inline void exercise(const dh_view& v);
inline void exercise(const sign_view& v);
template <class Spec>
inline void exercise(const implied_length_view<Spec>& v);
template <class Spec>
inline void exercise(const typed_data_view<Spec>& v);
template <class Spec>
inline void exercise(const random_view<Spec>& v);
inline void exercise(const err_view& v);
inline void exercise(const sp_view& v);
inline void exercise(const base_ticket_view& bt);
template <bool Granted>
inline void exercise(const basic_ticket_view<Granted>& v);
inline void exercise(const hdr_view& h);

inline void exercise(const kv_data& kv) {
    touch(kv.kind);
    touch(kv.spi);
    touch(kv.valid_from);
    touch(kv.valid_to);
    MIKEY_FUZZ_CHECK(kv.kind == kv_type::spi || kv.spi.empty());
    MIKEY_FUZZ_CHECK(kv.kind == kv_type::interval || (kv.valid_from.empty() && kv.valid_to.empty()));
}

inline void exercise(const key_data_view& v) {
    touch(v.bytes());
    touch(v.next());
    touch(v.kind());
    touch(v.key());
    touch(v.salt());
    MIKEY_FUZZ_CHECK(is_registered(v.kind()));
    MIKEY_FUZZ_CHECK(has_salt(v.kind()) || v.salt().empty());
    MIKEY_FUZZ_CHECK(within(v.key(), v.bytes()) && within(v.salt(), v.bytes()));
    exercise(v.validity());
}

/// A KEMAC's Encr data as the plaintext Key data chain (it is plaintext for
/// the NULL encryption; for the others this is a parse of random-looking
/// bytes, which must fail cleanly or hold). Both layouts: with and without
/// the leading ID of the PK method.
inline void exercise_key_data_list(bytes_view plain) {
    for (const bool id_first : {false, true}) {
        const auto l = key_data_list::parse(plain, id_first);
        const auto l2 = key_data_list::parse(plain, id_first);
        MIKEY_FUZZ_CHECK(l.has_value() == l2.has_value() && l.error_info() == l2.error_info());
        if (!l) {
            check_failure(l.error_info(), plain.size());
            continue;
        }
        buffer out(plain.size());
        byte_writer w(out);
        chain_writer c(w, std::nullopt);
        const auto id = l->id();
        if (id_first && !plain.empty()) {
            MIKEY_FUZZ_CHECK(id.has_value());
        }
        if (id) {
            MIKEY_FUZZ_CHECK(id_first);
            touch(id->data());
            touch(id->kind());
            c.add(id->to_builder());
        } else {
            MIKEY_FUZZ_CHECK(id.error() == errc::missing_payload);
        }
        std::size_t n = 0;
        for (const auto& k : *l) {
            MIKEY_FUZZ_CHECK(within(k.bytes(), plain));
            exercise(k);
            c.add(k.to_builder());
            ++n;
            MIKEY_FUZZ_CHECK(n <= plain.size());
        }
        MIKEY_FUZZ_CHECK(n == l->size());
        MIKEY_FUZZ_CHECK(!w.failed());
        MIKEY_FUZZ_CHECK(w.size() == plain.size());
        MIKEY_FUZZ_CHECK(equal_bytes(out, plain));
    }
}

inline void exercise(const kemac_view& v) {
    touch(v.bytes());
    touch(v.next());
    touch(v.encryption());
    touch(v.encrypted_data());
    touch(v.mac_algorithm());
    touch(v.mac());
    MIKEY_FUZZ_CHECK(is_registered(v.mac_algorithm()));
    MIKEY_FUZZ_CHECK(v.mac().size() == mac_size(v.mac_algorithm()));
    MIKEY_FUZZ_CHECK(v.mac_offset() + v.mac().size() == v.size());
    MIKEY_FUZZ_CHECK(within(v.encrypted_data(), v.bytes()));
    exercise_key_data_list(v.encrypted_data());
}

inline void exercise(const pke_view& v) {
    touch(v.bytes());
    touch(v.next());
    touch(v.cache());
    touch(v.data());
    MIKEY_FUZZ_CHECK(v.size() == 3 + v.data().size());
}

inline void exercise(const dh_view& v) {
    touch(v.bytes());
    touch(v.next());
    touch(v.group());
    touch(v.value());
    MIKEY_FUZZ_CHECK(v.value().size() == dh_value_size(v.group()));
    exercise(v.validity());
}

inline void exercise(const sign_view& v) {
    touch(v.bytes());
    touch(v.kind());
    touch(v.signature());
    MIKEY_FUZZ_CHECK(v.next() == payload_type::last);
    MIKEY_FUZZ_CHECK(v.signature().size() + 2 == v.size());
}

template <class Spec>
inline void exercise(const implied_length_view<Spec>& v) {
    touch(v.bytes());
    touch(v.next());
    touch(v.kind());
    touch(v.value());
    if constexpr (detail::has_role<Spec>) {
        touch(v.role());
    }
    MIKEY_FUZZ_CHECK(v.value().size() == Spec::value_size(v.kind()));
    MIKEY_FUZZ_CHECK(v.value_offset() + v.value().size() == v.size());
    if constexpr (std::is_same_v<typename Spec::kind_enum, ts_type>) {
        touch(ts_value_64(v.kind(), v.value()));
    }
}

/// Key ID information (RFC 4563 §4): iterate, and write the entries back.
inline void exercise_key_ids(bytes_view data) {
    const auto ok = key_id_list::check(data);
    if (!ok) {
        check_failure(ok.error_info(), data.size());
        return;
    }
    std::vector<key_id_entry> entries;
    for (const auto& e : key_id_list(data)) {
        touch(e.kind);
        touch(e.id);
        MIKEY_FUZZ_CHECK(within(e.id, data));
        entries.push_back(e);
        MIKEY_FUZZ_CHECK(entries.size() <= data.size());
    }
    MIKEY_FUZZ_CHECK(!entries.empty());
    buffer out(data.size());
    byte_writer w(out);
    write_key_ids(w, entries);
    MIKEY_FUZZ_CHECK(!w.failed() && w.size() == data.size() && equal_bytes(out, data));
}

template <class Spec>
inline void exercise(const typed_data_view<Spec>& v) {
    touch(v.bytes());
    touch(v.next());
    touch(v.kind());
    touch(v.data());
    if constexpr (detail::has_role<Spec>) {
        touch(v.role());
        MIKEY_FUZZ_CHECK(is_acceptable(v.role()));
    }
    MIKEY_FUZZ_CHECK(is_acceptable(v.kind()));
    MIKEY_FUZZ_CHECK(within(v.data(), v.bytes()));
    if constexpr (std::is_same_v<Spec, general_extension_spec>) {
        if (v.kind() == extension_type::key_id) {
            // The view validated it: the check must pass again.
            MIKEY_FUZZ_CHECK(key_id_list::check(v.data()).has_value());
            exercise_key_ids(v.data());
        }
    }
}

template <class Spec>
inline void exercise(const random_view<Spec>& v) {
    touch(v.bytes());
    touch(v.next());
    touch(v.value());
    if constexpr (detail::has_role<Spec>) {
        touch(v.role());
    }
    MIKEY_FUZZ_CHECK(v.value().size() + (detail::has_role<Spec> ? 3u : 2u) == v.size());
}

inline void exercise(const err_view& v) {
    touch(v.bytes());
    touch(v.next());
    touch(v.code());
    MIKEY_FUZZ_CHECK(v.size() == 4);
}

inline void exercise(const sp_view& v) {
    touch(v.bytes());
    touch(v.next());
    touch(v.policy_no());
    touch(v.protocol());
    touch(v.param_bytes());
    std::vector<sp_param> params;
    std::size_t total = 0;
    for (const auto& p : v.params()) {
        touch(p.kind);
        touch(p.value);
        MIKEY_FUZZ_CHECK(within(p.value, v.param_bytes()));
        total += 2 + p.value.size();
        params.push_back(p);
        MIKEY_FUZZ_CHECK(total <= v.param_bytes().size());
    }
    MIKEY_FUZZ_CHECK(total == v.param_bytes().size());
    for (unsigned p = 0; p <= 20; ++p) {
        const auto value = v.srtp(static_cast<srtp_param>(p));
        // The first parameter of that type, if any.
        const sp_param* first = nullptr;
        for (const auto& q : params) {
            if (q.kind == p) {
                first = &q;
                break;
            }
        }
        MIKEY_FUZZ_CHECK(value.has_value() == (first != nullptr));
        if (value) {
            touch(*value);
            MIKEY_FUZZ_CHECK(same_span(*value, first->value));
        }
        if (const auto n = v.srtp_value(static_cast<srtp_param>(p))) {
            MIKEY_FUZZ_CHECK(value.has_value() && value->size() <= 8);
            touch(*n);
        }
    }
    // The parameters as a list must write the same bytes as the raw form.
    sp_builder structured{v.policy_no(), v.protocol(), params, {}};
    check_rewrites(structured, v.bytes(), 0);
}

/// A chain that starts with a First Payload byte (TP Data, Initiator Data):
/// each payload exercised, and the chain written back from its builders.
inline void exercise_first_byte_chain(bytes_view data, validated_chain range);

/// The MIKEY base ticket's Ticket Data (RFC 6043 App. A).
inline void exercise(const base_ticket_view& bt) {
    touch(bt.bytes());
    const auto thdr = bt.thdr();
    touch(thdr.data());
    touch(thdr.next());
    exercise(bt.t());
    exercise(bt.rand());
    exercise(bt.kemac());
    exercise(bt.v());
    if (const auto psk = bt.idrpsk()) {
        exercise(*psk);
        MIKEY_FUZZ_CHECK(psk->role() == id_role::idrpsk);
    }
    MIKEY_FUZZ_CHECK(bt.mac_offset() + bt.v().value().size() == bt.bytes().size());
    MIKEY_FUZZ_CHECK(within(bt.t().bytes(), bt.bytes()) && within(bt.rand().bytes(), bt.bytes()) &&
                     within(bt.kemac().bytes(), bt.bytes()) && within(bt.v().bytes(), bt.bytes()));
    // Written back: THDR, then the chain (build_base_ticket_data's layout).
    buffer out(bt.bytes().size());
    byte_writer w(out);
    thdr.to_builder().write(w);
    chain_writer c(w, std::size_t{0});
    std::size_t end = thdr.size();
    for (const auto& e : bt.payloads()) {
        MIKEY_FUZZ_CHECK(e.offset == end);
        end += e.bytes.size();
        with_view(e.type, e.bytes, [&](const auto& pv) {
            exercise(pv);
            c.add(pv.to_builder());
        });
    }
    MIKEY_FUZZ_CHECK(end == bt.bytes().size());
    MIKEY_FUZZ_CHECK(!w.failed() && w.size() == out.size() && equal_bytes(out, bt.bytes()));
}

template <bool Granted>
inline void exercise(const basic_ticket_view<Granted>& v) {
    touch(v.bytes());
    touch(v.next());
    const auto p = v.policy();
    touch(p.kind);
    touch(p.subtype);
    touch(p.version);
    touch(p.prf);
    MIKEY_FUZZ_CHECK(p.flags == v.flags());
    // The view enforced the flag rules and the name spaces.
    MIKEY_FUZZ_CHECK(check_ticket_flags(p.flags, Granted).has_value());
    MIKEY_FUZZ_CHECK(is_acceptable(p.kind) && is_acceptable(p.prf));
    MIKEY_FUZZ_CHECK(within(v.tp_data(), v.bytes()));
    exercise_first_byte_chain(v.tp_data(), v.tp_payloads());
    if constexpr (Granted) {
        MIKEY_FUZZ_CHECK(within(v.ticket_data(), v.bytes()) && within(v.initiator_data(), v.bytes()));
        MIKEY_FUZZ_CHECK(v.initiator_data_length_offset() + 2 + v.initiator_data().size() == v.size());
        touch(v.ticket_data());
        MIKEY_FUZZ_CHECK(v.initiator_data().empty() || p.flags.i);
        exercise_first_byte_chain(v.initiator_data(), v.initiator_payloads());
        const auto bt = v.base_ticket();
        if (p.is_base_ticket()) {
            // parse() leaves Ticket Data opaque; base_ticket() validates it: it holds, or fails
            // cleanly with an offset inside the Ticket Data (from the start of the TICKET).
            if (bt) {
                exercise(*bt);
                MIKEY_FUZZ_CHECK(bt->bytes().data() == v.ticket_data().data());
            } else {
                MIKEY_FUZZ_CHECK(bt.error() != errc::ticket_data_unparsed);
                const std::size_t at = v.ticket_data_offset();
                MIKEY_FUZZ_CHECK(at == static_cast<std::size_t>(v.ticket_data().data() - v.bytes().data()));
                MIKEY_FUZZ_CHECK(bt.error_offset() >= at);
                check_failure(failure{bt.error(), bt.error_offset() - at}, v.ticket_data().size());
            }
        } else {
            MIKEY_FUZZ_CHECK(!bt.has_value() && bt.error() == errc::ticket_data_unparsed);
            // Not validated by parse(): a base-ticket parse of it fails cleanly or holds.
            const auto any = base_ticket_view::parse(v.ticket_data());
            if (any) {
                exercise(*any);
            } else {
                check_failure(any.error_info(), v.ticket_data().size());
            }
        }
    }
}

inline void exercise_first_byte_chain(bytes_view data, validated_chain range) {
    buffer out(data.size());
    byte_writer w(out);
    if (!data.empty()) {
        w.u8(0);
    }
    chain_writer c(w, std::size_t{0});
    std::size_t end = data.empty() ? 0 : 1;
    for (const auto& e : range) {
        MIKEY_FUZZ_CHECK(e.offset == end);
        MIKEY_FUZZ_CHECK(within(e.bytes, data));
        end += e.bytes.size();
        with_view(e.type, e.bytes, [&](const auto& pv) {
            exercise(pv);
            c.add(pv.to_builder());
        });
    }
    MIKEY_FUZZ_CHECK(end == data.size());
    MIKEY_FUZZ_CHECK(!w.failed() && w.size() == data.size() && equal_bytes(out, data));
}

/// The header: fields, the CS ID map by its typed accessors, and the typed
/// map written back (SRTP-ID entries, GENERIC-ID blocks) equal to the wire.
inline void exercise(const hdr_view& h) {
    touch(h.bytes());
    touch(h.version());
    touch(h.type());
    touch(h.next());
    touch(h.v_flag());
    touch(h.prf());
    touch(h.csb().get());
    touch(h.cs_count());
    touch(h.map_type());
    touch(h.map_info());
    MIKEY_FUZZ_CHECK(h.version() == 1);
    MIKEY_FUZZ_CHECK(h.size() == 10 + h.map_info().size());
    MIKEY_FUZZ_CHECK(within(h.map_info(), h.bytes()));
    hdr_builder typed{h.type(), h.v_flag(), h.prf(), h.csb(), empty_map{h.cs_count()}, h.version()};
    std::vector<srtp_id_entry> entries;
    std::vector<generic_id_block> blocks;
    switch (h.map_type()) {
        case cs_id_map_type::empty: MIKEY_FUZZ_CHECK(h.map_info().empty()); break;
        case cs_id_map_type::srtp_id:
            MIKEY_FUZZ_CHECK(h.map_info().size() == 9u * h.cs_count());
            for (std::size_t i = 0; i < h.cs_count(); ++i) {
                entries.push_back(h.srtp_id(i));
                touch(entries.back().ssrc);
            }
            typed.map = std::span<const srtp_id_entry>(entries);
            break;
        case cs_id_map_type::generic_id:
            for (const auto& b : h.generic_id()) {
                touch(b.cs_id);
                touch(b.prot);
                touch(b.policies);
                touch(b.session_data);
                touch(b.spi);
                MIKEY_FUZZ_CHECK(within(b.policies, h.map_info()) && within(b.session_data, h.map_info()) &&
                                 within(b.spi, h.map_info()));
                blocks.push_back(b);
                MIKEY_FUZZ_CHECK(blocks.size() <= h.cs_count());
            }
            MIKEY_FUZZ_CHECK(blocks.size() == h.cs_count());
            typed.map = std::span<const generic_id_block>(blocks);
            break;
        default: MIKEY_FUZZ_CHECK(false && "hdr_view accepted an unknown CS ID map type");
    }
    check_rewrites(typed, h.bytes(), 2);
    check_rewrites(h.to_builder(), h.bytes(), 2);
}

/// A payload view written back alone by its builder (Next Payload as 0).
template <class V>
inline void check_payload_rewrites(const V& v) {
    check_rewrites(v.to_builder(), v.bytes(), V::type == payload_type::sign ? no_next : 0);
}

}  // namespace mikey_fuzz

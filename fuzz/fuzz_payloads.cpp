// fuzz_payloads: every payload view's parse() on its own.
//
// Input: one selector byte, then the bytes to parse. The selector's low 7
// bits (modulo 25) pick the parser; values 1-17, 20 and 21 are the payload
// type numbers themselves (RFC 3830 / RFC 6043 Next Payload values), the
// others the structures that have no payload type:
//
//     0 HDR                           18 THDR
//    19 base ticket Ticket Data       24 Key ID information (RFC 4563 §4)
//    22, 23 Key data list (the KEMAC plaintext chain; both are parsed
//           without and with the leading ID of the PK method)
//
// The selector's top bit makes truncation errc::length_out_of_bounds instead
// of errc::truncated (the mode parsers use inside a container).
//
// On failure: deterministic, a real error code, offset inside the input.
// On success: the view covers a prefix of the input, its shorter prefixes
// fail with the truncation error (every prefix of small payloads, sampled
// cut points in large ones), exercise() reads it all, its builder writes the
// same bytes again (Next Payload written as 0), and those bytes parse again
// to a view of the same size.
//
// Corpus: fuzz/corpus/payloads/: NN-* (one per selector, written by
// seed_corpus from tests/samples.hpp) and inputs found by fuzzing.
#include <algorithm>

#include "exercise.hpp"

namespace {

using namespace mikey_fuzz;

/// `parse()` of `in`, run twice: the result must not change. A failure is
/// checked (check_failure) before it is returned.
template <class Parse>
auto parse_twice(bytes_view in, Parse&& parse) {
    const auto r = parse();
    const auto again = parse();
    MIKEY_FUZZ_CHECK(r.has_value() == again.has_value());
    MIKEY_FUZZ_CHECK(r.error_info() == again.error_info());
    if (!r) {
        check_failure(r.error_info(), in.size());
    }
    return r;
}

/// Parses `in` as V (twice: the result must not change), checks a failure
/// or the success invariants, and hands a success to exercise().
template <class V>
void payload(bytes_view in, errc underrun) {
    const auto v = parse_twice(in, [&] { return V::parse(in, underrun); });
    if (!v) {
        return;
    }
    MIKEY_FUZZ_CHECK(v->size() <= in.size());
    MIKEY_FUZZ_CHECK(same_span(v->bytes(), in.first(v->size())));
    // parse() reads only its own payload: the same bytes without the rest parse the same.
    const auto alone = V::parse(in.first(v->size()));
    MIKEY_FUZZ_CHECK(alone.has_value() && alone->size() == v->size());
    // Cut short anywhere, it fails with the truncation error it was given
    // (every value check already passed on the whole payload).
    // Every prefix of small payloads; in large ones the first 24 bytes (every
    // fixed field), 16 evenly spaced points and the last byte.
    auto cut = [&](std::size_t k) {
        const buffer copy(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(k));
        const auto r = V::parse(copy, underrun);
        MIKEY_FUZZ_CHECK(!r.has_value());
        check_failure(r.error_info(), k);
        MIKEY_FUZZ_CHECK(r.error() == underrun);
    };
    for (std::size_t k = 0; k < v->size(); k = k < 24 ? k + 1 : k + std::max<std::size_t>(1, v->size() / 16)) {
        cut(k);
    }
    if (v->size() > 0) {
        cut(v->size() - 1);
    }
    exercise(*v);
    check_payload_rewrites(*v);
    // What the builder wrote parses again.
    const auto out = write_builder(v->to_builder());
    MIKEY_FUZZ_CHECK(out.has_value());
    const auto back = V::parse(*out);
    MIKEY_FUZZ_CHECK(back.has_value() && back->size() == out->size());
}

void header(bytes_view in) {
    const auto h = parse_twice(in, [&] { return hdr_view::parse(in); });
    if (!h) {
        return;
    }
    MIKEY_FUZZ_CHECK(h->size() <= in.size());
    MIKEY_FUZZ_CHECK(same_span(h->bytes(), in.first(h->size())));
    exercise(*h);
}

void thdr(bytes_view in, errc underrun) {
    const auto t = thdr_view::parse(in, underrun);
    if (!t) {
        check_failure(t.error_info(), in.size());
        return;
    }
    MIKEY_FUZZ_CHECK(t->size() == 3 + t->data().size());
    MIKEY_FUZZ_CHECK(same_span(t->bytes(), in.first(t->size())));
    touch(t->data());
    touch(t->next());
    check_rewrites(t->to_builder(), t->bytes(), 0);
}

void base_ticket(bytes_view in) {
    const auto bt = parse_twice(in, [&] { return base_ticket_view::parse(in); });
    if (!bt) {
        return;
    }
    MIKEY_FUZZ_CHECK(same_span(bt->bytes(), in));
    exercise(*bt);
}

void key_ids(bytes_view in) {
    const auto ok = key_id_list::check(in);
    if (ok) {
        exercise_key_ids(in);
    } else {
        check_failure(ok.error_info(), in.size());
    }
}

void fuzz_one(bytes_view input) {
    if (input.empty()) {
        return;
    }
    const unsigned selector = (input[0] & 0x7Fu) % 25u;
    const errc underrun = (input[0] & 0x80u) != 0 ? errc::length_out_of_bounds : errc::truncated;
    const bytes_view in = input.subspan(1);
    switch (selector) {
        case 0: return header(in);
        case 1: return payload<kemac_view>(in, underrun);
        case 2: return payload<pke_view>(in, underrun);
        case 3: return payload<dh_view>(in, underrun);
        case 4: return payload<sign_view>(in, underrun);
        case 5: return payload<t_view>(in, underrun);
        case 6: return payload<id_view>(in, underrun);
        case 7: return payload<cert_view>(in, underrun);
        case 8: return payload<chash_view>(in, underrun);
        case 9: return payload<v_view>(in, underrun);
        case 10: return payload<sp_view>(in, underrun);
        case 11: return payload<rand_view>(in, underrun);
        case 12: return payload<err_view>(in, underrun);
        case 13: return payload<tr_view>(in, underrun);
        case 14: return payload<idr_view>(in, underrun);
        case 15: return payload<randr_view>(in, underrun);
        case 16: return payload<tp_view>(in, underrun);
        case 17: return payload<ticket_view>(in, underrun);
        case 18: return thdr(in, underrun);
        case 19: return base_ticket(in);
        case 20: return payload<key_data_view>(in, underrun);
        case 21: return payload<general_extension_view>(in, underrun);
        case 22:
        case 23: return exercise_key_data_list(in);  // both layouts, whichever selector
        default: return key_ids(in);
    }
}

}  // namespace

MIKEY_FUZZ_TARGET(fuzz_one)

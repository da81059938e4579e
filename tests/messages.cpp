// Whole messages: every sample parses and conforms; every truncated prefix
// and every length field set past the end is rejected; chain errors; MAC
// coverage; typed lookup; the message builder.
#include "wire_helpers.hpp"

using namespace mikey;
using samples::bytes;

namespace {

const samples::sample& find_sample(const std::vector<samples::sample>& all, const char* name) {
    for (const auto& s : all) {
        if (s.name == name) {
            return s;
        }
    }
    FAIL("no sample " << name);
    return all.front();
}

/// Offsets (from the payload start) and widths of the length fields of a
/// payload, as the RFCs lay them out.
struct length_field {
    std::size_t offset;
    std::size_t width;
};

std::vector<length_field> length_fields(const chain_entry& e) {
    switch (e.type) {
        case payload_type::id:
        case payload_type::cert:
        case payload_type::general_extension: return {{2, 2}};
        case payload_type::idr: return {{3, 2}};
        case payload_type::rand: return {{1, 1}};
        case payload_type::randr: return {{2, 1}};
        case payload_type::kemac:
        case payload_type::pke: return {{2, 2}};  // PKE: 14 bits; setting 0xFF keeps C
        case payload_type::sign: return {{0, 2}};
        case payload_type::sp: return {{3, 2}};
        case payload_type::tp: return {{8, 2}};
        case payload_type::ticket: {
            const auto t = e.as<ticket_view>();
            const std::size_t td = 10 + t.tp_data().size();
            return {{8, 2}, {td, 2}, {t.initiator_data_length_offset(), 2}};
        }
        default: return {};
    }
}

}  // namespace

TEST_CASE("every sample message parses and conforms to its schema") {
    for (const auto& s : samples::all()) {
        CAPTURE(s.name);
        REQUIRE_FALSE(s.wire.empty());
        const auto m = message_view::parse(s.wire);
        REQUIRE_MESSAGE(m, mikey::to_string(m.error()), " at ", m.error_offset());
        CHECK(m->type() == s.type);
        const auto* schema = schema_for(s.type);
        REQUIRE(schema != nullptr);
        CHECK(check_schema(*m, *schema).error_info() == failure{});
        CHECK(check_schema(*m, *schema, schema_check::lenient).error_info() == failure{});
        // Re-serializing from the views gives the same bytes.
        bytes again(s.wire.size());
        message_builder b(again);
        b.header(m->header().to_builder());
        for (const auto& e : m->payloads()) {
            visit_payload(e, [&](const auto& v) { b.add(v.to_builder()); });
        }
        const auto out = b.finish();
        REQUIRE(out);
        CHECK(bytes(out->begin(), out->end()) == s.wire);
    }
}

TEST_CASE("every truncated prefix of every message is rejected as truncated") {
    for (const auto& s : samples::all()) {
        CAPTURE(s.name);
        for (std::size_t n = 0; n < s.wire.size(); ++n) {
            CAPTURE(n);
            const auto m = message_view::parse(bytes_view(s.wire.data(), n));
            CHECK(m.error() == errc::truncated);
            CHECK(m.error_offset() <= n);
        }
    }
}

TEST_CASE("every length field set past the end is rejected") {
    std::size_t fields = 0;
    for (const auto& s : samples::all()) {
        CAPTURE(s.name);
        const auto m = message_view::parse(s.wire);
        REQUIRE(m);
        for (const auto& e : m->payloads()) {
            for (const auto f : length_fields(e)) {
                bytes bad = s.wire;
                for (std::size_t i = 0; i < f.width; ++i) {
                    bad[e.offset + f.offset + i] |= 0xFF >> (e.type == payload_type::pke && i == 0 ? 2 : 0);
                }
                if (e.type == payload_type::sign) {
                    bad[e.offset] = static_cast<std::uint8_t>((s.wire[e.offset] & 0xF0) | 0x0F);
                }
                const auto r = message_view::parse(bad);
                CAPTURE(name_of(e.type));
                CAPTURE(f.offset);
                CHECK_MESSAGE((r.error() == errc::truncated || r.error() == errc::length_out_of_bounds),
                              "got ", to_string(r.error()));
                ++fields;
            }
        }
    }
    CHECK(fields > 60);
    // Inside TP Data (a container with its own length) the error is length_out_of_bounds.
    const auto all = samples::all();
    const auto& ti = find_sample(all, "transfer_init");
    const auto m = message_view::parse(ti.wire);
    REQUIRE(m);
    for (const auto& e : m->payloads()) {
        if (e.type != payload_type::ticket) {
            continue;
        }
        const auto t = e.as<ticket_view>();
        for (const auto& inner : t.tp_payloads()) {
            for (const auto f : length_fields(inner)) {
                bytes bad = ti.wire;
                const std::size_t at = e.offset + 10 + inner.offset + f.offset;
                bad[at] = 0xFF;
                bad[at + f.width - 1] = 0xFF;
                CHECK(message_view::parse(bad).error() == errc::length_out_of_bounds);
            }
        }
    }
}

TEST_CASE("chain errors") {
    const auto all = samples::all();
    const auto& s = find_sample(all, "transfer_resp");
    SUBCASE("a byte after the last payload") {
        bytes bad = s.wire;
        bad.push_back(0);
        CHECK(message_view::parse(bad).error_info() == failure{errc::trailing_bytes, s.wire.size()});
    }
    SUBCASE("an unknown Next Payload") {
        const auto m = message_view::parse(s.wire);
        REQUIRE(m);
        bytes bad = s.wire;
        bad[2] = 18;  // unassigned
        CHECK(message_view::parse(bad).error_info() == failure{errc::unknown_payload_type, m->header().size()});
        bad[2] = 241;  // private use: no layout known
        CHECK(message_view::parse(bad).error() == errc::unknown_payload_type);
    }
    SUBCASE("Key data outside KEMAC") {
        bytes bad = s.wire;
        bad[2] = 20;
        CHECK(message_view::parse(bad).error() == errc::misplaced_payload);
    }
    SUBCASE("bytes after SIGN") {
        const auto& pk = find_sample(all, "pk_init");
        bytes bad = pk.wire;
        bad.push_back(1);
        CHECK(message_view::parse(bad).error_info() == failure{errc::trailing_bytes, pk.wire.size()});
    }
    SUBCASE("SP with the Empty map (RFC 4563 §5)") {
        const auto wire = samples::build([](auto& b) {
            b.header(samples::hdr(data_type::transfer_init)).add(samples::t()).add(samples::sp()).add(samples::v());
        });
        CHECK(message_view::parse(wire).error_info() == failure{errc::sp_with_empty_map, 20});
    }
    SUBCASE("an error inside a payload carries the offset within the message") {
        const auto m = message_view::parse(s.wire);
        REQUIRE(m);
        const auto randr = *m->payloads().begin();
        REQUIRE(randr.type == payload_type::t);
        bytes bad = s.wire;
        bad[randr.offset + 1] = 9;  // TS type
        CHECK(message_view::parse(bad).error_info() == failure{errc::unknown_ts_type, randr.offset + 1});
    }
}

TEST_CASE("visit_payload hands each entry to the matching view") {
    const auto all = samples::all();
    const auto m = message_view::parse(find_sample(all, "transfer_init").wire);
    REQUIRE(m);
    std::vector<payload_type> seen;
    for (const auto& e : m->payloads()) {
        const auto t = visit_payload(e, [](const auto& v) { return std::decay_t<decltype(v)>::type; });
        CHECK(t == e.type);
        seen.push_back(t);
    }
    CHECK(seen.size() == m->payload_count());
}

TEST_CASE("ticket flag table matches the RFC 6043 §6.10 layout") {
    // Each flag alone round-trips through the payload bytes at its documented bit.
    for (const auto& bit : ticket_flag_bits) {
        CAPTURE(bit.letter);
        ticket_flags f{};
        f.*bit.member = true;
        const auto decoded = detail::decode_flags(bit.byte == 5 ? bit.mask : 0, bit.byte == 6 ? bit.mask : 0,
                                                  bit.byte == 7 ? bit.mask : 0);
        CHECK(decoded == f);
    }
    CHECK(kemac_has_leading_id(data_type::pk_init));
    CHECK_FALSE(kemac_has_leading_id(data_type::psk_init));
    CHECK_FALSE(kemac_has_leading_id(data_type::request_resp));
}

TEST_CASE("typed lookup and iteration") {
    const auto all = samples::all();
    const auto& s = find_sample(all, "transfer_resp");
    const auto m = message_view::parse(s.wire);
    REQUIRE(m);
    CHECK(m->payload_count() == 5);
    CHECK(m->header().csb() == samples::csb);
    const auto kms_rand = m->randr(rand_role::randrkms);
    REQUIRE(kms_rand);
    CHECK(equal_bytes(kms_rand->value(), samples::rand_kms));
    CHECK_FALSE(m->randr(rand_role::randri).has_value());
    REQUIRE(m->idr(id_role::idrr));
    CHECK(equal_bytes(m->idr(id_role::idrr)->data(), samples::text("sip:focus@example.org")));
    CHECK(m->count(payload_type::randr) == 2);
    REQUIRE(m->first<v_view>());
    CHECK(m->last_payload()->type == payload_type::v);
    std::vector<payload_type> order;
    for (const auto& e : m->payloads()) {
        order.push_back(e.type);
    }
    CHECK(order == std::vector<payload_type>{payload_type::t, payload_type::randr, payload_type::idr,
                                             payload_type::randr, payload_type::v});
    // The in-place range walks the same entries, and past the indexed offsets too.
    std::vector<chain_entry> copied(m->payloads().begin(), m->payloads().end());
    std::size_t k = 0;
    for (const auto& e : m->payloads_in_place()) {
        REQUIRE(k < copied.size());
        CHECK(e.type == copied[k].type);
        CHECK(e.offset == copied[k].offset);
        CHECK(e.bytes.data() == copied[k].bytes.data());
        CHECK(e.bytes.size() == copied[k].bytes.size());
        ++k;
    }
    CHECK(k == copied.size());
}

// payloads_in_place() iterates the view itself: not offered on an rvalue view.
template <class V>
constexpr bool iterable_in_place = requires(V&& v) { std::forward<V>(v).payloads_in_place(); };
static_assert(iterable_in_place<const message_view&>);
static_assert(!iterable_in_place<const message_view>);

TEST_CASE("MAC coverage (RFC 3830 §5.2, RFC 6043 §5.5)") {
    const auto all = samples::all();
    SUBCASE("TRANSFER_INIT: Initiator Data length and Initiator Data cut out") {
        const auto& s = find_sample(all, "transfer_init");
        const auto m = message_view::parse(s.wire);
        REQUIRE(m);
        const auto c = m->mac_input();
        REQUIRE(c);
        REQUIRE(c->part_count == 2);
        const auto ticket = m->first<ticket_view>();
        REQUIRE(ticket);
        const bytes_view cut(c->parts[0].data() + c->parts[0].size(), c->parts[1].data());
        CHECK(cut.size() == 2 + ticket->initiator_data().size());
        CHECK(equal_bytes(cut.subspan(2), ticket->initiator_data()));
        CHECK(c->parts[0].data() == s.wire.data());
        CHECK(c->mac_field.size() == 32);
        CHECK(c->mac_field.data() + 32 == s.wire.data() + s.wire.size());
        CHECK(c->covered_size() + cut.size() + 32 == s.wire.size());
    }
    SUBCASE("messages ending in V: everything before the MAC field") {
        for (const char* name : {"transfer_resp", "request_resp", "resolve_init_psk", "psk_verification", "error"}) {
            CAPTURE(name);
            const auto& s = find_sample(all, name);
            const auto c = message_view::parse(s.wire)->mac_input();
            REQUIRE(c);
            CHECK(c->part_count == 1);
            CHECK(c->parts[0].size() + c->mac_field.size() == s.wire.size());
        }
    }
    SUBCASE("RFC 3830 PSK I_MESSAGE: the KEMAC's MAC") {
        const auto& s = find_sample(all, "psk_init_aes");
        const auto c = message_view::parse(s.wire)->mac_input();
        REQUIRE(c);
        CHECK(c->mac_field.size() == 20);
        CHECK(equal_bytes(c->mac_field, samples::mac20));
        CHECK(c->parts[0].size() == s.wire.size() - 20);
    }
    SUBCASE("SIGN: the signature payload's own header is covered") {
        const auto& s = find_sample(all, "pk_init");
        const auto c = message_view::parse(s.wire)->mac_input();
        REQUIRE(c);
        CHECK(equal_bytes(c->mac_field, samples::signature));
        CHECK(c->parts[0].size() == s.wire.size() - samples::signature.size());
    }
    SUBCASE("no closing MAC payload") {
        const auto wire = samples::build([](auto& b) { b.header(samples::hdr(data_type::error)).add(samples::t()); });
        CHECK(message_view::parse(wire)->mac_input().error() == errc::wrong_last_payload);
    }
}

TEST_CASE("message builder") {
    SUBCASE("the counting pass gives the exact size") {
        const auto hdr = samples::hdr(data_type::transfer_resp);
        const auto n = message_size(hdr, samples::t(), samples::v());
        CHECK(n == 10 + 10 + 34);
        bytes out(n);
        const auto r = build_message(out, hdr, samples::t(), samples::v());
        REQUIRE(r);
        CHECK(r->size() == n);
        bytes small(n - 1);
        CHECK(build_message(small, hdr, samples::t(), samples::v()).error() == errc::buffer_too_small);
    }
    SUBCASE("Next Payload fields follow the payload order") {
        bytes out(64);
        const auto r = build_message(out, samples::hdr(data_type::transfer_resp), samples::t(), samples::v());
        REQUIRE(r);
        CHECK(out[2] == static_cast<std::uint8_t>(payload_type::t));
        CHECK(out[10] == static_cast<std::uint8_t>(payload_type::v));
        CHECK(out[20] == 0);
    }
    SUBCASE("optional and repeated payloads") {
        const std::optional<rand_builder> none;
        const std::array<t_builder, 2> two{samples::t(), samples::t()};
        bytes out(64);
        const auto r = build_message(out, samples::hdr(data_type::error), none, two, samples::v());
        REQUIRE(r);
        const auto m = message_view::parse(*r);
        REQUIRE(m);
        CHECK(m->count(payload_type::t) == 2);
        CHECK(m->count(payload_type::rand) == 0);
    }
    SUBCASE("misuse") {
        bytes out(64);
        message_builder no_header(out);
        no_header.add(samples::t());
        CHECK(no_header.finish().error() == errc::invalid_argument);
        message_builder after_sign(out);
        after_sign.header(samples::hdr(data_type::pk_init)).add(sign_builder{}).add(samples::t());
        CHECK(after_sign.finish().error() == errc::invalid_argument);
        message_builder nothing(out);
        CHECK(nothing.finish().error() == errc::invalid_argument);
        // The header must be the first call: a second one fails the builder (not a second HDR).
        message_builder two_headers(out);
        two_headers.header(samples::hdr(data_type::transfer_resp)).header(samples::hdr(data_type::transfer_resp));
        CHECK(two_headers.finish().error() == errc::invalid_argument);
        two_headers.add(samples::t());
        CHECK(two_headers.finish().error() == errc::invalid_argument);
    }
}

TEST_CASE("iteration past the recorded offsets: more than max_indexed_payloads payloads, offsets past 65535") {
    using samples::bytes;
    const bytes big(40000, 0xC5);
    const bytes_view small = samples::text("mikey-ticket");
    const general_extension_builder vendor{{}, extension_type::vendor_id, small};
    const cert_builder cert{{}, cert_type::x509v3, big};
    // 1 + 20 + 1 payloads (past the 16 recorded offsets), and one with two big
    // CERTs in front, so that every later offset is past 65535.
    const bytes many = samples::build([&](auto& b) {
        b.header(samples::hdr(data_type::error)).add(samples::t());
        for (int i = 0; i < 20; ++i) {
            b.add(vendor);
        }
        b.add(err_builder{error_no::auth_failure});
    });
    const bytes far = samples::build([&](auto& b) {
        b.header(samples::hdr(data_type::error)).add(cert).add(cert).add(samples::t()).add(vendor).add(vendor);
    });
    static_assert(message_view::max_indexed_payloads < 21);
    for (const bytes* wire : {&many, &far}) {
        const auto m = message_view::parse(*wire);
        REQUIRE(m);
        // An independent walk: every payload is framed where the previous one ends.
        std::size_t at = m->header().size();
        auto t = m->header().next();
        std::size_t k = 0;
        for (const auto& e : m->payloads()) {
            const auto f = frame_plain_payload(t, bytes_view(*wire).subspan(at), errc::truncated);
            REQUIRE(f);
            CHECK(e.type == t);
            CHECK(e.offset == at);
            CHECK(e.bytes.size() == f->size);
            at += f->size;
            t = f->next;
            ++k;
        }
        CHECK(at == wire->size());
        CHECK(k == m->payload_count());
        CHECK(m->count(payload_type::general_extension) == (wire == &many ? 20u : 2u));
        CHECK(m->last_payload()->offset + m->last_payload()->bytes.size() == wire->size());
    }
    CHECK(message_view::parse(far)->first<t_view>()->bytes().data() == far.data() + 10 + 2 * (4 + big.size()));
}

namespace {
/// The view `from_validated` gives for the payload at the start of `rest`
/// reads the same bytes as `parse` does: same size, same bytes.
template <class V>
void check_from_validated(bytes_view exact, bytes_view rest) {
    const auto parsed = V::parse(exact);
    REQUIRE(parsed);
    const V fast = V::from_validated(rest);
    CHECK(fast.size() == parsed->size());
    CHECK(fast.bytes().data() == parsed->bytes().data());
    CHECK(fast.next() == parsed->next());
    const V exact_fast = V::from_validated(exact);
    CHECK(exact_fast.size() == parsed->size());
}

/// (type, offset, size) of each payload of a chain.
template <class Range>
std::vector<std::array<std::size_t, 3>> layout_of(const Range& r) {
    std::vector<std::array<std::size_t, 3>> out;
    for (const auto& e : r) out.push_back({static_cast<std::size_t>(e.type), e.offset, e.bytes.size()});
    return out;
}
}  // namespace

TEST_CASE("from_validated views read what parse reads, at every payload of every sample") {
    std::size_t checked = 0;
    for (const auto& s : samples::all()) {
        CAPTURE(s.name);
        const auto m = message_view::parse(s.wire);
        REQUIRE(m);
        for (const auto& e : m->payloads_in_place()) {
            const bytes_view rest = m->bytes().subspan(e.offset);
            // Every view with a from_validated, whichever payloads the samples hold.
            visit_payload(e, [&]<class V>(const V&) {
                if constexpr (requires { V::from_validated(rest); }) {
                    check_from_validated<V>(e.bytes, rest);
                    ++checked;
                }
                if constexpr (std::is_same_v<V, sp_view>) {
                    const auto parsed = sp_view::parse(e.bytes);
                    const auto fast = sp_view::from_validated(rest);
                    CHECK(fast.param_bytes().data() == parsed->param_bytes().data());
                    CHECK(fast.param_bytes().size() == parsed->param_bytes().size());
                    CHECK(fast.policy_no() == parsed->policy_no());
                    CHECK(fast.protocol() == parsed->protocol());
                }
            });
        }
    }
    CHECK(checked > 40);
}

TEST_CASE("a parsed TICKET's inner chains walk the same with and without re-validation") {
    for (const bool forking : {false, true}) {
        CAPTURE(forking);
        const auto& all = samples::all();
        const auto& s = find_sample(all, forking ? "transfer_init" : "request_resp");
        const auto m = message_view::parse(s.wire);
        REQUIRE(m);
        const auto tv = m->first<ticket_view>();
        REQUIRE(tv);
        const auto plain_tp = chain_range<plain_framer>(tv->tp_data(), 1, static_cast<payload_type>(tv->tp_data()[0]));
        CHECK(layout_of(tv->tp_payloads()) == layout_of(plain_tp));
        CHECK(layout_of(tv->tp_payloads()).size() >= 3);
        const auto bt = tv->base_ticket();
        REQUIRE(bt);
        const auto td = bt->bytes();
        const auto plain_td = chain_range<plain_framer>(td, bt->thdr().size(), bt->thdr().next());
        CHECK(layout_of(bt->payloads()) == layout_of(plain_td));
        CHECK(layout_of(bt->payloads()).size() == 5);  // T, RAND, KEMAC, IDRpsk, V
        // base_ticket() views the TICKET's own Ticket Data (no copy).
        CHECK(td.data() == tv->ticket_data().data());
        CHECK(td.size() == tv->ticket_data().size());
        CHECK(bt->idrpsk());
        // The base ticket's accessors give exactly each payload's bytes.
        CHECK(bt->kemac().size() == (*kemac_view::parse(td.subspan(static_cast<std::size_t>(bt->kemac().bytes().data() - td.data())))).size());
        CHECK(bt->v().bytes().data() + bt->v().size() == td.data() + td.size());
        if (forking) {
            const auto id = tv->initiator_data();
            const auto plain_id = chain_range<plain_framer>(id, 1, static_cast<payload_type>(id[0]));
            CHECK(layout_of(tv->initiator_payloads()) == layout_of(plain_id));
        }
    }
}

TEST_CASE("key_data_view::from_validated reads each Key data entry as parse does") {
    const auto& all = samples::all();
    const auto m = message_view::parse(find_sample(all, "psk_init").wire);
    REQUIRE(m);
    const auto k = m->first<kemac_view>();
    REQUIRE(k);
    const auto list = k->plain_key_data(false);
    REQUIRE(list);
    std::size_t n = 0;
    std::size_t at = 0;
    const bytes_view chain = k->encrypted_data();
    for (const auto& kd : *list) {
        const auto parsed = key_data_view::parse(chain.subspan(at), errc::length_out_of_bounds);
        REQUIRE(parsed);
        CHECK(kd.size() == parsed->size());
        CHECK(kd.kind() == parsed->kind());
        CHECK(equal_bytes(kd.key(), parsed->key()));
        CHECK(equal_bytes(kd.salt(), parsed->salt()));
        CHECK(kd.validity().kind == parsed->validity().kind);
        CHECK(equal_bytes(kd.validity().spi, parsed->validity().spi));
        CHECK(equal_bytes(kd.validity().valid_from, parsed->validity().valid_from));
        CHECK(equal_bytes(kd.validity().valid_to, parsed->validity().valid_to));
        at += parsed->size();
        ++n;
    }
    CHECK(n == 2);  // one with SPI and salt, one with an interval
    CHECK(at == chain.size());
}

namespace {
/// Every field of `View` rebased onto a copy of sample `name` is where a parse of the copy puts it.
template <class View>
void check_rebased_fields(const std::string& name) {
    CAPTURE(name);
    const auto& all = samples::all();
    const auto& s = find_sample(all, name.c_str());
    const auto v = View::parse(s.wire);
    REQUIRE(v);
    const std::vector<std::uint8_t> copy(s.wire.begin(), s.wire.end());
    const auto moved = v->rebased(copy);
    const auto parsed = View::parse(copy);
    REQUIRE(moved);
    REQUIRE(parsed);
    int present = 0;
    const auto same = [&](const auto& a, const auto& b) {
        present += a.has_value() ? 1 : 0;
        return a.has_value() == b.has_value() &&
               (!a || (a->bytes().data() == b->bytes().data() && a->bytes().size() == b->bytes().size()));
    };
    const auto& f = moved->fields();
    const auto& g = parsed->fields();
    CHECK(same(f.t, g.t));
    CHECK(same(f.randri, g.randri));
    CHECK(same(f.randrr, g.randrr));
    CHECK(same(f.randrkms, g.randrkms));
    CHECK(same(f.idri, g.idri));
    CHECK(same(f.idrr, g.idrr));
    CHECK(same(f.idrkms, g.idrkms));
    CHECK(same(f.idrpsk, g.idrpsk));
    CHECK(same(f.tp, g.tp));
    CHECK(same(f.ticket, g.ticket));
    CHECK(same(f.kemac, g.kemac));
    CHECK(same(f.v, g.v));
    CHECK(same(f.err, g.err));
    CHECK(present >= 3);
    if (f.ticket) CHECK(f.ticket->initiator_data().data() == g.ticket->initiator_data().data());
    if (f.tp) CHECK(f.tp->tp_data().data() == g.tp->tp_data().data());
    if (f.idri) CHECK(f.idri->data().data() == g.idri->data().data());
    if (f.kemac) CHECK(f.kemac->encrypted_data().data() == g.kemac->encrypted_data().data());
    if (f.err) CHECK(f.err->code() == g.err->code());
}
}  // namespace

TEST_CASE("ticket_message::rebased: every field of the RFC 6043 samples lands where a parse of the copy puts it") {
    check_rebased_fields<ticket::request_init_psk_view>("request_init_psk");
    check_rebased_fields<ticket::request_resp_view>("request_resp");
    check_rebased_fields<ticket::transfer_init_view>("transfer_init");
    check_rebased_fields<ticket::transfer_resp_view>("transfer_resp");
    check_rebased_fields<ticket::resolve_init_psk_view>("resolve_init_psk");
    check_rebased_fields<ticket::resolve_resp_view>("resolve_resp");
    check_rebased_fields<ticket::request_resolve_error_view>("error");
}

TEST_CASE("ticket_message::rebased moves a validated view onto an identical copy, and only onto one") {
    const auto& all = samples::all();
    const auto& s = find_sample(all, "transfer_init");
    const auto ti = ticket::transfer_init_view::parse(s.wire);
    REQUIRE(ti);
    const std::vector<std::uint8_t> copy(s.wire.begin(), s.wire.end());
    const auto moved = ti->rebased(copy);
    REQUIRE(moved);
    CHECK(moved->bytes().data() == copy.data());
    CHECK(moved->t().bytes().data() >= copy.data());
    CHECK(moved->t().bytes().data() < copy.data() + copy.size());
    CHECK(moved->ticket()->bytes().data() == copy.data() + (ti->ticket()->bytes().data() - s.wire.data()));
    CHECK(equal_bytes(moved->mac(), ti->mac()));
    // The same memory needs no comparison.
    CHECK(ti->rebased(s.wire));
    for (std::size_t i = 0; i < copy.size(); i += 7) {
        auto bad = copy;
        bad[i] ^= 0x01;
        CHECK(ti->rebased(bad).error() == errc::invalid_argument);
    }
    const std::vector<std::uint8_t> shorter(copy.begin(), copy.end() - 1);
    CHECK(ti->rebased(shorter).error() == errc::invalid_argument);
}

// Message schemas (RFC 3830 §3, §5.1.2, RFC 6043 §4.2, §5.2, §5.4).
#include "wire_helpers.hpp"

#include <initializer_list>

using namespace mikey;
using samples::bytes;

namespace {
failure check(const bytes& wire, const message_schema& s, schema_check mode = schema_check::strict) {
    const auto m = message_view::parse(wire);
    REQUIRE_MESSAGE(m, to_string(m.error()));
    return check_schema(*m, s, mode).error_info();
}
/// The offset of the index-th payload after the HDR (the T is payload 0).
std::size_t offset_of(const bytes& wire, std::size_t index) {
    const auto m = message_view::parse(wire);
    REQUIRE(m);
    std::size_t i = 0;
    for (const auto& e : m->payloads()) {
        if (i++ == index) {
            return e.offset;
        }
    }
    FAIL("the message has no payload ", index);
    return 0;
}
const auto randri = samples::randr(rand_role::randri, samples::rand_i);
const auto alice = samples::idr(id_role::idri, "sip:alice@example.org");
const auto bob = samples::idr(id_role::idrr, "sip:bob@example.org");
}  // namespace

static_assert(schemas::transfer_init.items.size() == 8);
static_assert(schemas::transfer_init.items.back().type == payload_type::v);
static_assert(schemas::request_init_pk.items.back().type == payload_type::sign);
static_assert(schemas::psk_init.items.back().type == payload_type::kemac);

TEST_CASE("schema_for covers the RFC 6043 messages and the RFC 3830 PSK messages") {
    for (int t = 11; t <= 18; ++t) {
        const auto* s = schema_for(static_cast<data_type>(t));
        REQUIRE(s != nullptr);
        CHECK(s->type == static_cast<data_type>(t));
    }
    CHECK(schema_for(data_type::psk_init) == &schemas::psk_init);
    CHECK(schema_for(data_type::psk_verification) == &schemas::psk_verification);
    CHECK(schema_for(data_type::sakke) == nullptr);
}

TEST_CASE("strict and lenient checks") {
    const auto ticket = samples::ticket(false);
    const auto hdr = samples::hdr(data_type::transfer_init, true);
    SUBCASE("conforming") {
        const auto w = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(randri).add(alice).add(bob)
                                                         .add(ticket).add(samples::v()); });
        CHECK(check(w, schemas::transfer_init) == failure{});
    }
    SUBCASE("missing mandatory payload") {
        const auto w = samples::build(
            [&](auto& b) { b.header(hdr).add(samples::t()).add(alice).add(ticket).add(samples::v()); });
        CHECK(check(w, schemas::transfer_init).code == errc::missing_payload);
        CHECK(check(w, schemas::transfer_init, schema_check::lenient).code == errc::missing_payload);
    }
    SUBCASE("order") {
        const auto w = samples::build(
            [&](auto& b) { b.header(hdr).add(samples::t()).add(randri).add(bob).add(alice).add(ticket).add(samples::v()); });
        CHECK(check(w, schemas::transfer_init).code == errc::payload_order);
        CHECK(check(w, schemas::transfer_init, schema_check::lenient) == failure{});
    }
    SUBCASE("duplicate") {
        const auto w = samples::build([&](auto& b) {
            b.header(hdr).add(samples::t()).add(samples::t()).add(randri).add(ticket).add(samples::v());
        });
        CHECK(check(w, schemas::transfer_init).code == errc::duplicate_payload);
        CHECK(check(w, schemas::transfer_init, schema_check::lenient).code == errc::duplicate_payload);
    }
    SUBCASE("unexpected payload: rejected strictly, ignored leniently (RFC 6043 §4.2.2.2)") {
        const cert_builder cert{{}, cert_type::x509v3, samples::cert};
        const auto w = samples::build(
            [&](auto& b) { b.header(hdr).add(samples::t()).add(randri).add(cert).add(ticket).add(samples::v()); });
        CHECK(check(w, schemas::transfer_init).code == errc::unexpected_payload);
        CHECK(check(w, schemas::transfer_init, schema_check::lenient) == failure{});
    }
    SUBCASE("General Extension allowed anywhere (RFC 3830 §6.15)") {
        const general_extension_builder x{{}, extension_type::vendor_id, samples::text("x")};
        const auto w = samples::build(
            [&](auto& b) { b.header(hdr).add(x).add(samples::t()).add(randri).add(ticket).add(x).add(samples::v()); });
        CHECK(check(w, schemas::transfer_init) == failure{});
    }
    SUBCASE("the closing payload is V") {
        const std::span<const generic_id_block> map(&samples::cs_block, 1);
        const auto w = samples::build(
            [&](auto& b) { b.header(samples::hdr(data_type::transfer_init, true, map)).add(samples::t()).add(randri).add(ticket).add(samples::v()).add(samples::sp()); });
        CHECK(check(w, schemas::transfer_init).code == errc::payload_order);
        CHECK(check(w, schemas::transfer_init, schema_check::lenient).code == errc::wrong_last_payload);
    }
    SUBCASE("roles matter: RANDRr is not RANDRi") {
        const auto w = samples::build([&](auto& b) {
            b.header(hdr).add(samples::t()).add(samples::randr(rand_role::randrr, samples::rand_r)).add(ticket)
                .add(samples::v());
        });
        CHECK(check(w, schemas::transfer_init).code == errc::unexpected_payload);
    }
    SUBCASE("wrong message type") {
        const auto w = samples::build([&](auto& b) { b.header(samples::hdr(data_type::transfer_resp)).add(samples::t())
                                                         .add(samples::v()); });
        CHECK(check(w, schemas::transfer_init).code == errc::wrong_message_type);
        CHECK(check(w, schemas::transfer_resp) == failure{});
    }
}

TEST_CASE("header rules") {
    const srtp_id_entry entry{0, 1, 0};
    SUBCASE("Request / Resolve: #CS = 0 and the Empty map (RFC 6043 §4.2.1.1, §4.2.3.1)") {
        const auto w = samples::build([&](auto& b) {
            b.header(samples::hdr(data_type::request_resp, false, empty_map{1})).add(samples::t())
                .add(samples::ticket(false)).add(kemac_builder{}).add(samples::v());
        });
        CHECK(check(w, schemas::request_resp) == failure{errc::bad_crypto_sessions, 8});
    }
    SUBCASE("Transfer: SRTP-ID SHALL NOT be used (RFC 6043 §6.1)") {
        const auto w = samples::build([&](auto& b) {
            b.header(samples::hdr(data_type::transfer_resp, false, std::span<const srtp_id_entry>(&entry, 1)))
                .add(samples::t()).add(samples::v());
        });
        CHECK(check(w, schemas::transfer_resp) == failure{errc::bad_crypto_sessions, 9});
    }
}

TEST_CASE("TRANSFER_INIT and RESOLVE_INIT need Initiator Data when forking (RFC 6043 §6.10)") {
    const auto forking_no_idata = samples::payload(ticket_builder{samples::policy(true), samples::tp_data(false),
                                                                  samples::base_ticket_data(), {}});
    const auto t = ticket_view::parse(forking_no_idata);
    REQUIRE(t);  // a REQUEST_RESP's ticket has none yet
    const auto tb = t->to_builder();
    const auto ti = samples::build([&](auto& b) {
        b.header(samples::hdr(data_type::transfer_init, true)).add(samples::t()).add(randri).add(tb).add(samples::v());
    });
    CHECK(check(ti, schemas::transfer_init).code == errc::initiator_data_missing);
    const auto ri = samples::build([&](auto& b) {
        b.header(samples::hdr(data_type::resolve_init_psk, true)).add(samples::t())
            .add(samples::randr(rand_role::randrr, samples::rand_r)).add(tb).add(samples::v());
    });
    CHECK(check(ri, schemas::resolve_init_psk).code == errc::initiator_data_missing);
    const auto rr = samples::build([&](auto& b) {
        b.header(samples::hdr(data_type::request_resp)).add(samples::t()).add(tb).add(kemac_builder{})
            .add(samples::v());
    });
    CHECK(check(rr, schemas::request_resp) == failure{});
}

// --- alternatives "[A|B]" ----------------------------------------------------

namespace {
// The tables as they were before alternatives could be expressed: each test
// below shows a message they accepted and the RFC does not allow.
namespace old {
using enum occurs;
using P = payload_type;
constexpr schema_item pk_init_items[] = {{P::t, once},     {P::rand, once},      {P::id, optional},
                                         {P::cert, any},   {P::id, optional},    {P::sp, any},
                                         {P::kemac, once}, {P::chash, optional}, {P::pke, once},
                                         {P::sign, once}};
constexpr schema_item dh_init_items[] = {{P::t, once},      {P::rand, once}, {P::id, optional}, {P::cert, any},
                                         {P::id, optional}, {P::sp, any},    {P::dh, once},     {P::sign, once}};
constexpr schema_item dh_response_items[] = {{P::t, once},  {P::cert, any}, {P::id, at_least_once},
                                             {P::dh, once}, {P::dh, once},  {P::sign, once}};
constexpr schema_item error_items[] = {{P::t, once}, {P::err, any}, {P::sp, any}, {P::v, optional},
                                       {P::sign, optional}};
constexpr schema_item ticket_error_items[] = {{P::t, once}, {P::err, at_least_once}, {P::sp, any},
                                              {P::v, optional}, {P::sign, optional}};
constexpr message_schema pk_init{"old PK I_MESSAGE", data_type::pk_init, pk_init_items};
constexpr message_schema dh_init{"old DH I_MESSAGE", data_type::dh_init, dh_init_items};
constexpr message_schema dh_response{"old DH R_MESSAGE", data_type::dh_response, dh_response_items};
constexpr message_schema error{"old Error", data_type::error, error_items, false, false, false, false};
constexpr message_schema ticket_error{"old MIKEY-TICKET Error", data_type::error, ticket_error_items,
                                      false, false, false, false};
}  // namespace old

constexpr schema_check both_modes[] = {schema_check::strict, schema_check::lenient};

// Payloads of the RFC 3830 messages (builders hold views into samples' static bytes).
const id_builder id_a{{}, id_type::uri, samples::text("sip:a@x")};
const id_builder id_b{{}, id_type::uri, samples::text("sip:b@x")};
const id_builder id_c{{}, id_type::uri, samples::text("sip:c@x")};
const cert_builder cert1{{}, cert_type::x509v3, samples::cert};
const cert_builder cert2{{}, cert_type::x509v3, samples::signature};  // a second certificate of the chain
const rand_builder rand_p{{}, samples::rand_i};
const dh_builder dh{dh_group::oakley_5, samples::dh_value, {}};
const sign_builder sign{sign_type::rsa_pss, samples::signature};
const kemac_builder kemac{encr_alg::aes_cm_128, samples::encrypted, mac_alg::hmac_sha_1_160, samples::mac20};
const pke_builder pke{pke_cache::no_cache, samples::envelope};
const err_builder err{error_no::invalid_sp};
}  // namespace

static_assert(schemas::dh_response.items.size() == 7);
static_assert(schemas::pk_init.items[2].group != 0 && schemas::pk_init.items[2].group == schemas::pk_init.items[3].group);
static_assert(schemas::pk_init.items[4].group == 0);

// detail::unambiguous rejects the tables check_schema could not check without
// looking ahead: the static_assert in schema.hpp guards every real table.
namespace {
namespace bad {
using enum occurs;
using P = payload_type;
// The RFC's own layout of the DH R_MESSAGE: a lone IDi would fill [IDr|CERTr].
constexpr schema_item rfc_layout[] = {{P::t, once}, {P::id, optional, 0, 1}, {P::cert, any, 0, 1}, {P::id, once}};
// A grouped item before another that takes the same payloads, with its group after it.
constexpr schema_item claims_group[] = {{P::id, optional, 0, 1}, {P::id, optional}, {P::cert, any, 0, 1}};
// Two groups that share a payload type.
constexpr schema_item two_groups[] = {{P::id, optional, 0, 1}, {P::v, optional, 0, 1},
                                      {P::id, optional, 0, 2}, {P::sign, optional, 0, 2}};
// A mandatory branch, and a group of one.
constexpr schema_item mandatory_branch[] = {{P::v, once, 0, 1}, {P::sign, optional, 0, 1}};
constexpr schema_item lone_branch[] = {{P::t, once}, {P::v, optional, 0, 1}};
// (X) before a mandatory X.
constexpr schema_item repeat_then_once[] = {{P::id, at_least_once}, {P::id, once}};
// Group id out of range.
constexpr schema_item big_group[] = {{P::v, optional, 0, max_schema_groups}, {P::sign, optional, 0, max_schema_groups}};
constexpr bool rejects(std::span<const schema_item> items) {
    return !detail::unambiguous(message_schema{"bad", data_type::error, items});
}
}  // namespace bad
}  // namespace
static_assert(bad::rejects(bad::rfc_layout) && bad::rejects(bad::claims_group) && bad::rejects(bad::two_groups) &&
              bad::rejects(bad::mandatory_branch) && bad::rejects(bad::lone_branch) &&
              bad::rejects(bad::repeat_then_once) && bad::rejects(bad::big_group));
static_assert(detail::unambiguous(schemas::dh_response) && detail::unambiguous(schemas::error));

TEST_CASE("DH R_MESSAGE = HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr (RFC 3830 §3.3)") {
    const auto hdr = samples::hdr(data_type::dh_response);
    SUBCASE("the valid forms (regression: IDi alone, found by fuzz_messages)") {
        const auto only_idi = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(id_a).add(dh).add(dh).add(sign); });
        const auto idr_idi = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(id_b).add(id_a).add(dh).add(dh).add(sign); });
        const auto cert_idi = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(cert1).add(id_a).add(dh).add(dh).add(sign); });
        const auto chain_idi = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(cert1).add(cert2).add(id_a).add(dh).add(dh).add(sign); });
        for (const auto mode : both_modes) {
            CHECK(check(only_idi, schemas::dh_response, mode) == failure{});
            CHECK(check(idr_idi, schemas::dh_response, mode) == failure{});
            CHECK(check(cert_idi, schemas::dh_response, mode) == failure{});
            CHECK(check(chain_idi, schemas::dh_response, mode) == failure{});
        }
        // In any order, the certificate may come after the ID.
        const auto idi_cert = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(id_a).add(cert1).add(dh).add(dh).add(sign); });
        CHECK(check(idi_cert, schemas::dh_response, schema_check::lenient) == failure{});
        CHECK(check(idi_cert, schemas::dh_response) == failure{errc::payload_order, offset_of(idi_cert, 2)});
    }
    SUBCASE("no ID") {
        const auto no_id = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(dh).add(dh).add(sign); });
        // Strictly IDi is missing when DHr comes; in any order, at the end.
        CHECK(check(no_id, schemas::dh_response) == failure{errc::missing_payload, offset_of(no_id, 1)});
        CHECK(check(no_id, schemas::dh_response, schema_check::lenient) == failure{errc::missing_payload, no_id.size()});
    }
    SUBCASE("CERTr together with IDr") {
        const auto w = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(cert1).add(id_b).add(id_a).add(dh).add(dh).add(sign); });
        for (const auto mode : both_modes) {
            CHECK(check(w, old::dh_response, mode) == failure{});
            CHECK(check(w, schemas::dh_response, mode) == failure{errc::conflicting_alternatives, offset_of(w, 3)});
        }
        // In any order: the CERT last conflicts with the two IDs.
        const auto late = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(id_b).add(id_a).add(dh).add(cert1).add(dh).add(sign); });
        CHECK(check(late, old::dh_response, schema_check::lenient) == failure{});
        CHECK(check(late, schemas::dh_response, schema_check::lenient) ==
              failure{errc::conflicting_alternatives, offset_of(late, 4)});
    }
    SUBCASE("three IDs") {
        const auto w = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(id_c).add(id_b).add(id_a).add(dh).add(dh).add(sign); });
        for (const auto mode : both_modes) {
            CHECK(check(w, old::dh_response, mode) == failure{});
            CHECK(check(w, schemas::dh_response, mode) == failure{errc::duplicate_payload, offset_of(w, 3)});
        }
    }
}

TEST_CASE("PK and DH I_MESSAGE: [IDi|CERTi], [IDr] (RFC 3830 §3.2, §3.3)") {
    // The payloads after the identities: KEMAC, PKE, SIGNi (PK) or DHi, SIGNi (DH).
    struct variant {
        const message_schema& now;
        const message_schema& before;
        data_type type;
    };
    for (const variant v : {variant{schemas::pk_init, old::pk_init, data_type::pk_init},
                            variant{schemas::dh_init, old::dh_init, data_type::dh_init}}) {
        CAPTURE(v.now.name);
        const auto hdr = samples::hdr(v.type, true);
        // ids: the payloads between RAND and the tail.
        const auto make = [&](std::initializer_list<int> ids) {
            return samples::build([&](auto& b) {
                b.header(hdr).add(samples::t()).add(rand_p);
                for (const int k : ids) {
                    switch (k) {
                        case 0: b.add(id_a); break;
                        case 1: b.add(id_b); break;
                        case 2: b.add(cert1); break;
                        default: b.add(cert2); break;
                    }
                }
                if (v.type == data_type::pk_init) {
                    b.add(kemac).add(pke).add(sign);
                } else {
                    b.add(dh).add(sign);
                }
            });
        };
        enum { IDi = 0, IDr = 1, CERT = 2, CERT2 = 3 };
        for (const auto mode : both_modes) {
            CAPTURE(mode == schema_check::strict);
            // Valid: nothing, IDi, IDi IDr, CERTi, CERTi IDr, a CERTi chain and IDr.
            for (const auto& ok : {make({}), make({IDi}), make({IDi, IDr}), make({CERT}), make({CERT, IDr}),
                                   make({CERT, CERT2, IDr})}) {
                CHECK(check(ok, v.now, mode) == failure{});
            }
            // IDi, CERTi and IDr: accepted before, conflicting now. Strictly
            // the first ID is IDi and the CERT conflicts with it; in any order
            // the second ID does (one ID with a CERTi chain is IDr).
            const auto idi_cert_idr = make({IDi, CERT, IDr});
            CHECK(check(idi_cert_idr, v.before, mode) == failure{});
            CHECK(check(idi_cert_idr, v.now, mode) ==
                  failure{errc::conflicting_alternatives,
                          offset_of(idi_cert_idr, mode == schema_check::strict ? 3 : 4)});
            // Three IDs were and are a duplicate.
            const auto three = make({IDi, IDr, IDi});
            CHECK(check(three, v.now, mode) == failure{errc::duplicate_payload, offset_of(three, 4)});
        }
        // IDi then CERTi, accepted before. Strictly an ID before the CERT is
        // IDi, so the CERT conflicts; in any order the ID is IDr (CERTi, IDr).
        for (const auto& w : {make({IDi, CERT}), make({IDi, CERT, CERT2})}) {
            CHECK(check(w, v.before) == failure{});
            CHECK(check(w, v.now) == failure{errc::conflicting_alternatives, offset_of(w, 3)});
            CHECK(check(w, v.now, schema_check::lenient) == failure{});
        }
        // ... but two IDs and a CERT conflict in any order.
        const auto id_cert_id = make({IDr, CERT, IDi});
        CHECK(check(id_cert_id, v.before, schema_check::lenient) == failure{});
        CHECK(check(id_cert_id, v.now, schema_check::lenient) ==
              failure{errc::conflicting_alternatives, offset_of(id_cert_id, 4)});
    }
}

TEST_CASE("Error message = HDR, T, {ERR}, {SP}, [V|SIGNr] (RFC 3830 §5.1.2)") {
    const std::span<const generic_id_block> map(&samples::cs_block, 1);  // SP needs a crypto session
    const auto hdr = samples::hdr(data_type::error, false, map);
    const auto t_only = samples::build([&](auto& b) { b.header(hdr).add(samples::t()); });
    const auto with_v = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(err).add(samples::sp()).add(samples::v()); });
    const auto with_sign = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(err).add(err).add(sign); });
    const auto v_sign = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(err).add(samples::v()).add(sign); });
    for (const auto mode : both_modes) {
        CHECK(check(t_only, schemas::error, mode) == failure{});
        CHECK(check(with_v, schemas::error, mode) == failure{});
        CHECK(check(with_sign, schemas::error, mode) == failure{});
        CHECK(check(v_sign, old::error, mode) == failure{});
        CHECK(check(v_sign, schemas::error, mode) == failure{errc::conflicting_alternatives, offset_of(v_sign, 3)});
    }
    // (SIGN has no Next Payload field, RFC 3830 §6.5: it can only be last, so V after SIGN cannot be built.)
    CHECK(schema_for(data_type::error) == &schemas::error);
}

TEST_CASE("MIKEY-TICKET Error messages (RFC 6043 §5.4)") {
    const std::span<const generic_id_block> map(&samples::cs_block, 1);
    const auto hdr = samples::hdr(data_type::error, false, map);
    const auto plain = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(err); });
    const auto err_v = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(err).add(err).add(samples::v()); });
    const auto err_sign = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(err).add(sign); });
    const auto err_sp_v = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(err).add(samples::sp()).add(samples::sp()).add(samples::v()); });
    const auto err_v_sign = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(err).add(samples::v()).add(sign); });
    const auto err_sp_sign = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(err).add(samples::sp()).add(sign); });
    const auto no_err = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(samples::v()); });
    SUBCASE("Ticket Request and Resolve: HDR, T, (ERR), [V|SIGNx]") {
        const auto& s = schemas::request_resolve_error;
        for (const auto mode : both_modes) {
            CHECK(check(plain, s, mode) == failure{});
            CHECK(check(err_v, s, mode) == failure{});
            CHECK(check(err_sign, s, mode) == failure{});
            CHECK(check(err_v_sign, old::ticket_error, mode) == failure{});
            CHECK(check(err_v_sign, s, mode) == failure{errc::conflicting_alternatives, offset_of(err_v_sign, 3)});
        }
        CHECK(check(no_err, s) == failure{errc::missing_payload, offset_of(no_err, 1)});
        CHECK(check(no_err, s, schema_check::lenient) == failure{errc::missing_payload, no_err.size()});
        // SP belongs to the Transfer form; "Unexpected payloads in the Error message SHOULD be ignored".
        CHECK(check(err_sp_sign, old::ticket_error) == failure{});
        CHECK(check(err_sp_sign, s) == failure{errc::unexpected_payload, offset_of(err_sp_sign, 2)});
        CHECK(check(err_sp_sign, s, schema_check::lenient) == failure{});
    }
    SUBCASE("Ticket Transfer: HDR, T, (ERR), {SP}, [V]") {
        const auto& s = schemas::transfer_error;
        for (const auto mode : both_modes) {
            CHECK(check(plain, s, mode) == failure{});
            CHECK(check(err_v, s, mode) == failure{});
            CHECK(check(err_sp_v, s, mode) == failure{});
        }
        CHECK(check(no_err, s) == failure{errc::missing_payload, offset_of(no_err, 1)});
        CHECK(check(no_err, s, schema_check::lenient) == failure{errc::missing_payload, no_err.size()});
        // No SIGN in the Transfer exchange's Error message.
        CHECK(check(err_sign, old::ticket_error) == failure{});
        CHECK(check(err_sign, s) == failure{errc::unexpected_payload, offset_of(err_sign, 2)});
        CHECK(check(err_sp_sign, old::ticket_error) == failure{});
        CHECK(check(err_sp_sign, s) == failure{errc::unexpected_payload, offset_of(err_sp_sign, 3)});
        CHECK(check(err_v_sign, s) == failure{errc::unexpected_payload, offset_of(err_v_sign, 3)});
    }
}

TEST_CASE("every schema is in schemas::all, once") {
    CHECK(std::size(schemas::all) == 21);
    for (std::size_t a = 0; a < std::size(schemas::all); ++a) {
        CHECK(detail::unambiguous(*schemas::all[a]));
        CHECK(detail::schema_index(*schemas::all[a]).fits);
        for (std::size_t b = a + 1; b < std::size(schemas::all); ++b) {
            CHECK(schemas::all[a] != schemas::all[b]);
            CHECK(schemas::all[a]->name != schemas::all[b]->name);
        }
    }
}

TEST_CASE("a caller's table beyond check_schema's bounds is refused, not read past") {
    const auto open_ended = [](std::string_view name, std::span<const schema_item> items) {
        message_schema s{name, data_type::error, items};
        s.closing_payload = false;
        return s;
    };
    const auto w = samples::build([&](auto& b) { b.header(samples::hdr(data_type::error, false)).add(samples::t()); });
    // max_schema_items + 1 items: more than the item masks hold.
    std::array<schema_item, max_schema_items + 1> many;
    many.fill({payload_type::err, occurs::any});
    many[0] = {payload_type::t, occurs::once};
    CHECK(check(w, open_ended("too many", many)) ==
          failure{errc::invalid_argument, 0});
    CHECK(check(w, open_ended("16 items", std::span(many).first(max_schema_items))) == failure{});
    // A group id past the owner table.
    const schema_item grouped[] = {{payload_type::t, occurs::once},
                                   {payload_type::v, occurs::optional, 0, max_schema_groups},
                                   {payload_type::sign, occurs::optional, 0, max_schema_groups}};
    for (const auto mode : {schema_check::strict, schema_check::lenient}) {
        CHECK(check(w, open_ended("bad group", grouped), mode) ==
              failure{errc::invalid_argument, 0});
    }
}

TEST_CASE("lenient order: an unsatisfied mandatory item takes a payload before an optional one of the same kind") {
    // A caller's table that detail::unambiguous refuses (an optional IDR before a mandatory one):
    // lenient mode still gives the one IDR to the mandatory item, so nothing is missing.
    const schema_item items[] = {{payload_type::t, occurs::once},
                                 {payload_type::idr, occurs::optional},
                                 {payload_type::idr, occurs::once}};
    const message_schema s{"optional before mandatory", data_type::transfer_init, items};
    CHECK(!detail::unambiguous(s));
    const auto w = samples::build(
        [&](auto& b) { b.header(samples::hdr(data_type::transfer_init, true)).add(samples::t()).add(alice); });
    CHECK(check(w, s, schema_check::lenient) == failure{});
    // Strict order gives it to the first free item, and the mandatory one is missing.
    CHECK(check(w, s, schema_check::strict) == failure{errc::missing_payload, w.size()});
}

// ticket_message's compile-time index is the one check_schema computes at run time.
static_assert(ticket::transfer_init_view::schema_index.mandatory ==
              detail::schema_index(schemas::transfer_init).mandatory);
static_assert(ticket::transfer_init_view::schema_index.of_type[static_cast<std::size_t>(payload_type::idr)] ==
              detail::schema_index(schemas::transfer_init).of_type[static_cast<std::size_t>(payload_type::idr)]);
// TRANSFER_INIT = HDR, T, RANDRi, [IDRi], [IDRr], {SP}, TICKET, [KEMAC], V (RFC 6043 §4.2.2): T, RANDRi,
// TICKET and V mandatory (items 0, 1, 5, 7).
static_assert(ticket::transfer_init_view::schema_index.mandatory == 0b10100011);

// ---------------------------------------------------------------------------
// check_schema against a reference: the item-by-item algorithm check_schema
// used until session 17 (bit masks since), kept here as the oracle of a
// differential test over random payload sequences, every schema, both modes.
// ---------------------------------------------------------------------------
namespace {
failure reference_check(const message_view& m, const message_schema& s, schema_check mode) {
    const auto matches = [](const schema_item& it, const chain_entry& e, std::uint8_t role) {
        return it.type == e.type && (it.role == 0 || it.role == role);
    };
    const auto full = [](const schema_item& it, bool seen) {
        return seen && (it.occ == occurs::once || it.occ == occurs::optional);
    };
    const auto mandatory = [](const schema_item& it) { return it.occ == occurs::once || it.occ == occurs::at_least_once; };
    if (m.type() != s.type) return {errc::wrong_message_type, 1};
    const auto& h = m.header();
    if (s.no_crypto_sessions && (h.cs_count() != 0 || h.map_type() != cs_id_map_type::empty)) {
        return {errc::bad_crypto_sessions, 8};
    }
    if (s.no_srtp_id_map && h.map_type() == cs_id_map_type::srtp_id) return {errc::bad_crypto_sessions, 9};
    const std::size_t n = s.items.size();
    std::array<bool, max_schema_items> seen{};
    std::array<std::uint8_t, max_schema_groups> owner{};
    const auto blocked = [&](std::size_t k) {
        const auto g = s.items[k].group;
        return g != 0 && owner[g] != 0 && owner[g] != k + 1;
    };
    std::size_t at = 0;
    for (const auto& e : m.payloads()) {
        if (e.type == payload_type::general_extension) continue;
        const std::uint8_t role = detail::role_of_entry(e);
        bool saw_full = false, saw_blocked = false;
        const auto free_match = [&](std::size_t k) {
            if (!matches(s.items[k], e, role)) return false;
            if (full(s.items[k], seen[k])) {
                saw_full = true;
                return false;
            }
            if (blocked(k)) {
                saw_blocked = true;
                return false;
            }
            return true;
        };
        std::size_t j = n;
        if (mode == schema_check::strict) {
            for (std::size_t k = at; k < n && j == n; ++k) j = free_match(k) ? k : n;
        } else {
            std::size_t rank = 3;
            for (std::size_t k = 0; k < n; ++k) {
                if (!free_match(k)) continue;
                const std::size_t r = mandatory(s.items[k]) && !seen[k] ? 0 : s.items[k].group == 0 ? 1 : 2;
                if (r < rank) {
                    rank = r;
                    j = k;
                }
            }
        }
        if (j == n) {
            bool saw_before = false;
            if (mode == schema_check::strict && !saw_full && !saw_blocked) {
                for (std::size_t k = 0; k < at; ++k) {
                    if (matches(s.items[k], e, role)) (blocked(k) ? saw_blocked : saw_before) = true;
                }
            }
            if (saw_blocked) return {errc::conflicting_alternatives, e.offset};
            if (saw_full) return {errc::duplicate_payload, e.offset};
            if (mode == schema_check::lenient) continue;
            return {saw_before ? errc::payload_order : errc::unexpected_payload, e.offset};
        }
        if (mode == schema_check::strict) {
            for (std::size_t k = at; k < j; ++k) {
                if (mandatory(s.items[k]) && !seen[k]) return {errc::missing_payload, e.offset};
            }
            at = j;
        }
        seen[j] = true;
        if (s.items[j].group != 0) owner[s.items[j].group] = static_cast<std::uint8_t>(j + 1);
        if (s.initiator_data_if_forking && e.type == payload_type::ticket) {
            const auto t = e.as<ticket_view>();
            if (t.flags().i && t.initiator_data().empty()) {
                return {errc::initiator_data_missing, e.offset + t.initiator_data_length_offset()};
            }
        }
    }
    for (std::size_t k = 0; k < n; ++k) {
        if (mandatory(s.items[k]) && !seen[k]) return {errc::missing_payload, m.bytes().size()};
    }
    if (s.closing_payload) {
        const auto last = m.last_payload();
        if (!last || last->type != s.items.back().type) {
            return {errc::wrong_last_payload, last ? last->offset : m.bytes().size()};
        }
    }
    return {};
}
}  // namespace

TEST_CASE("check_schema gives the reference algorithm's verdict on random payload sequences, every schema, both modes") {
    // The payloads of the sample messages (every payload the library frames, IDR / RANDR of each
    // role, TICKET with and without Initiator Data), and their headers (Empty, SRTP-ID, GENERIC-ID maps).
    struct piece {
        payload_type type;
        bytes wire;  // its bytes as in its message (Next Payload rewritten below)
    };
    std::vector<piece> pool;
    std::vector<bytes> headers;
    for (const auto& smp : samples::all()) {
        const auto m = message_view::parse(smp.wire);
        REQUIRE(m);
        headers.emplace_back(smp.wire.begin(), smp.wire.begin() + static_cast<std::ptrdiff_t>(m->header().size()));
        for (const auto& e : m->payloads()) pool.push_back({e.type, bytes(e.bytes.begin(), e.bytes.end())});
    }
    REQUIRE(pool.size() > 30);
    std::uint64_t x = 0x243F6A8885A308D3ull;  // splitmix64: reproducible
    const auto next = [&](std::uint64_t bound) {
        std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return static_cast<std::size_t>((z ^ (z >> 31)) % bound);
    };
    std::size_t parsed = 0, compared = 0, accepted = 0;
    for (int round = 0; round < 6000; ++round) {
        bytes wire = headers[next(headers.size())];
        const auto* s = schemas::all[next(std::size(schemas::all))];
        wire[1] = static_cast<std::uint8_t>(s->type);
        // Mostly the schema's own payload types, in random order and number, sometimes others.
        const std::size_t count = next(11);
        std::vector<const piece*> picked;
        for (std::size_t i = 0; i < count; ++i) {
            const piece* p = &pool[next(pool.size())];
            if (next(4) != 0) {
                const auto want = s->items[next(s->items.size())].type;
                for (std::size_t tries = 0; tries < 64 && p->type != want; ++tries) p = &pool[next(pool.size())];
            }
            picked.push_back(p);
        }
        wire[2] = picked.empty() ? 0 : static_cast<std::uint8_t>(picked[0]->type);
        for (std::size_t i = 0; i < picked.size(); ++i) {
            bytes w = picked[i]->wire;
            w[0] = i + 1 < picked.size() ? static_cast<std::uint8_t>(picked[i + 1]->type) : 0;
            wire.insert(wire.end(), w.begin(), w.end());
        }
        const auto m = message_view::parse(wire);
        if (!m) continue;
        ++parsed;
        for (const auto* sc : schemas::all) {
            for (const auto mode : {schema_check::strict, schema_check::lenient}) {
                const failure want = reference_check(*m, *sc, mode);
                const failure got = check_schema(*m, *sc, mode).error_info();
                if (!(want == got)) {
                    CAPTURE(round);
                    CAPTURE(sc->name);
                    CHECK(to_string(want.code) == to_string(got.code));
                    CHECK(want.offset == got.offset);
                }
                ++compared;
                accepted += want == failure{} ? 1 : 0;
            }
        }
    }
    MESSAGE("parsed ", parsed, " messages, ", compared, " verdicts compared, ", accepted, " acceptances");
    CHECK(parsed > 1000);
    CHECK(accepted > 100);  // the sequences reach acceptance, not only errors
}

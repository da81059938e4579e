// Message schemas (RFC 3830 §3, RFC 6043 §4.2, §5.2, §5.4).
#include "wire_helpers.hpp"

using namespace mikey;
using samples::bytes;

namespace {
failure check(const bytes& wire, const message_schema& s, schema_check mode = schema_check::strict) {
    const auto m = message_view::parse(wire);
    REQUIRE_MESSAGE(m, to_string(m.error()));
    return check_schema(*m, s, mode).error_info();
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

TEST_CASE("regression: DH R_MESSAGE with IDi alone (found by fuzz_messages)") {
    // RFC 3830 §3.3: R_MESSAGE = HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr
    const bytes dh_value(96, 1);  // builders hold views: the value must outlive them
    const dh_builder dh{dh_group::oakley_1, dh_value, {}};
    const sign_builder sign{sign_type::rsa_pss, samples::signature};
    const id_builder idi{{}, id_type::uri, samples::text("sip:a@x")};
    const id_builder idr{{}, id_type::uri, samples::text("sip:b@x")};
    const cert_builder cert{{}, cert_type::x509v3, samples::cert};
    const auto hdr = samples::hdr(data_type::dh_response);
    const auto only_idi = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(idi).add(dh).add(dh).add(sign); });
    const auto idr_idi = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(idr).add(idi).add(dh).add(dh).add(sign); });
    const auto cert_idi = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(cert).add(idi).add(dh).add(dh).add(sign); });
    const auto no_id = samples::build([&](auto& b) { b.header(hdr).add(samples::t()).add(dh).add(dh).add(sign); });
    for (const auto mode : {schema_check::strict, schema_check::lenient}) {
        CHECK(check(only_idi, schemas::dh_response, mode) == failure{});
        CHECK(check(idr_idi, schemas::dh_response, mode) == failure{});
        CHECK(check(cert_idi, schemas::dh_response, mode) == failure{});
        CHECK(check(no_id, schemas::dh_response, mode).code == errc::missing_payload);
    }
}

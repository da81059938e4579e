// Parse-only use of the single header without Botan (issue 8, item 12).
//
// tests/parse_only/run compiles this file against single_include/ with
// -DMIKEY_NO_BOTAN and no Botan on the include path, once plain and once with
// -fno-exceptions -fno-rtti -Os, and runs it. It parses
// examples/data/psk_init.hex, held as a byte array (psk_init.inc, which the
// run script generates from that file), and checks field values: exit 1 and
// one line per mismatch on the first run that disagrees.
#ifndef MIKEY_NO_BOTAN
#error "compile with -DMIKEY_NO_BOTAN: this program checks the single header without Botan"
#endif

#include <mikey/mikey.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>

// Botan's build.h defines it: a Botan header came in after all.
#ifdef BOTAN_VERSION_MAJOR
#error "a Botan header was included although MIKEY_NO_BOTAN is defined"
#endif

namespace {

// examples/data/psk_init.hex as "0x01, 0x00, ...".
constexpr std::uint8_t psk_init_wire[] = {
#include "psk_init.inc"
};

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        ++failures;
        std::printf("FAIL: %s\n", what);
    }
}

bool all_bytes(mikey::bytes_view b, std::uint8_t first, std::size_t n) {
    if (b.size() != n) {
        return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (b[i] != static_cast<std::uint8_t>(first + i)) {
            return false;
        }
    }
    return true;
}

bool same_text(mikey::bytes_view b, std::string_view s) {
    return b.size() == s.size() && std::equal(b.begin(), b.end(), s.begin(), [](std::uint8_t x, char c) {
               return x == static_cast<std::uint8_t>(c);
           });
}

}  // namespace

// The crypto layer's concept and constexpr tables stay without the backend.
static_assert(!mikey::crypto::crypto_backend<int>);

int main() {
    using namespace mikey;
    const bytes_view wire(psk_init_wire);
    const auto m = message_view::parse(wire);
    if (!m) {
        const std::string_view why = to_string(m.error());
        std::printf("FAIL: psk_init does not parse: %.*s at byte %zu\n", int(why.size()), why.data(),
                    m.error_offset());
        return 1;
    }
    // RFC 3830 §6.1 Common Header (the sample of tests/make_samples.cpp).
    check(m->type() == data_type::psk_init, "data type PSK_INIT");
    check(m->header().v_flag(), "V flag set");
    check(m->header().csb().get() == 0x12345678u, "CSB ID 0x12345678");
    check(m->header().map_type() == cs_id_map_type::srtp_id && m->header().cs_count() == 1, "one SRTP-ID entry");
    check(m->header().srtp_id(0).ssrc == 0x958C2327u, "SSRC 0x958c2327");
    check(m->payload_count() == 7, "7 payloads (T RAND ID ID SP EXT KEMAC)");
    const auto id = m->first<id_view>();
    check(id && same_text(id->data(), "sip:alice@example.org"), "IDi sip:alice@example.org");
    const auto* schema = schema_for(m->type());
    check(schema != nullptr && check_schema(*m, *schema).has_value(), "conforms to the PSK I_MESSAGE schema");

    // The NULL KEMAC's Key data chain (RFC 3830 §6.2, §6.13).
    const auto kemac = m->first<kemac_view>();
    check(kemac && kemac->encryption() == encr_alg::null, "NULL KEMAC");
    if (kemac) {
        const auto keys = kemac->plain_key_data(m->type());
        check(keys && keys->size() == 2, "two Key data sub-payloads");
        if (keys && keys->size() == 2) {
            auto it = keys->begin();
            const key_data_view tgk = *it;
            const key_data_view tek = *++it;
            check(tgk.kind() == key_data_type::tgk_salt && all_bytes(tgk.key(), 0x30, 16), "TGK+SALT key 30..3f");
            check(all_bytes(tgk.salt(), 0x40, 14), "salt 40..4d");
            check(tek.kind() == key_data_type::tek && tek.validity().kind == kv_type::interval, "TEK, KV interval");
        }
    }

    // Errors are values here too: the same bytes cut short.
    const auto cut = message_view::parse(wire.first(7));
    check(!cut && cut.error() == errc::truncated, "a 7-byte prefix is truncated");

    if (failures == 0) {
        std::printf("parse-only: psk_init parsed and checked without Botan\n");
    }
    return failures == 0 ? 0 : 1;
}

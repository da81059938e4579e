// sdp.hpp: strict base64, a=key-mgmt in SDP bodies (RFC 4567 §3.1: levels,
// media override, duplicates), the RTSP KeyMgmt header (RFC 4567 §3.2), the
// builders; every prefix of valid input handled with a specific error.
#if !(defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)) && \
    !defined(DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS)
#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#endif
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <mikey/message.hpp>
#include <mikey/sdp.hpp>

using namespace mikey;
using namespace mikey::sdp;
using bytes = std::vector<std::uint8_t>;

namespace {

// A real MIKEY PSK message (gortsplib test data; shared/spec/sdp-key-mgmt.md §2).
constexpr std::string_view blob =
    "AQAFAHojKV4BAACVjCMnAAAAAAsA6/mdTLBeokwKEGwcAuPrxj6/enyb+A2+rNcBAAAAFQABAQEBEAIBAQMBCgcBAQgBAQoBAQAAACIAIAAe"
    "X8XvOCzIMh0JTOWivWLxEflTUSp1fjj2i8xG7D9DAA==";

/// A plain reference encoder (RFC 4648 §4), independent of Botan.
std::string ref_base64(const bytes& in) {
    static constexpr char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        const unsigned n = (in[i] << 16) | (i + 1 < in.size() ? in[i + 1] << 8 : 0) | (i + 2 < in.size() ? in[i + 2] : 0);
        out += abc[(n >> 18) & 63];
        out += abc[(n >> 12) & 63];
        out += i + 1 < in.size() ? abc[(n >> 6) & 63] : '=';
        out += i + 2 < in.size() ? abc[n & 63] : '=';
    }
    return out;
}

/// The decoded size, or -1 when the text is not strict base64.
long dsize(std::string_view text) {
    const auto r = base64_decoded_size(text);
    return r ? static_cast<long>(*r) : -1;
}

bytes decode(std::string_view text) {
    const auto n = base64_decoded_size(text);
    REQUIRE(n.has_value());
    bytes out(*n);
    const auto r = base64_decode(text, out);
    REQUIRE(r.has_value());
    CHECK(r->size() == *n);
    return out;
}

std::string encode(const bytes& in) {
    std::string out(base64_encoded_size(in.size()), '?');
    const auto r = base64_encode(in, out);
    REQUIRE(r.has_value());
    CHECK(r->size() == out.size());
    return out;
}

std::string with_crlf(std::string_view lf) {
    std::string out;
    for (const char c : lf) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

// Session-level MIKEY, media 0 without its own, media 1 with its own MIKEY,
// media 2 with another protocol only (RFC 4567 §3.1 override).
const std::string body_lf = std::string("v=0\n"
                                        "o=- 1 1 IN IP4 192.0.2.1\n"
                                        "s=stream\n"
                                        "t=0 0\n"
                                        "a=key-mgmt:mikey ") + std::string(blob) + "\n"
                            "m=audio 49170 RTP/SAVP 0\n"
                            "a=rtpmap:0 PCMU/8000\n"
                            "m=video 51372 RTP/SAVP 96\n"
                            "a=key-mgmt: MIKEY AQID\n"
                            "a=key-mgmt:keyp1 BAUG\n"
                            "m=text 11000 RTP/SAVP 98\n"
                            "a=key-mgmt:keyp1 BwgJ\n";

}  // namespace

TEST_CASE("base64: round trips against a reference encoder, exact sizes") {
    for (std::size_t n = 0; n < 200; ++n) {
        bytes in(n);
        for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<std::uint8_t>(i * 37 + n);
        const std::string text = encode(in);
        CHECK(text == ref_base64(in));
        CHECK(base64_encoded_size(n) == text.size());
        CHECK(dsize(text) == static_cast<long>(n));
        CHECK(decode(text) == in);
        if (n > 0) {
            // exactly the size, not Botan's maximum
            bytes small(n - 1);
            CHECK(base64_decode(text, small).error() == errc::buffer_too_small);
            std::string short_text(text.size() - 1, '?');
            CHECK(base64_encode(in, short_text).error() == errc::buffer_too_small);
        }
    }
}

TEST_CASE("base64: strict alphabet, padding, canonical bits, no whitespace (RFC 4648 §3.3, §3.5, §4)") {
    const auto bad = [](std::string_view t, std::size_t at) {
        CAPTURE(t);
        const auto r = base64_decoded_size(t);
        CHECK(r.error() == errc::base64_invalid);
        CHECK(r.error_offset() == at);
        bytes out(64);
        CHECK(base64_decode(t, out).error() == errc::base64_invalid);
    };
    CHECK(dsize("") == 0);
    CHECK(dsize("AQID") == 3);
    CHECK(dsize("AQI=") == 2);
    CHECK(dsize("AQ==") == 1);
    bad("AQI", 3);           // incomplete quantum
    bad("AQIDB", 5);
    bad("AQ I", 2);          // whitespace
    bad("AQID\n", 4);
    bad(" AQI", 0);
    bad("AQ-_", 2);          // base64url is another alphabet
    bad("A===", 1);          // three pads
    bad("=AQI", 0);
    bad("AQ=D", 2);          // pad inside the quantum
    bad("AQ==AQID", 2);      // pad before the end
    bad("AQI=AQ==", 3);
    bad("AR==", 1);          // non-zero pad bits
    bad("AQJ=", 2);
    bad(std::string_view("AQ\0D", 4), 2);
    // every prefix of a valid text: valid when a whole number of quanta, else base64_invalid
    for (std::size_t n = 0; n <= blob.size(); ++n) {
        const auto r = base64_decoded_size(blob.substr(0, n));
        if (n % 4 == 0) {
            CHECK(r.has_value());
        } else {
            CHECK(r.error() == errc::base64_invalid);
            CHECK(r.error_offset() <= n);
        }
    }
}

TEST_CASE("SDP: session level, media level, the RFC 4567 §3.1 override, LF / CRLF / mixed line ends") {
    const std::string crlf = with_crlf(body_lf);
    std::string mixed = body_lf;
    mixed.replace(0, 4, "v=0\r\n");
    for (const std::string* body : {&body_lf, static_cast<const std::string*>(&crlf), static_cast<const std::string*>(&mixed)}) {
        CAPTURE(*body);
        const auto v = key_mgmt_view::parse(*body);
        REQUIRE(v.has_value());
        CHECK(v->media_count() == 3);
        const auto s = v->session();
        REQUIRE(s.has_value());
        CHECK(s->level == sdp_level::session);
        CHECK(s->protocol == "mikey");
        CHECK(s->data == blob);
        CHECK(body->substr(s->offset, 11) == "a=key-mgmt:");
        // media 0: no attribute of its own, the session level applies
        CHECK(v->media(0).error() == errc::sdp_no_key_mgmt);
        const auto m0 = v->for_media(0);
        REQUIRE(m0.has_value());
        CHECK(m0->level == sdp_level::session);
        // media 1: its own (the protocol id in upper case, one SP after the colon)
        const auto m1 = v->for_media(1);
        REQUIRE(m1.has_value());
        CHECK(m1->level == sdp_level::media);
        CHECK(m1->media_index == 1);
        CHECK(m1->protocol == "MIKEY");
        CHECK(m1->is_mikey());
        CHECK(m1->data == "AQID");
        bytes three(3);
        REQUIRE(m1->decode(three).has_value());
        CHECK(three == bytes{1, 2, 3});
        // media 2: another protocol at media level overrides the session's MIKEY
        CHECK(v->for_media(2).error() == errc::unknown_key_mgmt_protocol);
        CHECK(v->media(2).error() == errc::unknown_key_mgmt_protocol);
        CHECK(v->for_media(3).error() == errc::invalid_argument);
        CHECK(v->media(3).error() == errc::invalid_argument);
        int count = 0;
        v->for_each([&](const key_mgmt_attribute&) { ++count; });
        CHECK(count == 4);
    }
    // The decoded session-level data is the MIKEY message.
    const auto v = key_mgmt_view::parse(body_lf);
    const auto s = v->session();
    bytes msg(s->decoded_size());
    REQUIRE(s->decode(msg).has_value());
    CHECK(msg.size() == 112);
    CHECK(message_view::parse(msg).has_value());
}

TEST_CASE("SDP: no MIKEY, other protocols only, duplicates, malformed lines") {
    CHECK(key_mgmt_view::parse("v=0\ns=x\n")->session().error() == errc::sdp_no_key_mgmt);
    CHECK(key_mgmt_view::parse("v=0\ns=x\n")->for_media(0).error() == errc::invalid_argument);
    CHECK(key_mgmt_view::parse("v=0\nm=audio 1 RTP/SAVP 0\n")->for_media(0).error() == errc::sdp_no_key_mgmt);
    CHECK(key_mgmt_view::parse("v=0\na=key-mgmt:keyp1 AQID\n")->session().error() == errc::unknown_key_mgmt_protocol);
    // RFC 4567 §4.1.2: one attribute per protocol (and level); case-insensitive protocol match
    const auto dup = key_mgmt_view::parse("v=0\na=key-mgmt:mikey AQID\na=key-mgmt:Mikey AQID\n");
    CHECK(dup.error() == errc::key_mgmt_duplicate);
    CHECK(dup.error_offset() == 26);
    CHECK(key_mgmt_view::parse("v=0\na=key-mgmt:mikey AQID\nm=audio 1 RTP/SAVP 0\na=key-mgmt:mikey AQID\n").has_value());
    CHECK(key_mgmt_view::parse("v=0\nm=a\na=key-mgmt:mikey AQID\nm=b\na=key-mgmt:mikey AQID\n").has_value());
    CHECK(key_mgmt_view::parse("v=0\nm=a\na=key-mgmt:mikey AQID\na=key-mgmt:mikey AQID\n").error() ==
          errc::key_mgmt_duplicate);
    // RFC 4566 §5 lines
    const auto line = [](std::string_view body, errc e, std::size_t at) {
        CAPTURE(body);
        const auto r = key_mgmt_view::parse(body);
        CHECK(r.error() == e);
        CHECK(r.error_offset() == at);
    };
    line("", errc::sdp_bad_line, 0);
    line("v=0\nX=1\n", errc::sdp_bad_line, 4);
    line("v=0\n=1\n", errc::sdp_bad_line, 4);
    line("v=0\nv\n", errc::sdp_bad_line, 4);
    line("v=0\n\ns=x\n", errc::sdp_bad_line, 4);       // empty line inside
    line("v=0\rs=x\n", errc::sdp_bad_line, 3);         // bare CR
    line("v=0\ns=x\r", errc::sdp_bad_line, 7);
    line(std::string_view("v=0\ns=\0\n", 8), errc::sdp_bad_line, 6);
    CHECK(key_mgmt_view::parse("v=0\ns=x\n\n\r\n").has_value());  // empty lines at the end
    CHECK(key_mgmt_view::parse("v=0\ns=x").has_value());          // no final line end
    // a=key-mgmt grammar (RFC 4567 §3.1)
    line("v=0\na=key-mgmt\n", errc::sdp_bad_attribute, 14);
    line("v=0\na=key-mgmt:\n", errc::sdp_bad_attribute, 15);
    line("v=0\na=key-mgmt:mikey\n", errc::sdp_bad_attribute, 20);
    line("v=0\na=key-mgmt:mikey \n", errc::sdp_bad_attribute, 21);
    line("v=0\na=key-mgmt:mi-key AQID\n", errc::sdp_bad_attribute, 17);
    line("v=0\na=key-mgmt:  mikey AQID\n", errc::sdp_bad_attribute, 16);
    line("v=0\na=key-mgmt:mikey  AQID\n", errc::base64_invalid, 21);  // the data starts at the second SP
    line("v=0\na=key-mgmt:mikey AQID \n", errc::base64_invalid, 25);
    line("v=0\na=key-mgmt:mikey AQ ID\n", errc::base64_invalid, 23);
    line("v=0\na=key-mgmt:mikey\tAQID\n", errc::sdp_bad_attribute, 20);
    // other attributes are not key-mgmt
    CHECK(key_mgmt_view::parse("v=0\na=key-mgmtx:junk\na=KEY-MGMT:junk\n")->session().error() ==
          errc::sdp_no_key_mgmt);
}

TEST_CASE("SDP: every prefix of a valid body and of a valid line fails with a specific error or parses") {
    const std::string crlf = with_crlf(body_lf);
    for (const std::string* body : {&body_lf, static_cast<const std::string*>(&crlf)}) {
        for (std::size_t n = 0; n <= body->size(); ++n) {
            const std::string_view p(body->data(), n);
            const auto r = key_mgmt_view::parse(p);
            if (!r) {
                CAPTURE(n);
                const errc e = r.error();
                CHECK((e == errc::sdp_bad_line || e == errc::sdp_bad_attribute || e == errc::base64_invalid));
                CHECK(r.error_offset() <= n);
            }
        }
    }
    const std::string line = "a=key-mgmt:mikey " + std::string(blob);
    for (std::size_t n = 0; n <= line.size(); ++n) {
        const auto r = parse_key_mgmt_line(std::string_view(line.data(), n));
        CAPTURE(n);
        if (n <= 17) {
            CHECK(r.error() == errc::sdp_bad_attribute);
        } else if ((n - 17) % 4 != 0) {
            CHECK(r.error() == errc::base64_invalid);
        } else {
            CHECK(r.has_value());
        }
    }
    // every single-byte change of the body: no crash, a result either way
    std::string mutated = body_lf;
    for (std::size_t i = 0; i < mutated.size(); ++i) {
        for (const char c : {'\0', '\r', '\n', ' ', '=', 'A', ':', '-'}) {
            const char old = mutated[i];
            mutated[i] = c;
            const auto r = key_mgmt_view::parse(mutated);
            if (r) (void)r->for_media(1);
            mutated[i] = old;
        }
    }
}

TEST_CASE("SDP builder: a=key-mgmt:mikey <base64>, exact size, every line ending, round trip") {
    const bytes msg = decode(blob);
    for (const auto le : {line_ending::crlf, line_ending::lf, line_ending::none}) {
        const key_mgmt_line_builder b{msg, le};
        std::string out(b.size(), '?');
        const auto line = b.write(out);
        REQUIRE(line.has_value());
        CHECK(line->size() == out.size());
        std::string_view text = *line;
        if (le == line_ending::crlf) {
            CHECK(text.substr(text.size() - 2) == "\r\n");
            text.remove_suffix(2);
        } else if (le == line_ending::lf) {
            CHECK(text.back() == '\n');
            text.remove_suffix(1);
        }
        CHECK(text == "a=key-mgmt:mikey " + std::string(blob));
        const auto a = parse_key_mgmt_line(text);
        REQUIRE(a.has_value());
        bytes back(a->decoded_size());
        REQUIRE(a->decode(back).has_value());
        CHECK(back == msg);
        std::string small(b.size() - 1, '?');
        CHECK(b.write(small).error() == errc::buffer_too_small);
    }
    std::string out(64, '?');
    CHECK(key_mgmt_line_builder{}.write(out).error() == errc::invalid_argument);
    // A body built from it parses and yields the message.
    const key_mgmt_line_builder b{msg};
    std::string line(b.size(), '?');
    REQUIRE(b.write(line).has_value());
    const std::string body = "v=0\r\ns=-\r\nm=audio 1 RTP/SAVP 0\r\n" + line;
    const auto v = key_mgmt_view::parse(body);
    REQUIRE(v.has_value());
    const auto a = v->for_media(0);
    REQUIRE(a.has_value());
    CHECK(a->level == sdp_level::media);
    bytes back(a->decoded_size());
    REQUIRE(a->decode(back).has_value());
    CHECK(back == msg);
}

TEST_CASE("RTSP KeyMgmt: round trip, header name, folding, case, order, other protocols") {
    const bytes msg = decode(blob);
    for (const bool name : {false, true}) {
        for (const std::string_view uri : {std::string_view{}, std::string_view{"rtsp://movie.example.com/action"}}) {
            const rtsp_key_mgmt_builder b{msg, uri, name};
            std::string out(b.size(), '?');
            const auto text = b.write(out);
            REQUIRE(text.has_value());
            CHECK(text->size() == out.size());
            CAPTURE(*text);
            const auto h = parse_rtsp_key_mgmt(*text);
            REQUIRE(h.has_value());
            CHECK(h->protocol == "mikey");
            CHECK(h->uri.has_value() == !uri.empty());
            if (!uri.empty()) CHECK(*h->uri == uri);
            CHECK(h->data == blob);
            bytes back(h->decoded_size());
            REQUIRE(h->decode(back).has_value());
            CHECK(back == msg);
            std::string small(b.size() - 1, '?');
            CHECK(b.write(small).error() == errc::buffer_too_small);
        }
    }
    CHECK(rtsp_key_mgmt_builder{msg, "rtsp://a/\"b\""}.size() > 0);
    std::string out(512, '?');
    CHECK(rtsp_key_mgmt_builder{msg, "rtsp://a/\"b\""}.write(out).error() == errc::invalid_argument);
    CHECK(rtsp_key_mgmt_builder{msg, "rtsp://a b"}.write(out).error() == errc::invalid_argument);
    // RFC 3986 §2: a URI is 0x21-0x7E; DEL and 8-bit bytes cannot be quoted into the header.
    CHECK(rtsp_key_mgmt_builder{msg, "rtsp://a/\x7f"}.write(out).error() == errc::invalid_argument);
    CHECK(rtsp_key_mgmt_builder{msg, "rtsp://a/\xc3\xa9"}.write(out).error() == errc::invalid_argument);
    CHECK(rtsp_key_mgmt_builder{{}, "rtsp://a"}.write(out).error() == errc::invalid_argument);

    // The RFC 4567 §5.3 example style: lowercase name, folded, "; " separators.
    const auto rfc = parse_rtsp_key_mgmt("keymgmt: prot=mikey; uri=\"rtsp://movie.example.com/action\";\r\n data=\"AQID\"");
    REQUIRE(rfc.has_value());
    CHECK(rfc->uri == std::optional<std::string_view>("rtsp://movie.example.com/action"));
    CHECK(rfc->data == "AQID");
    // bare values, parameters in another order, upper-case protocol, trailing ";" and line end
    const auto bare = parse_rtsp_key_mgmt("data=AQID;PROT=MIKEY;\r\n");
    REQUIRE(bare.has_value());
    CHECK(bare->protocol == "MIKEY");
    CHECK_FALSE(bare->uri.has_value());
    // several specs: the MIKEY one is picked; a comma inside a quoted URI is no separator
    const auto many = parse_rtsp_key_mgmt(
        "prot=keyp1; uri=\"rtsp://a/x,y\"; data=\"BAUG\", prot=mikey; uri=\"rtsp://a/x,y\"; data=\"AQID\"; ext=1");
    REQUIRE(many.has_value());
    CHECK(many->data == "AQID");
    CHECK(many->uri == std::optional<std::string_view>("rtsp://a/x,y"));
    CHECK(many->offset == 45);
}

TEST_CASE("RTSP KeyMgmt: each malformation its own error; every prefix handled") {
    const auto bad = [](std::string_view h, errc e, std::size_t at) {
        CAPTURE(h);
        const auto r = parse_rtsp_key_mgmt(h);
        CHECK(r.error() == e);
        CHECK(r.error_offset() == at);
    };
    bad("", errc::rtsp_bad_key_mgmt, 0);
    bad("KeyMgmt:", errc::rtsp_bad_key_mgmt, 8);
    bad("uri=\"rtsp://a\"; data=\"AQID\"", errc::rtsp_bad_key_mgmt, 0);         // no prot
    bad("prot=mi-key; data=\"AQID\"", errc::rtsp_bad_key_mgmt, 0);              // not a KMPID
    bad("prot=mikey; uri=\"rtsp://a\"", errc::rtsp_bad_key_mgmt, 0);            // no data
    bad("prot=mikey; data=\"\"", errc::rtsp_bad_key_mgmt, 0);
    bad("prot=mikey; data=\"AQID\"; data=\"AQID\"", errc::rtsp_bad_key_mgmt, 25);  // data twice
    bad("prot=mikey; data=\"AQI\"", errc::base64_invalid, 21);
    bad("prot=mikey; data=\"AQ ID\"", errc::base64_invalid, 20);
    bad("prot=mikey; data=\"AQID", errc::rtsp_bad_key_mgmt, 17);                // unterminated quote
    bad("prot=mikey; data", errc::rtsp_bad_key_mgmt, 16);
    bad("prot=mikey; data=", errc::rtsp_bad_key_mgmt, 17);
    bad("prot=mikey data=AQID", errc::rtsp_bad_key_mgmt, 11);
    bad("prot=mikey;\r\ndata=AQID", errc::rtsp_bad_key_mgmt, 11);               // line end without fold
    bad("prot=mikey; data=AQID,", errc::rtsp_bad_key_mgmt, 22);                 // empty spec after ","
    bad("prot=mikey; data=AQID, prot=MIKEY; data=AQID", errc::key_mgmt_duplicate, 23);
    bad("prot=keyp1; data=AQID", errc::unknown_key_mgmt_protocol, 0);
    bad("prot=keyp1; data=\"A\"", errc::base64_invalid, 19);                    // checked for every protocol

    const std::string full = "KeyMgmt: prot=mikey; uri=\"rtsp://a/b\"; data=\"" + std::string(blob) + "\"";
    for (std::size_t n = 0; n <= full.size(); ++n) {
        const auto r = parse_rtsp_key_mgmt(std::string_view(full.data(), n));
        if (!r) {
            CAPTURE(n);
            const errc e = r.error();
            CHECK((e == errc::rtsp_bad_key_mgmt || e == errc::base64_invalid || e == errc::unknown_key_mgmt_protocol));
            CHECK(r.error_offset() <= n);
        }
    }
    CHECK(parse_rtsp_key_mgmt(full).has_value());
    std::string mutated = full;
    for (std::size_t i = 0; i < mutated.size(); ++i) {
        for (const char c : {'\0', '\r', '\n', ' ', '"', ',', ';', '='}) {
            const char old = mutated[i];
            mutated[i] = c;
            (void)parse_rtsp_key_mgmt(mutated);
            mutated[i] = old;
        }
    }
}

TEST_CASE("RFC 4567 §7: two consecutive CS IDs per m= line") {
    CHECK(cs_ids_for_media(0)->first.get() == 1);
    CHECK(cs_ids_for_media(0)->second.get() == 2);
    CHECK(cs_ids_for_media(1)->first.get() == 3);
    CHECK(cs_ids_for_media(126)->second.get() == 254);
    CHECK(cs_ids_for_media(127).error() == errc::invalid_argument);
    static_assert(base64_decoded_size("AQID").has_value());
    static_assert(parse_key_mgmt_line("a=key-mgmt:mikey AQID").has_value());
    static_assert(parse_rtsp_key_mgmt("prot=mikey; data=AQID").has_value());
}

// fuzz_sdp: the integration layer on hostile text and bytes.
//
// Input: one selector byte (modulo 4), then:
//   0  an SDP body: key_mgmt_view::parse, then every lookup and decode
//   1  an RTSP KeyMgmt header: parse_rtsp_key_mgmt, then decode
//   2  base64 text: base64_decoded_size / base64_decode / base64_encode
//   3  an SP payload: srtp::policy_from (and a HDR: srtp::stream_of)
//
// Invariants: a failure carries a real error code and an offset inside the
// input; decoded data has the announced size and encodes back to the same
// text; a parsed header or line rebuilt by the builders parses to the same
// data; a policy names a libsrtp2 suite whose key lengths add up.
//
// Corpus: fuzz/corpus/sdp/ (seeds written by hand, one per selector).
#include <string>
#include <string_view>
#include <vector>

#include <mikey/payload/hdr.hpp>
#include <mikey/sdp.hpp>
#include <mikey/srtp.hpp>

#include "fuzz_main.hpp"

namespace {

using namespace mikey;

std::string_view as_text(bytes_view in) { return {reinterpret_cast<const char*>(in.data()), in.size()}; }

void check_failure(const failure& f, std::size_t size) {
    MIKEY_FUZZ_CHECK(f.code != errc::ok);
    MIKEY_FUZZ_CHECK(f.offset <= size);
}

/// Decodes base64 that a parser accepted and checks it encodes back.
void check_data(std::string_view data) {
    const auto n = sdp::base64_decoded_size(data);
    MIKEY_FUZZ_CHECK(n.has_value());
    std::vector<std::uint8_t> out(*n);
    const auto d = sdp::base64_decode(data, out);
    MIKEY_FUZZ_CHECK(d.has_value() && d->size() == *n);
    std::string back(sdp::base64_encoded_size(*n), '?');
    const auto e = sdp::base64_encode(out, back);
    MIKEY_FUZZ_CHECK(e.has_value() && *e == data);
}

void fuzz_sdp_body(std::string_view text) {
    const auto v = sdp::key_mgmt_view::parse(text);
    if (!v) {
        check_failure(v.error_info(), text.size());
        return;
    }
    v->for_each([](const sdp::key_mgmt_attribute& a) { check_data(a.data); });
    for (std::size_t m = 0; m <= v->media_count() && m < 64; ++m) {
        const auto a = v->for_media(m);
        if (a) {
            MIKEY_FUZZ_CHECK(a->is_mikey());
            std::vector<std::uint8_t> msg(a->decoded_size());
            MIKEY_FUZZ_CHECK(a->decode(msg).has_value());
            if (msg.empty()) continue;
            const sdp::key_mgmt_line_builder b{msg, sdp::line_ending::none};
            std::string line(b.size(), '?');
            const auto w = b.write(line);
            MIKEY_FUZZ_CHECK(w.has_value());
            const auto again = sdp::parse_key_mgmt_line(*w);
            MIKEY_FUZZ_CHECK(again.has_value() && again->data == a->data);
        } else {
            MIKEY_FUZZ_CHECK(m == v->media_count() ? a.error() == errc::invalid_argument
                                                   : (a.error() == errc::sdp_no_key_mgmt ||
                                                      a.error() == errc::unknown_key_mgmt_protocol));
        }
    }
}

void fuzz_rtsp(std::string_view text) {
    const auto h = sdp::parse_rtsp_key_mgmt(text);
    if (!h) {
        check_failure(h.error_info(), text.size());
        return;
    }
    check_data(h->data);
    std::vector<std::uint8_t> msg(h->decoded_size());
    MIKEY_FUZZ_CHECK(h->decode(msg).has_value());
    const sdp::rtsp_key_mgmt_builder b{msg, h->uri.value_or(std::string_view{}), true};
    std::string out(b.size(), '?');
    const auto w = b.write(out);
    if (!w) {
        // a bare or odd URI the builder will not quote
        MIKEY_FUZZ_CHECK(w.error() == errc::invalid_argument);
        return;
    }
    const auto again = sdp::parse_rtsp_key_mgmt(*w);
    MIKEY_FUZZ_CHECK(again.has_value() && again->data == h->data);
}

void fuzz_base64(bytes_view in) {
    const std::string_view text = as_text(in);
    const auto n = sdp::base64_decoded_size(text);
    if (!n) {
        check_failure(n.error_info(), text.size());
        std::vector<std::uint8_t> out(64);
        MIKEY_FUZZ_CHECK(sdp::base64_decode(text, out).error() == errc::base64_invalid);
    } else {
        check_data(text);
    }
    // and the bytes themselves as data to encode
    std::string enc(sdp::base64_encoded_size(in.size()), '?');
    const auto e = sdp::base64_encode(in, enc);
    MIKEY_FUZZ_CHECK(e.has_value());
    check_data(*e);
}

void fuzz_policy(bytes_view in) {
    if (const auto sp = sp_view::parse(in)) {
        const auto p = srtp::policy_from(*sp);
        if (p) {
            for (const auto* c : {&p->rtp, &p->rtcp}) {
                MIKEY_FUZZ_CHECK(c->cipher_key_len == p->master_key_len + p->master_salt_len);
                MIKEY_FUZZ_CHECK(srtp::to_string(c->profile) != "unknown_suite");
            }
        } else {
            MIKEY_FUZZ_CHECK(p.error() == errc::srtp_policy_unsupported || p.error() == errc::not_an_srtp_session);
        }
    }
    if (const auto h = hdr_view::parse(in)) {
        for (unsigned cs = 0; cs < 256; ++cs) {
            const auto s = srtp::stream_of(*h, cs_id{static_cast<std::uint8_t>(cs)});
            if (!s) {
                MIKEY_FUZZ_CHECK(s.error() == errc::invalid_argument || s.error() == errc::not_an_srtp_session);
            }
        }
    }
}

void fuzz_one(bytes_view in) {
    if (in.empty()) return;
    const bytes_view rest = in.subspan(1);
    switch (in[0] % 4) {
        case 0: fuzz_sdp_body(as_text(rest)); break;
        case 1: fuzz_rtsp(as_text(rest)); break;
        case 2: fuzz_base64(rest); break;
        default: fuzz_policy(rest); break;
    }
}

}  // namespace

MIKEY_FUZZ_TARGET(fuzz_one)

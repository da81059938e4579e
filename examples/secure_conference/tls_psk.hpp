// secure_conference demo: BFCP over TLS-PSK keyed by MIKEY-TICKET.
//
// Seed 003 G.3.2: "BFCP traffic shall be protected in the same way as MSRP
// traffic, i.e. using a TLS tunnel established with MIKEY-TICKET"; the PSK
// is the TEK of the BFCP crypto session (TS 23.333 §6.2.19), which
// <mikey/conference/non_media.hpp>'s tls_psk_of gives with a PSK identity.
//
// run_bfcp_floor_request runs, in one process with byte buffers in between:
//   1. a TLS 1.2 handshake with Botan 2.19's TLS module, PSK cipher suites
//      only (RFC 4279 PSK, RFC 5489 ECDHE_PSK), the client (participant)
//      and server (floor control server in the focus / MRFP) each with its
//      own view of the PSK;
//   2. the client sends a BFCP FloorRequest (RFC 8855 §5.3.1: common header
//      version 1, primitive 1, conference ID, transaction ID, user ID, one
//      FLOOR-ID attribute);
//   3. the server answers FloorRequestStatus (primitive 4, R flag set, same
//      transaction) with FLOOR-REQUEST-INFORMATION holding an
//      OVERALL-REQUEST-STATUS and a FLOOR-REQUEST-STATUS whose
//      REQUEST-STATUS is Granted (RFC 8855 §5.2.5, value 3);
//   4. the client parses it and reports whether the floor was granted.
// A wrong PSK (Finished does not verify) or an unknown identity
// (unknown_psk_identity alert) makes the handshake fail: reported in the
// result, never thrown. Botan reports errors by throwing; every Botan call
// runs inside try / catch here, so this header needs exceptions enabled
// (the library headers do not).
//
// Example code: it allocates, it copies the PSK into Botan's SymmetricKey
// (a secure_vector, wiped by Botan) and nowhere else.
#pragma once

#include <botan/auto_rng.h>
#include <botan/credentials_manager.h>
#include <botan/tls_callbacks.h>
#include <botan/tls_client.h>
#include <botan/tls_exceptn.h>
#include <botan/tls_policy.h>
#include <botan/tls_server.h>
#include <botan/tls_session_manager.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mikey/conference/non_media.hpp>

namespace secure_conference {

// ================================================================ BFCP (RFC 8855) messages

namespace bfcp {

inline constexpr std::uint8_t version = 1;  ///< RFC 8855 §5.1: 1 over reliable transports (TCP/TLS)
inline constexpr std::size_t common_header_size = 12;

/// Primitives (RFC 8855 §5.1, Table 1).
enum class primitive : std::uint8_t { floor_request = 1, floor_request_status = 4 };

/// Attribute types (RFC 8855 §5.2, Table 2).
enum class attribute : std::uint8_t {
    floor_id = 2,
    request_status = 5,
    floor_request_information = 15,
    floor_request_status = 17,
    overall_request_status = 18,
};

/// Request Status values of REQUEST-STATUS (RFC 8855 §5.2.5).
enum class request_status : std::uint8_t {
    pending = 1, accepted = 2, granted = 3, denied = 4, cancelled = 5, released = 6, revoked = 7,
};

/// The fields of a FloorRequest this demo sends.
struct floor_request {
    std::uint32_t conference_id = 0;
    std::uint16_t transaction_id = 0;
    std::uint16_t user_id = 0;
    std::uint16_t floor_id = 0;
};

namespace detail {

inline void put16(std::vector<std::uint8_t>& v, std::uint16_t x) {
    v.push_back(static_cast<std::uint8_t>(x >> 8));
    v.push_back(static_cast<std::uint8_t>(x));
}

inline std::uint16_t get16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

/// COMMON-HEADER (RFC 8855 §5.1): Ver(3) R(1) F(1) Res(3) | Primitive |
/// Payload Length (4-octet units, header excluded) | Conference ID |
/// Transaction ID | User ID.
inline std::vector<std::uint8_t> header(primitive p, bool responder, std::size_t payload, std::uint32_t conf,
                                        std::uint16_t txn, std::uint16_t user) {
    std::vector<std::uint8_t> v;
    v.push_back(static_cast<std::uint8_t>((version << 5) | (responder ? 0x10 : 0x00)));
    v.push_back(static_cast<std::uint8_t>(p));
    put16(v, static_cast<std::uint16_t>(payload / 4));
    for (int shift = 24; shift >= 0; shift -= 8) v.push_back(static_cast<std::uint8_t>(conf >> shift));
    put16(v, txn);
    put16(v, user);
    return v;
}

/// An attribute header (RFC 8855 §5.2): Type(7) M(1) | Length (octets,
/// the 2-byte header included, padding excluded). M is set: this demo's
/// attributes are all mandatory to understand.
inline void attr_header(std::vector<std::uint8_t>& v, attribute a, std::size_t length) {
    v.push_back(static_cast<std::uint8_t>((static_cast<unsigned>(a) << 1) | 1u));
    v.push_back(static_cast<std::uint8_t>(length));
}

/// REQUEST-STATUS (RFC 8855 §5.2.5): Request Status, Queue Position.
inline void put_request_status(std::vector<std::uint8_t>& v, request_status s) {
    attr_header(v, attribute::request_status, 4);
    v.push_back(static_cast<std::uint8_t>(s));
    v.push_back(0);  // queue position: not queued
}

/// One attribute found by walk(): type, M bit, contents (after the 2-byte header).
struct attr {
    std::uint8_t type = 0;
    bool mandatory = false;
    const std::uint8_t* body = nullptr;
    std::size_t body_size = 0;
};

/// Calls f(attr) for each attribute of [p, p + n) (with 4-byte padding
/// between them); false when an attribute runs past the end or is shorter
/// than its header.
template <class F>
bool walk(const std::uint8_t* p, std::size_t n, F&& f) {
    std::size_t i = 0;
    while (i < n) {
        if (n - i < 2) return false;
        const std::size_t len = p[i + 1];
        if (len < 2 || len > n - i) return false;
        f(attr{static_cast<std::uint8_t>(p[i] >> 1), (p[i] & 1u) != 0, p + i + 2, len - 2});
        const std::size_t padded = (len + 3) / 4 * 4;
        i += padded < n - i ? padded : n - i;
    }
    return true;
}

}  // namespace detail

/// FloorRequest (RFC 8855 §5.3.1) with one FLOOR-ID.
inline std::vector<std::uint8_t> encode_floor_request(const floor_request& r) {
    auto v = detail::header(primitive::floor_request, false, 4, r.conference_id, r.transaction_id, r.user_id);
    detail::attr_header(v, attribute::floor_id, 4);
    detail::put16(v, r.floor_id);
    return v;
}

/// The parsed COMMON-HEADER of a message, with a view of its attributes.
struct message {
    bool responder = false;
    std::uint8_t primitive = 0;
    std::uint32_t conference_id = 0;
    std::uint16_t transaction_id = 0;
    std::uint16_t user_id = 0;
    const std::uint8_t* attrs = nullptr;
    std::size_t attrs_size = 0;
};

/// One whole message from the front of `in`: nullopt when `in` holds less
/// than a message, or the header is not version 1 without fragmentation.
/// `used` gets the message's size.
inline std::optional<message> decode(const std::vector<std::uint8_t>& in, std::size_t& used) noexcept {
    if (in.size() < common_header_size) return std::nullopt;
    const std::uint8_t b0 = in[0];
    if ((b0 >> 5) != version || (b0 & 0x08u) != 0) return std::nullopt;  // F (fragmentation): UDP only
    const std::size_t payload = 4u * detail::get16(&in[2]);
    if (in.size() < common_header_size + payload) return std::nullopt;
    message m;
    m.responder = (b0 & 0x10u) != 0;
    m.primitive = in[1];
    m.conference_id = static_cast<std::uint32_t>(in[4]) << 24 | static_cast<std::uint32_t>(in[5]) << 16 |
                      static_cast<std::uint32_t>(in[6]) << 8 | in[7];
    m.transaction_id = detail::get16(&in[8]);
    m.user_id = detail::get16(&in[10]);
    m.attrs = in.data() + common_header_size;
    m.attrs_size = payload;
    used = common_header_size + payload;
    return m;
}

/// The FLOOR-ID of a FloorRequest, or nullopt.
inline std::optional<std::uint16_t> floor_id_of(const message& m) {
    if (m.primitive != static_cast<std::uint8_t>(primitive::floor_request) || m.responder) return std::nullopt;
    std::optional<std::uint16_t> id;
    const bool ok = detail::walk(m.attrs, m.attrs_size, [&](const detail::attr& a) {
        if (a.type == static_cast<std::uint8_t>(attribute::floor_id) && a.body_size == 2 && !id) {
            id = detail::get16(a.body);
        }
    });
    return ok ? id : std::nullopt;
}

/// FloorRequestStatus (RFC 8855 §5.3.4) answering `r` (R flag, same
/// conference, transaction and user): FLOOR-REQUEST-INFORMATION
/// (floor request `floor_request_id`) with OVERALL-REQUEST-STATUS and
/// FLOOR-REQUEST-STATUS, both with REQUEST-STATUS `s`.
inline std::vector<std::uint8_t> encode_floor_request_status(const message& r, std::uint16_t floor_id,
                                                             std::uint16_t floor_request_id, request_status s) {
    constexpr std::size_t frs = 2 + 2 + 4;         // FLOOR-REQUEST-STATUS: header, Floor ID, REQUEST-STATUS
    constexpr std::size_t ors = 2 + 2 + 4;         // OVERALL-REQUEST-STATUS: header, Floor Request ID, REQUEST-STATUS
    constexpr std::size_t fri = 2 + 2 + ors + frs; // FLOOR-REQUEST-INFORMATION: header, Floor Request ID, children
    static_assert(fri % 4 == 0);
    auto v = detail::header(primitive::floor_request_status, true, fri, r.conference_id, r.transaction_id,
                            r.user_id);
    detail::attr_header(v, attribute::floor_request_information, fri);
    detail::put16(v, floor_request_id);
    detail::attr_header(v, attribute::overall_request_status, ors);
    detail::put16(v, floor_request_id);
    detail::put_request_status(v, s);
    detail::attr_header(v, attribute::floor_request_status, frs);
    detail::put16(v, floor_id);
    detail::put_request_status(v, s);
    return v;
}

/// The overall Request Status of a FloorRequestStatus for floor `floor_id`
/// answering transaction `txn`, or nullopt when the message is not that.
inline std::optional<request_status> status_of(const message& m, std::uint16_t txn, std::uint16_t floor_id) {
    if (m.primitive != static_cast<std::uint8_t>(primitive::floor_request_status) || !m.responder ||
        m.transaction_id != txn) {
        return std::nullopt;
    }
    std::optional<request_status> overall;
    bool floor_seen = false;
    bool nested_ok = true;
    const auto status_in = [&](const std::uint8_t* p, std::size_t n) {
        std::optional<request_status> s;
        nested_ok = detail::walk(p, n, [&](const detail::attr& a) {
            if (a.type == static_cast<std::uint8_t>(attribute::request_status) && a.body_size == 2) {
                s = static_cast<request_status>(a.body[0]);
            }
        }) && nested_ok;
        return s;
    };
    const bool ok = detail::walk(m.attrs, m.attrs_size, [&](const detail::attr& a) {
        if (a.type != static_cast<std::uint8_t>(attribute::floor_request_information) || a.body_size < 2) return;
        nested_ok = detail::walk(a.body + 2, a.body_size - 2, [&](const detail::attr& c) {
            if (c.body_size < 2) return;
            if (c.type == static_cast<std::uint8_t>(attribute::overall_request_status)) {
                overall = status_in(c.body + 2, c.body_size - 2);
            } else if (c.type == static_cast<std::uint8_t>(attribute::floor_request_status) &&
                       detail::get16(c.body) == floor_id) {
                floor_seen = true;
            }
        }) && nested_ok;
    });
    if (!ok || !nested_ok || !floor_seen) return std::nullopt;
    return overall;
}

}  // namespace bfcp

// ================================================================ TLS-PSK

/// A TLS 1.2 policy allowing only PSK key exchange (RFC 4279, RFC 5489) with
/// AEAD ciphers.
class psk_only_policy final : public Botan::TLS::Policy {
public:
    /// `kex`: Botan's key exchange names, e.g. {"ECDHE_PSK", "PSK"} (the
    /// default: forward secrecy first) or {"PSK"} (RFC 4279 plain PSK).
    explicit psk_only_policy(std::vector<std::string> kex = {"ECDHE_PSK", "PSK"}) : m_kex(std::move(kex)) {}
    std::vector<std::string> allowed_key_exchange_methods() const override { return m_kex; }
    std::vector<std::string> allowed_ciphers() const override { return {"AES-256/GCM", "AES-128/GCM"}; }
    std::vector<std::string> allowed_macs() const override { return {"AEAD"}; }
    bool allow_tls10() const override { return false; }
    bool allow_tls11() const override { return false; }
    bool allow_tls12() const override { return true; }
    bool allow_dtls10() const override { return false; }
    bool allow_dtls12() const override { return false; }

private:
    std::vector<std::string> m_kex;
};

namespace detail {

/// One side's PSK: identity and key (from conference::tls_psk).
class psk_credentials final : public Botan::Credentials_Manager {
public:
    explicit psk_credentials(const mikey::conference::tls_psk& p)
        : m_identity(p.identity.view()), m_key(p.key.view().data(), p.key.size()) {}

    /// Client: the identity it sends (RFC 4279 §2, ClientKeyExchange).
    std::string psk_identity(const std::string&, const std::string&, const std::string&) override {
        return m_identity;
    }
    /// Both: the key for `identity`. An identity this side does not know is
    /// an unknown_psk_identity alert (RFC 4279 §2).
    Botan::SymmetricKey psk(const std::string&, const std::string&, const std::string& identity) override {
        if (identity != m_identity) {
            throw Botan::TLS::TLS_Exception(Botan::TLS::Alert::UNKNOWN_PSK_IDENTITY, "unknown PSK identity");
        }
        return m_key;
    }

private:
    std::string m_identity;
    Botan::SymmetricKey m_key;
};

/// Collects what one endpoint emits and receives.
class buffer_callbacks final : public Botan::TLS::Callbacks {
public:
    std::vector<std::uint8_t> to_peer;  ///< TLS records to deliver to the other side
    std::vector<std::uint8_t> app;      ///< application data received
    std::string alert;                  ///< the last alert received, if any
    std::string suite;                  ///< the negotiated cipher suite
    bool established = false;

    void tls_emit_data(const std::uint8_t data[], std::size_t size) override {
        to_peer.insert(to_peer.end(), data, data + size);
    }
    void tls_record_received(std::uint64_t, const std::uint8_t data[], std::size_t size) override {
        app.insert(app.end(), data, data + size);
    }
    void tls_alert(Botan::TLS::Alert a) override { alert = a.type_string(); }
    bool tls_session_established(const Botan::TLS::Session& s) override {
        established = true;
        suite = s.ciphersuite().to_string();
        return false;  // nothing to resume: do not cache
    }
};

}  // namespace detail

/// What run_bfcp_floor_request reports.
struct bfcp_tls_result {
    bool handshake_ok = false;   ///< both ends completed the TLS handshake
    std::string suite;           ///< the negotiated cipher suite (IANA name as Botan gives it)
    bool floor_granted = false;  ///< the client received a FloorRequestStatus with Granted
    std::string failure;         ///< why not, when something failed (empty otherwise)

    [[nodiscard]] bool ok() const noexcept { return handshake_ok && floor_granted; }
};

/// Runs a TLS-PSK handshake between a client holding `client_psk` and a
/// server holding `server_psk` (each from conference::tls_psk_of on its own
/// session key), then one BFCP FloorRequest / FloorRequestStatus exchange
/// over it (see the top of this file). Never throws: Botan's exceptions
/// (alerts, decoding errors, allocation) become `failure`.
[[nodiscard]] inline bfcp_tls_result run_bfcp_floor_request(const mikey::conference::tls_psk& client_psk,
                                                           const mikey::conference::tls_psk& server_psk,
                                                           const bfcp::floor_request& request = {0x0C0FFEE0u, 1, 7, 1},
                                                           const psk_only_policy& policy = psk_only_policy{}) noexcept {
    bfcp_tls_result out;
    try {
        Botan::AutoSeeded_RNG rng;
        Botan::TLS::Session_Manager_Noop sessions_c, sessions_s;
        detail::psk_credentials creds_c(client_psk), creds_s(server_psk);
        detail::buffer_callbacks cb_c, cb_s;
        Botan::TLS::Server server(cb_s, sessions_s, creds_s, policy, rng);
        Botan::TLS::Client client(cb_c, sessions_c, creds_c, policy, rng,
                                  Botan::TLS::Server_Information("focus.example.com", "bfcp", 0),
                                  Botan::TLS::Protocol_Version::TLS_V12);
        // Delivers queued records both ways until both sides are quiet. A
        // side that throws has queued its fatal alert: deliver it to the
        // peer (whose own failure is then expected), then report.
        const auto pump = [&]() -> bool {
            for (int round = 0; round < 64 && (!cb_c.to_peer.empty() || !cb_s.to_peer.empty()); ++round) {
                const auto deliver = [&](detail::buffer_callbacks& from, Botan::TLS::Channel& to,
                                         const char* side) -> bool {
                    if (from.to_peer.empty()) return true;
                    std::vector<std::uint8_t> bytes;
                    bytes.swap(from.to_peer);
                    try {
                        to.received_data(bytes.data(), bytes.size());
                        return true;
                    } catch (const std::exception& e) {
                        if (out.failure.empty()) out.failure = std::string(side) + ": " + e.what();
                        return false;
                    }
                };
                if (!deliver(cb_c, server, "server") || !deliver(cb_s, client, "client")) {
                    // Let the alert the failing side queued reach the other one.
                    try {
                        if (!cb_c.to_peer.empty()) server.received_data(cb_c.to_peer.data(), cb_c.to_peer.size());
                        if (!cb_s.to_peer.empty()) client.received_data(cb_s.to_peer.data(), cb_s.to_peer.size());
                    } catch (const std::exception&) {
                    }
                    return false;
                }
            }
            return cb_c.to_peer.empty() && cb_s.to_peer.empty();
        };
        const auto with_alerts = [&](std::string why) {
            if (!cb_c.alert.empty()) why += "; client got alert " + cb_c.alert;
            if (!cb_s.alert.empty()) why += "; server got alert " + cb_s.alert;
            return why;
        };

        if (!pump() || !client.is_active() || !server.is_active()) {
            out.failure = with_alerts(out.failure.empty() ? "handshake did not complete" : out.failure);
            return out;
        }
        out.handshake_ok = cb_c.established && cb_s.established;
        out.suite = cb_c.suite;
        if (!out.handshake_ok || cb_c.suite != cb_s.suite) {
            out.failure = "the two ends disagree on the session";
            return out;
        }

        // BFCP: FloorRequest from the participant.
        const auto req = bfcp::encode_floor_request(request);
        client.send(req.data(), req.size());
        if (!pump()) {
            out.failure = with_alerts("sending FloorRequest: " + out.failure);
            return out;
        }
        std::size_t used = 0;
        const auto got = bfcp::decode(cb_s.app, used);
        const auto floor = got ? bfcp::floor_id_of(*got) : std::nullopt;
        if (!got || !floor) {
            out.failure = "server: no valid FloorRequest";
            return out;
        }
        // The floor control server grants the floor at once.
        const auto resp = bfcp::encode_floor_request_status(*got, *floor, 1, bfcp::request_status::granted);
        server.send(resp.data(), resp.size());
        if (!pump()) {
            out.failure = with_alerts("sending FloorRequestStatus: " + out.failure);
            return out;
        }
        const auto answer = bfcp::decode(cb_c.app, used);
        const auto status = answer ? bfcp::status_of(*answer, request.transaction_id, request.floor_id)
                                   : std::nullopt;
        if (!status) {
            out.failure = "client: no valid FloorRequestStatus";
            return out;
        }
        out.floor_granted = *status == bfcp::request_status::granted;
        if (!out.floor_granted) out.failure = "floor not granted";
        client.close();
        pump();
        return out;
    } catch (const std::exception& e) {
        if (out.failure.empty()) {
            try {
                out.failure = e.what();
            } catch (...) {
            }
        }
        return out;  // handshake_ok stays what it was when the exception came
    } catch (...) {
        out.handshake_ok = false;
        return out;
    }
}

}  // namespace secure_conference

// mikey-ticket: KEMAC (RFC 3830 §6.2, RFC 6043 §6.2) and the Key data
// sub-payload (RFC 3830 §6.13, RFC 6043 §6.2.1) carried in its Encr data.
#pragma once

#include "id.hpp"
#include "key_validity.hpp"

namespace mikey {

struct kemac_builder;
class key_data_list;

/// KEMAC: Next | Encr alg | Encr data len(16) | Encr data | Mac alg | MAC.
/// The MAC's length follows from the Mac alg.
class kemac_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::kemac;

    MIKEY_REFUSE_TEMPORARIES(kemac_view);
    /// Errors: underrun; unknown_encr_alg (unassigned); unknown_mac_alg (not
    /// registered: the MAC's length is then unknown).
    [[nodiscard]] static constexpr result<kemac_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                            errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto encr = static_cast<encr_alg>(r.u8());
        const bytes_view data = r.take(r.u16());
        const std::size_t mac_at = r.offset();
        const auto mac = static_cast<mac_alg>(r.u8());
        if (r.failed()) {
            return r.error();
        }
        if (!is_acceptable(encr)) {
            return failure{errc::unknown_encr_alg, 1};
        }
        if (!is_registered(mac)) {
            return failure{errc::unknown_mac_alg, mac_at};
        }
        (void)r.take(mac_size(mac));
        if (r.failed()) {
            return r.error();
        }
        return kemac_view(in.first(r.offset()), data);
    }

    /// The view of a KEMAC that parse() accepted (a validated chain's entry,
    /// or the start of the rest of one): reads the layout without checking it
    /// again. Precondition: `in` starts with such a payload.
    [[nodiscard]] static constexpr kemac_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        // Next | Encr alg | Encr data len(16) | Encr data | Mac alg | MAC, read in place.
        const std::size_t len = detail::validated_u16(in, 2);
        const std::size_t mac_at = 5 + len;
        return kemac_view(in.first(mac_at + mac_size(static_cast<mac_alg>(in[mac_at - 1]))), in.subspan(4, len));
    }

    [[nodiscard]] constexpr encr_alg encryption() const noexcept { return static_cast<encr_alg>(m_bytes[1]); }
    /// The Encr data field: the (encrypted) sub-payload chain.
    [[nodiscard]] constexpr bytes_view encrypted_data() const noexcept { return m_data; }
    [[nodiscard]] constexpr mac_alg mac_algorithm() const noexcept {
        return static_cast<mac_alg>(m_bytes[4 + m_data.size()]);
    }
    /// The MAC field (empty for the NULL MAC).
    [[nodiscard]] constexpr bytes_view mac() const noexcept { return m_bytes.subspan(5 + m_data.size()); }
    /// Offset of the MAC field within bytes().
    [[nodiscard]] constexpr std::size_t mac_offset() const noexcept { return 5 + m_data.size(); }
    [[nodiscard]] constexpr kemac_builder to_builder() const noexcept;
    /// The Key data chain of a KEMAC with NULL encryption, whose Encr data is
    /// the plaintext (RFC 3830 §4.2.3, §6.2), with a leading ID payload when
    /// `leading_id` (the PK method's IDi, RFC 3830 §3.2). The views point into
    /// the buffer this view points into. Defined after key_data_list.
    /// Errors (offsets relative to encrypted_data()): invalid_argument (offset
    /// 0) when encryption() is not NULL (the data is ciphertext: open it with
    /// crypto::open_kemac); the chain's own errors, as key_data_list::parse
    /// gives them (length_out_of_bounds, misplaced_payload,
    /// unknown_key_data_type, unknown_kv_type, unknown_id_type, trailing_bytes).
    [[nodiscard]] constexpr result<key_data_list> plain_key_data(bool leading_id) const noexcept;
    /// plain_key_data(kemac_has_leading_id(message)): the chain as a message
    /// of data type `message` carries it, IDi first in PK_INIT only.
    [[nodiscard]] constexpr result<key_data_list> plain_key_data(data_type message) const noexcept;

private:
    constexpr kemac_view(bytes_view b, bytes_view data) noexcept : payload_bytes(b), m_data(data) {}
    bytes_view m_data{};
};

/// Bytes of a KEMAC payload with `encr_size` bytes of Encr data and Mac alg
/// `mac` (a registered one: mac_size() gives its MAC's length).
/// Errors: field_too_long (Encr data over 65535 bytes: its length field has 16 bits).
[[nodiscard]] constexpr result<std::size_t> kemac_payload_size(std::size_t encr_size, mac_alg mac) noexcept {
    if (!byte_writer::fits(encr_size, 2)) return errc::field_too_long;
    return 5 + encr_size + mac_size(mac);
}

/// The fields a KEMAC's writer fills after put_kemac_frame.
struct kemac_frame {
    mutable_bytes encrypted_data;  ///< Encr data
    mutable_bytes mac;             ///< MAC (empty for the NULL MAC)
};

/// Lays out a KEMAC payload in `out` (kemac_payload_size(encr_size, mac)
/// bytes): Next payload 0 (a chain writer links it), Encr alg, Encr data
/// len and Mac alg; returns the Encr data and MAC fields for the caller to
/// fill (kemac_builder copies them; the crypto layer encrypts into them).
/// Preconditions: out.size() is that size, encr_size <= 65535.
[[nodiscard]] constexpr kemac_frame put_kemac_frame(mutable_bytes out, encr_alg encr, std::size_t encr_size,
                                                    mac_alg mac) noexcept {
    std::uint8_t* p = put::u8(out.data(), 0);
    p = put::u8(p, static_cast<std::uint8_t>(encr));
    p = put::u16(p, encr_size);
    put::u8(p + encr_size, static_cast<std::uint8_t>(mac));
    return {out.subspan(4, encr_size), out.subspan(5 + encr_size)};
}

/// Builds a KEMAC from already protected Encr data and MAC (the crypto layer
/// produces both, or encrypts into put_kemac_frame's fields itself).
/// Errors on write: field_too_long (Encr data above 65535 bytes),
/// invalid_argument (MAC length not the one Mac alg implies).
struct kemac_builder {
    static constexpr payload_type type = payload_type::kemac;
    encr_alg encryption = encr_alg::null;
    bytes_view encrypted_data{};
    mac_alg mac_algorithm = mac_alg::null;
    bytes_view mac{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(mac_algorithm) || mac.size() != mac_size(mac_algorithm)) {
            w.fail(errc::invalid_argument);
            return;
        }
        const auto n = kemac_payload_size(encrypted_data.size(), mac_algorithm);
        if (!n) {
            w.fail(n.error());
            return;
        }
        std::uint8_t* p = w.claim(*n);
        if (p == nullptr) return;  // counting (or failed)
        const kemac_frame f = put_kemac_frame(mutable_bytes(p, *n), encryption, encrypted_data.size(), mac_algorithm);
        copy_bytes(f.encrypted_data, encrypted_data);
        copy_bytes(f.mac, mac);
    }
};

constexpr kemac_builder kemac_view::to_builder() const noexcept {
    return {encryption(), m_data, mac_algorithm(), mac()};
}

struct key_data_builder;

/// Key data sub-payload: Next | Type(4) KV(4) | Key data len(16) | Key data |
/// [Salt len(16) | Salt data] | KV data. The Salt fields are present only
/// for the +SALT types.
class key_data_view : public payload_bytes {
public:
    static constexpr payload_type type = payload_type::key_data;
    /// An empty view (what a default-constructed range element holds).
    constexpr key_data_view() noexcept = default;

    MIKEY_REFUSE_TEMPORARIES(key_data_view);
    /// Errors: underrun (length_out_of_bounds inside a KEMAC's data);
    /// unknown_key_data_type; unknown_kv_type (the KV data's layout is then unknown).
    [[nodiscard]] static constexpr result<key_data_view> parse(bytes_view in MIKEY_LIFETIMEBOUND,
                                                               errc underrun = errc::truncated) noexcept {
        byte_reader r(in, underrun);
        (void)r.u8();
        const auto type_kv = r.u8();
        const bytes_view key = r.take(r.u16());
        if (r.failed()) {
            return r.error();
        }
        const auto kind = static_cast<key_data_type>(type_kv >> 4);
        const auto kv = static_cast<kv_type>(type_kv & 0x0F);
        if (!is_registered(kind)) {
            return failure{errc::unknown_key_data_type, 1};
        }
        if (!is_registered(kv)) {
            return failure{errc::unknown_kv_type, 1};
        }
        const bytes_view salt = has_salt(kind) ? r.take(r.u16()) : bytes_view{};
        const kv_data validity = detail::read_kv_data(r, kv);
        if (r.failed()) {
            return r.error();
        }
        return key_data_view(in.first(r.offset()), key, salt, validity);
    }

    /// The view of a sub-payload parse() has already accepted (an element of
    /// a validated key_data_list): reads the layout only. Precondition: `in`
    /// starts with such a sub-payload.
    [[nodiscard]] static constexpr key_data_view from_validated(bytes_view in MIKEY_LIFETIMEBOUND) noexcept {
        key_data_view v;
        (void)load_validated(in, v);
        return v;
    }
    /// from_validated() written into `out` field by field (a range's current
    /// element: no whole-view copy through the stack). Returns its size.
    static constexpr std::size_t load_validated(bytes_view in, key_data_view& out) noexcept {
        byte_reader r(in);
        (void)r.u8();
        const auto type_kv = r.u8();
        const auto kind = static_cast<key_data_type>(type_kv >> 4);
        out.m_key = r.take(r.u16());
        out.m_salt = has_salt(kind) ? r.take(r.u16()) : bytes_view{};
        out.m_kv = detail::read_kv_data(r, static_cast<kv_type>(type_kv & 0x0F));
        out.m_bytes = in.first(r.offset());
        return r.offset();
    }

    [[nodiscard]] constexpr key_data_type kind() const noexcept { return static_cast<key_data_type>(m_bytes[1] >> 4); }
    /// The Key data field (TGK, TEK, GTGK, MPK ...).
    [[nodiscard]] constexpr bytes_view key() const noexcept { return m_key; }
    /// The Salt data (empty unless kind() is a +SALT type).
    [[nodiscard]] constexpr bytes_view salt() const noexcept { return m_salt; }
    [[nodiscard]] constexpr const kv_data& validity() const noexcept { return m_kv; }
    [[nodiscard]] constexpr key_data_builder to_builder() const noexcept;

private:
    constexpr key_data_view(bytes_view b, bytes_view key, bytes_view salt, kv_data kv) noexcept
        : payload_bytes(b), m_key(key), m_salt(salt), m_kv(kv) {}
    bytes_view m_key{};
    bytes_view m_salt{};
    kv_data m_kv{};
};

/// Builds a Key data sub-payload. Errors on write: invalid_argument (a salt
/// for a type without +SALT, KV fields the KV type does not carry, an
/// unregistered type), field_too_long.
struct key_data_builder {
    static constexpr payload_type type = payload_type::key_data;
    key_data_type kind = key_data_type::tgk;
    bytes_view key{};
    bytes_view salt{};
    kv_data validity{};

    constexpr void write(byte_writer& w) const noexcept {
        if (!is_registered(kind) || (!has_salt(kind) && !salt.empty())) {
            w.fail(errc::invalid_argument);
            return;
        }
        if (!byte_writer::fits(key.size(), 2) || !byte_writer::fits(salt.size(), 2)) {
            w.fail(errc::field_too_long);
            return;
        }
        // Next | Type KV | Key data len | Key data | [Salt len | Salt data], then the KV data.
        const bool salted = has_salt(kind);
        if (std::uint8_t* p = w.claim(4 + key.size() + (salted ? 2 + salt.size() : 0))) {
            p = put::u8(p, 0);
            p = put::u8(p, static_cast<unsigned>(kind) << 4 | (static_cast<unsigned>(validity.kind) & 0x0F));
            p = put::u16(p, key.size());
            p = put::bytes(p, key);
            if (salted) {
                p = put::u16(p, salt.size());
                put::bytes(p, salt);
            }
        }
        detail::write_kv_data(w, validity);
    }
};

constexpr key_data_builder key_data_view::to_builder() const noexcept { return {kind(), m_key, m_salt, m_kv}; }

/// True when a KEMAC's plaintext starts with IDi, ahead of the Key data: the
/// public-key method's I_MESSAGE, "KEMAC = E(encr_key, IDi || {TGK})"
/// (RFC 3830 §3.2). Every other message carries Key data only.
[[nodiscard]] constexpr bool kemac_has_leading_id(data_type t) noexcept { return t == data_type::pk_init; }

/// Steps through a validated Key data chain (key_data_list).
struct key_data_decoder {
    using value_type = key_data_view;
    static constexpr std::size_t decode_into(bytes_view rest, key_data_view& out) noexcept {
        return key_data_view::load_validated(rest, out);
    }
};

/// The plaintext of a KEMAC's Encr data: in the PK method an ID (IDi) first
/// (RFC 3830 §3.2), then the Key data sub-payloads, chained by Next Payload
/// (20 while another follows, 0 after the last). May be empty in a CSB
/// update (RFC 3830 §4.5).
class key_data_list {
public:
    MIKEY_REFUSE_TEMPORARIES(key_data_list);
    /// Validates a plaintext chain. Errors (offsets relative to `plain`):
    /// length_out_of_bounds; misplaced_payload (anything but Key data after
    /// the first element); unknown_key_data_type; unknown_kv_type;
    /// unknown_id_type; trailing_bytes (bytes after the sub-payload with Next 0).
    [[nodiscard]] MIKEY_FLATTEN static constexpr result<key_data_list> parse(bytes_view plain MIKEY_LIFETIMEBOUND,
                                                               bool id_first = false) noexcept {
        constexpr errc underrun = errc::length_out_of_bounds;
        std::size_t pos = 0;
        bytes_view id{};
        std::size_t count = 0;
        if (plain.empty()) {
            return key_data_list(plain, id, 0);
        }
        payload_type next = payload_type::key_data;
        if (id_first) {
            const auto v = id_view::parse(plain, underrun);
            if (!v) {
                return v.error_info();
            }
            id = v->bytes();
            pos = v->size();
            next = v->next();
        }
        // RFC 3830 §6.2: the Encr data holds Key data sub-payloads only (after
        // the PK method's IDi); "The last Key data payload has its Next payload
        // field set to Last payload".
        while (next != payload_type::last) {
            if (next != payload_type::key_data) {
                return failure{errc::misplaced_payload, pos};
            }
            const auto k = detail::frame_as<key_data_view>(plain.subspan(pos), underrun);
            if (!k) {
                return shifted(k.error_info(), pos);
            }
            next = k->next;
            pos += k->size;
            ++count;
        }
        if (pos != plain.size()) {
            return failure{errc::trailing_bytes, pos};
        }
        return key_data_list(plain.subspan(id.size()), id, count);
    }

    /// Validates a plaintext chain as a message of data type `message`
    /// carries it: with a leading IDi when kemac_has_leading_id(message)
    /// (PK_INIT, RFC 3830 §3.2, §6.2), Key data only otherwise. Errors: as
    /// parse(plain, id_first).
    [[nodiscard]] static constexpr result<key_data_list> parse(bytes_view plain MIKEY_LIFETIMEBOUND,
                                                               data_type message) noexcept {
        return parse(plain, kemac_has_leading_id(message));
    }

    /// The leading ID payload (PK method), if parsed with id_first.
    /// Errors: missing_payload when the list was parsed without one.
    [[nodiscard]] constexpr result<id_view> id() const noexcept {
        return m_id.empty() ? result<id_view>(errc::missing_payload) : id_view::parse(m_id);
    }
    /// Number of Key data sub-payloads.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_count; }

    /// RFC 6043 §6.2.1: "An SPI (or MKI) MUST be specified for each key": every
    /// Key data sub-payload of an RFC 6043 message has KV type SPI.
    /// Errors: key_without_spi, at the offending sub-payload (relative to the
    /// Key data entries, i.e. after a leading ID).
    [[nodiscard]] constexpr result<void> require_spi() const noexcept {
        std::size_t at = 0;
        for (const auto& k : *this) {
            if (k.validity().kind != kv_type::spi) {
                return failure{errc::key_without_spi, at};
            }
            at += k.size();
        }
        return {};
    }

    using iterator = decoded_range<key_data_decoder>::iterator;
    [[nodiscard]] constexpr iterator begin() const noexcept { return decoded_range<key_data_decoder>(m_keys).begin(); }
    [[nodiscard]] constexpr iterator end() const noexcept { return decoded_range<key_data_decoder>(m_keys).end(); }

private:
    constexpr key_data_list(bytes_view keys, bytes_view id, std::size_t count) noexcept
        : m_keys(keys), m_id(id), m_count(count) {}
    bytes_view m_keys{};
    bytes_view m_id{};
    std::size_t m_count = 0;
};

constexpr result<key_data_list> kemac_view::plain_key_data(bool leading_id) const noexcept {
    if (encryption() != encr_alg::null) {
        return failure{errc::invalid_argument, 0};
    }
    return key_data_list::parse(m_data, leading_id);
}

constexpr result<key_data_list> kemac_view::plain_key_data(data_type message) const noexcept {
    return plain_key_data(kemac_has_leading_id(message));
}

}  // namespace mikey

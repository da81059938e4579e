// mikey-ticket (conference layer): what a factory, focus or participant
// hands back for one input: the messages to send (to the KMS over HTTP, or
// to a peer inside SIP INVITE / REFER / 200 OK bodies), the exchange they
// belong to, and whether it completed. Sans-I/O like the role machines:
// the caller carries the messages and brings the answers back with the
// exchange id.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../core/config.hpp"
#include "../core/errc.hpp"
#include "../core/registry.hpp"
#include "../core/rng.hpp"
#include "../roles/exchange.hpp"
#include "../roles/outcome.hpp"
#include "../ticket/key_store.hpp"
#include "record.hpp"

namespace mikey::conference {

/// Names one pending exchange of a factory, focus or participant (never 0).
using exchange_id = std::uint32_t;

/// Where a message goes.
enum class destination : std::uint8_t {
    kms,   ///< the KMS (REQUEST_INIT_PSK, RESOLVE_INIT_PSK)
    peer,  ///< the identity in `message::peer` (TRANSFER_INIT / TRANSFER_RESP / Error)
};

namespace detail {
/// Memory for the messages of one step: their bytes and peer names, one
/// after another (one allocation for many messages, not two per message).
/// Written only past `used`, so a message's bytes never change once taken.
struct message_block {
    explicit message_block(std::size_t n) : data(std::make_unique_for_overwrite<std::uint8_t[]>(n)), capacity(n) {}
    std::unique_ptr<std::uint8_t[]> data;
    std::size_t used = 0;
    std::size_t capacity;
};
}  // namespace detail

/// One message to send. `peer` and `bytes` are views into `storage`, a
/// block the messages of one step share; each message holds a reference to
/// it, so the views stay valid while the message or any copy of it lives
/// (also after its step is gone, and when moved into another step).
struct message {
    destination to = destination::peer;
    std::string_view peer;  ///< the identity it is for (destination::peer)
    data_type type{};
    bytes_view bytes;       ///< the whole MIKEY message
    std::shared_ptr<const detail::message_block> storage;  ///< keeps `peer` and `bytes` alive
};

/// The result of one input.
struct [[nodiscard]] step {
    errc error = errc::ok;         ///< ok, or why the input was refused
    exchange_id id = 0;            ///< the exchange the input belongs to (0: none)
    std::vector<message> messages; ///< to send, in order (an Error message on some refusals)
    bool done = false;             ///< the exchange completed (member joined, conference created, ...)
    std::string who;               ///< the identity the completed exchange concerns
    std::optional<record> created; ///< factory: the conference a creation made

    [[nodiscard]] bool ok() const noexcept { return error == errc::ok; }
    /// The first message for `peer` (destination::peer), or nullptr.
    [[nodiscard]] const message* to_peer(std::string_view peer) const noexcept {
        for (const auto& m : messages) {
            if (m.to == destination::peer && m.peer == peer) return &m;
        }
        return nullptr;
    }
    explicit operator bool() const noexcept { return ok(); }
    static step refused(errc e, exchange_id id = 0) { return step{e, id, {}, false, {}, {}}; }
};

namespace detail {

/// Scratch for the one message a role machine writes per call (4 KiB; a
/// ticket with 15 keys needs 2). Not zero-filled: the machines write every
/// byte they hand back, and take() copies those into the step before the
/// buffer goes.
using message_buffer = std::array<std::uint8_t, 4096>;

/// Bytes per message block: a focus's CSB updates (about 380 bytes with the
/// member's name, each written where a whole message_buffer fits) fill one
/// block per about 75 members.
inline constexpr std::size_t message_block_size = 32768;

/// Room for one message to `peer` in a step: in the block of the step's
/// last message when it has room for the peer name and `max` bytes, else in
/// a new block. The peer name is written at once; a role machine writes the
/// message straight into out() (no copy), and commit() appends it to the
/// step. Dropped without commit, nothing is kept (a block is written only
/// past `used`).
class message_slot {
public:
    // Inlined: a focus's rekey makes one per member (a call costs about as much as the body).
    MIKEY_ALWAYS_INLINE message_slot(const step& s, std::string_view peer, std::size_t max) : m_peer_size(peer.size()) {
        const std::size_t need = peer.size() + max;
        if (!s.messages.empty() && s.messages.back().storage) {
            // Written only past `used` (see message_block): the messages already taken keep their bytes.
            m_block = std::const_pointer_cast<message_block>(s.messages.back().storage);
            if (m_block->capacity - m_block->used < need) m_block.reset();
        }
        if (!m_block) m_block = std::make_shared<message_block>(std::max(need, message_block_size));
        m_at = m_block->data.get() + m_block->used;
        if (!peer.empty()) std::memcpy(m_at, peer.data(), peer.size());
    }
    /// Where the message goes (at least `max` bytes).
    [[nodiscard]] mutable_bytes out() const noexcept {
        return {m_at + m_peer_size, m_block->capacity - m_block->used - m_peer_size};
    }
    /// Appends `bytes` (written at out(), or copied there) as a message.
    /// Precondition: bytes.size() <= out().size().
    void commit(step& s, destination to, data_type type, bytes_view bytes) {
        const mutable_bytes o = out().first(bytes.size());
        if (bytes.data() != o.data()) copy_bytes(o, bytes);
        m_block->used += m_peer_size + bytes.size();
        s.messages.push_back(message{to, ticket::as_chars(bytes_view(m_at, m_peer_size)), type,
                                     bytes_view(o), std::move(m_block)});
    }

private:
    std::shared_ptr<message_block> m_block;
    std::uint8_t* m_at = nullptr;
    std::size_t m_peer_size;
};

/// Appends the bytes of `o.send` (when any) as a message, with its peer
/// name (a copy, through a message_slot).
inline void take(step& s, const roles::outcome& o, destination to, std::string_view peer) {
    if (o.send.empty()) return;
    message_slot(s, peer, o.send.size()).commit(s, to, o.send_type, o.send);
}

/// `then` with the messages of `first` before its own: one input that ends
/// one exchange and starts (or completes) the next.
inline step followed_by(step first, step then) {
    then.messages.insert(then.messages.begin(), std::make_move_iterator(first.messages.begin()),
                         std::make_move_iterator(first.messages.end()));
    return then;
}

/// A step for a refused outcome: its error and its Error message (to `peer`).
inline step refused(const roles::outcome& o, exchange_id id, std::string_view peer) {
    step s = step::refused(o.error, id);
    take(s, o, destination::peer, peer);
    return s;
}

/// The pending exchanges of a factory, focus or participant by id (ids
/// count up from 1 and skip 0, which names none). `T` holds the role
/// machine(s) of one exchange as unique_ptrs `res` (and `ini`).
template <class T>
class exchange_table {
public:
    using map_type = std::map<exchange_id, std::unique_ptr<T>>;
    using iterator = typename map_type::iterator;

    [[nodiscard]] exchange_id next_id() noexcept { return ++m_last == 0 ? ++m_last : m_last; }
    /// Keeps `x` under a new id; returns it.
    exchange_id add(std::unique_ptr<T> x) {
        const exchange_id id = next_id();
        m_map.emplace(id, std::move(x));
        return id;
    }
    /// Keeps `x` under `id` (an exchange going on under the id of the one it came from).
    void add(exchange_id id, std::unique_ptr<T> x) { m_map[id] = std::move(x); }
    [[nodiscard]] iterator find(exchange_id id) { return m_map.find(id); }
    [[nodiscard]] iterator end() noexcept { return m_map.end(); }
    [[nodiscard]] auto begin() const noexcept { return m_map.begin(); }
    [[nodiscard]] auto end() const noexcept { return m_map.end(); }
    void erase(iterator it) { m_map.erase(it); }
    [[nodiscard]] std::size_t size() const noexcept { return m_map.size(); }
    [[nodiscard]] bool empty() const noexcept { return m_map.empty(); }

    /// After a refused input: the exchange ends unless its machine still
    /// waits for an answer, so that a forged answer cannot end a genuine
    /// exchange. Returns `s`.
    step settle(iterator it, step s) {
        if (!waiting(*it->second)) m_map.erase(it);
        return s;
    }

private:
    static bool waiting(const T& x) noexcept {
        if (x.res) return x.res->current() == std::remove_cvref_t<decltype(*x.res)>::state::awaiting_resolve_resp;
        if constexpr (requires { x.ini; }) {
            using I = std::remove_cvref_t<decltype(*x.ini)>;
            return x.ini && (x.ini->current() == I::state::awaiting_request_resp ||
                             x.ini->current() == I::state::awaiting_transfer_resp);
        }
        return false;
    }

    map_type m_map;
    exchange_id m_last = 0;
};

/// Feeds an initial TRANSFER_INIT (its bytes, or the transfer_init_view
/// the caller parsed them into) to a fresh Responder, which must then ask
/// the KMS: the step holds its RESOLVE_INIT (id 0), or its refusal with the
/// Error message for `peer`. Errors: the Responder's; policy_not_acceptable
/// when it resolved the ticket itself (conference tickets have E = 1: the
/// KMS resolves them, RFC 6043 §6.10).
template <class Responder, class TransferInit, random_generator R>
[[nodiscard]] step start_resolve(Responder& res, const TransferInit& transfer_init, ntp_time now, R& rng,
                                 std::string_view peer, std::string_view kms) {
    message_buffer buf;
    const auto o = res.receive(transfer_init, now, rng, buf);
    if (!o) return refused(o, 0, peer);
    if (res.current() != Responder::state::awaiting_resolve_resp) return step::refused(errc::policy_not_acceptable);
    step s{};
    take(s, o, destination::kms, kms);
    return s;
}

/// The KMS's REQUEST_RESP for a pending Initiator, then its TRANSFER_INIT
/// (with `supplied` keys, L flag) for `peer`. Errors: the Initiator's.
template <class Initiator, random_generator R>
[[nodiscard]] step transfer_with_ticket(Initiator& ini, exchange_id id, bytes_view request_resp, ntp_time now, R& rng,
                                        std::string_view peer, std::span<const roles::supplied_key> supplied = {}) {
    message_buffer buf;
    const auto o = ini.receive(request_resp, now, rng, buf);
    if (!o) return step::refused(o.error, id);
    const auto t = ini.start_transfer(now, rng, buf, supplied);
    if (!t) return step::refused(t.error, id);
    step s{errc::ok, id, {}, false, {}, {}};
    take(s, t, destination::peer, peer);
    return s;
}

/// A refusal decided by the conference layer about the message `origin` was
/// read from: error `e` and, where wire_error gives a code, the Error
/// message to `peer`.
inline step refuse(errc e, exchange_id id, const std::optional<roles::detail::error_origin>& origin, ntp_time now,
                   std::string_view peer) {
    std::array<std::uint8_t, 128> buf{};
    return refused(roles::detail::refuse(failure{e, 0}, origin, now, buf, false), id, peer);
}
/// refuse() about the bytes `offending`.
inline step refuse(errc e, exchange_id id, bytes_view offending, ntp_time now, std::string_view peer) {
    return refuse(e, id, roles::detail::error_origin::of(offending), now, peer);
}

}  // namespace detail
}  // namespace mikey::conference

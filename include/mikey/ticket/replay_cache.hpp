// mikey-ticket (ticket layer): replay protection (RFC 6043 §12.4, RFC 3830
// §5.4): a message is accepted once within its timestamp window. Role
// machines check the timestamp window themselves and keep the messages they
// accepted in a replay cache.
//
// The cache is a concept whose one operation is atomic: insert the key if
// it is absent (or expired), with an expiry. A deployment with several KMS
// nodes backs it by a shared store, e.g. Redis `SET key 1 NX EXAT expiry`
// ("fresh" when SET answered OK, "replayed" when it answered nil), without
// changing the role machines.
//
// What a key is: the message's data type followed by the MAC field of its
// closing V (replay_key()). The MAC covers the whole message, its timestamp
// and the identities, so two different messages share a key only if the
// MAC collides; it is also short, which keeps the cache small.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../core/bytes.hpp"
#include "../core/config.hpp"
#include "../core/ntp_time.hpp"

namespace mikey::ticket {

/// What insert_if_absent found.
enum class replay_verdict : std::uint8_t {
    fresh,     ///< not seen (or seen but expired): now recorded until `expires`
    replayed,  ///< recorded and not expired: the message is a replay
    full,      ///< no room: the cache refuses, and so does the role (fail closed)
};

/// A replay cache. insert_if_absent(key, expires, now) is atomic: of two
/// concurrent calls with the same key, at most one sees `fresh`. Entries
/// whose `expires` is before `now` count as absent.
template <class C>
concept replay_cache = requires(C& c, bytes_view key, ntp_time t) {
    { c.insert_if_absent(key, t, t) } noexcept -> std::same_as<replay_verdict>;
};

/// A replay cache that also takes a hint: prefetch(key) says that
/// insert_if_absent(key, ...) comes soon. The role machines give it as soon
/// as a message is parsed, before its MAC is verified, so that the lookup
/// does not wait for memory when the cache is cold (a large table, or a
/// remote store that can start a round trip). A hint changes nothing in the
/// cache: a cache without it works the same, only later.
template <class C>
concept prefetching_replay_cache = replay_cache<C> && requires(const C& c, bytes_view key) {
    { c.prefetch(key) } noexcept;
};

/// Longest key a role machine makes: data type (1) and a MAC (at most 32).
inline constexpr std::size_t max_replay_key = 33;

/// The replay key of a message: its data type and the MAC field of its
/// closing V. Precondition: mac.size() <= 32.
struct replay_key {
    std::array<std::uint8_t, max_replay_key> bytes{};
    std::size_t size = 0;
    constexpr replay_key(std::uint8_t data_type, bytes_view mac) noexcept {
        bytes[0] = data_type;
        const std::size_t n = mac.size() < max_replay_key - 1 ? mac.size() : max_replay_key - 1;
        copy_bytes(mutable_bytes(bytes.data() + 1, n), mac.first(n));
        size = 1 + n;
    }
    [[nodiscard]] constexpr bytes_view view() const noexcept { return {bytes.data(), size}; }
};

/// The in-memory default: a fixed table of Capacity entries allocated with
/// the object (no allocation per message), in buckets of `slots_per_bucket`
/// slots: a key's hash picks its bucket, and the key can only be in it.
///
/// When full: if every slot of a key's bucket holds an unexpired entry,
/// insert_if_absent answers `full` and the role refuses the message with
/// errc::replay_cache_full: a burst larger than the cache cannot make it
/// forget a live entry (which would let that message be replayed). Size
/// Capacity for the peak message rate times the clock window, times two.
/// Not thread-safe: one per thread, or back the concept with a shared store.
template <std::size_t Capacity = 4096>
class memory_replay_cache {
public:
    /// Slots per bucket. 32, not 16: at half load a bucket of 16 is full for
    /// about 0.7 % of new keys (a Poisson count of mean 8 reaching 16), one
    /// of 32 for about 0.05 %, fewer than the sliding window of 16 the cache
    /// used before (0.35 %; tools/replay_cache_fill.py simulates the three).
    static constexpr std::size_t slots_per_bucket = 32;
    static_assert(Capacity >= slots_per_bucket && (Capacity & (Capacity - 1)) == 0,
                  "Capacity must be a power of two of at least slots_per_bucket");

    /// A key that is empty or longer than max_replay_key has no slot: `full`
    /// (the role refuses, fail closed), never `fresh`.
    [[nodiscard]] replay_verdict insert_if_absent(bytes_view key, ntp_time expires, ntp_time now) noexcept {
        if (key.empty() || key.size() > max_replay_key) return replay_verdict::full;
        const std::uint64_t h = hash(key);
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        bucket& b = m_buckets[static_cast<std::size_t>(h) & (bucket_count - 1)];
        // Whether any slot has the key's tag, all at once (a reduction the compiler
        // vectorizes); only then are the slots and their key bytes looked at one by one.
        std::uint32_t any_tag = 0;
        for (std::size_t i = 0; i < slots_per_bucket; ++i) any_tag |= std::uint32_t{b.tags[i] == tag};
        if (any_tag != 0) {
            for (std::size_t i = 0; i < slots_per_bucket; ++i) {
                if (b.tags[i] == tag && b.live(i, now) && b.sizes[i] == key.size() &&
                    equal_bytes(bytes_view(b.keys[i].data(), b.sizes[i]), key)) {
                    return replay_verdict::replayed;
                }
            }
        }
        for (std::size_t i = 0; i < slots_per_bucket; ++i) {
            if (b.live(i, now)) continue;
            b.sizes[i] = static_cast<std::uint8_t>(key.size());
            b.tags[i] = tag;
            b.expires[i] = expires;
            copy_bytes(mutable_bytes(b.keys[i].data(), key.size()), key);
            return replay_verdict::fresh;
        }
        return replay_verdict::full;
    }

    /// Starts loading the part of `key`'s bucket every lookup reads (tags
    /// and sizes; an expiry is read for a slot looked at, the key bytes only
    /// on a tag match) into the CPU cache. A hint: the table is not changed. Without GCC / Clang
    /// builtins it does nothing. Always inlined, as is every hint on the
    /// way here: GCC's interprocedural pass takes a function that only
    /// prefetches for one without effect and drops its calls.
    MIKEY_ALWAYS_INLINE void prefetch(bytes_view key) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
        if (key.size() > max_replay_key) return;
        const auto* at = reinterpret_cast<const unsigned char*>(&m_buckets[static_cast<std::size_t>(hash(key)) & (bucket_count - 1)]);
        // Every cache line the tags and sizes touch, wherever the bucket starts: one byte per
        // 64 from the first, and the last byte.
        constexpr std::size_t end = offsetof(bucket, expires);
        for (std::size_t off = 0; off < end; off += 64) __builtin_prefetch(at + off);
        __builtin_prefetch(at + end - 1);
#else
        (void)key;
#endif
    }

private:
    static constexpr std::size_t bucket_count = Capacity / slots_per_bucket;
    /// One bucket's slots, field by field: a lookup reads the 32 tags (128
    /// bytes) and sizes, the expiries of the slots it considers, and the key
    /// bytes of a slot whose tag matches. Not over-aligned: the cache is
    /// allocated with the role's objects (glibc's aligned allocations of
    /// this size fragment its heap when they come and go, e.g. one cache
    /// per user agent).
    struct bucket {
        std::array<std::uint32_t, slots_per_bucket> tags{};  ///< 32 bits of the key's hash
        std::array<std::uint8_t, slots_per_bucket> sizes{};  ///< key length; 0: never used
        std::array<ntp_time, slots_per_bucket> expires{};
        std::array<std::array<std::uint8_t, max_replay_key>, slots_per_bucket> keys{};
        [[nodiscard]] bool live(std::size_t i, ntp_time now) const noexcept {
            return sizes[i] != 0 && !(expires[i] < now);
        }
    };
    /// FNV-1a over 64-bit words, then a final mix: the keys end in a MAC,
    /// so any mixing spreads them.
    static std::uint64_t hash(bytes_view key) noexcept {
        std::uint64_t h = 0xcbf29ce484222325ull;
        std::size_t i = 0;
        for (; i + 8 <= key.size(); i += 8) {
            std::uint64_t w;
            std::memcpy(&w, key.data() + i, 8);
            h = (h ^ w) * 0x100000001b3ull;
        }
        for (; i < key.size(); ++i) h = (h ^ key[i]) * 0x100000001b3ull;
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        return h ^ (h >> 32);
    }
    std::array<bucket, bucket_count> m_buckets{};
};

static_assert(prefetching_replay_cache<memory_replay_cache<>>);
// Allocated with plain new (see bucket): no over-aligned member may creep in.
static_assert(alignof(memory_replay_cache<>) <= alignof(std::max_align_t));

}  // namespace mikey::ticket

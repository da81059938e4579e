// mikey-ticket fuzzing: the checks on a whole message, shared by
// fuzz_messages (arbitrary bytes) and fuzz_encode (builder output).
//
// check_message(in): a failed parse must be deterministic, name a real error
// code and point inside the input. A successful one is exercised all the way
// down: the header and its CS ID map, every payload through its view (TP /
// TICKET chains, the base ticket, KEMAC plaintext chains, Key ID lists, SP
// parameters), typed lookup, the MAC coverage, every message schema in strict
// and lenient mode; the whole message is written again from the views'
// to_builder()s with message_builder: the bytes must equal the input; and
// the message cut short fails as truncated, lengthened as trailing bytes.
#pragma once

#include <array>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "exercise.hpp"

namespace mikey_fuzz {

/// Every schema the library has.
inline constexpr std::span<const message_schema* const> all_schemas = schemas::all;

/// The MAC / signature coverage stays inside the message, ends where the MAC
/// field starts, and the MAC field runs to the end of the message.
inline void check_mac_input(const message_view& m, bytes_view in, const std::optional<chain_entry>& last,
                     bool has_ticket) {
    const auto c = m.mac_input();
    const bool closing = last && (last->type == payload_type::v || last->type == payload_type::kemac ||
                                  last->type == payload_type::sign);
    if (!c) {
        check_failure(c.error_info(), in.size());
        MIKEY_FUZZ_CHECK(c.error() == errc::wrong_last_payload);
        MIKEY_FUZZ_CHECK(!closing);
        return;
    }
    MIKEY_FUZZ_CHECK(closing);
    const bool cut = m.type() == data_type::transfer_init && has_ticket;
    MIKEY_FUZZ_CHECK(c->part_count == (cut ? 2u : 1u));
    for (const auto part : c->covered()) {
        MIKEY_FUZZ_CHECK(within(part, in));
        touch(part);
    }
    MIKEY_FUZZ_CHECK(within(c->mac_field, in));
    touch(c->mac_field);
    MIKEY_FUZZ_CHECK(c->mac_field.data() + c->mac_field.size() == in.data() + in.size());
    // The first part starts at the HDR; the last part ends at the MAC field.
    MIKEY_FUZZ_CHECK(c->parts[0].data() == in.data());
    const auto lastpart = c->parts[c->part_count - 1];
    MIKEY_FUZZ_CHECK(lastpart.data() + lastpart.size() == c->mac_field.data());
    MIKEY_FUZZ_CHECK(c->covered_size() + c->mac_field.size() <= in.size());
    if (!cut) {
        MIKEY_FUZZ_CHECK(c->covered_size() + c->mac_field.size() == in.size());
    } else {
        // The two parts do not overlap and leave out the Initiator Data length and data.
        MIKEY_FUZZ_CHECK(c->parts[0].data() + c->parts[0].size() <= c->parts[1].data());
    }
    // The MAC / signature field closes the message: V, a KEMAC's MAC or SIGN (RFC 3830 §5.2).
    const std::optional<std::size_t> want = visit_payload(*last, overloaded{
        [](const v_view& v) -> std::optional<std::size_t> { return v.value().size(); },
        [](const kemac_view& k) -> std::optional<std::size_t> { return k.mac().size(); },
        [](const sign_view& s) -> std::optional<std::size_t> { return s.signature().size(); },
        [](const auto&) -> std::optional<std::size_t> { return std::nullopt; }});
    MIKEY_FUZZ_CHECK(want && c->mac_field.size() == *want);
    if (cut) {
        // RFC 6043 §5.5: TRANSFER_INIT's MAC skips the TICKET's Initiator Data
        // length and Initiator Data. Computed here from the raw TICKET bytes
        // (RFC 6043 §6.10: 10 fixed bytes, TP Data length(16), TP Data, Ticket
        // Data length(16), Ticket Data, Initiator Data length(16), ...).
        for (const auto& e : m.payloads()) {
            if (e.type != payload_type::ticket) {
                continue;
            }
            const bytes_view b = e.bytes;
            const std::size_t tp_len = std::size_t{b[8]} << 8 | b[9];
            const std::size_t td_len = std::size_t{b[10 + tp_len]} << 8 | b[11 + tp_len];
            const std::size_t skip_from = e.offset + 12 + tp_len + td_len;
            MIKEY_FUZZ_CHECK(c->parts[0].size() == skip_from);
            MIKEY_FUZZ_CHECK(c->parts[1].data() == in.data() + e.offset + e.bytes.size());
            break;
        }
    }
}

/// The payloads a schema looks at (General Extensions are allowed anywhere,
/// RFC 3830 §6.15): type and role byte.
struct schema_entry {
    payload_type type;
    std::uint8_t role;
};

inline bool item_matches(const schema_item& it, const schema_entry& e) noexcept {
    return it.type == e.type && (it.role == 0 || it.role == e.role);
}
inline std::size_t item_min(const schema_item& it) noexcept {
    return it.occ == occurs::once || it.occ == occurs::at_least_once ? 1 : 0;
}
inline std::size_t item_max(const schema_item& it) noexcept {
    return it.occ == occurs::once || it.occ == occurs::optional ? 1 : static_cast<std::size_t>(-1);
}

/// The schema's groups (alternatives "[A|B]"), numbered 0 .. count-1 by first
/// appearance: bit[j] is item j's group bit, 0 for ungrouped items.
struct group_bits {
    std::vector<std::uint32_t> bit;
    std::size_t count = 0;
};
inline group_bits groups_of(std::span<const schema_item> items) {
    group_bits g;
    std::vector<std::uint8_t> ids;
    for (const auto& it : items) {
        std::uint32_t b = 0;
        if (it.group != 0) {
            std::size_t k = 0;
            while (k < ids.size() && ids[k] != it.group) {
                ++k;
            }
            if (k == ids.size()) {
                ids.push_back(it.group);
            }
            b = 1u << k;
        }
        g.bit.push_back(b);
    }
    g.count = ids.size();
    return g;
}

/// Reference for the strict composition rule, written independently of
/// check_schema: the schema read as the regular expression the RFCs write
/// (X, [X], {X}, (X) in order; items of one group are alternatives, of which
/// at most one takes entries), matched with backtracking (memoised).
inline bool oracle_strict(const std::vector<schema_entry>& seq, std::span<const schema_item> items) {
    const std::size_t n = seq.size();
    const std::size_t m = items.size();
    const auto groups = groups_of(items);
    const std::size_t masks = std::size_t{1} << groups.count;
    // memo[((i * (m + 1)) + j) * masks + used]: 0 unknown, 1 no match, 2 match of
    // seq[i..] against items[j..] when the groups in `used` are taken.
    std::vector<std::uint8_t> memo((n + 1) * (m + 1) * masks, 0);
    auto match = [&](auto&& self, std::size_t i, std::size_t j, std::uint32_t used) -> bool {
        if (j == m) {
            return i == n;
        }
        auto& slot = memo[(i * (m + 1) + j) * masks + used];
        if (slot != 0) {
            return slot == 2;
        }
        const std::uint32_t g = groups.bit[j];
        const std::size_t max = (used & g) != 0 ? 0 : item_max(items[j]);
        bool ok = false;
        // Take c = 0, 1, ... consecutive entries for item j (taking any claims its group).
        for (std::size_t c = 0;; ++c) {
            if (c >= item_min(items[j]) && self(self, i + c, j + 1, c > 0 ? used | g : used)) {
                ok = true;
                break;
            }
            if (c == max || i + c == n || !item_matches(items[j], seq[i + c])) {
                break;
            }
        }
        slot = ok ? 2 : 1;
        return ok;
    };
    return match(match, 0, 0, 0);
}

/// Reference for the lenient composition rule: order free, entries no item
/// matches are ignored; the entries that match an item can be shared out so
/// that every item gets between its minimum and maximum, and for each group
/// (alternative) one item or none is chosen, the others getting nothing (an
/// entry that only they match is not ignored: it makes that choice fail).
/// Returns nullopt when the schema's items overlap in a way this reference
/// does not handle (entries whose sets of matching items differ but intersect).
inline std::optional<bool> oracle_lenient(const std::vector<schema_entry>& seq, std::span<const schema_item> items) {
    // Each entry's set of matching items (schemas have at most 16 items).
    std::vector<std::uint32_t> masks;
    for (const auto& e : seq) {
        std::uint32_t mask = 0;
        for (std::size_t j = 0; j < items.size(); ++j) {
            mask |= item_matches(items[j], e) ? 1u << j : 0u;
        }
        if (mask != 0) {
            masks.push_back(mask);
        }
    }
    std::uint32_t covered = 0;
    std::vector<std::pair<std::uint32_t, std::size_t>> groups;  // mask, entry count
    for (const auto mask : masks) {
        bool found = false;
        for (auto& g : groups) {
            if (g.first == mask) {
                ++g.second;
                found = true;
            } else if ((g.first & mask) != 0) {
                return std::nullopt;
            }
        }
        if (!found) {
            groups.emplace_back(mask, 1);
        }
        covered |= mask;
    }
    for (std::size_t j = 0; j < items.size(); ++j) {
        if ((covered >> j & 1u) == 0 && item_min(items[j]) > 0) {
            return false;
        }
    }
    // off: the grouped items not chosen; every combination of choices is tried.
    const auto alternatives = groups_of(items);
    std::vector<std::size_t> members(alternatives.count, 0);  // items per group
    for (const auto b : alternatives.bit) {
        for (std::size_t k = 0; k < alternatives.count; ++k) {
            members[k] += (b >> k & 1u) != 0 ? 1 : 0;
        }
    }
    std::vector<std::size_t> choice(alternatives.count, 0);  // 0: none, c: the c-th item of the group
    for (;;) {
        std::uint32_t off = 0;
        std::vector<std::size_t> nth(alternatives.count, 0);
        for (std::size_t j = 0; j < items.size(); ++j) {
            for (std::size_t k = 0; k < alternatives.count; ++k) {
                if ((alternatives.bit[j] >> k & 1u) != 0 && ++nth[k] != choice[k]) {
                    off |= 1u << j;
                }
            }
        }
        bool fits = true;
        for (const auto& [mask, count] : groups) {
            std::size_t lo = 0;
            std::size_t hi = 0;
            for (std::size_t j = 0; j < items.size(); ++j) {
                if ((mask >> j & 1u) != 0 && (off >> j & 1u) == 0) {
                    lo += item_min(items[j]);
                    hi = item_max(items[j]) == static_cast<std::size_t>(-1) ? hi + count : hi + item_max(items[j]);
                }
            }
            fits = fits && count >= lo && count <= hi;
        }
        if (fits) {
            return true;
        }
        // The next combination of choices.
        std::size_t k = 0;
        while (k < alternatives.count && ++choice[k] > members[k]) {
            choice[k++] = 0;
        }
        if (k == alternatives.count) {
            return false;
        }
    }
}

/// Every schema, strict and lenient: no crash, deterministic, offsets
/// inside the message, lenient accepts whatever strict accepts, and both
/// agree with the references above on the composition rules.
inline void check_schemas(const message_view& m, bytes_view in) {
    if (const auto* s = schema_for(m.type())) {
        MIKEY_FUZZ_CHECK(s->type == m.type());
    }
    std::vector<schema_entry> seq;
    for (const auto& e : m.payloads()) {
        if (e.type == payload_type::general_extension) {
            continue;
        }
        const bool has_role = e.type == payload_type::idr || e.type == payload_type::randr || e.type == payload_type::tr;
        seq.push_back({e.type, has_role ? e.bytes[1] : std::uint8_t{0}});
    }
    for (const auto* s : all_schemas) {
        const auto strict = check_schema(m, *s, schema_check::strict);
        const auto lenient = check_schema(m, *s, schema_check::lenient);
        const auto strict2 = check_schema(m, *s, schema_check::strict);
        MIKEY_FUZZ_CHECK(strict.error_info() == strict2.error_info());
        if (!strict) {
            check_failure(strict.error_info(), in.size());
        }
        if (!lenient) {
            check_failure(lenient.error_info(), in.size());
            MIKEY_FUZZ_CHECK(lenient.error() != errc::payload_order && lenient.error() != errc::unexpected_payload);
        }
        if (strict) {
            MIKEY_FUZZ_CHECK(lenient.has_value());
        }
        if (m.type() != s->type) {
            MIKEY_FUZZ_CHECK(strict.error() == errc::wrong_message_type);
            MIKEY_FUZZ_CHECK(lenient.error() == errc::wrong_message_type);
            continue;
        }
        // Composition: accepted only if the reference accepts; a composition
        // error only if the reference rejects.
        const bool ref_strict = oracle_strict(seq, s->items);
        const auto composition = [](errc e) {
            return e == errc::missing_payload || e == errc::unexpected_payload || e == errc::duplicate_payload ||
                   e == errc::payload_order || e == errc::conflicting_alternatives;
        };
        if (strict) {
            MIKEY_FUZZ_CHECK(ref_strict);
        }
        if (composition(strict.error()) && ref_strict) {
            std::fprintf(stderr, "schema %s (strict): %s at %zu, but the payloads match the composition\n",
                         std::string(s->name).c_str(), std::string(to_string(strict.error())).c_str(),
                         strict.error_offset());
        }
        MIKEY_FUZZ_CHECK(!(composition(strict.error()) && ref_strict));
        if (const auto ref_lenient = oracle_lenient(seq, s->items)) {
            if (lenient) {
                MIKEY_FUZZ_CHECK(*ref_lenient);
            }
            if (composition(lenient.error()) && *ref_lenient) {
                std::fprintf(stderr, "schema %s (lenient): %s at %zu, but the payloads match the composition\n",
                             std::string(s->name).c_str(), std::string(to_string(lenient.error())).c_str(),
                             lenient.error_offset());
            }
            MIKEY_FUZZ_CHECK(!(composition(lenient.error()) && *ref_lenient));
        }
    }
}

/// A valid message cut short anywhere fails with errc::truncated (the chain
/// must reach the end; every value check already passed on the whole), and
/// with one more byte it fails with errc::trailing_bytes at its old end.
/// Cut points: every prefix of small messages; in larger ones the header's
/// bytes, each payload boundary and the bytes around it, and 16 evenly spaced
/// points. Each cut is parsed from its own heap copy, so ASan catches a read
/// past it.
inline void check_cuts(bytes_view in, const std::vector<std::size_t>& boundaries) {
    auto cut = [&](std::size_t k) {
        if (k >= in.size()) {
            return;
        }
        const buffer copy(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(k));
        const auto r = message_view::parse(copy);
        MIKEY_FUZZ_CHECK(!r.has_value());
        check_failure(r.error_info(), k);
        MIKEY_FUZZ_CHECK(r.error() == errc::truncated);
    };
    if (in.size() <= 128) {
        for (std::size_t k = 0; k < in.size(); ++k) {
            cut(k);
        }
    } else {
        for (std::size_t k = 0; k <= 12; ++k) {
            cut(k);
        }
        for (const auto b : boundaries) {
            cut(b - 1);
            cut(b);
            cut(b + 1);
            cut(b + 2);
        }
        for (std::size_t k = 1; k < 16; ++k) {
            cut(in.size() * k / 16);
        }
        cut(in.size() - 1);
    }
    buffer longer(in.begin(), in.end());
    longer.push_back(0);
    const auto r = message_view::parse(longer);
    MIKEY_FUZZ_CHECK(!r.has_value());
    MIKEY_FUZZ_CHECK(r.error() == errc::trailing_bytes && r.error_offset() == in.size());
}

/// message_view::parse(in), and everything above on success. Returns the
/// parse result (a failure already checked by check_failure).
inline result<message_view> check_message(bytes_view in) {
    const auto m = message_view::parse(in);
    const auto again = message_view::parse(in);
    MIKEY_FUZZ_CHECK(m.has_value() == again.has_value());
    MIKEY_FUZZ_CHECK(m.error_info() == again.error_info());
    if (!m) {
        check_failure(m.error_info(), in.size());
        return m;
    }
    MIKEY_FUZZ_CHECK(same_span(m->bytes(), in));
    const hdr_view& h = m->header();
    MIKEY_FUZZ_CHECK(same_span(h.bytes(), in.first(h.size())));
    MIKEY_FUZZ_CHECK(m->type() == h.type());
    exercise(h);

    // Walk the payloads; rebuild the message from their builders as we go.
    buffer out(in.size());
    message_builder builder(out);
    message_builder counter;
    builder.header(h.to_builder());
    counter.header(h.to_builder());
    std::size_t end = h.size();
    std::size_t n = 0;
    std::array<std::size_t, 256> per_type{};
    std::optional<chain_entry> last;
    std::vector<std::size_t> boundaries;
    for (const auto& e : m->payloads()) {
        boundaries.push_back(e.offset);
        MIKEY_FUZZ_CHECK(e.offset == end);
        MIKEY_FUZZ_CHECK(!e.bytes.empty());
        MIKEY_FUZZ_CHECK(same_span(e.bytes, in.subspan(e.offset, e.bytes.size())));
        // Framed in the rest of the message, the payload has the same size.
        const auto framed = message_framer{}(e.type, in.subspan(e.offset), errc::truncated);
        MIKEY_FUZZ_CHECK(framed.has_value() && framed->size == e.bytes.size());
        end += e.bytes.size();
        ++n;
        MIKEY_FUZZ_CHECK(n <= in.size());
        ++per_type[static_cast<std::uint8_t>(e.type)];
        last = e;
        with_view(e.type, e.bytes, [&](const auto& v) {
            exercise(v);
            builder.add(v.to_builder());
            counter.add(v.to_builder());
        });
    }
    MIKEY_FUZZ_CHECK(end == in.size());
    MIKEY_FUZZ_CHECK(n == m->payload_count());
    const auto lp = m->last_payload();
    MIKEY_FUZZ_CHECK(lp.has_value() == last.has_value());
    if (lp) {
        MIKEY_FUZZ_CHECK(lp->type == last->type && lp->offset == last->offset && same_span(lp->bytes, last->bytes));
    }
    for (const auto& entry : registry<payload_type>::entries) {
        MIKEY_FUZZ_CHECK(m->count(entry.value) == per_type[static_cast<std::uint8_t>(entry.value)]);
    }
    MIKEY_FUZZ_CHECK(m->first<t_view>().has_value() == (per_type[static_cast<std::uint8_t>(payload_type::t)] > 0));
    MIKEY_FUZZ_CHECK(m->first<ticket_view>().has_value() ==
                     (per_type[static_cast<std::uint8_t>(payload_type::ticket)] > 0));
    // idr(role) / randr(role): the first payload with that role byte, by offset.
    auto first_with_role = [&](payload_type t, std::uint8_t role) -> std::optional<std::size_t> {
        for (const auto& e : m->payloads()) {
            if (e.type == t && e.bytes[1] == role) {
                return e.offset;
            }
        }
        return std::nullopt;
    };
    // `lookup(role)` for every registered role of `t`'s role enum.
    auto check_roles = [&](payload_type t, const auto& roles, auto&& lookup) {
        for (const auto& r : roles) {
            const auto v = lookup(r.value);
            const auto want = first_with_role(t, static_cast<std::uint8_t>(r.value));
            MIKEY_FUZZ_CHECK(v.has_value() == want.has_value());
            if (v) {
                MIKEY_FUZZ_CHECK(v->role() == r.value && v->bytes().data() == in.data() + *want);
            }
        }
    };
    check_roles(payload_type::idr, registry<id_role>::entries, [&](id_role r) { return m->idr(r); });
    check_roles(payload_type::randr, registry<rand_role>::entries, [&](rand_role r) { return m->randr(r); });

    // The rebuilt message equals the input, and the counting run agrees.
    const auto rebuilt = builder.finish();
    MIKEY_FUZZ_CHECK(rebuilt.has_value());
    MIKEY_FUZZ_CHECK(counter.size() == in.size());
    MIKEY_FUZZ_CHECK(rebuilt->size() == in.size());
    MIKEY_FUZZ_CHECK(equal_bytes(*rebuilt, in));

    check_mac_input(*m, in, last, per_type[static_cast<std::uint8_t>(payload_type::ticket)] > 0);
    check_schemas(*m, in);
    check_cuts(in, boundaries);
    return m;
}

}  // namespace mikey_fuzz

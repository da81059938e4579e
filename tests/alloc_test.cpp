// Zero allocation on the parse path (DESIGN.md, issue 2): a counting global
// operator new shows that parsing and validating a whole TRANSFER_INIT and
// REQUEST_RESP, walking every payload and nested chain, allocates nothing.
// Its own executable, since it replaces the global operator new.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

#include "samples.hpp"

namespace {
std::atomic<std::size_t> g_allocs{0};

void* counted(std::size_t n) {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    std::abort();  // no exceptions needed: the suite also builds with -fno-exceptions
}
void* counted_aligned(std::size_t n, std::align_val_t a) {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    const auto al = static_cast<std::size_t>(a);
    if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) {
        return p;
    }
    std::abort();
}
}  // namespace

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_aligned(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

struct walk_result {
    bool ok = false;
    std::size_t payloads = 0;   ///< payloads seen, nested chains included
    std::size_t bytes_seen = 0; ///< sum of field sizes read through the views
};

template <class Range>
void walk_chain(const Range& r, walk_result& w);

/// Reads every field of one payload through its view, recursing into TP
/// Data, Ticket Data and Initiator Data.
void walk_entry(const mikey::chain_entry& e, walk_result& w) {
    using namespace mikey;
    ++w.payloads;
    visit_payload(e, overloaded{
        [&](const sp_view& v) {
            for (const auto& p : v.params()) w.bytes_seen += p.value.size();
        },
        [&](const kemac_view& k) {
            w.bytes_seen += k.encrypted_data().size() + k.mac().size();
            if (k.encryption() != encr_alg::null) return;
            if (const auto keys = key_data_list::parse(k.encrypted_data())) {
                for (const auto& kd : *keys) w.bytes_seen += kd.key().size() + kd.salt().size();
            } else {
                w.ok = false;
            }
        },
        [&](const tp_view& v) { walk_chain(v.tp_payloads(), w); },
        [&](const ticket_view& t) {
            walk_chain(t.tp_payloads(), w);
            walk_chain(t.initiator_payloads(), w);
            if (const auto bt = t.base_ticket()) {
                w.bytes_seen += bt->thdr().data().size() + bt->kemac().encrypted_data().size() +
                                bt->rand().value().size() + bt->v().value().size();
                walk_chain(bt->payloads(), w);
            } else {
                w.ok = false;
            }
        },
        // Any other payload: its value (T, TR, RAND, RANDR, V, ...) or its data (IDR, ID, ...).
        [&]<class V>(const V& v) {
            if constexpr (requires { v.value(); }) {
                w.bytes_seen += v.value().size();
            } else if constexpr (requires { v.data(); }) {
                w.bytes_seen += v.data().size();
            }
        }});
}

template <class Range>
void walk_chain(const Range& r, walk_result& w) {
    for (const auto& e : r) {
        walk_entry(e, w);
    }
}

/// Parse + schema check + every payload, as a receiver would.
walk_result parse_all(mikey::bytes_view wire, const mikey::message_schema& schema) {
    walk_result w;
    const auto m = mikey::message_view::parse(wire);
    if (!m) {
        return w;
    }
    w.ok = static_cast<bool>(mikey::check_schema(*m, schema));
    const auto mac = m->mac_input();
    w.ok = w.ok && static_cast<bool>(mac);
    if (mac) {
        w.bytes_seen += mac->covered_size() + mac->mac_field.size();
    }
    walk_chain(m->payloads(), w);
    w.bytes_seen += m->header().map_info().size();
    for (const auto b : m->header().generic_id()) {
        w.bytes_seen += b.session_data.size();
    }
    return w;
}

const samples::sample& find(const std::vector<samples::sample>& all, std::string_view name) {
    for (const auto& s : all) {
        if (s.name == name) {
            return s;
        }
    }
    std::abort();
}

}  // namespace

TEST_CASE("the counting operator new counts") {
    const std::size_t before = g_allocs.load();
    void* p = ::operator new(16);  // a direct call: never elided
    ::operator delete(p);
    CHECK(g_allocs.load() == before + 1);
}

TEST_CASE("parsing a whole TRANSFER_INIT and REQUEST_RESP allocates nothing") {
    const auto all = samples::all();  // allocates: before counting
    const auto& transfer_init = find(all, "transfer_init");
    const auto& request_resp = find(all, "request_resp");
    REQUIRE(!transfer_init.wire.empty());
    REQUIRE(!request_resp.wire.empty());

    const std::size_t before = g_allocs.load();
    const walk_result ti = parse_all(transfer_init.wire, mikey::schemas::transfer_init);
    const walk_result rr = parse_all(request_resp.wire, mikey::schemas::request_resp);
    const std::size_t allocs = g_allocs.load() - before;

    CHECK(ti.ok);
    CHECK(rr.ok);
    // Every payload was visited: 7 top-level payloads in TRANSFER_INIT, plus
    // 6 in TP Data, 5 after THDR in Ticket Data and 2 in Initiator Data.
    CHECK(ti.payloads == 7 + 6 + 5 + 2);
    CHECK(rr.payloads == 5 + 6 + 5);
    CHECK(ti.bytes_seen > 0);
    CHECK(rr.bytes_seen > 0);
    CHECK(allocs == 0);
}

TEST_CASE("parsing every sample message allocates nothing") {
    const auto all = samples::all();
    for (const auto& s : all) {
        CAPTURE(s.name);
        const auto* schema = mikey::schema_for(s.type);
        REQUIRE(schema != nullptr);
        const std::size_t before = g_allocs.load();
        const walk_result w = parse_all(s.wire, *schema);
        const std::size_t allocs = g_allocs.load() - before;
        CHECK(w.ok);
        CHECK(allocs == 0);
    }
}

TEST_CASE("building a TRANSFER_INIT into a caller buffer allocates nothing") {
    const auto all = samples::all();
    const auto& ti = find(all, "transfer_init");
    const auto m = mikey::message_view::parse(ti.wire);
    REQUIRE(m);
    std::array<std::uint8_t, 1024> out{};
    REQUIRE(ti.wire.size() <= out.size());

    const std::size_t before = g_allocs.load();
    std::size_t size = 0;
    bool same = false;
    {
        // Rebuild from the views: header and every payload's to_builder().
        mikey::message_builder b(out);
        b.header(m->header().to_builder());
        for (const auto& e : m->payloads()) {
            mikey::visit_payload(e, [&](const auto& v) { b.add(v.to_builder()); });
        }
        const auto r = b.finish();
        if (r) {
            size = r->size();
            same = std::equal(r->begin(), r->end(), ti.wire.begin(), ti.wire.end());
        }
    }
    const std::size_t allocs = g_allocs.load() - before;
    CHECK(size == ti.wire.size());
    CHECK(same);
    CHECK(allocs == 0);
}

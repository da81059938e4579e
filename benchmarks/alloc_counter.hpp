// The benchmarks' allocation counter: replaces malloc and friends, so that
// operator new and GLib's g_malloc are both counted (benchmarks/README.md,
// "Allocations"). Include it in exactly one translation unit per program.
#pragma once

#include <atomic>
#include <cstddef>

// ---------------------------------------------------------------------------
// Allocation counter: every heap allocation of the process goes through here.
// ---------------------------------------------------------------------------
namespace {
/// Heap allocations of the process so far. Counted by a relaxed load and
/// store, not an atomic add: the benchmarks run on one thread (a count from
/// several would lose increments, never corrupt memory), and a locked add
/// on every allocation would slow the lib rows, which allocate, against
/// the reference rows, which do not.
std::atomic<std::size_t> g_allocs{0};
inline void count_alloc() noexcept {
    g_allocs.store(g_allocs.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t n);
void* __libc_calloc(std::size_t n, std::size_t m);
void* __libc_realloc(void* p, std::size_t n);
void* __libc_memalign(std::size_t a, std::size_t n);
void __libc_free(void* p);

void* malloc(std::size_t n) noexcept {
    count_alloc();
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t m) noexcept {
    count_alloc();
    return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) noexcept {
    count_alloc();
    return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
void* memalign(std::size_t a, std::size_t n) noexcept {
    count_alloc();
    return __libc_memalign(a, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) noexcept {
    count_alloc();
    return __libc_memalign(a, n);
}
int posix_memalign(void** out, std::size_t a, std::size_t n) noexcept {
    count_alloc();
    void* p = __libc_memalign(a, n);
    if (p == nullptr) {
        return 12;  // ENOMEM
    }
    *out = p;
    return 0;
}
}


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
/// Heap allocations of the process so far.
std::atomic<std::size_t> g_allocs{0};
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t n);
void* __libc_calloc(std::size_t n, std::size_t m);
void* __libc_realloc(void* p, std::size_t n);
void* __libc_memalign(std::size_t a, std::size_t n);
void __libc_free(void* p);

void* malloc(std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t m) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
void* memalign(std::size_t a, std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(a, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(a, n);
}
int posix_memalign(void** out, std::size_t a, std::size_t n) noexcept {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    void* p = __libc_memalign(a, n);
    if (p == nullptr) {
        return 12;  // ENOMEM
    }
    *out = p;
    return 0;
}
}


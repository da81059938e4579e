// mikey-ticket: compile-time configuration shared by every header.
#pragma once

/// MIKEY_NO_BOTAN: the user defines it (before including <mikey/mikey.hpp>
/// or the single header; the library never defines it) for parse-only use
/// without Botan. The umbrella then leaves out the two headers that include
/// Botan: crypto/botan_backend.hpp and sdp.hpp (RFC 4567 carriage, whose
/// base64 is Botan's); everything else stays: views, builders, srtp.hpp,
/// messages, schemas, and the crypto layer's constexpr tables and
/// derivations over the crypto_backend concept (crypto/backend.hpp), for a
/// backend of your own. CI compiles tests/parse_only/ that way, with no Botan
/// on the include path, also with -fno-exceptions -fno-rtti.

/// Marks a parameter whose referent must outlive the returned view, so that
/// clang (and MSVC) warn when a view is built from a temporary buffer.
#if defined(__has_cpp_attribute)
#if __has_cpp_attribute(clang::lifetimebound)
#define MIKEY_LIFETIMEBOUND [[clang::lifetimebound]]
#elif __has_cpp_attribute(msvc::lifetimebound)
#define MIKEY_LIFETIMEBOUND [[msvc::lifetimebound]]
#endif
#endif
#ifndef MIKEY_LIFETIMEBOUND
#define MIKEY_LIFETIMEBOUND
#endif

/// 1 when the translation unit is compiled with exceptions enabled. The
/// library never uses exceptions as its error channel; the only function that
/// throws (result::value_or_throw) exists only when this is 1.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define MIKEY_EXCEPTIONS 1
#else
#define MIKEY_EXCEPTIONS 0
#endif

/// Forces inlining of the reader's and writer's one-line accessors, which
/// every payload parser calls several times per field, and of the replay
/// cache hint's chain (a function that only prefetches is dropped by GCC).
#if defined(__GNUC__) || defined(__clang__)
#define MIKEY_ALWAYS_INLINE [[gnu::always_inline]]
#else
#define MIKEY_ALWAYS_INLINE
#endif

/// A branch hint: `x` is expected to be true. result<>'s success test uses
/// it, so that the compiler lays error returns out of the hot code.
#if defined(__GNUC__) || defined(__clang__)
#define MIKEY_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define MIKEY_LIKELY(x) (x)
#endif

/// Inlines every call inside the function it marks: used on the few entry
/// points that walk a whole message (the payload parsers then share one
/// frame, with no result<> returned through memory). MIKEY_NOINLINE stops
/// it where the call tree is large and rare (TP and TICKET, which walk
/// chains of their own): flattening those too multiplied compile time and
/// memory, above all in sanitizer builds.
#if defined(__GNUC__) || defined(__clang__)
#define MIKEY_FLATTEN [[gnu::flatten]]
#define MIKEY_NOINLINE [[gnu::noinline]]
#else
#define MIKEY_FLATTEN
#define MIKEY_NOINLINE
#endif

/// [[no_unique_address]] on the empty role members of payload views and
/// builders (payloads without a role byte). Left out for clang before 15:
/// clang 14 crashes (segfault in its constant emitter) on a namespace-scope
/// aggregate with such a member initialised at run time, e.g.
/// `const rand_builder r{{}, some_vector};`. The member then takes one byte.
#if defined(__clang__) && __clang_major__ < 15
#define MIKEY_NO_UNIQUE_ADDRESS
#else
#define MIKEY_NO_UNIQUE_ADDRESS [[no_unique_address]]
#endif

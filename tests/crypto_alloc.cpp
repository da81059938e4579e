// No heap allocation on the derivation path (issue 3), nor when verifying a
// V / KEMAC MAC or opening a KEMAC into a caller buffer: counted with a
// replaced global operator new (this executable only).
#include <cstdlib>
#include <new>

#include <mikey/crypto/derive.hpp>
#include <mikey/crypto/kemac.hpp>
#include <mikey/crypto/protection_keys.hpp>
#include <mikey/ticket/mac_coverage.hpp>

#include "crypto_helpers.hpp"

namespace {
std::size_t g_allocs = 0;
void* counted(std::size_t n) {
    ++g_allocs;
    if (void* p = std::malloc(n ? n : 1)) return p;
#if MIKEY_EXCEPTIONS
    throw std::bad_alloc();
#else
    std::abort();
#endif
}
}  // namespace

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace crypto_test;
using namespace mikey::crypto;
using namespace mikey::ticket;
using mikey::prf_func;

TEST_CASE("derivations, protection keys, MAC checks and KEMAC open allocate nothing") {
    auto& b = backend();
    const bytes k32(32, 1), k100(100, 2), r16(16, 3), r32(32, 4), id(300, 5);
    std::array<std::uint8_t, 128> out{};
    const mikey::mutable_bytes o16{out.data(), 16}, o32{out.data(), 32}, o100{out.data(), 100};
    const mikey::rand_value ri{r16}, rr{r16}, rk{r32};
    const mikey::csb_id csb{7};
    const algorithm_suite wide{prf_func::prf_hmac_sha_256, mikey::encr_alg::aes_cm_256, mikey::mac_alg::hmac_sha_256_256};

    // KEMAC to open, built (allocating test vectors) before counting
    auto c_key = bytes(32, 9), c_salt = bytes(14, 8), c_auth = bytes(32, 7), tgk = bytes(32, 6), spi = bytes{1};
    const mikey::key_data_builder e[] = {{mikey::key_data_type::tgk, tgk, {}, {mikey::kv_type::spi, spi}}};
    const kemac_protection p{mikey::encr_alg::aes_cm_256, mikey::mac_alg::hmac_sha_256_256,
                             {c_key, c_salt, csb, 0}, c_auth, kemac_mac_scope::kemac_only, {}};
    bytes plain(256), wire(256), opened(256);
    const auto built = build_protected_kemac(b, p, e, plain, wire);
    REQUIRE(built);
    const bytes kemac_bytes(built->begin(), built->end());
    const auto view = mikey::kemac_view::parse(kemac_bytes);
    REQUIRE(view);

    auto run_all = [&] {
        bool ok = true;
        for (const prf_func f : {prf_func::mikey_1, prf_func::prf_hmac_sha_256}) {
            ok &= derive_tgk_key(b, f, k32, tgk_key::tek, mikey::cs_id{1}, csb, ri, o16).has_value();
            ok &= derive_message_key(b, f, k32, message_key::auth, csb, ri, o32).has_value();
            ok &= derive_initial_message_key(b, f, k32, message_key::auth, csb, ri, rr, o32).has_value();
            ok &= derive_response_message_key(b, f, k32, message_key::encr, csb, ri, rr, o32).has_value();
            ok &= derive_forked_mpkr(b, f, k32, mikey::identity{id}, rk, o32).has_value();
            ok &= derive_forked_tgk(b, f, k32, mikey::identity{id}, rk, o32).has_value();
            ok &= derive_session_key(b, f, k100, tgk_key::tek, mikey::cs_id{1}, {ri, rr, true, true}, o100).has_value();
            ok &= derive_vr_auth_key(b, f, k32, o32).has_value();
            ok &= derive_ticket_key(b, f, k32, message_key::salt, rk, o16).has_value();
            ok &= derive_mpki(b, f, k32, rk, o32).has_value();
            ok &= derive_mpkr(b, f, k32, rk, o32).has_value();
        }
        ok &= derive_initial_protection_keys(b, wide, k32, csb, ri, rr).has_value();
        ok &= verify_kemac_mac(b, *view, mikey::mac_alg::hmac_sha_256_256, c_auth).has_value();
        ok &= open_kemac(b, *view, p.cipher, opened).has_value();
        return ok;
    };
    REQUIRE(run_all());  // warm-up: Botan objects size their buffers on first use
    const std::size_t before = g_allocs;
    const bool ok = run_all();
    const std::size_t allocs = g_allocs - before;
    CHECK(ok);
    CHECK(allocs == 0);
}

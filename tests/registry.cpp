// Pins every name-space value to the RFC tables (RFC 3830 §6, RFC 4563,
// RFC 6043 §6 and §14, RFC 6309, RFC 4771, RFC 7714, RFC 6509).
#include <doctest/doctest.h>

#include <mikey/core/registry.hpp>

using namespace mikey;

template <class E>
constexpr unsigned raw(E v) {
    return static_cast<unsigned>(v);
}

// RFC 3830 Table 6.1.b, RFC 6043 Table 6.2
static_assert(raw(payload_type::last) == 0 && raw(payload_type::kemac) == 1 && raw(payload_type::pke) == 2);
static_assert(raw(payload_type::dh) == 3 && raw(payload_type::sign) == 4 && raw(payload_type::t) == 5);
static_assert(raw(payload_type::id) == 6 && raw(payload_type::cert) == 7 && raw(payload_type::chash) == 8);
static_assert(raw(payload_type::v) == 9 && raw(payload_type::sp) == 10 && raw(payload_type::rand) == 11);
static_assert(raw(payload_type::err) == 12 && raw(payload_type::key_data) == 20);
static_assert(raw(payload_type::general_extension) == 21);
static_assert(raw(payload_type::tr) == 13 && raw(payload_type::idr) == 14 && raw(payload_type::randr) == 15);
static_assert(raw(payload_type::tp) == 16 && raw(payload_type::ticket) == 17);
// RFC 3830 Table 6.1.a, RFC 6043 Table 6.1
static_assert(raw(data_type::psk_init) == 0 && raw(data_type::psk_verification) == 1);
static_assert(raw(data_type::pk_init) == 2 && raw(data_type::pk_verification) == 3);
static_assert(raw(data_type::dh_init) == 4 && raw(data_type::dh_response) == 5 && raw(data_type::error) == 6);
static_assert(raw(data_type::request_init_psk) == 11 && raw(data_type::request_init_pk) == 12);
static_assert(raw(data_type::request_resp) == 13 && raw(data_type::transfer_init) == 14);
static_assert(raw(data_type::transfer_resp) == 15 && raw(data_type::resolve_init_psk) == 16);
static_assert(raw(data_type::resolve_init_pk) == 17 && raw(data_type::resolve_resp) == 18);
static_assert(raw(data_type::sakke) == 26);
// RFC 3830 Table 6.1.c, RFC 6043 Table 6.3; private use 112-127
static_assert(raw(prf_func::mikey_1) == 0 && raw(prf_func::prf_hmac_sha_256) == 1);
static_assert(registry<prf_func>::private_lo == 112 && registry<prf_func>::private_hi == 127);
// RFC 3830 Table 6.1.d, RFC 4563 Table 3, RFC 6043 Table 6.4
static_assert(raw(cs_id_map_type::srtp_id) == 0 && raw(cs_id_map_type::empty) == 1);
static_assert(raw(cs_id_map_type::generic_id) == 2);
// RFC 3830 Table 6.2.a/b, RFC 6043 Tables 6.5/6.6
static_assert(raw(encr_alg::null) == 0 && raw(encr_alg::aes_cm_128) == 1 && raw(encr_alg::aes_kw_128) == 2);
static_assert(raw(encr_alg::aes_cm_256) == 3);
static_assert(raw(mac_alg::null) == 0 && raw(mac_alg::hmac_sha_1_160) == 1 && raw(mac_alg::hmac_sha_256_256) == 2);
static_assert(mac_size(mac_alg::null) == 0 && mac_size(mac_alg::hmac_sha_1_160) == 20);
static_assert(mac_size(mac_alg::hmac_sha_256_256) == 32);
// RFC 3830 §6.3, §6.4, §6.5
static_assert(raw(pke_cache::no_cache) == 0 && raw(pke_cache::cache) == 1 && raw(pke_cache::cache_for_csb) == 2);
static_assert(raw(dh_group::oakley_5) == 0 && raw(dh_group::oakley_1) == 1 && raw(dh_group::oakley_2) == 2);
static_assert(dh_value_size(dh_group::oakley_5) == 1536 / 8 && dh_value_size(dh_group::oakley_1) == 768 / 8);
static_assert(dh_value_size(dh_group::oakley_2) == 1024 / 8);
static_assert(raw(sign_type::rsa_pkcs1_v1_5) == 0 && raw(sign_type::rsa_pss) == 1 && raw(sign_type::eccsi) == 2);
// RFC 3830 Table 6.6, RFC 6043 Table 6.8
static_assert(raw(ts_type::ntp_utc) == 0 && raw(ts_type::ntp) == 1 && raw(ts_type::counter) == 2);
static_assert(raw(ts_type::ntp_utc_32) == 3);
static_assert(ts_value_size(ts_type::ntp_utc) == 8 && ts_value_size(ts_type::ntp) == 8);
static_assert(ts_value_size(ts_type::counter) == 4 && ts_value_size(ts_type::ntp_utc_32) == 4);
// RFC 3830 Tables 6.7.a/b, RFC 6043 Table 6.10
static_assert(raw(id_type::nai) == 0 && raw(id_type::uri) == 1 && raw(id_type::byte_string) == 2);
static_assert(raw(cert_type::x509v3) == 0 && raw(cert_type::x509v3_url) == 1);
static_assert(raw(cert_type::x509v3_sign) == 2 && raw(cert_type::x509v3_encr) == 3);
// RFC 3830 Table 6.8, RFC 6043 Table 6.12
static_assert(raw(hash_func::sha_1) == 0 && raw(hash_func::md5) == 1 && raw(hash_func::sha_256) == 2);
static_assert(hash_size(hash_func::sha_1) == 20 && hash_size(hash_func::md5) == 16);
static_assert(hash_size(hash_func::sha_256) == 32);
// RFC 3830 Table 6.10, 6.10.1.a; RFC 4771; RFC 7714
static_assert(raw(prot_type::srtp) == 0 && raw(prot_type::tesla) == 1);
static_assert(raw(srtp_param::encryption_algorithm) == 0 && raw(srtp_param::srtp_prefix_length) == 12);
static_assert(raw(srtp_param::roc_transmission_rate) == 13 && raw(srtp_param::srtcp_auth_tag_length) == 19);
static_assert(raw(srtp_param::aead_auth_tag_length) == 20);
// RFC 3830 Table 6.12, RFC 4738, RFC 6043 Table 6.14
static_assert(raw(error_no::auth_failure) == 0 && raw(error_no::invalid_dt) == 11);
static_assert(raw(error_no::unspecified) == 12 && raw(error_no::unsupported_message_type) == 13);
static_assert(raw(error_no::invalid_ticket) == 14 && raw(error_no::invalid_tppar) == 15);
// RFC 3830 Table 6.13.a/b, RFC 6043 Table 6.7
static_assert(raw(key_data_type::tgk) == 0 && raw(key_data_type::tgk_salt) == 1 && raw(key_data_type::tek) == 2);
static_assert(raw(key_data_type::tek_salt) == 3 && raw(key_data_type::gtgk) == 4);
static_assert(raw(key_data_type::gtgk_salt) == 5 && raw(key_data_type::mpk) == 6);
static_assert(has_salt(key_data_type::tgk_salt) && has_salt(key_data_type::tek_salt));
static_assert(has_salt(key_data_type::gtgk_salt) && !has_salt(key_data_type::mpk) && !has_salt(key_data_type::tgk));
static_assert(raw(kv_type::null) == 0 && raw(kv_type::spi) == 1 && raw(kv_type::interval) == 2);
// RFC 3830 Table 6.15, RFC 4563 §4
static_assert(raw(extension_type::vendor_id) == 0 && raw(extension_type::sdp_ids) == 1);
static_assert(raw(extension_type::key_id) == 3);
static_assert(raw(key_id_type::mbms_key_domain_id) == 0 && raw(key_id_type::mbms_mtk_id) == 2);
// RFC 6043 Tables 6.9, 6.11, 6.13, 6.15 (private use 240-254 per RFC 6043 §14)
static_assert(raw(ts_role::tri) == 1 && raw(ts_role::trs) == 2 && raw(ts_role::tre) == 3 && raw(ts_role::trr) == 4);
static_assert(raw(id_role::idri) == 1 && raw(id_role::idrr) == 2 && raw(id_role::idrkms) == 3);
static_assert(raw(id_role::idrpsk) == 4 && raw(id_role::idrapp) == 5);
static_assert(raw(id_role::idrkmsi) == 6 && raw(id_role::idrkmsr) == 7);  // RFC 6509
static_assert(raw(rand_role::randri) == 1 && raw(rand_role::randrr) == 2 && raw(rand_role::randrkms) == 3);
static_assert(raw(ticket_type::mikey_base_ticket) == 1 && raw(ticket_type::base_ticket_3gpp) == 2);
static_assert(registry<ticket_type>::private_lo == 61440 && registry<ticket_type>::private_hi == 65534);
static_assert(registry<id_role>::private_lo == 240 && registry<id_role>::private_hi == 254);

// The acceptance rule: registered or private use; reserved and unassigned rejected.
static_assert(is_acceptable(id_role::idri));
static_assert(is_acceptable(static_cast<id_role>(245)));
static_assert(!is_acceptable(static_cast<id_role>(0)));    // reserved
static_assert(!is_acceptable(static_cast<id_role>(255)));  // reserved
static_assert(!is_acceptable(static_cast<id_role>(100)));  // unassigned
static_assert(!is_acceptable(static_cast<ticket_type>(0)));
static_assert(!is_acceptable(static_cast<ticket_type>(65535)));
static_assert(!is_acceptable(static_cast<key_data_type>(8)));  // 4-bit space, no private range
static_assert(!is_acceptable(static_cast<pke_cache>(3)));

TEST_CASE("registry names round-trip") {
    CHECK(name_of(payload_type::ticket) == "TICKET");
    CHECK(from_name<payload_type>("TICKET") == payload_type::ticket);
    CHECK(name_of(id_role::idrkms) == "IDRkms");
    CHECK(name_of(static_cast<id_role>(200)).empty());
    CHECK_FALSE(from_name<mac_alg>("HMAC-MD5").has_value());
    CHECK(from_name<data_type>("TRANSFER_INIT") == data_type::transfer_init);
}

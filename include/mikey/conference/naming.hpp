// mikey-ticket (conference layer): conference URIs and the one KMS identity
// a factory shares with every focus it creates (seed 000 §5.3.2.3.1):
// "if the conference factory is named factory.conference1@operator then
// conference URI's could be named focusX.conference1@operator", both public
// identities of one KMS identity, "locally managed by the KMS".
//
//   seed000_naming          that convention (the default naming hook)
//   conference_naming       what a naming hook offers (concept)
//   conference_identity_policy  a role policy adapter (KMS, factory, focus):
//                           a conference URI authenticates with its factory's
//                           PSK and belongs to the factory's group identity
#pragma once

#include <charconv>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>

#include "../roles/policy.hpp"
#include "../ticket/key_store.hpp"

namespace mikey::conference {

/// A naming hook: the factory's URI, the URI of conference number `n`, and
/// whether a URI is one of this factory's conferences.
template <class N>
concept conference_naming = requires(const N& n, std::uint64_t x, std::string_view uri) {
    { n.factory_uri() } -> std::convertible_to<std::string_view>;
    { n.conference_uri(x) } -> std::same_as<std::string>;
    { n.is_conference_of(uri) } noexcept -> std::same_as<bool>;
};

/// Seed 000's convention: factory `[scheme:]factory.<rest>` names its
/// conferences `[scheme:]focus<X>.<rest>` with X a decimal number.
class seed000_naming {
public:
    /// `factory` must have the form [scheme:]factory.<rest>; otherwise
    /// valid() is false and no URI is its conference.
    explicit seed000_naming(std::string factory) : m_factory(std::move(factory)) {
        const auto colon = m_factory.find(':');
        const auto at = m_factory.find('@');
        const std::size_t start = colon != std::string::npos && (at == std::string::npos || colon < at) ? colon + 1 : 0;
        constexpr std::string_view tag = "factory.";
        if (m_factory.compare(start, tag.size(), tag) == 0 && m_factory.size() > start + tag.size()) {
            m_scheme = m_factory.substr(0, start);
            m_rest = m_factory.substr(start + tag.size() - 1);  // ".<rest>"
        }
    }
    [[nodiscard]] bool valid() const noexcept { return !m_rest.empty(); }
    [[nodiscard]] std::string_view factory_uri() const noexcept { return m_factory; }
    /// `[scheme:]focus<x>.<rest>`.
    [[nodiscard]] std::string conference_uri(std::uint64_t x) const {
        return m_scheme + "focus" + std::to_string(x) + m_rest;
    }
    [[nodiscard]] bool is_conference_of(std::string_view uri) const noexcept {
        constexpr std::string_view tag = "focus";
        if (!valid() || uri.size() <= m_scheme.size() + tag.size() + m_rest.size()) return false;
        if (uri.substr(0, m_scheme.size()) != m_scheme) return false;
        uri.remove_prefix(m_scheme.size());
        if (uri.substr(0, tag.size()) != tag) return false;
        uri.remove_prefix(tag.size());
        if (uri.size() <= m_rest.size() || uri.substr(uri.size() - m_rest.size()) != m_rest) return false;
        const auto digits = uri.substr(0, uri.size() - m_rest.size());
        std::uint64_t v = 0;
        const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
        return ec == std::errc{} && p == digits.data() + digits.size() && digits.front() != '+';
    }

private:
    std::string m_factory, m_scheme, m_rest;
};
static_assert(conference_naming<seed000_naming>);

/// A role policy that knows a factory's conferences: a conference URI
/// authenticates with the factory's PSK and is a member of the factory's
/// identity; every other hook is `Inner`'s (each one `Inner` has). The KMS
/// needs it (a ticket naming the factory resolves for the conference URI,
/// flow 1b; a focus calling out requests tickets under its URI, flow 4b),
/// and so do the factory and its foci (their machines look up the PSK of
/// their own identity, the conference URI). Both are used by reference.
template <class Inner, conference_naming Naming>
class conference_identity_policy {
public:
    conference_identity_policy(const Inner& inner, const Naming& naming) noexcept : m_in(&inner), m_naming(&naming) {}

    [[nodiscard]] std::optional<bytes_view> psk_for(identity id) const noexcept {
        if (m_naming->is_conference_of(ticket::as_chars(id.get()))) {
            return m_in->psk_for(identity(ticket::as_bytes(m_naming->factory_uri())));
        }
        return m_in->psk_for(id);
    }
    [[nodiscard]] bool is_member(identity member, identity group) const noexcept
        requires roles::kms_policy<Inner>
    {
        return (ticket::as_chars(group.get()) == m_naming->factory_uri() &&
                m_naming->is_conference_of(ticket::as_chars(member.get()))) ||
               m_in->is_member(member, group);
    }
    [[nodiscard]] std::optional<bytes_view> tpk_for(identity id) const noexcept { return m_in->tpk_for(id); }
    [[nodiscard]] encr_alg kemac_encr(mac_alg m) const noexcept { return m_in->kemac_encr(m); }
    [[nodiscard]] result<void> check_suite(const roles::algorithm_suite& s) const noexcept { return m_in->check_suite(s); }
    [[nodiscard]] std::chrono::seconds clock_window() const noexcept { return m_in->clock_window(); }
    [[nodiscard]] roles::replay_verdict remember(bytes_view k, ntp_time e, ntp_time n) const noexcept {
        return m_in->remember(k, e, n);
    }
    MIKEY_ALWAYS_INLINE void anticipate(bytes_view k) const noexcept {
        if constexpr (requires { m_in->anticipate(k); }) m_in->anticipate(k);
    }
    [[nodiscard]] bool send_auth_failure_error() const noexcept { return m_in->send_auth_failure_error(); }
    [[nodiscard]] result<void> authorize_request(identity id, const ticket_policy& tp) const noexcept
        requires roles::kms_policy<Inner>
    {
        return m_in->authorize_request(id, tp);
    }
    [[nodiscard]] result<ticket_policy> grant(identity id, const ticket_policy& tp) const noexcept
        requires roles::kms_policy<Inner>
    {
        return m_in->grant(id, tp);
    }
    [[nodiscard]] std::chrono::seconds ticket_lifetime() const noexcept
        requires roles::kms_policy<Inner>
    {
        return m_in->ticket_lifetime();
    }
    [[nodiscard]] std::optional<bytes_view> application_of(identity id) const noexcept
        requires roles::kms_policy<Inner>
    {
        return m_in->application_of(id);
    }
    [[nodiscard]] result<void> accept_granted(const ticket_policy& d, const ticket_policy& g) const noexcept
        requires roles::initiator_policy<Inner>
    {
        return m_in->accept_granted(d, g);
    }
    [[nodiscard]] result<void> accept_ticket(const ticket_policy& p) const noexcept
        requires roles::responder_policy<Inner>
    {
        return m_in->accept_ticket(p);
    }
    [[nodiscard]] result<void> accept_initiator(identity id) const noexcept
        requires roles::responder_policy<Inner>
    {
        return m_in->accept_initiator(id);
    }
    // The optional security-policy hooks (roles/policy.hpp), where Inner has them.
    [[nodiscard]] result<void> accept_security_policy(const sp_view& sp, const roles::algorithm_suite& s) const noexcept
        requires requires(const Inner& i) { i.accept_security_policy(sp, s); }
    {
        return m_in->accept_security_policy(sp, s);
    }
    [[nodiscard]] result<bytes_view> own_security_policy(prot_type prot, const roles::algorithm_suite& s,
                                                         std::size_t key_length, mutable_bytes out) const noexcept
        requires requires(const Inner& i) { i.own_security_policy(prot, s, key_length, out); }
    {
        return m_in->own_security_policy(prot, s, key_length, out);
    }
    [[nodiscard]] result<void> accept_changed_security_policy(const sp_view& sp) const noexcept
        requires requires(const Inner& i) { i.accept_changed_security_policy(sp); }
    {
        return m_in->accept_changed_security_policy(sp);
    }

private:
    const Inner* m_in;
    const Naming* m_naming;
};

}  // namespace mikey::conference

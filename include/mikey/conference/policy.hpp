// mikey-ticket (conference layer): the conference policy hook. It decides
// who may create a conference, join, invite or refer whom, subscribe to
// the event package and change a conference through the management
// interface. A C++20 concept with a default (basic_conference_policy).
//
// Next to each hook: its default, and the risk of loosening it.
#pragma once

#include <algorithm>
#include <concepts>
#include <string>
#include <string_view>
#include <vector>

#include "../core/errc.hpp"
#include "../core/result.hpp"
#include "record.hpp"

namespace mikey::conference {

/// Hooks (all identities are authenticated by MIKEY-TICKET first):
///   may_create(creator)              error unauthorized_creator (flow 1b)
///   may_join(record, who)            error not_authorized_participant (flows 2-5)
///   may_invite(record, by, invitee)  errors unauthorized_referrer,
///                                    not_authorized_participant (flow 4b)
///   may_subscribe(record, who)       error unauthorized_subscriber (seed 003 G.3.3)
///   may_manage(record, who)          error unauthorized_management (seed 003 G.3.1)
template <class C>
concept conference_policy = requires(const C& c, const record& r, std::string_view id) {
    { c.may_create(id) } noexcept -> std::same_as<result<void>>;
    { c.may_join(r, id) } noexcept -> std::same_as<result<void>>;
    { c.may_invite(r, id, id) } noexcept -> std::same_as<result<void>>;
    { c.may_subscribe(r, id) } noexcept -> std::same_as<result<void>>;
    { c.may_manage(r, id) } noexcept -> std::same_as<result<void>>;
};

/// The default conference policy.
class basic_conference_policy {
public:
    /// Who may create conferences. Default (empty): every identity the KMS
    /// authenticated. Risk: anyone with a KMS identity makes the operator
    /// host conferences.
    std::vector<std::string> creators{};
    /// Members (not only the creator) may invite / refer others. Default
    /// true (seed 000 flow 4: "the conference creator/owner (or a
    /// participant)"). Risk: a member grows the conference within the
    /// authorized set only, never past it.
    bool members_may_invite = true;
    /// Members may change the conference through the management interface.
    /// Default false (seed 003 G.3.1 "It may also be possible"). Risk: any
    /// member can admit others or switch the key model.
    bool members_may_manage = false;

    [[nodiscard]] result<void> may_create(std::string_view creator) const noexcept {
        if (creators.empty() || std::find(creators.begin(), creators.end(), creator) != creators.end()) return {};
        return errc::unauthorized_creator;
    }
    /// Default: the creator and the authorized set (seed 003 G.3.2: "verify
    /// that the UE identity ... is authorized to join").
    [[nodiscard]] result<void> may_join(const record& r, std::string_view who) const noexcept {
        return r.is_authorized(who) ? result<void>{} : result<void>(errc::not_authorized_participant);
    }
    /// Default: the referrer is the creator or (members_may_invite) a member,
    /// and the invitee may join.
    [[nodiscard]] result<void> may_invite(const record& r, std::string_view by, std::string_view invitee) const noexcept {
        if (by != r.creator && !(members_may_invite && r.find(by))) return errc::unauthorized_referrer;
        return may_join(r, invitee);
    }
    /// Default: the authorized set (seed 003 G.3.3: "verify that the sender
    /// is an authorized conference participant").
    [[nodiscard]] result<void> may_subscribe(const record& r, std::string_view who) const noexcept {
        return r.is_authorized(who) ? result<void>{} : result<void>(errc::unauthorized_subscriber);
    }
    /// Default: the creator only.
    [[nodiscard]] result<void> may_manage(const record& r, std::string_view who) const noexcept {
        if (who == r.creator || (members_may_manage && r.find(who))) return {};
        return errc::unauthorized_management;
    }
};
static_assert(conference_policy<basic_conference_policy>);

}  // namespace mikey::conference

// mikey-ticket (conference layer): what a conference is: its URI, creator,
// authorized participants, settings (key model, media, BFCP, event
// package), the members present with their crypto sessions and SSRCs, and
// a key epoch. The focus keeps one; the management interface changes it.
//
// Crypto sessions of every conference exchange (one bundle per member):
//   cs_member_media  1  the member's media to the focus (key: the ticket's
//                        TGK, forked: individual; SSRC chosen by the member,
//                        or assigned by the focus on call-out)
//   cs_focus_media   2  the focus's media to the member (key: a TEK the focus
//                        supplies, the group TEK or an individual one)
//   cs_bfcp          3  BFCP over TLS (seed 003 G.3.2: the TLS PSK is its TEK)
//   cs_event_package 4  the conference event package NOTIFY bodies (seed 003 G.3.3)
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../roles/outcome.hpp"

namespace mikey::conference {

inline constexpr std::uint8_t cs_member_media = 1;
inline constexpr std::uint8_t cs_focus_media = 2;
inline constexpr std::uint8_t cs_bfcp = 3;
inline constexpr std::uint8_t cs_event_package = 4;

/// How the focus keys its outgoing media.
enum class key_model : std::uint8_t {
    /// One group TEK for the focus's media to every member (seeds 001, 002);
    /// renewed on every join and leave so that a member who left cannot
    /// decrypt what follows, and one who joins cannot decrypt what preceded.
    group,
    /// A TEK per member and stream (seed 003 G.1): "a participant is only
    /// able to decrypt media sent to him during his presence"; nobody else
    /// holds it, so joins and leaves need no rekey.
    individual,
};

/// Conference settings the creator (or whom the policy allows) changes
/// through the management interface (seed 003 G.3.1).
struct settings {
    key_model keys = key_model::group;
    bool bfcp = false;           ///< a BFCP-over-TLS crypto session per member
    bool event_package = false;  ///< an event-package crypto session per member
    friend bool operator==(const settings&, const settings&) = default;
};

/// A member present, and the crypto sessions of its bundle.
struct member {
    std::string identity;
    std::vector<roles::crypto_session_spec> sessions;
    bool called_out = false;  ///< joined through the focus's call-out (focus is Initiator)
};

/// The state of one conference.
struct record {
    std::string uri;                      ///< the conference (focus) URI
    std::string creator;                  ///< who created it (authenticated, flow 1)
    std::set<std::string, std::less<>> authorized;  ///< who may join (besides the creator)
    settings config{};
    std::vector<member> members;
    std::uint32_t epoch = 0;              ///< counts the group key changes
    std::uint32_t focus_ssrc = 0;         ///< the SSRC of the focus's group stream (group model; not 0: the factory draws it)

    [[nodiscard]] bool is_authorized(std::string_view id) const noexcept {
        return id == creator || authorized.find(id) != authorized.end();
    }
    [[nodiscard]] const member* find(std::string_view id) const noexcept {
        for (const auto& m : members) {
            if (m.identity == id) return &m;
        }
        return nullptr;
    }
    [[nodiscard]] static constexpr bool is_media(std::uint8_t cs) noexcept {
        return cs == cs_member_media || cs == cs_focus_media;
    }
};

}  // namespace mikey::conference

//! Where an interaction happened, as far as the bot is concerned.
//!
//! The app can be installed to a server (guild install) or to a member's
//! own account (user install). A member who installed it can run `/quiz`,
//! `/review` and `/stats` anywhere: in a server that installed the bot
//! too, in DMs, in group DMs, or in a server the bot is not in. Only the
//! first is that server's scope (its banks, its leaderboard); everywhere
//! else the member studies in their own scope ([`Scope::DirectMessages`]),
//! and the bot, not being there, answers only them.

use poise::serenity_prelude as serenity;
use serenity::{AuthorizingIntegrationOwner, AuthorizingIntegrationOwners, GuildId, InteractionContext};

use crate::domain::study::Scope;

/// The scope an interaction counts in: the server's when that server
/// installed the app (Discord names it among the interaction's
/// authorizing owners), else the member's own. A payload without owners
/// (older clients) counts where it happened.
pub fn scope(guild_id: Option<GuildId>, owners: &AuthorizingIntegrationOwners) -> Scope {
    match guild_id {
        Some(guild) if owners.0.is_empty() || installed_in(guild, owners) => Scope::Guild(guild.get()),
        _ => Scope::DirectMessages,
    }
}

/// Whether the bot is not in the place: a server that did not install it,
/// or a DM between members (context 2). There it can only answer the
/// member, never post for everyone. The bot's own DM is the bot's,
/// whichever install brought the member there.
pub fn member_only(
    guild_id: Option<GuildId>,
    owners: &AuthorizingIntegrationOwners,
    context: Option<InteractionContext>,
) -> bool {
    match (guild_id, context) {
        (_, Some(InteractionContext::PrivateChannel)) => true,
        (Some(guild), _) => !owners.0.is_empty() && !installed_in(guild, owners),
        (None, _) => false,
    }
}

fn installed_in(guild: GuildId, owners: &AuthorizingIntegrationOwners) -> bool {
    owners.0.iter().any(|o| matches!(o, AuthorizingIntegrationOwner::GuildInstall(Some(g)) if *g == guild))
}

#[cfg(test)]
mod tests {
    use super::*;
    use AuthorizingIntegrationOwner::{GuildInstall, UserInstall};

    fn owners(list: Vec<AuthorizingIntegrationOwner>) -> AuthorizingIntegrationOwners {
        AuthorizingIntegrationOwners(list)
    }

    #[test]
    fn a_server_that_installed_the_app_is_its_own_scope() {
        let g = GuildId::new(7);
        let user = UserInstall(serenity::UserId::new(9));
        for o in [vec![GuildInstall(Some(g))], vec![GuildInstall(Some(g)), user.clone()], vec![]] {
            assert_eq!(scope(Some(g), &owners(o.clone())), Scope::Guild(7), "{o:?}");
            assert!(!member_only(Some(g), &owners(o), Some(InteractionContext::Guild)));
        }
    }

    #[test]
    fn elsewhere_a_user_install_is_the_members_own_scope_and_answers_only_them() {
        let g = GuildId::new(7);
        let user = UserInstall(serenity::UserId::new(9));
        // A server the bot is not in.
        assert_eq!(scope(Some(g), &owners(vec![user.clone()])), Scope::DirectMessages);
        assert!(member_only(Some(g), &owners(vec![user.clone()]), Some(InteractionContext::Guild)));
        // Another server's install does not make this one the bot's.
        let other = GuildInstall(Some(GuildId::new(8)));
        assert_eq!(scope(Some(g), &owners(vec![other])), Scope::DirectMessages);
        // A DM between members: user install only.
        assert_eq!(scope(None, &owners(vec![user.clone()])), Scope::DirectMessages);
        assert!(member_only(None, &owners(vec![user.clone()]), Some(InteractionContext::PrivateChannel)));
        // The bot's own DM, through either install.
        assert!(!member_only(None, &owners(vec![GuildInstall(None)]), Some(InteractionContext::BotDm)));
        assert!(!member_only(None, &owners(vec![user]), Some(InteractionContext::BotDm)));
    }
}

//! Daily posts over REST: the scheduler's [`Poster`], and the permission
//! check `/daily set` and `/daily now` run first.

use std::sync::Arc;

use poise::serenity_prelude as serenity;
use serenity::{ChannelId, CreateAllowedMentions, CreateMessage, GuildId, Http, HttpError, Nonce, RoleId, UserId};

use super::{permissions, render};
use crate::service::scheduler::{DailyPost, PostError, Poster};

/// Posts daily questions with the bot's HTTP client; any process can, as
/// no gateway connection is involved.
#[derive(Clone)]
pub struct DiscordPoster {
    http: Arc<Http>,
}

impl DiscordPoster {
    pub fn new(http: Arc<Http>) -> Self {
        DiscordPoster { http }
    }
}

impl Poster for DiscordPoster {
    async fn post(&self, post: &DailyPost<'_>) -> Result<u64, PostError> {
        let (embed, buttons) = render::daily_message(post.bank, post.question, post.date);
        let mut message = CreateMessage::new()
            .embed(embed)
            .components(buttons)
            .nonce(Nonce::String(post.nonce.to_string()))
            .enforce_nonce(true)
            .allowed_mentions(CreateAllowedMentions::new());
        if let Some(role) = post.ping_role {
            message = message
                .content(format!("<@&{role}>"))
                .allowed_mentions(CreateAllowedMentions::new().roles([RoleId::new(role)]));
        }
        match ChannelId::new(post.channel_id).send_message(&*self.http, message).await {
            Ok(sent) => Ok(sent.id.get()),
            Err(e) => Err(classify(&e)),
        }
    }
}

/// Sorts a failed post into "retry later" and "tell the admins".
pub fn classify(error: &serenity::Error) -> PostError {
    if let serenity::Error::Http(HttpError::UnsuccessfulRequest(resp)) = error {
        let status = resp.status_code.as_u16();
        let detail = &resp.error.message;
        return match status {
            404 => PostError::Permanent(format!("the channel no longer exists (Discord: {detail})")),
            403 => PostError::Permanent(format!(
                "the bot lacks permissions in the channel: it needs View Channel, Send Messages and Embed Links (Discord: {detail})"
            )),
            429 | 500..=599 => PostError::Temporary(format!("Discord answered {status}: {detail}")),
            _ => PostError::Permanent(format!("Discord refused the post ({status}: {detail})")),
        };
    }
    PostError::Temporary(format!("could not reach Discord: {error}"))
}

/// What stands between the bot and posting in a channel, in words for the
/// admin: a missing channel, the wrong kind, or missing permissions.
pub async fn check_channel(http: &Http, guild_id: u64, channel_id: u64, bot: UserId) -> Result<(), String> {
    let channel = match http.get_channel(ChannelId::new(channel_id)).await {
        Ok(serenity::Channel::Guild(c)) if c.guild_id.get() == guild_id => c,
        Ok(_) => return Err(format!("<#{channel_id}> is not a channel of this server.")),
        Err(e) => return Err(format!("I cannot see <#{channel_id}> ({}). Give me View Channel there.", short(&e))),
    };
    if !matches!(channel.kind, serenity::ChannelType::Text | serenity::ChannelType::News) {
        return Err(format!("<#{channel_id}> is not a text channel: pick a text or announcement channel."));
    }
    let roles = http.get_guild_roles(GuildId::new(guild_id)).await.map_err(|e| lookup_failed(&e))?;
    let member = http.get_member(GuildId::new(guild_id), bot).await.map_err(|e| lookup_failed(&e))?;
    let perms = permissions::in_channel(&channel, &roles, bot, &member.roles);
    let missing = permissions::missing(perms);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "I cannot post in <#{channel_id}>: missing {}. Grant it in the channel's settings → Permissions, then try again.",
            missing.join(", ")
        ))
    }
}

fn lookup_failed(e: &serenity::Error) -> String {
    format!("I could not check my permissions ({}); please try again.", short(e))
}

fn short(e: &serenity::Error) -> String {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            format!("Discord {}: {}", r.status_code.as_u16(), r.error.message)
        }
        other => other.to_string(),
    }
}

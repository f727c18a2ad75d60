//! Daily posts and review reminders over REST: the scheduler's
//! [`Poster`], and the permission check `/daily set` and `/daily now` run
//! first.

use std::sync::Arc;
use std::time::Duration;

use ::serenity::http::{LightMethod, MessagePagination, Request, Route};
use ::serenity::http::{Multipart, MultipartUpload};
use poise::serenity_prelude as serenity;
use serenity::{
    ChannelId, CreateAllowedMentions, CreateAttachment, CreateMessage, GuildId, Http, HttpError, MessageId, Nonce,
    RoleId, UserId,
};
use tracing::warn;

use super::custom_id::ButtonAction;
use super::{permissions, render};
use crate::domain::bank::QuestionId;
use crate::domain::study::Source;
use crate::measures::RATE_LIMITED_TOTAL;
use crate::service::scheduler::{DailyPost, DailyThread, PostError, Poster, RecapPost, ReminderDm};

/// The longest Discord's answer to a post is waited for: one hung request
/// must not stall the scheduler.
pub const REST_TIMEOUT: Duration = Duration::from_secs(10);

/// Posts daily questions over REST; any process can, as no gateway
/// connection is involved. It sends the request itself (through the
/// bot's own client, with serenity's URL and headers) because serenity
/// turns a 429 into an error without its `retry_after`.
#[derive(Clone)]
pub struct DiscordPoster {
    http: Arc<Http>,
    client: reqwest::Client,
    me: Arc<tokio::sync::OnceCell<UserId>>,
}

impl DiscordPoster {
    pub fn new(http: Arc<Http>, client: reqwest::Client) -> Self {
        DiscordPoster { http, client, me: Arc::default() }
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
        let route = Route::ChannelMessages { channel_id: ChannelId::new(post.channel_id) };
        let answer = self.send(route, &message).await?;
        answer["id"].as_str().and_then(|id| id.parse().ok()).ok_or_else(|| no_id("message"))
    }

    async fn open_thread(&self, thread: &DailyThread<'_>) -> Result<u64, PostError> {
        let (channel_id, message_id) = (ChannelId::new(thread.channel_id), MessageId::new(thread.message_id));
        let open = serde_json::json!({ "name": thread.name, "auto_archive_duration": THREAD_ARCHIVE_MINUTES });
        // A thread started from a message has the message's id; one made
        // by an earlier attempt is the thread, and may hold the prompt.
        let route = Route::ChannelMessageThreads { channel_id, message_id };
        let (thread_id, earlier) = match self.send_with(route, &open, classify_thread_status).await {
            Ok(made) => (made["id"].as_str().and_then(|id| id.parse().ok()).ok_or_else(|| no_id("thread"))?, false),
            Err(PostError::AlreadyDone) => (thread.message_id, true),
            Err(e) => return Err(e),
        };
        if earlier && self.has_prompt(thread_id).await {
            return Ok(thread_id);
        }
        let prompt = CreateMessage::new()
            .content(THREAD_PROMPT)
            .nonce(Nonce::String(thread.nonce.to_string()))
            .enforce_nonce(true)
            .allowed_mentions(CreateAllowedMentions::new());
        // The thread is there either way: a missing prompt is not worth
        // a second try, nor a failed thread.
        if let Err(e) = self.send(Route::ChannelMessages { channel_id: ChannelId::new(thread_id) }, &prompt).await {
            warn!(thread = thread_id, error = %e, "the discussion thread's prompt was not posted");
        }
        Ok(thread_id)
    }

    async fn post_recap(&self, recap: &RecapPost<'_>) -> Result<u64, PostError> {
        let route = || Route::ChannelMessages { channel_id: ChannelId::new(recap.channel_id) };
        // The week's chart, when there is a week to show.
        let chart = render::recap_chart(recap).filter(|_| !recap.summary.is_empty());
        let (message, files) = recap_message(recap, chart);
        let answer = match self.send_files(route(), &message, files, classify_status).await {
            // Refused with its chart (no Attach Files there, say): the
            // recap matters more than its picture.
            Err(PostError::Permanent(reason)) if !recap.summary.is_empty() => {
                warn!(channel = recap.channel_id, %reason, "the weekly recap goes out without its chart");
                let (message, files) = recap_message(recap, None);
                self.send_files(route(), &message, files, classify_status).await?
            }
            other => other?,
        };
        answer["id"].as_str().and_then(|id| id.parse().ok()).ok_or_else(|| no_id("message"))
    }

    async fn remind(&self, dm: &ReminderDm<'_>) -> Result<u64, PostError> {
        // The DM channel first: Discord returns the same one every time.
        let open = serde_json::json!({ "recipient_id": dm.user_id.to_string() });
        let channel = self.send(Route::UserMeDmChannels, &open).await?;
        let channel_id: u64 = channel["id"].as_str().and_then(|id| id.parse().ok()).ok_or_else(|| no_id("channel"))?;
        let (text, buttons) = render::reminder_message(dm.due);
        let message = CreateMessage::new()
            .content(text)
            .components(buttons)
            .nonce(Nonce::String(dm.nonce.to_string()))
            .enforce_nonce(true)
            .allowed_mentions(CreateAllowedMentions::new());
        let answer = self.send(Route::ChannelMessages { channel_id: ChannelId::new(channel_id) }, &message).await?;
        answer["id"].as_str().and_then(|id| id.parse().ok()).ok_or_else(|| no_id("message"))
    }

    async fn find_post(&self, channel_id: u64, question: &QuestionId, since: i64) -> Result<Option<u64>, PostError> {
        let me = self.me().await?;
        let channel = ChannelId::new(channel_id);
        let mut after = MessageId::new(snowflake_at(since));
        for _ in 0..LOOK_PAGES {
            let page = match self.http.get_messages(channel, Some(MessagePagination::After(after)), Some(100)).await {
                Ok(page) => page,
                Err(e) if status_of(&e) == Some(403) => {
                    // Without Read Message History the channel cannot be
                    // checked; the nonce is the only guard left.
                    warn!(channel = channel_id, "cannot read the channel's history to check for an earlier post");
                    return Ok(None);
                }
                Err(e) => return Err(classify(&e)),
            };
            let ours = page.iter().find(|m| m.author.id == me && is_daily_post_of(m, question));
            if let Some(m) = ours {
                return Ok(Some(m.id.get()));
            }
            match page.iter().map(|m| m.id).max() {
                Some(newest) if page.len() == 100 => after = newest,
                _ => break,
            }
        }
        Ok(None)
    }
}

/// Discord's "Cannot send messages to this user": the member's DMs are
/// closed to the bot.
const CANNOT_MESSAGE_USER: u64 = 50_007;

/// The recap chart's file name; the embed shows `attachment://week.png`.
const RECAP_CHART: &str = "week.png";

/// The recap as a message, with `chart` uploaded and shown if given.
fn recap_message(recap: &RecapPost<'_>, chart: Option<Vec<u8>>) -> (CreateMessage, Vec<CreateAttachment>) {
    let (text, embed, buttons) = render::recap_message(recap);
    let mut message = CreateMessage::new()
        .components(buttons)
        .nonce(Nonce::String(recap.nonce.to_string()))
        .enforce_nonce(true)
        .allowed_mentions(CreateAllowedMentions::new());
    if !text.is_empty() {
        message = message.content(text);
    }
    let files: Vec<CreateAttachment> = chart.map(|png| CreateAttachment::bytes(png, RECAP_CHART)).into_iter().collect();
    if let Some(mut embed) = embed {
        if !files.is_empty() {
            embed = embed.image(format!("attachment://{RECAP_CHART}"));
        }
        message = message.embed(embed);
    }
    for file in &files {
        message = message.add_file(file.clone());
    }
    (message, files)
}

/// The one line the bot posts in each discussion thread.
const THREAD_PROMPT: &str = "Post your answer here before you reveal; compare after.";

/// A refused thread, in words for the admins.
fn classify_thread_status(status: u16, detail: &str) -> PostError {
    match status {
        403 => PostError::Permanent(format!(
            "the bot lacks Create Public Threads or Send Messages in Threads in the channel (Discord: {detail})"
        )),
        _ => classify_status(status, detail),
    }
}

/// Discord's "A thread has already been created for this message".
const THREAD_ALREADY_CREATED: u64 = 160_004;

/// A daily post's thread archives after a day without messages.
const THREAD_ARCHIVE_MINUTES: u64 = 1_440;

/// A success without the id of what it made: Discord may have made it, so
/// the same request (same nonce) goes again.
fn no_id(what: &str) -> PostError {
    PostError::Temporary(format!("Discord answered without the {what}'s id"))
}

/// Pages of 100 messages looked through for an earlier post: a channel
/// busier than that since the claim is not expected, and each page costs
/// up to the REST timeout within the claim's lease.
const LOOK_PAGES: usize = 3;

impl DiscordPoster {
    /// Sends `body` as JSON to `route` (a POST) and returns Discord's
    /// answer, or the failure sorted for the scheduler (a 429 with its
    /// `retry_after`).
    async fn send(&self, route: Route<'_>, body: &impl serde::Serialize) -> Result<serde_json::Value, PostError> {
        self.send_with(route, body, classify_status).await
    }

    /// Whether the bot's prompt is in the thread already (an earlier
    /// attempt posted it). Unreadable (no Read Message History): no, and
    /// the prompt's nonce is the guard.
    async fn has_prompt(&self, thread_id: u64) -> bool {
        let Ok(me) = self.me().await else { return false };
        match self.http.get_messages(ChannelId::new(thread_id), None, Some(50)).await {
            Ok(page) => page.iter().any(|m| m.author.id == me && m.content == THREAD_PROMPT),
            Err(_) => false,
        }
    }

    /// [`DiscordPoster::send`], with failures other than 429 sorted by
    /// `classify`.
    async fn send_with(
        &self,
        route: Route<'_>,
        body: &impl serde::Serialize,
        classify: fn(u16, &str) -> PostError,
    ) -> Result<serde_json::Value, PostError> {
        self.send_files(route, body, Vec::new(), classify).await
    }

    /// [`DiscordPoster::send_with`], with `files` uploaded beside the
    /// JSON (multipart, the JSON as `payload_json`) when there are any.
    async fn send_files(
        &self,
        route: Route<'_>,
        body: &impl serde::Serialize,
        files: Vec<CreateAttachment>,
        classify: fn(u16, &str) -> PostError,
    ) -> Result<serde_json::Value, PostError> {
        let body = serde_json::to_vec(body).map_err(|e| PostError::Permanent(format!("unencodable request: {e}")))?;
        let request = if files.is_empty() {
            Request::new(route, LightMethod::Post).body(Some(body))
        } else {
            let payload_json = String::from_utf8(body).ok();
            let upload = MultipartUpload::Attachments(files);
            Request::new(route, LightMethod::Post).multipart(Some(Multipart { upload, fields: vec![], payload_json }))
        };
        let request = request
            .build(&self.client, self.http.token(), self.http.proxy.as_deref())
            .map_err(|e| PostError::Permanent(format!("could not build the request: {e}")))?;
        let response = request.send().await.map_err(unreachable_discord)?;
        let status = response.status().as_u16();
        let retry_after = header_secs(&response, "retry-after");
        let bytes = response.bytes().await.map_err(unreachable_discord)?;
        let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        if (200..300).contains(&status) {
            return Ok(answer);
        }
        if status == 429 {
            // The body's value has milliseconds; the header only seconds.
            let secs = answer["retry_after"].as_f64().or(retry_after).unwrap_or(1.0);
            let global = answer["global"].as_bool().unwrap_or(false);
            metrics::counter!(RATE_LIMITED_TOTAL, "global" => if global { "true" } else { "false" }).increment(1);
            return Err(PostError::RateLimited {
                retry_after: Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(1)),
                global,
            });
        }
        match answer["code"].as_u64() {
            Some(CANNOT_MESSAGE_USER) => return Err(PostError::DmsClosed),
            Some(THREAD_ALREADY_CREATED) => return Err(PostError::AlreadyDone),
            _ => {}
        }
        Err(classify(status, answer["message"].as_str().unwrap_or_default()))
    }

    /// The bot's user id, asked once.
    async fn me(&self) -> Result<UserId, PostError> {
        let user = self.me.get_or_try_init(|| async { self.http.get_current_user().await.map(|u| u.id) }).await;
        user.copied().map_err(|e| classify(&e))
    }
}

/// Whether `message` is the daily post of `question`: its Reveal button
/// says so.
fn is_daily_post_of(message: &serenity::Message, question: &QuestionId) -> bool {
    message.components.iter().flat_map(|row| &row.components).any(|c| match c {
        serenity::ActionRowComponent::Button(b) => matches!(
            &b.data,
            serenity::ButtonKind::NonLink { custom_id, .. }
                if matches!(ButtonAction::decode(custom_id),
                    Some(ButtonAction::Reveal { question: q, source: Source::Daily }) if q == *question)
        ),
        _ => false,
    })
}

/// The smallest snowflake of unix second `secs` (1 for any time before
/// Discord's epoch: an id is never 0).
fn snowflake_at(secs: i64) -> u64 {
    const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
    let ms = u64::try_from(secs).unwrap_or(0).saturating_mul(1000);
    (ms.saturating_sub(DISCORD_EPOCH_MS) << 22).max(1)
}

fn status_of(e: &serenity::Error) -> Option<u16> {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => Some(r.status_code.as_u16()),
        _ => None,
    }
}

/// Sorts a failed request of serenity's like a failed post.
fn classify(e: &serenity::Error) -> PostError {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            classify_status(r.status_code.as_u16(), &r.error.message)
        }
        other => PostError::Temporary(format!("could not reach Discord: {other}")),
    }
}

fn header_secs(response: &reqwest::Response, name: &str) -> Option<f64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

/// A request that got no answer: Discord may or may not have made the
/// message, so the same post is retried.
fn unreachable_discord(e: reqwest::Error) -> PostError {
    let what = if e.is_timeout() { "no answer within the timeout" } else { "could not reach Discord" };
    // Without the URL: it is the proxy's or Discord's, nothing to tell.
    PostError::Temporary(format!("{what}: {}", e.without_url()))
}

/// Sorts a failed post into "retry later" and "tell the admins".
fn classify_status(status: u16, detail: &str) -> PostError {
    match status {
        404 => PostError::Permanent(format!("the channel no longer exists (Discord: {detail})")),
        403 => PostError::Permanent(format!(
            "the bot lacks permissions in the channel: it needs View Channel, Send Messages and Embed Links (Discord: {detail})"
        )),
        429 | 500..=599 => PostError::Temporary(format!("Discord answered {status}: {detail}")),
        _ => PostError::Permanent(format!("Discord refused the post ({status}: {detail})")),
    }
}

/// What an admin is told when the bot may post in a channel but not read
/// its history.
const NO_HISTORY: &str = "⚠️ Grant me **Read Message History** there too: after a crash it is how I check whether the day's question went out, so that it is never posted twice.";

/// What an admin is told when threads are asked for and the bot may not
/// open them.
const NO_THREADS: &str = "⚠️ Grant me **Create Public Threads** and **Send Messages in Threads** there for the discussion threads: until then each question goes out without one.";

/// What stands between the bot and posting in a channel, in words for the
/// admin: a missing channel, the wrong kind, or missing permissions. `Ok`
/// carries advice: permissions the posts do without but should have
/// (with `threads`, those the discussion threads need).
pub async fn check_channel(
    http: &Http,
    guild_id: u64,
    channel_id: u64,
    bot: UserId,
    threads: bool,
) -> Result<Vec<&'static str>, String> {
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
        let thread_perms =
            serenity::Permissions::CREATE_PUBLIC_THREADS | serenity::Permissions::SEND_MESSAGES_IN_THREADS;
        let advice = [
            (!perms.contains(serenity::Permissions::READ_MESSAGE_HISTORY)).then_some(NO_HISTORY),
            (threads && !perms.contains(thread_perms)).then_some(NO_THREADS),
        ];
        Ok(advice.into_iter().flatten().collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_of_times_are_never_zero() {
        // 2026-11-24T08:00:00Z, as Discord would number a message then.
        assert_eq!(snowflake_at(1_795_507_200) >> 22, (1_795_507_200_000 - 1_420_070_400_000));
        // Unknown (0), negative and pre-epoch times still make a valid id.
        for secs in [0, -5, 1_000] {
            assert_eq!(snowflake_at(secs), 1);
            assert_eq!(MessageId::new(snowflake_at(secs)).get(), 1);
        }
    }
}

//! Discord's permission bits the stand-in uses, and the implicit rules
//! Discord applies when it enforces computed permissions (see the
//! developer documentation, "Permissions" → "Implicit Permissions").

/// ADMINISTRATOR: every permission, overwrites bypassed.
pub const ADMINISTRATOR: u64 = 1 << 3;
/// MANAGE_CHANNELS.
pub const MANAGE_CHANNELS: u64 = 1 << 4;
/// MANAGE_GUILD, the usual bar for admin-only commands.
pub const MANAGE_GUILD: u64 = 1 << 5;
/// VIEW_CHANNEL: without it a channel does not exist for the member
/// (posting answers 403 50001 "Missing Access").
pub const VIEW_CHANNEL: u64 = 1 << 10;
/// SEND_MESSAGES (not in threads: see [`SEND_MESSAGES_IN_THREADS`]).
pub const SEND_MESSAGES: u64 = 1 << 11;
/// SEND_TTS_MESSAGES.
pub const SEND_TTS_MESSAGES: u64 = 1 << 12;
/// MANAGE_MESSAGES.
pub const MANAGE_MESSAGES: u64 = 1 << 13;
/// EMBED_LINKS: needed to send a message with embeds.
pub const EMBED_LINKS: u64 = 1 << 14;
/// ATTACH_FILES: needed to upload files.
pub const ATTACH_FILES: u64 = 1 << 15;
/// READ_MESSAGE_HISTORY.
pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
/// MENTION_EVERYONE.
pub const MENTION_EVERYONE: u64 = 1 << 17;
/// CONNECT (voice).
pub const CONNECT: u64 = 1 << 20;
/// MANAGE_ROLES.
pub const MANAGE_ROLES: u64 = 1 << 28;
/// USE_APPLICATION_COMMANDS: a member without it in a channel sees no
/// slash commands there.
pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
/// SEND_MESSAGES_IN_THREADS: what posting in a thread needs instead of
/// SEND_MESSAGES.
pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
/// Start public threads (from a message, among others).
pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
/// Every permission serenity 0.12.5 knows (bits 0–50; bit 47 is unused):
/// what the owner and administrators have.
pub const ALL_PERMISSIONS: u64 = ((1 << 51) - 1) & !(1 << 47);

/// Permissions that only mean something in voice channels; a member
/// without CONNECT there loses them (and MANAGE_CHANNELS, MANAGE_ROLES).
const VOICE_PERMISSIONS: u64 = (1 << 8)
    | (1 << 9)
    | CONNECT
    | (1 << 21)
    | (1 << 22)
    | (1 << 23)
    | (1 << 24)
    | (1 << 25)
    | (1 << 32)
    | (1 << 39)
    | (1 << 42)
    | (1 << 45);

/// Applies Discord's implicit rules to computed permissions in a channel
/// of `kind`: no VIEW_CHANNEL → nothing; unable to send → no embeds,
/// attachments, TTS or @everyone; in voice without CONNECT → no voice
/// permissions, MANAGE_CHANNELS or MANAGE_ROLES.
pub fn effective(p: u64, kind: u64) -> u64 {
    if p & VIEW_CHANNEL == 0 {
        return 0;
    }
    let mut p = p;
    let send = if matches!(kind, 10..=12) { SEND_MESSAGES_IN_THREADS } else { SEND_MESSAGES };
    if p & send == 0 {
        p &= !(EMBED_LINKS | ATTACH_FILES | SEND_TTS_MESSAGES | MENTION_EVERYONE);
    }
    if matches!(kind, 2 | 13) && p & CONNECT == 0 {
        p &= !(VOICE_PERMISSIONS | MANAGE_CHANNELS | MANAGE_ROLES);
    }
    p
}

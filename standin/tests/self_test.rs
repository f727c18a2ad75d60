//! Self-test of the stand-in Discord (this crate).
//!
//! Serenity drops a gateway event it cannot deserialize without a word, so a
//! stand-in payload missing one required field looks like a bot ignoring a
//! member. These tests deserialize everything the stand-in produces with
//! serenity's own model types, then run a minimal poise bot against it end
//! to end, including the failures Discord reports (late and double
//! acknowledgements, over-limit embeds, invalid command definitions).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use serenity::all::{
    ActionRowComponent, ChannelId, ChannelType, CreateActionRow, CreateAttachment, CreateAutocompleteResponse,
    CreateButton, CreateCommand, CreateCommandOption, CreateEmbed, CreateInputText, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage, CreateModal,
    EditInteractionResponse, FullEvent, GatewayIntents, GuildId, InputTextStyle, InteractionId,
    MessageInteractionMetadata, Nonce, PermissionOverwriteType, Permissions, ResolvedValue, RoleId, UserId,
};
use serenity::model::application::{Command, CommandOptionType, CurrentApplicationInfo, Interaction};
use serenity::model::channel::{Channel, GuildChannel, Message};
use serenity::model::event::{Event, GatewayEvent};
use serenity::model::gateway::{BotGateway, Gateway};
use serenity::model::guild::{Guild, Member, PartialGuild, Role};
use serenity::model::user::CurrentUser;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use standin::{
    ChannelSpec, GuildSpec, Overwrite, OverwriteTarget, Place, RoleSpec, StandIn, StandInConfig, TestUser,
    BOT_CHANNEL_PERMISSIONS, BOT_ROLE_ID, CATEGORY_ID, CHANNEL_ID, DEFAULT_MEMBER_PERMISSIONS, GUILD_ID,
    OTHER_CHANNEL_ID, OWNER_ID, VOICE_CHANNEL_ID,
};

const WAIT: Duration = Duration::from_secs(10);

/// A serenity `Http` aimed at the stand-in, as the bot builds it: the rate
/// limiter is off because its path ignores the proxy. (Here rather than in
/// the stand-in, which does not depend on serenity.)
trait SerenityHttp {
    fn serenity_http(&self, token: &str) -> serenity::http::Http;
}

impl SerenityHttp for StandIn {
    fn serenity_http(&self, token: &str) -> serenity::http::Http {
        serenity::http::HttpBuilder::new(token)
            .proxy(self.api_base())
            .ratelimiter_disabled(true)
            .application_id(serenity::model::id::ApplicationId::new(standin::APP_ID))
            .build()
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The next text frame from the gateway, as JSON and as serenity parses it.
async fn next_frame(ws: &mut Ws) -> (Value, GatewayEvent) {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a gateway frame in time")
            .expect("the gateway is open")
            .expect("a readable frame");
        if let WsMessage::Text(text) = msg {
            let raw: Value = serde_json::from_str(&text).expect("JSON frame");
            let event: GatewayEvent =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("serenity cannot parse {text}: {e}"));
            return (raw, event);
        }
    }
}

/// The dispatched event inside a frame; fails on `Event::Unknown`, which is
/// how serenity swallows a payload it cannot deserialize.
fn dispatched(event: GatewayEvent) -> Event {
    match event {
        GatewayEvent::Dispatch(_, Event::Unknown(u)) => {
            panic!("serenity could not deserialize {}: {}", u.kind, u.value)
        }
        GatewayEvent::Dispatch(_, e) => e,
        other => panic!("expected a dispatch, got {other:?}"),
    }
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("serenity cannot deserialize {what}: {e}\n{v:#}"))
}

/// The Discord error code of a failed serenity call.
fn discord_code<T: std::fmt::Debug>(result: serenity::Result<T>) -> (u16, isize) {
    match result {
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e))) => {
            (e.status_code.as_u16(), e.error.code)
        }
        other => panic!("expected a Discord error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_payload_deserializes_with_serenity_types() {
    let standin = StandIn::start().await;
    let http = standin.serenity_http("test-token");

    // REST answers, through serenity's own client and types.
    let gateway: Gateway = http.get_gateway().await.expect("GET /gateway");
    assert_eq!(gateway.url, standin.gateway_url());
    let bot_gateway: BotGateway = http.get_bot_gateway().await.expect("GET /gateway/bot");
    assert_eq!(bot_gateway.session_start_limit.max_concurrency, 1);
    let me: CurrentUser = http.get_current_user().await.expect("GET /users/@me");
    assert!(me.bot);
    let app: CurrentApplicationInfo = http.get_current_application_info().await.expect("GET /oauth2/applications/@me");
    assert_eq!(app.owner.expect("owner").id, UserId::new(OWNER_ID));

    // An invalid registration is refused whole and leaves no commands.
    let bad =
        vec![CreateCommand::new("ping").description("Ping"), CreateCommand::new("Quiz").description("upper case name")];
    let (status, code) = discord_code(GuildId::new(GUILD_ID).set_commands(&http, bad).await);
    assert_eq!((status, code), (400, 50035));
    assert!(standin.registered_commands(Some(GUILD_ID)).is_empty());
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("0.name") || v.contains("1.name")), "{v:?}");
    let long = "x".repeat(101);
    let bad = vec![CreateCommand::new("ping").description(long)];
    assert_eq!(discord_code(GuildId::new(GUILD_ID).set_commands(&http, bad).await).1, 50035);
    let bad = vec![CreateCommand::new("quiz")
        .description("Practice")
        .add_option(CreateCommandOption::new(CommandOptionType::String, "topic", "Topic"))
        .add_option(CreateCommandOption::new(CommandOptionType::String, "level", "Level").required(true))];
    assert_eq!(discord_code(GuildId::new(GUILD_ID).set_commands(&http, bad).await).1, 50035);
    assert!(standin.take_violations().iter().any(|v| v.contains("Required options must be placed before")));

    let good = vec![
        CreateCommand::new("ping").description("Ping"),
        CreateCommand::new("quiz").description("Practice").add_option(
            CreateCommandOption::new(CommandOptionType::String, "topic", "Topic").required(true).set_autocomplete(true),
        ),
    ];
    let registered: Vec<Command> = GuildId::new(GUILD_ID).set_commands(&http, good).await.expect("valid registration");
    assert_eq!(registered.len(), 2);
    assert_eq!(standin.wait_commands(WAIT).await.len(), 2);

    // The gateway handshake, frame by frame.
    // serenity parses this with `url::Url`, which adds the "/"; tungstenite
    // alone would send an empty request path.
    let url = format!("{}/?v=10&encoding=json", standin.gateway_url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}; {:?}", standin.violations()));
    let (_, hello) = next_frame(&mut ws).await;
    assert!(matches!(hello, GatewayEvent::Hello(41_250)), "{hello:?}");
    let identify = json!({"op": 2, "d": {
        "token": "test-token", "intents": 1, "shard": [0, 1], "compress": true,
        "large_threshold": 250, "properties": {"os": "linux", "browser": "t", "device": "t"},
    }});
    ws.send(WsMessage::Text(identify.to_string())).await.expect("identify");
    let (raw_ready, ready) = next_frame(&mut ws).await;
    assert_eq!(raw_ready["s"], 1);
    let Event::Ready(ready) = dispatched(ready) else { panic!("READY expected") };
    assert_eq!(ready.ready.application.id.get(), standin::APP_ID);
    let (raw_guild, guild) = next_frame(&mut ws).await;
    assert_eq!(raw_guild["s"], 2);
    let Event::GuildCreate(guild) = dispatched(guild) else { panic!("GUILD_CREATE expected") };
    assert!(guild.guild.channels.contains_key(&ChannelId::new(CHANNEL_ID)));
    // The default guild: @everyone and the bot's managed role; a category
    // holding a text and a voice channel; serenity's own permission math
    // gives the bot what the stand-in reports.
    let g = &guild.guild;
    assert_eq!(g.roles[&RoleId::new(GUILD_ID)].permissions.bits(), DEFAULT_MEMBER_PERMISSIONS);
    assert_eq!(g.roles[&RoleId::new(BOT_ROLE_ID)].tags.bot_id, Some(UserId::new(standin::BOT_ID)));
    let kinds: Vec<ChannelType> = [CHANNEL_ID, CATEGORY_ID, OTHER_CHANNEL_ID, VOICE_CHANNEL_ID]
        .iter()
        .map(|id| g.channels[&ChannelId::new(*id)].kind)
        .collect();
    assert_eq!(kinds, [ChannelType::Text, ChannelType::Category, ChannelType::Text, ChannelType::Voice]);
    assert_eq!(g.channels[&ChannelId::new(VOICE_CHANNEL_ID)].parent_id, Some(ChannelId::new(CATEGORY_ID)));
    let me = &g.members[&UserId::new(standin::BOT_ID)];
    assert_eq!(me.roles, [RoleId::new(BOT_ROLE_ID)]);
    let practice = &g.channels[&ChannelId::new(CHANNEL_ID)];
    assert_eq!(g.user_permissions_in(practice, me).bits(), BOT_CHANNEL_PERMISSIONS);
    assert_eq!(standin.bot_permissions(CHANNEL_ID), BOT_CHANNEL_PERMISSIONS);
    standin.wait_ready(WAIT).await;
    assert_eq!(standin.identifies()[0].intents, 1);
    ws.send(WsMessage::Text(json!({"op": 1, "d": 2}).to_string())).await.expect("heartbeat");
    let (_, ack) = next_frame(&mut ws).await;
    assert!(matches!(ack, GatewayEvent::HeartbeatAck));

    // Interactions: the builders' payloads are serenity interactions, and
    // arrive over the gateway as INTERACTION_CREATE.
    let alice = TestUser::new(4242, "alice");
    let (id, payload) = standin.slash("ping", json!([]), &alice, Place::guild());
    let Interaction::Command(cmd) = parse::<Interaction>("slash", &payload) else {
        panic!("a command interaction expected")
    };
    assert_eq!(cmd.user.id.get(), 4242);
    standin.send(payload).await;
    let (raw, event) = next_frame(&mut ws).await;
    assert_eq!(raw["s"], 3);
    let Event::InteractionCreate(_) = dispatched(event) else { panic!("INTERACTION_CREATE") };

    // A follow-up before the interaction is acknowledged: Unknown Webhook.
    let early = CreateInteractionResponseFollowup::new().content("too early");
    assert_eq!(discord_code(cmd.create_followup(&http, early).await), (404, 10015));
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("before interaction")), "{v:?}");

    // Answer as a bot would, through serenity.
    let button = CreateButton::new("quiz:reveal").label("Reveal");
    let reply = CreateInteractionResponseMessage::new()
        .content("question")
        .components(vec![CreateActionRow::Buttons(vec![button])]);
    cmd.create_response(&http, CreateInteractionResponse::Message(reply)).await.expect("callback");
    let cb = standin.wait_callback(id, WAIT).await;
    assert_eq!((cb.kind, cb.status, cb.ephemeral()), (4, 204, false));
    let shown: Message = parse("the response message", &cb.message());
    assert_eq!(shown.content, "question");
    let got: Message = cmd.get_response(&http).await.expect("GET @original");
    assert_eq!(got.id, shown.id);
    let edited = cmd
        .edit_response(&http, EditInteractionResponse::new().content("question, edited"))
        .await
        .expect("PATCH @original");
    assert_eq!(edited.content, "question, edited");
    let follow = cmd
        .create_followup(&http, CreateInteractionResponseFollowup::new().content("only you").ephemeral(true))
        .await
        .expect("follow-up");
    assert_eq!(standin.followups(id).len(), 1);
    cmd.delete_followup(&http, follow.id).await.expect("delete follow-up");
    assert!(standin.followups(id).is_empty());

    // A button press on that message.
    let (click_id, click) = standin.click("quiz:reveal", &cb.message(), &alice, Place::guild());
    let Interaction::Component(component) = parse::<Interaction>("click", &click) else {
        panic!("a component interaction expected")
    };
    assert_eq!(component.message.id, shown.id);
    standin.send(click).await;
    let update = CreateInteractionResponseMessage::new().content("answer");
    component.create_response(&http, CreateInteractionResponse::UpdateMessage(update)).await.expect("update");
    let cb = standin.wait_callback(click_id, WAIT).await;
    assert_eq!(cb.kind, 7);
    let updated: Message = parse("the updated message", &cb.message());
    assert_eq!((updated.id, updated.content.as_str()), (shown.id, "answer"));

    // A modal opened from that message's button, then submitted. An
    // over-long title is refused first, as Discord does, and a refused
    // modal does not acknowledge.
    let (modal_id, press) = standin.click("quiz:reveal", &cb.message(), &alice, Place::guild());
    let Interaction::Component(opener) = parse::<Interaction>("click", &press) else {
        panic!("a component interaction expected")
    };
    standin.send(press).await;
    let input = |id: &str| CreateInputText::new(InputTextStyle::Paragraph, "Your answer", id).max_length(4000);
    let too_long = CreateModal::new("m:1", "t".repeat(46)).components(vec![CreateActionRow::InputText(input("a"))]);
    assert_eq!(
        discord_code(opener.create_response(&http, CreateInteractionResponse::Modal(too_long)).await),
        (400, 50035)
    );
    standin.take_violations();
    // Two inputs in one row, a label over 45 and a length over 4,000, as
    // no serenity builder would send them.
    let long = json!({"type": 4, "custom_id": "b", "label": "l".repeat(46), "style": 2, "max_length": 4001});
    let wide = json!({"type": 9, "data": {"custom_id": "m:1", "title": "t", "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": "a", "label": "A", "style": 2}, long.clone()]},
        {"type": 1, "components": [long]}]}});
    let refused =
        self::raw(&standin, "POST", &format!("/api/v10/interactions/{modal_id}/{}/callback", opener.token), &wide)
            .await;
    assert_eq!((refused.status, refused.body["code"].as_u64()), (400, Some(50035)), "{}", refused.body);
    let errors = refused.body["errors"]["data"]["components"].to_string();
    for field in ["label", "max_length"] {
        assert!(errors.contains(field), "{field}: {errors}");
    }
    assert!(refused.body["errors"]["data"]["components"]["0"].is_object(), "two inputs in a row: {errors}");
    standin.take_violations();
    let modal = CreateModal::new("m:1", "What is a pod?").components(vec![CreateActionRow::InputText(input("a"))]);
    opener.create_response(&http, CreateInteractionResponse::Modal(modal)).await.expect("modal");
    let shown_modal = standin.wait_callback(modal_id, WAIT).await;
    assert_eq!(shown_modal.kind, 9);
    let message = cb.message();
    let empty = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        standin.submit_modal(&shown_modal.data, &[], Some(&message), &alice, Place::guild())
    }));
    assert!(empty.is_err(), "a required input cannot be submitted empty");
    let (submit_id, submit) = standin.submit_modal(
        &shown_modal.data,
        &[("a", "A group of containers.")],
        Some(&message),
        &alice,
        Place::guild(),
    );
    let Interaction::Modal(submitted) = parse::<Interaction>("modal submit", &submit) else {
        panic!("a modal submit expected")
    };
    assert_eq!(submitted.data.custom_id, "m:1");
    let ActionRowComponent::InputText(typed) = &submitted.data.components[0].components[0] else {
        panic!("a text input expected")
    };
    assert_eq!(typed.value.as_deref(), Some("A group of containers."));
    assert_eq!(submitted.message.as_ref().map(|m| m.id), Some(shown.id));
    standin.send(submit).await;
    let thanks = CreateInteractionResponseMessage::new().content("compare").ephemeral(true);
    submitted.create_response(&http, CreateInteractionResponse::Message(thanks)).await.expect("answer the submit");
    let cb_submit = standin.wait_callback(submit_id, WAIT).await;
    assert_eq!((cb_submit.kind, cb_submit.ephemeral()), (4, true));
    // Its message names the submit and what opened the modal, as serenity
    // requires (without it a click on the message is silently dropped).
    let compared: Message = parse("the submit's message", &cb_submit.message());
    let Some(MessageInteractionMetadata::ModalSubmit(meta)) = compared.interaction_metadata.as_deref() else {
        panic!("modal submit metadata expected: {:?}", compared.interaction_metadata)
    };
    let MessageInteractionMetadata::Component(opened) = &*meta.triggering_interaction_metadata else {
        panic!("the triggering component expected")
    };
    assert_eq!((opened.id, opened.interacted_message_id), (InteractionId::new(modal_id), shown.id));
    // A submit of a modal never shown is not something Discord sends.
    let unknown = json!({"custom_id": "never-shown", "title": "t", "components": shown_modal.data["components"]});
    let (_, forged) = standin.submit_modal(&unknown, &[("a", "x")], None, &alice, Place::guild());
    let sender = standin.clone();
    let refused = tokio::spawn(async move { sender.send(forged).await }).await.expect_err("refused");
    let why = refused.into_panic();
    let why = why.downcast_ref::<String>().map_or("", String::as_str);
    assert!(why.contains("never shown"), "{why}");

    // Autocomplete, in a DM this time? No: /quiz is a guild command, so the
    // builder refuses a DM (a member could not send it there).
    let dm = Place::dm(&alice);
    let refused =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| standin.slash("ping", json!([]), &alice, dm)));
    assert!(refused.is_err(), "a guild command must not be usable in DMs");
    let focused = json!([{"name": "topic", "value": "ar", "focused": true}]);
    let (ac_id, ac) = standin.autocomplete("quiz", focused, &alice, Place::guild());
    let Interaction::Autocomplete(ac_i) = parse::<Interaction>("autocomplete", &ac) else {
        panic!("an autocomplete interaction expected")
    };
    standin.send(ac).await;
    // 26 choices: rejected, and a rejected answer does not acknowledge.
    let too_many =
        (0..26).fold(CreateAutocompleteResponse::new(), |r, i| r.add_string_choice(format!("c{i}"), format!("c{i}")));
    let result = ac_i.create_response(&http, CreateInteractionResponse::Autocomplete(too_many)).await;
    assert_eq!(discord_code(result), (400, 50035));
    assert!(standin.take_violations().iter().any(|v| v.contains("data.choices")));
    let choices = CreateAutocompleteResponse::new().add_string_choice("arrays", "arrays");
    ac_i.create_response(&http, CreateInteractionResponse::Autocomplete(choices)).await.expect("autocomplete");
    let accepted: Vec<u16> = standin.callbacks_for(ac_id).iter().map(|c| c.status).collect();
    assert_eq!(accepted, [400, 204]);
    assert_eq!(standin.callbacks_for(ac_id)[1].kind, 8);

    // DM interactions parse too (built by hand from a global command).
    Command::set_global_commands(&http, vec![CreateCommand::new("help").description("Help")])
        .await
        .expect("global registration");
    let (_, dm_payload) = standin.slash("help", json!([]), &alice, dm);
    let Interaction::Command(dm_cmd) = parse::<Interaction>("DM slash", &dm_payload) else {
        panic!("a command interaction expected")
    };
    assert!(dm_cmd.guild_id.is_none() && dm_cmd.member.is_none());
    assert_eq!(dm_cmd.user.id.get(), 4242);

    // Channels, members, DMs, and exactly-once posts with a nonce.
    let channel: Channel = http.get_channel(ChannelId::new(CHANNEL_ID)).await.expect("channel");
    assert!(matches!(channel, Channel::Guild(_)));
    let member: Member = http.get_member(GuildId::new(GUILD_ID), UserId::new(4242)).await.expect("member");
    assert_eq!(member.user.name, "alice");
    let private = http.create_private_channel(&json!({"recipient_id": "4242"})).await.expect("DM channel");
    assert_eq!(private.id.get(), standin::dm_channel_id(4242));
    let post = || {
        CreateMessage::new()
            .content("daily question")
            .nonce(Nonce::String("daily-2026-03-08".into()))
            .enforce_nonce(true)
    };
    let first = ChannelId::new(CHANNEL_ID).send_message(&http, post()).await.expect("post");
    let second = ChannelId::new(CHANNEL_ID).send_message(&http, post()).await.expect("repost");
    assert_eq!(first.id, second.id, "enforce_nonce returns the first message");
    let posts = standin.channel_messages(CHANNEL_ID);
    assert_eq!(posts.iter().filter(|m| m["content"] == "daily question").count(), 1);

    // An endpoint the stand-in does not model: Discord's 404 and a violation.
    let (status, _) = discord_code(http.get_guild_webhooks(GuildId::new(GUILD_ID)).await);
    assert_eq!(status, 404);
    let v = standin.take_violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("unhandled route GET /api/v10/guilds/"), "{v:?}");

    // Every frame the gateway sent is something serenity understands.
    for frame in standin.gateway_frames() {
        let event: GatewayEvent = parse("a gateway frame", &frame.payload);
        if let GatewayEvent::Dispatch(_, Event::Unknown(u)) = event {
            panic!("serenity could not deserialize {}", u.kind);
        }
    }
    standin.assert_no_violations();
}

#[tokio::test]
async fn strict_limits_on_messages() {
    let standin = StandIn::start().await;
    let http = standin.serenity_http("test-token");
    let channel = ChannelId::new(CHANNEL_ID);

    let cases: Vec<(CreateMessage, &str)> = vec![
        (CreateMessage::new().embed(CreateEmbed::new().title("t".repeat(257))), "embeds.0.title"),
        (CreateMessage::new().embed(CreateEmbed::new().description("d".repeat(4097))), "embeds.0.description"),
        (CreateMessage::new().embed(CreateEmbed::new().field("n", "v".repeat(1025), false)), "embeds.0.fields.0.value"),
        (
            CreateMessage::new().embeds((0..2).map(|_| CreateEmbed::new().description("d".repeat(3001))).collect()),
            "MAX_EMBED_SIZE_EXCEEDED",
        ),
        (
            CreateMessage::new().components(vec![CreateActionRow::Buttons(
                (0..6).map(|i| CreateButton::new(format!("b{i}")).label("x")).collect(),
            )]),
            "components.0.components",
        ),
        (
            CreateMessage::new().components(vec![CreateActionRow::Buttons(vec![
                CreateButton::new("same").label("a"),
                CreateButton::new("same").label("b"),
            ])]),
            "COMPONENT_CUSTOM_ID_DUPLICATED",
        ),
        (
            CreateMessage::new()
                .components(vec![CreateActionRow::Buttons(vec![CreateButton::new("c".repeat(101)).label("a")])]),
            "custom_id",
        ),
        (
            CreateMessage::new()
                .components(vec![CreateActionRow::Buttons(vec![CreateButton::new("ok").label("l".repeat(81))])]),
            "components.0.components.0.label",
        ),
    ];
    for (message, expected) in cases {
        let (status, code) = discord_code(channel.send_message(&http, message).await);
        assert_eq!((status, code), (400, 50035), "{expected}");
        let v = standin.take_violations();
        assert!(v.iter().any(|v| v.contains(expected)), "{expected}: {v:?}");
    }
    assert!(standin.channel_messages(CHANNEL_ID).is_empty());
}

// ----- a minimal poise bot -------------------------------------------------

type Error = Box<dyn std::error::Error + Send + Sync>;
type Ctx<'a> = poise::Context<'a, (), Error>;

/// Answers pong, with a button
#[poise::command(slash_command)]
async fn ping(ctx: Ctx<'_>) -> Result<(), Error> {
    let again = CreateButton::new("ping:again").label("Again");
    let reply = poise::CreateReply::default().content("pong").components(vec![CreateActionRow::Buttons(vec![again])]);
    ctx.send(reply).await?;
    Ok(())
}

/// Answers after 600 ms
#[poise::command(slash_command)]
async fn slow(ctx: Ctx<'_>) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(600)).await;
    ctx.say("done").await?;
    Ok(())
}

/// Thinks first, then answers
#[poise::command(slash_command)]
async fn think(ctx: Ctx<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    ctx.say("thought").await?;
    Ok(())
}

/// Daily question settings
#[poise::command(
    slash_command,
    subcommands("daily_set"),
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
async fn daily(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Post the daily question in a channel
#[poise::command(slash_command, rename = "set", required_permissions = "MANAGE_GUILD")]
async fn daily_set(
    ctx: Ctx<'_>,
    #[description = "Where to post"]
    #[channel_types("Text", "News")]
    channel: serenity::all::GuildChannel,
    #[description = "Whom to ping"] ping: Option<serenity::all::Role>,
) -> Result<(), Error> {
    let who = ping.map_or_else(|| "nobody".to_string(), |r| r.name);
    ctx.say(format!("daily in #{} ({:?}), pinging {who}", channel.name, channel.kind)).await?;
    Ok(())
}

/// Buttons are not dispatched by poise: answer them here, ephemerally.
async fn on_event(framework: poise::FrameworkContext<'_, (), Error>, event: &FullEvent) -> Result<(), Error> {
    if let FullEvent::InteractionCreate { interaction: Interaction::Component(press) } = event {
        let reply = CreateInteractionResponseMessage::new().content("clicked").ephemeral(true);
        press.create_response(&framework.serenity_context.http, CreateInteractionResponse::Message(reply)).await?;
    }
    Ok(())
}

#[tokio::test]
async fn poise_bot_end_to_end() {
    let standin = StandIn::start().await;
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![ping(), slow(), think(), daily()],
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            on_error: |error| {
                Box::pin(async move {
                    // Only the run-time permission check answers; other
                    // errors (a late answer) must not cause more callbacks.
                    if let poise::FrameworkError::MissingUserPermissions { ctx, .. } = error {
                        let reply =
                            poise::CreateReply::default().content("You need Manage Server for that.").ephemeral(true);
                        let _ = ctx.send(reply).await;
                    }
                })
            },
            ..Default::default()
        })
        .setup(|ctx, _ready, framework| {
            Box::pin(async move {
                let guild = GuildId::new(GUILD_ID);
                poise::builtins::register_in_guild(ctx, &framework.options().commands, guild).await?;
                Ok(())
            })
        })
        .build();
    let http =
        serenity::http::HttpBuilder::new("test-token").proxy(standin.api_base()).ratelimiter_disabled(true).build();
    let mut client = serenity::client::ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
        .framework(framework)
        .await
        .expect("client");
    let shards = client.shard_manager.clone();
    let bot = tokio::spawn(async move { client.start().await });

    // Handshake and registration.
    standin.wait_ready(WAIT).await;
    let identify = &standin.identifies()[0];
    assert_eq!(identify.token, "Bot test-token");
    assert_eq!(identify.intents, GatewayIntents::GUILDS.bits());
    let commands = standin.wait_commands(WAIT).await;
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["ping", "slow", "think", "daily"]);
    assert_eq!(commands[0]["description"], "Answers pong, with a button");
    assert_eq!(commands[3]["options"][0]["options"][0]["channel_types"], json!([0, 5]));

    // /ping → pong, one callback, visible to all.
    let alice = TestUser::new(4242, "alice");
    let (id, payload) = standin.slash("ping", json!([]), &alice, Place::guild());
    standin.send(payload).await;
    let cb = standin.wait_callback(id, WAIT).await;
    assert_eq!((cb.kind, cb.content(), cb.ephemeral()), (4, "pong", false));
    assert!(cb.latency < standin::ACK_DEADLINE);
    assert_eq!(standin.callbacks_for(id).len(), 1);

    // Clicking its button: the event handler answers ephemerally.
    let (click_id, click) = standin.click("ping:again", &cb.message(), &alice, Place::guild());
    let token = click["token"].as_str().expect("token").to_string();
    standin.send(click).await;
    let cb = standin.wait_callback(click_id, WAIT).await;
    assert_eq!((cb.kind, cb.content(), cb.ephemeral()), (4, "clicked", true));

    // A second acknowledgement of the same interaction: 40060.
    let again = json!({"type": 4, "data": {"content": "again"}});
    let result = standin
        .serenity_http("test-token")
        .create_interaction_response(InteractionId::new(click_id), &token, &again, vec![])
        .await;
    assert_eq!(discord_code(result), (400, 40060));
    assert_eq!(standin.callbacks_for(click_id).len(), 2);
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("acknowledged twice")), "{v:?}");

    // An over-limit embed: 50035 and a violation.
    let too_long = CreateMessage::new().embed(CreateEmbed::new().description("x".repeat(4097)));
    let result = ChannelId::new(CHANNEL_ID).send_message(&standin.serenity_http("test-token"), too_long).await;
    assert_eq!(discord_code(result), (400, 50035));
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("embeds.0.description")), "{v:?}");

    // Deferred, then a follow-up: it completes the "thinking" message.
    let (think_id, payload) = standin.slash("think", json!([]), &alice, Place::guild());
    standin.send(payload).await;
    let cb = standin.wait_callback(think_id, WAIT).await;
    assert_eq!((cb.kind, cb.ephemeral()), (5, true));
    let loading = cb.message()["flags"].as_u64().expect("flags");
    assert_eq!(loading, 64 | 128, "ephemeral and loading");
    standin.wait_request(|r| r.method == "POST" && r.path.contains("/webhooks/"), WAIT).await;
    let shown = standin.original_message(think_id).expect("the original response");
    assert_eq!((shown["content"].as_str(), shown["flags"].as_u64()), (Some("thought"), Some(64)));
    assert!(standin.followups(think_id).is_empty());

    // A subcommand with channel and role options, parsed by poise from
    // `data.resolved` (the channel re-read through the cache or REST).
    let ada = TestUser::new(4343, "ada").admin();
    let options = json!([{"name": "channel", "value": OTHER_CHANNEL_ID}, {"name": "ping", "value": BOT_ROLE_ID}]);
    let (id, payload) = standin.slash("daily set", options, &ada, Place::guild());
    standin.send(payload).await;
    let cb = standin.wait_callback(id, WAIT).await;
    assert_eq!(cb.content(), "daily in #general (Text), pinging quizbot");
    // The client refuses a voice channel; sent anyway, poise accepts it:
    // checking the kind is the bot's job.
    let voice = json!([{"name": "channel", "value": VOICE_CHANNEL_ID}]);
    let (id, payload) = standin.slash_unchecked("daily set", voice, &ada, Place::guild());
    standin.send(payload).await;
    assert_eq!(standin.wait_callback(id, WAIT).await.content(), "daily in #Study Room (Voice), pinging nobody");
    // A member without Manage Server cannot see /daily; sent anyway, the
    // bot's own check (poise's required_permissions) refuses.
    let channel = json!([{"name": "channel", "value": CHANNEL_ID}]);
    let (id, payload) = standin.slash_unchecked("daily set", channel, &alice, Place::guild());
    standin.send(payload).await;
    let cb = standin.wait_callback(id, WAIT).await;
    assert_eq!((cb.content(), cb.ephemeral()), ("You need Manage Server for that.", true));

    // The gateway drops the connection: serenity resumes the session.
    standin.close_gateway(4000);
    standin.wait_dispatched("RESUMED", 1, WAIT).await;
    let (id, payload) = standin.slash("ping", json!([]), &alice, Place::guild());
    standin.send(payload).await;
    assert_eq!(standin.wait_callback(id, WAIT).await.content(), "pong");
    assert_eq!(standin.identifies().len(), 1, "resumed, not re-identified");

    // A late answer (deadline shortened so the test stays fast): 10062.
    standin.set_ack_deadline(Duration::from_millis(300));
    let (slow_id, payload) = standin.slash("slow", json!([]), &alice, Place::guild());
    standin.send(payload).await;
    let cb = standin.wait_callback(slow_id, WAIT).await;
    assert_eq!((cb.status, cb.error_code()), (404, Some(10062)));
    assert!(cb.latency > Duration::from_millis(300));
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("did not respond")), "{v:?}");

    standin.assert_no_violations();
    shards.shutdown_all().await;
    let _ = tokio::time::timeout(WAIT, bot).await;
}

// ----- the guild model: roles, channels, overwrites, permissions -----------

const QUIZ_MASTER: u64 = 1_100_000_000_000_000_500;
const HELPER: u64 = 1_100_000_000_000_000_501;
const THREAD: u64 = 1_100_000_000_000_000_210;
const SECRET: u64 = 1_100_000_000_000_000_211;
const BOT_ONLY: u64 = 1_100_000_000_000_000_212;
const READ_ONLY: u64 = 1_100_000_000_000_000_213;
const NO_EMBEDS: u64 = 1_100_000_000_000_000_214;
const COMBO: u64 = 1_100_000_000_000_000_215;
const MEMBER_DENY: u64 = 1_100_000_000_000_000_216;
const FORUM: u64 = 1_100_000_000_000_000_217;

/// A guild with roles, overwrites of every kind and channels of every kind
/// the stand-in models.
fn model_config() -> StandInConfig {
    use standin::{ATTACH_FILES, EMBED_LINKS, MANAGE_GUILD, SEND_MESSAGES, VIEW_CHANNEL};
    use OverwriteTarget::{Everyone, Role as R};
    let guild = GuildSpec::new(GUILD_ID, "Study Group", OWNER_ID)
        .with_role(RoleSpec::new(QUIZ_MASTER, "Quiz Master", MANAGE_GUILD).position(2))
        .with_role(RoleSpec::new(HELPER, "Helper", 0))
        .bot_roles(vec![BOT_ROLE_ID, HELPER])
        .with_channel(ChannelSpec::text(CHANNEL_ID, "practice"))
        .with_channel(ChannelSpec::thread(THREAD, "daily-thread", CHANNEL_ID))
        .with_channel(ChannelSpec::text(SECRET, "secret").deny(Everyone, VIEW_CHANNEL))
        .with_channel(
            ChannelSpec::text(BOT_ONLY, "bot-only").deny(Everyone, VIEW_CHANNEL).allow(R(BOT_ROLE_ID), VIEW_CHANNEL),
        )
        .with_channel(ChannelSpec::announcement(READ_ONLY, "announcements").deny(Everyone, SEND_MESSAGES))
        .with_channel(ChannelSpec::text(NO_EMBEDS, "no-embeds").deny(R(BOT_ROLE_ID), EMBED_LINKS | ATTACH_FILES))
        // Role overwrites combine: all denies, then all allows.
        .with_channel(
            ChannelSpec::text(COMBO, "combo")
                .deny(Everyone, SEND_MESSAGES)
                .deny(R(HELPER), SEND_MESSAGES)
                .allow(R(BOT_ROLE_ID), SEND_MESSAGES),
        )
        // The member's own overwrite comes last.
        .with_channel(
            ChannelSpec::text(MEMBER_DENY, "member-deny")
                .overwrite(Overwrite::role(BOT_ROLE_ID, SEND_MESSAGES, 0))
                .overwrite(Overwrite::bot(0, SEND_MESSAGES)),
        )
        .with_channel(ChannelSpec::category(CATEGORY_ID, "Study"))
        .with_channel(ChannelSpec::voice(VOICE_CHANNEL_ID, "Study Room").in_category(CATEGORY_ID))
        .with_channel(ChannelSpec::forum(FORUM, "questions"));
    StandInConfig { guilds: vec![guild], ..StandInConfig::default() }
}

/// What posting `message` to `channel` gets: Ok, or (status, code).
async fn post(http: &serenity::http::Http, channel: u64, message: CreateMessage) -> Result<Message, (u16, isize)> {
    match ChannelId::new(channel).send_message(http, message).await {
        Ok(m) => Ok(m),
        Err(e) => Err(discord_code::<()>(Err(e))),
    }
}

fn text(content: &str) -> CreateMessage {
    CreateMessage::new().content(content)
}

#[tokio::test]
async fn guild_model_over_rest_and_permission_enforcement() {
    let standin = StandIn::start_with(model_config()).await;
    let http = standin.serenity_http("test-token");
    let guild_id = GuildId::new(GUILD_ID);

    // The guild, with counts tolerated, and its roles.
    let guild: PartialGuild = http.get_guild(guild_id).await.expect("GET /guilds/{id}");
    assert_eq!(guild.roles.len(), 4);
    assert_eq!(guild.roles[&RoleId::new(GUILD_ID)].position, 0);
    assert!(guild.roles[&RoleId::new(BOT_ROLE_ID)].managed);
    let counted = http.get_guild_with_counts(guild_id).await.expect("?with_counts=true");
    assert_eq!(counted.approximate_member_count, Some(2));
    assert!(standin.requests().iter().any(|r| r.query.iter().any(|(k, _)| k == "with_counts")));
    let roles: Vec<Role> = http.get_guild_roles(guild_id).await.expect("roles");
    let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names[0], "@everyone");
    assert!(names.contains(&"Quiz Master") && names.contains(&"Helper"), "{names:?}");
    let master = http.get_guild_role(guild_id, RoleId::new(QUIZ_MASTER)).await.expect("role");
    assert_eq!(master.permissions, Permissions::MANAGE_GUILD);
    assert_eq!(discord_code(http.get_guild_role(guild_id, RoleId::new(42)).await), (404, 10011));
    assert_eq!(discord_code(http.get_guild(GuildId::new(42)).await), (404, 10004));

    // The bot's member carries its roles; an unknown member is 10007.
    let me: Member = http.get_member(guild_id, UserId::new(standin::BOT_ID)).await.expect("bot member");
    assert_eq!(me.roles, [RoleId::new(BOT_ROLE_ID), RoleId::new(HELPER)]);
    assert_eq!(discord_code(http.get_member(guild_id, UserId::new(4242)).await), (404, 10007));

    // Channels of every kind, threads excluded from the guild's list.
    let channels: Vec<GuildChannel> = http.get_channels(guild_id).await.expect("channels");
    assert_eq!(channels.len(), 10);
    let by_id = |id: u64| channels.iter().find(|c| c.id.get() == id).expect("listed");
    assert_eq!(by_id(VOICE_CHANNEL_ID).kind, ChannelType::Voice);
    assert_eq!(by_id(VOICE_CHANNEL_ID).bitrate, Some(64000));
    assert_eq!(by_id(CATEGORY_ID).kind, ChannelType::Category);
    assert_eq!(by_id(READ_ONLY).kind, ChannelType::News);
    assert_eq!(by_id(FORUM).kind, ChannelType::Forum);
    let overwrites: Vec<(PermissionOverwriteType, Permissions, Permissions)> =
        by_id(BOT_ONLY).permission_overwrites.iter().map(|o| (o.kind, o.allow, o.deny)).collect();
    assert_eq!(
        overwrites,
        [
            (PermissionOverwriteType::Role(RoleId::new(GUILD_ID)), Permissions::empty(), Permissions::VIEW_CHANNEL),
            (PermissionOverwriteType::Role(RoleId::new(BOT_ROLE_ID)), Permissions::VIEW_CHANNEL, Permissions::empty()),
        ]
    );
    let Channel::Guild(thread) = http.get_channel(ChannelId::new(THREAD)).await.expect("thread") else {
        panic!("a guild channel")
    };
    assert_eq!(thread.kind, ChannelType::PublicThread);
    assert_eq!(thread.parent_id, Some(ChannelId::new(CHANNEL_ID)));
    assert!(thread.thread_metadata.is_some());
    assert_eq!(discord_code(http.get_channel(ChannelId::new(SECRET)).await), (403, 50001));
    assert_eq!(discord_code(http.get_channel(ChannelId::new(42)).await), (404, 10003));

    // Serenity's permission math on the GUILD_CREATE payload agrees with
    // the stand-in's for every channel but threads (serenity ignores a
    // thread's parent overwrites).
    let now = serenity::model::Timestamp::now().to_string();
    let spec = standin.guild(GUILD_ID).expect("in the guild");
    let created: Guild = parse("GUILD_CREATE", &standin::payloads::guild_create(&spec, "quizbot", &now));
    assert_eq!(created.threads.len(), 1);
    let bot = &created.members[&UserId::new(standin::BOT_ID)];
    for c in created.channels.values() {
        let serenity_says = created.user_permissions_in(c, bot).bits();
        assert_eq!(serenity_says, standin.bot_permissions(c.id.get()), "#{}", c.name);
    }

    // Posting: what Discord answers, by channel.
    let embed = || CreateMessage::new().embed(CreateEmbed::new().title("Daily question"));
    let file = || text("with a file").add_file(CreateAttachment::bytes(b"x".to_vec(), "q.txt"));
    assert!(post(&http, CHANNEL_ID, embed()).await.is_ok());
    assert!(post(&http, BOT_ONLY, text("only the bot sees this")).await.is_ok());
    assert!(post(&http, COMBO, text("a role allow beats a role deny")).await.is_ok());
    assert!(post(&http, VOICE_CHANNEL_ID, text("text in voice")).await.is_ok());
    assert!(post(&http, NO_EMBEDS, text("plain text is fine")).await.is_ok());
    assert_eq!(post(&http, NO_EMBEDS, embed()).await.err(), Some((403, 50013)));
    assert_eq!(post(&http, NO_EMBEDS, file()).await.err(), Some((403, 50013)));
    assert_eq!(post(&http, SECRET, text("x")).await.err(), Some((403, 50001)));
    assert_eq!(post(&http, READ_ONLY, text("x")).await.err(), Some((403, 50013)));
    assert_eq!(post(&http, MEMBER_DENY, text("x")).await.err(), Some((403, 50013)));
    assert_eq!(post(&http, CATEGORY_ID, text("x")).await.err(), Some((400, 50008)));
    assert_eq!(post(&http, FORUM, text("x")).await.err(), Some((400, 50008)));
    assert_eq!(post(&http, 42, text("x")).await.err(), Some((404, 10003)));
    // A thread needs SEND_MESSAGES_IN_THREADS, which @everyone lacks here.
    standin.set_role_permissions(GUILD_ID, DEFAULT_MEMBER_PERMISSIONS & !standin::SEND_MESSAGES_IN_THREADS);
    assert_eq!(post(&http, THREAD, text("x")).await.err(), Some((403, 50013)));
    assert!(!standin.bot_can_post(THREAD));
    standin.set_role_permissions(HELPER, standin::SEND_MESSAGES_IN_THREADS);
    assert!(standin.bot_can_post(THREAD));
    assert!(post(&http, THREAD, text("in the thread")).await.is_ok());
    // ADMINISTRATOR bypasses every overwrite.
    standin.set_role_permissions(HELPER, standin::ADMINISTRATOR);
    assert!(post(&http, SECRET, embed()).await.is_ok());
    assert_eq!(standin.bot_permissions(SECRET), standin::ALL_PERMISSIONS);
    assert_eq!(post(&http, CATEGORY_ID, text("x")).await.err(), Some((400, 50008)));

    // Refusals are answers the bot must handle, not violations, and leave
    // no message behind.
    assert_eq!(standin.channel_messages(VOICE_CHANNEL_ID).len(), 1);
    assert!(standin.channel_messages(READ_ONLY).is_empty());
    assert_eq!(standin.channel_messages(NO_EMBEDS).len(), 1);
    let refused = standin.requests().iter().filter(|r| r.status >= 400).count();
    assert_eq!(refused, 5 + 10, "five refused reads, ten refused posts");
    standin.assert_no_violations();
}

/// Runs `build` and returns its panic message; fails if it did not panic.
fn refused(build: impl FnOnce() -> (u64, Value)) -> String {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)) {
        Ok((_, payload)) => panic!("expected the builder to refuse, got {payload}"),
        Err(e) => e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_default(),
    }
}

fn command_of(payload: &Value) -> serenity::model::application::CommandInteraction {
    match parse::<Interaction>("a slash command", payload) {
        Interaction::Command(c) => c,
        other => panic!("a command interaction expected, got {other:?}"),
    }
}

#[tokio::test]
async fn slash_options_resolve_channels_and_roles_and_permissions_are_computed() {
    let standin = StandIn::start_with(model_config()).await;
    let http = standin.serenity_http("test-token");
    let sub = |name: &str, desc: &str| CreateCommandOption::new(CommandOptionType::SubCommand, name, desc);
    let daily = CreateCommand::new("daily")
        .description("The daily question")
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .add_option(
            sub("set", "Post a question every day")
                .add_sub_option(
                    CreateCommandOption::new(CommandOptionType::Channel, "channel", "Where")
                        .required(true)
                        .channel_types(vec![ChannelType::Text, ChannelType::News]),
                )
                .add_sub_option(
                    CreateCommandOption::new(CommandOptionType::String, "time", "HH:MM")
                        .required(true)
                        .min_length(5)
                        .max_length(5),
                )
                .add_sub_option(CreateCommandOption::new(CommandOptionType::Role, "ping", "Role to mention")),
        )
        .add_option(sub("status", "Show the schedule"))
        .add_option(sub("now", "Post one now").add_sub_option(CreateCommandOption::new(
            CommandOptionType::Channel,
            "channel",
            "Where",
        )));
    let quiz = CreateCommand::new("quiz")
        .description("Practice")
        .add_option(
            CreateCommandOption::new(CommandOptionType::Integer, "count", "How many").min_int_value(1).max_int_value(5),
        )
        .add_option(CreateCommandOption::new(CommandOptionType::Mentionable, "who", "Who"))
        .add_option(CreateCommandOption::new(CommandOptionType::Channel, "in", "Where"));
    GuildId::new(GUILD_ID).set_commands(&http, vec![daily, quiz]).await.expect("registration");

    let alice = TestUser::new(4242, "alice");
    let ada = TestUser::new(4343, "ada").admin();
    let here = Place::guild();

    // A plain member lacks MANAGE_GUILD: Discord hides /daily from her; a
    // stale or modified client can still send it.
    let why = refused(|| standin.slash("daily status", json!([]), &alice, here));
    assert!(why.contains("needs permissions"), "{why}");
    let (_, payload) = standin.slash_unchecked("daily status", json!([]), &alice, here);
    let cmd = command_of(&payload);
    let mine = cmd.member.as_ref().and_then(|m| m.permissions).expect("member.permissions");
    assert!(!mine.manage_guild());
    assert_eq!(mine.bits(), DEFAULT_MEMBER_PERMISSIONS);
    assert_eq!(cmd.app_permissions.map(|p| p.bits()), Some(BOT_CHANNEL_PERMISSIONS));
    assert_eq!(payload["channel"]["permissions"], DEFAULT_MEMBER_PERMISSIONS.to_string());

    // An administrator: everything, channel and role options resolved.
    let options = json!([
        {"name": "channel", "value": READ_ONLY},
        {"name": "time", "value": "09:00"},
        {"name": "ping", "value": QUIZ_MASTER.to_string()},
    ]);
    let (_, payload) = standin.slash("daily set", options, &ada, here);
    let set = &payload["data"]["options"][0];
    assert_eq!((set["name"].as_str(), set["type"].as_u64()), (Some("set"), Some(1)));
    assert_eq!(set["options"][0]["type"], 7, "typed from the registration");
    assert_eq!(set["options"][0]["value"], READ_ONLY.to_string(), "ids travel as strings");
    assert_eq!(set["options"][2]["type"], 8);
    let cmd = command_of(&payload);
    let perms = cmd.member.as_ref().and_then(|m| m.permissions).expect("member.permissions");
    assert!(perms.manage_guild() && perms.administrator());
    let options = cmd.data.options();
    let ResolvedValue::SubCommand(ref set) = options[0].value else { panic!("a subcommand: {options:?}") };
    let ResolvedValue::Channel(channel) = set[0].value else { panic!("a channel: {set:?}") };
    assert_eq!(
        (channel.id.get(), channel.kind, channel.name.as_deref()),
        (READ_ONLY, ChannelType::News, Some("announcements"))
    );
    assert_eq!(channel.permissions.map(|p| p.bits()), Some(standin::ALL_PERMISSIONS));
    let ResolvedValue::Role(role) = set[2].value else { panic!("a role: {set:?}") };
    assert_eq!(role.name, "Quiz Master");

    // channel_types: the client offers no voice channel; a modified one can
    // send it anyway.
    let voice = json!([{"name": "channel", "value": VOICE_CHANNEL_ID}, {"name": "time", "value": "09:00"}]);
    let why = refused(|| standin.slash("daily set", voice.clone(), &ada, here));
    assert!(why.contains("channel types [0, 5]"), "{why}");
    let (_, payload) = standin.slash_unchecked("daily set", voice, &ada, here);
    let resolved = &payload["data"]["resolved"]["channels"][VOICE_CHANNEL_ID.to_string()];
    assert_eq!(resolved["type"], 2);
    command_of(&payload);
    // Neither a channel of another guild nor a made-up one resolves.
    let nowhere = json!([{"name": "channel", "value": "42"}, {"name": "time", "value": "09:00"}]);
    let why = refused(|| standin.slash_unchecked("daily set", nowhere, &ada, here));
    assert!(why.contains("not a channel of guild"), "{why}");
    // Values the client would not accept.
    let short = json!([{"name": "channel", "value": CHANNEL_ID}, {"name": "time", "value": "9:00"}]);
    assert!(refused(|| standin.slash("daily set", short, &ada, here)).contains("length"));
    let number = json!([{"name": "channel", "value": CHANNEL_ID}, {"name": "time", "value": 900}]);
    assert!(refused(|| standin.slash("daily set", number, &ada, here)).contains("does not fit"));
    let missing = json!([{"name": "channel", "value": CHANNEL_ID}]);
    assert!(refused(|| standin.slash("daily set", missing, &ada, here)).contains("required"));
    let too_many = json!([{"name": "count", "value": 9}]);
    assert!(refused(|| standin.slash("quiz", too_many, &alice, here)).contains("range"));

    // A thread resolves with its parent and metadata.
    let (_, payload) = standin.slash("daily now", json!([{"name": "channel", "value": THREAD}]), &ada, here);
    let cmd = command_of(&payload);
    let channel = cmd.data.resolved.channels.get(&ChannelId::new(THREAD)).expect("resolved");
    assert_eq!(channel.parent_id, Some(ChannelId::new(CHANNEL_ID)));
    assert!(channel.thread_metadata.is_some());

    // What a member cannot see, the client does not offer.
    let secret = json!([{"name": "in", "value": SECRET}]);
    assert!(refused(|| standin.slash("quiz", secret.clone(), &alice, here)).contains("cannot see"));
    let (_, payload) = standin.slash("quiz", secret, &ada, here);
    command_of(&payload);
    // Mentionables: a role or a user the stand-in knows.
    let who = json!([{"name": "who", "value": QUIZ_MASTER}]);
    let (_, payload) = standin.slash("quiz", who, &alice, here);
    assert!(payload["data"]["resolved"]["roles"][QUIZ_MASTER.to_string()].is_object());
    let who = json!([{"name": "who", "value": "4343"}]);
    let (_, payload) = standin.slash("quiz", who, &alice, here);
    assert_eq!(payload["data"]["resolved"]["users"]["4343"]["username"], "ada");
    command_of(&payload);

    // Places: nobody acts in a category or a channel they cannot see.
    let why = refused(|| standin.slash("quiz", json!([]), &ada, Place::channel(CATEGORY_ID)));
    assert!(why.contains("type 4"), "{why}");
    let why = refused(|| standin.slash("quiz", json!([]), &alice, Place::channel(SECRET)));
    assert!(why.contains("cannot see"), "{why}");
    let (_, payload) = standin.slash("quiz", json!([]), &ada, Place::channel(SECRET));
    assert_eq!(payload["channel"]["id"], SECRET.to_string());
    let why = refused(|| standin.slash("quiz", json!([]), &ada, Place::in_guild(42, 43)));
    assert!(why.contains("not in guild 42"), "{why}");
    // A member overwrite removing USE_APPLICATION_COMMANDS hides commands.
    let no_commands = Overwrite::member(alice.id, 0, standin::USE_APPLICATION_COMMANDS);
    standin.set_overwrites(CHANNEL_ID, vec![no_commands]);
    let why = refused(|| standin.slash("quiz", json!([]), &alice, here));
    assert!(why.contains("USE_APPLICATION_COMMANDS"), "{why}");
    let (_, payload) = standin.slash_unchecked("quiz", json!([]), &alice, here);
    let cmd = command_of(&payload);
    let perms = cmd.member.and_then(|m| m.permissions).expect("member.permissions");
    assert!(!perms.use_application_commands());
    standin.set_overwrites(CHANNEL_ID, vec![]);

    // A button on a post the bot made through `POST /channels/{id}/messages`.
    let reveal = CreateButton::new("daily:reveal").label("Reveal");
    let daily = CreateMessage::new()
        .embed(CreateEmbed::new().title("Question of the day"))
        .components(vec![CreateActionRow::Buttons(vec![reveal])])
        .nonce(Nonce::String("d:2026-03-08".into()))
        .enforce_nonce(true);
    let sent = ChannelId::new(CHANNEL_ID).send_message(&http, daily).await.expect("post");
    let posts = standin.channel_messages(CHANNEL_ID);
    assert_eq!(posts.len(), 1);
    let daily = &posts[0];
    assert_eq!(daily["nonce"], "d:2026-03-08");
    assert_eq!(daily["embeds"][0]["title"], "Question of the day");
    assert_eq!(daily["components"][0]["components"][0]["custom_id"], "daily:reveal");
    let (_, click) = standin.click("daily:reveal", daily, &alice, here);
    let Interaction::Component(press) = parse::<Interaction>("click", &click) else {
        panic!("a component interaction")
    };
    assert_eq!(press.message.id, sent.id);
    assert!(matches!(&press.message.nonce, Some(Nonce::String(n)) if n == "d:2026-03-08"));
    let why = refused(|| standin.click("daily:reveal", daily, &alice, Place::channel(COMBO)));
    assert!(why.contains("not in"), "{why}");
    ChannelId::new(CHANNEL_ID).delete_message(&http, sent.id).await.expect("delete");
    assert!(refused(|| standin.click("daily:reveal", daily, &alice, here)).contains("deleted"));
    standin.assert_no_violations();
}

/// Opens a gateway session with `intents` and reads READY and the
/// GUILD_CREATEs.
async fn session(standin: &StandIn, intents: u64) -> Ws {
    let url = format!("{}/?v=10&encoding=json", standin.gateway_url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let _hello = next_frame(&mut ws).await;
    let identify = json!({"op": 2, "d": {
        "token": "test-token", "intents": intents, "shard": [0, 1],
        "properties": {"os": "linux", "browser": "t", "device": "t"},
    }});
    ws.send(WsMessage::Text(identify.to_string())).await.expect("identify");
    let (_, ready) = next_frame(&mut ws).await;
    assert!(matches!(dispatched(ready), Event::Ready(_)));
    let (_, created) = next_frame(&mut ws).await;
    assert!(matches!(dispatched(created), Event::GuildCreate(_)));
    standin.wait_ready(WAIT).await;
    ws
}

/// Discord refuses a shard of more than 2,500 servers (close code 4011,
/// "Sharding required") and recommends about one shard per thousand.
#[tokio::test]
async fn a_shard_of_more_than_2500_servers_is_refused_and_a_shard_per_thousand_is_recommended() {
    let mut guilds = StandInConfig::default().guilds;
    guilds.extend((0..2_500u64).map(|i| GuildSpec::new(1_400_000_000_000_000_000 + (i << 22), "g", OWNER_ID)));
    let standin = StandIn::start_with(StandInConfig { guilds, ..StandInConfig::default() }).await;
    let http = standin.serenity_http("test-token");
    let recommended: BotGateway = http.get_bot_gateway().await.expect("GET /gateway/bot");
    assert_eq!(recommended.shards, 3);

    let url = format!("{}/?v=10&encoding=json", standin.gateway_url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let _hello = next_frame(&mut ws).await;
    let identify = json!({"op": 2, "d": {
        "token": "test-token", "intents": GatewayIntents::GUILDS.bits(), "shard": [0, 1],
        "properties": {"os": "linux", "browser": "t", "device": "t"},
    }});
    ws.send(WsMessage::Text(identify.to_string())).await.expect("identify");
    let closed = loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("an answer in time") {
            Some(Ok(WsMessage::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(WsMessage::Text(text))) => panic!("a 2,501-server shard got {text:.80}"),
            Some(Ok(_)) => continue,
            other => panic!("the gateway ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(closed, Some(4011));
    let violations = standin.take_violations();
    assert!(violations.iter().any(|v| v.contains("2501 servers")), "{violations:?}");

    // The recommended three shards are each accepted.
    let mut open = Vec::new();
    for shard in 0..3u32 {
        let url = format!("{}/?v=10&encoding=json", standin.gateway_url());
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
        let _hello = next_frame(&mut ws).await;
        let identify = json!({"op": 2, "d": {
            "token": "test-token", "intents": GatewayIntents::GUILDS.bits(), "shard": [shard, 3],
            "properties": {"os": "linux", "browser": "t", "device": "t"},
        }});
        ws.send(WsMessage::Text(identify.to_string())).await.expect("identify");
        let (_, ready) = next_frame(&mut ws).await;
        assert!(matches!(dispatched(ready), Event::Ready(_)), "shard {shard} of 3");
        open.push(ws);
    }
    standin.wait_every_shard_ready(WAIT).await;
    standin.assert_no_violations();
}

#[tokio::test]
async fn test_controls_change_the_guild_and_dispatch_what_discord_dispatches() {
    use standin::{SEND_MESSAGES, VIEW_CHANNEL};
    let standin = StandIn::start().await;
    let http = standin.serenity_http("test-token");
    let mut ws = session(&standin, GatewayIntents::GUILDS.bits()).await;
    GuildId::new(GUILD_ID)
        .set_commands(&http, vec![CreateCommand::new("quiz").description("Practice")])
        .await
        .expect("registration");
    let alice = TestUser::new(4242, "alice");

    // Overwrites: CHANNEL_UPDATE, and posting follows them.
    standin.set_overwrites(CHANNEL_ID, vec![Overwrite::everyone(0, SEND_MESSAGES)]);
    let (_, update) = next_frame(&mut ws).await;
    let Event::ChannelUpdate(update) = dispatched(update) else { panic!("CHANNEL_UPDATE") };
    assert_eq!(update.channel.permission_overwrites[0].deny, Permissions::SEND_MESSAGES);
    assert_eq!(post(&http, CHANNEL_ID, text("x")).await.err(), Some((403, 50013)));
    standin.set_overwrites(CHANNEL_ID, vec![]);
    let _ = next_frame(&mut ws).await;
    assert!(post(&http, CHANNEL_ID, text("allowed again")).await.is_ok());

    // Role permissions: GUILD_ROLE_UPDATE; without View Channel from
    // @everyone (the bot's own role only manages messages) the channel is
    // out of reach.
    standin.set_role_permissions(GUILD_ID, DEFAULT_MEMBER_PERMISSIONS & !VIEW_CHANNEL);
    let (_, update) = next_frame(&mut ws).await;
    let Event::GuildRoleUpdate(update) = dispatched(update) else { panic!("GUILD_ROLE_UPDATE") };
    assert_eq!(update.role.guild_id, GuildId::new(GUILD_ID));
    assert!(!update.role.permissions.view_channel());
    assert_eq!(post(&http, CHANNEL_ID, text("x")).await.err(), Some((403, 50001)));
    assert_eq!(discord_code(http.get_channel(ChannelId::new(CHANNEL_ID)).await), (403, 50001));
    standin.set_role_permissions(GUILD_ID, DEFAULT_MEMBER_PERMISSIONS);
    let _ = next_frame(&mut ws).await;

    // A channel the bot gains, then loses.
    let extra = 1_100_000_000_000_000_299;
    standin.add_channel(GUILD_ID, ChannelSpec::text(extra, "extra"));
    let (_, created) = next_frame(&mut ws).await;
    assert!(matches!(dispatched(created), Event::ChannelCreate(_)));
    assert!(post(&http, extra, text("hello")).await.is_ok());
    standin.delete_channel(extra);
    let (_, deleted) = next_frame(&mut ws).await;
    let Event::ChannelDelete(deleted) = dispatched(deleted) else { panic!("CHANNEL_DELETE") };
    assert_eq!(deleted.channel.id.get(), extra);
    assert_eq!(post(&http, extra, text("x")).await.err(), Some((404, 10003)));
    assert_eq!(discord_code(http.get_channel(ChannelId::new(extra)).await), (404, 10003));
    let why = refused(|| standin.slash("quiz", json!([]), &alice, Place::channel(extra)));
    assert!(why.contains("was deleted"), "{why}");

    // Deleting a category moves its channels out of it.
    standin.delete_channel(CATEGORY_ID);
    let (_, deleted) = next_frame(&mut ws).await;
    assert!(matches!(dispatched(deleted), Event::ChannelDelete(_)));
    let mut moved = Vec::new();
    for _ in 0..2 {
        let (_, update) = next_frame(&mut ws).await;
        let Event::ChannelUpdate(update) = dispatched(update) else { panic!("CHANNEL_UPDATE") };
        assert_eq!(update.channel.parent_id, None);
        moved.push(update.channel.id.get());
    }
    moved.sort_unstable();
    assert_eq!(moved, [OTHER_CHANNEL_ID, VOICE_CHANNEL_ID]);

    // Removed from the guild: GUILD_DELETE, then Missing Access everywhere
    // and no interaction from it.
    standin.remove_bot_from_guild(GUILD_ID);
    let (_, gone) = next_frame(&mut ws).await;
    let Event::GuildDelete(gone) = dispatched(gone) else { panic!("GUILD_DELETE") };
    assert_eq!((gone.guild.id.get(), gone.guild.unavailable), (GUILD_ID, false));
    assert_eq!(post(&http, CHANNEL_ID, text("x")).await.err(), Some((403, 50001)));
    assert_eq!(discord_code(http.get_guild(GuildId::new(GUILD_ID)).await), (403, 50001));
    assert_eq!(discord_code(http.get_member(GuildId::new(GUILD_ID), UserId::new(standin::BOT_ID)).await), (403, 50001));
    let why = refused(|| standin.slash("quiz", json!([]), &alice, Place::guild()));
    assert!(why.contains("removed from guild"), "{why}");
    assert!(standin.guild(GUILD_ID).is_none());

    // A new session after that gets no GUILD_CREATE for it.
    drop(ws);
    let url = format!("{}/?v=10&encoding=json", standin.gateway_url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let _hello = next_frame(&mut ws).await;
    let identify = json!({"op": 2, "d": {"token": "t", "intents": 1, "shard": [0, 1],
        "properties": {"os": "linux", "browser": "t", "device": "t"}}});
    ws.send(WsMessage::Text(identify.to_string())).await.expect("identify");
    let (raw, _) = next_frame(&mut ws).await;
    assert_eq!(raw["d"]["guilds"], json!([]));
    ws.send(WsMessage::Text(json!({"op": 1, "d": 1}).to_string())).await.expect("heartbeat");
    let (_, ack) = next_frame(&mut ws).await;
    assert!(matches!(ack, GatewayEvent::HeartbeatAck), "no GUILD_CREATE before the ACK");

    for frame in standin.gateway_frames() {
        if let GatewayEvent::Dispatch(_, Event::Unknown(u)) = parse("a gateway frame", &frame.payload) {
            panic!("serenity could not deserialize {}", u.kind);
        }
    }
    standin.assert_no_violations();
}

#[tokio::test]
async fn enforce_nonce_returns_the_first_message() {
    let standin = StandIn::start().await;
    let http = standin.serenity_http("test-token");
    let daily = |nonce: &str, enforce: bool| {
        CreateMessage::new()
            .content(format!("question {nonce}"))
            .nonce(Nonce::String(nonce.into()))
            .enforce_nonce(enforce)
    };
    let first = post(&http, CHANNEL_ID, daily("g1:2026-03-08", true)).await.expect("post");
    let again = post(&http, CHANNEL_ID, daily("g1:2026-03-08", true)).await.expect("repost");
    assert_eq!(first.id, again.id);
    assert!(matches!(&first.nonce, Some(Nonce::String(n)) if n == "g1:2026-03-08"));
    let other = post(&http, CHANNEL_ID, daily("g1:2026-03-09", true)).await.expect("next day");
    assert_ne!(other.id, first.id);
    assert_eq!(standin.channel_messages(CHANNEL_ID).len(), 2);
    // The nonce is per author, not per channel: a second channel posting
    // with the same nonce gets the first channel's message back.
    let elsewhere = post(&http, OTHER_CHANNEL_ID, daily("g1:2026-03-08", true)).await.expect("post");
    assert_eq!((elsewhere.id, elsewhere.channel_id.get()), (first.id, CHANNEL_ID));
    assert!(standin.channel_messages(OTHER_CHANNEL_ID).is_empty());
    // Without enforce_nonce the nonce only travels along.
    let loose = post(&http, CHANNEL_ID, daily("g1:2026-03-08", false)).await.expect("post");
    assert_ne!(loose.id, first.id);
    // Over 25 characters: Invalid Form Body, a violation.
    let long = "n".repeat(26);
    assert_eq!(post(&http, CHANNEL_ID, daily(&long, true)).await.err(), Some((400, 50035)));
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("nonce")), "{v:?}");
    // After the window the same nonce posts again.
    standin.set_nonce_window(Duration::ZERO);
    let later = post(&http, CHANNEL_ID, daily("g1:2026-03-08", true)).await.expect("post");
    assert_ne!(later.id, first.id);
    assert_eq!(standin.channel_messages(CHANNEL_ID).len(), 4);
    standin.assert_no_violations();
}

/// Channel history as serenity reads it: newest first, `after` and
/// `before` a message, at most `limit`; nothing without Read Message
/// History.
#[tokio::test]
async fn channel_history_pages_newest_first() {
    use serenity::http::MessagePagination;
    let standin = StandIn::start().await;
    let http = standin.serenity_http("test-token");
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(post(&http, CHANNEL_ID, text(&format!("m{n}"))).await.expect("post").id);
    }
    let channel = ChannelId::new(CHANNEL_ID);
    let all = http.get_messages(channel, None, None).await.expect("history");
    assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), ids.iter().rev().copied().collect::<Vec<_>>());
    let after = http.get_messages(channel, Some(MessagePagination::After(ids[1])), Some(2)).await.expect("after");
    assert_eq!(after.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[3], ids[2]]);
    let before = http.get_messages(channel, Some(MessagePagination::Before(ids[3])), Some(2)).await.expect("before");
    assert_eq!(before.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[2], ids[1]]);
    assert_eq!(discord_code(http.get_messages(channel, None, Some(0)).await), (400, 50035));
    assert!(!standin.take_violations().is_empty(), "limit 0 is a violation");
    standin.set_overwrites(CHANNEL_ID, vec![Overwrite::bot(0, standin::READ_MESSAGE_HISTORY)]);
    assert!(http.get_messages(channel, None, None).await.expect("history").is_empty());
    standin.assert_no_violations();
}

#[tokio::test]
async fn uploads_keep_their_bytes_and_discords_attachment_limits() {
    let standin = StandIn::start().await;
    let http = standin.serenity_http("test-token");
    let png = b"\x89PNG\r\n\x1a\n not really a picture \r\n\r\n--boundary-like\r\n".to_vec();
    let chart = || CreateAttachment::bytes(png.clone(), "chart.png");
    let with_image = |url: &str| CreateMessage::new().embed(CreateEmbed::new().title("Progress").image(url));

    // The file arrives byte for byte, with its type; the stored message
    // lists it and its embed image points at it, as serenity reads it back.
    let sent = post(&http, CHANNEL_ID, with_image("attachment://chart.png").add_file(chart())).await.expect("post");
    let upload = standin.requests().into_iter().rev().find(|r| r.is("POST", "/messages")).expect("recorded");
    assert_eq!(upload.files.len(), 1);
    let file = &upload.files[0];
    assert_eq!(
        (file.field.as_str(), file.filename.as_str(), file.content_type.as_str()),
        ("files[0]", "chart.png", "image/png")
    );
    assert_eq!(file.bytes, png);
    assert_eq!(upload.body["attachments"][0]["filename"], "chart.png");
    assert_eq!(sent.attachments.len(), 1);
    let attached = &sent.attachments[0];
    assert_eq!((attached.filename.as_str(), attached.size as usize), ("chart.png", png.len()));
    assert_eq!(attached.content_type.as_deref(), Some("image/png"));
    assert_eq!(sent.embeds[0].image.as_ref().map(|i| i.url.as_str()), Some(attached.url.as_str()));
    standin.assert_no_violations();

    // An image naming no file: Discord takes the message but shows no
    // image; the stand-in reports it.
    assert!(post(&http, CHANNEL_ID, with_image("attachment://missing.png")).await.is_ok());
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("attachment://missing.png")), "{v:?}");

    // More than ten files: Invalid Form Body. Over the size limit: 413.
    let eleven = (0..11).map(|i| CreateAttachment::bytes(vec![1], format!("f{i}.txt")));
    assert_eq!(post(&http, CHANNEL_ID, text("many").add_files(eleven)).await.err(), Some((400, 50035)));
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("attachments")), "{v:?}");
    let huge = CreateAttachment::bytes(vec![0; 10 * 1024 * 1024 + 1], "huge.bin");
    assert_eq!(post(&http, CHANNEL_ID, text("huge").add_file(huge)).await.err(), Some((413, 40005)));
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("over the")), "{v:?}");
    assert_eq!(standin.channel_messages(CHANNEL_ID).len(), 2);
    standin.assert_no_violations();
}

#[test]
fn specs_overwrites_and_implicit_permissions() {
    use standin::{effective, ATTACH_FILES, EMBED_LINKS, SEND_MESSAGES, VIEW_CHANNEL};
    // The old literal form still works with the new fields defaulted.
    let plain = ChannelSpec { id: 7, name: "plain".into(), ..ChannelSpec::default() };
    assert_eq!(plain, ChannelSpec::text(7, "plain"));

    // allow/deny merge into one overwrite per target.
    let c = ChannelSpec::text(8, "c")
        .deny(OverwriteTarget::Everyone, SEND_MESSAGES | EMBED_LINKS)
        .allow(OverwriteTarget::Everyone, EMBED_LINKS);
    assert_eq!(c.overwrites, [Overwrite::everyone(EMBED_LINKS, SEND_MESSAGES)]);

    // Discord's JSON form, both ways; the guild's id is @everyone.
    let raw = json!({"id": GUILD_ID.to_string(), "type": 0, "allow": "16384", "deny": "2048"});
    let parsed = Overwrite::from_json(GUILD_ID, &raw).expect("valid");
    assert_eq!(parsed, c.overwrites[0]);
    assert_eq!(parsed.to_json(GUILD_ID), raw);
    let member = json!({"id": "5", "type": 1, "allow": 0, "deny": "1024"});
    assert_eq!(Overwrite::from_json(GUILD_ID, &member), Ok(Overwrite::member(5, 0, VIEW_CHANNEL)));
    assert!(Overwrite::from_json(GUILD_ID, &json!({"id": "5", "type": 2})).is_err());
    let serenity_form: serenity::all::PermissionOverwrite = parse("an overwrite", &raw);
    assert_eq!(serenity_form.kind, PermissionOverwriteType::Role(RoleId::new(GUILD_ID)));

    // Implicit rules: no view, nothing; no send, no embeds or files; in a
    // thread, sending is SEND_MESSAGES_IN_THREADS.
    assert_eq!(effective(SEND_MESSAGES | EMBED_LINKS, 0), 0);
    assert_eq!(effective(VIEW_CHANNEL | EMBED_LINKS | ATTACH_FILES, 0), VIEW_CHANNEL);
    assert_eq!(effective(VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS, 11), VIEW_CHANNEL | SEND_MESSAGES);

    // A configuration Discord could not hold is refused at start.
    let orphan =
        GuildSpec::new(GUILD_ID, "g", OWNER_ID).with_channel(ChannelSpec::text(9, "t").in_category(CHANNEL_ID));
    let config = StandInConfig { guilds: vec![orphan], ..StandInConfig::default() };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(StandIn::start_with(config));
    }));
    assert!(started.is_err(), "a channel in a category that does not exist");
}

/// An answer read off the wire: what serenity's client hides (the headers,
/// the body of a 429).
struct RawAnswer {
    status: u16,
    /// Lower-case names.
    headers: std::collections::HashMap<String, String>,
    /// `Null` if empty.
    body: Value,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn float(&self, name: &str) -> f64 {
        let value = self.header(name).unwrap_or_else(|| panic!("no {name} header: {:?}", self.headers));
        value.parse().unwrap_or_else(|e| panic!("{name}: {value}: {e}"))
    }
}

/// One HTTP/1.1 request to the stand-in's REST port over a fresh
/// connection, with the bot's `Authorization` header.
async fn raw(standin: &StandIn, method: &str, path: &str, body: &Value) -> RawAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = standin.api_base().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).await.expect("connect to the REST port");
    let body = if body.is_null() { String::new() } else { body.to_string() };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bot test-token\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send the request");
    let mut answer = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut answer)).await.expect("an answer in time").expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a complete answer");
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = if body.is_empty() { Value::Null } else { serde_json::from_str(body).expect("a JSON body") };
    RawAnswer { status, headers, body }
}

async fn raw_post(standin: &StandIn, channel: u64, content: &str) -> RawAnswer {
    raw(standin, "POST", &format!("/api/v10/channels/{channel}/messages"), &json!({"content": content})).await
}

fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs_f64()
}

#[tokio::test]
async fn rate_limits_message_creation_per_channel() {
    use standin::{MESSAGE_BUCKET, MESSAGE_LIMIT};
    let standin = StandIn::start_with(StandInConfig { rate_limits: true, ..StandInConfig::default() }).await;

    // Five posts in a fresh window; the headers count down. The window
    // opens with the first post, so its Reset-After is the whole 5 s, and
    // Reset is the same instant for all five.
    let mut reset = None;
    for n in 0..MESSAGE_LIMIT {
        let r = raw_post(&standin, CHANNEL_ID, &format!("post {n}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some((MESSAGE_LIMIT - 1 - n).to_string().as_str()));
        assert_eq!(r.header("x-ratelimit-bucket"), Some(MESSAGE_BUCKET));
        let after = r.float("x-ratelimit-reset-after");
        if n == 0 {
            assert_eq!(r.header("x-ratelimit-reset-after"), Some("5.000"));
        }
        assert!(after > 0.0 && after <= 5.0, "{after}");
        let at = r.float("x-ratelimit-reset");
        assert!((at - (unix_now() + after)).abs() < 0.5, "Reset {at} is not now + {after}");
        let first = *reset.get_or_insert(at);
        assert!((at - first).abs() < 0.01, "Reset moved from {first} to {at}");
    }

    // The sixth is refused, not carried out.
    let limited = raw_post(&standin, CHANNEL_ID, "one too many").await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.body["message"], "You are being rate limited.");
    assert_eq!((limited.body["global"].clone(), limited.body["code"].clone()), (json!(false), json!(0)));
    let retry = limited.body["retry_after"].as_f64().expect("retry_after is a number");
    assert!(retry > 0.0 && retry <= 5.0, "{retry}");
    let whole: f64 = limited.header("retry-after").expect("Retry-After").parse().expect("whole seconds");
    assert_eq!(whole, retry.ceil());
    assert_eq!(limited.header("x-ratelimit-scope"), Some("user"));
    assert_eq!(limited.header("x-ratelimit-global"), None);
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(limited.header("x-ratelimit-bucket"), Some(MESSAGE_BUCKET));
    assert_eq!(standin.channel_messages(CHANNEL_ID).len(), 5);

    // The bucket is per channel.
    let elsewhere = raw_post(&standin, OTHER_CHANNEL_ID, "another channel").await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.body);
    assert_eq!(elsewhere.header("x-ratelimit-remaining"), Some("4"));
    assert_eq!((standin.rate_limited(), standin.rate_limited_global()), (1, 0));

    // retry_after is enough: the next window is fresh.
    tokio::time::sleep(Duration::from_secs_f64(retry)).await;
    let again = raw_post(&standin, CHANNEL_ID, "after the wait").await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.header("x-ratelimit-remaining"), Some("4"));
    assert_eq!(standin.channel_messages(CHANNEL_ID).len(), 6);

    let suffix = format!("/channels/{CHANNEL_ID}/messages");
    let statuses: Vec<u16> = standin.requests().iter().filter(|r| r.is("POST", &suffix)).map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 200]);
    assert_eq!(standin.rate_limited(), 1);
    standin.assert_no_violations();
}

/// What the e2e bench's 09:00 burst relies on: with a post latency set,
/// each message creation is answered that long after it arrives; posts in
/// flight overlap instead of queueing behind each other; and the rate
/// limits count them as they reach Discord. Of 60 posts to 60 channels at
/// once, exactly one global window's worth (50) is made and the rest
/// refused with a global 429, all within a few latencies, not 60 of them.
#[tokio::test]
async fn post_latency_with_rate_limits() {
    use standin::GLOBAL_LIMIT;
    let channels: Vec<u64> = (0..60).map(|n| 1_100_000_000_000_001_000 + n).collect();
    let mut config = StandInConfig { rate_limits: true, ..StandInConfig::default() };
    let guild = config.guilds.remove(0);
    config
        .guilds
        .push(channels.iter().fold(guild, |g, &c| g.with_channel(ChannelSpec::text(c, &format!("daily-{c}")))));
    let standin = StandIn::start_with(config).await;
    let latency = Duration::from_millis(300);
    standin.set_post_latency(latency);

    let started = std::time::Instant::now();
    let posts: Vec<_> = channels
        .iter()
        .map(|&c| {
            let standin = standin.clone();
            tokio::spawn(async move { (raw_post(&standin, c, "question of the day").await, started.elapsed()) })
        })
        .collect();
    let mut made = 0;
    let mut limited = 0;
    for post in posts {
        let (answer, took) = post.await.expect("the post's task");
        assert!(took >= latency, "answered after {took:?}, before the latency");
        assert!(took < latency * 4, "answered after {took:?}: the posts queued behind each other");
        match answer.status {
            200 => made += 1,
            429 => {
                assert_eq!(answer.body["global"], json!(true), "{}", answer.body);
                limited += 1;
            }
            other => panic!("status {other}: {}", answer.body),
        }
    }
    // All 60 reach Discord within the same second (they waited side by
    // side), so one window admits GLOBAL_LIMIT of them.
    assert_eq!((made, limited), (GLOBAL_LIMIT, 60 - GLOBAL_LIMIT));
    assert_eq!((standin.rate_limited(), standin.rate_limited_global()), (u64::from(limited), u64::from(limited)));
    let posted = channels.iter().filter(|&&c| standin.channel_messages(c).len() == 1).count();
    assert_eq!(posted, GLOBAL_LIMIT as usize, "a refused post is not carried out");
    standin.assert_no_violations();
}

#[tokio::test]
async fn rate_limits_global_spares_interaction_endpoints() {
    use standin::{APP_ID, GLOBAL_LIMIT};
    let standin = StandIn::start().await;
    let http = standin.serenity_http("test-token");
    let _ws = session(&standin, GatewayIntents::GUILDS.bits()).await;
    GuildId::new(GUILD_ID)
        .set_commands(&http, vec![CreateCommand::new("ping").description("Ping")])
        .await
        .expect("registration");
    standin.set_ack_deadline(Duration::from_secs(60));
    let (id, payload) = standin.slash("ping", json!([]), &TestUser::new(4242, "alice"), Place::guild());
    let token = payload["token"].as_str().expect("a token").to_string();
    standin.send(payload).await;

    // Limits on from here: the setup above does not count. A burst until
    // the first 429; each window admits exactly GLOBAL_LIMIT, so however
    // slow the machine, the admitted count is a multiple of it.
    standin.set_rate_limits(true);
    let mut admitted = 0;
    let limited = loop {
        let r = raw(&standin, "GET", "/api/v10/users/@me", &Value::Null).await;
        if r.status == 429 {
            break r;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        // No per-route bucket is modelled here, so none is announced.
        assert_eq!(r.header("x-ratelimit-bucket"), None);
        admitted += 1;
        assert!(admitted <= 10 * GLOBAL_LIMIT, "no global limit after {admitted} requests");
    };
    assert!(admitted >= GLOBAL_LIMIT && admitted % GLOBAL_LIMIT == 0, "{admitted} admitted");
    assert_eq!(limited.body["message"], "You are being rate limited.");
    assert_eq!((limited.body["global"].clone(), limited.body["code"].clone()), (json!(true), json!(0)));
    let retry = limited.body["retry_after"].as_f64().expect("retry_after is a number");
    assert!(retry > 0.0 && retry <= 1.0, "{retry}");
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.header("x-ratelimit-scope"), Some("global"));
    assert_eq!(limited.header("x-ratelimit-global"), Some("true"));

    // In the same second the interaction endpoints answer as usual.
    let callback = json!({"type": 4, "data": {"content": "pong"}});
    let answered = raw(&standin, "POST", &format!("/api/v10/interactions/{id}/{token}/callback"), &callback).await;
    assert_eq!(answered.status, 204, "{}", answered.body);
    for n in 0..3 {
        let body = json!({"content": format!("follow-up {n}")});
        let followup = raw(&standin, "POST", &format!("/api/v10/webhooks/{APP_ID}/{token}"), &body).await;
        assert_eq!(followup.status, 200, "{}", followup.body);
    }
    let edit = json!({"content": "pong, edited"});
    let path = format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original");
    assert_eq!(raw(&standin, "PATCH", &path, &edit).await.status, 200);
    assert_eq!(standin.wait_callback(id, WAIT).await.status, 204);
    assert_eq!(standin.followups(id).len(), 3);

    assert_eq!((standin.rate_limited(), standin.rate_limited_global()), (1, 1));
    assert_eq!(standin.requests().iter().filter(|r| r.status == 429).count(), 1);
    standin.assert_no_violations();
}

#[tokio::test]
async fn rate_limits_are_off_by_default() {
    let standin = StandIn::start().await;
    for n in 0..10 {
        let r = raw_post(&standin, CHANNEL_ID, &format!("post {n}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("x-ratelimit-limit"), None);
    }
    for _ in 0..(standin::GLOBAL_LIMIT + 10) {
        assert_eq!(raw(&standin, "GET", "/api/v10/users/@me", &Value::Null).await.status, 200);
    }
    assert_eq!(standin.channel_messages(CHANNEL_ID).len(), 10);
    assert_eq!(standin.rate_limited(), 0);
    standin.assert_no_violations();
}

/// Threads started from a message: the thread takes the message's id, a
/// second one is refused (160004), the name and archive duration are
/// checked, Create Public Threads is needed, and the bot may post in it.
#[tokio::test]
async fn threads_start_once_from_a_message_with_discords_checks() {
    use standin::CREATE_PUBLIC_THREADS;
    let standin = StandIn::start().await;
    let posted = raw_post(&standin, CHANNEL_ID, "question of the day").await;
    assert_eq!(posted.status, 200, "{}", posted.body);
    let mid = posted.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v10/channels/{CHANNEL_ID}/messages/{mid}/threads");
    let long = raw(&standin, "POST", &path, &json!({"name": "n".repeat(101), "auto_archive_duration": 1440})).await;
    assert_eq!((long.status, long.body["code"].as_u64()), (400, Some(50035)), "{}", long.body);
    let odd = raw(&standin, "POST", &path, &json!({"name": "ok", "auto_archive_duration": 30})).await;
    assert_eq!(odd.status, 400, "{}", odd.body);
    standin.take_violations();
    let made = raw(&standin, "POST", &path, &json!({"name": "What is a pod?", "auto_archive_duration": 1440})).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let thread: GuildChannel = parse("the thread", &made.body);
    assert_eq!((thread.id.get().to_string(), thread.kind), (mid.clone(), ChannelType::PublicThread));
    assert_eq!(thread.parent_id, Some(ChannelId::new(CHANNEL_ID)));
    let again = raw(&standin, "POST", &path, &json!({"name": "again"})).await;
    assert_eq!((again.status, again.body["code"].as_u64()), (400, Some(160_004)), "{}", again.body);
    let inside = raw(
        &standin,
        "POST",
        &format!("/api/v10/channels/{mid}/messages"),
        &json!({"content": "Post your answer here"}),
    )
    .await;
    assert_eq!(inside.status, 200, "posting in the thread: {}", inside.body);
    // An unknown message: 404 10008.
    let unknown =
        raw(&standin, "POST", &format!("/api/v10/channels/{CHANNEL_ID}/messages/42/threads"), &json!({"name": "x"}))
            .await;
    assert_eq!((unknown.status, unknown.body["code"].as_u64()), (404, Some(10008)), "{}", unknown.body);
    // Without Create Public Threads: 403 50013, and nothing made.
    let other = raw_post(&standin, CHANNEL_ID, "another").await;
    let other_id = other.body["id"].as_str().unwrap().to_string();
    standin.set_role_permissions(GUILD_ID, DEFAULT_MEMBER_PERMISSIONS & !CREATE_PUBLIC_THREADS);
    let denied = raw(
        &standin,
        "POST",
        &format!("/api/v10/channels/{CHANNEL_ID}/messages/{other_id}/threads"),
        &json!({"name": "denied"}),
    )
    .await;
    assert_eq!((denied.status, denied.body["code"].as_u64()), (403, Some(50013)), "{}", denied.body);
    standin.assert_no_violations();
}

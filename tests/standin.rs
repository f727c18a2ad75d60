//! Self-test of the stand-in Discord (`tests/support`).
//!
//! Serenity drops a gateway event it cannot deserialize without a word, so a
//! stand-in payload missing one required field looks like a bot ignoring a
//! member. These tests deserialize everything the stand-in produces with
//! serenity's own model types, then run a minimal poise bot against it end
//! to end, including the failures Discord reports (late and double
//! acknowledgements, over-limit embeds, invalid command definitions).

mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use serenity::all::{
    ChannelId, CreateActionRow, CreateAutocompleteResponse, CreateButton, CreateCommand, CreateCommandOption,
    CreateEmbed, CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, EditInteractionResponse, FullEvent, GatewayIntents, GuildId, InteractionId, Nonce, UserId,
};
use serenity::model::application::{Command, CommandOptionType, CurrentApplicationInfo, Interaction};
use serenity::model::channel::{Channel, Message};
use serenity::model::event::{Event, GatewayEvent};
use serenity::model::gateway::{BotGateway, Gateway};
use serenity::model::guild::Member;
use serenity::model::user::CurrentUser;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use support::{Place, StandIn, TestUser, CHANNEL_ID, GUILD_ID, OWNER_ID};

const WAIT: Duration = Duration::from_secs(10);

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
    let app: CurrentApplicationInfo = http
        .get_current_application_info()
        .await
        .expect("GET /oauth2/applications/@me");
    assert_eq!(app.owner.expect("owner").id, UserId::new(OWNER_ID));

    // An invalid registration is refused whole and leaves no commands.
    let bad = vec![
        CreateCommand::new("ping").description("Ping"),
        CreateCommand::new("Quiz").description("upper case name"),
    ];
    let (status, code) = discord_code(GuildId::new(GUILD_ID).set_commands(&http, bad).await);
    assert_eq!((status, code), (400, 50035));
    assert!(standin.registered_commands(Some(GUILD_ID)).is_empty());
    let v = standin.take_violations();
    assert!(v.iter().any(|v| v.contains("0.name") || v.contains("1.name")), "{v:?}");
    let long = "x".repeat(101);
    let bad = vec![CreateCommand::new("ping").description(long)];
    assert_eq!(
        discord_code(GuildId::new(GUILD_ID).set_commands(&http, bad).await).1,
        50035
    );
    let bad = vec![CreateCommand::new("quiz")
        .description("Practice")
        .add_option(CreateCommandOption::new(CommandOptionType::String, "topic", "Topic"))
        .add_option(CreateCommandOption::new(CommandOptionType::String, "level", "Level").required(true))];
    assert_eq!(
        discord_code(GuildId::new(GUILD_ID).set_commands(&http, bad).await).1,
        50035
    );
    assert!(standin
        .take_violations()
        .iter()
        .any(|v| v.contains("Required options must be placed before")));

    let good = vec![
        CreateCommand::new("ping").description("Ping"),
        CreateCommand::new("quiz").description("Practice").add_option(
            CreateCommandOption::new(CommandOptionType::String, "topic", "Topic")
                .required(true)
                .set_autocomplete(true),
        ),
    ];
    let registered: Vec<Command> = GuildId::new(GUILD_ID)
        .set_commands(&http, good)
        .await
        .expect("valid registration");
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
    let Event::Ready(ready) = dispatched(ready) else {
        panic!("READY expected")
    };
    assert_eq!(ready.ready.application.id.get(), support::APP_ID);
    let (raw_guild, guild) = next_frame(&mut ws).await;
    assert_eq!(raw_guild["s"], 2);
    let Event::GuildCreate(guild) = dispatched(guild) else {
        panic!("GUILD_CREATE expected")
    };
    assert!(guild.guild.channels.contains_key(&ChannelId::new(CHANNEL_ID)));
    standin.wait_ready(WAIT).await;
    assert_eq!(standin.identifies()[0].intents, 1);
    ws.send(WsMessage::Text(json!({"op": 1, "d": 2}).to_string()))
        .await
        .expect("heartbeat");
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
    let Event::InteractionCreate(_) = dispatched(event) else {
        panic!("INTERACTION_CREATE")
    };

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
    cmd.create_response(&http, CreateInteractionResponse::Message(reply))
        .await
        .expect("callback");
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
        .create_followup(
            &http,
            CreateInteractionResponseFollowup::new()
                .content("only you")
                .ephemeral(true),
        )
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
    component
        .create_response(&http, CreateInteractionResponse::UpdateMessage(update))
        .await
        .expect("update");
    let cb = standin.wait_callback(click_id, WAIT).await;
    assert_eq!(cb.kind, 7);
    let updated: Message = parse("the updated message", &cb.message());
    assert_eq!((updated.id, updated.content.as_str()), (shown.id, "answer"));

    // Autocomplete, in a DM this time? No: /quiz is a guild command, so the
    // builder refuses a DM (a member could not send it there).
    let dm = Place::dm(&alice);
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        standin.slash("ping", json!([]), &alice, dm)
    }));
    assert!(refused.is_err(), "a guild command must not be usable in DMs");
    let focused = json!([{"name": "topic", "value": "ar", "focused": true}]);
    let (ac_id, ac) = standin.autocomplete("quiz", focused, &alice, Place::guild());
    let Interaction::Autocomplete(ac_i) = parse::<Interaction>("autocomplete", &ac) else {
        panic!("an autocomplete interaction expected")
    };
    standin.send(ac).await;
    // 26 choices: rejected, and a rejected answer does not acknowledge.
    let too_many = (0..26).fold(CreateAutocompleteResponse::new(), |r, i| {
        r.add_string_choice(format!("c{i}"), format!("c{i}"))
    });
    let result = ac_i
        .create_response(&http, CreateInteractionResponse::Autocomplete(too_many))
        .await;
    assert_eq!(discord_code(result), (400, 50035));
    assert!(standin.take_violations().iter().any(|v| v.contains("data.choices")));
    let choices = CreateAutocompleteResponse::new().add_string_choice("arrays", "arrays");
    ac_i.create_response(&http, CreateInteractionResponse::Autocomplete(choices))
        .await
        .expect("autocomplete");
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
    let member: Member = http
        .get_member(GuildId::new(GUILD_ID), UserId::new(4242))
        .await
        .expect("member");
    assert_eq!(member.user.name, "alice");
    let private = http
        .create_private_channel(&json!({"recipient_id": "4242"}))
        .await
        .expect("DM channel");
    assert_eq!(private.id.get(), support::dm_channel_id(4242));
    let post = || {
        CreateMessage::new()
            .content("daily question")
            .nonce(Nonce::String("daily-2026-03-08".into()))
            .enforce_nonce(true)
    };
    let first = ChannelId::new(CHANNEL_ID)
        .send_message(&http, post())
        .await
        .expect("post");
    let second = ChannelId::new(CHANNEL_ID)
        .send_message(&http, post())
        .await
        .expect("repost");
    assert_eq!(first.id, second.id, "enforce_nonce returns the first message");
    let posts = standin.channel_messages(CHANNEL_ID);
    assert_eq!(posts.iter().filter(|m| m["content"] == "daily question").count(), 1);

    // An endpoint the stand-in does not model: Discord's 404 and a violation.
    let (status, _) = discord_code(http.get_guild(GuildId::new(GUILD_ID)).await);
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
        (
            CreateMessage::new().embed(CreateEmbed::new().title("t".repeat(257))),
            "embeds.0.title",
        ),
        (
            CreateMessage::new().embed(CreateEmbed::new().description("d".repeat(4097))),
            "embeds.0.description",
        ),
        (
            CreateMessage::new().embed(CreateEmbed::new().field("n", "v".repeat(1025), false)),
            "embeds.0.fields.0.value",
        ),
        (
            CreateMessage::new().embeds(
                (0..2)
                    .map(|_| CreateEmbed::new().description("d".repeat(3001)))
                    .collect(),
            ),
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
            CreateMessage::new().components(vec![CreateActionRow::Buttons(vec![
                CreateButton::new("c".repeat(101)).label("a")
            ])]),
            "custom_id",
        ),
        (
            CreateMessage::new().components(vec![CreateActionRow::Buttons(vec![
                CreateButton::new("ok").label("l".repeat(81))
            ])]),
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
    let reply = poise::CreateReply::default()
        .content("pong")
        .components(vec![CreateActionRow::Buttons(vec![again])]);
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

/// Buttons are not dispatched by poise: answer them here, ephemerally.
async fn on_event(framework: poise::FrameworkContext<'_, (), Error>, event: &FullEvent) -> Result<(), Error> {
    if let FullEvent::InteractionCreate {
        interaction: Interaction::Component(press),
    } = event
    {
        let reply = CreateInteractionResponseMessage::new()
            .content("clicked")
            .ephemeral(true);
        press
            .create_response(
                &framework.serenity_context.http,
                CreateInteractionResponse::Message(reply),
            )
            .await?;
    }
    Ok(())
}

#[tokio::test]
async fn poise_bot_end_to_end() {
    let standin = StandIn::start().await;
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![ping(), slow(), think()],
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            on_error: |_| Box::pin(async {}),
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
    let http = serenity::http::HttpBuilder::new("test-token")
        .proxy(standin.api_base())
        .ratelimiter_disabled(true)
        .build();
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
    assert_eq!(names, ["ping", "slow", "think"]);
    assert_eq!(commands[0]["description"], "Answers pong, with a button");

    // /ping → pong, one callback, visible to all.
    let alice = TestUser::new(4242, "alice");
    let (id, payload) = standin.slash("ping", json!([]), &alice, Place::guild());
    standin.send(payload).await;
    let cb = standin.wait_callback(id, WAIT).await;
    assert_eq!((cb.kind, cb.content(), cb.ephemeral()), (4, "pong", false));
    assert!(cb.latency < support::ACK_DEADLINE);
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
    let result = ChannelId::new(CHANNEL_ID)
        .send_message(&standin.serenity_http("test-token"), too_long)
        .await;
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
    standin
        .wait_request(|r| r.method == "POST" && r.path.contains("/webhooks/"), WAIT)
        .await;
    let shown = standin.original_message(think_id).expect("the original response");
    assert_eq!(
        (shown["content"].as_str(), shown["flags"].as_u64()),
        (Some("thought"), Some(64))
    );
    assert!(standin.followups(think_id).is_empty());

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

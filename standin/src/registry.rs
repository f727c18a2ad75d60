//! Application command registration: the `.../commands` routes and the
//! rules Discord applies to command definitions.
//!
//! Poise builds the definitions from the command functions (a `///` comment
//! becomes the description, so an over-long doc comment is a registration
//! failure). Discord rejects an invalid bulk overwrite whole with 400 50035,
//! and the bot is left with no commands in that scope — the stand-in does
//! the same, so such a bot fails its tests instead of going silent in
//! production.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::rest::{snowflake_str, unknown, Reply, Req};
use super::state::{Registration, State};
use super::validate::{chars, join, required_len, FormErrors};
use super::APP_ID;

pub(super) fn commands(st: &mut State, req: &Req<'_>, app: &str, guild: Option<&str>) -> Reply {
    if snowflake_str(app) != Some(APP_ID) {
        st.violation(format!("{} {}: wrong application id {app}", req.method, req.path));
        return Reply::error(404, 10002, "Unknown Application");
    }
    let guild_id = match guild {
        None => None,
        Some(g) => match snowflake_str(g) {
            Some(g) if st.guild(g).is_some() => Some(g),
            _ => {
                st.violation(format!("{} {}: the bot is not in guild {g}", req.method, req.path));
                return Reply::error(403, 50001, "Missing Access");
            }
        },
    };
    let scope = |st: &mut State| -> Vec<Value> {
        match guild_id {
            None => st.global_commands.clone(),
            Some(g) => st.guild_commands.get(&g).cloned().unwrap_or_default(),
        }
    };
    match req.method {
        "GET" => Reply::ok(Value::Array(scope(st))),
        "PUT" => {
            let mut errs = FormErrors::default();
            definitions(req.body, &mut errs);
            if !errs.is_empty() {
                // Discord rejects the whole bulk overwrite; the bot is left
                // with no commands in this scope.
                set_scope(st, guild_id, Vec::new());
                for e in &errs.list {
                    st.violation(format!("{} {}: {e}", req.method, req.path));
                }
                return Reply::form(&errs);
            }
            let old = scope(st);
            let list = req.body.as_array().cloned().unwrap_or_default();
            let registered: Vec<Value> = list.iter().map(|c| normalize_command(st, c, &old, guild_id)).collect();
            set_scope(st, guild_id, registered.clone());
            st.registrations.push(Registration { epoch: st.epoch, commands: registered.clone() });
            Reply::ok(Value::Array(registered))
        }
        "POST" => {
            let mut errs = FormErrors::default();
            match req.body.as_object() {
                Some(c) => {
                    let kind = c.get("type").and_then(Value::as_u64).unwrap_or(1);
                    command(c, kind, "", &mut errs);
                }
                None => errs.add("", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"),
            }
            if !errs.is_empty() {
                for e in &errs.list {
                    st.violation(format!("{} {}: {e}", req.method, req.path));
                }
                return Reply::form(&errs);
            }
            let mut list = scope(st);
            let cmd = normalize_command(st, req.body, &list, guild_id);
            let existed = list.iter().position(|c| same_command(c, &cmd));
            match existed {
                Some(i) => list[i] = cmd.clone(),
                None => list.push(cmd.clone()),
            }
            set_scope(st, guild_id, list);
            if existed.is_some() {
                Reply::ok(cmd)
            } else {
                Reply::created(cmd)
            }
        }
        _ => unknown(st, req),
    }
}

fn set_scope(st: &mut State, guild_id: Option<u64>, list: Vec<Value>) {
    match guild_id {
        None => st.global_commands = list,
        Some(g) => {
            st.guild_commands.insert(g, list);
        }
    }
}

fn same_command(a: &Value, b: &Value) -> bool {
    a.get("name") == b.get("name")
        && a.get("type").and_then(Value::as_u64).unwrap_or(1) == b.get("type").and_then(Value::as_u64).unwrap_or(1)
}

/// A command as Discord returns it: the definition plus `id` (kept for a
/// command of the same name and type), `application_id`, `version`,
/// `guild_id` and Discord's defaults.
fn normalize_command(st: &mut State, cmd: &Value, old: &[Value], guild_id: Option<u64>) -> Value {
    let mut c = cmd.clone();
    let id = old
        .iter()
        .find(|o| same_command(o, cmd))
        .and_then(|o| o.get("id").cloned())
        .unwrap_or_else(|| Value::from(st.next_id().to_string()));
    let version = st.next_id().to_string();
    if let Some(map) = c.as_object_mut() {
        map.insert("id".into(), id);
        map.insert("application_id".into(), Value::from(APP_ID.to_string()));
        map.insert("version".into(), Value::from(version));
        map.entry("type").or_insert(Value::from(1));
        map.entry("description").or_insert(Value::from(""));
        map.entry("default_member_permissions").or_insert(Value::Null);
        map.entry("nsfw").or_insert(Value::Bool(false));
        map.entry("integration_types").or_insert(json!([0]));
        map.entry("name_localizations").or_insert(Value::Null);
        map.entry("description_localizations").or_insert(Value::Null);
        match guild_id {
            Some(g) => {
                map.insert("guild_id".into(), Value::from(g.to_string()));
            }
            None => {
                map.entry("dm_permission").or_insert(Value::Bool(true));
                map.entry("contexts").or_insert(Value::Null);
            }
        }
    }
    c
}

/// Whether `name` is a valid chat-input command or option name. Discord's
/// rule: `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$`, and letters that
/// have a lower-case form must use it (so "Quiz" is rejected, "quiz" and
/// "café" are fine). Context-menu commands (types 2, 3) only need 1–32 chars.
pub fn valid_name(name: &str, chat_input: bool) -> bool {
    let n = name.chars().count();
    if !(1..=32).contains(&n) {
        return false;
    }
    if !chat_input {
        return true;
    }
    name.chars()
        .all(|c| (c == '-' || c == '_' || c == '\'' || c.is_alphanumeric()) && c.to_lowercase().eq(std::iter::once(c)))
}

/// Checks a bulk-overwrite body (`PUT .../commands`): an array of command
/// definitions. Any error rejects the whole request.
pub fn definitions(body: &Value, errs: &mut FormErrors) {
    let Some(list) = body.as_array() else {
        errs.add("", "BASE_TYPE_ARRAY", "Must be an array.");
        return;
    };
    let mut names: HashSet<(u64, String)> = HashSet::new();
    let mut chat_inputs = 0;
    for (i, cmd) in list.iter().enumerate() {
        let path = i.to_string();
        let Some(c) = cmd.as_object() else {
            errs.add(&path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
            continue;
        };
        let kind = c.get("type").and_then(Value::as_u64).unwrap_or(1);
        command(c, kind, &path, errs);
        if kind == 1 {
            chat_inputs += 1;
        }
        if let Some(name) = c.get("name").and_then(Value::as_str) {
            if !names.insert((kind, name.to_string())) {
                errs.add(
                    &join(&path, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    format!("Application command names must be unique ({name:?})"),
                );
            }
        }
    }
    if chat_inputs > 100 {
        errs.add("", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer chat input commands.");
    }
}

/// One command definition (`kind`: 1 chat input, 2 user, 3 message).
pub fn command(c: &Map<String, Value>, kind: u64, path: &str, errs: &mut FormErrors) {
    let chat_input = kind == 1;
    match c.get("name").and_then(Value::as_str) {
        Some(name) if valid_name(name, chat_input) => {}
        Some(name) => errs.add(
            &join(path, "name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            format!("Command name is invalid ({name:?}: 1-32 chars, lower case, letters, digits, - _ ')"),
        ),
        None => errs.add(&join(path, "name"), "BASE_TYPE_REQUIRED", "This field is required"),
    }
    if chat_input {
        required_len(errs, c, "description", path, 1, 100);
    } else if chars(c.get("description")) > 0 {
        errs.add(
            &join(path, "description"),
            "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
            "Context menu commands cannot have a description.",
        );
    }
    match c.get("default_member_permissions") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.parse::<u64>().is_ok() => {}
        Some(other) => errs.add(
            &join(path, "default_member_permissions"),
            "PERMISSIONS_TYPE_INVALID",
            format!("Invalid permission bitfield {other}"),
        ),
    }
    if let Some(options) = c.get("options").and_then(Value::as_array) {
        if !chat_input && !options.is_empty() {
            errs.add(
                &join(path, "options"),
                "APPLICATION_COMMAND_OPTIONS_NOT_ALLOWED",
                "Context menu commands cannot have options.",
            );
        }
        options_check(options, &join(path, "options"), 0, errs);
    }
}

/// Options at one level; `depth` 0 = the command's own options, 1 = inside
/// a subcommand group, 2 = inside a subcommand.
fn options_check(options: &[Value], path: &str, depth: u8, errs: &mut FormErrors) {
    if options.len() > 25 {
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
    }
    let kinds: Vec<u64> = options.iter().map(|o| o.get("type").and_then(Value::as_u64).unwrap_or(0)).collect();
    let subs = kinds.iter().filter(|k| matches!(k, 1 | 2)).count();
    if subs > 0 && subs < kinds.len() {
        errs.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Subcommands and subcommand groups cannot be mixed with other options.",
        );
    }
    let mut seen_optional = false;
    let mut names = HashSet::new();
    for (i, (option, &kind)) in options.iter().zip(&kinds).enumerate() {
        let opath = join(path, i);
        let Some(o) = option.as_object() else {
            errs.add(&opath, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
            continue;
        };
        match o.get("name").and_then(Value::as_str) {
            Some(name) if valid_name(name, true) => {
                if !names.insert(name.to_string()) {
                    errs.add(
                        &join(&opath, "name"),
                        "APPLICATION_COMMAND_OPTION_NAME_NOT_UNIQUE",
                        format!("Option names must be unique ({name:?})"),
                    );
                }
            }
            Some(name) => errs.add(
                &join(&opath, "name"),
                "APPLICATION_COMMAND_INVALID_NAME",
                format!("Option name is invalid ({name:?}: 1-32 chars, lower case)"),
            ),
            None => errs.add(&join(&opath, "name"), "BASE_TYPE_REQUIRED", "This field is required"),
        }
        required_len(errs, o, "description", &opath, 1, 100);
        if !(1..=11).contains(&kind) {
            errs.add(&join(&opath, "type"), "ENUM_TYPE_COERCE", format!("Value {kind} is not a valid option type."));
        }
        if kind == 2 && depth != 0 || kind == 1 && depth == 2 || kind != 1 && depth == 1 {
            errs.add(
                &join(&opath, "type"),
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Subcommands cannot be nested this deep.",
            );
        }
        let required = o.get("required").and_then(Value::as_bool).unwrap_or(false);
        if matches!(kind, 1 | 2) {
            if required {
                errs.add(
                    &join(&opath, "required"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Subcommands cannot be required.",
                );
            }
        } else if required && seen_optional {
            errs.add(
                &join(&opath, "required"),
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            );
        } else if !required {
            seen_optional = true;
        }
        let choices = o.get("choices").and_then(Value::as_array);
        if let Some(choices) = choices {
            if choices.len() > 25 {
                errs.add(&join(&opath, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
            }
            for (k, ch) in choices.iter().enumerate() {
                let cpath = format!("{opath}.choices.{k}");
                let Some(ch) = ch.as_object() else { continue };
                required_len(errs, ch, "name", &cpath, 1, 100);
                if chars(ch.get("value")) > 100 {
                    errs.add(&join(&cpath, "value"), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
                }
            }
        }
        let autocomplete = o.get("autocomplete").and_then(Value::as_bool).unwrap_or(false);
        if autocomplete && choices.is_some_and(|c| !c.is_empty()) {
            errs.add(
                &join(&opath, "autocomplete"),
                "APPLICATION_COMMAND_AUTOCOMPLETE_REQUIRES_NO_CHOICES",
                "Autocomplete cannot be set on an option with choices.",
            );
        }
        if autocomplete && !matches!(kind, 3 | 4 | 10) {
            errs.add(
                &join(&opath, "autocomplete"),
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID_TYPE",
                "Autocomplete is only allowed on string, integer and number options.",
            );
        }
        if let Some(sub) = o.get("options").and_then(Value::as_array) {
            if matches!(kind, 1 | 2) {
                options_check(sub, &join(&opath, "options"), if kind == 2 { 1 } else { 2 }, errs);
            } else if !sub.is_empty() {
                errs.add(
                    &join(&opath, "options"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Only subcommands and groups may have options.",
                );
            }
        }
    }
}

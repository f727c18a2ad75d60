//! Discord's request limits, checked as strictly as Discord checks them.
//!
//! A stand-in that accepts what Discord rejects hides production failures:
//! an over-long embed or a duplicate `custom_id` would pass every test and
//! fail for real members. Each check here answers the way Discord does —
//! `400 {"code": 50035, "message": "Invalid Form Body", "errors": {...}}`
//! with the nested error tree serenity flattens into `path` strings — and
//! each failure also becomes a human-readable violation the tests assert on.
//! Limits: Discord's developer docs and its OpenAPI description
//! (`/work/shared/discord-openapi`).

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::payloads::IS_COMPONENTS_V2;
use super::Upload;

/// Collects `Invalid Form Body` errors as Discord nests them:
/// `{"embeds": {"0": {"title": {"_errors": [{"code", "message"}]}}}}`.
#[derive(Default)]
pub struct FormErrors {
    tree: Map<String, Value>,
    /// One line per error, `path: message (CODE)`, for `violations()`.
    pub list: Vec<String>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds an error at a dot-separated `path` ("" for the body itself).
    pub fn add(&mut self, path: &str, code: &str, message: impl Into<String>) {
        let message = message.into();
        let shown = if path.is_empty() { "<body>" } else { path };
        self.list.push(format!("{shown}: {message} ({code})"));
        let mut node = &mut self.tree;
        for seg in path.split('.').filter(|s| !s.is_empty()) {
            let entry = node.entry(seg.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = match entry.as_object_mut() {
                Some(map) => map,
                None => return,
            };
        }
        let errors = node.entry("_errors".to_string()).or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = errors.as_array_mut() {
            list.push(json!({"code": code, "message": message}));
        }
    }

    /// The 400 body Discord sends for these errors.
    pub fn body(&self) -> Value {
        json!({"code": 50035, "message": "Invalid Form Body", "errors": Value::Object(self.tree.clone())})
    }
}

pub(super) fn join(prefix: &str, key: impl std::fmt::Display) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

pub(super) fn chars(v: Option<&Value>) -> usize {
    v.and_then(Value::as_str).map_or(0, |s| s.chars().count())
}

/// `max` chars at most, if present and a string.
pub(super) fn max_len(errs: &mut FormErrors, obj: &Map<String, Value>, key: &str, path: &str, max: usize) {
    let n = chars(obj.get(key));
    if n > max {
        errs.add(&join(path, key), "BASE_TYPE_MAX_LENGTH", format!("Must be {max} or fewer in length."));
    }
}

/// Required, and between `min` and `max` chars.
pub(super) fn required_len(
    errs: &mut FormErrors,
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    min: usize,
    max: usize,
) {
    match obj.get(key) {
        None | Some(Value::Null) => {
            errs.add(&join(path, key), "BASE_TYPE_REQUIRED", "This field is required");
        }
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n < min || n > max {
                errs.add(
                    &join(path, key),
                    "BASE_TYPE_BAD_LENGTH",
                    format!("Must be between {min} and {max} in length."),
                );
            }
        }
        Some(_) => errs.add(&join(path, key), "STRING_TYPE_CONVERT", "Could not interpret value as string."),
    }
}

/// Whether a message body would show nothing: Discord answers such a
/// create with 50006 "Cannot send an empty message".
pub fn is_empty_message(body: &Value) -> bool {
    let non_empty = |key: &str| match body.get(key) {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(_)) => true,
        _ => false,
    };
    !["content", "embeds", "components", "attachments", "sticker_ids", "poll"].iter().any(|k| non_empty(k))
}

/// Checks a message create/edit body (channel message, interaction
/// response data, follow-up, edit): content, embeds, components, nonce.
pub fn message_body(body: &Value, errs: &mut FormErrors) {
    let Some(obj) = body.as_object() else {
        errs.add("", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
        return;
    };
    max_len(errs, obj, "content", "", 2000);
    if let Some(embeds) = obj.get("embeds").and_then(Value::as_array) {
        embeds_check(embeds, errs);
    }
    let flags = obj.get("flags").and_then(Value::as_u64).unwrap_or(0);
    if let Some(components) = obj.get("components").and_then(Value::as_array) {
        if flags & IS_COMPONENTS_V2 != 0 {
            errs.add(
                "flags",
                "STAND_IN_UNSUPPORTED",
                "The stand-in does not model components v2 (IS_COMPONENTS_V2); extend standin/src/validate.rs",
            );
        } else {
            components_check(components, errs);
        }
    }
    match obj.get("nonce") {
        Some(Value::String(s)) if s.chars().count() > 25 => {
            errs.add("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
        }
        Some(Value::String(_) | Value::Number(_) | Value::Null) | None => {}
        Some(_) => errs.add("nonce", "NONCE_TYPE_INVALID", "Nonce must be an integer or a string."),
    }
}

fn embeds_check(embeds: &[Value], errs: &mut FormErrors) {
    if embeds.len() > 10 {
        errs.add("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
    }
    let mut total = 0usize;
    for (i, embed) in embeds.iter().enumerate() {
        let path = format!("embeds.{i}");
        let Some(e) = embed.as_object() else {
            errs.add(&path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
            continue;
        };
        max_len(errs, e, "title", &path, 256);
        max_len(errs, e, "description", &path, 4096);
        total += chars(e.get("title")) + chars(e.get("description"));
        if let Some(footer) = e.get("footer").and_then(Value::as_object) {
            max_len(errs, footer, "text", &join(&path, "footer"), 2048);
            total += chars(footer.get("text"));
        }
        if let Some(author) = e.get("author").and_then(Value::as_object) {
            max_len(errs, author, "name", &join(&path, "author"), 256);
            total += chars(author.get("name"));
        }
        if let Some(fields) = e.get("fields").and_then(Value::as_array) {
            if fields.len() > 25 {
                errs.add(&join(&path, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
            }
            for (j, field) in fields.iter().enumerate() {
                let fpath = format!("{path}.fields.{j}");
                let Some(f) = field.as_object() else {
                    errs.add(&fpath, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
                    continue;
                };
                required_len(errs, f, "name", &fpath, 1, 256);
                required_len(errs, f, "value", &fpath, 1, 1024);
                total += chars(f.get("name")) + chars(f.get("value"));
            }
        }
    }
    if total > 6000 {
        errs.add(
            "embeds",
            "MAX_EMBED_SIZE_EXCEEDED",
            format!("Embed size exceeds maximum size of 6000 (all embeds of the message hold {total} chars)"),
        );
    }
}

fn components_check(rows: &[Value], errs: &mut FormErrors) {
    if rows.len() > 5 {
        errs.add("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.");
    }
    let mut seen: HashSet<String> = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let path = format!("components.{i}");
        if row.get("type").and_then(Value::as_u64) != Some(1) {
            errs.add(&path, "UNION_TYPE_CHOICES", "Top-level message components must be action rows (type 1).");
            continue;
        }
        let items = row.get("components").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        if items.is_empty() || items.len() > 5 {
            errs.add(&join(&path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.");
        }
        let selects = items.iter().filter(|c| matches!(c.get("type").and_then(Value::as_u64), Some(3 | 5..=8))).count();
        if selects > 0 && items.len() > 1 {
            errs.add(
                &join(&path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width (a select menu must be alone in its row)",
            );
        }
        for (j, item) in items.iter().enumerate() {
            let cpath = format!("{path}.components.{j}");
            let Some(c) = item.as_object() else {
                errs.add(&cpath, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
                continue;
            };
            match c.get("type").and_then(Value::as_u64) {
                Some(2) => button_check(c, &cpath, errs),
                Some(3 | 5..=8) => select_check(c, &cpath, errs),
                other => errs.add(
                    &join(&cpath, "type"),
                    "COMPONENT_TYPE_INVALID",
                    format!("Component type {other:?} is not allowed in a message action row."),
                ),
            }
            unique_custom_id(c, &cpath, &mut seen, errs);
        }
    }
}

/// A component's custom_id must be unique within its message or modal.
fn unique_custom_id(c: &Map<String, Value>, path: &str, seen: &mut HashSet<String>, errs: &mut FormErrors) {
    if let Some(id) = c.get("custom_id").and_then(Value::as_str) {
        if !seen.insert(id.to_string()) {
            errs.add(
                &join(path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                format!("Component custom id cannot be duplicated ({id:?})"),
            );
        }
    }
}

fn button_check(c: &Map<String, Value>, path: &str, errs: &mut FormErrors) {
    let style = c.get("style").and_then(Value::as_u64);
    max_len(errs, c, "label", path, 80);
    let has_label = chars(c.get("label")) > 0;
    let has_emoji = c.get("emoji").is_some_and(|e| !e.is_null());
    match style {
        Some(5) => {
            if c.get("url").and_then(Value::as_str).is_none_or(str::is_empty) {
                errs.add(&join(path, "url"), "BASE_TYPE_REQUIRED", "This field is required");
            }
            if c.get("custom_id").is_some_and(|v| !v.is_null()) {
                errs.add(&join(path, "custom_id"), "BUTTON_LINK_CUSTOM_ID", "A link button cannot have a custom id.");
            }
        }
        Some(6) => {
            if c.get("sku_id").is_none_or(Value::is_null) {
                errs.add(&join(path, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required");
            }
        }
        Some(1..=4) => {
            required_len(errs, c, "custom_id", path, 1, 100);
            if c.get("url").is_some_and(|v| !v.is_null()) {
                errs.add(&join(path, "url"), "BUTTON_NON_LINK_URL", "A non-link button cannot have a url.");
            }
        }
        _ => errs.add(&join(path, "style"), "ENUM_TYPE_COERCE", format!("Value {style:?} is not a valid enum value.")),
    }
    if style != Some(6) && !has_label && !has_emoji {
        errs.add(path, "BUTTON_LABEL_OR_EMOJI_REQUIRED", "A button needs a label or an emoji.");
    }
}

fn select_check(c: &Map<String, Value>, path: &str, errs: &mut FormErrors) {
    required_len(errs, c, "custom_id", path, 1, 100);
    max_len(errs, c, "placeholder", path, 150);
    let min = c.get("min_values").and_then(Value::as_u64);
    let max = c.get("max_values").and_then(Value::as_u64);
    if min.is_some_and(|m| m > 25) {
        errs.add(&join(path, "min_values"), "NUMBER_TYPE_MAX", "int value should be less than or equal to 25.");
    }
    if max.is_some_and(|m| m == 0 || m > 25) {
        errs.add(&join(path, "max_values"), "NUMBER_TYPE_MAX", "int value should be between 1 and 25.");
    }
    if c.get("type").and_then(Value::as_u64) == Some(3) {
        let options = c.get("options").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        if options.is_empty() || options.len() > 25 {
            errs.add(&join(path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.");
        }
        let mut values = HashSet::new();
        for (k, o) in options.iter().enumerate() {
            let opath = format!("{path}.options.{k}");
            let Some(o) = o.as_object() else { continue };
            required_len(errs, o, "label", &opath, 1, 100);
            required_len(errs, o, "value", &opath, 1, 100);
            max_len(errs, o, "description", &opath, 100);
            if let Some(v) = o.get("value").and_then(Value::as_str) {
                if !values.insert(v.to_string()) {
                    errs.add(
                        &join(&opath, "value"),
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                        "Select option values must be unique.",
                    );
                }
            }
        }
        if let (Some(max), n) = (max, options.len()) {
            if max as usize > n && n > 0 {
                errs.add(
                    &join(path, "max_values"),
                    "SELECT_COMPONENT_MAX_VALUES_TOO_HIGH",
                    "max_values exceeds the number of options.",
                );
            }
        }
    }
}

/// Autocomplete result data (callback type 8): at most 25 choices, each
/// name 1–100 chars and a string value at most 100 chars.
pub fn autocomplete_data(data: &Value, errs: &mut FormErrors) {
    let Some(choices) = data.get("choices") else {
        errs.add("data.choices", "BASE_TYPE_REQUIRED", "This field is required");
        return;
    };
    let Some(choices) = choices.as_array() else {
        errs.add("data.choices", "BASE_TYPE_ARRAY", "Must be an array.");
        return;
    };
    if choices.len() > 25 {
        errs.add("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
    }
    for (i, choice) in choices.iter().enumerate() {
        let path = format!("data.choices.{i}");
        let Some(c) = choice.as_object() else {
            continue;
        };
        required_len(errs, c, "name", &path, 1, 100);
        match c.get("value") {
            Some(Value::String(s)) if s.chars().count() > 100 => {
                errs.add(&join(&path, "value"), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
            }
            Some(Value::String(_) | Value::Number(_)) => {}
            _ => errs.add(&join(&path, "value"), "BASE_TYPE_REQUIRED", "This field is required"),
        }
    }
}

/// Modal data (callback type 9): custom_id, title, 1–5 rows of text inputs.
pub fn modal_data(data: &Value, errs: &mut FormErrors) {
    let Some(d) = data.as_object() else {
        errs.add("data", "BASE_TYPE_REQUIRED", "This field is required");
        return;
    };
    required_len(errs, d, "custom_id", "data", 1, 100);
    required_len(errs, d, "title", "data", 1, 45);
    let rows = d.get("components").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    if rows.is_empty() || rows.len() > 5 {
        errs.add("data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.");
    }
    // Each row holds exactly one text input (type 4), ids unique.
    let mut seen: HashSet<String> = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let path = format!("data.components.{i}");
        let items = row.get("components").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        if row.get("type").and_then(Value::as_u64) != Some(1) || items.len() != 1 {
            errs.add(&path, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A modal row holds exactly one text input.");
            continue;
        }
        let cpath = format!("{path}.components.0");
        let Some(input) = items[0].as_object() else {
            errs.add(&cpath, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
            continue;
        };
        text_input_check(input, &cpath, errs);
        unique_custom_id(input, &cpath, &mut seen, errs);
    }
}

/// A text input (Discord's `TextInputComponentForModalRequest`): style 1
/// (short) or 2 (paragraph), a label of 1–45, lengths within 0–4000 and
/// min ≤ max, a placeholder and a prefilled value within their limits.
fn text_input_check(c: &Map<String, Value>, path: &str, errs: &mut FormErrors) {
    if c.get("type").and_then(Value::as_u64) != Some(4) {
        errs.add(&join(path, "type"), "COMPONENT_TYPE_INVALID", "Only text inputs (type 4) may be used in a modal.");
    }
    required_len(errs, c, "custom_id", path, 1, 100);
    required_len(errs, c, "label", path, 1, 45);
    if !matches!(c.get("style").and_then(Value::as_u64), Some(1 | 2)) {
        errs.add(&join(path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.");
    }
    let length = |key: &str| c.get(key).and_then(Value::as_u64);
    for (key, low) in [("min_length", 0), ("max_length", 1)] {
        if length(key).is_some_and(|n| n < low || n > 4000) {
            errs.add(&join(path, key), "NUMBER_TYPE_MAX", format!("Must be between {low} and 4000."));
        }
    }
    if let (Some(min), Some(max)) = (length("min_length"), length("max_length")) {
        if min > max {
            errs.add(&join(path, "min_length"), "BASE_TYPE_BAD_LENGTH", "min_length must not exceed max_length.");
        }
    }
    max_len(errs, c, "placeholder", path, 100);
    max_len(errs, c, "value", path, 4000);
}

/// Attachments a message may carry (Discord's `MessageAttachmentRequest`):
/// at most 10, each with an `id` (for a new file: the `n` of its `files[n]`
/// part), a filename of 1–1024 and a description of at most 1024 chars.
/// Counts the uploads too: ten files without metadata are still ten.
pub fn attachments(body: &Value, files: &[Upload], errs: &mut FormErrors) {
    let listed = body.get("attachments").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if listed.len().max(files.len()) > 10 {
        errs.add("attachments", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
    }
    for (i, a) in listed.iter().enumerate() {
        let path = join("attachments", i);
        let Some(obj) = a.as_object() else {
            errs.add(&path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
            continue;
        };
        if obj.get("id").is_none_or(Value::is_null) {
            errs.add(&join(&path, "id"), "BASE_TYPE_REQUIRED", "This field is required");
        }
        if obj.get("filename").is_some_and(|f| !f.is_null()) {
            required_len(errs, obj, "filename", &path, 1, 1024);
        }
        max_len(errs, obj, "description", &path, 1024);
    }
}

/// `attachment://NAME` image URLs in the embeds that name no file of the
/// message (uploaded now, or already attached: `existing` filenames).
/// Discord accepts these but the member sees no image, so the stand-in
/// reports them instead of failing the request.
pub fn unresolved_attachment_urls(body: &Value, files: &[Upload], existing: &[String]) -> Vec<String> {
    let mut missing = Vec::new();
    let embeds = body.get("embeds").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (i, embed) in embeds.iter().enumerate() {
        for key in ["image", "thumbnail"] {
            let url = embed.get(key).and_then(|v| v.get("url")).and_then(Value::as_str).unwrap_or_default();
            let Some(name) = url.strip_prefix("attachment://") else {
                continue;
            };
            if !files.iter().any(|f| f.filename == name) && !existing.iter().any(|f| f == name) {
                missing
                    .push(format!("embeds.{i}.{key}.url: {url} names no file of the message; Discord shows no image"));
            }
        }
    }
    missing
}

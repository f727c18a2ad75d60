//! Configuration from the environment (and `.env`, [`load_env_file`]),
//! parsed once into types. A missing or malformed variable fails fast with
//! its name; the token is wrapped so it never reaches a log or `Debug`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::domain::bank::server::BankLimits;
pub use crate::service::scheduler::DEFAULT_POSTS_PER_SECOND;

/// How long the bot keeps trying a database it cannot reach at start (a
/// server still booting after a reboot) before it gives up.
pub const DEFAULT_DATABASE_WAIT: Duration = Duration::from_secs(120);

/// The bot token. `Debug` and `Display` print a placeholder.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Self {
        Token(token.into())
    }
    /// The secret itself; only for handing to serenity.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The gateway shards this process runs: `SHARDS=FIRST-LAST/TOTAL`, e.g.
/// `0-3/8` runs shards 0, 1, 2 and 3 of 8. Every process of one bot must use
/// the same TOTAL; together they must cover 0 to TOTAL-1 once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    /// Inclusive.
    pub last: u32,
    pub total: u32,
}

impl ShardRange {
    pub fn parse(s: &str) -> Option<ShardRange> {
        let (range, total) = s.split_once('/')?;
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        let r = ShardRange {
            first: first.trim().parse().ok()?,
            last: last.trim().parse().ok()?,
            total: total.trim().parse().ok()?,
        };
        (r.first <= r.last && r.last < r.total).then_some(r)
    }
}

/// Everything the bot reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub token: Token,
    pub database_url: String,
    pub database_max_connections: u32,
    /// How long to keep trying a database out of reach at start
    /// (`DATABASE_WAIT_SECS`).
    pub database_wait: Duration,
    /// Register commands in this server only (instant; for development).
    pub guild_id: Option<u64>,
    /// Folder (or file) of question banks.
    pub data: PathBuf,
    /// Base URL replacing `https://discord.com` for REST (and so the gateway URL).
    pub api_base: Option<String>,
    /// For tests only: the bot's clock (scheduler, rating times) starts at this instant
    /// (`QUIZBOT_CLOCK_START`, RFC 3339) instead of the real time.
    pub clock_start: Option<chrono::DateTime<chrono::Utc>>,
    /// Run only these shards (`SHARDS`); `None`: all, as Discord recommends.
    pub shards: Option<ShardRange>,
    /// The most daily posts this process sends per second
    /// (`POSTS_PER_SECOND`); processes that share one bot split Discord's
    /// 50 a second between them (see the README).
    pub posts_per_second: u32,
    /// What a server may upload (`BANK_MAX_BYTES`, `BANK_MAX_QUESTIONS`,
    /// `BANK_MAX_PER_SERVER`).
    pub bank_limits: BankLimits,
    /// Where `/metrics` and `/healthz` are served (`METRICS_ADDR`); `None`:
    /// nowhere, and nothing is recorded.
    pub metrics_addr: Option<SocketAddr>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://quizbot.db";
pub const DEFAULT_DATA: &str = "data";

/// Why the configuration is unusable; each names the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("DISCORD_TOKEN is not set: create a bot at https://discord.com/developers/applications (Bot → Reset Token) and put DISCORD_TOKEN=<token> in .env or the environment")]
    MissingToken,
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `get`, so tests need not touch the process
    /// environment. Empty values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let token = get("DISCORD_TOKEN").ok_or(ConfigError::MissingToken)?;
        if token.chars().any(char::is_whitespace) {
            return Err(ConfigError::Invalid {
                name: "DISCORD_TOKEN",
                reason: "contains white space; paste the token alone, without \"Bot \" or quotes".into(),
            });
        }
        let guild_id = match get("DISCORD_GUILD_ID") {
            None => None,
            Some(v) => Some(v.parse::<u64>().ok().filter(|&id| id > 0).ok_or_else(|| ConfigError::Invalid {
                name: "DISCORD_GUILD_ID",
                reason: format!("{v:?} is not a server id (a number; enable Developer Mode and use Copy Server ID)"),
            })?),
        };
        let api_base = match get("DISCORD_API_BASE") {
            None => None,
            Some(v) if v.starts_with("http://") || v.starts_with("https://") => {
                Some(v.trim_end_matches('/').to_string())
            }
            Some(v) => {
                return Err(ConfigError::Invalid {
                    name: "DISCORD_API_BASE",
                    reason: format!("{v:?} is not an http:// or https:// URL"),
                })
            }
        };
        let database_max_connections = match get("DATABASE_MAX_CONNECTIONS") {
            None => 5,
            Some(v) => {
                v.parse::<u32>().ok().filter(|&n| (1..=1000).contains(&n)).ok_or_else(|| ConfigError::Invalid {
                    name: "DATABASE_MAX_CONNECTIONS",
                    reason: format!("{v:?} is not a number from 1 to 1000"),
                })?
            }
        };
        let clock_start = match get("QUIZBOT_CLOCK_START") {
            None => None,
            Some(v) => Some(chrono::DateTime::parse_from_rfc3339(&v).map(|t| t.to_utc()).map_err(|_| {
                ConfigError::Invalid {
                    name: "QUIZBOT_CLOCK_START",
                    reason: format!("{v:?} is not an RFC 3339 instant like 2026-11-24T08:59:55Z"),
                }
            })?),
        };
        let database_wait = match get("DATABASE_WAIT_SECS") {
            None => DEFAULT_DATABASE_WAIT,
            Some(v) => v.parse::<u64>().ok().filter(|&s| s <= 86_400).map(Duration::from_secs).ok_or_else(|| {
                ConfigError::Invalid {
                    name: "DATABASE_WAIT_SECS",
                    reason: format!("{v:?} is not a number of seconds from 0 to 86400"),
                }
            })?,
        };
        let posts_per_second = match get("POSTS_PER_SECOND") {
            None => DEFAULT_POSTS_PER_SECOND,
            Some(v) => v.parse::<u32>().ok().filter(|n| (1..=50).contains(n)).ok_or_else(|| ConfigError::Invalid {
                name: "POSTS_PER_SECOND",
                reason: format!("{v:?} is not a number from 1 to 50 (Discord allows 50 requests a second per bot)"),
            })?,
        };
        let defaults = BankLimits::default();
        let number = |name: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                    ConfigError::Invalid { name, reason: format!("{v:?} is not a number from 1 to {max}") }
                }),
            }
        };
        let bank_limits = BankLimits {
            // Discord's own attachment limit for bots is 25 MB.
            file_bytes: number("BANK_MAX_BYTES", defaults.file_bytes, 25_000_000)?,
            questions: number("BANK_MAX_QUESTIONS", defaults.questions as u64, 100_000)? as usize,
            banks: number("BANK_MAX_PER_SERVER", defaults.banks as u64, 1_000)? as usize,
        };
        let shards = match get("SHARDS") {
            None => None,
            Some(v) => Some(ShardRange::parse(&v).ok_or_else(|| ConfigError::Invalid {
                name: "SHARDS",
                reason: format!("{v:?} is not FIRST-LAST/TOTAL with FIRST <= LAST < TOTAL, like 0-3/8"),
            })?),
        };
        let metrics_addr = metrics_addr(get("METRICS_ADDR"))?;
        Ok(Config {
            token: Token::new(token),
            shards,
            clock_start,
            database_url: get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            database_max_connections,
            database_wait,
            guild_id,
            data: PathBuf::from(get("QUIZBOT_DATA").unwrap_or_else(|| DEFAULT_DATA.into())),
            api_base,
            posts_per_second,
            bank_limits,
            metrics_addr,
        })
    }
}

/// `METRICS_ADDR` alone, for `quizbot healthcheck`, which needs no token.
pub fn metrics_addr_from_env() -> Result<Option<SocketAddr>, ConfigError> {
    metrics_addr(std::env::var("METRICS_ADDR").ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()))
}

/// An IP address and a port (`127.0.0.1:9100`, `[::1]:9100`; port 0 takes
/// any free port, logged at start). Not a host name: the endpoint binds
/// exactly what is given, and a name could resolve to a public address.
fn metrics_addr(value: Option<String>) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(v) = value else { return Ok(None) };
    v.parse::<SocketAddr>().map(Some).map_err(|_| ConfigError::Invalid {
        name: "METRICS_ADDR",
        reason: format!("{v:?} is not an IP address and port like 127.0.0.1:9100 (no host names; [::1]:9100 for IPv6)"),
    })
}

/// Loads `.env` (from the working directory or a parent) into the
/// environment, if there is one. Returns a warning for a file that could
/// not be read or parsed: variables before a malformed line are loaded,
/// the rest are not.
pub fn load_env_file() -> Option<String> {
    let err = match dotenvy::dotenv() {
        Ok(_) => return None,
        Err(e) if e.not_found() => return None,
        Err(e) => e,
    };
    Some(match err {
        dotenvy::Error::LineParse(line, index) => {
            let text = env_file_path().and_then(|path| std::fs::read_to_string(path).ok()).unwrap_or_default();
            malformed_line_warning(&text, &line, index)
        }
        // I/O and encoding errors name no value.
        other => format!("warning: ignoring .env: {other}"),
    })
}

/// Where dotenvy found `.env`: the working directory or its nearest parent
/// that has one.
fn env_file_path() -> Option<PathBuf> {
    let dir = std::env::current_dir().ok()?;
    dir.ancestors().map(|d| d.join(".env")).find(|p| p.is_file())
}

/// The warning for a malformed `.env` line: its number and the column,
/// never its text, which may hold the token (`DISCORD_TOKEN=Bot MTA…`, an
/// unterminated quote).
///
/// dotenvy reports the whole line, or for a bad value only the value, with
/// the position of the fault within what it reports.
fn malformed_line_warning(file: &str, reported: &str, index: usize) -> String {
    let reported = reported.trim_end();
    let found = (!reported.trim().is_empty())
        .then(|| {
            file.lines().enumerate().find_map(|(n, line)| {
                line.find(reported).map(|start| (n + 1, line[..start].chars().count() + index + 1))
            })
        })
        .flatten();
    let at = match found {
        Some((line, column)) => format!("line {line}, character {column}"),
        None => "a line".to_string(),
    };
    format!(
        "warning: .env is malformed at {at} (the line is not shown, as it may hold a secret); \
         that line and the ones after it were not loaded. Quote values with spaces: KEY=\"a b\""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_env_line_is_named_by_number_without_its_text() {
        let file = "DATABASE_URL=sqlite://quizbot.db\nDISCORD_TOKEN=Bot MTAsecret.xyz\nGUILD=1\n";
        let warning = malformed_line_warning(file, "DISCORD_TOKEN=Bot MTAsecret.xyz", 18);
        assert!(warning.contains("line 2, character 19"), "{warning}");
        assert!(!warning.contains("MTAsecret"), "{warning}");
        // A bad value is reported alone, with the position within it.
        let warning = malformed_line_warning(file, "Bot MTAsecret.xyz", 3);
        assert!(warning.contains("line 2, character 18"), "{warning}");
        assert!(!malformed_line_warning("", "TOKEN='abc", 6).contains("abc"));
    }
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn missing_or_empty_token_is_named() {
        assert_eq!(config(&[]).unwrap_err(), ConfigError::MissingToken);
        assert_eq!(config(&[("DISCORD_TOKEN", "  ")]).unwrap_err(), ConfigError::MissingToken);
        assert!(ConfigError::MissingToken.to_string().starts_with("DISCORD_TOKEN is not set"));
    }

    #[test]
    fn defaults() {
        let c = config(&[("DISCORD_TOKEN", "abc.def")]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.data, PathBuf::from("data"));
        assert_eq!(c.guild_id, None);
        assert_eq!(c.api_base, None);
        assert_eq!(c.database_wait, DEFAULT_DATABASE_WAIT);
        let c = config(&[("DISCORD_TOKEN", "t"), ("DATABASE_WAIT_SECS", "0")]).unwrap();
        assert_eq!(c.database_wait, Duration::ZERO, "0: do not wait");
        let err = config(&[("DISCORD_TOKEN", "t"), ("DATABASE_WAIT_SECS", "2m")]).unwrap_err();
        assert!(err.to_string().starts_with("DATABASE_WAIT_SECS is invalid"), "{err}");
        assert_eq!(c.posts_per_second, DEFAULT_POSTS_PER_SECOND);
        let c = config(&[("DISCORD_TOKEN", "t"), ("POSTS_PER_SECOND", "20")]).unwrap();
        assert_eq!(c.posts_per_second, 20);
        let err = config(&[("DISCORD_TOKEN", "t"), ("POSTS_PER_SECOND", "60")]).unwrap_err();
        assert!(err.to_string().starts_with("POSTS_PER_SECOND is invalid"), "{err}");
        assert_eq!(c.bank_limits, BankLimits::default());
        let c = config(&[("DISCORD_TOKEN", "t"), ("BANK_MAX_BYTES", "5000"), ("BANK_MAX_PER_SERVER", "3")]).unwrap();
        assert_eq!((c.bank_limits.file_bytes, c.bank_limits.banks), (5000, 3));
        let err = config(&[("DISCORD_TOKEN", "t"), ("BANK_MAX_QUESTIONS", "0")]).unwrap_err();
        assert!(err.to_string().starts_with("BANK_MAX_QUESTIONS is invalid"), "{err}");
    }

    #[test]
    fn shard_ranges() {
        let c = config(&[("DISCORD_TOKEN", "t"), ("SHARDS", "4-7/8")]).unwrap();
        assert_eq!(c.shards, Some(ShardRange { first: 4, last: 7, total: 8 }));
        assert_eq!(ShardRange::parse("1/2"), Some(ShardRange { first: 1, last: 1, total: 2 }));
        assert_eq!(config(&[("DISCORD_TOKEN", "t")]).unwrap().shards, None);
        for bad in ["0-8/8", "3-2/8", "0-1", "a-b/c", "0-0/0"] {
            let err = config(&[("DISCORD_TOKEN", "t"), ("SHARDS", bad)]).unwrap_err();
            assert!(err.to_string().starts_with("SHARDS is invalid"), "{bad}: {err}");
        }
    }

    #[test]
    fn metrics_addresses() {
        assert_eq!(config(&[("DISCORD_TOKEN", "t")]).unwrap().metrics_addr, None, "off by default");
        assert_eq!(config(&[("DISCORD_TOKEN", "t"), ("METRICS_ADDR", " ")]).unwrap().metrics_addr, None);
        for (given, expected) in
            [("127.0.0.1:9100", "127.0.0.1:9100"), ("0.0.0.0:9100", "0.0.0.0:9100"), ("[::1]:9100", "[::1]:9100")]
        {
            let c = config(&[("DISCORD_TOKEN", "t"), ("METRICS_ADDR", given)]).unwrap();
            assert_eq!(c.metrics_addr, Some(expected.parse().unwrap()), "{given}");
        }
        for bad in ["9100", ":9100", "localhost:9100", "127.0.0.1", "127.0.0.1:99999", "http://127.0.0.1:9100"] {
            let err = config(&[("DISCORD_TOKEN", "t"), ("METRICS_ADDR", bad)]).unwrap_err();
            assert!(err.to_string().starts_with("METRICS_ADDR is invalid"), "{bad}: {err}");
            assert!(err.to_string().contains(bad), "names the value: {err}");
        }
    }

    #[test]
    fn token_never_shows_in_debug() {
        let c = config(&[("DISCORD_TOKEN", "super-secret-token")]).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("super-secret-token"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn malformed_values_name_their_variable() {
        let err = config(&[("DISCORD_TOKEN", "t"), ("DISCORD_GUILD_ID", "my-server")]).unwrap_err();
        assert!(err.to_string().starts_with("DISCORD_GUILD_ID is invalid"), "{err}");
        let err = config(&[("DISCORD_TOKEN", "t"), ("DISCORD_API_BASE", "localhost:3000")]).unwrap_err();
        assert!(err.to_string().starts_with("DISCORD_API_BASE is invalid"), "{err}");
        let c = config(&[("DISCORD_TOKEN", "t"), ("DISCORD_API_BASE", "http://127.0.0.1:9/")]).unwrap();
        assert_eq!(c.api_base.as_deref(), Some("http://127.0.0.1:9"));
    }
}
